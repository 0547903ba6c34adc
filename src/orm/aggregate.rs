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
use crate::query::agg_options::AggOptions;
use crate::query::annotate::Aggregation;
use crate::query::expr::AggFunc;
use crate::value::Value;
use std::borrow::Cow;

impl Session {
    /// `Count(expr, distinct=, filter=, default=)` and siblings (`sample=` for StdDev and
    /// Variance) as an expression.
    pub(super) fn aggregate_expr(&mut self, func: AggFunc, args: &Args) -> Result<FExpr> {
        let span = args.span;
        let name = func.name();
        args.no_kwargs_except(
            &[
                "distinct",
                "filter",
                "default",
                "sample",
                "output_field",
                "order_by",
                "function",
                "delimiter",
            ],
            name,
        )?;
        let (options, kept) = agg_options(func, args)?;
        let pos = &args.pos[..kept];
        let arg = match pos {
            [(Obj::Value(Value::Text(s)), _)] if s == "*" && func == AggFunc::Count => None,
            // A literal is a Value, as Django's `_parse_expressions` makes it: `Count(5)`.
            [(o, s)] => Some(Box::new(super::functions::operand(o, *s, name)?)),
            _ => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("{name}() takes exactly 1 argument ({} given)", pos.len()),
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
        // Django's `Aggregate.__init__`: the classes' allow_distinct and allow_order_by.
        let distinct = flag("distinct");
        if distinct && !func.allows_distinct() {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!("{name} does not allow distinct."),
            )
            .at(span));
        }
        Ok(FExpr::Aggregate {
            func,
            arg,
            distinct,
            filter,
            default,
            span,
            options: Box::new(options),
        })
    }

    /// `annotate(*exprs, **named)` (`select`) or `alias(**named)`.
    pub(super) fn annotate(&mut self, qs: &mut QuerySet, args: &Args, select: bool) -> Result<()> {
        let method = if select { "annotate" } else { "alias" };
        let rest;
        let args = if (args.kw.iter()).any(|(_, o, _)| {
            o.native::<super::filtered_relation::FilteredRelation>()
                .is_some()
        }) {
            rest = self.add_filtered_relations(qs, args)?;
            &rest
        } else {
            args
        };
        for (name, expr, span) in self.named_expressions(args, method, "annotations")? {
            qs.query
                .add_annotation(&self.host.schema, &name, &expr, select)
                .map_err(|d| d.at(span))?;
            // Django's instances hold a composite primary key's columns as one tuple.
            if select
                && qs.kind == QsKind::Instances
                && matches!(
                    qs.query.annotation(&name),
                    Some(crate::query::expr::Expr::Tuple(_))
                )
            {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    "annotating model instances with a composite primary key is not supported by djq yet",
                )
                .at(span));
            }
        }
        qs.query.group_for_aggregate();
        Ok(())
    }

    /// `aggregate(*exprs, **named)`: runs the aggregation, returns `{name: value}`.
    pub(super) fn aggregate(&mut self, qs: &QuerySet, args: &Args) -> Result<Obj> {
        if !qs.query.distinct_fields.is_empty() {
            return Err(Diagnostic::new(
                ErrorKind::Python("NotImplementedError".into()),
                "aggregate() + distinct(fields) not implemented.",
            )
            .at(args.span));
        }
        let mut named = self.named_expressions(args, "aggregate", "aggregates")?;
        if named.is_empty() {
            return Ok(Obj::dict(Vec::new()));
        }
        // Django's aggregate() adds the positional ones to the keyword ones: keywords first.
        let positional = args.pos.len();
        named.rotate_left(positional);
        let aggs: Vec<(String, FExpr)> = named
            .iter()
            .map(|(n, e, _)| (n.to_string(), FExpr::clone(e)))
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
            // Nothing ran (an empty queryset): each expression's value over nothing.
            None => Obj::dict(
                named
                    .iter()
                    .map(|(n, e, _)| (Obj::str(n.to_string()), Obj::Value(empty_value(e))))
                    .collect(),
            ),
        })
    }

    /// Positional expressions named by their default alias, then keyword ones (borrowed from
    /// `args` where they are written there).
    #[allow(clippy::type_complexity)]
    fn named_expressions<'a>(
        &mut self,
        args: &'a Args,
        method: &str,
        what: &str,
    ) -> Result<Vec<(Cow<'a, str>, Cow<'a, FExpr>, Span)>> {
        // Django's `_validate_values_are_expressions`: every argument that is no expression,
        // as `str()` writes it, sorted.
        let given =
            (args.pos.iter().map(|(o, s)| (o, *s))).chain(args.kw.iter().map(|(_, o, s)| (o, *s)));
        let mut invalid: Vec<(String, Span)> = given
            .filter(|(o, _)| o.f().is_none() && o.q().is_none() && o.queryset().is_none())
            .map(|(o, s)| (non_expression(o), s))
            .collect();
        if !invalid.is_empty() {
            invalid.sort_by(|a, b| a.0.cmp(&b.0));
            let span = invalid[0].1;
            let names: Vec<String> = invalid.into_iter().map(|(n, _)| n).collect();
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "QuerySet.{method}() received non-expression(s): {}.",
                    names.join(", ")
                ),
            )
            .at(span));
        }
        let mut out = Vec::with_capacity(args.pos.len() + args.kw.len());
        for (o, span) in &args.pos {
            let alias = o.f().and_then(FExpr::default_alias);
            let (Some(f), Some(alias)) = (o.f(), alias) else {
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
            out.push((Cow::Owned(alias), Cow::Borrowed(f), *span));
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
                o if let Some(q) = o.q() => Cow::Owned(FExpr::Condition(q.clone())),
                o if let Some(s) = super::functions::queryset_subquery(o, *span) => Cow::Owned(s),
                o => Cow::Borrowed(o.f().expect("validated above")),
            };
            out.push((Cow::Borrowed(name.as_str()), expr, *span));
        }
        Ok(out)
    }
}

/// `StringAgg`'s delimiter (its second positional argument), `order_by=`, `output_field=` and
/// `function=`, with how many positional arguments are left for the expression.
fn agg_options(func: AggFunc, args: &Args) -> Result<(AggOptions<FExpr>, usize)> {
    let name = func.name();
    let span = args.span;
    let mut pos = args.pos.as_slice();
    let mut options = AggOptions::default();
    if func == AggFunc::StringAgg {
        let delimiter = match (pos, args.kwarg("delimiter")) {
            ([_, (d, s)], None) => {
                pos = &pos[..1];
                (d, *s)
            }
            ([_], Some(d)) => (d, span),
            ([], _) | ([_], None) => {
                let missing = if pos.is_empty() {
                    "2 required positional arguments: 'expression' and 'delimiter'"
                } else {
                    "1 required positional argument: 'delimiter'"
                };
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("StringAgg.__init__() missing {missing}"),
                )
                .at(span));
            }
            _ => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    "StringAgg.__init__() got multiple values for argument 'delimiter'",
                )
                .at(span));
            }
        };
        options.delimiter = Some(super::functions::operand(delimiter.0, delimiter.1, name)?);
    } else if args.kwarg("delimiter").is_some() {
        return Err(Diagnostic::new(
            ErrorKind::Type,
            format!("{name}.__init__() got an unexpected keyword argument 'delimiter'"),
        )
        .at(span));
    }
    if let Some(o) = args.kwarg("order_by").filter(|o| !o.is_none()) {
        if !func.allows_order_by() {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!("{name} does not allow order_by."),
            )
            .at(span));
        }
        // Django's `AggregateOrderBy.from_param`: one item or a list of them.
        for item in o.items().unwrap_or_else(|| vec![o.clone()]) {
            options.order_by.push(match &item {
                Obj::Value(Value::Text(n)) => {
                    let (n, desc) = match n.strip_prefix('-') {
                        Some(n) => (n, Some(true)),
                        None => (n.as_str(), None),
                    };
                    let f = FExpr::Ref {
                        name: n.to_string(),
                        span,
                    };
                    (f, desc)
                }
                o if let Some(FExpr::OrderBy {
                    expr, descending, ..
                }) = o.f() =>
                {
                    ((**expr).clone(), Some(*descending))
                }
                o if let Some(f) = o.f() => (f.clone(), None),
                other => {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        format!(
                            "{name}.order_by must be either a string reference to a field, an expression, or a list or tuple of them not {}.",
                            other.type_name()
                        ),
                    )
                    .at(span));
                }
            });
        }
    }
    options.output = super::functions::output_field(args, name)?;
    options.function = match args.kwarg("function") {
        None => None,
        Some(Obj::Value(Value::Text(f))) => Some(f.clone()),
        Some(Obj::Value(Value::Null)) => Some("None".into()),
        Some(other) => {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!("function= expects a string, not {}", other.type_name()),
            )
            .at(span));
        }
    };
    Ok((options, pos.len()))
}

/// Django's `empty_result_set_value`: an expression's value over no rows (Count's 0, a
/// default's value, Coalesce's first that is not None).
fn empty_value(e: &FExpr) -> Value {
    match e {
        FExpr::Aggregate {
            func: AggFunc::Count,
            ..
        } => Value::Int(0),
        FExpr::Aggregate {
            default: Some(d), ..
        } => empty_value(d),
        FExpr::Value(v) => v.clone(),
        FExpr::Func {
            func: crate::query::func::FuncKind::Coalesce,
            args,
            ..
        } => args
            .iter()
            .map(empty_value)
            .find(|v| *v != Value::Null)
            .unwrap_or(Value::Null),
        _ => Value::Null,
    }
}

/// `str()` of an argument that is no expression: a value as Python prints it, a field
/// instance as Django's `Field.__str__` of an unbound field.
fn non_expression(o: &Obj) -> String {
    match o {
        Obj::Value(v) => v.to_python_str(),
        o if o.field_instance().is_some() => {
            format!("<django.db.models.fields.{}>", o.type_name())
        }
        o => o.type_name(),
    }
}
