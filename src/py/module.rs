//! Modules and imports: the interpreter's module registry (Python's `sys.modules`), which
//! loads a module the first time it is named — a standard-library module from
//! [`super::stdlib`], any other from the [`Host`] (Django's, the project's apps) — and the
//! `import` statements, which bind exactly what they name.
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
}

impl Module {
    /// A module with these attributes.
    pub fn new<S: Into<String>>(attrs: impl IntoIterator<Item = (S, Obj)>) -> Module {
        Module {
            attrs: attrs.into_iter().map(|(n, o)| (n.into(), o)).collect(),
            later: &[],
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
                .map(Rc::new)
        } else {
            None
        };
        self.modules.loaded.insert(name.to_string(), m.clone());
        m
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
    fn import_module(&mut self, name: &str, span: Span) -> Result<Obj> {
        match self.module(name) {
            Some(_) => Ok(Obj::Module(name.to_string())),
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

    /// `from a.b import x as y, z`: each name an attribute of `a.b` or its submodule;
    /// `from a import *` binds every public attribute.
    pub(super) fn exec_import_from(
        &mut self,
        module: &str,
        level: usize,
        names: &[Alias],
        span: Span,
    ) -> Result<()> {
        if level > 0 {
            return Err(Diagnostic::new(
                ErrorKind::Python("ImportError".into()),
                "attempted relative import with no known parent package",
            )
            .at(span));
        }
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
