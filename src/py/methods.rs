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

/// Methods of `str` that djq implements (`format` and `join` are the interpreter's).
pub const STR_METHODS: &[&str] = &[
    "capitalize",
    "casefold",
    "center",
    "count",
    "endswith",
    "find",
    "format",
    "index",
    "isalnum",
    "isalpha",
    "isdecimal",
    "isdigit",
    "islower",
    "isnumeric",
    "isspace",
    "istitle",
    "isupper",
    "join",
    "ljust",
    "lower",
    "lstrip",
    "partition",
    "removeprefix",
    "removesuffix",
    "replace",
    "rfind",
    "rindex",
    "rjust",
    "rpartition",
    "rsplit",
    "rstrip",
    "split",
    "splitlines",
    "startswith",
    "strip",
    "swapcase",
    "title",
    "upper",
    "zfill",
];

/// Python's `str.title()`: a letter after a letter is lowered, any other raised.
fn title(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut after_letter = false;
    for c in s.chars() {
        if after_letter {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        after_letter = c.is_alphabetic();
    }
    out
}

/// `s.split(sep, maxsplit)` (`rsplit` with `from_right`); `sep` None splits on runs of
/// whitespace and drops empty parts.
fn split(s: &str, sep: Option<&str>, maxsplit: i64, from_right: bool) -> Vec<String> {
    let max = usize::try_from(maxsplit).unwrap_or(usize::MAX);
    match sep {
        Some(sep) => {
            if from_right {
                let mut v: Vec<String> = s
                    .rsplitn(max.saturating_add(1), sep)
                    .map(String::from)
                    .collect();
                v.reverse();
                v
            } else {
                s.splitn(max.saturating_add(1), sep)
                    .map(String::from)
                    .collect()
            }
        }
        None => {
            // From the right: split the reversed text, then reverse back.
            let chars: Vec<char> = if from_right {
                s.chars().rev().collect()
            } else {
                s.chars().collect()
            };
            let mut parts: Vec<String> = Vec::new();
            let mut i = 0;
            while i < chars.len() {
                while i < chars.len() && chars[i].is_whitespace() {
                    i += 1;
                }
                if i == chars.len() {
                    break;
                }
                let start = i;
                if parts.len() == max {
                    i = chars.len();
                } else {
                    while i < chars.len() && !chars[i].is_whitespace() {
                        i += 1;
                    }
                }
                parts.push(chars[start..i].iter().collect());
            }
            if from_right {
                parts = parts
                    .into_iter()
                    .rev()
                    .map(|p| p.chars().rev().collect())
                    .collect();
            }
            parts
        }
    }
}

/// Python's `str.splitlines()`: on `\n`, `\r\n`, `\r` and the other line boundaries.
fn splitlines(s: &str, keepends: bool) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        let boundary = matches!(
            c,
            '\n' | '\r'
                | '\x0b'
                | '\x0c'
                | '\x1c'
                | '\x1d'
                | '\x1e'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !boundary {
            line.push(c);
            continue;
        }
        let mut end = c.to_string();
        if c == '\r' && chars.peek() == Some(&'\n') {
            chars.next();
            end.push('\n');
        }
        if keepends {
            line.push_str(&end);
        }
        out.push(std::mem::take(&mut line));
    }
    if !line.is_empty() {
        out.push(line);
    }
    out
}

pub fn str_method(s: &str, name: &str, args: &Args) -> Result<Obj> {
    let span = args.span;
    let arg = |i: usize| -> Option<String> {
        match args.pos.get(i) {
            Some((Obj::Value(Value::Text(t)), _)) => Some(t.clone()),
            _ => None,
        }
    };
    let int_arg = |i: usize, kw: &str| -> Result<Option<i64>> {
        match args.pos.get(i).map(|(o, _)| o).or(args.kwarg(kw)) {
            None | Some(Obj::Value(Value::Null)) => Ok(None),
            Some(o) => super::numbers::index(o, span).map(Some),
        }
    };
    let needs_str = |i: usize| -> Result<String> {
        match args.pos.get(i) {
            Some((Obj::Value(Value::Text(t)), _)) => Ok(t.clone()),
            Some((other, at)) => Err(Diagnostic::new(
                ErrorKind::Type,
                format!("must be str, not {}", other.type_name()),
            )
            .at(*at)),
            None => Err(Diagnostic::new(
                ErrorKind::Type,
                format!("{name}() takes at least 1 argument (0 given)"),
            )
            .at(span)),
        }
    };
    let chars: Vec<char> = s.chars().collect();
    // `s[start:end]` of the optional start/end arguments at `i`, `i + 1`, as char offsets.
    let window = |i: usize| -> Result<(usize, usize)> {
        let n = chars.len() as i64;
        let clamp = |v: i64| (if v < 0 { v + n } else { v }).clamp(0, n) as usize;
        let start = int_arg(i, "")?.map_or(0, clamp);
        let end = int_arg(i + 1, "")?.map_or(chars.len(), clamp);
        Ok((start, end.max(start)))
    };
    let sub = |a: usize, b: usize| chars[a..b].iter().collect::<String>();
    Ok(match name {
        "upper" => Obj::str(s.to_uppercase()),
        "lower" => Obj::str(s.to_lowercase()),
        "casefold" => Obj::str(s.to_lowercase().replace('ß', "ss")),
        "swapcase" => Obj::str(
            s.chars()
                .flat_map(|c| {
                    if c.is_uppercase() {
                        c.to_lowercase().collect::<Vec<_>>()
                    } else {
                        c.to_uppercase().collect()
                    }
                })
                .collect::<String>(),
        ),
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
        "removeprefix" => Obj::str(s.strip_prefix(needs_str(0)?.as_str()).unwrap_or(s)),
        "removesuffix" => Obj::str(s.strip_suffix(needs_str(0)?.as_str()).unwrap_or(s)),
        "capitalize" => {
            let mut c = s.chars();
            Obj::str(c.next().map_or(String::new(), |f| {
                f.to_uppercase().collect::<String>() + &c.as_str().to_lowercase()
            }))
        }
        "title" => Obj::str(title(s)),
        "zfill" | "ljust" | "rjust" | "center" => {
            let width = match args.pos.first() {
                Some((Obj::Value(Value::Int(w)), _)) => usize::try_from(*w).unwrap_or(0),
                _ => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!("{name}() takes an integer width"),
                    )
                    .at(span));
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
                .at(span));
            }
            let fill = arg(1).and_then(|f| f.chars().next()).unwrap_or(' ');
            let n = width.saturating_sub(chars.len());
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
        "count" => {
            let p = needs_str(0)?;
            let (a, b) = window(1)?;
            let hay = sub(a, b);
            Obj::int(if p.is_empty() {
                hay.chars().count() + 1
            } else {
                hay.matches(p.as_str()).count()
            } as i64)
        }
        "find" | "index" | "rfind" | "rindex" => {
            let p = needs_str(0)?;
            let (a, b) = window(1)?;
            let hay = sub(a, b);
            let at = if name.starts_with('r') {
                hay.rfind(p.as_str())
            } else {
                hay.find(p.as_str())
            };
            match at {
                Some(i) => Obj::int((a + hay[..i].chars().count()) as i64),
                None if name.ends_with("index") => {
                    return Err(Diagnostic::new(ErrorKind::Value, "substring not found").at(span));
                }
                None => Obj::int(-1),
            }
        }
        "isdigit" | "isdecimal" => {
            Obj::bool(!s.is_empty() && s.chars().all(|c| c.is_ascii_digit()))
        }
        "isnumeric" => Obj::bool(!s.is_empty() && s.chars().all(char::is_numeric)),
        "isalpha" => Obj::bool(!s.is_empty() && s.chars().all(char::is_alphabetic)),
        "isalnum" => Obj::bool(!s.is_empty() && s.chars().all(char::is_alphanumeric)),
        "isspace" => Obj::bool(!s.is_empty() && s.chars().all(char::is_whitespace)),
        "isupper" | "islower" => {
            let cased: Vec<char> = s
                .chars()
                .filter(|c| c.is_lowercase() || c.is_uppercase())
                .collect();
            let want = |c: &char| {
                if name == "isupper" {
                    c.is_uppercase()
                } else {
                    c.is_lowercase()
                }
            };
            Obj::bool(!cased.is_empty() && cased.iter().all(want))
        }
        "istitle" => Obj::bool(s.chars().any(char::is_alphabetic) && title(s) == s),
        "startswith" | "endswith" => {
            let prefixes: Vec<String> = match args.pos.first() {
                Some((Obj::Value(Value::Text(t)), _)) => vec![t.clone()],
                Some((Obj::Tuple(items), _)) => items
                    .iter()
                    .map(|o| match o {
                        Obj::Value(Value::Text(t)) => Ok(t.clone()),
                        other => Err(Diagnostic::new(
                            ErrorKind::Type,
                            format!(
                                "tuple for {name} must only contain str, not {}",
                                other.type_name()
                            ),
                        )
                        .at(span)),
                    })
                    .collect::<Result<_>>()?,
                other => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!(
                            "{name} first arg must be str or a tuple of str, not {}",
                            other.map_or("nothing".into(), |(o, _)| o.type_name())
                        ),
                    )
                    .at(span));
                }
            };
            let (a, b) = window(1)?;
            let hay = sub(a, b);
            Obj::bool(prefixes.iter().any(|p| {
                if name == "startswith" {
                    hay.starts_with(p.as_str())
                } else {
                    hay.ends_with(p.as_str())
                }
            }))
        }
        "replace" => {
            let (old, new) = (needs_str(0)?, needs_str(1)?);
            Obj::str(match int_arg(2, "count")? {
                Some(n) if n >= 0 => s.replacen(old.as_str(), &new, n as usize),
                _ => s.replace(old.as_str(), &new),
            })
        }
        "split" | "rsplit" => {
            let sep = match args.pos.first().map(|(o, _)| o).or(args.kwarg("sep")) {
                None | Some(Obj::Value(Value::Null)) => None,
                Some(Obj::Value(Value::Text(t))) if t.is_empty() => {
                    return Err(Diagnostic::new(ErrorKind::Value, "empty separator").at(span));
                }
                Some(Obj::Value(Value::Text(t))) => Some(t.clone()),
                Some(other) => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!("must be str or None, not {}", other.type_name()),
                    )
                    .at(span));
                }
            };
            let max = int_arg(1, "maxsplit")?.unwrap_or(-1);
            Obj::list(
                split(s, sep.as_deref(), max, name == "rsplit")
                    .into_iter()
                    .map(Obj::str)
                    .collect(),
            )
        }
        "partition" | "rpartition" => {
            let sep = needs_str(0)?;
            if sep.is_empty() {
                return Err(Diagnostic::new(ErrorKind::Value, "empty separator").at(span));
            }
            let found = if name == "partition" {
                s.find(sep.as_str())
            } else {
                s.rfind(sep.as_str())
            };
            let parts = match found {
                Some(i) => [&s[..i], sep.as_str(), &s[i + sep.len()..]],
                None if name == "partition" => [s, "", ""],
                None => ["", "", s],
            };
            Obj::tuple(parts.iter().map(|p| Obj::str(*p)).collect())
        }
        "splitlines" => {
            let keep = match args.pos.first().map(|(o, _)| o).or(args.kwarg("keepends")) {
                Some(Obj::Value(Value::Bool(b))) => *b,
                Some(Obj::Value(Value::Int(i))) => *i != 0,
                _ => false,
            };
            Obj::list(splitlines(s, keep).into_iter().map(Obj::str).collect())
        }
        _ => {
            return Err(Diagnostic::new(
                ErrorKind::Attribute,
                format!("'str' object has no attribute '{name}'"),
            )
            .at(span));
        }
    })
}
