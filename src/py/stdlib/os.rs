//! `os` and `os.path` as settings files use them: `os.environ` (the process's environment,
//! with what the program sets on top: [`StdObj::Environ`], whose behaviour is in
//! [`super::objects`]), `os.getenv`, and the path
//! functions (`join`, `dirname`, `abspath`, ...) on strings and `pathlib.Path`s alike.

use super::fspath::{absolute, expanduser, join, normalize, realpath, split, text};
use super::objects::{StdObj, environ_get, path_arg};
use super::{arg, bad_args};
use crate::diag::Result;
use crate::py::module::Module;
use crate::py::{Args, Host, Interp, Obj};
use std::path::{Path, PathBuf};

/// `os`'s functions djq has.
const OS: &[&str] = &["os.getenv", "os.getcwd", "os.fspath"];
/// `os.path`'s.
const OS_PATH: &[&str] = &[
    "os.path.join",
    "os.path.dirname",
    "os.path.basename",
    "os.path.abspath",
    "os.path.realpath",
    "os.path.normpath",
    "os.path.exists",
    "os.path.isfile",
    "os.path.isdir",
    "os.path.isabs",
    "os.path.expanduser",
];

/// The module `os` (with a fresh `environ`) or `os.path`.
pub fn module(name: &str) -> Option<Module> {
    Some(match name {
        "os" => {
            let mut m = super::functions(OS);
            m.attrs.insert(
                "environ".into(),
                Obj::new_native(StdObj::Environ(std::cell::RefCell::default())),
            );
            m.attrs.insert("sep".into(), Obj::str("/"));
            m
        }
        "os.path" => super::functions(OS_PATH),
        _ => return None,
    })
}

impl<H: Host> Interp<H> {
    /// Call a function of `os` or `os.path`.
    pub(super) fn call_os(&mut self, name: &'static str, args: &Args) -> Result<Obj> {
        let paths = || -> Result<Vec<String>> {
            args.pos
                .iter()
                .map(|(o, _)| {
                    path_arg(o)
                        .map(|p| text(&p))
                        .ok_or_else(|| bad_args(name, args))
                })
                .collect()
        };
        let one = || -> Result<String> {
            match paths()?.as_slice() {
                [p] => Ok(p.clone()),
                _ => Err(bad_args(name, args)),
            }
        };
        let path = |p: PathBuf| Ok(Obj::str(text(&p)));
        match name {
            "os.getenv" => {
                let key = super::str_arg(args, 0, name)?;
                let default = arg(args, 1, "default").cloned().unwrap_or(Obj::NONE);
                let environ = self.module_attribute("os", "environ");
                let found = environ.as_ref().and_then(|e| match e.native::<StdObj>() {
                    Some(StdObj::Environ(set)) => environ_get(set, key),
                    _ => None,
                });
                Ok(found.map_or(default, Obj::str))
            }
            "os.getcwd" => path(std::env::current_dir().unwrap_or_default()),
            "os.fspath" => Ok(Obj::str(one()?)),
            "os.path.join" => {
                let parts = paths()?;
                if parts.is_empty() {
                    return Err(bad_args(name, args));
                }
                Ok(Obj::str(join(&parts)))
            }
            "os.path.dirname" => Ok(Obj::str(split(&one()?).0)),
            "os.path.basename" => Ok(Obj::str(split(&one()?).1)),
            "os.path.abspath" => path(absolute(Path::new(&one()?))),
            "os.path.realpath" => path(realpath(Path::new(&one()?))),
            "os.path.normpath" => path(normalize(Path::new(&one()?))),
            "os.path.exists" => Ok(Obj::bool(Path::new(&one()?).exists())),
            "os.path.isfile" => Ok(Obj::bool(Path::new(&one()?).is_file())),
            "os.path.isdir" => Ok(Obj::bool(Path::new(&one()?).is_dir())),
            "os.path.isabs" => Ok(Obj::bool(one()?.starts_with('/'))),
            "os.path.expanduser" => Ok(Obj::str(expanduser(&one()?))),
            _ => Err(bad_args(name, args)),
        }
    }
}
