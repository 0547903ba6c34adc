//! Composite primary keys (`pk = models.CompositePrimaryKey("tenant_id", "id")`, Django 5.2+,
//! or a table keyed by several columns): an instance's `pk` is the tuple of its key fields'
//! values, as in Django; lookups on it are row-value comparisons (`crate::query`'s tuple
//! lookups), `order_by("pk")` orders by each column, `values("pk")` selects each column and
//! rows hold them as one tuple, instances are equal by the whole key, `refresh_from_db()`
//! reloads the row its key finds, `save()` updates that row and inserts otherwise
//! (`create()`, `get_or_create()` too), `delete()` deletes by the key's row value (the
//! collector cascading through ordinary foreign keys), `update()` and `pk__in=<queryset>`
//! compare the key's row value with a subquery's key columns, `in_bulk()` keys its dict by
//! the tuples, `Count("pk")` counts the first column (`crate::query`'s aggregates). Deleting rows a
//! `ForeignObject` points at (whose cascade djq does not follow yet) and `bulk_*` are a
//! clear "not supported by djq yet" error, never a statement on the first key column alone.

use super::Session;
use super::obj::{DjangoObj, Instance};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Obj;
use crate::query::Operand;
use crate::schema::ModelId;
use crate::value::Value;
use std::rc::Rc;

/// Methods that write rows found by their key, not done for a composite one yet.
const WRITES: &[&str] = &[
    "bulk_create",
    "bulk_update",
    "add",
    "remove",
    "set",
    "clear",
];

impl Session {
    /// The attnames of `model`'s composite primary key (`None`: a single-field key).
    pub(super) fn composite_attnames(&self, model: ModelId) -> Option<Rc<[String]>> {
        let m = self.host.schema.model(model);
        (!m.composite_pk.is_empty()).then(|| {
            (m.composite_pk.iter())
                .map(|&i| m.fields[i].attname())
                .collect()
        })
    }

    /// The values of an instance's composite key, in key order (`None`: a single-field key).
    pub(super) fn composite_key(&self, inst: &Instance) -> Option<Vec<Value>> {
        let model = self.host.schema.model(inst.model);
        if model.composite_pk.is_empty() {
            return None;
        }
        let values = (model.composite_pk.iter())
            .map(|&i| inst.get(&model.fields[i].attname()).unwrap_or(Value::Null));
        Some(values.collect())
    }

    /// The right-hand side of `pk=` finding `inst`'s row: a composite key's values (a
    /// row value), else the key's one value.
    pub(super) fn pk_operand(&self, inst: &Instance) -> Operand {
        match self.composite_key(inst) {
            Some(key) => Operand::values(key),
            None => {
                let pk = self.host.schema.model(inst.model).pk_field().attname();
                Operand::Value(inst.get(&pk).unwrap_or(Value::Null))
            }
        }
    }

    /// Deleting rows of `model` that a `ForeignObject` points at is refused: its cascade
    /// (Django deletes the referring rows by their columns' row value) is not done yet.
    pub(super) fn refuse_foreign_object_cascade(&self, model: ModelId) -> Result<()> {
        let Some((m, name, class)) = self.foreign_object_to(model) else {
            return Ok(());
        };
        let target = &self.host.schema.model(model).name;
        Err(Diagnostic::new(
            ErrorKind::NotSupported,
            format!(
                "deleting {target} rows is not supported by djq yet: {m}.{name} is a {class} \
                 to {target}, whose cascade djq cannot follow"
            ),
        ))
    }

    /// A `ForeignObject` pointing at `model`: its model's name, its name and class.
    pub(super) fn foreign_object_to(&self, model: ModelId) -> Option<(&str, &str, &str)> {
        let target = &self.host.schema.model(model).name;
        self.host.schema.models.iter().find_map(|m| {
            (m.unsupported.iter())
                .find(|d| &d.to == target)
                .map(|d| (m.name.as_str(), d.name.as_str(), d.class.as_str()))
        })
    }

    /// `instance.pk` of a model keyed by several fields: the tuple of their values.
    pub(super) fn composite_pk_value(&self, inst: &Instance) -> Option<Obj> {
        let model = self.host.schema.model(inst.model);
        if model.composite_pk.is_empty() {
            return None;
        }
        let values = model
            .composite_pk
            .iter()
            .map(|&i| Obj::Value(inst.get(&model.fields[i].attname()).unwrap_or(Value::Null)));
        Some(Obj::tuple(values.collect()))
    }

    /// A write (`name`) on an instance, manager or queryset of a model keyed by several
    /// fields: refused before anything runs.
    pub(super) fn refuse_composite_write(&self, recv: &Obj, name: &str, span: Span) -> Result<()> {
        if !WRITES.contains(&name) {
            return Ok(());
        }
        let model = match (recv.instance(), recv.manager(), recv.queryset()) {
            (Some(inst), _, _) => inst.model,
            (_, Some(m), _) => m,
            (_, _, Some(qs)) => qs.query.model,
            _ => return Ok(()),
        };
        self.refuse_composite(model, &format!("{name}() with"))
            .map_err(|d| d.at(span))
    }

    /// Refuse to write rows of `model` by its key when that key is composite.
    pub(super) fn refuse_composite(&self, model: ModelId, what: &str) -> Result<()> {
        let m = self.host.schema.model(model);
        if m.composite_pk.is_empty() {
            return Ok(());
        }
        Err(crate::schema::composite_pk_unsupported(m, what))
    }
}
