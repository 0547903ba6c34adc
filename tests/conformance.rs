//! Conformance: replay every expression recorded from real Django (fixtures/conformance/
//! *.{sqlite,postgres}.json, written by tools/record.py) through djq and compare the rows, the
//! SQL (text and parameters) and the errors, on SQLite and on a live PostgreSQL server (started
//! by the tests; see tests/support/pg.rs). Entries that do not match yet are listed, with a
//! reason, in fixtures/conformance/known-gaps.tsv; that list may only shrink: a listed entry
//! that now matches fails the test until it is removed.

mod support;

use djq::interp::{Options, Session};
use djq::render::Format;
use djq::schema;
use djq::value::Value;
use serde_json::Value as Json;
use std::collections::BTreeSet;
use std::path::PathBuf;
use support::Backend;
use support::output::Output;

struct Corpus {
    name: &'static str,
    /// The fixture database: a SQLite file (none for PostgreSQL-only corpora), and the same
    /// data as a PostgreSQL dump.
    sqlite: Option<&'static str>,
    postgres: &'static str,
    models: &'static str,
}

const CORPORA: &[Corpus] = &[
    Corpus {
        name: "library",
        sqlite: Some("fixtures/demo/library.sqlite3"),
        postgres: "fixtures/demo/library.postgres.sql",
        models: "fixtures/demo/books/models.py",
    },
    Corpus {
        name: "blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
    },
    // Aggregation, annotations, expressions and subqueries (issue 4), on the same databases.
    Corpus {
        name: "library_agg",
        sqlite: Some("fixtures/demo/library.sqlite3"),
        postgres: "fixtures/demo/library.postgres.sql",
        models: "fixtures/demo/books/models.py",
    },
    Corpus {
        name: "blog_agg",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
    },
    // Querysets djq once got wrong, with their families (issue 14), on the same database.
    Corpus {
        name: "regressions",
        sqlite: Some("fixtures/demo/library.sqlite3"),
        postgres: "fixtures/demo/library.postgres.sql",
        models: "fixtures/demo/books/models.py",
    },
    Corpus {
        name: "regressions_blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
    },
    // JSONField, ArrayField, unaccent and trigram lookups, DISTINCT ON: PostgreSQL only.
    Corpus {
        name: "pgapp",
        sqlite: None,
        postgres: "fixtures/pg/pgapp.postgres.sql",
        models: "fixtures/pg/pgapp/models.py",
    },
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The database URL of a corpus on a backend (`None`: no PostgreSQL server here).
fn database_url(corpus: &Corpus, backend: Backend) -> Option<String> {
    match backend {
        Backend::Sqlite => corpus
            .sqlite
            .map(|path| root().join(path).display().to_string()),
        Backend::Postgres => support::pg::server().map(|pg| pg.fixture(corpus.postgres)),
    }
}

fn session(corpus: &Corpus, url: &str, out: Output) -> Session {
    let mut backend = djq::backend::connect(url, true).expect("open fixture database");
    let mut schema = schema::introspect::database(backend.as_mut()).expect("introspect");
    let decls = schema::models_py::load(&[root().join(corpus.models)]).expect("models.py");
    schema::models_py::overlay(&mut schema, &decls).expect("overlay");
    let opts = Options::plain(Format::Json);
    let dialect = backend.dialect();
    Session::new(schema, Some(backend), dialect, opts, Box::new(out))
}

/// A parameter as the recording shows it: JSON scalars as they are, everything else in the
/// driver's text form (psycopg's on PostgreSQL; SQLite's parameters are already text).
fn recorded_param(v: &Value, backend: Backend) -> Json {
    match (backend, v) {
        (Backend::Postgres, Value::DateTime(dt)) => Json::String(format!(
            "{}+00:00",
            Value::NaiveDateTime(dt.naive_utc()).to_python_str()
        )),
        (
            Backend::Postgres,
            Value::Date(_) | Value::Time(_) | Value::Decimal(_) | Value::NaiveDateTime(_),
        ) => Json::String(v.to_python_str()),
        _ => v.to_json(),
    }
}

#[derive(Debug, Default)]
struct Outcome {
    rows_ok: bool,
    sql_ok: bool,
    detail: String,
}

fn normalize_rows(result: &Json, ordered: bool) -> Json {
    match result {
        Json::Array(items) if !ordered => {
            let mut v: Vec<String> = items.iter().map(|i| i.to_string()).collect();
            v.sort();
            Json::Array(v.into_iter().map(Json::String).collect())
        }
        other => other.clone(),
    }
}

fn run_entry(s: &mut Session, out: &Output, entry: &Json, backend: Backend) -> Outcome {
    let expr = entry["expr"].as_str().unwrap();
    out.clear();
    s.log.clear();
    let res = s.run(expr);
    let queries: Vec<Json> = s
        .log
        .iter()
        .map(|st| {
            let params: Vec<Json> = st
                .params
                .iter()
                .map(|p| recorded_param(p, backend))
                .collect();
            serde_json::json!({"sql": st.sql, "params": params})
        })
        .collect();
    let expected_queries = entry["queries"].as_array().cloned().unwrap_or_default();
    let sql_ok = queries == expected_queries;
    let mut detail = String::new();
    if !sql_ok {
        detail.push_str(&format!(
            "SQL differs:\n  django: {}\n  djq:    {}\n",
            Json::Array(expected_queries),
            Json::Array(queries)
        ));
    }
    let rows_ok = match (&entry.get("error"), res) {
        (Some(err), Err(d)) => {
            let kind = d.kind.python_name();
            let ok = err["type"] == kind && err["message"] == d.message;
            if !ok {
                detail.push_str(&format!(
                    "error differs: django {err} / djq {kind}: {}\n",
                    d.message
                ));
            }
            ok
        }
        (Some(err), Ok(())) => {
            detail.push_str(&format!("django raised {err}, djq did not\n"));
            false
        }
        (None, Err(d)) => {
            detail.push_str(&format!(
                "djq raised {}: {}\n",
                d.kind.python_name(),
                d.message
            ));
            false
        }
        (None, Ok(())) => {
            let text = out.text();
            match serde_json::from_str::<Json>(text.trim()) {
                Ok(got) => {
                    let ordered = entry["ordered"].as_bool().unwrap_or(true);
                    let ok =
                        normalize_rows(&got, ordered) == normalize_rows(&entry["result"], ordered);
                    if !ok {
                        let show = |j: &Json| {
                            let s = j.to_string();
                            s.chars().take(400).collect::<String>()
                        };
                        detail.push_str(&format!(
                            "rows differ:\n  django: {}\n  djq:    {}\n",
                            show(&entry["result"]),
                            show(&got)
                        ));
                    }
                    ok
                }
                Err(e) => {
                    detail.push_str(&format!(
                        "djq output is not one JSON document ({e}): {text}\n"
                    ));
                    false
                }
            }
        }
    };
    Outcome {
        rows_ok,
        sql_ok,
        detail,
    }
}

/// `corpus \t kind \t expr \t reason` lines; kind is `rows` (rows or error differ) or `sql`.
fn known_gaps() -> BTreeSet<(String, String, String)> {
    let text = std::fs::read_to_string(root().join("fixtures/conformance/known-gaps.tsv"))
        .unwrap_or_default();
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.split('\t');
            let corpus = parts.next().unwrap_or("").to_string();
            let kind = parts.next().unwrap_or("").to_string();
            let expr = parts.next().unwrap_or("").to_string();
            (corpus, kind, expr)
        })
        .collect()
}

fn conformance(backend: Backend) {
    let gaps = known_gaps();
    let (mut total, mut rows_ok, mut sql_ok) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    let mut now_passing = Vec::new();
    let mut report = String::new();
    let mut details = String::new();
    // (label, entries, rows ok, SQL ok) of each corpus
    let mut per_corpus = Vec::new();
    for corpus in CORPORA {
        if backend == Backend::Sqlite && corpus.sqlite.is_none() {
            continue;
        }
        let Some(url) = database_url(corpus, backend) else {
            support::pg::loud(
                "SKIPPED: no PostgreSQL server available; the PostgreSQL conformance corpus did not run",
            );
            return;
        };
        let path = root().join(format!(
            "fixtures/conformance/{}.{}.json",
            corpus.name,
            backend.name()
        ));
        let recording: Json =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        // Gap lines name SQLite entries by corpus (`library`) and PostgreSQL ones with the
        // backend (`library.postgres`).
        let label = match backend {
            Backend::Sqlite => corpus.name.to_string(),
            Backend::Postgres => format!("{}.postgres", corpus.name),
        };
        let out = Output::default();
        let mut s = session(corpus, &url, out.clone());
        let before = (total, rows_ok, sql_ok);
        for entry in recording["entries"].as_array().unwrap() {
            let expr = entry["expr"].as_str().unwrap().to_string();
            let o = run_entry(&mut s, &out, entry, backend);
            total += 1;
            rows_ok += o.rows_ok as usize;
            sql_ok += o.sql_ok as usize;
            for (kind, ok) in [("rows", o.rows_ok), ("sql", o.sql_ok)] {
                let listed = gaps.contains(&(label.clone(), kind.to_string(), expr.clone()));
                if !ok {
                    let why = o
                        .detail
                        .lines()
                        .find(|l| !l.trim().is_empty())
                        .unwrap_or("");
                    let why: String = why.chars().take(160).collect();
                    report.push_str(&format!("{label}\t{kind}\t{expr}\t{why}\n"));
                    if kind == "rows" || o.rows_ok {
                        details.push_str(&format!("[{label}] {expr}\n{}\n", o.detail));
                    }
                }
                if !ok && !listed {
                    failures.push(format!("[{label}] {expr}\n{}", o.detail));
                }
                if ok && listed {
                    now_passing.push(format!("{label}\t{kind}\t{expr}"));
                }
            }
        }
        per_corpus.push((
            label,
            total - before.0,
            rows_ok - before.1,
            sql_ok - before.2,
        ));
    }
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of as f64;
    for (label, n, rows, sql) in &per_corpus {
        eprintln!(
            "  {label}: {n} entries, rows {rows} ({:.1}%), SQL {sql} ({:.1}%)",
            pct(*rows, *n),
            pct(*sql, *n)
        );
    }
    eprintln!(
        "conformance ({}): {total} entries, rows {rows_ok} ({:.1}%), SQL {sql_ok} ({:.1}%)",
        backend.name(),
        pct(rows_ok, total),
        pct(sql_ok, total)
    );
    if let Ok(path) = std::env::var("DJQ_GAPS_OUT") {
        std::fs::write(format!("{path}.{}", backend.name()), &report).unwrap();
        std::fs::write(format!("{path}.{}.details", backend.name()), &details).unwrap();
    }
    assert!(
        failures.is_empty(),
        "{} entries differ from Django and are not in known-gaps.tsv:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(
        now_passing.is_empty(),
        "these entries match Django now; remove them from fixtures/conformance/known-gaps.tsv:\n{}",
        now_passing.join("\n")
    );
    assert!(total >= 200, "the corpus must hold at least 200 entries");
    // the bar holds for each corpus, not just for all of them together
    for (label, n, rows, sql) in per_corpus {
        let (rows, sql) = (pct(rows, n), pct(sql, n));
        assert!(rows >= 95.0, "{label}: rows match for {rows:.1}% (< 95%)");
        assert!(sql >= 85.0, "{label}: SQL matches for {sql:.1}% (< 85%)");
    }
}

#[test]
fn django_conformance_sqlite() {
    conformance(Backend::Sqlite);
}

#[test]
fn django_conformance_postgres() {
    conformance(Backend::Postgres);
}
