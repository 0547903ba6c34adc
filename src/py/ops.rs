//! Operators: unary, binary and comparison operators on Python's values, with Python's
//! errors (ZeroDivisionError, OverflowError, TypeError); native operands are the host's.

use super::args::dummy;
use super::nested::{deeper, is, position, py_eq};
use super::obj::{Obj, as_plain};
use super::{Host, Interp};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::syntax::ast::{BinOp, CmpOp, UnaryOp};
use crate::value::Value;
use std::borrow::Cow;

impl<H: Host> Interp<H> {
    pub fn unary(&mut self, op: UnaryOp, v: Obj, span: Span) -> Result<Obj> {
        if let Obj::Native(_) = v
            && let Some(result) = H::unary(self, op, &v, span)
        {
            return result;
        }
        match (op, v) {
            (UnaryOp::Not, v) => Ok(Obj::bool(!self.truthy(&v, &dummy(span))?)),
            (UnaryOp::Neg, Obj::Value(Value::Int(i))) => Ok(Obj::int(-i)),
            (UnaryOp::Neg, Obj::Value(Value::Float(f))) => Ok(Obj::Value(Value::Float(-f))),
            (UnaryOp::Neg, Obj::Value(Value::Decimal(d))) => Ok(Obj::Value(Value::Decimal(-d))),
            (UnaryOp::Pos, v @ Obj::Value(Value::Int(_) | Value::Float(_) | Value::Decimal(_))) => {
                Ok(v)
            }
            (UnaryOp::Invert, Obj::Value(Value::Int(i))) => Ok(Obj::int(!i)),
            (op, v) => Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "bad operand type for unary {}: '{}'",
                    unary_symbol(op),
                    v.type_name()
                ),
            )
            .at(span)),
        }
    }

    pub fn binary(&mut self, op: BinOp, l: Obj, r: Obj, span: Span) -> Result<Obj> {
        if let (BinOp::Mod, Obj::Value(Value::Text(template))) = (op, &l) {
            return self.percent_format(template, &r, span);
        }
        // An enum member is its value.
        if let (Cow::Owned(_), _) | (_, Cow::Owned(_)) = (as_plain(&l), as_plain(&r)) {
            let (l, r) = (as_plain(&l).into_owned(), as_plain(&r).into_owned());
            return self.binary(op, l, r, span);
        }
        if matches!(l, Obj::Native(_)) || matches!(r, Obj::Native(_)) {
            if let Some(path) = super::stdlib::objects::path_binary(op, &l, &r) {
                return Ok(path);
            }
            return H::binary(self, op, &l, &r, span)
                .unwrap_or_else(|| Err(unsupported(op, &l, &r, span)));
        }
        if let Some(result) = self.set_binary(op, &l, &r, span) {
            return result;
        }
        if let Some(result) = repeat(op, &l, &r, span) {
            return result;
        }
        match (&l, &r) {
            (Obj::Value(a), Obj::Value(b)) => {
                scalar_binary(op, a, b).map(Obj::Value).ok_or_else(|| {
                    zero_division(op, a, b)
                        .or_else(|| int_overflow(op, a, b))
                        .or_else(|| repeated_too_long(op, a, b))
                        .map_or_else(|| unsupported(op, &l, &r, span), |d| d.at(span))
                })
            }
            (Obj::List(a), Obj::List(b)) if op == BinOp::Add => Ok(Obj::list(
                a.borrow()
                    .iter()
                    .chain(b.borrow().iter())
                    .cloned()
                    .collect(),
            )),
            (Obj::Tuple(a), Obj::Tuple(b)) if op == BinOp::Add => {
                Ok(Obj::tuple(a.iter().chain(b.iter()).cloned().collect()))
            }
            _ => Err(unsupported(op, &l, &r, span)),
        }
    }

    /// `target op= value`: a mutable set or list is changed in place (every name bound to
    /// it sees the change), as Python's in-place operators do; anything else is `op`.
    pub fn augmented(&mut self, op: BinOp, l: Obj, r: Obj, span: Span) -> Result<Obj> {
        if let Some(done) = self.set_inplace(op, &l, &r, span) {
            return done.map(|()| l);
        }
        if let (BinOp::Add, Obj::List(items)) = (op, &l) {
            let more = self.iter_obj(&r, &dummy(span))?;
            items.borrow_mut().extend(more);
            return Ok(l);
        }
        self.binary(op, l, r, span)
    }

    pub fn compare(&mut self, op: CmpOp, l: &Obj, r: &Obj, span: Span) -> Result<bool> {
        use std::cmp::Ordering;
        if !matches!(op, CmpOp::Is | CmpOp::IsNot)
            && let (Cow::Owned(_), _) | (_, Cow::Owned(_)) = (as_plain(l), as_plain(r))
        {
            return self.compare(op, &as_plain(l), &as_plain(r), span);
        }
        if matches!(op, CmpOp::Eq | CmpOp::NotEq)
            && let Some(eq) = self.class_eq(l, r, span)?
        {
            return Ok(eq == (op == CmpOp::Eq));
        }
        if matches!(op, CmpOp::In | CmpOp::NotIn)
            && matches!(l, Obj::Object(_))
            && !matches!(r, Obj::Dict(_) | Obj::Value(_) | Obj::Range(_))
        {
            // `x in items` by `==`, which an item's class may define.
            let mut found = false;
            for item in self.iter_obj(r, &dummy(span))? {
                if is(&item, l) || self.compare(CmpOp::Eq, &item, l, span)? {
                    found = true;
                    break;
                }
            }
            return Ok(found == (op == CmpOp::In));
        }
        match op {
            CmpOp::Eq => return py_eq(l, r).map_err(|d| d.at(span)),
            CmpOp::NotEq => return py_eq(l, r).map(|e| !e).map_err(|d| d.at(span)),
            CmpOp::Is => return Ok(is(l, r)),
            CmpOp::IsNot => return Ok(!is(l, r)),
            CmpOp::In | CmpOp::NotIn => {
                let found = match r {
                    Obj::Value(Value::Text(hay)) => match l {
                        Obj::Value(Value::Text(needle)) => hay.contains(needle.as_str()),
                        _ => false,
                    },
                    Obj::Dict(pairs) => position(pairs.borrow().iter().map(|(k, _)| k), l)
                        .map_err(|d| d.at(span))?
                        .is_some(),
                    Obj::Set(s) => super::sets::Hashing::contains(&*s.table.borrow(), l)
                        .map_err(|d| d.at(span))?,
                    Obj::Range(r) => match l {
                        Obj::Value(Value::Int(i)) => r.contains(*i),
                        Obj::Value(Value::Bool(b)) => r.contains(i64::from(*b)),
                        _ => false,
                    },
                    other => position(self.iter_obj(other, &dummy(span))?.iter(), l)
                        .map_err(|d| d.at(span))?
                        .is_some(),
                };
                return Ok(found == (op == CmpOp::In));
            }
            _ => {}
        }
        if let Some(result) = self.set_compare(op, l, r) {
            return result.map_err(|d| d.at(span));
        }
        let ord = match (l, r) {
            (Obj::Value(a), Obj::Value(b)) => scalar_cmp(a, b),
            (Obj::List(_), Obj::List(_)) | (Obj::Tuple(_), Obj::Tuple(_)) => {
                // Lexicographic: the first unequal items decide, else the lengths.
                let (a, b) = (l.items().unwrap_or_default(), r.items().unwrap_or_default());
                let _level = deeper("in comparison").map_err(|d| d.at(span))?;
                for (x, y) in a.iter().zip(&b) {
                    if !(is(x, y) || py_eq(x, y).map_err(|d| d.at(span))?) {
                        return self.compare(op, x, y, span);
                    }
                }
                Some(a.len().cmp(&b.len()))
            }
            _ => None,
        }
        .ok_or_else(|| {
            let message = match (l, r) {
                (Obj::Value(a), Obj::Value(b)) if super::stdlib::datetime::mixed(a, b) => {
                    "can't compare offset-naive and offset-aware datetimes".into()
                }
                _ => format!(
                    "'{}' not supported between instances of '{}' and '{}'",
                    cmp_symbol(op),
                    l.type_name(),
                    r.type_name()
                ),
            };
            Diagnostic::new(ErrorKind::Type, message).at(span)
        })?;
        Ok(match op {
            CmpOp::Lt => ord == Ordering::Less,
            CmpOp::LtE => ord != Ordering::Greater,
            CmpOp::Gt => ord == Ordering::Greater,
            _ => ord != Ordering::Less,
        })
    }
}

/// `list * n`, `n * tuple`: a sequence repeated (`str * n` is [`scalar_binary`]'s).
fn repeat(op: BinOp, l: &Obj, r: &Obj, span: Span) -> Option<Result<Obj>> {
    if op != BinOp::Mul {
        return None;
    }
    let (seq, n) = match (l, r) {
        (Obj::List(_) | Obj::Tuple(_), Obj::Value(Value::Int(n))) => (l, *n),
        (Obj::Value(Value::Int(n)), Obj::List(_) | Obj::Tuple(_)) => (r, *n),
        (Obj::List(_) | Obj::Tuple(_), Obj::Value(Value::Bool(b))) => (l, i64::from(*b)),
        _ => return None,
    };
    let items = seq.items().unwrap_or_default();
    let n = usize::try_from(n).unwrap_or(0);
    if items.len().saturating_mul(n) > super::MAX_RANGE as usize {
        return Some(Err(Diagnostic::new(
            ErrorKind::Python("MemoryError".into()),
            format!(
                "the repeated {} would hold more than {} items, more than djq makes",
                seq.type_name(),
                super::MAX_RANGE
            ),
        )
        .at(span)));
    }
    let out: Vec<Obj> = (0..n).flat_map(|_| items.iter().cloned()).collect();
    Some(Ok(match seq {
        Obj::List(_) => Obj::list(out),
        _ => Obj::tuple(out),
    }))
}

/// Python arithmetic on scalars.
fn scalar_binary(op: BinOp, a: &Value, b: &Value) -> Option<Value> {
    use Value::*;
    let ai = match a {
        Int(i) => Some(*i),
        Bool(b) => Some(*b as i64),
        _ => None,
    };
    let bi = match b {
        Int(i) => Some(*i),
        Bool(b) => Some(*b as i64),
        _ => None,
    };
    if let (Some(x), Some(y)) = (ai, bi) {
        return Some(match op {
            BinOp::Add => Int(x.checked_add(y)?),
            BinOp::Sub => Int(x.checked_sub(y)?),
            BinOp::Mul => Int(x.checked_mul(y)?),
            BinOp::Div => Float(x as f64 / y as f64).then_nonzero(y)?,
            BinOp::FloorDiv if y != 0 => {
                let q = x / y;
                Int(if x % y != 0 && ((x < 0) != (y < 0)) {
                    q - 1
                } else {
                    q
                })
            }
            BinOp::Mod if y != 0 => Int(((x % y) + y) % y),
            BinOp::Pow if y >= 0 => Int(x.checked_pow(u32::try_from(y).ok()?)?),
            BinOp::Pow if x != 0 => Float((x as f64).powf(y as f64)),
            BinOp::BitOr => Int(x | y),
            BinOp::BitAnd => Int(x & y),
            BinOp::BitXor => Int(x ^ y),
            _ => return None,
        });
    }
    if matches!(a, Decimal(_)) || matches!(b, Decimal(_)) {
        return decimal_binary(op, a, b).map(Decimal);
    }
    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
        return Some(Float(match op {
            BinOp::Add => x + y,
            BinOp::Sub => x - y,
            BinOp::Mul => x * y,
            BinOp::Div if y != 0.0 => x / y,
            BinOp::FloorDiv if y != 0.0 => (x / y).floor(),
            BinOp::Mod if y != 0.0 => x - y * (x / y).floor(),
            BinOp::Pow => x.powf(y),
            _ => return None,
        }));
    }
    match (op, a, b) {
        (BinOp::Add, Text(x), Text(y)) => {
            (x.len() + y.len() <= super::MAX_TEXT).then(|| Text(format!("{x}{y}")))
        }
        (BinOp::Mul, Text(x), Int(n)) | (BinOp::Mul, Int(n), Text(x)) => {
            let n = (*n).max(0) as usize;
            (x.len().checked_mul(n)? <= super::MAX_TEXT).then(|| Text(x.repeat(n)))
        }
        _ => super::stdlib::datetime::arith(op, a, b),
    }
}

/// Arithmetic with a `Decimal` operand: Decimal with int or Decimal (never with float,
/// which Python refuses).
fn decimal_binary(op: BinOp, a: &Value, b: &Value) -> Option<rust_decimal::Decimal> {
    let dec = |v: &Value| match v {
        Value::Decimal(d) => Some(*d),
        Value::Int(i) => Some(rust_decimal::Decimal::from(*i)),
        Value::Bool(b) => Some(rust_decimal::Decimal::from(u8::from(*b))),
        _ => None,
    };
    let (x, y) = (dec(a)?, dec(b)?);
    match op {
        BinOp::Add => x.checked_add(y),
        BinOp::Sub => x.checked_sub(y),
        BinOp::Mul => x.checked_mul(y),
        // Python keeps the "ideal" exponent (the dividend's scale minus the divisor's)
        // when the quotient is exact at that scale.
        BinOp::Div => x.checked_div(y).map(|q| {
            let mut q = q.normalize();
            let ideal = x.scale().saturating_sub(y.scale());
            if q.scale() < ideal {
                q.rescale(ideal);
            }
            q
        }),
        // Python's Decimal `//` truncates toward zero and `%` keeps the dividend's sign.
        BinOp::FloorDiv => x.checked_div(y).map(|q| q.trunc()),
        BinOp::Mod => x.checked_rem(y),
        _ => None,
    }
}

trait ThenNonzero {
    fn then_nonzero(self, divisor: i64) -> Option<Value>;
}

impl ThenNonzero for Value {
    fn then_nonzero(self, divisor: i64) -> Option<Value> {
        (divisor != 0).then_some(self)
    }
}

fn scalar_cmp(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    use Value::*;
    if let (Some(x), Some(y)) = (a.as_number(), b.as_number()) {
        return x.partial_cmp(&y);
    }
    match (a, b) {
        (Text(x), Text(y)) => Some(x.cmp(y)),
        (Date(x), Date(y)) => Some(x.cmp(y)),
        (DateTime(_) | OffsetDateTime(_), DateTime(_) | OffsetDateTime(_)) => {
            Some(a.instant()?.cmp(&b.instant()?))
        }
        (Decimal(x), Decimal(y)) => Some(x.cmp(y)),
        _ => super::stdlib::datetime::compare(a, b),
    }
}

/// Python's ZeroDivisionError for `/`, `//` and `%` by a zero int or float.
fn zero_division(op: BinOp, a: &Value, b: &Value) -> Option<Diagnostic> {
    let float = matches!(a, Value::Float(_)) || matches!(b, Value::Float(_));
    let zero = match b {
        Value::Int(0) | Value::Bool(false) => true,
        Value::Float(f) => *f == 0.0,
        _ => false,
    };
    if !zero || !matches!(a, Value::Int(_) | Value::Bool(_) | Value::Float(_)) {
        return None;
    }
    let message = match (op, float) {
        (BinOp::Div, false) => "division by zero",
        (BinOp::FloorDiv, false) => "integer division or modulo by zero",
        (BinOp::Mod, false) => "integer modulo by zero",
        (BinOp::Div, true) => "float division by zero",
        (BinOp::FloorDiv, true) => "float floor division by zero",
        (BinOp::Mod, true) => "float modulo",
        _ => return None,
    };
    Some(Diagnostic::new(
        ErrorKind::Python("ZeroDivisionError".into()),
        message,
    ))
}

/// The MemoryError of a string repeated or joined past [`super::MAX_TEXT`].
fn repeated_too_long(op: BinOp, a: &Value, b: &Value) -> Option<Diagnostic> {
    let what = match (op, a, b) {
        (BinOp::Mul, Value::Text(_), Value::Int(_))
        | (BinOp::Mul, Value::Int(_), Value::Text(_)) => "repeated",
        (BinOp::Add, Value::Text(_), Value::Text(_)) => "joined",
        _ => return None,
    };
    Some(Diagnostic::new(
        ErrorKind::Python("MemoryError".into()),
        format!(
            "the {what} string would be longer than djq allows ({})",
            super::MAX_TEXT_SAID
        ),
    ))
}

fn int_overflow(op: BinOp, a: &Value, b: &Value) -> Option<Diagnostic> {
    let int = |v: &Value| matches!(v, Value::Int(_) | Value::Bool(_));
    if !int(a) || !int(b) {
        return None;
    }
    if op == BinOp::Pow && matches!(b, Value::Int(n) if *n < 0) {
        return Some(Diagnostic::new(
            ErrorKind::Python("ZeroDivisionError".into()),
            "0.0 cannot be raised to a negative power",
        ));
    }
    matches!(
        op,
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::FloorDiv | BinOp::Mod | BinOp::Pow
    )
    .then(|| {
        Diagnostic::new(
            ErrorKind::Python("OverflowError".into()),
            "integer result out of range: djq's integers are 64-bit",
        )
    })
}

fn unsupported(op: BinOp, l: &Obj, r: &Obj, span: Span) -> Diagnostic {
    let (left, right) = (l.type_name(), r.type_name());
    let sequence = |t: &str| matches!(t, "str" | "list" | "tuple");
    let message = match (op, left.as_str()) {
        // CPython's own words for a sequence concatenated with another type.
        (BinOp::Add, "str" | "list" | "tuple") => {
            format!("can only concatenate {left} (not \"{right}\") to {left}")
        }
        // ... and for a sequence repeated by what is not an int.
        (BinOp::Mul, _) if sequence(&left) || sequence(&right) => {
            let other = if sequence(&left) { &right } else { &left };
            format!("can't multiply sequence by non-int of type '{other}'")
        }
        (BinOp::Sub, _) if matches!((l, r), (Obj::Value(a), Obj::Value(b)) if super::stdlib::datetime::mixed(a, b)) => {
            "can't subtract offset-naive and offset-aware datetimes".into()
        }
        _ => format!(
            "unsupported operand type(s) for {}: '{left}' and '{right}'",
            binop_symbol(op)
        ),
    };
    Diagnostic::new(ErrorKind::Type, message).at(span)
}

fn binop_symbol(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "+",
        BinOp::Sub => "-",
        BinOp::Mul => "*",
        BinOp::Div => "/",
        BinOp::FloorDiv => "//",
        BinOp::Mod => "%",
        BinOp::Pow => "** or pow()",
        BinOp::BitOr => "|",
        BinOp::BitAnd => "&",
        BinOp::BitXor => "^",
        BinOp::LShift => "<<",
        BinOp::RShift => ">>",
        BinOp::MatMul => "@",
    }
}

fn unary_symbol(op: UnaryOp) -> &'static str {
    match op {
        UnaryOp::Invert => "~",
        UnaryOp::Neg => "-",
        UnaryOp::Pos => "+",
        UnaryOp::Not => "not",
    }
}

fn cmp_symbol(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Lt => "<",
        CmpOp::LtE => "<=",
        CmpOp::Gt => ">",
        _ => ">=",
    }
}
