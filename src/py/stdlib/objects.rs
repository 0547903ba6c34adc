//! The objects standard-library functions make that are not plain values: a regex match or
//! pattern, `operator.itemgetter`/`attrgetter`, an endless `itertools.count()`, a
//! `pathlib.Path`, `os.environ`. Each is a
//! [`Native`] the interpreter handles itself (the host is never asked about them).

use super::fspath::{expanduser, realpath, text};
use super::{arg, bad_args};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::native_any;
use crate::py::obj::DictRef;
use crate::py::{Args, Host, Interp, Native, Obj};
use crate::syntax::ast::BinOp;
use crate::value::Value;
use std::borrow::Cow;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
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
    /// `datetime.timezone(timedelta(seconds=offset))`; `Zone(0)` is `timezone.utc`.
    Zone(i32),
    /// `sys.stdout` (`false`) or `sys.stderr` (`true`).
    Stream(bool),
    /// A `namedtuple(...)` class and one of its tuples.
    TupleClass(Rc<TupleClass>),
    Tuple {
        class: Rc<TupleClass>,
        values: Vec<Obj>,
    },
    /// A `pathlib.Path`.
    Path(std::path::PathBuf),
    /// `os.environ`: the process's environment under what the program set.
    Environ(std::cell::RefCell<indexmap::IndexMap<String, String>>),
}

impl Native for StdObj {
    /// Two `timezone`s are equal at the same offset.
    fn equals(&self, other: &dyn Native) -> bool {
        matches!(
            (self, other.as_any().downcast_ref::<StdObj>()),
            (StdObj::Zone(a), Some(StdObj::Zone(b))) if a == b
        ) || matches!(
            (self, other.as_any().downcast_ref::<StdObj>()),
            (StdObj::Path(a), Some(StdObj::Path(b))) if a == b
        )
    }
    fn hash(&self) -> std::result::Result<Option<i64>, String> {
        Ok(match self {
            StdObj::Zone(offset) => Some(i64::from(*offset)),
            StdObj::Path(p) => Some(crate::py::hash::text_hash(&p.to_string_lossy())),
            _ => None,
        })
    }
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
            StdObj::Zone(_) => "timezone",
            StdObj::Stream(_) => "TextIOWrapper",
            StdObj::Path(_) => "PosixPath",
            StdObj::Environ(_) => "_Environ",
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
            StdObj::Path(p) => {
                return path_attribute(p, name).or_else(|| {
                    PATH_METHODS
                        .contains(&name)
                        .then(|| Obj::Method(Rc::new(o.clone()), name.into()))
                });
            }
            StdObj::Environ(_) => ENVIRON_METHODS,
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
            StdObj::Environ(set) => Some(
                environ_all(set)
                    .into_iter()
                    .map(|(k, _)| Obj::str(k))
                    .collect(),
            ),
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
            StdObj::Zone(offset) => zone_repr(*offset),
            StdObj::Stream(err) => format!(
                "<_io.TextIOWrapper name='<{}>' mode='w' encoding='utf-8'>",
                if *err { "stderr" } else { "stdout" }
            ),
            StdObj::Path(p) => path_repr(p),
            StdObj::Environ(_) => "environ({...})".into(),
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
            StdObj::Zone(0) => Ok("UTC".into()),
            StdObj::Zone(offset) => Ok(format!("UTC{}", offset_text(*offset))),
            StdObj::Path(p) => Ok(text(p)),
            _ => self.std_repr(o),
        }
    }

    /// Call a method of a standard-library object.
    pub fn std_method(&mut self, o: &StdObj, name: &str, args: &Args) -> Result<Obj> {
        match o {
            StdObj::Pattern(re) => self.pattern_method(re, name, args),
            StdObj::Path(p) => path_method(p, name, args),
            StdObj::Environ(set) => self.environ_method(set, name, args),
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

/// An offset as Python shows it after `UTC` or a datetime: `+02:00`, `-02:30`, `+05:00:07`.
pub fn offset_text(offset: i32) -> String {
    chrono::FixedOffset::east_opt(offset).map_or_else(String::new, |o| o.to_string())
}

/// Python's `repr()` of a `timezone`: `datetime.timezone.utc`, or
/// `datetime.timezone(datetime.timedelta(seconds=7200))`.
pub fn zone_repr(offset: i32) -> String {
    match offset {
        0 => "datetime.timezone.utc".into(),
        _ => format!(
            "datetime.timezone({})",
            crate::value::python_timedelta_repr(i64::from(offset) * 1_000_000)
        ),
    }
}

// Paths (`pathlib.Path`) and the environment (`os.environ`).

/// `os.environ`'s methods.
pub const ENVIRON_METHODS: &[&str] = &["get", "setdefault", "keys", "items", "values", "copy"];

/// Whether `f` is `os.environ.setdefault`: boilerplate (`os.environ.setdefault(
/// "DJANGO_SETTINGS_MODULE", ...)`) the shell does not echo.
pub fn is_boilerplate(f: &Obj) -> bool {
    matches!(f, Obj::Method(recv, name) if name == "setdefault"
        && matches!(recv.native::<StdObj>(), Some(StdObj::Environ(_))))
}

/// The environment: the process's, under what the program set (`os.environ.setdefault`).
pub fn environ_get(set: &RefCell<indexmap::IndexMap<String, String>>, key: &str) -> Option<String> {
    set.borrow()
        .get(key)
        .cloned()
        .or_else(|| std::env::var(key).ok())
}

/// Every variable of the environment, by name.
pub fn environ_all(set: &RefCell<indexmap::IndexMap<String, String>>) -> Vec<(String, String)> {
    let mut all: indexmap::IndexMap<String, String> = std::env::vars().collect();
    all.extend(set.borrow().iter().map(|(k, v)| (k.clone(), v.clone())));
    all.into_iter().collect()
}

/// A path argument: a str or a `pathlib.Path` (as `os.fspath` takes them).
pub fn path_arg(o: &Obj) -> Option<PathBuf> {
    match o {
        Obj::Value(Value::Text(s)) => Some(PathBuf::from(s)),
        _ => match o.native::<StdObj>()? {
            StdObj::Path(p) => Some(p.clone()),
            _ => None,
        },
    }
}

/// `os.environ[key]`: the value, or Python's KeyError.
pub fn environ_item(set: &RefCell<indexmap::IndexMap<String, String>>, key: &Obj) -> Result<Obj> {
    let found = match key {
        Obj::Value(Value::Text(k)) => environ_get(set, k),
        _ => None,
    };
    found.map(Obj::str).ok_or_else(|| {
        let shown = match key {
            Obj::Value(v) => crate::value::python_repr(v),
            _ => "?".into(),
        };
        Diagnostic::new(ErrorKind::Key, shown)
    })
}
/// A path object, its text kept as `PurePath` normalizes it.
pub fn path(p: &Path) -> Obj {
    let p = if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p.components().collect()
    };
    Obj::new_native(StdObj::Path(p))
}

/// `Path`'s methods.
pub const PATH_METHODS: &[&str] = &[
    "resolve",
    "absolute",
    "joinpath",
    "exists",
    "is_file",
    "is_dir",
    "is_absolute",
    "with_name",
    "with_suffix",
    "expanduser",
    "as_posix",
    "read_text",
];

/// `p.name` of a path's properties (`parent`, `parents`, `name`, `stem`, `suffix`, `parts`).
fn path_attribute(p: &Path, name: &str) -> Option<Obj> {
    let file_name = || p.file_name().map(|n| n.to_string_lossy().into_owned());
    Some(match name {
        "parent" => path(parent(p)),
        "parents" => {
            let mut all = Vec::new();
            let mut at = p;
            while parent(at) != at {
                at = parent(at);
                all.push(path(at));
                if at == Path::new(".") {
                    all.pop();
                    break;
                }
            }
            Obj::tuple(all)
        }
        "name" => Obj::str(file_name().unwrap_or_default()),
        "stem" => Obj::str(
            p.file_stem()
                .map_or(String::new(), |s| s.to_string_lossy().into_owned()),
        ),
        "suffix" => Obj::str(
            p.extension()
                .map_or(String::new(), |e| format!(".{}", e.to_string_lossy())),
        ),
        "parts" => Obj::tuple(
            p.components()
                .map(|c| Obj::str(c.as_os_str().to_string_lossy()))
                .collect(),
        ),
        _ => return None,
    })
}

/// The logical parent (`Path("/")`'s and `Path(".")`'s are themselves).
fn parent(p: &Path) -> &Path {
    match p.parent() {
        Some(q) if q.as_os_str().is_empty() => Path::new("."),
        Some(q) => q,
        None => p,
    }
}

/// Call method `name` of path `p`.
fn path_method(p: &Path, name: &str, args: &Args) -> Result<Obj> {
    let bad = || bad_args(name, args);
    Ok(match name {
        "resolve" => path(&realpath(p)),
        "absolute" => path(&std::env::current_dir().unwrap_or_default().join(p)),
        "joinpath" => {
            let mut out = p.to_path_buf();
            for (o, _) in &args.pos {
                out.push(path_arg(o).ok_or_else(bad)?);
            }
            path(&out)
        }
        "exists" => Obj::bool(p.exists()),
        "is_file" => Obj::bool(p.is_file()),
        "is_dir" => Obj::bool(p.is_dir()),
        "is_absolute" => Obj::bool(p.is_absolute()),
        "with_name" | "with_suffix" => {
            let Some((Obj::Value(Value::Text(s)), _)) = args.pos.first() else {
                return Err(bad());
            };
            if name == "with_name" {
                path(&p.with_file_name(s))
            } else {
                path(&p.with_extension(s.trim_start_matches('.')))
            }
        }
        "expanduser" => path(Path::new(&expanduser(&text(p)))),
        "as_posix" => Obj::str(text(p)),
        "read_text" => Obj::str(std::fs::read_to_string(p).map_err(|e| {
            crate::diag::Diagnostic::new(
                crate::diag::ErrorKind::Python("FileNotFoundError".into()),
                format!("{e}: '{}'", text(p)),
            )
            .at(args.span)
        })?),
        _ => return Err(bad()),
    })
}

/// `path / part` and `part / path`; `None` when neither side is a path or the operator is
/// not `/`.
pub fn path_binary(op: BinOp, l: &Obj, r: &Obj) -> Option<Obj> {
    if op != BinOp::Div {
        return None;
    }
    let is_path = |o: &Obj| matches!(o.native::<StdObj>(), Some(StdObj::Path(_)));
    if !is_path(l) && !is_path(r) {
        return None;
    }
    let (a, b) = (path_arg(l)?, path_arg(r)?);
    Some(path(&a.join(b)))
}

/// `repr()` of a path.
fn path_repr(p: &Path) -> String {
    format!(
        "PosixPath({})",
        crate::value::python_repr(&Value::Text(text(p)))
    )
}

impl<H: Host> Interp<H> {
    /// A method of `os.environ`.
    fn environ_method(
        &mut self,
        set: &RefCell<indexmap::IndexMap<String, String>>,
        name: &str,
        args: &Args,
    ) -> Result<Obj> {
        match name {
            "get" => {
                let key = super::str_arg(args, 0, "get")?;
                let default = arg(args, 1, "default").cloned().unwrap_or(Obj::NONE);
                Ok(environ_get(set, key).map_or(default, Obj::str))
            }
            "setdefault" => {
                let key = super::str_arg(args, 0, "setdefault")?;
                if let Some(v) = environ_get(set, key) {
                    return Ok(Obj::str(v));
                }
                let value = super::str_arg(args, 1, "setdefault")?.to_string();
                set.borrow_mut().insert(key.to_string(), value.clone());
                Ok(Obj::str(value))
            }
            "keys" => Ok(Obj::list(
                environ_all(set)
                    .into_iter()
                    .map(|(k, _)| Obj::str(k))
                    .collect(),
            )),
            "values" => Ok(Obj::list(
                environ_all(set)
                    .into_iter()
                    .map(|(_, v)| Obj::str(v))
                    .collect(),
            )),
            "items" | "copy" => {
                let pairs = environ_all(set)
                    .into_iter()
                    .map(|(k, v)| (Obj::str(k), Obj::str(v)));
                Ok(if name == "copy" {
                    Obj::dict(pairs.collect())
                } else {
                    Obj::list(pairs.map(|(k, v)| Obj::tuple(vec![k, v])).collect())
                })
            }
            _ => Err(bad_args(name, args)),
        }
    }
}
