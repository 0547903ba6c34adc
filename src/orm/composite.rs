//! Composite primary keys (`pk = models.CompositePrimaryKey("tenant_id", "id")`, Django 5.2+,
//! or a table keyed by several columns): an instance's `pk` is the tuple of its key fields'
//! values, as in Django, and reads that do not name the key work as on any model. What djq
//! cannot do with such a key yet — lookups on `pk`, writes that find rows by their key — is a
//! clear "not supported by djq yet" error, never a statement on the first key column alone.

use super::Session;
use super::obj::{DjangoObj, Instance};
use crate::diag::{Result, Span};
use crate::py::Obj;
use crate::schema::ModelId;
use crate::value::Value;

/// Methods that write rows found by their key (or that give an instance one).
const WRITES: &[&str] = &[
    "save",
    "delete",
    "refresh_from_db",
    "update",
    "create",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "add",
    "remove",
    "set",
    "clear",
];

impl Session {
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
