//! Helpers shared by the integration tests (`mod support;`); each test binary uses only some
//! of them: the crate's root and the demo library's files and copies, djq as a command and
//! what a run of it did ([`Run`]), a session on a database ([`session`]), and the one rule for
//! a test that cannot run for want of a server or a privilege ([`skip`]).
#![allow(dead_code)]

pub mod gaps;
pub mod models_py;
pub mod output;
pub mod peak;
pub mod pg;
pub mod recording;
pub mod repl;
pub mod replay;
pub mod slow;
pub mod text;

use std::path::PathBuf;
use std::process::Command;

/// The demo library: its SQLite file, its PostgreSQL dump and its models.py, relative to
/// [`root`].
pub const DEMO_SQLITE: &str = "fixtures/demo/library.sqlite3";
pub const DEMO_POSTGRES: &str = "fixtures/demo/library.postgres.sql";
pub const DEMO_MODELS: &str = "fixtures/demo/books/models.py";

/// The crate's root, where the fixtures are and djq runs from.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The djq binary, run from [`root`] with no `DATABASE_URL` from the environment.
pub fn djq() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_djq"));
    cmd.current_dir(root()).env_remove("DATABASE_URL");
    cmd
}

/// What a run of djq did: its exit code and its output, which must be UTF-8.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<std::process::Output> for Run {
    fn from(out: std::process::Output) -> Run {
        Run {
            code: out.status.code(),
            stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
        }
    }
}

/// An app folder `name` holding `models_py`, in a directory of its own (deleted when the
/// directory is dropped): the directory and the app's folder.
pub fn temp_app(name: &str, models_py: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let app = dir.path().join(name);
    std::fs::create_dir(&app).expect("app folder");
    std::fs::write(app.join("models.py"), models_py).expect("models.py");
    (dir, app)
}

/// `djq --sql-only --dialect sqlite --models <app>/models.py -c <code>`, without color.
pub fn sql_only_sqlite(app: &std::path::Path, code: &str) -> Run {
    let mut cmd = djq();
    cmd.args([
        "--sql-only",
        "--dialect",
        "sqlite",
        "--no-color",
        "--models",
    ])
    .arg(app.join("models.py"))
    .args(["-c", code]);
    cmd.output().expect("run djq").into()
}

/// A copy of the demo library's SQLite file in a directory of its own (deleted when the
/// directory is dropped): the directory and the file's path.
pub fn demo_sqlite_copy() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("library.sqlite3");
    std::fs::copy(root().join(DEMO_SQLITE), &path).expect("copy the demo library");
    (dir, path.display().to_string())
}

/// A new database on the PostgreSQL server loaded with the demo library, its URL; `None` when
/// there is no server (see [`pg::server`]).
pub fn demo_postgres_copy() -> Option<String> {
    Some(pg::server()?.database_from_file(DEMO_POSTGRES))
}

/// A session on `backend` as djq opens one: its schema introspected and overlaid with the
/// models.py files `models` (relative to [`root`]), printing JSON into the returned output.
pub fn session(
    mut backend: Box<dyn djq::backend::Backend>,
    models: &[&str],
) -> (djq::orm::Session, output::Output) {
    let mut schema = djq::schema::introspect::database(backend.as_mut()).expect("introspect");
    if !models.is_empty() {
        let paths: Vec<PathBuf> = models.iter().map(|m| root().join(m)).collect();
        let decls = djq::schema::models_py::load(&paths).expect("models.py");
        djq::schema::models_py::overlay(&mut schema, decls).expect("overlay");
    }
    let dialect = backend.dialect();
    let out = output::Output::default();
    let opts = djq::orm::Options::plain(djq::render::Format::Json);
    let session =
        djq::orm::Session::new(schema, Some(backend), dialect, opts, Box::new(out.clone()));
    (session, out)
}

/// The model called `name` in `schema` (a failure names the models there are).
pub fn model<'s>(schema: &'s djq::schema::Schema, name: &str) -> &'s djq::schema::Model {
    let id = schema.find_model(name).unwrap_or_else(|| {
        let names: Vec<_> = schema.models.iter().map(|m| &m.name).collect();
        panic!("no model {name} among {names:?}")
    });
    schema.model(id)
}

/// Whether a test that cannot run fails instead of saying SKIPPED: `DJQ_REQUIRE_SERVERS=1`,
/// or `CI=true` (or `1`) unless `DJQ_REQUIRE_SERVERS=0`.
pub fn servers_required() -> bool {
    let flag = |name: &str| std::env::var(name).ok().map(|v| v.to_ascii_lowercase());
    match flag("DJQ_REQUIRE_SERVERS").as_deref() {
        Some("1") => true,
        Some("0") => false,
        _ => matches!(flag("CI").as_deref(), Some("true" | "1")),
    }
}

/// The one rule for a test (or a part of one) that cannot run because a server or a privilege
/// it needs is missing: it says `SKIPPED: <why>` on the real stderr and the caller returns
/// early; when [`servers_required`], it panics instead, so the test fails.
pub fn skip(why: &str) {
    if servers_required() {
        panic!(
            "{why}: a test that cannot run is a failure here (CI=true or DJQ_REQUIRE_SERVERS=1; \
             DJQ_REQUIRE_SERVERS=0 turns it off)"
        );
    }
    pg::loud(&format!("SKIPPED: {why}"));
}

/// The two database backends djq speaks to, named as in the recordings' file names.
#[derive(Clone, Copy, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }

    /// The SQL dialect djq speaks to it.
    pub fn dialect(self) -> djq::sql::Dialect {
        match self {
            Backend::Sqlite => djq::sql::Dialect::Sqlite,
            Backend::Postgres => djq::sql::Dialect::Postgres,
        }
    }
}

/// An operating-system command that retitles the terminal, and one that clears it.
pub const RETITLE: &str = "\x1b]0;pwned\x07";
pub const CLEAR: &str = "\x1b[2J";

/// A SQLite file in `dir` whose table name, a column name and values hold terminal
/// commands ([`RETITLE`], [`CLEAR`]) and other control characters: table `evil<CLEAR>`
/// (model `Evil2J`), columns `id`, `na<RETITLE>me` (field `na_0_pwned_me`) and `note`.
pub fn hostile_database(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("hostile.sqlite3");
    let db = rusqlite::Connection::open(&path).expect("create the database");
    db.execute_batch(&format!(
        "CREATE TABLE \"evil{CLEAR}\" (id integer primary key, \"na{RETITLE}me\" text, note text)"
    ))
    .expect("create the table");
    for (id, name, note) in [
        (1, format!("{RETITLE}a"), format!("b{CLEAR}")),
        (
            2,
            "tab\there\r\u{9b}\x7f".to_string(),
            "line1\nline2".to_string(),
        ),
    ] {
        db.execute(
            &format!("INSERT INTO \"evil{CLEAR}\" VALUES (?1, ?2, ?3)"),
            rusqlite::params![id, name, note],
        )
        .expect("insert");
    }
    path
}
