//! Writes: model instances built in Python style (`Book(title=..., author=austen)`, as
//! Django's `Model.__init__`), `objects.create()` and `objects.bulk_create()`. Rows are
//! inserted as Django's insert compiler does (multi-row `VALUES ... RETURNING` the primary
//! key and the columns the database fills, batched); large loads on PostgreSQL go through
//! binary `COPY` with ids drawn from the table's sequence first, in one transaction.

use super::Session;
use super::obj::Instance;
use super::obj::{DjangoObj, make};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Args;
use crate::py::Obj;
use crate::schema::{Field, FieldKind, ModelId};
use crate::sql::Statement;
use crate::sql::insert::{self, Insert};
use crate::tz::TzConfig;
use crate::value::{Value, ValueType};
use std::rc::Rc;

/// From this many rows on, PostgreSQL loads use `COPY` instead of INSERT statements.
const COPY_THRESHOLD: usize = 1000;

impl Session {
    /// `Model(*args, **kwargs)`: positional values fill the fields in order; keywords name a
    /// field (a related instance for a foreign key) or an attname (`author_id`); the rest get
    /// their defaults.
    pub(super) fn new_instance(&mut self, model: ModelId, args: &Args) -> Result<Rc<Instance>> {
        // Borrow the model briefly at each step: cloning it per instance would dominate
        // large `bulk_create` loads.
        // Django's `_meta.concrete_fields`: a multi-table child's inherited fields first.
        let fields = self.host.schema.concrete_fields(model);
        let nfields = fields.len();
        if args.pos.len() > nfields {
            return Err(type_error(
                "Number of args exceeds number of fields",
                args.span,
            ));
        }
        let mut given: Vec<Option<Value>> = vec![None; nfields];
        let mut related = Vec::new();
        for (i, (o, span)) in args.pos.iter().enumerate() {
            let (m, k) = fields[i];
            let kind = self.host.schema.model(m).fields[k].kind;
            given[i] = Some(self.plain_value(kind, o, *span)?);
        }
        let mut unexpected = Vec::new();
        let mut generic = Vec::new();
        let mut documents = Vec::new();
        for (name, o, span) in &args.kw {
            if let Some(g) = self.host.schema.generic_fk(model, name) {
                generic.push((g.clone(), o.clone(), *span));
                continue;
            }
            // A ForeignObject (its columns take the related instance's values) or a
            // composite `pk=(...)` (its fields take the tuple's).
            if let Some(set) = self.multi_column_kwarg(model, name, o, *span)? {
                for (attname, v) in set {
                    let schema = &self.host.schema;
                    let at = (fields.iter())
                        .position(|&(m, i)| schema.model(m).fields[i].attname() == attname);
                    given[at.expect("a concrete field")] = Some(v);
                }
                if let Some(inst) = o.native::<Instance>() {
                    related.push((name.clone(), Some(inst.clone())));
                }
                continue;
            }
            let schema = &self.host.schema;
            let field_of = |&(m, i): &(ModelId, usize)| &schema.model(m).fields[i];
            let Some(k) = fields.iter().position(|mf| {
                let f = field_of(mf);
                f.name == *name || f.attname() == *name
            }) else {
                let m = schema.model(model);
                if m.m2m.iter().any(|mm| mm.name == *name) {
                    return Err(type_error(
                        &format!(
                            "Direct assignment to the forward side of a many-to-many set is prohibited. Use {name}.set() instead."
                        ),
                        *span,
                    ));
                }
                unexpected.push(format!("'{name}'"));
                continue;
            };
            let (owner, i) = fields[k];
            let f = field_of(&fields[k]);
            let kind = f.kind;
            if kind == FieldKind::JsonField && matches!(o, Obj::List(_) | Obj::Dict(_)) {
                documents.push((f.attname(), o.clone()));
            }
            let value = match (&f.relation, o) {
                (Some(fk), o)
                    if let Some(inst) = o.native::<Instance>()
                        && f.name == *name =>
                {
                    if !schema.is_subclass(inst.model, fk.to) {
                        return Err(self.wrong_instance(owner, i, o, *span));
                    }
                    let target = schema.model(fk.to).fields[fk.to_field].attname();
                    related.push((f.name.clone(), Some(inst.clone())));
                    inst.get(&target).unwrap_or(Value::Null)
                }
                (Some(_), Obj::Value(Value::Null)) if f.name == *name => {
                    related.push((f.name.clone(), None));
                    Value::Null
                }
                (Some(_), other) if f.name == *name => {
                    return Err(self.wrong_instance(owner, i, other, *span));
                }
                (_, other) => self.plain_value(kind, other, *span)?,
            };
            given[k] = Some(value);
        }
        if !unexpected.is_empty() {
            return Err(type_error(
                &format!(
                    "{}() got unexpected keyword arguments: {}",
                    self.host.schema.model(model).name,
                    unexpected.join(", ")
                ),
                args.span,
            ));
        }
        let mut values = Vec::with_capacity(nfields);
        for (&(owner, i), v) in fields.iter().zip(given) {
            let f = &self.host.schema.model(owner).fields[i];
            // Left to the database, as Django's DatabaseDefault: a GeneratedField, and a
            // db_default with no default; loaded when first read after the save.
            let to_database = f.generated || (f.default.is_none() && f.db_default.is_some());
            let v = match v {
                Some(v) => v,
                None if to_database => continue,
                None => self.default_value(owner, i, args.span)?,
            };
            values.push((self.host.schema.model(owner).fields[i].attname(), v));
        }
        let inst = Instance::new(model, values);
        inst.set_adding(true);
        if let Some(key) = self.composite_attnames(model) {
            inst.set_key(key);
        }
        for (name, object) in related {
            inst.set_related(&name, object);
        }
        for (g, o, span) in generic {
            self.set_generic(&inst, &g, o, span)?;
        }
        for (attname, doc) in documents {
            inst.set_document(&attname, doc);
        }
        Ok(Rc::new(inst))
    }

    /// `Model.objects.create(**kwargs)`: build, then insert (Django's `save(force_insert=True)`).
    pub(super) fn create(&mut self, model: ModelId, args: &Args) -> Result<Obj> {
        if !args.pos.is_empty() {
            return Err(type_error(
                &format!(
                    "QuerySet.create() takes 1 positional argument but {} were given",
                    args.pos.len() + 1
                ),
                args.pos[0].1,
            ));
        }
        let inst = self.new_instance(model, args)?;
        // Django's `obj.save(force_insert=True, using=self.db)`: models.py's save() too.
        let save = Args {
            pos: Vec::new(),
            kw: vec![
                ("force_insert".into(), Obj::bool(true), args.span),
                ("using".into(), Obj::str("default"), args.span),
            ],
            span: args.span,
        };
        self.save_instance(&inst, save)
            .map_err(|d| d.at(args.span))?;
        Ok(make::instance(inst))
    }

    /// `Model.objects.bulk_create(objs, batch_size=None)`: returns the objects, their primary
    /// keys set.
    pub(super) fn bulk_create(&mut self, model: ModelId, args: &Args) -> Result<Obj> {
        args.no_kwargs_except(&["batch_size"], "bulk_create")?;
        let Some((objs, span)) = args.pos.first() else {
            return Err(type_error(
                "bulk_create() missing 1 required positional argument: 'objs'",
                args.span,
            ));
        };
        let items = self.iter_obj(objs, &crate::py::args::dummy(*span))?;
        let instances = self.instances_of(model, &items, "bulk_create", *span)?;
        self.insert_instances(model, &instances, true)
            .map_err(|d| d.at(args.span))?;
        Ok(Obj::list(items))
    }

    /// `items` as instances of `model`, or the TypeError of `method` (`bulk_create`) given
    /// something else.
    pub(super) fn instances_of(
        &self,
        model: ModelId,
        items: &[Obj],
        method: &str,
        span: Span,
    ) -> Result<Vec<Rc<Instance>>> {
        items
            .iter()
            .map(|o| match o.instance() {
                Some(i) if i.model == model => Ok(i),
                _ => Err(type_error(
                    &format!(
                        "{method}() expects {} instances, got {}",
                        self.host.schema.model(model).name,
                        o.type_name()
                    ),
                    span,
                )),
            })
            .collect()
    }

    /// Insert `instances` and give them their primary keys. `atomic`: in one transaction
    /// (Django's bulk_create; a savepoint when one is open).
    pub(super) fn insert_instances(
        &mut self,
        model: ModelId,
        instances: &[Rc<Instance>],
        atomic: bool,
    ) -> Result<()> {
        if instances.is_empty() {
            return Ok(());
        }
        self.refuse_if_read_only()?;
        for inst in instances {
            self.write_documents(inst)?;
        }
        let m = self.host.schema.model(model).clone();
        let pk = m.pk_field().clone();
        let auto_pk = is_auto(pk.kind);
        // Django inserts objects with a primary key first, then those without.
        let (without_pk, with_pk): (Vec<&Rc<Instance>>, Vec<&Rc<Instance>>) = instances
            .iter()
            .partition(|i| auto_pk && i.get(&pk.attname()).is_none_or(|v| v.is_null()));
        let insert = |s: &mut Session| {
            s.insert_group(&m.table, &m.fields, m.pk, &with_pk, false)
                .and_then(|()| s.insert_group(&m.table, &m.fields, m.pk, &without_pk, true))
        };
        if atomic {
            self.atomic(insert)
        } else {
            insert(self)
        }
    }

    /// One INSERT group: the pk column left out (`db_assigns_pk`) or given.
    fn insert_group(
        &mut self,
        table: &str,
        fields: &[Field],
        pk: usize,
        instances: &[&Rc<Instance>],
        db_assigns_pk: bool,
    ) -> Result<()> {
        if instances.is_empty() {
            return Ok(());
        }
        // What the database fills: the key it assigns, generated columns, and the columns
        // with a db_default that no object gives a value (Django leaves them out).
        let absent = |i: usize| {
            let attname = fields[i].attname();
            instances.iter().all(|inst| inst.get(&attname).is_none())
        };
        let to_database =
            |i: usize| fields[i].generated || (fields[i].db_default.is_some() && absent(i));
        let cols: Vec<usize> = (0..fields.len())
            .filter(|&i| !(to_database(i) || (db_assigns_pk && i == pk)))
            .collect();
        let left_out: Vec<String> = (0..fields.len())
            .filter(|&i| to_database(i))
            .map(|i| fields[i].attname())
            .collect();
        if let Some(f) = cols.iter().map(|&i| &fields[i]).find(|f| {
            f.db_default.is_some()
                && instances
                    .iter()
                    .any(|inst| inst.get(&f.attname()).is_none())
        }) {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "bulk_create() of objects of which only some leave {} to its db_default is not supported by djq yet",
                    f.name
                ),
            ));
        }
        let columns: Vec<String> = cols.iter().map(|&i| fields[i].column.clone()).collect();
        let tz = self.host.schema.tz;
        let mut rows = Vec::with_capacity(instances.len());
        for inst in instances {
            let mut row = Vec::with_capacity(cols.len());
            for &i in &cols {
                let f = &fields[i];
                let v = pre_save(inst, f, true, tz);
                row.push(crate::query::lookups::prep_value(
                    f.storage_kind(),
                    Some(&f.name),
                    v,
                    tz,
                )?);
            }
            self.host.dialect.check_datetimes(&row, tz)?;
            rows.push(row);
        }
        let pk_field = &fields[pk];
        let use_copy = !self.host.opts.sql_only
            && self.host.dialect == crate::sql::Dialect::Postgres
            && rows.len() >= COPY_THRESHOLD;
        // What comes back for each object: `returned[n]` holds the values of `fields` (by
        // index) `back` lists.
        let (back, returned): (Vec<usize>, Vec<Vec<Value>>) = if use_copy {
            let ids = self.copy_rows(table, pk_field, db_assigns_pk, columns, rows)?;
            let back = if db_assigns_pk { vec![pk] } else { Vec::new() };
            (back, ids.into_iter().map(|id| vec![id]).collect())
        } else {
            // Django's `db_returning_fields`, read back with RETURNING: an auto-incremented
            // key (also when given), the columns with a db_default (also when given) and
            // the generated ones, in field order.
            let back: Vec<usize> = (0..fields.len())
                .filter(|&i| {
                    let f = &fields[i];
                    (i == pk && is_auto(f.kind)) || f.db_default.is_some() || f.generated
                })
                .collect();
            let names: Vec<String> = back.iter().map(|&i| fields[i].column.to_string()).collect();
            let types: Vec<ValueType> = back.iter().map(|&i| fields[i].value_type()).collect();
            let statements = insert::insert(
                self.host.dialect,
                &Insert {
                    table,
                    columns: &columns,
                    returning: &names,
                    rows: &rows,
                    ignore_conflicts: false,
                },
            );
            let mut returned = Vec::with_capacity(rows.len());
            for st in &statements {
                if back.is_empty() {
                    self.execute_write(st, rows.len() as u64)?;
                } else {
                    self.run_rows(st, &types, &mut |row| {
                        returned.push(row);
                        Ok(())
                    })?;
                }
            }
            (back, returned)
        };
        for (n, inst) in instances.iter().enumerate() {
            inst.set_adding(false);
            match returned.get(n) {
                Some(row) => {
                    for (&i, v) in back.iter().zip(row) {
                        inst.set(&fields[i].attname(), v.clone());
                    }
                }
                // Not read back (COPY, `--sql-only`): loaded when next read.
                None => {
                    for attname in &left_out {
                        inst.unload(attname);
                    }
                }
            }
        }
        Ok(())
    }

    /// The JSONField documents `inst` holds, as they are now (changed in place since read or
    /// assigned: `p.history.append(...)`), made its values again before a write.
    pub(super) fn write_documents(&mut self, inst: &Instance) -> Result<()> {
        for (attname, doc) in inst.documents() {
            let value = Value::json(self.json_document(&doc, Span::default())?);
            inst.set(&attname, value);
            inst.set_document(&attname, doc);
        }
        Ok(())
    }

    /// Binary COPY (PostgreSQL); ids drawn from the sequence first when the database assigns
    /// them, so the objects still learn their primary keys.
    fn copy_rows(
        &mut self,
        table: &str,
        pk: &Field,
        db_assigns_pk: bool,
        mut columns: Vec<String>,
        mut rows: Vec<Vec<Value>>,
    ) -> Result<Vec<Value>> {
        let mut ids = Vec::new();
        if db_assigns_pk {
            let st = insert::next_ids(table, &pk.column, rows.len());
            self.run_rows(&st, &[ValueType::Int], &mut |row| {
                ids.push(row.into_iter().next().unwrap_or(Value::Null));
                Ok(())
            })?;
            columns.insert(0, pk.column.clone());
            for (row, id) in rows.iter_mut().zip(&ids) {
                row.insert(0, id.clone());
            }
        }
        let copy = Statement {
            sql: insert::copy(self.host.dialect, table, &columns),
            params: Vec::new(),
            content_types: Vec::new(),
        };
        self.note_statement(copy.clone());
        self.show_sql(&copy)?;
        self.on_backend(|b| {
            b.copy_in(table, &columns, &rows).unwrap_or_else(|| {
                Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    "this database cannot COPY",
                ))
            })
        })?;
        Ok(ids)
    }

    /// Django's `Field.get_default`: the models.py default (called when callable), else
    /// `""` for text fields that are not null, else None.
    pub(super) fn default_value(
        &mut self,
        model: ModelId,
        field: usize,
        span: Span,
    ) -> Result<Value> {
        let f = &self.host.schema.model(model).fields[field];
        let (kind, null) = (f.kind, f.null);
        if let Some(expr) = f.default.clone() {
            let v = self.eval_default(model, &expr, |s, v| match v {
                callable
                    if matches!(
                        callable,
                        Obj::Builtin(_) | Obj::Function(_) | Obj::Wrapper(_)
                    ) || callable.django_fn().is_some() =>
                {
                    s.call(
                        callable,
                        Args {
                            pos: Vec::new(),
                            kw: Vec::new(),
                            span,
                        },
                    )
                }
                other => Ok(other),
            })?;
            return self.plain_value(kind, &v, span);
        }
        let text = kind.is_text() && kind != FieldKind::GenericIpAddressField;
        Ok(if text && !null {
            Value::Text(String::new())
        } else {
            Value::Null
        })
    }

    /// A Python value stored in a field of `kind` (a JSONField's as its JSON document).
    pub(super) fn plain_value(&mut self, kind: FieldKind, o: &Obj, span: Span) -> Result<Value> {
        match o {
            Obj::Value(Value::Null) => Ok(Value::Null),
            o if kind == FieldKind::JsonField => Ok(Value::json(self.json_document(o, span)?)),
            Obj::Value(v) => Ok(v.clone()),
            Obj::Native(n) if let Some(v) = n.value() => Ok(v),
            // An instance of `class Cash(Decimal)` (a from_db_value's): its value.
            Obj::Object(inst) if let Some(v) = &inst.value => Ok(v.clone()),
            other => Err(type_error(
                &format!(
                    "djq cannot store a '{}' object in a field",
                    other.type_name()
                ),
                span,
            )),
        }
    }

    pub(super) fn wrong_instance(
        &self,
        model: ModelId,
        field: usize,
        got: &Obj,
        span: Span,
    ) -> Diagnostic {
        let m = self.host.schema.model(model);
        let (model, f) = (&m.name, &m.fields[field]);
        let target = f
            .relation
            .as_ref()
            .map_or_else(String::new, |r| self.host.schema.model(r.to).name.clone());
        let shown = match got {
            Obj::Value(v) => crate::value::python_repr(v),
            other => other.type_name(),
        };
        Diagnostic::new(
            ErrorKind::Value,
            format!(
                "Cannot assign \"{shown}\": \"{model}.{}\" must be a \"{target}\" instance.",
                f.name
            ),
        )
        .at(span)
    }
}

/// An auto-incremented primary key (the database assigns it).
fn is_auto(kind: FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::AutoField | FieldKind::BigAutoField | FieldKind::SmallAutoField
    )
}

fn type_error(msg: &str, span: Span) -> Diagnostic {
    Diagnostic::new(ErrorKind::Type, msg).at(span)
}

/// Django's `Field.pre_save(instance, add)`: `auto_now` stamps the time on every save,
/// `auto_now_add` on the insert (`add`); the value is set on the instance too. A date or a
/// time is today's, now, in `TIME_ZONE`; a datetime is `timezone.now()`.
pub(super) fn pre_save(inst: &Instance, f: &Field, add: bool, tz: TzConfig) -> Value {
    if f.auto_now || (add && f.auto_now_add) {
        let local = tz.wall_clock(chrono::Utc::now());
        let v = match f.kind {
            FieldKind::DateField => Value::Date(local.date()),
            FieldKind::TimeField => Value::Time(local.time()),
            _ => tz.now(),
        };
        inst.set(&f.attname(), v.clone());
        return v;
    }
    inst.get(&f.attname()).unwrap_or(Value::Null)
}
