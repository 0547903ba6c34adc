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
use crate::schema::{ModelId, ReverseVia};
use crate::value::Value;
use std::rc::Rc;

/// A prefetch level's queryset, with the attnames matching its rows to the instances (the
/// instances', the rows').
pub(super) type PrefetchQuery = (QuerySet, (Vec<String>, Vec<String>));

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
        let rows = row_values(objs, &source);
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
        filter_by_rows(&self.host.schema, &mut qs, key, rows)?;
        Ok(Some(Some((qs, (source, target), forward))))
    }

    /// `prefetch_related()` of a many-to-many through `ForeignObject`s (`mm`, from its
    /// declaring model when `forward`): the other side's rows filtered by the row value of
    /// the through model's columns, which each row selects as Django's
    /// `_prefetch_related_val_<column>`s; `None` when no instance has its key.
    pub(super) fn prefetch_through_objects(
        &mut self,
        objs: &[Instance],
        mm: &crate::schema::ManyToMany,
        forward: bool,
        base: Option<QuerySet>,
    ) -> Result<Option<PrefetchQuery>> {
        let Some([source, target]) = &mm.through_objects else {
            return Ok(None);
        };
        let (into, out) = if forward {
            (source, target)
        } else {
            (target, source)
        };
        let schema = &self.host.schema;
        let through = schema.model(mm.through);
        let fo = |name: &str| {
            (through.foreign_object(name)).map(|i| (i, through.foreign_objects[i].clone()))
        };
        let (Some((_, into)), Some((out, out_fo))) = (fo(into), fo(out)) else {
            return Ok(None);
        };
        let fetched = schema.model(out_fo.to);
        let back = (fetched.foreign_object_reverse.iter())
            .find(|r| r.from == mm.through && r.relation == out)
            .ok_or_else(|| {
                Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "prefetch_related('{}') through {}.{}, which has no way back, is not supported by djq yet",
                        mm.name, through.name, out_fo.name
                    ),
                )
            })?;
        let key = format!("{}__{}__in", back.query_name, into.name);
        let owner = schema.model(into.to);
        let source: Vec<String> = (into.pairs.iter())
            .map(|p| owner.fields[p.1].attname())
            .collect();
        let target: Vec<String> = (into.pairs.iter())
            .map(|p| format!("_prefetch_related_val_{}", through.fields[p.0].column))
            .collect();
        let rows = row_values(objs, &source);
        if rows.is_empty() {
            return Ok(None);
        }
        let mut qs = match base {
            Some(qs) => qs,
            None => self.default_queryset(out_fo.to)?,
        };
        filter_by_rows(&self.host.schema, &mut qs, key, rows)?;
        qs.query.add_prefetch_source(&self.host.schema, 0);
        Ok(Some((qs, (source, target))))
    }

    /// The many-to-many through `ForeignObject`s that `name` reaches from `model`'s
    /// instances: the model declaring it, its index there, and whether that is `model`.
    pub(super) fn through_objects_relation(
        &self,
        model: ModelId,
        name: &str,
    ) -> Option<(ModelId, usize, bool)> {
        let schema = &self.host.schema;
        let m = schema.model(model);
        if let Some(mi) = (m.m2m.iter()).position(|mm| mm.name == name) {
            return m.m2m[mi]
                .through_objects
                .is_some()
                .then_some((model, mi, true));
        }
        let r = m.reverse.iter().find(|r| r.accessor == name)?;
        let ReverseVia::ManyToMany(mi) = r.via else {
            return None;
        };
        let mm = &schema.model(r.from).m2m[mi];
        mm.through_objects.is_some().then_some((r.from, mi, false))
    }

    /// `club.players` of a many-to-many through `ForeignObject`s (`declaring.m2m[mi]`, seen
    /// from its declaring model when `forward`): the other side's rows whose through row's
    /// columns hold the instance's values (Django's core filters, one per column, in name
    /// order). Reads only: its writes are not supported by djq yet.
    pub(super) fn through_objects_manager(
        &mut self,
        inst: &Instance,
        (declaring, mi, forward): (ModelId, usize, bool),
        name: &str,
        span: Span,
    ) -> Result<Obj> {
        let schema = &self.host.schema;
        let mm = &schema.model(declaring).m2m[mi];
        let [source, target] = mm.through_objects.clone().expect("through ForeignObjects");
        let (into, fetched, query_name) = if forward {
            let back = (schema.model(mm.to).reverse.iter()).find(|r| {
                r.from == declaring && matches!(r.via, ReverseVia::ManyToMany(i) if i == mi)
            });
            (source, mm.to, back.map(|r| r.query_name.clone()))
        } else {
            (target, declaring, Some(mm.name.clone()))
        };
        let through = schema.model(mm.through);
        let not_supported = || {
            Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "the related manager of {}.{} (through ForeignObjects) is not supported by djq yet",
                    schema.model(declaring).name,
                    mm.name
                ),
            )
            .at(span)
        };
        let (Some(query_name), Some(i)) = (query_name, through.foreign_object(&into)) else {
            return Err(not_supported());
        };
        let owner = schema.model(through.foreign_objects[i].to);
        let mut leaves: Vec<(String, Value)> = (through.foreign_objects[i].pairs.iter())
            .map(|&(_, to)| {
                let f = &owner.fields[to];
                let value = inst.get(&f.attname()).unwrap_or(Value::Null);
                (format!("{query_name}__{}", f.name), value)
            })
            .collect();
        leaves.sort_by(|a, b| a.0.cmp(&b.0));
        let mut qs = self.default_queryset(fetched)?;
        let leaves = leaves.into_iter().map(|(key, value)| QChild::Leaf {
            key,
            value: Operand::Value(value),
            span,
        });
        qs.query
            .add_q(&self.host.schema, &QNode::new(leaves.collect(), Vec::new()))?;
        if let Some(items) = inst.prefetched(name) {
            qs.cache = ResultCache::prefetched(items);
        }
        Ok(make::queryset(qs))
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

/// The distinct row values of `keys` over the instances, in order (rows holding a NULL left
/// out).
fn row_values(objs: &[Instance], keys: &[String]) -> Vec<Operand> {
    let mut rows: Vec<Operand> = Vec::new();
    for inst in objs {
        let row: Vec<Value> = (keys.iter())
            .map(|k| inst.get(k).unwrap_or(Value::Null))
            .collect();
        let row = Operand::values(row);
        if !matches!(&row, Operand::List(r) if r.contains(&Operand::Value(Value::Null)))
            && !rows.contains(&row)
        {
            rows.push(row);
        }
    }
    rows
}

/// `qs.filter(<key>=<rows>)`: a prefetch's rows by the values the instances hold.
fn filter_by_rows(
    schema: &crate::schema::Schema,
    qs: &mut QuerySet,
    key: String,
    rows: Vec<Operand>,
) -> Result<()> {
    let leaf = QChild::Leaf {
        key,
        value: Operand::List(rows),
        span: Span::default(),
    };
    qs.query.add_q(schema, &QNode::new(vec![leaf], Vec::new()))
}
