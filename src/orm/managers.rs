//! Custom managers and querysets from models.py: `Article.objects.published()` runs the
//! `def published(self): return self.filter(...)` models.py gives, with `self` the manager
//! or the queryset; an overridden `get_queryset` (`super().get_queryset().filter(...)`)
//! narrows what the manager's querysets start from.

use super::Session;
use super::obj::QuerySet;
use super::obj::{DjangoObj, make};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::Args;
use crate::py::Obj;
use crate::py::{Function, FunctionBody};
use crate::schema::{Manager, Method, ModelId};

impl Session {
    /// The model's default manager as models.py declares it (`objects`, else the first).
    fn custom_manager(&self, model: ModelId) -> Option<&Manager> {
        self.host.schema.model(model).default_manager()
    }

    /// Whether `name` is a method models.py gives this manager or queryset.
    pub(super) fn has_custom_method(&self, obj: &Obj, name: &str) -> bool {
        match obj {
            o if let Some(m) = o.manager() => {
                name == "get_queryset"
                    || (self.is_content_type(m)
                        && super::contenttypes::MANAGER_METHODS.contains(&name))
                    || self.custom_manager(m).is_some_and(|c| {
                        c.methods
                            .iter()
                            .chain(&c.queryset_methods)
                            .any(|f| f.name == name)
                    })
            }
            o if let Some(qs) = o.queryset() => self
                .custom_manager(qs.query.model)
                .is_some_and(|c| c.queryset_methods.iter().any(|f| f.name == name)),
            _ => false,
        }
    }

    /// Call a models.py method of a manager or queryset; `None` when `name` is not one.
    pub(super) fn call_custom_method(
        &mut self,
        recv: &Obj,
        name: &str,
        args: &Args,
    ) -> Option<Result<Obj>> {
        let (model, on_manager) = match (recv.manager(), recv.queryset()) {
            (Some(m), _) => (m, true),
            (_, Some(qs)) if qs.related.is_none() => (qs.query.model, false),
            _ => return None,
        };
        if on_manager && name == "get_queryset" {
            return Some(self.default_queryset(model).map(make::queryset));
        }
        if on_manager && self.is_content_type(model) {
            let found = self.content_type_manager_method(name, args);
            if found.is_some() {
                return found;
            }
        }
        let custom = self.custom_manager(model)?;
        let (method, this) =
            if let Some(f) = custom.methods.iter().find(|f| f.name == name && on_manager) {
                (f.clone(), recv.clone())
            } else {
                let f = custom
                    .queryset_methods
                    .iter()
                    .find(|f| f.name == name)?
                    .clone();
                let this = if on_manager {
                    match self.default_queryset(model) {
                        Ok(qs) => make::queryset(qs),
                        Err(d) => return Some(Err(d)),
                    }
                } else {
                    recv.clone()
                };
                (f, this)
            };
        Some(self.run_method(model, &method, this, args))
    }

    /// What `Model.objects` starts from: all rows, or what an overridden `get_queryset`
    /// returns.
    pub(super) fn default_queryset(&mut self, model: ModelId) -> Result<QuerySet> {
        let plain = self.manager_queryset(model);
        let Some(method) = self
            .custom_manager(model)
            .and_then(|m| m.get_queryset.clone())
        else {
            return Ok(plain);
        };
        let args = Args {
            pos: Vec::new(),
            kw: Vec::new(),
            span: crate::diag::Span::default(),
        };
        match self.run_method(model, &method, make::manager(model), &args)? {
            o if let Some(qs) = o.queryset() => Ok((*qs).clone()),
            other => Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "{}.get_queryset() must return a QuerySet, not {}",
                    self.host.schema.model(model).name,
                    other.type_name()
                ),
            )),
        }
    }

    /// Run a models.py method with `self` bound; `super()` in it is the plain manager.
    fn run_method(
        &mut self,
        model: ModelId,
        method: &Method,
        this: Obj,
        args: &Args,
    ) -> Result<Obj> {
        let f = Function {
            name: method.name.clone(),
            params: method.params.clone(),
            body: FunctionBody::Block(method.body.clone()),
        };
        let mut args = args.clone();
        args.pos.insert(0, (this, args.span));
        self.host.manager_models.push(model);
        let result = self.call_function(&f, args);
        self.host.manager_models.pop();
        result
    }

    /// `super()` inside a manager method: the manager Django's own `Manager` is.
    pub(super) fn super_manager(&self, span: crate::diag::Span) -> Result<Obj> {
        match self.host.manager_models.last() {
            Some(m) => Ok(make::queryset(self.manager_queryset(*m))),
            None => Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "djq supports super() only in the methods of models.py managers",
            )
            .at(span)),
        }
    }
}
