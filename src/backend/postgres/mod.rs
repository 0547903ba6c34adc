//! The PostgreSQL backend (the blocking `postgres` crate): connecting as libpq would, setting
//! the session up as Django's PostgreSQL backend does (time zone UTC), running statements
//! through a small prepared-statement cache, streaming rows, server-side cursors as Django's
//! `chunked_cursor()` declares them, cancelling a running query from another thread, and the
//! server's `statement_timeout`.
//!
//! [`config`] turns a URL into connection settings (environment, `~/.pgpass`, TLS);
//! [`convert`] owns the value conversions in both directions.
//!
//! The `postgres` crate owns a tokio runtime and blocks on it: this backend must never be
//! called from inside a tokio runtime.

pub mod config;
pub mod convert;

use std::collections::HashMap;
use std::error::Error as _;
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use postgres::error::{ErrorPosition, SqlState};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::Type;
use postgres::{Client, Statement};
use postgres_native_tls::MakeTlsConnector;

use self::config::{ConnectOptions, Host, Lookups};
use self::convert::{Origin, Param, ParamError, Raw};
use super::{Backend, Canceller, CursorId, Cursors};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::sql::Dialect;
use crate::tz::TzConfig;
use crate::value::{Value, ValueType};
use chrono_tz::Tz;

/// How many prepared statements a session keeps; the cache starts over when full.
const STATEMENT_CACHE_SIZE: usize = 256;

/// A PostgreSQL session.
pub struct PostgresBackend {
    client: Client,
    /// `user@host:port/db`, for [`Backend::describe`].
    location: String,
    /// Prepared statements by SQL text (and declared parameter types), so a statement run
    /// again costs one round trip.
    statements: HashMap<String, Statement>,
    /// The extensions installed in the database, read when a statement first needs one.
    extensions: Option<Vec<String>>,
    /// Whether djq opened a transaction ([`Backend::begin`]) that is still open.
    in_transaction: bool,
    /// What a cancel request connects with.
    tls: MakeTlsConnector,
    /// How to connect again when the connection is lost (the server restarted, an
    /// administrator terminated it): the options and the session's setup statements.
    options: ConnectOptions,
    setup: String,
    cursors: Cursors<Cursor>,
    /// Set by the [`Backend::canceller`]: a statement the server then cancels was cancelled
    /// by the user ("query cancelled"), not by its `statement_timeout` (the server's reason).
    cancelled: Arc<AtomicBool>,
    /// The project's `TIME_ZONE`/`USE_TZ` ([`Backend::set_time_zone`]).
    tz: TzConfig,
}

/// A server-side cursor (`DECLARE`d by [`Backend::open_cursor`]).
struct Cursor {
    /// `_djq_curs_N`, N the cursor's number (Django's are `_django_curs_<thread>_<task>_<n>`).
    name: String,
    types: Vec<ValueType>,
    /// `FETCH FORWARD n FROM` the cursor, prepared for the `n` last fetched (its result
    /// columns are the cursor's, so it is prepared for this cursor alone).
    fetch: Option<(usize, Statement)>,
    done: bool,
}

impl PostgresBackend {
    /// The session's time zone (Django's `connection.timezone`).
    fn session_zone(&self) -> Tz {
        if self.tz.use_tz {
            Tz::UTC
        } else {
            self.tz.zone
        }
    }

    /// With `USE_TZ = False`, the zone timestamptz values are read in (naive).
    fn naive_in(&self) -> Option<Tz> {
        (!self.tz.use_tz).then_some(self.tz.zone)
    }

    /// Connects to the server `url` names (`postgres://` or `postgresql://`), completed from
    /// libpq's environment variables and password file. With `read_only`, every transaction of
    /// the session is read-only, so the server itself refuses writes.
    pub fn connect(url: &str, read_only: bool) -> Result<Self> {
        let look = Lookups::system();
        let options = ConnectOptions::resolve(url, &look)?;
        let tls = MakeTlsConnector::new(options.tls(&look)?);
        let mut client = open(&options, tls.clone())?;
        let mut setup = String::from("SET TIME ZONE 'UTC'");
        if read_only {
            setup.push_str("; SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY");
        }
        client.batch_execute(&setup).map_err(database_error)?;
        Ok(PostgresBackend {
            client,
            location: options.describe(),
            statements: HashMap::new(),
            extensions: None,
            in_transaction: false,
            tls,
            options,
            setup,
            cursors: Cursors::default(),
            cancelled: Arc::default(),
            tz: TzConfig::default(),
        })
    }

    /// Before a statement: a connection lost outside a transaction is opened again (the
    /// shell goes on); one lost inside djq's transaction took the transaction with it.
    fn ensure_connected(&mut self) -> Result<()> {
        if !self.client.is_closed() {
            return Ok(());
        }
        if self.in_transaction {
            self.in_transaction = false;
            return Err(Diagnostic::new(
                ErrorKind::Operational,
                "the connection to the server was lost: the transaction was rolled back",
            ));
        }
        let mut client = open(&self.options, self.tls.clone())?;
        client.batch_execute(&self.setup).map_err(database_error)?;
        self.client = client;
        self.statements.clear();
        // The old connection's cursors ended with it.
        self.cursors = Cursors::default();
        Ok(())
    }

    /// Runs a script of `;`-separated statements without parameters (the simple protocol).
    pub fn run_script(&mut self, sql: &str) -> Result<()> {
        self.ensure_connected()?;
        self.client.batch_execute(sql).map_err(database_error)
    }

    /// Binary COPY of `rows`, each value encoded as its column's type (probed with a
    /// `LIMIT 0` select of the same columns).
    fn copy_rows(&mut self, table: &str, columns: &[String], rows: &[Vec<Value>]) -> Result<u64> {
        let d = Dialect::Postgres;
        let list = columns
            .iter()
            .map(|c| d.quote(c))
            .collect::<Vec<_>>()
            .join(", ");
        let probe = self.statement(&format!("SELECT {list} FROM {} LIMIT 0", d.quote(table)))?;
        let types: Vec<postgres::types::Type> =
            probe.columns().iter().map(|c| c.type_().clone()).collect();
        let zone = self.session_zone();
        let sink = self
            .client
            .copy_in(&crate::sql::insert::copy(d, table, columns))
            .map_err(database_error)?;
        let mut writer = postgres::binary_copy::BinaryCopyInWriter::new(sink, &types);
        for row in rows {
            let params: Vec<Param<'_>> = bind(row, zone).collect();
            let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = params
                .iter()
                .map(|p| p as &(dyn postgres::types::ToSql + Sync))
                .collect();
            writer.write(&refs).map_err(database_error)?;
        }
        writer.finish().map_err(database_error)
    }

    /// The prepared statement for `sql`, from the cache or prepared now.
    fn statement(&mut self, sql: &str) -> Result<Statement> {
        self.prepared(sql, &[], &[])
    }

    /// The prepared statement for `sql` run with `params`. The server infers each
    /// parameter's type from the statement, except where its guess would change what Django's
    /// inlined literals mean: an integer or boolean where it guessed text (`data -> $1` takes an
    /// array position, `THEN $1` sums as a number), a float where it guessed an integer
    /// (`pages / 7.0` divides as a numeric; a Decimal too), a duration where it guessed anything but an
    /// interval (psycopg declares a timedelta's type). When it cannot infer at all (`SUM(CASE
    /// ... THEN $1 ...)`, `date < (date - $1)`, `date_trunc('month', $1)`), the numbers,
    /// booleans, durations, dates and times are declared and it tries again.
    fn statement_for(&mut self, sql: &str, params: &[Value]) -> Result<Statement> {
        let declared: Vec<Type> = params.iter().map(declared_type).collect();
        let statement = match self.prepared(sql, &[], params) {
            Ok(statement) => statement,
            Err(e) if declared.iter().any(|t| *t != Type::UNKNOWN) => {
                return self.prepared(sql, &declared, params).map_err(|_| e);
            }
            Err(e) => return Err(e),
        };
        let integers = [Type::INT2, Type::INT4, Type::INT8];
        let retyped: Vec<Type> = params
            .iter()
            .zip(statement.params())
            .zip(&declared)
            .map(|((value, guess), own)| match value {
                Value::Int(_) | Value::Bool(_) | Value::Float(_) if *guess == Type::TEXT => {
                    own.clone()
                }
                Value::Float(_) | Value::Decimal(_) if integers.contains(guess) => own.clone(),
                // A timedelta is an interval whatever the server guessed (`created_at - $1`:
                // timestamptz), as psycopg declares it.
                Value::Duration(_) if *guess != Type::INTERVAL => own.clone(),
                _ => Type::UNKNOWN,
            })
            .collect();
        if retyped.iter().all(|t| *t == Type::UNKNOWN) {
            return Ok(statement);
        }
        self.prepared(sql, &retyped, params)
    }

    /// The statement for `sql` with parameter `types` (`unknown`: inferred), from the cache
    /// or prepared now; `params`, what it is to run with, are quoted in the error if any.
    fn prepared(&mut self, sql: &str, types: &[Type], params: &[Value]) -> Result<Statement> {
        let key = if types.is_empty() {
            sql.to_string()
        } else {
            let oids: Vec<String> = types.iter().map(|t| t.oid().to_string()).collect();
            format!("{sql}\0{}", oids.join(","))
        };
        if let Some(statement) = self.statements.get(&key) {
            return Ok(statement.clone());
        }
        let statement = match self.client.prepare_typed(sql, types) {
            Ok(statement) => statement,
            Err(e) => return Err(self.prepare_error(e, sql, params)),
        };
        if self.statements.len() >= STATEMENT_CACHE_SIZE {
            self.statements.clear();
        }
        self.statements.insert(key, statement.clone());
        Ok(statement)
    }

    /// Why `sql` could not be prepared: the server's message, or, when it misses a function
    /// or operator of an extension the database does not have (unaccent, pg_trgm, pgcrypto), that.
    /// The server's message carries libpq's excerpt of `sql` at the error's position, as
    /// psycopg's does ([`error_position`]), with `params` written in as Django's client-side
    /// binding sends them ([`inline_params`]).
    fn prepare_error(&mut self, e: postgres::Error, sql: &str, params: &[Value]) -> Diagnostic {
        let missing = e
            .as_db_error()
            .filter(|db| db.code() == &SqlState::UNDEFINED_FUNCTION)
            .and_then(|db| Dialect::missing_extension(db.message()));
        let Some(extension) = missing else {
            let excerpt = e.as_db_error().and_then(|db| match db.position() {
                Some(ErrorPosition::Original(at)) => {
                    let (inlined, at) = inline_params(sql, params, *at as usize);
                    error_position(&inlined, at)
                }
                _ => None,
            });
            let mut d = database_error(e);
            if let Some(excerpt) = excerpt {
                d.message = format!("{}\n{excerpt}", d.message);
            }
            return d;
        };
        match self.installed_extensions() {
            Ok(installed) if !installed.iter().any(|name| name == extension.name) => {
                Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "{} needs PostgreSQL's {} extension, which this database does not have",
                        extension.lookups, extension.name
                    ),
                )
                .with_help(format!(
                    "CREATE EXTENSION {}; (a Django migration does it with django.contrib.postgres.operations.{}())",
                    extension.name, extension.operation
                ))
            }
            _ => database_error(e),
        }
    }

    /// The names of the installed extensions, read once.
    fn installed_extensions(&mut self) -> Result<&[String]> {
        if self.extensions.is_none() {
            let rows = self
                .client
                .query("SELECT extname::text FROM pg_catalog.pg_extension", &[])
                .map_err(database_error)?;
            self.extensions = Some(rows.iter().map(|row| row.get(0)).collect());
        }
        Ok(self.extensions.as_deref().unwrap_or_default())
    }

    /// Runs `op` on the prepared statement for `sql`. A cached statement whose result type a
    /// schema change has altered is prepared again and retried once, unless a transaction is
    /// open (the failure has aborted it).
    fn with_statement<T>(
        &mut self,
        sql: &str,
        params: &[Value],
        mut op: impl FnMut(&mut Client, &Statement) -> Result<T, Failure>,
    ) -> Result<T> {
        self.ensure_connected()?;
        self.cancelled.store(false, Ordering::Relaxed);
        let mut retried = false;
        loop {
            let statement = self.statement_for(sql, params)?;
            match op(&mut self.client, &statement) {
                Ok(value) => return Ok(value),
                Err(Failure::Driver(e)) if !retried && !self.in_transaction && is_stale(&e) => {
                    self.statements.clear();
                    retried = true;
                }
                Err(Failure::Driver(e)) => {
                    if is_stale(&e) {
                        self.statements.clear();
                    }
                    return Err(self.statement_error(e));
                }
                Err(Failure::Djq(d)) => return Err(d),
            }
        }
    }
}

impl PostgresBackend {
    /// A failed statement's error ([`database_error`]); a statement cancelled at the user's
    /// request (Ctrl-C) is "query cancelled", as on SQLite.
    fn statement_error(&self, e: postgres::Error) -> Diagnostic {
        let cancelled = e
            .as_db_error()
            .is_some_and(|db| db.code() == &SqlState::QUERY_CANCELED);
        if cancelled && self.cancelled.swap(false, Ordering::Relaxed) {
            return Diagnostic::new(ErrorKind::Operational, "query cancelled");
        }
        database_error(e)
    }
}

/// Why a statement failed: the driver (possibly a stale cached statement), or djq.
enum Failure {
    Driver(postgres::Error),
    Djq(Diagnostic),
}

impl From<postgres::Error> for Failure {
    fn from(e: postgres::Error) -> Self {
        Failure::Driver(e)
    }
}

impl From<Diagnostic> for Failure {
    fn from(d: Diagnostic) -> Self {
        Failure::Djq(d)
    }
}

/// The type a parameter is declared with (`unknown`: the server infers it).
fn declared_type(v: &Value) -> Type {
    match v {
        Value::Int(i) => integer_type(*i),
        Value::Float(_) | Value::Decimal(_) => Type::NUMERIC,
        Value::Bool(_) => Type::BOOL,
        // psycopg's timedelta dumper declares an interval (`date - $1` is then date minus
        // interval, not date minus date)
        Value::Duration(_) => Type::INTERVAL,
        // Django's client-side binding writes dates and times with their type
        // (`'2012-01-15'::date`), so `date_trunc('month', $1)` picks its function
        Value::Date(_) => Type::DATE,
        Value::DateTime(_) | Value::OffsetDateTime(_) => Type::TIMESTAMPTZ,
        Value::NaiveDateTime(_) => Type::TIMESTAMP,
        Value::Time(_) => Type::TIME,
        _ => Type::UNKNOWN,
    }
}

/// The type psycopg declares for a Python int of this value: int2, int4 or int8.
fn integer_type(i: i64) -> Type {
    if i16::try_from(i).is_ok() {
        Type::INT2
    } else if i32::try_from(i).is_ok() {
        Type::INT4
    } else {
        Type::INT8
    }
}

/// One row's values: column `i` decoded as `types[i]`, or as [`ValueType::Any`] past the end
/// of `types`.
fn decode_row(
    statement: &Statement,
    row: &postgres::Row,
    types: &[ValueType],
    naive_in: Option<Tz>,
) -> Result<Vec<Value>, Failure> {
    statement
        .columns()
        .iter()
        .enumerate()
        .map(|(i, column)| {
            let Raw(raw) = row.try_get(i)?;
            let want = types.get(i).copied().unwrap_or(ValueType::Any);
            convert::decode(column.type_(), raw, want, Origin::of(column), naive_in).map_err(
                |problem| {
                    Failure::Djq(Diagnostic::new(
                        ErrorKind::Value,
                        format!("cannot read column '{}': {problem}", column.name()),
                    ))
                },
            )
        })
        .collect()
}

/// The parameters of a statement, numbered from `$1`.
/// The parameters of a statement, numbered from `$1`, in the session's time zone `zone`.
fn bind(values: &[Value], zone: Tz) -> impl ExactSizeIterator<Item = Param<'_>> {
    values.iter().enumerate().map(move |(i, value)| Param {
        value,
        position: i + 1,
        zone,
    })
}

impl Backend for PostgresBackend {
    fn dialect(&self) -> Dialect {
        Dialect::Postgres
    }

    fn describe(&self) -> String {
        format!("postgres {}", self.location)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[Value],
        types: &[ValueType],
        on_row: &mut dyn FnMut(Vec<Value>) -> Result<ControlFlow<()>>,
    ) -> Result<()> {
        let (zone, naive_in) = (self.session_zone(), self.naive_in());
        self.with_statement(sql, params, |client, statement| {
            let mut rows = client.query_raw(statement, bind(params, zone))?;
            while let Some(row) = rows.next()? {
                if on_row(decode_row(statement, &row, types, naive_in)?)?.is_break() {
                    break;
                }
            }
            Ok(())
        })
    }

    /// `DECLARE "_djq_curs_N" NO SCROLL CURSOR WITH HOLD FOR <sql>`, as psycopg declares
    /// Django's named cursors: `WITH HOLD` (the cursor outlives the statement's own
    /// transaction) in autocommit only, as Django asks for it.
    fn open_cursor(
        &mut self,
        sql: &str,
        params: &[Value],
        types: &[ValueType],
    ) -> Result<CursorId> {
        let id = self.cursors.next_id();
        let name = format!("_djq_curs_{}", id.number());
        let hold = if self.in_transaction {
            ""
        } else {
            " WITH HOLD"
        };
        self.execute(
            &format!("DECLARE \"{name}\" NO SCROLL CURSOR{hold} FOR {sql}"),
            params,
        )?;
        self.cursors.insert(
            id,
            Cursor {
                name,
                types: types.to_vec(),
                fetch: None,
                done: false,
            },
        );
        Ok(id)
    }

    fn fetch(&mut self, cursor: CursorId, n: usize) -> Result<Vec<Vec<Value>>> {
        self.cancelled.store(false, Ordering::Relaxed);
        let (zone, naive_in) = (self.session_zone(), self.naive_in());
        let cursor = self.cursors.get_mut(cursor)?;
        if cursor.done {
            return Ok(Vec::new());
        }
        let statement = match &cursor.fetch {
            Some((size, statement)) if *size == n => statement.clone(),
            _ => {
                let sql = format!("FETCH FORWARD {n} FROM \"{}\"", cursor.name);
                let statement = self.client.prepare(&sql).map_err(database_error)?;
                cursor.fetch = Some((n, statement.clone()));
                statement
            }
        };
        let mut read = || -> Result<Vec<Vec<Value>>, Failure> {
            let mut rows = self.client.query_raw(&statement, bind(&[], zone))?;
            let mut out = Vec::new();
            while let Some(row) = rows.next()? {
                out.push(decode_row(&statement, &row, &cursor.types, naive_in)?);
            }
            Ok(out)
        };
        let rows = match read() {
            Ok(rows) => rows,
            Err(Failure::Driver(e)) => return Err(self.statement_error(e)),
            Err(Failure::Djq(d)) => return Err(d),
        };
        cursor.done = rows.len() < n;
        Ok(rows)
    }

    fn close_cursor(&mut self, cursor: CursorId) -> Result<()> {
        match self.cursors.remove(cursor) {
            Some(cursor) => self.run_script(&format!("CLOSE \"{}\"", cursor.name)),
            None => Ok(()),
        }
    }

    fn column_names(&mut self, sql: &str) -> Result<Vec<String>> {
        let statement = self.statement(sql)?;
        Ok(statement
            .columns()
            .iter()
            .map(|c| c.name().to_string())
            .collect())
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64> {
        let zone = self.session_zone();
        self.with_statement(sql, params, |client, statement| {
            let mut rows = client.query_raw(statement, bind(params, zone))?;
            while rows.next()?.is_some() {}
            Ok(rows.rows_affected().unwrap_or(0))
        })
    }

    /// Runs an `INSERT ... RETURNING "id"`: the id of the first row returned.
    fn insert_returning_id(&mut self, sql: &str, params: &[Value]) -> Result<Option<i64>> {
        let zone = self.session_zone();
        self.with_statement(sql, params, |client, statement| {
            if statement.columns().is_empty() {
                return Err(Failure::Djq(Diagnostic::new(
                    ErrorKind::Database,
                    "an INSERT whose id is wanted needs RETURNING on PostgreSQL",
                )));
            }
            let column = &statement.columns()[0];
            let ty = column.type_();
            let mut rows = client.query_raw(statement, bind(params, zone))?;
            let mut id = None;
            while let Some(row) = rows.next()? {
                if id.is_none() {
                    let Raw(raw) = row.try_get(0)?;
                    id = match convert::decode(ty, raw, ValueType::Int, Origin::of(column), None) {
                        Ok(Value::Int(i)) => Some(i),
                        _ => {
                            return Err(Failure::Djq(Diagnostic::new(
                                ErrorKind::Database,
                                format!(
                                    "RETURNING gave a {} where an integer id was expected",
                                    ty.name()
                                ),
                            )));
                        }
                    };
                }
            }
            Ok(id)
        })
    }

    fn begin(&mut self) -> Result<()> {
        self.run_script("BEGIN")?;
        self.in_transaction = true;
        Ok(())
    }

    fn commit(&mut self) -> Result<()> {
        self.in_transaction = false;
        self.run_script("COMMIT")
    }

    fn rollback(&mut self) -> Result<()> {
        self.in_transaction = false;
        if self.client.is_closed() {
            // The server rolled the transaction back when the connection ended.
            return Ok(());
        }
        self.run_script("ROLLBACK")
    }

    /// Through the simple protocol: nothing to prepare or cache, and `ROLLBACK TO` runs in
    /// a transaction a failed statement aborted.
    fn savepoint(&mut self, op: super::Savepoint) -> Result<()> {
        self.run_script(&op.sql())
    }

    fn copy_in(
        &mut self,
        table: &str,
        columns: &[String],
        rows: &[Vec<Value>],
    ) -> Option<Result<u64>> {
        Some(self.copy_rows(table, columns, rows))
    }

    fn canceller(&self) -> Option<Canceller> {
        let token = self.client.cancel_token();
        let tls = self.tls.clone();
        let cancelled = self.cancelled.clone();
        Some(Box::new(move || {
            cancelled.store(true, Ordering::Relaxed);
            token.cancel_query(tls.clone()).map_err(|e| {
                Diagnostic::new(
                    ErrorKind::Database,
                    format!("could not send the cancel request: {}", error_chain(&e)),
                )
            })
        }))
    }

    /// `SET statement_timeout` (in milliseconds), kept with the session's setup so that a
    /// connection opened again after a lost one has it too. The server cancels a statement
    /// past it and says why (`canceling statement due to statement timeout`).
    /// Django's connection time zone: UTC with `USE_TZ`, else `TIME_ZONE` (`SET TIME ZONE`,
    /// for this session and any it reconnects).
    fn set_time_zone(&mut self, tz: TzConfig) -> Result<()> {
        let before = self.session_zone();
        self.tz = tz;
        if self.session_zone() == before {
            return Ok(());
        }
        let set = format!("SET TIME ZONE '{}'", self.session_zone().name());
        self.run_script(&set)?;
        self.setup.push_str("; ");
        self.setup.push_str(&set);
        Ok(())
    }

    fn set_statement_timeout(&mut self, timeout: Duration) -> Result<()> {
        let set = format!("SET statement_timeout = {}", timeout.as_millis());
        self.run_script(&set)?;
        self.setup.push_str("; ");
        self.setup.push_str(&set);
        Ok(())
    }
}

/// Connects, giving up after the connect timeout for each host: the postgres crate's own
/// timeout covers opening the socket, not a server that accepts and then never answers.
fn open(options: &ConnectOptions, tls: MakeTlsConnector) -> Result<Client> {
    let config = options.to_config();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        // The receiver is gone only when the caller has given up waiting.
        let _ = sender.send(config.connect(tls));
    });
    let result = match options.connect_timeout {
        Some(timeout) => {
            let hosts = u32::try_from(options.hosts.len()).unwrap_or(u32::MAX);
            receiver
                .recv_timeout(timeout.saturating_mul(hosts) + Duration::from_millis(500))
                .map_err(|_| None)
        }
        None => receiver.recv().map_err(|_| None),
    }
    .and_then(|r| r.map_err(Some));
    result.map_err(|e| connect_error(e.as_ref(), options))
}

/// libpq-style messages: `could not connect to server at 127.0.0.1:5999: Connection refused`.
fn connect_error(e: Option<&postgres::Error>, options: &ConnectOptions) -> Diagnostic {
    let (host, port) = &options.hosts[options.hosts.len() - 1];
    let target = match host {
        Host::Tcp(name) => format!("at {name}:{port}"),
        Host::Unix(dir) => format!(
            "on socket \"{}\"",
            dir.join(format!(".s.PGSQL.{port}")).display()
        ),
    };
    let reason = match e {
        None => "timeout expired".to_string(),
        Some(e)
            if e.source()
                .is_some_and(|s| s.to_string() == "password missing") =>
        {
            format!(
                "the server asks for a password for user \"{}\" and none was given \
                 (put it in the URL, PGPASSWORD or ~/.pgpass)",
                options.user
            )
        }
        Some(e) => error_chain(e),
    };
    Diagnostic::new(
        ErrorKind::Io,
        format!("could not connect to server {target}: {reason}"),
    )
}

/// The most useful text of a driver error: the server's message, the operating system's
/// reason (without its `(os error N)`), or the driver's description and its cause.
fn error_chain(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    match e.source() {
        Some(source) => {
            if let Some(io) = source.downcast_ref::<std::io::Error>() {
                let text = io.to_string();
                return match text.rfind(" (os error") {
                    Some(cut) => text[..cut].to_string(),
                    None => text,
                };
            }
            if let Some(param) = source.downcast_ref::<ParamError>() {
                return param.to_string();
            }
            format!("{e}: {source}")
        }
        None => e.to_string(),
    }
}

/// Whether a cached statement no longer matches its tables (`cached plan must not change
/// result type`) or no longer exists on the server.
fn is_stale(e: &postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        (db.code() == &SqlState::FEATURE_NOT_SUPPORTED && db.message().starts_with("cached plan"))
            || db.code() == &SqlState::INVALID_SQL_STATEMENT_NAME
    })
}

/// The server's message for a failed statement (`relation "x" does not exist`), with its
/// detail and hint as help, as the exception Django raises for it (see [`error_kind`]).
fn database_error(e: postgres::Error) -> Diagnostic {
    if e.is_closed() {
        return Diagnostic::new(
            ErrorKind::Operational,
            "the connection to the server was closed",
        );
    }
    let Some(db) = e.as_db_error() else {
        return Diagnostic::new(ErrorKind::Database, error_chain(&e));
    };
    let kind = error_kind(db.code());
    let diagnostic = Diagnostic::new(kind, db.message());
    let help: Vec<String> = [("DETAIL", db.detail()), ("HINT", db.hint())]
        .into_iter()
        .filter_map(|(label, text)| text.map(|t| format!("{label}: {t}")))
        .collect();
    if help.is_empty() {
        diagnostic
    } else {
        diagnostic.with_help(help.join("\n"))
    }
}

/// `sql` with each `$n` whose parameter has a literal ([`convert::literal`]) replaced by it,
/// as psycopg's client-side binding (Django's) sends the statement, and the 1-based character
/// `position` in `sql` moved to the same place in it.
fn inline_params(sql: &str, params: &[Value], position: usize) -> (String, usize) {
    let mut out = String::with_capacity(sql.len());
    let (mut chars, mut moved) = (0, position);
    let mut rest = sql;
    while let Some(at) = rest.find('$') {
        let digits = rest[at + 1..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        let literal = rest[at + 1..at + 1 + digits]
            .parse::<usize>()
            .ok()
            .and_then(|n| params.get(n.checked_sub(1)?))
            .and_then(convert::literal);
        let (before, placeholder) = (&rest[..at], &rest[at..at + 1 + digits]);
        out.push_str(before);
        chars += before.chars().count();
        let written = literal.as_deref().unwrap_or(placeholder);
        out.push_str(written);
        let (old, new) = (placeholder.chars().count(), written.chars().count());
        if position > chars + old {
            moved = moved + new - old;
        }
        chars += old;
        rest = &rest[at + 1 + digits..];
    }
    out.push_str(rest);
    (out, moved)
}

/// libpq's excerpt of `sql` at a server error's 1-based character `position`, which
/// psycopg's messages (and so Django's) carry after the server's: the statement's line with
/// the position, cut to 60 columns around it (`...` where cut), and a caret under it
/// (fe-protocol3.c's reportErrorPosition; every character one column wide). `None` past the
/// end.
fn error_position(sql: &str, position: usize) -> Option<String> {
    const DISPLAY_SIZE: usize = 60;
    const MIN_RIGHT_CUT: usize = 10;
    let loc = position.checked_sub(1)?;
    let chars: Vec<char> = sql
        .chars()
        .map(|c| if c == '\t' { ' ' } else { c })
        .collect();
    let (mut line, mut begin, mut end) = (1, 0, chars.len());
    for (i, &c) in chars.iter().enumerate() {
        if c == '\r' || c == '\n' {
            if i >= loc {
                end = i;
                break;
            }
            if c == '\r' || i == 0 || chars[i - 1] != '\r' {
                line += 1;
            }
            begin = i + 1;
        }
    }
    if loc > end {
        return None;
    }
    let (mut cut_begin, mut cut_end) = (false, false);
    if end - begin > DISPLAY_SIZE {
        if begin + DISPLAY_SIZE >= loc + MIN_RIGHT_CUT {
            end = begin + DISPLAY_SIZE;
            cut_end = true;
        } else {
            if loc + MIN_RIGHT_CUT < end {
                end = loc + MIN_RIGHT_CUT;
                cut_end = true;
            }
            if end - begin > DISPLAY_SIZE {
                begin = end - DISPLAY_SIZE;
                cut_begin = true;
            }
        }
    }
    let prefix = format!("LINE {line}: {}", if cut_begin { "..." } else { "" });
    let text: String = chars[begin..end].iter().collect();
    let caret = prefix.chars().count() + loc - begin;
    Some(format!(
        "{prefix}{text}{}\n{}^",
        if cut_end { "..." } else { "" },
        " ".repeat(caret)
    ))
}

/// The exception psycopg raises for a SQLSTATE, by its class (the first two characters, or
/// the first one for the F, H, P and X classes), which Django re-raises as its own: `42`
/// (syntax, unknown names, grouping) is a ProgrammingError, `23` an IntegrityError, `22` a
/// DataError, `08`, `53`, `57` and the like OperationalErrors.
fn error_kind(code: &SqlState) -> ErrorKind {
    let code = code.code();
    match code.get(..2).unwrap_or(code) {
        "0A" => ErrorKind::NotSupported,
        "10" | "20" | "21" | "26" | "34" | "3D" | "3F" | "42" | "44" => ErrorKind::Programming,
        "22" => ErrorKind::Data,
        "23" => ErrorKind::Integrity,
        "24" | "25" | "2B" | "2D" => ErrorKind::Internal,
        "08" | "27" | "28" | "2F" | "38" | "39" | "3B" | "40" | "53" | "54" | "55" | "57"
        | "58" => ErrorKind::Operational,
        _ => match code.get(..1) {
            Some("F" | "H") => ErrorKind::Operational,
            Some("P") => ErrorKind::Programming,
            Some("X") => ErrorKind::Internal,
            _ => ErrorKind::Database,
        },
    }
}
