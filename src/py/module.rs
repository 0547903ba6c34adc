//! Modules and imports: the interpreter's module registry (Python's `sys.modules`), which
//! loads a module the first time it is named — a standard-library module from
//! [`super::stdlib`], any other from the [`Host`] (Django's, the project's apps) — and the
//! `import` statements, which bind exactly what they name.
//!
//! With a search root set ([`Interp::set_module_root`], Python's `sys.path[0]`), a module
//! neither has is a file under it (`a/b.py`, or the package `a/b/__init__.py`), run the
//! first time it is imported, with `__file__`, `__name__` and `__package__` (for relative
//! imports: `from .base import *`); its statements that fail are kept ([`Module::errors`]).
//!
//! A module object is `Obj::Module(name)`: its dotted name, a handle into the registry. A
//! module djq does not have is Python's `ModuleNotFoundError: No module named 'x'` at the
//! import, and a name a module lacks is `ImportError: cannot import name 'X' from 'a.b'`
//! (and an AttributeError as `a.b.X`): nothing is ever bound loosely or skipped.

use super::obj::Obj;
use super::{Host, Interp};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::syntax::ast::Alias;
use std::rc::Rc;

/// A loaded module: its attributes (functions, classes, constants; submodules are found by
/// name in the registry), and the names the real module has that djq does not yet (their
/// import says so instead of claiming they do not exist).
#[derive(Debug, Default)]
pub struct Module {
    pub attrs: super::Names,
    pub later: &'static [&'static str],
    /// For a module run from a file, each of its statements that failed, located.
    pub errors: Vec<Diagnostic>,
}

impl Module {
    /// A module with these attributes.
    pub fn new<S: Into<String>>(attrs: impl IntoIterator<Item = (S, Obj)>) -> Module {
        Module {
            attrs: attrs.into_iter().map(|(n, o)| (n.into(), o)).collect(),
            later: &[],
            errors: Vec::new(),
        }
    }

    /// The same module, knowing that the real one also has `later`.
    pub fn with_later(mut self, later: &'static [&'static str]) -> Module {
        self.later = later;
        self
    }
}

/// The modules loaded so far, by dotted name; `None`: known not to exist.
#[derive(Debug, Default)]
pub struct Registry {
    loaded: super::Names<Option<Rc<Module>>>,
    /// Where modules from files are found (none: only djq's and the host's modules).
    root: Option<std::path::PathBuf>,
    /// Modules whose file could not be read or parsed: the error their import raises.
    failed: super::Names<Diagnostic>,
    /// The modules run from files, in the order they were first imported.
    files: Vec<String>,
}

impl<H: Host> Interp<H> {
    /// The module `name` (dotted), loaded on first use: `None` when djq does not have it.
    /// A submodule exists only inside a package that does (`django.db` needs `django`).
    pub fn module(&mut self, name: &str) -> Option<Rc<Module>> {
        if let Some(m) = self.modules.loaded.get(name) {
            return m.clone();
        }
        let parent_ok = match name.rsplit_once('.') {
            Some((parent, _)) => self.module(parent).is_some(),
            None => true,
        };
        let m = if parent_ok {
            super::stdlib::load(name)
                .or_else(|| self.host.module(name))
                .or_else(|| self.file_module(name))
                .map(Rc::new)
        } else {
            None
        };
        self.modules.loaded.insert(name.to_string(), m.clone());
        m
    }

    /// Find modules in files under `root` from now on (see the module doc).
    pub fn set_module_root(&mut self, root: std::path::PathBuf) {
        self.modules.root = Some(root);
    }

    /// The modules run from files so far, in the order they were imported, with each one's
    /// failed statements.
    pub fn file_modules(&mut self) -> Vec<(String, Rc<Module>)> {
        let names = self.modules.files.clone();
        names
            .into_iter()
            .filter_map(|n| self.module(&n).map(|m| (n, m)))
            .collect()
    }

    /// The module `name` from a file under the search root, run; `None` when there is no
    /// such file, or it cannot be read or parsed (its import's error is then kept).
    fn file_module(&mut self, name: &str) -> Option<Module> {
        let root = self.modules.root.clone()?;
        let dir: std::path::PathBuf = root.join(name.replace('.', "/"));
        let (path, package) = if dir.join("__init__.py").is_file() {
            (dir.join("__init__.py"), name.to_string())
        } else if dir.with_extension("py").is_file() {
            let parent = name.rsplit_once('.').map_or("", |(p, _)| p);
            (dir.with_extension("py"), parent.to_string())
        } else {
            return None;
        };
        // Errors name the file as the user sees it from the working folder.
        let cwd = std::env::current_dir().unwrap_or_default();
        let shown = path
            .strip_prefix(&cwd)
            .unwrap_or(&path)
            .display()
            .to_string();
        let place = {
            let shown = shown.clone();
            move |source: &str, offset: usize| {
                let before = source.get(..offset).unwrap_or(source);
                let line = before.matches('\n').count() + 1;
                let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                format!("{shown}:{line}:{col}")
            }
        };
        let read = std::fs::read_to_string(&path)
            .map_err(|e| Diagnostic::new(ErrorKind::Io, format!("cannot read {shown}: {e}")));
        let parsed = read.and_then(|source| {
            crate::syntax::parse_module(&source)
                .map(|p| (p, source.clone()))
                .map_err(|mut d| {
                    if let Some(span) = d.span.take() {
                        d.message = format!("{}: {}", place(&source, span.start), d.message);
                    }
                    d
                })
        });
        let (program, source) = match parsed {
            Ok(p) => p,
            Err(d) => {
                self.modules.failed.insert(name.to_string(), d);
                return None;
            }
        };
        let source: Rc<str> = source.into();
        let names: super::Names = [
            ("__file__", Obj::str(path.display().to_string())),
            ("__name__", Obj::str(name)),
            ("__package__", Obj::str(package)),
        ]
        .into_iter()
        .map(|(n, o)| (n.to_string(), o))
        .collect();
        let scope = Rc::new(super::obj::ModuleScope {
            names: std::cell::RefCell::new(names),
            place: Box::new(move |offset| place(&source, offset)),
        });
        self.modules.files.push(name.to_string());
        let errors = self.run_module(&program.body, &scope, &mut |_, c| Obj::Class(c));
        let attrs = scope.names.borrow().clone();
        Some(Module {
            attrs,
            later: &[],
            errors,
        })
    }

    /// `module.name`: an attribute of the module, or a submodule djq has.
    pub fn module_attribute(&mut self, module: &str, name: &str) -> Option<Obj> {
        let m = self.module(module)?;
        if let Some(v) = m.attrs.get(name) {
            return Some(v.clone());
        }
        let sub = format!("{module}.{name}");
        self.module(&sub).map(|_| Obj::Module(sub))
    }

    /// `module.name` (`from module import name` when `import`): the attribute, or Python's
    /// AttributeError (ImportError) — NotSupportedError for a name the real module has that
    /// djq does not yet.
    fn module_name(&mut self, module: &str, name: &str, span: Span, import: bool) -> Result<Obj> {
        if let Some(v) = self.module_attribute(module, name) {
            return Ok(v);
        }
        if let Some(v) = H::module_defined(self, module, name) {
            return Ok(v);
        }
        let d = if self.module(module).is_some_and(|m| m.later.contains(&name)) {
            Diagnostic::new(
                ErrorKind::NotSupported,
                format!("{module}.{name} is not supported by djq yet"),
            )
        } else if import {
            // Python names the module's file; djq's modules have none.
            Diagnostic::new(
                ErrorKind::Python("ImportError".into()),
                format!("cannot import name '{name}' from '{module}' (unknown location)"),
            )
        } else {
            Diagnostic::new(
                ErrorKind::Attribute,
                format!("module '{module}' has no attribute '{name}'"),
            )
        };
        Err(d.at(span))
    }

    /// `module.name` as an expression.
    pub fn get_module_attribute(&mut self, module: &str, name: &str, span: Span) -> Result<Obj> {
        self.module_name(module, name, span, false)
    }

    fn import_name(&mut self, module: &str, name: &str, span: Span) -> Result<Obj> {
        self.module_name(module, name, span, true)
    }

    /// The module object `name`, or Python's ModuleNotFoundError at `span`.
    pub fn import_module(&mut self, name: &str, span: Span) -> Result<Obj> {
        match self.module(name) {
            Some(_) => Ok(Obj::Module(name.to_string())),
            None if let Some(d) = self.modules.failed.get(name) => Err(d.clone().at(span)),
            None => Err(Diagnostic::new(
                ErrorKind::Python("ModuleNotFoundError".into()),
                format!("No module named '{}'", self.missing_package(name)),
            )
            .at(span)),
        }
    }

    /// The first package of `name` djq does not have (`a` of `a.b.c` when there is no `a`),
    /// which is the one Python names.
    fn missing_package(&mut self, name: &str) -> String {
        let mut prefix = String::new();
        for part in name.split('.') {
            if !prefix.is_empty() {
                prefix.push('.');
            }
            prefix.push_str(part);
            if self.module(&prefix).is_none() {
                break;
            }
        }
        prefix
    }

    /// `import a.b.c` (binds `a`, having loaded each of `a`, `a.b`, `a.b.c`) and
    /// `import a.b as c` (binds `c` to `a.b`).
    pub(super) fn exec_import(&mut self, aliases: &[Alias]) -> Result<()> {
        for a in aliases {
            self.import_module(&a.name, a.span)?;
            match &a.asname {
                Some(alias) => self.bind(&alias.name, Obj::Module(a.name.clone())),
                None => {
                    let top = a.name.split('.').next().unwrap_or(&a.name);
                    self.bind(top, Obj::Module(top.to_string()));
                }
            }
        }
        Ok(())
    }

    /// The absolute name of `.module` (`level` dots) imported from the running module, as
    /// its `__package__` places it.
    fn relative_module(&self, module: &str, level: usize, span: Span) -> Result<String> {
        let no_parent = || {
            Diagnostic::new(
                ErrorKind::Python("ImportError".into()),
                "attempted relative import with no known parent package",
            )
            .at(span)
        };
        let package = match self.variable("__package__") {
            Some(Obj::Value(crate::value::Value::Text(p))) if !p.is_empty() => p.clone(),
            _ => return Err(no_parent()),
        };
        let mut base = package.as_str();
        for _ in 1..level {
            base = base.rsplit_once('.').map(|(p, _)| p).ok_or_else(|| {
                Diagnostic::new(
                    ErrorKind::Python("ImportError".into()),
                    "attempted relative import beyond top-level package",
                )
                .at(span)
            })?;
        }
        Ok(if module.is_empty() {
            base.to_string()
        } else {
            format!("{base}.{module}")
        })
    }

    /// `from a.b import x as y, z`: each name an attribute of `a.b` or its submodule;
    /// `from a import *` binds every public attribute.
    pub(super) fn exec_import_from(
        &mut self,
        module: &str,
        level: usize,
        names: &[Alias],
        span: Span,
    ) -> Result<()> {
        let absolute;
        let module = if level > 0 {
            absolute = self.relative_module(module, level, span)?;
            absolute.as_str()
        } else {
            module
        };
        self.import_module(module, span)?;
        for a in names {
            if a.name == "*" {
                let m = self.module(module).expect("imported above");
                let mut public: Vec<_> = m
                    .attrs
                    .iter()
                    .filter(|(n, _)| !n.starts_with('_'))
                    .collect();
                public.sort_by(|x, y| x.0.cmp(y.0));
                for (n, v) in public {
                    self.bind(n, v.clone());
                }
                continue;
            }
            let v = self.import_name(module, &a.name, a.span)?;
            let bound = a.asname.as_ref().map_or(&a.name[..], |i| &i.name);
            self.bind(bound, v);
        }
        Ok(())
    }
}
