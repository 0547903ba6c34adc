//! The runtime's values: Python's scalars (a [`Value`]), lists, tuples, ranges, named rows,
//! dicts, sets, functions, bound methods, modules, classes known by name, exceptions, classes
//! and their instances — and [`Native`] objects, which a [`Host`](super::Host) defines
//! (Django's model classes, querysets, instances, Q and F live in the orm layer, and this
//! module knows nothing of them).

use super::nested::Nest;
use crate::diag::Diagnostic;
use crate::value::Value;
use std::any::Any;
use std::borrow::Cow;
use std::cell::RefCell;
use std::fmt::Debug;
use std::rc::Rc;

/// An object a host adds to the language. The runtime asks the host (see
/// [`Host`](super::Host)) what it does; of the object itself it only needs its class name,
/// equality and identity.
pub trait Native: Any + Debug {
    /// Python's `type(x).__name__`.
    fn type_name(&self) -> Cow<'_, str>;
    /// Python's `==` with another native object (identity is checked before).
    fn equals(&self, _other: &dyn Native) -> bool {
        false
    }
    /// Python's `hash()`: `None` hashes by identity (as `object` does); `Err` is the
    /// message of the TypeError of an unhashable object.
    fn hash(&self) -> std::result::Result<Option<i64>, String> {
        Ok(None)
    }
    /// Python's `callable()`.
    fn callable(&self) -> bool {
        false
    }
    /// Whether there is one object per value (a class, a module's function): `is` then
    /// holds between equal objects even when the host made each anew.
    fn is_singleton(&self) -> bool {
        false
    }
    fn as_any(&self) -> &dyn Any;
    fn into_any(self: Rc<Self>) -> Rc<dyn Any>;
    /// The plain value the object also is (an enum member is its value, as `str`/`int`
    /// subclasses are): `==`, `hash()`, comparisons and arithmetic use it.
    /// This object bound in the body of class `owner` (a nested class's `__qualname__` is
    /// `Owner.Name`); `None`: the same object.
    fn qualified(&self, _owner: &str) -> Option<Obj> {
        None
    }
    fn value(&self) -> Option<Value> {
        None
    }
}

/// The plain value a native object also is ([`Native::value`]), else the object itself.
pub fn as_plain(o: &Obj) -> Cow<'_, Obj> {
    match o {
        Obj::Native(n) if let Some(v) = n.value() => Cow::Owned(Obj::Value(v)),
        Obj::Object(inst) if let Some(v) = &inst.value => Cow::Owned(Obj::Value(v.clone())),
        _ => Cow::Borrowed(o),
    }
}

/// Implements [`Native::equals`] as the type's own `==` (`PartialEq`).
#[macro_export]
macro_rules! native_equals {
    () => {
        fn equals(&self, other: &dyn $crate::py::Native) -> bool {
            other.as_any().downcast_ref() == Some(self)
        }
    };
}

/// Implements [`Native`]'s two downcasting methods for a type.
#[macro_export]
macro_rules! native_any {
    () => {
        fn as_any(&self) -> &dyn std::any::Any {
            self
        }
        fn into_any(self: std::rc::Rc<Self>) -> std::rc::Rc<dyn std::any::Any> {
            self
        }
    };
}

/// A function defined with `def` or `lambda`.
#[derive(Debug, Clone, PartialEq)]
pub struct Function {
    pub name: String,
    pub params: Vec<crate::syntax::ast::Param>,
    pub body: FunctionBody,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FunctionBody {
    /// A `def`'s statements.
    Block(Vec<crate::syntax::ast::Stmt>),
    /// A `lambda`'s expression.
    Expr(crate::syntax::ast::Expr),
}

/// Built-in callables and classes in scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builtin {
    Print,
    Len,
    Str,
    Repr,
    Int,
    Float,
    Bool,
    List,
    Tuple,
    Dict,
    Range,
    Sum,
    Min,
    Max,
    Sorted,
    Reversed,
    Any,
    All,
    Enumerate,
    Zip,
    Isinstance,
    Getattr,
    Type,
    Abs,
    Round,
    /// `datetime.date(y, m, d)`
    Date,
    /// `datetime.datetime(y, m, d, ...)`
    DateTime,
    /// Accepted boilerplate (`django.setup()`, `os.environ.setdefault(...)`): returns None.
    NoOp,
    /// `super()` (see [`super::classes`]).
    Super,
    /// `property(fget)`, as a decorator too.
    Property,
    /// `classmethod(f)`
    ClassMethod,
    /// `staticmethod(f)`
    StaticMethod,
    /// `issubclass(cls, classes)`
    Issubclass,
    /// A function or class of a standard-library module, by its qualified name
    /// (`json.dumps`, `decimal.Decimal`): see `py::stdlib`.
    Std(&'static str),
    Set,
    FrozenSet,
    Map,
    Filter,
    Divmod,
    Pow,
    Dir,
    Vars,
    Hasattr,
    Setattr,
    Id,
    Hash,
    Callable,
    Chr,
    Ord,
    Bin,
    Hex,
    Oct,
    Help,
    /// `exit()` / `quit()`: Python's SystemExit.
    Exit,
}

/// `range(start, stop, step)`: numbers made as they are needed, as Python's range is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub start: i64,
    pub stop: i64,
    pub step: i64,
}

impl Range {
    /// How many numbers: Python's `len(range(...))`.
    pub fn len(&self) -> i64 {
        let (from, to, by) = (
            i128::from(self.start),
            i128::from(self.stop),
            i128::from(self.step),
        );
        let n = if by > 0 {
            (to - from + by - 1) / by
        } else {
            (from - to - by - 1) / -by
        };
        // Only range(i64::MIN, i64::MAX) and its like hold more than i64::MAX numbers.
        n.clamp(0, i128::from(i64::MAX)) as i64
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The `k`-th number (`0 <= k < len`).
    pub fn get(&self, k: i64) -> i64 {
        (i128::from(self.start) + i128::from(k) * i128::from(self.step)) as i64
    }

    /// Whether `x` is one of the numbers.
    pub fn contains(&self, x: i64) -> bool {
        let d = i128::from(x) - i128::from(self.start);
        let by = i128::from(self.step);
        d % by == 0 && (0..i128::from(self.len())).contains(&(d / by))
    }

    /// Python's `repr()`: `range(0, 3)`, `range(0, 10, 2)`.
    pub fn repr(&self) -> String {
        match self.step {
            1 => format!("range({}, {})", self.start, self.stop),
            step => format!("range({}, {}, {step})", self.start, self.stop),
        }
    }
}

/// A list as names hold it: shared and mutable.
pub type ListRef = Rc<Nest<RefCell<Vec<Obj>>>>;

/// A dict as names hold it: shared and mutable, its pairs in insertion order.
pub type DictRef = Rc<Nest<RefCell<Vec<(Obj, Obj)>>>>;

#[derive(Debug, Clone)]
pub enum Obj {
    Value(Value),
    /// A list: mutable, and shared by every name bound to it, as in Python.
    List(ListRef),
    Tuple(Rc<Nest<Vec<Obj>>>),
    Range(Range),
    /// A `values_list(named=True)` row: a named tuple whose fields are the column names.
    Row(Rc<Nest<Vec<(String, Obj)>>>),
    /// A dict, in insertion order: mutable and shared like a list.
    Dict(DictRef),
    Builtin(Builtin),
    /// A function defined in the session (`def`, `lambda`).
    Function(Rc<Function>),
    /// `obj.method` before it is called.
    Method(Rc<Obj>, String),
    /// A module or namespace (`os`, `django`, `models`, `transaction`).
    Module(String),
    /// `Book.DoesNotExist` / `Book.MultipleObjectsReturned` / a Python or Django exception
    /// class, by name (see [`super::exceptions`]).
    ExceptionClass(String),
    /// An exception object: caught by `except ... as e`, or made by calling its class.
    Exception(Rc<crate::diag::Diagnostic>),
    /// An object of the host's (see [`Native`]).
    Native(Rc<dyn Native>),
    /// A `set` or `frozenset` (see [`super::sets`]).
    Set(super::nested::SetRef),
    /// A class djq knows by its name only (`NoneType`, `function`, `QuerySet`): what
    /// `type(x)` is when no builtin (`int`, `list`) names it. The dotted path as CPython's
    /// repr shows it (`django.db.models.query.QuerySet`); `__name__` is its last part.
    Type(String),
    /// A class defined with `class` (or read from a models.py, see [`super::classes`]).
    Class(Rc<Class>),
    /// An instance of a [`Obj::Class`].
    Object(Rc<Object>),
    /// A bound method, a `property`/`classmethod`/`staticmethod` object, `super()`, or a name
    /// whose definition failed ([`Wrapper`]).
    Wrapper(Rc<Wrapper>),
}

impl Obj {
    pub const NONE: Obj = Obj::Value(Value::Null);

    pub fn int(i: i64) -> Obj {
        Obj::Value(Value::Int(i))
    }

    pub fn str(s: impl Into<String>) -> Obj {
        Obj::Value(Value::Text(s.into()))
    }

    pub fn bool(b: bool) -> Obj {
        Obj::Value(Value::Bool(b))
    }

    pub fn list(items: Vec<Obj>) -> Obj {
        let l = Rc::new(Nest::new(RefCell::new(items)));
        super::nested::track_list(&l);
        Obj::List(l)
    }

    pub fn tuple(items: Vec<Obj>) -> Obj {
        Obj::Tuple(Rc::new(Nest::new(items)))
    }

    /// A `values_list(named=True)` row.
    pub fn row(fields: Vec<(String, Obj)>) -> Obj {
        Obj::Row(Rc::new(Nest::new(fields)))
    }

    pub fn dict(pairs: Vec<(Obj, Obj)>) -> Obj {
        let d = Rc::new(Nest::new(RefCell::new(pairs)));
        super::nested::track_dict(&d);
        Obj::Dict(d)
    }

    /// A copy of the items of a list or tuple (or named row).
    pub fn items(&self) -> Option<Vec<Obj>> {
        match self {
            Obj::List(items) => Some(items.borrow().clone()),
            Obj::Tuple(items) => Some(items.to_vec()),
            Obj::Row(fields) => Some(fields.iter().map(|(_, v)| v.clone()).collect()),
            _ => None,
        }
    }

    /// The native object of type `T` this is, if it is one.
    pub fn native<T: Native>(&self) -> Option<&T> {
        match self {
            Obj::Native(n) => n.as_any().downcast_ref(),
            _ => None,
        }
    }

    /// As [`Obj::native`], sharing the object.
    pub fn native_rc<T: Native>(&self) -> Option<Rc<T>> {
        match self {
            Obj::Native(n) if n.as_any().is::<T>() => n.clone().into_any().downcast().ok(),
            _ => None,
        }
    }

    /// This object as the native object of type `T` it is, or itself when it is not one.
    pub fn into_native<T: Native>(self) -> std::result::Result<Rc<T>, Obj> {
        match self {
            Obj::Native(n) if n.as_any().is::<T>() => {
                Ok(n.into_any().downcast().expect("checked type"))
            }
            other => Err(other),
        }
    }

    /// A native object.
    pub fn new_native(n: impl Native) -> Obj {
        Obj::Native(Rc::new(n))
    }

    pub fn is_none(&self) -> bool {
        matches!(self, Obj::Value(Value::Null))
    }

    /// Python's type name, for messages.
    pub fn type_name(&self) -> String {
        match self {
            Obj::Value(v) => v.type_name().into(),
            Obj::List(_) => "list".into(),
            Obj::Tuple(_) => "tuple".into(),
            Obj::Range(_) => "range".into(),
            Obj::Row(_) => "Row".into(),
            Obj::Dict(_) => "dict".into(),
            Obj::Builtin(_) => "builtin_function_or_method".into(),
            Obj::Function(_) => "function".into(),
            Obj::Method(..) => "method".into(),
            Obj::Module(_) => "module".into(),
            Obj::ExceptionClass(_) => "type".into(),
            Obj::Exception(e) => e.kind.python_name(),
            Obj::Native(n) => n.type_name().into_owned(),
            Obj::Set(s) => s.type_name().into(),
            Obj::Type(_) => "type".into(),
            Obj::Class(_) => "type".into(),
            Obj::Object(o) => o.class.name.clone(),
            Obj::Wrapper(w) => w.type_name().into(),
        }
    }
}

// The objects classes are made of; what they do is `super::classes`.

/// A module a class was defined in (a models.py): the names its code sees, and where its
/// text is, to name the place of an error raised in it.
pub struct ModuleScope {
    pub names: RefCell<super::Names>,
    /// `path:line:col` of a byte offset of the module's text.
    pub place: Box<dyn Fn(usize) -> String>,
}

impl std::fmt::Debug for ModuleScope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<module>")
    }
}

impl ModuleScope {
    /// An error raised by the module's code: its place named in the help (`raised at
    /// models.py:12:9`), its span left for the caller's (the script's) to be set.
    pub fn locate(&self, mut d: Diagnostic) -> Diagnostic {
        if let Some(span) = d.span.take()
            && d.help.is_none()
        {
            d.help = Some(format!("raised at {}", (self.place)(span.start)));
        }
        d
    }
}

/// A class: what `class Name(bases): body` made.
pub struct Class {
    pub name: String,
    /// Classes defined in Python, or the host's ([`Obj::Native`]).
    pub bases: Vec<Obj>,
    /// What the body bound.
    pub dict: RefCell<super::Names>,
    /// The module it was defined in, when not the session.
    pub module: Option<Rc<ModuleScope>>,
}

impl std::fmt::Debug for Class {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "<class '{}'>", self.name)
    }
}

/// An instance of a [`Class`]: its `__dict__`, in insertion order.
#[derive(Debug)]
pub struct Object {
    pub class: Rc<Class>,
    pub dict: RefCell<Vec<(String, Obj)>>,
    /// The plain value an instance of a class derived from a built-in value type is
    /// (`class Cash(Decimal)`: its `Decimal`), which `==`, `hash()`, arithmetic, `str()` and
    /// `repr()` use.
    pub value: Option<Value>,
}

/// The objects classes are made of.
#[derive(Debug)]
pub enum Wrapper {
    /// `obj.method`: a function of class `owner` bound to `recv` (an instance, or the class
    /// for a classmethod).
    Bound {
        recv: Obj,
        func: Obj,
        owner: Rc<Class>,
    },
    /// `property(fget)`, and the `fset` its `.setter` gave.
    Property(Obj, Option<Obj>),
    ClassMethod(Obj),
    StaticMethod(Obj),
    /// `super()`: attributes of `recv` found past `after` in its class's MRO.
    Super {
        after: Rc<Class>,
        recv: Obj,
    },
    /// A function defined in a module of its own (a models.py's helper): it runs with the
    /// module's names.
    InModule {
        func: Obj,
        module: Rc<ModuleScope>,
    },
    /// A name whose definition failed (an import djq does not have, in a models.py): reading
    /// it raises the definition's error, where the definition is.
    Failed(Box<Diagnostic>),
}

impl Wrapper {
    pub fn type_name(&self) -> &'static str {
        match self {
            Wrapper::Bound { .. } => "method",
            Wrapper::Property(..) => "property",
            Wrapper::ClassMethod(_) => "classmethod",
            Wrapper::StaticMethod(_) => "staticmethod",
            Wrapper::Super { .. } => "super",
            Wrapper::InModule { .. } => "function",
            Wrapper::Failed(_) => "NoneType",
        }
    }
}
