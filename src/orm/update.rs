//! Changing rows: attribute assignment on instances, `save()` (Django's UPDATE, then INSERT
//! when no row matched), `refresh_from_db()`, `QuerySet.update()`, `bulk_update()`,
//! `get_or_create()` and `update_or_create()`.

use super::Session;
use super::obj::DjangoObj;
use super::obj::{Instance, QsKind, QuerySet};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Args;
use crate::py::Obj;
use crate::query::{Expr, FExpr, Operand, QNode, Query};
use crate::schema::{Field, FieldKind, ModelId};
use crate::sql::Statement;
use crate::sql::insert;
use crate::value::{Value, ValueType};
use std::rc::Rc;

impl Session {
    /// `obj.attr = value`: a field by name or attname (a related instance for a foreign key).
    pub(super) fn set_attribute(
        &mut self,
        inst: &Instance,
        name: &str,
        value: Obj,
        span: Span,
    ) -> Result<()> {
        let schema = &self.host.schema;
        let model = schema.model(inst.model);
        let name = if name == "pk" {
            model.pk_field().attname()
        } else {
            name.to_string()
        };
        // A multi-table child's inherited fields are its own too.
        let Some((owner, i)) = schema
            .concrete_fields(inst.model)
            .into_iter()
            .find(|&(m, i)| {
                let f = &schema.model(m).fields[i];
                f.name == name || f.attname() == name
            })
        else {
            if let Some(g) = self.host.schema.generic_fk(inst.model, &name) {
                let g = g.clone();
                return self.set_generic(inst, &g, value, span);
            }
            if model.m2m.iter().any(|m| m.name == name) {
                return Err(type_error(
                    &format!(
                        "Direct assignment to the forward side of a many-to-many set is prohibited. Use {name}.set() instead."
                    ),
                    span,
                ));
            }
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "djq can only set model fields on a {} instance, not '{name}'",
                    model.name
                ),
            )
            .at(span));
        };
        let f = &schema.model(owner).fields[i];
        let attname = f.attname();
        match (&f.relation, &value) {
            (Some(fk), _) if f.name == name => {
                let related = match &value {
                    o if let Some(r) = o.native::<Instance>()
                        && schema.is_subclass(r.model, fk.to) =>
                    {
                        Some(r.clone())
                    }
                    Obj::Value(Value::Null) => None,
                    other => return Err(self.wrong_instance(owner, i, other, span)),
                };
                let target = self.host.schema.model(fk.to).fields[fk.to_field].attname();
                let id = related
                    .as_ref()
                    .and_then(|r| r.get(&target))
                    .unwrap_or(Value::Null);
                inst.set(&attname, id);
                inst.set_related(&name, related);
            }
            (_, o) if f.kind == FieldKind::JsonField => {
                let kind = f.kind;
                inst.set(&attname, self.plain_value(kind, o, span)?);
                if matches!(o, Obj::List(_) | Obj::Dict(_)) {
                    inst.set_document(&attname, o.clone());
                }
            }
            (_, o @ (Obj::Value(_) | Obj::Native(_)))
                if let Obj::Value(v) = &*crate::py::obj::as_plain(o) =>
            {
                inst.set(&attname, v.clone());
                if f.relation.is_some() {
                    inst.forget_related(&f.name);
                }
            }
            (_, other) => {
                return Err(type_error(
                    &format!(
                        "djq cannot store a '{}' object in a field",
                        other.type_name()
                    ),
                    span,
                ));
            }
        }
        Ok(())
    }

    /// `obj.save(update_fields=None, force_insert=False, force_update=False)`: Django's
    /// `_save_table` — with a primary key, UPDATE it; when that matched no row (and nothing
    /// forced the update), INSERT.
    pub(super) fn save(&mut self, inst: &Rc<Instance>, args: &Args) -> Result<()> {
        args.no_kwargs_except(
            &["update_fields", "force_insert", "force_update", "using"],
            "save",
        )?;
        let flag = |k: &str| matches!(args.kwarg(k), Some(Obj::Value(Value::Bool(true))));
        let (force_insert, force_update) = (flag("force_insert"), flag("force_update"));
        if force_insert && force_update {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "Cannot force both insert and updating in model saving.",
            )
            .at(args.span));
        }
        let update_fields = match args.kwarg("update_fields") {
            None | Some(Obj::Value(Value::Null)) => None,
            Some(o) => {
                let names = self.iter_obj(o, &crate::py::args::dummy(args.span))?;
                let concrete = self.host.schema.concrete_fields(inst.model);
                let mut fields = Vec::new();
                let mut bad = Vec::new();
                for n in &names {
                    let name = self.py_str(n)?;
                    let schema = &self.host.schema;
                    let found = concrete.iter().any(|&(m, i)| {
                        let f = &schema.model(m).fields[i];
                        (f.name == name || f.attname() == name) && !f.primary_key
                    });
                    if found {
                        fields.push(name);
                    } else {
                        bad.push(name);
                    }
                }
                if !bad.is_empty() {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        format!(
                            "The following fields do not exist in this model, are m2m fields, primary keys, or are non-concrete fields: {}",
                            bad.join(", ")
                        ),
                    )
                    .at(args.span));
                }
                if fields.is_empty() {
                    return Ok(());
                }
                Some(fields)
            }
        };
        self.check_related_saved(inst, "save")
            .map_err(|d| d.at(args.span))?;
        // Django's `save_base`: the multi-table parents' rows first, then the model's own.
        let parent_inserted = self
            .save_parents(inst, inst.model, update_fields.as_deref(), &mut Vec::new())
            .map_err(|d| d.at(args.span))?;
        self.save_table(
            inst,
            inst.model,
            update_fields.as_deref(),
            force_insert || parent_inserted,
            force_update,
        )
        .map_err(|d| d.at(args.span))?;
        Ok(())
    }

    /// Django's `_save_table` for one table of the instance (its model's, or a multi-table
    /// parent's): with a primary key, UPDATE the table's own fields; when that matched no
    /// row (and nothing forced the update), INSERT them. Whether it updated.
    pub(super) fn save_table(
        &mut self,
        inst: &Rc<Instance>,
        model: ModelId,
        update_fields: Option<&[String]>,
        force_insert: bool,
        force_update: bool,
    ) -> Result<bool> {
        self.write_documents(inst)?;
        let m = self.host.schema.model(model).clone();
        // A composite key (of the instance's own model) is unset while any of its fields is.
        let key = (model == inst.model)
            .then(|| self.composite_key(inst))
            .flatten();
        let pk = match &key {
            Some(values) if values.iter().any(Value::is_null) => Value::Null,
            Some(_) => Value::Bool(true),
            None => inst.get(&m.pk_field().attname()).unwrap_or(Value::Null),
        };
        if pk.is_null() && (force_update || update_fields.is_some()) {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "Cannot force an update in save() with no primary key.",
            ));
        }
        if !pk.is_null() && !force_insert {
            // Never a generated column; not a field the instance has no value of (deferred,
            // or filled by the database on the insert and not read since).
            let fields: Vec<usize> = (0..m.fields.len())
                .filter(|&i| i != m.pk && !m.composite_pk.contains(&i))
                .filter(|&i| {
                    let f = &m.fields[i];
                    update_fields
                        .is_none_or(|u| u.iter().any(|n| *n == f.name || *n == f.attname()))
                        && !f.generated
                        && (inst.get(&f.attname()).is_some() || f.auto_now)
                })
                .collect();
            let query = match key {
                Some(values) => {
                    let mut q = Query::new(&self.host.schema, model);
                    q.add_q(
                        &self.host.schema,
                        &QNode::leaf("pk", Operand::values(values)),
                    )?;
                    q
                }
                None => self.pk_query(model, Operand::Value(pk))?,
            };
            let updated = if fields.is_empty() {
                // Django's `_do_update` with nothing to set: a parent table update_fields
                // does not touch, or a table with only its key (does the row exist?).
                update_fields.is_some() || self.exists(&QuerySet::new(query, QsKind::Instances))?
            } else {
                // Django reads back (RETURNING) the generated columns whose expression reads
                // a field the UPDATE writes.
                let back: Vec<usize> = (0..m.fields.len())
                    .filter(|&i| {
                        let from = &m.fields[i].generated_from;
                        from.iter()
                            .any(|n| fields.iter().any(|&w| m.fields[w].name == *n))
                    })
                    .collect();
                let mut set = Vec::with_capacity(fields.len());
                for i in fields {
                    let f = &m.fields[i];
                    let v = super::write::pre_save(inst, f, false, self.host.schema.tz);
                    set.push((
                        f.column.clone(),
                        Expr::Value(prep(f, v, self.host.schema.tz)?),
                    ));
                }
                if back.is_empty() {
                    self.update_rows(model, query, &set, 1)? > 0
                } else {
                    let back: Vec<&Field> = back.iter().map(|&i| &m.fields[i]).collect();
                    match self.update_returning(model, query, &set, &back)? {
                        Some(row) => {
                            for (f, v) in back.iter().zip(row) {
                                inst.set(&f.attname(), v);
                            }
                            true
                        }
                        // `--sql-only`: nothing ran; loaded when next read.
                        None if self.host.opts.sql_only => {
                            for f in back {
                                inst.unload(&f.attname());
                            }
                            true
                        }
                        None => false,
                    }
                }
            };
            if updated {
                inst.set_adding(false);
                return Ok(true);
            }
            if force_update {
                return Err(Diagnostic::new(
                    ErrorKind::Database,
                    "Forced update did not affect any rows.",
                ));
            }
            if update_fields.is_some() {
                return Err(Diagnostic::new(
                    ErrorKind::Database,
                    "Save with update_fields did not affect any rows.",
                ));
            }
        }
        if let Some(wrt) = m.order_wrt {
            self.number_new_row(inst, model, wrt)?;
        }
        self.insert_instances(model, std::slice::from_ref(inst), false)?;
        Ok(false)
    }

    /// Django's `_prepare_related_fields_for_save`: a related object must be saved first.
    pub(super) fn check_related_saved(&self, inst: &Instance, operation: &str) -> Result<()> {
        let model = self.host.schema.model(inst.model);
        for f in &model.fields {
            let Some(fk) = &f.relation else { continue };
            if let Some(Some(rel)) = inst.related(&f.name) {
                let target = self.host.schema.model(fk.to).fields[fk.to_field].attname();
                let id = rel.get(&target).unwrap_or(Value::Null);
                if id.is_null() {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        format!(
                            "{operation}() prohibited to prevent data loss due to unsaved related object '{}'.",
                            f.name
                        ),
                    ));
                }
                // Django refreshes the attname from the related object.
                inst.set(&f.attname(), id);
            }
        }
        Ok(())
    }

    /// Run `UPDATE ... SET set WHERE <query's filter>`; the number of rows changed
    /// (`sql_only_rows` with `--sql-only`, where nothing runs).
    pub(super) fn update_rows(
        &mut self,
        model: ModelId,
        query: Query,
        set: &[(String, Expr)],
        sql_only_rows: u64,
    ) -> Result<u64> {
        let Some(st) = self.update_statement(model, query, set)? else {
            return Ok(0);
        };
        self.execute_write(&st, sql_only_rows)
    }

    /// `UPDATE ... RETURNING` the columns of `back` (Django's save of a row whose generated
    /// columns change): the row's values, `None` when no row matched (or with `--sql-only`).
    fn update_returning(
        &mut self,
        model: ModelId,
        query: Query,
        set: &[(String, Expr)],
        back: &[&Field],
    ) -> Result<Option<Vec<Value>>> {
        let Some(mut st) = self.update_statement(model, query, set)? else {
            return Ok(None);
        };
        self.refuse_if_read_only()?;
        let table = &self.host.schema.model(model).table;
        let columns: Vec<String> = back.iter().map(|f| f.column.to_string()).collect();
        (st.sql).push_str(&insert::returning(self.host.dialect, table, &columns));
        let types: Vec<ValueType> = back.iter().map(|f| f.value_type()).collect();
        let mut first = None;
        self.run_rows(&st, &types, &mut |row| {
            first.get_or_insert(row);
            Ok(())
        })?;
        Ok(first)
    }

    /// The UPDATE statement setting `set` on `query`'s rows; `None` when the query matches
    /// nothing.
    fn update_statement(
        &mut self,
        model: ModelId,
        query: Query,
        set: &[(String, Expr)],
    ) -> Result<Option<Statement>> {
        debug_assert_eq!(query.model, model);
        let q = query.into_for_write(&self.host.schema)?;
        // The UPDATE compiler resolves each value once more (`When` conditions then print
        // in parentheses).
        let set: Vec<(String, Expr)> = set
            .iter()
            .map(|(c, e)| {
                let mut e = e.clone();
                e.resolve_again();
                (c.clone(), e)
            })
            .collect();
        crate::sql::modify::update(&self.host.schema, self.host.dialect, &q, &set)
    }

    /// Log and run a statement that changes rows; the number changed (`sql_only_rows` with
    /// `--sql-only`). Refused with `--read-only`.
    pub(super) fn execute_write(&mut self, st: &Statement, sql_only_rows: u64) -> Result<u64> {
        self.refuse_if_read_only()?;
        self.note_statement(st.clone());
        if self.host.opts.sql_only {
            return Ok(sql_only_rows);
        }
        self.show_sql(st)?;
        let changed = self.on_backend(|b| b.execute(&st.sql, &st.params));
        self.host.log.finish();
        changed
    }

    /// Ask the shell's user to confirm `text`; a refusal stops the statement with
    /// `refused` ("nothing was deleted").
    pub(super) fn ask(&mut self, text: &str, refused: &str) -> Result<()> {
        if self.host.confirm.is_none() {
            return Ok(());
        }
        // What the statement showed so far (its SQL) goes before the question.
        self.out.flush().map_err(crate::render::io_error)?;
        let Some(confirm) = self.host.confirm.as_mut() else {
            return Ok(());
        };
        if confirm(text) {
            Ok(())
        } else {
            Err(Diagnostic::new(
                ErrorKind::KeyboardInterrupt,
                format!("cancelled: {refused}"),
            ))
        }
    }

    /// `--read-only` refuses every write before it reaches the database, and every file it
    /// would write (`dumpdata(output=...)`, `\o FILE`).
    pub fn refuse_if_read_only(&self) -> Result<()> {
        if self.host.read_only {
            return Err(Diagnostic::new(
                ErrorKind::Database,
                "refusing to write: djq was started with --read-only",
            ));
        }
        Ok(())
    }

    /// `Model.objects.filter(pk=value)`'s query (a composite key's value: its values' list).
    pub(super) fn pk_query(&self, model: ModelId, pk: Operand) -> Result<Query> {
        let mut q = Query::new(&self.host.schema, model);
        q.add_q(&self.host.schema, &QNode::leaf("pk", pk))?;
        Ok(q)
    }

    /// `obj.refresh_from_db(fields=None)`: reload the field values (and forget cached
    /// related objects).
    pub(super) fn refresh_from_db(&mut self, inst: &Instance, args: &Args) -> Result<()> {
        args.no_kwargs_except(&["fields", "using", "from_queryset"], "refresh_from_db")?;
        let model = self.host.schema.model(inst.model).clone();
        let pk = self.pk_operand(inst);
        let only = match args.kwarg("fields") {
            None | Some(Obj::Value(Value::Null)) => Vec::new(),
            Some(o) => {
                let items = self.iter_obj(o, &crate::py::args::dummy(args.span))?;
                let mut names = Vec::new();
                for i in &items {
                    names.push(self.py_str(i)?);
                }
                names
            }
        };
        let fresh = self
            .fetch_by_pk(inst.model, pk, &only, args.span)?
            .ok_or_else(|| {
                Diagnostic::new(
                    ErrorKind::DoesNotExist(model.name.clone()),
                    format!("{} matching query does not exist.", model.name),
                )
                .at(args.span)
            })?;
        for f in &model.fields {
            if !only.is_empty() && !only.iter().any(|n| *n == f.name || *n == f.attname()) {
                continue;
            }
            if let Some(v) = fresh.get(&f.attname()) {
                inst.set(&f.attname(), v);
            }
            if f.relation.is_some() {
                inst.forget_related(&f.name);
            }
        }
        Ok(())
    }

    /// The row with primary key `pk` as an instance (Django's `filter(pk=...).get()`: no
    /// ordering, `LIMIT 21`), only the `only` fields when given.
    pub(super) fn fetch_by_pk(
        &mut self,
        model: ModelId,
        pk: Operand,
        only: &[String],
        span: Span,
    ) -> Result<Option<Rc<Instance>>> {
        let mut qs = self.manager_queryset(model);
        qs.query = self.pk_query(model, pk)?;
        qs.query.clear_ordering(true, true);
        if !only.is_empty() {
            qs.query.deferred = only.to_vec();
            qs.query.defer_mode = false;
        }
        qs.query.set_limits(None, Some(21));
        Ok(
            match self
                .fetch_all(&qs)
                .map_err(|d| d.at(span))?
                .into_iter()
                .next()
            {
                Some(o) => o.instance(),
                None => None,
            },
        )
    }

    /// `qs.update(**kwargs)`: one UPDATE; the number of rows matched.
    pub(super) fn update_queryset(&mut self, qs: &QuerySet, args: &Args) -> Result<Obj> {
        if !args.pos.is_empty() {
            return Err(type_error(
                &format!(
                    "QuerySet.update() takes 1 positional argument but {} were given",
                    args.pos.len() + 1
                ),
                args.pos[0].1,
            ));
        }
        if qs.query.is_sliced() {
            return Err(type_error(
                "Cannot update a query once a slice has been taken.",
                args.span,
            ));
        }
        if let Some((c, _)) = qs.query.combinator {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "Calling QuerySet.update() after {}() is not supported.",
                    format!("{c:?}").to_lowercase()
                ),
            )
            .at(args.span));
        }
        let model = self.host.schema.model(qs.query.model).clone();
        let mut query = qs.query.for_write(&self.host.schema)?;
        let mut set = Vec::with_capacity(args.kw.len());
        // A multi-table child's inherited fields: UPDATEs of its ancestors' tables, each with
        // its own query (Django's related updates).
        let mut parents: Vec<super::inherit::ParentUpdate> = Vec::new();
        let concrete = self.host.schema.concrete_fields(qs.query.model);
        for (name, o, span) in &args.kw {
            let schema = &self.host.schema;
            let found = concrete.iter().find(|&&(m, i)| {
                let f = &schema.model(m).fields[i];
                f.name == *name || f.attname() == *name
            });
            if let Some(&(owner, i)) = found.filter(|(owner, _)| *owner != qs.query.model) {
                let f = schema.model(owner).fields[i].clone();
                let k = match parents.iter().position(|(m, ..)| *m == owner) {
                    Some(k) => k,
                    None => {
                        parents.push((owner, Query::new(schema, owner), Vec::new()));
                        parents.len() - 1
                    }
                };
                let value = self
                    .update_value(&mut parents[k].1, &f, o)
                    .map_err(|d| d.at(*span))?;
                parents[k].2.push((f.column.clone(), value));
                continue;
            }
            let Some(f) = model
                .fields
                .iter()
                .find(|f| f.name == *name || f.attname() == *name)
            else {
                let msg = if model.m2m.iter().any(|m| m.name == *name)
                    || model.reverse.iter().any(|r| r.query_name == *name)
                {
                    format!(
                        "Cannot update model field '{name}' (only non-relations and foreign keys permitted)."
                    )
                } else {
                    format!("{} has no field named '{name}'", model.name)
                };
                let kind = if msg.starts_with("Cannot") {
                    ErrorKind::Field
                } else {
                    ErrorKind::FieldDoesNotExist
                };
                return Err(Diagnostic::new(kind, msg).at(*span));
            };
            let value = self
                .update_value(&mut query, f, o)
                .map_err(|d| d.at(*span))?;
            set.push((f.column.clone(), value));
        }
        if set.is_empty() && parents.is_empty() {
            return Err(type_error(
                "Cannot update model field with no values (update() needs keyword arguments).",
                args.span,
            ));
        }
        if self.host.confirm.is_some() {
            let n = self.count(&QuerySet::new(query.clone(), super::obj::QsKind::Instances))?;
            let columns: Vec<&str> = set.iter().map(|(c, _)| c.as_str()).collect();
            let text = format!(
                "update() will change {n} row(s) of {} (setting {})",
                model.name,
                columns.join(", ")
            );
            self.ask(&text, "nothing was updated")
                .map_err(|d| d.at(args.span))?;
        }
        let n = if parents.is_empty() {
            self.update_rows(query.model, query, &set, 0)
        } else {
            self.update_with_parents(qs.query.clone(), &set, parents)
        }
        .map_err(|d| d.at(args.span))?;
        Ok(Obj::int(n as i64))
    }

    /// A value of `update(field=value)`: an expression over the row (no joins), a related
    /// instance's key, or the value as the field stores it.
    fn update_value(&mut self, query: &mut Query, f: &Field, o: &Obj) -> Result<Expr> {
        match o {
            o if let Some(e) = o.f() => {
                let tables = query.tables.len();
                let expr = query.resolve_f(&self.host.schema, e, None)?;
                if query.tables.len() > tables {
                    return Err(Diagnostic::field(
                        "Joined field references are not permitted in this query",
                    ));
                }
                Ok(expr)
            }
            o if let Some(inst) = o.native::<Instance>()
                && f.relation.is_some() =>
            {
                let fk = f.relation.as_ref().expect("checked");
                let target = self.host.schema.model(fk.to).fields[fk.to_field].attname();
                Ok(Expr::Value(inst.get(&target).unwrap_or(Value::Null)))
            }
            Obj::Value(v) if f.kind != FieldKind::JsonField => {
                Ok(Expr::Value(prep(f, v.clone(), self.host.schema.tz)?))
            }
            Obj::Native(n) if let Some(v) = n.value() => {
                Ok(Expr::Value(prep(f, v, self.host.schema.tz)?))
            }
            o if f.kind == FieldKind::JsonField => {
                Ok(Expr::Value(self.plain_value(f.kind, o, Span::default())?))
            }
            other => Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "djq cannot store a '{}' object in a field",
                    other.type_name()
                ),
            )),
        }
    }

    /// `bulk_update(objs, fields, batch_size=None)`: per batch, one UPDATE setting each field
    /// to `CASE WHEN pk = ... THEN value ... END` (cast on PostgreSQL); the rows matched.
    pub(super) fn bulk_update(&mut self, model: ModelId, args: &Args) -> Result<Obj> {
        args.no_kwargs_except(&["objs", "fields", "batch_size"], "bulk_update")?;
        let span = args.span;
        let arg = |i: usize, name: &str| {
            args.pos
                .get(i)
                .map(|(o, _)| o.clone())
                .or_else(|| args.kwarg(name).cloned())
        };
        let objs = arg(0, "objs").ok_or_else(|| {
            type_error(
                "bulk_update() missing 2 required positional arguments: 'objs' and 'fields'",
                span,
            )
        })?;
        let names = arg(1, "fields").map_or(Ok(Vec::new()), |o| {
            self.iter_obj(&o, &crate::py::args::dummy(span))
        })?;
        if names.is_empty() {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "Field names must be given to bulk_update().",
            )
            .at(span));
        }
        let m = self.host.schema.model(model).clone();
        let items = self.iter_obj(&objs, &crate::py::args::dummy(span))?;
        let instances = self.instances_of(model, &items, "bulk_update", span)?;
        let pk_unset = |i: &Rc<Instance>| match self.pk_operand(i) {
            Operand::List(key) => key.contains(&Operand::Value(Value::Null)),
            pk => pk == Operand::Value(Value::Null),
        };
        if instances.iter().any(pk_unset) {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "All bulk_update() objects must have a primary key set.",
            )
            .at(span));
        }
        let mut fields = Vec::new();
        for n in &names {
            let name = self.py_str(n)?;
            match m
                .fields
                .iter()
                .find(|f| f.name == name || f.attname() == name)
            {
                Some(f)
                    if f.primary_key
                        || m.composite_pk.iter().any(|&k| m.fields[k].name == f.name) =>
                {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        "bulk_update() cannot be used with primary key fields.",
                    )
                    .at(span));
                }
                Some(f) => fields.push(f.clone()),
                None if m.m2m.iter().any(|mm| mm.name == name)
                    || m.foreign_object(&name).is_some() =>
                {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        "bulk_update() can only be used with concrete fields.",
                    )
                    .at(span));
                }
                None => {
                    return Err(Diagnostic::new(
                        ErrorKind::FieldDoesNotExist,
                        format!("{} has no field named '{name}'", m.name),
                    )
                    .at(span));
                }
            }
        }
        if instances.is_empty() {
            return Ok(Obj::int(0));
        }
        for inst in &instances {
            self.check_related_saved(inst, "bulk_update")
                .map_err(|d| d.at(span))?;
            self.write_documents(inst)?;
        }
        let batch = match (args.kwarg("batch_size"), self.host.dialect) {
            (Some(Obj::Value(Value::Int(n))), _) if *n > 0 => *n as usize,
            (_, crate::sql::Dialect::Sqlite) => 999 / (2 + fields.len()),
            _ => instances.len(),
        };
        self.atomic(|s| s.bulk_update_batches(model, &instances, &fields, batch, span))
            .map(|rows| Obj::int(rows as i64))
    }

    /// `bulk_update`'s UPDATE statements, `batch` objects each; the rows matched.
    fn bulk_update_batches(
        &mut self,
        model: ModelId,
        instances: &[Rc<Instance>],
        fields: &[Field],
        batch: usize,
        span: Span,
    ) -> Result<u64> {
        let mut rows = 0;
        for chunk in instances.chunks(batch.max(1)) {
            // Each object's key: a value, or a composite key's row value.
            let pks: Vec<Operand> = chunk.iter().map(|i| self.pk_operand(i)).collect();
            let mut query = Query::new(&self.host.schema, model);
            query.add_q(
                &self.host.schema,
                &QNode::leaf("pk__in".to_string(), Operand::List(pks.clone())),
            )?;
            let mut set = Vec::with_capacity(fields.len());
            for f in fields {
                let whens = chunk
                    .iter()
                    .zip(&pks)
                    .map(|(inst, pk)| {
                        let v = inst.get(&f.attname()).unwrap_or(Value::Null);
                        Ok(crate::query::filter::When {
                            condition: QNode::leaf("pk".to_string(), pk.clone()),
                            then: FExpr::Value(prep(f, v, self.host.schema.tz)?),
                        })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let ty = crate::query::expr::DbType {
                    kind: f.kind,
                    max_length: f.max_length,
                    decimal: f.decimal,
                    dims: 0,
                };
                let case = FExpr::Case {
                    whens,
                    default: Box::new(FExpr::Value(Value::Null)),
                    output: Some(ty),
                    span,
                };
                let value = if self.host.dialect == crate::sql::Dialect::Postgres {
                    FExpr::Func {
                        func: crate::query::func::FuncKind::Cast(ty),
                        args: vec![case],
                        output: Some(ty),
                        span,
                    }
                } else {
                    case
                };
                let e = query.resolve_f(&self.host.schema, &value, None)?;
                set.push((f.column.clone(), e));
            }
            rows += self
                .update_rows(model, query.clone(), &set, chunk.len() as u64)
                .map_err(|d| d.at(span))?;
        }
        Ok(rows)
    }

    /// `get_or_create(defaults=None, **kwargs)`: `(obj, created)`.
    pub(super) fn get_or_create(&mut self, qs: QuerySet, args: &Args) -> Result<Obj> {
        let (obj, created) = self.get_or_create_inner(qs, args, "defaults")?;
        Ok(Obj::tuple(vec![obj, Obj::bool(created)]))
    }

    fn get_or_create_inner(
        &mut self,
        qs: QuerySet,
        args: &Args,
        defaults_name: &str,
    ) -> Result<(Obj, bool)> {
        let lookups = Args {
            pos: args.pos.clone(),
            kw: args
                .kw
                .iter()
                .filter(|(k, ..)| k != "defaults" && k != "create_defaults")
                .cloned()
                .collect(),
            span: args.span,
        };
        match self.get(qs.clone(), lookups.clone()) {
            Ok(obj) => return Ok((obj, false)),
            Err(d) if matches!(d.kind, ErrorKind::DoesNotExist(_)) => {}
            Err(d) => return Err(d),
        }
        // Django's `_extract_model_params`: the lookups without `__`, then the defaults.
        let mut params: Vec<(String, Obj, Span)> = lookups
            .kw
            .iter()
            .filter(|(k, ..)| !k.contains("__"))
            .cloned()
            .collect();
        if let Some(d) = args.kwarg(defaults_name) {
            let Obj::Dict(pairs) = d else {
                return Err(type_error(
                    &format!("{defaults_name} must be a dict, not {}", d.type_name()),
                    args.span,
                ));
            };
            for (k, v) in pairs.borrow().iter() {
                let k = self.py_str(k)?;
                params.retain(|(n, ..)| *n != k);
                params.push((k, v.clone(), args.span));
            }
        }
        let model = qs.query.model;
        let m = self.host.schema.model(model);
        let invalid: Vec<String> = params
            .iter()
            .filter(|(k, ..)| {
                k != "pk"
                    && !m.fields.iter().any(|f| f.name == *k || f.attname() == *k)
                    && !m.m2m.iter().any(|mm| mm.name == *k)
                    && m.foreign_object(k).is_none()
            })
            .map(|(k, ..)| format!("'{k}'"))
            .collect();
        if !invalid.is_empty() {
            return Err(Diagnostic::field(format!(
                "Invalid field name(s) for model {}: {}.",
                m.name,
                invalid.join(", ")
            ))
            .at(args.span));
        }
        let create = Args {
            pos: Vec::new(),
            kw: params,
            span: args.span,
        };
        Ok((self.atomic(|s| s.create(model, &create))?, true))
    }

    /// `update_or_create(defaults=None, create_defaults=None, **kwargs)`: `(obj, created)`;
    /// an existing row is locked (`FOR UPDATE` on PostgreSQL) and saved with the defaults'
    /// fields plus the date and time fields (their `pre_save` may change them).
    pub(super) fn update_or_create(&mut self, qs: QuerySet, args: &Args) -> Result<Obj> {
        self.atomic(|s| s.update_or_create_locked(qs, args))
    }

    fn update_or_create_locked(&mut self, mut qs: QuerySet, args: &Args) -> Result<Obj> {
        qs.query.select_for_update = true;
        let create_key = if args.kwarg("create_defaults").is_some() {
            "create_defaults"
        } else {
            "defaults"
        };
        let (obj, created) = self.get_or_create_inner(qs, args, create_key)?;
        if !created && let Some(inst) = obj.instance() {
            let mut update_fields = Vec::new();
            if let Some(Obj::Dict(pairs)) = args.kwarg("defaults") {
                for (k, v) in pairs.borrow().clone() {
                    let k = self.py_str(&k)?;
                    self.set_attribute(&inst, &k, v, args.span)?;
                    update_fields.push(k);
                }
            }
            let m = self.host.schema.model(inst.model);
            for f in &m.fields {
                let dated = matches!(
                    f.kind,
                    FieldKind::DateField | FieldKind::DateTimeField | FieldKind::TimeField
                );
                if dated && !f.primary_key && !update_fields.contains(&f.name) {
                    update_fields.push(f.name.clone());
                }
            }
            let save = Args {
                pos: Vec::new(),
                kw: vec![
                    ("using".into(), Obj::str("default"), args.span),
                    (
                        "update_fields".into(),
                        Obj::list(update_fields.into_iter().map(Obj::str).collect()),
                        args.span,
                    ),
                ],
                span: args.span,
            };
            self.save_instance(&inst, save)?;
        }
        Ok(Obj::tuple(vec![obj, Obj::bool(created)]))
    }
}

/// A value as the field stores it (Django's `get_db_prep_save`).
fn prep(f: &Field, v: Value, tz: crate::tz::TzConfig) -> Result<Value> {
    crate::query::lookups::prep_value(f.storage_kind(), Some(&f.name), v, tz)
}

fn type_error(msg: &str, span: Span) -> Diagnostic {
    Diagnostic::new(ErrorKind::Type, msg).at(span)
}
