//! Lookups and transforms a session registered from Python (`DateField.register_lookup(
//! YearTransform)`, `@YearTransform.register_lookup`): which names they add to which field
//! classes and transform classes, as data the query layer resolves lookup names against.
//! The classes themselves stay in the object layer, named here by a number ([`ClassId`]);
//! how their SQL is asked for is `crate::query::py_call`.

use super::FieldKind;

/// A Python class known to the registry: an index the object layer gives it.
pub type ClassId = u32;

/// Where a lookup is registered: on a field class (Django's name, `Field` for every field,
/// `ForeignObject` for relations), on one model's field (`Book._meta.get_field("title")`:
/// the model and the field's index), or on a transform class written in Python.
#[derive(Debug, Clone, PartialEq)]
pub enum Owner {
    Field(String),
    Instance(super::ModelId, usize),
    Class(ClassId),
}

/// What a registered class is.
#[derive(Debug, Clone, PartialEq)]
pub enum What {
    /// A `Transform`: `bilateral` applies it to the right-hand side too; `output` is its
    /// `output_field`'s class when it names one (else its input's); `mro` is the class and
    /// its Python bases (the lookups registered on any of them apply to its output).
    Transform {
        bilateral: bool,
        output: Option<FieldKind>,
        mro: Vec<ClassId>,
    },
    /// One of Django's database functions that is a transform (`register_lookup(CharField,
    /// Lower)`), or a Python subclass of one (`class UpperBilateral(Upper): bilateral =
    /// True`): the function's class name (`Lower`, `ExtractYear`).
    Func { class: String, bilateral: bool },
    /// A `Lookup`. `builtin` names the built-in lookup it derives from (`exact`, `lte`)
    /// when it writes no SQL of its own (no `as_sql`): the built-in's SQL then. `prepare_rhs`
    /// is its class attribute: when false the right-hand side is taken as it is, not made the
    /// field's type first (Django's `get_prep_lookup`).
    Lookup {
        builtin: Option<String>,
        prepare_rhs: bool,
    },
}

/// One `register_lookup(class, lookup_name)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Registered {
    pub owner: Owner,
    pub name: String,
    pub class: ClassId,
    pub what: What,
}

/// Every registration, in order (a later one of the same owner and name replaces it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PyLookups {
    pub entries: Vec<Registered>,
}

impl PyLookups {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// `register_lookup`: replaces what `owner` had under the same name.
    pub fn register(&mut self, r: Registered) {
        self.entries
            .retain(|e| !(e.owner == r.owner && e.name == r.name));
        self.entries.push(r);
    }

    /// `_unregister_lookup`: whether there was one.
    pub fn unregister(&mut self, owner: &Owner, name: &str) -> bool {
        let before = self.entries.len();
        self.entries
            .retain(|e| !(e.owner == *owner && e.name == name));
        before != self.entries.len()
    }

    /// The class registered as `name` on the first of `owners` that has one (Django's
    /// `class_lookups` merged along the MRO), transforms when `transform`, else lookups.
    pub fn find(&self, owners: &[Owner], name: &str, transform: bool) -> Option<&Registered> {
        owners.iter().find_map(|o| {
            self.entries.iter().find(|e| {
                e.owner == *o
                    && e.name == name
                    && matches!(e.what, What::Transform { .. } | What::Func { .. }) == transform
            })
        })
    }

    /// The names registered on `owners` (for suggestions).
    pub fn names(&self, owners: &[Owner]) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|e| owners.contains(&e.owner))
            .map(|e| e.name.as_str())
            .collect()
    }
}

/// A field class's name and its bases' that `register_lookup` reaches, nearest first
/// (Django's MRO of the field classes, down to `Field`).
pub fn field_mro(kind: FieldKind) -> Vec<&'static str> {
    use FieldKind::*;
    let mut out = vec![kind.django_name()];
    let parents: &[&str] = match kind {
        AutoField | BigIntegerField | SmallIntegerField | PositiveIntegerField => &["IntegerField"],
        BigAutoField => &["BigIntegerField", "IntegerField"],
        SmallAutoField => &["SmallIntegerField", "IntegerField"],
        PositiveBigIntegerField => &["BigIntegerField", "IntegerField"],
        PositiveSmallIntegerField => &["SmallIntegerField", "IntegerField"],
        SlugField | EmailField | UrlField => &["CharField"],
        DateTimeField => &["DateField"],
        OneToOneField => &["ForeignKey", "ForeignObject", "RelatedField"],
        ForeignKey => &["ForeignObject", "RelatedField"],
        _ => &[],
    };
    out.extend_from_slice(parents);
    out.push("Field");
    out
}
