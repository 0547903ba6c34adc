//! `QuerySet.select_for_update(nowait=False, skip_locked=False, of=(), no_key=False)`:
//! PostgreSQL's `FOR [NO KEY] UPDATE [NOWAIT | SKIP LOCKED]` (SQLite has no such clause and
//! Django leaves it out), and Django's `TransactionManagementError` when such a queryset is
//! evaluated outside a transaction (djq runs scripts in one unless `--no-atomic`).

use super::Session;
use super::obj::QuerySet;
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::{Args, Obj};
use crate::sql::Dialect;
use crate::value::Value;

/// The parameters, in Django's order.
const PARAMS: [&str; 4] = ["nowait", "skip_locked", "of", "no_key"];

impl Session {
    /// `qs.select_for_update(...)`.
    pub(super) fn select_for_update(&mut self, qs: &mut QuerySet, args: &Args) -> Result<()> {
        let name = "QuerySet.select_for_update";
        args.no_kwargs_except(&PARAMS, name)?;
        if args.pos.len() > PARAMS.len() {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "{name}() takes from 1 to 5 positional arguments but {} were given",
                    args.pos.len() + 1
                ),
            )
            .at(args.span));
        }
        let arg = |key: &str| {
            let i = PARAMS.iter().position(|p| *p == key).expect("a parameter");
            (args.pos.get(i).map(|(o, _)| o)).or_else(|| args.kwarg(key))
        };
        let truthy = |key: &str| match arg(key) {
            None | Some(Obj::Value(Value::Null | Value::Bool(false))) => false,
            Some(Obj::Value(Value::Int(0))) => false,
            Some(_) => true,
        };
        let (nowait, skip_locked, no_key) =
            (truthy("nowait"), truthy("skip_locked"), truthy("no_key"));
        if nowait && skip_locked {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "The nowait option cannot be used with skip_locked.",
            )
            .at(args.span));
        }
        let of_given = match arg("of") {
            None => false,
            Some(Obj::Tuple(t)) => !t.is_empty(),
            Some(Obj::List(l)) => !l.borrow().is_empty(),
            Some(_) => true,
        };
        if of_given {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "select_for_update(of=...) is not supported by djq yet",
            )
            .at(args.span));
        }
        qs.query.select_for_update = true;
        qs.query.for_update = crate::query::ForUpdate {
            nowait,
            skip_locked,
            no_key,
        };
        Ok(())
    }

    /// Django's check when a `select_for_update()` queryset is compiled on a backend that
    /// locks rows: it needs a transaction.
    pub(super) fn check_for_update(&self, qs: &QuerySet) -> Result<()> {
        if qs.query.select_for_update
            && !qs.query.subquery
            && self.host.dialect == Dialect::Postgres
            && self.host.backend.is_some()
            && !self.host.opts.sql_only
            && !self.in_transaction()
        {
            return Err(Diagnostic::new(
                ErrorKind::Python("TransactionManagementError".into()),
                "select_for_update cannot be used outside of a transaction.",
            ));
        }
        Ok(())
    }
}
