//! `QuerySet.extra(select=, where=, params=, tables=, order_by=, select_params=)`: the
//! user's own SQL fragments added to the query as Django's `Query.add_extra` adds them.
//!
//! The fragments are the user's SQL, written into the statement as given (as Django writes
//! them); the values of `params`/`select_params` stay bound parameters.

use super::Session;
use super::obj::QuerySet;
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Obj};
use crate::query::{Expr, OrderSpec, SelectItem, WhereNode};
use crate::value::Value;

/// `extra()`'s parameters, in the order they may be given by position.
const PARAMS: [&str; 6] = [
    "select",
    "where",
    "params",
    "tables",
    "order_by",
    "select_params",
];

impl Session {
    /// `qs.extra(...)` on the clone `qs`.
    pub(super) fn extra(&mut self, qs: &mut QuerySet, args: &Args) -> Result<()> {
        let span = args.span;
        if let Some((c, _)) = qs.query.combinator {
            let op = format!("{c:?}").to_lowercase();
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!("Calling QuerySet.extra() after {op}() is not supported."),
            )
            .at(span));
        }
        if qs.query.is_sliced() {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                "Cannot change a query once a slice has been taken.",
            )
            .at(span));
        }
        if args.pos.len() > PARAMS.len() {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "QuerySet.extra() takes from 1 to 7 positional arguments but {} were given",
                    args.pos.len() + 1
                ),
            )
            .at(span));
        }
        for (name, _, s) in &args.kw {
            if !PARAMS.contains(&name.as_str()) {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("QuerySet.extra() got an unexpected keyword argument '{name}'"),
                )
                .at(*s));
            }
        }
        let arg = |name: &str| -> Option<&(Obj, Span)> {
            let i = PARAMS.iter().position(|p| *p == name).expect("known");
            args.pos.get(i)
        };
        let given = |name: &str| -> Option<(Obj, Span)> {
            arg(name).cloned().or_else(|| {
                args.kw
                    .iter()
                    .find(|(n, _, _)| n == name)
                    .map(|(_, o, s)| (o.clone(), *s))
            })
        };
        let given = |name: &str| given(name).filter(|(o, _)| !o.is_none());
        if let Some((select, s)) = given("select") {
            let mut params = match given("select_params") {
                Some((o, s)) => self.extra_values(&o, s)?,
                None => Vec::new(),
            }
            .into_iter();
            let Obj::Dict(pairs) = &select else {
                return Err(Diagnostic::new(
                    ErrorKind::Attribute,
                    format!("'{}' object has no attribute 'items'", select.type_name()),
                )
                .at(s));
            };
            for (name, entry) in pairs.borrow().clone() {
                let name = self.py_str(&name)?;
                check_alias(&name).map_err(|d| d.at(s))?;
                let sql = self.py_str(&entry)?;
                let mut taken = Vec::new();
                for _ in 0..placeholders(&sql) {
                    // Django's `next(param_iter)`: too few select_params stop it.
                    let v = params.next().ok_or_else(|| {
                        Diagnostic::new(ErrorKind::Python("StopIteration".into()), "").at(s)
                    })?;
                    taken.push(v);
                }
                qs.query.add_extra_select(SelectItem {
                    name,
                    expr: Expr::Raw { sql, params: taken },
                    aliased: true,
                });
            }
        }
        let wheres = match given("where") {
            Some((o, s)) => self.extra_strings(&o, s)?,
            None => Vec::new(),
        };
        let params = match given("params") {
            Some((o, s)) => self.extra_values(&o, s)?,
            None => Vec::new(),
        };
        if !wheres.is_empty() || !params.is_empty() {
            // Django's `ExtraWhere`: each clause in parentheses, ANDed, one list of params.
            let raw = Expr::Raw {
                sql: wheres.join(") AND ("),
                params,
            };
            qs.query.where_.add(
                WhereNode::Condition(raw),
                crate::query::expr::Connector::And,
            );
        }
        if let Some((o, s)) = given("tables") {
            for t in self.extra_strings(&o, s)? {
                qs.query.extra_tables.push(t);
            }
        }
        if let Some((o, s)) = given("order_by") {
            let names = self.extra_strings(&o, s)?;
            if !names.is_empty() {
                let mut specs = Vec::with_capacity(names.len());
                for name in names {
                    specs.push(extra_order(name, s));
                }
                // Django's `extra_order_by` wins over order_by() given before; a later
                // order_by() replaces it.
                qs.query.order_by = specs;
            }
        }
        Ok(())
    }

    /// A list, tuple or other iterable of strings (`where=`, `tables=`, `order_by=`); a
    /// string is its characters, as Django iterates it.
    fn extra_strings(&mut self, o: &Obj, span: Span) -> Result<Vec<String>> {
        self.extra_items(o, span)?
            .iter()
            .map(|i| self.py_str(i))
            .collect()
    }

    /// `params=`/`select_params=`: values to bind.
    fn extra_values(&mut self, o: &Obj, span: Span) -> Result<Vec<Value>> {
        let mut out = Vec::new();
        for item in self.extra_items(o, span)? {
            match self.operand(&item, span)? {
                crate::query::Operand::Value(v) => out.push(v),
                _ => {
                    return Err(Diagnostic::new(
                        ErrorKind::NotSupported,
                        format!(
                            "a '{}' object as an extra() parameter is not supported by djq yet",
                            item.type_name()
                        ),
                    )
                    .at(span));
                }
            }
        }
        Ok(out)
    }

    fn extra_items(&mut self, o: &Obj, span: Span) -> Result<Vec<Obj>> {
        self.iter_obj(o, &crate::py::args::dummy(span))
    }
}

/// How many parameters a fragment takes: each `%s` not preceded by `%` (Django's count in
/// `add_extra`).
fn placeholders(sql: &str) -> usize {
    let b = sql.as_bytes();
    let mut n = 0;
    let mut pos = sql.find("%s");
    while let Some(p) = pos {
        if p == 0 || b[p - 1] != b'%' {
            n += 1;
        }
        pos = sql[p + 2..].find("%s").map(|q| q + p + 2);
    }
    n
}

/// One `extra(order_by=...)` name: `table.column` is written as given (the table quoted), any
/// other name is resolved as order_by() resolves it (an extra select's name among them).
fn extra_order(name: String, span: Span) -> OrderSpec {
    let (descending, bare) = match name.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, name.as_str()),
    };
    match bare.split_once('.') {
        Some((table, column)) => OrderSpec::Expr {
            expr: Expr::Raw {
                sql: format!("\"{table}\".{column}"),
                params: Vec::new(),
            },
            descending,
            nulls: None,
            bare: false,
        },
        None => OrderSpec::Name { name, span },
    }
}

/// Django's `Query.check_alias`.
pub(super) fn check_alias(alias: &str) -> Result<()> {
    let forbidden = alias.chars().any(|c| {
        matches!(c, '\'' | '`' | '"' | ']' | '[' | ';' | '#')
            || c.is_whitespace()
            || ('\u{0}'..='\u{1f}').contains(&c)
            || ('\u{7f}'..='\u{9f}').contains(&c)
    }) || ["--", "/*", "*/"].iter().any(|s| alias.contains(s));
    if forbidden {
        return Err(Diagnostic::new(
            ErrorKind::Value,
            "Column aliases cannot contain whitespace characters, hashes, control characters, quotation marks, semicolons, or SQL comments.",
        ));
    }
    Ok(())
}
