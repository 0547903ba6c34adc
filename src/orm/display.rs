//! Displaying the value of a top-level expression: querysets stream into a row sink (in the
//! shell's human views, only the first rows, read as Django's repr reads them), instances
//! and dicts become records, scalars print; SQL is shown before results in the human formats.

use super::obj::DjangoObj;
use super::obj::{QsKind, QuerySet};
use super::{Orm, Session, SqlEcho};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::Obj;
use crate::py::nested::{Writing, deeper};
use crate::render::{self, Format, Shape};
use crate::sql::Statement;
use crate::syntax::ast::Expr;
use crate::value::Value;
use std::io::Write;
use std::ops::ControlFlow;

impl Session {
    pub(super) fn display(&mut self, v: &Obj, at: &Expr) -> Result<()> {
        match v {
            // Borrowed: the statement's value is dropped after it is shown.
            v if let Some(qs) = v.native::<QuerySet>() => {
                self.display_queryset(qs).map_err(|d| d.at(at.span))
            }
            v if v.manager().is_some() => {
                let qs = self.get_queryset(v)?;
                self.display_queryset(&qs).map_err(|d| d.at(at.span))
            }
            _ if self.host.opts.sql_only => Ok(()),
            v if let Some(inst) = v.instance() => self.record(inst.fields()),
            Obj::Value(val) => render::scalar(self.host.opts.format, val, &mut self.out),
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
                let text = match self.host.opts.format {
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
            self.host.opts.format,
            self.host.opts.style,
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
        if self.host.opts.sql_only {
            let compiled = self.compile_select(&qs.query)?;
            if let Some(st) = compiled.statement {
                self.note_statement(st);
            }
            return Ok(());
        }
        // The human views show what Django's repr shows, `list(qs[:21])`: one query reading
        // one row more than is shown, the extra row only saying that there are more (`\all`
        // shows them). The machine formats get every row.
        let limit = match self.host.opts.format {
            Format::Table | Format::Vertical => self.host.opts.max_rows,
            _ => None,
        };
        let head;
        let run = match limit {
            Some(limit) if qs.cache.get().is_none() => {
                let mut sliced = qs.clone();
                sliced.query.set_limits(None, Some(limit + 1));
                head = sliced;
                &head
            }
            _ => qs,
        };
        let compiled = self.compile_select(&run.query)?;
        let key = key_columns(&compiled.plan);
        let mut names = shown_names(&compiled.plan);
        // An instance has its extra(select=...) entries after its fields (as Django sets
        // them), though the statement selects them first.
        let extras = match qs.kind {
            QsKind::Instances if run.query.default_cols && !run.query.extra_select.is_empty() => {
                let end = names.len().saturating_sub(run.query.annotations.len());
                let n = run.query.extra_select.len().min(end);
                names[..end].rotate_left(n);
                Some((n, end))
            }
            _ => None,
        };
        let names = fold_key(&names, &key, |names| names[0].clone()).into_owned();
        // Prefetching needs the fetched instances, and an evaluated queryset is shown from
        // its cache (running nothing): display from the objects. An `iterator()` streams
        // instead: its prefetches would only load relations the rows do not show.
        let more = if (!run.prefetch.is_empty() && run.chunk_size.is_none())
            || run.cache.get().is_some()
        {
            let objs = self.evaluate(run)?;
            let sink = render::sink(
                self.host.opts.format,
                shape,
                self.host.opts.style,
                &mut self.out,
            );
            let mut head = Head::new(sink, limit, &names)?;
            for o in objs.iter() {
                if head.row(&object_row(o))?.is_break() {
                    break;
                }
            }
            head.end()?
        } else {
            let shown = compiled.plan.shown;
            let types: Vec<_> = compiled.plan.columns.iter().map(|c| c.ty).collect();
            let local = self.local_columns(&compiled.plan);
            if let Some(st) = &compiled.statement {
                self.announce(st)?;
            }
            let out = &mut self.out;
            let Orm {
                backend, opts, tx, ..
            } = &mut self.host;
            let sink = render::sink(opts.format, shape, opts.style, out);
            let mut head = Head::new(sink, limit, &names)?;
            if let Some(st) = &compiled.statement {
                tx.statement(backend.as_deref_mut(), |b| {
                    b.query(&st.sql, &st.params, &types, &mut |mut row| {
                        super::tz::localize(&mut row, &local);
                        let mut rotated;
                        let mut row = &row[..shown.min(row.len())];
                        if let Some((n, end)) = extras.filter(|&(_, end)| end <= row.len()) {
                            rotated = row.to_vec();
                            rotated[..end].rotate_left(n);
                            row = &rotated;
                        }
                        head.row(&fold_key(row, &key, |key| {
                            Value::json(key.iter().map(Value::to_json).collect())
                        }))
                    })
                })
                .map_err(|d| run.blamed(d))?;
            }
            head.end()?
        };
        if more {
            self.host.truncated = Some(qs.clone());
        }
        Ok(())
    }

    /// Show every row of the last queryset shown truncated (`\all` in the shell).
    pub fn show_all(&mut self) -> Result<()> {
        let Some(qs) = self.host.truncated.take() else {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "no truncated result to show (the last result was shown whole)",
            ));
        };
        let limit = self.host.opts.max_rows.take();
        let shown = self.display_queryset(&qs);
        self.host.opts.max_rows = limit;
        shown
    }

    /// Print a statement's SQL before its result (table and vertical formats, `\sql on`).
    pub(super) fn show_sql(&mut self, st: &Statement) -> Result<()> {
        if !matches!(self.host.opts.format, Format::Table | Format::Vertical) {
            return Ok(());
        }
        let sql = match self.host.opts.show_sql {
            SqlEcho::Off => return Ok(()),
            SqlEcho::Inline => render::sql::pretty_sql(&render::sql::sql_inline(
                &st.sql,
                &st.params,
                self.host.dialect,
            )),
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
            render::sql::highlight_sql(&sql, self.host.opts.style)
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
            // An instance of `class Cash(Decimal)`: its value, as Django's encoder gives it.
            Obj::Object(inst) if let Some(v) = &inst.value => v.to_json(),
            Obj::List(_) | Obj::Tuple(_) | Obj::Row(_) => serde_json::Value::Array(
                o.items()
                    .unwrap_or_default()
                    .iter()
                    .map(|i| self.json_value(i))
                    .collect::<Result<_>>()?,
            ),
            // A set as the list of its items, in its order.
            Obj::Set(set) => serde_json::Value::Array(
                set.to_vec()
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
            o if let Some(inst) = o.instance() => serde_json::Value::Object(
                inst.fields()
                    .into_iter()
                    .map(|(k, v)| (k, v.to_json()))
                    .collect(),
            ),
            other => serde_json::Value::String(self.repr(other)?),
        })
    }
}

/// A row sink given at most `limit` rows: a row past the limit only marks the result as
/// longer (Django's repr reads one row more than it shows) and stops the reading.
struct Head<'w> {
    sink: Box<dyn render::RowSink + 'w>,
    limit: Option<usize>,
    rows: usize,
    more: bool,
}

impl<'w> Head<'w> {
    fn new(
        mut sink: Box<dyn render::RowSink + 'w>,
        limit: Option<usize>,
        names: &[String],
    ) -> Result<Self> {
        sink.begin(names)?;
        Ok(Head {
            sink,
            limit,
            rows: 0,
            more: false,
        })
    }

    fn row(&mut self, row: &[Value]) -> Result<ControlFlow<()>> {
        if self.limit == Some(self.rows) {
            self.more = true;
            return Ok(ControlFlow::Break(()));
        }
        self.rows += 1;
        self.sink.row(row)?;
        Ok(ControlFlow::Continue(()))
    }

    /// Finishes the output; whether rows were left out.
    fn end(mut self) -> Result<bool> {
        if self.more {
            self.sink.more()?;
        }
        self.sink.end()?;
        Ok(self.more)
    }
}

/// The values of one object of a queryset's results, as a row.
fn object_row(o: &Obj) -> Vec<Value> {
    match o {
        o if let Some(i) = o.instance() => i.fields().into_iter().map(|(_, v)| v).collect(),
        Obj::Dict(pairs) => pairs.borrow().iter().map(|(_, v)| cell(v)).collect(),
        Obj::Tuple(_) | Obj::Row(_) => o.items().unwrap_or_default().iter().map(cell).collect(),
        Obj::Value(v) => vec![v.clone()],
        _ => Vec::new(),
    }
}

/// One value of a values() row: a composite key's tuple shows as the array of its values.
fn cell(v: &Obj) -> Value {
    match v {
        Obj::Value(v) => v.clone(),
        Obj::Tuple(_) => Value::json(
            (v.items().unwrap_or_default().iter())
                .map(|i| match i {
                    Obj::Value(v) => v.to_json(),
                    _ => serde_json::Value::Null,
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

/// The shown columns holding a composite `pk` or a ForeignObject in a values() query
/// (consecutive, each with its name; one run per value): each run displayed as one column,
/// as Django's rows hold them as one tuple.
fn key_columns(plan: &crate::query::setup::Plan) -> Vec<std::ops::Range<usize>> {
    let shown = &plan.columns[..plan.shown];
    let mut runs = Vec::new();
    let mut start = 0;
    while start < shown.len() {
        let name = &shown[start].name;
        let len = shown[start..]
            .iter()
            .take_while(|c| c.name == *name)
            .count();
        if len > 1 {
            runs.push(start..start + len);
        }
        start += len;
    }
    runs
}

/// `items` with each run in `keys` replaced by `fold` of it.
fn fold_key<'i, T: Clone>(
    items: &'i [T],
    keys: &[std::ops::Range<usize>],
    fold: impl Fn(&[T]) -> T,
) -> std::borrow::Cow<'i, [T]> {
    if keys.is_empty() || keys.iter().any(|k| k.end > items.len()) {
        return items.into();
    }
    let mut out = Vec::with_capacity(items.len());
    let mut at = 0;
    for key in keys {
        out.extend_from_slice(&items[at..key.start]);
        out.push(fold(&items[key.clone()]));
        at = key.end;
    }
    out.extend_from_slice(&items[at..]);
    out.into()
}

fn shown_names(plan: &crate::query::setup::Plan) -> Vec<String> {
    plan.columns[..plan.shown]
        .iter()
        .map(|c| c.name.to_string())
        .collect()
}
