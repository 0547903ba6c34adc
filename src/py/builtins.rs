//! Python's builtins: the functions and classes bound to a fixed name (`print`, `len`,
//! `sorted`, `int`, `set`, ...), the modules djq has, and `isinstance`; those on numbers and
//! iterables are [`super::numbers`]'s, those looking at objects [`super::introspect`]'s.

use super::args::{Args, dummy};
use super::obj::{Builtin, Obj, Range};
use super::{Host, Interp};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::syntax::ast::CmpOp;
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
                args.no_kwargs_except(&["sep", "end", "file", "flush"], "print")?;
                let to_stderr = match args.kwarg("file") {
                    None | Some(Obj::Value(Value::Null)) => false,
                    Some(o)
                        if let Some(super::stdlib::objects::StdObj::Stream(to_stderr)) =
                            o.native::<super::stdlib::objects::StdObj>() =>
                    {
                        *to_stderr
                    }
                    Some(other) => {
                        return Err(self.no_attribute(other, "write", span));
                    }
                };
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
                let text = parts.join(&sep) + &end;
                if to_stderr {
                    // What was printed before comes first.
                    self.flush()?;
                    let mut err = std::io::stderr();
                    err.write_all(text.as_bytes())
                        .and_then(|()| err.flush())
                        .map_err(crate::render::io_error)?;
                    return Ok(Obj::NONE);
                }
                self.write_out(&text)?;
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
                    Obj::Set(s) => s.len(),
                    Obj::Native(_) if let Some(n) = H::len(self, &o, span)? => n,
                    Obj::Object(_) if let Some(n) = self.class_len(&o, span)? => n,
                    Obj::Object(inst) if let Some(Value::Text(s)) = &inst.value => {
                        s.chars().count()
                    }
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
            Builtin::Min | Builtin::Max => {
                args.no_kwargs_except(
                    &["key", "default"],
                    if b == Builtin::Min { "min" } else { "max" },
                )?;
                if args.pos.is_empty() {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!(
                            "{} expected at least 1 argument, got 0",
                            if b == Builtin::Min { "min" } else { "max" }
                        ),
                    )
                    .at(span));
                }
                if args.pos.len() > 1 && args.kwarg("default").is_some() {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!(
                            "Cannot specify a default for {}() with multiple positional arguments",
                            if b == Builtin::Min { "min" } else { "max" }
                        ),
                    )
                    .at(span));
                }
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
                let o = one(&args)?;
                if let Obj::Set(_) = o {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!("'{}' object is not reversible", o.type_name()),
                    )
                    .at(span));
                }
                let mut items = self.iter_obj(&o, &dummy(span))?;
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
                    (Err(d), Some((default, _))) if d.kind.is_attribute_error() => {
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
            Builtin::Type => match args.pos.as_slice() {
                [(o, _)] => Ok(self.py_type(o)),
                _ => Err(Diagnostic::new(ErrorKind::Type, "type() takes 1 argument").at(span)),
            },
            Builtin::NoOp => Ok(Obj::NONE),
            Builtin::Super
            | Builtin::Property
            | Builtin::ClassMethod
            | Builtin::StaticMethod
            | Builtin::Issubclass => self.call_class_builtin(b, args),
            Builtin::Std(f) => self.call_std(f, args),
            Builtin::Int
            | Builtin::Sum
            | Builtin::Zip
            | Builtin::Abs
            | Builtin::Round
            | Builtin::Divmod
            | Builtin::Pow
            | Builtin::Bin
            | Builtin::Hex
            | Builtin::Oct
            | Builtin::Chr
            | Builtin::Ord
            | Builtin::Map
            | Builtin::Filter => self.call_numbers(b, builtin_name(b), args),
            Builtin::Dir
            | Builtin::Vars
            | Builtin::Hasattr
            | Builtin::Setattr
            | Builtin::Id
            | Builtin::Hash
            | Builtin::Callable
            | Builtin::Help => self.call_introspect(b, args),
            Builtin::Set | Builtin::FrozenSet => self.make_set(b == Builtin::FrozenSet, &args),
            Builtin::Exit => Err(super::exit::system_exit(self, &args)?),
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
        // A class known by its name (`type(None)`, `type(qs)`).
        Obj::Type(path) => {
            let name = path.rsplit('.').next().unwrap_or(path);
            match o {
                Obj::Native(n) => host.type_name(&**n) == name,
                other => other.type_name() == name,
            }
        }
        Obj::ExceptionClass(c) => matches!(o, Obj::Exception(e)
            if super::exceptions::is_subclass(&super::exceptions::class_of(&e.kind), c)),
        // An instance of `class Cash(Decimal)` is a Decimal.
        Obj::Builtin(_)
            if let Obj::Object(inst) = o
                && let Some(v) = &inst.value =>
        {
            is_instance(host, &Obj::Value(v.clone()), cls)?
        }
        Obj::Builtin(b) => match (b, o) {
            (Builtin::Std(class), o) => super::stdlib::is_instance(class, o),
            (Builtin::Str, Obj::Value(Value::Text(_)))
            | (Builtin::Bool, Obj::Value(Value::Bool(_)))
            | (Builtin::Int, Obj::Value(Value::Int(_) | Value::Bool(_)))
            | (Builtin::Float, Obj::Value(Value::Float(_)))
            | (Builtin::List, Obj::List(_))
            | (Builtin::Tuple, Obj::Tuple(_))
            | (Builtin::Dict, Obj::Dict(_))
            | (Builtin::Range, Obj::Range(_))
            | (Builtin::Date, Obj::Value(Value::Date(_)))
            | (
                Builtin::Date | Builtin::DateTime,
                Obj::Value(Value::DateTime(_) | Value::NaiveDateTime(_) | Value::OffsetDateTime(_)),
            ) => true,
            (Builtin::Type, Obj::Builtin(c)) => super::introspect::is_class(*c),
            (Builtin::Type, Obj::Type(_) | Obj::ExceptionClass(_)) => true,
            (Builtin::Set, Obj::Set(s)) => !s.frozen,
            (Builtin::FrozenSet, Obj::Set(s)) => s.frozen,
            _ if super::introspect::is_class(*b) => false,
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
        ("set", Set),
        ("frozenset", FrozenSet),
        ("map", Map),
        ("filter", Filter),
        ("divmod", Divmod),
        ("pow", Pow),
        ("dir", Dir),
        ("vars", Vars),
        ("hasattr", Hasattr),
        ("setattr", Setattr),
        ("id", Id),
        ("hash", Hash),
        ("callable", Callable),
        ("chr", Chr),
        ("ord", Ord),
        ("bin", Bin),
        ("hex", Hex),
        ("oct", Oct),
        ("help", Help),
        ("exit", Exit),
        ("quit", Exit),
        ("issubclass", Issubclass),
        ("date", Date),
        ("datetime", DateTime),
        ("super", Super),
        ("property", Property),
        ("classmethod", ClassMethod),
        ("staticmethod", StaticMethod),
        ("issubclass", Issubclass),
    ]
};

/// The name a builtin is bound to (`exit` for [`Builtin::Exit`]).
pub fn builtin_name(b: Builtin) -> &'static str {
    match b {
        Builtin::NoOp => "setup",
        b => BUILTINS
            .iter()
            .find(|(_, x)| *x == b)
            .map_or("?", |(name, _)| name),
    }
}

/// Python's modules in scope by name.
const MODULES: &[&str] = &["os", "sys"];

/// What a builtin name is bound to.
#[derive(Clone, Copy)]
enum Bound {
    Builtin(Builtin),
    Module,
    ExceptionClass,
}

/// [`BUILTINS`], [`MODULES`] and the exception classes by name, the first binding of a name
/// winning. Built once: every name a statement uses that is no variable (`Book`, `Q`) is
/// looked up here first, and scanning the ~100 names took ~700 instructions a miss.
static BOUND: std::sync::LazyLock<BoundNames> = std::sync::LazyLock::new(|| {
    let mut bound = BoundNames::default();
    let all = BUILTINS
        .iter()
        .map(|(n, b)| (*n, Bound::Builtin(*b)))
        .chain(MODULES.iter().map(|n| (*n, Bound::Module)))
        .chain(super::exceptions::class_names().map(|n| (n, Bound::ExceptionClass)));
    for (name, b) in all {
        bound.entry(name).or_insert(b);
    }
    bound
});

/// Hashed as the interpreter's [`super::Names`] are.
type BoundNames = std::collections::HashMap<&'static str, Bound, foldhash::fast::RandomState>;

/// The builtin bound to `n`, if any.
pub fn builtin(n: &str) -> Option<Obj> {
    Some(match *BOUND.get(n)? {
        Bound::Builtin(b) => Obj::Builtin(b),
        Bound::Module => Obj::Module(n.to_string()),
        Bound::ExceptionClass => Obj::ExceptionClass(n.to_string()),
    })
}

/// The names [`builtin`] resolves, for completion.
pub fn builtin_names() -> Vec<String> {
    let mut names: Vec<String> = BUILTINS.iter().map(|(n, _)| n.to_string()).collect();
    names.extend(MODULES.iter().map(|m| m.to_string()));
    names.extend(super::exceptions::class_names().map(str::to_string));
    names
}
