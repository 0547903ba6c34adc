//! `Model._meta` (Django's `Options`) and its fields, an instance's `__dict__` and `_state`.

use super::Session;
use super::obj::{DjangoObj, Instance, make};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::native_any;
use crate::py::{Args, Native, Obj};
use crate::schema::{FieldKind, ModelId, ReverseVia};
use crate::value::Value;
use std::borrow::Cow;
use std::rc::Rc;

/// `Model._meta`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options(pub ModelId);

/// A field as `_meta` gives it: a concrete field, a many-to-many field, or a relation from
/// another model (Django's `ManyToOneRel`/`ManyToManyRel`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaField {
    Concrete(ModelId, usize),
    ManyToMany(ModelId, usize),
    Reverse(ModelId, usize),
    /// `generic_fks[i]`
    GenericForeignKey(ModelId, usize),
    /// `generic_relations[i]`
    GenericRelation(ModelId, usize),
    /// `generic_reverse[i]` (Django's `GenericRel`)
    GenericRel(ModelId, usize),
}

/// An instance's `_state`: whether it is yet to be inserted, and whether its database is
/// known (`db`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelState {
    pub adding: bool,
    pub db: bool,
}

impl ModelState {
    fn of(inst: &Instance) -> Obj {
        Obj::new_native(ModelState {
            adding: inst.adding(),
            db: inst.db_known(),
        })
    }
}

impl Native for Options {
    fn type_name(&self) -> Cow<'_, str> {
        "Options".into()
    }
    fn equals(&self, other: &dyn Native) -> bool {
        other.as_any().downcast_ref() == Some(self)
    }
    native_any!();
}

impl Native for MetaField {
    fn type_name(&self) -> Cow<'_, str> {
        match self {
            MetaField::ManyToMany(..) => "ManyToManyField".into(),
            MetaField::Reverse(..) => "ForeignObjectRel".into(),
            MetaField::Concrete(..) => "Field".into(),
            MetaField::GenericForeignKey(..) => "GenericForeignKey".into(),
            MetaField::GenericRelation(..) => "GenericRelation".into(),
            MetaField::GenericRel(..) => "GenericRel".into(),
        }
    }
    fn equals(&self, other: &dyn Native) -> bool {
        other.as_any().downcast_ref() == Some(self)
    }
    native_any!();
}

impl Native for ModelState {
    fn type_name(&self) -> Cow<'_, str> {
        "ModelState".into()
    }
    native_any!();
}

/// Django's `verbose_name` of a class name: `BlogPost` → `blog post`.
fn verbose(class: &str) -> String {
    let mut out = String::new();
    for (i, c) in class.chars().enumerate() {
        if c.is_uppercase() && i > 0 {
            out.push(' ');
        }
        out.extend(c.to_lowercase());
    }
    out
}

impl Session {
    /// `_meta`, `_state` and `__dict__` of a model class or instance, and the attributes of
    /// `_meta` and its fields; `None`: not one of these.
    pub(super) fn meta_attribute(&mut self, obj: &Obj, name: &str) -> Result<Option<Obj>> {
        let model = obj
            .model_class()
            .or_else(|| obj.native::<Instance>().map(|i| i.model));
        if let Some(m) = model {
            return Ok(match name {
                "_meta" => Some(self.options(m)),
                "_state" if let Some(inst) = obj.native::<Instance>() => Some(ModelState::of(inst)),
                "__dict__" if let Some(inst) = obj.native::<Instance>() => {
                    let mut pairs = vec![(Obj::str("_state"), ModelState::of(inst))];
                    pairs.extend(
                        inst.fields()
                            .into_iter()
                            .map(|(k, v)| (Obj::str(k), Obj::Value(v))),
                    );
                    Some(Obj::dict(pairs))
                }
                _ => None,
            });
        }
        if let Some(state) = obj.native::<ModelState>() {
            return Ok(match name {
                "adding" => Some(Obj::bool(state.adding)),
                "db" => Some(if state.db {
                    Obj::str("default")
                } else {
                    Obj::NONE
                }),
                _ => None,
            });
        }
        if let Some(Options(m)) = obj.native::<Options>().copied() {
            return self.options_attribute(m, name);
        }
        if let Some(f) = obj.native::<MetaField>().copied() {
            return self.field_attribute(f, name);
        }
        Ok(None)
    }

    /// The `_meta` of model `m` (one object per model, as in Django).
    fn options(&mut self, m: ModelId) -> Obj {
        self.host
            .python
            .metas
            .entry(m)
            .or_insert_with(|| Obj::new_native(Options(m)))
            .clone()
    }

    pub(super) fn options_attribute(&mut self, m: ModelId, name: &str) -> Result<Option<Obj>> {
        let model = self.host.schema.model(m);
        let meta_option = |s: &mut Session, option: &str| -> Result<Option<Obj>> {
            let Some(class) = s.model_python_class(m) else {
                return Ok(None);
            };
            let meta = class.dict.borrow().get("Meta").cloned();
            Ok(match meta {
                Some(Obj::Class(meta)) => meta.dict.borrow().get(option).cloned(),
                _ => None,
            })
        };
        let verbose_name = verbose(&model.name);
        Ok(Some(match name {
            "db_table" => Obj::str(model.table.clone()),
            "app_label" => Obj::str(model.app_label.clone()),
            "model_name" => Obj::str(model.name.to_lowercase()),
            "object_name" => Obj::str(model.name.clone()),
            "label" => Obj::str(format!("{}.{}", model.app_label, model.name)),
            "label_lower" => Obj::str(format!("{}.{}", model.app_label, model.name).to_lowercase()),
            "ordering" => Obj::list(model.ordering.iter().cloned().map(Obj::str).collect()),
            "pk" => Obj::new_native(MetaField::Concrete(m, model.pk)),
            "model" => make::model(m),
            "verbose_name" => {
                meta_option(self, "verbose_name")?.unwrap_or_else(|| Obj::str(verbose_name))
            }
            "verbose_name_plural" => match meta_option(self, "verbose_name_plural")? {
                Some(v) => v,
                None => match meta_option(self, "verbose_name")? {
                    Some(v) => Obj::str(format!("{}s", self.py_str(&v)?)),
                    None => Obj::str(format!("{verbose_name}s")),
                },
            },
            "get_fields" | "get_field" => Obj::Method(Rc::new(self.options(m)), name.into()),
            _ => return Ok(None),
        }))
    }

    fn field_attribute(&mut self, f: MetaField, name: &str) -> Result<Option<Obj>> {
        let schema = &self.host.schema;
        let (field_name, related) = match f {
            MetaField::Concrete(m, i) => {
                let field = &schema.model(m).fields[i];
                (field.name.clone(), field.relation.as_ref().map(|r| r.to))
            }
            MetaField::ManyToMany(m, i) => {
                let mm = &schema.model(m).m2m[i];
                (mm.name.clone(), Some(mm.to))
            }
            MetaField::Reverse(m, i) => {
                let r = &schema.model(m).reverse[i];
                (r.query_name.clone(), Some(r.from))
            }
            MetaField::GenericForeignKey(m, i) => {
                (schema.model(m).generic_fks[i].name.clone(), None)
            }
            MetaField::GenericRelation(m, i) => {
                let g = &schema.model(m).generic_relations[i];
                (g.name.clone(), Some(g.to))
            }
            MetaField::GenericRel(m, i) => {
                let r = &schema.model(m).generic_reverse[i];
                (r.query_name.clone(), Some(r.from))
            }
        };
        let concrete = match f {
            MetaField::Concrete(m, i) => Some((m, schema.model(m).fields[i].clone())),
            _ => None,
        };
        let number = |n: Option<u32>| n.map_or(Obj::NONE, |n| Obj::int(i64::from(n)));
        Ok(Some(match (name, &concrete) {
            ("name", _) => Obj::str(field_name),
            ("is_relation", _) => {
                Obj::bool(related.is_some() || matches!(f, MetaField::GenericForeignKey(..)))
            }
            ("related_model", _) => related.map_or(Obj::NONE, make::model),
            ("many_to_many", _) => Obj::bool(matches!(f, MetaField::ManyToMany(..))),
            ("concrete", _) => Obj::bool(concrete.is_some()),
            ("get_internal_type", _) => Obj::Method(Rc::new(Obj::new_native(f)), name.into()),
            ("attname", Some((_, field))) => Obj::str(field.attname()),
            ("column", Some((_, field))) => Obj::str(field.column.clone()),
            ("verbose_name", Some((_, field))) => Obj::str(field.name.replace('_', " ")),
            ("max_length", Some((_, field))) => number(field.max_length),
            ("max_digits", Some((_, field))) => number(field.decimal.map(|d| d.0)),
            ("decimal_places", Some((_, field))) => number(field.decimal.map(|d| d.1)),
            ("null", Some((_, field))) => Obj::bool(field.null),
            ("unique", Some((_, field))) => Obj::bool(field.unique),
            ("primary_key", Some((_, field))) => Obj::bool(field.primary_key),
            ("choices", Some((_, field))) if field.choices.is_empty() => Obj::NONE,
            ("choices", Some((_, field))) => Obj::list(
                field
                    .choices
                    .iter()
                    .map(|(v, label)| {
                        Obj::tuple(vec![Obj::Value(v.clone()), Obj::str(label.clone())])
                    })
                    .collect(),
            ),
            ("default", Some((m, field))) => match field.default.clone() {
                Some(expr) => self.eval_default(*m, &expr, |_, v| Ok(v))?,
                None => Obj::ExceptionClass("NOT_PROVIDED".into()),
            },
            _ => return Ok(None),
        }))
    }

    /// `_meta.get_fields()`, `_meta.get_field(name)`, `field.get_internal_type()`; `None`:
    /// not one of these.
    pub(super) fn meta_method(
        &mut self,
        recv: &Obj,
        name: &str,
        args: &Args,
    ) -> Option<Result<Obj>> {
        if let Some(f) = recv.native::<MetaField>().copied() {
            return (name == "get_internal_type")
                .then(|| Ok(Obj::str(internal_type(&self.host.schema, f))));
        }
        let Options(m) = recv.native::<Options>().copied()?;
        Some(match name {
            "get_fields" => {
                let hidden = matches!(
                    args.kwarg("include_hidden"),
                    Some(Obj::Value(Value::Bool(true)))
                );
                Ok(Obj::list(
                    self.meta_fields(m, hidden)
                        .into_iter()
                        .map(Obj::new_native)
                        .collect(),
                ))
            }
            "get_field" => match args.pos.first() {
                Some((Obj::Value(Value::Text(field)), span)) => self.get_field(m, field, *span),
                _ => Err(Diagnostic::new(
                    ErrorKind::Type,
                    "get_field() missing 1 required positional argument: 'field_name'",
                )
                .at(args.span)),
            },
            _ => return None,
        })
    }

    /// Django's `get_fields()`: a multi-table child's parents' fields first (but for the
    /// relations from their children's parent links), then relations from other models, the
    /// concrete fields and the many-to-many ones, then the private fields (the parents'
    /// after the model's own: Django copies them onto the child; GenericRelations the schema
    /// copies already).
    fn meta_fields(&self, m: ModelId, include_hidden: bool) -> Vec<MetaField> {
        let schema = &self.host.schema;
        let model = schema.model(m);
        let mut inherited: Vec<MetaField> = Vec::new();
        let mut inherited_private: Vec<MetaField> = Vec::new();
        for &(p, _) in &model.parents {
            for f in self.meta_fields(p, include_hidden) {
                let link = matches!(f, MetaField::Reverse(pm, i)
                    if schema.is_parent_link_reverse(pm, crate::schema::FieldRef::Reverse(i)));
                match f {
                    MetaField::GenericRelation(..) => {}
                    MetaField::GenericForeignKey(..) if !inherited_private.contains(&f) => {
                        inherited_private.push(f)
                    }
                    MetaField::GenericForeignKey(..) => {}
                    _ if !link && !inherited.contains(&f) => inherited.push(f),
                    _ => {}
                }
            }
        }
        let mut reverse: Vec<(usize, &crate::schema::ReverseRelation)> = model
            .reverse
            .iter()
            .enumerate()
            .filter(|(_, r)| {
                include_hidden || !(schema.model(r.from).auto_created || r.accessor.ends_with('+'))
            })
            .collect();
        // In the order the app registry has the models that declare them.
        reverse.sort_by_key(|(i, r)| (schema.model(r.from).declared.unwrap_or(usize::MAX), *i));
        inherited
            .into_iter()
            .chain(reverse.into_iter().map(|(i, _)| MetaField::Reverse(m, i)))
            .chain((0..model.generic_reverse.len()).map(|i| MetaField::GenericRel(m, i)))
            .chain((0..model.fields.len()).map(|i| MetaField::Concrete(m, i)))
            .chain((0..model.m2m.len()).map(|i| MetaField::ManyToMany(m, i)))
            .chain((0..model.generic_fks.len()).map(|i| MetaField::GenericForeignKey(m, i)))
            .chain(inherited_private)
            .chain((0..model.generic_relations.len()).map(|i| MetaField::GenericRelation(m, i)))
            .collect()
    }

    fn get_field(&self, m: ModelId, name: &str, span: Span) -> Result<Obj> {
        self.meta_fields(m, true)
            .into_iter()
            .find(|f| match *f {
                MetaField::Concrete(m, i) => {
                    let field = &self.host.schema.model(m).fields[i];
                    field.name == name
                }
                MetaField::ManyToMany(m, i) => self.host.schema.model(m).m2m[i].name == name,
                MetaField::Reverse(m, i) => self.host.schema.model(m).reverse[i].query_name == name,
                MetaField::GenericForeignKey(m, i) => {
                    self.host.schema.model(m).generic_fks[i].name == name
                }
                MetaField::GenericRelation(m, i) => {
                    self.host.schema.model(m).generic_relations[i].name == name
                }
                MetaField::GenericRel(m, i) => {
                    self.host.schema.model(m).generic_reverse[i].query_name == name
                }
            })
            .map(Obj::new_native)
            .ok_or_else(|| {
                Diagnostic::new(
                    ErrorKind::Python("FieldDoesNotExist".into()),
                    format!(
                        "{} has no field named '{name}'",
                        self.host.schema.model(m).name
                    ),
                )
                .at(span)
            })
    }
}

/// Django's `field.get_internal_type()`, also `type(field).__name__`.
pub(super) fn internal_type(schema: &crate::schema::Schema, f: MetaField) -> String {
    match f {
        MetaField::Concrete(m, i) => schema.model(m).fields[i].kind.django_name().to_string(),
        MetaField::ManyToMany(..) => "ManyToManyField".into(),
        MetaField::GenericForeignKey(..) => "GenericForeignKey".into(),
        MetaField::GenericRelation(..) => "GenericRelation".into(),
        MetaField::GenericRel(..) => "GenericRel".into(),
        MetaField::Reverse(m, i) => {
            let r = &schema.model(m).reverse[i];
            match r.via {
                ReverseVia::ManyToMany(_) => "ManyToManyRel".into(),
                ReverseVia::ForeignKey(fi)
                    if schema.model(r.from).fields[fi].kind == FieldKind::OneToOneField =>
                {
                    "OneToOneRel".into()
                }
                ReverseVia::ForeignKey(_) => "ManyToOneRel".into(),
            }
        }
    }
}
