//! Django's `str()` and `repr()` of `Q` objects and expressions: `<Q: (AND: ('genre', 'FIC'))>`,
//! `F(pages)`, `<CombinedExpression: F(pages) + Value(1)>`, `Count(F(books), distinct=True)`.
//!
//! Django writes an expression's `repr()` from the `str()` of its parts, and a `Q`'s leaves
//! as the `repr()` of `(key, value)` tuples; a subquery has no stable repr in Django (it shows
//! its address), so djq shows the class alone.

use crate::query::func::FuncKind;
use crate::query::{FExpr, Operand, QChild, QNode};
use crate::schema::Schema;
use crate::value::{Value, python_repr};

/// `repr(q)`: `<Q: (AND: ('a', 1))>`.
pub fn q_repr(schema: &Schema, q: &QNode) -> String {
    format!("<Q: {}>", q_str(schema, q))
}

/// `str(q)`: `(AND: ('a', 1))`, `(NOT (AND: ...))`.
pub fn q_str(schema: &Schema, q: &QNode) -> String {
    let children: Vec<String> = q
        .children
        .iter()
        .map(|c| match c {
            QChild::Node(n) => q_str(schema, n),
            QChild::Leaf { key, value, .. } => {
                format!(
                    "({}, {})",
                    python_repr(&Value::Text(key.clone())),
                    operand_repr(schema, value)
                )
            }
            QChild::Expr { expr, .. } => expr_str(schema, expr),
        })
        .collect();
    let body = format!("({}: {})", q.connector.sql(), children.join(", "));
    if q.negated {
        format!("(NOT {body})")
    } else {
        body
    }
}

/// `repr()` of a filter's right-hand side.
fn operand_repr(schema: &Schema, o: &Operand) -> String {
    match o {
        Operand::Value(v) => python_repr(v),
        Operand::List(items) => format!(
            "[{}]",
            items
                .iter()
                .map(|i| operand_repr(schema, i))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Operand::F(f) => expr_repr(schema, f),
        Operand::Query(q) => format!("<QuerySet of {}>", schema.model(q.model).name),
        Operand::Instance(m, pk) => {
            let name = &schema.model(*m).name;
            format!("<{name}: {name} object ({})>", pk.to_python_str())
        }
    }
}

/// `repr(expr)`.
pub fn expr_repr(schema: &Schema, e: &FExpr) -> String {
    match e {
        FExpr::Combined { .. } => format!("<CombinedExpression: {}>", expr_str(schema, e)),
        FExpr::Case { .. } => format!("<Case: {}>", expr_str(schema, e)),
        FExpr::When(_) => format!("<When: {}>", expr_str(schema, e)),
        FExpr::Condition(q) => q_repr(schema, q),
        _ => expr_str(schema, e),
    }
}

/// `str(expr)`.
pub fn expr_str(schema: &Schema, e: &FExpr) -> String {
    let all = |args: &[FExpr]| {
        args.iter()
            .map(|a| expr_str(schema, a))
            .collect::<Vec<_>>()
            .join(", ")
    };
    match e {
        FExpr::Ref { name, .. } => format!("F({name})"),
        FExpr::Negated(inner) => format!("NOT {}", expr_str(schema, inner)),
        FExpr::OuterRef { name, depth, .. } => {
            let mut s = format!("OuterRef({name})");
            for _ in 0..*depth {
                s = format!("OuterRef({s})");
            }
            s
        }
        FExpr::Value(v) => format!("Value({})", python_repr(v)),
        FExpr::Combined { op, lhs, rhs } => {
            // Django's connector for `%` is `%%` (it is written into SQL with `%` escaped).
            let symbol = match op.symbol() {
                "%" => "%%",
                s => s,
            };
            format!(
                "{} {symbol} {}",
                expr_str(schema, lhs),
                expr_str(schema, rhs)
            )
        }
        FExpr::Aggregate {
            func,
            arg,
            distinct,
            filter,
            ..
        } => {
            let mut parts = vec![match arg {
                Some(a) => expr_str(schema, a),
                None => "'*'".to_string(),
            }];
            if *distinct {
                parts.push("distinct=True".into());
            }
            if let Some(q) = filter {
                parts.push(format!("filter={}", q_str(schema, q)));
            }
            format!("{}({})", func.name(), parts.join(", "))
        }
        FExpr::Func { func, args, .. } if *func == FuncKind::ConcatPair => {
            format!("Concat({})", concat_pairs(schema, args))
        }
        // A date function's source expression only: its kind and zone are attributes.
        FExpr::Func {
            func:
                FuncKind::Extract(_) | FuncKind::Trunc(_) | FuncKind::TruncDate | FuncKind::TruncTime,
            args,
            ..
        } => format!("{}({})", e.class_name(), all(&args[..1])),
        FExpr::Func { func, args, .. } => format!("{}({})", func.name(), all(args)),
        FExpr::WindowFunc { func, args, .. } => format!("{}({})", func.name(), all(args)),
        FExpr::Window { expr, .. } => format!("{} OVER (...)", expr_str(schema, expr)),
        FExpr::Frame(f) => f.sql(),
        FExpr::Case { whens, default, .. } => {
            let cases: Vec<String> = whens
                .iter()
                .map(|w| expr_str(schema, &FExpr::When(Box::new(w.clone()))))
                .collect();
            format!(
                "CASE {}, ELSE {}",
                cases.join(", "),
                expr_repr(schema, default)
            )
        }
        FExpr::When(w) => format!(
            "WHEN {} THEN {}",
            q_repr(schema, &w.condition),
            expr_repr(schema, &w.then)
        ),
        FExpr::Condition(q) => q_str(schema, q),
        FExpr::OrderBy {
            expr, descending, ..
        } => format!(
            "OrderBy({}, descending={})",
            expr_str(schema, expr),
            if *descending { "True" } else { "False" }
        ),
        FExpr::Subquery { exists, .. } => format!(
            "<django.db.models.expressions.{} object>",
            if *exists { "Exists" } else { "Subquery" }
        ),
    }
}

/// Django's `Concat(a, b, c)` is `ConcatPair(a, ConcatPair(b, c))` inside.
fn concat_pairs(schema: &Schema, args: &[FExpr]) -> String {
    match args {
        [a, b] => format!(
            "ConcatPair({}, {})",
            expr_str(schema, a),
            expr_str(schema, b)
        ),
        [a, rest @ ..] => format!(
            "ConcatPair({}, {})",
            expr_str(schema, a),
            concat_pairs(schema, rest)
        ),
        [] => String::new(),
    }
}
