//! `pathlib.Path` as settings files use it: `Path(__file__).resolve().parent.parent`,
//! `BASE_DIR / "db.sqlite3"`, `.parents[1]`, `.name`, `.exists()`, `str(p)`. A path is a
//! `StdObj::Path` ([`super::objects`] has its attributes and methods): `str()` gives its
//! text and `repr()` Python's `PosixPath('...')`.

use super::bad_args;
use super::objects::{path, path_arg};
use crate::diag::Result;
use crate::py::module::Module;
use crate::py::{Args, Obj};
use std::path::PathBuf;

/// The module `pathlib`.
pub fn module() -> Module {
    Module::new(
        ["Path", "PurePath", "PosixPath", "PurePosixPath"].map(|n| (n, super::f("pathlib.Path"))),
    )
}

/// `Path(*parts)`.
pub fn call(args: &Args) -> Result<Obj> {
    let mut out = PathBuf::new();
    for (o, _) in &args.pos {
        out.push(path_arg(o).ok_or_else(|| bad_args("Path", args))?);
    }
    Ok(path(&out))
}
