//! Python's builtins: the functions bound to a fixed name (`print`, `len`, `sorted`, ...), the
//! modules djq has, and `isinstance`.

use super::args::{Args, dummy};
use super::obj::{Builtin, Obj, Range};
use super::{Host, Interp};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::syntax::ast::{BinOp, CmpOp};
use crate::value::Value;
use std::io::Write;

impl<H: Host> Interp<H> {
    pub fn call_builtin(&mut self, b: Builtin, args: Args) -> Result<Obj> {
        let span = args.span;
        let one = |args: &Args| -> Result<Obj> {
            args.pos.first().map(|(o, _)| o.clone()).ok_or_else(|| {
                Diagnostic::new(ErrorKind::Type, "expected 1 argument, got 0").at(span)
            })
        };
        match b {
            Builtin::Print => {
                args.no_kwargs_except(&["sep", "end", "flush"], "print")?;
                let text_arg = |name: &str, default: &str| -> Result<String> {
                    match args.kwarg(name) {
                        None | Some(Obj::Value(Value::Null)) => Ok(default.into()),
                        Some(Obj::Value(Value::Text(s))) => Ok(s.clone()),
                        Some(other) => Err(Diagnostic::new(
                            ErrorKind::Type,
                            format!("{name} must be None or a string, not {}", other.type_name()),
                        )
                        .at(span)),
                    }
                };
                let (sep, end) = (text_arg("sep", " ")?, text_arg("end", "\n")?);
                let mut parts = Vec::new();
                for (o, _) in &args.pos {
                    parts.push(self.py_str(o)?);
                }
                self.write_out(&(parts.join(&sep) + &end))?;
                // print(..., flush=True) shows the text now, not when the statement ends.
                let flush = match args.kwarg("flush") {
                    Some(o) => self.truthy(o, &dummy(span))?,
                    None => false,
                };
                if flush {
                    self.out.flush().map_err(crate::render::io_error)?;
                }
                Ok(Obj::NONE)
            }
            Builtin::Len => {
                let o = one(&args)?;
                let n = match &o {
                    Obj::Value(Value::Text(s)) => s.chars().count(),
                    Obj::List(v) => v.borrow().len(),
                    Obj::Tuple(v) => v.len(),
                    Obj::Range(r) => usize::try_from(r.len()).unwrap_or(usize::MAX),
                    Obj::Row(v) => v.len(),
                    Obj::Dict(d) => d.borrow().len(),
                    Obj::Native(n)
                        if let Some(items) = n
                            .as_any()
                            .downcast_ref::<super::stdlib::objects::StdObj>()
                            .and_then(super::stdlib::objects::StdObj::items) =>
                    {
                        items.len()
                    }
                    Obj::Native(_) if let Some(n) = H::len(self, &o, span)? => n,
                    Obj::Object(_) if let Some(n) = self.class_len(&o, span)? => n,
                    other => {
                        return Err(Diagnostic::new(
                            ErrorKind::Type,
                            format!("object of type '{}' has no len()", other.type_name()),
                        )
                        .at(span));
                    }
                };
                Ok(Obj::int(n as i64))
            }
            Builtin::Str => Ok(Obj::str(match args.pos.first() {
                Some((o, _)) => self.py_str(o)?,
                None => String::new(),
            })),
            Builtin::Repr => {
                let o = one(&args)?;
                Ok(Obj::str(self.repr(&o)?))
            }
            Builtin::Int => match one(&args)? {
                Obj::Value(Value::Int(i)) => Ok(Obj::int(i)),
                Obj::Value(Value::Float(f)) => Ok(Obj::int(f.trunc() as i64)),
                Obj::Value(Value::Bool(b)) => Ok(Obj::int(b as i64)),
                Obj::Value(Value::Text(s)) => s.trim().parse::<i64>().map(Obj::int).map_err(|_| {
                    Diagnostic::new(
                        ErrorKind::Value,
                        format!("invalid literal for int() with base 10: '{s}'"),
                    )
                    .at(span)
                }),
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "int() argument must be a string or a number, not '{}'",
                        other.type_name()
                    ),
                )
                .at(span)),
            },
            Builtin::Float => match one(&args)? {
                Obj::Value(Value::Int(i)) => Ok(Obj::Value(Value::Float(i as f64))),
                Obj::Value(Value::Float(f)) => Ok(Obj::Value(Value::Float(f))),
                Obj::Value(Value::Text(s)) => s
                    .trim()
                    .parse::<f64>()
                    .map(|f| Obj::Value(Value::Float(f)))
                    .map_err(|_| {
                        Diagnostic::new(
                            ErrorKind::Value,
                            format!("could not convert string to float: '{s}'"),
                        )
                        .at(span)
                    }),
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "float() argument must be a string or a real number, not '{}'",
                        other.type_name()
                    ),
                )
                .at(span)),
            },
            Builtin::Bool => {
                let o = one(&args)?;
                Ok(Obj::bool(self.truthy(&o, &dummy(span))?))
            }
            Builtin::List | Builtin::Tuple => {
                let items = match args.pos.first() {
                    // A queryset nothing else holds (`list(Book.objects.all())`): no one can
                    // see its result cache, so its rows go straight into the list instead of
                    // into a cache of the same size as well.
                    Some((o @ Obj::Native(_), _))
                        if let Some(items) = H::take_items(self, o, span) =>
                    {
                        items?
                    }
                    Some((o, _)) => self.iter_obj(o, &dummy(span))?,
                    None => Vec::new(),
                };
                Ok(if b == Builtin::List {
                    Obj::list(items)
                } else {
                    Obj::tuple(items)
                })
            }
            Builtin::Range => {
                let ints: Vec<i64> = args
                    .pos
                    .iter()
                    .map(|(o, s)| match o {
                        Obj::Value(Value::Int(i)) => Ok(*i),
                        other => Err(Diagnostic::new(
                            ErrorKind::Type,
                            format!(
                                "'{}' object cannot be interpreted as an integer",
                                other.type_name()
                            ),
                        )
                        .at(*s)),
                    })
                    .collect::<Result<_>>()?;
                let (start, stop, step) = match ints.as_slice() {
                    [stop] => (0, *stop, 1),
                    [a, b] => (*a, *b, 1),
                    [_, _, 0] => {
                        return Err(Diagnostic::new(
                            ErrorKind::Value,
                            "range() arg 3 must not be zero",
                        )
                        .at(span));
                    }
                    [a, b, c] => (*a, *b, *c),
                    _ => {
                        return Err(Diagnostic::new(
                            ErrorKind::Type,
                            format!("range expected at most 3 arguments, got {}", ints.len()),
                        )
                        .at(span));
                    }
                };
                Ok(Obj::Range(Range { start, stop, step }))
            }
            Builtin::Sum => {
                let items = self.iter_obj(&one(&args)?, &dummy(span))?;
                let mut acc = Obj::int(0);
                for it in items {
                    acc = self.binary(BinOp::Add, acc, it, span)?;
                }
                Ok(acc)
            }
            Builtin::Min | Builtin::Max => {
                args.no_kwargs_except(
                    &["key", "default"],
                    if b == Builtin::Min { "min" } else { "max" },
                )?;
                let items = if args.pos.len() == 1 {
                    self.iter_obj(&args.pos[0].0, &dummy(span))?
                } else {
                    args.pos.iter().map(|(o, _)| o.clone()).collect()
                };
                let want = if b == Builtin::Min {
                    CmpOp::Lt
                } else {
                    CmpOp::Gt
                };
                let mut best: Option<(Obj, Obj)> = None;
                for (k, item) in self.sort_keys(items, args.kwarg("key"), span)? {
                    let better = match &best {
                        None => true,
                        Some((best_key, _)) => self.compare(want, &k, best_key, span)?,
                    };
                    if better {
                        best = Some((k, item));
                    }
                }
                match (best, args.kwarg("default")) {
                    (Some((_, item)), _) => Ok(item),
                    (None, Some(default)) => Ok(default.clone()),
                    (None, None) => Err(Diagnostic::new(
                        ErrorKind::Value,
                        format!(
                            "{}() iterable argument is empty",
                            if b == Builtin::Min { "min" } else { "max" }
                        ),
                    )
                    .at(span)),
                }
            }
            Builtin::Sorted => {
                args.no_kwargs_except(&["key", "reverse"], "sorted")?;
                let items = self.iter_obj(&one(&args)?, &dummy(span))?;
                let sorted = self.sorted(items, args.kwarg("key"), args.kwarg("reverse"), span)?;
                Ok(Obj::list(sorted))
            }
            Builtin::Reversed => {
                let mut items = self.iter_obj(&one(&args)?, &dummy(span))?;
                items.reverse();
                Ok(Obj::list(items))
            }
            Builtin::Any | Builtin::All => {
                let want = b == Builtin::Any;
                for item in self.iter_obj(&one(&args)?, &dummy(span))? {
                    if self.truthy(&item, &dummy(span))? == want {
                        return Ok(Obj::bool(want));
                    }
                }
                Ok(Obj::bool(!want))
            }
            Builtin::Enumerate => {
                let items = self.iter_obj(&one(&args)?, &dummy(span))?;
                let start = match args.kwarg("start").or(args.pos.get(1).map(|(o, _)| o)) {
                    None => 0,
                    Some(Obj::Value(Value::Int(i))) => *i,
                    Some(other) => {
                        return Err(Diagnostic::new(
                            ErrorKind::Type,
                            format!(
                                "'{}' object cannot be interpreted as an integer",
                                other.type_name()
                            ),
                        )
                        .at(span));
                    }
                };
                Ok(Obj::list(
                    items
                        .into_iter()
                        .zip(start..)
                        .map(|(o, i)| Obj::tuple(vec![Obj::int(i), o]))
                        .collect(),
                ))
            }
            Builtin::Zip => {
                let lists: Vec<Vec<Obj>> = args
                    .pos
                    .iter()
                    .map(|(o, _)| self.iter_obj(o, &dummy(span)))
                    .collect::<Result<_>>()?;
                let n = lists.iter().map(Vec::len).min().unwrap_or(0);
                Ok(Obj::list(
                    (0..n)
                        .map(|i| Obj::tuple(lists.iter().map(|l| l[i].clone()).collect()))
                        .collect(),
                ))
            }
            Builtin::Abs => match one(&args)? {
                Obj::Value(Value::Int(i)) => Ok(Obj::int(i.abs())),
                Obj::Value(Value::Float(f)) => Ok(Obj::Value(Value::Float(f.abs()))),
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("bad operand type for abs(): '{}'", other.type_name()),
                )
                .at(span)),
            },
            Builtin::Round => match (one(&args)?, args.pos.get(1).map(|(o, _)| o.clone())) {
                (Obj::Value(Value::Float(f)), None) => Ok(Obj::int(f.round_ties_even() as i64)),
                (Obj::Value(Value::Float(f)), Some(Obj::Value(Value::Int(n)))) => {
                    let m = 10f64.powi(n as i32);
                    Ok(Obj::Value(Value::Float((f * m).round_ties_even() / m)))
                }
                (Obj::Value(Value::Int(i)), _) => Ok(Obj::int(i)),
                (other, _) => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("type {} doesn't define __round__ method", other.type_name()),
                )
                .at(span)),
            },
            Builtin::Date | Builtin::DateTime => {
                let ints: Vec<i64> = args
                    .pos
                    .iter()
                    .filter_map(|(o, _)| match o {
                        Obj::Value(Value::Int(i)) => Some(*i),
                        _ => None,
                    })
                    .collect();
                let bad = || Diagnostic::new(ErrorKind::Value, "invalid date arguments").at(span);
                let (y, m, d) = match ints.as_slice() {
                    [y, m, d, ..] => (*y as i32, *m as u32, *d as u32),
                    _ => return Err(bad()),
                };
                let date = chrono::NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad)?;
                if b == Builtin::Date {
                    return Ok(Obj::Value(Value::Date(date)));
                }
                let g = |i: usize| ints.get(i).copied().unwrap_or(0) as u32;
                let dt = date
                    .and_hms_micro_opt(g(3), g(4), g(5), g(6))
                    .ok_or_else(bad)?;
                super::stdlib::datetime::with_tzinfo(dt, &args)
            }
            Builtin::Dict => {
                let mut pairs: Vec<(Obj, Obj)> = match args.pos.first() {
                    None => Vec::new(),
                    Some((Obj::Dict(d), _)) => d.borrow().clone(),
                    Some((o, _)) if let Some(d) = super::stdlib::objects::dict_of(o) => {
                        d.borrow().clone()
                    }
                    Some((o, s)) => {
                        let mut pairs = Vec::new();
                        for item in self.iter_obj(o, &dummy(*s))? {
                            match item.items().as_deref() {
                                Some([k, v]) => pairs.push((k.clone(), v.clone())),
                                _ => {
                                    return Err(Diagnostic::new(
                                        ErrorKind::Type,
                                        "cannot convert dictionary update sequence element to a sequence of length 2",
                                    )
                                    .at(*s));
                                }
                            }
                        }
                        pairs
                    }
                };
                for (k, v, _) in &args.kw {
                    pairs.push((Obj::str(k.clone()), v.clone()));
                }
                Ok(Obj::dict(
                    super::containers::dedup_keys(pairs).map_err(|d| d.at(args.span))?,
                ))
            }
            Builtin::Getattr => {
                let (obj, name) = match (args.pos.first(), args.pos.get(1)) {
                    (Some((o, _)), Some((Obj::Value(Value::Text(n)), _))) => (o.clone(), n.clone()),
                    _ => {
                        return Err(Diagnostic::new(
                            ErrorKind::Type,
                            "getattr() takes an object and an attribute name",
                        )
                        .at(span));
                    }
                };
                match (self.attribute(obj, &name, span), args.pos.get(2)) {
                    (Err(d), Some((default, _))) if d.kind == ErrorKind::Attribute => {
                        Ok(default.clone())
                    }
                    (res, _) => res,
                }
            }
            Builtin::Isinstance
                if let Some((Obj::Class(c), _)) = args.pos.get(1)
                    && let Some((o, _)) = args.pos.first() =>
            {
                let (o, c) = (o.clone(), c.clone());
                Ok(Obj::bool(self.class_isinstance(&o, &c)))
            }
            Builtin::Isinstance => match (args.pos.first(), args.pos.get(1)) {
                (Some((o, _)), Some((cls, _))) => Ok(Obj::bool(
                    is_instance(&self.host, o, cls).map_err(|d| d.at(span))?,
                )),
                _ => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("isinstance expected 2 arguments, got {}", args.pos.len()),
                )
                .at(span)),
            },
            Builtin::Type => match one(&args)? {
                Obj::Exception(e) => Ok(super::exceptions::type_of(&e)),
                Obj::Object(o) => Ok(Obj::Class(o.class.clone())),
                _ => Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    "type() of anything but an exception is not supported by djq yet",
                )
                .at(span)),
            },
            Builtin::NoOp => Ok(Obj::NONE),
            Builtin::Super
            | Builtin::Property
            | Builtin::ClassMethod
            | Builtin::StaticMethod
            | Builtin::Issubclass => self.call_class_builtin(b, args),
            Builtin::Std(f) => self.call_std(f, args),
        }
    }

    /// Each item with its sort key: `key(item)`, or the item itself without a key function.
    pub fn sort_keys(
        &mut self,
        items: Vec<Obj>,
        key: Option<&Obj>,
        span: Span,
    ) -> Result<Vec<(Obj, Obj)>> {
        items
            .into_iter()
            .map(|item| {
                let k = match key {
                    None | Some(Obj::Value(Value::Null)) => item.clone(),
                    Some(f) => self.call(
                        f.clone(),
                        Args {
                            pos: vec![(item.clone(), span)],
                            kw: Vec::new(),
                            span,
                        },
                    )?,
                };
                Ok((k, item))
            })
            .collect()
    }
}

/// `isinstance(o, cls)` for the host's classes, the builtin types and tuples of them.
fn is_instance<H: Host>(host: &H, o: &Obj, cls: &Obj) -> Result<bool> {
    Ok(match cls {
        Obj::Tuple(classes) => {
            for c in classes.iter() {
                if is_instance(host, o, c)? {
                    return Ok(true);
                }
            }
            false
        }
        Obj::Native(_) => host.is_instance(o, cls).ok_or_else(isinstance_arg)?,
        Obj::ExceptionClass(c) => matches!(o, Obj::Exception(e)
            if super::exceptions::is_subclass(&super::exceptions::class_of(&e.kind), c)),
        Obj::Builtin(b) => match (b, o) {
            (Builtin::Std(class), o) => super::stdlib::is_instance(class, o),
            (Builtin::Str, Obj::Value(Value::Text(_)))
            | (Builtin::Bool, Obj::Value(Value::Bool(_)))
            | (Builtin::Int, Obj::Value(Value::Int(_) | Value::Bool(_)))
            | (Builtin::Float, Obj::Value(Value::Float(_)))
            | (Builtin::List, Obj::List(_))
            | (Builtin::Tuple, Obj::Tuple(_))
            | (Builtin::Dict, Obj::Dict(_)) => true,
            (
                Builtin::Str
                | Builtin::Bool
                | Builtin::Int
                | Builtin::Float
                | Builtin::List
                | Builtin::Tuple
                | Builtin::Dict,
                _,
            ) => false,
            _ => return Err(isinstance_arg()),
        },
        _ => return Err(isinstance_arg()),
    })
}

fn isinstance_arg() -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Type,
        "isinstance() arg 2 must be a type, a tuple of types, or a union",
    )
}

/// Builtins bound to a fixed name; exception classes come from [`super::exceptions`].
const BUILTINS: &[(&str, Builtin)] = {
    use Builtin::*;
    &[
        ("print", Print),
        ("len", Len),
        ("str", Str),
        ("repr", Repr),
        ("int", Int),
        ("float", Float),
        ("bool", Bool),
        ("list", List),
        ("tuple", Tuple),
        ("dict", Dict),
        ("range", Range),
        ("sum", Sum),
        ("min", Min),
        ("max", Max),
        ("sorted", Sorted),
        ("reversed", Reversed),
        ("any", Any),
        ("all", All),
        ("enumerate", Enumerate),
        ("zip", Zip),
        ("isinstance", Isinstance),
        ("getattr", Getattr),
        ("type", Type),
        ("abs", Abs),
        ("round", Round),
        ("date", Date),
        ("datetime", DateTime),
        ("super", Super),
        ("property", Property),
        ("classmethod", ClassMethod),
        ("staticmethod", StaticMethod),
        ("issubclass", Issubclass),
    ]
};

/// Python's modules in scope by name.
const MODULES: &[&str] = &["os", "sys"];

/// The builtin bound to `n`, if any.
pub fn builtin(n: &str) -> Option<Obj> {
    if let Some((_, b)) = BUILTINS.iter().find(|(name, _)| *name == n) {
        return Some(Obj::Builtin(*b));
    }
    if MODULES.contains(&n) {
        return Some(Obj::Module(n.to_string()));
    }
    super::exceptions::is_class(n).then(|| Obj::ExceptionClass(n.to_string()))
}

/// The names [`builtin`] resolves, for completion.
pub fn builtin_names() -> Vec<String> {
    let mut names: Vec<String> = BUILTINS.iter().map(|(n, _)| n.to_string()).collect();
    names.extend(MODULES.iter().map(|m| m.to_string()));
    names.extend(super::exceptions::class_names().map(str::to_string));
    names
}
