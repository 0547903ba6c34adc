//! The Python subset as a language: values and containers ([`obj`]), expressions ([`eval`]),
//! operators ([`ops`]), builtins ([`builtins`]; on numbers and iterables [`numbers`]; looking
//! at objects — `type`, `dir`, `help`, ... — [`introspect`], with CPython's names and
//! docstrings in [`dir_names`] and [`docs`]), sets and frozensets ([`sets`]), `hash()` and
//! `id()` ([`hash`]), methods of `str`, `list`, `dict` and dates ([`methods`],
//! [`containers`]), statements and functions ([`stmt`]), classes and their instances,
//! decorators and `super()` ([`classes`]), exceptions ([`exceptions`], and `exit()`'s
//! SystemExit in [`exit`]), string formatting ([`format`]), the cycle collector and set
//! tables ([`nested`]), modules and imports ([`module`]: a registry the interpreter owns,
//! filled on first import) and the standard-library modules djq has ([`stdlib`]).
//!
//! **Invariant: this module knows nothing of Django.** It never names the crate's Django
//! layers — orm, query, schema, backend, sql — not even in a comment (tests/architecture.rs
//! greps for it).
//! What Django adds — model classes, managers, querysets, instances, `Q`, `F`, transactions —
//! comes in through one extension point: a [`Host`], whose objects are [`Native`]s. The
//! interpreter [`Interp`] handles Python's own values itself and asks its host about every
//! native object (its attributes, calls, operators, iteration, `str()`/`repr()`), about the
//! names Python does not bind (`Book`, `Count`), and about the modules it does not have. A
//! native object may also have a Python class ([`Host::class_of`]: a model's, from its
//! models.py), whose attributes come before the host's own — so Python code overrides and
//! extends the host's objects, and reaches their own behaviour through `super()`.

pub mod args;
pub mod builtins;
pub mod classes;
pub mod containers;
pub mod dir_names;
pub mod docs;
pub mod eval;
pub mod exceptions;
pub mod exit;
pub mod format;
pub mod hash;
pub mod introspect;
pub mod methods;
pub mod module;
pub mod nested;
pub mod numbers;
pub mod obj;
pub mod ops;
pub mod repr;
pub mod sets;
pub mod stdlib;
pub mod stmt;

use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::syntax::ast::{BinOp, Expr, UnaryOp};
pub use args::Args;
pub use module::Module;
pub use obj::{Builtin, DictRef, Function, FunctionBody, ListRef, Native, Obj, Range};
pub use stmt::Flow;

use std::io::Write;
use std::ops::ControlFlow;

/// Names and what they bind: scopes, a class's or object's attributes, a module's names.
/// Hashed with foldhash, not std's SipHash: every name a statement uses is looked up here,
/// and SipHash's resistance to chosen keys buys nothing for the names of one's own program.
pub type Names<V = Obj> = std::collections::HashMap<String, V, foldhash::fast::RandomState>;

/// The interpreter: variables and scopes, the exceptions being handled, where `print`
/// writes — and its host, which gives the language its native objects.
pub struct Interp<H: Host> {
    pub host: H,
    /// Global variables.
    vars: Names,
    /// Local scopes of the functions and comprehensions being run, innermost last.
    frames: Vec<Names>,
    /// The exceptions being handled by `except` blocks, innermost last (for a bare `raise`).
    handling: Vec<Diagnostic>,
    pub out: Box<dyn Write>,
    /// The modules imported so far (see [`module`]).
    modules: module::Registry,
}

/// What a host tells the interpreter about its [`Native`] objects and its names. Every
/// method has the interpreter at hand (`cx`), to evaluate and call back into Python.
pub trait Host: Sized + 'static {
    /// A name that no variable and no builtin binds (`Book`, `Q`, `Count`, `transaction`).
    fn name(cx: &mut Interp<Self>, name: &str, span: Span) -> Result<Option<Obj>>;
    /// Names the host binds, for "did you mean" and completion.
    fn names(&self) -> Vec<String>;
    /// The module `name` (dotted: `django.db.models`, `blog.models`) when the host has it,
    /// made when it is first imported; `None`: the host has no such module.
    fn module(&self, name: &str) -> Option<Module>;
    /// A name of the host's module `module` that running it defines (a models.py's constants,
    /// functions and classes besides its models); `None`: no such name.
    fn module_defined(_cx: &mut Interp<Self>, _module: &str, _name: &str) -> Option<Obj> {
        None
    }
    /// `obj.name` for a native object, or an attribute of a Python object the host adds
    /// (an exception's); `None` when there is none.
    fn attribute(cx: &mut Interp<Self>, obj: &Obj, name: &str, span: Span) -> Result<Option<Obj>>;
    /// Help added to the AttributeError of `obj.name` ("did you mean ...").
    fn attribute_help(&self, _obj: &Obj, _name: &str, d: Diagnostic) -> Diagnostic {
        d
    }
    /// `obj.name = value` on a native object.
    fn set_attribute(
        cx: &mut Interp<Self>,
        obj: &Obj,
        name: &str,
        value: Obj,
        span: Span,
    ) -> Result<()>;
    /// Call a native object.
    fn call(cx: &mut Interp<Self>, f: &Obj, args: Args) -> Result<Obj>;
    /// `C(...)` where class `C` derives from the native object `base` (`class
    /// MySum(Aggregate): function = 'SUM'`): the host's instance, or `None` to refuse.
    fn instantiate_native(
        _cx: &mut Interp<Self>,
        _class: &std::rc::Rc<obj::Class>,
        _base: &Obj,
        _args: &Args,
    ) -> Option<Result<Obj>> {
        None
    }
    /// Call method `name` of a native object (or of a Python object the host adds it to).
    /// The receiver comes by value: held by nothing else (`qs.filter(...).order_by(...)`'s
    /// intermediate queryset), the host may take it instead of copying it.
    fn call_method(cx: &mut Interp<Self>, recv: Obj, name: &str, args: Args) -> Result<Obj>;
    /// `op v` when `v` is native; `None`: the operator does not apply.
    fn unary(cx: &mut Interp<Self>, op: UnaryOp, v: &Obj, span: Span) -> Option<Result<Obj>>;
    /// `l op r` when either side is native; `None`: the operator does not apply.
    fn binary(
        cx: &mut Interp<Self>,
        op: BinOp,
        l: &Obj,
        r: &Obj,
        span: Span,
    ) -> Option<Result<Obj>>;
    /// `bool(o)` of a native object.
    fn truthy(cx: &mut Interp<Self>, o: &Obj, span: Span) -> Result<bool>;
    /// `len(o)` of a native object; `None`: it has no length.
    fn len(cx: &mut Interp<Self>, o: &Obj, span: Span) -> Result<Option<usize>>;
    /// The items of a native iterable; `None`: it is not iterable.
    fn items(cx: &mut Interp<Self>, o: &Obj, span: Span) -> Result<Option<Vec<Obj>>>;
    /// A `for` loop over a native object that makes its items as it goes (a queryset's
    /// `iterator()`); `None`: loop over [`Host::items`].
    fn stream<B>(
        cx: &mut Interp<Self>,
        o: &Obj,
        span: Span,
        each: &mut Each<'_, Self, B>,
    ) -> Option<Result<ControlFlow<B>>>;
    /// `obj[index]` of a native object (given the index expression: a slice of a queryset
    /// stays lazy).
    /// The object comes by value: held by nothing else, the host may take it.
    fn subscript(cx: &mut Interp<Self>, obj: Obj, index: &Expr, span: Span) -> Result<Obj>;
    /// `list(o)` of a native object that nothing else holds: its items, made without
    /// keeping a second copy (`None`: as [`Host::items`]).
    fn take_items(cx: &mut Interp<Self>, o: &Obj, span: Span) -> Option<Result<Vec<Obj>>>;
    /// `str()` of a native object.
    fn str(cx: &mut Interp<Self>, o: &Obj) -> Result<String>;
    /// `repr()` of a native object.
    fn repr(cx: &mut Interp<Self>, o: &Obj) -> Result<String>;
    /// The class name of a native object (`type(x).__name__`).
    fn type_name(&self, o: &dyn Native) -> String {
        o.type_name().into_owned()
    }
    /// `isinstance(o, cls)` when `cls` is native; `None`: `cls` is not a class.
    fn is_instance(&self, o: &Obj, cls: &Obj) -> Option<bool>;
    /// `issubclass(c, base)` of two native classes when the host relates them (a model class
    /// and Django's `Model`); `None`: a class is a subclass of itself only.
    fn is_subclass(&self, _c: &Obj, _base: &Obj) -> Option<bool> {
        None
    }
    /// Run a `try` body: the host may protect it (a savepoint in a transaction).
    fn guarded(
        cx: &mut Interp<Self>,
        body: &mut dyn FnMut(&mut Interp<Self>) -> Result<Flow>,
    ) -> Result<Flow>;
    /// Run `body` inside the context manager `ctx` of a `with` statement; `Err` when `ctx`
    /// is not one the host has. `entered` is what `as` binds.
    fn with_context(
        cx: &mut Interp<Self>,
        ctx: &Obj,
        span: Span,
        body: &mut dyn FnMut(&mut Interp<Self>, Obj) -> Result<Flow>,
    ) -> Result<Flow>;
    /// Whether calling `f` at the top level shows nothing (`print`, `dumpdata`).
    fn is_silent(&self, f: &Obj) -> bool;
    /// `type(o)` of a native object (default: a class known by its type name only).
    fn type_of(cx: &mut Interp<Self>, o: &Obj) -> Obj {
        match o {
            Obj::Native(n) => Obj::Type(cx.host.type_name(&**n)),
            other => Obj::Type(other.type_name()),
        }
    }
    /// `dir(o)` of a native object: the names it answers to (default: none).
    fn dir(_cx: &mut Interp<Self>, _o: &Obj) -> Vec<String> {
        Vec::new()
    }
    /// `help(o)` of a native object: a short, true description (default: none, and `help`
    /// shows its type and repr).
    fn help(_cx: &mut Interp<Self>, _o: &Obj) -> Option<String> {
        None
    }
    /// The Python class of a native object whose class a program defines (a model class or
    /// instance, whose class holds what its models.py body defines) and whether the object is
    /// an instance of it; its attributes are looked up before the host's own ([`classes`]).
    fn class_of(_cx: &mut Interp<Self>, _o: &Obj) -> Option<(std::rc::Rc<obj::Class>, bool)> {
        None
    }
    /// What a `class` statement binds, when the host makes the class its own object (an
    /// enumeration from one of its bases); `body` is the class's statements, in order.
    /// `None`: the class itself.
    fn class_made(
        _cx: &mut Interp<Self>,
        _class: &std::rc::Rc<obj::Class>,
        _body: &[crate::syntax::ast::Stmt],
    ) -> Result<Option<Obj>> {
        Ok(None)
    }
    /// Whether `recv.name` is a method of a native object without a Python class (nor a
    /// standard-library object's), which [`Host::attribute`] gives as the bound method: then
    /// `recv.name(...)` calls [`Host::call_method`] without making the bound method first.
    fn is_method(_cx: &Interp<Self>, _recv: &Obj, _name: &str) -> bool {
        false
    }
}

/// What a `for` loop does with each item, until it breaks with a `B`.
pub type Each<'a, H, B> = dyn FnMut(&mut Interp<H>, Obj) -> Result<ControlFlow<B>> + 'a;

/// The most numbers of a `range()` made into a list (`list(range(n))`, `sorted()`, ...); a
/// `for` loop over a range of any length makes its numbers one at a time.
pub const MAX_RANGE: i64 = 10_000_000;

/// The longest string `+`, `*`, padding and format widths make, in bytes (256 MiB): a
/// shell's strings stay far below it, and a few strings past it would take gigabytes.
pub const MAX_TEXT: usize = 1 << 28;

/// [`MAX_TEXT`] as messages say it.
pub const MAX_TEXT_SAID: &str = "256 MiB";

/// Set by Ctrl-C while a statement runs; loops check it at each iteration.
static INTERRUPTED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Ask the running statement to stop (Python's KeyboardInterrupt), from any thread.
pub fn interrupt() {
    INTERRUPTED.store(true, std::sync::atomic::Ordering::SeqCst);
}

/// Forget a Ctrl-C pressed before the statement about to run.
pub fn clear_interrupt() {
    INTERRUPTED.store(false, std::sync::atomic::Ordering::SeqCst);
}

/// Fail with KeyboardInterrupt when Ctrl-C was pressed since the statement started.
pub fn check_interrupt() -> Result<()> {
    if INTERRUPTED.swap(false, std::sync::atomic::Ordering::SeqCst) {
        return Err(Diagnostic::new(ErrorKind::KeyboardInterrupt, ""));
    }
    Ok(())
}

impl<H: Host> Interp<H> {
    pub fn with_host(host: H, out: Box<dyn Write>) -> Interp<H> {
        Interp {
            host,
            vars: Names::default(),
            frames: Vec::new(),
            handling: Vec::new(),
            out,
            modules: module::Registry::default(),
        }
    }

    /// Where results are written (the shell's `\o` writes them to a file).
    pub fn out(&mut self) -> &mut dyn Write {
        &mut self.out
    }

    /// Write results to `out` from now on; what was written to the old one is flushed first.
    pub fn set_out(&mut self, out: Box<dyn Write>) -> Result<()> {
        let flushed = self.out.flush().map_err(crate::render::io_error);
        self.out = out;
        flushed
    }

    /// Flush what was written.
    pub fn flush(&mut self) -> Result<()> {
        self.out.flush().map_err(crate::render::io_error)
    }

    /// Write `text` as is to the output (`print`).
    pub fn write_out(&mut self, text: &str) -> Result<()> {
        self.out
            .write_all(text.as_bytes())
            .map_err(crate::render::io_error)
    }

    /// The global variables.
    pub fn globals(&self) -> impl Iterator<Item = (&String, &Obj)> {
        self.vars.iter()
    }
}
