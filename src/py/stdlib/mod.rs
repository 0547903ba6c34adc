//! The standard-library modules djq has, one file each: [`datetime`], [`decimal`]; and
//! `os`/`sys` with the boilerplate scripts start with. A module
//! is made when it is first imported ([`load`]); its functions and classes are
//! [`Builtin::Std`] values, called through [`Interp::call_std`].

pub mod datetime;
pub mod decimal;

use super::module::Module;
use super::obj::{Builtin, Obj};
use super::{Args, Host, Interp};
use crate::diag::{Diagnostic, ErrorKind, Result};

/// A function or class of a standard-library module.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StdFn {
    Datetime(datetime::Fn),
    Decimal(decimal::Fn),
}

/// The module `name` if it is one of the standard library's djq has.
pub fn load(name: &str) -> Option<Module> {
    Some(match name {
        "os" => Module::new([("environ", Obj::Module("os.environ".into()))]),
        // `os.environ.setdefault('DJANGO_SETTINGS_MODULE', ...)`: accepted boilerplate.
        "os.environ" => Module::new([("setdefault", Obj::Builtin(Builtin::NoOp))]),
        "sys" => Module::new([("version_info", Obj::tuple(vec![Obj::int(3), Obj::int(12)]))]),
        "datetime" => datetime::module(),
        "decimal" => decimal::module(),
        _ => return None,
    })
}

/// `cls.name` of a class a module defines (`datetime.now`, `date.fromisoformat`,
/// `timezone.utc`).
pub fn class_attribute(b: Builtin, name: &str) -> Option<Obj> {
    datetime::class_attribute(b, name)
}

/// A module's function as an object.
pub(crate) fn f(f: StdFn) -> Obj {
    Obj::Builtin(Builtin::Std(f))
}

/// TypeError for a call with the wrong arguments.
pub(crate) fn bad_args(func: &str, args: &Args) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Type,
        format!("{func}() got arguments djq cannot take"),
    )
    .at(args.span)
}

/// The `i`-th positional argument, or `kw` given by name.
pub(crate) fn arg<'a>(args: &'a Args, i: usize, kw: &str) -> Option<&'a Obj> {
    args.pos.get(i).map(|(o, _)| o).or_else(|| args.kwarg(kw))
}

impl<H: Host> Interp<H> {
    /// Call a standard-library function.
    pub fn call_std(&mut self, f: StdFn, args: Args) -> Result<Obj> {
        match f {
            StdFn::Datetime(f) => datetime::call(f, &args),
            StdFn::Decimal(f) => decimal::call(f, &args),
        }
    }
}
