//! Finding the project: the folder with `manage.py` (the start folder or one above it), and
//! its settings module — `--settings`, else `$DJANGO_SETTINGS_MODULE`, else the one
//! `manage.py` names in `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "...")`, read with
//! djq's own parser.

use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::syntax::ast::{Arg, ExprKind, Stmt, StmtKind};
use std::path::{Path, PathBuf};

/// The folder holding `manage.py`: `start` or the nearest folder above it.
pub fn project_root(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    start
        .ancestors()
        .find(|dir| dir.join("manage.py").is_file())
        .map(Path::to_path_buf)
}

/// The settings module: `given` (`--settings`), else `$DJANGO_SETTINGS_MODULE` (not empty),
/// else what `root/manage.py` sets.
pub fn settings_module(root: &Path, given: Option<&str>) -> Result<String> {
    if let Some(m) = given {
        return Ok(m.to_string());
    }
    if let Ok(m) = std::env::var("DJANGO_SETTINGS_MODULE")
        && !m.is_empty()
    {
        return Ok(m);
    }
    let manage = root.join("manage.py");
    let source = std::fs::read_to_string(&manage).map_err(|e| {
        Diagnostic::new(
            ErrorKind::Io,
            format!("cannot read {}: {e}", manage.display()),
        )
    })?;
    let program = crate::syntax::parse_module(&source).map_err(|d| {
        Diagnostic::new(
            ErrorKind::Io,
            format!("{}: {}", manage.display(), d.message),
        )
    })?;
    named_in(&program.body).ok_or_else(|| {
        Diagnostic::new(
            ErrorKind::Io,
            format!(
                "{} does not set DJANGO_SETTINGS_MODULE: name the settings with --settings \
                 MODULE or $DJANGO_SETTINGS_MODULE",
                manage.display()
            ),
        )
    })
}

/// The module `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "...")` names in `body`
/// (at any depth: `manage.py` sets it in `main()`).
fn named_in(body: &[Stmt]) -> Option<String> {
    body.iter().find_map(|stmt| match &stmt.kind {
        StmtKind::Expr(e) => setdefault(e),
        StmtKind::FunctionDef { body, .. } | StmtKind::With { body, .. } => named_in(body),
        StmtKind::If { body, orelse, .. } => named_in(body).or_else(|| named_in(orelse)),
        StmtKind::Try {
            body,
            orelse,
            finalbody,
            ..
        } => named_in(body)
            .or_else(|| named_in(orelse))
            .or_else(|| named_in(finalbody)),
        _ => None,
    })
}

/// `"mysite.settings"` of `os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")`.
fn setdefault(e: &crate::syntax::ast::Expr) -> Option<String> {
    let ExprKind::Call { func, args } = &e.kind else {
        return None;
    };
    let ExprKind::Attribute { value, attr } = &func.kind else {
        return None;
    };
    let is_environ =
        matches!(&value.kind, ExprKind::Attribute { attr, .. } if attr.name == "environ");
    if attr.name != "setdefault" || !is_environ {
        return None;
    }
    let text = |a: Option<&Arg>| match a {
        Some(Arg::Positional(e)) => match &e.kind {
            ExprKind::Str(s) => Some(s.to_string()),
            _ => None,
        },
        _ => None,
    };
    (text(args.first())? == "DJANGO_SETTINGS_MODULE").then(|| text(args.get(1)))?
}
