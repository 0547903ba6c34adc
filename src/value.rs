//! Scalar values as they travel between the database, the interpreter and the renderers.
//!
//! Owns the mapping of each value to Django's JSON encoding (`DjangoJSONEncoder`) and to its
//! Python `repr`/`str`, so every output format agrees.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Decimal(Decimal),
    Text(String),
    Date(NaiveDate),
    /// An aware datetime in UTC (Django with `USE_TZ = True`).
    DateTime(DateTime<Utc>),
    /// A naive datetime (Django with `USE_TZ = False`, or a column without a zone).
    NaiveDateTime(NaiveDateTime),
    Time(NaiveTime),
    /// A duration in microseconds.
    Duration(i64),
    Uuid(String),
    /// Boxed: a JSON document is rare and large, and every value pays for the largest kind.
    Json(Box<serde_json::Value>),
    Bytes(Vec<u8>),
    /// An aware datetime in a fixed zone other than UTC (`datetime.timezone(timedelta(...))`),
    /// kept with its offset as Python keeps it; the database gets its UTC instant, as Django
    /// sends it. One at offset zero is a [`Value::DateTime`] (see [`Value::aware`]).
    OffsetDateTime(DateTime<FixedOffset>),
}

/// Python's `str()` of a Decimal: plain digits, unless the exponent of the first digit is
/// below -6 (`Decimal('0E-20')`, `Decimal('1E-7')`), which is written in scientific notation.
pub fn python_decimal(d: &Decimal) -> String {
    let digits = d.mantissa().unsigned_abs().to_string();
    let adjusted = digits.len() as i64 - 1 - i64::from(d.scale());
    if adjusted >= -6 {
        return d.to_string();
    }
    let sign = if d.is_sign_negative() { "-" } else { "" };
    let (first, rest) = digits.split_at(1);
    let point = if rest.is_empty() { "" } else { "." };
    format!("{sign}{first}{point}{rest}E{adjusted}")
}

impl Value {
    /// A JSON document as a value.
    pub fn json(document: serde_json::Value) -> Value {
        Value::Json(Box::new(document))
    }

    /// An aware datetime at `offset` (in seconds east of UTC): a [`Value::DateTime`] at
    /// zero, a [`Value::OffsetDateTime`] otherwise.
    pub fn aware(instant: DateTime<Utc>, offset: i32) -> Option<Value> {
        Some(match offset {
            0 => Value::DateTime(instant),
            _ => Value::OffsetDateTime(instant.with_timezone(&FixedOffset::east_opt(offset)?)),
        })
    }

    /// The instant of an aware datetime, whatever its zone.
    pub fn instant(&self) -> Option<DateTime<Utc>> {
        match self {
            Value::DateTime(dt) => Some(*dt),
            Value::OffsetDateTime(dt) => Some(dt.to_utc()),
            _ => None,
        }
    }

    /// Python's name of the value's type, for messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "NoneType",
            Value::Bool(_) => "bool",
            Value::Int(_) => "int",
            Value::Float(_) => "float",
            Value::Decimal(_) => "Decimal",
            Value::Text(_) => "str",
            Value::Date(_) => "date",
            Value::DateTime(_) | Value::NaiveDateTime(_) | Value::OffsetDateTime(_) => "datetime",
            Value::Time(_) => "time",
            Value::Duration(_) => "timedelta",
            Value::Uuid(_) => "UUID",
            Value::Json(_) => "dict",
            Value::Bytes(_) => "bytes",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The value as `DjangoJSONEncoder` writes it.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Decimal(d) => J::String(python_decimal(d)),
            Value::Text(s) | Value::Uuid(s) => J::String(s.clone()),
            Value::Date(d) => J::String(d.format("%Y-%m-%d").to_string()),
            Value::DateTime(dt) => J::String(format!("{}Z", iso_datetime(&dt.naive_utc()))),
            Value::NaiveDateTime(dt) => J::String(iso_datetime(dt)),
            Value::Time(t) => J::String(iso_time(t)),
            Value::Duration(us) => J::String(duration_iso(*us)),
            Value::Json(v) => (**v).clone(),
            // What `str()` gives (as Django's serializer writes a text field holding bytes):
            // every byte kept, none replaced.
            Value::Bytes(b) => J::String(python_bytes(b)),
            Value::OffsetDateTime(dt) => J::String(format!(
                "{}{}",
                iso_datetime(&dt.naive_local()),
                dt.offset()
            )),
        }
    }

    /// Python's `str()` of the value (what `print` shows).
    pub fn to_python_str(&self) -> String {
        match self {
            Value::Null => "None".into(),
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => python_float(*f),
            Value::Decimal(d) => python_decimal(d),
            Value::Text(s) | Value::Uuid(s) => s.clone(),
            Value::Date(d) => python_date(d),
            Value::DateTime(dt) => format!("{}+00:00", python_datetime(&dt.naive_utc())),
            Value::NaiveDateTime(dt) => python_datetime(dt),
            Value::Time(t) => python_time(t),
            Value::Duration(us) => python_timedelta(*us),
            Value::Json(v) => v.to_string(),
            Value::Bytes(b) => python_bytes(b),
            Value::OffsetDateTime(dt) => {
                format!("{}{}", python_datetime(&dt.naive_local()), dt.offset())
            }
        }
    }

    /// The value as a human reads it in a table cell (`NULL` is shown by the renderer).
    pub fn display(&self) -> String {
        self.to_python_str()
    }
}

/// Python's `repr(bytes)` (which `str()` gives too): `b'\x00\xffA'`, in double quotes when
/// the bytes hold a `'` and no `"`.
pub fn python_bytes(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = format!("b{quote}");
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if char::from(b) == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..0x7f => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(quote);
    out
}

/// Python's `float(Decimal)`: the nearest float to the decimal's exact value (rust_decimal's
/// own `to_f64` can be one unit in the last place off).
pub fn decimal_to_f64(d: &Decimal) -> f64 {
    d.to_string().parse().unwrap_or(f64::NAN)
}

/// Python's `repr(float)`: shortest round-trip digits, always with a dot or exponent.
pub fn python_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{f:?}");
    // Rust's Debug already gives shortest round-trip; align exponent style with Python.
    if let Some((mant, exp)) = s.split_once('e') {
        let exp: i32 = exp.parse().unwrap_or(0);
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{mant}e{sign}{:02}", exp.abs())
    } else {
        s
    }
}

fn frac_micros(nanos: u32) -> u32 {
    nanos / 1000
}

/// ISO 8601 as DjangoJSONEncoder: microseconds cut to milliseconds.
fn iso_datetime(dt: &NaiveDateTime) -> String {
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    let us = frac_micros(dt.nanosecond());
    if us == 0 {
        base
    } else {
        format!("{base}.{:03}", us / 1000)
    }
}

fn iso_time(t: &NaiveTime) -> String {
    let base = t.format("%H:%M:%S").to_string();
    let us = frac_micros(t.nanosecond());
    if us == 0 {
        base
    } else {
        format!("{base}.{:03}", us / 1000)
    }
}

/// `str(date)`: `YYYY-MM-DD` (formatted directly: bulk loads format one per row).
fn python_date(d: &chrono::NaiveDate) -> String {
    use chrono::Datelike;
    format!("{:04}-{:02}-{:02}", d.year(), d.month(), d.day())
}

fn python_datetime(dt: &NaiveDateTime) -> String {
    format!("{} {}", python_date(&dt.date()), python_time(&dt.time()))
}

fn python_time(t: &NaiveTime) -> String {
    use chrono::Timelike;
    let base = format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second());
    let us = frac_micros(t.nanosecond());
    if us == 0 {
        base
    } else {
        format!("{base}.{us:06}")
    }
}

/// Django's `duration_iso_string`.
pub fn duration_iso(us: i64) -> String {
    let sign = if us < 0 { "-" } else { "" };
    let us = us.unsigned_abs();
    let days = us / 86_400_000_000;
    let rem = us % 86_400_000_000;
    let (h, m, s, frac) = (
        rem / 3_600_000_000,
        rem / 60_000_000 % 60,
        rem / 1_000_000 % 60,
        rem % 1_000_000,
    );
    let ms = if frac == 0 {
        String::new()
    } else {
        format!(".{frac:06}")
    };
    format!("{sign}P{days}DT{h:02}H{m:02}M{s:02}{ms}S")
}

/// Django's `duration_string` (how the serializers write a DurationField): `[D ]HH:MM:SS[.ffffff]`.
pub fn duration_string(us: i64) -> String {
    let (days, h, m, s, frac) = timedelta_parts(us);
    let mut out = if days != 0 {
        format!("{days} ")
    } else {
        String::new()
    };
    out.push_str(&format!("{h:02}:{m:02}:{s:02}"));
    if frac != 0 {
        out.push_str(&format!(".{frac:06}"));
    }
    out
}

/// A duration in microseconds as Python's `timedelta` normalizes it: `(days, hours, minutes,
/// seconds, microseconds)`, only the days negative.
fn timedelta_parts(us: i64) -> (i64, i64, i64, i64, i64) {
    let days = us.div_euclid(86_400_000_000);
    let rem = us.rem_euclid(86_400_000_000);
    (
        days,
        rem / 3_600_000_000,
        rem / 60_000_000 % 60,
        rem / 1_000_000 % 60,
        rem % 1_000_000,
    )
}

/// Python's `repr(timedelta)`: `datetime.timedelta(days=-1, seconds=66600)`, zero parts left
/// out.
pub fn python_timedelta_repr(us: i64) -> String {
    let (days, rest) = (us.div_euclid(86_400_000_000), us.rem_euclid(86_400_000_000));
    let parts: Vec<String> = [
        ("days", days),
        ("seconds", rest / 1_000_000),
        ("microseconds", rest % 1_000_000),
    ]
    .into_iter()
    .filter(|(_, n)| *n != 0)
    .map(|(k, n)| format!("{k}={n}"))
    .collect();
    if parts.is_empty() {
        "datetime.timedelta(0)".into()
    } else {
        format!("datetime.timedelta({})", parts.join(", "))
    }
}

/// Python's `str(timedelta)`.
fn python_timedelta(us: i64) -> String {
    let (days, h, m, s, frac) = timedelta_parts(us);
    let mut out = String::new();
    if days != 0 {
        let plural = if days.abs() == 1 { "" } else { "s" };
        out.push_str(&format!("{days} day{plural}, "));
    }
    out.push_str(&format!("{h}:{m:02}:{s:02}"));
    if frac != 0 {
        out.push_str(&format!(".{frac:06}"));
    }
    out
}

/// How to decode a database column into a [`Value`]: the output field's type, as Django's
/// backend converters and `from_db_value` use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    /// Take what the driver gives.
    Any,
    Int,
    Float,
    /// Decimal, quantized to `places` when known (DecimalField's decimal_places).
    Decimal {
        places: Option<u32>,
    },
    Text,
    Bool,
    Date,
    /// Aware (UTC) datetimes, as Django with `USE_TZ = True` returns them.
    DateTime,
    Time,
    Duration,
    Uuid,
    Json,
    Bytes,
}

impl Value {
    /// The value as a float when it is a number (bools are numbers, as in Python).
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Value::Int(i) => Some(*i as f64),
            Value::Float(f) => Some(*f),
            Value::Decimal(d) => Some(decimal_to_f64(d)),
            Value::Bool(b) => Some(*b as i64 as f64),
            _ => None,
        }
    }
}

/// Python's `repr` of a scalar, for messages.
pub fn python_repr(v: &Value) -> String {
    match v {
        Value::Text(s) => str_repr(s),
        other => other.to_python_str(),
    }
}

/// Python's `repr` of a str: quoted with `'` (or `"` when only `'` occurs in it), the quote
/// and backslashes escaped, `\t` `\n` `\r`, and every character Python does not print
/// (controls, format characters, separators but the space, private use) as `\xHH`,
/// `\uHHHH` or `\UHHHHHHHH`.
fn str_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if python_printable(c) => out.push(c),
            c if (c as u32) <= 0xff => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push(quote);
    out
}

/// Python 3.12's `str.isprintable()` for one character, code points Unicode has not
/// assigned aside (they print as themselves here).
fn python_printable(c: char) -> bool {
    !c.is_control()
        && !matches!(c,
            '\u{a0}' | '\u{ad}' | '\u{600}'..='\u{605}' | '\u{61c}' | '\u{6dd}' | '\u{70f}'
            | '\u{890}'..='\u{891}' | '\u{8e2}' | '\u{1680}' | '\u{180e}'
            | '\u{2000}'..='\u{200f}' | '\u{2028}'..='\u{202f}' | '\u{205f}'..='\u{2064}'
            | '\u{2066}'..='\u{206f}' | '\u{3000}' | '\u{e000}'..='\u{f8ff}' | '\u{feff}'
            | '\u{fff9}'..='\u{fffb}' | '\u{110bd}' | '\u{110cd}' | '\u{13430}'..='\u{1343f}'
            | '\u{1bca0}'..='\u{1bca3}' | '\u{1d173}'..='\u{1d17a}' | '\u{e0001}'
            | '\u{e0020}'..='\u{e007f}' | '\u{f0000}'..='\u{ffffd}'
            | '\u{100000}'..='\u{10fffd}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_print_as_python_repr() {
        // Expected values from Python's repr().
        assert_eq!(python_bytes(b"\x00\xff\x00"), r"b'\x00\xff\x00'");
        assert_eq!(python_bytes(b"a'b"), r#"b"a'b""#);
        assert_eq!(python_bytes(b"a'\"b"), r#"b'a\'"b'"#);
        assert_eq!(python_bytes(b"\\\t\n\r\x7f ~"), r"b'\\\t\n\r\x7f ~'");
    }

    #[test]
    fn json_encoding_matches_django() {
        let dt = NaiveDate::from_ymd_opt(2024, 3, 1)
            .unwrap()
            .and_hms_micro_opt(10, 5, 7, 123456)
            .unwrap()
            .and_utc();
        assert_eq!(
            Value::DateTime(dt).to_json(),
            serde_json::json!("2024-03-01T10:05:07.123Z")
        );
        assert_eq!(
            duration_iso(2 * 86_400_000_000 + 17 * 3_600_000_000 + 16 * 60_000_000 + 29_000_000),
            "P2DT17H16M29S"
        );
        assert_eq!(duration_string(-1), "-1 23:59:59.999999");
        assert_eq!(
            duration_string(2 * 86_400_000_000 + 61_000_000),
            "2 00:01:01"
        );
        assert_eq!(python_float(1.0), "1.0");
        assert_eq!(python_float(1e20), "1e+20");
    }

    #[test]
    fn offset_datetimes_keep_their_zone_and_reach_utc() {
        // Expected values from Python's str() and DjangoJSONEncoder.
        let utc = NaiveDate::from_ymd_opt(2024, 3, 1)
            .unwrap()
            .and_hms_micro_opt(15, 35, 7, 123456)
            .unwrap()
            .and_utc();
        let zoned = Value::aware(utc, -(5 * 3600 + 30 * 60)).unwrap();
        assert_eq!(zoned.to_python_str(), "2024-03-01 10:05:07.123456-05:30");
        assert_eq!(
            zoned.to_json(),
            serde_json::json!("2024-03-01T10:05:07.123-05:30")
        );
        assert_eq!(zoned.instant(), Some(utc));
        assert_eq!(zoned.type_name(), "datetime");
        // At offset zero it is the UTC datetime everything else already handles.
        assert_eq!(Value::aware(utc, 0), Some(Value::DateTime(utc)));
        assert_eq!(Value::NaiveDateTime(utc.naive_utc()).instant(), None);
    }

    #[test]
    fn str_repr_is_pythons() {
        // Each right-hand side is what Python 3.12's repr() printed.
        for (text, repr) in [
            ("a'b", r#""a'b""#),
            ("a\"b", r#"'a"b'"#),
            ("a'\"b\\", r#"'a\'"b\\'"#),
            ("tab\there\r\nx", r"'tab\there\r\nx'"),
            ("\x1b]0;pwned\x07", r"'\x1b]0;pwned\x07'"),
            ("\x7f\u{9b}\u{a0}é", r"'\x7f\x9b\xa0é'"),
            ("\u{200e}\u{202e}\u{2028}", r"'\u200e\u202e\u2028'"),
            ("\u{e0001}😀", r"'\U000e0001😀'"),
            ("\u{e000}", r"'\ue000'"),
        ] {
            assert_eq!(str_repr(text), repr, "{text:?}");
        }
    }
}
