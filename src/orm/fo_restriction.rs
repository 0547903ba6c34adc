//! The condition a `ForeignObject` subclass adds to its joins: Django's
//! `get_extra_restriction(alias, related_alias)`, defined in models.py.
//!
//! A join across such a relation carries a [`PyRestriction`] (its class, by name in its
//! model's models.py); when the SQL writer writes the join it asks the session (the
//! Python-SQL bridge, `super::py_lookups`) for the condition: the class's method run with the
//! join's final aliases, and what it returns compiled as Django's compiler does
//! (`as_<vendor>()` or `as_sql(compiler, connection)`), ANDed to the ON clause in
//! parentheses; `None` adds nothing. The method runs on the class (`self` is None): djq has
//! no instance of a field class derived from Django's, so a method reading `self` fails with
//! Python's AttributeError.

use super::Session;
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Obj};
use crate::query::Expr;
use crate::query::py_call::PyRestriction;
use crate::query::py_call::Template;

impl Session {
    /// Whether this session's SQL may need Python: lookups registered from Python, or a
    /// `ForeignObject` whose joins ask its class for a condition.
    pub(super) fn writes_python(&self) -> bool {
        let schema = &self.host.schema;
        !schema.py_lookups.is_empty() || schema.restricted_joins
    }

    /// The SQL of `r`'s `get_extra_restriction(alias, related_alias)`; `None` when it
    /// returns None.
    pub(super) fn extra_restriction_sql(
        &mut self,
        r: &PyRestriction,
        alias: &str,
        related_alias: &str,
    ) -> Result<Option<Template<Expr>>> {
        let class = (self.model_module(r.model))
            .and_then(|scope| scope.names.borrow().get(&*r.class).cloned())
            .ok_or_else(|| {
                Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "{}: djq cannot run models.py's class {} for its get_extra_restriction()",
                        self.host.schema.model(r.model).name,
                        &*r.class
                    ),
                )
            })?;
        let method = self.attribute(class, "get_extra_restriction", Span::default())?;
        let args = Args {
            pos: [Obj::NONE, Obj::str(alias), Obj::str(related_alias)]
                .into_iter()
                .map(|o| (o, Span::default()))
                .collect(),
            kw: Vec::new(),
            span: Span::default(),
        };
        let made = self.call(method, args)?;
        if made.is_none() {
            return Ok(None);
        }
        self.template_of(&made).map(Some)
    }
}
