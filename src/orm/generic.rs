//! Generic relations as Django's `django.contrib.contenttypes.fields` has them: reading a
//! `GenericForeignKey` (`tag.content_object`: the content type by id, then the object by pk),
//! assigning it (`tag.content_object = book` sets both columns), `prefetch_related()` of one
//! (a query per content type), a `GenericRelation`'s related manager (`bookmark.tags`:
//! filtered on the owner's content type and pk, with `create/add/remove/clear`), and the rows
//! a delete cascades to through a GenericRelation (Django's `bulk_related_objects`).

use super::Session;
use super::obj::{DjangoObj, Instance, QuerySet, RelatedKind, RelatedLink, ResultCache, make};
use super::prefetch::Fetched;
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Obj};
use crate::query::{Operand, QChild, QNode, Query};
use crate::schema::{GenericForeignKey, GenericRelation, ModelId};
use crate::value::Value;
use std::rc::Rc;

/// Does an object id (an integer, or the text of one in a CharField/TextField object id)
/// name this primary key? (Django converts it with the primary key's `to_python`.)
fn same_key(pk: &Value, object_id: &Value) -> bool {
    pk == object_id || pk.to_python_str() == object_id.to_python_str()
}

fn leaf(key: String, value: Operand, span: Span) -> QChild {
    QChild::Leaf { key, value, span }
}

impl Session {
    /// `instance.content_object`: the cached object while its columns still name it, else
    /// the content type (`get_for_id`, cached) and `get(pk=...)` on its model; `None` when
    /// either is missing.
    pub(super) fn generic_object(
        &mut self,
        inst: &Rc<Instance>,
        g: &GenericForeignKey,
        span: Span,
    ) -> Result<Obj> {
        let model = self.host.schema.model(g.owner).clone();
        let ct_attname = model.fields[g.ct_field].attname();
        let fk_attname = model.fields[g.fk_field].attname();
        let ct_id = inst.get(&ct_attname).unwrap_or(Value::Null);
        let fk = inst.get(&fk_attname).unwrap_or(Value::Null);
        if let Some(cached) = inst.related(&g.name) {
            let still = match &cached {
                None => true,
                Some(o) => {
                    let pk = self.host.schema.model(o.model).pk_field().attname();
                    let schema = &self.host.schema;
                    let ct = match g.for_concrete_model {
                        true => schema.content_type_id(o.model),
                        false => schema.own_content_type_id(o.model),
                    };
                    ct.map(Value::Int) == Some(ct_id.clone())
                        && o.get(&pk).is_some_and(|pk| same_key(&pk, &fk))
                }
            };
            if still {
                return Ok(cached.map_or(Obj::NONE, |o| make::instance(Rc::new(o))));
            }
        }
        if ct_id.is_null() {
            inst.set_related(&g.name, None);
            return Ok(Obj::NONE);
        }
        if self.fetch_for_peers(inst, &g.name, true, span)?
            && let Some(loaded) = inst.related(&g.name)
        {
            return Ok(loaded.map_or(Obj::NONE, |o| make::instance(Rc::new(o))));
        }
        let ct = self.content_type_by_id(&ct_id, span)?;
        let Some(target) = self.content_type_class(&ct) else {
            return Err(Diagnostic::new(
                ErrorKind::Attribute,
                "'NoneType' object has no attribute '_base_manager'",
            )
            .at(span));
        };
        self.note_lazy_load(
            format!("{}.{}", model.name, g.name),
            format!("prefetch_related('{}')", g.name),
        );
        let mut qs = self.manager_queryset(target);
        let pk_name = self.host.schema.model(target).pk_field().name.clone();
        qs.query.add_q(
            &self.host.schema,
            &QNode::new(vec![leaf(pk_name, Operand::Value(fk), span)], Vec::new()),
        )?;
        qs.query.clear_ordering(true, true);
        qs.query.set_limits(None, Some(21));
        let found = self
            .fetch_all(&qs)?
            .first()
            .and_then(|o| o.native::<Instance>().cloned());
        inst.set_related(&g.name, found.clone());
        Ok(found.map_or(Obj::NONE, |o| make::instance(Rc::new(o))))
    }

    /// `instance.content_object = obj` (also `Model(content_object=obj)`): the content type
    /// field gets `obj`'s content type (`get_for_model`, cached), the object id field its pk.
    pub(super) fn set_generic(
        &mut self,
        inst: &Instance,
        g: &GenericForeignKey,
        value: Obj,
        span: Span,
    ) -> Result<()> {
        let model = self.host.schema.model(g.owner);
        let ct_name = model.fields[g.ct_field].name.clone();
        let fk_attname = model.fields[g.fk_field].attname();
        let (ct, fk, object) = match &value {
            Obj::Value(Value::Null) => (Obj::NONE, Value::Null, None),
            o if let Some(obj) = o.native::<Instance>() => {
                let ct = match g.for_concrete_model {
                    true => self.content_type_for(obj.model, span)?,
                    false => self.content_type_of(obj.model, span)?,
                };
                let pk = self.host.schema.model(obj.model).pk_field().attname();
                let fk = obj.get(&pk).unwrap_or(Value::Null);
                (make::instance(ct), fk, Some(obj.clone()))
            }
            other => {
                return Err(Diagnostic::new(
                    ErrorKind::Attribute,
                    format!("'{}' object has no attribute '_meta'", other.type_name()),
                )
                .at(span));
            }
        };
        self.set_attribute(inst, &ct_name, ct, span)?;
        inst.set(&fk_attname, fk);
        inst.set_related(&g.name, object);
        Ok(())
    }

    /// `prefetch_related('content_object')`: for each content type among `objs` (in the order
    /// first seen), its model's rows whose pk is among theirs — from the queryset a
    /// GenericPrefetch gives for that type, if any.
    pub(super) fn prefetch_generic(
        &mut self,
        objs: &[Instance],
        g: &GenericForeignKey,
        custom: Option<&super::generic_prefetch::GenericPrefetch>,
    ) -> Result<Fetched> {
        let custom = match custom {
            Some(p) => self.generic_prefetch_querysets(p, g.for_concrete_model)?,
            None => Vec::new(),
        };
        let model = self.host.schema.model(g.owner).clone();
        let ct_attname = model.fields[g.ct_field].attname();
        let fk_attname = model.fields[g.fk_field].attname();
        // (content type id, object ids) in the order Django's dict of sets keeps them.
        let mut wanted: Vec<(Value, Vec<Value>)> = Vec::new();
        for inst in objs {
            let ct = inst.get(&ct_attname).unwrap_or(Value::Null);
            let fk = inst.get(&fk_attname).unwrap_or(Value::Null);
            if ct.is_null() || fk.is_null() {
                continue;
            }
            match wanted.iter_mut().find(|(c, _)| *c == ct) {
                Some((_, fks)) if !fks.contains(&fk) => fks.push(fk),
                Some(_) => {}
                None => wanted.push((ct, vec![fk])),
            }
        }
        let mut cts = Vec::new();
        let mut rows = Vec::new();
        for (ct_id, fks) in wanted {
            let mut qs = match custom.iter().find(|(c, _)| *c == ct_id) {
                Some((_, qs)) => qs.clone(),
                None => {
                    let ct = self.content_type_by_id(&ct_id, Span::default())?;
                    let Some(target) = self.content_type_class(&ct) else {
                        continue;
                    };
                    self.manager_queryset(target)
                }
            };
            let target = qs.query.model;
            let pk_name = self.host.schema.model(target).pk_field().name.clone();
            let keys = super::related::python_set_order(&fks);
            qs.query.add_q(
                &self.host.schema,
                &QNode::leaf(format!("{pk_name}__in"), Operand::values(keys)),
            )?;
            for o in self.fetch_all(&qs)? {
                if let Some(i) = o.instance() {
                    cts.push(ct_id.clone());
                    rows.push(i);
                }
            }
        }
        let of = objs
            .iter()
            .map(|inst| {
                let ct = inst.get(&ct_attname).unwrap_or(Value::Null);
                let fk = inst.get(&fk_attname).unwrap_or(Value::Null);
                (0..rows.len())
                    .find(|&j| {
                        let pk = self.host.schema.model(rows[j].model).pk_field().attname();
                        cts[j] == ct && rows[j].get(&pk).is_some_and(|pk| same_key(&pk, &fk))
                    })
                    .into_iter()
                    .collect()
            })
            .collect();
        Ok(Fetched {
            rows,
            of,
            more: Vec::new(),
        })
    }

    /// `bookmark.tags`: the GenericRelation's related manager, on the owner's content type
    /// (`get_for_model`, cached) and pk.
    pub(super) fn generic_related_manager(
        &mut self,
        inst: &Rc<Instance>,
        g: &GenericRelation,
        span: Span,
    ) -> Result<Obj> {
        let owner = self.host.schema.model(inst.model).clone();
        let ct = match g.for_concrete_model {
            true => self.content_type_for(inst.model, span)?,
            false => self.content_type_of(inst.model, span)?,
        };
        let ct_id = ct.get("id").unwrap_or(Value::Null);
        let (ct_name, fk_name) = g.field_names(&self.host.schema);
        let pk_attname = owner.pk_field().attname();
        let pk = inst.get(&pk_attname).unwrap_or(Value::Null);
        let mut qs = self.manager_queryset(g.to);
        qs.via = Some(Rc::new((
            format!("{}.{}", owner.name, g.name),
            format!("prefetch_related('{}')", g.name),
        )));
        qs.related = Some(Rc::new(RelatedLink {
            instance: inst.clone(),
            owner_attname: pk_attname,
            kind: RelatedKind::Generic {
                model: g.to,
                names: (ct_name.clone(), fk_name.clone()),
                content_type: ct_id.clone(),
            },
        }));
        qs.query.add_q(
            &self.host.schema,
            &QNode::new(
                Vec::new(),
                vec![
                    leaf(format!("{ct_name}__pk"), Operand::Value(ct_id), span),
                    leaf(fk_name, Operand::Value(pk), span),
                ],
            ),
        )?;
        if let Some(items) = inst.prefetched(&g.name) {
            qs.cache = ResultCache::prefetched(items);
        }
        Ok(make::queryset(qs))
    }

    /// A GenericRelation's rows for `owners` (its content type and their pks): what
    /// deleting the owners deletes (`bulk_related_objects`).
    pub(super) fn generic_rows(
        &mut self,
        owner_model: ModelId,
        g: &GenericRelation,
        owners: &[Value],
    ) -> Result<Query> {
        let filter = self.generic_rows_filter(owner_model, g, owners)?;
        let mut q = Query::new(&self.host.schema, g.to);
        q.add_q(&self.host.schema, &filter)?;
        Ok(q)
    }

    /// The filter of a GenericRelation's rows for `owners`: what a prefetch loads.
    fn generic_rows_filter(
        &mut self,
        owner_model: ModelId,
        g: &GenericRelation,
        owners: &[Value],
    ) -> Result<QNode> {
        let ct = self.content_type_for(owner_model, Span::default())?;
        let (ct_name, fk_name) = g.field_names(&self.host.schema);
        Ok(QNode::new(
            Vec::new(),
            vec![
                leaf(
                    format!("{ct_name}__pk"),
                    Operand::Value(ct.get("id").unwrap_or(Value::Null)),
                    Span::default(),
                ),
                leaf(
                    format!("{fk_name}__in"),
                    Operand::values(owners.iter().cloned()),
                    Span::default(),
                ),
            ],
        ))
    }

    /// `prefetch_related('tags')` of a GenericRelation: one query for every owner's rows
    /// (`base`, a Prefetch's queryset, in place of the related model's).
    pub(super) fn prefetch_generic_relation(
        &mut self,
        objs: &[Instance],
        g: &GenericRelation,
        base: Option<QuerySet>,
    ) -> Result<Fetched> {
        let owner_model = objs[0].model;
        let pk = self.host.schema.model(owner_model).pk_field().attname();
        let fk_attname = g.fields(&self.host.schema).1.attname();
        let owners: Vec<Value> = objs.iter().filter_map(|i| i.get(&pk)).collect();
        if owners.is_empty() {
            return Ok(Fetched {
                rows: Vec::new(),
                of: vec![Vec::new(); objs.len()],
                more: Vec::new(),
            });
        }
        let rows = self.generic_rows_filter(owner_model, g, &owners)?;
        let mut qs = base.unwrap_or_else(|| {
            QuerySet::new(
                Query::new(&self.host.schema, g.to),
                super::obj::QsKind::Instances,
            )
        });
        qs.query.add_q(&self.host.schema, &rows)?;
        let more = std::mem::take(&mut qs.prefetch);
        let rows: Vec<Rc<Instance>> = (self.fetch_all(&qs)?.into_iter())
            .filter_map(|o| o.instance())
            .collect();
        let of = objs
            .iter()
            .map(|inst| {
                let key = inst.get(&pk);
                (0..rows.len())
                    .filter(|&j| rows[j].get(&fk_attname) == key)
                    .collect()
            })
            .collect();
        Ok(Fetched { rows, of, more })
    }

    /// A GenericRelation manager's writes (Django's `GenericRelatedObjectManager`, bulk):
    /// `create`/`get_or_create`/`update_or_create` with the owner's content type and pk,
    /// `add` (one UPDATE of both columns), `remove` and `clear` (a `delete()` of the rows).
    pub(super) fn generic_related_method(
        &mut self,
        link: &RelatedLink,
        qs: &QuerySet,
        name: &str,
        args: &Args,
    ) -> Option<Result<Obj>> {
        let RelatedKind::Generic {
            model,
            names,
            content_type,
        } = &link.kind
        else {
            return None;
        };
        let span = args.span;
        let content_type = match self.content_type_by_id(content_type, span) {
            Ok(ct) => ct,
            Err(d) => return Some(Err(d)),
        };
        let names = names.clone();
        let owner = link
            .instance
            .get(&link.owner_attname)
            .unwrap_or(Value::Null);
        let mut plain = qs.clone();
        plain.related = None;
        let bulk = !matches!(args.kwarg("bulk"), Some(Obj::Value(Value::Bool(false))));
        let mut args = args.clone();
        args.kw.retain(|(k, _, _)| k != "bulk");
        let target = GenericTarget {
            model: *model,
            names,
            content_type,
            owner,
        };
        Some(match name {
            "create" | "get_or_create" | "update_or_create" => {
                let (ct_name, fk_name) = target.names.clone();
                args.kw
                    .push((ct_name, make::instance(target.content_type.clone()), span));
                args.kw
                    .push((fk_name, Obj::Value(target.owner.clone()), span));
                self.queryset_method(Rc::new(plain), name, args)
            }
            "add" => self
                .generic_add(&target, &args.pos, bulk, span)
                .map(|()| Obj::NONE),
            "remove" => self
                .generic_keys(*model, &args.pos, false)
                .and_then(|keys| self.generic_clear(plain, Some(keys), bulk, span))
                .map(|()| Obj::NONE),
            "clear" => self
                .generic_clear(plain, None, bulk, span)
                .map(|()| Obj::NONE),
            "set" => self
                .generic_set(&target, plain, &args, bulk)
                .map(|()| Obj::NONE),
            _ => return None,
        })
    }

    /// `remove(*objs)` / `clear()`: the manager's rows (those of `keys` only) deleted, in one
    /// `delete()` (bulk) or one instance at a time.
    fn generic_clear(
        &mut self,
        mut rows: QuerySet,
        keys: Option<Vec<Value>>,
        bulk: bool,
        span: Span,
    ) -> Result<()> {
        if let Some(keys) = keys {
            let pk = self
                .host
                .schema
                .model(rows.query.model)
                .pk_field()
                .name
                .clone();
            rows.query.add_q(
                &self.host.schema,
                &QNode::leaf(format!("{pk}__in"), Operand::values(keys)),
            )?;
        }
        let none = Args {
            pos: Vec::new(),
            kw: Vec::new(),
            span,
        };
        if bulk {
            return self.delete_queryset(&rows, &none).map(|_| ());
        }
        for o in self.fetch_all(&rows)? {
            if let Some(inst) = o.instance() {
                self.delete_instance(&inst, &none)?;
            }
        }
        Ok(())
    }

    /// `set(objs, clear=False)`: the manager's objects not among `objs` removed, the new ones
    /// added (Django reads the current ones first).
    fn generic_set(
        &mut self,
        target: &GenericTarget,
        rows: QuerySet,
        args: &Args,
        bulk: bool,
    ) -> Result<()> {
        args.no_kwargs_except(&["clear"], "set")?;
        let Some((objs, at)) = args.pos.first() else {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                "set() missing 1 required positional argument: 'objs'",
            )
            .at(args.span));
        };
        let items: Vec<(Obj, Span)> = self
            .iter_obj(objs, &crate::py::args::dummy(*at))?
            .into_iter()
            .map(|o| (o, *at))
            .collect();
        if matches!(args.kwarg("clear"), Some(Obj::Value(Value::Bool(true)))) {
            self.generic_clear(rows, None, bulk, args.span)?;
            return self.generic_add(target, &items, bulk, args.span);
        }
        let pk = self.host.schema.model(target.model).pk_field().attname();
        let key = |o: &Obj| o.instance().and_then(|i| i.get(&pk));
        let mut old: Vec<Value> = self.fetch_all(&rows)?.iter().filter_map(key).collect();
        let mut new = Vec::new();
        for (o, at) in items {
            match key(&o).and_then(|k| old.iter().position(|v| *v == k)) {
                Some(i) => {
                    old.remove(i);
                }
                None => new.push((o, at)),
            }
        }
        let old = super::related::python_set_order(&old);
        self.generic_clear(rows, Some(old), true, args.span)?;
        self.generic_add(target, &new, bulk, args.span)
    }

    /// The pks of `args`' objects, instances of `model` (saved ones for `add`).
    fn generic_keys(
        &mut self,
        model: ModelId,
        objs: &[(Obj, Span)],
        saved: bool,
    ) -> Result<Vec<Value>> {
        let m = self.host.schema.model(model);
        let pk = m.pk_field().attname();
        let mut keys = Vec::new();
        for (o, at) in objs {
            let Some(inst) = o.native::<Instance>().filter(|i| i.model == model) else {
                let name = m.name.clone();
                let got = self.repr(o)?;
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("'{name}' instance expected, got {got}"),
                )
                .at(*at));
            };
            if saved && inst.adding() {
                let shown = self.repr(o)?;
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    format!(
                        "{shown} instance isn't saved. Use bulk=False or save the object first."
                    ),
                )
                .at(*at));
            }
            keys.push(inst.get(&pk).unwrap_or(Value::Null));
        }
        Ok(keys)
    }

    /// `manager.add(*objs)`: both columns set on each object and, in one UPDATE, in the
    /// database (`filter(pk__in=...).update(content_type=..., object_id=...)`); with
    /// `bulk=False`, each object saved.
    fn generic_add(
        &mut self,
        target: &GenericTarget,
        objs: &[(Obj, Span)],
        bulk: bool,
        span: Span,
    ) -> Result<()> {
        let keys = self.generic_keys(target.model, objs, bulk)?;
        let (ct_name, fk_name) = &target.names;
        let ct = || make::instance(target.content_type.clone());
        for (o, at) in objs {
            if let Some(inst) = o.instance() {
                self.set_attribute(&inst, ct_name, ct(), *at)?;
                self.set_attribute(&inst, fk_name, Obj::Value(target.owner.clone()), *at)?;
                if !bulk {
                    self.save(
                        &inst,
                        &Args {
                            pos: Vec::new(),
                            kw: Vec::new(),
                            span,
                        },
                    )?;
                }
            }
        }
        if !bulk {
            return Ok(());
        }
        let pk = self.host.schema.model(target.model).pk_field().name.clone();
        let mut qs = self.manager_queryset(target.model);
        qs.query.add_q(
            &self.host.schema,
            &QNode::leaf(format!("{pk}__in"), Operand::values(keys)),
        )?;
        let update = Args {
            pos: Vec::new(),
            kw: vec![
                (ct_name.clone(), ct(), span),
                (fk_name.clone(), Obj::Value(target.owner.clone()), span),
            ],
            span,
        };
        self.queryset_method(Rc::new(qs), "update", update)?;
        Ok(())
    }
}

/// What a GenericRelation manager writes: rows of `model` whose fields `names` (content type,
/// object id) get `content_type` and `owner`.
struct GenericTarget {
    model: ModelId,
    names: (String, String),
    content_type: Rc<Instance>,
    owner: Value,
}
