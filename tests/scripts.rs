//! Tutorial-style Django shell scripts (fixtures/scripts/*.py) run verbatim by the djq binary
//! print exactly what they print under real Django, and run as many queries. The expected
//! output was recorded by tools/record_scripts.py into fixtures/scripts/<name>.expected.json;
//! nothing here runs Python.
//!
//! The query count comes from a library [`Session`]'s log (the binary does not report it).

mod support;

use assert_cmd::Command;
use djq::orm::{Options, Session};
use djq::render::Format;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use support::root;
use support::text::first_difference;

fn scripts_dir() -> PathBuf {
    root().join("fixtures/scripts")
}

/// The recording of one script.
struct Expected {
    database: String,
    models: String,
    stdout: String,
    queries: u64,
    /// `(exception type, message)` when the script raised under Django.
    error: Option<(String, String)>,
}

fn expected(name: &str) -> Expected {
    let path = scripts_dir().join(format!("{name}.expected.json"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run tools/record_scripts.py)", path.display()));
    let doc: Json = serde_json::from_str(&text).expect("valid JSON");
    let field = |k: &str| {
        doc[k]
            .as_str()
            .unwrap_or_else(|| panic!("{name}: no {k}"))
            .to_string()
    };
    let stdout = doc["stdout"]
        .as_array()
        .expect("stdout lines")
        .iter()
        .map(|l| l.as_str().expect("a line"))
        .collect();
    let error = doc.get("error").map(|e| {
        let s = |k: &str| e[k].as_str().expect("error field").to_string();
        (s("type"), s("message"))
    });
    Expected {
        database: field("database"),
        models: field("models"),
        stdout,
        queries: doc["queries"].as_u64().expect("queries"),
        error,
    }
}

fn check(name: &str) {
    let exp = expected(name);
    let script = scripts_dir().join(format!("{name}.py"));
    let out = Command::from_std(support::djq())
        .arg(&exp.database)
        .arg("--models")
        .arg(&exp.models)
        .arg("-f")
        .arg(&script)
        .output()
        .expect("run djq");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8 stdout");
    let stderr = String::from_utf8(out.stderr).expect("UTF-8 stderr");
    assert!(
        stdout == exp.stdout,
        "{name}: stdout differs from Django's at {}\nstderr:\n{stderr}",
        first_difference(&exp.stdout, &stdout)
    );
    match &exp.error {
        None => {
            assert!(
                out.status.success(),
                "{name}: exit {:?}\n{stderr}",
                out.status
            );
            assert_eq!(stderr, "", "{name}: unexpected stderr");
        }
        Some((kind, message)) => {
            assert_eq!(out.status.code(), Some(1), "{name}: Django raised {kind}");
            let first = stderr.lines().next().unwrap_or_default();
            assert_eq!(first, format!("error: {kind}: {message}"), "{name}");
        }
    }
    assert_eq!(
        queries_run(&exp, &script),
        exp.queries,
        "{name}: Django ran {} queries",
        exp.queries
    );
}

/// How many statements a library session runs for `script` (output discarded).
fn queries_run(exp: &Expected, script: &Path) -> u64 {
    let db = root().join(&exp.database);
    let backend = djq::backend::connect(db.to_str().unwrap(), true).expect("open database");
    let mut schema = djq::schema::introspect::sqlite(backend.as_sqlite().unwrap()).expect("schema");
    let decls = djq::schema::models_py::load(&[root().join(&exp.models)]).expect("models.py");
    djq::schema::models_py::overlay(&mut schema, decls).expect("overlay");
    let opts = Options::plain(Format::Table);
    let dialect = backend.dialect();
    let mut session = Session::new(
        schema,
        Some(backend),
        dialect,
        opts,
        Box::new(std::io::sink()),
    );
    let text = std::fs::read_to_string(script).expect("script");
    let outcome = session.run(&text);
    assert_eq!(outcome.is_err(), exp.error.is_some(), "{outcome:?}");
    session.host.log.total()
}

/// One test per script; `every_script_is_tested` keeps this list complete.
macro_rules! scripts {
    ($($name:ident),* $(,)?) => {
        const SCRIPTS: &[&str] = &[$(stringify!($name)),*];
        $(#[test] fn $name() { check(stringify!($name)); })*
    };
}

scripts!(
    app_imports,
    blog_aggregate_classes,
    blog_articles,
    blog_formatting,
    blog_hashes,
    blog_relations,
    durations,
    exceptions,
    expression_reprs,
    helpers,
    identities,
    imports,
    list_books,
    lookups,
    nested_values,
    not_found,
    python_builtins,
    python_values,
    q_and_f,
    ranges,
    related_loading,
    relations,
    stdlib,
    values,
);

#[test]
fn every_script_is_tested_and_recorded() {
    let mut found: Vec<String> = std::fs::read_dir(scripts_dir())
        .expect("fixtures/scripts")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "py"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    found.sort();
    assert_eq!(found, SCRIPTS, "add new scripts to the scripts! list");
    for name in SCRIPTS {
        let recording = scripts_dir().join(format!("{name}.expected.json"));
        assert!(
            Path::new(&recording).exists(),
            "{name}: run tools/record_scripts.py"
        );
    }
}
