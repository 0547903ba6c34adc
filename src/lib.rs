//! djq — a native shell for Django's ORM.
//!
//! # Architecture
//!
//! One pipeline, each stage in its own module, each concept with one owner:
//!
//! ```text
//! source ──syntax──▶ AST ──py + orm──▶ QuerySet values ──query──▶ Query IR ──sql──▶ SQL + params
//!                                        ▲                                            │
//!                       schema (introspection + models.py)                  backend (run, typed rows)
//!                                                                                     │
//!                                                                         render (table/json/csv)
//! ```
//!
//! - [`syntax`]: source text → AST with spans (a nom lexer, a hand-written recursive-descent
//!   parser). Knows nothing of Django.
//! - [`schema`]: models, fields and relations, from database introspection plus `models.py`.
//! - [`query`]: Django's query semantics — resolves names, lookups and relations into a
//!   [`query::Query`] IR (joins, where tree, ordering, limits) exactly as Django's `Query` does.
//! - [`sql`]: compiles the IR into SQL text and bound parameters; dialect differences live in
//!   [`sql::dialect`] only.
//! - [`backend`]: connections; runs SQL and streams typed rows.
//! - [`render`]: tables, vertical, JSON/NDJSON/CSV, SQL display, diagnostics with carets.
//! - [`py`]: the Python subset as a language (values, statements, builtins, exceptions); it
//!   knows nothing of Django and reaches Django's objects through its [`py::Host`] trait.
//! - [`orm`]: Django's object layer as that host: model classes, managers, querysets,
//!   instances, writes, fixtures, transactions; [`orm::Session`] is one session.
//! - [`project`]: a Django project opened as `manage.py shell` opens it: `manage.py` and the
//!   settings module found, settings run by [`py`] (with `dj_database_url` and `environ` as
//!   native modules), `DATABASES` opened, `INSTALLED_APPS`' models read.
//! - [`shell`]: the interactive REPL.
//! - [`cli`]: command-line arguments; `main.rs` only calls [`cli::main`].
//! - [`tz`]: the project's `TIME_ZONE`/`USE_TZ` ([`tz::TzConfig`], carried by the schema)
//!   and Django's conversions with them.
//! - [`alloc`]: the process's allocator (mimalloc) and its settings.

pub mod alloc;
pub mod backend;
pub mod cli;
pub mod diag;
pub mod orm;
pub mod project;
pub mod py;
pub mod query;
pub mod render;
pub mod schema;
pub mod shell;
pub mod sql;
pub mod syntax;
pub mod tz;
pub mod value;
