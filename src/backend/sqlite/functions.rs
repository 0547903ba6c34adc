//! The SQL functions Django's SQLite backend registers on every connection
//! (`django/db/backends/sqlite3/_functions.py`), so the SQL Django emits runs unchanged:
//! date/time extraction, truncation and arithmetic (`django_date_extract`, ...), `REGEXP`,
//! the math functions missing from SQLite builds without `ENABLE_MATH_FUNCTIONS`, the small
//! string helpers (`LPAD`, `RPAD`, `REPEAT`, `REVERSE`), the hashes (`MD5`, `SHA1`, ...), and the aggregates SQLite lacks
//! (`STDDEV_*`, `VAR_*`, `ANY_VALUE`, `BIT_AND`/`BIT_OR`/`BIT_XOR`).
//!
//! Each function follows its Python original, including which malformed inputs give `NULL`
//! (the original catches the exception) and which abort the statement (it does not). Time
//! zone arguments are IANA zones (chrono-tz, DST-correct, as `zoneinfo`) and fixed offsets
//! such as `UTC+05:30`; an unknown zone is `zoneinfo`'s error.

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Timelike};
use regex::Regex;
use rusqlite::Connection;
use rusqlite::functions::{Context, FunctionFlags};
use rusqlite::types::{Value as Sql, ValueRef};

use crate::value::{Value, python_bytes, python_float};

type Func = fn(&[ValueRef<'_>]) -> Result<Sql, String>;
type FloatFn = fn(f64) -> f64;

/// Registered on every connection, like Django's `register(connection)`.
const FUNCTIONS: &[(&str, i32, Func)] = &[
    ("django_date_extract", 2, date_extract),
    ("django_date_trunc", 4, date_trunc),
    ("django_datetime_cast_date", 3, datetime_cast_date),
    ("django_datetime_cast_time", 3, datetime_cast_time),
    ("django_datetime_extract", 4, datetime_extract),
    ("django_datetime_trunc", 4, datetime_trunc),
    ("django_time_extract", 2, time_extract),
    ("django_time_trunc", 4, time_trunc),
    ("django_time_diff", 2, time_diff),
    ("django_timestamp_diff", 2, timestamp_diff),
    ("django_format_dtdelta", 3, format_dtdelta),
    ("BITXOR", 2, bitxor),
    ("COT", 1, cot),
    ("LPAD", 3, lpad),
    ("REPEAT", 2, repeat),
    ("REVERSE", 1, reverse),
    ("RPAD", 3, rpad),
    ("SIGN", 1, sign),
    ("MD5", 1, hex_digest::<md5::Md5>),
    ("SHA1", 1, hex_digest::<sha1::Sha1>),
    ("SHA224", 1, hex_digest::<sha2::Sha224>),
    ("SHA256", 1, hex_digest::<sha2::Sha256>),
    ("SHA384", 1, hex_digest::<sha2::Sha384>),
    ("SHA512", 1, hex_digest::<sha2::Sha512>),
];

/// Registered only when SQLite was built without its own math functions.
const MATH_FUNCTIONS: &[(&str, i32, Func)] = &[
    ("ATAN2", 2, atan2),
    ("CEILING", 1, ceiling),
    ("FLOOR", 1, floor),
    ("LN", 1, ln),
    ("LOG", 2, log),
    ("MOD", 2, modulo),
    ("PI", 0, pi),
    ("POWER", 2, power),
];

/// Math functions of one float argument returning a float, with Python's domain checks.
const UNARY_MATH: &[(&str, FloatFn)] = &[
    ("ACOS", f64::acos),
    ("ASIN", f64::asin),
    ("ATAN", f64::atan),
    ("COS", f64::cos),
    ("DEGREES", f64::to_degrees),
    ("EXP", f64::exp),
    ("RADIANS", f64::to_radians),
    ("SIN", f64::sin),
    ("SQRT", f64::sqrt),
    ("TAN", f64::tan),
];

/// Registers Django's functions on `conn`.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    let flags = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    let has_math: bool = conn.query_row(
        "SELECT sqlite_compileoption_used('ENABLE_MATH_FUNCTIONS')",
        [],
        |row| row.get(0),
    )?;
    let extra = if has_math { &[][..] } else { MATH_FUNCTIONS };
    for &(name, n_args, func) in FUNCTIONS.iter().chain(extra) {
        conn.create_scalar_function(name, n_args, flags, move |ctx| {
            let args: Vec<ValueRef<'_>> = (0..ctx.len()).map(|i| ctx.get_raw(i)).collect();
            func(&args).map_err(user_error)
        })?;
    }
    if !has_math {
        for &(name, func) in UNARY_MATH {
            conn.create_scalar_function(name, 1, flags, move |ctx| {
                unary_math(ctx.get_raw(0), func).map_err(user_error)
            })?;
        }
    }
    for (name, sample, root) in [
        ("STDDEV_POP", false, true),
        ("STDDEV_SAMP", true, true),
        ("VAR_POP", false, false),
        ("VAR_SAMP", true, false),
    ] {
        conn.create_aggregate_function(name, 1, flags, Spread { sample, root })?;
    }
    conn.create_aggregate_function("ANY_VALUE", 1, flags, AnyValue)?;
    for (name, op) in [
        ("BIT_AND", (|a, b| a & b) as fn(i64, i64) -> i64),
        ("BIT_OR", |a, b| a | b),
        ("BIT_XOR", |a, b| a ^ b),
    ] {
        conn.create_aggregate_function(name, 1, flags, BitAggregate(op))?;
    }
    // Not deterministic: `order_by('?')` must shuffle on every run.
    conn.create_scalar_function("RAND", 0, FunctionFlags::SQLITE_UTF8, |_| Ok(rand()))?;
    conn.create_scalar_function("regexp", 2, flags, regexp)
}

/// Django's `RAND()` for `order_by('?')`: a float in [0, 1) from a xorshift generator seeded
/// by the clock.
fn rand() -> f64 {
    use std::cell::Cell;
    thread_local! {
        static STATE: Cell<u64> = Cell::new(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0x9E37_79B9_7F4A_7C15, |d| d.as_nanos() as u64)
                | 1,
        );
    }
    STATE.with(|s| {
        let mut x = s.get();
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.set(x);
        (x >> 11) as f64 / (1u64 << 53) as f64
    })
}

fn user_error(message: String) -> rusqlite::Error {
    rusqlite::Error::UserFunctionError(message.into())
}

// ---------------------------------------------------------------------------------------------
// Django's typecasts (django/db/backends/utils.py)

/// What `typecast_timestamp` returns: a date when the text has no time part.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Stamp {
    Date(NaiveDate),
    DateTime(NaiveDateTime),
}

impl Stamp {
    fn date(self) -> NaiveDate {
        match self {
            Stamp::Date(d) => d,
            Stamp::DateTime(dt) => dt.date(),
        }
    }

    /// The time of day, or Python's error for reading `attribute` off a `date`.
    fn time(self, attribute: &str) -> Result<NaiveTime, String> {
        match self {
            Stamp::Date(_) => Err(no_attribute("datetime.date", attribute)),
            Stamp::DateTime(dt) => Ok(dt.time()),
        }
    }

    fn py_type(self) -> &'static str {
        match self {
            Stamp::Date(_) => "datetime.date",
            Stamp::DateTime(_) => "datetime.datetime",
        }
    }

    /// Python's `str()` of the value.
    fn to_python_str(self) -> String {
        match self {
            Stamp::Date(d) => Value::Date(d).to_python_str(),
            Stamp::DateTime(dt) => Value::NaiveDateTime(dt).to_python_str(),
        }
    }
}

fn no_attribute(type_name: &str, attribute: &str) -> String {
    format!("'{type_name}' object has no attribute '{attribute}'")
}

/// Python's `int(s)` on a string.
fn py_int(s: &str) -> Option<i64> {
    s.trim().parse().ok()
}

/// Python's `int((s + "000000")[:6])` for a fraction of a second.
fn py_micros(s: &str) -> Option<i64> {
    py_int(&format!("{s}000000").chars().take(6).collect::<String>())
}

/// `datetime.date(y, m, d)`, with Python's year range.
fn ymd(y: i64, m: i64, d: i64) -> Option<NaiveDate> {
    if !(1..=9999).contains(&y) {
        return None;
    }
    NaiveDate::from_ymd_opt(y as i32, u32::try_from(m).ok()?, u32::try_from(d).ok()?)
}

/// `datetime.time(h, m, s, us)`.
fn hms(h: i64, m: i64, s: i64, us: i64) -> Option<NaiveTime> {
    let part = |v: i64| u32::try_from(v).ok();
    NaiveTime::from_hms_micro_opt(part(h)?, part(m)?, part(s)?, part(us)?)
}

/// Splits `"SS[.ffffff]"` into whole seconds and microseconds.
fn seconds(s: &str) -> Option<(i64, i64)> {
    match s.split('.').collect::<Vec<_>>()[..] {
        [whole] => Some((py_int(whole)?, 0)),
        [whole, frac] => Some((py_int(whole)?, py_micros(frac)?)),
        _ => None,
    }
}

fn typecast_date(s: &str) -> Option<NaiveDate> {
    match s.split('-').collect::<Vec<_>>()[..] {
        [y, m, d] => ymd(py_int(y)?, py_int(m)?, py_int(d)?),
        _ => None,
    }
}

/// `typecast_time`: exactly `H:M:S[.f]`; `None` for empty or malformed text.
fn typecast_time(s: &str) -> Option<NaiveTime> {
    match s.split(':').collect::<Vec<_>>()[..] {
        [h, m, sec] => {
            let (sec, us) = seconds(sec)?;
            hms(py_int(h)?, py_int(m)?, sec, us)
        }
        _ => None,
    }
}

/// `typecast_timestamp`: a date without a space, else a datetime whose zone suffix
/// (`-05`, `+00:00`) is dropped. `None` for empty or malformed text.
fn typecast_timestamp(s: &str) -> Option<Stamp> {
    if !s.contains(' ') {
        return typecast_date(s).map(Stamp::Date);
    }
    let [d, t] = s.split_whitespace().collect::<Vec<_>>()[..] else {
        return None;
    };
    let zone_sign = if t.contains('-') { '-' } else { '+' };
    let t = t.split(zone_sign).next().unwrap_or(t);
    let dates: Vec<&str> = d.split('-').collect();
    let times: Vec<&str> = t.split(':').collect();
    if dates.len() < 3 || times.len() < 3 {
        return None;
    }
    let date = ymd(py_int(dates[0])?, py_int(dates[1])?, py_int(dates[2])?)?;
    let (sec, us) = seconds(times[2])?;
    let time = hms(py_int(times[0])?, py_int(times[1])?, sec, us)?;
    Some(Stamp::DateTime(date.and_time(time)))
}

// ---------------------------------------------------------------------------------------------
// Arguments

fn text<'a>(v: ValueRef<'a>) -> Option<&'a str> {
    match v {
        ValueRef::Text(t) => std::str::from_utf8(t).ok(),
        _ => None,
    }
}

/// The lookup name argument (`'year'`, `'week_day'`, ...).
fn lookup(v: ValueRef<'_>) -> Result<&str, String> {
    text(v).ok_or_else(|| "attribute name must be string".to_string())
}

/// Python's type name of an argument, for error messages.
fn py_type(v: ValueRef<'_>) -> &'static str {
    match v {
        ValueRef::Null => "NoneType",
        ValueRef::Integer(_) => "int",
        ValueRef::Real(_) => "float",
        ValueRef::Text(_) => "str",
        ValueRef::Blob(_) => "bytes",
    }
}

// ---------------------------------------------------------------------------------------------
// Time zones

/// `zoneinfo.ZoneInfo(name)`: an IANA zone (chrono-tz's database), or Python's error.
fn zone(name: &str) -> Result<chrono_tz::Tz, String> {
    crate::tz::zone(name).ok_or_else(|| format!("'No time zone found with key {name}'"))
}

/// Django's `split_tzname_delta`: `"UTC+05:30"` → (`"UTC"`, +5h30m).
fn split_tzname_delta(tzname: &str) -> (&str, TimeDelta) {
    for sign in ['+', '-'] {
        if let Some((name, offset)) = tzname.rsplit_once(sign) {
            let parsed = match offset.split(':').collect::<Vec<_>>()[..] {
                [h] if h.len() == 2 => py_int(h).map(|h| (h, 0)),
                [h, m] if (1..=2).contains(&h.len()) && (1..=2).contains(&m.len()) => {
                    py_int(h).zip(py_int(m))
                }
                _ => None,
            };
            if let Some((h, m)) = parsed.filter(|&(h, m)| h < 24 && m < 60) {
                let delta = TimeDelta::minutes(h * 60 + m);
                return (name, if sign == '+' { delta } else { -delta });
            }
        }
    }
    (tzname, TimeDelta::zero())
}

/// `_sqlite_datetime_parse`: the value as a date or datetime in the zone `tzname`, or `None`
/// when it does not parse. The stored value is in the connection's zone `conn_tzname` (both
/// are NULL when Django runs with `USE_TZ = False`).
fn datetime_parse(
    dt: ValueRef<'_>,
    tzname: ValueRef<'_>,
    conn_tzname: ValueRef<'_>,
) -> Result<Option<Stamp>, String> {
    let Some(mut stamp) = text(dt).and_then(typecast_timestamp) else {
        return Ok(None);
    };
    let conn = text(conn_tzname).filter(|name| !name.is_empty());
    let conn_zone = match conn {
        Some(conn) => {
            if let Stamp::Date(_) = stamp {
                return Err("'tzinfo' is an invalid keyword argument for replace()".into());
            }
            Some(zone(conn)?)
        }
        None => None,
    };
    if let Some(tzname) = text(tzname)
        && Some(tzname) != text(conn_tzname)
    {
        let (Some(conn), Some(conn_zone)) = (conn, conn_zone) else {
            return Err("localtime() cannot be applied to a naive datetime".into());
        };
        let (name, delta) = split_tzname_delta(tzname);
        let target = zone(if name.is_empty() { conn } else { name })?;
        if let Stamp::DateTime(dt) = &mut stamp {
            // `dt += delta` on the aware value (wall-clock arithmetic), then `localtime()`.
            let shifted = dt
                .checked_add_signed(delta)
                .ok_or("date value out of range")?;
            *dt = crate::tz::make_aware(conn_zone, shifted)
                .with_timezone(&target)
                .naive_local();
        }
    }
    Ok(Some(stamp))
}

// ---------------------------------------------------------------------------------------------
// Date and time functions

fn date_extract(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    let stamp = datetime_parse(args[1], ValueRef::Null, ValueRef::Null)?;
    extract(args[0], stamp)
}

fn datetime_extract(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    let stamp = datetime_parse(args[1], args[2], args[3])?;
    extract(args[0], stamp)
}

/// `_sqlite_datetime_extract`.
fn extract(lookup_type: ValueRef<'_>, stamp: Option<Stamp>) -> Result<Sql, String> {
    let Some(stamp) = stamp else {
        return Ok(Sql::Null);
    };
    let name = lookup(lookup_type)?;
    let date = stamp.date();
    let n = match name {
        "week_day" => date.weekday().number_from_sunday(),
        "iso_week_day" => date.weekday().number_from_monday(),
        "week" => date.iso_week().week(),
        "iso_year" => return Ok(Sql::Integer(date.iso_week().year().into())),
        "quarter" => date.month().div_ceil(3),
        "year" => return Ok(Sql::Integer(date.year().into())),
        "month" => date.month(),
        "day" => date.day(),
        "hour" | "minute" | "second" | "microsecond" => {
            time_part(stamp.time(name)?, name).expect("a time attribute")
        }
        _ => return Err(no_attribute(stamp.py_type(), name)),
    };
    Ok(Sql::Integer(n.into()))
}

/// `getattr(time, name)` for the time attributes.
fn time_part(t: NaiveTime, name: &str) -> Option<u32> {
    Some(match name {
        "hour" => t.hour(),
        "minute" => t.minute(),
        "second" => t.second(),
        "microsecond" => t.nanosecond() / 1000,
        _ => return None,
    })
}

/// The first day of the `kind` period containing `d`, for the date trunc kinds.
fn trunc_date(kind: &str, d: NaiveDate) -> Option<NaiveDate> {
    let first_of = |month: u32| NaiveDate::from_ymd_opt(d.year(), month, 1);
    match kind {
        "year" => first_of(1),
        "quarter" => first_of(d.month() - (d.month() - 1) % 3),
        "month" => first_of(d.month()),
        "week" => d.checked_sub_days(Days::new(d.weekday().num_days_from_monday().into())),
        "day" => Some(d),
        _ => None,
    }
}

/// `HH:MM:SS` truncated to the `kind` unit, for the time trunc kinds.
fn trunc_time(kind: &str, t: NaiveTime) -> Option<String> {
    match kind {
        "hour" => Some(format!("{:02}:00:00", t.hour())),
        "minute" => Some(format!("{:02}:{:02}:00", t.hour(), t.minute())),
        "second" => Some(format!(
            "{:02}:{:02}:{:02}",
            t.hour(),
            t.minute(),
            t.second()
        )),
        _ => None,
    }
}

fn unsupported_lookup(kind: &str) -> String {
    format!("Unsupported lookup type: '{kind}'")
}

fn ymd_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn date_trunc(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    let Some(stamp) = datetime_parse(args[1], args[2], args[3])? else {
        return Ok(Sql::Null);
    };
    let kind = lookup(args[0])?;
    let day = trunc_date(kind, stamp.date()).ok_or_else(|| unsupported_lookup(kind))?;
    Ok(Sql::Text(ymd_text(day)))
}

fn datetime_trunc(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    let Some(stamp) = datetime_parse(args[1], args[2], args[3])? else {
        return Ok(Sql::Null);
    };
    let kind = lookup(args[0])?;
    let date = stamp.date();
    let out = if let Some(day) = trunc_date(kind, date) {
        format!("{} 00:00:00", ymd_text(day))
    } else if matches!(kind, "hour" | "minute" | "second") {
        let time = trunc_time(kind, stamp.time(kind)?).expect("a time trunc kind");
        format!("{} {time}", ymd_text(date))
    } else {
        return Err(unsupported_lookup(kind));
    };
    Ok(Sql::Text(out))
}

fn time_trunc(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    if let ValueRef::Null = args[1] {
        return Ok(Sql::Null);
    }
    let kind = lookup(args[0])?;
    let time = match datetime_parse(args[1], args[2], args[3])? {
        Some(stamp) if matches!(kind, "hour" | "minute" | "second") => stamp.time(kind)?,
        Some(_) => return Err(unsupported_lookup(kind)),
        None => match text(args[1]).and_then(typecast_time) {
            Some(t) => t,
            None => return Ok(Sql::Null),
        },
    };
    trunc_time(kind, time)
        .map(Sql::Text)
        .ok_or_else(|| unsupported_lookup(kind))
}

fn datetime_cast_date(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    Ok(match datetime_parse(args[0], args[1], args[2])? {
        None => Sql::Null,
        Some(Stamp::Date(_)) => return Err(no_attribute("datetime.date", "date")),
        Some(Stamp::DateTime(dt)) => Sql::Text(ymd_text(dt.date())),
    })
}

fn datetime_cast_time(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    Ok(match datetime_parse(args[0], args[1], args[2])? {
        None => Sql::Null,
        Some(stamp) => Sql::Text(Value::Time(stamp.time("time")?).to_python_str()),
    })
}

fn time_extract(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    let Some(time) = text(args[1]).and_then(typecast_time) else {
        return Ok(Sql::Null);
    };
    let name = lookup(args[0])?;
    time_part(time, name)
        .map(|n| Sql::Integer(n.into()))
        .ok_or_else(|| no_attribute("datetime.time", name))
}

fn time_diff(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    if args.iter().any(|a| matches!(a, ValueRef::Null)) {
        return Ok(Sql::Null);
    }
    let parse = |v: ValueRef<'_>| {
        text(v)
            .and_then(typecast_time)
            .ok_or_else(|| format!("invalid time: {}", py_repr(v)))
    };
    let (left, right) = (parse(args[0])?, parse(args[1])?);
    let micros = |t: NaiveTime| {
        i64::from(t.num_seconds_from_midnight()) * 1_000_000 + i64::from(t.nanosecond() / 1000)
    };
    Ok(Sql::Integer(micros(left) - micros(right)))
}

fn timestamp_diff(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    if args.iter().any(|a| matches!(a, ValueRef::Null)) {
        return Ok(Sql::Null);
    }
    let parse = |v: ValueRef<'_>| {
        text(v)
            .and_then(typecast_timestamp)
            .ok_or_else(|| format!("invalid timestamp: {}", py_repr(v)))
    };
    let delta = match (parse(args[0])?, parse(args[1])?) {
        (Stamp::Date(l), Stamp::Date(r)) => l - r,
        (Stamp::DateTime(l), Stamp::DateTime(r)) => l - r,
        (l, r) => return Err(unsupported_operands('-', l.py_type(), r.py_type())),
    };
    Ok(Sql::Integer(
        delta.num_microseconds().ok_or("timedelta overflow")?,
    ))
}

fn unsupported_operands(op: char, left: &str, right: &str) -> String {
    format!("unsupported operand type(s) for {op}: '{left}' and '{right}'")
}

/// A short Python-like rendering of an argument for error messages.
fn py_repr(v: ValueRef<'_>) -> String {
    match v {
        ValueRef::Null => "None".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => python_float(f),
        ValueRef::Text(t) => format!("'{}'", String::from_utf8_lossy(t)),
        ValueRef::Blob(b) => python_bytes(b),
    }
}

/// An operand of `+`/`-` in `django_format_dtdelta`.
enum Operand {
    /// An integer: a duration in microseconds.
    Delta(i64),
    Stamp(Stamp),
    /// Empty text: `typecast_timestamp` returns `None`, which then fails the arithmetic.
    Nothing,
}

impl Operand {
    /// `_sqlite_prepare_dtdelta_param` for `+`/`-`; `None` when it does not parse.
    fn parse(v: ValueRef<'_>) -> Option<Operand> {
        match v {
            ValueRef::Integer(us) => Some(Operand::Delta(us)),
            ValueRef::Text(b"") => Some(Operand::Nothing),
            ValueRef::Real(0.0) => Some(Operand::Nothing),
            _ => text(v).and_then(typecast_timestamp).map(Operand::Stamp),
        }
    }

    fn py_type(&self) -> &'static str {
        match self {
            Operand::Delta(_) => "datetime.timedelta",
            Operand::Stamp(s) => s.py_type(),
            Operand::Nothing => "NoneType",
        }
    }
}

const DAY_MICROS: i64 = 86_400_000_000;

/// `date + timedelta`: only the delta's (floored) days count.
fn add_to_date(d: NaiveDate, us: i64) -> Option<NaiveDate> {
    let days = us.div_euclid(DAY_MICROS);
    if days >= 0 {
        d.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        d.checked_sub_days(Days::new(days.unsigned_abs()))
    }
    .filter(|d| (1..=9999).contains(&d.year()))
}

fn add_to_datetime(dt: NaiveDateTime, us: i64) -> Option<NaiveDateTime> {
    dt.checked_add_signed(TimeDelta::microseconds(us))
        .filter(|d| (1..=9999).contains(&d.year()))
}

/// `_sqlite_format_dtdelta(connector, lhs, rhs)`: `+`/`-` on datetimes and durations
/// (the result as Python's `str()`), `*` and `/` on numbers.
fn format_dtdelta(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    if args.iter().any(|a| matches!(a, ValueRef::Null)) {
        return Ok(Sql::Null);
    }
    let connector = text(args[0])
        .ok_or_else(|| no_attribute(py_type(args[0]), "strip"))?
        .trim();
    match connector {
        "+" | "-" => {
            let (Some(lhs), Some(rhs)) = (Operand::parse(args[1]), Operand::parse(args[2])) else {
                return Ok(Sql::Null);
            };
            let out_of_range = || "date value out of range".to_string();
            let out = match (connector, &lhs, &rhs) {
                ("+", Operand::Delta(a), Operand::Delta(b)) => {
                    Value::Duration(a.checked_add(*b).ok_or_else(out_of_range)?).to_python_str()
                }
                ("-", Operand::Delta(a), Operand::Delta(b)) => {
                    Value::Duration(a.checked_sub(*b).ok_or_else(out_of_range)?).to_python_str()
                }
                ("+", Operand::Stamp(s), Operand::Delta(us))
                | ("+", Operand::Delta(us), Operand::Stamp(s)) => shift(*s, *us)?,
                ("-", Operand::Stamp(s), Operand::Delta(us)) => {
                    shift(*s, us.checked_neg().ok_or_else(out_of_range)?)?
                }
                ("-", Operand::Stamp(Stamp::Date(a)), Operand::Stamp(Stamp::Date(b))) => {
                    Value::Duration((*a - *b).num_microseconds().ok_or_else(out_of_range)?)
                        .to_python_str()
                }
                ("-", Operand::Stamp(Stamp::DateTime(a)), Operand::Stamp(Stamp::DateTime(b))) => {
                    Value::Duration((*a - *b).num_microseconds().ok_or_else(out_of_range)?)
                        .to_python_str()
                }
                _ => {
                    let op = connector.chars().next().expect("a connector");
                    return Err(unsupported_operands(op, lhs.py_type(), rhs.py_type()));
                }
            };
            Ok(Sql::Text(out))
        }
        "*" => match (num(args[1])?, num(args[2])?) {
            (Some(Num::Int(a)), Some(Num::Int(b))) => {
                a.checked_mul(b).map(Sql::Integer).ok_or_else(too_large)
            }
            (Some(a), Some(b)) => Ok(Sql::Real(a.float() * b.float())),
            _ => Ok(Sql::Null),
        },
        _ => match (num(args[1])?, num(args[2])?) {
            (Some(a), Some(b)) => {
                if b.float() == 0.0 {
                    return Err("division by zero".into());
                }
                Ok(Sql::Real(a.float() / b.float()))
            }
            _ => Ok(Sql::Null),
        },
    }
}

/// `stamp + timedelta(microseconds=us)` as Python's `str()`.
fn shift(stamp: Stamp, us: i64) -> Result<String, String> {
    let shifted = match stamp {
        Stamp::Date(d) => add_to_date(d, us).map(Stamp::Date),
        Stamp::DateTime(dt) => add_to_datetime(dt, us).map(Stamp::DateTime),
    };
    shifted
        .map(Stamp::to_python_str)
        .ok_or_else(|| "date value out of range".to_string())
}

// ---------------------------------------------------------------------------------------------
// REGEXP

/// `regexp(pattern, string)`: Python's `bool(re.search(pattern, str(string)))`, NULL-safe.
/// Compiled patterns are cached per statement through SQLite's auxiliary data.
fn regexp(ctx: &Context<'_>) -> rusqlite::Result<Sql> {
    let (pattern, subject) = (ctx.get_raw(0), ctx.get_raw(1));
    if matches!(pattern, ValueRef::Null) || matches!(subject, ValueRef::Null) {
        return Ok(Sql::Null);
    }
    let re = ctx.get_or_create_aux(0, |raw| compile_python_regex(raw).map_err(user_error))?;
    let subject = match subject {
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(f) => python_float(f),
        other => py_repr(other),
    };
    Ok(Sql::Integer(i64::from(re.is_match(&subject))))
}

/// Compiles a Python `re` pattern with the regex crate (`\Z` is spelled `\z` there).
fn compile_python_regex(pattern: ValueRef<'_>) -> Result<Regex, String> {
    let source = text(pattern).ok_or_else(|| {
        format!(
            "first argument must be string or compiled pattern, not {}",
            py_type(pattern)
        )
    })?;
    let mut translated = String::with_capacity(source.len());
    let mut chars = source.chars();
    while let Some(c) = chars.next() {
        translated.push(c);
        if c == '\\'
            && let Some(next) = chars.next()
        {
            translated.push(if next == 'Z' { 'z' } else { next });
        }
    }
    Regex::new(&translated).map_err(|e| format!("unsupported regular expression: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Math

#[derive(Debug, Clone, Copy)]
enum Num {
    Int(i64),
    Float(f64),
}

impl Num {
    fn float(self) -> f64 {
        match self {
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

/// A numeric argument; `None` for NULL, an error for text and blobs (Python's TypeError).
fn num(v: ValueRef<'_>) -> Result<Option<Num>, String> {
    match v {
        ValueRef::Null => Ok(None),
        ValueRef::Integer(i) => Ok(Some(Num::Int(i))),
        ValueRef::Real(f) => Ok(Some(Num::Float(f))),
        other => Err(format!("must be real number, not {}", py_type(other))),
    }
}

fn nums<const N: usize>(args: &[ValueRef<'_>]) -> Result<Option<[Num; N]>, String> {
    let mut out = [Num::Int(0); N];
    for (slot, arg) in out.iter_mut().zip(args) {
        match num(*arg)? {
            Some(n) => *slot = n,
            None => return Ok(None),
        }
    }
    Ok(Some(out))
}

const DOMAIN_ERROR: &str = "math domain error";

fn too_large() -> String {
    "Python int too large to convert to SQLite INTEGER".into()
}

/// A float result, with Python's `math` errors for results it would refuse.
fn float_result(inputs: &[f64], result: f64) -> Result<Sql, String> {
    if result.is_nan() && !inputs.iter().any(|x| x.is_nan()) {
        return Err(DOMAIN_ERROR.into());
    }
    if result.is_infinite() && inputs.iter().all(|x| x.is_finite()) {
        return Err("math range error".into());
    }
    Ok(Sql::Real(result))
}

fn unary_math(arg: ValueRef<'_>, f: FloatFn) -> Result<Sql, String> {
    match num(arg)? {
        None => Ok(Sql::Null),
        Some(x) => float_result(&[x.float()], f(x.float())),
    }
}

fn atan2(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    Ok(match nums::<2>(args)? {
        None => Sql::Null,
        Some([y, x]) => Sql::Real(y.float().atan2(x.float())),
    })
}

/// `math.ceil` / `math.floor`: an integer result.
fn round_to_int(args: &[ValueRef<'_>], f: FloatFn) -> Result<Sql, String> {
    Ok(match num(args[0])? {
        None => Sql::Null,
        Some(Num::Int(i)) => Sql::Integer(i),
        Some(Num::Float(x)) if x.is_nan() => {
            return Err("cannot convert float NaN to integer".into());
        }
        Some(Num::Float(x)) if x.is_infinite() => {
            return Err("cannot convert float infinity to integer".into());
        }
        Some(Num::Float(x)) => {
            let r = f(x);
            if r < i64::MIN as f64 || r >= i64::MAX as f64 {
                return Err(too_large());
            }
            Sql::Integer(r as i64)
        }
    })
}

fn ceiling(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    round_to_int(args, f64::ceil)
}

fn floor(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    round_to_int(args, f64::floor)
}

fn ln(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    Ok(match num(args[0])? {
        None => Sql::Null,
        Some(x) if x.float() <= 0.0 => return Err(DOMAIN_ERROR.into()),
        Some(x) => Sql::Real(x.float().ln()),
    })
}

/// `LOG(base, x)`: Python's `log(x, base)`.
fn log(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    let Some([base, x]) = nums::<2>(args)? else {
        return Ok(Sql::Null);
    };
    let (base, x) = (base.float(), x.float());
    if base <= 0.0 || x <= 0.0 {
        return Err(DOMAIN_ERROR.into());
    }
    if base == 1.0 {
        return Err("float division by zero".into());
    }
    Ok(Sql::Real(x.ln() / base.ln()))
}

/// `math.fmod`.
fn modulo(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    let Some([x, y]) = nums::<2>(args)? else {
        return Ok(Sql::Null);
    };
    let (x, y) = (x.float(), y.float());
    if y == 0.0 || x.is_infinite() {
        return Err(DOMAIN_ERROR.into());
    }
    Ok(Sql::Real(x % y))
}

fn pi(_: &[ValueRef<'_>]) -> Result<Sql, String> {
    Ok(Sql::Real(std::f64::consts::PI))
}

/// Python's `x ** y`: exact for integers with a non-negative exponent.
fn power(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    let Some([x, y]) = nums::<2>(args)? else {
        return Ok(Sql::Null);
    };
    if let (Num::Int(base), Num::Int(exp)) = (x, y)
        && exp >= 0
    {
        return u32::try_from(exp)
            .ok()
            .and_then(|e| base.checked_pow(e))
            .map(Sql::Integer)
            .ok_or_else(too_large);
    }
    let (x, y) = (x.float(), y.float());
    if x == 0.0 && y < 0.0 {
        return Err("0.0 cannot be raised to a negative power".into());
    }
    if x < 0.0 && y.fract() != 0.0 && y.is_finite() {
        return Err("a negative number raised to a fractional power is complex".into());
    }
    float_result(&[x, y], x.powf(y))
}

fn cot(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    let Some(x) = num(args[0])? else {
        return Ok(Sql::Null);
    };
    let tan = x.float().tan();
    if tan.is_nan() && !x.float().is_nan() {
        return Err(DOMAIN_ERROR.into());
    }
    if tan == 0.0 {
        return Err("float division by zero".into());
    }
    Ok(Sql::Real(1.0 / tan))
}

fn sign(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    Ok(match num(args[0])? {
        None => Sql::Null,
        Some(x) => {
            let x = x.float();
            Sql::Integer(i64::from(x > 0.0) - i64::from(x < 0.0))
        }
    })
}

fn bitxor(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    match (args[0], args[1]) {
        (ValueRef::Null, _) | (_, ValueRef::Null) => Ok(Sql::Null),
        (ValueRef::Integer(a), ValueRef::Integer(b)) => Ok(Sql::Integer(a ^ b)),
        (a, b) => Err(format!(
            "unsupported operand type(s) for ^: '{}' and '{}'",
            py_type(a),
            py_type(b)
        )),
    }
}

// ---------------------------------------------------------------------------------------------
// Strings (lengths in code points, as in Python)

/// The text and integer arguments of a string function; `None` when any argument is NULL.
fn string_args<'a>(
    args: &[ValueRef<'a>],
    name: &str,
) -> Result<Option<(&'a str, i64, &'a str)>, String> {
    if args.iter().any(|a| matches!(a, ValueRef::Null)) {
        return Ok(None);
    }
    let expect_text = |v: ValueRef<'a>| {
        text(v).ok_or_else(|| format!("{name}() expects text, not {}", py_type(v)))
    };
    let count = match args[1] {
        ValueRef::Integer(n) => n,
        other => {
            return Err(format!(
                "{name}() expects an integer, not {}",
                py_type(other)
            ));
        }
    };
    let fill = match args.get(2) {
        Some(v) => expect_text(*v)?,
        None => "",
    };
    Ok(Some((expect_text(args[0])?, count, fill)))
}

/// Python's `s[:n]`.
fn py_prefix(s: &str, n: i64) -> String {
    let len = s.chars().count() as i64;
    let keep = if n >= 0 { n.min(len) } else { (len + n).max(0) };
    s.chars().take(keep as usize).collect()
}

fn lpad(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    let Some((text, length, fill)) = string_args(args, "LPAD")? else {
        return Ok(Sql::Null);
    };
    let delta = length - text.chars().count() as i64;
    if delta <= 0 {
        return Ok(Sql::Text(py_prefix(text, length)));
    }
    let padding: String = fill.chars().cycle().take(delta as usize).collect();
    Ok(Sql::Text(padding + text))
}

fn rpad(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    let Some((text, length, fill)) = string_args(args, "RPAD")? else {
        return Ok(Sql::Null);
    };
    if length < 0 {
        return Ok(Sql::Text(py_prefix(text, length)));
    }
    let padded = text
        .chars()
        .chain(fill.chars().cycle())
        .take(length as usize);
    Ok(Sql::Text(padded.collect()))
}

fn repeat(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    let Some((text, count, _)) = string_args(args, "REPEAT")? else {
        return Ok(Sql::Null);
    };
    Ok(Sql::Text(text.repeat(count.max(0) as usize)))
}

fn reverse(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    Ok(match args[0] {
        ValueRef::Null => Sql::Null,
        v => Sql::Text(
            text(v)
                .ok_or_else(|| format!("REVERSE() expects text, not {}", py_type(v)))?
                .chars()
                .rev()
                .collect(),
        ),
    })
}

/// `MD5`, `SHA1`, ...: the hex digest of the text's UTF-8 bytes (`md5(text.encode())`).
fn hex_digest<D: sha2::Digest>(args: &[ValueRef<'_>]) -> Result<Sql, String> {
    use std::fmt::Write;
    Ok(match args[0] {
        ValueRef::Null => Sql::Null,
        v => {
            let text = text(v)
                .ok_or_else(|| format!("'{}' object has no attribute 'encode'", py_type(v)))?;
            let mut hex = String::new();
            for byte in D::digest(text.as_bytes()) {
                write!(hex, "{byte:02x}").expect("writing to a String");
            }
            Sql::Text(hex)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> ValueRef<'_> {
        ValueRef::Text(s.as_bytes())
    }

    #[test]
    fn typecasts_follow_django() {
        assert_eq!(
            typecast_timestamp("2005-07-29 15:48:00.590358-05"),
            Some(Stamp::DateTime(
                NaiveDate::from_ymd_opt(2005, 7, 29)
                    .unwrap()
                    .and_hms_micro_opt(15, 48, 0, 590358)
                    .unwrap()
            ))
        );
        assert_eq!(
            typecast_timestamp("2005-07-29"),
            Some(Stamp::Date(NaiveDate::from_ymd_opt(2005, 7, 29).unwrap()))
        );
        assert_eq!(typecast_timestamp("2005-07-29T15:48:00"), None);
        assert_eq!(typecast_timestamp("2005-02-30 10:00:00"), None);
        assert_eq!(typecast_timestamp(""), None);
        assert_eq!(
            typecast_time("7:5:9.12").unwrap().to_string(),
            "07:05:09.120"
        );
        assert_eq!(typecast_time("07:05"), None);
    }

    #[test]
    fn tznames_split_into_offsets() {
        assert_eq!(
            split_tzname_delta("UTC+05:30"),
            ("UTC", TimeDelta::minutes(330))
        );
        assert_eq!(
            split_tzname_delta("UTC-03"),
            ("UTC", TimeDelta::minutes(-180))
        );
        assert_eq!(split_tzname_delta("+01:00"), ("", TimeDelta::minutes(60)));
        assert_eq!(
            split_tzname_delta("America/Port-au-Prince"),
            ("America/Port-au-Prince", TimeDelta::zero())
        );
        let stamp = datetime_parse(t("2024-03-01 22:30:00"), t("UTC+05:00"), t("UTC")).unwrap();
        assert_eq!(stamp.unwrap().to_python_str(), "2024-03-02 03:30:00");
        assert!(datetime_parse(t("2024-03-01 22:30:00"), t("Mars/Olympus"), t("UTC")).is_err());
        assert!(datetime_parse(t("2024-03-01"), ValueRef::Null, t("UTC")).is_err());
    }

    #[test]
    fn named_zones_convert_across_dst_changes() {
        let local = |stamp: &str, zone: &str| {
            let parsed = datetime_parse(t(stamp), t(zone), t("UTC")).unwrap();
            parsed.unwrap().to_python_str()
        };
        // America/New_York springs forward at 07:00 UTC and falls back at 06:00 UTC.
        assert_eq!(
            local("2024-03-10 06:59:59", "America/New_York"),
            "2024-03-10 01:59:59"
        );
        assert_eq!(
            local("2024-03-10 07:00:00", "America/New_York"),
            "2024-03-10 03:00:00"
        );
        assert_eq!(
            local("2024-11-03 05:30:00", "America/New_York"),
            "2024-11-03 01:30:00"
        );
        assert_eq!(
            local("2024-11-03 06:30:00", "America/New_York"),
            "2024-11-03 01:30:00"
        );
        assert_eq!(
            local("2024-06-30 19:00:00", "Asia/Kolkata"),
            "2024-07-01 00:30:00"
        );
        let trunc = datetime_trunc(&[
            t("day"),
            t("2024-06-01 02:30:00"),
            t("America/New_York"),
            t("UTC"),
        ]);
        assert_eq!(trunc.unwrap(), Sql::Text("2024-05-31 00:00:00".into()));
    }

    #[test]
    fn dtdelta_formats_like_python_str() {
        let run = |c: &str, l: ValueRef<'_>, r: ValueRef<'_>| format_dtdelta(&[t(c), l, r]);
        let day = ValueRef::Integer(DAY_MICROS);
        assert_eq!(
            run("+", t("2024-02-28 10:00:00"), day),
            Ok(Sql::Text("2024-02-29 10:00:00".into()))
        );
        assert_eq!(
            run("-", t("2024-03-01"), ValueRef::Integer(1)),
            Ok(Sql::Text("2024-02-29".into()))
        );
        assert_eq!(
            run(" - ", t("2024-03-02 00:00:00"), t("2024-03-01 12:00:00.5")),
            Ok(Sql::Text("11:59:59.500000".into()))
        );
        assert_eq!(run("+", day, day), Ok(Sql::Text("2 days, 0:00:00".into())));
        assert_eq!(run("+", t("garbage"), day), Ok(Sql::Null));
        assert!(run("+", t(""), day).is_err());
        assert!(run("-", day, t("2024-03-01 00:00:00")).is_err());
        assert_eq!(
            run("*", ValueRef::Integer(3), ValueRef::Integer(4)),
            Ok(Sql::Integer(12))
        );
        assert_eq!(
            run("/", ValueRef::Integer(3), ValueRef::Integer(4)),
            Ok(Sql::Real(0.75))
        );
        assert!(run("/", ValueRef::Integer(3), ValueRef::Integer(0)).is_err());
    }

    #[test]
    fn math_follows_python() {
        let i = ValueRef::Integer;
        let f = ValueRef::Real;
        assert_eq!(power(&[i(2), i(10)]), Ok(Sql::Integer(1024)));
        assert_eq!(power(&[i(2), i(-1)]), Ok(Sql::Real(0.5)));
        assert!(power(&[i(2), i(64)]).is_err());
        assert!(power(&[f(-8.0), f(0.5)]).is_err());
        assert_eq!(ceiling(&[f(1.2)]), Ok(Sql::Integer(2)));
        assert_eq!(floor(&[f(-1.2)]), Ok(Sql::Integer(-2)));
        assert_eq!(log(&[i(2), i(8)]), Ok(Sql::Real(3.0)));
        assert!(log(&[i(1), i(8)]).is_err());
        assert!(ln(&[i(0)]).is_err());
        assert_eq!(modulo(&[f(-7.0), i(3)]), Ok(Sql::Real(-1.0)));
        assert!(unary_math(f(2.0), f64::acos).is_err());
        assert!(unary_math(f(1000.0), f64::exp).is_err());
        assert!(unary_math(t("1"), f64::sqrt).is_err());
        assert_eq!(unary_math(ValueRef::Null, f64::sqrt), Ok(Sql::Null));
        assert_eq!(sign(&[f(-0.5)]), Ok(Sql::Integer(-1)));
        assert_eq!(bitxor(&[i(6), i(3)]), Ok(Sql::Integer(5)));
    }

    #[test]
    fn strings_follow_python() {
        let i = ValueRef::Integer;
        assert_eq!(
            lpad(&[t("ab"), i(5), t("xy")]),
            Ok(Sql::Text("xyxab".into()))
        );
        assert_eq!(
            lpad(&[t("abcdef"), i(3), t("x")]),
            Ok(Sql::Text("abc".into()))
        );
        assert_eq!(
            lpad(&[t("abcdef"), i(-2), t("x")]),
            Ok(Sql::Text("abcd".into()))
        );
        assert_eq!(rpad(&[t("é"), i(3), t("-")]), Ok(Sql::Text("é--".into())));
        assert_eq!(rpad(&[t("ab"), i(4), t("")]), Ok(Sql::Text("ab".into())));
        assert_eq!(repeat(&[t("ab"), i(3)]), Ok(Sql::Text("ababab".into())));
        assert_eq!(repeat(&[t("ab"), i(-1)]), Ok(Sql::Text(String::new())));
        assert_eq!(reverse(&[t("héllo")]), Ok(Sql::Text("olléh".into())));
    }
}

/// Django's SQLite aggregates `STDDEV_POP/SAMP` and `VAR_POP/SAMP` (Python's `statistics`
/// module: NULLs skipped; NULL for no rows, or one row with a sample). Integers are summed
/// exactly and the result rounded once, as `statistics` does with fractions; floats (or sums
/// too large for 128 bits) use Welford's running variance.
struct Spread {
    sample: bool,
    /// Standard deviation (the root) rather than variance.
    root: bool,
}

#[derive(Default)]
struct Running {
    n: u64,
    mean: f64,
    m2: f64,
    /// `(sum, sum of squares)` while every value is an integer and nothing overflowed.
    exact: Option<(i128, i128)>,
}

impl rusqlite::functions::Aggregate<Running, Option<f64>> for Spread {
    fn init(&self, _: &mut rusqlite::functions::Context<'_>) -> rusqlite::Result<Running> {
        Ok(Running {
            exact: Some((0, 0)),
            ..Running::default()
        })
    }

    fn step(
        &self,
        ctx: &mut rusqlite::functions::Context<'_>,
        acc: &mut Running,
    ) -> rusqlite::Result<()> {
        let (x, int) = match ctx.get_raw(0) {
            ValueRef::Integer(i) => (i as f64, Some(i128::from(i))),
            ValueRef::Real(f) => (f, None),
            ValueRef::Text(t) => match std::str::from_utf8(t)
                .ok()
                .and_then(|t| t.trim().parse().ok())
            {
                Some(f) => (f, None),
                None => return Ok(()),
            },
            _ => return Ok(()),
        };
        acc.n += 1;
        let delta = x - acc.mean;
        acc.mean += delta / acc.n as f64;
        acc.m2 += delta * (x - acc.mean);
        acc.exact = match (acc.exact, int) {
            (Some((sum, sq)), Some(i)) => sum
                .checked_add(i)
                .zip(i.checked_mul(i).and_then(|ii| sq.checked_add(ii))),
            _ => None,
        };
        Ok(())
    }

    fn finalize(
        &self,
        _: &mut rusqlite::functions::Context<'_>,
        acc: Option<Running>,
    ) -> rusqlite::Result<Option<f64>> {
        let Some(acc) = acc else { return Ok(None) };
        let n = acc.n as f64 - if self.sample { 1.0 } else { 0.0 };
        if acc.n == 0 || n <= 0.0 {
            return Ok(None);
        }
        if let Some(v) = acc
            .exact
            .and_then(|(sum, sq)| exact_spread(acc.n, sum, sq, self.sample, self.root))
        {
            return Ok(Some(v));
        }
        let var = acc.m2 / n;
        Ok(Some(if self.root { var.sqrt() } else { var }))
    }
}

/// Django's `AnyValue` aggregate: the group's first value (NULL included). A group with no
/// row (none matched, or a `FILTER` kept none) is NULL: Python's sqlite3 module returns NULL
/// without calling `finalize` when `step` never ran.
struct AnyValue;

impl rusqlite::functions::Aggregate<Option<Sql>, Sql> for AnyValue {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Option<Sql>> {
        Ok(None)
    }

    fn step(&self, ctx: &mut Context<'_>, first: &mut Option<Sql>) -> rusqlite::Result<()> {
        if first.is_none() {
            *first = Some(ctx.get::<Sql>(0)?);
        }
        Ok(())
    }

    fn finalize(&self, _: &mut Context<'_>, first: Option<Option<Sql>>) -> rusqlite::Result<Sql> {
        Ok(first.flatten().unwrap_or(Sql::Null))
    }
}

/// Django's `BitAnd`/`BitOr`/`BitXor` aggregates: the operator folded over the group's
/// non-NULL values; NULL when there are none or one is not an integer (the original's
/// `TypeError` is caught).
struct BitAggregate(fn(i64, i64) -> i64);

/// `None` until a value is seen; `Some(None)` once a value is not an integer.
type Bits = Option<Option<i64>>;

impl rusqlite::functions::Aggregate<Bits, Option<i64>> for BitAggregate {
    fn init(&self, _: &mut Context<'_>) -> rusqlite::Result<Bits> {
        Ok(None)
    }

    fn step(&self, ctx: &mut Context<'_>, acc: &mut Bits) -> rusqlite::Result<()> {
        let x = match ctx.get_raw(0) {
            ValueRef::Null => return Ok(()),
            ValueRef::Integer(i) => Some(i),
            _ => None,
        };
        *acc = Some(match (*acc, x) {
            (None, x) => x,
            (Some(Some(a)), Some(b)) => Some((self.0)(a, b)),
            _ => None,
        });
        Ok(())
    }

    fn finalize(&self, _: &mut Context<'_>, acc: Option<Bits>) -> rusqlite::Result<Option<i64>> {
        Ok(acc.flatten().flatten())
    }
}

/// The variance (or its root) of integers from their count, sum and sum of squares, rounded
/// once: `(n·Σx² − (Σx)²) / (n·d)` with `d` = `n` or `n − 1`. `None` on overflow.
fn exact_spread(n: u64, sum: i128, sq: i128, sample: bool, root: bool) -> Option<f64> {
    let n = i128::from(n);
    let num = n.checked_mul(sq)?.checked_sub(sum.checked_mul(sum)?)?;
    let den = n.checked_mul(if sample { n - 1 } else { n })?;
    let (num, den) = (u128::try_from(num).ok()?, u128::try_from(den).ok()?);
    let g = gcd(num, den);
    let (num, den) = (num / g, den / g);
    if root {
        sqrt_of_ratio(num, den)
    } else {
        ratio(num, den)
    }
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

fn bits(x: u128) -> i32 {
    128 - x.leading_zeros() as i32
}

/// `num / den` correctly rounded: a quotient of 62–63 bits rounded to odd, then to nearest.
fn ratio(num: u128, den: u128) -> Option<f64> {
    if num == 0 {
        return Some(0.0);
    }
    let shift = 62 - (bits(num) - bits(den));
    let (n, d) = if shift >= 0 {
        (num.checked_shl(shift as u32)?, den)
    } else {
        (num, den.checked_shl((-shift) as u32)?)
    };
    if bits(n) > 127 || bits(d) > 127 {
        return None;
    }
    let q = n / d;
    let q = q | u128::from(n % d != 0);
    Some(u64::try_from(q).ok()? as f64 * 2f64.powi(-shift))
}

/// `sqrt(num / den)` correctly rounded (Python's `_float_sqrt_of_frac`).
fn sqrt_of_ratio(num: u128, den: u128) -> Option<f64> {
    if num == 0 {
        return Some(0.0);
    }
    const WIDTH: i32 = 2 * 53 + 3;
    let q = (bits(num) - bits(den) - WIDTH).div_euclid(2);
    let (n, d, scale) = if q >= 0 {
        (num, den.checked_shl(2 * q as u32)?, q)
    } else {
        (num.checked_shl((-2 * q) as u32)?, den, q)
    };
    if bits(n) > 127 || bits(d) > 127 {
        return None;
    }
    let a = isqrt(n / d);
    let a = a | u128::from(a.checked_mul(a)?.checked_mul(d)? != n);
    // `a` has about 55 bits: one rounding to a float, then an exact scaling.
    Some(u64::try_from(a).ok()? as f64 * 2f64.powi(scale))
}

fn isqrt(x: u128) -> u128 {
    if x < 2 {
        return x;
    }
    let mut r = (x as f64).sqrt() as u128;
    while r.checked_mul(r).is_none_or(|rr| rr > x) {
        r -= 1;
    }
    while (r + 1).checked_mul(r + 1).is_some_and(|rr| rr <= x) {
        r += 1;
    }
    r
}
