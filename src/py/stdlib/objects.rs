//! The objects standard-library functions make that are not plain values: a regex match or
//! pattern, `operator.itemgetter`/`attrgetter`, an endless `itertools.count()`. Each is a
//! [`Native`] the interpreter handles itself (the host is never asked about them).

use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::native_any;
use crate::py::obj::DictRef;
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
    /// `Counter`, `defaultdict`, `OrderedDict`
    Dict {
        kind: DictKind,
        dict: DictRef,
    },
    /// `datetime.timezone.utc`, the zone of the runtime's aware datetimes.
    Utc,
    /// `sys.stdout` (`false`) or `sys.stderr` (`true`).
    Stream(bool),
    /// A `namedtuple(...)` class and one of its tuples.
    TupleClass(Rc<TupleClass>),
    Tuple {
        class: Rc<TupleClass>,
        values: Vec<Obj>,
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
            StdObj::Dict {
                kind: DictKind::Counter,
                ..
            } => "Counter",
            StdObj::Dict {
                kind: DictKind::DefaultDict(_),
                ..
            } => "defaultdict",
            StdObj::Dict {
                kind: DictKind::OrderedDict,
                ..
            } => "OrderedDict",
            StdObj::TupleClass(_) => "type",
            StdObj::Utc => "timezone",
            StdObj::Stream(_) => "TextIOWrapper",
            StdObj::Tuple { class, .. } => return class.name.clone().into(),
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
            StdObj::Dict {
                kind: DictKind::Counter,
                ..
            } if name == "most_common" => &["most_common"],
            // The dict's own methods work on the dict it holds.
            StdObj::Dict { dict, .. } => {
                return crate::py::containers::DICT_METHODS
                    .contains(&name)
                    .then(|| Obj::Method(Rc::new(Obj::Dict(dict.clone())), name.into()));
            }
            StdObj::Tuple { class, values } => {
                if let Some(i) = class.fields.iter().position(|f| f == name) {
                    return Some(values[i].clone());
                }
                &["_asdict"]
            }
            StdObj::Stream(_) => &["write", "flush"],
            StdObj::TupleClass(class) if name == "_fields" => {
                return Some(Obj::tuple(class.fields.iter().map(Obj::str).collect()));
            }
            _ => return None,
        };
        methods
            .contains(&name)
            .then(|| Obj::Method(Rc::new(o.clone()), name.into()))
    }

    /// The items iterating over it gives (a dict's keys, a tuple's values); `None`: none.
    pub fn items(&self) -> Option<Vec<Obj>> {
        match self {
            StdObj::Dict { dict, .. } => {
                Some(dict.borrow().iter().map(|(k, _)| k.clone()).collect())
            }
            StdObj::Tuple { values, .. } => Some(values.clone()),
            _ => None,
        }
    }

    /// `repr()` of the objects that need no interpreter to show.
    fn plain_repr(&self) -> String {
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
            StdObj::Utc => "datetime.timezone.utc".into(),
            StdObj::Stream(err) => format!(
                "<_io.TextIOWrapper name='<{}>' mode='w' encoding='utf-8'>",
                if *err { "stderr" } else { "stdout" }
            ),
            _ => unreachable!("shown by collections_repr"),
        }
    }
}

impl<H: Host> Interp<H> {
    /// `repr()` (and `str()`) of a standard-library object, as Python's.
    pub fn std_repr(&mut self, o: &StdObj) -> Result<String> {
        match o {
            StdObj::Dict { .. } | StdObj::Tuple { .. } | StdObj::TupleClass(_) => {
                self.collections_repr(o)
            }
            _ => Ok(o.plain_repr()),
        }
    }

    /// `str()` of a standard-library object (`repr()` but for `timezone.utc`).
    pub fn std_str(&mut self, o: &StdObj) -> Result<String> {
        match o {
            StdObj::Utc => Ok("UTC".into()),
            _ => self.std_repr(o),
        }
    }

    /// Call a method of a standard-library object.
    pub fn std_method(&mut self, o: &StdObj, name: &str, args: &Args) -> Result<Obj> {
        match o {
            StdObj::Pattern(re) => self.pattern_method(re, name, args),
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
                    _ => Err(no_attribute(o, name, args.span)),
                }
            }
            StdObj::Dict { dict, .. } => {
                let mut pairs = dict.borrow().clone();
                sort_by_count(&mut pairs);
                if let Some((Obj::Value(Value::Int(n)), _)) = args.pos.first() {
                    pairs.truncate((*n).max(0) as usize);
                }
                Ok(Obj::list(
                    pairs
                        .into_iter()
                        .map(|(k, v)| Obj::tuple(vec![k, v]))
                        .collect(),
                ))
            }
            StdObj::Stream(err) => {
                if name == "write" {
                    let text = match args.pos.first() {
                        Some((Obj::Value(Value::Text(t)), _)) => t.clone(),
                        _ => return Err(super::bad_args("write", args)),
                    };
                    if *err {
                        eprint!("{text}");
                    } else {
                        self.write_out(&text)?;
                    }
                    return Ok(Obj::int(text.chars().count() as i64));
                }
                Ok(Obj::NONE)
            }
            StdObj::Tuple { class, values } => Ok(Obj::dict(
                class
                    .fields
                    .iter()
                    .map(Obj::str)
                    .zip(values.iter().cloned())
                    .collect(),
            )),
            _ => Err(no_attribute(o, name, args.span)),
        }
    }

    /// Call `itemgetter(...)` / `attrgetter(...)`; `None` for other objects.
    pub fn std_call(&mut self, o: &StdObj, args: &Args) -> Option<Result<Obj>> {
        let span = args.span;
        if let StdObj::TupleClass(class) = o {
            return Some(self.new_named_tuple(class, args));
        }
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

/// The AttributeError of `o.name`.
fn no_attribute(o: &StdObj, name: &str, span: Span) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Attribute,
        format!("'{}' object has no attribute '{name}'", o.type_name()),
    )
    .at(span)
}

/// Where a standard-library object is not callable.
pub fn not_callable(o: &StdObj, span: Span) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Type,
        format!("'{}' object is not callable", o.type_name()),
    )
    .at(span)
}

/// What a dict of `collections` does beyond a dict.
#[derive(Debug, Clone)]
pub enum DictKind {
    Counter,
    /// The factory that makes a missing key's value.
    DefaultDict(Obj),
    OrderedDict,
}

/// A namedtuple class: its name and fields.
#[derive(Debug)]
pub struct TupleClass {
    pub name: String,
    pub fields: Vec<String>,
}

/// Counts largest first, ties in insertion order (`Counter.most_common()`).
pub fn sort_by_count(pairs: &mut [(Obj, Obj)]) {
    let count = |o: &Obj| match o {
        Obj::Value(v) => v.as_number().unwrap_or(0.0),
        _ => 0.0,
    };
    pairs.sort_by(|a, b| count(&b.1).total_cmp(&count(&a.1)));
}

/// The dict a `collections` dict holds.
pub fn dict_of(o: &Obj) -> Option<DictRef> {
    match o.native::<StdObj>()? {
        StdObj::Dict { dict, .. } => Some(dict.clone()),
        _ => None,
    }
}
