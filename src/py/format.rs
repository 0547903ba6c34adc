//! Python's string formatting: format specs (f-strings, `str.format`, `format()`) and the
//! `%` operator, with Python's output for each value type.

use super::args::Args;
use super::obj::Obj;
use super::{Host, Interp};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::value::{Value, python_float};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

impl<H: Host> Interp<H> {
    /// One replacement field: `conversion` (`!r`, `!s`, `!a`) then `format(value, spec)`.
    pub fn format_field(
        &mut self,
        v: &Obj,
        conversion: Option<char>,
        spec: &str,
        span: Span,
    ) -> Result<String> {
        let converted;
        let v = match conversion {
            None => v,
            Some('r' | 'a') => {
                converted = Obj::str(self.repr(v)?);
                &converted
            }
            Some('s') => {
                converted = Obj::str(self.py_str(v)?);
                &converted
            }
            Some(c) => {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    format!("Unknown conversion specifier {c}"),
                )
                .at(span));
            }
        };
        if spec.is_empty() {
            return self.py_str(v);
        }
        // An instance of `class Cash(Decimal)` formats as its value.
        let plain;
        let v = match v {
            Obj::Object(inst) if let Some(x) = &inst.value => {
                plain = Obj::Value(x.clone());
                &plain
            }
            v => v,
        };
        let Obj::Value(value) = v else {
            let owner = match v {
                Obj::Native(n) => self.host.type_name(&**n),
                other => other.type_name(),
            };
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!("unsupported format string passed to {owner}.__format__"),
            )
            .at(span));
        };
        if super::methods::temporal_split(value).is_some() {
            return strftime(value, spec).ok_or_else(|| {
                Diagnostic::new(ErrorKind::Value, format!("Invalid format string '{spec}'"))
                    .at(span)
            });
        }
        let parsed = Spec::parse(spec).ok_or_else(|| {
            Diagnostic::new(
                ErrorKind::Value,
                format!(
                    "Invalid format specifier '{spec}' for object of type '{}'",
                    v.type_name()
                ),
            )
            .at(span)
        })?;
        format_value(value, &parsed).map_err(|(kind, msg)| Diagnostic::new(kind, msg).at(span))
    }

    /// `template.format(*args, **kwargs)`.
    pub fn str_format(&mut self, template: &str, args: &Args) -> Result<Obj> {
        let span = args.span;
        let err = |kind: ErrorKind, msg: String| Diagnostic::new(kind, msg).at(span);
        let mut out = String::new();
        let mut auto = 0;
        let mut rest = template;
        while let Some(i) = rest.find(['{', '}']) {
            out.push_str(&rest[..i]);
            let brace = &rest[i..];
            if brace.starts_with("{{") || brace.starts_with("}}") {
                out.push_str(&brace[..1]);
                rest = &brace[2..];
                continue;
            }
            if brace.starts_with('}') {
                return Err(err(
                    ErrorKind::Value,
                    "Single '}' encountered in format string".into(),
                ));
            }
            let end = brace
                .find('}')
                .ok_or_else(|| err(ErrorKind::Value, "expected '}' before end of string".into()))?;
            let field = &brace[1..end];
            rest = &brace[end + 1..];
            let (field, spec) = field.split_once(':').unwrap_or((field, ""));
            let (field, conversion) = match field.split_once('!') {
                Some((f, c)) => (f, c.chars().next()),
                None => (field, None),
            };
            let (name, attrs) = field
                .split_once('.')
                .map_or((field, None), |(n, a)| (n, Some(a)));
            let mut value = if name.is_empty() {
                auto += 1;
                positional(args, auto - 1, span)?
            } else if let Ok(index) = name.parse::<usize>() {
                positional(args, index, span)?
            } else {
                args.kwarg(name)
                    .cloned()
                    .ok_or_else(|| err(ErrorKind::Key, format!("'{name}'")))?
            };
            for attr in attrs.into_iter().flat_map(|a| a.split('.')) {
                value = self.attribute(value, attr, span)?;
            }
            out.push_str(&self.format_field(&value, conversion, spec, span)?);
        }
        out.push_str(rest);
        Ok(Obj::str(out))
    }

    /// `template % values` (printf-style formatting).
    pub fn percent_format(&mut self, template: &str, values: &Obj, span: Span) -> Result<Obj> {
        let err = |kind: ErrorKind, msg: &str| Diagnostic::new(kind, msg).at(span);
        let items: Vec<Obj> = match values {
            Obj::Tuple(items) => items.to_vec(),
            other => vec![other.clone()],
        };
        let mut next = items.iter();
        let mut out = String::new();
        let mut rest = template;
        while let Some(i) = rest.find('%') {
            out.push_str(&rest[..i]);
            let (directive, len) = Directive::parse(&rest[i + 1..])
                .ok_or_else(|| err(ErrorKind::Value, "incomplete format"))?;
            rest = &rest[i + 1 + len..];
            if directive.kind == '%' {
                out.push('%');
                continue;
            }
            let value = match (&directive.key, values) {
                (Some(key), Obj::Dict(pairs)) => pairs
                    .borrow()
                    .iter()
                    .find(|(k, _)| matches!(k, Obj::Value(Value::Text(t)) if *t == *key))
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| err(ErrorKind::Key, &format!("'{key}'")))?,
                (Some(_), _) => return Err(err(ErrorKind::Type, "format requires a mapping")),
                (None, _) => next.next().cloned().ok_or_else(|| {
                    err(ErrorKind::Type, "not enough arguments for format string")
                })?,
            };
            out.push_str(&self.percent_directive(&directive, &value, span)?);
        }
        out.push_str(rest);
        let is_mapping = matches!(values, Obj::Dict(_));
        if next.next().is_some() && !is_mapping {
            return Err(err(
                ErrorKind::Type,
                "not all arguments converted during string formatting",
            ));
        }
        Ok(Obj::str(out))
    }

    fn percent_directive(&mut self, d: &Directive, v: &Obj, span: Span) -> Result<String> {
        let mut spec = Spec {
            align: Some(if d.left { '<' } else { '>' }),
            sign: d.sign,
            alt: d.alt,
            width: d.width,
            precision: d.precision,
            kind: Some(d.kind),
            ..Spec::default()
        };
        if d.zero && !d.left {
            spec.fill = '0';
            spec.align = Some('=');
        }
        let text = match d.kind {
            's' | 'r' | 'a' => {
                let s = if d.kind == 's' {
                    self.py_str(v)?
                } else {
                    self.repr(v)?
                };
                spec.kind = Some('s');
                spec.align = Some(if d.left { '<' } else { '>' });
                spec.fill = ' ';
                return format_value(&Value::Text(s), &spec)
                    .map_err(|(kind, msg)| Diagnostic::new(kind, msg).at(span));
            }
            _ => v,
        };
        let number = match text {
            Obj::Value(Value::Bool(b)) => Value::Int(i64::from(*b)),
            Obj::Value(v @ (Value::Int(_) | Value::Float(_) | Value::Decimal(_))) => v.clone(),
            other => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "%{} format: a real number is required, not {}",
                        d.kind,
                        other.type_name()
                    ),
                )
                .at(span));
            }
        };
        let number = match (d.kind, &number) {
            ('d' | 'i' | 'u' | 'x' | 'X' | 'o', Value::Float(f)) => Value::Int(f.trunc() as i64),
            ('d' | 'i' | 'u' | 'x' | 'X' | 'o', Value::Decimal(x)) => {
                Value::Int(x.trunc().to_i64().unwrap_or_default())
            }
            _ => number,
        };
        if matches!(d.kind, 'i' | 'u') {
            spec.kind = Some('d');
        }
        format_value(&number, &spec).map_err(|(kind, msg)| Diagnostic::new(kind, msg).at(span))
    }
}

fn positional(args: &Args, index: usize, span: Span) -> Result<Obj> {
    args.pos.get(index).map(|(o, _)| o.clone()).ok_or_else(|| {
        Diagnostic::new(
            ErrorKind::Index,
            format!("Replacement index {index} out of range for positional args tuple"),
        )
        .at(span)
    })
}

/// A parsed format spec: `[[fill]align][sign][#][0][width][grouping][.precision][type]`.
#[derive(Debug, Clone, PartialEq)]
struct Spec {
    fill: char,
    align: Option<char>,
    sign: char,
    alt: bool,
    width: usize,
    grouping: Option<char>,
    precision: Option<usize>,
    kind: Option<char>,
}

impl Default for Spec {
    fn default() -> Spec {
        Spec {
            fill: ' ',
            align: None,
            sign: '-',
            alt: false,
            width: 0,
            grouping: None,
            precision: None,
            kind: None,
        }
    }
}

impl Spec {
    fn parse(spec: &str) -> Option<Spec> {
        let chars: Vec<char> = spec.chars().collect();
        let mut s = Spec::default();
        let mut i = 0;
        let is_align = |c: char| "<>=^".contains(c);
        if chars.len() >= 2 && is_align(chars[1]) {
            (s.fill, s.align, i) = (chars[0], Some(chars[1]), 2);
        } else if chars.first().is_some_and(|&c| is_align(c)) {
            (s.align, i) = (Some(chars[0]), 1);
        }
        let at = |i: usize| chars.get(i).copied();
        if let Some(c @ ('+' | '-' | ' ')) = at(i) {
            s.sign = c;
            i += 1;
        }
        if at(i) == Some('#') {
            s.alt = true;
            i += 1;
        }
        if at(i) == Some('0') {
            if s.align.is_none() {
                (s.fill, s.align) = ('0', Some('='));
            }
            i += 1;
        }
        let digits = |i: &mut usize| -> Option<usize> {
            let start = *i;
            while at(*i).is_some_and(|c| c.is_ascii_digit()) {
                *i += 1;
            }
            let text: String = chars[start..*i].iter().collect();
            // Too many digits for a usize: too wide anyway.
            (!text.is_empty()).then(|| text.parse().unwrap_or(usize::MAX))
        };
        s.width = digits(&mut i).unwrap_or(0);
        // A width past what fits in memory is refused, not allocated.
        if s.width > super::MAX_TEXT {
            return None;
        }
        if let Some(c @ (',' | '_')) = at(i) {
            s.grouping = Some(c);
            i += 1;
        }
        if at(i) == Some('.') {
            i += 1;
            s.precision = Some(digits(&mut i)?).filter(|p| *p <= super::MAX_TEXT);
            s.precision?;
        }
        if let Some(c) = at(i) {
            s.kind = Some(c);
            i += 1;
        }
        (i == chars.len()).then_some(s)
    }
}

/// One `%` directive: `%[(key)][flags][width][.precision]type`.
struct Directive {
    key: Option<String>,
    left: bool,
    zero: bool,
    sign: char,
    alt: bool,
    width: usize,
    precision: Option<usize>,
    kind: char,
}

impl Directive {
    /// Parses the text after a `%`; returns the directive and how many bytes it used.
    fn parse(text: &str) -> Option<(Directive, usize)> {
        let mut d = Directive {
            key: None,
            left: false,
            zero: false,
            sign: '-',
            alt: false,
            width: 0,
            precision: None,
            kind: '%',
        };
        let mut rest = text;
        if let Some(after) = rest.strip_prefix('(') {
            let close = after.find(')')?;
            d.key = Some(after[..close].to_string());
            rest = &after[close + 1..];
        }
        loop {
            match rest.chars().next()? {
                '-' => d.left = true,
                '0' => d.zero = true,
                '+' => d.sign = '+',
                ' ' if d.sign != '+' => d.sign = ' ',
                ' ' => {}
                '#' => d.alt = true,
                _ => break,
            }
            rest = &rest[1..];
        }
        let number = |rest: &mut &str| -> usize {
            let n = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            let v = if n == 0 {
                0
            } else {
                rest[..n].parse().unwrap_or(usize::MAX)
            };
            *rest = &rest[n..];
            v
        };
        d.width = number(&mut rest);
        // A width or precision past what fits in memory is refused, not allocated.
        let too_big = |n: usize| n > super::MAX_TEXT;
        if let Some(after) = rest.strip_prefix('.') {
            rest = after;
            d.precision = Some(number(&mut rest));
        }
        if too_big(d.width) || d.precision.is_some_and(too_big) {
            return None;
        }
        d.kind = rest.chars().next()?;
        if !"sradiuxXoeEfFgGc%".contains(d.kind) {
            return None;
        }
        rest = &rest[d.kind.len_utf8()..];
        Some((d, text.len() - rest.len()))
    }
}

type FormatError = (ErrorKind, String);

/// `format(value, spec)` for a scalar other than a date or time, as Python's `__format__`
/// of its type does it.
fn format_value(v: &Value, spec: &Spec) -> std::result::Result<String, FormatError> {
    let type_name = || super::obj::Obj::Value(v.clone()).type_name();
    let unknown = |code: char| {
        (
            ErrorKind::Value,
            format!(
                "Unknown format code '{code}' for object of type '{}'",
                type_name()
            ),
        )
    };
    let is_int_kind = |k: Option<char>| k.is_none_or(|c| "dnbcoxX".contains(c));
    let is_float_kind = |k: Option<char>| k.is_none_or(|c| "eEfFgG%".contains(c));
    let (negative, body) = match v {
        Value::Null => {
            return Err((
                ErrorKind::Type,
                "unsupported format string passed to NoneType.__format__".into(),
            ));
        }
        Value::Text(s) => {
            if let Some(c) = spec.kind.filter(|&c| c != 's') {
                return Err(unknown(c));
            }
            let body: String = match spec.precision {
                Some(p) => s.chars().take(p).collect(),
                None => s.clone(),
            };
            return Ok(pad(&body, "", spec, '<'));
        }
        Value::Bool(b) if is_int_kind(spec.kind) => int_body(i64::from(*b), spec)?,
        Value::Int(i) if is_int_kind(spec.kind) => int_body(*i, spec)?,
        Value::Bool(_) | Value::Int(_) | Value::Float(_) if is_float_kind(spec.kind) => {
            let f = match v {
                Value::Bool(b) => f64::from(u8::from(*b)),
                Value::Int(i) => *i as f64,
                Value::Float(f) => *f,
                _ => unreachable!("matched above"),
            };
            (f.is_sign_negative(), float_body(f.abs(), spec))
        }
        Value::Decimal(d) => match (spec.kind, spec.precision) {
            (None, None) | (Some('f' | 'F'), None) => (d.is_sign_negative(), d.abs().to_string()),
            (Some('f' | 'F'), Some(p)) => {
                let rounded = d
                    .abs()
                    .round_dp_with_strategy(p as u32, RoundingStrategy::MidpointNearestEven);
                (d.is_sign_negative(), fixed_decimal(rounded, p))
            }
            (Some(c), _) if !is_float_kind(Some(c)) => return Err(unknown(c)),
            _ => {
                let f = d.to_f64().unwrap_or_default();
                (f.is_sign_negative(), float_body(f.abs(), spec))
            }
        },
        Value::Bool(_) | Value::Int(_) | Value::Float(_) => {
            return Err(unknown(spec.kind.unwrap_or('?')));
        }
        other => return Ok(pad(&other.to_python_str(), "", spec, '<')),
    };
    let sign = match (negative, spec.sign) {
        (true, _) => "-",
        (false, '+') => "+",
        (false, ' ') => " ",
        _ => "",
    };
    let body = match spec.grouping {
        Some(sep) => group_thousands(&body, sep),
        None => body,
    };
    Ok(pad(&body, sign, spec, '>'))
}

/// A decimal already rounded to `places` digits, written with exactly that many.
fn fixed_decimal(d: Decimal, places: usize) -> String {
    let s = d.to_string();
    let have = s.split_once('.').map_or(0, |(_, frac)| frac.len());
    match (have, places) {
        (0, 0) => s,
        (0, p) => format!("{s}.{}", "0".repeat(p)),
        (h, p) => format!("{s}{}", "0".repeat(p.saturating_sub(h))),
    }
}

/// Python's `strftime` (and `format()` of a date, datetime or time); `None` for a format
/// chrono cannot read.
pub fn strftime(v: &Value, fmt: &str) -> Option<String> {
    use chrono::format::{Item, StrftimeItems};
    let (date, time) = super::methods::temporal_split(v)?;
    let fmt = &zone_directives(v, fmt);
    if StrftimeItems::new(fmt).any(|i| matches!(i, Item::Error)) {
        return None;
    }
    let at = date
        .unwrap_or(chrono::NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date"))
        .and_time(time.unwrap_or_default());
    Some(at.format(fmt).to_string())
}

/// `fmt` with `%z` and `%Z` written out as Python does (chrono has no zone for a naive
/// value): `+0200` and `UTC+02:00` (`UTC` at offset zero) for an aware datetime, nothing for
/// any other value.
fn zone_directives(v: &Value, fmt: &str) -> String {
    let offset = match v {
        Value::DateTime(_) => Some(0),
        Value::OffsetDateTime(dt) => Some(dt.offset().local_minus_utc()),
        _ => None,
    };
    let mut out = String::with_capacity(fmt.len());
    let mut chars = fmt.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('z') => {
                if let Some(o) = offset {
                    let sign = if o < 0 { '-' } else { '+' };
                    let a = o.unsigned_abs();
                    out.push_str(&format!("{sign}{:02}{:02}", a / 3600, a / 60 % 60));
                    if a % 60 != 0 {
                        out.push_str(&format!("{:02}", a % 60));
                    }
                }
            }
            Some('Z') => match offset {
                Some(0) => out.push_str("UTC"),
                Some(o) => out.push_str(&format!("UTC{}", super::stdlib::objects::offset_text(o))),
                None => {}
            },
            Some(other) => {
                out.push('%');
                out.push(other);
            }
            None => out.push('%'),
        }
    }
    out
}

/// An integer's digits (without sign) in the spec's base.
fn int_body(i: i64, spec: &Spec) -> std::result::Result<(bool, String), FormatError> {
    if spec.precision.is_some() {
        return Err((
            ErrorKind::Value,
            "Precision not allowed in integer format specifier".into(),
        ));
    }
    let n = i.unsigned_abs();
    let prefix = |p: &str| {
        if spec.alt {
            p.to_string()
        } else {
            String::new()
        }
    };
    let body = match spec.kind {
        Some('x') => format!("{}{n:x}", prefix("0x")),
        Some('X') => format!("{}{n:X}", prefix("0X")),
        Some('o') => format!("{}{n:o}", prefix("0o")),
        Some('b') => format!("{}{n:b}", prefix("0b")),
        Some('c') => char::from_u32(n as u32)
            .map(String::from)
            .unwrap_or_default(),
        _ => n.to_string(),
    };
    Ok((i < 0, body))
}

/// A non-negative float's digits by the spec's type (`f`, `e`, `g`, `%`, none).
fn float_body(f: f64, spec: &Spec) -> String {
    if f.is_nan() || f.is_infinite() {
        let s = if f.is_nan() { "nan" } else { "inf" };
        return if spec.kind.is_some_and(|c| c.is_ascii_uppercase()) {
            s.to_uppercase()
        } else {
            s.into()
        };
    }
    match (spec.kind, spec.precision) {
        (None, None) => python_float(f),
        (Some('f' | 'F'), p) => format!("{:.*}", p.unwrap_or(6), f),
        (Some('%'), p) => format!("{:.*}%", p.unwrap_or(6), f * 100.0),
        (Some(c @ ('e' | 'E')), p) => {
            let s = exponent(f, p.unwrap_or(6));
            if c == 'E' { s.to_uppercase() } else { s }
        }
        (Some(c), p) => {
            let s = general(f, p.unwrap_or(6), spec.alt, false);
            if c == 'G' { s.to_uppercase() } else { s }
        }
        (None, Some(p)) => general(f, p, spec.alt, true),
    }
}

/// `{:.{p}e}`: Python writes the exponent with a sign and at least two digits.
fn exponent(f: f64, p: usize) -> String {
    let s = format!("{f:.p$e}");
    let (mantissa, exp) = s.split_once('e').expect("exponent");
    let exp: i32 = exp.parse().expect("exponent digits");
    let sign = if exp < 0 { '-' } else { '+' };
    format!("{mantissa}e{sign}{:02}", exp.abs())
}

/// Python's `g` type (and, with `repr_like`, the float type with a precision but no type).
fn general(f: f64, p: usize, alt: bool, repr_like: bool) -> String {
    let p = p.max(1);
    let sci = exponent(f, p - 1);
    let exp: i32 = sci
        .rsplit_once('e')
        .and_then(|(_, e)| e.parse().ok())
        .unwrap_or(0);
    let upper = if repr_like { p as i32 - 1 } else { p as i32 };
    let strip = |s: String| -> String {
        if alt || !s.contains('.') {
            return s;
        }
        let (mantissa, tail) = s
            .split_once('e')
            .map_or((s.as_str(), None), |(m, e)| (m, Some(e)));
        let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
        let mantissa = if repr_like && tail.is_none() && !mantissa.contains('.') {
            format!("{mantissa}.0")
        } else {
            mantissa.to_string()
        };
        match tail {
            Some(e) => format!("{mantissa}e{e}"),
            None => mantissa,
        }
    };
    if -4 <= exp && exp < upper {
        strip(format!("{:.*}", (p as i32 - 1 - exp).max(0) as usize, f))
    } else {
        strip(sci)
    }
}

/// Pads `sign` + `body` to the spec's width; `default_align` when the spec has none.
fn pad(body: &str, sign: &str, spec: &Spec, default_align: char) -> String {
    let len = sign.chars().count() + body.chars().count();
    let n = spec.width.saturating_sub(len);
    let fill = |k: usize| spec.fill.to_string().repeat(k);
    match spec.align.unwrap_or(default_align) {
        '<' => format!("{sign}{body}{}", fill(n)),
        '^' => format!("{}{sign}{body}{}", fill(n / 2), fill(n - n / 2)),
        '=' => format!("{sign}{}{body}", fill(n)),
        _ => format!("{}{sign}{body}", fill(n)),
    }
}

fn group_thousands(s: &str, sep: char) -> String {
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (digits, tail) = s.split_at(split);
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(ch);
    }
    out + tail
}
