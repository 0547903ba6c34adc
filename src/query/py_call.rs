//! Lookups and transforms written in Python, in the query IR (the bridge to the object
//! layer's classes).
//!
//! A name registered from Python (`crate::schema::py_lookups`) resolves to a [`PyCall`]
//! node: the registered class (by its [`ClassId`]) and its arguments — a transform's input,
//! a lookup's two sides (each side may itself be a `PyCall`, as `self.lhs.lhs` reaches the
//! transform under a lookup). The node is kept as it is through the query's life (relabeled,
//! nested in subqueries like any expression); when the SQL writer meets it, it asks the
//! object layer, through [`PySql`], for the node's SQL — the class's `as_sql(compiler,
//! connection)` (or `as_<vendor>`) run with a `compiler` whose `compile(node)` and
//! `process_lhs`/`process_rhs` give each argument as `%s` with the argument itself as its
//! parameter. What comes back is a [`Template`]: SQL in Django's format style, each `%s`
//! the next argument (a value is bound, an expression is written in place), `%%` a `%`. So
//! the class's string formatting never sees the arguments' real SQL, and the arguments
//! keep the aliases the writer gives them.
//!
//! Anything else that asks Python for SQL with `as_sql(compiler, connection)` (a
//! ForeignObject's `get_extra_restriction()`) can hold a `PyCall` the same way.

use crate::diag::Result;
use crate::schema::py_lookups::ClassId;
use crate::value::ValueType;

/// A Python lookup or transform in the query: `class(*args)`, whose arguments are the
/// query's expressions (`E`, [`super::Expr`]).
#[derive(Debug, Clone, PartialEq)]
pub struct PyCall<E> {
    pub class: ClassId,
    /// A `Lookup` (args: lhs, rhs; a condition) rather than a `Transform` (args: its input).
    pub lookup: bool,
    pub args: Vec<E>,
    /// What its values are (a lookup's: booleans).
    pub output: ValueType,
}

/// The condition a `ForeignObject` subclass adds to its joins (Django's
/// `get_extra_restriction(alias, related_alias)`): the method of `class` (a class of
/// `model`'s models.py), asked for through [`PySql::extra_restriction`] when the join is
/// written, with its aliases.
#[derive(Debug, Clone, PartialEq)]
pub struct PyRestriction {
    pub model: crate::schema::ModelId,
    pub class: super::Sym,
}

/// The SQL a Python class gave: Django's format style, each `%s` the next of `args`.
#[derive(Debug, Clone, PartialEq)]
pub struct Template<E> {
    pub sql: String,
    pub args: Vec<E>,
}

/// What writes a [`PyCall`]'s SQL (the object layer, which runs the class's Python).
pub trait PySql<E> {
    fn as_sql(&mut self, call: &PyCall<E>) -> Result<Template<E>>;

    /// The SQL of the condition a `ForeignObject` subclass adds to a join
    /// (`get_extra_restriction(alias, related_alias)`, then its `as_sql`); `None` when the
    /// method returns None.
    fn extra_restriction(
        &mut self,
        _r: &PyRestriction,
        _alias: &str,
        _related_alias: &str,
    ) -> Result<Option<Template<E>>> {
        Err(crate::diag::Diagnostic::new(
            crate::diag::ErrorKind::NotSupported,
            "a ForeignObject joining by its own get_extra_restriction() is not supported by djq in this statement yet",
        ))
    }
}

/// The writer's [`PySql`] when the session has no Python lookups (nothing to call).
pub struct NoPython;

impl<E> PySql<E> for NoPython {
    fn as_sql(&mut self, _call: &PyCall<E>) -> Result<Template<E>> {
        Err(crate::diag::Diagnostic::new(
            crate::diag::ErrorKind::NotSupported,
            "a lookup written in Python is not supported by djq in this statement yet",
        ))
    }
}
