//! UPDATE and DELETE statements as Django's `SQLUpdateCompiler` and `SQLDeleteCompiler`
//! write them: one table, its columns qualified by the table name in WHERE; a query that
//! needs other tables first becomes `WHERE pk IN (subquery)` ([`Query::for_write`]).
//!
//! [`Query::for_write`]: crate::query::Query::for_write

use super::compiler::{Writer, catch_empty};
use super::frag::Frag;
use super::{Dialect, Statement};
use crate::diag::Result;
use crate::query::{Expr, Query};
use crate::schema::Schema;
use crate::value::Value;

/// `UPDATE "table" SET "col" = value, ... WHERE ...`; `None` when the query matches
/// nothing (Django runs no statement and reports 0 rows).
pub fn update(
    schema: &Schema,
    dialect: Dialect,
    query: &Query,
    set: &[(String, Expr)],
) -> Result<Option<Statement>> {
    let w = Writer::new(schema, dialect);
    let mut f = Frag::new("UPDATE ");
    dialect.push_quoted(&mut f.sql, &schema.model(query.model).table);
    f.push_str(" SET ");
    for (i, (column, value)) in set.iter().enumerate() {
        if i > 0 {
            f.push_str(", ");
        }
        dialect.push_quoted(&mut f.sql, column);
        f.push_str(" = ");
        match value {
            Expr::Value(Value::Null) => f.push_str("NULL"),
            // A plain decimal is a parameter (no `Value()` expression, so no REAL cast).
            Expr::Value(v @ Value::Decimal(_)) => f.push_param(v.clone()),
            // A value that is EmptyResultSet: Django runs no statement.
            other => match catch_empty(w.expr(other).map(Some), None)? {
                Some(v) => f.push(v),
                None => return Ok(None),
            },
        }
    }
    where_clause(&w, query, f)
}

/// `DELETE FROM "table" WHERE ...`; `None` when the query matches nothing.
pub fn delete(schema: &Schema, dialect: Dialect, query: &Query) -> Result<Option<Statement>> {
    let w = Writer::new(schema, dialect);
    let mut f = Frag::new("DELETE FROM ");
    dialect.push_quoted(&mut f.sql, &schema.model(query.model).table);
    where_clause(&w, query, f)
}

fn where_clause(w: &Writer, query: &Query, mut f: Frag) -> Result<Option<Statement>> {
    if !w.push_clause(&mut f, " WHERE ", &query.where_)? {
        return Ok(None);
    }
    w.finish(f).map(Some)
}
