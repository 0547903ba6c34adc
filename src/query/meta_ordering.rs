//! `Meta.ordering` items that are expressions (`Lower('name')`, `F('x').desc(nulls_last=True)`):
//! the source the models.py reader keeps for them, read back into the expressions `order_by()`
//! takes. A string argument of a function names a field, as in Django; the references of an
//! ordering reached through a relation are prefixed with its path (Django's
//! `prefix_references`).

use super::filter::FExpr;
use super::func::FuncKind;
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::syntax::ast::{Arg, Expr, ExprKind};
use crate::value::Value;

/// Is this `Meta.ordering` item an expression rather than a field name?
pub fn is_expression(item: &str) -> bool {
    item.contains('(')
}

/// The expression an item's source writes, its field references prefixed with `prefix`
/// (`author__` for the ordering of `Book.author`'s model).
pub fn expression(item: &str, prefix: &str) -> Result<FExpr> {
    let ast = crate::syntax::parse_expression(item)?;
    convert(&ast, prefix).ok_or_else(|| {
        Diagnostic::new(
            ErrorKind::NotSupported,
            format!("Meta.ordering item {item} is not supported by djq yet"),
        )
    })
}

fn convert(e: &Expr, prefix: &str) -> Option<FExpr> {
    let span = e.span;
    match &e.kind {
        ExprKind::Str(s) => Some(FExpr::Ref {
            name: format!("{prefix}{s}"),
            span,
        }),
        ExprKind::Int(i) => Some(FExpr::Value(Value::Int(*i))),
        ExprKind::Float(f) => Some(FExpr::Value(Value::Float(*f))),
        ExprKind::Call { func, args } => match &func.kind {
            ExprKind::Attribute { value, attr } if matches!(attr.name.as_str(), "asc" | "desc") => {
                let mut nulls = None;
                for a in args {
                    match a {
                        Arg::Keyword { name, value }
                            if matches!(value.kind, ExprKind::Bool(true)) =>
                        {
                            nulls = Some(match name.name.as_str() {
                                "nulls_first" => super::Nulls::First,
                                "nulls_last" => super::Nulls::Last,
                                _ => return None,
                            });
                        }
                        Arg::Keyword { value, .. }
                            if matches!(value.kind, ExprKind::Bool(false) | ExprKind::None) => {}
                        _ => return None,
                    }
                }
                Some(FExpr::OrderBy {
                    expr: Box::new(convert(value, prefix)?),
                    descending: attr.name == "desc",
                    nulls,
                    span,
                })
            }
            ExprKind::Name(n) if n == "F" => match args.as_slice() {
                [Arg::Positional(arg)] => convert(arg, prefix),
                _ => None,
            },
            ExprKind::Name(n)
            | ExprKind::Attribute {
                attr: crate::syntax::ast::Ident { name: n, .. },
                ..
            } => {
                let func = FuncKind::from_name(n)?;
                let args = args
                    .iter()
                    .map(|a| match a {
                        Arg::Positional(e) => convert(e, prefix),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?;
                Some(FExpr::Func {
                    func,
                    args,
                    output: None,
                    span,
                })
            }
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_arguments_name_fields_and_orderings_keep_their_direction() {
        let Ok(FExpr::Func { args, .. }) = expression("Lower('name')", "country__") else {
            panic!("a function");
        };
        assert!(matches!(&args[0], FExpr::Ref { name, .. } if name == "country__name"));
        let Ok(FExpr::OrderBy {
            descending, nulls, ..
        }) = expression("F('population').desc(nulls_last=True)", "")
        else {
            panic!("an ordering");
        };
        assert!(descending && nulls == Some(super::super::Nulls::Last));
        assert!(expression("Foo('x')", "").is_err());
    }
}
