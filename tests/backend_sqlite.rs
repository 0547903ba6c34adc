//! The SQLite backend against real SQLite databases: connecting, binding and decoding every
//! value type as Django does, Django's SQL functions, streaming, errors and read-only mode.
//! Expected values of the Django functions come from running Django's own
//! `django/db/backends/sqlite3/_functions.py`.

use chrono::{NaiveDate, NaiveTime};
use djq::backend::{self, Backend, Canceller};
use djq::diag::ErrorKind;
use djq::sql::Dialect;
use djq::value::{Value, ValueType};
use rust_decimal::Decimal;
use std::ops::ControlFlow::Continue;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn memory() -> Box<dyn Backend> {
    backend::connect("sqlite::memory:", false).unwrap()
}

/// Runs `sql` and collects its rows (decoding every column as `types`).
fn rows(db: &mut dyn Backend, sql: &str, params: &[Value], types: &[ValueType]) -> Vec<Vec<Value>> {
    db.query_all(sql, params, types).unwrap()
}

/// The single value `sql` returns.
fn one(db: &mut dyn Backend, sql: &str, params: &[Value]) -> Value {
    rows(db, sql, params, &[]).remove(0).remove(0)
}

#[test]
fn every_value_type_round_trips() {
    let mut db = memory();
    db.execute(
        "CREATE TABLE t (i integer, f real, d decimal, s varchar(20), b bool, dt date, \
         ts datetime, tm time, du bigint, u char(32), j text, by blob)",
        &[],
    )
    .unwrap();
    let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let stamp = date.and_hms_micro_opt(13, 14, 15, 250_000).unwrap();
    let values = vec![
        Value::Int(-42),
        Value::Float(2.5),
        Value::Decimal(Decimal::from_str("12.50").unwrap()),
        Value::Text("Dune ✓".into()),
        Value::Bool(true),
        Value::Date(date),
        Value::DateTime(stamp.and_utc()),
        Value::Time(NaiveTime::from_hms_opt(7, 8, 9).unwrap()),
        Value::Duration(2 * 86_400_000_000 + 1),
        Value::Uuid("12345678-9abc-def0-1234-56789abcdef0".into()),
        Value::json(serde_json::json!({"tags": ["a", "b"], "n": 1})),
        Value::Bytes(vec![0, 159, 146, 150]),
    ];
    let changed = db
        .execute("INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", &values)
        .unwrap();
    assert_eq!(changed, 1);
    db.execute(
        "INSERT INTO t VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
        &vec![Value::Null; 12],
    )
    .unwrap();
    let types = [
        ValueType::Int,
        ValueType::Float,
        ValueType::Decimal { places: Some(2) },
        ValueType::Text,
        ValueType::Bool,
        ValueType::Date,
        ValueType::DateTime,
        ValueType::Time,
        ValueType::Duration,
        ValueType::Uuid,
        ValueType::Json,
        ValueType::Bytes,
    ];
    let got = rows(db.as_mut(), "SELECT * FROM t", &[], &types);
    assert_eq!(got[0], values);
    assert_eq!(got[1], vec![Value::Null; 12]);

    // Stored the way Django's SQLite backend stores them.
    let stored = rows(
        db.as_mut(),
        "SELECT d, b, ts, tm, u, j FROM t LIMIT 1",
        &[],
        &[],
    );
    assert_eq!(
        stored[0],
        vec![
            Value::Float(12.5),
            Value::Int(1),
            Value::Text("2024-02-29 13:14:15.250000".into()),
            Value::Text("07:08:09".into()),
            Value::Text("123456789abcdef0123456789abcdef0".into()),
            Value::Text(r#"{"tags": ["a", "b"], "n": 1}"#.into()),
        ]
    );
}

#[test]
fn decodes_like_djangos_converters() {
    let mut db = memory();
    let decimal = |places| ValueType::Decimal { places };
    let cases: &[(&str, ValueType, Value)] = &[
        (
            "SELECT 0.1",
            decimal(None),
            Value::Decimal(Decimal::from_str("0.100000000000000").unwrap()),
        ),
        (
            "SELECT 0.125",
            decimal(Some(2)),
            Value::Decimal(Decimal::from_str("0.12").unwrap()),
        ),
        (
            "SELECT 3",
            decimal(Some(1)),
            Value::Decimal(Decimal::from_str("3.0").unwrap()),
        ),
        (
            "SELECT '7.25'",
            decimal(None),
            Value::Decimal(Decimal::from_str("7.25").unwrap()),
        ),
        ("SELECT 0", ValueType::Bool, Value::Bool(false)),
        ("SELECT 2", ValueType::Bool, Value::Int(2)),
        ("SELECT 3.9", ValueType::Int, Value::Int(3)),
        ("SELECT 3", ValueType::Float, Value::Float(3.0)),
        (
            "SELECT '2024-03-01T10:00:00+02:00'",
            ValueType::DateTime,
            Value::DateTime(
                NaiveDate::from_ymd_opt(2024, 3, 1)
                    .unwrap()
                    .and_hms_opt(8, 0, 0)
                    .unwrap()
                    .and_utc(),
            ),
        ),
        (
            "SELECT 'not json'",
            ValueType::Json,
            Value::Text("not json".into()),
        ),
        (
            "SELECT '[1, 2]'",
            ValueType::Json,
            Value::json(serde_json::json!([1, 2])),
        ),
        ("SELECT x'00ff'", ValueType::Any, Value::Bytes(vec![0, 255])),
        (
            "SELECT 'ABCDEF0123456789ABCDEF0123456789'",
            ValueType::Uuid,
            Value::Uuid("abcdef01-2345-6789-abcd-ef0123456789".into()),
        ),
    ];
    for (sql, ty, expected) in cases {
        let got = rows(db.as_mut(), sql, &[], &[*ty]).remove(0).remove(0);
        assert_eq!(&got, expected, "{sql}");
    }
}

#[test]
fn an_undecodable_value_is_a_value_error_naming_the_column() {
    let mut db = memory();
    let err = db
        .query(
            "SELECT 'soon' AS published",
            &[],
            &[ValueType::Date],
            &mut |_| Ok(Continue(())),
        )
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Value);
    assert_eq!(
        err.message,
        "cannot read column 'published': 'soon' is not a valid date"
    );
}

#[test]
fn rows_stream_in_order_and_a_callback_error_stops_the_query() {
    let mut db = memory();
    let sql = "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 1000000) \
               SELECT x FROM n";
    let mut seen = Vec::new();
    let err = db
        .query(sql, &[], &[ValueType::Int], &mut |row| {
            seen.push(row[0].clone());
            if seen.len() == 3 {
                return Err(djq::diag::Diagnostic::new(ErrorKind::Io, "stop"));
            }
            Ok(Continue(()))
        })
        .unwrap_err();
    assert_eq!(err.message, "stop");
    assert_eq!(seen, vec![Value::Int(1), Value::Int(2), Value::Int(3)]);
    // Break stops reading without an error.
    seen.clear();
    db.query(sql, &[], &[ValueType::Int], &mut |row| {
        seen.push(row[0].clone());
        Ok(if seen.len() == 2 {
            std::ops::ControlFlow::Break(())
        } else {
            Continue(())
        })
    })
    .unwrap();
    assert_eq!(seen, vec![Value::Int(1), Value::Int(2)]);
    // The cached statement was reset: it runs again from the start.
    let again = rows(
        db.as_mut(),
        "SELECT x FROM (SELECT 1 AS x UNION ALL SELECT 2)",
        &[],
        &[],
    );
    assert_eq!(again.len(), 2);
}

#[test]
fn django_date_extract_matches_django() {
    let mut db = memory();
    let kinds = [
        "year",
        "iso_year",
        "quarter",
        "month",
        "day",
        "week",
        "week_day",
        "iso_week_day",
        "hour",
        "minute",
        "second",
    ];
    let cases: [(&str, [i64; 11]); 3] = [
        (
            "2024-12-30 23:59:58.5",
            [2024, 2025, 4, 12, 30, 1, 2, 1, 23, 59, 58],
        ),
        (
            "2021-01-03 00:00:00",
            [2021, 2020, 1, 1, 3, 53, 1, 7, 0, 0, 0],
        ),
        (
            "2023-06-15 12:34:56",
            [2023, 2023, 2, 6, 15, 24, 5, 4, 12, 34, 56],
        ),
    ];
    for (stamp, expected) in cases {
        for (kind, want) in kinds.iter().zip(expected) {
            let params = [Value::Text((*kind).into()), Value::Text(stamp.into())];
            let got = one(db.as_mut(), "SELECT django_date_extract(?, ?)", &params);
            assert_eq!(got, Value::Int(want), "{kind} of {stamp}");
            let got = one(
                db.as_mut(),
                "SELECT django_datetime_extract(?, ?, 'UTC', 'UTC')",
                &params,
            );
            assert_eq!(got, Value::Int(want), "{kind} of {stamp} (datetime)");
        }
    }
    // A DateField value (no time part) and the NULL / unparseable cases.
    let week_day = one(
        db.as_mut(),
        "SELECT django_date_extract('week_day', '2021-01-03')",
        &[],
    );
    assert_eq!(week_day, Value::Int(1));
    let null = one(db.as_mut(), "SELECT django_date_extract('year', NULL)", &[]);
    assert_eq!(null, Value::Null);
    let t_form = one(
        db.as_mut(),
        "SELECT django_date_extract('year', '2024-01-01T10:00:00')",
        &[],
    );
    assert_eq!(t_form, Value::Null);
    // A fixed offset in the tzname shifts the wall time.
    let hour = one(
        db.as_mut(),
        "SELECT django_datetime_extract('hour', '2024-08-17 23:30:00', 'UTC-01:30', 'UTC')",
        &[],
    );
    assert_eq!(hour, Value::Int(22));
    let err = db
        .query(
            "SELECT django_date_extract('hour', '2024-01-01')",
            &[],
            &[],
            &mut |_| Ok(Continue(())),
        )
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Operational);
    assert_eq!(
        err.message,
        "'datetime.date' object has no attribute 'hour'"
    );
}

#[test]
fn django_trunc_and_cast_functions_match_django() {
    let mut db = memory();
    let stamp = "'2024-08-17 10:11:12.5'";
    let cases = [
        (
            format!("django_date_trunc('year', {stamp}, 'UTC', 'UTC')"),
            "2024-01-01",
        ),
        (
            format!("django_date_trunc('quarter', {stamp}, 'UTC', 'UTC')"),
            "2024-07-01",
        ),
        (
            format!("django_date_trunc('month', {stamp}, 'UTC', 'UTC')"),
            "2024-08-01",
        ),
        (
            format!("django_date_trunc('week', {stamp}, 'UTC', 'UTC')"),
            "2024-08-12",
        ),
        (
            format!("django_date_trunc('day', {stamp}, NULL, NULL)"),
            "2024-08-17",
        ),
        (
            format!("django_datetime_trunc('week', {stamp}, 'UTC', 'UTC')"),
            "2024-08-12 00:00:00",
        ),
        (
            format!("django_datetime_trunc('hour', {stamp}, 'UTC', 'UTC')"),
            "2024-08-17 10:00:00",
        ),
        (
            format!("django_datetime_trunc('minute', {stamp}, 'UTC', 'UTC')"),
            "2024-08-17 10:11:00",
        ),
        (
            format!("django_datetime_trunc('second', {stamp}, 'UTC', 'UTC')"),
            "2024-08-17 10:11:12",
        ),
        (
            "django_time_trunc('minute', '10:11:12.5', NULL, NULL)".into(),
            "10:11:00",
        ),
        (
            format!("django_time_trunc('hour', {stamp}, 'UTC', 'UTC')"),
            "10:00:00",
        ),
        (
            "django_datetime_cast_date('2024-08-17 23:11:12', 'UTC+02:00', 'UTC')".into(),
            "2024-08-18",
        ),
        (
            "django_datetime_cast_time('2024-08-17 23:11:12.25', 'UTC', 'UTC')".into(),
            "23:11:12.250000",
        ),
        (
            "django_format_dtdelta('+', '2024-02-28 10:00:00', 86400000000)".into(),
            "2024-02-29 10:00:00",
        ),
    ];
    for (expr, expected) in cases {
        let got = one(db.as_mut(), &format!("SELECT {expr}"), &[]);
        assert_eq!(got, Value::Text(expected.into()), "{expr}");
    }
    let ints = [
        ("django_time_extract('second', '10:11:12')", 12),
        (
            "django_timestamp_diff('2024-03-01 00:00:00', '2024-02-28 12:00:00')",
            129_600_000_000,
        ),
        ("django_time_diff('10:00:00', '09:30:00.5')", 1_799_500_000),
    ];
    for (expr, expected) in ints {
        let got = one(db.as_mut(), &format!("SELECT {expr}"), &[]);
        assert_eq!(got, Value::Int(expected), "{expr}");
    }
}

#[test]
fn regexp_follows_python_re_search() {
    let mut db = memory();
    db.execute("CREATE TABLE b (title text)", &[]).unwrap();
    for title in ["Dune", "The DUNE", "Emma", "1984"] {
        db.execute("INSERT INTO b VALUES (?)", &[Value::Text(title.into())])
            .unwrap();
    }
    let titles = |db: &mut dyn Backend, pattern: &str| -> Vec<Value> {
        rows(
            db,
            "SELECT title FROM b WHERE title REGEXP ? ORDER BY title",
            &[Value::Text(pattern.into())],
            &[],
        )
        .into_iter()
        .map(|mut r| r.remove(0))
        .collect()
    };
    assert_eq!(titles(db.as_mut(), "^D"), vec![Value::Text("Dune".into())]);
    assert_eq!(
        titles(db.as_mut(), "(?i)dune\\Z"),
        vec![Value::Text("Dune".into()), Value::Text("The DUNE".into())]
    );
    assert_eq!(
        titles(db.as_mut(), r"^\d+$"),
        vec![Value::Text("1984".into())]
    );
    assert_eq!(
        one(db.as_mut(), "SELECT regexp('5', 15)", &[]),
        Value::Int(1)
    );
    assert_eq!(
        one(db.as_mut(), "SELECT regexp(NULL, 'x')", &[]),
        Value::Null
    );
    assert_eq!(one(db.as_mut(), "SELECT 'x' REGEXP NULL", &[]), Value::Null);
    // A BLOB is searched as Python's str() of bytes: b'\x00\xff' (Django: True).
    assert_eq!(
        one(db.as_mut(), r"SELECT x'00ff' REGEXP '^b.\\x00\\xff.$'", &[]),
        Value::Int(1)
    );
    let err = db
        .query("SELECT 'x' REGEXP '(?P<a>x)(?P=a)'", &[], &[], &mut |_| {
            Ok(Continue(()))
        })
        .unwrap_err();
    assert!(
        err.message.starts_with("unsupported regular expression"),
        "{}",
        err.message
    );
}

#[test]
fn math_functions_are_available() {
    let mut db = memory();
    assert_eq!(
        one(db.as_mut(), "SELECT POWER(2, 10)", &[]),
        Value::Int(1024)
    );
    assert_eq!(one(db.as_mut(), "SELECT SQRT(16)", &[]), Value::Float(4.0));
    assert_eq!(
        one(db.as_mut(), "SELECT LOG(10, 1000)", &[]),
        Value::Float(2.9999999999999996)
    );
    assert_eq!(
        one(db.as_mut(), "SELECT CEILING(1.5), FLOOR(-1.5)", &[]),
        Value::Int(2)
    );
    assert_eq!(one(db.as_mut(), "SELECT MOD(7, 3)", &[]), Value::Float(1.0));
    assert_eq!(one(db.as_mut(), "SELECT SIGN(-3)", &[]), Value::Int(-1));
    assert_eq!(
        one(db.as_mut(), "SELECT LPAD('7', 3, '0')", &[]),
        Value::Text("007".into())
    );
    let err = db
        .query("SELECT SQRT(-1)", &[], &[], &mut |_| Ok(Continue(())))
        .unwrap_err();
    assert_eq!(err.message, "math domain error");
}

#[test]
fn a_missing_file_is_an_error_not_a_new_database() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.sqlite3");
    let url = path.display().to_string();
    let err = backend::connect(&url, false).err().unwrap();
    assert_eq!(err.kind, ErrorKind::Io);
    assert_eq!(err.message, format!("unable to open database file: {url}"));
    assert!(!path.exists());
    let err = backend::connect(&format!("sqlite://{url}"), true)
        .err()
        .unwrap();
    assert_eq!(err.message, format!("unable to open database file: {url}"));
}

#[test]
fn a_file_that_is_not_a_database_fails_at_connect() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.txt");
    std::fs::write(
        &path,
        "this is not a database, just some text that is long enough",
    )
    .unwrap();
    let err = backend::connect(path.to_str().unwrap(), false)
        .err()
        .unwrap();
    assert_eq!(err.kind, ErrorKind::Database);
    assert!(
        err.message.starts_with("file is not a database"),
        "{}",
        err.message
    );
}

#[test]
fn files_open_by_path_and_url_and_read_only_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("library.sqlite3");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(
            "CREATE TABLE books_book (id integer primary key, title text); \
                        INSERT INTO books_book (title) VALUES ('Dune');",
        )
        .unwrap();
    let url = format!("sqlite://{}", path.display());

    let mut rw = backend::connect(&url, false).unwrap();
    assert_eq!(rw.describe(), format!("sqlite {}", path.display()));
    assert_eq!(rw.dialect(), Dialect::Sqlite);
    let id = rw
        .insert_returning_id(
            "INSERT INTO books_book (title) VALUES (?)",
            &[Value::Text("Emma".into())],
        )
        .unwrap();
    assert_eq!(id, Some(2));
    drop(rw);

    let mut ro = backend::connect(path.to_str().unwrap(), true).unwrap();
    assert_eq!(
        one(ro.as_mut(), "SELECT COUNT(*) FROM books_book", &[]),
        Value::Int(2)
    );
    let err = ro.execute("DELETE FROM books_book", &[]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Operational);
    assert_eq!(err.message, "attempt to write a readonly database");
    assert_eq!(
        one(ro.as_mut(), "SELECT COUNT(*) FROM books_book", &[]),
        Value::Int(2)
    );
    assert!(ro.as_sqlite().is_some());
}

#[test]
fn transactions_roll_back() {
    let mut db = backend::open_sqlite_script(
        "CREATE TABLE books_book (id integer primary key, title text); \
         INSERT INTO books_book (title) VALUES ('Dune');",
    )
    .unwrap();
    assert_eq!(db.describe(), "sqlite :memory:");
    db.begin().unwrap();
    db.execute("DELETE FROM books_book", &[]).unwrap();
    assert_eq!(
        one(db.as_mut(), "SELECT COUNT(*) FROM books_book", &[]),
        Value::Int(0)
    );
    db.rollback().unwrap();
    assert_eq!(
        one(db.as_mut(), "SELECT COUNT(*) FROM books_book", &[]),
        Value::Int(1)
    );
    db.begin().unwrap();
    db.execute(
        "UPDATE books_book SET title = ?",
        &[Value::Text("Emma".into())],
    )
    .unwrap();
    db.commit().unwrap();
    assert_eq!(
        one(db.as_mut(), "SELECT title FROM books_book", &[]),
        Value::Text("Emma".into())
    );
    assert_eq!(
        db.column_names("SELECT id, title AS name FROM books_book")
            .unwrap(),
        vec!["id".to_string(), "name".to_string()]
    );
}

#[test]
fn database_errors_carry_sqlites_message() {
    let mut db = memory();
    let err = db
        .query("SELECT * FROM books_book", &[], &[], &mut |_| {
            Ok(Continue(()))
        })
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Operational);
    assert_eq!(err.message, "no such table: books_book");
    let err = db.execute("SELECT ?", &[]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Programming);
    assert_eq!(
        err.message,
        "Incorrect number of bindings supplied. The current statement uses 1, and there are 0 supplied."
    );
    let err = backend::open_sqlite_script("CREATE TABLE (").err().unwrap();
    assert_eq!(err.kind, ErrorKind::Operational);
    assert_eq!(err.message, "near \"(\": syntax error");
}

/// The `sqlite3` module's exception classes, which Django re-raises: constraint failures are
/// IntegrityErrors, `no such column` and misused aggregates OperationalErrors; the message is
/// SQLite's alone, without the statement.
#[test]
fn database_errors_are_classed_like_the_sqlite3_modules() {
    let mut db = backend::open_sqlite_script(
        "CREATE TABLE t (id integer PRIMARY KEY, k text UNIQUE NOT NULL, n integer);
         INSERT INTO t VALUES (1, 'a', 1);",
    )
    .unwrap();
    let err = |db: &mut dyn Backend, sql: &str| {
        db.query(sql, &[], &[], &mut |_| Ok(Continue(())))
            .unwrap_err()
    };
    let missing = err(db.as_mut(), "SELECT nope FROM t");
    assert_eq!(
        (missing.kind, missing.message.as_str()),
        (ErrorKind::Operational, "no such column: nope")
    );
    let having = err(db.as_mut(), "SELECT n FROM t HAVING n > 0");
    assert_eq!(
        (having.kind, having.message.as_str()),
        (
            ErrorKind::Operational,
            "HAVING clause on a non-aggregate query"
        )
    );
    let dup = err(db.as_mut(), "INSERT INTO t (k) VALUES ('a') RETURNING id");
    assert_eq!(
        (dup.kind, dup.message.as_str()),
        (ErrorKind::Integrity, "UNIQUE constraint failed: t.k")
    );
    let null = db
        .execute("INSERT INTO t (k) VALUES (NULL)", &[])
        .unwrap_err();
    assert_eq!(
        (null.kind, null.message.as_str()),
        (ErrorKind::Integrity, "NOT NULL constraint failed: t.k")
    );
}

#[test]
fn the_demo_dump_loads_like_the_demo_file() {
    let count = "SELECT COUNT(*) FROM books_book";
    let mut dump =
        backend::open_sqlite_script(include_str!("../fixtures/demo/library.sql")).unwrap();
    let file = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/demo/library.sqlite3");
    let mut db = backend::connect(file, true).unwrap();
    let books = one(db.as_mut(), count, &[]);
    assert!(matches!(books, Value::Int(n) if n > 100), "{books:?}");
    assert_eq!(one(dump.as_mut(), count, &[]), books);
}

/// Counts to a billion: minutes of work unless cancelled.
const COUNT_TO_A_BILLION: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 \
                                  FROM c WHERE x < 1000000000) SELECT x FROM c";

/// Runs `sql`, calling `cancel` from another thread 200 ms in: the error (checked to come
/// quickly) and the number of rows read before it.
fn cancelled(db: &mut dyn Backend, cancel: &Arc<Canceller>, sql: &str) -> (String, u64) {
    let started = Instant::now();
    let cancel = Arc::clone(cancel);
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        cancel().unwrap();
    });
    let mut rows = 0;
    let err = db
        .query(sql, &[], &[], &mut |_| {
            rows += 1;
            Ok(Continue(()))
        })
        .unwrap_err();
    canceller.join().unwrap();
    assert_eq!(err.kind, ErrorKind::Operational);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "cancelled after {:?}",
        started.elapsed()
    );
    (err.message, rows)
}

#[test]
fn a_running_query_can_be_cancelled_from_another_thread() {
    let mut db = memory();
    let cancel = Arc::new(db.canceller().expect("SQLite sessions can be cancelled"));
    // With nothing running, cancelling does nothing: the next statement runs as usual.
    cancel().unwrap();
    assert_eq!(one(db.as_mut(), "SELECT 1", &[]), Value::Int(1));

    // A statement that has returned no row yet.
    let count = format!("SELECT count(*) FROM ({COUNT_TO_A_BILLION})");
    let (message, rows) = cancelled(db.as_mut(), &cancel, &count);
    assert_eq!((message.as_str(), rows), ("query cancelled", 0));
    assert_eq!(one(db.as_mut(), "SELECT 2", &[]), Value::Int(2));

    // A statement streaming rows.
    let (message, rows) = cancelled(db.as_mut(), &cancel, COUNT_TO_A_BILLION);
    assert_eq!(message, "query cancelled");
    assert!(rows > 0);
    assert_eq!(one(db.as_mut(), "SELECT 3", &[]), Value::Int(3));
}
