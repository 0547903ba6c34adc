//! Call arguments after evaluation, as native functions and methods receive them.

use super::obj::Obj;
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::syntax::ast::{Expr, ExprKind};
use crate::value::Value;

/// Call arguments after evaluation, with the spans errors point at.
#[derive(Clone)]
pub struct Args {
    pub pos: Vec<(Obj, Span)>,
    /// `(name, value, span of the whole keyword argument)`
    pub kw: Vec<(String, Obj, Span)>,
    /// The span of the call.
    pub span: Span,
}

impl Args {
    pub fn kwarg(&self, name: &str) -> Option<&Obj> {
        self.kw
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, v, _)| v)
    }

    pub fn no_kwargs_except(&self, allowed: &[&str], func: &str) -> Result<()> {
        for (n, _, span) in &self.kw {
            if !allowed.contains(&n.as_str()) {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("{func}() got an unexpected keyword argument '{n}'"),
                )
                .at(*span));
            }
        }
        Ok(())
    }

    /// Positional arguments that must all be strings (field names).
    pub fn strings(&self, func: &str) -> Result<Vec<(String, Span)>> {
        self.pos
            .iter()
            .map(|(o, span)| match o {
                Obj::Value(Value::Text(s)) => Ok((s.clone(), *span)),
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "{func}() arguments must be strings, not {}",
                        other.type_name()
                    ),
                )
                .at(*span)),
            })
            .collect()
    }
}

/// An expression standing for a span (for errors raised outside any real node).
pub fn dummy(span: Span) -> Expr {
    Expr {
        kind: ExprKind::None,
        span,
    }
}
