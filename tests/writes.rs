//! Writes: sequences of Django shell scripts (fixtures/scripts/<sequence>/*.py) run in order by
//! the djq binary against one fresh copy of a fixture database print exactly what they print
//! under real Django, raise the same errors, and change every table of the app exactly as
//! Django did. The expectations were recorded by tools/record_writes.py into
//! fixtures/scripts/<sequence>/recorded.{sqlite,postgres}.json; nothing here runs Python.
//!
//! Each script is a case `backend, sequence, script`: its stdout (exact), its error (Django's
//! exception type and the first line of its message as djq's first stderr line `error: Type:
//! message`; PostgreSQL's DETAIL line, which djq shows as a note, is not compared) and its
//! `changes` (rows inserted, updated and deleted in every table of the app, values normalised
//! as the recorder does; see tools/record_writes.py) must match. djq runs each script in one
//! transaction (SPEC.md), so a script that raised under Django must change nothing under djq.
//! After the sequence, case `backend, sequence, tables`: the full contents of every table.
//!
//! Cases that do not match yet are listed with a reason in
//! fixtures/scripts/writes-known-gaps.tsv. That list only shrinks: a listed case that matches,
//! or names no case, fails the test until its line is removed, and the list may not hold more
//! lines than the count in its header (tests/support/gaps.rs).

mod support;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use regex::Regex;
use serde_json::{Map, Value as Json};
use std::cmp::Ordering;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::OnceLock;
use support::Backend;
use support::root;
use support::text::first_difference;

const GAPS: &str = "fixtures/scripts/writes-known-gaps.tsv";
/// Stands for a datetime set while the sequence ran (auto_now, auto_now_add).
const NOW: &str = "<now>";
/// How [`show`] names the kinds of changes a script made.
const CHANGED: [&str; 3] = ["inserted", "updated", "deleted"];

/// What Django did with one script.
struct Script {
    path: String,
    stdout: String,
    /// `(exception type, message)` when the script raised.
    error: Option<(String, String)>,
    changes: Json,
}

/// One recorded sequence.
struct Recording {
    database: String,
    models: String,
    scripts: Vec<Script>,
    tables: Json,
}

fn recording_path(sequence: &str, backend: Backend) -> PathBuf {
    root().join(format!(
        "fixtures/scripts/{sequence}/recorded.{}.json",
        backend.name()
    ))
}

fn recording(sequence: &str, backend: Backend) -> Recording {
    let path = recording_path(sequence, backend);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run tools/record_writes.py)", path.display()));
    let doc: Json = serde_json::from_str(&text).expect("valid JSON");
    let text_of = |v: &Json| v.as_str().expect("a string").to_string();
    let scripts = doc["scripts"]
        .as_array()
        .expect("scripts")
        .iter()
        .map(|s| Script {
            path: text_of(&s["script"]),
            stdout: s["stdout"]
                .as_array()
                .expect("stdout lines")
                .iter()
                .map(|l| l.as_str().expect("a line"))
                .collect(),
            error: s
                .get("error")
                .map(|e| (text_of(&e["type"]), text_of(&e["message"]))),
            changes: s["changes"].clone(),
        })
        .collect();
    Recording {
        database: text_of(&doc["database"]),
        models: text_of(&doc["models"]),
        scripts,
        tables: doc["tables"].clone(),
    }
}

/// `backend \t sequence \t script stem (or "tables")`, from the gaps list.
fn known_gaps() -> BTreeSet<(String, String, String)> {
    support::gaps::read(GAPS, 3)
        .gaps
        .into_iter()
        .map(|g| {
            let [backend, sequence, case] = <[String; 3]>::try_from(g.key).expect("three fields");
            (backend, sequence, case)
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// the tables of the app, normalised as tools/record_writes.py does
// ---------------------------------------------------------------------------------------

/// Where the djq run writes: a SQLite file or a PostgreSQL URL.
enum Db {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Db {
    fn arg(&self) -> String {
        match self {
            Db::Sqlite(path) => path.display().to_string(),
            Db::Postgres(url) => url.clone(),
        }
    }

    /// `{table: [row objects ordered by primary key]}` for every table but Django's and
    /// SQLite's own; datetimes in `window` become [`NOW`].
    fn tables(&self, window: (DateTime<Utc>, DateTime<Utc>)) -> Json {
        let keys = self.keys();
        match self {
            Db::Sqlite(path) => sqlite_tables(path, window, &keys),
            Db::Postgres(url) => postgres_tables(url, window, &keys),
        }
    }

    /// The app tables keyed by other columns than `id` (composite primary keys), with their
    /// key's columns, as tools/record_writes.py finds them.
    fn keys(&self) -> Keys {
        let pairs: Vec<(String, String)> = match self {
            Db::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).expect("open the SQLite copy");
                conn.prepare(
                    "SELECT m.name, p.name FROM sqlite_master m, pragma_table_info(m.name) p \
                     WHERE m.type = 'table' AND p.pk > 0 ORDER BY m.name, p.pk",
                )
                .and_then(|mut s| s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
                .expect("primary keys")
            }
            Db::Postgres(url) => {
                let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
                client
                    .query(
                        "SELECT c.relname::text, a.attname::text FROM pg_index i \
                         JOIN pg_class c ON c.oid = i.indrelid \
                         JOIN pg_namespace n ON n.oid = c.relnamespace \
                         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) \
                         WHERE n.nspname = 'public' AND i.indisprimary \
                         ORDER BY c.relname, array_position(i.indkey, a.attnum)",
                        &[],
                    )
                    .expect("primary keys")
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect()
            }
        };
        let mut keys = Keys::new();
        for (table, column) in pairs {
            keys.entry(table).or_default().push(column);
        }
        keys.retain(|table, key| is_app_table(table) && key != &["id"]);
        keys
    }
}

/// App tables keyed by other columns than `id`: their primary key's columns.
type Keys = HashMap<String, Vec<String>>;

/// A row's identity in `changes`: its `id`, or its primary key's values.
fn row_key(keys: &Keys, table: &str, row: &Json) -> Json {
    match keys.get(table) {
        Some(columns) => Json::Array(columns.iter().map(|c| row[c].clone()).collect()),
        None => row["id"].clone(),
    }
}

/// The order of two row identities (numbers, strings, lists of them), as Python sorts them.
fn key_order(a: &Json, b: &Json) -> Ordering {
    match (a, b) {
        (Json::Number(x), Json::Number(y)) => {
            (x.as_f64().unwrap_or(0.0)).total_cmp(&y.as_f64().unwrap_or(0.0))
        }
        (Json::String(x), Json::String(y)) => x.cmp(y),
        (Json::Array(x), Json::Array(y)) => {
            let mut pairs = x.iter().zip(y).map(|(a, b)| key_order(a, b));
            pairs
                .find(|o| o.is_ne())
                .unwrap_or_else(|| x.len().cmp(&y.len()))
        }
        _ => Ordering::Equal,
    }
}

/// `ORDER BY` of a table's primary key.
fn key_order_by(keys: &Keys, table: &str) -> String {
    match keys.get(table) {
        Some(columns) => (columns.iter())
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", "),
        None => "\"id\"".into(),
    }
}

fn is_app_table(name: &str) -> bool {
    !name.starts_with("django_") && !name.starts_with("sqlite_")
}

/// Django's ISO form of a UTC datetime: `YYYY-MM-DDTHH:MM:SS[.ffffff]Z`, trailing zeros of
/// the fraction dropped; [`NOW`] within `window`.
fn datetime_json(
    date: &str,
    time: &str,
    fraction: &str,
    window: (DateTime<Utc>, DateTime<Utc>),
) -> Json {
    let fraction = fraction.trim_end_matches('0');
    let dot = if fraction.is_empty() { "" } else { "." };
    let iso = format!("{date}T{time}{dot}{fraction}Z");
    let moment = DateTime::parse_from_rfc3339(&iso).expect("an ISO datetime");
    let recent = window.0 <= moment && moment <= window.1;
    Json::String(if recent { NOW.into() } else { iso })
}

/// A SQLite text Django wrote into a `datetime` column (`YYYY-MM-DD HH:MM:SS[.ffffff]`, or
/// `.fff` from SQLite's own clock: `db_default=Now()`), normalised; any other text stays as
/// it is.
fn sqlite_datetime(text: &str, window: (DateTime<Utc>, DateTime<Utc>)) -> Json {
    static DJANGO: OnceLock<Regex> = OnceLock::new();
    let django = DJANGO.get_or_init(|| {
        Regex::new(r"^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{3}|\d{6}))?$").unwrap()
    });
    match django.captures(text) {
        Some(c) => datetime_json(&c[1], &c[2], c.get(3).map_or("", |m| m.as_str()), window),
        None => Json::String(text.into()),
    }
}

fn sqlite_tables(path: &Path, window: (DateTime<Utc>, DateTime<Utc>), keys: &Keys) -> Json {
    use rusqlite::types::ValueRef;
    let conn = rusqlite::Connection::open(path).expect("open the SQLite copy");
    let names: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
        .expect("list tables");
    let mut tables = Map::new();
    for name in names.into_iter().filter(|n| is_app_table(n)) {
        let columns: Vec<(String, String)> = conn
            // table_xinfo: generated columns (GeneratedField) included
            .prepare(&format!("PRAGMA table_xinfo(\"{name}\")"))
            .and_then(|mut s| {
                s.query_map([], |r| {
                    Ok((r.get(1)?, r.get::<_, String>(2)?.to_lowercase()))
                })?
                .collect()
            })
            .expect("columns");
        let select: Vec<String> = columns.iter().map(|(c, _)| format!("\"{c}\"")).collect();
        let mut stmt = conn
            .prepare(&format!(
                "SELECT {} FROM \"{name}\" ORDER BY {}",
                select.join(", "),
                key_order_by(keys, &name)
            ))
            .expect("select rows");
        let rows: Vec<Json> = stmt
            .query_map([], |r| {
                let mut row = Map::new();
                for (i, (column, declared)) in columns.iter().enumerate() {
                    let value = match r.get_ref(i)? {
                        ValueRef::Null => Json::Null,
                        ValueRef::Integer(n) if declared == "bool" => Json::Bool(n != 0),
                        ValueRef::Integer(n) => n.into(),
                        ValueRef::Real(x) => x.into(),
                        ValueRef::Text(t) => {
                            let t = String::from_utf8_lossy(t);
                            if declared == "datetime" {
                                sqlite_datetime(&t, window)
                            } else {
                                Json::String(t.into_owned())
                            }
                        }
                        ValueRef::Blob(b) => panic!("{name}.{column}: a BLOB ({} bytes)", b.len()),
                    };
                    row.insert(column.clone(), value);
                }
                Ok(Json::Object(row))
            })
            .and_then(|rows| rows.collect())
            .expect("read rows");
        tables.insert(name, Json::Array(rows));
    }
    Json::Object(tables)
}

fn postgres_tables(url: &str, window: (DateTime<Utc>, DateTime<Utc>), keys: &Keys) -> Json {
    use postgres::types::Type;
    let mut client = postgres::Client::connect(url, postgres::NoTls).expect("connect");
    let names: Vec<String> = client
        .query(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname",
            &[],
        )
        .expect("list tables")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut tables = Map::new();
    for name in names.into_iter().filter(|n| is_app_table(n)) {
        // UUIDs read as text (Python's str(UUID)).
        let select: Vec<String> = client
            .prepare(&format!("SELECT * FROM public.\"{name}\""))
            .expect("columns")
            .columns()
            .iter()
            .map(|c| match *c.type_() {
                Type::UUID => format!("\"{0}\"::text AS \"{0}\"", c.name()),
                _ => format!("\"{}\"", c.name()),
            })
            .collect();
        let query = format!(
            "SELECT {} FROM public.\"{name}\" ORDER BY {}",
            select.join(", "),
            key_order_by(keys, &name)
        );
        let rows = client.query(&query, &[]).expect("read rows");
        let statement = client.prepare(&query).expect("columns");
        let mut out = Vec::new();
        for r in &rows {
            let mut row = Map::new();
            for (i, column) in statement.columns().iter().enumerate() {
                let get = |json: fn(&postgres::Row, usize) -> Option<Json>| {
                    json(r, i).unwrap_or(Json::Null)
                };
                let value = match *column.type_() {
                    Type::BOOL => get(|r, i| r.get::<_, Option<bool>>(i).map(Json::from)),
                    Type::INT2 => get(|r, i| r.get::<_, Option<i16>>(i).map(Json::from)),
                    Type::INT4 => get(|r, i| r.get::<_, Option<i32>>(i).map(Json::from)),
                    Type::INT8 => get(|r, i| r.get::<_, Option<i64>>(i).map(Json::from)),
                    Type::TEXT | Type::VARCHAR | Type::BPCHAR => {
                        get(|r, i| r.get::<_, Option<String>>(i).map(Json::from))
                    }
                    // as Python's str(Decimal): the column's scale kept ("2.0")
                    Type::NUMERIC => get(|r, i| {
                        r.get::<_, Option<rust_decimal::Decimal>>(i)
                            .map(|d| Json::from(d.to_string()))
                    }),
                    Type::DATE => get(|r, i| {
                        r.get::<_, Option<NaiveDate>>(i)
                            .map(|d| Json::from(d.format("%Y-%m-%d").to_string()))
                    }),
                    Type::TIMESTAMPTZ => match r.get::<_, Option<DateTime<Utc>>>(i) {
                        None => Json::Null,
                        Some(t) => datetime_json(
                            &t.format("%Y-%m-%d").to_string(),
                            &t.format("%H:%M:%S").to_string(),
                            &format!("{:06}", t.timestamp_subsec_micros()),
                            window,
                        ),
                    },
                    Type::JSONB | Type::JSON => get(|r, i| r.get::<_, Option<Json>>(i)),
                    ref other => panic!("{name}.{}: type {other} is not normalised", column.name()),
                };
                row.insert(column.name().to_string(), value);
            }
            out.push(Json::Object(row));
        }
        tables.insert(name, Json::Array(out));
    }
    Json::Object(tables)
}

/// How `after` differs from `before`, as tools/record_writes.py writes it: per table, the rows
/// `inserted`, `updated` (new values) and `deleted` (ids, or composite keys' values);
/// unchanged tables left out.
fn changes(before: &Json, after: &Json, keys: &Keys) -> Json {
    let rows = |tables: &Json, name: &str| -> Vec<(Json, Json)> {
        tables[name]
            .as_array()
            .map(|rows| {
                rows.iter()
                    .map(|r| (row_key(keys, name, r), r.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let names: BTreeSet<&String> = [before, after]
        .iter()
        .flat_map(|t| t.as_object().expect("tables").keys())
        .collect();
    let mut out = Map::new();
    for name in names {
        let (old, new) = (rows(before, name), rows(after, name));
        let find = |rows: &[(Json, Json)], id: &Json| rows.iter().find(|(i, _)| i == id).cloned();
        let mut diff = Map::new();
        let inserted: Vec<Json> = new
            .iter()
            .filter(|(id, _)| find(&old, id).is_none())
            .map(|(_, r)| r.clone())
            .collect();
        let updated: Vec<Json> = new
            .iter()
            .filter(|(id, r)| find(&old, id).is_some_and(|(_, o)| o != *r))
            .map(|(_, r)| r.clone())
            .collect();
        let deleted: Vec<Json> = old
            .iter()
            .filter(|(id, _)| find(&new, id).is_none())
            .map(|(id, _)| id.clone())
            .collect();
        for (kind, list) in [
            ("inserted", inserted),
            ("updated", updated),
            ("deleted", deleted),
        ] {
            if !list.is_empty() {
                diff.insert(kind.into(), Json::Array(list));
            }
        }
        if !diff.is_empty() {
            out.insert(name.clone(), Json::Object(diff));
        }
    }
    Json::Object(out)
}

/// `tables` with `changes` made to them.
fn apply(tables: &Json, changes: &Json, keys: &Keys) -> Json {
    let mut out = tables.as_object().expect("tables").clone();
    for (name, diff) in changes.as_object().expect("changes") {
        let rows = out
            .entry(name.clone())
            .or_insert_with(|| Json::Array(Vec::new()));
        let rows = rows.as_array_mut().expect("rows");
        let id = |row: &Json| row_key(keys, name, row);
        let list = |kind: &str| diff[kind].as_array().cloned().unwrap_or_default();
        let gone = list("deleted");
        let updated = list("updated");
        rows.retain(|r| !gone.contains(&id(r)));
        for row in rows.iter_mut() {
            if let Some(new) = updated.iter().find(|u| id(u) == id(row)) {
                *row = new.clone();
            }
        }
        rows.extend(list("inserted"));
        rows.sort_by(|a, b| key_order(&id(a), &id(b)));
    }
    Json::Object(out)
}

/// `changes` as one line per row, for failure messages; `labels` name the kinds `inserted`,
/// `updated` and `deleted`.
fn show(changes: &Json, labels: [&str; 3]) -> String {
    let tables = changes.as_object().expect("changes");
    if tables.is_empty() {
        return "  (no changes)\n".into();
    }
    let mut out = String::new();
    for (table, kinds) in tables {
        for (kind, list) in kinds.as_object().expect("kinds") {
            let label = match kind.as_str() {
                "inserted" => labels[0],
                "updated" => labels[1],
                _ => labels[2],
            };
            for item in list.as_array().expect("a list") {
                out.push_str(&format!("  {table} {label}: {item}\n"));
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// running a sequence through djq
// ---------------------------------------------------------------------------------------

/// Runs `script` with the djq binary; why it does not do what Django did, if it does not.
fn check_script(db: &Db, rec: &Recording, script: &Script) -> Vec<String> {
    let out = support::djq()
        .arg(db.arg())
        .arg("--models")
        .arg(&rec.models)
        .arg("-f")
        .arg(&script.path)
        .stdin(Stdio::null())
        .output()
        .expect("run djq");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    if stdout != script.stdout {
        problems.push(format!(
            "stdout differs from Django's at {}",
            first_difference(&script.stdout, &stdout)
        ));
    }
    match &script.error {
        None if !out.status.success() || !stderr.is_empty() => {
            problems.push(format!(
                "exit {}, Django raised nothing:\n{stderr}",
                out.status
            ));
        }
        None => {}
        Some((kind, message)) => {
            // the first line: PostgreSQL's DETAIL line that follows is djq's help note
            let first = message.lines().next().unwrap_or_default();
            let expected = format!("error: {kind}: {first}");
            if out.status.code() != Some(1) || stderr.lines().next() != Some(expected.as_str()) {
                problems.push(format!(
                    "Django raised {kind}; expected exit 1 and the stderr line\n  {expected:?}\n\
                     got {} and stderr\n{stderr}",
                    out.status
                ));
            }
        }
    }
    problems
}

/// Runs the sequence on `db` (a fresh copy of its fixture); the failing cases with why.
fn run_sequence(rec: &Recording, db: &Db) -> Vec<(String, String)> {
    let start = Utc::now() - Duration::seconds(5);
    let tables = || db.tables((start, Utc::now() + Duration::seconds(5)));
    let keys = db.keys();
    let mut failures = Vec::new();
    let mut state = tables();
    for script in &rec.scripts {
        let stem = Path::new(&script.path)
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let mut problems = check_script(db, rec, script);
        let after = tables();
        let actual = changes(&state, &after, &keys);
        // djq runs a script in one transaction: one that raised leaves no trace
        let expected = match script.error {
            Some(_) => Json::Object(Map::new()),
            None => script.changes.clone(),
        };
        if actual != expected {
            problems.push(format!(
                "the tables changed differently from Django's\nDjango:\n{}djq:\n{}",
                show(&expected, CHANGED),
                show(&actual, CHANGED)
            ));
        }
        if !problems.is_empty() {
            failures.push((stem, problems.join("\n")));
        }
        state = after;
    }
    if state != rec.tables {
        failures.push((
            "tables".into(),
            format!(
                "after the sequence, the tables differ from Django's:\n{}",
                show(
                    &changes(&rec.tables, &state, &keys),
                    ["only in djq's", "differs, djq has", "missing from djq's"]
                )
            ),
        ));
    }
    failures
}

/// A fresh copy of the sequence's fixture database; `None` when there is no PostgreSQL server.
fn fresh_database(rec: &Recording, backend: Backend, dir: &tempfile::TempDir) -> Option<Db> {
    let fixture = root().join(&rec.database);
    match backend {
        Backend::Sqlite => {
            let copy = dir.path().join("db.sqlite3");
            std::fs::copy(&fixture, &copy).expect("copy the fixture");
            Some(Db::Sqlite(copy))
        }
        Backend::Postgres => {
            let server = support::pg::server()?;
            let sql = std::fs::read_to_string(&fixture).expect("read the dump");
            Some(Db::Postgres(server.database_from_sql(&sql)))
        }
    }
}

/// Runs one sequence on one backend and holds it to the recording and the gaps list.
fn check_sequence(sequence: &str, backend: Backend) {
    let rec = recording(sequence, backend);
    let dir = tempfile::tempdir().expect("temporary directory");
    let Some(db) = fresh_database(&rec, backend, &dir) else {
        support::skip(&format!(
            "no PostgreSQL server available; the {sequence} write sequence did not run"
        ));
        return;
    };
    let failures = run_sequence(&rec, &db);
    let gaps: BTreeSet<String> = known_gaps()
        .into_iter()
        .filter(|(b, s, _)| b == backend.name() && s == sequence)
        .map(|(_, _, case)| case)
        .collect();
    let failing: BTreeSet<String> = failures.iter().map(|(case, _)| case.clone()).collect();
    let unexpected: Vec<String> = failures
        .iter()
        .filter(|(case, _)| !gaps.contains(case))
        .map(|(case, why)| format!("--- {} {sequence} {case}:\n{why}\n", backend.name()))
        .collect();
    let now_passing: Vec<&String> = gaps.difference(&failing).collect();
    assert!(
        unexpected.is_empty(),
        "{} case(s) differ from Django and are not in {GAPS}:\n\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        now_passing.is_empty(),
        "these cases match Django now; remove them from {GAPS}: {now_passing:?}"
    );
}

/// One test per sequence and backend; `every_sequence_is_tested` keeps the list complete.
macro_rules! sequences {
    ($($name:ident),* $(,)?) => {
        const SEQUENCES: &[&str] = &[$(stringify!($name)),*];
        $(mod $name {
            #[test]
            fn sqlite() {
                super::check_sequence(stringify!($name), super::Backend::Sqlite);
            }
            #[test]
            fn postgres() {
                super::check_sequence(stringify!($name), super::Backend::Postgres);
            }
        })*
    };
}

sequences!(
    tutorial,
    library_writes,
    shop,
    journal,
    journal_classes,
    journal_zones,
    compositepk,
    tagging,
    fields,
    inherit,
    recipes
);

/// The gaps list on a doctored copy: a line more than its header's count fails.
#[test]
fn a_writes_gap_over_the_committed_count_is_caught() {
    let text = std::fs::read_to_string(root().join(GAPS)).expect("the gaps list");
    assert!(support::gaps::parse(&text, 3).problems.is_empty());
    let grown = format!("{text}sqlite\tshop\ttables\tbecause\n");
    let problems = support::gaps::parse(&grown, 3).problems;
    assert!(
        problems.len() == 1 && problems[0].contains("more than the committed"),
        "{problems:?}"
    );
}

#[test]
fn every_sequence_is_tested_recorded_and_complete() {
    let scripts = root().join("fixtures/scripts");
    let mut found: Vec<String> = std::fs::read_dir(&scripts)
        .expect("fixtures/scripts")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_dir())
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut listed = SEQUENCES.to_vec();
    listed.sort();
    assert_eq!(found, listed, "add new sequences to the sequences! list");
    let mut cases = BTreeSet::new();
    for sequence in SEQUENCES {
        let mut files: Vec<String> = std::fs::read_dir(scripts.join(sequence))
            .expect("sequence folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|x| x == "py"))
            .map(|p| {
                p.strip_prefix(root())
                    .unwrap()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        files.sort();
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let rec = recording(sequence, backend);
            let mut recorded: Vec<String> = rec.scripts.iter().map(|s| s.path.clone()).collect();
            for path in &recorded {
                let stem = Path::new(path).file_stem().unwrap().to_string_lossy();
                cases.insert((
                    backend.name().to_string(),
                    sequence.to_string(),
                    stem.into(),
                ));
            }
            cases.insert((backend.name().into(), sequence.to_string(), "tables".into()));
            recorded.sort();
            assert_eq!(
                recorded,
                files,
                "{sequence} ({}): re-run tools/record_writes.py",
                backend.name()
            );
        }
    }
    let stray: Vec<_> = known_gaps().difference(&cases).cloned().collect();
    assert!(stray.is_empty(), "{GAPS} names no such case: {stray:?}");
    let problems = support::gaps::read(GAPS, 3).problems;
    assert!(problems.is_empty(), "{GAPS}:\n{}", problems.join("\n"));
}

/// The harness reads and normalises tables as the recorder does: the fixture as this file
/// reads it, with every recorded change made to it (scripts that raised left out), is the
/// recording's final `tables`, on both backends. Needs no djq.
#[test]
fn recorded_changes_replay_on_the_fixture() {
    for sequence in SEQUENCES {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let rec = recording(sequence, backend);
            let dir = tempfile::tempdir().expect("temporary directory");
            let Some(db) = fresh_database(&rec, backend, &dir) else {
                support::skip("no PostgreSQL server available; replay not checked");
                continue;
            };
            let start = db.tables((Utc::now(), Utc::now()));
            let keys = db.keys();
            let replayed = rec
                .scripts
                .iter()
                .filter(|s| s.error.is_none())
                .fold(start, |tables, s| apply(&tables, &s.changes, &keys));
            assert!(
                replayed == rec.tables,
                "{sequence} ({}): the fixture plus the recorded changes is not the recorded end \
                 state:\n{}",
                backend.name(),
                show(&changes(&rec.tables, &replayed, &keys), CHANGED)
            );
        }
    }
}

/// The seed tutorial's Output blocks, in the order its four scripts run.
const TUTORIAL_PAGE: &[(&str, &str)] = &[
    ("add_books", "Created author and book successfully!\n"),
    (
        "query_books",
        "==== All Books ====\nPride and Prejudice by Jane Austen\n",
    ),
    (
        "update_books",
        "Before: Pride and Prejudice, Pages: 432\nAfter: Pride and Prejudice, Pages: 424\n",
    ),
    (
        "delete_books",
        "Deleting: Pride and Prejudice\nBook deleted successfully\nRemaining books: 0\n",
    ),
];

/// Django prints what the tutorial page shows, on both backends; so djq, held to the
/// recordings by `tutorial::*`, must print it too.
#[test]
fn tutorial_prints_what_the_page_shows() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let rec = recording("tutorial", backend);
        let recorded: Vec<(String, &str)> = rec
            .scripts
            .iter()
            .map(|s| {
                let stem = Path::new(&s.path).file_stem().unwrap().to_string_lossy();
                (stem.into_owned(), s.stdout.as_str())
            })
            .collect();
        let page: Vec<(String, &str)> = TUTORIAL_PAGE
            .iter()
            .map(|(name, out)| (name.to_string(), *out))
            .collect();
        assert_eq!(recorded, page, "{}", backend.name());
        assert!(rec.scripts.iter().all(|s| s.error.is_none()));
    }
}
