//! `sql_inline`: parameters inlined as literals of each dialect, placeholders inside strings,
//! identifiers and comments left alone — and the SQLite result runs and returns what the
//! parameterized statement returns.

use chrono::NaiveDate;
use djq::backend;
use djq::render::sql_inline;
use djq::sql::Dialect;
use djq::value::Value;
use rust_decimal::Decimal;
use std::str::FromStr;

fn params() -> Vec<Value> {
    let stamp = NaiveDate::from_ymd_opt(2024, 3, 1)
        .unwrap()
        .and_hms_micro_opt(10, 5, 7, 120_000)
        .unwrap();
    vec![
        Value::Text("O'Reilly".into()),
        Value::Int(-3),
        Value::Float(2.5),
        Value::Bool(true),
        Value::Null,
        Value::Decimal(Decimal::from_str("9.90").unwrap()),
        Value::Date(stamp.date()),
        Value::DateTime(stamp.and_utc()),
        Value::Duration(90_000_000),
        Value::Uuid("12345678-9abc-def0-1234-56789abcdef0".into()),
        Value::json(serde_json::json!({"a": [1, "x"]})),
        Value::Bytes(vec![0xde, 0xad]),
    ]
}

fn statement(dialect: Dialect) -> String {
    let columns = (1..=12)
        .map(|n| format!("{} AS \"c{n}\"", dialect.placeholder(n)))
        .collect::<Vec<_>>()
        .join(", ");
    format!("SELECT {columns}, '?', \"$1?\" -- ? $1\nFROM t /* ? */ WHERE x LIKE '%?%' ESCAPE '\\'")
}

#[test]
fn inlines_sqlite_parameters() {
    insta::assert_snapshot!(sql_inline(
        &statement(Dialect::Sqlite),
        &params(),
        Dialect::Sqlite
    ));
}

#[test]
fn inlines_postgres_parameters() {
    insta::assert_snapshot!(sql_inline(
        &statement(Dialect::Postgres),
        &params(),
        Dialect::Postgres
    ));
}

#[test]
fn placeholders_without_parameters_stay() {
    assert_eq!(
        sql_inline("SELECT ?, ?", &[Value::Int(1)], Dialect::Sqlite),
        "SELECT 1, ?"
    );
    assert_eq!(
        sql_inline(
            "SELECT ?2, ?, ?1",
            &[Value::Int(1), Value::Int(2), Value::Int(3)],
            Dialect::Sqlite
        ),
        "SELECT 2, 3, 1"
    );
    assert_eq!(
        sql_inline(
            "SELECT $2, data ? 'k', $",
            &[Value::Int(1), Value::Int(2)],
            Dialect::Postgres
        ),
        "SELECT 2, data ? 'k', $"
    );
    assert_eq!(
        sql_inline("SELECT 'é?', ?", &[Value::Int(1)], Dialect::Sqlite),
        "SELECT 'é?', 1"
    );
}

#[test]
fn inlined_sqlite_runs_like_the_parameterized_statement() {
    let sql = "SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";
    let inlined = sql_inline(sql, &params(), Dialect::Sqlite);
    let mut db = backend::connect("sqlite::memory:", true).unwrap();
    let mut run = |sql: &str, params: &[Value]| db.query_all(sql, params, &[]).unwrap();
    let bound = run(sql, &params());
    assert_eq!(run(&inlined, &[]), bound);
}
