//! Django's expression classes in the interpreter: database functions (`Lower('title')`,
//! `Coalesce(...)`, `Cast(..., output_field=...)`), `Value(x, output_field=...)` and the
//! field instances given as `output_field`.

use super::Session;
use super::obj::{DjangoObj, make};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Args;
use crate::py::Obj;
use crate::query::expr::{Arith, DbType};
use crate::query::filter::When;
use crate::query::func::{self, FuncKind};
use crate::query::{FExpr, Nulls, QChild, QNode};
use crate::schema::FieldKind;
use crate::value::Value;
use std::rc::Rc;

impl Session {
    /// `Lower('title')`: positional arguments are expressions (strings name fields, other
    /// values become `Value`s, as Django's `Func._parse_expressions`), `output_field=` sets
    /// the result type.
    pub(super) fn func_expr(&mut self, func: FuncKind, args: &Args) -> Result<FExpr> {
        let span = args.span;
        let name = func.name();
        if func == FuncKind::JsonObject {
            return json_object(args);
        }
        let in_zone = matches!(
            func,
            FuncKind::Extract(_) | FuncKind::Trunc(_) | FuncKind::TruncDate | FuncKind::TruncTime
        );
        let kwargs: &[&str] = match in_zone {
            true => &["output_field", "tzinfo"],
            false => &["output_field"],
        };
        args.no_kwargs_except(kwargs, name)?;
        let mut output = output_field(args, name)?;
        let mut pos: Vec<&(Obj, Span)> = args.pos.iter().collect();
        // The generic `Extract(x, 'year')`/`Trunc(x, 'month')`: the kind stays their second
        // argument (its class is `Extract`, not `ExtractYear`).
        let mut generic_kind = None;
        let func = match func {
            FuncKind::Cast(_) | FuncKind::Wrapper => {
                if pos.len() == 2 {
                    output = Some(field_of(&pos.pop().expect("two").0, name, span)?);
                }
                let ty = output.ok_or_else(|| {
                    Diagnostic::new(
                        ErrorKind::Type,
                        format!("{name}.__init__() missing 1 required positional argument: 'output_field'"),
                    )
                    .at(span)
                })?;
                match func {
                    FuncKind::Cast(_) => FuncKind::Cast(ty),
                    f => f,
                }
            }
            // `Extract(x, 'year')`, `Trunc(x, 'month')`.
            FuncKind::Extract(_) | FuncKind::Trunc(_) if pos.len() == 2 => {
                let (kind, s) = pos.pop().expect("two");
                let part = match kind {
                    Obj::Value(Value::Text(k)) => crate::query::expr::DatePart::from_name(k),
                    _ => None,
                }
                .ok_or_else(|| {
                    Diagnostic::new(
                        ErrorKind::Value,
                        format!("{name}() kind must be a date part name"),
                    )
                    .at(*s)
                })?;
                generic_kind = Some(FExpr::Value(Value::Text(part.name().to_string())));
                match func {
                    FuncKind::Extract(_) => FuncKind::Extract(part),
                    _ => FuncKind::Trunc(part),
                }
            }
            f => f,
        };
        let (min, max) = func.arity();
        if pos.len() < min && max == usize::MAX {
            // Django's variadic functions (Concat, Coalesce, Greatest, Least: two or more).
            return Err(Diagnostic::new(
                ErrorKind::Value,
                format!("{name} must take at least two expressions"),
            )
            .at(span));
        }
        if pos.len() < min || pos.len() > max {
            let want = if min == max {
                format!("exactly {min} argument{}", if min == 1 { "" } else { "s" })
            } else {
                format!("{min} to {max} arguments")
            };
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!("'{name}' takes {want} ({} given)", pos.len()),
            )
            .at(span));
        }
        // Left/Right's `length` and Substr's `pos`, given as numbers, must be positive.
        let positive = match func {
            FuncKind::Left | FuncKind::Right => Some("'length' must be greater than 0."),
            FuncKind::Substr => Some("'pos' must be greater than 0"),
            _ => None,
        };
        if let (Some(msg), Some((Obj::Value(Value::Int(n)), s))) = (positive, pos.get(1))
            && *n < 1
        {
            return Err(Diagnostic::new(ErrorKind::Value, msg).at(*s));
        }
        let mut exprs = pos
            .iter()
            .map(|(o, s)| operand(o, *s, name))
            .collect::<Result<Vec<_>>>()?;
        if exprs.len() < max
            && let Some(v) = func.default_arg()
        {
            exprs.push(FExpr::Value(v));
        }
        exprs.extend(generic_kind);
        // `tzinfo=`: its name (Django's `_get_timezone_name`) goes as one more argument.
        if in_zone && let Some(tzinfo) = args.kwarg("tzinfo").filter(|o| !o.is_none()) {
            if crate::py::stdlib::datetime::zone(tzinfo).is_none() {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    "djq supports a fixed offset (datetime.timezone(...)) as tzinfo= only",
                )
                .at(span));
            }
            exprs.push(FExpr::Value(Value::Text(self.py_str(tzinfo)?)));
        }
        Ok(FExpr::Func {
            func,
            args: exprs,
            output,
            span,
        })
    }

    /// `Value(x, output_field=...)`: the value converted to the field's type.
    pub(super) fn value_expr(&mut self, args: &Args) -> Result<FExpr> {
        args.no_kwargs_except(&["output_field"], "Value")?;
        // `Value(value, output_field=None)`: the field may be given by position.
        let (given, by_position) = match args.pos.as_slice() {
            [_, _] if args.kwarg("output_field").is_some() => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    "Value.__init__() got multiple values for argument 'output_field'",
                )
                .at(args.span));
            }
            [value, (field, _)] => (
                std::slice::from_ref(value),
                Some(field_of(field, "Value", args.span)?),
            ),
            pos => (pos, None),
        };
        let [(obj, s)] = given else {
            let message = if given.is_empty() {
                "Value.__init__() missing 1 required positional argument: 'value'".to_string()
            } else {
                format!(
                    "Value.__init__() takes from 2 to 3 positional arguments but {} were given",
                    args.pos.len() + 1
                )
            };
            return Err(Diagnostic::new(ErrorKind::Type, message).at(args.span));
        };
        let Obj::Value(v) = obj else {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!("Value() expects a value, not {}", obj.type_name()),
            )
            .at(*s));
        };
        Ok(match by_position.or(output_field(args, "Value")?) {
            // A Decimal is its own DecimalField (Django casts it to REAL on SQLite either way).
            Some(ty) if ty.kind == FieldKind::DecimalField && matches!(v, Value::Decimal(_)) => {
                FExpr::Value(v.clone())
            }
            // Typed by the field: `Value(None, output_field=DateField())` is a date.
            Some(ty) => FExpr::Func {
                func: FuncKind::Wrapper,
                args: vec![FExpr::Value(
                    crate::query::lookups::prep_value(
                        ty.kind,
                        None,
                        v.clone(),
                        self.host.schema.tz,
                    )
                    .map_err(|d| d.at(*s))?,
                )],
                output: Some(ty),
                span: args.span,
            },
            None => FExpr::Value(v.clone()),
        })
    }

    /// `Subquery(qs)` and `Exists(qs)`: the queryset's query, nested when the expression is
    /// resolved against the query it is used in.
    pub(super) fn subquery_expr(&mut self, exists: bool, args: &Args) -> Result<FExpr> {
        let name = if exists { "Exists" } else { "Subquery" };
        args.no_kwargs_except(&["queryset", "output_field"], name)?;
        // `Subquery(queryset=...)`: the queryset may be given by keyword.
        let given = match (args.pos.as_slice(), args.kwarg("queryset")) {
            ([], Some(o)) => vec![(o.clone(), args.span)],
            (pos, _) => pos.to_vec(),
        };
        let query = match given.as_slice() {
            [(o, _)] if let Some(qs) = o.queryset() => qs.query.clone(),
            [(o, _)] if o.manager().is_some() => Rc::unwrap_or_clone(self.get_queryset(o)?).query,
            [(other, s)] => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("{name}() expects a queryset, not {}", other.type_name()),
                )
                .at(*s));
            }
            _ => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("{name}() takes one queryset argument"),
                )
                .at(args.span));
            }
        };
        let subquery = subquery(query, exists, args.span);
        // `output_field=`: the subquery typed by the field.
        Ok(match output_field(args, name)? {
            Some(ty) => FExpr::Func {
                func: FuncKind::Wrapper,
                args: vec![subquery],
                output: Some(ty),
                span: args.span,
            },
            None => subquery,
        })
    }

    /// `When(Q(...), lookup=value, then=result)`.
    pub(super) fn when_expr(&mut self, args: &Args) -> Result<FExpr> {
        let children = q_children(args.pos.clone(), |t| {
            format!(
                "When() supports a Q object, a boolean expression, or lookups as a condition, not {t}."
            )
        })?;
        let lookups = Args {
            kw: args
                .kw
                .iter()
                .filter(|(k, _, _)| k != "then")
                .cloned()
                .collect(),
            pos: Vec::new(),
            span: args.span,
        };
        let condition = QNode::new(children, self.leaves(lookups.kw)?);
        if condition.is_empty() {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                "An empty Q() can't be used as a When() condition.",
            )
            .at(args.span));
        }
        let then = match args.kwarg("then") {
            Some(o) => operand(o, args.span, "When")?,
            None => FExpr::Value(Value::Null),
        };
        Ok(FExpr::When(Box::new(When { condition, then })))
    }

    /// `Case(When(...), ..., default=..., output_field=...)`.
    pub(super) fn case_expr(&mut self, args: &Args) -> Result<FExpr> {
        args.no_kwargs_except(&["default", "output_field"], "Case")?;
        let whens = args
            .pos
            .iter()
            .map(|(o, s)| match o {
                o if let Some(FExpr::When(w)) = o.f() => Ok((**w).clone()),
                _ => Err(not_when(o, *s)),
            })
            .collect::<Result<Vec<_>>>()?;
        let default = match args.kwarg("default") {
            Some(o) => operand(o, args.span, "Case")?,
            None => FExpr::Value(Value::Null),
        };
        Ok(FExpr::Case {
            whens,
            default: Box::new(default),
            output: output_field(args, "Case")?,
            span: args.span,
        })
    }

    /// `F('name')[:3]`, `F('name')[0]` (Django's `Sliced`): `Substr(F('name'), start + 1,
    /// length)`, no length for an open end.
    pub(super) fn f_subscript(
        &mut self,
        f: &FExpr,
        index: &crate::syntax::ast::Expr,
        span: Span,
    ) -> Result<FExpr> {
        use crate::syntax::ast::ExprKind;
        let value = |d: &str| Diagnostic::new(ErrorKind::Value, d.to_string()).at(index.span);
        let mut int = |e: &crate::syntax::ast::Expr| match self.eval(e)? {
            Obj::Value(Value::Int(i)) => Ok(Some(i)),
            Obj::Value(Value::Null) => Ok(None),
            _ => Err(Diagnostic::new(
                ErrorKind::Type,
                "Argument to slice must be either int or slice instance.",
            )
            .at(e.span)),
        };
        let (start, length) = match &index.kind {
            ExprKind::Slice { lower, upper, step } => {
                let lo = lower.as_deref().map(&mut int).transpose()?.flatten();
                let hi = upper.as_deref().map(&mut int).transpose()?.flatten();
                if lo.is_some_and(|v| v < 0) || hi.is_some_and(|v| v < 0) {
                    return Err(value("Negative indexing is not supported."));
                }
                if step.is_some() {
                    return Err(value("Step argument is not supported."));
                }
                if let (Some(l), Some(h)) = (lo, hi)
                    && l > 0
                    && h > 0
                    && h < l
                {
                    return Err(value("Slice stop must be greater than slice start."));
                }
                let lo = lo.unwrap_or(0);
                (lo + 1, hi.map(|h| h - lo))
            }
            _ => match int(index)? {
                Some(i) if i < 0 => return Err(value("Negative indexing is not supported.")),
                Some(i) => (i + 1, Some(1)),
                None => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        "Argument to slice must be either int or slice instance.",
                    )
                    .at(index.span));
                }
            },
        };
        let mut args = vec![f.clone(), FExpr::Value(Value::Int(start))];
        args.extend(length.map(|n| FExpr::Value(Value::Int(n))));
        Ok(FExpr::Func {
            func: FuncKind::Substr,
            args,
            output: None,
            span,
        })
    }

    /// `F('flags').bitor(48)` and the other bitwise methods: `(lhs op other)`.
    pub(super) fn bitwise_expr(&mut self, lhs: FExpr, op: Arith, args: &Args) -> Result<FExpr> {
        args.no_kwargs_except(&[], op.symbol())?;
        let [(other, s)] = args.pos.as_slice() else {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "takes 2 positional arguments but {} were given",
                    args.pos.len() + 1
                ),
            )
            .at(args.span));
        };
        Ok(FExpr::Combined {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(match other {
                Obj::Value(v) => FExpr::Value(v.clone()),
                o => operand(o, *s, op.symbol())?,
            }),
        })
    }

    /// `expr.asc(nulls_first=, nulls_last=)`, `expr.desc(...)`.
    pub(super) fn order_by_expr(
        &mut self,
        expr: &FExpr,
        method: &str,
        args: &Args,
    ) -> Result<FExpr> {
        args.no_kwargs_except(&["nulls_first", "nulls_last"], method)?;
        let flag = |k: &str| matches!(args.kwarg(k), Some(Obj::Value(Value::Bool(true))));
        let nulls = match (flag("nulls_first"), flag("nulls_last")) {
            (true, true) => {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    "nulls_first and nulls_last are mutually exclusive",
                )
                .at(args.span));
            }
            (true, false) => Some(Nulls::First),
            (false, true) => Some(Nulls::Last),
            (false, false) => None,
        };
        Ok(FExpr::OrderBy {
            expr: Box::new(expr.clone()),
            descending: method == "desc",
            nulls,
            span: args.span,
        })
    }

    /// `CharField(max_length=20)`, `DecimalField(max_digits=5, decimal_places=2)`.
    pub(super) fn field_instance(&mut self, kind: FieldKind, args: &Args) -> Result<Obj> {
        let int = |k: &str| match args.kwarg(k) {
            Some(Obj::Value(Value::Int(i))) => u32::try_from(*i).ok(),
            _ => None,
        };
        let decimal = match (int("max_digits"), int("decimal_places")) {
            (Some(d), Some(p)) => Some((d, p)),
            _ => None,
        };
        Ok(make::field(func::db_type(kind, int("max_length"), decimal)))
    }
}

fn not_when(o: &Obj, span: Span) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Type,
        format!(
            "Positional arguments must all be When objects, not {}.",
            o.type_name()
        ),
    )
    .at(span)
}

/// The `output_field=` keyword argument.
pub(super) fn output_field(args: &Args, name: &str) -> Result<Option<DbType>> {
    args.kwarg("output_field")
        .map(|o| field_of(o, name, args.span))
        .transpose()
}

fn field_of(o: &Obj, name: &str, span: Span) -> Result<DbType> {
    match o {
        o if let Some(ty) = o.field_instance() => Ok(ty),
        other => Err(Diagnostic::new(
            ErrorKind::Type,
            format!(
                "{name}() output_field must be a Field instance, not {}",
                other.type_name()
            ),
        )
        .at(span)),
    }
}

/// A function argument: a field name, an expression or a plain value.
pub(super) fn operand(o: &Obj, span: Span, name: &str) -> Result<FExpr> {
    Ok(match o {
        Obj::Value(Value::Text(s)) => FExpr::Ref {
            name: s.clone(),
            span,
        },
        Obj::Value(v) => FExpr::Value(v.clone()),
        o if let Some(f) = o.f() => f.clone(),
        // A Q object is a conditional expression (`ExpressionWrapper(Q(...), ...)`).
        o if let Some(q) = o.q() => FExpr::Condition(q.clone()),
        o if let Some(s) = queryset_subquery(o, span) => s,
        other => {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "{name}() expects field names or expressions, not {}",
                    other.type_name()
                ),
            )
            .at(span));
        }
    })
}

/// A queryset where an expression goes (`Lower(qs)`, `F('n') + qs`, `When(then=qs)`,
/// `annotate(n=qs)`): Django's `QuerySet.resolve_expression` nests its query as a subquery,
/// as `Subquery(qs)` does.
pub(super) fn queryset_subquery(o: &Obj, span: Span) -> Option<FExpr> {
    o.queryset()
        .map(|qs| subquery(qs.query.clone(), false, span))
}

fn subquery(query: crate::query::Query, exists: bool, span: Span) -> FExpr {
    FExpr::Subquery {
        query: Box::new(query),
        exists,
        negated: false,
        span,
    }
}

/// The positional arguments of `Q()`/`filter()`/`When()`, which must be Q objects or
/// (conditional) expressions; `message` says what else was given.
/// Django's `build_filter` on a dict given where a Q child goes (`filter({...})`, `Q({...})`).
pub(super) fn refuse_dict_filter(args: &Args) -> Result<()> {
    match args.pos.iter().find(|(o, _)| matches!(o, Obj::Dict(_))) {
        Some((_, s)) => {
            Err(Diagnostic::new(ErrorKind::Field, "Cannot parse keyword query as dict").at(*s))
        }
        None => Ok(()),
    }
}

pub(super) fn q_children(
    pos: Vec<(Obj, Span)>,
    message: impl Fn(&str) -> String,
) -> Result<Vec<QChild>> {
    // A loop: `collect::<Result<_>>()` moved each (large) child several times, and cost
    // as much for `filter(**kwargs)`, which has none.
    let mut children = Vec::with_capacity(pos.len());
    for (o, s) in pos {
        let child = q_child(o, s)
            .map_err(|o| Diagnostic::new(ErrorKind::Type, message(&o.type_name())).at(s))?;
        children.push(child);
    }
    Ok(children)
}

/// A Q object or an expression as a child of a Q tree (the object back when it is neither).
/// One that nothing else holds (`filter(Q(...) | Q(...))`) is moved into the tree, not copied.
pub(super) fn q_child(o: Obj, span: Span) -> std::result::Result<QChild, Obj> {
    let o = match o.into_native::<QNode>() {
        Ok(q) => return Ok(QChild::Node(Rc::unwrap_or_clone(q))),
        Err(o) => o,
    };
    let f = o.into_native::<FExpr>()?;
    Ok(QChild::Expr {
        expr: Rc::unwrap_or_clone(f),
        span,
    })
}

/// `JSONObject(**fields)`: a key `Value` before each field's expression, as Django's
/// `JSONObject.__init__` lays them out.
fn json_object(args: &Args) -> Result<FExpr> {
    if !args.pos.is_empty() {
        return Err(Diagnostic::new(
            ErrorKind::Type,
            format!(
                "JSONObject.__init__() takes 1 positional argument but {} were given",
                args.pos.len() + 1
            ),
        )
        .at(args.span));
    }
    let mut exprs = Vec::with_capacity(args.kw.len() * 2);
    for (key, o, span) in &args.kw {
        exprs.push(FExpr::Value(Value::Text(key.clone())));
        exprs.push(operand(o, *span, "JSONObject")?);
    }
    Ok(FExpr::Func {
        func: FuncKind::JsonObject,
        args: exprs,
        output: None,
        span: args.span,
    })
}
