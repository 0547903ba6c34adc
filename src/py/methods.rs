//! Methods and attributes of `str` and of `date`, `datetime` and `time` objects.

use super::args::Args;
use super::obj::Obj;
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::value::Value;

/// Methods of Python's `date`, `datetime` and `time` that djq implements.
pub const TEMPORAL_METHODS: &[&str] = &["isoformat", "strftime", "date", "weekday", "isoweekday"];

/// The attributes of Python's `date`, `datetime` and `time` objects.
pub fn temporal_part(v: &Value, name: &str) -> Option<Obj> {
    use chrono::{Datelike, Timelike};
    let (date, time) = temporal_split(v)?;
    let n = match name {
        "year" => i64::from(date?.year()),
        "month" => i64::from(date?.month()),
        "day" => i64::from(date?.day()),
        "hour" => i64::from(time?.hour()),
        "minute" => i64::from(time?.minute()),
        "second" => i64::from(time?.second()),
        "microsecond" => i64::from(time?.nanosecond() / 1000),
        _ => return None,
    };
    Some(Obj::int(n))
}

/// A date, datetime or time value as its date part and its time part.
pub fn temporal_split(v: &Value) -> Option<(Option<chrono::NaiveDate>, Option<chrono::NaiveTime>)> {
    Some(match v {
        Value::Date(d) => (Some(*d), None),
        Value::DateTime(dt) => (Some(dt.date_naive()), Some(dt.time())),
        Value::NaiveDateTime(dt) => (Some(dt.date()), Some(dt.time())),
        Value::Time(t) => (None, Some(*t)),
        _ => return None,
    })
}

/// `d.isoformat()`, `d.strftime(fmt)`, `dt.date()`, `d.weekday()`, `d.isoweekday()`.
pub fn temporal_method(v: &Value, name: &str, args: &Args) -> Result<Obj> {
    use chrono::Datelike;
    let (date, time) = temporal_split(v).unwrap_or((None, None));
    let no_attr = || {
        let owner = Obj::Value(v.clone()).type_name();
        Diagnostic::new(
            ErrorKind::Attribute,
            format!("'{owner}' object has no attribute '{name}'"),
        )
        .at(args.span)
    };
    Ok(match (name, date) {
        ("isoformat", _) => Obj::str(v.to_python_str().replacen(' ', "T", 1)),
        ("strftime", _) => {
            let Some((Obj::Value(Value::Text(fmt)), _)) = args.pos.first() else {
                return Err(
                    Diagnostic::new(ErrorKind::Type, "strftime() argument 1 must be str")
                        .at(args.span),
                );
            };
            Obj::str(super::format::strftime(v, fmt).ok_or_else(|| {
                Diagnostic::new(ErrorKind::Value, format!("Invalid format string '{fmt}'"))
                    .at(args.span)
            })?)
        }
        ("date", Some(d)) if time.is_some() => Obj::Value(Value::Date(d)),
        ("weekday", Some(d)) => Obj::int(i64::from(d.weekday().num_days_from_monday())),
        ("isoweekday", Some(d)) => Obj::int(i64::from(d.weekday().number_from_monday())),
        _ => return Err(no_attr()),
    })
}

pub fn str_method(s: &str, name: &str, args: &Args) -> Result<Obj> {
    let arg = |i: usize| -> Option<String> {
        match args.pos.get(i) {
            Some((Obj::Value(Value::Text(t)), _)) => Some(t.clone()),
            _ => None,
        }
    };
    Ok(match name {
        "upper" => Obj::str(s.to_uppercase()),
        "lower" => Obj::str(s.to_lowercase()),
        "strip" | "lstrip" | "rstrip" => {
            let chars: Vec<char> = arg(0).map_or_else(Vec::new, |c| c.chars().collect());
            let strip = |c: char| {
                if chars.is_empty() {
                    c.is_whitespace()
                } else {
                    chars.contains(&c)
                }
            };
            Obj::str(match name {
                "lstrip" => s.trim_start_matches(strip),
                "rstrip" => s.trim_end_matches(strip),
                _ => s.trim_matches(strip),
            })
        }
        "capitalize" => {
            let mut c = s.chars();
            Obj::str(c.next().map_or(String::new(), |f| {
                f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase()
            }))
        }
        "zfill" | "ljust" | "rjust" | "center" => {
            let width = match args.pos.first() {
                Some((Obj::Value(Value::Int(w)), _)) => usize::try_from(*w).unwrap_or(0),
                _ => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!("{name}() takes an integer width"),
                    )
                    .at(args.span));
                }
            };
            if width > super::MAX_TEXT {
                return Err(Diagnostic::new(
                    ErrorKind::Python("MemoryError".into()),
                    format!(
                        "{name}() width {width} would make a string longer than djq allows ({})",
                        super::MAX_TEXT_SAID
                    ),
                )
                .at(args.span));
            }
            let fill = arg(1).and_then(|f| f.chars().next()).unwrap_or(' ');
            let n = width.saturating_sub(s.chars().count());
            let pad = |k: usize, c: char| c.to_string().repeat(k);
            Obj::str(match name {
                "zfill" => match s.strip_prefix(['-', '+']) {
                    Some(digits) => format!("{}{}{digits}", &s[..1], pad(n, '0')),
                    None => format!("{}{s}", pad(n, '0')),
                },
                "ljust" => format!("{s}{}", pad(n, fill)),
                "rjust" => format!("{}{s}", pad(n, fill)),
                // CPython: the odd fill character goes left when margin and width are odd.
                _ => {
                    let left = n / 2 + (n & width & 1);
                    format!("{}{s}{}", pad(left, fill), pad(n - left, fill))
                }
            })
        }
        "count" => Obj::int(arg(0).map_or(0, |p| {
            if p.is_empty() {
                s.chars().count() + 1
            } else {
                s.matches(p.as_str()).count()
            }
        }) as i64),
        "find" => Obj::int(
            arg(0)
                .and_then(|p| s.find(p.as_str()))
                .map_or(-1, |i| s[..i].chars().count() as i64),
        ),
        "isdigit" => Obj::bool(!s.is_empty() && s.chars().all(|c| c.is_ascii_digit())),
        "isalpha" => Obj::bool(!s.is_empty() && s.chars().all(char::is_alphabetic)),
        "title" => Obj::str(
            s.split(' ')
                .map(|w| {
                    let mut c = w.chars();
                    c.next().map_or(String::new(), |f| {
                        f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase()
                    })
                })
                .collect::<Vec<_>>()
                .join(" "),
        ),
        "startswith" => Obj::bool(arg(0).is_some_and(|p| s.starts_with(&p))),
        "endswith" => Obj::bool(arg(0).is_some_and(|p| s.ends_with(&p))),
        "replace" => Obj::str(s.replace(&arg(0).unwrap_or_default(), &arg(1).unwrap_or_default())),
        "split" => Obj::list(match arg(0) {
            Some(sep) => s.split(sep.as_str()).map(Obj::str).collect(),
            None => s.split_whitespace().map(Obj::str).collect(),
        }),
        _ => {
            return Err(Diagnostic::new(
                ErrorKind::Attribute,
                format!("'str' object has no attribute '{name}'"),
            )
            .at(args.span));
        }
    })
}
