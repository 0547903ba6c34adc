//! Django's window classes in the interpreter: `Window(...)`, the window functions of
//! `django.db.models.functions` (`RowNumber()`, `Lag('x', 2)`, ...) and the frames
//! `RowRange`/`ValueRange` with `WindowFrameExclusion`.

use super::Session;
use super::functions::operand;
use super::obj::DjangoObj;
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Native, Obj};
use crate::query::FExpr;
use crate::query::window::{Exclusion, Frame, WindowFunc};
use crate::query::window_resolve::incompatible;
use crate::value::Value;
use crate::{native_any, native_equals};
use std::borrow::Cow;

/// `django.db.models.WindowFrameExclusion`, the enum class: its members are its attributes.
#[derive(Debug, PartialEq)]
pub struct ExclusionClass;

impl Native for ExclusionClass {
    fn type_name(&self) -> Cow<'_, str> {
        "EnumType".into()
    }
    fn is_singleton(&self) -> bool {
        true
    }
    native_equals!();
    native_any!();
}

impl Native for Exclusion {
    fn type_name(&self) -> Cow<'_, str> {
        "WindowFrameExclusion".into()
    }
    fn is_singleton(&self) -> bool {
        true
    }
    native_equals!();
    native_any!();
}

/// `WindowFrameExclusion.CURRENT_ROW`; `None` for other objects or names.
pub(super) fn exclusion_attribute(obj: &Obj, name: &str) -> Option<Obj> {
    obj.native::<ExclusionClass>()?;
    Exclusion::ALL
        .into_iter()
        .find(|e| e.name() == name)
        .map(Obj::new_native)
}

/// The positional-or-keyword arguments of a call, by name, in the order `names` gives.
fn bind<'a>(args: &'a Args, names: &[&str], class: &str) -> Result<Vec<Option<(&'a Obj, Span)>>> {
    args.no_kwargs_except(names, class)?;
    if args.pos.len() > names.len() {
        return Err(Diagnostic::new(
            ErrorKind::Type,
            format!(
                "{class}.__init__() takes from 1 to {} positional arguments but {} were given",
                names.len() + 1,
                args.pos.len() + 1
            ),
        )
        .at(args.span));
    }
    let mut out = Vec::with_capacity(names.len());
    for (i, n) in names.iter().enumerate() {
        let kw = args.kw.iter().find(|(k, _, _)| k == n);
        out.push(match (args.pos.get(i), kw) {
            (Some(_), Some(_)) => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("{class}.__init__() got multiple values for argument '{n}'"),
                )
                .at(args.span));
            }
            (Some((o, s)), None) => Some((o, *s)),
            (None, Some((_, o, s))) => Some((o, *s)),
            (None, None) => None,
        });
    }
    Ok(out)
}

fn int_arg(o: Option<(&Obj, Span)>, default: i64) -> Result<Option<i64>> {
    match o {
        None => Ok(Some(default)),
        Some((Obj::Value(Value::Null), _)) => Ok(None),
        Some((Obj::Value(Value::Int(i)), _)) => Ok(Some(*i)),
        Some((other, s)) => Err(Diagnostic::new(
            ErrorKind::Type,
            format!("expected an integer, not {}", other.type_name()),
        )
        .at(s)),
    }
}

impl Session {
    /// `RowNumber()`, `Ntile(num_buckets=1)`, `Lag(expression, offset=1, default=None)`,
    /// `NthValue(expression, nth=1)`, `FirstValue(expression)`: Django's checks and arguments.
    pub(super) fn window_func_expr(&mut self, func: WindowFunc, args: &Args) -> Result<FExpr> {
        use WindowFunc::*;
        let span = args.span;
        let name = func.name();
        let names: &[&str] = match func {
            RowNumber | Rank | DenseRank | PercentRank | CumeDist => &[],
            Ntile => &["num_buckets"],
            Lag | Lead => &["expression", "offset", "default"],
            NthValue => &["expression", "nth"],
            FirstValue | LastValue => &["expression"],
        };
        let bound = bind(args, names, name)?;
        let value = |msg: String| Diagnostic::new(ErrorKind::Value, msg).at(span);
        let source = |b: Option<(&Obj, Span)>| -> Result<FExpr> {
            match b {
                None | Some((Obj::Value(Value::Null), _)) => Err(value(format!(
                    "{name} requires a non-null source expression."
                ))),
                Some((o, s)) => operand(o, s, name),
            }
        };
        let args = match func {
            RowNumber | Rank | DenseRank | PercentRank | CumeDist => Vec::new(),
            Ntile => match int_arg(bound[0], 1)? {
                Some(n) if n > 0 => vec![FExpr::Value(Value::Int(n))],
                _ => return Err(value("num_buckets must be greater than 0.".into())),
            },
            Lag | Lead => {
                let expr = source(bound[0])?;
                let offset = match int_arg(bound[1], 1)? {
                    Some(n) if n > 0 => n,
                    _ => {
                        return Err(value(format!(
                            "{name} requires a positive integer for the offset."
                        )));
                    }
                };
                let mut a = vec![expr, FExpr::Value(Value::Int(offset))];
                match bound[2] {
                    None | Some((Obj::Value(Value::Null), _)) => {}
                    Some((o, s)) => a.push(operand(o, s, name)?),
                }
                a
            }
            NthValue => {
                let expr = source(bound[0])?;
                match int_arg(bound[1], 1)? {
                    Some(n) if n > 0 => vec![expr, FExpr::Value(Value::Int(n))],
                    _ => {
                        return Err(value(format!(
                            "{name} requires a positive integer as for nth."
                        )));
                    }
                }
            }
            FirstValue | LastValue => match bound[0] {
                Some((o, s)) => vec![operand(o, s, name)?],
                None => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!("'{name}' takes exactly 1 argument (0 given)"),
                    )
                    .at(span));
                }
            },
        };
        Ok(FExpr::WindowFunc { func, args, span })
    }

    /// `Window(expression, partition_by=None, order_by=None, frame=None, output_field=None)`.
    pub(super) fn window_expr(&mut self, args: &Args) -> Result<FExpr> {
        let span = args.span;
        let bound = bind(
            args,
            &["expression", "partition_by", "order_by", "frame"],
            "Window",
        )?;
        let expr = match bound[0] {
            Some((o, s)) => operand(o, s, "Window")?,
            None => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    "Window.__init__() missing 1 required positional argument: 'expression'",
                )
                .at(span));
            }
        };
        if !matches!(expr, FExpr::Aggregate { .. } | FExpr::WindowFunc { .. }) {
            return Err(incompatible(&expr).at(span));
        }
        let list = |b: Option<(&Obj, Span)>, order: bool| -> Result<Vec<FExpr>> {
            let Some((o, s)) = b else {
                return Ok(Vec::new());
            };
            let items = match o {
                Obj::Value(Value::Null) => Vec::new(),
                o => o.items().unwrap_or_else(|| vec![o.clone()]),
            };
            items
                .iter()
                .map(|i| match i {
                    // OrderByList: `'-x'` is `F('x').desc()`.
                    Obj::Value(Value::Text(t)) if order && t.starts_with('-') => {
                        Ok(FExpr::OrderBy {
                            expr: Box::new(FExpr::Ref {
                                name: t[1..].to_string(),
                                span: s,
                            }),
                            descending: true,
                            nulls: None,
                            span: s,
                        })
                    }
                    i => operand(i, s, "Window"),
                })
                .collect()
        };
        let partition_by = list(bound[1], false)?;
        let order_by = list(bound[2], true)?;
        let frame = match bound[3] {
            None | Some((Obj::Value(Value::Null), _)) => None,
            Some((o, _)) if let Some(FExpr::Frame(f)) = o.f() => Some(*f),
            Some((other, s)) => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "Window(frame=) expects RowRange or ValueRange, not {}",
                        other.type_name()
                    ),
                )
                .at(s));
            }
        };
        Ok(FExpr::Window {
            expr: Box::new(expr),
            partition_by,
            order_by,
            frame,
            span,
        })
    }

    /// `RowRange(start=None, end=None, exclusion=None)` (`rows`) or `ValueRange(...)`.
    pub(super) fn frame_expr(&mut self, rows: bool, args: &Args) -> Result<FExpr> {
        let class = if rows { "RowRange" } else { "ValueRange" };
        let bound = bind(args, &["start", "end", "exclusion"], class)?;
        // Both backends have `supports_frame_exclusion`; Django's TypeError for anything else.
        let exclusion = match bound[2] {
            None | Some((Obj::Value(Value::Null), _)) => None,
            Some((o, _)) if let Some(e) = o.native::<Exclusion>() => Some(*e),
            Some((_, s)) => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("{class}.exclusion must be a WindowFrameExclusion instance."),
                )
                .at(s));
            }
        };
        // Django's `window_frame_*_start_end` ValueError for a point that is not an integer.
        let point = |b: Option<(&Obj, Span)>, which: &str| match b {
            Some((o, s)) if !matches!(o, Obj::Value(Value::Null | Value::Int(_))) => {
                let want = match (rows, which) {
                    (true, _) => "an integer",
                    (false, "start") => "a negative integer",
                    (false, _) => "a positive integer",
                };
                let shown = match o {
                    Obj::Value(Value::Text(t)) => t.clone(),
                    o => o.type_name(),
                };
                Err(Diagnostic::new(
                    ErrorKind::Value,
                    format!("{which} argument must be {want}, zero, or None, but got '{shown}'."),
                )
                .at(s))
            }
            None => Ok(None),
            b => int_arg(b, 0),
        };
        Ok(FExpr::Frame(Frame {
            rows,
            start: point(bound[0], "start")?,
            end: point(bound[1], "end")?,
            exclusion,
        }))
    }
}
