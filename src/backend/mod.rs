//! Backends: database connections that run SQL and stream typed rows.
//!
//! [`Backend`] is the object-safe interface the interpreter talks to; [`connect`] picks the
//! implementation from a database URL: [`sqlite`] or [`postgres`]. Backends own the
//! conversions between [`Value`]s and the driver's values in both directions, as Django's
//! backend adapters and converters do.
//!
//! Besides statements that run to completion, a backend keeps cursors open across calls
//! ([`Backend::open_cursor`]): Django's chunked reads, which `QuerySet.iterator()` uses to go
//! through a result of any size in bounded memory while other statements run.

pub(crate) mod dateparse;
pub mod postgres;
pub mod sqlite;

use std::ops::ControlFlow;
use std::path::PathBuf;
use std::time::Duration;

use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::sql::Dialect;
use crate::value::{Value, ValueType};

pub use self::postgres::PostgresBackend;
pub use sqlite::SqliteBackend;

/// The message of a statement cancelled by the statement timeout, PostgreSQL's own (SQLite has
/// no timeout of its own, and djq's says the same).
pub const STATEMENT_TIMEOUT: &str = "canceling statement due to statement timeout";

/// Cancels the query a session is running, from another thread (see [`Backend::canceller`]).
pub type Canceller = Box<dyn Fn() -> Result<()> + Send + Sync>;

/// A live database session.
pub trait Backend {
    /// Which SQL dialect this database speaks.
    fn dialect(&self) -> Dialect;

    /// A short human description, e.g. `sqlite fixtures/demo/library.sqlite3`.
    fn describe(&self) -> String;

    /// Runs a `SELECT` and hands each row to `on_row` as soon as it is read (nothing is
    /// collected). Column `i` is decoded as `types[i]`, or as [`ValueType::Any`] past the end
    /// of `types`. `on_row` stops the query early by returning `Break` (the rows not read
    /// are never fetched); an error it returns stops the query and is passed through.
    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        types: &[ValueType],
        on_row: &mut dyn FnMut(Vec<Value>) -> Result<ControlFlow<()>>,
    ) -> Result<()>;

    /// Starts a `SELECT` whose rows are then read [`Backend::fetch`] at a time, until
    /// [`Backend::close_cursor`]. Columns are decoded as [`Backend::query`] decodes them. While
    /// cursors are open the session runs other statements as usual (reads, writes: a write to
    /// the table being read shows or not in the rows still to come, as the database decides).
    /// On SQLite the cursor is the statement itself, stepped as rows are fetched; on
    /// PostgreSQL a server-side cursor, as Django's `chunked_cursor()`.
    fn open_cursor(&mut self, sql: &str, params: &[Value], types: &[ValueType])
    -> Result<CursorId>;

    /// The next `n` rows of an open cursor: fewer (none) once its rows are all read.
    fn fetch(&mut self, cursor: CursorId, n: usize) -> Result<Vec<Vec<Value>>>;

    /// Closes a cursor, whose rows not yet read are never fetched. Unknown (already closed)
    /// cursors are ignored.
    fn close_cursor(&mut self, cursor: CursorId) -> Result<()>;

    /// Runs a `SELECT` and collects its rows (for small results: catalogs, fixture lookups).
    fn query_all(
        &mut self,
        sql: &str,
        params: &[Value],
        types: &[ValueType],
    ) -> Result<Vec<Vec<Value>>> {
        let mut rows = Vec::new();
        self.query(sql, params, types, &mut |row| {
            rows.push(row);
            Ok(ControlFlow::Continue(()))
        })?;
        Ok(rows)
    }

    /// The names of the columns `sql` returns, without running it.
    fn column_names(&mut self, sql: &str) -> Result<Vec<String>>;

    /// Runs a statement that returns no rows; the number of rows it changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64>;

    /// Runs an `INSERT` and returns the new row's id, or `None` when nothing was inserted:
    /// SQLite's last insert rowid; on PostgreSQL the statement must end in `RETURNING "id"`.
    fn insert_returning_id(&mut self, sql: &str, params: &[Value]) -> Result<Option<i64>>;

    fn begin(&mut self) -> Result<()>;
    fn commit(&mut self) -> Result<()>;
    fn rollback(&mut self) -> Result<()>;

    /// Creates, releases or rolls back to a savepoint inside the open transaction.
    fn savepoint(&mut self, op: Savepoint) -> Result<()> {
        self.execute(&op.sql(), &[]).map(drop)
    }

    /// The SQLite connection, for introspection (`schema::introspect::sqlite`).
    fn as_sqlite(&self) -> Option<&rusqlite::Connection> {
        None
    }

    /// A handle that cancels the statement this session is running when called from another
    /// thread (Ctrl-C in the shell); the interrupted call fails with "query cancelled"
    /// ([`ErrorKind::Operational`], as Django reports it) and the session stays usable.
    /// Called with no statement running, it does nothing. `None` when the backend cannot
    /// cancel.
    fn canceller(&self) -> Option<Canceller> {
        None
    }

    /// Cancels every statement of the session that runs longer than `timeout` (zero: no
    /// limit, as PostgreSQL's `statement_timeout = 0`): it fails with an OperationalError
    /// saying `canceling statement due to statement timeout`. PostgreSQL sets its own
    /// `statement_timeout`, whose cancellation the server reports; SQLite has none, and a
    /// progress handler interrupts the statement when its time is up.
    fn set_statement_timeout(&mut self, timeout: Duration) -> Result<()>;

    /// The project's `TIME_ZONE`/`USE_TZ`, as Django's backends follow them: PostgreSQL's
    /// connection time zone (UTC with `USE_TZ`, else `TIME_ZONE`), and whether datetimes read
    /// back are aware (UTC) or naive. Set once, when the session is made.
    fn set_time_zone(&mut self, tz: crate::tz::TzConfig) -> Result<()>;

    /// Bulk-load `rows` into `table` through the backend's fast path (PostgreSQL's binary
    /// `COPY ... FROM STDIN`, the statement [`crate::sql::insert::copy`] spells); the number
    /// of rows loaded. `None` when the backend has no such path (multi-row INSERTs serve).
    fn copy_in(
        &mut self,
        _table: &str,
        _columns: &[String],
        _rows: &[Vec<Value>],
    ) -> Option<Result<u64>> {
        None
    }
}

/// An open cursor of a session ([`Backend::open_cursor`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CursorId(usize);

impl CursorId {
    /// The cursor's number, from 1: the smallest not taken by another open cursor.
    pub fn number(self) -> usize {
        self.0 + 1
    }
}

/// A backend's open cursors, by id.
struct Cursors<T>(Vec<Option<T>>);

impl<T> Default for Cursors<T> {
    fn default() -> Self {
        Cursors(Vec::new())
    }
}

impl<T> Cursors<T> {
    /// The id the next cursor gets: the first free one, so that numbers are reused.
    fn next_id(&self) -> CursorId {
        CursorId(
            self.0
                .iter()
                .position(Option::is_none)
                .unwrap_or(self.0.len()),
        )
    }

    /// Keeps `cursor` as `id` (from [`Cursors::next_id`]).
    fn insert(&mut self, id: CursorId, cursor: T) {
        if id.0 >= self.0.len() {
            self.0.resize_with(id.0 + 1, || None);
        }
        self.0[id.0] = Some(cursor);
    }

    fn get_mut(&mut self, id: CursorId) -> Result<&mut T> {
        self.0
            .get_mut(id.0)
            .and_then(Option::as_mut)
            .ok_or_else(|| Diagnostic::new(ErrorKind::Interface, "cursor already closed"))
    }

    fn remove(&mut self, id: CursorId) -> Option<T> {
        self.0.get_mut(id.0).and_then(Option::take)
    }
}

/// A savepoint statement, by savepoint name (Django's `savepoint`, `savepoint_commit`,
/// `savepoint_rollback`; the same SQL on SQLite and PostgreSQL).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Savepoint<'a> {
    Create(&'a str),
    Release(&'a str),
    RollbackTo(&'a str),
}

impl Savepoint<'_> {
    pub fn sql(self) -> String {
        match self {
            Savepoint::Create(name) => format!("SAVEPOINT \"{name}\""),
            Savepoint::Release(name) => format!("RELEASE SAVEPOINT \"{name}\""),
            Savepoint::RollbackTo(name) => format!("ROLLBACK TO SAVEPOINT \"{name}\""),
        }
    }
}

/// Where a database URL points.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    SqliteMemory,
    SqliteFile(PathBuf),
    Postgres,
}

impl Target {
    fn parse(url: &str) -> Result<Target> {
        if url == ":memory:" || url == "sqlite::memory:" || url == "sqlite://:memory:" {
            return Ok(Target::SqliteMemory);
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Target::Postgres);
        }
        // `sqlite:///abs/path` (and `sqlite:////abs/path`) keep their leading slash;
        // `sqlite:relative` and `sqlite://relative` are relative to the working directory.
        if let Some(rest) = url.strip_prefix("sqlite:") {
            let path = rest.strip_prefix("//").unwrap_or(rest);
            if path.is_empty() {
                return Err(Diagnostic::new(
                    ErrorKind::Io,
                    format!("database URL '{url}' names no file"),
                ));
            }
            return Ok(Target::SqliteFile(PathBuf::from(path)));
        }
        if let Some((scheme, _)) = url.split_once("://")
            && !scheme.is_empty()
            && scheme
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!("unsupported database URL scheme '{scheme}' (expected sqlite or postgres)"),
            ));
        }
        Ok(Target::SqliteFile(PathBuf::from(url)))
    }
}

/// Opens the database `url` names: a SQLite file path, `sqlite:///abs/path`, `sqlite:relative`,
/// `sqlite::memory:`, or `postgres://...` / `postgresql://...` (see [`PostgresBackend::connect`]).
/// A missing SQLite file is an error, never a new empty database. With `read_only` the session
/// refuses every write.
pub fn connect(url: &str, read_only: bool) -> Result<Box<dyn Backend>> {
    match Target::parse(url)? {
        Target::SqliteMemory => Ok(Box::new(SqliteBackend::open_in_memory(read_only)?)),
        Target::SqliteFile(path) => Ok(Box::new(SqliteBackend::open(&path, read_only)?)),
        Target::Postgres => Ok(Box::new(PostgresBackend::connect(url, read_only)?)),
    }
}

/// An in-memory SQLite database initialised by running `sql` (a script such as a `.dump`).
pub fn open_sqlite_script(sql: &str) -> Result<Box<dyn Backend>> {
    open_sqlite_script_as(sql, ":memory:")
}

/// As [`open_sqlite_script`], described as `name` (the bundled demo database).
pub fn open_sqlite_script_as(sql: &str, name: &str) -> Result<Box<dyn Backend>> {
    let mut backend = SqliteBackend::open_in_memory(false)?;
    backend.location = name.to_string();
    backend.run_script(sql)?;
    Ok(Box::new(backend))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(p: &str) -> Target {
        Target::SqliteFile(PathBuf::from(p))
    }

    #[test]
    fn parses_database_urls() {
        assert_eq!(
            Target::parse("sqlite::memory:").unwrap(),
            Target::SqliteMemory
        );
        assert_eq!(Target::parse(":memory:").unwrap(), Target::SqliteMemory);
        assert_eq!(Target::parse("db.sqlite3").unwrap(), file("db.sqlite3"));
        assert_eq!(
            Target::parse("sqlite:///abs/db.sqlite3").unwrap(),
            file("/abs/db.sqlite3")
        );
        assert_eq!(
            Target::parse("sqlite:////abs/db").unwrap(),
            file("//abs/db")
        );
        assert_eq!(Target::parse("sqlite:rel/db").unwrap(), file("rel/db"));
        assert_eq!(
            Target::parse("postgres://u@h/db").unwrap(),
            Target::Postgres
        );
        assert_eq!(
            Target::parse("postgresql://u@h/db").unwrap(),
            Target::Postgres
        );
        assert_eq!(
            Target::parse("mysql://u@h/db").unwrap_err().kind,
            ErrorKind::NotSupported
        );
        assert!(Target::parse("sqlite:").is_err());
    }
}
