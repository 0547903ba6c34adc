//! Values in and out of SQLite, converted the way Django's SQLite backend does it.
//!
//! [`adapt`] is the way in (Django's `adapt_*_value` plus the `sqlite3` module's adapters: dates
//! and datetimes become text, decimals text, UUIDs 32 hex digits, durations microseconds).
//! [`decode`] is the way out (the backend's `get_db_converters` and the fields'
//! `from_db_value`), driven by the [`ValueType`] of the output field. Text that is not UTF-8
//! is refused as the `sqlite3` module refuses it ([`Unreadable::NotUtf8`]), never read altered;
//! a BLOB stays bytes whatever the field.

use std::str::FromStr;

use rusqlite::types::{Value as Sql, ValueRef};
use rust_decimal::{Decimal, RoundingStrategy};

use crate::backend::dateparse::{parse_date, parse_datetime, parse_time, uuid};
use crate::value::{Value, ValueType, python_float};

/// The SQLite value a parameter is bound as.
pub fn adapt(value: &Value) -> Sql {
    match value {
        Value::Null => Sql::Null,
        Value::Bool(b) => Sql::Integer(i64::from(*b)),
        Value::Int(i) | Value::Duration(i) => Sql::Integer(*i),
        Value::Float(f) => Sql::Real(*f),
        // `str()` of the Python value: SQLite has no decimal, date or time types.
        Value::Decimal(_)
        | Value::Text(_)
        | Value::Date(_)
        | Value::NaiveDateTime(_)
        | Value::Time(_) => Sql::Text(value.to_python_str()),
        // Aware datetimes are made naive in the connection's zone (UTC) first.
        Value::DateTime(_) | Value::OffsetDateTime(_) => Sql::Text(
            Value::NaiveDateTime(value.instant().expect("aware").naive_utc()).to_python_str(),
        ),
        Value::Uuid(s) => Sql::Text(s.replace('-', "").to_ascii_lowercase()),
        Value::Json(j) => Sql::Text(python_json_dumps(j)),
        Value::Bytes(b) => Sql::Blob(b.clone()),
    }
}

/// Why a column's value could not be read.
#[derive(Debug, PartialEq)]
pub enum Unreadable {
    /// Text that is not UTF-8: the `sqlite3` module refuses it (an OperationalError, raised
    /// before any converter runs) rather than read an altered string. The text as its message
    /// quotes it: decoded with replacement characters, as Python's `%s` formatting does.
    NotUtf8(String),
    /// What is wrong with the value for `ty` (the caller adds which column it came from).
    Invalid(String),
}

impl From<String> for Unreadable {
    fn from(problem: String) -> Self {
        Unreadable::Invalid(problem)
    }
}

/// Decodes one column as `ty`; datetimes aware in UTC with `use_tz`, naive without (Django's
/// `convert_datetimefield_value`).
pub fn decode(raw: ValueRef<'_>, ty: ValueType, use_tz: bool) -> Result<Value, Unreadable> {
    use ValueRef as R;
    Ok(match (ty, raw) {
        (_, R::Null) => Value::Null,
        // Expressions with an integer or float output field cast like `int()` / `float()`.
        (ValueType::Int, R::Real(f)) if f.is_finite() => Value::Int(f.trunc() as i64),
        (ValueType::Float, R::Integer(i)) => Value::Float(i as f64),
        (ValueType::Decimal { places }, _) => Value::Decimal(decimal(raw, places)?),
        // `bool(value) if value in (1, 0) else value`
        (ValueType::Bool, R::Integer(i @ (0 | 1))) => Value::Bool(i == 1),
        (ValueType::Bool, R::Real(f)) if f == 0.0 || f == 1.0 => Value::Bool(f == 1.0),
        (ValueType::Date, R::Text(t)) => Value::Date(parse_date(text(t)?)?),
        (ValueType::DateTime, R::Text(t)) if use_tz => {
            Value::DateTime(parse_datetime(text(t)?)?.to_utc())
        }
        // Without USE_TZ a value is naive unless its text has an offset (`Z` and `+00:00`
        // included: any other offset is not zero).
        (ValueType::DateTime, R::Text(t)) => {
            let t = text(t)?;
            let parsed = parse_datetime(t)?;
            match parsed.offset().local_minus_utc() {
                0 if !t.contains(['+', 'Z']) => Value::NaiveDateTime(parsed.naive_local()),
                offset => Value::aware(parsed.to_utc(), offset)
                    .ok_or_else(|| format!("{t}: offset out of range"))?,
            }
        }
        (ValueType::Time, R::Text(t)) => Value::Time(parse_time(text(t)?)?),
        (ValueType::Duration, R::Integer(us)) => Value::Duration(us),
        (ValueType::Duration, R::Real(us)) if us.is_finite() => {
            Value::Duration(us.round_ties_even() as i64)
        }
        (ValueType::Uuid, R::Text(t)) => Value::Uuid(uuid(text(t)?)?),
        // JSONField.from_db_value: text that is not JSON comes back as it is.
        (ValueType::Json, R::Text(t)) => {
            let t = text(t)?;
            serde_json::from_str(t).map_or_else(|_| Value::Text(t.to_string()), Value::json)
        }
        (ValueType::Json, R::Integer(i)) => Value::json(i.into()),
        (ValueType::Json, R::Real(f)) => {
            serde_json::Number::from_f64(f).map_or(Value::Float(f), |n| Value::json(n.into()))
        }
        (ValueType::Bytes, R::Text(t)) => Value::Bytes(text(t)?.as_bytes().to_vec()),
        (
            ValueType::Date
            | ValueType::DateTime
            | ValueType::Time
            | ValueType::Duration
            | ValueType::Uuid,
            _,
        ) => {
            return Err(Unreadable::Invalid(format!(
                "{} is not a valid {}",
                describe(raw),
                type_name(ty)
            )));
        }
        (_, R::Integer(i)) => Value::Int(i),
        (_, R::Real(f)) => Value::Float(f),
        (_, R::Text(t)) => Value::Text(text(t)?.to_string()),
        (_, R::Blob(b)) => Value::Bytes(b.to_vec()),
    })
}

/// A text value as a string; text that is not UTF-8 is refused, never altered.
fn text(bytes: &[u8]) -> Result<&str, Unreadable> {
    std::str::from_utf8(bytes)
        .map_err(|_| Unreadable::NotUtf8(String::from_utf8_lossy(bytes).into_owned()))
}

fn type_name(ty: ValueType) -> &'static str {
    match ty {
        ValueType::Date => "date",
        ValueType::DateTime => "datetime",
        ValueType::Time => "time",
        ValueType::Duration => "duration",
        ValueType::Uuid => "UUID",
        ValueType::Decimal { .. } => "decimal",
        _ => "value",
    }
}

/// The raw value as an error message quotes it.
fn describe(raw: ValueRef<'_>) -> String {
    match raw {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => format!("integer {i}"),
        ValueRef::Real(f) => format!("real {}", python_float(f)),
        ValueRef::Text(t) => format!("'{}'", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => format!("a blob of {} bytes", b.len()),
    }
}

/// `DecimalField`'s converter: `Decimal(value)` for integers and text, the float rounded to
/// the 15 significant digits SQLite keeps, then quantized to the field's decimal places.
fn decimal(raw: ValueRef<'_>, places: Option<u32>) -> Result<Decimal, Unreadable> {
    let invalid = || Unreadable::Invalid(format!("{} is not a valid decimal", describe(raw)));
    let value = match raw {
        ValueRef::Integer(i) => Decimal::from(i),
        ValueRef::Real(f) => decimal_from_float(f).ok_or_else(invalid)?,
        ValueRef::Text(t) => {
            let t = text(t)?.trim();
            Decimal::from_str(t)
                .or_else(|_| Decimal::from_scientific(t))
                .map_err(|_| invalid())?
        }
        ValueRef::Null | ValueRef::Blob(_) => return Err(invalid()),
    };
    Ok(match places {
        Some(places) => {
            let mut q = value.round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven);
            q.rescale(places);
            q
        }
        None => value,
    })
}

/// Python's `decimal.Context(prec=15).create_decimal_from_float(f)`: the float's exact value,
/// rounded half-even to 15 significant digits (digits kept, trailing zeros included).
fn decimal_from_float(f: f64) -> Option<Decimal> {
    const PREC: usize = 15;
    if !f.is_finite() {
        return None;
    }
    // The exact value as coefficient digits × 10^exp: integral floats keep their zeros (like
    // `Decimal.from_float`), others are written with all their (finitely many) decimals.
    let (mut digits, mut exp) = if f.fract() == 0.0 {
        (format!("{:.0}", f.abs()), 0i32)
    } else {
        let fixed = format!("{:.1100}", f.abs());
        let fixed = fixed.trim_end_matches('0');
        let (int, frac) = fixed.split_once('.').unwrap_or((fixed, ""));
        let digits = format!("{int}{frac}").trim_start_matches('0').to_string();
        (digits, -(frac.len() as i32))
    };
    if digits.len() > PREC {
        let dropped = digits.split_off(PREC);
        exp += dropped.len() as i32;
        let first = dropped.as_bytes()[0];
        let rest_nonzero = dropped[1..].bytes().any(|b| b != b'0');
        let last_odd = (digits.as_bytes()[PREC - 1] - b'0') % 2 == 1;
        if first > b'5' || (first == b'5' && (rest_nonzero || last_odd)) {
            digits = increment(&digits);
            if digits.len() > PREC {
                digits.truncate(PREC);
                exp += 1;
            }
        }
    }
    let mut coefficient: i128 = digits.parse().ok()?;
    if f.is_sign_negative() {
        coefficient = -coefficient;
    }
    if exp >= 0 {
        let scaled = coefficient.checked_mul(10i128.checked_pow(exp as u32)?)?;
        Decimal::try_from_i128_with_scale(scaled, 0).ok()
    } else {
        Decimal::try_from_i128_with_scale(coefficient, exp.unsigned_abs()).ok()
    }
}

/// Adds one to a string of decimal digits.
fn increment(digits: &str) -> String {
    let mut bytes = digits.as_bytes().to_vec();
    for b in bytes.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            return String::from_utf8(bytes).expect("ASCII digits");
        }
    }
    format!("1{}", String::from_utf8(bytes).expect("ASCII digits"))
}

/// Python's `json.dumps(value)`: `", "` and `": "` separators, non-ASCII escaped.
fn python_json_dumps(value: &serde_json::Value) -> String {
    fn write(value: &serde_json::Value, out: &mut String) {
        use serde_json::Value as J;
        match value {
            J::Null => out.push_str("null"),
            J::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            J::Number(n) => match (n.is_f64(), n.as_f64()) {
                (true, Some(f)) => out.push_str(&python_float(f)),
                _ => out.push_str(&n.to_string()),
            },
            J::String(s) => write_string(s, out),
            J::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write(item, out);
                }
                out.push(']');
            }
            J::Object(map) => {
                out.push('{');
                for (i, (key, item)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_string(key, out);
                    out.push_str(": ");
                    write(item, out);
                }
                out.push('}');
            }
        }
    }
    fn write_string(s: &str, out: &mut String) {
        out.push('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                ' '..='~' => out.push(c),
                _ => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
            }
        }
        out.push('"');
    }
    let mut out = String::new();
    write(value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn floats_become_15_digit_decimals_like_django() {
        // Expected values from Python: decimal.Context(prec=15).create_decimal_from_float(f)
        let cases = [
            (12.5, "12.5"),
            (0.1, "0.100000000000000"),
            (1200.0, "1200"),
            (-2.675, "-2.67500000000000"),
            (1.0 / 3.0, "0.333333333333333"),
            (123_456_789.123_456_79, "123456789.123457"),
            (0.0, "0"),
        ];
        for (f, expected) in cases {
            let d = decimal_from_float(f).unwrap();
            assert_eq!(d.to_string(), expected, "{f}");
        }
        // 9999999999999999 rounds up to 1.00000000000000E+16
        assert_eq!(decimal_from_float(9999999999999999.0).unwrap(), dec("1e16"));
    }

    #[test]
    fn decimals_quantize_half_even() {
        let two = Some(2);
        assert_eq!(
            decimal(ValueRef::Real(12.5), two).unwrap().to_string(),
            "12.50"
        );
        assert_eq!(
            decimal(ValueRef::Real(0.125), two).unwrap().to_string(),
            "0.12"
        );
        assert_eq!(
            decimal(ValueRef::Integer(7), two).unwrap().to_string(),
            "7.00"
        );
        assert_eq!(
            decimal(ValueRef::Text(b"1.005"), two).unwrap().to_string(),
            "1.00"
        );
        assert_eq!(decimal(ValueRef::Text(b"1E+2"), None).unwrap(), dec("100"));
        assert!(decimal(ValueRef::Text(b"abc"), None).is_err());
    }

    #[test]
    fn json_adapts_like_python() {
        assert_eq!(
            python_json_dumps(&json!({"a": [1, 2.5, null], "é": "x\"y"})),
            r#"{"a": [1, 2.5, null], "\u00e9": "x\"y"}"#
        );
    }
}
