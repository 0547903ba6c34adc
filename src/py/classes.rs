//! Classes: the `class` statement, class objects, their instances, bound methods,
//! `property`/`classmethod`/`staticmethod`, decorators and `super()`.
//!
//! A [`Class`] has a name, bases and a dict of attributes (what its body bound: functions,
//! decorated functions, constants); an [`Object`] (an instance) has its class and a `__dict__`
//! of its own. Attributes are found as Python finds them: a `property` of the class first, then
//! the instance's own `__dict__`, then the class and its bases in method resolution order
//! ([`mro`]); a function found on the class is bound to the instance (a [`Wrapper::Bound`]),
//! a `classmethod` to the class, a `staticmethod` to nothing. `__init__`, `__str__`,
//! `__repr__`, `__eq__` and `__len__` are what `Class(...)`, `str()`, `repr()`, `==` and
//! `len()` call.
//!
//! **Native bases.** A class's bases may be the host's classes ([`Obj::Native`]). An object of
//! the host can also have a Python class: [`Host::class_of`] gives the class whose dict is
//! looked in before the host's own attributes (a Django model instance's class holds what its
//! models.py body defines). So a user's method overrides the native one of the same name,
//! whatever the user does not define is the host's, and `super().save(*args, **kwargs)` in
//! such a method — looking past every Python class of the MRO — reaches the host's `save`
//! ([`Host::attribute`] on the same object).
//!
//! **Scopes.** A method runs with its class's module names ([`Class::module`], a models.py's
//! constants and helpers, see [`Interp::run_module`]) in a scope below its locals, and with
//! `__class__` and `__self__` (its class and receiver) in a scope between, which the
//! zero-argument `super()` reads. An error raised in a module's code names its place there
//! ([`ModuleScope::locate`]); a module-level statement that fails binds the names it
//! defines to its error ([`Wrapper::Failed`]), raised when they are used — never when the
//! module is run.

use super::args::Args;
use super::obj::{Builtin, Function, FunctionBody, Obj};
pub use super::obj::{Class, ModuleScope, Object, Wrapper};
use super::{Host, Interp, Names};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::syntax::ast::{Arg, Expr, Stmt, StmtKind};
use crate::value::Value;
use std::cell::RefCell;
use std::rc::Rc;

fn wrap(w: Wrapper) -> Obj {
    Obj::Wrapper(Rc::new(w))
}

/// The method resolution order of a class's Python classes: depth first, left to right, each
/// class after every class that derives from it (C3's order for the hierarchies people write).
pub fn mro(c: &Rc<Class>) -> Vec<Rc<Class>> {
    fn walk(c: &Rc<Class>, out: &mut Vec<Rc<Class>>) {
        out.retain(|k| !Rc::ptr_eq(k, c));
        out.push(c.clone());
        for b in &c.bases {
            if let Obj::Class(b) = b {
                walk(b, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(c, &mut out);
    // Keep each class at its last place, so that a shared base comes after its subclasses.
    let mut seen: Vec<Rc<Class>> = Vec::new();
    for k in out.into_iter().rev() {
        if !seen.iter().any(|s| Rc::ptr_eq(s, &k)) {
            seen.push(k);
        }
    }
    seen.reverse();
    seen
}

/// Attribute `name` of class `c` or of a class after `after` in its MRO, with the class that
/// has it.
fn find(c: &Rc<Class>, name: &str, after: Option<&Rc<Class>>) -> Option<(Obj, Rc<Class>)> {
    // Most classes (a model's) derive from no other Python class: no MRO to make.
    if after.is_none() && !c.bases.iter().any(|b| matches!(b, Obj::Class(_))) {
        return c.dict.borrow().get(name).map(|v| (v.clone(), c.clone()));
    }
    let order = mro(c);
    let start = match after {
        Some(a) => order.iter().position(|k| Rc::ptr_eq(k, a))? + 1,
        None => 0,
    };
    order[start..]
        .iter()
        .find_map(|k| k.dict.borrow().get(name).map(|v| (v.clone(), k.clone())))
}

/// Whether class `c` is `base` or derives from it.
pub fn is_subclass(c: &Rc<Class>, base: &Rc<Class>) -> bool {
    mro(c).iter().any(|k| Rc::ptr_eq(k, base))
}

/// What CPython's `dir()` lists for a class or an instance of it, unsorted: the attributes
/// of every class in its MRO, what every class has (`__dict__`, `__module__`, `__weakref__`),
/// `object`'s own, and the instance's `__dict__`; a host base adds what the host lists
/// for it (`native_dir`).
pub fn dir_names(
    c: &Rc<Class>,
    instance: Option<&Object>,
    mut native_dir: impl FnMut(&Obj) -> Vec<String>,
) -> Vec<String> {
    let object = super::dir_names::NAMES
        .iter()
        .find(|(n, _)| *n == "object")
        .map_or(&[][..], |(_, names)| *names);
    let mut names: Vec<String> = object
        .iter()
        .chain(&["__dict__", "__module__", "__weakref__"])
        .map(|n| n.to_string())
        .collect();
    for k in mro(c) {
        names.extend(k.dict.borrow().keys().cloned());
        for b in k.bases.iter().filter(|b| matches!(b, Obj::Native(_))) {
            names.extend(native_dir(b));
        }
    }
    if let Some(o) = instance {
        names.extend(o.dict.borrow().iter().map(|(n, _)| n.clone()));
    }
    names
}

/// Whether a class may derive from built-in `b`: a value type (`str`, `int`, `float`,
/// `decimal.Decimal`), whose instances are a value ([`Object::value`]) with a `__dict__`.
fn value_class(b: Builtin) -> bool {
    matches!(
        b,
        Builtin::Str | Builtin::Int | Builtin::Float | Builtin::Std("decimal.Decimal")
    )
}

/// The built-in value type class `c` derives from, if any.
fn value_base(c: &Rc<Class>) -> Option<Builtin> {
    mro(c).iter().find_map(|k| {
        k.bases.iter().find_map(|b| match b {
            Obj::Builtin(b) => Some(*b),
            _ => None,
        })
    })
}

/// Python's "class Name" in messages.
fn class_repr(c: &Class) -> String {
    format!("<class '__main__.{}'>", c.name)
}

impl<H: Host> Interp<H> {
    /// `class Name(bases): body`: the body runs in a scope of its own, whose names become the
    /// class's dict; `module` is the module it is defined in. A base that is a host's class
    /// with a Python class ([`Host::class_of`]) is that Python class; `lenient` (a models.py
    /// read by a host that gives its classes their native side) leaves out bases that are not
    /// classes (`models.Model`).
    pub fn define_class(
        &mut self,
        name: &str,
        bases: &[Arg],
        body: &[Stmt],
        module: Option<Rc<ModuleScope>>,
        lenient: bool,
    ) -> Result<Rc<Class>> {
        let mut base_objs = Vec::new();
        for b in bases {
            let Arg::Positional(e) = b else {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    "class keywords (metaclass=...) are not supported by djq yet",
                )
                .at(arg_span(b)));
            };
            let base = match self.eval(e) {
                Err(_) if lenient => continue,
                base => base?,
            };
            match base {
                Obj::Native(n)
                    if let Some((c, false)) = H::class_of(self, &Obj::Native(n.clone())) =>
                {
                    base_objs.push(Obj::Class(c))
                }
                c @ (Obj::Class(_) | Obj::Native(_)) => base_objs.push(c),
                Obj::Builtin(b) if value_class(b) => base_objs.push(Obj::Builtin(b)),
                _ if lenient => {}
                // `class E(Exception)`: djq's exceptions are not classes of this kind.
                other => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!(
                            "djq cannot derive a class from a '{}' object",
                            other.type_name()
                        ),
                    )
                    .at(e.span));
                }
            }
        }
        self.frames.push(Names::default());
        let ran = self.exec_block(body);
        let mut dict = self.frames.pop().unwrap_or_default();
        for v in dict.values_mut() {
            *v = qualified(name, v);
        }
        if let super::Flow::Return(_) = ran? {
            return Err(Diagnostic::syntax(
                "'return' outside function",
                body.first().map_or_else(Span::default, |s| s.span),
            ));
        }
        Ok(Rc::new(Class {
            name: name.to_string(),
            bases: base_objs,
            dict: RefCell::new(dict),
            module,
        }))
    }

    /// Run a module's statements (a models.py's) into `module`'s names, adding to those it
    /// has (a host may run a module's classes after the rest). A class it defines is bound to
    /// what `bind_class` makes of it (a host gives its model classes their native side); a
    /// statement that fails binds each name it defines to its error; the errors, located, are
    /// returned in order.
    pub fn run_module(
        &mut self,
        body: &[Stmt],
        module: &Rc<ModuleScope>,
        bind_class: &mut dyn FnMut(&mut Interp<H>, Rc<Class>) -> Obj,
    ) -> Vec<Diagnostic> {
        let mut errors = Vec::new();
        self.frames.push(module.names.take());
        for stmt in body {
            let ran = match &stmt.kind {
                StmtKind::ClassDef {
                    name,
                    bases,
                    body,
                    decorators,
                } => self
                    .define_class(&name.name, bases, body, Some(module.clone()), true)
                    .and_then(|c| {
                        let made = match H::class_made(self, &c, body)? {
                            Some(made) => made,
                            None => bind_class(self, c),
                        };
                        self.decorate(made, decorators)
                    })
                    .map(|c| self.bind(&name.name, c)),
                StmtKind::FunctionDef { name, .. } => self.exec(stmt).map(|_| {
                    if let Some(func) = self.variable(&name.name).cloned() {
                        let module = module.clone();
                        self.bind(&name.name, wrap(Wrapper::InModule { func, module }));
                    }
                }),
                _ => self.exec(stmt).map(|_| ()),
            };
            if let Err(d) = ran {
                let located = module.locate(d);
                let failed = wrap(Wrapper::Failed(Box::new(located.clone())));
                for name in defined_names(stmt) {
                    self.bind(&name, failed.clone());
                }
                errors.push(located);
            }
        }
        *module.names.borrow_mut() = self.frames.pop().unwrap_or_default();
        errors
    }

    /// Run `f` with `module`'s names in scope (below its locals); errors raised there name
    /// their place in the module.
    pub fn in_module<T>(
        &mut self,
        module: &Rc<ModuleScope>,
        f: impl FnOnce(&mut Interp<H>) -> Result<T>,
    ) -> Result<T> {
        // The names are lent to the scope (a method called inside finds them there).
        let names = module.names.take();
        self.frames.push(names);
        let ran = f(self);
        let names = self.frames.pop().unwrap_or_default();
        if !names.is_empty() {
            *module.names.borrow_mut() = names;
        }
        ran.map_err(|d| module.locate(d))
    }

    /// Run `f` with `names` in a scope of their own above the current ones (a class body's
    /// names, which its fields' `default=` sees, over its module's).
    pub fn with_names<T>(
        &mut self,
        names: Names,
        f: impl FnOnce(&mut Interp<H>) -> Result<T>,
    ) -> Result<T> {
        self.frames.push(names);
        let ran = f(self);
        self.frames.pop();
        ran
    }

    /// Apply decorators (innermost, the last written, first) to what a `def` or `class` made.
    pub fn decorate(&mut self, mut made: Obj, decorators: &[Expr]) -> Result<Obj> {
        for d in decorators.iter().rev() {
            let f = self.eval(d)?;
            made = self.call(
                f,
                Args {
                    pos: vec![(made, d.span)],
                    kw: Vec::new(),
                    span: d.span,
                },
            )?;
        }
        Ok(made)
    }

    /// `property(f)`, `classmethod(f)`, `staticmethod(f)`, `super(...)`, `issubclass(a, b)`.
    pub fn call_class_builtin(&mut self, b: Builtin, args: Args) -> Result<Obj> {
        let span = args.span;
        let first = args.pos.first().map(|(o, _)| o.clone());
        match (b, first) {
            (Builtin::Super, _) => self.new_super(&args),
            (Builtin::Property, Some(f)) => Ok(wrap(Wrapper::Property(f, None))),
            (Builtin::ClassMethod, Some(f)) => Ok(wrap(Wrapper::ClassMethod(f))),
            (Builtin::StaticMethod, Some(f)) => Ok(wrap(Wrapper::StaticMethod(f))),
            (Builtin::Issubclass, Some(c)) if args.pos.len() == 2 => {
                Ok(Obj::bool(self.issubclass(&c, &args.pos[1].0, span)?))
            }
            (b, _) => Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "{}() takes {} arguments ({} given)",
                    format!("{b:?}").to_lowercase(),
                    if b == Builtin::Issubclass { 2 } else { 1 },
                    args.pos.len()
                ),
            )
            .at(span)),
        }
    }

    fn issubclass(&mut self, c: &Obj, base: &Obj, span: Span) -> Result<bool> {
        match (c, base) {
            (_, Obj::Tuple(bases)) => {
                for b in bases.iter() {
                    if self.issubclass(c, b, span)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            (Obj::Class(c), Obj::Class(b)) => Ok(is_subclass(c, b)),
            (Obj::Class(c), b @ Obj::Native(_)) => Ok(mro(c)
                .iter()
                .any(|k| k.bases.iter().any(|x| super::nested::is(x, b)))),
            (a @ Obj::Native(_), b @ Obj::Native(_)) => match self.host.is_subclass(a, b) {
                Some(yes) => Ok(yes),
                None => Ok(super::nested::py_eq(a, b)?),
            },
            (Obj::Native(_), Obj::Class(_))
            | (Obj::Class(_), Obj::Builtin(_) | Obj::ExceptionClass(_)) => Ok(false),
            _ => self.builtin_issubclass(c, base).map_err(|d| d.at(span)),
        }
    }

    /// `super()` in a method (its class and receiver from the method's scope), or
    /// `super(Class, obj)`; `None` outside a method, for the host's own `super`.
    fn new_super(&mut self, args: &Args) -> Result<Obj> {
        let (class, recv) = match args.pos.as_slice() {
            [] => (
                self.variable("__class__").cloned(),
                self.variable("__self__").cloned(),
            ),
            [(c, _), (o, _)] => (Some(c.clone()), Some(o.clone())),
            _ => (None, None),
        };
        match (class, recv) {
            (Some(Obj::Class(after)), Some(recv)) => Ok(wrap(Wrapper::Super { after, recv })),
            _ if args.pos.is_empty() => match H::name(self, "super", args.span)? {
                // A host's own super() (Django's manager methods).
                Some(f) => self.call(f, args.clone()),
                None => Err(Diagnostic::new(
                    ErrorKind::Python("RuntimeError".into()),
                    "super(): no arguments",
                )
                .at(args.span)),
            },
            _ => Err(
                Diagnostic::new(ErrorKind::Type, "super() argument 1 must be a type").at(args.span),
            ),
        }
    }

    /// The Python class of `o` and whether `o` is an instance of it (else the class itself).
    fn python_class(&mut self, o: &Obj) -> Option<(Rc<Class>, bool)> {
        match o {
            Obj::Object(inst) => Some((inst.class.clone(), true)),
            Obj::Class(c) => Some((c.clone(), false)),
            Obj::Native(_) => H::class_of(self, o),
            _ => None,
        }
    }

    /// `obj.name` as classes give it; `None`: `obj` has no Python class, or (for the host's
    /// objects) none of its classes has the name.
    pub fn class_attribute(&mut self, obj: &Obj, name: &str, span: Span) -> Result<Option<Obj>> {
        if let Obj::Wrapper(w) = obj {
            match &**w {
                Wrapper::Super { after, recv } => {
                    return self.super_attribute(after, recv, name, span).map(Some);
                }
                Wrapper::Property(..) if name == "setter" => {
                    return Ok(Some(Obj::Method(Rc::new(obj.clone()), name.into())));
                }
                _ => {}
            }
        }
        let Some((class, instance)) = self.python_class(obj) else {
            return Ok(None);
        };
        let found = find(&class, name, None);
        if instance {
            if let Some((Obj::Wrapper(w), _)) = &found
                && let Wrapper::Property(get, _) = &**w
            {
                return self
                    .call_method_of(get.clone(), obj.clone(), &class, Vec::new(), span)
                    .map(Some);
            }
            if let Obj::Object(inst) = obj {
                if name == "__dict__" {
                    return Ok(Some(Obj::dict(
                        inst.dict
                            .borrow()
                            .iter()
                            .map(|(k, v)| (Obj::str(k.clone()), v.clone()))
                            .collect(),
                    )));
                }
                if name == "__class__" {
                    return Ok(Some(Obj::Class(class)));
                }
                if let Some((_, v)) = inst.dict.borrow().iter().find(|(k, _)| k == name) {
                    return Ok(Some(v.clone()));
                }
            }
        } else if let Obj::Class(c) = obj {
            match name {
                "__name__" | "__qualname__" => return Ok(Some(Obj::str(c.name.clone()))),
                "__bases__" => return Ok(Some(Obj::tuple(c.bases.clone()))),
                _ => {}
            }
        }
        match found {
            Some((v, owner)) => self.bind_found(v, obj, instance, owner, span).map(Some),
            None if matches!(obj, Obj::Native(_)) => Ok(None),
            // The value's own (`cash.quantize`, `s.upper`), on its plain value.
            None if let Obj::Object(inst) = obj
                && let Some(v) = &inst.value =>
            {
                self.attribute(Obj::Value(v.clone()), name, span).map(Some)
            }
            None => Err(self.no_class_attribute(&class, instance, name, span)),
        }
    }

    /// An attribute found on a class, as `recv.name` gives it.
    fn bind_found(
        &mut self,
        v: Obj,
        recv: &Obj,
        instance: bool,
        owner: Rc<Class>,
        span: Span,
    ) -> Result<Obj> {
        let Obj::Wrapper(w) = &v else {
            return Ok(match v {
                Obj::Function(_) if instance => wrap(Wrapper::Bound {
                    recv: recv.clone(),
                    func: v,
                    owner,
                }),
                // Through the class (`Book.describe(b)`): a plain function, which still
                // runs among its module's names.
                Obj::Function(_) if let Some(module) = owner.module.clone() => {
                    wrap(Wrapper::InModule { func: v, module })
                }
                v => v,
            });
        };
        Ok(match &**w {
            Wrapper::ClassMethod(f) => wrap(Wrapper::Bound {
                recv: if instance {
                    self.class_object(recv)
                } else {
                    recv.clone()
                },
                func: f.clone(),
                owner,
            }),
            Wrapper::StaticMethod(f) => f.clone(),
            Wrapper::Property(get, _) if instance => {
                return self.call_method_of(get.clone(), recv.clone(), &owner, Vec::new(), span);
            }
            Wrapper::Failed(d) => return Err((**d).clone()),
            _ => v,
        })
    }

    /// The class of an instance as a value (`type(obj)`; a host's instance: its native class,
    /// which the host gives as `obj.__class__`).
    fn class_object(&mut self, recv: &Obj) -> Obj {
        match recv {
            Obj::Object(o) => Obj::Class(o.class.clone()),
            other => self
                .attribute(other.clone(), "__class__", Span::default())
                .unwrap_or(Obj::NONE),
        }
    }

    /// `super().name`: past `after` in the MRO of `recv`'s class; past every Python class, the
    /// host's own attribute of `recv`.
    fn super_attribute(
        &mut self,
        after: &Rc<Class>,
        recv: &Obj,
        name: &str,
        span: Span,
    ) -> Result<Obj> {
        let (class, instance) = self
            .python_class(recv)
            .unwrap_or_else(|| (after.clone(), true));
        if let Some((v, owner)) = find(&class, name, Some(after)) {
            return self.bind_found(v, recv, instance, owner, span);
        }
        if let Obj::Native(_) = recv
            && let Some(v) = H::attribute(self, recv, name, span)?
        {
            return Ok(v);
        }
        match name {
            // object.__init__ and the like: nothing to do.
            "__init__" => Ok(Obj::Builtin(Builtin::NoOp)),
            _ => Err(Diagnostic::new(
                ErrorKind::Attribute,
                format!("'super' object has no attribute '{name}'"),
            )
            .at(span)),
        }
    }

    fn no_class_attribute(
        &self,
        class: &Rc<Class>,
        instance: bool,
        name: &str,
        span: Span,
    ) -> Diagnostic {
        let msg = if instance {
            format!("'{}' object has no attribute '{name}'", class.name)
        } else {
            format!("type object '{}' has no attribute '{name}'", class.name)
        };
        Diagnostic::new(ErrorKind::Attribute, msg).at(span)
    }

    /// Call `func` as a method of `owner` with `recv` first: its scope has the class's module
    /// names, `__class__` and `__self__` (for `super()`).
    fn call_method_of(
        &mut self,
        func: Obj,
        recv: Obj,
        owner: &Rc<Class>,
        mut pos: Vec<(Obj, Span)>,
        span: Span,
    ) -> Result<Obj> {
        pos.insert(0, (recv.clone(), span));
        let args = Args {
            pos,
            kw: Vec::new(),
            span,
        };
        self.call_bound(&func, recv, owner, args)
    }

    fn call_bound(&mut self, func: &Obj, recv: Obj, owner: &Rc<Class>, args: Args) -> Result<Obj> {
        let Obj::Function(f) = func else {
            return self.call(func.clone(), args);
        };
        let f: Rc<Function> = f.clone();
        // Wrong arguments are the caller's error; the body's, the module's.
        let locals = self.bind_params(&f, args)?;
        let run = |s: &mut Interp<H>| {
            let method = Names::from_iter([
                ("__class__".to_string(), Obj::Class(owner.clone())),
                ("__self__".to_string(), recv),
            ]);
            s.in_scope(method, |s| s.run_function(&f, locals))
        };
        match &owner.module {
            Some(module) => self.in_module(module, run),
            None => run(self),
        }
    }

    /// `prop.setter(fset)`: the property with its setter.
    pub fn call_wrapper_method(&mut self, recv: &Obj, name: &str, args: Args) -> Result<Obj> {
        match (recv, name, args.pos.first()) {
            (Obj::Wrapper(w), "setter", Some((set, _))) if let Wrapper::Property(get, _) = &**w => {
                Ok(wrap(Wrapper::Property(get.clone(), Some(set.clone()))))
            }
            _ => Err(Diagnostic::new(
                ErrorKind::Attribute,
                format!("'{}' object has no attribute '{name}'", recv.type_name()),
            )
            .at(args.span)),
        }
    }

    /// Call a class (make an instance), a bound method or a wrapped function.
    pub fn call_class_obj(&mut self, f: &Obj, mut args: Args) -> Result<Obj> {
        match f {
            Obj::Class(c) => self.instantiate(c, args),
            Obj::Wrapper(w) => match &**w {
                Wrapper::Bound { recv, func, owner } => {
                    args.pos.insert(0, (recv.clone(), args.span));
                    self.call_bound(func, recv.clone(), owner, args)
                }
                Wrapper::StaticMethod(func) | Wrapper::ClassMethod(func) => {
                    self.call(func.clone(), args)
                }
                Wrapper::InModule { func, module } => {
                    self.in_module(module, |s| s.call(func.clone(), args))
                }
                _ => Err(not_callable(f, args.span)),
            },
            Obj::Object(_) => match self.class_attribute(f, "__call__", args.span) {
                Ok(Some(m)) => self.call(m, args),
                _ => Err(not_callable(f, args.span)),
            },
            _ => Err(not_callable(f, args.span)),
        }
    }

    /// `Class(...)`: a new instance, initialised by the class's `__init__`.
    fn instantiate(&mut self, c: &Rc<Class>, args: Args) -> Result<Obj> {
        if let Some(native) = mro(c)
            .iter()
            .flat_map(|k| k.bases.iter())
            .find(|b| matches!(b, Obj::Native(_)))
        {
            if let Some(made) = H::instantiate_native(self, c, native, &args) {
                return made;
            }
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "djq cannot make instances of a class derived from {}",
                    self.repr(native)?
                ),
            )
            .at(args.span));
        }
        // `Cash(value)` of `class Cash(Decimal)`: the base makes the value (its `__new__`).
        let value = match value_base(c) {
            Some(base) => match self.call(Obj::Builtin(base), args.clone())? {
                Obj::Value(v) => Some(v),
                _ => None,
            },
            None => None,
        };
        let made_value = value.is_some();
        let obj = Obj::Object(Rc::new(Object {
            class: c.clone(),
            dict: RefCell::new(Vec::new()),
            value,
        }));
        match find(c, "__init__", None) {
            Some((init, owner)) => {
                let span = args.span;
                let mut args = args;
                args.pos.insert(0, (obj.clone(), span));
                let ret = self.call_bound(&init, obj.clone(), &owner, args)?;
                if !ret.is_none() {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!("__init__() should return None, not '{}'", ret.type_name()),
                    )
                    .at(span));
                }
            }
            None if !made_value && (!args.pos.is_empty() || !args.kw.is_empty()) => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("{}() takes no arguments", c.name),
                )
                .at(args.span));
            }
            None => {}
        }
        Ok(obj)
    }

    /// `owner.name = value` on an instance or a class; on a host's object whose class has a
    /// property of that name, the property's error; `None`: the host sets it.
    pub fn set_class_attribute(
        &mut self,
        owner: &Obj,
        name: &str,
        value: Obj,
        span: Span,
    ) -> Result<Option<Obj>> {
        let Some((class, instance)) = self.python_class(owner) else {
            return Ok(Some(value));
        };
        if instance
            && let Some((Obj::Wrapper(w), owner_class)) = find(&class, name, None)
            && let Wrapper::Property(_, set) = &*w
        {
            if let Some(set) = set {
                let args = vec![(value, span)];
                self.call_method_of(set.clone(), owner.clone(), &owner_class, args, span)?;
                return Ok(None);
            }
            return Err(Diagnostic::new(
                ErrorKind::Attribute,
                format!("property '{name}' of '{}' object has no setter", class.name),
            )
            .at(span));
        }
        match owner {
            Obj::Object(inst) => {
                let mut dict = inst.dict.borrow_mut();
                match dict.iter_mut().find(|(k, _)| k == name) {
                    Some((_, v)) => *v = value,
                    None => dict.push((name.to_string(), value)),
                }
                Ok(None)
            }
            Obj::Class(c) => {
                c.dict.borrow_mut().insert(name.to_string(), value);
                Ok(None)
            }
            _ => Ok(Some(value)),
        }
    }

    /// `str()`/`repr()` (`which` is `__str__` or `__repr__`) as the object's class defines
    /// it; `None`: its class does not (a Python instance then shows as Python's default).
    pub fn class_text(&mut self, o: &Obj, which: &str) -> Result<Option<String>> {
        let Some((class, true)) = self.python_class(o) else {
            return Ok(match o {
                Obj::Class(c) => Some(class_repr(c)),
                Obj::Wrapper(w) => Some(match &**w {
                    Wrapper::Bound { func, .. } => format!(
                        "<bound method {}>",
                        match func {
                            Obj::Function(f) => f.name.clone(),
                            other => other.type_name(),
                        }
                    ),
                    other => format!("<{} object>", other.type_name()),
                }),
                _ => None,
            });
        };
        let Some((f, owner)) = find(&class, which, None) else {
            return Ok(match o {
                // An instance of `class Cash(Decimal)`: its value's (`py_str`, `repr`).
                Obj::Object(inst) if inst.value.is_some() => None,
                Obj::Object(inst) => Some(format!(
                    "<__main__.{} object at {:#x}>",
                    class.name,
                    Rc::as_ptr(inst) as usize
                )),
                _ => None,
            });
        };
        match self.call_method_of(f, o.clone(), &owner, Vec::new(), Span::default())? {
            Obj::Value(Value::Text(s)) => Ok(Some(s)),
            other => Err(Diagnostic::new(
                ErrorKind::Type,
                format!("{which} returned non-string (type {})", other.type_name()),
            )),
        }
    }

    /// `l == r` by `l.__eq__` (or `r.__eq__`); `None`: neither defines it.
    pub fn class_eq(&mut self, l: &Obj, r: &Obj, span: Span) -> Result<Option<bool>> {
        for (a, b) in [(l, r), (r, l)] {
            if let Some((class, true)) = self.python_class(a)
                && let Some((f, owner)) = find(&class, "__eq__", None)
            {
                let v = self.call_method_of(f, a.clone(), &owner, vec![(b.clone(), span)], span)?;
                return Ok(Some(self.truthy(&v, &super::args::dummy(span))?));
            }
        }
        Ok(None)
    }

    /// `len(o)` by `o.__len__`; `None`: its class does not define it.
    pub fn class_len(&mut self, o: &Obj, span: Span) -> Result<Option<usize>> {
        let Some((class, true)) = self.python_class(o) else {
            return Ok(None);
        };
        let Some((f, owner)) = find(&class, "__len__", None) else {
            return Ok(None);
        };
        match self.call_method_of(f, o.clone(), &owner, Vec::new(), span)? {
            Obj::Value(Value::Int(n)) if n >= 0 => Ok(Some(n as usize)),
            Obj::Value(Value::Int(_)) => {
                Err(Diagnostic::new(ErrorKind::Value, "__len__() should return >= 0").at(span))
            }
            other => Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "'{}' object cannot be interpreted as an integer",
                    other.type_name()
                ),
            )
            .at(span)),
        }
    }

    /// `isinstance(o, c)` for a Python class `c`.
    pub fn class_isinstance(&mut self, o: &Obj, c: &Rc<Class>) -> bool {
        match self.python_class(o) {
            Some((class, true)) => is_subclass(&class, c),
            _ => false,
        }
    }

    /// A method of `o`'s Python class, bound to `o` (`None`: its classes do not define it).
    pub fn class_method(&mut self, o: &Obj, name: &str) -> Result<Option<Obj>> {
        let Some((class, instance)) = self.python_class(o) else {
            return Ok(None);
        };
        match find(&class, name, None) {
            Some((v, owner)) => self
                .bind_found(v, o, instance, owner, Span::default())
                .map(Some),
            None => Ok(None),
        }
    }
}

fn arg_span(a: &Arg) -> Span {
    match a {
        Arg::Positional(e) | Arg::Star(e) | Arg::DoubleStar(e) => e.span,
        Arg::Keyword { name, value } => name.span.to(value.span),
    }
}

fn not_callable(f: &Obj, span: Span) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Type,
        format!("'{}' object is not callable", f.type_name()),
    )
    .at(span)
}

/// A `def` as the function object it makes.
pub fn function(name: &str, params: &[crate::syntax::ast::Param], body: &[Stmt]) -> Obj {
    Obj::Function(Rc::new(Function {
        name: name.to_string(),
        params: params.to_vec(),
        body: FunctionBody::Block(body.to_vec()),
    }))
}

/// A function of class `class` named as Python's messages name it (`Card.__init__`).
fn qualified(class: &str, v: &Obj) -> Obj {
    match v {
        Obj::Function(f) => Obj::Function(Rc::new(Function {
            name: format!("{class}.{}", f.name),
            ..(**f).clone()
        })),
        Obj::Wrapper(w) => match &**w {
            Wrapper::Property(f, set) => wrap(Wrapper::Property(
                qualified(class, f),
                set.as_ref().map(|s| qualified(class, s)),
            )),
            Wrapper::ClassMethod(f) => wrap(Wrapper::ClassMethod(qualified(class, f))),
            Wrapper::StaticMethod(f) => wrap(Wrapper::StaticMethod(qualified(class, f))),
            _ => v.clone(),
        },
        Obj::Native(n) => n.qualified(class).unwrap_or_else(|| v.clone()),
        _ => v.clone(),
    }
}

/// The names a statement binds, for the error it raised instead.
fn defined_names(stmt: &Stmt) -> Vec<String> {
    match &stmt.kind {
        StmtKind::Import(aliases) => aliases
            .iter()
            .map(|a| match &a.asname {
                Some(alias) => alias.name.to_string(),
                None => a.name.split('.').next().unwrap_or(&a.name).to_string(),
            })
            .collect(),
        StmtKind::ImportFrom { names, .. } => names
            .iter()
            .map(|a| {
                a.asname
                    .as_ref()
                    .map_or(&a.name[..], |i| &i.name)
                    .to_string()
            })
            .collect(),
        StmtKind::Assign { targets, .. } => targets
            .iter()
            .filter_map(|t| match &t.kind {
                crate::syntax::ast::ExprKind::Name(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        StmtKind::FunctionDef { name, .. } | StmtKind::ClassDef { name, .. } => {
            vec![name.name.to_string()]
        }
        StmtKind::Unread {
            defines: Some(d), ..
        } => vec![d.name.name.to_string()],
        StmtKind::Async(inner) => defined_names(inner),
        _ => Vec::new(),
    }
}
