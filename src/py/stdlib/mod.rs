//! The standard-library modules djq has, one file each: [`datetime`], [`decimal`],
//! [`json`], [`math`], [`text`] (`string`, `re`, `unicodedata`), [`functional`] (`functools`, `operator`),
//! [`iter`] (`itertools`, `random`), [`uuid`], [`collections`], [`pprint`]; and `os`/`sys` with the boilerplate scripts
//! start with. A module is made when it is first imported ([`load`]); its functions and
//! classes are `Builtin::Std(qualified name)` values, called through [`Interp::call_std`];
//! the objects they make that are not plain values (a regex match, an `itemgetter`) are
//! [`objects::StdObj`]s.

pub mod collections;
pub mod datetime;
pub mod decimal;
pub mod fspath;
pub mod functional;
pub mod iter;
pub mod json;
pub mod math;
pub mod objects;
pub mod os;
pub mod pathlib;
pub mod pprint;
pub mod text;
pub mod uuid;

use super::module::Module;
use super::obj::{Builtin, Obj};
use super::{Args, Host, Interp};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::value::Value;

/// The module `name` if it is one of the standard library's djq has.
pub fn load(name: &str) -> Option<Module> {
    Some(match name {
        "os" | "os.path" => return os::module(name),
        "pathlib" => pathlib::module(),
        "sys" => Module::new([
            ("version_info", Obj::tuple(vec![Obj::int(3), Obj::int(12)])),
            ("stdout", Obj::new_native(objects::StdObj::Stream(false))),
            ("stderr", Obj::new_native(objects::StdObj::Stream(true))),
        ]),
        "datetime" => datetime::module(),
        "decimal" => decimal::module(),
        "json" => functions(json::FUNCTIONS),
        "math" => math::module(),
        "string" => text::string_module(),
        "re" => text::re_module(),
        "functools" => functions(functional::FUNCTOOLS),
        "operator" => functions(functional::OPERATOR),
        "itertools" => functions(iter::ITERTOOLS),
        "random" => functions(iter::RANDOM),
        "uuid" => functions(uuid::FUNCTIONS),
        "collections" => functions(collections::FUNCTIONS),
        "pprint" => functions(pprint::FUNCTIONS),
        "unicodedata" => functions(&["unicodedata.normalize"]),
        _ => return None,
    })
}

/// A module of these functions (qualified names: `json.dumps`).
fn functions(names: &[&'static str]) -> Module {
    Module::new(names.iter().map(|n| (short(n), f(n))))
}

/// `dumps` of `json.dumps`.
pub fn short(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// `cls.name` of a class a module defines (`datetime.now`, `date.fromisoformat`,
/// `timezone.utc`).
pub fn class_attribute(b: Builtin, name: &str) -> Option<Obj> {
    datetime::class_attribute(b, name)
}

/// `v.name` of a value a module makes (`d.quantize`, `u.hex`); `None`: it has none.
pub fn value_attribute(v: &Value, name: &str) -> Option<Obj> {
    match (v, name) {
        (Value::Decimal(_), "quantize") => Some(Obj::Method(
            std::rc::Rc::new(Obj::Value(v.clone())),
            name.into(),
        )),
        (Value::Uuid(_), _) => uuid::attribute(v, name),
        (Value::Duration(_), "total_seconds") => Some(Obj::Method(
            std::rc::Rc::new(Obj::Value(v.clone())),
            name.into(),
        )),
        (Value::Duration(us), _) => datetime::duration_part(*us, name),
        (Value::DateTime(_), "tzinfo") => Some(Obj::new_native(objects::StdObj::Zone(0))),
        (Value::OffsetDateTime(dt), "tzinfo") => Some(Obj::new_native(objects::StdObj::Zone(
            dt.offset().local_minus_utc(),
        ))),
        (Value::NaiveDateTime(_), "tzinfo") => Some(Obj::NONE),
        (
            Value::DateTime(_) | Value::NaiveDateTime(_) | Value::OffsetDateTime(_),
            "time" | "astimezone" | "replace" | "utcoffset",
        )
        | (Value::Date(_), "replace") => Some(Obj::Method(
            std::rc::Rc::new(Obj::Value(v.clone())),
            name.into(),
        )),
        _ => None,
    }
}

/// `isinstance(o, cls)` for a class a module defines (`uuid.UUID`, `decimal.Decimal`).
pub fn is_instance(class: &str, o: &Obj) -> bool {
    matches!(
        (class, o),
        ("uuid.UUID", Obj::Value(Value::Uuid(_)))
            | ("decimal.Decimal", Obj::Value(Value::Decimal(_)))
            | ("datetime.timedelta", Obj::Value(Value::Duration(_)))
            | ("datetime.time", Obj::Value(Value::Time(_)))
    ) || matches!(
        (class, o.native::<objects::StdObj>()),
        ("datetime.timezone", Some(objects::StdObj::Zone(_)))
    )
}

/// A module's function as an object.
pub(crate) fn f(name: &'static str) -> Obj {
    Obj::Builtin(Builtin::Std(name))
}

/// TypeError for a call with arguments djq does not take.
pub(crate) fn bad_args(func: &str, args: &Args) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Type,
        format!("{}() got arguments djq cannot take", short(func)),
    )
    .at(args.span)
}

/// The `i`-th positional argument, or `kw` given by name.
pub(crate) fn arg<'a>(args: &'a Args, i: usize, kw: &str) -> Option<&'a Obj> {
    args.pos.get(i).map(|(o, _)| o).or_else(|| args.kwarg(kw))
}

/// The `i`-th positional argument as an int.
pub(crate) fn int_arg(args: &Args, i: usize, func: &str) -> Result<i64> {
    match args.pos.get(i) {
        Some((Obj::Value(Value::Int(n)), _)) => Ok(*n),
        _ => Err(bad_args(func, args)),
    }
}

/// The `i`-th positional argument as a str.
pub(crate) fn str_arg<'a>(args: &'a Args, i: usize, func: &str) -> Result<&'a str> {
    match args.pos.get(i) {
        Some((Obj::Value(Value::Text(s)), _)) => Ok(s),
        _ => Err(bad_args(func, args)),
    }
}

impl<H: Host> Interp<H> {
    /// Call a standard-library function by its qualified name.
    pub fn call_std(&mut self, name: &'static str, args: Args) -> Result<Obj> {
        match name.split('.').next().unwrap_or(name) {
            "datetime" => datetime::call(name, &args),
            "decimal" => decimal::call(&args),
            "json" => self.call_json(name, &args),
            "math" => math::call(name, &args),
            "string" | "re" | "unicodedata" => self.call_text(name, &args),
            "functools" | "operator" => self.call_functional(name, args),
            "itertools" | "random" => self.call_iter(name, &args),
            "uuid" => uuid::call(name, &args),
            "collections" => self.call_collections(name, &args),
            "pprint" => self.call_pprint(name, &args),
            "os" => self.call_os(name, &args),
            "pathlib" => pathlib::call(&args),
            _ => unreachable!("not a standard-library function: {name}"),
        }
    }

    /// A method of a value a module makes (`d.quantize(...)`); `None`: it has none.
    pub fn value_method(&mut self, v: &Value, name: &str, args: &Args) -> Option<Result<Obj>> {
        match (v, name) {
            (Value::Decimal(d), "quantize") => Some(decimal::quantize(*d, args)),
            (
                Value::DateTime(_)
                | Value::NaiveDateTime(_)
                | Value::OffsetDateTime(_)
                | Value::Date(_),
                _,
            ) if let Some(r) = datetime::method(v, name, args) => Some(r),
            (Value::Duration(us), "total_seconds") => {
                Some(Ok(Obj::Value(Value::Float(*us as f64 / 1e6))))
            }
            _ => None,
        }
    }
}
