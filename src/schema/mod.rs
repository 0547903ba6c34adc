//! Schema: what models exist, their fields and relations, as Django sees them.
//!
//! Built in two steps: [`introspect`] reads the live database (tables, columns, keys, indexes,
//! `django_content_type`) and names everything by Django's conventions; [`models_py`] then
//! overlays what only the project's `models.py` knows (related names, ordering, choices, ...);
//! [`contrib`] declares the models of Django's own apps (ContentType), and `generic` the
//! generic relations of django.contrib.contenttypes and the database's content type ids.
//! [`Schema::link`] finally derives reverse relations. Every later stage reads the schema; none
//! writes it.

pub mod contrib;
mod foreign_object;
mod generic;
pub mod inherit;
pub mod introspect;
pub mod models_py;
pub mod py_lookups;

pub use foreign_object::{ForeignObject, ForeignObjectDecl, ForeignObjectReverse};
pub use generic::{GenericForeignKey, GenericRelation, GenericReverse};

pub use models_py::PyModule;

use crate::syntax::ast::Expr;
use std::sync::Arc;

mod shared;
pub use shared::{Choices, Interner, Name};

/// Index of a model in [`Schema::models`].
pub type ModelId = usize;

#[derive(Debug, Clone, Default)]
pub struct Schema {
    /// Shared, so that holding a model while the session changes (a save, a row read into
    /// an instance) clones a pointer, not its fields: cloning the model was a third of a
    /// `save()` (benches/interpreter.rs). Changed through [`Arc::make_mut`].
    pub models: Vec<Arc<Model>>,
    /// `(app_label, model, id)` rows of the database's `django_content_type` (read once, at
    /// start: Django creates them at `migrate`).
    pub content_types: Vec<(String, String, i64)>,
    /// The PostgreSQL server's `server_version_num` (150018 for 15.18), read at start; `None`
    /// on SQLite or with no database. Django's features that depend on it do too
    /// (`supports_any_value` from 16 on).
    pub postgres_version: Option<i64>,
    /// Lookups and transforms the session registered from Python.
    pub py_lookups: py_lookups::PyLookups,
    /// Some model has a ForeignObject whose joins add what its `get_extra_restriction()`
    /// returns (set by [`Schema::link`], so that compiling a statement need not look).
    pub restricted_joins: bool,
    /// The project's `TIME_ZONE` and `USE_TZ` (set when the session is made).
    pub tz: crate::tz::TzConfig,
    /// Some model has a composite primary key or a ForeignObject: a name may end on a
    /// multi-column value (set by [`Schema::link`]; most schemas have neither).
    pub multi_column: bool,
}

#[derive(Debug)]
pub struct Model {
    /// Class name, e.g. `Book`.
    pub name: String,
    /// App label, e.g. `books` (empty when unknown).
    pub app_label: String,
    /// `db_table`, e.g. `books_book`.
    pub table: Name,
    /// Concrete fields in column order (Django's `_meta.concrete_fields`).
    pub fields: Vec<Field>,
    /// Index of the primary key in `fields`.
    pub pk: usize,
    /// Many-to-many fields declared on this model.
    pub m2m: Vec<ManyToMany>,
    /// Relations pointing at this model from elsewhere (derived by [`Schema::link`]).
    pub reverse: Vec<ReverseRelation>,
    /// `Meta.ordering`, as written (`-publication_date`, `author__name`, `?`).
    pub ordering: Vec<String>,
    /// `Meta.get_latest_by`: the fields `latest()`/`earliest()` order by when given none.
    pub get_latest_by: Vec<String>,
    /// True for the through table Django creates for a ManyToManyField.
    pub auto_created: bool,
    /// The models.py that declares the model, with its Python (see [`PyModule`]).
    pub module: Option<std::sync::Arc<PyModule>>,
    /// Indexes: (name, columns, unique).
    pub indexes: Vec<Index>,
    /// Managers models.py assigns (`objects = ArticleManager()`) and the model inherits, in
    /// Django's `_meta.managers` order: its own in declaration order, then its bases'.
    pub managers: Vec<Manager>,
    /// Position among the models.py declarations (Django's definition order, the order
    /// `app_config.get_models()` lists them in); `None` for a model only introspected.
    pub declared: Option<usize>,
    /// A composite primary key (`models.CompositePrimaryKey("a", "b")`, or a table's
    /// multi-column key): its fields, in key order; empty for a single-field key.
    pub composite_pk: Vec<usize>,
    /// `ForeignObject`s as declared (those not placed in `foreign_objects` are errors).
    pub unsupported: Vec<ForeignObjectDecl>,
    /// `GenericForeignKey`s declared on this model (django.contrib.contenttypes).
    pub generic_fks: Vec<GenericForeignKey>,
    /// `GenericRelation`s declared on this model.
    pub generic_relations: Vec<GenericRelation>,
    /// GenericRelations pointing at this model with a `related_query_name` (derived by
    /// [`Schema::link`]).
    pub generic_reverse: Vec<GenericReverse>,
    /// The declared `ForeignObject`s djq placed (derived by [`Schema::link`]).
    pub foreign_objects: Vec<ForeignObject>,
    /// Placed `ForeignObject`s pointing at this model (derived by [`Schema::link`]).
    pub foreign_object_reverse: Vec<ForeignObjectReverse>,
    /// Multi-table inheritance (Django's `_meta.parents`): each direct concrete parent and
    /// the index in `fields` of the one-to-one link to it (see [`inherit`]).
    pub parents: Vec<(ModelId, usize)>,
    /// The model a proxy proxies, its base (Django's `_meta.proxy_for_model`; another proxy
    /// for a proxy of a proxy); `None` for a concrete model.
    pub proxy_for: Option<ModelId>,
    /// `Meta.order_with_respect_to`: the index in `fields` of the foreign key whose rows
    /// are numbered, in the hidden `_order` field (the last of `fields`).
    pub order_wrt: Option<usize>,
}

impl Clone for Model {
    /// A copy sharing the table name.
    fn clone(&self) -> Model {
        Model {
            name: self.name.clone(),
            app_label: self.app_label.clone(),
            table: self.table.share(),
            fields: self.fields.clone(),
            pk: self.pk,
            m2m: self.m2m.clone(),
            reverse: self.reverse.clone(),
            ordering: self.ordering.clone(),
            get_latest_by: self.get_latest_by.clone(),
            auto_created: self.auto_created,
            module: self.module.clone(),
            indexes: self.indexes.clone(),
            managers: self.managers.clone(),
            declared: self.declared,
            composite_pk: self.composite_pk.clone(),
            unsupported: self.unsupported.clone(),
            generic_fks: self.generic_fks.clone(),
            generic_relations: self.generic_relations.clone(),
            generic_reverse: self.generic_reverse.clone(),
            foreign_objects: self.foreign_objects.clone(),
            foreign_object_reverse: self.foreign_object_reverse.clone(),
            parents: self.parents.clone(),
            proxy_for: self.proxy_for,
            order_wrt: self.order_wrt,
        }
    }
}

/// A custom manager: the methods its Manager and QuerySet classes define in models.py.
#[derive(Debug, Clone, Default)]
pub struct Manager {
    /// The attribute (`objects`).
    pub name: String,
    /// Django's name of its class (`PersonManager`, `ManagerFromBookQuerySet`), as
    /// AttributeError names it.
    pub class: String,
    /// Its QuerySet class's name (`QuerySet` when models.py gives none).
    pub queryset_class: String,
    /// `Meta.default_manager_name` / `Meta.base_manager_name` name this manager.
    pub default: bool,
    pub base: bool,
    /// Methods of the Manager subclass (`get_queryset` apart).
    pub methods: Vec<Method>,
    /// Methods of its QuerySet class (`as_manager()`, `from_queryset(QS)`, or the class
    /// `get_queryset` returns), available on the manager and its querysets.
    pub queryset_methods: Vec<Method>,
    /// An overridden `get_queryset` that narrows the rows (`super().get_queryset().filter(...)`).
    pub get_queryset: Option<Method>,
    /// The arguments models.py makes it with (`CustomManager("hello")`), which its own
    /// `__init__` (in `methods`) receives.
    pub init_args: Vec<crate::syntax::ast::Arg>,
}

/// A `def` in a Manager or QuerySet class, run by the interpreter with `self` bound.
#[derive(Debug, Clone)]
pub struct Method {
    pub name: String,
    pub params: Vec<crate::syntax::ast::Param>,
    pub body: Vec<crate::syntax::ast::Stmt>,
    /// `method.queryset_only = True/False` in the class body (Django's default: only a
    /// method whose name starts with `_` stays off the manager).
    pub queryset_only: Option<bool>,
}

impl Method {
    /// Whether a manager made from the QuerySet class gets this method (Django's
    /// `BaseManager._get_queryset_methods`).
    pub fn on_manager(&self) -> bool {
        !self.queryset_only.unwrap_or(self.name.starts_with('_'))
    }
}

#[derive(Debug, Clone)]
pub struct Index {
    pub name: String,
    pub columns: Vec<Arc<str>>,
    pub unique: bool,
}

#[derive(Debug)]
pub struct Field {
    /// Field name (`author` for a foreign key).
    pub name: Name,
    /// Database column (`author_id`).
    pub column: Name,
    pub kind: FieldKind,
    pub null: bool,
    pub primary_key: bool,
    pub unique: bool,
    pub max_length: Option<u32>,
    /// `(max_digits, decimal_places)` for DecimalField when known.
    pub decimal: Option<(u32, u32)>,
    /// The default as models.py writes it (`0`, `'FIC'`, `timezone.now`).
    pub default: Option<Box<Expr>>,
    pub choices: Choices,
    pub auto_now: bool,
    pub auto_now_add: bool,
    /// `db_default=`, as models.py writes it (`Now()`, `100`): an INSERT without a value
    /// leaves the column to the database.
    pub db_default: Option<Box<Expr>>,
    /// A `GeneratedField`: the database computes it; never written.
    pub generated: bool,
    /// A GeneratedField's `referenced_fields`: the names its expression reads (a save that
    /// writes one of them reads the column back).
    pub generated_from: Box<[String]>,
    /// Set for ForeignKey and OneToOneField.
    pub relation: Option<Box<ForeignKey>>,
    /// ArrayField's `base_field`, the field of its elements (named like the array, as Django
    /// names it).
    pub base_field: Option<Box<Field>>,
    /// The models.py class of a field whose class defines its own `from_db_value()` (it or
    /// a base): what Django applies to each value read from the database.
    pub from_db_value: Option<Box<str>>,
}

impl Clone for Field {
    /// A copy sharing the names.
    fn clone(&self) -> Field {
        Field {
            name: self.name.share(),
            column: self.column.share(),
            default: self.default.clone(),
            db_default: self.db_default.clone(),
            generated_from: self.generated_from.clone(),
            choices: self.choices.clone(),
            relation: self.relation.clone(),
            base_field: self.base_field.clone(),
            from_db_value: self.from_db_value.clone(),
            ..*self
        }
    }
}

impl Field {
    /// A field with no options set (not null, not unique, no relation); callers adjust the rest.
    pub fn new(name: impl Into<Name>, column: impl Into<Name>, kind: FieldKind) -> Field {
        Field {
            name: name.into(),
            column: column.into(),
            kind,
            null: false,
            primary_key: false,
            unique: false,
            max_length: None,
            decimal: None,
            default: None,
            choices: Choices::default(),
            auto_now: false,
            auto_now_add: false,
            db_default: None,
            generated: false,
            generated_from: Box::default(),
            relation: None,
            base_field: None,
            from_db_value: None,
        }
    }

    /// Django's `attname`: `author_id` for a foreign key `author`, else the name.
    pub fn attname(&self) -> String {
        if self.relation.is_some() {
            format!("{}_id", self.name)
        } else {
            self.name.clone()
        }
    }

    /// Whether `name` is [`Field::attname`], without making the attname.
    pub fn has_attname(&self, name: &str) -> bool {
        match self.relation {
            Some(_) => name.strip_suffix("_id") == Some(self.name.as_str()),
            None => self.name == name,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ForeignKey {
    pub to: ModelId,
    /// Index of the target field in the target model (its pk unless `to_field`).
    pub to_field: usize,
    pub related_name: Option<String>,
    pub related_query_name: Option<String>,
    pub on_delete: OnDelete,
    pub one_to_one: bool,
    /// How the column's values come back: the target field's (an integer for a primary key
    /// `id`, text for `to_field` a CharField, a UUID); set by [`Schema::link`].
    pub target_type: crate::value::ValueType,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnDelete {
    Cascade,
    Protect,
    Restrict,
    SetNull,
    SetDefault,
    DoNothing,
}

impl OnDelete {
    /// The name models.py writes (`CASCADE` for `models.CASCADE`).
    pub fn django_name(self) -> &'static str {
        match self {
            OnDelete::Cascade => "CASCADE",
            OnDelete::Protect => "PROTECT",
            OnDelete::Restrict => "RESTRICT",
            OnDelete::SetNull => "SET_NULL",
            OnDelete::SetDefault => "SET_DEFAULT",
            OnDelete::DoNothing => "DO_NOTHING",
        }
    }
}

#[derive(Debug, Clone)]
pub struct ManyToMany {
    pub name: String,
    pub to: ModelId,
    /// The through model (auto-created or explicit).
    pub through: ModelId,
    /// Index (in the through model's fields) of the FK pointing back at the declaring model.
    pub source_field: usize,
    /// Index (in the through model's fields) of the FK pointing at the target model.
    pub target_field: usize,
    pub related_name: Option<String>,
    pub related_query_name: Option<String>,
    /// A generic through model (django-taggit's `TaggedItem`): the index of its foreign key
    /// to ContentType, which must be the declaring model's content type; `source_field` is
    /// then its object id, not a foreign key.
    pub content_type: Option<usize>,
    /// django-taggit's `TaggableManager` (its instances' manager is taggit's).
    pub tags: bool,
    /// The models declaring `source_field` and `target_field`: `through`, or a multi-table
    /// ancestor of it whose foreign key the through model inherits.
    pub owners: [ModelId; 2],
    /// A through model whose keys are `ForeignObject`s: their names (to the declaring model,
    /// to the target); `source_field`/`target_field` are then their first local fields.
    pub through_objects: Option<[String; 2]>,
}

/// A relation seen from its target: `Author.books` for `Book.author`.
#[derive(Debug, Clone)]
pub struct ReverseRelation {
    /// Name used in lookups (`books`, or the default `book`).
    pub query_name: String,
    /// Attribute on instances (`books`, or the default `book_set`).
    pub accessor: String,
    /// The model that declares the relation.
    pub from: ModelId,
    pub via: ReverseVia,
}

#[derive(Debug, Clone, Copy)]
pub enum ReverseVia {
    /// `fields[i]` of `from` is the ForeignKey/OneToOneField.
    ForeignKey(usize),
    /// `m2m[i]` of `from` is the ManyToManyField.
    ManyToMany(usize),
}

/// How Django stores a field; names follow Django's field classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    AutoField,
    BigAutoField,
    SmallAutoField,
    IntegerField,
    BigIntegerField,
    SmallIntegerField,
    PositiveIntegerField,
    PositiveBigIntegerField,
    PositiveSmallIntegerField,
    BooleanField,
    CharField,
    TextField,
    SlugField,
    EmailField,
    UrlField,
    DateField,
    DateTimeField,
    TimeField,
    DurationField,
    DecimalField,
    FloatField,
    UuidField,
    JsonField,
    BinaryField,
    GenericIpAddressField,
    /// PostgreSQL's `ArrayField` (`django.contrib.postgres.fields`); values are JSON lists.
    ArrayField,
    ForeignKey,
    OneToOneField,
}

impl FieldKind {
    /// Django's class name, e.g. `CharField`.
    pub fn django_name(self) -> &'static str {
        use FieldKind::*;
        match self {
            AutoField => "AutoField",
            BigAutoField => "BigAutoField",
            SmallAutoField => "SmallAutoField",
            IntegerField => "IntegerField",
            BigIntegerField => "BigIntegerField",
            SmallIntegerField => "SmallIntegerField",
            PositiveIntegerField => "PositiveIntegerField",
            PositiveBigIntegerField => "PositiveBigIntegerField",
            PositiveSmallIntegerField => "PositiveSmallIntegerField",
            BooleanField => "BooleanField",
            CharField => "CharField",
            TextField => "TextField",
            SlugField => "SlugField",
            EmailField => "EmailField",
            UrlField => "URLField",
            DateField => "DateField",
            DateTimeField => "DateTimeField",
            TimeField => "TimeField",
            DurationField => "DurationField",
            DecimalField => "DecimalField",
            FloatField => "FloatField",
            UuidField => "UUIDField",
            JsonField => "JSONField",
            BinaryField => "BinaryField",
            GenericIpAddressField => "GenericIPAddressField",
            ArrayField => "ArrayField",
            ForeignKey => "ForeignKey",
            OneToOneField => "OneToOneField",
        }
    }

    /// The field class for a Django class name (`models.CharField` → `CharField`).
    pub fn from_django_name(name: &str) -> Option<FieldKind> {
        use FieldKind::*;
        Some(match name {
            "AutoField" => AutoField,
            "BigAutoField" => BigAutoField,
            "SmallAutoField" => SmallAutoField,
            "IntegerField" => IntegerField,
            "BigIntegerField" => BigIntegerField,
            "SmallIntegerField" => SmallIntegerField,
            "PositiveIntegerField" => PositiveIntegerField,
            "PositiveBigIntegerField" => PositiveBigIntegerField,
            "PositiveSmallIntegerField" => PositiveSmallIntegerField,
            "BooleanField" | "NullBooleanField" => BooleanField,
            "CharField" | "FileField" | "ImageField" | "FilePathField" => CharField,
            "TextField" => TextField,
            "SlugField" => SlugField,
            "EmailField" => EmailField,
            "URLField" => UrlField,
            "DateField" => DateField,
            "DateTimeField" => DateTimeField,
            "TimeField" => TimeField,
            "DurationField" => DurationField,
            "DecimalField" => DecimalField,
            "FloatField" => FloatField,
            "UUIDField" => UuidField,
            "JSONField" => JsonField,
            "BinaryField" => BinaryField,
            "GenericIPAddressField" | "IPAddressField" => GenericIpAddressField,
            "ArrayField" => ArrayField,
            "ForeignKey" => ForeignKey,
            "OneToOneField" => OneToOneField,
            _ => return None,
        })
    }

    pub fn is_integer(self) -> bool {
        use FieldKind::*;
        matches!(
            self,
            AutoField
                | BigAutoField
                | SmallAutoField
                | IntegerField
                | BigIntegerField
                | SmallIntegerField
                | PositiveIntegerField
                | PositiveBigIntegerField
                | PositiveSmallIntegerField
        )
    }

    pub fn is_text(self) -> bool {
        use FieldKind::*;
        matches!(
            self,
            CharField | TextField | SlugField | EmailField | UrlField | GenericIpAddressField
        )
    }
}

/// What a name means on a model, as Django's `opts.get_field(name)` finds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRef {
    /// `fields[i]`
    Concrete(usize),
    /// `m2m[i]`
    ManyToMany(usize),
    /// `reverse[i]`
    Reverse(usize),
    /// `generic_relations[i]`
    GenericRelation(usize),
    /// `generic_reverse[i]`
    GenericReverse(usize),
    /// `foreign_objects[i]`
    ForeignObject(usize),
    /// `foreign_object_reverse[i]`
    ForeignObjectReverse(usize),
}

impl Schema {
    pub fn model(&self, id: ModelId) -> &Arc<Model> {
        &self.models[id]
    }

    /// A model to change (copied first if a session still holds it).
    pub fn model_mut(&mut self, id: ModelId) -> &mut Model {
        Arc::make_mut(&mut self.models[id])
    }

    /// A model by class name (exact), the way the shell's namespace finds it.
    pub fn find_model(&self, name: &str) -> Option<ModelId> {
        self.models.iter().position(|m| m.name == name)
    }

    /// A model by its table.
    pub fn find_table(&self, table: &str) -> Option<ModelId> {
        self.models.iter().position(|m| m.table == table)
    }

    /// The models a user can name (not auto-created through tables), in name order.
    pub fn user_models(&self) -> impl Iterator<Item = (ModelId, &Model)> {
        self.models
            .iter()
            .map(|m| &**m)
            .enumerate()
            .filter(|(_, m)| !m.auto_created)
    }

    /// Derive every model's reverse relations from the forward ones, with Django's default
    /// names (`book` / `book_set`) unless a related_name says otherwise. Call after any change.
    pub fn link(&mut self) {
        for m in &mut self.models {
            Arc::make_mut(m).reverse.clear();
        }
        self.link_target_types();
        self.link_foreign_objects();
        self.restricted_joins =
            (self.models.iter()).any(|m| m.foreign_objects.iter().any(|f| f.restriction.is_some()));
        self.multi_column = (self.models.iter())
            .any(|m| !m.composite_pk.is_empty() || !m.foreign_objects.is_empty());
        let mut found = Vec::new();
        for (from, model) in self.models.iter().enumerate() {
            let lower = model.name.to_lowercase();
            for (i, f) in model.fields.iter().enumerate() {
                if let Some(fk) = &f.relation {
                    if model.auto_created
                        || fk.related_name.as_deref().is_some_and(|n| n.ends_with('+'))
                    {
                        continue;
                    }
                    let accessor = fk.related_name.clone().unwrap_or_else(|| {
                        if fk.one_to_one {
                            lower.clone()
                        } else {
                            format!("{lower}_set")
                        }
                    });
                    let query_name = fk
                        .related_query_name
                        .clone()
                        .or_else(|| fk.related_name.clone())
                        .unwrap_or_else(|| lower.clone());
                    found.push((
                        fk.to,
                        ReverseRelation {
                            query_name,
                            accessor,
                            from,
                            via: ReverseVia::ForeignKey(i),
                        },
                    ));
                }
            }
            for (i, mm) in model.m2m.iter().enumerate() {
                // A hidden many-to-many (`related_name='+'`, a symmetrical one to self) keeps
                // its reverse under that name, which no filter can spell: the related
                // manager's queries go through it, as Django's do.
                if let Some(hidden) = mm.related_name.as_deref().filter(|n| n.ends_with('+')) {
                    found.push((
                        mm.to,
                        ReverseRelation {
                            query_name: hidden.to_string(),
                            accessor: hidden.to_string(),
                            from,
                            via: ReverseVia::ManyToMany(i),
                        },
                    ));
                    continue;
                }
                let accessor = mm
                    .related_name
                    .clone()
                    .unwrap_or_else(|| format!("{lower}_set"));
                let query_name = mm
                    .related_query_name
                    .clone()
                    .or_else(|| mm.related_name.clone())
                    .unwrap_or_else(|| lower.clone());
                found.push((
                    mm.to,
                    ReverseRelation {
                        query_name,
                        accessor,
                        from,
                        via: ReverseVia::ManyToMany(i),
                    },
                ));
            }
        }
        // A relation to a model is a relation to its proxies too, and one to a proxy is its
        // concrete model's (Django relates concrete models).
        let concrete: Vec<ModelId> = (0..self.models.len())
            .map(|m| self.concrete_model(m))
            .collect();
        for (to, rel) in found {
            for (m, c) in concrete.iter().enumerate() {
                if *c == concrete[to] {
                    self.model_mut(m).reverse.push(rel.clone());
                }
            }
        }
        self.link_generic();
    }
}

impl Schema {
    /// Each foreign key's [`ForeignKey::target_type`], following chains of one-to-one
    /// primary keys (a child's `place_ptr` to a parent's).
    fn link_target_types(&mut self) {
        for _ in 0..crate::schema::MAX_KEY_CHAIN {
            let mut changes = Vec::new();
            for (m, model) in self.models.iter().enumerate() {
                for (i, f) in model.fields.iter().enumerate() {
                    if let Some(fk) = &f.relation {
                        let ty = self.models[fk.to].fields[fk.to_field].value_type();
                        if ty != fk.target_type {
                            changes.push((m, i, ty));
                        }
                    }
                }
            }
            if changes.is_empty() {
                return;
            }
            for (m, i, ty) in changes {
                let f = &mut self.model_mut(m).fields[i];
                f.relation.as_mut().expect("a relation").target_type = ty;
            }
        }
    }
}

/// How many foreign keys to foreign keys [`Schema::link`] follows for a column's type.
const MAX_KEY_CHAIN: usize = 8;

impl Model {
    /// A model with no fields yet (`pk` 0); callers push fields and set `pk`.
    pub fn new(
        name: impl Into<String>,
        app_label: impl Into<String>,
        table: impl Into<Name>,
    ) -> Model {
        Model {
            name: name.into(),
            app_label: app_label.into(),
            table: table.into(),
            fields: Vec::new(),
            pk: 0,
            m2m: Vec::new(),
            reverse: Vec::new(),
            ordering: Vec::new(),
            get_latest_by: Vec::new(),
            auto_created: false,
            module: None,
            indexes: Vec::new(),
            managers: Vec::new(),
            declared: None,
            composite_pk: Vec::new(),
            unsupported: Vec::new(),
            generic_fks: Vec::new(),
            generic_relations: Vec::new(),
            generic_reverse: Vec::new(),
            foreign_objects: Vec::new(),
            foreign_object_reverse: Vec::new(),
            parents: Vec::new(),
            proxy_for: None,
            order_wrt: None,
        }
    }

    /// The index of the default manager in `managers`: the one `Meta.default_manager_name`
    /// names, else the first (none: Django's implicit `objects = Manager()`).
    pub fn default_manager_index(&self) -> Option<usize> {
        (self.managers.iter().position(|m| m.default)).or((!self.managers.is_empty()).then_some(0))
    }

    /// The default manager models.py declares.
    pub fn default_manager(&self) -> Option<&Manager> {
        self.default_manager_index().map(|i| &self.managers[i])
    }

    /// The index of `_base_manager`: the one `Meta.base_manager_name` names (none: a plain
    /// `Manager()`).
    pub fn base_manager_index(&self) -> Option<usize> {
        self.managers.iter().position(|m| m.base)
    }

    pub fn pk_field(&self) -> &Field {
        &self.fields[self.pk]
    }

    /// Resolve a lookup name (`pk` is the caller's business) like `opts.get_field(name)`:
    /// field names, attnames of foreign keys, many-to-many names and reverse query names.
    pub fn get_field(&self, name: &str) -> Option<FieldRef> {
        if let Some(i) = self.fields.iter().position(|f| f.name == name) {
            return Some(FieldRef::Concrete(i));
        }
        if let Some(i) = self.m2m.iter().position(|f| f.name == name) {
            return Some(FieldRef::ManyToMany(i));
        }
        if let Some(i) = self.reverse.iter().position(|r| r.query_name == name) {
            return Some(FieldRef::Reverse(i));
        }
        if let Some(i) = self.generic_relations.iter().position(|g| g.name == name) {
            return Some(FieldRef::GenericRelation(i));
        }
        if let Some(i) = self
            .generic_reverse
            .iter()
            .position(|g| g.query_name == name)
        {
            return Some(FieldRef::GenericReverse(i));
        }
        if let Some(i) = self.foreign_object(name) {
            return Some(FieldRef::ForeignObject(i));
        }
        if let Some(i) = self.foreign_object_back(name) {
            return Some(FieldRef::ForeignObjectReverse(i));
        }
        self.fields
            .iter()
            .position(|f| f.relation.is_some() && f.has_attname(name))
            .map(FieldRef::Concrete)
    }

    /// The concrete field with this name or attname.
    pub fn concrete(&self, name: &str) -> Option<usize> {
        self.fields
            .iter()
            .position(|f| f.name == name || f.has_attname(name))
    }

    /// Django's "Choices are: ..." list: every field name, plus attnames of concrete
    /// relations, sorted.
    pub fn field_choices(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for f in &self.fields {
            names.push(f.name.clone());
            if f.relation.is_some() {
                names.push(f.attname());
            }
        }
        names.extend(self.m2m.iter().map(|m| m.name.clone()));
        names.extend(
            self.reverse
                .iter()
                .filter(|r| !r.query_name.ends_with('+'))
                .map(|r| r.query_name.clone()),
        );
        names.extend(self.generic_fks.iter().map(|g| g.name.clone()));
        names.extend(self.generic_relations.iter().map(|g| g.name.clone()));
        names.extend(self.generic_reverse.iter().map(|g| g.query_name.clone()));
        names.extend(self.foreign_objects.iter().map(|f| f.name.clone()));
        // Those djq cannot place too: Django names them.
        names.extend(self.unsupported.iter().map(|f| f.name.clone()));
        names.extend(
            self.foreign_object_reverse
                .iter()
                .map(|r| r.query_name.clone()),
        );
        names.sort();
        names.dedup();
        names
    }
}

impl Field {
    /// The kind whose values the column stores: a relation's target field's (an integer key,
    /// a `to_field` CharField, a UUID), else the field's own.
    pub fn storage_kind(&self) -> FieldKind {
        use crate::value::ValueType as T;
        match (&self.relation, self.value_type()) {
            (None, _) => self.kind,
            (Some(_), T::Uuid) => FieldKind::UuidField,
            (Some(_), T::Text) => FieldKind::CharField,
            (Some(_), T::Date) => FieldKind::DateField,
            (Some(_), T::DateTime) => FieldKind::DateTimeField,
            (Some(_), _) => FieldKind::IntegerField,
        }
    }

    /// How values of this field come back from the database.
    pub fn value_type(&self) -> crate::value::ValueType {
        use crate::value::ValueType as T;
        use FieldKind::*;
        match self.kind {
            k if k.is_integer() => T::Int,
            ForeignKey | OneToOneField => self.relation.as_ref().map_or(T::Int, |r| r.target_type),
            BooleanField => T::Bool,
            DateField => T::Date,
            DateTimeField => T::DateTime,
            TimeField => T::Time,
            DurationField => T::Duration,
            DecimalField => T::Decimal {
                places: self.decimal.map(|(_, p)| p),
            },
            FloatField => T::Float,
            UuidField => T::Uuid,
            JsonField | ArrayField => T::Json,
            BinaryField => T::Bytes,
            _ => T::Text,
        }
    }
}

impl Model {
    /// The error for a field djq reads but cannot use yet (`ForeignObject`).
    pub fn unsupported_field(&self, name: &str) -> Option<crate::diag::Diagnostic> {
        let decl = self.unsupported.iter().find(|d| d.name == name)?;
        Some(crate::diag::Diagnostic::new(
            crate::diag::ErrorKind::NotSupported,
            format!(
                "{}.{name} is a {}: {} not supported by djq yet",
                self.name,
                decl.class,
                decl.why()
            ),
        ))
    }
}

/// The error for what djq cannot do yet with a model's composite primary key (`what` the
/// key: "lookups on", "save() of instances keyed by").
pub fn composite_pk_unsupported(model: &Model, what: &str) -> crate::diag::Diagnostic {
    let names: Vec<&str> = model
        .composite_pk
        .iter()
        .map(|&i| model.fields[i].name.as_str())
        .collect();
    crate::diag::Diagnostic::new(
        crate::diag::ErrorKind::NotSupported,
        format!(
            "{what} the composite primary key of {} ({}) is not supported by djq yet",
            model.name,
            names.join(", ")
        ),
    )
}
