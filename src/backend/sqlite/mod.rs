//! The SQLite backend (rusqlite): opening files and in-memory databases the way Django's SQLite
//! backend configures its connections, running statements through the prepared-statement
//! cache, binding parameters and decoding rows, cursors that step a statement across calls,
//! interrupting a running statement from another thread, and the statement timeout (a
//! progress handler).
//!
//! [`convert`] owns the value conversions in both directions; [`functions`] owns the SQL
//! functions Django registers on every connection (`django_date_extract`, `regexp`, ...).

pub mod convert;
pub mod functions;

use std::ops::ControlFlow;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rusqlite::{CachedStatement, Connection, OpenFlags};

use super::{Backend, Canceller, CursorId, Cursors, STATEMENT_TIMEOUT};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::sql::Dialect;
use crate::value::{Value, ValueType};

/// A SQLite database session.
pub struct SqliteBackend {
    /// Shared with the open cursors, whose statements borrow it.
    conn: Rc<Connection>,
    /// What [`Backend::describe`] names: the path as given, or `:memory:`.
    pub(super) location: String,
    cursors: Cursors<Cursor>,
    /// `--statement-timeout`, once set.
    timeout: Option<Timeout>,
    /// `USE_TZ` ([`Backend::set_time_zone`]): datetimes are read back aware (UTC) or naive.
    use_tz: bool,
}

/// How often SQLite's progress handler runs: every this many virtual machine instructions
/// (a few microseconds of work).
const PROGRESS_STEPS: std::ffi::c_int = 1000;

/// The statement timeout: how long a statement may run, and the deadline of the one running,
/// which SQLite's progress handler checks.
struct Timeout {
    limit: Duration,
    /// When the handler was installed: deadlines count from it.
    origin: Instant,
    /// The running statement's deadline, in nanoseconds after `origin`; 0 when none runs.
    deadline: Arc<AtomicU64>,
    /// Set by the handler when it interrupted a statement.
    fired: Arc<AtomicBool>,
}

impl Timeout {
    /// Starts the clock of a statement.
    fn arm(&self) {
        let deadline = (self.origin.elapsed() + self.limit).as_nanos();
        self.fired.store(false, Ordering::Relaxed);
        self.deadline.store(
            u64::try_from(deadline).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// Stops the clock; whether the statement was interrupted for running out of time.
    fn disarm(&self) -> bool {
        self.deadline.store(0, Ordering::Relaxed);
        self.fired.load(Ordering::Relaxed)
    }
}

self_cell::self_cell!(
    /// A prepared statement with its parameters bound, together with the connection it
    /// borrows, so that it can outlive the call that started it. The connection is an `Rc`
    /// shared with the backend: it is closed only once the last cursor is gone, after that
    /// cursor's statement went back to the connection's cache (`self_cell` drops the
    /// dependent before its owner).
    struct OpenStatement {
        owner: Rc<Connection>,
        #[covariant]
        dependent: CachedStatement,
    }
);

/// An open cursor: a statement stepped a few rows per [`Backend::fetch`].
///
/// No `unsafe` is involved. The statement stays where it stands between fetches because the
/// [`rusqlite::Rows`] of each fetch is forgotten rather than dropped: dropping it would reset
/// the statement (starting the query over), and it owns nothing (a reference to the
/// statement), so forgetting it leaks nothing. rusqlite resets the statement itself when
/// its rows run out or stepping fails; `done` then keeps it from being stepped again.
struct Cursor {
    statement: OpenStatement,
    names: Vec<String>,
    types: Vec<ValueType>,
    done: bool,
}

impl Drop for Cursor {
    /// Resets the statement, which goes back to the statement cache ready for its next use
    /// (the cache does not reset it): a `Rows` dropped at once does that.
    fn drop(&mut self) {
        self.statement
            .with_dependent_mut(|_, stmt| drop(stmt.raw_query()));
    }
}

impl SqliteBackend {
    /// Opens an existing database file; a missing file is an error.
    pub fn open(path: &Path, read_only: bool) -> Result<Self> {
        let access = if read_only {
            OpenFlags::SQLITE_OPEN_READ_ONLY
        } else {
            OpenFlags::SQLITE_OPEN_READ_WRITE
        };
        let location = path.display().to_string();
        let conn = Connection::open_with_flags(path, access | OpenFlags::SQLITE_OPEN_NO_MUTEX)
            .map_err(|e| {
                // rusqlite's own message repeats the path; keep SQLite's reason only.
                let reason = match &e {
                    rusqlite::Error::SqliteFailure(err, _) => {
                        rusqlite::ffi::code_to_str(err.extended_code).to_string()
                    }
                    other => other.to_string(),
                };
                Diagnostic::new(ErrorKind::Io, format!("{reason}: {location}"))
            })?;
        Self::configure(conn, location, read_only)
    }

    /// A fresh, empty in-memory database.
    pub fn open_in_memory(read_only: bool) -> Result<Self> {
        let conn = Connection::open_in_memory().map_err(database_error)?;
        Self::configure(conn, ":memory:".to_string(), read_only)
    }

    /// The underlying rusqlite connection (for introspection).
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Runs a script of `;`-separated statements.
    pub fn run_script(&self, sql: &str) -> Result<()> {
        self.conn.execute_batch(sql).map_err(database_error)
    }

    /// Sets the connection up as Django's `get_new_connection` does, and reads the schema once
    /// so that a file which is not a database fails here rather than at the first query.
    fn configure(conn: Connection, location: String, read_only: bool) -> Result<Self> {
        conn.busy_timeout(Duration::from_secs(5))
            .map_err(database_error)?;
        functions::register(&conn).map_err(database_error)?;
        conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA legacy_alter_table = OFF;")
            .map_err(database_error)?;
        if read_only {
            conn.execute_batch("PRAGMA query_only = ON")
                .map_err(database_error)?;
        }
        conn.query_row("PRAGMA schema_version", [], |_| Ok(()))
            .map_err(|e| {
                Diagnostic::new(
                    ErrorKind::Database,
                    format!("{}: {location}", sqlite_message(&e)),
                )
            })?;
        Ok(SqliteBackend {
            conn: Rc::new(conn),
            location,
            cursors: Cursors::default(),
            timeout: None,
            use_tz: true,
        })
    }

    /// The next `n` rows of an open cursor ([`Backend::fetch`]).
    fn fetch_rows(&mut self, cursor: CursorId, n: usize) -> Result<Vec<Vec<Value>>> {
        let use_tz = self.use_tz;
        let Cursor {
            statement,
            names,
            types,
            done,
        } = self.cursors.get_mut(cursor)?;
        let mut out = Vec::new();
        if *done {
            return Ok(out);
        }
        let read = statement.with_dependent_mut(|_, stmt| {
            let mut rows = stmt.raw_query();
            let read = loop {
                if out.len() == n {
                    break Ok(false);
                }
                match rows.next() {
                    Ok(Some(row)) => match decode_row(row, names, types, use_tz) {
                        Ok(values) => out.push(values),
                        Err(e) => break Err(e),
                    },
                    Ok(None) => break Ok(true),
                    Err(e) => break Err(database_error(e)),
                }
            };
            // Not dropped, which would reset the statement (see `Cursor`).
            std::mem::forget(rows);
            read
        });
        // Finished, or failed: it is not stepped again.
        *done = read.as_ref().map_or(true, |finished| *finished);
        read.map(|_| out)
    }

    /// Runs one statement (`f`) against the statement timeout: interrupted when its time is
    /// up, it fails with [`STATEMENT_TIMEOUT`].
    fn timed<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        let Some(timeout) = &self.timeout else {
            return f(self);
        };
        timeout.arm();
        let result = f(self);
        let fired = self.timeout.as_ref().is_some_and(Timeout::disarm);
        match result {
            Err(_) if fired => Err(Diagnostic::new(ErrorKind::Operational, STATEMENT_TIMEOUT)),
            other => other,
        }
    }
}

/// Prepares (or takes from the cache) `sql` and binds `params` to it.
fn prepare<'conn>(
    conn: &'conn Connection,
    sql: &str,
    params: &[Value],
) -> Result<CachedStatement<'conn>> {
    let mut stmt = conn.prepare_cached(sql).map_err(database_error)?;
    let expected = stmt.parameter_count();
    if expected != params.len() {
        // The `sqlite3` module's own check, a ProgrammingError.
        return Err(Diagnostic::new(
            ErrorKind::Programming,
            format!(
                "Incorrect number of bindings supplied. The current statement uses {expected}, \
                 and there are {} supplied.",
                params.len()
            ),
        ));
    }
    for (i, param) in params.iter().enumerate() {
        stmt.raw_bind_parameter(i + 1, convert::adapt(param))
            .map_err(database_error)?;
    }
    Ok(stmt)
}

/// The names of a statement's columns.
fn column_names(stmt: &rusqlite::Statement<'_>) -> Vec<String> {
    stmt.column_names().map(String::from).collect()
}

/// One row's values: column `i` (named `names[i]`) decoded as `types[i]`, or as
/// [`ValueType::Any`] past the end of `types`.
fn decode_row(
    row: &rusqlite::Row<'_>,
    names: &[String],
    types: &[ValueType],
    use_tz: bool,
) -> Result<Vec<Value>> {
    names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let ty = types.get(i).copied().unwrap_or(ValueType::Any);
            let raw = row.get_ref(i).map_err(database_error)?;
            convert::decode(raw, ty, use_tz).map_err(|unreadable| match unreadable {
                // The `sqlite3` module's own message.
                convert::Unreadable::NotUtf8(text) => Diagnostic::new(
                    ErrorKind::Operational,
                    format!("Could not decode to UTF-8 column '{name}' with text '{text}'"),
                ),
                convert::Unreadable::Invalid(problem) => Diagnostic::new(
                    ErrorKind::Value,
                    format!("cannot read column '{name}': {problem}"),
                ),
            })
        })
        .collect()
}

impl Backend for SqliteBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Sqlite
    }

    fn describe(&self) -> String {
        format!("sqlite {}", self.location)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        types: &[ValueType],
        on_row: &mut dyn FnMut(Vec<Value>) -> Result<ControlFlow<()>>,
    ) -> Result<()> {
        self.timed(|this| {
            let mut stmt = prepare(&this.conn, sql, params)?;
            let names = column_names(&stmt);
            let mut rows = stmt.raw_query();
            while let Some(row) = rows.next().map_err(database_error)? {
                if on_row(decode_row(row, &names, types, this.use_tz)?)?.is_break() {
                    break;
                }
            }
            Ok(())
        })
    }

    fn open_cursor(
        &mut self,
        sql: &str,
        params: &[Value],
        types: &[ValueType],
    ) -> Result<CursorId> {
        let statement =
            OpenStatement::try_new(self.conn.clone(), |conn| prepare(conn, sql, params))?;
        let names = statement.with_dependent(|_, stmt| column_names(stmt));
        let id = self.cursors.next_id();
        self.cursors.insert(
            id,
            Cursor {
                statement,
                names,
                types: types.to_vec(),
                done: false,
            },
        );
        Ok(id)
    }

    fn fetch(&mut self, cursor: CursorId, n: usize) -> Result<Vec<Vec<Value>>> {
        self.timed(|this| this.fetch_rows(cursor, n))
    }

    fn close_cursor(&mut self, cursor: CursorId) -> Result<()> {
        self.cursors.remove(cursor);
        Ok(())
    }

    fn column_names(&mut self, sql: &str) -> Result<Vec<String>> {
        let stmt = self.conn.prepare_cached(sql).map_err(database_error)?;
        Ok(column_names(&stmt))
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        self.timed(|this| {
            let mut stmt = prepare(&this.conn, sql, params)?;
            let changed = stmt.raw_execute().map_err(database_error)?;
            Ok(changed as u64)
        })
    }

    fn insert_returning_id(&mut self, sql: &str, params: &[Value]) -> Result<Option<i64>> {
        let changed = self.execute(sql, params)?;
        Ok((changed > 0).then(|| self.conn.last_insert_rowid()))
    }

    fn begin(&mut self) -> Result<()> {
        self.run_script("BEGIN")
    }

    fn commit(&mut self) -> Result<()> {
        self.run_script("COMMIT")
    }

    fn rollback(&mut self) -> Result<()> {
        self.run_script("ROLLBACK")
    }

    fn as_sqlite(&self) -> Option<&Connection> {
        Some(&self.conn)
    }

    /// `sqlite3_interrupt`: the running statement stops with "query cancelled" (an
    /// OperationalError, as the `sqlite3` module reports an interrupt); with none
    /// running, nothing happens (the next statement runs as usual).
    fn canceller(&self) -> Option<Canceller> {
        let handle = self.conn.get_interrupt_handle();
        Some(Box::new(move || {
            handle.interrupt();
            Ok(())
        }))
    }

    /// SQLite has no zone of its own: Django stores UTC text with `USE_TZ`, local text
    /// without, and reads it back aware or naive.
    fn set_time_zone(&mut self, tz: crate::tz::TzConfig) -> Result<()> {
        self.use_tz = tz.use_tz;
        Ok(())
    }

    /// A progress handler checks the running statement's deadline every
    /// [`PROGRESS_STEPS`] instructions and interrupts it once passed.
    fn set_statement_timeout(&mut self, limit: Duration) -> Result<()> {
        let conn = Rc::get_mut(&mut self.conn).ok_or_else(|| {
            Diagnostic::new(
                ErrorKind::Interface,
                "the statement timeout cannot change while cursors are open",
            )
        })?;
        if limit.is_zero() {
            self.timeout = None;
            return conn
                .progress_handler(0, None::<fn() -> bool>)
                .map_err(database_error);
        }
        let timeout = Timeout {
            limit,
            origin: Instant::now(),
            deadline: Arc::new(AtomicU64::new(0)),
            fired: Arc::new(AtomicBool::new(false)),
        };
        let (origin, deadline, fired) = (
            timeout.origin,
            timeout.deadline.clone(),
            timeout.fired.clone(),
        );
        conn.progress_handler(
            PROGRESS_STEPS,
            Some(move || {
                let at = deadline.load(Ordering::Relaxed);
                let late =
                    at != 0 && u64::try_from(origin.elapsed().as_nanos()).unwrap_or(u64::MAX) >= at;
                if late {
                    fired.store(true, Ordering::Relaxed);
                }
                late
            }),
        )
        .map_err(database_error)?;
        self.timeout = Some(timeout);
        Ok(())
    }
}

/// SQLite's own message for an error (`no such table: books_book`), as Django shows it.
fn sqlite_message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(err, None) => {
            rusqlite::ffi::code_to_str(err.extended_code).to_string()
        }
        rusqlite::Error::SqliteFailure(_, Some(message))
        | rusqlite::Error::SqlInputError { msg: message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// A SQLite error as Django reports it: SQLite's message, with the exception class the
/// `sqlite3` module picks from the primary result code (which Django re-raises as its own).
fn database_error(e: rusqlite::Error) -> Diagnostic {
    let (rusqlite::Error::SqliteFailure(failure, _)
    | rusqlite::Error::SqlInputError { error: failure, .. }) = &e
    else {
        return Diagnostic::new(ErrorKind::Database, sqlite_message(&e));
    };
    if failure.code == rusqlite::ErrorCode::OperationInterrupted {
        return Diagnostic::new(ErrorKind::Operational, "query cancelled");
    }
    Diagnostic::new(error_kind(failure.extended_code), sqlite_message(&e))
}

/// The `sqlite3` module's exception class for a result code (CPython's
/// `get_exception_class`): constraint failures are IntegrityErrors, most others (`no such
/// column`, syntax, locks, I/O) OperationalErrors.
fn error_kind(extended_code: std::ffi::c_int) -> ErrorKind {
    use rusqlite::ffi;
    match extended_code & 0xff {
        ffi::SQLITE_INTERNAL | ffi::SQLITE_NOTFOUND => ErrorKind::Internal,
        ffi::SQLITE_ERROR
        | ffi::SQLITE_PERM
        | ffi::SQLITE_ABORT
        | ffi::SQLITE_BUSY
        | ffi::SQLITE_LOCKED
        | ffi::SQLITE_READONLY
        | ffi::SQLITE_INTERRUPT
        | ffi::SQLITE_IOERR
        | ffi::SQLITE_FULL
        | ffi::SQLITE_CANTOPEN
        | ffi::SQLITE_PROTOCOL
        | ffi::SQLITE_EMPTY
        | ffi::SQLITE_SCHEMA => ErrorKind::Operational,
        ffi::SQLITE_TOOBIG => ErrorKind::Data,
        ffi::SQLITE_CONSTRAINT | ffi::SQLITE_MISMATCH => ErrorKind::Integrity,
        ffi::SQLITE_MISUSE | ffi::SQLITE_RANGE => ErrorKind::Interface,
        _ => ErrorKind::Database,
    }
}
