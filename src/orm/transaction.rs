//! Transactions: the one owner of BEGIN, SAVEPOINT, COMMIT and ROLLBACK in a session.
//!
//! [`Session::atomic`] is Django's `transaction.atomic()`: the outermost level opens a
//! transaction, nested levels are savepoints; a level commits (releases) when its body
//! succeeds and rolls back when an error escapes it, the error passing on. `with
//! transaction.atomic():`, scripts (atomic by default), `bulk_create` and multi-statement
//! writes all go through it; `--rollback` uses [`Session::rolled_back`].
//!
//! Django scripts run in autocommit, where a failed statement is rolled back alone. Inside
//! djq's transaction a failed statement aborts the whole transaction on PostgreSQL, so while
//! a `try` runs its body ([`Session::catching`]), each database call made
//! through [`Session::on_backend`] runs in a savepoint of its own: a caught error then undoes
//! only that statement, as in Django. Savepoints are bookkeeping: they are not in the
//! session's `log`, nor shown by `--sql-only` or the SQL echo.

use super::Session;
use crate::backend::{Backend, Savepoint};
use crate::diag::Result;

/// The transaction state of a session.
#[derive(Debug, Default)]
pub(super) struct Transactions {
    /// Open atomic levels: 0 in autocommit, 1 in a transaction, more with savepoints.
    depth: usize,
    /// A `try` body is running, outside any atomic block of its own: each statement runs in
    /// a savepoint.
    catching: bool,
}

impl Transactions {
    /// Run one database statement on `backend`. Inside a transaction, while a `try` body
    /// runs, the statement gets a savepoint of its own, rolled back if it fails.
    pub(super) fn statement<T>(
        &self,
        backend: Option<&mut (dyn Backend + 'static)>,
        f: impl FnOnce(&mut dyn Backend) -> Result<T>,
    ) -> Result<T> {
        let backend = backend.ok_or_else(super::no_database)?;
        if !(self.catching && self.depth > 0) {
            return f(backend);
        }
        let name = savepoint_name(self.depth + 1);
        backend.savepoint(Savepoint::Create(&name))?;
        match f(backend) {
            Ok(v) => backend.savepoint(Savepoint::Release(&name)).map(|()| v),
            Err(e) => {
                let _ = backend
                    .savepoint(Savepoint::RollbackTo(&name))
                    .and_then(|()| backend.savepoint(Savepoint::Release(&name)));
                Err(e)
            }
        }
    }
}

/// How the outermost level ends when its body succeeds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum End {
    Commit,
    Rollback,
}

/// The savepoint name of atomic level `level` (2 and up).
fn savepoint_name(level: usize) -> String {
    format!("djq_s{level}")
}

impl Session {
    /// Django's `transaction.atomic()`: run `f` in a transaction (savepoint when nested);
    /// commit when it succeeds, roll back when it fails and pass its error on. Without a
    /// database or with `--sql-only`, just run `f`.
    pub fn atomic<T>(&mut self, f: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        self.transaction(End::Commit, f)
    }

    /// Run `f` in a transaction that is rolled back however `f` ends (`--rollback`).
    pub fn rolled_back<T>(&mut self, f: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        self.transaction(End::Rollback, f)
    }

    /// Whether a transaction is open (statements do not autocommit).
    pub fn in_transaction(&self) -> bool {
        self.host.tx.depth > 0
    }

    fn transaction<T>(&mut self, end: End, f: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        if self.host.opts.sql_only || self.host.backend.is_none() {
            return f(self);
        }
        let level = self.host.tx.depth + 1;
        let name = savepoint_name(level);
        self.control(|b| match level {
            1 => b.begin(),
            _ => b.savepoint(Savepoint::Create(&name)),
        })?;
        self.host.tx.depth = level;
        let catching = std::mem::replace(&mut self.host.tx.catching, false);
        let result = f(self);
        self.host.tx.catching = catching;
        self.host.tx.depth = level - 1;
        let rollback = |b: &mut dyn Backend| match level {
            1 => b.rollback(),
            _ => b
                .savepoint(Savepoint::RollbackTo(&name))
                .and_then(|()| b.savepoint(Savepoint::Release(&name))),
        };
        match result {
            Ok(v) if end == End::Commit => {
                let done = self.control(|b| match level {
                    1 => b.commit(),
                    _ => b.savepoint(Savepoint::Release(&name)),
                });
                if let Err(e) = done {
                    // SQLite keeps a transaction whose COMMIT failed (a deferred foreign key)
                    // open; PostgreSQL has ended it and only warns.
                    let _ = self.control(rollback);
                    return Err(e);
                }
                Ok(v)
            }
            Ok(v) => self.control(rollback).map(|()| v),
            Err(e) => {
                // The body's error is the one to report; a rollback failing after it (the
                // database ended the transaction itself) adds nothing.
                let _ = self.control(rollback);
                Err(e)
            }
        }
    }

    /// Run `f` (a `try` body) so that a database error it raises leaves the open
    /// transaction usable for the handler that catches it, or the `finally` block.
    pub(super) fn catching<T>(&mut self, f: impl FnOnce(&mut Session) -> Result<T>) -> Result<T> {
        let outer = std::mem::replace(&mut self.host.tx.catching, true);
        let result = f(self);
        self.host.tx.catching = outer;
        result
    }

    /// Run one database statement: the way the interpreter reaches the backend (see
    /// [`Transactions::statement`]).
    pub(super) fn on_backend<T>(
        &mut self,
        f: impl FnOnce(&mut dyn Backend) -> Result<T>,
    ) -> Result<T> {
        self.host.tx.statement(self.host.backend.as_deref_mut(), f)
    }

    /// Run a transaction-control call (never logged).
    fn control(&mut self, f: impl FnOnce(&mut dyn Backend) -> Result<()>) -> Result<()> {
        match self.host.backend.as_deref_mut() {
            Some(b) => f(b),
            None => Ok(()),
        }
    }
}
