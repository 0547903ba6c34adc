//! `functools.reduce` and `operator`'s functions (`add`, `mul`, comparisons, `itemgetter`,
//! `attrgetter`), calling back into the interpreter's own operators.

use super::objects::StdObj;
use super::{bad_args, str_arg};
use crate::diag::Result;
use crate::py::{Args, Host, Interp, Obj};
use crate::syntax::ast::{BinOp, CmpOp, UnaryOp};

pub const FUNCTOOLS: &[&str] = &["functools.reduce"];

pub const OPERATOR: &[&str] = &[
    "operator.add",
    "operator.sub",
    "operator.mul",
    "operator.truediv",
    "operator.floordiv",
    "operator.mod",
    "operator.pow",
    "operator.neg",
    "operator.not_",
    "operator.eq",
    "operator.ne",
    "operator.lt",
    "operator.le",
    "operator.gt",
    "operator.ge",
    "operator.contains",
    "operator.itemgetter",
    "operator.attrgetter",
];

fn binop(name: &str) -> Option<BinOp> {
    Some(match name {
        "operator.add" => BinOp::Add,
        "operator.sub" => BinOp::Sub,
        "operator.mul" => BinOp::Mul,
        "operator.truediv" => BinOp::Div,
        "operator.floordiv" => BinOp::FloorDiv,
        "operator.mod" => BinOp::Mod,
        "operator.pow" => BinOp::Pow,
        _ => return None,
    })
}

fn cmpop(name: &str) -> Option<CmpOp> {
    Some(match name {
        "operator.eq" => CmpOp::Eq,
        "operator.ne" => CmpOp::NotEq,
        "operator.lt" => CmpOp::Lt,
        "operator.le" => CmpOp::LtE,
        "operator.gt" => CmpOp::Gt,
        "operator.ge" => CmpOp::GtE,
        "operator.contains" => CmpOp::In,
        _ => return None,
    })
}

impl<H: Host> Interp<H> {
    pub(super) fn call_functional(&mut self, name: &str, args: Args) -> Result<Obj> {
        let span = args.span;
        let pos: Vec<Obj> = args.pos.iter().map(|(o, _)| o.clone()).collect();
        if let Some(op) = binop(name) {
            let [a, b] = <[Obj; 2]>::try_from(pos).map_err(|_| bad_args(name, &args))?;
            return self.binary(op, a, b, span);
        }
        if let Some(op) = cmpop(name) {
            let [a, b] = <[Obj; 2]>::try_from(pos).map_err(|_| bad_args(name, &args))?;
            // `contains(a, b)` is `b in a`.
            let (l, r) = if op == CmpOp::In { (b, a) } else { (a, b) };
            return self.compare(op, &l, &r, span).map(Obj::bool);
        }
        match name {
            "functools.reduce" => {
                let f = pos.first().cloned().ok_or_else(|| bad_args(name, &args))?;
                let items = match pos.get(1) {
                    Some(it) => self.iter_obj(it, &crate::py::args::dummy(span))?,
                    None => return Err(bad_args(name, &args)),
                };
                let mut items = items.into_iter();
                let mut acc = match pos.get(2).cloned().or_else(|| items.next()) {
                    Some(first) => first,
                    None => {
                        return Err(crate::diag::Diagnostic::new(
                            crate::diag::ErrorKind::Type,
                            "reduce() of empty iterable with no initial value",
                        )
                        .at(span));
                    }
                };
                for item in items {
                    acc = self.call(
                        f.clone(),
                        Args {
                            pos: vec![(acc, span), (item, span)],
                            kw: Vec::new(),
                            span,
                        },
                    )?;
                }
                Ok(acc)
            }
            "operator.neg" => {
                let v = pos
                    .into_iter()
                    .next()
                    .ok_or_else(|| bad_args(name, &args))?;
                self.unary(UnaryOp::Neg, v, span)
            }
            "operator.not_" => {
                let v = pos.first().ok_or_else(|| bad_args(name, &args))?;
                let t = self.truthy(v, &crate::py::args::dummy(span))?;
                Ok(Obj::bool(!t))
            }
            "operator.itemgetter" if !pos.is_empty() => {
                Ok(Obj::new_native(StdObj::ItemGetter(pos)))
            }
            "operator.attrgetter" if !pos.is_empty() => {
                let names = (0..pos.len())
                    .map(|i| str_arg(&args, i, name).map(str::to_string))
                    .collect::<Result<_>>()?;
                Ok(Obj::new_native(StdObj::AttrGetter(names)))
            }
            _ => Err(bad_args(name, &args)),
        }
    }
}
