//! Django's objects in the runtime: model classes, managers, querysets, instances, `Q`, `F`
//! and the other expressions, `Prefetch` objects, the fetch modes (`FETCH_PEERS`), field
//! instances and Django's callables — each a
//! [`Native`] of the Python runtime, reached from an [`Obj`] through [`DjangoObj`].

use crate::py::{Native, Obj};
use crate::query::expr::DbType;
use crate::query::{FExpr, QNode, Query};
use crate::schema::ModelId;
use crate::value::Value;
use crate::{native_any, native_equals};
use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::{Rc, Weak};

/// A model class (`Book`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelClass(pub ModelId);

/// `django.db.models.Model`, the base of every model class (`isinstance(e, models.Model)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModelBase;

/// What `transaction.atomic()` returns: Django's `Atomic`, a context manager for `with`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Atomic;

/// A model's manager (`Book.objects`, `Book.published`): the index of a manager models.py
/// declares in the model's `managers`, or `None` for a plain `models.Manager()` (the
/// implicit `objects`, the default `_base_manager`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Manager(pub ModelId, pub Option<usize>);

/// Django's callables and classes in scope: `Q`, `F`, aggregates, database functions,
/// field classes, `transaction.atomic`, `dumpdata`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DjangoFn {
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
    /// `dumpdata(*labels, indent=None, output=None)`: `manage.py dumpdata`'s JSON.
    Dumpdata,
    /// `transaction.atomic`, run by a `with` statement.
    Atomic,
    /// `django.db.reset_queries()`
    ResetQueries,
    /// `django.utils.timezone.now()` and its kin.
    Now,
    LocalTime,
    MakeAware,
    MakeNaive,
    IsAware,
    IsNaive,
    /// `timezone.get_current_timezone()` / `get_current_timezone_name()`.
    CurrentTimezone,
    CurrentTimezoneName,
    /// `django.utils.text.slugify(s)`
    Slugify,
    /// A lookup used as an expression (`GreaterThan(F("rating"), 4)`), by its lookup name
    /// (`gt`).
    Lookup(&'static str),
    /// `Window(expression, partition_by=, order_by=, frame=)`.
    Window,
    /// `RowNumber`, `Lag`, ... (`django.db.models.functions.window`).
    WindowFunc(crate::query::window::WindowFunc),
    /// `RowRange` (`true`) or `ValueRange`.
    Frame(bool),
    /// `Prefetch(lookup, queryset=None, to_attr=None)`
    Prefetch,
    /// `FilteredRelation(relation_name, *, condition=Q())`
    FilteredRelation,
    /// `django.utils.translation.get_language()`
    GetLanguage,
    /// `django.contrib.auth.hashers`' `make_password`, `check_password`, `is_password_usable`.
    MakePassword,
    CheckPassword,
    IsPasswordUsable,
    /// `django.contrib.auth.get_user_model()`
    GetUserModel,
}

/// A field instance given as `output_field` (`CharField()`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldInstance(pub DbType);

impl Native for ModelBase {
    fn type_name(&self) -> Cow<'_, str> {
        "ModelBase".into()
    }
    fn is_singleton(&self) -> bool {
        true
    }
    fn equals(&self, other: &dyn Native) -> bool {
        other.as_any().is::<ModelBase>()
    }
    native_any!();
}

impl Native for Atomic {
    fn type_name(&self) -> Cow<'_, str> {
        "Atomic".into()
    }
    native_any!();
}

/// Django's classes, managers and functions: each exists once (`is` compares them by
/// value), under its class name; `callable` for classes and functions.
macro_rules! singleton_native {
    ($t:ty, $name:expr, $callable:expr) => {
        impl Native for $t {
            fn type_name(&self) -> Cow<'_, str> {
                $name.into()
            }
            fn is_singleton(&self) -> bool {
                true
            }
            fn callable(&self) -> bool {
                $callable
            }
            native_equals!();
            native_any!();
        }
    };
}

singleton_native!(ModelClass, "ModelBase", true);
singleton_native!(Manager, "Manager", false);
singleton_native!(DjangoFn, "builtin_function_or_method", true);

impl Native for FieldInstance {
    fn type_name(&self) -> Cow<'_, str> {
        self.0.kind.django_name().into()
    }
    native_equals!();
    native_any!();
}

/// `Q` and the expressions: equal ones are equal, and hash alike (Django hashes their
/// identity).
macro_rules! expression_native {
    ($t:ty, $name:expr) => {
        impl Native for $t {
            fn type_name(&self) -> Cow<'_, str> {
                $name.into()
            }
            native_equals!();
            fn hash(&self) -> std::result::Result<Option<i64>, String> {
                Ok(Some(
                    crate::py::hash::hash(&Obj::str(format!("{self:?}"))).unwrap_or(0),
                ))
            }
            native_any!();
        }
    };
}

expression_native!(QNode, "Q");
expression_native!(FExpr, "F");

impl Native for QuerySet {
    fn type_name(&self) -> Cow<'_, str> {
        "QuerySet".into()
    }
    native_any!();
}

impl Native for Instance {
    fn type_name(&self) -> Cow<'_, str> {
        "Model".into()
    }
    /// Django's `Model.__eq__`: the same concrete model and primary key (all of a composite
    /// key's fields).
    fn equals(&self, other: &dyn Native) -> bool {
        other
            .as_any()
            .downcast_ref::<Instance>()
            .is_some_and(|o| self.model == o.model && self.pk_values() == o.pk_values())
    }
    /// Django's `Model.__hash__`: the primary key's hash (a composite key's tuple).
    fn hash(&self) -> std::result::Result<Option<i64>, String> {
        let key = self.pk_values();
        if key.is_empty() || key.iter().any(Value::is_null) {
            return Err("Model instances without primary key value are unhashable".into());
        }
        let pk = match <[Value; 1]>::try_from(key) {
            Ok([v]) => Obj::Value(v),
            Err(key) => Obj::tuple(key.into_iter().map(Obj::Value).collect()),
        };
        Ok(crate::py::hash::hash(&pk).ok())
    }
    native_any!();
}

/// Django's objects as an [`Obj`] holds them.
pub trait DjangoObj {
    fn model_class(&self) -> Option<ModelId>;
    fn manager(&self) -> Option<ModelId>;
    /// A manager's model and which of its managers it is.
    fn manager_ref(&self) -> Option<Manager>;
    fn queryset(&self) -> Option<Rc<QuerySet>>;
    fn instance(&self) -> Option<Rc<Instance>>;
    fn q(&self) -> Option<&QNode>;
    fn f(&self) -> Option<&FExpr>;
    fn field_instance(&self) -> Option<DbType>;
    fn django_fn(&self) -> Option<DjangoFn>;
}

impl DjangoObj for Obj {
    fn model_class(&self) -> Option<ModelId> {
        self.native::<ModelClass>().map(|m| m.0)
    }
    fn manager(&self) -> Option<ModelId> {
        self.native::<Manager>().map(|m| m.0)
    }
    fn manager_ref(&self) -> Option<Manager> {
        self.native::<Manager>().copied()
    }
    fn queryset(&self) -> Option<Rc<QuerySet>> {
        self.native_rc()
    }
    fn instance(&self) -> Option<Rc<Instance>> {
        self.native_rc()
    }
    fn q(&self) -> Option<&QNode> {
        self.native()
    }
    fn f(&self) -> Option<&FExpr> {
        self.native()
    }
    fn field_instance(&self) -> Option<DbType> {
        self.native::<FieldInstance>().map(|f| f.0)
    }
    fn django_fn(&self) -> Option<DjangoFn> {
        self.native::<DjangoFn>().copied()
    }
}

/// The [`Obj`]s of Django's objects.
pub mod make {
    use super::*;

    pub fn model(m: ModelId) -> Obj {
        Obj::new_native(ModelClass(m))
    }
    pub fn manager(m: ModelId, index: Option<usize>) -> Obj {
        Obj::new_native(Manager(m, index))
    }
    pub fn queryset(qs: QuerySet) -> Obj {
        Obj::new_native(qs)
    }
    pub fn shared_queryset(qs: Rc<QuerySet>) -> Obj {
        Obj::Native(qs)
    }
    pub fn instance(i: Rc<Instance>) -> Obj {
        Obj::Native(i)
    }
    pub fn q(q: QNode) -> Obj {
        Obj::new_native(q)
    }
    pub fn f(f: FExpr) -> Obj {
        Obj::new_native(f)
    }
    pub fn field(ty: DbType) -> Obj {
        Obj::new_native(FieldInstance(ty))
    }
    pub fn function(f: DjangoFn) -> Obj {
        Obj::new_native(f)
    }
}

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
    /// `prefetch_related()` lookups (names and `Prefetch` objects), run after the main query.
    pub prefetch: Vec<Prefetch>,
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
    /// The models.py manager (an index in the model's `managers`) whose QuerySet class this
    /// queryset is: its methods are the queryset's.
    pub manager: Option<usize>,
    /// `fetch_mode()`: what its instances do when they lack a field or relation.
    pub fetch_mode: FetchMode,
    /// Attributes code set on this very queryset (`qs._filtered = True`); a clone has none.
    pub attrs: QuerySetAttributes,
}

impl QuerySet {
    // Inlined so that a new queryset is built where it goes, not moved there (it is large).
    #[inline]
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
            manager: None,
            fetch_mode: Default::default(),
            attrs: Default::default(),
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

    /// Whether it holds results or is a prefetched one (else it is as `default()` makes it).
    pub fn is_filled(&self) -> bool {
        self.prefetched || self.items.borrow().is_some()
    }
}

/// The attributes code sets on a queryset object (Django's instance `__dict__`): cloning
/// gives none, as Django's `_chain()` makes a new object without them. A list: a queryset
/// seldom has any, and every statement makes (and drops) a queryset.
#[derive(Debug, Default)]
pub struct QuerySetAttributes(pub RefCell<Vec<(String, Obj)>>);

impl Clone for QuerySetAttributes {
    fn clone(&self) -> QuerySetAttributes {
        QuerySetAttributes::default()
    }
}

impl PartialEq for QuerySetAttributes {
    fn eq(&self, _: &QuerySetAttributes) -> bool {
        true
    }
}

impl QuerySetAttributes {
    /// The same attributes, for the same Python object in another Rust value.
    pub fn duplicate(&self) -> QuerySetAttributes {
        QuerySetAttributes(self.0.clone())
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
        /// The models declaring `source` and `target`: `through` or a multi-table ancestor.
        owners: [ModelId; 2],
    },
    /// `bookmark.tags` (a GenericRelation): rows of `model` whose content type field (by
    /// name, `names.0`) is the owner's content type (its id) and object id (`names.1`) the
    /// owner's pk.
    Generic {
        model: ModelId,
        names: (String, String),
        content_type: Value,
    },
    /// `recipe.tags` (django-taggit's `TaggableManager`): Tags, linked to the owner by rows of
    /// `through` whose `source` is the owner (and, a `generic` through, whose content type is
    /// the owner's) and whose `target` is the tag.
    Tags {
        through: ModelId,
        source: usize,
        target: usize,
        generic: bool,
    },
    /// `product.stock`: the way back of `model`'s ForeignObject `field` (several columns)
    /// to the owner.
    ForeignObject { model: ModelId, field: String },
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
    /// The `to_attr` names of `Prefetch` objects: plain attributes, whose object is kept
    /// in `related` (a single relation) or whose list in `prefetched`.
    attrs: Vec<String>,
    /// The fetch mode of the query that made the instance, when not `FETCH_ONE`.
    fetch: Option<Rc<Fetch>>,
    /// Django's `_state.adding`: made in Python and not saved yet.
    adding: bool,
    /// The attnames of a composite primary key (`None`: a single-field key, the first
    /// value), which `==` and `hash()` compare as Django's `pk` tuple.
    key: Option<Rc<[String]>>,
    /// The Python lists and dicts a JSONField's attribute holds once read or assigned, by
    /// attname: changed in place, they are what a save writes.
    documents: Vec<(String, Obj)>,
    /// What a field's own `from_db_value()` made of its value, by attname, once read.
    converted: Vec<(String, Obj)>,
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

    /// Keep `items` as what `prefetch_related` loaded for `accessor` (in place of what it
    /// loaded before).
    pub fn set_prefetched(&self, accessor: &str, items: Rc<Vec<Obj>>) {
        let mut loaded = self.loading();
        loaded.prefetched.retain(|(n, _)| n != accessor);
        loaded.prefetched.push((accessor.to_string(), items));
    }

    /// The fetch mode (and peers) of the query that made the instance; `None`: FETCH_ONE.
    pub fn fetch(&self) -> Option<Rc<Fetch>> {
        self.loaded().as_ref()?.fetch.clone()
    }

    pub fn set_fetch(&self, fetch: Rc<Fetch>) {
        self.loading().fetch = Some(fetch);
    }

    /// Mark `name` as a `Prefetch(to_attr=name)` attribute (its value is set alongside).
    pub fn mark_prefetch_attr(&self, name: &str) {
        let mut loaded = self.loading();
        if !loaded.attrs.iter().any(|a| a == name) {
            loaded.attrs.push(name.to_string());
        }
    }

    /// The value of a `Prefetch(to_attr=name)` attribute: its list, or its object (`None`).
    pub fn prefetch_attr(&self, name: &str) -> Option<Obj> {
        if !self.loaded().as_ref()?.attrs.iter().any(|a| a == name) {
            return None;
        }
        if let Some(items) = self.prefetched(name) {
            return Some(Obj::list(items.to_vec()));
        }
        let object = self.related(name)?;
        Some(object.map_or(Obj::NONE, |o| make::instance(Rc::new(o))))
    }

    /// Call `f` on an object loaded for this one: the related object cached as `name`
    /// (`index` None), or item `index` of the objects prefetched as `name`. Nothing when
    /// there is none. The object is the one kept here, not a copy: `f` may load more on it.
    pub fn visit_loaded(&self, name: &str, index: Option<usize>, f: &mut dyn FnMut(&Instance)) {
        match index {
            None => {
                let loaded = self.loaded();
                let found = (loaded.as_ref())
                    .and_then(|l| l.related.iter().find(|(n, _)| n == name))
                    .and_then(|(_, r)| r.as_ref());
                if let Some(child) = found {
                    f(child);
                }
            }
            Some(i) => {
                let items = self.prefetched(name);
                if let Some(child) = items.as_ref().and_then(|v| v.get(i)?.native::<Instance>()) {
                    f(child);
                }
            }
        }
    }

    /// Django's `_state.adding`: made in Python and not saved yet.
    pub fn adding(&self) -> bool {
        self.loaded().as_ref().is_some_and(|l| l.adding)
    }

    /// Django's `_state.db`: set once saved or loaded, or when a related instance is
    /// assigned to one of its foreign keys (the router picks the database then).
    pub fn db_known(&self) -> bool {
        let loaded = self.loaded();
        loaded
            .as_ref()
            .is_none_or(|l| !l.adding || l.related.iter().any(|(_, r)| r.is_some()))
    }

    /// Set `_state.adding` (made: true; saved: false).
    pub fn set_adding(&self, adding: bool) {
        if adding || self.adding() {
            self.loading().adding = adding;
        }
    }

    /// Mark the instance as keyed by the fields `key` (a composite primary key).
    pub fn set_key(&self, key: Rc<[String]>) {
        self.loading().key = Some(key);
    }

    /// The primary key's values: a composite key's, in key order, else the first value's.
    fn pk_values(&self) -> Vec<Value> {
        let key = self.loaded().as_ref().and_then(|l| l.key.clone());
        match key {
            Some(key) => (key.iter())
                .map(|k| self.get(k).unwrap_or(Value::Null))
                .collect(),
            None => {
                let values = self.values.borrow();
                values.values.first().cloned().into_iter().collect()
            }
        }
    }

    pub fn get(&self, attname: &str) -> Option<Value> {
        let values = self.values.borrow();
        let i = values.layout.iter().position(|k| k == attname)?;
        Some(values.values[i].clone())
    }

    /// Set (or add) the value of `attname`.
    pub fn set(&self, attname: &str, value: Value) {
        if let Some(loaded) = self.loaded.borrow_mut().as_mut() {
            loaded.documents.retain(|(k, _)| k != attname);
            loaded.converted.retain(|(k, _)| k != attname);
        }
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

    /// The Python document (list or dict) JSONField `attname` holds, once read or assigned.
    pub fn document(&self, attname: &str) -> Option<Obj> {
        let loaded = self.loaded();
        let documents = &loaded.as_ref()?.documents;
        documents
            .iter()
            .find(|(k, _)| k == attname)
            .map(|(_, o)| o.clone())
    }

    /// Keep `doc` as the Python object JSONField `attname` holds (after `set` of its value).
    pub fn set_document(&self, attname: &str, doc: Obj) {
        self.loading().documents.push((attname.to_string(), doc));
    }

    /// What field `attname`'s own `from_db_value()` made of its value, once read.
    pub fn converted(&self, attname: &str) -> Option<Obj> {
        let loaded = self.loaded();
        let converted = &loaded.as_ref()?.converted;
        (converted.iter().find(|(k, _)| k == attname)).map(|(_, o)| o.clone())
    }

    /// Keep what field `attname`'s own `from_db_value()` made of its value.
    pub fn set_converted(&self, attname: &str, o: Obj) {
        self.loading().converted.push((attname.to_string(), o));
    }

    /// The JSONField documents held, by attname.
    pub fn documents(&self) -> Vec<(String, Obj)> {
        let loaded = self.loaded();
        loaded
            .as_ref()
            .map_or_else(Vec::new, |l| l.documents.clone())
    }

    /// Forget the value of `attname` (one the database computed on a save): the next access
    /// loads it, as a deferred field.
    pub fn unload(&self, attname: &str) {
        self.retain_attributes(|k| k != attname);
        if let Some(loaded) = self.loaded.borrow_mut().as_mut() {
            loaded.documents.retain(|(k, _)| k != attname);
            loaded.converted.retain(|(k, _)| k != attname);
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

/// Django's `Prefetch`: the path to traverse (`prefetch_through`), the path whose last
/// name stores the result (`prefetch_to`: `to_attr` in place of the last name), and the
/// queryset of the last level (a `GenericPrefetch`: the querysets of its content types).
#[derive(Debug, Clone)]
pub struct Prefetch {
    pub through: String,
    pub to: String,
    pub queryset: Option<Rc<QuerySet>>,
    pub to_attr: Option<String>,
    pub generic: Option<Rc<super::generic_prefetch::GenericPrefetch>>,
}

impl PartialEq for Prefetch {
    /// Django compares Prefetch objects by `prefetch_to`.
    fn eq(&self, other: &Prefetch) -> bool {
        self.to == other.to
    }
}

impl Native for Prefetch {
    fn type_name(&self) -> Cow<'_, str> {
        "Prefetch".into()
    }
    native_equals!();
    native_any!();
}

impl Prefetch {
    /// A lookup given by name.
    pub fn new(lookup: &str) -> Prefetch {
        Prefetch {
            through: lookup.to_string(),
            to: lookup.to_string(),
            queryset: None,
            to_attr: None,
            generic: None,
        }
    }
}

/// `FETCH_ONE`, `FETCH_PEERS`, `FETCH_RAISE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FetchMode {
    #[default]
    One,
    Peers,
    Raise,
}

impl Native for FetchMode {
    fn type_name(&self) -> Cow<'_, str> {
        match self {
            FetchMode::One => "FetchOne",
            FetchMode::Peers => "FetchPeers",
            FetchMode::Raise => "FetchRaise",
        }
        .into()
    }
    fn is_singleton(&self) -> bool {
        true
    }
    native_equals!();
    native_any!();
}

/// The fetch mode of the instances one query made, and (`FETCH_PEERS`) those instances.
#[derive(Debug, Default)]
pub struct Fetch {
    pub mode: FetchMode,
    pub peers: RefCell<Vec<Weak<Instance>>>,
}
