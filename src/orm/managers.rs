//! A model's managers as Django's `Options.managers` makes them: every manager attribute of
//! the class (`Book.objects`, `Book.published`), `_default_manager` (`Meta.default_manager_name`,
//! else the first declared) and `_base_manager` (`Meta.base_manager_name`, else a plain
//! `Manager()`), and what models.py gives them: `Article.objects.published()` runs the
//! `def published(self): return self.filter(...)` models.py gives, with `self` the manager
//! or the queryset; an overridden `get_queryset` (`super().get_queryset().filter(...)`)
//! narrows what the manager's querysets start from, and a QuerySet class's methods are on the
//! querysets of the managers made from it (`from_queryset`, `as_manager`) — and only there.
//! A manager's own `__init__` runs with the arguments models.py makes it with; the attributes
//! it (or any code) sets on a manager or a queryset object are kept, as Python keeps them.
//! Each model class and manager is one object a session ([`Made`]), as in Python.

use super::Session;
use super::obj::QuerySet;
use super::obj::{self, DjangoObj, make};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Args;
use crate::py::{Function, FunctionBody};
use crate::py::{Native, Obj};
use crate::schema::{Method, ModelId, Schema};
use std::rc::Rc;

/// Django's class name of a manager (`PersonManager`) or a queryset (`PersonQuerySet`)
/// whose class models.py gives.
pub(super) fn class_name(schema: &Schema, o: &dyn Native) -> Option<String> {
    let any = o.as_any();
    let (model, index, manager) = if let Some(m) = any.downcast_ref::<obj::Manager>() {
        (m.0, m.1, true)
    } else if let Some(qs) = any.downcast_ref::<QuerySet>() {
        match qs.related.as_ref().map(|r| &r.kind) {
            Some(obj::RelatedKind::ForeignKey { .. } | obj::RelatedKind::ForeignObject { .. }) => {
                return Some("RelatedManager".into());
            }
            Some(obj::RelatedKind::ManyToMany { .. }) => {
                return Some("ManyRelatedManager".into());
            }
            Some(obj::RelatedKind::Generic { .. }) => {
                return Some("GenericRelatedObjectManager".into());
            }
            Some(obj::RelatedKind::Tags { .. }) => return Some("_TaggableManager".into()),
            None => (qs.query.model, qs.manager, false),
        }
    } else {
        return None;
    };
    let custom = &schema.model(model).managers[index?];
    Some(if manager {
        custom.class.clone()
    } else {
        custom.queryset_class.clone()
    })
}

/// A models.py method found for a manager or queryset, and the `self` it runs with.
enum Found {
    /// A method of the Manager class: `self` is the receiver.
    Manager(Method),
    /// A method of the QuerySet class: `self` is the receiver's queryset.
    QuerySet(Method),
}

/// The attributes set on models.py's managers, by `(model, index in its managers)`.
pub type Attributes =
    std::collections::HashMap<(ModelId, usize), std::collections::HashMap<String, Obj>>;

/// The model classes and managers made so far. In Python each is one object
/// (`Book.objects is Book.objects`), and most statements start with both (`Book.objects`):
/// made once, each is shared rather than allocated and freed at every use.
#[derive(Default)]
pub struct Made {
    classes: Vec<Option<Obj>>,
    /// By model: its managers made, by index (`None`: the implicit one).
    managers: Vec<Vec<(Option<usize>, Obj)>>,
}

impl Made {
    /// Model `m`'s class.
    pub fn model(&mut self, m: ModelId) -> Obj {
        if self.classes.len() <= m {
            self.classes.resize(m + 1, None);
        }
        self.classes[m]
            .get_or_insert_with(|| make::model(m))
            .clone()
    }

    /// Model `m`'s manager `index`.
    fn manager(&mut self, m: ModelId, index: Option<usize>) -> Obj {
        if self.managers.len() <= m {
            self.managers.resize_with(m + 1, Vec::new);
        }
        let made = &mut self.managers[m];
        if let Some((_, o)) = made.iter().find(|(i, _)| *i == index) {
            return o.clone();
        }
        let o = make::manager(m, index);
        made.push((index, o.clone()));
        o
    }
}

impl Session {
    /// `Model.<name>` when it is a manager: one models.py declares or the model inherits,
    /// `_default_manager`, `_base_manager`, or the implicit `objects` of a model that
    /// declares none.
    pub(super) fn model_manager(&mut self, model: ModelId, name: &str) -> Option<Obj> {
        let m = self.host.schema.model(model);
        let index = match m.managers.iter().position(|g| g.name == name) {
            Some(i) => Some(i),
            None => match name {
                "objects" if m.managers.is_empty() => None,
                "_default_manager" => m.default_manager_index(),
                "_base_manager" => m.base_manager_index(),
                _ => return None,
            },
        };
        Some(self.host.made.manager(model, index))
    }

    /// The models.py method `name` of a manager or queryset, if it has one.
    fn find_method(&self, obj: &Obj, name: &str) -> Option<Found> {
        let (model, index, manager, related) = match (obj.manager_ref(), obj.native::<QuerySet>()) {
            (Some(m), _) => (m.0, m.1, true, false),
            (_, Some(qs)) => (qs.query.model, qs.manager, false, qs.related.is_some()),
            _ => return None,
        };
        let custom = &self.host.schema.model(model).managers[index?];
        // A related manager's class is a subclass of the default manager's.
        if (manager || related)
            && let Some(f) = custom.methods.iter().find(|f| f.name == name)
        {
            return Some(Found::Manager(f.clone()));
        }
        let f = custom.queryset_methods.iter().find(|f| f.name == name)?;
        ((!manager && !related) || f.on_manager()).then(|| Found::QuerySet(f.clone()))
    }

    /// Whether `name` is a method models.py gives this manager or queryset.
    pub(super) fn has_custom_method(&self, obj: &Obj, name: &str) -> bool {
        (obj.manager().is_some() && name == "get_queryset")
            || obj.manager().is_some_and(|m| {
                self.is_content_type(m) && super::contenttypes::MANAGER_METHODS.contains(&name)
            })
            || (name == "__init__" && (obj.manager().is_some() || obj.queryset().is_some()))
            || self.find_method(obj, name).is_some()
    }

    /// An attribute set on a queryset object, or on a models.py manager by its `__init__` (run
    /// once, with the arguments models.py makes the manager with) or an assignment:
    /// `Person.objects.init_arg`.
    pub(super) fn manager_attribute(&mut self, obj: &Obj, name: &str) -> Result<Option<Obj>> {
        if let Some(qs) = obj.native::<QuerySet>() {
            let attrs = qs.attrs.0.borrow();
            return Ok(attrs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone()));
        }
        let Some(obj::Manager(model, Some(index))) = obj.manager_ref() else {
            return Ok(None);
        };
        self.init_manager(obj, model, index)?;
        Ok(self.host.manager_attrs[&(model, index)].get(name).cloned())
    }

    /// Run a models.py manager's `__init__` the first time its attributes are used.
    fn init_manager(&mut self, obj: &Obj, model: ModelId, index: usize) -> Result<()> {
        if let std::collections::hash_map::Entry::Vacant(e) =
            self.host.manager_attrs.entry((model, index))
        {
            e.insert(Default::default());
            let custom = &self.host.schema.model(model).managers[index];
            let init = custom
                .methods
                .iter()
                .find(|f| f.name == "__init__")
                .cloned();
            if let Some(init) = init {
                let init_args = custom.init_args.clone();
                let args = self.eval_args(&init_args, Span::default())?;
                self.run_method(&init, obj.clone(), &args)?;
            }
        }
        Ok(())
    }

    /// `obj.name = value` on a queryset (kept by that object) or a models.py manager (in its
    /// `__init__` or anywhere; kept for the session); `false` when `obj` is neither.
    pub(super) fn set_manager_attribute(
        &mut self,
        obj: &Obj,
        name: &str,
        value: &Obj,
    ) -> Result<bool> {
        if let Some(qs) = obj.native::<QuerySet>() {
            let mut attrs = qs.attrs.0.borrow_mut();
            match attrs.iter_mut().find(|(k, _)| k == name) {
                Some((_, v)) => *v = value.clone(),
                None => attrs.push((name.to_string(), value.clone())),
            }
            return Ok(true);
        }
        let Some(obj::Manager(model, Some(index))) = obj.manager_ref() else {
            return Ok(false);
        };
        self.init_manager(obj, model, index)?;
        let attrs = self.host.manager_attrs.entry((model, index)).or_default();
        attrs.insert(name.to_string(), value.clone());
        Ok(true)
    }

    /// Call a models.py method of a manager or queryset; `None` when `name` is not one.
    pub(super) fn call_custom_method(
        &mut self,
        recv: &Obj,
        name: &str,
        args: &Args,
    ) -> Option<Result<Obj>> {
        let (model, index, manager) = match recv.manager_ref() {
            Some(obj::Manager(m, index)) => (m, index, true),
            None => {
                let qs = recv.native::<QuerySet>()?;
                (qs.query.model, qs.manager, false)
            }
        };
        if manager && name == "get_queryset" {
            return Some(self.get_queryset(recv).map(make::shared_queryset));
        }
        if manager && self.is_content_type(model) {
            let found = self.content_type_manager_method(name, args);
            if found.is_some() {
                return found;
            }
        }
        if name == "__init__" && self.find_method(recv, name).is_none() {
            // Django's own `Manager.__init__()` (what `super().__init__()` reaches) sets
            // nothing a session sees.
            return Some(Ok(Obj::NONE));
        }
        // Only a models.py manager (and the querysets made from it) has methods of its own.
        index?;
        let (method, this) = match self.find_method(recv, name)? {
            Found::Manager(f) => (f, recv.clone()),
            Found::QuerySet(f) if manager => match self.get_queryset(recv) {
                Ok(qs) => (f, make::shared_queryset(qs)),
                Err(d) => return Some(Err(d)),
            },
            Found::QuerySet(f) => (f, recv.clone()),
        };
        Some(
            self.run_method(&method, this, args)
                // What a QuerySet method makes of `self` is of the same class.
                .map(|o| match o.queryset() {
                    Some(qs) if qs.query.model == model && qs.manager.is_none() => {
                        let attrs = qs.attrs.duplicate();
                        let mut qs = (*qs).clone();
                        qs.attrs = attrs;
                        qs.manager = index;
                        make::queryset(qs)
                    }
                    _ => o,
                }),
        )
    }

    /// What a manager's `get_queryset()` returns: all rows as an instance of its QuerySet
    /// class, or what models.py's override returns. Made shared (every statement starts with
    /// one).
    pub(super) fn get_queryset(&mut self, manager: &Obj) -> Result<Rc<QuerySet>> {
        let Some(super::obj::Manager(model, index)) = manager.manager_ref() else {
            unreachable!("a manager")
        };
        let Some(method) = index.and_then(|i| {
            self.host.schema.model(model).managers[i]
                .get_queryset
                .clone()
        }) else {
            // Set in place: a struct update (`..`) copied the whole queryset once more.
            let mut qs = self.manager_queryset(model);
            qs.manager = index;
            return Ok(Rc::new(qs));
        };
        let args = Args {
            pos: Vec::new(),
            kw: Vec::new(),
            span: Span::default(),
        };
        match self.run_method(&method, manager.clone(), &args)? {
            o if let Some(qs) = o.queryset() => Ok(Rc::new((*qs).clone())),
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

    /// What `Model._default_manager` starts from (related managers and reverse prefetches
    /// start there too).
    pub(super) fn default_queryset(&mut self, model: ModelId) -> Result<QuerySet> {
        let index = self.host.schema.model(model).default_manager_index();
        self.get_queryset(&make::manager(model, index))
            .map(Rc::unwrap_or_clone)
    }

    /// What `Model._base_manager` starts from (a foreign key's object, a reverse one-to-one).
    pub(super) fn base_queryset(&mut self, model: ModelId) -> Result<QuerySet> {
        let index = self.host.schema.model(model).base_manager_index();
        self.get_queryset(&make::manager(model, index))
            .map(Rc::unwrap_or_clone)
    }

    /// Run a models.py method with `self` bound (`super()` in it reaches Django's).
    fn run_method(&mut self, method: &Method, this: Obj, args: &Args) -> Result<Obj> {
        let f = Function {
            name: method.name.clone(),
            params: method.params.clone(),
            body: FunctionBody::Block(method.body.clone()),
        };
        let mut args = args.clone();
        args.pos.insert(0, (this.clone(), args.span));
        // In its models.py's names (`make_password` in auth's UserManager).
        let model =
            (this.manager_ref().map(|m| m.0)).or_else(|| this.queryset().map(|qs| qs.query.model));
        let scope = model.and_then(|m| self.model_module(m));
        self.host.manager_models.push(this);
        let result = match scope {
            Some(scope) => self.in_module(&scope, |s| s.call_function(&f, args)),
            None => self.call_function(&f, args),
        };
        self.host.manager_models.pop();
        result
    }

    /// `super()` inside a manager or QuerySet method: Django's own `Manager` (a queryset of
    /// the manager's QuerySet class) or `QuerySet` (the receiver, without models.py's
    /// methods).
    pub(super) fn super_manager(&self, span: Span) -> Result<Obj> {
        match self.host.manager_models.last() {
            Some(m) if let Some(super::obj::Manager(model, index)) = m.manager_ref() => {
                let mut qs = self.manager_queryset(model);
                qs.manager = index;
                Ok(make::queryset(qs))
            }
            Some(qs) if let Some(qs) = qs.queryset() => {
                let mut qs = (*qs).clone();
                qs.manager = None;
                Ok(make::queryset(qs))
            }
            _ => Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "djq supports super() only in the methods of models.py managers and querysets",
            )
            .at(span)),
        }
    }
}
