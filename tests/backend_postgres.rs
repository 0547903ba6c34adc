//! The PostgreSQL backend against a real server (see `support::pg`): binding parameters by
//! the types the server infers, decoding every type, streaming, errors, connecting (down
//! server, timeout, wrong password, TLS), cancelling, read-only sessions, transactions, and
//! introspection — names equal to SQLite's for the same Django fixtures, in a fixed number of
//! queries whatever the number of tables.
//!
//! Without a server every test prints `SKIPPED: no PostgreSQL server available` and returns, or
//! fails under `CI=true` or `DJQ_REQUIRE_SERVERS=1` (`support::skip`); so do the password and
//! TLS tests when the server is not the tests' own cluster (or, for TLS, `openssl` is missing).

mod support;

use std::net::TcpListener;
use std::ops::ControlFlow::Continue;
use std::str::FromStr;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveTime};
use djq::backend::{self, Backend, Canceller};
use djq::diag::{ErrorKind, Result};
use djq::schema::{FieldKind, Model, ReverseVia, Schema, introspect};
use djq::sql::Dialect;
use djq::value::{Value, ValueType};
use rust_decimal::Decimal;
use serde_json::json;
use support::pg;

/// A session on a new, empty database; `None` when there is no server.
fn fresh() -> Option<Box<dyn Backend>> {
    let url = pg::server()?.create_database();
    Some(backend::connect(&url, false).unwrap())
}

/// Runs `sql` and collects its rows (decoding every column as `types`).
fn rows(db: &mut dyn Backend, sql: &str, params: &[Value], types: &[ValueType]) -> Vec<Vec<Value>> {
    db.query_all(sql, params, types)
        .unwrap_or_else(|e| panic!("{sql}: {}", e.message))
}

/// The single value `sql` returns.
fn one(db: &mut dyn Backend, sql: &str, params: &[Value]) -> Value {
    rows(db, sql, params, &[]).remove(0).remove(0)
}

/// The error message running `sql` gives.
fn error(db: &mut dyn Backend, sql: &str, params: &[Value]) -> String {
    db.query(sql, params, &[], &mut |_| Ok(Continue(())))
        .expect_err(sql)
        .message
}

fn dec(s: &str) -> Value {
    Value::Decimal(Decimal::from_str(s).unwrap())
}

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

#[test]
fn every_value_type_round_trips() {
    let Some(mut db) = fresh() else { return };
    db.execute(
        "CREATE TABLE t (i2 smallint, i4 integer, i8 bigint, f4 real, f8 double precision, \
         n numeric(10, 2), s varchar(20), c char(3), tx text, b boolean, d date, \
         ts timestamptz, naive timestamp, tm time, du interval, u uuid, j json, jb jsonb, \
         by bytea, ip inet, ints integer[], texts text[])",
        &[],
    )
    .unwrap();
    let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
    let stamp = date.and_hms_micro_opt(13, 14, 15, 250_000).unwrap();
    let values = vec![
        Value::Int(-7),
        Value::Int(2_000_000_000),
        Value::Int(9_000_000_000_000),
        Value::Float(0.5),
        Value::Float(2.25),
        dec("12.50"),
        text("Dune ✓"),
        text("FIC"),
        text("long text"),
        Value::Bool(true),
        Value::Date(date),
        Value::DateTime(stamp.and_utc()),
        Value::NaiveDateTime(stamp),
        Value::Time(NaiveTime::from_hms_opt(7, 8, 9).unwrap()),
        Value::Duration(2 * 86_400_000_000 + 1),
        Value::Uuid("12345678-9abc-def0-1234-56789abcdef0".into()),
        Value::json(json!({"a": [1, 2]})),
        Value::json(json!({"tags": ["a", "b"], "n": 1})),
        Value::Bytes(vec![0, 159, 146, 150]),
        text("192.168.0.1"),
        Value::json(json!([1, null, 3])),
        Value::json(json!(["x", "y"])),
    ];
    let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
    let insert = format!("INSERT INTO t VALUES ({})", placeholders.join(", "));
    assert_eq!(db.execute(&insert, &values).unwrap(), 1);
    assert_eq!(
        db.execute(&insert, &vec![Value::Null; values.len()])
            .unwrap(),
        1
    );
    use ValueType as T;
    let types = [
        T::Int,
        T::Int,
        T::Int,
        T::Float,
        T::Float,
        T::Decimal { places: Some(2) },
        T::Text,
        T::Text,
        T::Text,
        T::Bool,
        T::Date,
        T::DateTime,
        T::DateTime,
        T::Time,
        T::Duration,
        T::Uuid,
        T::Json,
        T::Json,
        T::Bytes,
        T::Text,
        T::Json,
        T::Json,
    ];
    let got = rows(
        db.as_mut(),
        "SELECT * FROM t ORDER BY i2 NULLS LAST",
        &[],
        &types,
    );
    assert_eq!(got[0], values);
    assert_eq!(got[1], vec![Value::Null; values.len()]);
    // Untyped columns decode by their PostgreSQL type alone.
    assert_eq!(
        rows(db.as_mut(), "SELECT * FROM t LIMIT 1", &[], &[])[0],
        values
    );
}

#[test]
fn enums_domains_and_catalog_types() {
    let Some(mut db) = fresh() else { return };
    db.execute("CREATE TYPE mood AS ENUM ('sad', 'happy')", &[])
        .unwrap();
    db.execute("CREATE DOMAIN positive AS integer CHECK (VALUE > 0)", &[])
        .unwrap();
    db.execute("CREATE TABLE e (m mood, p positive, net cidr)", &[])
        .unwrap();
    db.execute(
        "INSERT INTO e VALUES ($1, $2, $3)",
        &[text("happy"), Value::Int(3), text("10.0.0.0/8")],
    )
    .unwrap();
    assert_eq!(
        rows(
            db.as_mut(),
            "SELECT * FROM e WHERE m = $1",
            &[text("happy")],
            &[]
        ),
        [[text("happy"), Value::Int(3), text("10.0.0.0/8")]]
    );
    assert_eq!(
        rows(
            db.as_mut(),
            "SELECT 'pg_class'::name, 'r'::\"char\", 26::oid, ARRAY[[1, 2], [3, 4]]",
            &[],
            &[]
        ),
        [[
            text("pg_class"),
            text("r"),
            Value::Int(26),
            Value::json(json!([[1, 2], [3, 4]]))
        ]]
    );
}

#[test]
fn parameters_take_the_type_the_server_infers() {
    let Some(mut db) = fresh() else { return };
    db.execute(
        "CREATE TABLE p (small smallint, big bigint, price numeric(6, 2), d date, \
         ts timestamptz, f real, flag boolean, id uuid, doc jsonb)",
        &[],
    )
    .unwrap();
    let insert = "INSERT INTO p VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    // Text where the server expects dates, numbers, booleans and UUIDs, as Django may pass.
    let values = [
        Value::Int(5),
        text("12"),
        Value::Float(9.99),
        text("2024-03-01"),
        text("2024-03-01 10:00:00+02:00"),
        Value::Int(3),
        Value::Int(1),
        text("12345678123456781234567812345678"),
        text("plain"),
    ];
    db.execute(insert, &values).unwrap();
    let got = rows(db.as_mut(), "SELECT * FROM p", &[], &[]).remove(0);
    assert_eq!(got[0], Value::Int(5));
    assert_eq!(got[1], Value::Int(12));
    assert_eq!(got[2], dec("9.99"));
    assert_eq!(
        got[3],
        Value::Date(NaiveDate::from_ymd_opt(2024, 3, 1).unwrap())
    );
    assert_eq!(got[4].to_python_str(), "2024-03-01 08:00:00+00:00");
    assert_eq!(got[5], Value::Float(3.0));
    assert_eq!(got[6], Value::Bool(true));
    assert_eq!(
        got[7],
        Value::Uuid("12345678-1234-5678-1234-567812345678".into())
    );
    assert_eq!(got[8], Value::json(json!("plain")));

    // The parameter's type comes from its context: int2 here, so the range is checked.
    assert_eq!(
        db.execute("UPDATE p SET small = $1", &[Value::Int(70_000)])
            .unwrap_err()
            .message,
        "parameter $1: value \"70000\" is out of range for type smallint"
    );
    let filtered = rows(
        db.as_mut(),
        "SELECT count(*) FROM p WHERE small = $1 AND d >= $2 AND price < $3",
        &[
            Value::Int(5),
            Value::Date(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()),
            dec("10"),
        ],
        &[],
    );
    assert_eq!(filtered, [[Value::Int(1)]]);
    assert_eq!(
        one(db.as_mut(), "SELECT $1::int4 + 1", &[text("41")]),
        Value::Int(42)
    );
    assert_eq!(
        error(db.as_mut(), "SELECT $1::date", &[text("someday")]),
        "parameter $1: invalid input syntax for type date: \"someday\""
    );
    // A float where the server guessed an integer goes as a numeric, as Django's inlined
    // literal would (`1.5::int4` rounds).
    assert_eq!(
        one(db.as_mut(), "SELECT $1::int4", &[Value::Float(1.5)]),
        Value::Int(2)
    );
    assert_eq!(
        error(db.as_mut(), "SELECT $1::int4", &[]),
        "expected 1 parameters but got 0"
    );
    // NULL goes to any type.
    assert_eq!(
        one(db.as_mut(), "SELECT $1::uuid", &[Value::Null]),
        Value::Null
    );
}

#[test]
fn output_fields_convert_like_django() {
    let Some(mut db) = fresh() else { return };
    let got = rows(
        db.as_mut(),
        "SELECT 7.9::numeric, 2::int4, 2.5::float8, avg(x), '{\"a\": 1}'::text \
         FROM (VALUES (1), (2), (2)) v(x)",
        &[],
        &[
            ValueType::Int,
            ValueType::Float,
            ValueType::Decimal { places: Some(2) },
            ValueType::Decimal { places: Some(2) },
            ValueType::Json,
        ],
    );
    // `int()` truncates; numerics keep the scale PostgreSQL gives (Django does not quantize).
    assert_eq!(
        got[0],
        [
            Value::Int(7),
            Value::Float(2.0),
            dec("2.5"),
            dec("1.6666666666666667"),
            Value::json(json!({"a": 1}))
        ]
    );
}

#[test]
fn rows_stream_in_order_and_a_callback_error_stops_them() {
    let Some(mut db) = fresh() else { return };
    let mut seen = 0i64;
    db.query(
        "SELECT g FROM generate_series(1, 200000) g ORDER BY g",
        &[],
        &[ValueType::Int],
        &mut |row| {
            seen += 1;
            assert_eq!(row, [Value::Int(seen)]);
            Ok(Continue(()))
        },
    )
    .unwrap();
    assert_eq!(seen, 200_000);

    let mut taken = 0;
    let err = db
        .query(
            "SELECT g FROM generate_series(1, 200000) g",
            &[],
            &[],
            &mut |_| {
                taken += 1;
                if taken == 10 {
                    Err(djq::diag::Diagnostic::new(ErrorKind::Value, "enough"))
                } else {
                    Ok(Continue(()))
                }
            },
        )
        .unwrap_err();
    assert_eq!((err.message.as_str(), taken), ("enough", 10));
    // The session is still usable.
    assert_eq!(one(db.as_mut(), "SELECT 1", &[]), Value::Int(1));
    // Break stops reading without an error, and the session goes on.
    taken = 0;
    db.query(
        "SELECT g FROM generate_series(1, 200000) g",
        &[],
        &[],
        &mut |_| {
            taken += 1;
            Ok(if taken == 5 {
                std::ops::ControlFlow::Break(())
            } else {
                Continue(())
            })
        },
    )
    .unwrap();
    assert_eq!(taken, 5);
    assert_eq!(one(db.as_mut(), "SELECT 2", &[]), Value::Int(2));
}

/// Truncations decode as Django's converter makes them: DATE_TRUNC of a date (a timestamptz)
/// as a date, of a datetime `AT TIME ZONE 'UTC'` (a naive timestamp) as an aware datetime; a
/// table's own timestamp column stays naive.
#[test]
fn truncations_follow_their_output_field() {
    let Some(mut db) = fresh() else { return };
    db.execute(
        "CREATE TABLE d (day date, at timestamptz, naive timestamp)",
        &[],
    )
    .unwrap();
    db.execute(
        "INSERT INTO d VALUES ('1667-05-03', '2021-06-07 08:09:10+02', '2021-06-07 08:09:10')",
        &[],
    )
    .unwrap();
    use ValueType as T;
    let got = rows(
        db.as_mut(),
        "SELECT DATE_TRUNC('year', day), DATE_TRUNC('month', at AT TIME ZONE 'UTC'), \
         DATE_TRUNC('day', at AT TIME ZONE 'UTC'), naive FROM d",
        &[],
        &[T::Date, T::DateTime, T::Date, T::DateTime],
    );
    let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    assert_eq!(
        got[0],
        [
            Value::Date(date(1667, 1, 1)),
            Value::DateTime(date(2021, 6, 1).and_time(NaiveTime::MIN).and_utc()),
            Value::Date(date(2021, 6, 7)),
            Value::NaiveDateTime(date(2021, 6, 7).and_hms_opt(8, 9, 10).unwrap()),
        ]
    );
}

#[test]
fn server_errors_carry_the_servers_message() {
    let Some(mut db) = fresh() else { return };
    let err = db
        .query("SELECT * FROM nowhere", &[], &[], &mut |_| Ok(Continue(())))
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Programming);
    // psycopg's message, as Django shows it: the server's, then libpq's excerpt and caret
    assert_eq!(
        err.message,
        "relation \"nowhere\" does not exist\nLINE 1: SELECT * FROM nowhere\n                      ^"
    );
    assert!(error(db.as_mut(), "SELEC 1", &[]).starts_with("syntax error at or near"));
    db.execute("CREATE TABLE u (k text UNIQUE)", &[]).unwrap();
    db.execute("INSERT INTO u VALUES ('a')", &[]).unwrap();
    let dup = db.execute("INSERT INTO u VALUES ('a')", &[]).unwrap_err();
    assert_eq!(dup.kind, ErrorKind::Integrity);
    assert_eq!(
        dup.message,
        "duplicate key value violates unique constraint \"u_k_key\""
    );
    assert_eq!(
        dup.help.as_deref(),
        Some("DETAIL: Key (k)=(a) already exists.")
    );
    // Each SQLSTATE class raises the exception psycopg raises for it, which Django re-raises.
    let kind = |db: &mut dyn Backend, sql: &str| {
        db.query(sql, &[], &[], &mut |_| Ok(Continue(())))
            .unwrap_err()
            .kind
    };
    assert_eq!(kind(db.as_mut(), "SELEC 1"), ErrorKind::Programming);
    assert_eq!(
        kind(db.as_mut(), "SELECT k, count(*) FROM u"),
        ErrorKind::Programming
    );
    assert_eq!(kind(db.as_mut(), "SELECT 1 / 0"), ErrorKind::Data);
    assert_eq!(kind(db.as_mut(), "SELECT 'x'::int"), ErrorKind::Data);
    assert_eq!(
        kind(db.as_mut(), "DO $$ BEGIN RAISE 'boom'; END $$"),
        ErrorKind::Programming,
        "PL/pgSQL's P0001"
    );
    assert_eq!(
        kind(db.as_mut(), "DO $$ BEGIN RAISE SQLSTATE '53100'; END $$"),
        ErrorKind::Operational,
        "disk full"
    );
    assert_eq!(
        kind(db.as_mut(), "DO $$ BEGIN RAISE SQLSTATE 'XX000'; END $$"),
        ErrorKind::Internal
    );
    assert_eq!(
        kind(db.as_mut(), "DO $$ BEGIN RAISE SQLSTATE '0A000'; END $$"),
        ErrorKind::NotSupported
    );
    assert_eq!(
        kind(db.as_mut(), "DO $$ BEGIN RAISE SQLSTATE '72000'; END $$"),
        ErrorKind::Database,
        "snapshot failure"
    );
    let unknown = error(db.as_mut(), "SELECT 'a b'::tsvector", &[]);
    assert!(
        unknown.contains("cannot read PostgreSQL type tsvector"),
        "{unknown}"
    );
    assert_eq!(
        one(db.as_mut(), "SELECT 'a b'::tsvector::text", &[]),
        text("'a' 'b'")
    );
}

#[test]
fn sessions_are_set_up_like_djangos() {
    let Some(server) = pg::server() else { return };
    let url = server.create_database();
    let mut db = backend::connect(&url, false).unwrap();
    assert_eq!(db.dialect(), Dialect::Postgres);
    let dbname = url.rsplit('/').next().unwrap();
    assert!(db.describe().starts_with("postgres "));
    assert!(
        db.describe().ends_with(&format!("/{dbname}")),
        "{}",
        db.describe()
    );
    assert_eq!(one(db.as_mut(), "SHOW TimeZone", &[]), text("UTC"));
    assert_eq!(
        db.column_names("SELECT 1 AS a, 'x' AS b").unwrap(),
        ["a", "b"]
    );
    let named = format!("{url}?application_name=djq-test");
    let mut db = backend::connect(&named, false).unwrap();
    assert_eq!(
        one(
            db.as_mut(),
            "SELECT current_setting('application_name')",
            &[]
        ),
        text("djq-test")
    );
}

#[test]
fn transactions_and_returning_ids() {
    let Some(mut db) = fresh() else { return };
    db.execute(
        "CREATE TABLE a (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, name text)",
        &[],
    )
    .unwrap();
    let insert = "INSERT INTO a (name) VALUES ($1) RETURNING \"id\"";
    assert_eq!(
        db.insert_returning_id(insert, &[text("x")]).unwrap(),
        Some(1)
    );
    db.begin().unwrap();
    assert_eq!(
        db.insert_returning_id(insert, &[text("y")]).unwrap(),
        Some(2)
    );
    db.rollback().unwrap();
    db.begin().unwrap();
    assert_eq!(
        db.insert_returning_id(insert, &[text("z")]).unwrap(),
        Some(3)
    );
    db.commit().unwrap();
    assert_eq!(
        rows(db.as_mut(), "SELECT name FROM a ORDER BY id", &[], &[]),
        [[text("x")], [text("z")]]
    );
    let nothing = "INSERT INTO a (name) SELECT 'n' WHERE false RETURNING \"id\"";
    assert_eq!(db.insert_returning_id(nothing, &[]).unwrap(), None);
    let err = db
        .insert_returning_id("INSERT INTO a (name) VALUES ('q')", &[])
        .unwrap_err();
    assert!(err.message.contains("needs RETURNING"), "{}", err.message);
}

#[test]
fn a_statement_prepared_before_a_schema_change_is_prepared_again() {
    let Some(mut db) = fresh() else { return };
    db.execute("CREATE TABLE s (a int)", &[]).unwrap();
    db.execute("INSERT INTO s VALUES (1)", &[]).unwrap();
    assert_eq!(
        rows(db.as_mut(), "SELECT * FROM s", &[], &[]),
        [[Value::Int(1)]]
    );
    db.execute("ALTER TABLE s ADD COLUMN b int DEFAULT 2", &[])
        .unwrap();
    assert_eq!(
        rows(db.as_mut(), "SELECT * FROM s", &[], &[]),
        [[Value::Int(1), Value::Int(2)]]
    );
}

#[test]
fn read_only_sessions_refuse_writes_in_the_server() {
    let Some(server) = pg::server() else { return };
    let url = server.create_database();
    backend::connect(&url, false)
        .unwrap()
        .execute("CREATE TABLE r (x int)", &[])
        .unwrap();
    let mut db = backend::connect(&url, true).unwrap();
    let err = db.execute("INSERT INTO r VALUES (1)", &[]).unwrap_err();
    assert_eq!(
        err.message,
        "cannot execute INSERT in a read-only transaction"
    );
    db.begin().unwrap();
    assert!(db.execute("CREATE TABLE r2 (x int)", &[]).is_err());
    db.rollback().unwrap();
    assert_eq!(
        one(db.as_mut(), "SELECT count(*) FROM r", &[]),
        Value::Int(0)
    );
}

#[test]
fn a_running_query_can_be_cancelled_from_another_thread() {
    let Some(mut db) = fresh() else { return };
    let cancel: Canceller = db
        .canceller()
        .expect("PostgreSQL sessions can be cancelled");
    let started = Instant::now();
    let canceller = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        cancel().unwrap();
    });
    let err = db
        .query("SELECT pg_sleep(10)", &[], &[], &mut |_| Ok(Continue(())))
        .unwrap_err();
    canceller.join().unwrap();
    assert_eq!(err.kind, ErrorKind::Operational);
    assert_eq!(err.message, "query cancelled");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(one(db.as_mut(), "SELECT 2", &[]), Value::Int(2));
}

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn a_down_server_is_a_clear_error_at_once() {
    let port = closed_port();
    let started = Instant::now();
    let err = backend::connect(&format!("postgres://u@127.0.0.1:{port}/db"), false)
        .err()
        .unwrap();
    assert_eq!(
        err.message,
        format!("could not connect to server at 127.0.0.1:{port}: Connection refused")
    );
    assert!(started.elapsed() < Duration::from_secs(2));
    let socket = backend::connect("postgres://u@%2Fnonexistent-dir/db", false)
        .err()
        .unwrap();
    assert_eq!(
        socket.message,
        "could not connect to server on socket \"/nonexistent-dir/.s.PGSQL.5432\": \
         No such file or directory"
    );
}

#[test]
fn a_server_that_never_answers_times_out() {
    // Accepts connections (the kernel's backlog does) but never speaks.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let started = Instant::now();
    let err = backend::connect(
        &format!("postgres://u@127.0.0.1:{port}/db?connect_timeout=2&sslmode=disable"),
        false,
    )
    .err()
    .unwrap();
    assert_eq!(
        err.message,
        format!("could not connect to server at 127.0.0.1:{port}: timeout expired")
    );
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(2) && waited < Duration::from_secs(4),
        "{waited:?}"
    );
}

#[test]
fn passwords_are_checked_by_the_server() {
    let Some(server) = pg::server() else { return };
    let Some((address, user, password)) = server.password_login() else {
        support::skip("password login needs the tests' own cluster");
        return;
    };
    let url = |pw: &str| format!("postgres://{user}:{pw}@{address}/postgres?sslmode=disable");
    let err = backend::connect(&url("wrong"), false).err().unwrap();
    assert_eq!(
        err.message,
        format!(
            "could not connect to server at {address}: password authentication failed for user \
             \"{user}\""
        )
    );
    let encoded = password.replace(' ', "%20");
    let mut db = backend::connect(&url(&encoded), false).unwrap();
    assert_eq!(
        one(db.as_mut(), "SELECT current_user::text", &[]),
        text(user)
    );
    let missing = backend::connect(
        &format!("postgres://{user}@{address}/postgres?sslmode=disable"),
        false,
    );
    // Unless a ~/.pgpass happens to hold it, the missing password is named as such.
    if let Err(err) = missing {
        assert!(
            err.message.contains("asks for a password"),
            "{}",
            err.message
        );
    }
}

#[test]
fn a_password_file_others_can_read_is_ignored_with_libpqs_warning() {
    use std::os::unix::fs::PermissionsExt;
    let Some(server) = pg::server() else { return };
    let Some((address, user, password)) = server.password_login() else {
        support::skip("password login needs the tests' own cluster");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pgpass");
    std::fs::write(&file, format!("*:*:*:{user}:{password}\n")).unwrap();
    let url = format!("postgres://{user}@{address}/postgres?sslmode=disable");
    let djq = || {
        let mut cmd = assert_cmd::Command::cargo_bin("djq").unwrap();
        cmd.env_remove("PGPASSWORD").env("PGPASSFILE", &file).args([
            url.as_str(),
            "--format",
            "json",
            "-c",
            "1 + 1",
        ]);
        cmd.output().unwrap()
    };
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let private = djq();
    assert_eq!(
        String::from_utf8_lossy(&private.stdout),
        "2\n",
        "{}",
        String::from_utf8_lossy(&private.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&private.stderr), "");
    for mode in [0o640, 0o604, 0o610] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let shared = djq();
        let stderr = String::from_utf8_lossy(&shared.stderr);
        let warning = format!(
            "warning: password file \"{}\" has group or world access; permissions should be \
             u=rw (0600) or less\n",
            file.display()
        );
        assert!(stderr.starts_with(&warning), "{mode:o}: {stderr}");
        assert!(stderr.contains("asks for a password"), "{mode:o}: {stderr}");
        assert_eq!(shared.status.code(), Some(1));
    }
}

#[test]
fn tls_is_used_and_verified_as_sslmode_says() {
    let Some(server) = pg::server() else { return };
    let (Some(port), Some(cert)) = (server.port(), server.tls_certificate()) else {
        support::skip("TLS needs the tests' own cluster and openssl");
        return;
    };
    let uses_tls = |url: &str| -> Result<bool> {
        let mut db = backend::connect(url, false)?;
        Ok(one(
            db.as_mut(),
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        ) == Value::Bool(true))
    };
    let url =
        |host: &str, query: &str| format!("postgres://postgres@{host}:{port}/postgres?{query}");
    assert!(!uses_tls(&url("127.0.0.1", "sslmode=disable")).unwrap());
    assert!(uses_tls(&url("127.0.0.1", "sslmode=prefer")).unwrap());
    assert!(uses_tls(&url("127.0.0.1", "sslmode=require")).unwrap());
    // Verifying needs the (self-signed) certificate as a root, and verify-full the host name.
    let err = uses_tls(&url("localhost", "sslmode=verify-full")).unwrap_err();
    assert!(err.message.contains("certificate"), "{}", err.message);
    let root = format!("sslrootcert={}", cert.display());
    assert!(uses_tls(&url("localhost", &format!("sslmode=verify-full&{root}"))).unwrap());
    assert!(uses_tls(&url("127.0.0.1", &format!("sslmode=verify-ca&{root}"))).unwrap());
}

/// A session that counts the queries run through it.
struct Counting<'a> {
    inner: &'a mut dyn Backend,
    queries: usize,
}

impl Backend for Counting<'_> {
    fn dialect(&self) -> Dialect {
        self.inner.dialect()
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        types: &[ValueType],
        on_row: &mut dyn FnMut(Vec<Value>) -> Result<std::ops::ControlFlow<()>>,
    ) -> Result<()> {
        self.queries += 1;
        self.inner.query(sql, params, types, on_row)
    }
    fn column_names(&mut self, sql: &str) -> Result<Vec<String>> {
        self.queries += 1;
        self.inner.column_names(sql)
    }
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        self.queries += 1;
        self.inner.execute(sql, params)
    }
    fn insert_returning_id(&mut self, sql: &str, params: &[Value]) -> Result<Option<i64>> {
        self.queries += 1;
        self.inner.insert_returning_id(sql, params)
    }
    fn set_time_zone(&mut self, tz: djq::tz::TzConfig) -> Result<()> {
        self.inner.set_time_zone(tz)
    }
    fn open_cursor(
        &mut self,
        sql: &str,
        params: &[Value],
        types: &[ValueType],
    ) -> Result<djq::backend::CursorId> {
        self.queries += 1;
        self.inner.open_cursor(sql, params, types)
    }
    fn fetch(&mut self, cursor: djq::backend::CursorId, n: usize) -> Result<Vec<Vec<Value>>> {
        self.queries += 1;
        self.inner.fetch(cursor, n)
    }
    fn close_cursor(&mut self, cursor: djq::backend::CursorId) -> Result<()> {
        self.inner.close_cursor(cursor)
    }
    fn set_statement_timeout(&mut self, timeout: std::time::Duration) -> Result<()> {
        self.inner.set_statement_timeout(timeout)
    }
    fn begin(&mut self) -> Result<()> {
        self.inner.begin()
    }
    fn commit(&mut self) -> Result<()> {
        self.inner.commit()
    }
    fn rollback(&mut self) -> Result<()> {
        self.inner.rollback()
    }
}

/// Introspects a database of `n` tables, each with a key, a foreign key and an index; the
/// number of queries it took and the schema.
fn introspect_tables(n: usize) -> Option<(usize, Schema)> {
    let server = pg::server()?;
    let mut ddl = String::from("CREATE TABLE t0 (id serial PRIMARY KEY);");
    for i in 1..n {
        ddl.push_str(&format!(
            "CREATE TABLE t{i} (id serial PRIMARY KEY, name varchar(20) UNIQUE, \
             prev_id int REFERENCES t{} (id)); CREATE INDEX ON t{i} (prev_id);",
            i - 1
        ));
    }
    let url = server.database_from_sql(&ddl);
    let mut db = backend::connect(&url, false).unwrap();
    let mut counting = Counting {
        inner: db.as_mut(),
        queries: 0,
    };
    let schema = introspect::postgres(&mut counting).unwrap();
    Some((counting.queries, schema))
}

#[test]
fn introspection_takes_the_same_number_of_queries_for_any_number_of_tables() {
    let Some((few, small)) = introspect_tables(10) else {
        return;
    };
    let Some((many, large)) = introspect_tables(200) else {
        return;
    };
    assert_eq!((small.models.len(), large.models.len()), (10, 200));
    assert_eq!(few, many);
    assert!(few <= 5, "{few} queries");
    let t9 = large.model(large.find_table("t9").unwrap());
    assert_eq!(t9.name, "T9");
    let prev = &t9.fields[2];
    assert_eq!(
        (prev.name.as_str(), prev.kind),
        ("prev", FieldKind::ForeignKey)
    );
    assert_eq!(large.model(prev.relation.as_ref().unwrap().to).table, "t8");
    assert_eq!(t9.fields[0].kind, FieldKind::AutoField);
}

#[test]
fn introspection_maps_postgres_types_to_django_fields() {
    let Some(server) = pg::server() else { return };
    let url = server.database_from_sql(
        "CREATE SCHEMA other; \
         CREATE DOMAIN short_text AS varchar(5); \
         CREATE TABLE kinds ( \
             id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, \
             small smallserial, n numeric(7, 3), f double precision, r real, \
             ok boolean NOT NULL, d date, ts timestamptz, naive timestamp, t time, \
             du interval, u uuid UNIQUE, jb jsonb, j json, by bytea, ip inet, \
             tags text[], code char(2), dom short_text, vec tsvector, \
             pages integer CHECK (pages >= 0), a int, b int, UNIQUE (a, b)); \
         CREATE INDEX kinds_a_idx ON kinds (a); \
         CREATE INDEX kinds_expr_idx ON kinds (lower(code)); \
         CREATE VIEW kinds_view AS SELECT id, ok FROM kinds; \
         CREATE TABLE other.hidden (x int);",
    );
    let mut db = backend::connect(&url, false).unwrap();
    let schema = introspect::postgres(db.as_mut()).unwrap();
    let tables: Vec<&str> = schema.models.iter().map(|m| m.table.as_str()).collect();
    assert_eq!(
        tables,
        ["kinds", "kinds_view"],
        "tables off the search path stay hidden"
    );
    let kinds = schema.model(schema.find_table("kinds").unwrap());
    let described: Vec<_> = kinds
        .fields
        .iter()
        .map(|f| {
            (
                f.name.as_str(),
                f.kind.django_name(),
                f.null,
                f.max_length,
                f.decimal,
            )
        })
        .collect();
    assert_eq!(
        described,
        [
            ("id", "BigAutoField", false, None, None),
            ("small", "SmallAutoField", false, None, None),
            ("n", "DecimalField", true, None, Some((7, 3))),
            ("f", "FloatField", true, None, None),
            ("r", "FloatField", true, None, None),
            ("ok", "BooleanField", false, None, None),
            ("d", "DateField", true, None, None),
            ("ts", "DateTimeField", true, None, None),
            ("naive", "DateTimeField", true, None, None),
            ("t", "TimeField", true, None, None),
            ("du", "DurationField", true, None, None),
            ("u", "UUIDField", true, None, None),
            ("jb", "JSONField", true, None, None),
            ("j", "JSONField", true, None, None),
            ("by", "BinaryField", true, None, None),
            ("ip", "GenericIPAddressField", true, None, None),
            ("tags", "ArrayField", true, None, None),
            ("code", "CharField", true, Some(2), None),
            ("dom", "CharField", true, Some(5), None),
            ("vec", "TextField", true, None, None),
            ("pages", "PositiveIntegerField", true, None, None),
            ("a", "IntegerField", true, None, None),
            ("b", "IntegerField", true, None, None),
        ]
    );
    assert!(kinds.fields[0].primary_key && kinds.pk == 0);
    assert!(kinds.fields[11].unique, "uuid UNIQUE");
    assert!(!kinds.fields[21].unique, "a is unique only together with b");
    let mut indexes: Vec<(&str, Vec<&str>, bool)> = kinds
        .indexes
        .iter()
        .map(|i| {
            (
                i.name.as_str(),
                i.columns.iter().map(|c| &**c).collect(),
                i.unique,
            )
        })
        .collect();
    indexes.sort();
    assert_eq!(
        indexes,
        [
            ("kinds_a_b_key", vec!["a", "b"], true),
            ("kinds_a_idx", vec!["a"], false),
            ("kinds_u_key", vec!["u"], true),
        ]
    );
}

/// A model described by everything introspection decides (field kinds aside: see
/// [`same_kind`]), with related models named rather than numbered.
fn describe_model(schema: &Schema, model: &Model) -> String {
    let fields: Vec<String> = model
        .fields
        .iter()
        .map(|f| {
            let relation = f.relation.as_ref().map(|r| {
                let to = schema.model(r.to);
                format!(
                    "->{}.{} o2o={}",
                    to.name, to.fields[r.to_field].name, r.one_to_one
                )
            });
            format!(
                "{} col={} null={} pk={} unique={} max_length={:?} decimal={:?} {}",
                f.name,
                f.column,
                f.null,
                f.primary_key,
                f.unique,
                f.max_length,
                f.decimal,
                relation.unwrap_or_default()
            )
        })
        .collect();
    let m2m: Vec<String> = model
        .m2m
        .iter()
        .map(|m| {
            format!(
                "{} -> {} via {}",
                m.name,
                schema.model(m.to).name,
                schema.model(m.through).name
            )
        })
        .collect();
    let reverse: Vec<String> = model
        .reverse
        .iter()
        .map(|r| {
            let via = match r.via {
                ReverseVia::ForeignKey(i) => schema.model(r.from).fields[i].name.clone(),
                ReverseVia::ManyToMany(i) => schema.model(r.from).m2m[i].name.clone(),
            };
            format!(
                "{}/{} from {}.{via}",
                r.query_name,
                r.accessor,
                schema.model(r.from).name
            )
        })
        .collect();
    format!(
        "{} ({}, {}, auto_created={})\n  fields: {fields:#?}\n  m2m: {m2m:?}\n  reverse: {reverse:?}",
        model.name, model.app_label, model.table, model.auto_created
    )
}

/// Field kinds that legitimately differ for the same Django field: SQLite has one integer
/// primary key type (AutoField), PostgreSQL keeps BigAutoField; SQLite's `integer` is 64-bit.
fn same_kind(sqlite: FieldKind, postgres: FieldKind) -> bool {
    use FieldKind::*;
    sqlite == postgres
        || matches!(
            (sqlite, postgres),
            (AutoField, BigAutoField | SmallAutoField)
                | (IntegerField, BigIntegerField | SmallIntegerField)
        )
}

fn assert_same_schema(sqlite_file: &str, postgres_sql: &str) {
    let Some(server) = pg::server() else { return };
    let path = format!("{}/{sqlite_file}", env!("CARGO_MANIFEST_DIR"));
    let lite = backend::connect(&path, true).unwrap();
    let expected = introspect::sqlite(lite.as_sqlite().unwrap()).unwrap();
    let mut db = backend::connect(&server.fixture(postgres_sql), false).unwrap();
    let mut actual = introspect::postgres(db.as_mut()).unwrap();
    // Django's SQLite migrations declare a bare `decimal`, PostgreSQL's `numeric(p, s)`: only
    // PostgreSQL knows the digits.
    for (lm, pm) in expected.models.iter().zip(&mut actual.models) {
        let pm = std::sync::Arc::make_mut(pm);
        for (lf, pf) in lm.fields.iter().zip(&mut pm.fields) {
            if lf.decimal.is_none() && pf.kind == FieldKind::DecimalField {
                assert!(pf.decimal.is_some(), "{}.{} has digits", pm.name, pf.name);
                pf.decimal = None;
            }
        }
    }
    let names = |s: &Schema| s.models.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&actual), names(&expected));
    for (lm, pm) in expected.models.iter().zip(&actual.models) {
        assert_eq!(
            describe_model(&actual, pm),
            describe_model(&expected, lm),
            "model {}",
            lm.name
        );
        for (lf, pf) in lm.fields.iter().zip(&pm.fields) {
            assert!(
                same_kind(lf.kind, pf.kind),
                "{}.{}: {:?} on SQLite, {:?} on PostgreSQL",
                lm.name,
                lf.name,
                lf.kind,
                pf.kind
            );
        }
    }
}

#[test]
fn the_library_fixture_introspects_as_on_sqlite() {
    assert_same_schema(
        "fixtures/demo/library.sqlite3",
        "fixtures/demo/library.postgres.sql",
    );
}

#[test]
fn the_blog_fixture_introspects_as_on_sqlite() {
    assert_same_schema(
        "fixtures/blog/blog.sqlite3",
        "fixtures/blog/blog.postgres.sql",
    );
}

#[test]
fn fixture_rows_read_back() {
    let Some(server) = pg::server() else { return };
    let mut db =
        backend::connect(&server.fixture("fixtures/demo/library.postgres.sql"), true).unwrap();
    let schema = introspect::postgres(db.as_mut()).unwrap();
    let book = schema.model(schema.find_model("Book").unwrap());
    let types: Vec<ValueType> = book.fields.iter().map(|f| f.value_type()).collect();
    let first = rows(
        db.as_mut(),
        "SELECT * FROM books_book ORDER BY id LIMIT 1",
        &[],
        &types,
    )
    .remove(0);
    assert_eq!(first.len(), book.fields.len());
    assert_eq!(first[0], Value::Int(1));
    assert!(matches!(first[2], Value::Date(_)), "{:?}", first[2]);
}
