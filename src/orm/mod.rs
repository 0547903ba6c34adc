//! Django's object layer on the Python runtime (`crate::py`): model classes, managers,
//! querysets, instances, related managers, `Q`/`F` and expressions, the deletion collector,
//! writes, fixtures, transactions and the query log.
//!
//! [`Orm`] is the runtime's [`Host`](crate::py::Host): the interpreter hands it every
//! Django object ([`Native`](crate::py::Native)s defined in [`obj`]) and every name Python
//! does not bind ([`host`]). [`Session`] is one shell session (REPL, `-c`, `-f`): an
//! interpreter with this host, whose variables persist across inputs.
//!
//! **Invariant:** Django's semantics live here, Python's in `crate::py`; the SQL comes from
//! `crate::query` (names and lookups resolved into the query IR) and `crate::sql`, rows from
//! `crate::backend`. [`queryset`] implements QuerySet/Manager methods on the query IR,
//! [`exec`] runs queries and turns rows into instances, [`display`] shows values in the
//! chosen format, [`transaction`] owns transactions and savepoints, [`fixtures`] loads and
//! dumps Django's JSON fixtures, [`explain`] shows query plans. [`classes`] runs each
//! models.py and gives its model classes their Python side (methods, properties, `save()`
//! and `delete()` overrides, which reach Django's own through `super()`); [`meta`] is
//! `_meta`, `__dict__` and `_state`; [`clean`] is `full_clean()` and `ValidationError`;
//! [`contenttypes`] is ContentType's manager and methods, [`generic`] generic relations,
//! [`hashers`] Django's password hasher (auth's user methods are its models.py's).

mod aggregate;
mod aggregate_class;
mod choices;
mod classes;
mod clean;
mod complex_filter;
mod composite;
mod contenttypes;
mod dates;
mod delete;
mod display;
mod exec;
mod explain;
mod extra;
mod fetch_mode;
mod filtered_relation;
mod fixtures;
mod fo_restriction;
mod for_update;
mod from_db;
mod functions;
mod generic;
mod generic_prefetch;
mod hashers;
mod help;
mod host;
mod in_bulk;
mod inherit;
mod log;
mod managers;
mod meta;
mod modules;
mod names;
pub mod obj;
mod order_wrt;
mod prefetch;
mod py_lookups;
mod queryset;
mod raw;
mod related;
mod repr;
pub mod statement_log;
mod taggit;
mod transaction;
mod tz;
mod update;
mod values_list;
mod window;
mod write;

use crate::backend::{Backend, Canceller};
use crate::diag::{Diagnostic, ErrorKind, Result};
pub use crate::py::{Obj, interrupt};
use crate::render::{Format, Style};
use crate::schema::Schema;
use crate::sql::{Dialect, Statement};
use crate::syntax::ast::{Stmt, StmtKind};
pub use exec::INSTANCE_METHODS;
pub use log::QueryLog;
pub use names::MODEL_ATTRIBUTES;
pub use queryset::{METHODS as QUERYSET_METHODS, Returns, returns};
pub use related::RELATED_METHODS;

use std::io::Write;

/// How results are shown.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub format: Format,
    pub style: Style,
    /// Show each query's SQL before its result (table/vertical formats), and how.
    pub show_sql: SqlEcho,
    /// After each statement, say how long it took (`\\timing`).
    pub timing: bool,
    /// The human formats show at most this many rows of a queryset, reading one more to
    /// say whether there are more (the shell's default is Django's repr size, 20).
    pub max_rows: Option<usize>,
    /// Compile and print SQL only; run nothing.
    pub sql_only: bool,
}

/// How the shell shows the SQL of each query before its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SqlEcho {
    Off,
    /// Parameters written into the SQL as literals (what a user can paste into a client).
    Inline,
    /// The SQL with its placeholders, then the parameters (what the driver receives).
    Params,
}

impl Options {
    /// For programs and tests: no colors, no SQL echo; queries run.
    pub fn plain(format: Format) -> Options {
        Options {
            format,
            style: Style::plain(),
            show_sql: SqlEcho::Off,
            timing: false,
            max_rows: None,
            sql_only: false,
        }
    }

    /// As [`Options::plain`], but compiling SQL only (`--sql-only`).
    pub fn sql_only(format: Format) -> Options {
        Options {
            sql_only: true,
            ..Options::plain(format)
        }
    }
}

/// One shell session: the Python interpreter with Django's object layer as its host.
pub type Session = crate::py::Interp<Orm>;

/// Django's object layer: the schema, the database and what a session keeps about them.
pub struct Orm {
    pub schema: Schema,
    pub dialect: Dialect,
    backend: Option<Box<dyn Backend>>,
    pub opts: Options,
    /// The statements run (with `sql_only`: that would run): how many, and the latest.
    pub log: QueryLog,
    /// Refuse every write (`--read-only`).
    pub read_only: bool,
    /// Open transaction and savepoints.
    tx: transaction::Transactions,
    /// The managers and querysets whose models.py methods are running, innermost last
    /// (`super()`).
    manager_models: Vec<crate::py::Obj>,
    /// The interactive shell's question before a `delete()` or `update()` runs: shown the
    /// summary of what would change, it says whether to go on.
    pub confirm: Option<Confirm>,
    /// Warn when a statement loads one relation row by row (the N+1 pattern); the shell
    /// turns it on.
    pub warn_n_plus_one: bool,
    /// Relations loaded one object at a time during the current top-level statement:
    /// `("Book.author", the fix)` and how often.
    lazy_loads: Vec<((String, String), usize)>,
    /// The last queryset shown only in part (`max_rows`), for [`Session::show_all`].
    truncated: Option<obj::QuerySet>,
    /// The models' Python classes and their models.py modules, once run ([`classes`]).
    python: classes::Python,
    /// The content types looked up so far ([`contenttypes`]).
    content_types: contenttypes::Cache,
    /// Bare model names two apps define whose shadowing was noticed (once a session).
    shadow_noticed: Vec<String>,
    /// The attributes of models.py's managers, set by their `__init__` and by assignments
    /// (`self.init_arg = arg`), by `(model, manager index)` ([`managers`]).
    manager_attrs: managers::Attributes,
    /// The lookups and transforms written in Python ([`py_lookups`]).
    py_lookups: py_lookups::State,
    /// The model classes and managers made so far ([`managers`]).
    made: managers::Made,
    /// The project's settings of plain data by name, as `django.conf.settings` shows them
    /// (empty outside a project).
    pub settings: Vec<(String, crate::py::Obj)>,
    /// The `DATABASES` alias opened (`connection.alias`).
    pub alias: String,
}

/// What a session variable holds, as far as completing `name.` cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VarKind {
    Model(crate::schema::ModelId),
    Manager(crate::schema::ModelId),
    /// A queryset of the model; `related` for a related manager (`author.books`).
    QuerySet {
        model: crate::schema::ModelId,
        related: bool,
    },
    Instance(crate::schema::ModelId),
    Other,
}

/// The names of builtins, functions, modules and exception classes in scope (for completion).
pub fn builtin_names() -> Vec<String> {
    let mut names = crate::py::builtins::builtin_names();
    names.extend(names::builtin_names());
    names
}

/// Asks the user whether a write may go on, shown what it would change.
pub type Confirm = Box<dyn FnMut(&str) -> bool>;

/// The error for running a query in a session without a database.
fn no_database() -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Io,
        "no database to run this on (pass a DATABASE, or use --sql-only)",
    )
}

impl Session {
    pub fn new(
        schema: Schema,
        backend: Option<Box<dyn Backend>>,
        dialect: Dialect,
        opts: Options,
        out: Box<dyn Write>,
    ) -> Session {
        let orm = Orm {
            schema,
            dialect,
            backend,
            opts,
            log: QueryLog::default(),
            read_only: false,
            tx: transaction::Transactions::default(),
            manager_models: Vec::new(),
            confirm: None,
            warn_n_plus_one: false,
            lazy_loads: Vec::new(),
            truncated: None,
            python: classes::Python::default(),
            content_types: contenttypes::Cache::default(),
            shadow_noticed: Vec::new(),
            manager_attrs: managers::Attributes::default(),
            py_lookups: py_lookups::State::default(),
            made: managers::Made::default(),
            settings: Vec::new(),
            alias: "default".into(),
        };
        let mut session = crate::py::Interp::with_host(orm, out);
        session.register_models_lookups();
        session
    }

    pub fn backend_description(&self) -> String {
        self.host.backend.as_ref().map_or_else(
            || format!("no database ({} SQL)", self.host.dialect.name()),
            |b| b.describe(),
        )
    }

    /// Each variable defined in the session with what it holds (for completion).
    pub fn variable_kinds(&self) -> Vec<(String, VarKind)> {
        self.globals()
            .map(|(name, obj)| {
                let kind = match obj {
                    o if let Some(m) = o.native::<obj::ModelClass>() => VarKind::Model(m.0),
                    o if let Some(m) = o.native::<obj::Manager>() => VarKind::Manager(m.0),
                    o if let Some(qs) = o.native::<obj::QuerySet>() => VarKind::QuerySet {
                        model: qs.query.model,
                        related: qs.related.is_some(),
                    },
                    o if let Some(i) = o.native::<obj::Instance>() => VarKind::Instance(i.model),
                    _ => VarKind::Other,
                };
                (name.clone(), kind)
            })
            .collect()
    }

    /// Parse and run `src`, showing the value of each expression statement as the shell
    /// does; the first error stops the run.
    pub fn run(&mut self, src: &str) -> Result<()> {
        self.run_program(src, true)
    }

    /// Parse and run `src` as Python runs a script file: expression statements show nothing
    /// (only `print` writes); the first error stops the run.
    pub fn run_script(&mut self, src: &str) -> Result<()> {
        self.run_program(src, false)
    }

    fn run_program(&mut self, src: &str, echo: bool) -> Result<()> {
        let program = crate::syntax::parse_program(src)?;
        crate::py::clear_interrupt();
        for stmt in &program.body {
            self.host.log.release_held();
            self.host.lazy_loads.clear();
            let res = self.exec_top(stmt, echo);
            self.warn_about_lazy_loads()?;
            if self.host.opts.sql_only {
                self.flush_sql_only()?;
            }
            if res.is_err() {
                // What was shown before the error belongs before its message.
                self.flush()?;
            }
            res?;
        }
        self.flush()?;
        Ok(())
    }

    fn exec_top(&mut self, stmt: &Stmt, echo: bool) -> Result<()> {
        match &stmt.kind {
            StmtKind::Expr(e) if !echo => self.eval(e).map(|_| ()),
            StmtKind::Expr(e) => match self.eval_displayed(e)? {
                // Like Python's shell, the human formats do not echo None; JSON shows null.
                Some(v)
                    if v.is_none()
                        && !matches!(self.host.opts.format, Format::Json | Format::Ndjson) =>
                {
                    Ok(())
                }
                Some(v) => {
                    // Python's shell binds `_` to the last value it showed.
                    self.set_global("_", v.clone());
                    self.display(&v, e).map_err(|d| d.at(e.span))
                }
                None => Ok(()),
            },
            _ => {
                let flow = self.exec(stmt)?;
                crate::py::stmt::misplaced(&flow, stmt.span).map_or(Ok(()), Err)
            }
        }
    }

    /// Record a statement about to run (or, with `--sql-only`, that would run: held in the
    /// log as the output of the top-level statement running).
    fn note_statement(&mut self, st: Statement) {
        statement_log::append(&st, self.host.dialect);
        if self.host.opts.sql_only {
            self.host.log.push_held(st);
        } else {
            self.host.log.push(st);
        }
    }

    /// Note a query that loaded relation `label` (`Book.author`) for one object; `fix` is
    /// what would load it for all at once (`select_related('author')`).
    fn note_lazy_load(&mut self, label: String, fix: String) {
        let key = (label, fix);
        match self.host.lazy_loads.iter_mut().find(|(k, _)| *k == key) {
            Some((_, n)) => *n += 1,
            None => self.host.lazy_loads.push((key, 1)),
        }
    }

    /// The N+1 warning: a relation loaded object by object more than once in one statement.
    fn warn_about_lazy_loads(&mut self) -> Result<()> {
        let loads = std::mem::take(&mut self.host.lazy_loads);
        if !self.host.warn_n_plus_one {
            return Ok(());
        }
        self.flush()?;
        for ((label, fix), n) in loads.into_iter().filter(|(_, n)| *n > 1) {
            eprintln!(
                "warning: N+1 queries: {label} was loaded one object at a time, {n} queries; add .{fix} to the queryset"
            );
        }
        Ok(())
    }

    fn flush_sql_only(&mut self) -> Result<()> {
        let (opts, dialect) = (self.host.opts, self.host.dialect);
        let (log, out) = (&self.host.log, &mut self.out);
        let written = if log.held().next().is_none() {
            Ok(())
        } else if matches!(opts.format, Format::Json | Format::Ndjson) {
            crate::render::json::write_statements(out, log.held())
        } else {
            log.held().try_for_each(|s| {
                let sql = crate::render::sql::sql_inline(&s.sql, &s.params, dialect);
                writeln!(
                    out,
                    "{};",
                    crate::render::sql::highlight_sql(&sql, opts.style)
                )
                .map_err(crate::render::io_error)
            })
        };
        self.host.log.release_held();
        written
    }
}

impl Session {
    /// What cancels the query this session is running, from another thread (Ctrl-C): take
    /// it once, before running anything. `None` without a database or when it cannot cancel.
    pub fn canceller(&self) -> Option<Canceller> {
        self.host.backend.as_ref()?.canceller()
    }
}
