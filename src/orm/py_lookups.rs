//! Lookups and transforms written in Python: Django's `Lookup`, `Transform` and the built-in
//! lookups' classes a project derives from, `register_lookup` on field classes and on
//! transforms, and the bridge that writes their SQL (`crate::query::py_call`).
//!
//! **The classes** are Python (`py_lookups.py`, run once, when first needed): `models.Lookup`
//! and `models.Transform` are stand-ins whose Python class ([`Host::class_of`]) is that
//! module's, and `django.db.models.lookups.Exact` (djq's native lookup, which still makes
//! the expression `Exact(F('x'), 1)`) has the module's `Exact` as its class, so that `class
//! YearLte(LessThanOrEqual)` derives from it.
//!
//! **Registration** (`DateField.register_lookup(cls, lookup_name=None)`, the decorator
//! `@YearTransform.register_lookup`, `_unregister_lookup`) records the class in the schema's
//! registry (`crate::schema::py_lookups`), by a [`ClassId`] this module gives each class:
//! what the query layer needs to resolve `birthdate__testyear__lte` — a transform's
//! `bilateral` and `output_field`, a lookup that derives from a built-in one and writes no
//! SQL of its own (`class CustomStartsWith(StartsWith)`) as that built-in.
//!
//! **The bridge**: a query holding a [`PyCall`] is compiled with [`Session::compile_select`]
//! (and `compile_count`, `compile_aggregate_over`), whose [`PySql`] makes the Python objects
//! (`YearLte(YearTransform(<birthdate>), 2012)`: `self.lhs.lhs` is the column) and calls
//! `as_<vendor>` or `as_sql(compiler, connection)`. `compiler.compile(node)` of a node djq
//! wrote gives `("%s", [node])`, the node standing for its own SQL, so the class's string
//! formatting and parameter lists carry it to where the writer puts the node's real SQL;
//! of a Python node, that node's `as_sql`. `connection` is `django.db.connection`
//! (`vendor`, `ops.quote_name()`, `ops.date_extract_sql()`, `operators`).
//!
//! [`Host::class_of`]: crate::py::Host::class_of

use super::Session;
use super::obj::{DjangoFn, DjangoObj};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::native_any;
use crate::py::classes::{Class, ModuleScope, mro};
use crate::py::{Args, Native, Obj};
use crate::query::Expr;
use crate::query::py_call::{PyCall, PySql, Template};
use crate::schema::py_lookups::{ClassId, Owner, Registered, What};
use crate::value::Value;
use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

/// The module of the Python classes, once run, and the classes registered so far (a
/// [`ClassId`] is an index here).
#[derive(Default)]
pub(super) struct State {
    /// The module's names once it ran (its scope lends them to the frames of its methods
    /// while they run: a copy is what a method's `connection.ops` reads).
    module: Option<crate::py::Names>,
    classes: Vec<Rc<Class>>,
}

/// `models.Lookup`, `models.Transform`: a name of the Python module, as a class to derive
/// from.
#[derive(Debug)]
pub(super) struct BaseClass(pub &'static str);

impl Native for BaseClass {
    fn type_name(&self) -> Cow<'_, str> {
        "type".into()
    }
    fn is_singleton(&self) -> bool {
        true
    }
    native_any!();
}

/// djq's functions the Python module calls, and a field class's `register_lookup`.
#[derive(Debug, Clone)]
enum Function {
    /// `_register_lookup(owner, lookup, lookup_name)` / `_unregister_lookup(...)`.
    Register { unregister: bool },
    /// `FieldClass.register_lookup(lookup, lookup_name=None)` / `_unregister_lookup`.
    FieldRegister { owner: Owner, unregister: bool },
    /// `_is_expression(value)`: a node (not a plain value).
    IsExpression,
    /// `_parenthesized(node)`: its SQL starts with `(` (a subquery).
    Parenthesized,
}

impl Native for Function {
    fn type_name(&self) -> Cow<'_, str> {
        "function".into()
    }
    fn callable(&self) -> bool {
        true
    }
    native_any!();
}

/// A node djq writes, handed to Python (`self.lhs` of a lookup on a column).
#[derive(Debug)]
struct Node(Expr);

impl Native for Node {
    fn type_name(&self) -> Cow<'_, str> {
        match &self.0 {
            Expr::Col(_) => "Col",
            Expr::Subquery(_) => "Subquery",
            _ => "Expression",
        }
        .into()
    }
    native_any!();
}

/// A parameter standing for a node's SQL: the `n`th of the compiler's nodes.
#[derive(Debug)]
struct Placeholder(usize);

impl Native for Placeholder {
    fn type_name(&self) -> Cow<'_, str> {
        "Placeholder".into()
    }
    native_any!();
}

/// The `compiler` a class's `as_sql` gets: the nodes its `compile()` handed out.
#[derive(Debug, Default)]
struct Compiler(RefCell<Vec<Expr>>);

impl Native for Compiler {
    fn type_name(&self) -> Cow<'_, str> {
        "SQLCompiler".into()
    }
    native_any!();
}

const SOURCE: &str = include_str!("py_lookups.py");

impl super::Orm {
    /// `models.Lookup`, `models.Transform` (and `Field`, `ForeignObject`, whose
    /// `register_lookup` djq has): the stand-in of the Python module's class.
    pub(super) fn lookup_base(name: &'static str) -> Obj {
        Obj::new_native(BaseClass(name))
    }
}

impl Session {
    /// A name of the Python module, which runs the first time.
    fn lookups_name(&mut self, name: &str) -> Result<Obj> {
        if self.host.py_lookups.module.is_none() {
            let program = crate::syntax::parse_module(SOURCE)?;
            let scope = Rc::new(ModuleScope {
                names: RefCell::default(),
                place: Box::new(|offset| format!("<django.db.models.lookups>:{offset}")),
            });
            {
                let mut names = scope.names.borrow_mut();
                for (name, f) in [
                    ("_register_lookup", Function::Register { unregister: false }),
                    (
                        "_unregister_lookup",
                        Function::Register { unregister: true },
                    ),
                    ("_is_expression", Function::IsExpression),
                    ("_parenthesized", Function::Parenthesized),
                ] {
                    names.insert(name.to_string(), Obj::new_native(f));
                }
            }
            self.run_module(&program.body, &scope, &mut |_, c| Obj::Class(c));
            self.host.py_lookups.module = Some(scope.names.borrow().clone());
        }
        let names = self.host.py_lookups.module.as_ref();
        names.and_then(|n| n.get(name).cloned()).ok_or_else(|| {
            Diagnostic::new(
                ErrorKind::NotSupported,
                format!("django.db.models.lookups.{name} is not supported by djq yet"),
            )
        })
    }

    fn lookups_class(&mut self, name: &str) -> Option<Rc<Class>> {
        match self.lookups_name(name) {
            Ok(Obj::Class(c)) => Some(c),
            _ => None,
        }
    }

    /// Run the models modules that register lookups (`models.CharField.register_lookup(...)`
    /// at module level, `@Div3.register_lookup`), as Django's app loading imports them: a
    /// query may use the names they register before anything else needs their Python.
    pub(super) fn register_models_lookups(&mut self) {
        let mut run: Vec<std::sync::Arc<crate::schema::PyModule>> = Vec::new();
        for m in 0..self.host.schema.models.len() {
            let Some(module) = self.host.schema.model(m).module.clone() else {
                continue;
            };
            if module.mentions("register_lookup")
                && !run.iter().any(|r| std::sync::Arc::ptr_eq(r, &module))
            {
                run.push(module);
                self.model_module(m);
            }
        }
    }

    /// `connection.ops` (`quote_name()`, `date_extract_sql()`) and `connection.operators`
    /// of the session's database.
    pub(super) fn connection_lookups_attribute(&mut self, name: &str) -> Result<Obj> {
        let which = match (self.host.dialect, name) {
            (crate::sql::Dialect::Sqlite, "ops") => "sqlite_ops",
            (crate::sql::Dialect::Postgres, "ops") => "postgresql_ops",
            (crate::sql::Dialect::Sqlite, _) => "SQLITE_OPERATORS",
            (crate::sql::Dialect::Postgres, _) => "POSTGRESQL_OPERATORS",
        };
        self.lookups_name(which)
    }

    /// `django.db.connection`.
    fn connection(&mut self) -> Result<Obj> {
        let module = self.host.django_module("django.db");
        module
            .and_then(|m| m.attrs.get("connection").cloned())
            .ok_or_else(|| Diagnostic::new(ErrorKind::Name, "name 'connection' is not defined"))
    }

    /// The Python class of `models.Lookup`/`models.Transform` and of djq's native lookups
    /// (for [`crate::py::Host::class_of`]).
    pub(super) fn lookup_class_of(&mut self, o: &Obj) -> Option<Rc<Class>> {
        if let Some(BaseClass(name)) = o.native::<BaseClass>() {
            return self.lookups_class(name);
        }
        if let Some(DjangoFn::Lookup(lookup)) = o.django_fn() {
            return self.lookups_class(super::Orm::lookup_class_name(lookup)?);
        }
        None
    }

    fn class_id(&mut self, c: &Rc<Class>) -> ClassId {
        let classes = &mut self.host.py_lookups.classes;
        let i = match classes.iter().position(|k| Rc::ptr_eq(k, c)) {
            Some(i) => i,
            None => {
                classes.push(c.clone());
                classes.len() - 1
            }
        };
        ClassId::try_from(i).expect("fewer classes than u32")
    }

    /// `register_lookup` on a field class (`models.DateField.register_lookup`): the bound
    /// method; `connection.ops` and `connection.operators`; `None` for other attributes.
    pub(super) fn py_lookup_attribute(&mut self, obj: &Obj, name: &str) -> Option<Result<Obj>> {
        let unregister = match name {
            "register_lookup" => false,
            "_unregister_lookup" => true,
            "compile" | "quote_name" if obj.native::<Compiler>().is_some() => {
                return Some(Ok(Obj::Method(Rc::new(obj.clone()), name.into())));
            }
            _ => return None,
        };
        // A model's field (`Book._meta.get_field("title")`): lookups of that field only.
        if let Some(f) = obj.native::<super::meta::MetaField>() {
            let super::meta::MetaField::Concrete(m, i) = *f else {
                return Some(Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!("{name}() on a relation's field instance is not supported by djq yet"),
                )));
            };
            let owner = Owner::Instance(m, i);
            return Some(Ok(Obj::new_native(Function::FieldRegister {
                owner,
                unregister,
            })));
        }
        let owner = match (obj.django_fn(), obj.native::<BaseClass>()) {
            (Some(DjangoFn::Field(kind)), _) => Owner::Field(kind.django_name().to_string()),
            (_, Some(BaseClass(name @ ("Field" | "ForeignObject")))) => {
                Owner::Field(name.to_string())
            }
            _ => return None,
        };
        Some(Ok(Obj::new_native(Function::FieldRegister {
            owner,
            unregister,
        })))
    }

    /// Calls of this module's functions; `None` for other objects.
    pub(super) fn py_lookup_call(&mut self, f: &Obj, args: &Args) -> Option<Result<Obj>> {
        let func = f.native::<Function>()?.clone();
        let arg = |i: usize| args.pos.get(i).map(|(o, _)| o.clone());
        Some(match func {
            Function::Register { unregister } => match (arg(0), arg(1)) {
                (Some(owner), Some(lookup)) => {
                    let name = arg(2).or_else(|| args.kwarg("lookup_name").cloned());
                    self.register_lookup(&owner, &lookup, name, unregister, args.span)
                }
                _ => Err(missing_lookup(args.span)),
            },
            Function::FieldRegister { owner, unregister } => match arg(0) {
                Some(lookup) => {
                    let name = arg(1).or_else(|| args.kwarg("lookup_name").cloned());
                    self.register_on(owner, &lookup, name, unregister, args.span)
                }
                None => Err(missing_lookup(args.span)),
            },
            Function::IsExpression => Ok(Obj::bool(
                arg(0).is_some_and(|o| !matches!(o, Obj::Value(_))),
            )),
            Function::Parenthesized => Ok(Obj::bool(arg(0).is_some_and(|o| {
                o.native::<Node>()
                    .is_some_and(|n| matches!(n.0, Expr::Subquery(_) | Expr::Parens(_)))
            }))),
        })
    }

    /// `compiler.compile(node)`; `None` for other methods.
    pub(super) fn py_lookup_method(
        &mut self,
        recv: &Obj,
        name: &str,
        args: &Args,
    ) -> Option<Result<Obj>> {
        recv.native::<Compiler>()?;
        if name == "quote_name" {
            // `compiler.quote_name(name)`: `connection.ops.quote_name(name)`
            let quoted = (self.connection_lookups_attribute("ops"))
                .and_then(|ops| self.attribute(ops, "quote_name", args.span))
                .and_then(|f| self.call(f, args.clone()));
            return Some(quoted);
        }
        if name != "compile" {
            return None;
        }
        let Some((node, _)) = args.pos.first() else {
            return Some(Err(Diagnostic::new(
                ErrorKind::Type,
                "compile() missing 1 required positional argument: 'node'",
            )
            .at(args.span)));
        };
        Some(self.compile_node(recv, node))
    }

    /// `register_lookup(owner, lookup, lookup_name)` where `owner` is a transform class.
    fn register_lookup(
        &mut self,
        owner: &Obj,
        lookup: &Obj,
        name: Option<Obj>,
        unregister: bool,
        span: Span,
    ) -> Result<Obj> {
        let owner = match owner {
            Obj::Class(c) => Owner::Class(self.class_id(c)),
            other => {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "register_lookup() on a '{}' is not supported by djq yet",
                        other.type_name()
                    ),
                )
                .at(span));
            }
        };
        self.register_on(owner, lookup, name, unregister, span)
    }

    /// Record (or take back) `lookup` registered on `owner` as `name` (its `lookup_name`
    /// when `None`); returns the lookup, as Django's decorator does.
    fn register_on(
        &mut self,
        owner: Owner,
        lookup: &Obj,
        name: Option<Obj>,
        unregister: bool,
        span: Span,
    ) -> Result<Obj> {
        if let Some(DjangoFn::Func(func)) = lookup.django_fn() {
            return self.register_func(owner, func, false, name, unregister, span);
        }
        // A Python subclass of a database function (`class UpperBilateral(Upper)`).
        if let Obj::Class(c) = lookup
            && let Some(func) =
                mro(c)
                    .iter()
                    .flat_map(|k| k.bases.clone())
                    .find_map(|b| match b.django_fn() {
                        Some(DjangoFn::Func(f)) => Some(f),
                        _ => None,
                    })
        {
            let flag = self
                .attribute(lookup.clone(), "bilateral", span)
                .unwrap_or(Obj::bool(false));
            let bilateral = self.truthy(&flag, &crate::py::args::dummy(span))?;
            let own = c.dict.borrow().get("lookup_name").cloned();
            return self.register_func(owner, func, bilateral, name.or(own), unregister, span);
        }
        let class = match lookup {
            Obj::Class(c) => c.clone(),
            other => match self.lookup_class_of(other) {
                Some(c) => c,
                None => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!(
                            "register_lookup() takes a Lookup or Transform class, not '{}'",
                            other.type_name()
                        ),
                    )
                    .at(span));
                }
            },
        };
        let name = match name.filter(|n| !n.is_none()) {
            Some(n) => n,
            None => self.attribute(Obj::Class(class.clone()), "lookup_name", span)?,
        };
        let Obj::Value(Value::Text(name)) = name else {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!("lookup_name must be a string, not '{}'", name.type_name()),
            )
            .at(span));
        };
        if unregister {
            self.host.schema.py_lookups.unregister(&owner, &name);
            return Ok(Obj::NONE);
        }
        let what = self.what(&class, span)?;
        let id = self.class_id(&class);
        self.host.schema.py_lookups.register(Registered {
            owner,
            name,
            class: id,
            what,
        });
        Ok(lookup.clone())
    }

    /// One of Django's database functions registered as a transform (`Lower`, whose
    /// `lookup_name` is `lower`; `ExtractYear`'s is `year`).
    fn register_func(
        &mut self,
        owner: Owner,
        func: crate::query::func::FuncKind,
        bilateral: bool,
        name: Option<Obj>,
        unregister: bool,
        span: Span,
    ) -> Result<Obj> {
        use crate::query::func::FuncKind;
        let class = FuncKind::class_names()
            .into_iter()
            .find(|n| FuncKind::from_name(n) == Some(func))
            .unwrap_or_else(|| func.name().to_string());
        let own_name = match func {
            FuncKind::Extract(part) => part.name().to_string(),
            _ => class.to_lowercase(),
        };
        if func.arity().0 != 1 {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!("{class} as a registered transform is not supported by djq yet"),
            )
            .at(span));
        }
        let name = match name.filter(|n| !n.is_none()) {
            Some(Obj::Value(Value::Text(n))) => n,
            Some(other) => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("lookup_name must be a string, not '{}'", other.type_name()),
                )
                .at(span));
            }
            None => own_name,
        };
        if unregister {
            self.host.schema.py_lookups.unregister(&owner, &name);
            return Ok(Obj::NONE);
        }
        self.host.schema.py_lookups.register(Registered {
            owner,
            name,
            class: 0,
            what: What::Func { class, bilateral },
        });
        Ok(Obj::NONE)
    }

    /// What the query layer needs to know of a registered class.
    fn what(&mut self, class: &Rc<Class>, span: Span) -> Result<What> {
        let transform = self.lookups_class("Transform");
        let order = mro(class);
        let is_transform = transform
            .as_ref()
            .is_some_and(|t| order.iter().any(|k| Rc::ptr_eq(k, t)));
        if is_transform {
            let bilateral = self.attribute(Obj::Class(class.clone()), "bilateral", span)?;
            let bilateral = self.truthy(&bilateral, &crate::py::args::dummy(span))?;
            let mro_ids = order.iter().map(|k| self.class_id(k)).collect();
            return Ok(What::Transform {
                bilateral,
                output: self.transform_output(class, &order),
                mro: mro_ids,
            });
        }
        // A built-in lookup's SQL when no class of the user's changes how it is written and
        // its `lookup_name` is the built-in's (Django's `get_rhs_op` reads
        // `connection.operators[self.lookup_name]`: a renamed one fails there, in Python).
        const WRITERS: &[&str] = &[
            "as_sql",
            "as_sqlite",
            "as_postgresql",
            "get_rhs_op",
            "process_lhs",
            "process_rhs",
            "get_db_prep_lookup",
        ];
        let mut builtin_name = None;
        for k in &order {
            let ours = self
                .lookups_class(&k.name)
                .is_some_and(|c| Rc::ptr_eq(&c, k));
            if !ours {
                if WRITERS.iter().any(|w| k.dict.borrow().contains_key(*w)) {
                    builtin_name = None;
                    break;
                }
                continue;
            }
            let name = k.dict.borrow().get("lookup_name").cloned();
            if let Some(Obj::Value(Value::Text(n))) = name
                && super::Orm::lookup_class_name(&n) == Some(k.name.as_str())
            {
                builtin_name = Some(n);
                break;
            }
        }
        let own_name = self.attribute(Obj::Class(class.clone()), "lookup_name", span)?;
        let builtin =
            builtin_name.filter(|b| matches!(&own_name, Obj::Value(Value::Text(n)) if n == b));
        let prepare_rhs = self.attribute(Obj::Class(class.clone()), "prepare_rhs", span)?;
        let prepare_rhs = self.truthy(&prepare_rhs, &crate::py::args::dummy(span))?;
        Ok(What::Lookup {
            builtin,
            prepare_rhs,
        })
    }

    /// A transform's `output_field` when one of the user's classes defines it: the field's
    /// class (of an instance made on no input).
    fn transform_output(
        &mut self,
        class: &Rc<Class>,
        order: &[Rc<Class>],
    ) -> Option<crate::schema::FieldKind> {
        let base = self.lookups_class("Transform")?;
        let own = order
            .iter()
            .take_while(|k| !Rc::ptr_eq(k, &base))
            .any(|k| k.dict.borrow().contains_key("output_field"));
        if !own {
            return None;
        }
        let args = Args {
            pos: vec![(Obj::NONE, Span::default())],
            kw: Vec::new(),
            span: Span::default(),
        };
        let inst = self.call(Obj::Class(class.clone()), args).ok()?;
        let field = self.attribute(inst, "output_field", Span::default()).ok()?;
        field.field_instance().map(|t| t.kind)
    }

    /// `compiler.compile(node)`: a node djq writes stands for itself (`%s`); a Python
    /// node's SQL is its class's.
    fn compile_node(&mut self, compiler: &Obj, node: &Obj) -> Result<Obj> {
        let Some(c) = compiler.native::<Compiler>() else {
            unreachable!("a compiler")
        };
        let placeholder = |e: Expr| {
            let mut nodes = c.0.borrow_mut();
            nodes.push(e);
            Obj::new_native(Placeholder(nodes.len() - 1))
        };
        match node {
            Obj::Object(_) => {
                let vendor = match self.host.dialect {
                    crate::sql::Dialect::Sqlite => "as_sqlite",
                    crate::sql::Dialect::Postgres => "as_postgresql",
                };
                let method = match self.class_method(node, vendor)? {
                    Some(m) => m,
                    None => self.attribute(node.clone(), "as_sql", Span::default())?,
                };
                let args = Args {
                    pos: vec![
                        (compiler.clone(), Span::default()),
                        (self.connection()?, Span::default()),
                    ],
                    kw: Vec::new(),
                    span: Span::default(),
                };
                self.call(method, args)
            }
            Obj::Value(v) => Ok(Obj::tuple(vec![
                Obj::str("%s"),
                Obj::list(vec![Obj::Value(v.clone())]),
            ])),
            other => match other.native::<Node>() {
                Some(n) => {
                    let p = placeholder(n.0.clone());
                    Ok(Obj::tuple(vec![Obj::str("%s"), Obj::list(vec![p])]))
                }
                None => Err(Diagnostic::new(
                    ErrorKind::Attribute,
                    format!("'{}' object has no attribute 'as_sql'", other.type_name()),
                )),
            },
        }
    }

    /// The Python object of a node: a [`PyCall`]'s class called on its arguments' objects,
    /// a value as itself, any other node as a [`Node`].
    fn py_node(&mut self, e: &Expr) -> Result<Obj> {
        match e {
            Expr::Py(call) => {
                let mut pos = Vec::new();
                for a in &call.args {
                    pos.push((self.py_node(a)?, Span::default()));
                }
                let class = self.host.py_lookups.classes[call.class as usize].clone();
                let args = Args {
                    pos,
                    kw: Vec::new(),
                    span: Span::default(),
                };
                self.call(Obj::Class(class), args)
            }
            Expr::Value(v) => Ok(Obj::Value(v.clone())),
            other => Ok(Obj::new_native(Node(other.clone()))),
        }
    }

    /// The SQL of a [`PyCall`]: its class's `as_sql`, with the nodes `compile()` handed out
    /// put back in place of their placeholders.
    fn py_sql(&mut self, call: &PyCall<Expr>) -> Result<Template<Expr>> {
        let node = self.py_node(&Expr::Py(Box::new(call.clone())))?;
        self.template_of(&node)
    }

    /// The SQL of a Python object as Django's compiler compiles it (`as_<vendor>` or
    /// `as_sql(compiler, connection)`), with the nodes `compile()` handed out put back.
    pub(super) fn template_of(&mut self, node: &Obj) -> Result<Template<Expr>> {
        let node = node.clone();
        let compiler = Obj::new_native(Compiler::default());
        let made = self.compile_node(&compiler, &node)?;
        let bad = |what: &str| {
            Diagnostic::new(
                ErrorKind::Type,
                format!("as_sql() must return a (sql, params) tuple, not {what}"),
            )
        };
        let parts = made.items().ok_or_else(|| bad(&made.type_name()))?;
        let [sql, params] = parts.as_slice() else {
            return Err(bad("a tuple of another length"));
        };
        let Obj::Value(Value::Text(sql)) = sql else {
            return Err(bad("a non-string SQL"));
        };
        let params = params.items().ok_or_else(|| bad("non-list params"))?;
        let Some(nodes) = compiler.native::<Compiler>() else {
            unreachable!("a compiler")
        };
        let nodes = nodes.0.borrow();
        let args = params
            .iter()
            .map(|p| match p {
                Obj::Value(v) => Ok(Expr::Value(v.clone())),
                p if let Some(Placeholder(i)) = p.native::<Placeholder>() => Ok(nodes[*i].clone()),
                other => Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "djq cannot bind a '{}' object as a SQL parameter",
                        other.type_name()
                    ),
                )),
            })
            .collect::<Result<_>>()?;
        Ok(Template {
            sql: sql.clone(),
            args,
        })
    }

    /// `sql::select` of a query, with this session's Python lookups when it has any.
    pub(super) fn compile_select(
        &mut self,
        q: &crate::query::Query,
    ) -> Result<crate::sql::Compiled> {
        self.compile_with(
            |schema, dialect| crate::sql::select(schema, dialect, q),
            |schema, dialect, py| crate::sql::select_py(schema, dialect, q, py),
        )
    }

    /// `sql::count`, likewise.
    pub(super) fn compile_count(
        &mut self,
        q: &crate::query::Query,
    ) -> Result<Option<crate::sql::Statement>> {
        self.compile_with(
            |schema, dialect| crate::sql::count(schema, dialect, q),
            |schema, dialect, py| crate::sql::count_py(schema, dialect, q, py),
        )
    }

    /// `sql::aggregate_over`, likewise.
    pub(super) fn compile_aggregate_over(
        &mut self,
        inner: &crate::query::Query,
        aggs: &[crate::query::SelectItem],
    ) -> Result<Option<crate::sql::Statement>> {
        self.compile_with(
            |schema, dialect| crate::sql::aggregate_over(schema, dialect, inner, aggs),
            |schema, dialect, py| crate::sql::aggregate_over_py(schema, dialect, inner, aggs, py),
        )
    }

    /// `plain` when this session has no Python lookups (nothing to bridge), else `bridged`
    /// with the bridge that runs their `as_sql`.
    fn compile_with<T>(
        &mut self,
        plain: impl FnOnce(&crate::schema::Schema, crate::sql::Dialect) -> Result<T>,
        bridged: impl FnOnce(
            &crate::schema::Schema,
            crate::sql::Dialect,
            &mut dyn crate::query::py_call::PySql<crate::query::Expr>,
        ) -> Result<T>,
    ) -> Result<T> {
        let dialect = self.host.dialect;
        if !self.writes_python() {
            return plain(&self.host.schema, dialect);
        }
        let schema = self.host.schema.clone();
        bridged(&schema, dialect, &mut Bridge(self))
    }
}

fn missing_lookup(span: Span) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Type,
        "register_lookup() missing 1 required positional argument: 'lookup'",
    )
    .at(span)
}

/// The session as the writer's [`PySql`].
struct Bridge<'s>(&'s mut Session);

impl PySql<Expr> for Bridge<'_> {
    fn as_sql(&mut self, call: &PyCall<Expr>) -> Result<Template<Expr>> {
        self.0.py_sql(call)
    }

    fn extra_restriction(
        &mut self,
        r: &crate::query::py_call::PyRestriction,
        alias: &str,
        related_alias: &str,
    ) -> Result<Option<Template<Expr>>> {
        self.0.extra_restriction_sql(r, alias, related_alias)
    }
}
