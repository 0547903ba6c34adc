//! Runtime objects of the interpreter: Python values, Django classes, managers, querysets,
//! instances, Q and F.

use super::nested::Nest;
use crate::query::{FExpr, QNode, Query};
use crate::schema::ModelId;
use crate::value::Value;
use std::cell::RefCell;
use std::rc::Rc;

/// What a queryset yields when evaluated.
#[derive(Debug, Clone, PartialEq)]
pub enum QsKind {
    /// Model instances.
    Instances,
    /// `.values(...)` dicts.
    Values,
    /// `.values_list(...)` tuples (`flat` → scalars).
    ValuesList { flat: bool, named: bool },
}

/// A lazy QuerySet: the query plus how to present it.
#[derive(Debug, Clone)]
pub struct QuerySet {
    pub query: Query,
    pub kind: QsKind,
    /// `prefetch_related()` lookups, run after the main query.
    pub prefetch: Vec<String>,
    /// The results once evaluated.
    pub cache: ResultCache,
    /// Set for a related manager (`author.books`, `article.tags`): its owner.
    pub related: Option<Rc<RelatedLink>>,
    /// A related manager's relation (`Author.books`) and the prefetch that would load it for
    /// every owner at once, kept by the querysets made from it (the N+1 warning).
    pub via: Option<Rc<(String, String)>>,
    /// Where an error the database raises for this query points: a filter on an aggregate
    /// without annotate() (the database refuses the HAVING it becomes).
    pub blame: Option<crate::diag::Span>,
    /// Set by `iterator(chunk_size)`: iterated, the queryset streams its rows this many at a
    /// time, bypassing the result cache (see `Session::stream`).
    pub chunk_size: Option<usize>,
}

impl QuerySet {
    pub fn new(query: Query, kind: QsKind) -> QuerySet {
        QuerySet {
            query,
            kind,
            prefetch: Vec::new(),
            cache: ResultCache::default(),
            blame: None,
            related: None,
            via: None,
            chunk_size: None,
        }
    }

    /// A database error of this query, pointed at its blamed span if it has one.
    pub fn blamed(&self, d: crate::diag::Diagnostic) -> crate::diag::Diagnostic {
        match self.blame {
            Some(span) if d.kind.is_database() => d.at(span),
            _ => d,
        }
    }
}

/// A queryset's results once evaluated (Django's `_result_cache`): iterating, `len()` and
/// `bool()` fill it; `count()`, `exists()`, indexing, slicing and `repr()` then use it.
///
/// Cloning gives an empty cache, as a chained queryset (Django's `_chain()`) is a new,
/// unevaluated one; equality ignores the cache.
#[derive(Debug, Default)]
pub struct ResultCache {
    items: RefCell<Option<Rc<Vec<Obj>>>>,
    /// Filled by `prefetch_related()` for a related manager: its `.all()` is this very
    /// queryset, as in Django.
    prefetched: bool,
}

impl ResultCache {
    /// A related manager's objects loaded by `prefetch_related()`.
    pub fn prefetched(items: Rc<Vec<Obj>>) -> ResultCache {
        ResultCache {
            items: RefCell::new(Some(items)),
            prefetched: true,
        }
    }

    pub fn get(&self) -> Option<Rc<Vec<Obj>>> {
        self.items.borrow().clone()
    }

    pub fn set(&self, items: Rc<Vec<Obj>>) {
        *self.items.borrow_mut() = Some(items);
    }

    pub fn is_prefetched(&self) -> bool {
        self.prefetched
    }
}

impl Clone for ResultCache {
    fn clone(&self) -> ResultCache {
        ResultCache::default()
    }
}

impl PartialEq for ResultCache {
    fn eq(&self, _: &ResultCache) -> bool {
        true
    }
}

/// The owner of a related manager and how its objects refer to it.
#[derive(Debug, Clone)]
pub struct RelatedLink {
    pub instance: Rc<Instance>,
    /// The owner's field the relation stores (its pk's attname, or a `to_field`'s).
    pub owner_attname: String,
    pub kind: RelatedKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RelatedKind {
    /// `author.books`: `model`'s foreign key `field` points at the owner.
    ForeignKey { model: ModelId, field: String },
    /// `article.tags` / `tag.article_set`: rows of `through` whose field `source` points at
    /// the owner and `target` at an object of `target_model`.
    ManyToMany {
        through: ModelId,
        source: usize,
        target: usize,
        target_model: ModelId,
    },
}

/// The attnames of an instance's values, in order: one list shared by every instance a query
/// loads (a million rows hold one copy), copied for an instance only when it gains an
/// attribute of its own.
pub type Layout = Rc<Vec<String>>;

/// A model instance: loaded field values by attname, in the order they were selected,
/// plus annotations and instances cached by `select_related`.
#[derive(Debug, Clone)]
pub struct Instance {
    pub model: ModelId,
    /// Field values by attname (assignable, like Python attributes).
    values: RefCell<Values>,
    /// What was loaded besides the row, allocated once there is some (most instances have
    /// none, and a list of a million pays for each byte here).
    loaded: RefCell<Option<Box<Loaded>>>,
}

/// What an instance loaded besides its row's values.
#[derive(Debug, Clone, Default)]
struct Loaded {
    /// Related instances loaded so far — with the row (`select_related`), by
    /// `prefetch_related` of a foreign key, or on first access — by field name; `None` for
    /// a null foreign key.
    related: Vec<(String, Option<Instance>)>,
    /// Objects of reverse and many-to-many relations loaded by `prefetch_related`, by
    /// accessor name.
    prefetched: Vec<(String, Rc<Vec<Obj>>)>,
    /// Fields deferred by `only()`/`defer()`, loaded on first access, by attname.
    deferred: Vec<(String, Value)>,
}

/// An instance's values: `values[i]` is the value of `layout[i]`.
#[derive(Debug, Clone)]
struct Values {
    layout: Layout,
    /// A boxed slice, not a `Vec`: no spare capacity, and one word less per instance.
    values: Box<[Value]>,
}

impl Instance {
    pub fn new(model: ModelId, values: Vec<(String, Value)>) -> Instance {
        let (names, values) = values.into_iter().unzip();
        Instance::with_layout(model, Rc::new(names), values)
    }

    /// An instance whose `values` are those of `layout`'s attnames (as many, in order).
    pub fn with_layout(model: ModelId, layout: Layout, values: Vec<Value>) -> Instance {
        debug_assert_eq!(layout.len(), values.len());
        Instance {
            model,
            values: RefCell::new(Values {
                layout,
                values: values.into_boxed_slice(),
            }),
            loaded: RefCell::default(),
        }
    }

    /// What was loaded besides the row, for reading (`None`: nothing yet).
    fn loaded(&self) -> std::cell::Ref<'_, Option<Box<Loaded>>> {
        self.loaded.borrow()
    }

    /// What was loaded besides the row, for adding to.
    fn loading(&self) -> std::cell::RefMut<'_, Loaded> {
        std::cell::RefMut::map(self.loaded.borrow_mut(), |l| {
            &mut **l.get_or_insert_default()
        })
    }

    /// A related instance already loaded for field `name`: `Some(None)` for a null one.
    pub fn related(&self, name: &str) -> Option<Option<Instance>> {
        let loaded = self.loaded();
        let related = &loaded.as_ref()?.related;
        related
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, r)| r.clone())
    }

    /// The objects `prefetch_related` loaded for the relation `accessor`.
    pub fn prefetched(&self, accessor: &str) -> Option<Rc<Vec<Obj>>> {
        let loaded = self.loaded();
        let prefetched = &loaded.as_ref()?.prefetched;
        prefetched
            .iter()
            .find(|(n, _)| n == accessor)
            .map(|(_, items)| items.clone())
    }

    /// Keep `items` as what `prefetch_related` loaded for `accessor` (on this instance only:
    /// `&mut`, so a shared one is copied first, as `Rc::make_mut` does).
    pub fn set_prefetched(&mut self, accessor: &str, items: Rc<Vec<Obj>>) {
        let loaded = self.loaded.get_mut().get_or_insert_default();
        loaded.prefetched.push((accessor.to_string(), items));
    }

    /// The value of deferred field `attname`, once loaded.
    pub fn deferred(&self, attname: &str) -> Option<Value> {
        let loaded = self.loaded();
        let deferred = &loaded.as_ref()?.deferred;
        deferred
            .iter()
            .find(|(k, _)| k == attname)
            .map(|(_, v)| v.clone())
    }

    /// Keep `value` as the loaded value of deferred field `attname`.
    pub fn set_deferred(&self, attname: &str, value: Value) {
        self.loading().deferred.push((attname.to_string(), value));
    }

    pub fn get(&self, attname: &str) -> Option<Value> {
        let values = self.values.borrow();
        let i = values.layout.iter().position(|k| k == attname)?;
        Some(values.values[i].clone())
    }

    /// Set (or add) the value of `attname`.
    pub fn set(&self, attname: &str, value: Value) {
        let mut values = self.values.borrow_mut();
        match values.layout.iter().position(|k| k == attname) {
            Some(i) => values.values[i] = value,
            None => {
                Rc::make_mut(&mut values.layout).push(attname.to_string());
                let mut all = std::mem::take(&mut values.values).into_vec();
                all.push(value);
                values.values = all.into_boxed_slice();
            }
        }
    }

    /// Drop the attributes whose attnames `keep` refuses.
    pub fn retain_attributes(&self, keep: impl Fn(&str) -> bool) {
        let mut values = self.values.borrow_mut();
        if values.layout.iter().all(|k| keep(k)) {
            return;
        }
        let Values { layout, values } = &mut *values;
        let kept: Vec<bool> = layout.iter().map(|k| keep(k)).collect();
        let mut flags = kept.iter();
        let mut all = std::mem::take(values).into_vec();
        all.retain(|_| *flags.next().expect("a flag per value"));
        *values = all.into_boxed_slice();
        let mut flags = kept.iter();
        Rc::make_mut(layout).retain(|_| *flags.next().expect("a flag per name"));
    }

    /// Cache `related` as the object of foreign key `name`.
    pub fn set_related(&self, name: &str, related: Option<Instance>) {
        self.forget_related(name);
        self.loading().related.push((name.to_string(), related));
    }

    /// Drop the cached object of foreign key `name` (its id changed).
    pub fn forget_related(&self, name: &str) {
        if let Some(loaded) = self.loaded.borrow_mut().as_mut() {
            loaded.related.retain(|(n, _)| n != name);
        }
    }

    /// A snapshot of the field values.
    pub fn fields(&self) -> Vec<(String, Value)> {
        let values = self.values.borrow();
        values
            .layout
            .iter()
            .cloned()
            .zip(values.values.iter().cloned())
            .collect()
    }
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
    Q,
    F,
    OuterRef,
    Super,
    Subquery,
    Exists,
    /// `Count`, `Sum`, ... (`django.db.models` aggregates).
    Aggregate(crate::query::expr::AggFunc),
    /// `Lower`, `Coalesce`, `Cast`, ... (`django.db.models.functions`).
    Func(crate::query::func::FuncKind),
    /// `Value(x, output_field=...)`
    Value,
    Case,
    When,
    /// A model field class used as an `output_field` (`CharField(max_length=20)`).
    Field(crate::schema::FieldKind),
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
    /// `dumpdata(*labels, indent=None, output=None)`: `manage.py dumpdata`'s JSON.
    Dumpdata,
    /// Accepted boilerplate (`django.setup()`, `os.environ.setdefault(...)`): returns None.
    NoOp,
    /// `transaction.atomic`, run by a `with` statement.
    Atomic,
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
    /// A model class (`Book`).
    Model(ModelId),
    /// `Book.objects`
    Manager(ModelId),
    QuerySet(Rc<QuerySet>),
    Instance(Rc<Instance>),
    Q(Rc<QNode>),
    F(Rc<FExpr>),
    /// A field instance given as `output_field`.
    Field(crate::query::expr::DbType),
    Builtin(Builtin),
    /// A function defined in the session (`def`, `lambda`).
    Function(Rc<Function>),
    /// `obj.method` before it is called.
    Method(Rc<Obj>, String),
    /// A module or namespace (`os`, `django`, `models`, `transaction`).
    Module(String),
    /// `Book.DoesNotExist` / `Book.MultipleObjectsReturned` / a Python or Django exception
    /// class, by name (see `interp::exceptions`).
    ExceptionClass(String),
    /// An exception object: caught by `except ... as e`, or made by calling its class.
    Exception(Rc<crate::diag::Diagnostic>),
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
        super::nested::collect::list(&l);
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
        super::nested::collect::dict(&d);
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
            Obj::Model(_) => "ModelBase".into(),
            Obj::Manager(_) => "Manager".into(),
            Obj::QuerySet(_) => "QuerySet".into(),
            Obj::Instance(_) => "Model".into(),
            Obj::Q(_) => "Q".into(),
            Obj::F(_) => "F".into(),
            Obj::Field(ty) => ty.kind.django_name().into(),
            Obj::Builtin(_) => "builtin_function_or_method".into(),
            Obj::Function(_) => "function".into(),
            Obj::Method(..) => "method".into(),
            Obj::Module(_) => "module".into(),
            Obj::ExceptionClass(_) => "type".into(),
            Obj::Exception(e) => e.kind.python_name(),
        }
    }
}
