//! Running queries: compile, log, execute through the backend, and turn rows into
//! instances, dicts or tuples; `prefetch_related` queries; attribute access on instances.

use super::Session;
use super::obj::make;
use super::obj::{Instance, Layout, QsKind, QuerySet, RelatedKind, RelatedLink, ResultCache};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Obj;
use crate::query::setup::{Plan, PlanCol};
use crate::query::{Operand, QChild, QNode};
use crate::schema::ReverseVia;
use crate::sql::Statement;
use crate::value::Value;
use std::ops::ControlFlow;
use std::rc::Rc;

/// Methods of model instances djq implements (besides `get_FOO_display()`).
pub const INSTANCE_METHODS: &[&str] = &[
    "save",
    "delete",
    "refresh_from_db",
    "full_clean",
    "clean_fields",
    "clean",
];

impl Session {
    /// Run a SELECT, handing each raw row to `on_row`; returns the plan. Runs nothing (and
    /// calls nothing) when Django would run no query, or with `--sql-only`.
    pub(super) fn run_select(
        &mut self,
        qs: &QuerySet,
        on_row: &mut dyn FnMut(&Plan, Vec<Value>) -> Result<()>,
    ) -> Result<Plan> {
        self.check_for_update(qs)?;
        let compiled = self.compile_select(&qs.query)?;
        let plan = *compiled.plan;
        let Some(st) = compiled.statement else {
            return Ok(plan);
        };
        let types: Vec<_> = plan.columns.iter().map(|c| c.ty).collect();
        let local = self.local_columns(&plan);
        self.run_rows(&st, &types, &mut |mut row| {
            super::tz::localize(&mut row, &local);
            on_row(&plan, row)
        })
        .map_err(|d| qs.blamed(d))?;
        Ok(plan)
    }

    /// Log and run one statement, streaming its rows.
    pub(super) fn run_rows(
        &mut self,
        st: &Statement,
        types: &[crate::value::ValueType],
        on_row: &mut dyn FnMut(Vec<Value>) -> Result<()>,
    ) -> Result<()> {
        if !self.announce(st)? {
            return Ok(());
        }
        let ran = self.on_backend(|b| {
            b.query(&st.sql, &st.params, types, &mut |row| {
                on_row(row).map(|()| ControlFlow::Continue(()))
            })
        });
        self.host.log.finish();
        ran
    }

    /// Record a statement about to run and echo its SQL; whether to run it (not with
    /// `--sql-only`, where it is only recorded).
    pub(super) fn announce(&mut self, st: &Statement) -> Result<bool> {
        if !self.host.opts.sql_only {
            for &model in &st.content_types {
                self.content_type_for(model, Span::default())?;
            }
        }
        self.note_statement(st.clone());
        if self.host.opts.sql_only {
            return Ok(false);
        }
        self.show_sql(st)?;
        Ok(true)
    }

    /// Django's `QuerySet.iterator()`: `qs`'s query runs once, through a cursor read
    /// `chunk_size` rows at a time. Each chunk becomes objects (their `prefetch_related()`
    /// lookups fetched for the chunk) handed to `each` in turn, until `each` breaks: only one
    /// chunk is held at a time, and the result cache is neither read nor filled. The cursor is
    /// closed however the iteration ends (done, break, error, Ctrl-C). Errors of the query
    /// point at `at`.
    pub(super) fn stream<B>(
        &mut self,
        qs: &QuerySet,
        chunk_size: usize,
        at: Span,
        mut each: impl FnMut(&mut Session, Obj) -> Result<ControlFlow<B>>,
    ) -> Result<ControlFlow<B>> {
        self.note_via(qs);
        let compiled = self.compile_select(&qs.query).map_err(|d| d.at(at))?;
        let plan = compiled.plan;
        let Some(st) = compiled.statement else {
            return Ok(ControlFlow::Continue(()));
        };
        if !self.announce(&st)? {
            return Ok(ControlFlow::Continue(()));
        }
        let failed = |d: Diagnostic| qs.blamed(d).at(at);
        let types: Vec<_> = plan.columns.iter().map(|c| c.ty).collect();
        let cursor = self
            .on_backend(|b| b.open_cursor(&st.sql, &st.params, &types))
            .map_err(failed)?;
        let prefetching = qs.kind == QsKind::Instances && !qs.prefetch.is_empty();
        let layouts =
            Layouts::of(&plan, self.composite_attnames(qs.query.model)).with_extras(&qs.query);
        let converters = self.converters(qs, &plan);
        let local = self.local_columns(&plan);
        let mut chunks = |s: &mut Session| loop {
            let rows = s
                .on_backend(|b| b.fetch(cursor, chunk_size))
                .map_err(failed)?;
            let last = rows.len() < chunk_size;
            let mut objs: Vec<Obj> = rows
                .into_iter()
                .map(|mut row| {
                    super::tz::localize(&mut row, &local);
                    row_to_obj(&qs.kind, qs.query.model, &plan, &layouts, row)
                })
                .collect();
            if !converters.is_empty() {
                s.convert_rows(&mut objs, &converters)
                    .map_err(|d| d.at(at))?;
            }
            if prefetching {
                s.prefetch(qs, &mut objs).map_err(|d| d.at(at))?;
            }
            for o in objs {
                if let ControlFlow::Break(b) = each(s, o)? {
                    return Ok(ControlFlow::Break(b));
                }
            }
            if last {
                return Ok(ControlFlow::Continue(()));
            }
        };
        let result = chunks(self);
        let closed = self.on_backend(|b| b.close_cursor(cursor));
        // An error of the iteration is the one to report: closing may fail after it (in a
        // transaction the error aborted), adding nothing.
        let flow = result?;
        closed.map_err(failed)?;
        Ok(flow)
    }

    /// Run a queryset's query (and its prefetches) into Python objects (instances, dicts,
    /// tuples or scalars). Does not use or fill the result cache: see [`Session::evaluate`].
    pub(super) fn fetch_all(&mut self, qs: &QuerySet) -> Result<Vec<Obj>> {
        self.note_via(qs);
        let mut out = Vec::new();
        let kind = qs.kind.clone();
        let model = qs.query.model;
        let mut layouts = None;
        let key = self.composite_attnames(model);
        // The plan, kept when a field's own from_db_value() may convert its rows.
        let mut plan_of = None;
        let converting = self.has_from_db_value();
        self.run_select(qs, &mut |plan, row| {
            let layouts = layouts
                .get_or_insert_with(|| Layouts::of(plan, key.clone()).with_extras(&qs.query));
            if converting && plan_of.is_none() {
                plan_of = Some(plan.clone());
            }
            out.push(row_to_obj(&kind, model, plan, layouts, row));
            Ok(())
        })?;
        if let Some(plan) = plan_of {
            let converters = self.converters(qs, &plan);
            if !converters.is_empty() {
                self.convert_rows(&mut out, &converters)?;
            }
        }
        if kind == QsKind::Instances && !qs.prefetch.is_empty() && !self.host.opts.sql_only {
            self.prefetch(qs, &mut out)?;
        }
        super::obj::Fetch::mark(qs.fetch_mode, &out);
        Ok(out)
    }

    /// A queryset's results, from its cache or by running it (which fills the cache), as
    /// Django's `_fetch_all`.
    pub(super) fn evaluate(&mut self, qs: &QuerySet) -> Result<Rc<Vec<Obj>>> {
        if let Some(items) = qs.cache.get() {
            return Ok(items);
        }
        let items = Rc::new(self.fetch_all(qs)?);
        qs.cache.set(items.clone());
        Ok(items)
    }

    /// A query of a related manager's objects counts toward the N+1 warning.
    fn note_via(&mut self, qs: &QuerySet) {
        if let Some(via) = &qs.via {
            self.note_lazy_load(via.0.clone(), via.1.clone());
        }
    }

    pub(super) fn count(&mut self, qs: &QuerySet) -> Result<i64> {
        self.note_via(qs);
        let Some(st) = self.compile_count(&qs.query)? else {
            return Ok(0);
        };
        let mut n = 0;
        self.run_rows(&st, &[crate::value::ValueType::Int], &mut |row| {
            if let Some(Value::Int(i)) = row.first() {
                n = *i;
            }
            Ok(())
        })?;
        Ok(n)
    }

    /// `aggregate()` over a subquery: the one row as a dict, `None` when nothing ran.
    pub(super) fn fetch_aggregate_over(
        &mut self,
        inner: &crate::query::Query,
        aggs: &[crate::query::SelectItem],
    ) -> Result<Option<Obj>> {
        let Some(st) = self.compile_aggregate_over(inner, aggs)? else {
            return Ok(None);
        };
        let types: Vec<_> = aggs
            .iter()
            .map(|a| inner.result_type(&self.host.schema, &a.expr))
            .collect();
        let mut out = None;
        self.run_rows(&st, &types, &mut |row| {
            let pairs = aggs
                .iter()
                .zip(row)
                .map(|(a, v)| (Obj::str(a.name.clone()), Obj::Value(v)))
                .collect();
            out = Some(Obj::dict(pairs));
            Ok(())
        })?;
        Ok(out)
    }

    pub(super) fn exists(&mut self, qs: &QuerySet) -> Result<bool> {
        let q = QuerySet::new(
            qs.query.clone().into_exists(&self.host.schema),
            QsKind::ValuesList {
                flat: true,
                named: false,
            },
        );
        let mut found = false;
        self.run_select(&q, &mut |_, _| {
            found = true;
            Ok(())
        })?;
        Ok(found)
    }

    /// `instance.attr`: a field value, a related instance (lazily queried), a related
    /// manager, or `pk`.
    /// `instance.<name>` of a forward relation: the `to` row whose fields (`keys`, by name)
    /// hold the instance's values, loaded as Django's `qs.get()` (and kept on the instance).
    fn load_forward(
        &mut self,
        inst: &Rc<Instance>,
        name: &str,
        to: crate::schema::ModelId,
        keys: Vec<(String, Value)>,
        span: Span,
    ) -> Result<Obj> {
        if self.fetch_for_peers(inst, name, true, span)?
            && let Some(loaded) = inst.related(name)
        {
            return Ok(loaded.map_or(Obj::NONE, |r| make::instance(Rc::new(r))));
        }
        let owner = self.host.schema.model(inst.model).name.clone();
        let mut qs = self.base_queryset(to)?;
        let leaves = (keys.into_iter())
            .map(|(key, value)| QChild::Leaf {
                key,
                value: Operand::Value(value),
                span,
            })
            .collect();
        qs.query
            .add_q(&self.host.schema, &QNode::new(leaves, Vec::new()))?;
        qs.query.clear_ordering(true, true);
        qs.query.set_limits(None, Some(21));
        self.note_lazy_load(
            format!("{owner}.{name}"),
            format!("select_related('{name}')"),
        );
        let loaded = self
            .fetch_all(&qs)?
            .first()
            .and_then(|o| o.native::<Instance>().cloned());
        // Django's `qs.get()`: no row (a base manager that narrows, no constraint) is an
        // error, not None.
        if loaded.is_none() && !self.host.opts.sql_only {
            let target = self.host.schema.model(to).name.clone();
            return Err(Diagnostic::new(
                ErrorKind::DoesNotExist(target.clone()),
                format!("{target} matching query does not exist."),
            )
            .at(span));
        }
        inst.set_related(name, loaded.clone());
        Ok(loaded.map_or(Obj::NONE, |r| make::instance(Rc::new(r))))
    }

    pub(super) fn instance_attribute(
        &mut self,
        inst: Rc<Instance>,
        name: &str,
        span: Span,
    ) -> Result<Obj> {
        let model = self.host.schema.model(inst.model).clone();
        if name == "pk" {
            if let Some(pk) = self.composite_pk_value(&inst) {
                return Ok(pk);
            }
            return Ok(Obj::Value(
                inst.get(&model.pk_field().attname()).unwrap_or(Value::Null),
            ));
        }
        if let Some(v) = inst.prefetch_attr(name) {
            return Ok(v);
        }
        if let Some(v) = inst.get(name) {
            if let Some(o) = self.converted_attribute(&inst, name, &v, span)? {
                return Ok(o);
            }
            // A JSON document is read as Python's dicts and lists, held by the instance: the
            // same object each time, and a save writes what was changed in it.
            return Ok(match v {
                Value::Json(_) if let Some(doc) = inst.document(name) => doc,
                Value::Json(doc) => {
                    let doc = crate::py::stdlib::json::from_json(&doc);
                    if matches!(doc, Obj::List(_) | Obj::Dict(_)) {
                        inst.set_document(name, doc.clone());
                    }
                    doc
                }
                v => Obj::Value(v),
            });
        }
        // Its own fields and (a multi-table child) its parents'.
        let field = (self.host.schema.concrete_fields(inst.model).into_iter())
            .map(|(m, i)| &self.host.schema.model(m).fields[i])
            .find(|f| f.name == name || f.attname() == name)
            .cloned();
        if let Some(f) = &field {
            let Some(fk) = &f.relation else {
                // Loaded, then read as the instance's value (a JSON document as Python's).
                self.deferred_value(&inst, f, span)?;
                return self.instance_attribute(inst, name, span);
            };
            if let Some(rel) = inst.related(name) {
                return Ok(rel.map_or(Obj::NONE, |r| make::instance(Rc::new(r))));
            }
            let id = match inst.get(&f.attname()) {
                Some(v) => v.clone(),
                None => self.deferred_value(&inst, f, span)?,
            };
            if f.attname() == name || id.is_null() {
                return Ok(Obj::Value(id));
            }
            let target_field = self.host.schema.model(fk.to).fields[fk.to_field]
                .name
                .clone();
            return self.load_forward(&inst, name, fk.to, vec![(target_field, id)], span);
        }
        if self.is_content_type(inst.model)
            && let Some(v) = self.content_type_attribute(&inst, name)
        {
            return v;
        }
        // A `ForeignObject` of the model or of a multi-table ancestor.
        let foreign_object = match model.foreign_object(name) {
            Some(i) => Some((inst.model, i)),
            None => match self.host.schema.inherited_field(inst.model, name) {
                Some((parent, crate::schema::FieldRef::ForeignObject(i))) => Some((parent, i)),
                _ => None,
            },
        };
        if let Some((owner, i)) = foreign_object {
            if let Some(rel) = inst.related(name) {
                return Ok(rel.map_or(Obj::NONE, |r| make::instance(Rc::new(r))));
            }
            let owner = self.host.schema.model(owner).clone();
            let fo = &owner.foreign_objects[i];
            if fo.restriction.is_some() {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "{}.{name} is a {}: reading it on an instance without \
                         select_related() is not supported by djq yet",
                        owner.name,
                        fo.restriction.as_deref().unwrap_or_default()
                    ),
                )
                .at(span));
            }
            let target = self.host.schema.model(fo.to).clone();
            let mut keys = Vec::with_capacity(fo.pairs.len());
            for &(from, to) in &fo.pairs {
                let f = &owner.fields[from];
                let value = match inst.get(&f.attname()) {
                    Some(v) => v.clone(),
                    None => self.deferred_value(&inst, f, span)?,
                };
                if value.is_null() {
                    return Ok(Obj::NONE);
                }
                keys.push((target.fields[to].name.clone(), value));
            }
            return self.load_forward(&inst, name, fo.to, keys, span);
        }
        if let Some(g) = self.host.schema.generic_fk(inst.model, name).cloned() {
            return self.generic_object(&inst, &g, span);
        }
        if let Some(g) = model.generic_relations.iter().find(|g| g.name == name) {
            return self.generic_related_manager(&inst, g, span);
        }
        if let Some(mm) = model.m2m.iter().find(|m| m.name == name && m.tags) {
            return self.tag_manager(&inst, mm, span);
        }
        if let Some(relation) = self.through_objects_relation(inst.model, name) {
            return self.through_objects_manager(&inst, relation, name, span);
        }
        // A multi-table child's instances have their parents' related managers (the
        // parent's key is among the child's values).
        let owner = (self.host.schema.accessor_owner(inst.model, name)).unwrap_or(inst.model);
        let model = self.host.schema.model(owner).clone();
        let pk = inst.get(&model.pk_field().attname()).unwrap_or(Value::Null);
        let pk_attname = model.pk_field().attname();
        let found = if let Some(rel) = model.reverse.iter().find(|r| r.accessor == name) {
            let from = self.host.schema.model(rel.from);
            if let ReverseVia::ForeignKey(fi) = rel.via
                && from.fields[fi]
                    .relation
                    .as_ref()
                    .is_some_and(|r| r.one_to_one)
            {
                return self.reverse_one_to_one(&inst, name, (rel.from, fi), span);
            }
            Some(match rel.via {
                ReverseVia::ForeignKey(fi) => {
                    let f = &from.fields[fi];
                    let to_field = f.relation.as_ref().map_or(model.pk, |r| r.to_field);
                    (
                        rel.from,
                        f.name.clone(),
                        model.fields[to_field].attname(),
                        RelatedKind::ForeignKey {
                            model: rel.from,
                            field: f.name.clone(),
                        },
                    )
                }
                ReverseVia::ManyToMany(mi) => {
                    let mm = &from.m2m[mi];
                    (
                        rel.from,
                        mm.name.clone(),
                        pk_attname,
                        RelatedKind::ManyToMany {
                            through: mm.through,
                            source: mm.target_field,
                            target: mm.source_field,
                            target_model: rel.from,
                            owners: [mm.owners[1], mm.owners[0]],
                        },
                    )
                }
            })
        } else if let Some(mm) = model.m2m.iter().find(|m| m.name == name) {
            self.host
                .schema
                .model(mm.to)
                .reverse
                .iter()
                .find(|r| {
                    r.from == owner
                        && matches!(r.via, ReverseVia::ManyToMany(i)
                            if std::ptr::eq(&model.m2m[i], mm))
                })
                .map(|r| {
                    (
                        mm.to,
                        format!("{}__{}", r.query_name, model.pk_field().name),
                        pk_attname,
                        RelatedKind::ManyToMany {
                            through: mm.through,
                            source: mm.source_field,
                            target: mm.target_field,
                            target_model: mm.to,
                            owners: mm.owners,
                        },
                    )
                })
        } else {
            None
        };
        match found {
            Some((target, key, owner_attname, kind)) => {
                // The owner's key the relation stores: its pk, or a `to_field`'s value.
                let owner = inst.get(&owner_attname).unwrap_or(pk);
                let mut qs = self.default_queryset(target)?;
                qs.via = Some(Rc::new((
                    format!("{}.{name}", model.name),
                    format!("prefetch_related('{name}')"),
                )));
                qs.related = Some(Rc::new(RelatedLink {
                    instance: inst.clone(),
                    owner_attname,
                    kind,
                }));
                let leaf = QChild::Leaf {
                    key,
                    value: Operand::Value(owner),
                    span,
                };
                qs.query
                    .add_q(&self.host.schema, &QNode::new(vec![leaf], Vec::new()))?;
                if let Some(items) = inst.prefetched(name) {
                    qs.cache = ResultCache::prefetched(items);
                }
                Ok(make::queryset(qs))
            }
            None if display_field(&model, name).is_some()
                || INSTANCE_METHODS.contains(&name)
                || self.order_target(inst.model, name).is_some()
                || (self.is_content_type(inst.model)
                    && super::contenttypes::INSTANCE_METHODS.contains(&name)) =>
            {
                Ok(Obj::Method(Rc::new(make::instance(inst)), name.into()))
            }
            None if let Some(i) = model.foreign_object_accessor(name) => {
                self.foreign_object_manager(&inst, i, name, span)
            }
            None => Err(match self.host.schema.unsupported_field(inst.model, name) {
                Some(d) => d.at(span),
                None => self.no_attribute(&make::instance(inst), name, span),
            }),
        }
    }

    /// A field `only()`/`defer()` left out: loaded on first access with its own query, as
    /// Django's `refresh_from_db(fields=[...])` does, then kept on the instance.
    fn deferred_value(
        &mut self,
        inst: &Instance,
        f: &crate::schema::Field,
        span: Span,
    ) -> Result<Value> {
        let attname = f.attname();
        // Left to the database by an object not saved yet (a GeneratedField is read from its
        // row, as Django's refresh does: DoesNotExist while there is none).
        if inst.adding() && f.db_default.is_some() {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "{}: its value is the database's (db_default) once saved; Django shows a DatabaseDefault object until then, which djq does not have yet",
                    f.name
                ),
            )
            .at(span));
        }
        self.fetch_for_peers(inst, &f.name, false, span)?;
        let mut qs = self.manager_queryset(inst.model);
        let leaf = QChild::Leaf {
            key: "pk".into(),
            value: self.pk_operand(inst),
            span,
        };
        qs.query
            .add_q(&self.host.schema, &QNode::new(vec![leaf], Vec::new()))?;
        qs.query.deferred = vec![f.name.clone()];
        qs.query.defer_mode = false;
        qs.query.clear_ordering(true, true);
        qs.query.set_limits(None, Some(21));
        let value = match self.fetch_all(&qs)?.first() {
            Some(o) if let Some(row) = o.native::<Instance>() => {
                row.get(&attname).unwrap_or(Value::Null)
            }
            _ => {
                let name = self.host.schema.model(inst.model).name.clone();
                return Err(Diagnostic::new(
                    ErrorKind::DoesNotExist(name.clone()),
                    format!("{name} matching query does not exist."),
                )
                .at(span));
            }
        };
        // Loaded, it is one of the instance's values (a save writes it, as Django's does).
        inst.set(&attname, value.clone());
        Ok(value)
    }

    /// A method of a model instance: `save()`, `delete()`, `refresh_from_db()`, and
    /// `get_FOO_display()` for fields with choices.
    pub(super) fn instance_method(
        &mut self,
        inst: &Rc<Instance>,
        name: &str,
        args: &crate::py::Args,
    ) -> Result<Obj> {
        let span = args.span;
        match name {
            "save" => return self.save(inst, args).map(|()| Obj::NONE),
            "refresh_from_db" => return self.refresh_from_db(inst, args).map(|()| Obj::NONE),
            "delete" => return self.delete_instance(inst, args),
            _ => {}
        }
        if let Some(result) = self.clean_method(inst, name, args) {
            return result;
        }
        if self.is_content_type(inst.model)
            && let Some(result) = self.content_type_method(inst, name, args)
        {
            return result;
        }
        if let Some(result) = self.order_method(inst, name, args) {
            return result;
        }
        let model = self.host.schema.model(inst.model);
        let Some(field) = display_field(model, name) else {
            return Err(self.no_attribute(&make::instance(inst.clone()), name, span));
        };
        let value = inst.get(&field.attname()).unwrap_or(Value::Null);
        Ok(match field.choices.iter().find(|(v, _)| *v == value) {
            Some((_, label)) => Obj::str(label.clone()),
            None => Obj::str(value.to_python_str()),
        })
    }
}

/// The field behind `get_FOO_display` (Django adds it for each field with choices).
fn display_field<'m>(
    model: &'m crate::schema::Model,
    method: &str,
) -> Option<&'m crate::schema::Field> {
    let name = method.strip_prefix("get_")?.strip_suffix("_display")?;
    model
        .fields
        .iter()
        .find(|f| f.name == name && !f.choices.is_empty())
}

/// The attnames of the instances a query's rows become, made once per query and shared by
/// every row: the queried model's (its shown columns), then each `select_related` model's.
pub(super) struct Layouts {
    root: Layout,
    related: Vec<Layout>,
    /// The queried model's composite primary key, if it has one (a related model's key is a
    /// single field: a foreign key cannot point at a composite one).
    key: Option<Rc<[String]>>,
    /// `(n, end)`: the first `n` columns are `extra(select=...)` entries, which an instance
    /// has after its fields (columns `n..end`), before its annotations (Django's
    /// `annotation_col_map` order).
    extras: (usize, usize),
    /// The FilteredRelations' names: a `select_related()` one is a plain attribute of the
    /// instance (Django's `setattr`), not a relation's cache.
    filtered: Vec<String>,
}

impl Layouts {
    pub(super) fn of(plan: &Plan, key: Option<Rc<[String]>>) -> Layouts {
        let names = |columns: &mut dyn Iterator<Item = &PlanCol>| -> Layout {
            Rc::new(columns.map(|c| c.name.to_string()).collect())
        };
        Layouts {
            root: names(&mut plan.columns[..plan.shown].iter()),
            related: plan
                .related
                .iter()
                .map(|r| names(&mut r.columns.iter().map(|&i| &plan.columns[i])))
                .collect(),
            key,
            extras: (0, 0),
            filtered: Vec::new(),
        }
    }

    /// The layout of the instances of `q`, whose extra selected entries come first (and
    /// whose FilteredRelations are attributes).
    pub(super) fn with_extras(mut self, q: &crate::query::Query) -> Layouts {
        self.filtered = (q.filtered_relations.iter())
            .map(|f| f.name.to_string())
            .collect();
        let n = q.extra_select.len();
        if n == 0 || !q.default_cols {
            return self;
        }
        let end = self.root.len().saturating_sub(q.annotations.len());
        let mut names = self.root.to_vec();
        names[..end].rotate_left(n.min(end));
        self.root = Rc::new(names);
        self.extras = (n.min(end), end);
        self
    }
}

/// One database row as the Python object Django would yield; `layouts` are the plan's.
fn row_to_obj(
    kind: &QsKind,
    model: crate::schema::ModelId,
    plan: &Plan,
    layouts: &Layouts,
    mut row: Vec<Value>,
) -> Obj {
    let shown = plan.shown.min(row.len());
    match kind {
        QsKind::Instances => {
            // select_related objects, nested along their paths (`article__writer` inside
            // `article`), deepest first so that each is complete when attached.
            let mut loaded: Vec<(&str, &str, Option<Instance>)> = plan
                .related
                .iter()
                .zip(&layouts.related)
                .map(|(r, layout)| {
                    let values: Vec<Value> = r
                        .columns
                        .iter()
                        .map(|&i| row.get(i).cloned().unwrap_or(Value::Null))
                        .collect();
                    // A LEFT OUTER JOIN that found nothing: the relation is None.
                    let found = values.get(r.key).is_some_and(|v| !v.is_null());
                    let inst =
                        found.then(|| Instance::with_layout(r.model, layout.clone(), values));
                    (r.path.as_str(), r.attr.as_str(), inst)
                })
                .collect();
            row.truncate(shown);
            let (n, end) = layouts.extras;
            if n > 0 && end <= row.len() {
                row[..end].rotate_left(n);
            }
            let root = Instance::with_layout(model, layouts.root.clone(), row);
            if let Some(key) = &layouts.key {
                root.set_key(key.clone());
            }
            loaded.sort_by_key(|(path, ..)| std::cmp::Reverse(path.matches("__").count()));
            while !loaded.is_empty() {
                let (path, attr, inst) = loaded.remove(0);
                match path.rsplit_once("__") {
                    Some((parent, _)) => {
                        if let Some((.., Some(p))) = loaded.iter().find(|(p, ..)| *p == parent) {
                            p.set_related(attr, inst);
                        }
                    }
                    // A FilteredRelation's object is set as an attribute only when its
                    // join found a row (Django's `remote_setter`).
                    None if layouts.filtered.iter().any(|f| f == attr) => {
                        if inst.is_some() {
                            root.mark_prefetch_attr(attr);
                            root.set_related(attr, inst);
                        }
                    }
                    None => root.set_related(attr, inst),
                }
            }
            make::instance(Rc::new(root))
        }
        QsKind::Values => Obj::dict(
            values_items(&plan.columns[..shown], row)
                .map(|(name, v)| (Obj::str(name.to_string()), v))
                .collect(),
        ),
        QsKind::ValuesList { flat: true, .. } => {
            let mut items = values_items(&plan.columns[..shown], row);
            items.next().map_or(Obj::Value(Value::Null), |(_, v)| v)
        }
        QsKind::ValuesList { named: true, .. } => Obj::row(
            values_items(&plan.columns[..shown], row)
                .map(|(name, v)| (name.to_string(), v))
                .collect(),
        ),
        QsKind::ValuesList { .. } => Obj::tuple(
            values_items(&plan.columns[..shown], row)
                .map(|(_, v)| v)
                .collect(),
        ),
    }
}

/// A values() row by name: the columns of a composite `pk` or a ForeignObject (consecutive,
/// each with its name; other names are unique) become one tuple, as Django's rows hold them.
fn values_items(columns: &[PlanCol], row: Vec<Value>) -> impl Iterator<Item = (&str, Obj)> {
    let mut row = row.into_iter().take(columns.len()).peekable();
    let mut columns = columns.iter().peekable();
    std::iter::from_fn(move || {
        let c = columns.next()?;
        let v = row.next()?;
        if columns.peek().is_none_or(|n| n.name != c.name) {
            return Some((&*c.name, Obj::Value(v)));
        }
        let mut key = vec![Obj::Value(v)];
        while columns.next_if(|n| n.name == c.name).is_some() {
            key.extend(row.next().map(Obj::Value));
        }
        Some((&*c.name, Obj::tuple(key)))
    })
}
