//! `Model.objects.raw(sql, params)`: Django's `RawQuerySet`. Lazy until iterated, it runs its
//! SQL as written each time it is (`raw[0]` is Django's `list(self)[0]`: the whole query),
//! and makes each row an instance of its model: a column named as a field's column is that
//! field, a field with no column is deferred (loaded when read), any other column is an
//! attribute of the instance; every primary-key column must be there.

use super::Session;
use super::obj::{Instance, make};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Native, Obj};
use crate::schema::ModelId;
use crate::sql::Statement;
use crate::value::{Value, ValueType};
use std::borrow::Cow;
use std::rc::Rc;

/// A `raw()` query of a model: its SQL (with `%s` placeholders) and parameters.
#[derive(Debug, Clone)]
pub struct RawQuerySet {
    pub model: ModelId,
    pub sql: String,
    pub params: Vec<Value>,
}

impl RawQuerySet {
    /// Django's `str(RawQuery)`: the SQL with its parameters put in (`sql % params`).
    pub fn text(&self) -> String {
        let mut params = self.params.iter();
        substitute(&self.sql, |_| match params.next() {
            Some(v) => v.to_python_str(),
            None => "%s".into(),
        })
    }
}

/// `sql` with each `%s` replaced by `placeholder(n)` (1-based) and `%%` by `%`.
fn substitute(sql: &str, mut placeholder: impl FnMut(usize) -> String) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut n = 0;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, chars.peek()) {
            ('%', Some('s')) => {
                chars.next();
                n += 1;
                out.push_str(&placeholder(n));
            }
            ('%', Some('%')) => {
                chars.next();
                out.push('%');
            }
            (c, _) => out.push(c),
        }
    }
    out
}

impl Native for RawQuerySet {
    fn type_name(&self) -> Cow<'_, str> {
        "RawQuerySet".into()
    }
    crate::native_any!();
}

impl Session {
    /// `qs.raw(raw_query, params=())` of model `m`.
    pub(super) fn raw(&mut self, m: ModelId, args: &Args) -> Result<Obj> {
        if args.pos.len() > 2
            || args
                .kw
                .iter()
                .any(|(k, ..)| k != "params" && k != "raw_query")
        {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "raw() with translations or using is not supported by djq yet",
            )
            .at(args.span));
        }
        let sql = match crate::py::stdlib::arg(args, 0, "raw_query") {
            Some(Obj::Value(Value::Text(s))) => s.clone(),
            _ => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    "raw() missing 1 required positional argument: 'raw_query'",
                )
                .at(args.span));
            }
        };
        let params = match crate::py::stdlib::arg(args, 1, "params") {
            None => Vec::new(),
            Some(o) => (o.items().unwrap_or_default().iter())
                .map(|p| match &*crate::py::obj::as_plain(p) {
                    Obj::Value(v) => Ok(v.clone()),
                    other => Err(Diagnostic::new(
                        ErrorKind::NotSupported,
                        format!(
                            "a '{}' parameter of raw() is not supported by djq yet",
                            other.type_name()
                        ),
                    )
                    .at(args.span)),
                })
                .collect::<Result<_>>()?,
        };
        Ok(Obj::new_native(RawQuerySet {
            model: m,
            sql,
            params,
        }))
    }

    /// The instances a raw query's rows make.
    pub(super) fn raw_items(&mut self, raw: &RawQuerySet, span: Span) -> Result<Vec<Obj>> {
        let sql = self.raw_placeholders(&raw.sql);
        let names = self
            .on_backend(|b| b.column_names(&sql))
            .map_err(|d| d.at(span))?;
        let schema = &self.host.schema;
        let fields = schema.concrete_fields(raw.model);
        let field_of = |name: &str| {
            (fields.iter()).find(|&&(m, i)| *schema.model(m).fields[i].column == *name)
        };
        let model = schema.model(raw.model);
        let pk: Vec<&str> = match &model.composite_pk {
            key if key.is_empty() => vec![&**model.fields[model.pk].column],
            key => key.iter().map(|&i| &**model.fields[i].column).collect(),
        };
        let missing_pk = !pk.iter().all(|c| names.iter().any(|n| n == c));
        let (keys, types): (Vec<String>, Vec<ValueType>) = (names.iter())
            .map(|n| match field_of(n) {
                Some(&(m, i)) => {
                    let f = &schema.model(m).fields[i];
                    (f.attname(), f.value_type())
                }
                None => (n.clone(), ValueType::Any),
            })
            .unzip();
        // The instance's attributes in its fields' order (Django's `from_db`), then the
        // other columns.
        let mut order: Vec<usize> = (0..names.len()).collect();
        order.sort_by_key(|&c| {
            let place = |mi: &(ModelId, usize)| fields.iter().position(|f| f == mi);
            field_of(&names[c]).and_then(place).unwrap_or(usize::MAX)
        });
        let st = Statement {
            sql,
            params: raw.params.clone(),
            content_types: Vec::new(),
        };
        let mut out = Vec::new();
        let model = raw.model;
        self.run_rows(&st, &types, &mut |mut row| {
            let values = (order.iter())
                .map(|&c| (keys[c].clone(), std::mem::replace(&mut row[c], Value::Null)))
                .collect();
            out.push(make::instance(Rc::new(Instance::new(model, values))));
            Ok(())
        })
        .map_err(|d| d.at(span))?;
        // Checked once the query ran, as Django does.
        if missing_pk {
            return Err(Diagnostic::new(
                ErrorKind::FieldDoesNotExist,
                "Raw query must include the primary key",
            )
            .at(span));
        }
        Ok(out)
    }

    /// Django's `%s` placeholders (and `%%`) as the backend's.
    fn raw_placeholders(&self, sql: &str) -> String {
        match self.host.dialect {
            crate::sql::Dialect::Sqlite => substitute(sql, |_| "?".into()),
            crate::sql::Dialect::Postgres => substitute(sql, |n| format!("${n}")),
        }
    }
}
