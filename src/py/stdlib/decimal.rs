//! `decimal`: `Decimal` (exact, from a string, an int or a float as Python converts it) and
//! the rounding modes `quantize` takes; the runtime's decimals are `Value::Decimal`.

use super::{bad_args, f};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::Args;
use crate::py::module::Module;
use crate::py::obj::Obj;
use crate::value::Value;
use rust_decimal::{Decimal, RoundingStrategy};
use std::str::FromStr;

/// Python's rounding modes by name, with the strategy each is.
pub const ROUNDINGS: &[(&str, RoundingStrategy)] = &[
    ("ROUND_HALF_EVEN", RoundingStrategy::MidpointNearestEven),
    ("ROUND_HALF_UP", RoundingStrategy::MidpointAwayFromZero),
    ("ROUND_HALF_DOWN", RoundingStrategy::MidpointTowardZero),
    ("ROUND_UP", RoundingStrategy::AwayFromZero),
    ("ROUND_DOWN", RoundingStrategy::ToZero),
    ("ROUND_CEILING", RoundingStrategy::ToPositiveInfinity),
    ("ROUND_FLOOR", RoundingStrategy::ToNegativeInfinity),
];

pub fn module() -> Module {
    let mut m = Module::new([("Decimal", f("decimal.Decimal"))]);
    for (name, _) in ROUNDINGS {
        m.attrs.insert(name.to_string(), Obj::str(*name));
    }
    m
}

/// `Decimal(x)`
pub fn call(args: &Args) -> Result<Obj> {
    let d = match args.pos.first().map(|(o, _)| o) {
        None => Decimal::ZERO,
        Some(Obj::Value(Value::Decimal(d))) => *d,
        Some(Obj::Value(Value::Int(i))) => Decimal::from(*i),
        Some(Obj::Value(Value::Float(x))) => {
            Decimal::from_f64_retain(*x).ok_or_else(|| bad_args("Decimal", args))?
        }
        Some(Obj::Value(Value::Text(s))) => {
            let t = s.trim().replace('_', "");
            Decimal::from_str(&t)
                .or_else(|_| Decimal::from_scientific(&t))
                .map_err(|_| {
                    Diagnostic::new(
                        ErrorKind::Python("decimal.InvalidOperation".into()),
                        "[<class 'decimal.ConversionSyntax'>]",
                    )
                    .at(args.span)
                })?
        }
        Some(other) => {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "conversion from {} to Decimal is not supported",
                    other.type_name()
                ),
            )
            .at(args.span));
        }
    };
    Ok(Obj::Value(Value::Decimal(d)))
}

/// `d.quantize(exp, rounding=...)`: `d` rounded to `exp`'s places (ROUND_HALF_EVEN unless
/// told).
pub fn quantize(d: Decimal, args: &Args) -> Result<Obj> {
    let Some((Obj::Value(Value::Decimal(exp)), _)) = args.pos.first() else {
        return Err(bad_args("quantize", args));
    };
    let strategy = match args.kwarg("rounding").or(args.pos.get(1).map(|(o, _)| o)) {
        None => RoundingStrategy::MidpointNearestEven,
        Some(Obj::Value(Value::Text(mode))) => ROUNDINGS
            .iter()
            .find(|(n, _)| n == mode)
            .map(|(_, s)| *s)
            .ok_or_else(|| bad_args("quantize", args))?,
        Some(_) => return Err(bad_args("quantize", args)),
    };
    let mut q = d.round_dp_with_strategy(exp.scale(), strategy);
    q.rescale(exp.scale());
    Ok(Obj::Value(Value::Decimal(q)))
}
