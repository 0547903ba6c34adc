//! `datetime`: `date` and `datetime` (the interpreter's own builtins), `time`, `timedelta`
//! and `timezone.utc`, as values of the runtime (dates, times, durations in microseconds).

use super::objects::StdObj;
use super::{arg, bad_args, f};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::Args;
use crate::py::module::Module;
use crate::py::obj::{Builtin, Obj};
use crate::value::Value;

pub fn module() -> Module {
    Module::new([
        ("date", Obj::Builtin(Builtin::Date)),
        ("datetime", Obj::Builtin(Builtin::DateTime)),
        ("time", f("datetime.time")),
        ("timedelta", f("datetime.timedelta")),
        ("timezone", f("datetime.timezone")),
    ])
}

/// Class attributes: `date.today`, `date.fromisoformat`, `datetime.now`, `timezone.utc`.
pub fn class_attribute(b: Builtin, name: &str) -> Option<Obj> {
    match (b, name) {
        (Builtin::Date, "today") => Some(f("datetime.date.today")),
        (Builtin::Date, "fromisoformat") => Some(f("datetime.date.fromisoformat")),
        (Builtin::DateTime, "now") => Some(f("datetime.datetime.now")),
        (Builtin::DateTime, "fromisoformat") => Some(f("datetime.datetime.fromisoformat")),
        // The runtime's aware datetimes are UTC: `timezone.utc` marks one.
        (Builtin::Std("datetime.timezone"), "utc") => Some(Obj::new_native(StdObj::Utc)),
        _ => None,
    }
}

/// A number argument as microseconds of `unit`.
fn micros(o: &Obj, unit: f64) -> Option<f64> {
    match o {
        Obj::Value(v) => v.as_number().map(|n| n * unit),
        _ => None,
    }
}

pub fn call(func: &str, args: &Args) -> Result<Obj> {
    let text = |i: usize| match args.pos.get(i) {
        Some((Obj::Value(Value::Text(s)), _)) => Some(s.clone()),
        _ => None,
    };
    let invalid = |s: &str| {
        Diagnostic::new(ErrorKind::Value, format!("Invalid isoformat string: '{s}'")).at(args.span)
    };
    match func {
        "datetime.timedelta" => {
            const UNITS: [(&str, f64); 7] = [
                ("days", 86_400e6),
                ("seconds", 1e6),
                ("microseconds", 1.0),
                ("milliseconds", 1e3),
                ("minutes", 60e6),
                ("hours", 3_600e6),
                ("weeks", 604_800e6),
            ];
            let mut total = 0.0;
            for (i, (o, _)) in args.pos.iter().enumerate() {
                let (_, unit) = UNITS.get(i).ok_or_else(|| bad_args("timedelta", args))?;
                total += micros(o, *unit).ok_or_else(|| bad_args("timedelta", args))?;
            }
            for (k, o, _) in &args.kw {
                let (_, unit) = UNITS
                    .iter()
                    .find(|(n, _)| n == k)
                    .ok_or_else(|| bad_args("timedelta", args))?;
                total += micros(o, *unit).ok_or_else(|| bad_args("timedelta", args))?;
            }
            Ok(Obj::Value(Value::Duration(total.round_ties_even() as i64)))
        }
        "datetime.time" => {
            let part = |i: usize, kw: &str| match arg(args, i, kw) {
                None => Some(0),
                Some(Obj::Value(Value::Int(n))) => u32::try_from(*n).ok(),
                Some(_) => None,
            };
            let t = (|| {
                chrono::NaiveTime::from_hms_micro_opt(
                    part(0, "hour")?,
                    part(1, "minute")?,
                    part(2, "second")?,
                    part(3, "microsecond")?,
                )
            })()
            .ok_or_else(|| bad_args("time", args))?;
            Ok(Obj::Value(Value::Time(t)))
        }
        "datetime.timezone" => Err(Diagnostic::new(
            ErrorKind::NotSupported,
            "djq's aware datetimes are in UTC: use timezone.utc",
        )
        .at(args.span)),
        "datetime.date.today" => Ok(Obj::Value(Value::Date(chrono::Local::now().date_naive()))),
        "datetime.datetime.now" => Ok(Obj::Value(
            match args.kwarg("tz").or(args.pos.first().map(|(o, _)| o)) {
                Some(tz) if is_utc(tz) => Value::DateTime(chrono::Utc::now()),
                Some(_) => return Err(bad_args("now", args)),
                None => Value::NaiveDateTime(chrono::Local::now().naive_local()),
            },
        )),
        "datetime.date.fromisoformat" => {
            let s = text(0).ok_or_else(|| bad_args("fromisoformat", args))?;
            chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map(|d| Obj::Value(Value::Date(d)))
                .map_err(|_| invalid(&s))
        }
        "datetime.datetime.fromisoformat" => {
            let s = text(0).ok_or_else(|| bad_args("fromisoformat", args))?;
            if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(&s) {
                return Ok(Obj::Value(Value::DateTime(dt.with_timezone(&chrono::Utc))));
            }
            [
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d",
            ]
            .iter()
            .find_map(|fmt| chrono::NaiveDateTime::parse_from_str(&s, fmt).ok())
            .or_else(|| {
                chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                    .ok()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
            })
            .map(|dt| Obj::Value(Value::NaiveDateTime(dt)))
            .ok_or_else(|| invalid(&s))
        }
        _ => unreachable!("not a datetime function: {func}"),
    }
}

/// Whether `o` is `timezone.utc` (a `tzinfo=` argument).
pub fn is_utc(o: &Obj) -> bool {
    matches!(o.native::<StdObj>(), Some(StdObj::Utc))
}

/// `dt.time()`, `dt.astimezone(timezone.utc)`, `d.replace(year=...)`; `None`: not one of
/// these.
pub fn method(v: &Value, name: &str, args: &Args) -> Option<Result<Obj>> {
    use chrono::{Datelike, Timelike};
    let naive = match v {
        Value::DateTime(t) => Some(t.naive_utc()),
        Value::NaiveDateTime(t) => Some(*t),
        _ => None,
    };
    Some(match name {
        "time" => Ok(Obj::Value(Value::Time(naive?.time()))),
        "astimezone" => match args.pos.first().map(|(o, _)| o) {
            Some(tz) if is_utc(tz) => Ok(Obj::Value(Value::DateTime(naive?.and_utc()))),
            _ => Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "djq's aware datetimes are in UTC: astimezone() takes timezone.utc only",
            )
            .at(args.span)),
        },
        "replace" => {
            let part = |k: &str, current: i64| match args.kwarg(k) {
                Some(Obj::Value(Value::Int(n))) => Some(*n),
                None => Some(current),
                Some(_) => None,
            };
            let date = match v {
                Value::Date(d) => *d,
                _ => naive?.date(),
            };
            let time = naive.map(|t| t.time()).unwrap_or_default();
            let made = (|| {
                let d = chrono::NaiveDate::from_ymd_opt(
                    i32::try_from(part("year", i64::from(date.year()))?).ok()?,
                    u32::try_from(part("month", i64::from(date.month()))?).ok()?,
                    u32::try_from(part("day", i64::from(date.day()))?).ok()?,
                )?;
                let t = chrono::NaiveTime::from_hms_micro_opt(
                    u32::try_from(part("hour", i64::from(time.hour()))?).ok()?,
                    u32::try_from(part("minute", i64::from(time.minute()))?).ok()?,
                    u32::try_from(part("second", i64::from(time.second()))?).ok()?,
                    u32::try_from(part("microsecond", i64::from(time.nanosecond() / 1000))?)
                        .ok()?,
                )?;
                Some(match v {
                    Value::Date(_) => Value::Date(d),
                    Value::DateTime(_) => Value::DateTime(d.and_time(t).and_utc()),
                    _ => Value::NaiveDateTime(d.and_time(t)),
                })
            })();
            made.map(Obj::Value)
                .ok_or_else(|| bad_args("replace", args))
        }
        _ => return None,
    })
}

/// Python's arithmetic of dates, datetimes and timedeltas (`None`: not defined for them).
pub fn arith(op: crate::syntax::ast::BinOp, a: &Value, b: &Value) -> Option<Value> {
    use crate::syntax::ast::BinOp::{Add, Div, FloorDiv, Mul, Sub};
    use Value::{Date, DateTime, Duration, Int, NaiveDateTime};
    let delta = chrono::Duration::microseconds;
    let micros = |d: chrono::Duration| d.num_microseconds().map(Duration);
    Some(match (op, a, b) {
        (Add, Duration(x), Duration(y)) => Duration(x.checked_add(*y)?),
        (Sub, Duration(x), Duration(y)) => Duration(x.checked_sub(*y)?),
        (Mul, Duration(x), Int(n)) | (Mul, Int(n), Duration(x)) => Duration(x.checked_mul(*n)?),
        (FloorDiv, Duration(x), Duration(y)) if *y != 0 => Int(x.div_euclid(*y)),
        (FloorDiv, Duration(x), Int(n)) if *n != 0 => Duration(x.div_euclid(*n)),
        (Div, Duration(x), Duration(y)) if *y != 0 => Value::Float(*x as f64 / *y as f64),
        // A date moves by whole days only, as Python's does.
        (Add, Date(d), Duration(x)) | (Add, Duration(x), Date(d)) => {
            Date(d.checked_add_signed(chrono::Duration::days(x.div_euclid(86_400_000_000)))?)
        }
        (Sub, Date(d), Duration(x)) => {
            Date(d.checked_sub_signed(chrono::Duration::days(x.div_euclid(86_400_000_000)))?)
        }
        (Add, DateTime(t), Duration(x)) | (Add, Duration(x), DateTime(t)) => {
            DateTime(t.checked_add_signed(delta(*x))?)
        }
        (Sub, DateTime(t), Duration(x)) => DateTime(t.checked_sub_signed(delta(*x))?),
        (Add, NaiveDateTime(t), Duration(x)) | (Add, Duration(x), NaiveDateTime(t)) => {
            NaiveDateTime(t.checked_add_signed(delta(*x))?)
        }
        (Sub, NaiveDateTime(t), Duration(x)) => NaiveDateTime(t.checked_sub_signed(delta(*x))?),
        (Sub, Date(x), Date(y)) => micros(x.signed_duration_since(*y))?,
        (Sub, DateTime(x), DateTime(y)) => micros(x.signed_duration_since(*y))?,
        (Sub, NaiveDateTime(x), NaiveDateTime(y)) => micros(x.signed_duration_since(*y))?,
        _ => return None,
    })
}

/// Python's ordering of two times, naive datetimes or timedeltas (dates and aware
/// datetimes are the operators' own).
pub fn compare(a: &Value, b: &Value) -> Option<std::cmp::Ordering> {
    match (a, b) {
        (Value::NaiveDateTime(x), Value::NaiveDateTime(y)) => Some(x.cmp(y)),
        (Value::Time(x), Value::Time(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// `td.days`, `td.seconds`, `td.microseconds` of a timedelta (Python normalizes: the days
/// carry the sign, seconds and microseconds are never negative).
pub fn duration_part(us: i64, name: &str) -> Option<Obj> {
    const DAY: i64 = 86_400_000_000;
    let rest = us.rem_euclid(DAY);
    Some(Obj::int(match name {
        "days" => us.div_euclid(DAY),
        "seconds" => rest / 1_000_000,
        "microseconds" => rest % 1_000_000,
        _ => return None,
    }))
}

/// `datetime(..., tzinfo=...)`: aware (UTC) with `tzinfo=timezone.utc`, naive without.
pub fn with_tzinfo(dt: chrono::NaiveDateTime, args: &Args) -> Result<Obj> {
    match args.kwarg("tzinfo") {
        None => Ok(Obj::Value(Value::NaiveDateTime(dt))),
        Some(o) if o.is_none() => Ok(Obj::Value(Value::NaiveDateTime(dt))),
        Some(tz) if is_utc(tz) => Ok(Obj::Value(Value::DateTime(dt.and_utc()))),
        Some(_) => Err(Diagnostic::new(
            ErrorKind::NotSupported,
            "djq's aware datetimes are in UTC: tzinfo= takes timezone.utc only",
        )
        .at(args.span)),
    }
}
