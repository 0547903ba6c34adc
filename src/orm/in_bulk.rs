//! `QuerySet.in_bulk()`: a dict keyed by the primary key (or a unique field) of the
//! queryset's rows — instances, or the `values()`/`values_list()` rows, selecting the key
//! first when it is not among them (Django's `in_bulk` per iterable class).

use super::Session;
use super::obj::{Instance, QsKind, QuerySet};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Obj};
use crate::query::{QChild, QNode};
use crate::value::Value;

/// How a `values()`/`values_list()` row gives its key and its value.
#[derive(Clone, Copy)]
enum Shape {
    /// A dict: the key is its `field_name` item, which is dropped when `in_bulk` added it.
    Dict { added: bool },
    /// A tuple: the key is its item `index`; an added key (index 0) is dropped.
    Tuple { index: usize, added: bool },
    /// A flat `values_list` of the key itself.
    Same,
    /// A flat `values_list` of another field, made a pair (key, value).
    Pair,
}

impl Shape {
    fn split(self, o: &Obj, field_name: &str) -> (Obj, Obj) {
        match self {
            Shape::Dict { added } => {
                let Obj::Dict(d) = o else {
                    return (Obj::NONE, o.clone());
                };
                let mut pairs = d.borrow().clone();
                let at = (pairs.iter()).position(
                    |(k, _)| matches!(k, Obj::Value(Value::Text(t)) if **t == *field_name),
                );
                let key = at.map_or(Obj::NONE, |i| pairs[i].1.clone());
                if added && let Some(i) = at {
                    pairs.remove(i);
                }
                (key, Obj::dict(pairs))
            }
            Shape::Tuple { index, added } => {
                let items = o.items().unwrap_or_default();
                let key = items.get(index).cloned().unwrap_or(Obj::NONE);
                match o {
                    Obj::Tuple(_) if added => (key, Obj::tuple(items[1..].to_vec())),
                    _ => (key, o.clone()),
                }
            }
            Shape::Same => (o.clone(), o.clone()),
            Shape::Pair => {
                let items = o.items().unwrap_or_default();
                let at = |i: usize| items.get(i).cloned().unwrap_or(Obj::NONE);
                (at(0), at(1))
            }
        }
    }
}

impl Session {
    /// `in_bulk(id_list=None, *, field_name='pk')`: `{value: instance}`.
    pub(super) fn in_bulk(&mut self, mut qs: QuerySet, args: &Args) -> Result<Obj> {
        args.no_kwargs_except(&["id_list", "field_name"], "QuerySet.in_bulk")?;
        let span = args.span;
        let field_name = match args.kwarg("field_name") {
            None => "pk".to_string(),
            Some(Obj::Value(Value::Text(s))) => s.clone(),
            Some(other) => {
                return Err(type_error(
                    &format!("field_name must be a string, not {}", other.type_name()),
                    span,
                ));
            }
        };
        if qs.query.is_sliced() {
            return Err(type_error(
                "Cannot use 'limit' or 'offset' with in_bulk().",
                span,
            ));
        }
        let model = self.host.schema.model(qs.query.model);
        let unique = field_name == "pk"
            || model.fields.iter().any(|f| {
                (f.name == field_name || f.attname() == field_name) && (f.unique || f.primary_key)
            });
        if !unique {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                format!("in_bulk()'s field_name must be a unique field but '{field_name}' isn't."),
            )
            .at(span));
        }
        let attname = if field_name == "pk" {
            model.pk_field().attname()
        } else {
            model
                .fields
                .iter()
                .find(|f| f.name == field_name || f.attname() == field_name)
                .map(|f| f.attname())
                .unwrap_or_else(|| field_name.clone())
        };
        let ids = args
            .pos
            .first()
            .map(|(o, _)| o)
            .or_else(|| args.kwarg("id_list"))
            .cloned();
        if let Some(ids) = ids.filter(|o| !o.is_none()) {
            let items = self.iter_obj(&ids, &crate::py::args::dummy(span))?;
            if items.is_empty() {
                return Ok(Obj::dict(Vec::new()));
            }
            let list = Obj::list(items);
            let leaf = QChild::Leaf {
                key: format!("{field_name}__in"),
                value: self.operand(&list, span)?,
                span,
            };
            qs.query
                .add_q(&self.host.schema, &QNode::new(vec![leaf], Vec::new()))
                .map_err(|d| d.at(span))?;
        }
        let shape = self.in_bulk_shape(&mut qs, &field_name, span)?;
        let objs = self.fetch_all(&qs).map_err(|d| d.at(span))?;
        let pairs = objs
            .into_iter()
            .map(|o| {
                if let Some(shape) = shape {
                    return shape.split(&o, &field_name);
                }
                let key = match &o {
                    // A composite key's tuple.
                    o if let Some(i) = o.native::<Instance>()
                        && field_name == "pk"
                        && let Some(pk) = self.composite_pk_value(i) =>
                    {
                        pk
                    }
                    o if let Some(i) = o.native::<Instance>() => {
                        Obj::Value(i.get(&attname).unwrap_or(Value::Null))
                    }
                    _ => Obj::NONE,
                };
                (key, o)
            })
            .collect();
        Ok(Obj::dict(pairs))
    }

    /// For a `values()`/`values_list()` queryset: select the key first when it is not
    /// selected (Django's `qs.values(field_name, *selected_fields)`) and say how a row splits.
    fn in_bulk_shape(
        &mut self,
        qs: &mut QuerySet,
        field_name: &str,
        span: Span,
    ) -> Result<Option<Shape>> {
        let q = &qs.query;
        let mut selected: Vec<String> = if q.select.is_empty() && q.default_cols {
            let schema = &self.host.schema;
            (schema.concrete_fields(q.model).into_iter())
                .map(|(m, i)| schema.model(m).fields[i].attname())
                .collect()
        } else {
            q.select.iter().map(|s| s.name.clone()).collect()
        };
        selected.dedup();
        let index = selected.iter().position(|n| n == field_name);
        let with_key = |s: &mut Session, qs: &mut QuerySet| {
            let fields: Vec<(String, Span)> = std::iter::once(field_name.to_string())
                .chain(selected.iter().cloned())
                .map(|n| (n, span))
                .collect();
            s.set_query_values(&mut qs.query, &fields)
        };
        Ok(Some(match qs.kind {
            QsKind::Instances => return Ok(None),
            QsKind::Values => {
                if index.is_none() {
                    with_key(self, qs)?;
                }
                Shape::Dict {
                    added: index.is_none(),
                }
            }
            QsKind::ValuesList { flat: false, .. } => match index {
                Some(index) => Shape::Tuple {
                    index,
                    added: false,
                },
                None => {
                    with_key(self, qs)?;
                    Shape::Tuple {
                        index: 0,
                        added: true,
                    }
                }
            },
            QsKind::ValuesList { flat: true, .. } => {
                if selected == [field_name] {
                    Shape::Same
                } else {
                    with_key(self, qs)?;
                    qs.kind = QsKind::ValuesList {
                        flat: false,
                        named: false,
                    };
                    Shape::Pair
                }
            }
        }))
    }
}

fn type_error(msg: &str, span: Span) -> Diagnostic {
    Diagnostic::new(ErrorKind::Type, msg).at(span)
}
