//! A copy of every statement a session runs (with `--sql-only`: would run), for programs that
//! drive the `djq` binary and need to know what it sent to the database: when the environment
//! variable `DJQ_STATEMENT_LOG` names a file, each statement is appended to it as one JSON
//! line, `{"sql": "...", "params": [...]}`, the parameters in the form the database driver is
//! given them ([`driver_param`]), as Django's recordings hold them (tools/record.py); the
//! tests that run the binary in a Django project (tests/projects.rs) compare it with them.

use crate::sql::{Dialect, Statement};
use crate::value::Value;
use serde_json::Value as Json;
use std::io::Write;
use std::sync::{Mutex, OnceLock};

/// The variable naming the file.
pub const VARIABLE: &str = "DJQ_STATEMENT_LOG";

/// The file, opened for appending on first use; `None` when the variable is unset or empty.
static FILE: OnceLock<Option<Mutex<std::fs::File>>> = OnceLock::new();

/// A parameter as the database driver is given it: JSON scalars as they are; on PostgreSQL
/// dates, times, datetimes, decimals and durations in psycopg's text form, their `str()`
/// (`'2022-12-31 23:59:59.999999+00:00'`, `'2024-01-01 00:00:00-05:00'`; a timedelta's
/// without its comma); a UUID as
/// its 32 hex digits (SQLite's column and psycopg's text dumper both hold it so).
pub fn driver_param(v: &Value, dialect: Dialect) -> Json {
    match (dialect, v) {
        (Dialect::Postgres, Value::DateTime(dt)) => Json::String(format!(
            "{}+00:00",
            Value::NaiveDateTime(dt.naive_utc()).to_python_str()
        )),
        (
            Dialect::Postgres,
            Value::Date(_)
            | Value::Time(_)
            | Value::Decimal(_)
            | Value::NaiveDateTime(_)
            | Value::OffsetDateTime(_),
        ) => Json::String(v.to_python_str()),
        (Dialect::Postgres, Value::Duration(_)) => Json::String(v.to_python_str().replace(',', "")),
        (_, Value::Uuid(s)) => Json::String(s.replace('-', "")),
        _ => v.to_json(),
    }
}

/// Appends `st` to the log file, if there is one. A log that cannot be written to stops
/// nothing: the program reading it sees the statement missing.
pub fn append(st: &Statement, dialect: Dialect) {
    let file = FILE.get_or_init(|| {
        let path = std::env::var_os(VARIABLE).filter(|p| !p.is_empty())?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .ok()?;
        Some(Mutex::new(file))
    });
    let Some(file) = file else { return };
    let params: Vec<Json> = st.params.iter().map(|p| driver_param(p, dialect)).collect();
    let mut line = serde_json::json!({"sql": st.sql, "params": params}).to_string();
    line.push('\n');
    if let Ok(mut f) = file.lock() {
        let _ = f.write_all(line.as_bytes());
    }
}
