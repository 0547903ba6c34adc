//! Looking at objects: `type()`, the builtin types as objects (`int`, `str.lower`,
//! `type(x).__name__`), `dir`, `vars`, `hasattr`, `setattr`, `id`, `hash`, `callable`,
//! `issubclass` of builtin and exception classes, and `help`. A native object's class,
//! names and description are its host's ([`Host::type_of`], [`Host::dir`], [`Host::help`]).

use super::args::Args;
use super::obj::{Builtin, Obj, Wrapper};
use super::{Host, Interp};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::value::Value;
use std::rc::Rc;

/// Whether the builtin is a class (`int`, `list`, `map`) rather than a function.
pub fn is_class(b: Builtin) -> bool {
    use Builtin::*;
    matches!(
        b,
        Str | Int
            | Float
            | Bool
            | List
            | Tuple
            | Dict
            | Range
            | Reversed
            | Enumerate
            | Zip
            | Type
            | Set
            | FrozenSet
            | Map
            | Filter
            | Date
            | DateTime
    )
}

/// The name a builtin's class is known by in CPython's repr (`datetime.date`).
fn class_path(b: Builtin) -> String {
    match b {
        Builtin::Date => "datetime.date".into(),
        Builtin::DateTime => "datetime.datetime".into(),
        b => super::builtins::builtin_name(b).into(),
    }
}

/// Python's `repr()` of a builtin: `<class 'int'>`, `<built-in function len>`.
pub fn builtin_repr(b: Builtin) -> String {
    if b == Builtin::Exit {
        // What Python's shell shows for `exit` typed without its parentheses.
        return "Use exit() or Ctrl-D (i.e. EOF) to exit".into();
    }
    if is_class(b) {
        format!("<class '{}'>", class_path(b))
    } else {
        format!("<built-in function {}>", super::builtins::builtin_name(b))
    }
}

/// The builtin types whose methods are looked up on the class (`str.lower`).
fn methods_of(b: Builtin) -> Option<&'static [&'static str]> {
    Some(match b {
        Builtin::Str => super::methods::STR_METHODS,
        Builtin::List => super::containers::LIST_METHODS,
        Builtin::Dict => super::containers::DICT_METHODS,
        _ => return None,
    })
}

/// `dir()` of the builtin type named `name`, as CPython lists it.
fn type_names(name: &str) -> Option<Vec<Obj>> {
    super::dir_names::NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, names)| names.iter().map(|n| Obj::str(*n)).collect())
}

impl<H: Host> Interp<H> {
    /// Python's `type(o)`.
    pub fn py_type(&mut self, o: &Obj) -> Obj {
        let named = |n: &str| Obj::Type(n.to_string());
        match o {
            Obj::Value(v) => match v {
                Value::Null => named("NoneType"),
                Value::Bool(_) => Obj::Builtin(Builtin::Bool),
                Value::Int(_) => Obj::Builtin(Builtin::Int),
                Value::Float(_) => Obj::Builtin(Builtin::Float),
                Value::Text(_) => Obj::Builtin(Builtin::Str),
                Value::Date(_) => Obj::Builtin(Builtin::Date),
                Value::DateTime(_) | Value::NaiveDateTime(_) | Value::OffsetDateTime(_) => {
                    Obj::Builtin(Builtin::DateTime)
                }
                Value::Decimal(_) => named("decimal.Decimal"),
                Value::Time(_) => named("datetime.time"),
                Value::Duration(_) => named("datetime.timedelta"),
                Value::Uuid(_) => named("uuid.UUID"),
                other => named(other.type_name()),
            },
            Obj::List(_) => Obj::Builtin(Builtin::List),
            Obj::Tuple(_) => Obj::Builtin(Builtin::Tuple),
            Obj::Dict(_) => Obj::Builtin(Builtin::Dict),
            Obj::Range(_) => Obj::Builtin(Builtin::Range),
            Obj::Set(s) if s.frozen => Obj::Builtin(Builtin::FrozenSet),
            Obj::Set(_) => Obj::Builtin(Builtin::Set),
            Obj::Builtin(b) if is_class(*b) => Obj::Builtin(Builtin::Type),
            Obj::ExceptionClass(_) | Obj::Type(_) | Obj::Class(_) => Obj::Builtin(Builtin::Type),
            Obj::Object(instance) => Obj::Class(instance.class.clone()),
            Obj::Exception(e) => super::exceptions::type_of(e),
            Obj::Method(recv, _) if matches!(**recv, Obj::Native(_)) => named("method"),
            Obj::Native(_) => H::type_of(self, o),
            other => named(&other.type_name()),
        }
    }

    /// An attribute of a class or function: `__name__`, `__qualname__`, and the methods of
    /// `str`, `list` and `dict` unbound (`str.lower`).
    pub fn type_attribute(&self, obj: &Obj, name: &str) -> Option<Obj> {
        match (obj, name) {
            (Obj::Builtin(b), "__name__" | "__qualname__") => {
                Some(Obj::str(super::builtins::builtin_name(*b)))
            }
            (Obj::Type(path), "__name__" | "__qualname__") => Some(Obj::str(
                path.rsplit('.').next().unwrap_or(path).to_string(),
            )),
            (Obj::Function(f), "__name__" | "__qualname__") => Some(Obj::str(f.name.clone())),
            (Obj::Builtin(b), _) if methods_of(*b).is_some_and(|m| m.contains(&name)) => {
                Some(Obj::Method(Rc::new(obj.clone()), name.into()))
            }
            _ => None,
        }
    }

    /// `str.lower(s)`: a method of a builtin type called with its object first.
    pub fn call_unbound(&mut self, class: &Obj, name: &str, mut args: Args) -> Result<Obj> {
        let class_name = class.clone();
        let kind = match &class_name {
            Obj::Builtin(b) => super::builtins::builtin_name(*b),
            _ => "object",
        };
        if args.pos.is_empty() {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!("unbound method {kind}.{name}() needs an argument"),
            )
            .at(args.span));
        }
        let (recv, _) = args.pos.remove(0);
        let fits = matches!(
            (kind, &recv),
            ("str", Obj::Value(Value::Text(_))) | ("list", Obj::List(_)) | ("dict", Obj::Dict(_))
        );
        if !fits {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "descriptor '{name}' for '{kind}' objects doesn't apply to a '{}' object",
                    recv.type_name()
                ),
            )
            .at(args.span));
        }
        self.call(Obj::Method(Rc::new(recv), name.into()), args)
    }

    /// The builtins that look at objects.
    pub fn call_introspect(&mut self, b: Builtin, args: Args) -> Result<Obj> {
        let span = args.span;
        let name = super::builtins::builtin_name(b);
        let arity = |n: usize| -> Result<()> {
            if args.pos.len() == n {
                return Ok(());
            }
            let message = match n {
                1 => format!(
                    "{name}() takes exactly one argument ({} given)",
                    args.pos.len()
                ),
                _ => format!("{name} expected {n} arguments, got {}", args.pos.len()),
            };
            Err(Diagnostic::new(ErrorKind::Type, message).at(span))
        };
        let arg = |i: usize| args.pos[i].0.clone();
        let attr_name = |i: usize| -> Result<String> {
            match &args.pos[i].0 {
                Obj::Value(Value::Text(s)) => Ok(s.clone()),
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("attribute name must be string, not '{}'", other.type_name()),
                )
                .at(args.pos[i].1)),
            }
        };
        args.no_kwargs_except(&[], name)?;
        match b {
            Builtin::Id => {
                arity(1)?;
                Ok(Obj::int(super::hash::id(&arg(0))))
            }
            Builtin::Hash => {
                arity(1)?;
                super::hash::hash(&arg(0))
                    .map(Obj::int)
                    .map_err(|d| d.at(span))
            }
            Builtin::Callable => {
                arity(1)?;
                Ok(Obj::bool(match arg(0) {
                    Obj::Builtin(_)
                    | Obj::Function(_)
                    | Obj::Method(..)
                    | Obj::ExceptionClass(_)
                    | Obj::Type(_)
                    | Obj::Class(_) => true,
                    Obj::Native(n) => n.callable(),
                    Obj::Wrapper(w) => matches!(
                        &*w,
                        Wrapper::Bound { .. } | Wrapper::StaticMethod(_) | Wrapper::InModule { .. }
                    ),
                    Obj::Object(o) => super::classes::mro(&o.class)
                        .iter()
                        .any(|k| k.dict.borrow().contains_key("__call__")),
                    _ => false,
                }))
            }
            Builtin::Hasattr => {
                if args.pos.len() != 2 {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!("hasattr expected 2 arguments, got {}", args.pos.len()),
                    )
                    .at(span));
                }
                let n = attr_name(1)?;
                match self.attribute(arg(0), &n, span) {
                    Ok(_) => Ok(Obj::bool(true)),
                    Err(d) if d.kind.is_attribute_error() => Ok(Obj::bool(false)),
                    Err(d) => Err(d),
                }
            }
            Builtin::Setattr => {
                arity(3)?;
                let n = attr_name(1)?;
                let owner = arg(0);
                match self.set_class_attribute(&owner, &n, arg(2), span)? {
                    None => {}
                    Some(v) if matches!(owner, Obj::Native(_)) => {
                        H::set_attribute(self, &owner, &n, v, span)?
                    }
                    Some(_) => return Err(self.no_attribute(&owner, &n, span)),
                }
                Ok(Obj::NONE)
            }
            Builtin::Vars => {
                arity(1)?;
                match self.attribute(arg(0), "__dict__", span) {
                    Err(d) if d.kind == ErrorKind::Attribute => Err(Diagnostic::new(
                        ErrorKind::Type,
                        "vars() argument must have __dict__ attribute",
                    )
                    .at(span)),
                    other => other,
                }
            }
            Builtin::Dir => self.dir(&args),
            Builtin::Help => {
                arity(1)?;
                let text = self.help_text(&arg(0))?;
                self.write_out(&text)?;
                Ok(Obj::NONE)
            }
            _ => unreachable!("not an introspection builtin"),
        }
    }

    /// `dir()`: the global names; `dir(x)`: the names `x` answers to, sorted.
    fn dir(&mut self, args: &Args) -> Result<Obj> {
        let o = match args.pos.as_slice() {
            [] => {
                let mut names: Vec<String> = self.globals().map(|(n, _)| n.clone()).collect();
                names.sort();
                return Ok(Obj::list(names.into_iter().map(Obj::str).collect()));
            }
            [(o, _)] => o.clone(),
            many => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("dir expected at most 1 argument, got {}", many.len()),
                )
                .at(args.span));
            }
        };
        let type_name = match &o {
            Obj::Class(_) | Obj::Object(_) => {
                let (class, instance) = match &o {
                    Obj::Object(i) => (&i.class, Some(&**i)),
                    Obj::Class(c) => (c, None),
                    _ => unreachable!(),
                };
                let mut names = super::classes::dir_names(class, instance, |b| H::dir(self, b));
                names.sort();
                names.dedup();
                return Ok(Obj::list(names.into_iter().map(Obj::str).collect()));
            }
            Obj::Native(_) => {
                let mut names = H::dir(self, &o);
                names.sort();
                names.dedup();
                return Ok(Obj::list(names.into_iter().map(Obj::str).collect()));
            }
            Obj::Builtin(b) if is_class(*b) => class_path(*b)
                .rsplit('.')
                .next()
                .unwrap_or_default()
                .to_string(),
            Obj::Builtin(_) => "builtin_function_or_method".into(),
            Obj::Type(_) | Obj::ExceptionClass(_) => "type".into(),
            other => match self.py_type(other) {
                Obj::Builtin(b) => class_path(b).rsplit('.').next().unwrap_or_default().into(),
                Obj::Type(path) => path.rsplit('.').next().unwrap_or_default().into(),
                _ => other.type_name(),
            },
        };
        type_names(&type_name).map(Obj::list).ok_or_else(|| {
            Diagnostic::new(
                ErrorKind::NotSupported,
                format!("dir() of a '{type_name}' object is not supported by djq yet"),
            )
            .at(args.span)
        })
    }

    /// `issubclass(a, b)` of builtin and exception classes (`b` may be a tuple of them).
    pub(super) fn builtin_issubclass(&mut self, a: &Obj, b: &Obj) -> Result<bool> {
        if let Obj::Tuple(classes) = b {
            for c in classes.iter() {
                if self.builtin_issubclass(a, c)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        let class = |o: &Obj| {
            matches!(o, Obj::Builtin(b) if is_class(*b))
                || matches!(o, Obj::ExceptionClass(_) | Obj::Type(_))
        };
        if !class(a) {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                "issubclass() arg 1 must be a class",
            ));
        }
        if !class(b) {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                "issubclass() arg 2 must be a class, a tuple of classes, or a union",
            ));
        }
        Ok(match (a, b) {
            (Obj::ExceptionClass(x), Obj::ExceptionClass(y)) => {
                super::exceptions::is_subclass(x, y)
            }
            (Obj::Builtin(Builtin::Bool), Obj::Builtin(Builtin::Int)) => true,
            (Obj::Builtin(Builtin::DateTime), Obj::Builtin(Builtin::Date)) => true,
            _ => super::nested::is(a, b),
        })
    }

    /// What `help(o)` writes: a short description of a builtin, a function or (the
    /// host's) a native object.
    fn help_text(&mut self, o: &Obj) -> Result<String> {
        let doc = |b: Builtin| {
            let name = super::builtins::builtin_name(b);
            super::docs::BUILTIN_DOCS
                .iter()
                .find(|(n, _, _)| *n == name)
                .map_or((name, "", ""), |(n, sig, doc)| (*n, *sig, *doc))
        };
        let text = match o {
            Obj::Native(_) => H::help(self, o),
            Obj::Method(recv, _) if matches!(**recv, Obj::Native(_)) => H::help(self, o),
            Obj::Builtin(b) if is_class(*b) => {
                let (name, sig, text) = doc(*b);
                Some(format!(
                    "Help on class {name} in module builtins:\n\nclass {name}(object)\n |  {sig}\n |  \n |  {}",
                    text.replace("\n    ", "\n |  ")
                ))
            }
            Obj::Builtin(b) => {
                let (name, sig, text) = doc(*b);
                Some(format!(
                    "Help on built-in function {name} in module builtins:\n\n{sig}\n    {text}"
                ))
            }
            Obj::Function(f) => Some(format!("Help on function {0}:\n\n{0}(...)", f.name)),
            Obj::Method(recv, name) => Some(format!(
                "Help on method {name} of {} object:\n\n{name}(...)",
                self.py_type(recv).type_attribute_name()
            )),
            _ => None,
        };
        Ok(match text {
            Some(t) => format!("{t}\n\n"),
            None => {
                let t = self.py_type(o);
                format!(
                    "Help on {} object:\n\n{}\n\n",
                    t.type_attribute_name(),
                    self.repr(o)?
                )
            }
        })
    }
}

impl Obj {
    /// The `__name__` of a class.
    fn type_attribute_name(&self) -> String {
        match self {
            Obj::Builtin(b) => super::builtins::builtin_name(*b).into(),
            Obj::Type(path) => path.rsplit('.').next().unwrap_or(path).into(),
            Obj::ExceptionClass(c) => super::exceptions::short_name(c).into(),
            other => other.type_name(),
        }
    }
}
