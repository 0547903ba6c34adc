//! Aggregation in the interpreter: `Count('books', distinct=True, filter=Q(...))` and the
//! other aggregate classes, and the QuerySet methods `annotate()`, `alias()` and
//! `aggregate()` (which runs its query and returns a dict, as Django's does).

use super::Session;
use super::obj::DjangoObj;
use super::obj::{QsKind, QuerySet};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Args;
use crate::py::Obj;
use crate::query::FExpr;
use crate::query::annotate::Aggregation;
use crate::query::expr::AggFunc;
use crate::value::Value;

impl Session {
    /// `Count(expr, distinct=, filter=, default=)` and siblings (`sample=` for StdDev and
    /// Variance) as an expression.
    pub(super) fn aggregate_expr(&mut self, func: AggFunc, args: &Args) -> Result<FExpr> {
        let span = args.span;
        let name = func.name();
        args.no_kwargs_except(
            &["distinct", "filter", "default", "sample", "output_field"],
            name,
        )?;
        let arg = match args.pos.as_slice() {
            [(Obj::Value(Value::Text(s)), _)] if s == "*" && func == AggFunc::Count => None,
            // A literal is a Value, as Django's `_parse_expressions` makes it: `Count(5)`.
            [(o, s)] => Some(Box::new(super::functions::operand(o, *s, name)?)),
            _ => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "{name}() takes exactly 1 argument ({} given)",
                        args.pos.len()
                    ),
                )
                .at(span));
            }
        };
        let flag = |k: &str| matches!(args.kwarg(k), Some(Obj::Value(Value::Bool(true))));
        let filter = match args.kwarg("filter") {
            None | Some(Obj::Value(Value::Null)) => None,
            Some(o) if let Some(q) = o.q() => Some(q.clone()),
            Some(other) => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("filter= expects a Q object, not {}", other.type_name()),
                )
                .at(span));
            }
        };
        if arg.is_none() && filter.is_some() {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "Star cannot be used with filter. Please specify a field.",
            )
            .at(span));
        }
        let default = match args.kwarg("default") {
            None | Some(Obj::Value(Value::Null)) => None,
            Some(_) if func == AggFunc::Count => {
                return Err(
                    Diagnostic::new(ErrorKind::Type, "Count does not allow default.").at(span),
                );
            }
            Some(o) if let Some(f) = o.f() => Some(Box::new(f.clone())),
            // The default takes the aggregate's output type (Avg's 0 is 0.0).
            Some(Obj::Value(Value::Int(i)))
                if matches!(
                    func,
                    AggFunc::Avg | AggFunc::StdDev { .. } | AggFunc::Variance { .. }
                ) =>
            {
                Some(Box::new(FExpr::Value(Value::Float(*i as f64))))
            }
            Some(Obj::Value(v)) => Some(Box::new(FExpr::Value(v.clone()))),
            Some(other) => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "default= expects a value or an expression, not {}",
                        other.type_name()
                    ),
                )
                .at(span));
            }
        };
        let func = match func {
            AggFunc::StdDev { .. } => AggFunc::StdDev {
                sample: flag("sample"),
            },
            AggFunc::Variance { .. } => AggFunc::Variance {
                sample: flag("sample"),
            },
            f => f,
        };
        Ok(FExpr::Aggregate {
            func,
            arg,
            distinct: flag("distinct"),
            filter,
            default,
            span,
        })
    }

    /// `annotate(*exprs, **named)` (`select`) or `alias(**named)`.
    pub(super) fn annotate(&mut self, qs: &mut QuerySet, args: &Args, select: bool) -> Result<()> {
        let method = if select { "annotate" } else { "alias" };
        for (name, expr, span) in self.named_expressions(args, method, "annotations")? {
            qs.query
                .add_annotation(&self.host.schema, &name, &expr, select)
                .map_err(|d| d.at(span))?;
        }
        qs.query.group_for_aggregate();
        Ok(())
    }

    /// `aggregate(*exprs, **named)`: runs the aggregation, returns `{name: value}`.
    pub(super) fn aggregate(&mut self, qs: &QuerySet, args: &Args) -> Result<Obj> {
        let mut named = self.named_expressions(args, "aggregate", "aggregates")?;
        // Django's aggregate() adds the positional ones to the keyword ones: keywords first.
        let positional = args.pos.len();
        named.rotate_left(positional);
        let aggs: Vec<(String, FExpr)> = named
            .iter()
            .map(|(n, e, _)| (n.clone(), e.clone()))
            .collect();
        let aggregation = qs
            .query
            .aggregation(&self.host.schema, &aggs)
            .map_err(|d| d.at(args.span))?;
        let row = match aggregation {
            Aggregation::Flat(query) => self
                .fetch_all(&QuerySet::new(query, QsKind::Values))
                .map_err(|d| d.at(args.span))?
                .into_iter()
                .next(),
            Aggregation::Nested { inner, aggs } => self
                .fetch_aggregate_over(&inner, &aggs)
                .map_err(|d| d.at(args.span))?,
        };
        Ok(match row {
            Some(dict) => dict,
            // Nothing ran (an empty queryset): Count is 0, the others None.
            None => Obj::dict(
                named
                    .iter()
                    .map(|(n, e, _)| {
                        let zero = matches!(
                            e,
                            FExpr::Aggregate {
                                func: AggFunc::Count,
                                ..
                            }
                        );
                        (
                            Obj::str(n.clone()),
                            if zero { Obj::int(0) } else { Obj::NONE },
                        )
                    })
                    .collect(),
            ),
        })
    }

    /// Positional expressions named by their default alias, then keyword ones.
    fn named_expressions(
        &self,
        args: &Args,
        method: &str,
        what: &str,
    ) -> Result<Vec<(String, FExpr, Span)>> {
        let mut out = Vec::new();
        for (o, span) in &args.pos {
            let Some(f) = o.f() else {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "QuerySet.{method}() received non-expression(s): {}.",
                        crate::value::python_repr(&match o {
                            Obj::Value(v) => v.clone(),
                            _ => Value::Text(o.type_name()),
                        })
                    ),
                )
                .at(*span));
            };
            let Some(alias) = f.default_alias() else {
                let complex = if what == "aggregates" {
                    "aggregates"
                } else {
                    "annotations"
                };
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("Complex {complex} require an alias"),
                )
                .at(*span));
            };
            out.push((alias, f.clone(), *span));
        }
        if what == "annotations"
            && let Some((name, ..)) = out
                .iter()
                .find(|(n, ..)| args.kw.iter().any(|(k, ..)| k == n))
        {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                format!(
                    "The named annotation '{name}' conflicts with the default name for another annotation."
                ),
            )
            .at(args.span));
        }
        for (name, o, span) in &args.kw {
            let expr = match o {
                o if let Some(f) = o.f() => f.clone(),
                o if let Some(q) = o.q() => FExpr::Condition(q.clone()),
                other => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!(
                            "QuerySet.{method}() received non-expression(s): {}.",
                            crate::value::python_repr(&match other {
                                Obj::Value(v) => v.clone(),
                                _ => Value::Text(other.type_name()),
                            })
                        ),
                    )
                    .at(*span));
                }
            };
            out.push((name.clone(), expr, *span));
        }
        Ok(out)
    }
}
