//! Builtins on numbers and iterables with CPython's results and errors: `int(x, base)`,
//! `round` (banker's rounding, `ndigits`, on floats, ints and Decimals), `abs`, `divmod`,
//! `pow`, `sum` (`start=`, floats added as CPython 3.12 adds them), `bin`/`hex`/`oct`,
//! `chr`/`ord`, `map`, `filter` and `zip(strict=)`.

use super::args::{Args, dummy};
use super::obj::{Builtin, Obj};
use super::{Host, Interp};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::syntax::ast::BinOp;
use crate::value::Value;
use rust_decimal::{Decimal, RoundingStrategy};

fn type_error(message: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::new(ErrorKind::Type, message).at(span)
}

fn value_error(message: impl Into<String>, span: Span) -> Diagnostic {
    Diagnostic::new(ErrorKind::Value, message).at(span)
}

/// `o` as an integer, or CPython's TypeError ("'float' object cannot be interpreted as an
/// integer").
pub fn index(o: &Obj, span: Span) -> Result<i64> {
    match o {
        Obj::Value(Value::Int(i)) => Ok(*i),
        Obj::Value(Value::Bool(b)) => Ok(i64::from(*b)),
        other => Err(type_error(
            format!(
                "'{}' object cannot be interpreted as an integer",
                other.type_name()
            ),
            span,
        )),
    }
}

/// `int(text, base)`: CPython's rules (sign, spaces, underscores between digits, a `0x`/
/// `0o`/`0b` prefix that base 0 reads and base 16/8/2 allow, any Unicode decimal digit).
pub fn parse_int(text: &str, base: u32) -> Option<i64> {
    let s = text.trim();
    let (negative, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let lower = s.to_ascii_lowercase();
    let prefixed = |p: &str| lower.starts_with(p).then(|| &s[2..]);
    let (base, digits) = match base {
        0 => match (prefixed("0x"), prefixed("0o"), prefixed("0b")) {
            (Some(d), _, _) => (16, d.strip_prefix('_').unwrap_or(d)),
            (_, Some(d), _) => (8, d.strip_prefix('_').unwrap_or(d)),
            (_, _, Some(d)) => (2, d.strip_prefix('_').unwrap_or(d)),
            // Base 0 refuses a decimal with a leading zero ("09"), but not "0" or "00".
            _ if s.len() > 1 && s.starts_with('0') && s.chars().any(|c| c != '0' && c != '_') => {
                return None;
            }
            _ => (10, s),
        },
        16 => (
            16,
            prefixed("0x").map_or(s, |d| d.strip_prefix('_').unwrap_or(d)),
        ),
        8 => (
            8,
            prefixed("0o").map_or(s, |d| d.strip_prefix('_').unwrap_or(d)),
        ),
        2 => (
            2,
            prefixed("0b").map_or(s, |d| d.strip_prefix('_').unwrap_or(d)),
        ),
        b => (b, s),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let mut n: i128 = 0;
    for c in digits.chars().filter(|c| *c != '_') {
        let d = match c.to_digit(36) {
            Some(d) => d,
            // Other scripts' decimal digits ("١٢").
            None if c.is_numeric() => decimal_digit(c)?,
            None => return None,
        };
        if d >= base {
            return None;
        }
        n = n
            .checked_mul(i128::from(base))?
            .checked_add(i128::from(d))?;
        if n > i128::from(i64::MAX) + 1 {
            return None;
        }
    }
    i64::try_from(if negative { -n } else { n }).ok()
}

/// The value of a Unicode decimal digit of another script.
fn decimal_digit(c: char) -> Option<u32> {
    // Decimal digits come in runs of ten starting at a code point ending in 0 (hex), for
    // the scripts a shell meets (Arabic-Indic, Devanagari, fullwidth, ...).
    let zeros = [0x660, 0x6f0, 0x966, 0x9e6, 0xa66, 0xae6, 0xe50, 0xff10];
    let cp = c as u32;
    zeros
        .iter()
        .find(|z| (**z..**z + 10).contains(&cp))
        .map(|z| cp - z)
}

/// Python's `round(f, n)` of a float: the float nearest the decimal rounded half to even
/// from the float's exact value (what CPython's correctly rounded repr gives).
fn round_float(f: f64, n: i64) -> f64 {
    if !f.is_finite() || n > 308 {
        return f;
    }
    if n >= 0 {
        return format!("{f:.*}", n as usize).parse().unwrap_or(f);
    }
    let m = 10f64.powi(n.unsigned_abs().min(400) as i32);
    let q = f / m;
    let r = q.round_ties_even();
    // Ties are only exact halves of the true quotient.
    let r = if (q - q.trunc()).abs() == 0.5 {
        r
    } else {
        q.round()
    };
    r * m
}

impl<H: Host> Interp<H> {
    /// The builtins of this module (`name`: the one `b` is bound to, for messages).
    pub fn call_numbers(&mut self, b: Builtin, name: &str, args: Args) -> Result<Obj> {
        let span = args.span;
        let nargs = args.pos.len();
        let exactly = |n: usize| -> Result<()> {
            if nargs == n {
                Ok(())
            } else if n == 1 {
                Err(type_error(
                    format!("{name}() takes exactly one argument ({nargs} given)"),
                    span,
                ))
            } else {
                Err(type_error(
                    format!("{name} expected {n} arguments, got {nargs}"),
                    span,
                ))
            }
        };
        let arg = |i: usize| args.pos[i].0.clone();
        match b {
            Builtin::Int => self.int(&args),
            Builtin::Round => {
                args.no_kwargs_except(&["ndigits"], "round")?;
                let digits = args.pos.get(1).map(|(o, _)| o).or(args.kwarg("ndigits"));
                if nargs == 0 || nargs > 2 {
                    return Err(type_error(
                        format!("round() takes at most 2 arguments ({nargs} given)"),
                        span,
                    ));
                }
                let n = match digits {
                    None | Some(Obj::Value(Value::Null)) => None,
                    Some(o) => Some(index(o, span)?),
                };
                round(&arg(0), n, span)
            }
            Builtin::Abs => {
                exactly(1)?;
                Ok(Obj::Value(match arg(0) {
                    Obj::Value(Value::Int(i)) => Value::Int(i.checked_abs().ok_or_else(|| {
                        Diagnostic::new(
                            ErrorKind::Python("OverflowError".into()),
                            "integer result out of range: djq's integers are 64-bit",
                        )
                        .at(span)
                    })?),
                    Obj::Value(Value::Bool(b)) => Value::Int(i64::from(b)),
                    Obj::Value(Value::Float(f)) => Value::Float(f.abs()),
                    Obj::Value(Value::Decimal(d)) => Value::Decimal(d.abs()),
                    other => {
                        return Err(type_error(
                            format!("bad operand type for abs(): '{}'", other.type_name()),
                            span,
                        ));
                    }
                }))
            }
            Builtin::Divmod => {
                exactly(2)?;
                let (a, b) = (arg(0), arg(1));
                let number = |o: &Obj| {
                    matches!(
                        o,
                        Obj::Value(
                            Value::Int(_) | Value::Bool(_) | Value::Float(_) | Value::Decimal(_)
                        )
                    )
                };
                if !number(&a) || !number(&b) {
                    return Err(type_error(
                        format!(
                            "unsupported operand type(s) for divmod(): '{}' and '{}'",
                            a.type_name(),
                            b.type_name()
                        ),
                        span,
                    ));
                }
                let float = matches!(a, Obj::Value(Value::Float(_)))
                    || matches!(b, Obj::Value(Value::Float(_)));
                let zero = matches!(b, Obj::Value(Value::Int(0) | Value::Bool(false)))
                    || matches!(b, Obj::Value(Value::Float(f)) if f == 0.0);
                if float && zero {
                    return Err(Diagnostic::new(
                        ErrorKind::Python("ZeroDivisionError".into()),
                        "float divmod()",
                    )
                    .at(span));
                }
                let q = self.binary(BinOp::FloorDiv, a.clone(), b.clone(), span)?;
                let r = self.binary(BinOp::Mod, a, b, span)?;
                Ok(Obj::tuple(vec![q, r]))
            }
            Builtin::Pow => {
                args.no_kwargs_except(&["base", "exp", "mod"], "pow")?;
                match args.pos.as_slice() {
                    [(a, _), (b, _)] => self.binary(BinOp::Pow, a.clone(), b.clone(), span),
                    [(a, _), (b, _), (m, _)] => pow_mod(a, b, m, span),
                    _ => Err(type_error(
                        format!("pow expected at least 2 arguments, got {nargs}"),
                        span,
                    )),
                }
            }
            Builtin::Sum => {
                args.no_kwargs_except(&["start"], "sum")?;
                if nargs == 0 || nargs > 2 {
                    return Err(type_error(
                        format!("sum() takes at most 2 arguments ({nargs} given)"),
                        span,
                    ));
                }
                let start = args
                    .pos
                    .get(1)
                    .map(|(o, _)| o)
                    .or(args.kwarg("start"))
                    .cloned()
                    .unwrap_or(Obj::int(0));
                if let Obj::Value(Value::Text(_)) = start {
                    return Err(type_error(
                        "sum() can't sum strings [use ''.join(seq) instead]",
                        span,
                    ));
                }
                let items = self.iter_obj(&arg(0), &dummy(args.pos[0].1))?;
                self.sum(start, items, span)
            }
            Builtin::Bin | Builtin::Hex | Builtin::Oct => {
                exactly(1)?;
                let i = index(&arg(0), span)?;
                let sign = if i < 0 { "-" } else { "" };
                let n = i.unsigned_abs();
                Ok(Obj::str(match b {
                    Builtin::Bin => format!("{sign}0b{n:b}"),
                    Builtin::Hex => format!("{sign}0x{n:x}"),
                    _ => format!("{sign}0o{n:o}"),
                }))
            }
            Builtin::Chr => {
                exactly(1)?;
                let i = index(&arg(0), span)?;
                u32::try_from(i)
                    .ok()
                    .filter(|cp| *cp < 0x11_0000)
                    .map(|cp| Obj::str(char::from_u32(cp).unwrap_or('\u{fffd}').to_string()))
                    .ok_or_else(|| value_error("chr() arg not in range(0x110000)", span))
            }
            Builtin::Ord => {
                exactly(1)?;
                match arg(0) {
                    Obj::Value(Value::Text(s)) => {
                        let mut chars = s.chars();
                        match (chars.next(), chars.next()) {
                            (Some(c), None) => Ok(Obj::int(i64::from(u32::from(c)))),
                            _ => Err(type_error(
                                format!(
                                    "ord() expected a character, but string of length {} found",
                                    s.chars().count()
                                ),
                                span,
                            )),
                        }
                    }
                    other => Err(type_error(
                        format!(
                            "ord() expected string of length 1, but {} found",
                            other.type_name()
                        ),
                        span,
                    )),
                }
            }
            Builtin::Map => {
                args.no_kwargs_except(&[], "map")?;
                if nargs < 2 {
                    return Err(type_error("map() must have at least two arguments.", span));
                }
                let f = arg(0);
                let mut lists = Vec::new();
                for (o, at) in &args.pos[1..] {
                    lists.push(self.iter_obj(o, &dummy(*at))?);
                }
                let n = lists.iter().map(Vec::len).min().unwrap_or(0);
                let mut out = Vec::with_capacity(n);
                for i in 0..n {
                    let call = Args {
                        pos: lists.iter().map(|l| (l[i].clone(), span)).collect(),
                        kw: Vec::new(),
                        span,
                    };
                    out.push(self.call(f.clone(), call)?);
                }
                Ok(Obj::list(out))
            }
            Builtin::Filter => {
                args.no_kwargs_except(&[], "filter")?;
                exactly(2)?;
                let f = arg(0);
                let mut out = Vec::new();
                for item in self.iter_obj(&arg(1), &dummy(args.pos[1].1))? {
                    let keep = if f.is_none() {
                        item.clone()
                    } else {
                        let call = Args {
                            pos: vec![(item.clone(), span)],
                            kw: Vec::new(),
                            span,
                        };
                        self.call(f.clone(), call)?
                    };
                    if self.truthy(&keep, &dummy(span))? {
                        out.push(item);
                    }
                }
                Ok(Obj::list(out))
            }
            Builtin::Zip => {
                args.no_kwargs_except(&["strict"], "zip")?;
                let strict = match args.kwarg("strict") {
                    Some(o) => self.truthy(o, &dummy(span))?,
                    None => false,
                };
                let mut lists = Vec::new();
                for (o, at) in &args.pos {
                    lists.push(self.iter_obj(o, &dummy(*at))?);
                }
                let n = lists.iter().map(Vec::len).min().unwrap_or(0);
                if strict && let Some(first) = lists.first() {
                    for (k, l) in lists.iter().enumerate().skip(1) {
                        if l.len() != first.len() {
                            let (what, m) = if l.len() < first.len() {
                                ("shorter", k + 1)
                            } else {
                                ("longer", k + 1)
                            };
                            let range = if m == 2 {
                                "1".to_string()
                            } else {
                                format!("1-{}", m - 1)
                            };
                            let of = if m == 2 { "argument" } else { "arguments" };
                            return Err(value_error(
                                format!("zip() argument {m} is {what} than {of} {range}"),
                                span,
                            ));
                        }
                    }
                }
                Ok(Obj::list(
                    (0..n)
                        .map(|i| Obj::tuple(lists.iter().map(|l| l[i].clone()).collect()))
                        .collect(),
                ))
            }
            _ => unreachable!("not a numbers builtin"),
        }
    }

    /// `int(x)`, `int(text, base)`.
    fn int(&mut self, args: &Args) -> Result<Obj> {
        let span = args.span;
        args.no_kwargs_except(&["base"], "int")?;
        let base = args.pos.get(1).map(|(o, _)| o).or(args.kwarg("base"));
        let Some((x, _)) = args.pos.first() else {
            return Ok(Obj::int(0));
        };
        if let Some(base) = base {
            let base = index(base, span)?;
            if base != 0 && !(2..=36).contains(&base) {
                return Err(value_error("int() base must be >= 2 and <= 36, or 0", span));
            }
            let Obj::Value(Value::Text(s)) = x else {
                return Err(type_error(
                    "int() can't convert non-string with explicit base",
                    span,
                ));
            };
            return parse_int(s, base as u32).map(Obj::int).ok_or_else(|| {
                value_error(
                    format!(
                        "invalid literal for int() with base {base}: {}",
                        crate::value::python_repr(&Value::Text(s.clone()))
                    ),
                    span,
                )
            });
        }
        match x {
            Obj::Value(Value::Int(i)) => Ok(Obj::int(*i)),
            Obj::Value(Value::Bool(b)) => Ok(Obj::int(i64::from(*b))),
            Obj::Value(Value::Float(f)) => float_to_int(*f, span).map(Obj::int),
            Obj::Value(Value::Decimal(d)) => i64::try_from(d.trunc()).map(Obj::int).map_err(|_| {
                value_error("the Decimal is too large for djq's 64-bit integers", span)
            }),
            Obj::Value(Value::Text(s)) => parse_int(s, 10).map(Obj::int).ok_or_else(|| {
                value_error(
                    format!(
                        "invalid literal for int() with base 10: {}",
                        crate::value::python_repr(&Value::Text(s.clone()))
                    ),
                    span,
                )
            }),
            other => Err(type_error(
                format!(
                    "int() argument must be a string, a bytes-like object or a real number, not '{}'",
                    other.type_name()
                ),
                span,
            )),
        }
    }

    /// `sum(items, start)`: CPython 3.12 adds floats with Neumaier's compensation
    /// (`sum([0.1] * 10) == 1.0`).
    fn sum(&mut self, start: Obj, items: Vec<Obj>, span: Span) -> Result<Obj> {
        let mut acc = start;
        let mut items = items.into_iter().peekable();
        while let Some(item) = items.next() {
            let float_run = matches!(acc, Obj::Value(Value::Float(_)))
                && matches!(item, Obj::Value(Value::Float(_)));
            if !float_run {
                acc = self.binary(BinOp::Add, acc, item, span)?;
                continue;
            }
            let (Obj::Value(Value::Float(start)), Obj::Value(Value::Float(first))) = (&acc, &item)
            else {
                unreachable!("checked")
            };
            let mut s = *start;
            let mut c = 0.0;
            // Neumaier's step: `s + x`, with what it lost kept in `c`.
            let add = |s: &mut f64, c: &mut f64, x: f64| {
                let t = *s + x;
                if s.abs() >= x.abs() {
                    *c += (*s - t) + x;
                } else {
                    *c += (x - t) + *s;
                }
                *s = t;
            };
            add(&mut s, &mut c, *first);
            // An int in a run of floats is added as a float, without compensation.
            while let Some(Obj::Value(Value::Float(_) | Value::Int(_))) = items.peek() {
                match items.next() {
                    Some(Obj::Value(Value::Float(x))) => add(&mut s, &mut c, x),
                    Some(Obj::Value(Value::Int(i))) => s += i as f64,
                    _ => unreachable!("peeked"),
                }
            }
            acc = Obj::Value(Value::Float(s + c));
        }
        Ok(acc)
    }
}

/// `int(f)`: toward zero, with CPython's errors for infinities, NaN and djq's 64 bits.
fn float_to_int(f: f64, span: Span) -> Result<i64> {
    if f.is_infinite() {
        return Err(Diagnostic::new(
            ErrorKind::Python("OverflowError".into()),
            "cannot convert float infinity to integer",
        )
        .at(span));
    }
    if f.is_nan() {
        return Err(value_error("cannot convert float NaN to integer", span));
    }
    let t = f.trunc();
    // 2**63: the first float past i64::MAX.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if !(-LIMIT..LIMIT).contains(&t) {
        return Err(Diagnostic::new(
            ErrorKind::Python("OverflowError".into()),
            "integer result out of range: djq's integers are 64-bit",
        )
        .at(span));
    }
    Ok(t as i64)
}

/// `round(x)` / `round(x, n)`.
fn round(x: &Obj, n: Option<i64>, span: Span) -> Result<Obj> {
    Ok(match (x, n) {
        (Obj::Value(Value::Float(f)), None) => Obj::int(float_to_int(f.round_ties_even(), span)?),
        (Obj::Value(Value::Float(f)), Some(n)) => Obj::Value(Value::Float(round_float(*f, n))),
        (Obj::Value(Value::Int(i)), None) => Obj::int(*i),
        (Obj::Value(Value::Bool(b)), None) => Obj::int(i64::from(*b)),
        (Obj::Value(Value::Int(i)), Some(n)) if n >= 0 => Obj::int(*i),
        (Obj::Value(Value::Int(i)), Some(n)) => {
            let d =
                Decimal::from(*i).round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven);
            let m = Decimal::from(
                10i64
                    .checked_pow(n.unsigned_abs() as u32)
                    .unwrap_or(i64::MAX),
            );
            let q = (d / m).round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven) * m;
            Obj::int(i64::try_from(q).unwrap_or(0))
        }
        (Obj::Value(Value::Decimal(d)), None) => Obj::int(
            i64::try_from(d.round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven))
                .map_err(|_| value_error("the Decimal is too large for djq's integers", span))?,
        ),
        (Obj::Value(Value::Decimal(d)), Some(n)) if n >= 0 => Obj::Value(Value::Decimal({
            let mut r = d.round_dp_with_strategy(n as u32, RoundingStrategy::MidpointNearestEven);
            r.rescale(n as u32);
            r
        })),
        (other, _) => {
            return Err(type_error(
                format!("type {} doesn't define __round__ method", other.type_name()),
                span,
            ));
        }
    })
}

/// `pow(a, b, m)` of integers.
fn pow_mod(a: &Obj, b: &Obj, m: &Obj, span: Span) -> Result<Obj> {
    let int = |o: &Obj| match o {
        Obj::Value(Value::Int(i)) => Some(i128::from(*i)),
        Obj::Value(Value::Bool(b)) => Some(i128::from(*b)),
        _ => None,
    };
    let (Some(a), Some(b), Some(m)) = (int(a), int(b), int(m)) else {
        return Err(type_error(
            "pow() 3rd argument not allowed unless all arguments are integers",
            span,
        ));
    };
    if m == 0 {
        return Err(value_error("pow() 3rd argument cannot be 0", span));
    }
    let modulo = |x: i128| ((x % m) + m) % m;
    let (mut base, mut e) = (modulo(a), b);
    if e < 0 {
        // The inverse of `a` modulo `m`, by the extended Euclidean algorithm.
        let (mut r0, mut r1, mut s0, mut s1) = (m.abs(), base, 0i128, 1i128);
        while r1 != 0 {
            let q = r0 / r1;
            (r0, r1) = (r1, r0 - q * r1);
            (s0, s1) = (s1, s0 - q * s1);
        }
        if r0 != 1 {
            return Err(value_error(
                "base is not invertible for the given modulus",
                span,
            ));
        }
        base = modulo(s0);
        e = -e;
    }
    let mut result = modulo(1);
    while e > 0 {
        if e & 1 == 1 {
            result = modulo(result * base);
        }
        base = modulo(base * base);
        e >>= 1;
    }
    // Python's result takes the sign of the modulus.
    let result = if m < 0 && result > 0 {
        result + m
    } else {
        result
    };
    Ok(Obj::int(result as i64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn int_reads_text_as_cpython() {
        assert_eq!(parse_int("0x1F", 0), Some(31));
        assert_eq!(parse_int(" -0b101 ", 0), Some(-5));
        assert_eq!(parse_int("1_000", 10), Some(1000));
        assert_eq!(parse_int("09", 0), None);
        assert_eq!(parse_int("00", 0), Some(0));
        assert_eq!(parse_int("1__0", 10), None);
        assert_eq!(parse_int("ff", 16), Some(255));
        assert_eq!(parse_int("0xff", 16), Some(255));
        assert_eq!(parse_int("١٢", 10), Some(12));
        assert_eq!(parse_int("-9223372036854775808", 10), Some(i64::MIN));
        assert_eq!(parse_int("9223372036854775808", 10), None);
    }

    #[test]
    fn round_is_bankers_on_floats_ints_and_decimals() {
        let span = Span::default();
        let f = |x: f64, n: Option<i64>| round(&Obj::Value(Value::Float(x)), n, span).unwrap();
        assert!(matches!(f(2.5, None), Obj::Value(Value::Int(2))));
        assert!(matches!(f(2.675, Some(2)), Obj::Value(Value::Float(x)) if x == 2.67));
        assert!(matches!(f(0.125, Some(2)), Obj::Value(Value::Float(x)) if x == 0.12));
        let i = round(&Obj::int(1250), Some(-2), span).unwrap();
        assert!(matches!(i, Obj::Value(Value::Int(1200))));
        let d = |s: &str, n| {
            let v = Obj::Value(Value::Decimal(s.parse().unwrap()));
            match round(&v, n, span).unwrap() {
                Obj::Value(v) => v.to_python_str(),
                _ => unreachable!(),
            }
        };
        assert_eq!(d("2.675", Some(2)), "2.68");
        assert_eq!(d("2.5", None), "2");
        assert_eq!(d("4.25", Some(1)), "4.2");
        assert_eq!(d("4", Some(2)), "4.00");
    }
}
