//! Model classes as Python classes: what a models.py defines besides fields — methods,
//! properties, class and static methods, `__str__`/`__repr__`, `save()`/`delete()`
//! overrides — and its module-level constants and helpers.
//!
//! A model's models.py ([`PyModule`]) runs the first time one of its models' Python is
//! needed (an attribute, `str()`, a `default=`), into a module of its own
//! ([`ModuleScope`], `crate::py::Interp::run_module`); each of its model classes becomes a
//! Python class whose native side is the model ([`Host::class_of`](crate::py::Host)): the
//! module binds the model's name to the model class itself, so `Entry.objects` and
//! `cls(...)` are Django's, and a method the class does not define (`save`, `delete`) is
//! the native one — which `super().save(*args, **kwargs)` in an override reaches. Code djq
//! cannot run fails when it runs, with its place in models.py.
//!
//! **Each model's class body runs when that model's Python is first needed**, not with the
//! rest of its module: the module's other statements (imports, constants, functions, classes
//! that are not models, and model classes with decorators) run first, in order, and bind each
//! model's name to the model; a model's class body — what djq keeps of it is its methods and
//! `Meta`'s verbose names, with no side effects worth ordering — runs later in the module's
//! names, as if it had been defined last. So a large models.py costs the memory and time of
//! the classes a session uses, not of all of them. What a user can see of the difference: a
//! class body (a method's decorator, a base) may use a name the module defines after it, and
//! an error in a model's class body is raised when that model's Python is first needed.

use super::Session;
use super::obj::{DjangoObj, Instance, make};
use crate::diag::Result;
use crate::py::classes::{Class, ModuleScope};
use crate::py::{Args, Obj};
use crate::schema::{ModelId, PyModule};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

/// The models' Python classes (`None`: a model with none, or whose module is running) and
/// the modules run so far.
#[derive(Default)]
pub(super) struct Python {
    classes: Classes,
    modules: Vec<(Arc<PyModule>, Rc<ModuleScope>)>,
    /// Each model's `_meta`, made once.
    pub(super) metas: HashMap<ModelId, Obj>,
}

/// Each model's Python class, if known yet, indexed by the model (looked up on every
/// `Book.objects`: an index rather than a hash).
#[derive(Default)]
struct Classes(Vec<Option<Option<Rc<Class>>>>);

impl Classes {
    fn get(&self, m: &ModelId) -> Option<&Option<Rc<Class>>> {
        self.0.get(*m)?.as_ref()
    }

    fn contains_key(&self, m: &ModelId) -> bool {
        self.get(m).is_some()
    }

    fn insert(&mut self, m: ModelId, class: Option<Rc<Class>>) {
        if self.0.len() <= m {
            self.0.resize(m + 1, None);
        }
        self.0[m] = Some(class);
    }

    fn remove(&mut self, m: &ModelId) {
        if let Some(slot) = self.0.get_mut(*m) {
            *slot = None;
        }
    }
}

impl Session {
    /// The Python class of model `m`, running its models.py first when needed, and then its
    /// class body.
    pub(super) fn model_python_class(&mut self, m: ModelId) -> Option<Rc<Class>> {
        if let Some(c) = self.host.python.classes.get(&m) {
            return c.clone();
        }
        let scope = self.model_module(m)?;
        if !self.host.python.classes.contains_key(&m) {
            self.run_model_class(m, &scope);
        }
        self.host.python.classes.get(&m).cloned().flatten()
    }

    /// Run model `m`'s class body (its models.py has run) into its module's names.
    fn run_model_class(&mut self, m: ModelId, scope: &Rc<ModuleScope>) {
        // `None` while it runs: a body that needs its own class gets the native one.
        self.host.python.classes.insert(m, None);
        let model = self.host.schema.model(m);
        let Some(body) = model.module.as_ref().map(|p| p.class(&model.name)) else {
            return;
        };
        self.run_module(&body, scope, &mut |s, class| {
            s.host.python.classes.insert(m, Some(class));
            make::model(m)
        });
    }

    /// The module of model `m`'s models.py, run the first time it is asked for (but for its
    /// models' class bodies, [`Session::model_python_class`]).
    pub(super) fn model_module(&mut self, m: ModelId) -> Option<Rc<ModuleScope>> {
        let Some(module) = self.host.schema.model(m).module.clone() else {
            self.host.python.classes.insert(m, None);
            return None;
        };
        if let Some((_, scope)) = self
            .host
            .python
            .modules
            .iter()
            .find(|(p, _)| Arc::ptr_eq(p, &module))
        {
            return Some(scope.clone());
        }
        let models: HashMap<String, ModelId> = self
            .host
            .schema
            .models
            .iter()
            .enumerate()
            .filter(|(_, model)| {
                model
                    .module
                    .as_ref()
                    .is_some_and(|p| Arc::ptr_eq(p, &module))
            })
            .map(|(id, model)| (model.name.clone(), id))
            .collect();
        for id in models.values() {
            self.host.python.classes.insert(*id, None);
        }
        let text = module.clone();
        let scope = Rc::new(ModuleScope {
            names: RefCell::default(),
            place: Box::new(move |offset| text.place(offset)),
        });
        self.host
            .python
            .modules
            .push((module.clone(), scope.clone()));
        let body = module.statements(&|name| models.contains_key(name));
        self.run_module(
            &body,
            &scope,
            &mut |s, class| match models.get(&class.name) {
                Some(id) => {
                    s.host.python.classes.insert(*id, Some(class));
                    make::model(*id)
                }
                None => Obj::Class(class),
            },
        );
        drop(body);
        // The models whose class bodies run apart: named, and run when first needed.
        for name in module.classes() {
            if let Some(id) = models.get(name) {
                self.host.python.classes.remove(id);
                scope
                    .names
                    .borrow_mut()
                    .entry(name.to_string())
                    .or_insert_with(|| make::model(*id));
            }
        }
        Some(scope)
    }

    /// The Python class of a model class or instance, and whether it is an instance.
    pub(super) fn python_class_of(&mut self, o: &Obj) -> Option<(Rc<Class>, bool)> {
        if let Some(m) = o.model_class() {
            return self.model_python_class(m).map(|c| (c, false));
        }
        let m = o.native::<Instance>()?.model;
        self.model_python_class(m).map(|c| (c, true))
    }

    /// `inst.save(**kwargs)` as Python calls it: models.py's override when there is one,
    /// else Django's own.
    pub(super) fn save_instance(&mut self, inst: &Rc<Instance>, args: Args) -> Result<()> {
        let obj = make::instance(inst.clone());
        match self.class_method(&obj, "save")? {
            Some(save) => self.call(save, args).map(|_| ()),
            None => self.save(inst, &args),
        }
    }

    /// A `default=` of model `m`, evaluated (and called when callable) with its models.py's
    /// names in scope.
    pub(super) fn eval_default(
        &mut self,
        m: ModelId,
        expr: &crate::syntax::ast::Expr,
        call: impl FnOnce(&mut Session, Obj) -> Result<Obj>,
    ) -> Result<Obj> {
        match self.model_module(m) {
            // In the class body's names (`default=Role.MEMBER`), over the module's.
            Some(scope) => {
                let names = self
                    .model_python_class(m)
                    .map(|c| c.dict.borrow().clone())
                    .unwrap_or_default();
                self.in_module(&scope, |s| {
                    s.with_names(names, |s| {
                        let v = s.eval(expr)?;
                        call(s, v)
                    })
                })
            }
            None => {
                let v = self.eval(expr)?;
                call(self, v)
            }
        }
    }
}
