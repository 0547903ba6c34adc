//! Multi-table inheritance on instances: saving the parents' rows before the child's
//! (Django's `_save_parents`), and one-to-one links seen from their target —
//! `place.restaurant` (Django's `ReverseOneToOneDescriptor`), which multi-table inheritance
//! gives every parent for each child model.

use super::Session;
use super::obj::{Instance, QsKind, QuerySet, make};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Obj;
use crate::query::{Expr, Operand, QChild, QNode, Query, SelectItem};
use crate::schema::ModelId;
use crate::value::Value;
use std::rc::Rc;

/// An `update()` of an ancestor's table: the ancestor, the query its values were resolved
/// on, and its `(column, value)`s.
pub(super) type ParentUpdate = (ModelId, Query, Vec<(String, Expr)>);

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
        let mut cached = inst.related(accessor);
        if cached.is_none() && self.fetch_for_peers(inst, accessor, true, span)? {
            cached = inst.related(accessor);
        }
        if let Some(cached) = cached {
            return cached
                .map(|r| make::instance(Rc::new(r)))
                .ok_or_else(missing);
        }
        let schema = &self.host.schema;
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

    /// `update()` of a multi-table child's queryset that sets inherited fields (Django's
    /// related updates): the rows' keys are selected first, then the child's own table is
    /// updated by key (when it has values to set) and each ancestor's table by its key.
    /// The number of rows the first UPDATE that ran changed.
    pub(super) fn update_with_parents(
        &mut self,
        mut select: Query,
        own: &[(String, Expr)],
        parents: Vec<ParentUpdate>,
    ) -> Result<u64> {
        let schema = &self.host.schema;
        let model = select.model;
        let mut names = vec![schema.model(model).pk_field().name.clone()];
        // Where each ancestor's key is among the selected columns: the child's own key
        // when the links up to it are primary keys, else the ancestor's key selected too.
        let mut index = Vec::with_capacity(parents.len());
        for (owner, ..) in &parents {
            let chain = schema.base_chain(model, *owner).unwrap_or_default();
            if (chain.iter()).all(|&(from, link)| schema.model(from).fields[link].primary_key) {
                index.push(0);
            } else {
                index.push(names.len());
                names.push(schema.model(*owner).pk_field().name.clone());
            }
        }
        select.clear_ordering(true, true);
        select.select_related = crate::query::SelectRelated::None;
        let base = select.base_alias().clone();
        select.ref_alias(&base);
        select.select = Vec::with_capacity(names.len());
        for name in names {
            let expr = select.resolve_ref(schema, &name, None)?;
            select.select.push(SelectItem {
                name,
                expr,
                aliased: false,
            });
        }
        select.default_cols = false;
        let keys = QuerySet::new(
            select,
            QsKind::ValuesList {
                flat: false,
                named: false,
            },
        );
        let mut rows: Vec<Vec<Value>> = Vec::new();
        self.run_select(&keys, &mut |_, row| {
            rows.push(row);
            Ok(())
        })?;
        let keys_query = |s: &Session, mut q: Query, column: usize| -> Result<Query> {
            let values = rows.iter().map(|r| r[column].clone());
            q.add_q(
                &s.host.schema,
                &QNode::leaf("pk__in", Operand::values(values)),
            )?;
            Ok(q)
        };
        let mut changed = None;
        if !own.is_empty() {
            let q = keys_query(self, Query::new(&self.host.schema, model), 0)?;
            changed = Some(self.update_rows(model, q, own, 0)?);
        }
        for ((owner, q, set), column) in parents.into_iter().zip(index) {
            let q = keys_query(self, q, column)?;
            let n = self.update_rows(owner, q, &set, 0)?;
            if changed.is_none() && n > 0 {
                changed = Some(n);
            }
        }
        Ok(changed.unwrap_or(0))
    }
}
