//! Fixtures: Django's JSON serialization format, both ways, with the semantics of `manage.py
//! loaddata` and `dumpdata` (natural keys aside).
//!
//! Loading ([`Session::loaddata`], the `--loaddata` flag) finds each file by its label as
//! Django's loaddata does (JSON only) and parses it as it reads it, as a stream of
//! `{"model": "app_label.modelname", "pk": ..., "fields": {...}}` objects (one parsed object at
//! a time, so a file that is not JSON fails at once, whatever its size), converts every value as the field's `to_python` would (Django's
//! `DeserializationError` messages), and saves the objects as loaddata's raw save does: an
//! existing primary key is updated, a new one inserted, fields the fixture leaves out get
//! their defaults, and each many-to-many list replaces the object's set. Consecutive objects of
//! one model go to the database together, as `INSERT ... ON CONFLICT ("id") DO UPDATE` upserts
//! (objects without a pk as plain INSERTs); a failing statement is replayed row by row to name
//! the object Django would name. Everything runs in one transaction (all or nothing), then
//! foreign keys are checked and, on PostgreSQL, the sequences reset as loaddata does. Those
//! statements bypass the session's statement log, which would otherwise hold every row.
//!
//! Dumping (`dumpdata(...)` in the language, [`Session::dumpdata`]) writes what `dumpdata
//! [--indent N] [--output FILE]` writes: the models of the apps or models named, each ordered
//! by primary key, values as Django's serializer and `DjangoJSONEncoder` write them, text as
//! Python's `json.dump(ensure_ascii=False)` formats it.

use super::Session;
use super::obj::{QsKind, QuerySet};
use crate::backend::dateparse;
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Args;
use crate::py::Obj;
use crate::query::{OrderSpec, Query};
use crate::schema::{Field, FieldKind, ModelId};
use crate::sql::Dialect;
use crate::sql::insert::{self, Insert};
use crate::value::{Value, ValueType, python_float};
use serde::de::{DeserializeSeed, Error as _, SeqAccess, Visitor};
use serde_json::Value as Json;
use std::collections::{HashMap, HashSet};
use std::io::Write;

impl Session {
    /// `manage.py loaddata FILE...`: installs every object of the fixture files in one
    /// transaction (inside the open one with `--rollback`), and returns Django's summary,
    /// "Installed N object(s) from M fixture(s)".
    pub fn loaddata(&mut self, paths: &[String]) -> Result<String> {
        self.refuse_if_read_only()?;
        if self.host.backend.is_none() {
            return Err(super::no_database());
        }
        let result = self.atomic(|s| s.load_files(paths));
        let installed = result?;
        Ok(format!(
            "Installed {installed} object(s) from {} fixture(s)",
            paths.len()
        ))
    }

    fn load_files(&mut self, paths: &[String]) -> Result<usize> {
        let mut models: Vec<ModelId> = Vec::new();
        let mut installed = 0;
        for path in paths {
            let prefix = |d: Diagnostic| Diagnostic {
                message: format!("Problem installing fixture '{path}': {}", d.message),
                ..d
            };
            // Parsed as it is read, one object at a time: a file that is not JSON fails at
            // its first bad byte, and memory holds one object, not the file.
            let file = std::io::BufReader::with_capacity(1 << 16, fixture_file(path)?);
            let mut loader = Loader {
                batch: None,
                models: &mut models,
                installed: 0,
                labels: Vec::new(),
            };
            let mut failure = None;
            let mut de = serde_json::Deserializer::from_reader(file);
            let parsed = ObjectStream {
                on_object: &mut |obj| loader.add(self, obj),
                failure: &mut failure,
            }
            .deserialize(&mut de)
            .and_then(|()| de.end());
            if let Some(d) = failure {
                return Err(prefix(d));
            }
            parsed
                .map_err(|e| prefix(Diagnostic::new(ErrorKind::Deserialization, e.to_string())))?;
            loader.finish(self).map_err(prefix)?;
            installed += loader.installed;
        }
        self.check_constraints(&models).map_err(|d| Diagnostic {
            message: format!("Problem installing fixtures: {}", d.message),
            ..d
        })?;
        if installed > 0 && self.host.dialect == Dialect::Postgres {
            self.reset_sequences(&models)?;
        }
        Ok(installed)
    }

    /// Runs one of loaddata's statements (not logged: see the module doc).
    fn fixture_execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        self.on_backend(|b| b.execute(sql, params))
    }

    /// Runs one of loaddata's statements that return rows.
    fn fixture_query(
        &mut self,
        sql: &str,
        params: &[Value],
        types: &[ValueType],
    ) -> Result<Vec<Vec<Value>>> {
        self.on_backend(|b| b.query_all(sql, params, types))
    }

    /// Saves a batch of one model's objects, then their many-to-many sets.
    fn save_batch(&mut self, batch: Batch) -> Result<()> {
        let m = self.host.schema.model(batch.model);
        let (table, pk) = (m.table.clone(), m.pk_field().clone());
        let columns: Vec<String> = m
            .fields
            .iter()
            .enumerate()
            .filter(|&(i, _)| batch.with_pk || i != m.pk)
            .map(|(_, f)| f.column.clone())
            .collect();
        let label = format!("{}.{}", m.app_label, m.name);
        let pk_index = m.pk;
        let dialect = self.host.dialect;
        let insert = |rows: &[Vec<Value>]| {
            let ins = Insert {
                ignore_conflicts: false,
                table: &table,
                columns: &columns,
                returning: match batch.with_pk {
                    true => &[],
                    false => std::slice::from_ref(&pk.column),
                },
                rows,
            };
            if batch.with_pk {
                insert::upsert(dialect, &ins, std::slice::from_ref(&pk.column))
            } else {
                insert::insert(dialect, &ins)
            }
        };
        let statements = insert(&batch.rows);
        let per_statement = insert::batch_size(self.host.dialect, columns.len());
        let mut ids: Vec<Value> = Vec::with_capacity(batch.rows.len());
        let pk_type = [pk.value_type()];
        for (k, st) in statements.iter().enumerate() {
            // In a savepoint of its own, so that a failing statement can be replayed.
            let result = self.atomic(|s| {
                if batch.with_pk {
                    s.fixture_execute(&st.sql, &st.params).map(|_| Vec::new())
                } else {
                    s.fixture_query(&st.sql, &st.params, &pk_type)
                }
            });
            match result {
                Ok(rows) => {
                    ids.extend(rows.into_iter().filter_map(|r| r.into_iter().next()));
                }
                Err(error) => {
                    let first = k * per_statement;
                    let chunk = &batch.rows[first..(first + per_statement).min(batch.rows.len())];
                    // Replay one object at a time: the first to fail is the one Django names.
                    let mut culprit = (error, &batch.pks[first]);
                    for (i, row) in chunk.iter().enumerate() {
                        let single = insert(std::slice::from_ref(row));
                        if let Err(e) = self.fixture_execute(&single[0].sql, &single[0].params) {
                            culprit = (e, &batch.pks[first + i]);
                            break;
                        }
                    }
                    let (e, pk) = culprit;
                    return Err(Diagnostic {
                        message: format!("Could not load {label}(pk={pk}): {}", e.message),
                        ..e
                    });
                }
            }
        }
        if batch.with_pk {
            ids = batch.rows.iter().map(|r| r[pk_index].clone()).collect();
        }
        self.save_m2m(batch.model, &batch.m2m, &ids)
    }

    /// `getattr(obj, name).set(pks)` for each object, as Django runs it: the rows no longer
    /// listed are deleted, the missing ones added (in ascending order, as Django's set of ids
    /// iterates); rows already there stay untouched.
    fn save_m2m(&mut self, model: ModelId, sets: &[M2mSet], ids: &[Value]) -> Result<()> {
        let dialect = self.host.dialect;
        let q = |s: &str| dialect.quote(s);
        for set in sets {
            let mm = &self.host.schema.model(model).m2m[set.m2m];
            let through = self.host.schema.model(mm.through);
            let table = through.table.clone();
            let (source, target) = (
                &through.fields[mm.source_field],
                &through.fields[mm.target_field],
            );
            let target_type = [target.value_type()];
            let columns = [source.column.clone(), target.column.clone()];
            let id = ids[set.row].clone();
            let where_source = format!(
                "FROM {} WHERE {} = {}",
                q(&table),
                q(&columns[0]),
                dialect.placeholder(1)
            );
            let old: Vec<Value> = self
                .fixture_query(
                    &format!("SELECT {} {where_source}", q(&columns[1])),
                    std::slice::from_ref(&id),
                    &target_type,
                )?
                .into_iter()
                .filter_map(|r| r.into_iter().next())
                .collect();
            let removed: Vec<&Value> = old.iter().filter(|v| !set.targets.contains(v)).collect();
            if !removed.is_empty() {
                let marks: Vec<String> = (0..removed.len())
                    .map(|i| dialect.placeholder(i + 2))
                    .collect();
                let sql = format!(
                    "DELETE {where_source} AND {} IN ({})",
                    q(&columns[1]),
                    marks.join(", ")
                );
                let mut params = vec![id.clone()];
                params.extend(removed.into_iter().cloned());
                self.fixture_execute(&sql, &params)?;
            }
            let mut added: Vec<Value> = Vec::new();
            for t in &set.targets {
                if !old.contains(t) && !added.contains(t) {
                    added.push(t.clone());
                }
            }
            added.sort_by(|a, b| match (a, b) {
                (Value::Int(a), Value::Int(b)) => a.cmp(b),
                _ => std::cmp::Ordering::Equal,
            });
            let rows: Vec<Vec<Value>> = added.into_iter().map(|t| vec![id.clone(), t]).collect();
            let ins = Insert {
                ignore_conflicts: false,
                table: &table,
                columns: &columns,
                returning: &[],
                rows: &rows,
            };
            for st in insert::insert(dialect, &ins) {
                self.fixture_execute(&st.sql, &st.params)?;
            }
        }
        Ok(())
    }

    /// Django's `check_constraints(table_names)` after loading with constraint checks off:
    /// the first row whose foreign key points nowhere fails the load.
    fn check_constraints(&mut self, models: &[ModelId]) -> Result<()> {
        if self.host.dialect == Dialect::Postgres {
            self.fixture_execute("SET CONSTRAINTS ALL IMMEDIATE", &[])?;
            return self
                .fixture_execute("SET CONSTRAINTS ALL DEFERRED", &[])
                .map(|_| ());
        }
        for &id in models {
            let m = self.host.schema.model(id);
            let (table, pk) = (m.table.clone(), m.pk_field().column.clone());
            let dialect = self.host.dialect;
            let q = |s: &str| dialect.quote(s);
            let check = format!("PRAGMA foreign_key_check({})", q(&table));
            let Some(violation) = self
                .fixture_query(&check, &[], &[])
                .map(|r| r.into_iter().next())?
            else {
                continue;
            };
            let (Some(Value::Int(rowid)), Some(Value::Text(referenced)), Some(Value::Int(fk))) = (
                violation.get(1).cloned(),
                violation.get(2).cloned(),
                violation.get(3).cloned(),
            ) else {
                continue;
            };
            let keys =
                self.fixture_query(&format!("PRAGMA foreign_key_list({})", q(&table)), &[], &[])?;
            let key = keys.get(fk as usize).cloned().unwrap_or_default();
            let text = |i: usize| key.get(i).map(Value::to_python_str).unwrap_or_default();
            let (column, referenced_column) = (text(3), text(4));
            let sql = format!(
                "SELECT {}, {} FROM {} WHERE rowid = ?",
                q(&pk),
                q(&column),
                q(&table)
            );
            let row = self
                .fixture_query(&sql, &[Value::Int(rowid)], &[])?
                .into_iter()
                .next()
                .unwrap_or_default();
            let shown = |i: usize| row.get(i).map(Value::to_python_str).unwrap_or_default();
            return Err(Diagnostic::new(
                ErrorKind::Integrity,
                format!(
                    "The row in table '{table}' with primary key '{}' has an invalid foreign key: \
                     {table}.{column} contains a value '{}' that does not have a corresponding \
                     value in {referenced}.{referenced_column}.",
                    shown(0),
                    shown(1)
                ),
            ));
        }
        Ok(())
    }

    /// PostgreSQL's `sequence_reset_sql` for the models loaded: each auto primary key's
    /// sequence continues after the largest id.
    fn reset_sequences(&mut self, models: &[ModelId]) -> Result<()> {
        for &id in models {
            let m = self.host.schema.model(id);
            let pk = m.pk_field();
            if !is_auto(pk.kind) {
                continue;
            }
            let q = |s: &str| self.host.dialect.quote(s);
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence($1, $2), coalesce(max({0}), 1), max({0}) IS NOT null) FROM {1}",
                q(&pk.column),
                q(&m.table)
            );
            let params = [Value::Text(q(&m.table)), Value::Text(pk.column.clone())];
            self.fixture_query(&sql, &params, &[])?;
        }
        Ok(())
    }

    /// `dumpdata(*labels, indent=None, output=None)`: `manage.py dumpdata`'s JSON, printed (or
    /// written to `output`).
    pub(super) fn dumpdata(&mut self, args: &Args) -> Result<Obj> {
        args.no_kwargs_except(&["indent", "output"], "dumpdata")?;
        let labels = args.strings("dumpdata")?;
        let indent = match args.kwarg("indent") {
            None | Some(Obj::Value(Value::Null)) => None,
            Some(Obj::Value(Value::Int(n))) if *n >= 0 => Some(*n as usize),
            Some(other) => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("indent must be an integer, not {}", other.type_name()),
                )
                .at(args.span));
            }
        };
        let output = match args.kwarg("output") {
            None | Some(Obj::Value(Value::Null)) => None,
            Some(Obj::Value(Value::Text(path))) => Some(path.clone()),
            Some(other) => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("output must be a file name, not {}", other.type_name()),
                )
                .at(args.span));
            }
        };
        if output.is_some() {
            // Writing a file is a side effect too.
            self.refuse_if_read_only().map_err(|d| d.at(args.span))?;
        }
        let models = self.dump_models(&labels).map_err(|d| d.at(args.span))?;
        // Rows stream straight to the output: a file written whole or not at all, or the
        // session's output, set aside while queries run.
        let result = match &output {
            Some(path) => {
                crate::render::write_file_whole(path, |out| self.dump(&models, indent, out))
            }
            None => {
                let mut out = std::mem::replace(&mut self.out, Box::new(std::io::sink()));
                let result = self.dump(&models, indent, &mut out);
                let flushed = out.flush().map_err(crate::render::io_error);
                self.out = out;
                result.and(flushed)
            }
        };
        result.map_err(|d| serialization_error(d).at(args.span))?;
        Ok(Obj::NONE)
    }

    /// The models `dumpdata` labels name (`app_label` or `app_label.ModelName`), in Django's
    /// order: apps as first named, an app's models in definition order.
    fn dump_models(&self, labels: &[(String, Span)]) -> Result<Vec<ModelId>> {
        let app_models = |app: &str| -> Vec<ModelId> {
            let mut ids: Vec<ModelId> = self
                .host
                .schema
                .user_models()
                .filter(|(_, m)| m.app_label == app)
                .map(|(id, _)| id)
                .collect();
            ids.sort_by_key(|&id| {
                (
                    self.host.schema.model(id).declared.unwrap_or(usize::MAX),
                    id,
                )
            });
            ids
        };
        let mut apps: Vec<(String, Option<Vec<ModelId>>)> = Vec::new();
        if labels.is_empty() {
            for (_, m) in self.host.schema.user_models() {
                if !apps.iter().any(|(a, _)| *a == m.app_label) {
                    apps.push((m.app_label.clone(), None));
                }
            }
        }
        for (label, span) in labels {
            let (app, model) = match label.split_once('.') {
                Some((app, model)) => (app, Some(model)),
                None => (label.as_str(), None),
            };
            if !self.host.schema.models.iter().any(|m| m.app_label == app) {
                return Err(Diagnostic::new(
                    ErrorKind::Command,
                    format!("No installed app with label '{app}'."),
                )
                .at(*span));
            }
            let slot = match apps.iter().position(|(a, _)| a == app) {
                Some(i) => i,
                None => {
                    apps.push((app.to_string(), Some(Vec::new())));
                    apps.len() - 1
                }
            };
            let Some(model) = model else {
                apps[slot].1 = None;
                continue;
            };
            let Some(id) = self
                .host
                .schema
                .models
                .iter()
                .position(|m| m.app_label == app && m.name.eq_ignore_ascii_case(model))
            else {
                return Err(Diagnostic::new(
                    ErrorKind::Command,
                    format!("Unknown model: {app}.{model}"),
                )
                .at(*span));
            };
            if let Some(list) = &mut apps[slot].1
                && !list.contains(&id)
            {
                list.push(id);
            }
        }
        Ok(apps
            .into_iter()
            .flat_map(|(app, list)| list.unwrap_or_else(|| app_models(&app)))
            .collect())
    }

    /// Writes the objects of `models` as Django's JSON serializer does.
    fn dump(
        &mut self,
        models: &[ModelId],
        indent: Option<usize>,
        out: &mut dyn Write,
    ) -> Result<()> {
        let io = crate::render::io_error;
        out.write_all(b"[").map_err(io)?;
        let mut first = true;
        for &model in models {
            let m2m = self.dump_m2m(model)?;
            let m = self.host.schema.model(model);
            let label = format!("{}.{}", m.app_label, m.name.to_lowercase());
            let (fields, pk) = (m.fields.clone(), m.pk);
            let m2m_names: Vec<String> = m.m2m.iter().map(|mm| mm.name.clone()).collect();
            let mut query = Query::new(&self.host.schema, model);
            query.clear_ordering(true, false);
            query.order_by.push(order("pk"));
            let qs = QuerySet::new(query, QsKind::Instances);
            self.run_select(&qs, &mut |_, row| {
                let mut obj = serde_json::Map::new();
                obj.insert("model".into(), Json::String(label.clone()));
                let pk_value = dump_value(&fields[pk], &row[pk])?;
                obj.insert("pk".into(), pk_value.clone());
                let mut values = serde_json::Map::new();
                for (i, f) in fields.iter().enumerate() {
                    if i != pk {
                        values.insert(f.name.clone(), dump_value(f, &row[i])?);
                    }
                }
                for (name, sets) in m2m_names.iter().zip(&m2m) {
                    let Some(sets) = sets else { continue };
                    let listed = sets.get(&pk_value.to_string()).cloned().unwrap_or_default();
                    values.insert(name.clone(), Json::Array(listed));
                }
                obj.insert("fields".into(), Json::Object(values));
                let mut text = String::new();
                if !first {
                    text.push(',');
                    if indent.is_none_or(|n| n == 0) {
                        text.push(' ');
                    }
                }
                if indent.is_some_and(|n| n > 0) {
                    text.push('\n');
                }
                first = false;
                write_python_json(&mut text, &Json::Object(obj), indent, 0);
                out.write_all(text.as_bytes()).map_err(io)
            })?;
        }
        if indent.is_some_and(|n| n > 0) {
            out.write_all(b"\n").map_err(io)?;
        }
        out.write_all(b"]\n").map_err(io)
    }

    /// For each many-to-many field of `model` (`None` unless its through model is
    /// auto-created, as Django's serializer skips the others): the target pks of each source
    /// object (keyed by the source pk's JSON text), ordered as Django orders them: by the
    /// target's `Meta.ordering`, then pk.
    fn dump_m2m(&mut self, model: ModelId) -> Result<Vec<Option<M2mDump>>> {
        let mut out = Vec::new();
        for mm in self.host.schema.model(model).m2m.clone() {
            let through = self.host.schema.model(mm.through);
            if !through.auto_created {
                out.push(None);
                continue;
            }
            let (source, target) = (
                through.fields[mm.source_field].clone(),
                through.fields[mm.target_field].clone(),
            );
            let mut query = Query::new(&self.host.schema, mm.through);
            query.clear_ordering(true, false);
            query.order_by.push(order(&source.attname()));
            for o in &self.host.schema.model(mm.to).ordering {
                if o == "?" {
                    continue;
                }
                let (sign, name) = o.strip_prefix('-').map_or(("", o.as_str()), |n| ("-", n));
                query
                    .order_by
                    .push(order(&format!("{sign}{}__{name}", target.name)));
            }
            query.order_by.push(order(&target.attname()));
            let (si, ti) = (mm.source_field, mm.target_field);
            let mut sets = M2mDump::new();
            self.run_select(&QuerySet::new(query, QsKind::Instances), &mut |_, row| {
                sets.entry(dump_value(&source, &row[si])?.to_string())
                    .or_default()
                    .push(dump_value(&target, &row[ti])?);
                Ok(())
            })?;
            out.push(Some(sets));
        }
        Ok(out)
    }
}

/// dumpdata's "Unable to serialize database" CommandError around what went wrong, except for
/// what is not a Python `Exception` (Ctrl-C), output errors (a closed pipe, a full disk: djq's
/// own) and what djq cannot do yet.
fn serialization_error(d: Diagnostic) -> Diagnostic {
    match d.kind {
        ErrorKind::KeyboardInterrupt | ErrorKind::Io | ErrorKind::NotSupported => d,
        _ => Diagnostic::new(
            ErrorKind::Command,
            format!("Unable to serialize database: {}", d.message),
        ),
    }
}

/// A many-to-many field's target pks by source pk (its JSON text), in dump order.
type M2mDump = HashMap<String, Vec<Json>>;

/// `order_by(name)` as the query IR takes it.
fn order(name: &str) -> OrderSpec {
    OrderSpec::Name {
        name: name.to_string(),
        span: Span::default(),
    }
}

fn is_auto(kind: FieldKind) -> bool {
    matches!(
        kind,
        FieldKind::AutoField | FieldKind::BigAutoField | FieldKind::SmallAutoField
    )
}

/// A value of `field` as Django's serializer writes it: "protected" types (None, numbers,
/// dates, times, decimals) through `DjangoJSONEncoder`, the rest as `value_to_string`
/// (durations as `duration_string`, UUIDs hyphenated, JSON as the document itself).
fn dump_value(field: &Field, v: &Value) -> Result<Json> {
    match (field.kind, v) {
        (_, Value::Duration(us)) => Ok(Json::String(crate::value::duration_string(*us))),
        (FieldKind::ArrayField | FieldKind::BinaryField, v) if !v.is_null() => {
            Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "djq cannot serialize {} values yet ('{}')",
                    field.kind.django_name(),
                    field.name
                ),
            ))
        }
        (_, v) => Ok(v.to_json()),
    }
}

/// Python's `json.dump(value, indent=indent, ensure_ascii=False)` with the separators Django's
/// serializer picks (`", "` inline, `","` at line ends), floats as Python's `repr`.
fn write_python_json(out: &mut String, v: &Json, indent: Option<usize>, level: usize) {
    let newline = |out: &mut String, level: usize| {
        if let Some(n) = indent {
            out.push('\n');
            out.push_str(&" ".repeat(n * level));
        }
    };
    let item_sep = if indent.is_some() { "," } else { ", " };
    match v {
        Json::Number(n) if n.is_f64() => out.push_str(&python_float(n.as_f64().unwrap_or(0.0))),
        Json::Array(items) if !items.is_empty() => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, level + 1);
                write_python_json(out, item, indent, level + 1);
            }
            newline(out, level);
            out.push(']');
        }
        Json::Object(map) if !map.is_empty() => {
            out.push('{');
            for (i, (k, item)) in map.iter().enumerate() {
                if i > 0 {
                    out.push_str(item_sep);
                }
                newline(out, level + 1);
                out.push_str(&Json::String(k.clone()).to_string());
                out.push_str(": ");
                write_python_json(out, item, indent, level + 1);
            }
            newline(out, level);
            out.push('}');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// Consecutive objects of one model and one shape, saved together.
struct Batch {
    model: ModelId,
    /// The objects carry their primary key (upserted); else the database assigns it.
    with_pk: bool,
    /// Values of every concrete field (the pk's too), prepared for the database.
    rows: Vec<Vec<Value>>,
    /// Each object's pk as Python shows it, for "Could not load books.Book(pk=5)".
    pks: Vec<String>,
    /// The primary keys in the batch: one repeated starts a new batch (an upsert statement
    /// may not touch a row twice).
    seen: HashSet<String>,
    m2m: Vec<M2mSet>,
}

/// `getattr(obj, m2m).set(targets)` for `rows[row]`.
struct M2mSet {
    row: usize,
    m2m: usize,
    targets: Vec<Value>,
}

/// Turns fixture objects into batches and saves each when the next object cannot join it.
struct Loader<'a> {
    batch: Option<Batch>,
    /// Models saved so far, in first-seen order (constraint checks, sequence resets).
    models: &'a mut Vec<ModelId>,
    installed: usize,
    /// Model labels already resolved (`books.book` → its id).
    labels: Vec<(String, ModelId)>,
}

impl Loader<'_> {
    fn add(&mut self, s: &mut Session, obj: Json) -> Result<()> {
        let object = Object::read(s, obj, &mut self.labels)?;
        let rows = s.host.schema.model(object.model).fields.len();
        let per_batch = insert::batch_size(s.host.dialect, rows) * 64;
        let joins = self.batch.as_ref().is_some_and(|b| {
            b.model == object.model
                && b.with_pk == object.with_pk
                && b.rows.len() < per_batch
                && !(object.with_pk && b.seen.contains(&object.pk_shown))
        });
        if !joins && let Some(done) = self.batch.take() {
            s.save_batch(done)?;
        }
        let batch = self.batch.get_or_insert_with(|| Batch {
            model: object.model,
            with_pk: object.with_pk,
            rows: Vec::new(),
            pks: Vec::new(),
            seen: HashSet::new(),
            m2m: Vec::new(),
        });
        let row = batch.rows.len();
        batch.m2m.extend(
            object
                .m2m
                .into_iter()
                .map(|(m2m, targets)| M2mSet { row, m2m, targets }),
        );
        if object.with_pk {
            batch.seen.insert(object.pk_shown.clone());
        }
        batch.rows.push(object.row);
        batch.pks.push(object.pk_shown);
        if !self.models.contains(&object.model) {
            self.models.push(object.model);
        }
        self.installed += 1;
        Ok(())
    }

    fn finish(&mut self, s: &mut Session) -> Result<()> {
        match self.batch.take() {
            Some(batch) => s.save_batch(batch),
            None => Ok(()),
        }
    }
}

/// One fixture object, read as the Python deserializer reads it.
struct Object {
    model: ModelId,
    with_pk: bool,
    pk_shown: String,
    row: Vec<Value>,
    m2m: Vec<(usize, Vec<Value>)>,
}

impl Object {
    fn read(s: &mut Session, obj: Json, labels: &mut Vec<(String, ModelId)>) -> Result<Object> {
        let Json::Object(mut obj) = obj else {
            return Err(deserialization(format!(
                "Error deserializing object: {} is not a fixture object",
                python_str(&obj)
            )));
        };
        let identifier = obj
            .get("model")
            .ok_or_else(|| deserialization("Error deserializing object: 'model'".into()))?;
        let model_label = python_str(identifier);
        let model = match labels.iter().find(|(l, _)| *l == model_label) {
            Some((_, m)) => *m,
            None => {
                let m =
                    model_label
                        .split_once('.')
                        .and_then(|(app, name)| {
                            s.host.schema.models.iter().position(|m| {
                                m.app_label == app && m.name.eq_ignore_ascii_case(name)
                            })
                        })
                        .ok_or_else(|| {
                            deserialization(format!("Invalid model identifier: {model_label}"))
                        })?;
                labels.push((model_label.clone(), m));
                m
            }
        };
        let raw_pk = obj.get("pk").cloned();
        let shown_pk = raw_pk.as_ref().map_or("None".into(), python_str);
        let with_data = |e: Diagnostic, value: &Json| {
            deserialization(format!(
                "{}: ({model_label}:pk={shown_pk}) field_value was '{}'",
                e.message,
                python_str(value)
            ))
        };
        let m = s.host.schema.model(model);
        let tz = s.host.schema.tz;
        let (nfields, pk_index) = (m.fields.len(), m.pk);
        let mut given: Vec<Option<Value>> = vec![None; nfields];
        if let Some(pk) = &raw_pk {
            let f = &m.fields[pk_index];
            given[pk_index] = Some(to_python(f, pk, tz).map_err(|e| {
                deserialization(format!(
                    "{}: ({model_label}:pk={shown_pk}) field_value was 'None'",
                    e.message
                ))
            })?);
        }
        let fields = match obj.remove("fields") {
            Some(Json::Object(fields)) => fields,
            Some(other) => {
                return Err(deserialization(format!(
                    "Error deserializing object: {} is not a dict of fields",
                    python_str(&other)
                )));
            }
            None => {
                return Err(deserialization(
                    "Error deserializing object: 'fields'".into(),
                ));
            }
        };
        let mut m2m = Vec::new();
        for (name, value) in &fields {
            if let Some(i) = m.concrete(name) {
                let f = &m.fields[i];
                let v = match &f.relation {
                    Some(fk) => {
                        to_python(&s.host.schema.model(fk.to).fields[fk.to_field], value, tz)
                    }
                    None => to_python(f, value, tz),
                };
                given[i] = Some(v.map_err(|e| with_data(e, value))?);
            } else if let Some(j) = m.m2m.iter().position(|mm| mm.name == *name) {
                let target = s.host.schema.model(m.m2m[j].to);
                let target_pk = target.pk_field();
                let items = match value {
                    Json::Array(items) => items.as_slice(),
                    other => {
                        let e = Diagnostic::new(
                            ErrorKind::Type,
                            format!("'{}' object is not iterable", json_type(other)),
                        );
                        return Err(with_data(e, other));
                    }
                };
                let targets = items
                    .iter()
                    .map(|item| to_python(target_pk, item, tz).map_err(|e| with_data(e, item)))
                    .collect::<Result<Vec<_>>>()?;
                m2m.push((j, targets));
            } else {
                return Err(deserialization(format!(
                    "Error deserializing object: {} has no field named '{name}'",
                    m.name
                )));
            }
        }
        let with_pk = given[pk_index].as_ref().is_some_and(|v| !v.is_null())
            || !is_auto(m.fields[pk_index].kind);
        let pk_shown = given[pk_index]
            .as_ref()
            .map_or("None".into(), Value::to_python_str);
        let mut row = Vec::with_capacity(nfields);
        for (i, v) in given.into_iter().enumerate() {
            let v = match v {
                Some(v) => v,
                None => s.default_value(model, i, Span::default())?,
            };
            let f = &s.host.schema.model(model).fields[i];
            let v = crate::query::lookups::prep_value(f.kind, Some(&f.name), v, s.host.schema.tz)
                .map_err(|e| with_data(e, &Json::Null))?;
            row.push(v);
        }
        Ok(Object {
            model,
            with_pk,
            pk_shown,
            row,
            m2m,
        })
    }
}

fn deserialization(message: String) -> Diagnostic {
    Diagnostic::new(ErrorKind::Deserialization, message)
}

/// A `ValidationError` as `str()` shows it: `['“x” value must be an integer.']`.
fn invalid(value: &Json, what: &str) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Validation,
        format!("['“{}” {what}']", python_str(value)),
    )
}

/// The field's `to_python` of a fixture value, as the value djq binds. Dates, datetimes,
/// times and decimals are parsed by `prep_value` (their messages are Django's already).
fn to_python(field: &Field, value: &Json, tz: crate::tz::TzConfig) -> Result<Value> {
    use FieldKind::*;
    let kind = match field.kind {
        ForeignKey | OneToOneField => IntegerField,
        k => k,
    };
    let v = match (kind, value) {
        (_, Json::Null) => Value::Null,
        (JsonField, v) => Value::json(v.clone()),
        (k, v) if k.is_integer() => match v {
            Json::Number(n) => n
                .as_i64()
                .or_else(|| n.as_f64().filter(|f| f.is_finite()).map(|f| f.trunc() as i64))
                .map(Value::Int)
                .ok_or_else(|| invalid(v, "value must be an integer."))?,
            Json::Bool(b) => Value::Int(*b as i64),
            Json::String(s) => s
                .trim()
                .parse()
                .map(Value::Int)
                .map_err(|_| invalid(v, "value must be an integer."))?,
            _ => return Err(invalid(v, "value must be an integer.")),
        },
        (BooleanField, v) => match v {
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) if n.as_i64() == Some(1) => Value::Bool(true),
            Json::Number(n) if n.as_i64() == Some(0) => Value::Bool(false),
            Json::String(s) if matches!(s.as_str(), "t" | "True" | "1") => Value::Bool(true),
            Json::String(s) if matches!(s.as_str(), "f" | "False" | "0") => Value::Bool(false),
            _ if field.null => {
                return Err(invalid(v, "value must be either True, False, or None."));
            }
            _ => return Err(invalid(v, "value must be either True or False.")),
        },
        (FloatField, v) => match v {
            Json::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
            Json::String(s) => s
                .trim()
                .parse()
                .map(Value::Float)
                .map_err(|_| invalid(v, "value must be a float."))?,
            _ => return Err(invalid(v, "value must be a float.")),
        },
        (DurationField, v) => match v {
            Json::Number(n) if n.is_i64() => Value::Duration(n.as_i64().unwrap_or(0) * 1_000_000),
            Json::String(s) => dateparse::parse_duration(s)
                .map(Value::Duration)
                .map_err(|_| {
                    invalid(
                        v,
                        "value has an invalid format. It must be in [DD] [[HH:]MM:]ss[.uuuuuu] format.",
                    )
                })?,
            _ => {
                return Err(invalid(
                    v,
                    "value has an invalid format. It must be in [DD] [[HH:]MM:]ss[.uuuuuu] format.",
                ));
            }
        },
        (UuidField, v) => dateparse::uuid(&python_str(v))
            .map(Value::Uuid)
            .map_err(|_| invalid(v, "is not a valid UUID."))?,
        (ArrayField | BinaryField, _) => {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "djq cannot load {} values from fixtures yet",
                    kind.django_name()
                ),
            ));
        }
        (DecimalField, Json::Number(n)) => Value::Text(n.to_string()),
        (_, Json::String(s)) => Value::Text(s.clone()),
        (_, v) => Value::Text(python_str(v)),
    };
    crate::query::lookups::prep_value(field.kind, Some(&field.name), v, tz)
}

/// Python's `str()` of a JSON value as `json.loads` returns it.
fn python_str(v: &Json) -> String {
    match v {
        Json::String(s) => s.clone(),
        other => python_repr(other),
    }
}

fn python_repr(v: &Json) -> String {
    match v {
        Json::Null => "None".into(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::Number(n) if n.is_f64() => python_float(n.as_f64().unwrap_or(0.0)),
        Json::Number(n) => n.to_string(),
        Json::String(s) => crate::value::python_repr(&Value::Text(s.clone())),
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(python_repr).collect::<Vec<_>>().join(", ")
        ),
        Json::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!(
                    "{}: {}",
                    python_repr(&Json::String(k.clone())),
                    python_repr(v)
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

fn json_type(v: &Json) -> &'static str {
    match v {
        Json::Null => "NoneType",
        Json::Bool(_) => "bool",
        Json::Number(n) if n.is_f64() => "float",
        Json::Number(_) => "int",
        Json::String(_) => "str",
        Json::Array(_) => "list",
        Json::Object(_) => "dict",
    }
}

/// The fixture file a `--loaddata` label names, found as Django's loaddata finds it: the
/// label's extension names the format (`books.json`), a label without one means `books.json`
/// (Django also tries the formats djq does not read); Django's `CommandError`s otherwise.
fn fixture_file(label: &str) -> Result<std::fs::File> {
    let command = |message: String| Diagnostic::new(ErrorKind::Command, message);
    // Django's parse_name: the last two dotted parts of the whole label, directories included.
    let mut parts: Vec<&str> = label.rsplitn(3, '.').collect();
    parts.reverse();
    if parts.len() > 1 && COMPRESSIONS.contains(&parts[parts.len() - 1]) {
        return Err(Diagnostic::new(
            ErrorKind::NotSupported,
            format!(
                "Problem installing fixture '{label}': compressed fixtures are not supported by djq"
            ),
        ));
    }
    let path = match parts.split_last() {
        Some((&"json", _)) => label.to_string(),
        Some((&format, name)) if parts.len() > 1 => {
            let name = name.join(".");
            return Err(if ["xml", "yaml", "jsonl"].contains(&format) {
                Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "Problem installing fixture '{name}': {format} fixtures are not supported by djq (JSON only)"
                    ),
                )
            } else {
                command(format!(
                    "Problem installing fixture '{name}': {format} is not a known serialization format."
                ))
            });
        }
        _ => format!("{label}.json"),
    };
    let not_found = || {
        let name = path.strip_suffix(".json").unwrap_or(&path);
        let base = std::path::Path::new(name)
            .file_name()
            .map_or(name.into(), |n| n.to_string_lossy());
        command(format!("No fixture named '{base}' found."))
    };
    match std::fs::File::open(&path) {
        Ok(file) if file.metadata().is_ok_and(|m| !m.is_dir()) => Ok(file),
        Ok(_) => Err(not_found()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(not_found()),
        Err(e) => Err(Diagnostic::new(
            ErrorKind::Io,
            format!("cannot read {path}: {e}"),
        )),
    }
}

/// The compression formats Django's loaddata recognises by extension.
const COMPRESSIONS: [&str; 5] = ["gz", "zip", "bz2", "lzma", "xz"];

/// The top-level JSON list of a fixture, handed to `on_object` one object at a time.
struct ObjectStream<'a> {
    on_object: &'a mut dyn FnMut(Json) -> Result<()>,
    /// The error `on_object` stopped the stream with.
    failure: &'a mut Option<Diagnostic>,
}

impl<'de> DeserializeSeed<'de> for ObjectStream<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ObjectStream<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while let Some(obj) = seq.next_element::<Json>()? {
            if let Err(d) = (self.on_object)(obj) {
                *self.failure = Some(d);
                return Err(A::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}
