//! Python's `hash()`: CPython's own numbers for ints, floats, booleans, tuples and
//! frozensets (so that a set of them iterates in CPython's order), a fixed hash for strings
//! and dates (CPython's are randomized per process), identity for functions and a host's
//! objects unless they say otherwise, and `TypeError: unhashable type` for lists, dicts and
//! sets.

use super::obj::Obj;
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::value::Value;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

/// `sys.hash_info.modulus`: CPython hashes numbers modulo this prime.
const MODULUS: u64 = (1 << 61) - 1;
const BITS: u32 = 61;

/// Python's `hash(o)`.
pub fn hash(o: &Obj) -> Result<i64> {
    Ok(match o {
        Obj::Value(v) => value_hash(v),
        Obj::Tuple(items) => tuple_hash(items.iter())?,
        Obj::Row(fields) => tuple_hash(fields.iter().map(|(_, v)| v))?,
        Obj::Set(s) if s.frozen => frozenset_hash(s.table.borrow().entries().map(|(h, _)| h)),
        Obj::List(_) | Obj::Dict(_) | Obj::Set(_) => return Err(unhashable(o)),
        Obj::Range(r) => {
            tuple_hash([Obj::int(r.len()), Obj::int(r.start), Obj::int(r.step)].iter())?
        }
        Obj::Native(n) if let Some(v) = n.value() => value_hash(&v),
        Obj::Native(n) => match n.hash().map_err(|m| Diagnostic::new(ErrorKind::Type, m))? {
            Some(h) => h,
            None => pointer(Rc::as_ptr(n).cast()),
        },
        Obj::Function(f) => pointer(Rc::as_ptr(f).cast()),
        Obj::Exception(e) => pointer(Rc::as_ptr(e).cast()),
        Obj::Class(c) => pointer(Rc::as_ptr(c).cast()),
        Obj::Object(instance) if let Some(v) = &instance.value => value_hash(v),
        Obj::Object(instance) => pointer(Rc::as_ptr(instance).cast()),
        Obj::Wrapper(w) => pointer(Rc::as_ptr(w).cast()),
        Obj::Method(recv, name) => identity(recv) ^ text_hash(name),
        Obj::Builtin(_) | Obj::Module(_) | Obj::ExceptionClass(_) | Obj::Type(_) => {
            text_hash(&o.type_name()) ^ text_hash(&format!("{o:?}"))
        }
    })
}

/// The TypeError of hashing a mutable container.
pub fn unhashable(o: &Obj) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Type,
        format!("unhashable type: '{}'", o.type_name()),
    )
}

/// `id(o)` as CPython shows it: the object's address (a value's own, for scalars).
pub fn id(o: &Obj) -> i64 {
    let addr = match o {
        Obj::List(l) => Rc::as_ptr(l).cast::<()>() as usize,
        Obj::Tuple(t) => Rc::as_ptr(t).cast::<()>() as usize,
        Obj::Row(r) => Rc::as_ptr(r).cast::<()>() as usize,
        Obj::Dict(d) => Rc::as_ptr(d).cast::<()>() as usize,
        Obj::Set(s) => Rc::as_ptr(s).cast::<()>() as usize,
        Obj::Native(n) => Rc::as_ptr(n).cast::<()>() as usize,
        Obj::Function(f) => Rc::as_ptr(f).cast::<()>() as usize,
        Obj::Exception(e) => Rc::as_ptr(e).cast::<()>() as usize,
        Obj::Method(recv, _) => Rc::as_ptr(recv).cast::<()>() as usize,
        // Equal values are one object in a shell's view (CPython caches small ints and
        // interns strings); their id is a number derived from the value.
        other => return 0x7f00_0000_0000 | (hash(other).unwrap_or(0) & 0xff_ffff_ffff),
    };
    addr as i64
}

/// The hash of a container's identity (a bound method's receiver).
fn identity(o: &Obj) -> i64 {
    match hash(o) {
        Ok(h) if !matches!(o, Obj::Tuple(_) | Obj::Row(_)) => h,
        _ => id(o) >> 4,
    }
}

/// CPython's `_Py_HashPointer`: the address rotated by 4 bits.
fn pointer(p: *const ()) -> i64 {
    let a = p as usize as u64;
    let h = a.rotate_right(4) as i64;
    if h == -1 { -2 } else { h }
}

fn value_hash(v: &Value) -> i64 {
    match v {
        Value::Null => 0x5f3c_2a1b,
        Value::Bool(b) => i64::from(*b),
        Value::Int(i) => int_hash(*i),
        Value::Float(f) => float_hash(*f),
        Value::Decimal(d) if d.fract().is_zero() => match i64::try_from(d.trunc()) {
            Ok(i) => int_hash(i),
            Err(_) => float_hash(d.to_string().parse().unwrap_or(0.0)),
        },
        Value::Decimal(d) => float_hash(d.to_string().parse().unwrap_or(0.0)),
        Value::Text(s) => text_hash(s),
        // `uuid.UUID.__hash__`: the hash of its 128-bit int.
        Value::Uuid(s) => match u128::from_str_radix(&s.replace('-', ""), 16) {
            Ok(n) => (n % u128::from(MODULUS)) as i64,
            Err(_) => text_hash(s),
        },
        // Equal instants in different zones are equal, so hash alike.
        Value::OffsetDateTime(dt) => text_hash(&Value::DateTime(dt.to_utc()).to_python_str()),
        other => text_hash(&other.to_python_str()),
    }
}

/// CPython's hash of an int: its value modulo 2**61 - 1, with the sign; -1 is -2.
pub fn int_hash(i: i64) -> i64 {
    let h = (i.unsigned_abs() % MODULUS) as i64;
    let h = if i < 0 { -h } else { h };
    if h == -1 { -2 } else { h }
}

/// CPython's `_Py_HashDouble` (a float equal to an int hashes as the int).
fn float_hash(v: f64) -> i64 {
    if v.is_infinite() {
        return if v > 0.0 { 314_159 } else { -314_159 };
    }
    if v.is_nan() {
        return 0;
    }
    let (mut m, mut e) = frexp(v);
    let sign: i64 = if m < 0.0 {
        m = -m;
        -1
    } else {
        1
    };
    let mut x: u64 = 0;
    while m != 0.0 {
        x = ((x << 28) & MODULUS) | (x >> (BITS - 28));
        m *= 268_435_456.0;
        e -= 28;
        let y = m as u64;
        m -= y as f64;
        x += y;
        if x >= MODULUS {
            x -= MODULUS;
        }
    }
    let e = if e >= 0 {
        e % BITS as i32
    } else {
        BITS as i32 - 1 - ((-1 - e) % BITS as i32)
    } as u32;
    x = ((x << e) & MODULUS) | (x >> (BITS - e));
    let h = (x as i64).wrapping_mul(sign);
    if h == -1 { -2 } else { h }
}

/// C's `frexp`: `v = m * 2**e` with `0.5 <= |m| < 1`.
fn frexp(v: f64) -> (f64, i32) {
    if v == 0.0 {
        return (v, 0);
    }
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    if exp == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(v * 2f64.powi(64));
        return (m, e - 64);
    }
    let m = f64::from_bits((bits & !(0x7ff << 52)) | (1022 << 52));
    (m, exp - 1022)
}

/// A string's hash: fixed (CPython randomizes it per process, so no order of a set of
/// strings is CPython's own).
pub(crate) fn text_hash(s: &str) -> i64 {
    let mut h = std::hash::DefaultHasher::new();
    s.hash(&mut h);
    let h = h.finish() as i64;
    if h == -1 { -2 } else { h }
}

/// CPython's tuple hash (xxHash's mixing of the items' hashes).
fn tuple_hash<'a>(items: impl ExactSizeIterator<Item = &'a Obj>) -> Result<i64> {
    const P1: u64 = 11_400_714_785_074_694_791;
    const P2: u64 = 14_029_467_366_897_019_727;
    const P5: u64 = 2_870_177_450_012_600_261;
    let len = items.len() as u64;
    let mut acc = P5;
    for item in items {
        let lane = hash(item)? as u64;
        acc = acc.wrapping_add(lane.wrapping_mul(P2));
        acc = acc.rotate_left(31);
        acc = acc.wrapping_mul(P1);
    }
    acc = acc.wrapping_add(len ^ (P5 ^ 3_527_539));
    Ok(if acc == u64::MAX {
        1_546_275_796
    } else {
        acc as i64
    })
}

/// CPython's frozenset hash of the hashes of its items.
fn frozenset_hash(hashes: impl Iterator<Item = i64>) -> i64 {
    let shuffle = |h: u64| ((h ^ 89_869_747) ^ (h << 16)).wrapping_mul(3_644_798_167);
    let mut n = 0u64;
    let mut h = 0u64;
    for x in hashes {
        h ^= shuffle(x as u64);
        n += 1;
    }
    h ^= (n + 1).wrapping_mul(1_927_868_237);
    h ^= (h >> 11) ^ (h >> 25);
    h = h.wrapping_mul(69_069).wrapping_add(907_133_923);
    if h == u64::MAX { 590_923_713 } else { h as i64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_hash_as_cpython() {
        assert_eq!(int_hash(42), 42);
        assert_eq!(int_hash(-1), -2);
        assert_eq!(int_hash(1 << 62), 2);
        assert_eq!(float_hash(42.0), 42);
        assert_eq!(float_hash(0.5), 1_152_921_504_606_846_976);
        assert_eq!(float_hash(-2.5), -1_152_921_504_606_846_978);
        let t = Obj::tuple(vec![Obj::int(1), Obj::int(2)]);
        assert_eq!(hash(&t).unwrap(), -3_550_055_125_485_641_917);
    }
}
