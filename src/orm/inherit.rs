//! Multi-table inheritance on instances: saving the parents' rows before the child's
//! (Django's `_save_parents`), and one-to-one links seen from their target —
//! `place.restaurant` (Django's `ReverseOneToOneDescriptor`), which multi-table inheritance
//! gives every parent for each child model.

use super::Session;
use super::obj::{Instance, make};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Obj;
use crate::query::{Operand, QChild, QNode};
use crate::schema::ModelId;
use crate::value::Value;
use std::rc::Rc;

impl Session {
    /// `instance.<accessor>` for the one-to-one field `from.fields[field]` pointing at the
    /// instance's model: the one object on the other side, queried once and kept. None
    /// there raises Django's `Venue.cafe.RelatedObjectDoesNotExist`, a `Cafe.DoesNotExist`
    /// and an `AttributeError` ("Venue has no cafe.").
    pub(super) fn reverse_one_to_one(
        &mut self,
        inst: &Rc<Instance>,
        accessor: &str,
        (from, field): (ModelId, usize),
        span: Span,
    ) -> Result<Obj> {
        let schema = &self.host.schema;
        let model = schema.model(inst.model).clone();
        let kind = ErrorKind::RelatedObjectDoesNotExist(Box::new((
            format!("{}.{accessor}", model.name),
            schema.model(from).name.clone(),
        )));
        let missing =
            move || Diagnostic::new(kind, format!("{} has no {accessor}.", model.name)).at(span);
        if let Some(cached) = inst.related(accessor) {
            return cached
                .map(|r| make::instance(Rc::new(r)))
                .ok_or_else(missing);
        }
        let model = schema.model(inst.model).clone();
        let f = &schema.model(from).fields[field];
        let to_field = f.relation.as_ref().map_or(model.pk, |r| r.to_field);
        let key = format!("{}__{}", f.name, model.fields[to_field].name);
        let value = inst
            .get(&model.fields[to_field].attname())
            .unwrap_or(Value::Null);
        let mut qs = self.manager_queryset(from);
        let leaf = QChild::Leaf {
            key,
            value: Operand::Value(value),
            span,
        };
        qs.query
            .add_q(&self.host.schema, &QNode::new(vec![leaf], Vec::new()))?;
        qs.query.clear_ordering(true, true);
        qs.query.set_limits(None, Some(21));
        let loaded = self
            .fetch_all(&qs)?
            .first()
            .and_then(|o| o.native::<Instance>().cloned());
        inst.set_related(accessor, loaded.clone());
        loaded
            .map(|r| make::instance(Rc::new(r)))
            .ok_or_else(missing)
    }

    /// Django's `_save_parents`: save each multi-table parent's table (its own parents
    /// first), each parent once (`done`: the parents saved so far and whether they were
    /// updated), then copy the parent's primary key into the link. Whether a parent row
    /// was inserted (the child's row must then be too).
    pub(super) fn save_parents(
        &mut self,
        inst: &Rc<Instance>,
        model: ModelId,
        update_fields: Option<&[String]>,
        done: &mut Vec<(ModelId, bool)>,
    ) -> Result<bool> {
        let mut inserted = false;
        for (parent, link) in self.host.schema.model(model).parents.clone() {
            let schema = &self.host.schema;
            let link_attname = schema.model(model).fields[link].attname();
            let parent_pk = schema.model(parent).pk_field().attname();
            let is_null = |name: &str| inst.get(name).is_none_or(|v| v.is_null());
            if is_null(&parent_pk) && !is_null(&link_attname) {
                inst.set(&parent_pk, inst.get(&link_attname).unwrap_or(Value::Null));
            }
            match done.iter().find(|(p, _)| *p == parent) {
                Some(&(_, updated)) => inserted |= !updated,
                None => {
                    let parent_inserted = self.save_parents(inst, parent, update_fields, done)?;
                    let updated =
                        self.save_table(inst, parent, update_fields, parent_inserted, false)?;
                    inserted |= !updated;
                    done.push((parent, updated));
                }
            }
            inst.set(&link_attname, inst.get(&parent_pk).unwrap_or(Value::Null));
        }
        Ok(inserted)
    }
}
