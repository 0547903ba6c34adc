//! Composite primary keys (`pk = models.CompositePrimaryKey("tenant_id", "id")`, Django 5.2+,
//! or a table keyed by several columns): an instance's `pk` is the tuple of its key fields'
//! values, as in Django; lookups on it are row-value comparisons (`crate::query`'s tuple
//! lookups), `order_by("pk")` orders by each column, `values("pk")` selects each column and
//! rows hold them as one tuple, instances are equal by the whole key, `refresh_from_db()`
//! reloads the row its key finds, `save()` updates that row and inserts otherwise
//! (`create()`, `get_or_create()` too; `Model(pk=(...))` sets the key's fields), `delete()`
//! deletes by the key's row value (the collector cascading through ordinary foreign keys),
//! `update()` and `pk__in=<queryset>` compare the key's row value with a subquery's key
//! columns, `in_bulk()` keys its dict by the tuples, `bulk_create()` inserts the key's
//! columns, `bulk_update()` finds each object by its key's row value, `Count("pk")` counts
//! the first column (`crate::query`'s aggregates).
//!
//! `ForeignObject`s (several columns to another model's fields): `Model(rel=instance)` sets
//! its columns, `prefetch_related()` fetches across it (either way) by a row-value `IN`, and
//! its way back is a related manager (`product.stock`) filtering by the
//! row value, whose `create()` sets the columns and whose `add`/`set` raise Django's
//! FieldError; deleting the rows it points at cascades to the rows referring to them by
//! their columns' row value (other `on_delete`s are not supported yet). A related manager's `add()` of
//! composite-keyed objects finds them by their keys' row values (read after setting the
//! relation, as Django does); its `remove()`/`clear()` of a nullable relation is a clear "not
//! supported by djq yet" error, never a statement on the first key column alone.

use super::Session;
use super::obj::{Instance, QuerySet, RelatedKind, RelatedLink, ResultCache, make};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Obj;
use crate::query::{Operand, QChild, QNode};
use crate::schema::ModelId;
use crate::value::Value;
use std::rc::Rc;

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

    /// `Model(name=o)` where `name` is a `ForeignObject` (`o` an instance of its model, or
    /// None) or a composite `pk` (`o` a tuple): the attnames and values it sets; `None` when
    /// `name` is neither.
    pub(super) fn multi_column_kwarg(
        &mut self,
        model: ModelId,
        name: &str,
        o: &Obj,
        span: Span,
    ) -> Result<Option<Vec<(String, Value)>>> {
        let m = self.host.schema.model(model);
        if name == "pk" && !m.composite_pk.is_empty() {
            let key: Vec<_> = (m.composite_pk.iter())
                .map(|&i| (m.fields[i].attname(), m.fields[i].kind))
                .collect();
            let items = o.items().filter(|i| i.len() == key.len()).ok_or_else(|| {
                Diagnostic::new(
                    ErrorKind::Value,
                    format!("'pk' must be a list or a tuple with {} elements", key.len()),
                )
                .at(span)
            })?;
            let mut set = Vec::with_capacity(key.len());
            for ((attname, kind), item) in key.into_iter().zip(items) {
                set.push((attname, self.plain_value(kind, &item, span)?));
            }
            return Ok(Some(set));
        }
        let Some(i) = m.foreign_object(name) else {
            return Ok(None);
        };
        let m = m.clone();
        let fo = &m.foreign_objects[i];
        let target = self.host.schema.model(fo.to).clone();
        let value = |to: usize| match o.native::<Instance>() {
            Some(inst) => inst
                .get(&target.fields[to].attname())
                .unwrap_or(Value::Null),
            None => Value::Null,
        };
        match o {
            o if o.native::<Instance>().is_some_and(|i| i.model == fo.to) => {}
            Obj::Value(Value::Null) => {}
            other => {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    format!(
                        "Cannot assign \"{}\": \"{}.{name}\" must be a \"{}\" instance.",
                        self.repr(other)?,
                        m.name,
                        target.name
                    ),
                )
                .at(span));
            }
        }
        let set = (fo.pairs.iter())
            .map(|&(from, to)| (m.fields[from].attname(), value(to)))
            .collect();
        Ok(Some(set))
    }

    /// `product.stock`: the related manager of the way back of a `ForeignObject`
    /// (`model.foreign_object_reverse[i]`), the rows whose columns hold the owner's values.
    pub(super) fn foreign_object_manager(
        &mut self,
        inst: &Rc<Instance>,
        i: usize,
        name: &str,
        span: Span,
    ) -> Result<Obj> {
        let owner = self.host.schema.model(inst.model).clone();
        let back = &owner.foreign_object_reverse[i];
        let fo = self.host.schema.model(back.from).foreign_objects[back.relation].clone();
        let attname = |to: usize| owner.fields[to].attname();
        let values =
            (fo.pairs.iter()).map(|&(_, to)| inst.get(&attname(to)).unwrap_or(Value::Null));
        let values: Vec<Value> = values.collect();
        let mut qs = self.default_queryset(back.from)?;
        qs.via = Some(Rc::new((
            format!("{}.{name}", owner.name),
            format!("prefetch_related('{name}')"),
        )));
        qs.related = Some(Rc::new(RelatedLink {
            instance: inst.clone(),
            owner_attname: attname(fo.pairs[0].1),
            kind: RelatedKind::ForeignObject {
                model: back.from,
                field: fo.name.clone(),
            },
        }));
        let leaf = QChild::Leaf {
            key: fo.name.clone(),
            value: Operand::values(values),
            span,
        };
        qs.query
            .add_q(&self.host.schema, &QNode::new(vec![leaf], Vec::new()))
            .map_err(|d| d.at(span))?;
        if let Some(items) = inst.prefetched(name) {
            qs.cache = ResultCache::prefetched(items);
        }
        Ok(make::queryset(qs))
    }

    /// `prefetch_related(name)` of a `ForeignObject` or its way back, over `objs` (instances
    /// of `model`): the query (a row-value `IN` over the distinct values of the instances'
    /// columns), the attnames matching instances with fetched objects (theirs, the fetched
    /// ones'), and whether one object is fetched per instance; `Some(None)`: no instance
    /// has the values; `None`: `name` is neither.
    #[allow(clippy::type_complexity)]
    pub(super) fn prefetch_foreign_object(
        &mut self,
        model: ModelId,
        name: &str,
        objs: &[Instance],
    ) -> Result<Option<Option<(QuerySet, (Vec<String>, Vec<String>), bool)>>> {
        let schema = &self.host.schema;
        let m = schema.model(model);
        let (from_id, fo, forward) = if let Some(i) = m.foreign_object(name) {
            (model, m.foreign_objects[i].clone(), true)
        } else if let Some(i) = m.foreign_object_accessor(name) {
            let back = &m.foreign_object_reverse[i];
            (
                back.from,
                schema.model(back.from).foreign_objects[back.relation].clone(),
                false,
            )
        } else {
            return Ok(None);
        };
        let (from, to) = (schema.model(from_id).clone(), schema.model(fo.to).clone());
        let from_keys: Vec<String> = fo
            .pairs
            .iter()
            .map(|p| from.fields[p.0].attname())
            .collect();
        let to_keys: Vec<String> = fo.pairs.iter().map(|p| to.fields[p.1].attname()).collect();
        let (source, target) = match forward {
            true => (from_keys, to_keys),
            false => (to_keys, from_keys),
        };
        let mut rows: Vec<Operand> = Vec::new();
        for inst in objs {
            let row: Vec<Value> = (source.iter())
                .map(|k| inst.get(k).unwrap_or(Value::Null))
                .collect();
            let row = Operand::values(row);
            if !matches!(&row, Operand::List(r) if r.contains(&Operand::Value(Value::Null)))
                && !rows.contains(&row)
            {
                rows.push(row);
            }
        }
        if rows.is_empty() {
            return Ok(Some(None));
        }
        // Forward: the target's rows by the fields pointed at (its composite key); back: the
        // referring rows by the relation itself.
        let (mut qs, key) = if forward {
            if to.composite_pk != fo.pairs.iter().map(|p| p.1).collect::<Vec<_>>() {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "prefetch_related('{name}') of a ForeignObject to fields other than \
                         {}'s primary key is not supported by djq yet",
                        to.name
                    ),
                ));
            }
            let mut qs = self.base_queryset(fo.to)?;
            qs.query.clear_ordering(true, true);
            (qs, "pk__in".to_string())
        } else {
            (self.default_queryset(from_id)?, format!("{}__in", fo.name))
        };
        let leaf = QChild::Leaf {
            key,
            value: Operand::List(rows),
            span: Span::default(),
        };
        qs.query
            .add_q(&self.host.schema, &QNode::new(vec![leaf], Vec::new()))?;
        Ok(Some(Some((qs, (source, target), forward))))
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

    /// Refuse to write rows of `model` by its key when that key is composite.
    pub(super) fn refuse_composite(&self, model: ModelId, what: &str) -> Result<()> {
        let m = self.host.schema.model(model);
        if m.composite_pk.is_empty() {
            return Ok(());
        }
        Err(crate::schema::composite_pk_unsupported(m, what))
    }
}
