//! Helpers shared by the integration tests (`mod support;`); each test binary uses only some
//! of them.
#![allow(dead_code)]

pub mod gaps;
pub mod models_py;
pub mod output;
pub mod peak;
pub mod pg;
pub mod recording;
pub mod repl;
pub mod slow;
pub mod text;

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
