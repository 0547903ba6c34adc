//! The objects standard-library functions make that are not plain values: a regex match or
//! pattern, `operator.itemgetter`/`attrgetter`, an endless `itertools.count()`. Each is a
//! [`Native`] the interpreter handles itself (the host is never asked about them).

use super::text::pattern_method;
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::native_any;
use crate::py::{Args, Host, Interp, Native, Obj};
use crate::value::Value;
use std::borrow::Cow;
use std::rc::Rc;

#[derive(Debug)]
pub enum StdObj {
    /// `re.Match`: the text searched and each group's span (group 0 the whole match).
    Match {
        text: String,
        spans: Vec<Option<(usize, usize)>>,
    },
    /// `re.compile(...)`
    Pattern(regex::Regex),
    ItemGetter(Vec<Obj>),
    AttrGetter(Vec<String>),
    /// `itertools.count(start, step)`
    Count {
        start: i64,
        step: i64,
    },
}

impl Native for StdObj {
    fn type_name(&self) -> Cow<'_, str> {
        match self {
            StdObj::Match { .. } => "Match",
            StdObj::Pattern(_) => "Pattern",
            StdObj::ItemGetter(_) => "itemgetter",
            StdObj::AttrGetter(_) => "attrgetter",
            StdObj::Count { .. } => "count",
        }
        .into()
    }
    native_any!();
}

const MATCH_METHODS: &[&str] = &["group", "groups", "start", "end", "span"];
const PATTERN_METHODS: &[&str] = &["match", "fullmatch", "search", "sub", "findall", "split"];

impl StdObj {
    /// `m.name`: a method (bound), or `None`.
    pub fn attribute(o: &Obj, name: &str) -> Option<Obj> {
        let methods = match o.native::<StdObj>()? {
            StdObj::Match { .. } => MATCH_METHODS,
            StdObj::Pattern(_) => PATTERN_METHODS,
            _ => return None,
        };
        methods
            .contains(&name)
            .then(|| Obj::Method(Rc::new(o.clone()), name.into()))
    }

    /// `repr()`, as Python's.
    pub fn repr(&self) -> String {
        match self {
            StdObj::Match { text, spans } => {
                let (s, e) = spans[0].unwrap_or_default();
                format!(
                    "<re.Match object; span=({s}, {e}), match={}>",
                    crate::value::python_repr(&Value::Text(text[s..e].to_string()))
                )
            }
            StdObj::Pattern(re) => format!(
                "re.compile({})",
                crate::value::python_repr(&Value::Text(re.as_str().to_string()))
            ),
            StdObj::ItemGetter(keys) => format!("operator.itemgetter({} keys)", keys.len()),
            StdObj::AttrGetter(names) => format!(
                "operator.attrgetter({})",
                names
                    .iter()
                    .map(|n| format!("'{n}'"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            StdObj::Count { start, step: 1 } => format!("count({start})"),
            StdObj::Count { start, step } => format!("count({start}, {step})"),
        }
    }
}

impl<H: Host> Interp<H> {
    /// Call a method of a standard-library object.
    pub fn std_method(&mut self, o: &StdObj, name: &str, args: &Args) -> Result<Obj> {
        match o {
            StdObj::Pattern(re) => pattern_method(re, name, args),
            StdObj::Match { text, spans } => {
                let group = |i: &Obj| -> Result<Option<(usize, usize)>> {
                    match i {
                        Obj::Value(Value::Int(n)) if *n >= 0 && (*n as usize) < spans.len() => {
                            Ok(spans[*n as usize])
                        }
                        _ => Err(Diagnostic::new(ErrorKind::Index, "no such group").at(args.span)),
                    }
                };
                let text_of = |s: Option<(usize, usize)>| match s {
                    Some((a, b)) => Obj::str(&text[a..b]),
                    None => Obj::NONE,
                };
                let first = args.pos.first().map_or(Obj::int(0), |(o, _)| o.clone());
                match name {
                    "group" if args.pos.len() > 1 => Ok(Obj::tuple(
                        args.pos
                            .iter()
                            .map(|(i, _)| group(i).map(text_of))
                            .collect::<Result<_>>()?,
                    )),
                    "group" => group(&first).map(text_of),
                    "groups" => Ok(Obj::tuple(spans[1..].iter().map(|s| text_of(*s)).collect())),
                    "start" | "end" | "span" => {
                        let (a, b) = group(&first)?.map_or((-1, -1), |(a, b)| {
                            (char_index(text, a), char_index(text, b))
                        });
                        Ok(match name {
                            "start" => Obj::int(a),
                            "end" => Obj::int(b),
                            _ => Obj::tuple(vec![Obj::int(a), Obj::int(b)]),
                        })
                    }
                    _ => Err(self.no_attribute(&Obj::NONE, name, args.span)),
                }
            }
            _ => Err(self.no_attribute(&Obj::NONE, name, args.span)),
        }
    }

    /// Call `itemgetter(...)` / `attrgetter(...)`; `None` for other objects.
    pub fn std_call(&mut self, o: &StdObj, args: &Args) -> Option<Result<Obj>> {
        let span = args.span;
        let target = args.pos.first().map(|(o, _)| o.clone())?;
        Some(match o {
            StdObj::ItemGetter(keys) => {
                collect(keys.iter().map(|k| self.item(&target, k, span)).collect())
            }
            StdObj::AttrGetter(names) => collect(
                names
                    .iter()
                    .map(|n| {
                        n.split('.')
                            .try_fold(target.clone(), |o, part| self.attribute(o, part, span))
                    })
                    .collect(),
            ),
            _ => return None,
        })
    }
}

/// One result as itself, several as a tuple.
fn collect(mut out: Vec<Result<Obj>>) -> Result<Obj> {
    if out.len() == 1 {
        return out.pop().expect("one");
    }
    out.into_iter().collect::<Result<Vec<_>>>().map(Obj::tuple)
}

/// The character index of byte offset `b` (Python counts characters).
fn char_index(text: &str, b: usize) -> i64 {
    text[..b].chars().count() as i64
}

/// Where a standard-library object is not callable.
pub fn not_callable(o: &StdObj, span: Span) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Type,
        format!("'{}' object is not callable", o.type_name()),
    )
    .at(span)
}
