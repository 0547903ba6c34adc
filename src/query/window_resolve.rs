//! `Window(...)` resolved into the query IR (the types are in `window`).

use super::Query;
use super::expr::Expr;
use super::filter::FExpr;
use super::window::{Frame, WindowFunc, WindowOrder};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::schema::Schema;

impl Query {
    /// `Window(...)` resolved: the source must be window-compatible (an aggregate or a window
    /// function), as Django's `Window.__init__` checks.
    pub(super) fn resolve_window(
        &mut self,
        schema: &Schema,
        expr: &FExpr,
        partition_by: &[FExpr],
        order_by: &[FExpr],
        frame: Option<Frame>,
        span: Span,
    ) -> Result<Expr> {
        let source = match expr {
            FExpr::Aggregate { .. } => self.resolve_f(schema, expr, None)?,
            FExpr::WindowFunc { func, args, .. } => {
                self.resolve_window_func(schema, *func, args)?
            }
            _ => return Err(incompatible(expr).at(span)),
        };
        let partition_by = partition_by
            .iter()
            .map(|p| self.resolve_f(schema, p, None))
            .collect::<Result<Vec<_>>>()?;
        let mut order = Vec::with_capacity(order_by.len());
        for o in order_by {
            order.push(match o {
                FExpr::OrderBy {
                    expr,
                    descending,
                    nulls,
                    ..
                } => WindowOrder {
                    expr: self.resolve_f(schema, expr, None)?,
                    descending: Some(*descending),
                    nulls: *nulls,
                },
                other => WindowOrder {
                    expr: self.resolve_f(schema, other, None)?,
                    descending: None,
                    nulls: None,
                },
            });
        }
        if let Some(fr) = frame {
            fr.check()
                .map_err(|m| Diagnostic::new(ErrorKind::Value, m).at(span))?;
        }
        Ok(Expr::Window {
            source: Box::new(source),
            partition_by,
            order_by: order,
            frame,
        })
    }

    /// A window function's arguments resolved.
    fn resolve_window_func(
        &mut self,
        schema: &Schema,
        func: WindowFunc,
        args: &[FExpr],
    ) -> Result<Expr> {
        let args = args
            .iter()
            .map(|a| self.resolve_f(schema, a, None))
            .collect::<Result<Vec<_>>>()?;
        let output = func.output(args.first().map(Expr::value_type));
        Ok(Expr::WindowFunc { func, args, output })
    }
}

/// Django's `Window.__init__` ValueError for a source that has no OVER clause.
pub fn incompatible(expr: &FExpr) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Value,
        format!(
            "Expression '{}' isn't compatible with OVER clauses.",
            expr.class_name()
        ),
    )
}
