//! `string` (its constants and `capwords`) and `re` (`match`, `fullmatch`, `search`, `sub`,
//! `findall`, `split`, `compile`), on the `regex` crate: the patterns scripts write (`\w+`,
//! `(\d+)`, `^...$`, character classes) mean the same there.

use super::objects::StdObj;
use super::{arg, bad_args, f, str_arg};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::module::Module;
use crate::py::{Args, Host, Interp, Obj};
use crate::value::Value;
use regex::Regex;

pub const RE: &[&str] = &[
    "re.match",
    "re.fullmatch",
    "re.search",
    "re.sub",
    "re.findall",
    "re.split",
    "re.compile",
    "re.escape",
];

/// `re`'s flags, as Python numbers them, with the inline flag each is.
const FLAGS: &[(&str, i64, char)] = &[
    ("IGNORECASE", 2, 'i'),
    ("I", 2, 'i'),
    ("MULTILINE", 8, 'm'),
    ("M", 8, 'm'),
    ("DOTALL", 16, 's'),
    ("S", 16, 's'),
];

pub fn re_module() -> Module {
    let mut m = Module::new(RE.iter().map(|n| (super::short(n), f(n))));
    for (name, value, _) in FLAGS {
        m.attrs.insert(name.to_string(), Obj::int(*value));
    }
    m
}

const LOWER: &str = "abcdefghijklmnopqrstuvwxyz";
const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

pub fn string_module() -> Module {
    let letters = format!("{LOWER}{UPPER}");
    let whitespace = " \t\n\r\x0b\x0c";
    Module::new([
        ("ascii_lowercase", Obj::str(LOWER)),
        ("ascii_uppercase", Obj::str(UPPER)),
        ("ascii_letters", Obj::str(letters.clone())),
        ("digits", Obj::str("0123456789")),
        ("hexdigits", Obj::str("0123456789abcdefABCDEF")),
        ("octdigits", Obj::str("01234567")),
        ("punctuation", Obj::str(PUNCTUATION)),
        ("whitespace", Obj::str(whitespace)),
        (
            "printable",
            Obj::str(format!("0123456789{letters}{PUNCTUATION}{whitespace}")),
        ),
        ("capwords", f("string.capwords")),
    ])
}

/// `unicodedata.normalize(form, s)`.
fn normalize(form: &str, s: &str, span: crate::diag::Span) -> Result<Obj> {
    use unicode_normalization::UnicodeNormalization;
    Ok(Obj::str(match form {
        "NFC" => s.nfc().collect::<String>(),
        "NFD" => s.nfd().collect(),
        "NFKC" => s.nfkc().collect(),
        "NFKD" => s.nfkd().collect(),
        _ => {
            return Err(Diagnostic::new(ErrorKind::Value, "invalid normalization form").at(span));
        }
    }))
}

/// A pattern compiled with Python's flags.
pub fn compile(pattern: &str, flags: i64, span: crate::diag::Span) -> Result<Regex> {
    let mut inline = String::new();
    for (_, v, c) in FLAGS {
        if flags & v != 0 && !inline.contains(*c) {
            inline.push(*c);
        }
    }
    let source = if inline.is_empty() {
        pattern.to_string()
    } else {
        format!("(?{inline}){pattern}")
    };
    Regex::new(&source)
        .map_err(|e| Diagnostic::new(ErrorKind::Python("re.error".into()), e.to_string()).at(span))
}

impl<H: Host> Interp<H> {
    pub(super) fn call_text(&mut self, name: &str, args: &Args) -> Result<Obj> {
        if name == "string.capwords" {
            let s = str_arg(args, 0, name)?;
            let words: Vec<String> = s.split_whitespace().map(capitalize).collect();
            return Ok(Obj::str(words.join(" ")));
        }
        if name == "unicodedata.normalize" {
            return normalize(str_arg(args, 0, name)?, str_arg(args, 1, name)?, args.span);
        }
        if name == "re.escape" {
            return Ok(Obj::str(regex::escape(str_arg(args, 0, name)?)));
        }
        let pattern = match args.pos.first() {
            Some((Obj::Value(Value::Text(p)), _)) => p.clone(),
            Some((o, _)) if let Some(StdObj::Pattern(re)) = o.native::<StdObj>() => {
                re.as_str().to_string()
            }
            _ => return Err(bad_args(name, args)),
        };
        // Where each function takes `flags` positionally (after the pattern).
        let at = match name {
            "re.compile" => 1,
            "re.split" => 3,
            "re.sub" => 4,
            _ => 2,
        };
        let flags = match arg(args, at, "flags") {
            Some(Obj::Value(Value::Int(n))) => *n,
            _ => 0,
        };
        let re = compile(&pattern, flags, args.span)?;
        if name == "re.compile" {
            return Ok(Obj::new_native(StdObj::Pattern(re)));
        }
        let rest = Args {
            pos: args.pos[1..].to_vec(),
            kw: args.kw.clone(),
            span: args.span,
        };
        self.pattern_method(&re, super::short(name), &rest)
    }
}

impl<H: Host> Interp<H> {
    /// `pattern.match(s)` and the others, for `re.match(p, s)` and a compiled pattern's
    /// methods.
    pub fn pattern_method(&self, re: &Regex, name: &str, args: &Args) -> Result<Obj> {
        let text = str_arg(args, 0, name)?;
        let found = |anchored: &str| -> Result<Obj> {
            let anchored = Regex::new(&format!("{anchored}(?:{})", re.as_str())).map_err(|e| {
                Diagnostic::new(ErrorKind::Python("re.error".into()), e.to_string())
            })?;
            Ok(match_obj(&anchored, text))
        };
        match name {
            "match" => found(r"\A"),
            "fullmatch" => {
                let whole = Regex::new(&format!(r"\A(?:{})\z", re.as_str())).map_err(|e| {
                    Diagnostic::new(ErrorKind::Python("re.error".into()), e.to_string())
                })?;
                Ok(match_obj(&whole, text))
            }
            "search" => Ok(match_obj(re, text)),
            "findall" => Ok(Obj::list(
                re.captures_iter(text)
                    .map(|c| match c.len() {
                        1 => Obj::str(&c[0]),
                        2 => Obj::str(c.get(1).map_or("", |m| m.as_str())),
                        _ => Obj::tuple(
                            (1..c.len())
                                .map(|i| Obj::str(c.get(i).map_or("", |m| m.as_str())))
                                .collect(),
                        ),
                    })
                    .collect(),
            )),
            "split" => Ok(Obj::list(re.split(text).map(Obj::str).collect())),
            "sub" => {
                let repl = text;
                let target = str_arg(args, 1, name)?;
                let count = match arg(args, 2, "count") {
                    Some(Obj::Value(Value::Int(n))) => *n as usize,
                    _ => 0,
                };
                let template = python_template(repl);
                Ok(Obj::str(
                    re.replacen(target, count, template.as_str()).into_owned(),
                ))
            }
            _ => Err(bad_args(name, args)),
        }
    }
}

/// A Python replacement string (`\1`, `\g<1>`, `\g<name>`) as the regex crate's (`${1}`).
fn python_template(repl: &str) -> String {
    let mut out = String::new();
    let mut chars = repl.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.peek().copied() {
                Some(d) if d.is_ascii_digit() => {
                    chars.next();
                    out.push_str(&format!("${{{d}}}"));
                }
                Some('g') => {
                    chars.next();
                    let name: String = chars.by_ref().skip(1).take_while(|c| *c != '>').collect();
                    out.push_str(&format!("${{{name}}}"));
                }
                Some('n') => {
                    chars.next();
                    out.push('\n');
                }
                Some('t') => {
                    chars.next();
                    out.push('\t');
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

/// The first match of `re` in `text` as a Match object, or None.
fn match_obj(re: &Regex, text: &str) -> Obj {
    match re.captures(text) {
        Some(c) => Obj::new_native(StdObj::Match {
            text: text.to_string(),
            spans: (0..c.len())
                .map(|i| c.get(i).map(|m| (m.start(), m.end())))
                .collect(),
        }),
        None => Obj::NONE,
    }
}

/// `str.capitalize()`: the first letter upper, the rest lower.
fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}
