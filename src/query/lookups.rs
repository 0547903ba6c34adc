//! Lookups and transforms: which names apply to which fields, and how a Python value is
//! prepared for a field (Django's `get_prep_value`), with Django's error messages.
//!
//! Names are registered per field class, as Django registers them: the lookups of every
//! field, the related ones, date transforms, JSONField's (containment and keys; any other
//! name is a key transform, whose text lookups read the key as text), ArrayField's
//! (containment, overlap, `len`, indexes and slices) and those django.contrib.postgres adds
//! to text fields (`unaccent`, trigram similarity).

use super::expr::{DatePart, DbType, Expr, Lookup, LookupKind, Rhs, WhereNode};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::schema::py_lookups::{ClassId, Owner, PyLookups, What, field_mro};
use crate::schema::{Field, FieldKind, ModelId};
use crate::tz::TzConfig;
use crate::value::{Value, ValueType};
use chrono::{NaiveDate, NaiveDateTime, NaiveTime};

/// The output field of a lookup's left-hand side: what kind of values it holds.
#[derive(Debug, Clone)]
pub struct OutputField {
    pub kind: FieldKind,
    /// The field's name for messages (`None` for transform outputs, as Django prints it).
    pub name: Option<super::Sym>,
    /// Set when the lhs is a relation: lookups are the related ones and values may be
    /// instances of this model.
    pub related_model: Option<ModelId>,
    /// Class name shown in messages (`ForeignKey`, `ManyToOneRel`, ...).
    pub class_name: &'static str,
    /// How values come back from the database.
    pub ty: ValueType,
    /// `max_length` and `(max_digits, decimal_places)`, which a cast to the type spells.
    pub max_length: Option<u32>,
    pub decimal: Option<(u32, u32)>,
    /// ArrayField's base field: what an index gives.
    pub base: Option<Box<OutputField>>,
    /// The output of a JSON key transform: KeyTransform's lookups read the key as text.
    pub json_key: bool,
    /// The output of a transform written in Python: its class and Python bases, whose
    /// registered lookups come before the field's.
    pub py_mro: Vec<ClassId>,
    /// The model's field this is (no transform applied): `(model, index)`, whose own
    /// registered lookups come first (Django's `instance_lookups`).
    pub instance: Option<(ModelId, usize)>,
}

/// The lookups registered on every field, in Django's registration order.
const FIELD_LOOKUPS: &[&str] = &[
    "exact",
    "iexact",
    "gt",
    "gte",
    "lt",
    "lte",
    "in",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
    "range",
    "isnull",
    "regex",
    "iregex",
];
const RELATED_LOOKUPS: &[&str] = &["in", "exact", "lt", "gt", "gte", "lte", "isnull"];
/// JSONField's lookups beyond (or replacing) Field's; key transforms have them too.
const JSON_LOOKUPS: &[(&str, LookupKind)] = &[
    ("contains", LookupKind::DataContains),
    ("contained_by", LookupKind::ContainedBy),
    ("has_key", LookupKind::HasKey),
    ("has_keys", LookupKind::HasKeys),
    ("has_any_keys", LookupKind::HasAnyKeys),
];
/// ArrayField's lookups beyond (or replacing) Field's, and its `len` transform.
const ARRAY_LOOKUPS: &[(&str, LookupKind)] = &[
    ("contains", LookupKind::DataContains),
    ("contained_by", LookupKind::ContainedBy),
    ("overlap", LookupKind::Overlap),
];
const ARRAY_TRANSFORMS: &[&str] = &["len"];
/// What django.contrib.postgres registers on CharField and TextField.
const TEXT_LOOKUPS: &[(&str, LookupKind)] = &[
    ("trigram_similar", LookupKind::TrigramSimilar),
    ("trigram_word_similar", LookupKind::TrigramWordSimilar),
    (
        "trigram_strict_word_similar",
        LookupKind::TrigramStrictWordSimilar,
    ),
];
const TEXT_TRANSFORMS: &[&str] = &["unaccent"];
const DATE_TRANSFORMS: &[&str] = &[
    "year",
    "iso_year",
    "month",
    "day",
    "week",
    "week_day",
    "iso_week_day",
    "quarter",
];
const DATETIME_TRANSFORMS: &[&str] = &["date", "time", "hour", "minute", "second"];
const TIME_TRANSFORMS: &[&str] = &["hour", "minute", "second"];

/// A transform a name resolved to (Django's `get_transform`).
#[derive(Debug, Clone)]
enum Transform {
    Extract(DatePart),
    Date,
    Time,
    /// A JSON key (or array position) of a JSONField.
    Key(String),
    /// An ArrayField element, 1-based.
    Index(i64),
    /// ArrayField elements `start..=end`, 1-based.
    Slice(i64, i64),
    Len,
    Unaccent,
    /// One of Django's database functions registered as a transform (`Lower`, `Length`),
    /// and whether it is bilateral.
    Func(super::func::FuncKind, bool),
    /// A transform written in Python, registered on the field's class (or a transform's).
    Py {
        class: ClassId,
        bilateral: bool,
        output: Option<FieldKind>,
        mro: Vec<ClassId>,
    },
}

impl Transform {
    /// Bilateral transforms apply to the right-hand side too.
    fn bilateral(&self) -> bool {
        matches!(
            self,
            Transform::Unaccent
                | Transform::Func(_, true)
                | Transform::Py {
                    bilateral: true,
                    ..
                }
        )
    }

    /// The transform applied to `expr`, whose output field is `out`.
    fn apply(&self, expr: Expr, out: &OutputField) -> Expr {
        let source = Box::new(expr);
        match self {
            Transform::Extract(part) => Expr::Extract {
                part: *part,
                source,
            },
            Transform::Date => Expr::CastDate(source),
            Transform::Time => Expr::CastTime(source),
            Transform::Key(key) => match *source {
                // `data__a__b` is one path, as Django's `preprocess_lhs` collects it.
                Expr::KeyTransform {
                    source,
                    mut keys,
                    text,
                } => {
                    keys.push(key.clone());
                    Expr::KeyTransform { source, keys, text }
                }
                other => Expr::KeyTransform {
                    source: Box::new(other),
                    keys: vec![key.clone()],
                    text: false,
                },
            },
            Transform::Index(index) => Expr::ArrayIndex {
                source,
                index: *index,
                ty: out.base.as_ref().map_or(ValueType::Any, |b| b.ty),
            },
            Transform::Slice(start, end) => Expr::ArraySlice {
                source,
                start: *start,
                end: *end,
            },
            Transform::Len => Expr::ArrayLen(source),
            Transform::Unaccent => Expr::Unaccent(source),
            Transform::Func(func, _) => Expr::Func {
                func: *func,
                args: vec![*source],
                output: out.ty,
            },
            Transform::Py { class, .. } => Expr::Py(Box::new(super::py_call::PyCall {
                class: *class,
                lookup: false,
                args: vec![*source],
                output: self.output(out.clone()).ty,
            })),
        }
    }

    /// The output field of the transform of a value of `out`.
    fn output(&self, out: OutputField) -> OutputField {
        match self {
            Transform::Extract(_) | Transform::Len => {
                OutputField::transform_output(FieldKind::IntegerField, ValueType::Int)
            }
            Transform::Date => OutputField::transform_output(FieldKind::DateField, ValueType::Date),
            Transform::Time => OutputField::transform_output(FieldKind::TimeField, ValueType::Time),
            Transform::Key(_) => OutputField {
                json_key: true,
                ..out
            },
            Transform::Index(_) => match out.base {
                Some(base) => *base,
                None => out,
            },
            Transform::Slice(..) | Transform::Unaccent => out,
            Transform::Func(..) => out,
            Transform::Py { output, mro, .. } => OutputField {
                py_mro: mro.clone(),
                ..match output {
                    Some(kind) => {
                        OutputField::transform_output(*kind, Field::new("", "", *kind).value_type())
                    }
                    None => out,
                }
            },
        }
    }
}

impl OutputField {
    /// The output field of a concrete field.
    pub fn of_field(f: &Field) -> OutputField {
        OutputField {
            kind: f.kind,
            name: Some(super::Sym::from(&f.name)),
            related_model: None,
            class_name: f.kind.django_name(),
            ty: f.value_type(),
            max_length: f.max_length,
            decimal: f.decimal,
            base: f
                .base_field
                .as_deref()
                .map(|b| Box::new(OutputField::of_field(b))),
            json_key: false,
            py_mro: Vec::new(),
            instance: None,
        }
    }

    /// The output of a relation (`author`, `book`) whose target field is `target`.
    pub fn related(target: &Field, model: ModelId, class_name: &'static str) -> OutputField {
        OutputField {
            related_model: Some(model),
            class_name,
            ..OutputField::of_field(target)
        }
    }

    /// The output field of an expression whose values are of type `ty` (an annotation's,
    /// a database function's).
    pub fn of_type(ty: ValueType) -> OutputField {
        let kind = match ty {
            ValueType::Int => FieldKind::IntegerField,
            ValueType::Float => FieldKind::FloatField,
            ValueType::Decimal { .. } => FieldKind::DecimalField,
            ValueType::Bool => FieldKind::BooleanField,
            ValueType::Date => FieldKind::DateField,
            ValueType::DateTime => FieldKind::DateTimeField,
            ValueType::Time => FieldKind::TimeField,
            ValueType::Duration => FieldKind::DurationField,
            ValueType::Json => FieldKind::JsonField,
            _ => FieldKind::CharField,
        };
        OutputField::transform_output(kind, ty)
    }

    fn transform_output(kind: FieldKind, ty: ValueType) -> OutputField {
        OutputField {
            kind,
            name: None,
            related_model: None,
            class_name: kind.django_name(),
            ty,
            max_length: None,
            decimal: None,
            base: None,
            json_key: false,
            py_mro: Vec::new(),
            instance: None,
        }
    }

    fn is_related(&self) -> bool {
        self.related_model.is_some()
    }

    /// CharField, TextField and CharField's subclasses: where django.contrib.postgres
    /// registers its text lookups.
    fn is_char_or_text(&self) -> bool {
        use FieldKind::*;
        matches!(
            self.kind,
            CharField | TextField | SlugField | EmailField | UrlField
        )
    }

    /// The lookups this field's class registers beyond (or instead of) Field's.
    fn own_lookups(&self) -> &'static [(&'static str, LookupKind)] {
        match self.kind {
            _ if self.is_related() => &[],
            FieldKind::JsonField => JSON_LOOKUPS,
            FieldKind::ArrayField => ARRAY_LOOKUPS,
            _ if self.is_char_or_text() => TEXT_LOOKUPS,
            _ => &[],
        }
    }

    /// Where lookups registered from Python are looked for, first to last: the Python
    /// transform that made this output, then the field's class and its bases.
    fn owners(&self) -> Vec<Owner> {
        let kind = match self.is_related() {
            true => FieldKind::from_django_name(self.class_name).unwrap_or(FieldKind::ForeignKey),
            false => self.kind,
        };
        let instance = self.instance.map(|(m, i)| Owner::Instance(m, i));
        let classes = self.py_mro.iter().map(|c| Owner::Class(*c));
        instance
            .into_iter()
            .chain(classes)
            .chain(
                field_mro(kind)
                    .into_iter()
                    .map(|n| Owner::Field(n.to_string())),
            )
            .collect()
    }

    /// Django's `get_transform(name)` among the transforms registered from Python.
    fn py_transform(&self, reg: &PyLookups, name: &str) -> Option<Transform> {
        if reg.is_empty() {
            return None;
        }
        let r = reg.find(&self.owners(), name, true)?;
        let (bilateral, output, mro) = match &r.what {
            What::Transform {
                bilateral,
                output,
                mro,
            } => (bilateral, output, mro),
            What::Func { class, bilateral } => {
                return super::func::FuncKind::from_name(class)
                    .map(|f| Transform::Func(f, *bilateral));
            }
            What::Lookup { .. } => return None,
        };
        Some(Transform::Py {
            class: r.class,
            bilateral: *bilateral,
            output: *output,
            mro: mro.clone(),
        })
    }

    /// Django's `get_lookup(name)`.
    fn lookup(&self, name: &str) -> Option<LookupKind> {
        if let Some((_, kind)) = self.own_lookups().iter().find(|(n, _)| *n == name) {
            return Some(*kind);
        }
        let registered = if self.is_related() {
            RELATED_LOOKUPS
        } else {
            FIELD_LOOKUPS
        };
        registered
            .contains(&name)
            .then(|| LookupKind::from_name(name).expect("a registered lookup"))
    }

    /// Django's `get_transform(name)`.
    fn transform(&self, name: &str) -> Option<Transform> {
        if self.is_related() {
            return None;
        }
        let registered = self.transform_names().contains(&name);
        match self.kind {
            FieldKind::DateField | FieldKind::DateTimeField | FieldKind::TimeField
                if registered =>
            {
                Some(match name {
                    "date" => Transform::Date,
                    "time" => Transform::Time,
                    _ => Transform::Extract(DatePart::from_name(name).expect("date transform")),
                })
            }
            // JSONField: any other name is a key.
            FieldKind::JsonField => Some(Transform::Key(name.to_string())),
            FieldKind::ArrayField if registered => Some(Transform::Len),
            // ArrayField: `0` is the first element, `0_2` the first two (PostgreSQL counts
            // from 1, and its slices include their end).
            FieldKind::ArrayField => match name.split_once('_') {
                None => python_int(name).map(|i| Transform::Index(i + 1)),
                Some((start, end)) => {
                    Some(Transform::Slice(python_int(start)? + 1, python_int(end)?))
                }
            },
            _ if registered => Some(Transform::Unaccent),
            _ => None,
        }
    }

    /// The transforms registered by name (indexes, slices and keys are not).
    pub fn transform_names(&self) -> Vec<&'static str> {
        match self.kind {
            _ if self.is_related() => Vec::new(),
            FieldKind::DateField => DATE_TRANSFORMS.to_vec(),
            FieldKind::DateTimeField => [DATE_TRANSFORMS, DATETIME_TRANSFORMS].concat(),
            FieldKind::TimeField => TIME_TRANSFORMS.to_vec(),
            FieldKind::ArrayField => ARRAY_TRANSFORMS.to_vec(),
            _ if self.is_char_or_text() => TEXT_TRANSFORMS.to_vec(),
            _ => Vec::new(),
        }
    }

    /// Everything `get_lookups()` lists (lookups, then transforms), for suggestions and
    /// completion.
    pub fn all_names(&self) -> Vec<&'static str> {
        let mut v: Vec<&'static str> = if self.is_related() {
            RELATED_LOOKUPS.to_vec()
        } else {
            FIELD_LOOKUPS.to_vec()
        };
        for (name, _) in self.own_lookups() {
            if !v.contains(name) {
                v.push(name);
            }
        }
        v.extend(self.transform_names());
        v
    }

    /// The output field after transform `name` (`publication_date__year` is an integer);
    /// `None` when `name` is no transform of this field.
    pub fn transformed(self, name: &str) -> Option<OutputField> {
        let t = self.transform(name)?;
        Some(t.output(self))
    }

    /// The type a cast to this field's type names (ArrayField's `cast_db_type`).
    fn db_type(&self) -> Result<DbType> {
        if self.kind != FieldKind::ArrayField {
            return Ok(DbType {
                kind: self.kind,
                max_length: self.max_length,
                decimal: self.decimal,
                dims: 0,
            });
        }
        let base = self.base.as_deref().ok_or_else(|| {
            Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "djq does not know the base field of the ArrayField '{}' (pass its models.py with --models)",
                    self.name.as_deref().unwrap_or("?")
                ),
            )
        })?;
        let inner = base.db_type()?;
        Ok(DbType {
            dims: inner.dims + 1,
            ..inner
        })
    }
}

/// Python's `int(s)` for a lookup name (`"0"`, `"-1"`, `" 2 "`).
fn python_int(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

/// Apply transform `name` to `lhs` (Django's `try_transform`); bilateral transforms are
/// added to `bilateral`.
fn try_transform(
    reg: &PyLookups,
    lhs: (Expr, OutputField),
    name: &str,
    unsupported: &[&str],
    bilateral: &mut Vec<(Transform, OutputField)>,
) -> Result<(Expr, OutputField)> {
    let (expr, out) = lhs;
    if let Some(t @ Transform::Func(func, _)) = out.py_transform(reg, name) {
        if t.bilateral() {
            bilateral.push((t, out.clone()));
        }
        // The function as Django resolves it (`Length` gives an integer, `ExtractYear` is
        // `__year`'s extract).
        // with the arguments Django fills in (`Round`'s precision 0)
        let mut args = vec![expr];
        args.extend(func.default_arg().map(Expr::Value));
        let classes = vec![Some(out.kind); args.len()];
        let expr = super::func::build(func, args, classes, None, None, false)?;
        let out = OutputField::of_type(expr.value_type());
        return Ok((expr, out));
    }
    if let Some(t) = out.py_transform(reg, name).or_else(|| out.transform(name)) {
        if t.bilateral() {
            bilateral.push((t.clone(), out.clone()));
        }
        let out_t = OutputField {
            instance: None,
            ..t.output(out.clone())
        };
        return Ok((t.apply(expr, &out), out_t));
    }
    let mut names = out.all_names();
    names.extend(reg.names(&out.owners()));
    let close = get_close_matches(name, &names);
    let suggestion = if close.is_empty() {
        ".".to_string()
    } else {
        format!(", perhaps you meant {}?", close.join(" or "))
    };
    Err(Diagnostic::field(format!(
        "Unsupported lookup '{}' for {} or join on the field not permitted{suggestion}",
        unsupported.join("__"),
        out.class_name
    )))
}

/// Apply transforms named after a field path (`F('published_at__year')`).
pub fn apply_transforms(
    reg: &PyLookups,
    expr: Expr,
    out: OutputField,
    names: &[String],
) -> Result<Expr> {
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut lhs = (expr, out);
    for (i, name) in names.iter().enumerate() {
        lhs = try_transform(reg, lhs, name, &names[i..], &mut Vec::new())?;
    }
    Ok(lhs.0)
}

/// A prepared right-hand side before it meets its lookup.
#[derive(Debug, Clone)]
pub enum Prepared {
    Value(Value),
    /// A list (for `in`, `range`).
    List(Vec<Value>),
    /// A resolved expression (F(), subquery).
    Expr(Expr),
    /// A model instance: `(model, pk)`.
    Instance(ModelId, Value),
    /// A list holding expressions (`id__in=[F('x'), 0]`): its values as `Expr::Value`s.
    Exprs(Vec<Expr>),
}

/// Python's TypeError for iterating a value that is not a list: `'int' object is not iterable`.
fn not_iterable(v: &Value) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Type,
        format!("'{}' object is not iterable", v.type_name()),
    )
}

/// Django's `build_lookup`: transforms, then the lookup (or a trailing transform + exact).
pub fn build_lookup(
    schema: &crate::schema::Schema,
    lookups: &[&str],
    lhs: (Expr, OutputField),
    rhs: Prepared,
) -> Result<WhereNode> {
    let lookups = if lookups.is_empty() {
        &["exact"][..]
    } else {
        lookups
    };
    let (last, transforms) = lookups.split_last().expect("non-empty");
    let reg = &schema.py_lookups;
    let mut lhs = lhs;
    let mut bilateral = Vec::new();
    for (i, name) in transforms.iter().enumerate() {
        lhs = try_transform(reg, lhs, name, &lookups[i..], &mut bilateral)?;
    }
    let kind = match py_lookup(reg, &lhs.1, last) {
        Some(PyLookup::Builtin(kind)) => kind,
        Some(PyLookup::Own(class, prepare)) => {
            return build_py_lookup(schema, (class, prepare), last, lhs, rhs, &bilateral);
        }
        None => match lhs.1.lookup(last) {
            Some(kind) => kind,
            None => {
                lhs = try_transform(reg, lhs, last, std::slice::from_ref(last), &mut bilateral)?;
                match py_lookup(reg, &lhs.1, "exact") {
                    Some(PyLookup::Builtin(kind)) => kind,
                    Some(PyLookup::Own(class, prepare)) => {
                        return build_py_lookup(
                            schema,
                            (class, prepare),
                            "exact",
                            lhs,
                            rhs,
                            &bilateral,
                        );
                    }
                    None => lhs.1.lookup("exact").expect("every field has exact"),
                }
            }
        },
    };
    let (mut expr, mut out) = lhs;
    if let Prepared::Value(Value::Null) = rhs {
        // JSONField's exact (and a key's iexact) take None for JSON null.
        if out.kind == FieldKind::JsonField
            && (kind == LookupKind::Exact || (kind == LookupKind::IExact && out.json_key))
        {
            let null = Rhs::Value(Value::json(serde_json::Value::Null));
            return Ok(lookup(expr, LookupKind::Exact, null));
        }
        if !matches!(
            kind,
            LookupKind::Exact | LookupKind::IExact | LookupKind::IsNull
        ) {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "Cannot use None as a query value",
            ));
        }
        if kind != LookupKind::IsNull {
            return Ok(lookup(expr, LookupKind::IsNull, Rhs::Bool(true)));
        }
    }
    // Django's KeyTransformTextLookupMixin: text lookups on a key read it as text (`->>`).
    if out.json_key && kind.is_textual() {
        if let Expr::KeyTransform { text, .. } = &mut expr {
            *text = true;
        }
        out = OutputField::transform_output(FieldKind::TextField, ValueType::Text);
    }
    // PostgreSQL's text lookups on an IP address compare its HOST() (Django's lookup_cast).
    if out.kind == FieldKind::GenericIpAddressField && kind.is_textual() {
        expr = Expr::Func {
            func: super::func::FuncKind::PgHost,
            args: vec![expr],
            output: ValueType::Text,
        };
    }
    let mut rhs = prepare_rhs(schema, kind, &out, rhs)?;
    refuse_nested_bilateral(&bilateral, &rhs)?;
    for (t, t_out) in &bilateral {
        rhs = match rhs {
            Rhs::Value(v) => Rhs::Expr(t.apply(Expr::Value(v), t_out)),
            Rhs::Expr(e) => Rhs::Expr(t.apply(e, t_out)),
            Rhs::List(items) => Rhs::List(items.into_iter().map(|e| t.apply(e, t_out)).collect()),
            Rhs::Range(a, b) => {
                Rhs::Range(Box::new(t.apply(*a, t_out)), Box::new(t.apply(*b, t_out)))
            }
            rhs @ Rhs::Bool(_) => rhs,
            _ => {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "djq does not support the '{}' lookup after a bilateral transform yet",
                        kind.name()
                    ),
                ));
            }
        };
    }
    Ok(lookup(expr, kind, rhs))
}

/// Django's refusal of a bilateral transform over a queryset on the right-hand side.
fn refuse_nested_bilateral(bilateral: &[(Transform, OutputField)], rhs: &Rhs) -> Result<()> {
    match (bilateral.is_empty(), rhs) {
        (false, Rhs::Expr(Expr::Subquery(_))) => Err(Diagnostic::new(
            ErrorKind::Python("NotImplementedError".into()),
            "Bilateral transformations on nested querysets are not implemented.",
        )),
        _ => Ok(()),
    }
}

/// A lookup registered from Python, as [`py_lookup`] finds it.
enum PyLookup {
    /// A subclass of a built-in lookup that writes no SQL of its own.
    Builtin(LookupKind),
    /// A class whose `as_sql` writes its SQL, and its `prepare_rhs`.
    Own(ClassId, bool),
}

/// Django's `get_lookup(name)` among the lookups registered from Python.
fn py_lookup(reg: &PyLookups, out: &OutputField, name: &str) -> Option<PyLookup> {
    if reg.is_empty() {
        return None;
    }
    let r = reg.find(&out.owners(), name, false)?;
    match &r.what {
        What::Lookup {
            builtin: Some(b), ..
        } => LookupKind::from_name(b).map(PyLookup::Builtin),
        What::Lookup { prepare_rhs, .. } => Some(PyLookup::Own(r.class, *prepare_rhs)),
        _ => Some(PyLookup::Own(r.class, true)),
    }
}

/// A lookup written in Python: a condition whose SQL its class writes, over the left-hand
/// side and the right-hand side prepared as for `exact` (Django's `get_prep_lookup`; a value
/// as it is when the class's `prepare_rhs` is false), with the bilateral transforms applied
/// to it.
fn build_py_lookup(
    schema: &crate::schema::Schema,
    (class, prepare): (ClassId, bool),
    name: &str,
    lhs: (Expr, OutputField),
    rhs: Prepared,
    bilateral: &[(Transform, OutputField)],
) -> Result<WhereNode> {
    let (expr, out) = lhs;
    if let Prepared::Value(Value::Null) = rhs {
        if !matches!(name, "exact" | "iexact") {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "Cannot use None as a query value",
            ));
        }
        return Ok(lookup(expr, LookupKind::IsNull, Rhs::Bool(true)));
    }
    let rhs = match rhs {
        Prepared::Value(v) if !prepare => Rhs::Value(v),
        rhs => prepare_rhs(schema, LookupKind::Exact, &out, rhs)?,
    };
    refuse_nested_bilateral(bilateral, &rhs)?;
    let mut rhs = match rhs {
        Rhs::Value(v) => Expr::Value(v),
        Rhs::Expr(e) => e,
        _ => {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!("djq does not support this right-hand side of the '{name}' lookup yet"),
            ));
        }
    };
    for (t, t_out) in bilateral {
        rhs = t.apply(rhs, t_out);
    }
    Ok(WhereNode::Condition(Expr::Py(Box::new(
        super::py_call::PyCall {
            class,
            lookup: true,
            args: vec![expr, rhs],
            output: ValueType::Bool,
        },
    ))))
}

fn lookup(lhs: Expr, kind: LookupKind, rhs: Rhs) -> WhereNode {
    WhereNode::Lookup(Box::new(Lookup { lhs, kind, rhs }))
}

fn prepare_rhs(
    schema: &crate::schema::Schema,
    kind: LookupKind,
    out: &OutputField,
    rhs: Prepared,
) -> Result<Rhs> {
    if matches!(rhs, Prepared::Exprs(_)) && !matches!(kind, LookupKind::In | LookupKind::Range) {
        return Err(Diagnostic::new(
            ErrorKind::NotSupported,
            format!(
                "expressions inside a list value of __{} are not supported by djq yet",
                kind.name()
            ),
        ));
    }
    if out.kind == FieldKind::ArrayField
        && !out.is_related()
        && matches!(
            kind,
            LookupKind::Exact
                | LookupKind::DataContains
                | LookupKind::ContainedBy
                | LookupKind::Overlap
        )
    {
        return array_rhs(out, rhs, schema.tz);
    }
    match kind {
        // HasKey's `prepare_rhs = False`: the key as given.
        LookupKind::HasKey => match rhs {
            Prepared::Value(v) | Prepared::Instance(_, v) => Ok(Rhs::Value(v)),
            Prepared::Expr(e) => Ok(Rhs::Expr(e)),
            Prepared::List(items) => Ok(Rhs::Value(json_list(&items))),
            Prepared::Exprs(_) => Err(exprs_in_list()),
        },
        // HasKeys: `[str(item) for item in rhs]`, sent as one text[] parameter.
        LookupKind::HasKeys | LookupKind::HasAnyKeys => {
            let items = match rhs {
                Prepared::List(items) => items,
                Prepared::Value(Value::Text(s)) => {
                    s.chars().map(|c| Value::Text(c.to_string())).collect()
                }
                Prepared::Expr(e) => return Ok(Rhs::Expr(e)),
                Prepared::Value(v) | Prepared::Instance(_, v) => return Err(not_iterable(&v)),
                Prepared::Exprs(_) => return Err(exprs_in_list()),
            };
            let keys = items
                .iter()
                .map(|v| serde_json::Value::String(v.to_python_str()))
                .collect();
            Ok(Rhs::Value(Value::json(serde_json::Value::Array(keys))))
        }
        LookupKind::IsNull => match rhs {
            Prepared::Value(Value::Bool(b)) => Ok(Rhs::Bool(b)),
            _ => Err(Diagnostic::new(
                ErrorKind::Value,
                "The QuerySet value for an isnull lookup must be True or False.",
            )),
        },
        LookupKind::In => match rhs {
            Prepared::List(items) => {
                // Django's `In.process_rhs`: None never matches, duplicates go.
                let mut seen: Vec<Value> = Vec::new();
                for v in items.into_iter().filter(|v| !v.is_null()) {
                    let v = prep_related(schema, out, Prepared::Value(v))?;
                    if !seen.contains(&v) {
                        seen.push(v);
                    }
                }
                Ok(Rhs::List(seen.into_iter().map(Expr::Value).collect()))
            }
            Prepared::Expr(e) => Ok(Rhs::Expr(e)),
            // Expressions in the list are compiled in place, the values bound.
            Prepared::Exprs(items) => {
                let mut seen: Vec<Expr> = Vec::new();
                for e in items {
                    let e = match e {
                        Expr::Value(v) if v.is_null() => continue,
                        Expr::Value(v) => {
                            Expr::Value(prep_related(schema, out, Prepared::Value(v))?)
                        }
                        e => e,
                    };
                    if !seen.contains(&e) {
                        seen.push(e);
                    }
                }
                Ok(Rhs::List(seen))
            }
            Prepared::Value(Value::Text(s)) => {
                // A string is an iterable of characters in Python.
                let chars = s.chars().map(|c| Value::Text(c.to_string())).collect();
                prepare_rhs(schema, kind, out, Prepared::List(chars))
            }
            Prepared::Value(v) | Prepared::Instance(_, v) => Err(not_iterable(&v)),
        },
        LookupKind::Range => match rhs {
            Prepared::List(items) if items.len() == 2 => {
                let mut it = items.into_iter();
                let a = prep_related(schema, out, Prepared::Value(it.next().expect("2")))?;
                let b = prep_related(schema, out, Prepared::Value(it.next().expect("2")))?;
                Ok(Rhs::Range(
                    Box::new(Expr::Value(a)),
                    Box::new(Expr::Value(b)),
                ))
            }
            Prepared::Expr(e) => Ok(Rhs::Expr(e)),
            Prepared::List(items) => Err(Diagnostic::new(
                ErrorKind::Value,
                format!(
                    "{} values to unpack (expected 2, got {})",
                    if items.len() < 2 {
                        "not enough"
                    } else {
                        "too many"
                    },
                    items.len()
                ),
            )),
            Prepared::Value(v) | Prepared::Instance(_, v) => Err(not_iterable(&v)),
            Prepared::Exprs(items) if items.len() == 2 => {
                let mut ends = items.into_iter().map(|e| match e {
                    Expr::Value(v) => {
                        Ok(Expr::Value(prep_related(schema, out, Prepared::Value(v))?))
                    }
                    e => Ok(e),
                });
                let a = ends.next().expect("2")?;
                let b = ends.next().expect("2")?;
                Ok(Rhs::Range(Box::new(a), Box::new(b)))
            }
            Prepared::Exprs(_) => Err(exprs_in_list()),
        },
        _ => match rhs {
            Prepared::Expr(e) => Ok(Rhs::Expr(e)),
            // JSONField's get_db_prep_value: a list is a JSON document too.
            Prepared::List(items) if out.kind == FieldKind::JsonField && !kind.is_textual() => {
                Ok(Rhs::Value(json_list(&items)))
            }
            Prepared::List(_) if !kind.is_pattern() => Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "Field '{}' expected a number but got a list.",
                    out.name.as_deref().unwrap_or("None")
                ),
            )),
            other => {
                // Django's IntegerFieldFloatRounding: `gte`/`lt` round a float up.
                let other = match other {
                    Prepared::Value(Value::Float(f))
                        if out.kind.is_integer()
                            && matches!(kind, LookupKind::Gte | LookupKind::Lt) =>
                    {
                        Prepared::Value(Value::Float(f.ceil()))
                    }
                    other => other,
                };
                let v = match other {
                    // Text lookups on a JSONField compare its text, on a UUIDField its hex
                    // digits (Django's `UUIDTextMixin`, `prepare_rhs = False`): the value as it is.
                    Prepared::Value(v)
                        if matches!(out.kind, FieldKind::JsonField | FieldKind::UuidField)
                            && kind.is_textual() =>
                    {
                        v
                    }
                    // Regex's and the pattern lookups' `prepare_rhs = False`: the pattern
                    // is not the field's value (`pub_date__startswith='2005'`).
                    Prepared::Value(v)
                        if matches!(kind, LookupKind::Regex | LookupKind::IRegex)
                            || kind.is_pattern() =>
                    {
                        v
                    }
                    other => prep_related(schema, out, other)?,
                };
                Ok(Rhs::Value(match (kind, v) {
                    // The text itself (as `str()` gives it) moves.
                    (_, v @ Value::Text(_)) => v,
                    (LookupKind::Regex | LookupKind::IRegex, v) => Value::Text(v.to_python_str()),
                    (kind, v) if kind.is_pattern() => Value::Text(v.to_python_str()),
                    (_, v) => v,
                }))
            }
        },
    }
}

/// ArrayField's `exact`, `contains`, `contained_by` and `overlap` (Django's ArrayRHSMixin): a
/// list with an item other than None is an `ARRAY[...]` of the items as the base field
/// prepares them, anything else one parameter; either is cast to the field's type.
fn array_rhs(out: &OutputField, rhs: Prepared, tz: TzConfig) -> Result<Rhs> {
    let db_type = out.db_type()?;
    let rhs = match rhs {
        Prepared::List(items) if items.iter().any(|v| !v.is_null()) => {
            let base = out.base.as_deref().expect("db_type checked the base field");
            Rhs::Array(
                items
                    .into_iter()
                    .map(|v| prep_value(base.kind, base.name.as_deref(), v, tz))
                    .collect::<Result<_>>()?,
            )
        }
        Prepared::List(items) => Rhs::Value(json_list(&items)),
        Prepared::Value(v) | Prepared::Instance(_, v) => Rhs::Value(v),
        Prepared::Expr(e) => Rhs::Expr(e),
        Prepared::Exprs(_) => return Err(exprs_in_list()),
    };
    Ok(Rhs::Cast(Box::new(rhs), db_type))
}

/// A list as one JSON document (a jsonb or array parameter).
fn json_list(items: &[Value]) -> Value {
    Value::json(serde_json::Value::Array(
        items.iter().map(Value::to_json).collect(),
    ))
}

/// Related lookups accept instances of the related model (their pk) or plain values.
fn prep_related(schema: &crate::schema::Schema, out: &OutputField, v: Prepared) -> Result<Value> {
    match v {
        Prepared::Instance(model, pk) => {
            if let Some(related) = out.related_model
                && related != model
            {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    format!(
                        "Cannot query \"{}\": Must be \"{}\" instance.",
                        schema.model(model).name,
                        schema.model(related).name
                    ),
                ));
            }
            // Django's `get_normalized_value`.
            if pk.is_null() {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    "Model instances passed to related filters must be saved.",
                ));
            }
            Ok(pk)
        }
        Prepared::Value(v) => prep_value(out.kind, out.name.as_deref(), v, schema.tz),
        Prepared::List(_) | Prepared::Expr(_) | Prepared::Exprs(_) => Err(Diagnostic::new(
            ErrorKind::Type,
            "unsupported value in a lookup",
        )),
    }
}

/// A list holding expressions where only `__in` takes one.
fn exprs_in_list() -> Diagnostic {
    Diagnostic::new(
        ErrorKind::NotSupported,
        "expressions inside a list value are not supported by djq yet for this lookup",
    )
}

fn expected(name: Option<&str>, what: &str, got: &Value) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Value,
        format!(
            "Field '{}' expected {what} but got {}.",
            name.unwrap_or("None"),
            crate::value::python_repr(got)
        ),
    )
}

/// Django's `Field.get_prep_value` for the field kinds djq knows; datetimes follow the
/// project's `TIME_ZONE`/`USE_TZ` (`tz`).
pub fn prep_value(kind: FieldKind, name: Option<&str>, v: Value, tz: TzConfig) -> Result<Value> {
    use FieldKind::*;
    if v.is_null() {
        return Ok(v);
    }
    let k = match kind {
        ForeignKey | OneToOneField => IntegerField,
        k => k,
    };
    match k {
        // JSONField's get_db_prep_value: the value as a JSON document (psycopg's Jsonb).
        JsonField => Ok(match v {
            Value::Json(_) => v,
            other => Value::json(other.to_json()),
        }),
        // A list (a JSON array) binds as the array it is.
        ArrayField => Ok(v),
        k if k.is_integer() => match &v {
            Value::Int(_) => Ok(v),
            Value::Bool(b) => Ok(Value::Int(*b as i64)),
            Value::Float(f) => Ok(Value::Int(f.trunc() as i64)),
            Value::Decimal(d) => Ok(Value::Int(d.trunc().to_string().parse().unwrap_or(0))),
            Value::Text(s) => s
                .trim()
                .parse::<i64>()
                .map(Value::Int)
                .map_err(|_| expected(name, "a number", &v)),
            _ => Err(expected(name, "a number", &v)),
        },
        FloatField => match &v {
            Value::Int(i) => Ok(Value::Float(*i as f64)),
            Value::Float(_) => Ok(v),
            Value::Bool(b) => Ok(Value::Float(*b as i64 as f64)),
            Value::Text(s) => s
                .trim()
                .parse::<f64>()
                .map(Value::Float)
                .map_err(|_| expected(name, "a number", &v)),
            _ => Err(expected(name, "a number", &v)),
        },
        DecimalField => match &v {
            Value::Int(i) => Ok(Value::Decimal((*i).into())),
            Value::Float(f) => rust_decimal::Decimal::from_f64_retain(*f)
                .map(Value::Decimal)
                .ok_or_else(|| expected(name, "a number", &v)),
            Value::Decimal(_) => Ok(v),
            Value::Text(s) => s
                .trim()
                .parse()
                .map(Value::Decimal)
                .map_err(|_| invalid(&v, "value must be a decimal number")),
            _ => Err(invalid(&v, "value must be a decimal number")),
        },
        BooleanField => match &v {
            Value::Bool(_) => Ok(v),
            Value::Int(0) => Ok(Value::Bool(false)),
            Value::Int(1) => Ok(Value::Bool(true)),
            Value::Text(s) if matches!(s.as_str(), "t" | "True" | "1") => Ok(Value::Bool(true)),
            Value::Text(s) if matches!(s.as_str(), "f" | "False" | "0") => {
                Ok(Value::Bool(false))
            }
            _ => Err(invalid(&v, "value must be either True or False")),
        },
        DateField => match &v {
            Value::Date(_) => Ok(v),
            // Django makes an aware datetime naive in the default zone first (with USE_TZ).
            Value::DateTime(_) | Value::OffsetDateTime(_) if tz.use_tz => Ok(Value::Date(
                tz.localtime(v.instant().expect("aware")).date_naive(),
            )),
            Value::DateTime(dt) => Ok(Value::Date(dt.date_naive())),
            Value::OffsetDateTime(dt) => Ok(Value::Date(dt.date_naive())),
            Value::NaiveDateTime(dt) => Ok(Value::Date(dt.date())),
            Value::Text(s) => parse_date(s).map(Value::Date).ok_or_else(|| {
                invalid(&v, "value has an invalid date format. It must be in YYYY-MM-DD format")
            }),
            _ => Err(Diagnostic::new(
                ErrorKind::Type,
                format!("expected string or bytes-like object, got '{}'", type_name(&v)),
            )),
        },
        // A naive datetime is made aware in the current zone with USE_TZ (Django warns).
        DateTimeField => match &v {
            Value::DateTime(_) | Value::OffsetDateTime(_) => Ok(v),
            Value::NaiveDateTime(dt) => tz.field_value(*dt).ok_or_else(|| out_of_range(&v)),
            Value::Date(d) => tz
                .field_value(d.and_hms_opt(0, 0, 0).expect("midnight"))
                .ok_or_else(|| out_of_range(&v)),
            Value::Text(s) => parse_aware_datetime(s)
                .map(Value::DateTime)
                .or_else(|| parse_datetime(s).and_then(|dt| tz.field_value(dt)))
                .ok_or_else(|| {
                    invalid(
                        &v,
                        "value has an invalid format. It must be in YYYY-MM-DD HH:MM[:ss[.uuuuuu]][TZ] format",
                    )
                }),
            _ => Err(Diagnostic::new(
                ErrorKind::Type,
                format!("expected string or bytes-like object, got '{}'", type_name(&v)),
            )),
        },
        // UUIDField.to_python: `uuid.UUID(hex=...)` for a string, `UUID(int=...)` for an int.
        UuidField => match &v {
            Value::Uuid(_) => Ok(v),
            Value::Text(s) => crate::backend::dateparse::uuid(s)
                .map(Value::Uuid)
                .map_err(|_| invalid(&v, "is not a valid UUID")),
            Value::Int(i) if *i >= 0 => {
                let hex = format!("{i:032x}");
                Ok(Value::Uuid(crate::backend::dateparse::uuid(&hex).expect("32 hex digits")))
            }
            _ => Err(invalid(&v, "is not a valid UUID")),
        },
        TimeField => match &v {
            Value::Time(_) => Ok(v),
            Value::Text(s) => parse_time(s).map(Value::Time).ok_or_else(|| {
                invalid(&v, "value has an invalid format. It must be in HH:MM[:ss[.uuuuuu]] format")
            }),
            _ => Err(invalid(&v, "value has an invalid format")),
        },
        // A timedelta stays one (bound as microseconds where the database has no duration
        // type).
        DurationField if matches!(v, Value::Duration(_)) => Ok(v),
        // Bytes (a BLOB read from a text column) are written back as the bytes they are, where
        // Django's `str()` would store their repr: a save never alters what it did not set.
        _ => Ok(match v {
            Value::Text(_) | Value::Bytes(_) => v,
            other => Value::Text(other.to_python_str()),
        }),
    }
}

fn out_of_range(v: &Value) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Value,
        format!(
            "{} is out of range in the current time zone",
            v.to_python_str()
        ),
    )
}

fn invalid(v: &Value, what: &str) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Validation,
        format!("['“{}” {what}.']", v.to_python_str()),
    )
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Int(_) => "int",
        Value::Float(_) => "float",
        Value::Bool(_) => "bool",
        Value::Decimal(_) => "Decimal",
        _ => "object",
    }
}

pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

pub fn parse_time(s: &str) -> Option<NaiveTime> {
    let s = s.trim();
    ["%H:%M:%S%.f", "%H:%M"]
        .iter()
        .find_map(|f| NaiveTime::parse_from_str(s, f).ok())
}

/// A datetime string with a UTC offset, as its instant.
fn parse_aware_datetime(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let s = s.trim();
    chrono::DateTime::parse_from_rfc3339(&s.replace(' ', "T"))
        .ok()
        .map(|dt| dt.to_utc())
}

/// Django's `parse_datetime` (then `parse_date`) for DateTimeField values; zones → UTC.
pub fn parse_datetime(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    if let Some(dt) = parse_aware_datetime(s) {
        return Some(dt.naive_utc());
    }
    let s = s.trim_end_matches('Z');
    for f in [
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, f) {
            return Some(dt);
        }
    }
    parse_date(s).and_then(|d| d.and_hms_opt(0, 0, 0))
}

/// Python's `difflib.get_close_matches(word, possibilities)` (n=3, cutoff=0.6).
pub fn get_close_matches<'a>(word: &str, possibilities: &[&'a str]) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> = possibilities
        .iter()
        .map(|p| (sequence_ratio(p, word), *p))
        .filter(|(r, _)| *r >= 0.6)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| b.1.cmp(a.1)));
    scored.into_iter().take(3).map(|(_, p)| p).collect()
}

/// `difflib.SequenceMatcher(None, a, b).ratio()`.
fn sequence_ratio(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let total = a.len() + b.len();
    if total == 0 {
        return 1.0;
    }
    2.0 * matching_chars(&a, &b) as f64 / total as f64
}

fn matching_chars(a: &[char], b: &[char]) -> usize {
    // Longest common block (earliest in a, then b), then recurse on both sides.
    let (mut best_i, mut best_j, mut best) = (0, 0, 0);
    for i in 0..a.len() {
        for j in 0..b.len() {
            let mut k = 0;
            while i + k < a.len() && j + k < b.len() && a[i + k] == b[j + k] {
                k += 1;
            }
            if k > best {
                (best_i, best_j, best) = (i, j, k);
            }
        }
    }
    if best == 0 {
        return 0;
    }
    best + matching_chars(&a[..best_i], &b[..best_j])
        + matching_chars(&a[best_i + best..], &b[best_j + best..])
}

#[cfg(test)]
mod tests {

    use super::*;

    #[test]
    fn close_matches_like_difflib() {
        assert_eq!(
            get_close_matches("contain", FIELD_LOOKUPS),
            vec!["contains", "icontains"]
        );
        assert!(get_close_matches("foo", FIELD_LOOKUPS).is_empty());
    }
}
