//! `json`: `dumps` (with `indent`, `sort_keys`, `ensure_ascii`) and `loads`, as Python's.

use super::{bad_args, str_arg};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::{Args, Host, Interp, Obj};
use crate::value::{Value, python_float};

pub const FUNCTIONS: &[&str] = &["json.dumps", "json.loads"];

/// How `dumps` writes.
struct Style {
    indent: Option<usize>,
    sort_keys: bool,
    ensure_ascii: bool,
}

impl<H: Host> Interp<H> {
    pub(super) fn call_json(&mut self, name: &str, args: &Args) -> Result<Obj> {
        match name {
            "json.dumps" => {
                let v = args
                    .pos
                    .first()
                    .map(|(o, _)| o)
                    .ok_or_else(|| bad_args(name, args))?;
                let flag = |k: &str, default: bool| match args.kwarg(k) {
                    Some(Obj::Value(Value::Bool(b))) => *b,
                    _ => default,
                };
                let style = Style {
                    indent: match args.kwarg("indent") {
                        Some(Obj::Value(Value::Int(n))) => Some((*n).max(0) as usize),
                        _ => None,
                    },
                    sort_keys: flag("sort_keys", false),
                    ensure_ascii: flag("ensure_ascii", true),
                };
                let mut out = String::new();
                self.json_dump(v, &style, 0, &mut out, args)?;
                Ok(Obj::str(out))
            }
            "json.loads" => {
                let text = str_arg(args, 0, name)?;
                let doc: serde_json::Value = serde_json::from_str(text).map_err(|e| {
                    Diagnostic::new(ErrorKind::Python("JSONDecodeError".into()), e.to_string())
                        .at(args.span)
                })?;
                Ok(from_json(&doc))
            }
            _ => unreachable!("not a json function: {name}"),
        }
    }

    fn json_dump(
        &mut self,
        v: &Obj,
        style: &Style,
        level: usize,
        out: &mut String,
        args: &Args,
    ) -> Result<()> {
        let newline = |out: &mut String, level: usize| {
            if let Some(n) = style.indent {
                out.push('\n');
                out.push_str(&" ".repeat(n * level));
            }
        };
        let item_sep = if style.indent.is_some() { "," } else { ", " };
        match v {
            Obj::Value(Value::Null) => out.push_str("null"),
            Obj::Value(Value::Bool(b)) => out.push_str(if *b { "true" } else { "false" }),
            Obj::Value(Value::Int(i)) => out.push_str(&i.to_string()),
            Obj::Value(Value::Float(f)) if f.is_finite() => out.push_str(&python_float(*f)),
            Obj::Value(Value::Float(f)) => out.push_str(if f.is_nan() {
                "NaN"
            } else if *f > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            }),
            Obj::Value(Value::Text(s)) => out.push_str(&quote(s, style.ensure_ascii)),
            Obj::List(_) | Obj::Tuple(_) => {
                let items = v.items().unwrap_or_default();
                if items.is_empty() {
                    out.push_str("[]");
                    return Ok(());
                }
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(item_sep);
                    }
                    newline(out, level + 1);
                    self.json_dump(item, style, level + 1, out, args)?;
                }
                newline(out, level);
                out.push(']');
            }
            Obj::Dict(pairs) => {
                let mut pairs = pairs.borrow().clone();
                if pairs.is_empty() {
                    out.push_str("{}");
                    return Ok(());
                }
                let mut keyed = Vec::new();
                for (k, item) in pairs.drain(..) {
                    let key = match &k {
                        Obj::Value(Value::Text(s)) => s.clone(),
                        Obj::Value(Value::Null) => "null".into(),
                        Obj::Value(Value::Bool(b)) => b.to_string(),
                        Obj::Value(Value::Int(i)) => i.to_string(),
                        Obj::Value(Value::Float(f)) => python_float(*f),
                        other => {
                            return Err(Diagnostic::new(
                                ErrorKind::Type,
                                format!(
                                    "keys must be str, int, float, bool or None, not {}",
                                    other.type_name()
                                ),
                            )
                            .at(args.span));
                        }
                    };
                    keyed.push((key, item));
                }
                if style.sort_keys {
                    keyed.sort_by(|a, b| a.0.cmp(&b.0));
                }
                out.push('{');
                for (i, (k, item)) in keyed.iter().enumerate() {
                    if i > 0 {
                        out.push_str(item_sep);
                    }
                    newline(out, level + 1);
                    out.push_str(&quote(k, style.ensure_ascii));
                    out.push_str(": ");
                    self.json_dump(item, style, level + 1, out, args)?;
                }
                newline(out, level);
                out.push('}');
            }
            other => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "Object of type {} is not JSON serializable",
                        other.type_name()
                    ),
                )
                .at(args.span));
            }
        }
        Ok(())
    }
}

/// A JSON string literal as Python writes it (non-ASCII as `\uXXXX` with `ensure_ascii`).
fn quote(s: &str, ensure_ascii: bool) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || (ensure_ascii && !c.is_ascii()) => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A parsed document (or a JSON column's value) as Python's objects.
pub fn from_json(doc: &serde_json::Value) -> Obj {
    use serde_json::Value as J;
    match doc {
        J::Null => Obj::NONE,
        J::Bool(b) => Obj::bool(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Obj::int(i),
            None => Obj::Value(Value::Float(n.as_f64().unwrap_or(f64::NAN))),
        },
        J::String(s) => Obj::str(s.clone()),
        J::Array(items) => Obj::list(items.iter().map(from_json).collect()),
        J::Object(map) => Obj::dict(
            map.iter()
                .map(|(k, v)| (Obj::str(k.clone()), from_json(v)))
                .collect(),
        ),
    }
}
