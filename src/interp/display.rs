//! Displaying the value of a top-level expression: querysets stream into a row sink,
//! instances and dicts become records, scalars print; SQL is shown before results in the
//! human formats.

use super::nested::{Writing, deeper};
use super::obj::{Obj, QsKind, QuerySet};
use super::{Session, SqlEcho};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::render::{self, Format, Shape};
use crate::sql::Statement;
use crate::syntax::ast::Expr;
use crate::value::Value;
use std::io::Write;
use std::ops::ControlFlow;

impl Session {
    pub(super) fn display(&mut self, v: &Obj, at: &Expr) -> Result<()> {
        match v {
            Obj::Manager(m) => {
                let qs = self.manager_queryset(*m);
                self.display_queryset(&qs).map_err(|d| d.at(at.span))
            }
            Obj::QuerySet(qs) => self.display_queryset(qs).map_err(|d| d.at(at.span)),
            _ if self.opts.sql_only => Ok(()),
            Obj::Instance(inst) => self.record(inst.fields()),
            Obj::Value(val) => render::scalar(self.opts.format, val, &mut self.out),
            Obj::Dict(pairs)
                if pairs.borrow().iter().all(|(k, v)| {
                    matches!(k, Obj::Value(Value::Text(_))) && matches!(v, Obj::Value(_))
                }) =>
            {
                let fields = pairs
                    .borrow()
                    .iter()
                    .map(|(k, v)| match (k, v) {
                        (Obj::Value(Value::Text(k)), Obj::Value(v)) => (k.clone(), v.clone()),
                        _ => unreachable!("checked above"),
                    })
                    .collect();
                self.record(fields)
            }
            other => {
                let text = match self.opts.format {
                    Format::Json | Format::Ndjson => self.json_value(other)?.to_string(),
                    Format::Csv => self.repr(other)?,
                    Format::Table | Format::Vertical => {
                        render::escape_controls(&self.repr(other)?).into_owned()
                    }
                };
                writeln!(self.out, "{text}").map_err(render::io_error)
            }
        }
    }

    /// One record (an instance, a dict of values): `name → value` pairs.
    fn record(&mut self, fields: Vec<(String, Value)>) -> Result<()> {
        let (cols, vals): (Vec<String>, Vec<Value>) = fields.into_iter().unzip();
        render::record(
            self.opts.format,
            self.opts.style,
            &cols,
            &vals,
            &mut self.out,
        )
    }

    fn display_queryset(&mut self, qs: &QuerySet) -> Result<()> {
        let shape = match qs.kind {
            QsKind::Instances | QsKind::Values => Shape::Objects,
            QsKind::ValuesList { flat: true, .. } => Shape::Flat,
            QsKind::ValuesList { .. } => Shape::Arrays,
        };
        if self.opts.sql_only {
            let compiled = crate::sql::select(&self.schema, self.dialect, &qs.query)?;
            if let Some(st) = compiled.statement {
                self.note_statement(&st);
            }
            return Ok(());
        }
        // Prefetching needs the fetched instances, and an evaluated queryset is shown from
        // its cache (running nothing): display from the objects. An `iterator()` streams
        // instead: its prefetches would only load relations the rows do not show.
        if (!qs.prefetch.is_empty() && qs.chunk_size.is_none()) || qs.cache.get().is_some() {
            let objs = self.evaluate(qs)?;
            let compiled = crate::sql::select(&self.schema, self.dialect, &qs.query)?;
            let names = shown_names(&compiled.plan);
            let mut sink = render::sink(self.opts.format, shape, self.opts.style, &mut self.out);
            sink.begin(&names)?;
            for o in objs.iter() {
                sink.row(&object_row(o))?;
            }
            return sink.end();
        }
        let compiled = crate::sql::select(&self.schema, self.dialect, &qs.query)?;
        let names = shown_names(&compiled.plan);
        let shown = compiled.plan.shown;
        let types: Vec<_> = compiled.plan.columns.iter().map(|c| c.ty).collect();
        if let Some(st) = &compiled.statement {
            self.note_statement(st);
            self.show_sql(st)?;
        }
        let limit = match self.opts.format {
            Format::Table | Format::Vertical => self.opts.max_rows,
            _ => None,
        };
        if let (Some(limit), Some(st)) = (limit, &compiled.statement) {
            return self.display_first_rows(qs, st, &types, names, limit);
        }
        let Session {
            backend,
            out,
            opts,
            tx,
            ..
        } = self;
        let mut sink = render::sink(opts.format, shape, opts.style, out);
        sink.begin(&names)?;
        if let Some(st) = &compiled.statement {
            tx.statement(backend.as_deref_mut(), |b| {
                b.query(&st.sql, &st.params, &types, &mut |row| {
                    sink.row(&row[..shown.min(row.len())])
                        .map(|()| ControlFlow::Continue(()))
                })
            })
            .map_err(|d| qs.blamed(d))?;
        }
        sink.end()
    }

    /// Show at most `limit` rows of a queryset (the shell's view of a big result, as
    /// Django's repr truncates): only `limit + 1` rows are read; when there are more, a
    /// COUNT query gives the total for the footer, and [`Session::show_all`] shows them all.
    fn display_first_rows(
        &mut self,
        qs: &QuerySet,
        st: &Statement,
        types: &[crate::value::ValueType],
        names: Vec<String>,
        limit: usize,
    ) -> Result<()> {
        let shown = names.len();
        let mut rows = Vec::new();
        let mut more = false;
        self.on_backend(|b| {
            b.query(&st.sql, &st.params, types, &mut |mut row| {
                if rows.len() == limit {
                    more = true;
                    return Ok(ControlFlow::Break(()));
                }
                row.truncate(shown);
                rows.push(row);
                Ok(ControlFlow::Continue(()))
            })
        })
        .map_err(|d| qs.blamed(d))?;
        let total = if more {
            self.truncated = Some(qs.clone());
            Some(self.count(qs)?)
        } else {
            None
        };
        let shape = Shape::Objects;
        let mut sink = render::sink(self.opts.format, shape, self.opts.style, &mut self.out);
        sink.begin(&names)?;
        for row in &rows {
            sink.row(row)?;
        }
        if let Some(total) = total {
            sink.total(total)?;
        }
        sink.end()
    }

    /// Show every row of the last queryset shown truncated (`\all` in the shell).
    pub fn show_all(&mut self) -> Result<()> {
        let Some(qs) = self.truncated.take() else {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "no truncated result to show (the last result was shown whole)",
            ));
        };
        let limit = self.opts.max_rows.take();
        let shown = self.display_queryset(&qs);
        self.opts.max_rows = limit;
        shown
    }

    /// Print a statement's SQL before its result (table and vertical formats, `\sql on`).
    pub(super) fn show_sql(&mut self, st: &Statement) -> Result<()> {
        if !matches!(self.opts.format, Format::Table | Format::Vertical) {
            return Ok(());
        }
        let sql = match self.opts.show_sql {
            SqlEcho::Off => return Ok(()),
            SqlEcho::Inline => {
                render::sql::pretty_sql(&render::sql::sql_inline(&st.sql, &st.params, self.dialect))
            }
            SqlEcho::Params => {
                let params: Vec<String> =
                    st.params.iter().map(|p| p.to_json().to_string()).collect();
                let sql = render::sql::pretty_sql(&st.sql);
                format!("{sql}\n-- params: [{}]", params.join(", "))
            }
        };
        writeln!(
            self.out,
            "{}",
            render::sql::highlight_sql(&sql, self.opts.style)
        )
        .map_err(render::io_error)
    }

    /// A value as JSON; a container inside itself is Python's `json.dumps` ValueError.
    fn json_value(&mut self, o: &Obj) -> Result<serde_json::Value> {
        let _writing = Writing::enter(o)
            .map_err(|_| Diagnostic::new(ErrorKind::Value, "Circular reference detected"))?;
        let _level = deeper("while encoding a JSON object")?;
        Ok(match o {
            Obj::Value(v) => v.to_json(),
            Obj::List(_) | Obj::Tuple(_) | Obj::Row(_) => serde_json::Value::Array(
                o.items()
                    .unwrap_or_default()
                    .iter()
                    .map(|i| self.json_value(i))
                    .collect::<Result<_>>()?,
            ),
            Obj::Dict(pairs) => {
                let mut m = serde_json::Map::new();
                let pairs = pairs.borrow().clone();
                for (k, v) in &pairs {
                    m.insert(self.py_str(k)?, self.json_value(v)?);
                }
                serde_json::Value::Object(m)
            }
            Obj::Instance(inst) => serde_json::Value::Object(
                inst.fields()
                    .into_iter()
                    .map(|(k, v)| (k, v.to_json()))
                    .collect(),
            ),
            other => serde_json::Value::String(self.repr(other)?),
        })
    }
}

/// The values of one object of a queryset's results, as a row.
fn object_row(o: &Obj) -> Vec<Value> {
    match o {
        Obj::Instance(i) => i.fields().into_iter().map(|(_, v)| v).collect(),
        Obj::Dict(pairs) => pairs
            .borrow()
            .iter()
            .map(|(_, v)| match v {
                Obj::Value(v) => v.clone(),
                _ => Value::Null,
            })
            .collect(),
        Obj::Tuple(_) | Obj::Row(_) => o
            .items()
            .unwrap_or_default()
            .into_iter()
            .map(|v| match v {
                Obj::Value(v) => v,
                _ => Value::Null,
            })
            .collect(),
        Obj::Value(v) => vec![v.clone()],
        _ => Vec::new(),
    }
}

fn shown_names(plan: &crate::query::setup::Plan) -> Vec<String> {
    plan.columns[..plan.shown]
        .iter()
        .map(|c| c.name.clone())
        .collect()
}
