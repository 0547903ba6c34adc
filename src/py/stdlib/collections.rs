//! `collections`: `Counter`, `defaultdict`, `OrderedDict` (dicts with a behaviour of their
//! own: a missing key counts 0, is made by the factory, ...) and `namedtuple` classes and
//! their tuples. The dicts hold an ordinary dict, which their dict methods work on.

use super::bad_args;
use super::objects::{DictKind, StdObj, TupleClass, sort_by_count};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::args::dummy;
use crate::py::obj::Builtin;
use crate::py::{Args, Host, Interp, Obj};
use crate::syntax::ast::{Expr, ExprKind};
use crate::value::Value;
use std::rc::Rc;

pub const FUNCTIONS: &[&str] = &[
    "collections.Counter",
    "collections.defaultdict",
    "collections.OrderedDict",
    "collections.namedtuple",
];

fn dict_obj(kind: DictKind, pairs: Vec<(Obj, Obj)>) -> Obj {
    let Obj::Dict(dict) = Obj::dict(pairs) else {
        unreachable!("a dict")
    };
    Obj::new_native(StdObj::Dict { kind, dict })
}

impl<H: Host> Interp<H> {
    pub(super) fn call_collections(&mut self, name: &str, args: &Args) -> Result<Obj> {
        let span = args.span;
        let first = args.pos.first().map(|(o, _)| o.clone());
        match name {
            "collections.Counter" => {
                let mut pairs: Vec<(Obj, Obj)> = Vec::new();
                match &first {
                    Some(Obj::Dict(d)) => pairs = d.borrow().clone(),
                    Some(o) => {
                        for item in self.iter_obj(o, &dummy(span))? {
                            match crate::py::nested::position(pairs.iter().map(|(k, _)| k), &item)?
                            {
                                Some(i) => {
                                    let n = match &pairs[i].1 {
                                        Obj::Value(Value::Int(n)) => *n,
                                        _ => 0,
                                    };
                                    pairs[i].1 = Obj::int(n + 1);
                                }
                                None => pairs.push((item, Obj::int(1))),
                            }
                        }
                    }
                    None => {}
                }
                for (k, v, _) in &args.kw {
                    pairs.push((Obj::str(k.clone()), v.clone()));
                }
                Ok(dict_obj(DictKind::Counter, pairs))
            }
            "collections.defaultdict" => {
                let factory = first.unwrap_or(Obj::NONE);
                let pairs = match args.pos.get(1) {
                    Some((Obj::Dict(d), _)) => d.borrow().clone(),
                    _ => Vec::new(),
                };
                Ok(dict_obj(DictKind::DefaultDict(factory), pairs))
            }
            "collections.OrderedDict" => {
                let plain = self.call(Obj::Builtin(Builtin::Dict), args.clone())?;
                let Obj::Dict(d) = plain else {
                    unreachable!("dict() makes a dict")
                };
                let pairs = d.borrow().clone();
                Ok(dict_obj(DictKind::OrderedDict, pairs))
            }
            "collections.namedtuple" => {
                let Some((Obj::Value(Value::Text(class)), _)) = args.pos.first() else {
                    return Err(bad_args(name, args));
                };
                let spec = args.pos.get(1).cloned().or_else(|| {
                    args.kw
                        .iter()
                        .find(|(k, _, _)| k == "field_names")
                        .map(|(_, v, s)| (v.clone(), *s))
                });
                let fields: Vec<String> = match spec {
                    Some((Obj::Value(Value::Text(s)), _)) => s
                        .replace(',', " ")
                        .split_whitespace()
                        .map(str::to_string)
                        .collect(),
                    Some((o, s)) => self
                        .iter_obj(&o, &dummy(s))?
                        .into_iter()
                        .map(|f| self.py_str(&f))
                        .collect::<Result<_>>()?,
                    None => return Err(bad_args(name, args)),
                };
                Ok(Obj::new_native(StdObj::TupleClass(Rc::new(TupleClass {
                    name: class.clone(),
                    fields,
                }))))
            }
            _ => Err(bad_args(name, args)),
        }
    }

    /// Make a namedtuple of `class` from call arguments.
    pub(super) fn new_named_tuple(&mut self, class: &Rc<TupleClass>, args: &Args) -> Result<Obj> {
        let mut values: Vec<Option<Obj>> = vec![None; class.fields.len()];
        for (i, (o, _)) in args.pos.iter().enumerate() {
            let slot = values.get_mut(i).ok_or_else(|| {
                Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "{}() takes {} positional arguments but {} were given",
                        class.name,
                        class.fields.len() + 1,
                        args.pos.len() + 1
                    ),
                )
                .at(args.span)
            })?;
            *slot = Some(o.clone());
        }
        for (k, v, span) in &args.kw {
            let i = class.fields.iter().position(|f| f == k).ok_or_else(|| {
                Diagnostic::new(
                    ErrorKind::Type,
                    format!("{}() got an unexpected keyword argument '{k}'", class.name),
                )
                .at(*span)
            })?;
            values[i] = Some(v.clone());
        }
        let values = values
            .into_iter()
            .zip(&class.fields)
            .map(|(v, f)| {
                v.ok_or_else(|| {
                    Diagnostic::new(
                        ErrorKind::Type,
                        format!(
                            "{}() missing 1 required positional argument: '{f}'",
                            class.name
                        ),
                    )
                    .at(args.span)
                })
            })
            .collect::<Result<_>>()?;
        Ok(Obj::new_native(StdObj::Tuple {
            class: class.clone(),
            values,
        }))
    }

    /// `d[key]` of a `collections` dict or namedtuple; `None` for other objects.
    pub fn std_subscript(&mut self, obj: &Obj, index: &Expr) -> Option<Result<Obj>> {
        let o = obj.native::<StdObj>()?;
        if matches!(index.kind, ExprKind::Slice { .. }) {
            return None;
        }
        Some((|| {
            let key = self.eval(index)?;
            match o {
                StdObj::Dict { kind, dict } => {
                    let found =
                        crate::py::nested::position(dict.borrow().iter().map(|(k, _)| k), &key)?;
                    if let Some(i) = found {
                        return Ok(dict.borrow()[i].1.clone());
                    }
                    match kind {
                        DictKind::Counter => Ok(Obj::int(0)),
                        DictKind::DefaultDict(f) if !f.is_none() => {
                            let v = self.call(
                                f.clone(),
                                Args {
                                    pos: Vec::new(),
                                    kw: Vec::new(),
                                    span: index.span,
                                },
                            )?;
                            dict.borrow_mut().push((key, v.clone()));
                            Ok(v)
                        }
                        _ => self.item(&Obj::Dict(dict.clone()), &key, index.span),
                    }
                }
                StdObj::Tuple { values, .. } => {
                    self.item(&Obj::tuple(values.clone()), &key, index.span)
                }
                StdObj::Environ(set) => {
                    super::objects::environ_item(set, &key).map_err(|d| d.at(index.span))
                }
                _ => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("'{}' object is not subscriptable", obj.type_name()),
                )
                .at(index.span)),
            }
        })())
    }

    /// `repr()` of a `collections` dict or namedtuple.
    pub(super) fn collections_repr(&mut self, o: &StdObj) -> Result<String> {
        let items = |cx: &mut Self, pairs: &[(Obj, Obj)]| -> Result<String> {
            let mut parts = Vec::new();
            for (k, v) in pairs {
                parts.push(format!("{}: {}", cx.repr(k)?, cx.repr(v)?));
            }
            Ok(parts.join(", "))
        };
        Ok(match o {
            StdObj::Dict { kind, dict } => {
                let mut pairs = dict.borrow().clone();
                match kind {
                    DictKind::Counter => {
                        sort_by_count(&mut pairs);
                        match pairs.is_empty() {
                            true => "Counter()".into(),
                            false => format!("Counter({{{}}})", items(self, &pairs)?),
                        }
                    }
                    DictKind::OrderedDict if pairs.is_empty() => "OrderedDict()".into(),
                    DictKind::OrderedDict => format!("OrderedDict({{{}}})", items(self, &pairs)?),
                    DictKind::DefaultDict(f) => {
                        let factory = match f {
                            Obj::Builtin(b) => format!("<class '{}'>", builtin_class(*b)),
                            Obj::Value(Value::Null) => "None".into(),
                            other => self.repr(other)?,
                        };
                        format!("defaultdict({factory}, {{{}}})", items(self, &pairs)?)
                    }
                }
            }
            StdObj::Tuple { class, values } => {
                let mut parts = Vec::new();
                for (f, v) in class.fields.iter().zip(values) {
                    parts.push(format!("{f}={}", self.repr(v)?));
                }
                format!("{}({})", class.name, parts.join(", "))
            }
            StdObj::TupleClass(class) => format!("<class '__main__.{}'>", class.name),
            _ => unreachable!("not a collections object"),
        })
    }
}

/// Python's name of a builtin class (`defaultdict(list)`).
fn builtin_class(b: Builtin) -> &'static str {
    match b {
        Builtin::List => "list",
        Builtin::Dict => "dict",
        Builtin::Int => "int",
        Builtin::Str => "str",
        Builtin::Float => "float",
        Builtin::Tuple => "tuple",
        Builtin::Bool => "bool",
        _ => "object",
    }
}
