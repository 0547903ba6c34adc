//! Conformance: replay every expression recorded from real Django (fixtures/conformance/
//! *.{sqlite,postgres}.json, written by tools/record.py) through djq and compare the rows, the
//! SQL (text and parameters) and the errors, on SQLite and on a live PostgreSQL server (started
//! by the tests; see tests/support/pg.rs). Entries that do not match yet are listed, with a
//! reason, in fixtures/conformance/known-gaps.tsv; that list may only shrink: a listed entry
//! that now matches, or names no recorded entry, fails the test until it is removed, and the
//! list may not grow past the count in its header (tests/support/gaps.rs).
//!
//! The comparison compares: rows as DjangoJSONEncoder writes them (the recording keeps full
//! precision; tests/support/recording.rs applies the encoder's millisecond rule), object keys
//! in order (Django's column order), and every recording holds exactly the lines of its corpus
//! file (a corpus edited without re-recording fails).

mod support;

use djq::orm::statement_log::driver_param;
use djq::orm::{Options, Session};
use djq::render::Format;
use djq::schema;
use serde_json::Value as Json;
use std::path::PathBuf;
use support::Backend;
use support::output::Output;
use support::recording::unmatched_lines;
use support::replay::{Outcome, Ran, Tally, compare};

const GAPS: &str = "fixtures/conformance/known-gaps.tsv";

struct Corpus {
    name: &'static str,
    /// The fixture database: a SQLite file (none for PostgreSQL-only corpora), and the same
    /// data as a PostgreSQL dump.
    sqlite: Option<&'static str>,
    postgres: &'static str,
    models: &'static str,
    /// The least share of entries, in percent, whose rows and whose SQL match Django.
    bar: Bar,
}

/// The least share of a corpus's entries, in percent, whose rows (`rows`) and SQL (`sql`)
/// match Django's recording, on each backend.
struct Bar {
    rows: f64,
    sql: f64,
}

/// The bar of the corpora this team wrote.
const CHOSEN: Bar = Bar {
    rows: 95.0,
    sql: 85.0,
};

/// The bar of issue 16's corpora (models features: managers, composite keys, ...).
const MODELS: Bar = Bar {
    rows: 95.0,
    sql: 90.0,
};

/// The bar of the corpora that pass every entry (composite keys, FilteredRelation): a lower
/// bar would hide a regression.
const COMPOSITE: Bar = Bar {
    rows: 100.0,
    sql: 100.0,
};

/// The bar of the differential corpora (the proptest generator's querysets, issue 14).
const DIFFERENTIAL: Bar = Bar {
    rows: 99.0,
    sql: 95.0,
};

const CORPORA: &[Corpus] = &[
    Corpus {
        name: "library",
        sqlite: Some("fixtures/demo/library.sqlite3"),
        postgres: "fixtures/demo/library.postgres.sql",
        models: "fixtures/demo/books/models.py",
        bar: CHOSEN,
    },
    Corpus {
        name: "blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: CHOSEN,
    },
    // Aggregation, annotations, expressions and subqueries (issue 4), on the same databases.
    Corpus {
        name: "library_agg",
        sqlite: Some("fixtures/demo/library.sqlite3"),
        postgres: "fixtures/demo/library.postgres.sql",
        models: "fixtures/demo/books/models.py",
        bar: CHOSEN,
    },
    // Window expressions (issue 19), on the same databases.
    Corpus {
        name: "library_window",
        sqlite: Some("fixtures/demo/library.sqlite3"),
        postgres: "fixtures/demo/library.postgres.sql",
        models: "fixtures/demo/books/models.py",
        bar: CHOSEN,
    },
    Corpus {
        name: "blog_agg",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: CHOSEN,
    },
    // Querysets djq once got wrong, with their families (issue 14), on the same database.
    Corpus {
        name: "regressions",
        sqlite: Some("fixtures/demo/library.sqlite3"),
        postgres: "fixtures/demo/library.postgres.sql",
        models: "fixtures/demo/books/models.py",
        bar: CHOSEN,
    },
    Corpus {
        name: "regressions_blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: CHOSEN,
    },
    // extra(), conditional expressions (`~F(...)`, Q objects as values), sets and
    // expressions in `__in`, get() after set operations (session 24), on the same database.
    Corpus {
        name: "extra_blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: CHOSEN,
    },
    // FilteredRelation (issue 19), on the same database.
    Corpus {
        name: "filtered_relation_blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: COMPOSITE,
    },
    // Django's rules djq missed on Django's own test apps (session 24), same databases.
    Corpus {
        name: "suite",
        sqlite: Some("fixtures/demo/library.sqlite3"),
        postgres: "fixtures/demo/library.postgres.sql",
        models: "fixtures/demo/books/models.py",
        bar: CHOSEN,
    },
    Corpus {
        name: "suite_more_blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: CHOSEN,
    },
    // The long tail of Django's rules djq missed on Django's own test apps (session 25).
    Corpus {
        name: "suite_tail_blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: CHOSEN,
    },
    // django.db.models functions djq lacked on Django's own test apps (session 24, h15).
    Corpus {
        name: "functions_blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: CHOSEN,
    },
    // JSONObject, JSONArray, StringAgg, the Aggregate class used directly and aggregation
    // rules djq missed on Django's aggregation apps (issues 16/19).
    Corpus {
        name: "jsonagg_blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: CHOSEN,
    },
    // prefetch_related's nested lookups and Prefetch objects, using(), fetch_mode() (issue 20),
    // on the blog database.
    Corpus {
        name: "prefetch",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: CHOSEN,
    },
    // Every manager of a model (issue 16).
    Corpus {
        name: "managers",
        sqlite: Some("fixtures/managers/managers.sqlite3"),
        postgres: "fixtures/managers/managers.postgres.sql",
        models: "fixtures/managers/managers/models.py",
        bar: MODELS,
    },
    // Lookups and transforms written in Python, registered by models.py and in the shell
    // (issue 16).
    Corpus {
        name: "lookups_managers",
        sqlite: Some("fixtures/managers/managers.sqlite3"),
        postgres: "fixtures/managers/managers.postgres.sql",
        models: "fixtures/managers/managers/models.py",
        bar: MODELS,
    },
    // Composite primary keys and ForeignObject (issue 16).
    Corpus {
        name: "compositepk",
        sqlite: Some("fixtures/compositepk/compositepk.sqlite3"),
        postgres: "fixtures/compositepk/compositepk.postgres.sql",
        models: "fixtures/compositepk/compositepk/models.py",
        bar: COMPOSITE,
    },
    // ForeignObject relations as Django runs them (issue 16): nested multi-column `__in`, a
    // many-to-many through ForeignObjects, one joining by its own get_extra_restriction().
    Corpus {
        name: "multicol",
        sqlite: Some("fixtures/multicol/multicol.sqlite3"),
        postgres: "fixtures/multicol/multicol.postgres.sql",
        models: "fixtures/multicol/multicol/models.py",
        bar: MODELS,
    },
    // Generic relations (issue 16): ContentType, GenericForeignKey, GenericRelation.
    Corpus {
        name: "tagging",
        sqlite: Some("fixtures/tagging/tagging.sqlite3"),
        postgres: "fixtures/tagging/tagging.postgres.sql",
        models: "fixtures/tagging/tagging/models.py",
        bar: Bar {
            rows: 95.0,
            sql: 90.0,
        },
    },
    // django-taggit's TaggableManager (issue 16): through taggit's generic TaggedItem and
    // through a model of the app's own; taggit's Tag and TaggedItem.
    Corpus {
        name: "recipes",
        sqlite: Some("fixtures/recipes/recipes.sqlite3"),
        postgres: "fixtures/recipes/recipes.postgres.sql",
        models: "fixtures/recipes/recipes/models.py",
        bar: Bar {
            rows: 95.0,
            sql: 90.0,
        },
    },
    // Generic relations whose content type is not cached yet (the second batch of Django's
    // test apps).
    Corpus {
        name: "suite2_tagging",
        sqlite: Some("fixtures/tagging/tagging.sqlite3"),
        postgres: "fixtures/tagging/tagging.postgres.sql",
        models: "fixtures/tagging/tagging/models.py",
        bar: MODELS,
    },
    // Field and model features (issue 16): UUID keys, choices enums, field subclasses,
    // to_field, db_default, GeneratedField, ordering expressions, get_latest_by, self and
    // through many-to-many.
    Corpus {
        name: "fields",
        sqlite: Some("fixtures/fields/fields.sqlite3"),
        postgres: "fixtures/fields/fields.postgres.sql",
        models: "fixtures/fields/fields",
        bar: CHOSEN,
    },
    // TIME_ZONE and USE_TZ (issue 17): every date lookup, Trunc/Extract kind and
    // dates()/datetimes() on rows around DST changes and local midnights, each recorded under
    // its own settings (the recording's "settings", which the replay gives the session):
    // USE_TZ = True in America/New_York, USE_TZ = False in Asia/Kolkata.
    Corpus {
        name: "tz_ny",
        sqlite: Some("fixtures/clock/clock.sqlite3"),
        postgres: "fixtures/clock/clock.postgres.sql",
        models: "fixtures/clock/clock/models.py",
        bar: CHOSEN,
    },
    Corpus {
        name: "tz_naive",
        sqlite: Some("fixtures/clock/clock.sqlite3"),
        postgres: "fixtures/clock/clock.postgres.sql",
        models: "fixtures/clock/clock/models.py",
        bar: CHOSEN,
    },
    // django.contrib's models built into djq (issue 17): auth (users, groups, permissions
    // and the user methods, Django's and djq's password hashes), contenttypes, sessions,
    // admin's LogEntry, sites, flatpages, redirects, next to the `portal` app's models.
    Corpus {
        name: "contrib",
        sqlite: Some("fixtures/portal/portal.sqlite3"),
        postgres: "fixtures/portal/portal.postgres.sql",
        models: "fixtures/portal/portal/models.py",
        bar: CHOSEN,
    },
    // A custom user model (issue 17): AUTH_USER_MODEL = "accounts.User" on AbstractUser, no
    // auth.User; auth's groups and permissions and admin's LogEntry point at it.
    Corpus {
        name: "contrib_swapped",
        sqlite: Some("fixtures/accounts/accounts.sqlite3"),
        postgres: "fixtures/accounts/accounts.postgres.sql",
        models: "fixtures/accounts/accounts/models.py",
        bar: CHOSEN,
    },
    // JSONField, ArrayField, unaccent and trigram lookups, DISTINCT ON: PostgreSQL only.
    Corpus {
        name: "pgapp",
        sqlite: None,
        postgres: "fixtures/pg/pgapp.postgres.sql",
        models: "fixtures/pg/pgapp/models.py",
        bar: CHOSEN,
    },
    // Model inheritance (issue 16): abstract bases from another app, multi-table children
    // and proxies; the models are a project root's two apps (`core`, `inherit`).
    Corpus {
        name: "inherit",
        sqlite: Some("fixtures/inherit/inherit.sqlite3"),
        postgres: "fixtures/inherit/inherit.postgres.sql",
        models: "fixtures/inherit",
        bar: MODELS,
    },
    // only() on multi-table children (the second batch of Django's test apps).
    Corpus {
        name: "suite2_inherit",
        sqlite: Some("fixtures/inherit/inherit.sqlite3"),
        postgres: "fixtures/inherit/inherit.postgres.sql",
        models: "fixtures/inherit",
        bar: MODELS,
    },
    // Constructs tools/django_suite.py found djq getting wrong in Django's own test apps,
    // written again on the blog's models (issue 16).
    Corpus {
        name: "suite_blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: MODELS,
    },
    // The same for the second batch of test apps (defer, aggregation_regress, ...).
    Corpus {
        name: "suite2_blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: MODELS,
    },
    // Expressions, CASE and annotations from Django's expressions, expressions_case and
    // annotations test apps (typed `Value()`, temporal arithmetic, `F()` slices,
    // `Subquery(output_field=)`), with a preamble importing datetime and Decimal.
    Corpus {
        name: "expressions_blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: MODELS,
    },
    // What tools/django_suite.py --backend postgresql found djq getting wrong on PostgreSQL
    // only (its recording's preamble imports datetime and Decimal).
    Corpus {
        name: "suite_pg_blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: MODELS,
    },
    // The proptest generator's querysets (tests/proptest_querysets.rs) from a fixed seed, on
    // the same databases: a set nobody chose.
    Corpus {
        name: "differential",
        sqlite: Some("fixtures/demo/library.sqlite3"),
        postgres: "fixtures/demo/library.postgres.sql",
        models: "fixtures/demo/books/models.py",
        bar: DIFFERENTIAL,
    },
    Corpus {
        name: "differential_blog",
        sqlite: Some("fixtures/blog/blog.sqlite3"),
        postgres: "fixtures/blog/blog.postgres.sql",
        models: "fixtures/blog/blog/models.py",
        bar: DIFFERENTIAL,
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
    session_at(url, &root().join(corpus.models), out)
}

/// A JSON-output session on the database at `url` with the models at `models` (a models.py,
/// an app folder or a project root).
fn session_at(url: &str, models: &std::path::Path, out: Output) -> Session {
    let mut backend = djq::backend::connect(url, true).expect("open fixture database");
    let mut schema = schema::introspect::database(backend.as_mut()).expect("introspect");
    let decls = schema::models_py::load(&[models.to_path_buf()]).expect("models.py");
    schema::models_py::overlay(&mut schema, decls).expect("overlay");
    let opts = Options::plain(Format::Json);
    let dialect = backend.dialect();
    Session::new(schema, Some(backend), dialect, opts, Box::new(out))
}

/// One entry's outcome; what the entry needs run first and after (`setup`/`teardown`:
/// tools/django_suite.py's lookup registrations, as Django's test made them around the
/// expression) is run around it, the setup's error being the entry's.
fn run_entry(s: &mut Session, out: &Output, entry: &Json, backend: Backend) -> Outcome {
    let setup = entry["setup"].as_str().map(|code| s.run(code));
    let o = run_entry_after(s, out, entry, backend, setup.and_then(|r| r.err()));
    if let Some(teardown) = entry["teardown"].as_str() {
        // A registration setup could not make fails to be taken back too: that is already
        // the entry's error.
        let _ = s.run(teardown);
    }
    o
}

fn run_entry_after(
    s: &mut Session,
    out: &Output,
    entry: &Json,
    backend: Backend,
    setup_error: Option<djq::diag::Diagnostic>,
) -> Outcome {
    let expr = entry["expr"].as_str().unwrap();
    out.clear();
    s.host.log.clear();
    let res = match setup_error {
        Some(d) => Err(d),
        None => s.run(expr),
    };
    let queries: Vec<Json> = s
        .host
        .log
        .iter()
        .map(|st| {
            let params: Vec<Json> = st
                .params
                .iter()
                .map(|p| driver_param(p, backend.dialect()))
                .collect();
            serde_json::json!({"sql": st.sql, "params": params})
        })
        .collect();
    let outcome = match res {
        Ok(()) => Ok(out.text()),
        Err(d) => Err((d.kind.python_name(), d.message)),
    };
    compare(entry, Ran { queries, outcome })
}

/// `corpus \t kind \t expr \t reason` lines; kind is `rows` (rows or error differ) or `sql`.
fn known_gaps() -> support::gaps::Gaps {
    support::gaps::read(GAPS, 3)
}

/// The recording of a corpus on a backend.
fn recording(corpus: &str, backend: Backend) -> Json {
    let path = root().join(format!(
        "fixtures/conformance/{corpus}.{}.json",
        backend.name()
    ));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The corpora and backends recorded.
fn recordings() -> impl Iterator<Item = (&'static Corpus, Backend)> {
    CORPORA.iter().flat_map(|c| {
        [Backend::Sqlite, Backend::Postgres]
            .into_iter()
            .filter(move |b| *b == Backend::Postgres || c.sqlite.is_some())
            .map(move |b| (c, b))
    })
}

fn conformance(backend: Backend) {
    let mut tally = Tally::new(GAPS, known_gaps());
    // (label, entries, rows ok, SQL ok) of each corpus
    let mut per_corpus = Vec::new();
    for corpus in CORPORA {
        if backend == Backend::Sqlite && corpus.sqlite.is_none() {
            continue;
        }
        let Some(url) = database_url(corpus, backend) else {
            support::skip(
                "no PostgreSQL server available; the PostgreSQL conformance corpus did not run",
            );
            return;
        };
        let recording = recording(corpus.name, backend);
        // Gap lines name SQLite entries by corpus (`library`) and PostgreSQL ones with the
        // backend (`library.postgres`).
        let label = match backend {
            Backend::Sqlite => corpus.name.to_string(),
            Backend::Postgres => format!("{}.postgres", corpus.name),
        };
        let out = Output::default();
        let mut s = session(corpus, &url, out.clone());
        // the settings it was recorded under (record.py's "settings": TIME_ZONE, USE_TZ)
        if let Some(settings) = recording.get("settings") {
            let zone = settings["TIME_ZONE"].as_str().expect("TIME_ZONE");
            let use_tz = settings["USE_TZ"].as_bool().expect("USE_TZ");
            let tz = djq::tz::TzConfig::new(zone, use_tz).expect("a known zone");
            s.set_time_zone(tz)
                .unwrap_or_else(|d| panic!("{label}: time zone: {}", d.message));
        }
        // the corpus's imports (record.py's "preamble"), run as a user would type them
        if let Some(preamble) = recording["preamble"].as_str() {
            s.run(preamble)
                .unwrap_or_else(|d| panic!("{label}: preamble: {}", d.message));
        }
        let before = (tally.total, tally.rows_ok, tally.sql_ok);
        for entry in recording["entries"].as_array().unwrap() {
            let o = run_entry(&mut s, &out, entry, backend);
            let place = format!("{}.corpus line {}", corpus.name, entry["line"]);
            tally.add(&label, &place, entry, &o);
        }
        per_corpus.push((
            corpus,
            label,
            tally.total - before.0,
            tally.rows_ok - before.1,
            tally.sql_ok - before.2,
        ));
    }
    let pct = |n: usize, of: usize| 100.0 * n as f64 / of as f64;
    for (_, label, n, rows, sql) in &per_corpus {
        eprintln!(
            "  {label}: {n} entries, rows {rows} ({:.1}%), SQL {sql} ({:.1}%)",
            pct(*rows, *n),
            pct(*sql, *n)
        );
    }
    let (total, rows_ok, sql_ok) = (tally.total, tally.rows_ok, tally.sql_ok);
    eprintln!(
        "conformance ({}): {total} entries, rows {rows_ok} ({:.1}%), SQL {sql_ok} ({:.1}%)",
        backend.name(),
        pct(rows_ok, total),
        pct(sql_ok, total)
    );
    tally.write_report(backend.name());
    tally.assert_as_listed();
    assert!(total >= 200, "the corpus must hold at least 200 entries");
    // the bar holds for each corpus, not just for all of them together
    for (corpus, label, n, rows, sql) in per_corpus {
        let (rows, sql, bar) = (pct(rows, n), pct(sql, n), &corpus.bar);
        assert!(
            rows >= bar.rows,
            "{label}: rows match for {rows:.1}% (< {}%)",
            bar.rows
        );
        assert!(
            sql >= bar.sql,
            "{label}: SQL matches for {sql:.1}% (< {}%)",
            bar.sql
        );
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

/// Every recording holds exactly the expressions of its corpus file, each with its line
/// number: a corpus line added, removed, moved or edited without re-recording fails here.
#[test]
fn every_corpus_line_is_recorded_and_every_recording_is_a_corpus_line() {
    let mut problems = Vec::new();
    for (corpus, backend) in recordings() {
        let path = format!("fixtures/conformance/{}.corpus", corpus.name);
        let text = std::fs::read_to_string(root().join(&path)).unwrap();
        let recording = recording(corpus.name, backend);
        assert_eq!(recording["corpus"], path.as_str());
        for p in unmatched_lines(&text, &recording) {
            problems.push(format!("{path} ({}): {p}", backend.name()));
        }
    }
    assert!(
        problems.is_empty(),
        "re-record with tools/record.py ({} problems, the first 30):\n{}",
        problems.len(),
        problems[..problems.len().min(30)].join("\n")
    );
}

/// The check above, on doctored copies: a line added to the corpus, an entry dropped from the
/// recording, an entry that names another line.
#[test]
fn a_corpus_edited_without_re_recording_is_caught() {
    let text = std::fs::read_to_string(root().join("fixtures/conformance/library.corpus")).unwrap();
    let recording = recording("library", Backend::Sqlite);
    assert_eq!(unmatched_lines(&text, &recording), Vec::<String>::new());
    let added = format!("{text}Book.objects.filter(pages=1)\n");
    assert_eq!(
        unmatched_lines(&added, &recording),
        [format!(
            "line {} has no recording: Book.objects.filter(pages=1)",
            text.lines().count() + 1
        )]
    );
    let edited = text.replacen("Book.objects.all()", "Book.objects.all() ", 1);
    assert_eq!(unmatched_lines(&edited, &recording), Vec::<String>::new());
    let edited = text.replacen("Book.objects.all()", "Book.objects.none()", 1);
    assert_eq!(unmatched_lines(&edited, &recording).len(), 2);
    let moved = format!("\n{text}");
    assert!(unmatched_lines(&moved, &recording).len() > 100);
    let mut dropped = recording.clone();
    dropped["entries"].as_array_mut().unwrap().pop();
    assert_eq!(unmatched_lines(&text, &dropped).len(), 1);
    let mut renumbered = recording.clone();
    renumbered["entries"][0]["line"] = Json::from(1);
    assert_eq!(unmatched_lines(&text, &renumbered).len(), 2);
}

/// The recordings keep full precision: no datetime or time in DjangoJSONEncoder's
/// millisecond form (`...T10:40:00.023Z`, `10:40:00.023`); those rules are the comparison's.
#[test]
fn recordings_keep_datetimes_at_full_precision() {
    let encoder_form = regex::Regex::new(
        r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}([+-]\d{2}:\d{2})?|\d{2}:\d{2}:\d{2}\.\d{3})$",
    )
    .unwrap();
    fn strings<'a>(j: &'a Json, out: &mut Vec<&'a str>) {
        match j {
            Json::String(s) => out.push(s),
            Json::Array(items) => items.iter().for_each(|i| strings(i, out)),
            Json::Object(map) => map.values().for_each(|v| strings(v, out)),
            _ => {}
        }
    }
    let mut truncated = Vec::new();
    let mut microseconds = 0;
    for (corpus, backend) in recordings() {
        for entry in recording(corpus.name, backend)["entries"]
            .as_array()
            .unwrap()
        {
            let mut found = Vec::new();
            strings(&entry["result"], &mut found);
            for s in found {
                if encoder_form.is_match(s) {
                    truncated.push(format!("{}.{}: {s}", corpus.name, backend.name()));
                }
                microseconds += s.contains(".023757") as usize;
            }
        }
    }
    assert!(
        truncated.is_empty(),
        "recorded in DjangoJSONEncoder's form:\n{}",
        truncated.join("\n")
    );
    assert!(
        microseconds > 0,
        "no recorded datetime keeps its microseconds"
    );
}

/// Doctored copies of recorded entries fail the comparison: a `values()` row with two keys
/// swapped, a datetime moved by a millisecond, a decimal written with fewer places; a datetime
/// moved by microseconds within the same millisecond still matches (the encoder's rule,
/// applied by the comparison).
#[test]
fn the_comparison_catches_swapped_keys_a_changed_millisecond_and_decimal_places() {
    let run = |corpus: &Corpus, entry: &Json| {
        let url = database_url(corpus, Backend::Sqlite).unwrap();
        let out = Output::default();
        let mut s = session(corpus, &url, out.clone());
        run_entry(&mut s, &out, entry, Backend::Sqlite)
    };
    let find = |name: &str, pred: &dyn Fn(&Json) -> bool| {
        let corpus = CORPORA.iter().find(|c| c.name == name).unwrap();
        let rec = recording(name, Backend::Sqlite);
        let entry = rec["entries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| pred(e))
            .unwrap_or_else(|| panic!("no such entry in {name}"))
            .clone();
        (corpus, entry)
    };

    let (library, entry) = find("library", &|e| {
        e["expr"].as_str().unwrap().contains(".values(")
            && e["result"][0].as_object().is_some_and(|o| o.len() >= 2)
    });
    assert!(run(library, &entry).rows_ok, "{}", entry["expr"]);
    let mut swapped = entry.clone();
    for row in swapped["result"].as_array_mut().unwrap() {
        let map = row.as_object_mut().unwrap();
        let mut pairs: Vec<(String, Json)> = std::mem::take(map).into_iter().collect();
        pairs.swap(0, 1);
        map.extend(pairs);
    }
    assert!(
        !run(library, &swapped).rows_ok,
        "{}: keys swapped",
        entry["expr"]
    );

    const STAMP: &str = "2021-02-26T10:40:00.023757+00:00";
    let (blog, entry) = find("blog", &|e| e["result"].to_string().contains(STAMP));
    assert!(run(blog, &entry).rows_ok, "{}", entry["expr"]);
    let moved =
        |to: &str| -> Json { serde_json::from_str(&entry.to_string().replace(STAMP, to)).unwrap() };
    let same_millisecond = moved("2021-02-26T10:40:00.023001+00:00");
    assert!(run(blog, &same_millisecond).rows_ok, "{}", entry["expr"]);
    let next_millisecond = moved("2021-02-26T10:40:00.024757+00:00");
    assert!(
        !run(blog, &next_millisecond).rows_ok,
        "{}: a millisecond later",
        entry["expr"]
    );
    // decimals are compared as Django's str(): `Decimal('1.00')` is "1.00", not "1.0"
    let rounded: Json = serde_json::from_str(
        &entry
            .to_string()
            .replace(r#""rating":"1.00""#, r#""rating":"1.0""#),
    )
    .unwrap();
    assert_ne!(rounded, entry);
    assert!(
        !run(blog, &rounded).rows_ok,
        "{}: 1.00 as 1.0",
        entry["expr"]
    );
}

/// The gaps list is well formed (header count, a reason on every line) and every line names a
/// recorded entry of a corpus and backend the replay runs; whether a listed entry now matches
/// is `conformance`'s check.
#[test]
fn known_gaps_name_recorded_entries_and_keep_their_count() {
    let problems = known_gaps().unrecorded(|label, expr| {
        let (name, backend) = match label.strip_suffix(".postgres") {
            Some(name) => (name, Backend::Postgres),
            None => (label, Backend::Sqlite),
        };
        recordings().any(|(c, b)| {
            c.name == name && b == backend && support::gaps::has_entry(&recording(name, b), expr)
        })
    });
    assert!(problems.is_empty(), "{GAPS}:\n{}", problems.join("\n"));
}

/// The gaps list checks on doctored copies: one line more than the header's count, one
/// fewer, no header, no reason, a line twice.
#[test]
fn a_gaps_list_that_grows_or_loses_its_header_is_caught() {
    let text = std::fs::read_to_string(root().join(GAPS)).unwrap();
    assert_eq!(
        support::gaps::parse(&text, 3).problems,
        Vec::<String>::new()
    );
    let extra = format!("{text}library\trows\tBook.objects.none()\tbecause\n");
    let problems = support::gaps::parse(&extra, 3).problems;
    assert!(
        problems.len() == 1 && problems[0].contains("more than the committed"),
        "{problems:?}"
    );
    let last = text.lines().rfind(|l| !l.starts_with('#')).unwrap();
    let fewer = text.replace(&format!("{last}\n"), "");
    assert!(support::gaps::parse(&fewer, 3).problems[0].contains("fewer than the committed"));
    let headless: String = text
        .lines()
        .filter(|l| !l.starts_with("# entries:"))
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(support::gaps::parse(&headless, 3).problems[0].contains("no `# entries: N` header"));
    let (stem, _) = last.rsplit_once('\t').unwrap();
    let reasonless = text.replace(last, &format!("{stem}\t "));
    assert!(support::gaps::parse(&reasonless, 3).problems[0].contains("a reason"));
    let twice = text.replace(last, &format!("{last}\n{last}"));
    assert!(support::gaps::parse(&twice, 3).problems[0].contains("listed twice"));
}

/// A gaps reason must state the outcome it explains: the committed reason for `Q(...)` on
/// SQLite says djq raises nothing (Django's recording is an error); the old one, which said
/// djq displays the Q object's repr, and one saying djq raises are caught.
#[test]
fn a_gap_reason_that_misstates_the_outcome_is_caught() {
    let library = &CORPORA[0];
    let rec = recording(library.name, Backend::Sqlite);
    let entry = rec["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["expr"] == r#"Q(genre="FIC")"#)
        .unwrap();
    let url = database_url(library, Backend::Sqlite).unwrap();
    let out = Output::default();
    let mut s = session(library, &url, out.clone());
    let o = run_entry(&mut s, &out, entry, Backend::Sqlite);
    assert!(!o.rows_ok);
    let gaps = known_gaps();
    let committed = gaps
        .gaps
        .iter()
        .find(|g| g.key == ["library", "rows", r#"Q(genre="FIC")"#])
        .unwrap();
    assert!(
        committed.reason.contains(o.claim("rows")),
        "{}",
        committed.reason
    );
    for untrue in [
        "not a queryset: the recorder stores Django's repr as an error, djq displays the Q object's repr",
        "djq raises TypeError",
    ] {
        assert!(!untrue.contains(o.claim("rows")), "{untrue}");
    }
}

/// tools/django_suite.py's replay: djq on the recordings it made from Django's own test apps
/// (never committed). `DJQ_SUITE` names a JSON manifest, a list of `{"recording", "backend",
/// "database", "models", "preamble", "first", "out"}`: each recording (tools/record.py's entry
/// format) is replayed from its entry `first` on with `run_entry`, after running `preamble`
/// (the test module's imports), on its database: for `"backend": "sqlite"` the SQLite file
/// `database`, for `"postgres"` the `.postgres.sql` dump `database` loaded into a new database
/// of tests/support/pg.rs's server (as the PostgreSQL corpora are), dropped after the job. The
/// outcome of each entry is appended to `out` as one JSON line as soon as it is known, so that
/// the script can tell which entry a crash stopped at and go on after it.
#[test]
#[ignore = "run by tools/django_suite.py, which sets DJQ_SUITE"]
fn django_suite_replay() {
    use std::io::Write;
    let manifest =
        std::env::var("DJQ_SUITE").expect("DJQ_SUITE: the manifest tools/django_suite.py writes");
    let jobs: Vec<Json> =
        serde_json::from_str(&std::fs::read_to_string(manifest).unwrap()).unwrap();
    for job in jobs {
        let field = |k: &str| job[k].as_str().unwrap().to_string();
        let recording: Json =
            serde_json::from_str(&std::fs::read_to_string(field("recording")).unwrap()).unwrap();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(field("out"))
            .unwrap();
        let mut emit = |line: Json| {
            writeln!(file, "{line}").unwrap();
            file.flush().unwrap();
        };
        let (backend, url) = match job["backend"].as_str() {
            Some("postgres") => match support::pg::server() {
                Some(pg) => (Backend::Postgres, pg.database_from_file(&field("database"))),
                None => {
                    emit(serde_json::json!({ "session_error": "no PostgreSQL server available" }));
                    continue;
                }
            },
            _ => (Backend::Sqlite, field("database")),
        };
        let out = Output::default();
        // A models.py djq cannot read, or a database it cannot open, is reported for the job
        // instead of stopping the run.
        let started = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            session_at(&url, &PathBuf::from(field("models")), out.clone())
        }));
        match started {
            Ok(mut s) => {
                let preamble = field("preamble");
                let preamble_error = if preamble.is_empty() {
                    None
                } else {
                    s.run(&preamble).err().map(|d| d.message)
                };
                let first = job["first"].as_u64().unwrap_or(0) as usize;
                for entry in recording["entries"].as_array().unwrap().iter().skip(first) {
                    let o = run_entry(&mut s, &out, entry, backend);
                    emit(serde_json::json!({
                        "expr": entry["expr"],
                        "rows_ok": o.rows_ok,
                        "sql_ok": o.sql_ok,
                        "rows_claim": o.rows_claim,
                        "sql_claim": o.sql_claim,
                        "detail": o.detail,
                        "preamble_error": preamble_error,
                    }));
                }
            }
            Err(e) => {
                let why = e
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                emit(serde_json::json!({ "session_error": why }));
            }
        }
        // the session (and its connection) is gone: the job's database can go too
        if backend == Backend::Postgres {
            support::pg::server().unwrap().drop_database(&url);
        }
    }
}
