//! `math`: constants and the functions of numbers scripts use.

use super::{bad_args, f};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::module::Module;
use crate::py::{Args, Obj};
use crate::value::Value;

const FUNCTIONS: &[&str] = &[
    "math.sqrt",
    "math.floor",
    "math.ceil",
    "math.trunc",
    "math.fabs",
    "math.isclose",
    "math.gcd",
    "math.pow",
    "math.exp",
    "math.log",
    "math.log10",
    "math.log2",
    "math.isnan",
    "math.isinf",
    "math.factorial",
];

pub fn module() -> Module {
    let mut m = Module::new(FUNCTIONS.iter().map(|n| (super::short(n), f(n))));
    for (name, v) in [
        ("pi", std::f64::consts::PI),
        ("e", std::f64::consts::E),
        ("tau", std::f64::consts::TAU),
        ("inf", f64::INFINITY),
        ("nan", f64::NAN),
    ] {
        m.attrs.insert(name.into(), Obj::Value(Value::Float(v)));
    }
    m
}

pub fn call(name: &str, args: &Args) -> Result<Obj> {
    let num = |i: usize| -> Result<f64> {
        match args.pos.get(i) {
            Some((Obj::Value(v), _)) => v.as_number().ok_or_else(|| bad_args(name, args)),
            _ => Err(bad_args(name, args)),
        }
    };
    let int = |i: usize| -> Result<i64> {
        match args.pos.get(i) {
            Some((Obj::Value(Value::Int(n)), _)) => Ok(*n),
            _ => Err(bad_args(name, args)),
        }
    };
    let float = |x: f64| Ok(Obj::Value(Value::Float(x)));
    let domain = || Diagnostic::new(ErrorKind::Value, "math domain error").at(args.span);
    let to_int = |x: f64| -> Result<Obj> {
        if x.is_finite() {
            Ok(Obj::int(x as i64))
        } else {
            Err(Diagnostic::new(
                ErrorKind::Python("OverflowError".into()),
                "cannot convert float infinity to integer",
            )
            .at(args.span))
        }
    };
    // floor/ceil/trunc of an int is the int itself.
    if let ("math.floor" | "math.ceil" | "math.trunc", Some((Obj::Value(Value::Int(i)), _))) =
        (name, args.pos.first())
    {
        return Ok(Obj::int(*i));
    }
    match name {
        "math.sqrt" if num(0)? < 0.0 => Err(domain()),
        "math.sqrt" => float(num(0)?.sqrt()),
        "math.floor" => to_int(num(0)?.floor()),
        "math.ceil" => to_int(num(0)?.ceil()),
        "math.trunc" => to_int(num(0)?.trunc()),
        "math.fabs" => float(num(0)?.abs()),
        "math.pow" => float(num(0)?.powf(num(1)?)),
        "math.exp" => float(num(0)?.exp()),
        "math.log" if num(0)? <= 0.0 => Err(domain()),
        "math.log" if args.pos.len() > 1 => float(num(0)?.ln() / num(1)?.ln()),
        "math.log" => float(num(0)?.ln()),
        "math.log10" if num(0)? <= 0.0 => Err(domain()),
        "math.log10" => float(num(0)?.log10()),
        "math.log2" if num(0)? <= 0.0 => Err(domain()),
        "math.log2" => float(num(0)?.log2()),
        "math.isnan" => Ok(Obj::bool(num(0)?.is_nan())),
        "math.isinf" => Ok(Obj::bool(num(0)?.is_infinite())),
        "math.isclose" => {
            let (a, b) = (num(0)?, num(1)?);
            let rel = match args.kwarg("rel_tol") {
                Some(Obj::Value(v)) => v.as_number().unwrap_or(1e-9),
                _ => 1e-9,
            };
            let abs = match args.kwarg("abs_tol") {
                Some(Obj::Value(v)) => v.as_number().unwrap_or(0.0),
                _ => 0.0,
            };
            Ok(Obj::bool(
                a == b || (a - b).abs() <= (rel * a.abs().max(b.abs())).max(abs),
            ))
        }
        "math.gcd" => {
            let mut g = 0i64;
            for i in 0..args.pos.len() {
                let (mut a, mut b) = (g.abs(), int(i)?.abs());
                while b != 0 {
                    (a, b) = (b, a % b);
                }
                g = a;
            }
            Ok(Obj::int(g))
        }
        "math.factorial" => {
            let n = int(0)?;
            if n < 0 {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    "factorial() not defined for negative values",
                )
                .at(args.span));
            }
            (1..=n)
                .try_fold(1i64, |acc, k| acc.checked_mul(k))
                .map(Obj::int)
                .ok_or_else(|| bad_args(name, args))
        }
        _ => unreachable!("not a math function: {name}"),
    }
}
