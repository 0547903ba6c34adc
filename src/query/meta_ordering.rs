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
                order_by(convert(value, prefix)?, attr.name == "desc", args, span)
            }
            // `OrderBy(F('x'), descending=True, nulls_last=True)`
            ExprKind::Name(n)
            | ExprKind::Attribute {
                attr: crate::syntax::ast::Ident { name: n, .. },
                ..
            } if n == "OrderBy" => match args.split_first() {
                Some((Arg::Positional(inner), rest)) => {
                    order_by(convert(inner, prefix)?, false, rest, span)
                }
                _ => None,
            },
            // `F('x')`, `models.F('x')`
            ExprKind::Name(n)
            | ExprKind::Attribute {
                attr: crate::syntax::ast::Ident { name: n, .. },
                ..
            } if n == "F" => match args.as_slice() {
                [Arg::Positional(arg)] => convert(arg, prefix),
                _ => None,
            },
            // `Lower('name')`, `models.functions.Lower('name')`
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

/// An ordering of `expr` with `.asc()`/`.desc()`'s or `OrderBy`'s keywords (`descending`,
/// `nulls_first`, `nulls_last`).
fn order_by(
    expr: FExpr,
    mut descending: bool,
    args: &[Arg],
    span: crate::diag::Span,
) -> Option<FExpr> {
    let mut nulls = None;
    for a in args {
        let Arg::Keyword { name, value } = a else {
            return None;
        };
        let on = match value.kind {
            ExprKind::Bool(b) => b,
            ExprKind::None => false,
            _ => return None,
        };
        match name.name.as_str() {
            "descending" => descending = on,
            "nulls_first" if on => nulls = Some(super::Nulls::First),
            "nulls_last" if on => nulls = Some(super::Nulls::Last),
            "nulls_first" | "nulls_last" => {}
            _ => return None,
        }
    }
    Some(FExpr::OrderBy {
        expr: Box::new(expr),
        descending,
        nulls,
        span,
    })
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
        // written through the module
        assert!(matches!(
            expression("models.F('author').asc(nulls_first=True)", ""),
            Ok(FExpr::OrderBy {
                descending: false,
                nulls: Some(super::super::Nulls::First),
                ..
            })
        ));
        assert!(matches!(
            expression("models.functions.Lower('name')", ""),
            Ok(FExpr::Func { .. })
        ));
        assert!(matches!(
            expression("models.OrderBy(models.F('a'), descending=True)", ""),
            Ok(FExpr::OrderBy {
                descending: true,
                nulls: None,
                ..
            })
        ));
    }
}
