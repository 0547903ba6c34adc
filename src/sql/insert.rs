//! INSERT statements as Django's `SQLInsertCompiler` writes them (multi-row `VALUES` with
//! `RETURNING` the columns the database fills, batched by the backend's parameter limit), the upserts
//! fixtures load with (`ON CONFLICT ... DO UPDATE`), and the `COPY ... FROM STDIN` statement
//! djq uses to bulk-load PostgreSQL.

use super::frag::Frag;
use super::{Dialect, Statement};
use crate::value::Value;

/// Rows to insert into one table.
pub struct Insert<'a> {
    pub table: &'a str,
    pub columns: &'a [String],
    /// The columns to return (`RETURNING`), Django's `db_returning_fields`: the key the
    /// database assigns first when there is one, then the columns it fills.
    pub returning: &'a [String],
    pub rows: &'a [Vec<Value>],
    /// `bulk_create(ignore_conflicts=True)`: rows that would violate a constraint are
    /// skipped (`INSERT OR IGNORE` / `ON CONFLICT DO NOTHING`).
    pub ignore_conflicts: bool,
}

/// Rows per INSERT: Django's `bulk_batch_size` (SQLite: 999 parameters per statement, 500
/// rows for one column) and PostgreSQL's protocol limit of 65,535 parameters.
pub fn batch_size(dialect: Dialect, columns: usize) -> usize {
    match (dialect, columns) {
        (_, 0) => 500,
        (Dialect::Sqlite, 1) => 500,
        (Dialect::Sqlite, n) => (999 / n).max(1),
        (Dialect::Postgres, n) => (65_535 / n).max(1),
    }
}

/// The INSERT statements for `insert`, one per batch.
pub fn insert(dialect: Dialect, insert: &Insert) -> Vec<Statement> {
    statements(dialect, insert, "")
}

/// INSERTs that update the row already holding the same `conflict` key instead (`ON CONFLICT
/// (...) DO UPDATE SET "col" = EXCLUDED."col", ...` on both SQLite and PostgreSQL), or skip it
/// when every column is part of the key (`DO NOTHING`); one per batch. What loaddata's raw
/// save leaves (UPDATE, then INSERT when no row matched), in one statement per batch.
pub fn upsert(dialect: Dialect, insert: &Insert, conflict: &[String]) -> Vec<Statement> {
    let q = |s: &str| dialect.quote(s);
    let updates: Vec<String> = insert
        .columns
        .iter()
        .filter(|c| !conflict.contains(c))
        .map(|c| format!("{0} = EXCLUDED.{0}", q(c)))
        .collect();
    let action = if updates.is_empty() {
        "DO NOTHING".to_string()
    } else {
        format!("DO UPDATE SET {}", updates.join(", "))
    };
    let keys: Vec<String> = conflict.iter().map(|c| q(c)).collect();
    statements(
        dialect,
        insert,
        &format!(" ON CONFLICT ({}) {action}", keys.join(", ")),
    )
}

/// Multi-row INSERTs, batched, with `on_conflict` before the RETURNING clause.
fn statements(dialect: Dialect, insert: &Insert, on_conflict: &str) -> Vec<Statement> {
    let q = |s: &str| dialect.quote(s);
    let (verb, ignore) = dialect.insert_conflict(insert.ignore_conflicts);
    // No column to give (every one left to the database): Django names the primary key with
    // the backend's `pk_default_value()`, `NULL` on SQLite, `DEFAULT` on PostgreSQL.
    let (columns, default_row) = match (insert.columns.is_empty(), insert.returning.first()) {
        (true, Some(pk)) => (
            vec![pk.to_string()],
            Some(match dialect {
                Dialect::Sqlite => "(NULL)",
                Dialect::Postgres => "(DEFAULT)",
            }),
        ),
        _ => (insert.columns.to_vec(), None),
    };
    let head = format!(
        "{verb} {} ({}) VALUES ",
        q(insert.table),
        columns.iter().map(|c| q(c)).collect::<Vec<_>>().join(", ")
    );
    let returning = returning(dialect, insert.table, insert.returning);
    insert
        .rows
        .chunks(batch_size(dialect, insert.columns.len()))
        .map(|batch| {
            let mut f = Frag::new(head.clone());
            f.params.reserve(batch.len() * insert.columns.len());
            for (i, row) in batch.iter().enumerate() {
                if let Some(default_row) = default_row {
                    if i > 0 {
                        f.push_str(", ");
                    }
                    f.push_str(default_row);
                    continue;
                }
                f.push_str(if i == 0 { "(" } else { ", (" });
                for (j, v) in row.iter().enumerate() {
                    if j > 0 {
                        f.push_str(", ");
                    }
                    f.push_param(v.clone());
                }
                f.push_str(")");
            }
            f.push_str(on_conflict);
            f.push_str(ignore);
            f.push_str(&returning);
            f.finish(dialect)
        })
        .collect()
}

/// ` RETURNING "table"."a", "table"."b"` (Django's `return_insert_columns`, also after an
/// UPDATE), or nothing for no column.
pub fn returning(dialect: Dialect, table: &str, columns: &[String]) -> String {
    let q = |s: &str| dialect.quote(s);
    let cols: Vec<String> = (columns.iter())
        .map(|c| format!("{}.{}", q(table), q(c)))
        .collect();
    match cols.is_empty() {
        true => String::new(),
        false => format!(" RETURNING {}", cols.join(", ")),
    }
}

/// `COPY "table" ("a", "b") FROM STDIN (FORMAT binary)`.
pub fn copy(dialect: Dialect, table: &str, columns: &[String]) -> String {
    format!(
        "COPY {} ({}) FROM STDIN (FORMAT binary)",
        dialect.quote(table),
        columns
            .iter()
            .map(|c| dialect.quote(c))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// `n` new values of the table's primary-key sequence, for rows loaded with COPY.
pub fn next_ids(table: &str, pk: &str, n: usize) -> Statement {
    Statement {
        content_types: Vec::new(),
        sql: "SELECT nextval(pg_get_serial_sequence($1, $2)) FROM generate_series(1, $3)".into(),
        params: vec![
            Value::Text(Dialect::Postgres.quote(table)),
            Value::Text(pk.to_string()),
            Value::Int(n as i64),
        ],
    }
}
