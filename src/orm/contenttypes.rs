//! `django.contrib.contenttypes`' ContentType as Django's object layer has it: its manager
//! (`get_for_model`, `get_for_models`, `get_for_id`, `get_by_natural_key`, `clear_cache`)
//! with Django's per-process cache — the first lookup of a content type runs Django's query,
//! later ones none — and its instances' methods (`model_class()`,
//! `get_object_for_this_type()`, `get_all_objects_for_this_type()`, `natural_key()`) and
//! attributes (`name`, `app_labeled_name`, `str()`). The model itself is a built-in
//! declaration (`crate::schema::contrib`). `django.contrib.contenttypes.fields`' classes
//! import in a script ([`FieldClass`]); the fields themselves are declared in models.py.

use super::Session;
use super::obj::{DjangoObj, Instance, make};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Obj};
use crate::query::{Operand, QChild, QNode};
use crate::schema::ModelId;
use crate::value::Value;
use std::rc::Rc;

/// ContentTypeManager's methods besides the queryset ones.
pub const MANAGER_METHODS: &[&str] = &[
    "get_for_model",
    "get_for_models",
    "get_for_id",
    "get_by_natural_key",
    "clear_cache",
];

/// ContentType's instance methods.
pub const INSTANCE_METHODS: &[&str] = &[
    "model_class",
    "get_object_for_this_type",
    "get_all_objects_for_this_type",
    "natural_key",
];

const GENERIC_PREFETCH: &str = "django.contrib.contenttypes.prefetch.GenericPrefetch";

/// `GenericForeignKey`, `GenericRelation` and `GenericPrefetch` as a script imports them: the
/// classes, by their dotted path. models.py declares the fields; a script that makes one is
/// told djq does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldClass(pub &'static str);

impl FieldClass {
    /// `django.contrib.contenttypes.fields`' classes.
    pub fn module() -> crate::py::Module {
        crate::py::Module::new(
            [
                "django.contrib.contenttypes.fields.GenericForeignKey",
                "django.contrib.contenttypes.fields.GenericRelation",
            ]
            .map(|path| {
                let name = path.rsplit('.').next().unwrap_or(path);
                (name, Obj::new_native(FieldClass(path)))
            }),
        )
    }

    /// Python's `repr()` of the class.
    pub fn repr(&self) -> String {
        format!("<class '{}'>", self.0)
    }

    /// `django.contrib.contenttypes.prefetch`'s class.
    pub fn prefetch_module() -> crate::py::Module {
        crate::py::Module::new([(
            "GenericPrefetch",
            Obj::new_native(FieldClass(GENERIC_PREFETCH)),
        )])
    }

    /// Calling it: a GenericPrefetch, or a field made outside models.py, which djq does not
    /// model.
    pub fn call(&self, s: &mut Session, args: &crate::py::Args) -> Result<Obj> {
        if self.0 == GENERIC_PREFETCH {
            return s.new_generic_prefetch(args);
        }
        Err(Diagnostic::new(
            ErrorKind::NotSupported,
            format!(
                "{}() outside models.py is not supported by djq yet (declare the field on a model)",
                self.0
            ),
        )
        .at(args.span))
    }
}

impl crate::py::Native for FieldClass {
    fn type_name(&self) -> std::borrow::Cow<'_, str> {
        "type".into()
    }
    fn is_singleton(&self) -> bool {
        true
    }
    fn callable(&self) -> bool {
        true
    }
    crate::native_equals!();
    crate::native_any!();
}

/// The content types a session has looked up (Django's `ContentTypeManager._cache`).
#[derive(Debug, Default)]
pub struct Cache {
    rows: Vec<Rc<Instance>>,
}

impl Cache {
    fn find(&self, what: impl Fn(&Instance) -> bool) -> Option<Rc<Instance>> {
        self.rows.iter().find(|i| what(i)).cloned()
    }

    fn add(&mut self, ct: Rc<Instance>) {
        let id = ct.get("id");
        self.rows.retain(|i| i.get("id") != id);
        self.rows.push(ct);
    }
}

fn text(inst: &Instance, attname: &str) -> String {
    match inst.get(attname) {
        Some(Value::Text(s)) => s,
        _ => String::new(),
    }
}

impl Session {
    /// Is `m` django.contrib.contenttypes' ContentType?
    pub(super) fn is_content_type(&self, m: ModelId) -> bool {
        self.host.schema.is_content_type_model(m)
    }

    /// The ContentType model, or why generic relations cannot work here.
    fn content_type_model(&self) -> Result<ModelId> {
        self.host.schema.content_type_model_id().ok_or_else(|| {
            Diagnostic::new(
                ErrorKind::NotSupported,
                "django.contrib.contenttypes' django_content_type table is not in this \
                 database; generic relations need it",
            )
        })
    }

    /// `ContentType.objects.<method>(**filters)`, through the ordinary queryset code (Django's
    /// SQL).
    fn content_type_call(
        &mut self,
        method: &str,
        filters: Vec<(&str, Value)>,
        span: Span,
    ) -> Result<Obj> {
        let ct = self.content_type_model()?;
        let qs = Rc::new(self.manager_queryset(ct));
        let args = Args {
            pos: Vec::new(),
            kw: filters
                .into_iter()
                .map(|(k, v)| (k.to_string(), Obj::Value(v), span))
                .collect(),
            span,
        };
        self.queryset_method(qs, method, args)
    }

    /// `ContentType.objects.get(**filters)`.
    fn content_type_get(
        &mut self,
        filters: Vec<(&str, Value)>,
        span: Span,
    ) -> Result<Rc<Instance>> {
        let got = self.content_type_call("get", filters, span)?;
        got.instance().ok_or_else(|| {
            Diagnostic::new(ErrorKind::NotSupported, "--sql-only runs no query").at(span)
        })
    }

    /// `ContentType.objects.get_for_model(model)`: from the cache, else Django's query.
    pub(super) fn content_type_for(&mut self, model: ModelId, span: Span) -> Result<Rc<Instance>> {
        self.content_type_of(self.host.schema.concrete_model(model), span)
    }

    /// `get_for_model(model, for_concrete_model=False)`: a proxy's own content type.
    pub(super) fn content_type_of(&mut self, model: ModelId, span: Span) -> Result<Rc<Instance>> {
        let m = self.host.schema.model(model);
        let (app, name) = (m.app_label.clone(), m.name.to_lowercase());
        let cached = self
            .host
            .content_types
            .find(|i| text(i, "app_label") == app && text(i, "model") == name);
        if let Some(ct) = cached {
            return Ok(ct);
        }
        let key = vec![
            ("app_label", Value::Text(app.clone())),
            ("model", Value::Text(name.clone())),
        ];
        let ct = match self.content_type_get(key.clone(), span) {
            // Django makes the row of a model that has none yet (`get_or_create`).
            Err(d) if matches!(d.kind, ErrorKind::DoesNotExist(_)) => {
                let made = self.content_type_get_or_create(key, span)?;
                if let Some(Value::Int(id)) = made.get("id") {
                    let rows = &mut self.host.schema.content_types;
                    rows.retain(|(a, m, _)| (a, m) != (&app, &name));
                    rows.push((app, name, id));
                }
                made
            }
            other => other?,
        };
        self.host.content_types.add(ct.clone());
        Ok(ct)
    }

    /// `ContentType.objects.get_or_create(**key)`'s object.
    fn content_type_get_or_create(
        &mut self,
        key: Vec<(&str, Value)>,
        span: Span,
    ) -> Result<Rc<Instance>> {
        match self.content_type_call("get_or_create", key, span)? {
            Obj::Tuple(t) if let Some(ct) = t.first().and_then(|o| o.instance()) => Ok(ct),
            _ => Err(Diagnostic::new(ErrorKind::NotSupported, "--sql-only runs no query").at(span)),
        }
    }

    /// `ContentType.objects.get_for_id(id)`: from the cache, else Django's query.
    pub(super) fn content_type_by_id(&mut self, id: &Value, span: Span) -> Result<Rc<Instance>> {
        if let Some(ct) = self
            .host
            .content_types
            .find(|i| i.get("id").as_ref() == Some(id))
        {
            return Ok(ct);
        }
        let ct = self.content_type_get(vec![("pk", id.clone())], span)?;
        self.host.content_types.add(ct.clone());
        Ok(ct)
    }

    /// The model a content type names (`ct.model_class()`), `None` when this schema has none.
    pub(super) fn content_type_class(&self, ct: &Instance) -> Option<ModelId> {
        self.host
            .schema
            .content_type_model(&text(ct, "app_label"), &text(ct, "model"))
    }

    /// A model class argument (`get_for_model(Bookmark)` or an instance of it).
    fn model_argument(&self, o: &Obj, span: Span) -> Result<ModelId> {
        o.model_class()
            .or_else(|| o.instance().map(|i| i.model))
            .ok_or_else(|| {
                Diagnostic::new(
                    ErrorKind::Attribute,
                    format!("'{}' object has no attribute '_meta'", o.type_name()),
                )
                .at(span)
            })
    }

    /// A ContentTypeManager method; `None` when `name` is not one.
    pub(super) fn content_type_manager_method(
        &mut self,
        name: &str,
        args: &Args,
    ) -> Option<Result<Obj>> {
        let span = args.span;
        let first = || {
            args.pos.first().cloned().ok_or_else(|| {
                Diagnostic::new(
                    ErrorKind::Type,
                    format!("{name}() missing 1 required positional argument"),
                )
                .at(span)
            })
        };
        Some(match name {
            "get_for_model" => first()
                .and_then(|(o, at)| self.model_argument(&o, at))
                .and_then(|m| match args.kwarg("for_concrete_model") {
                    Some(Obj::Value(Value::Bool(false))) => self.content_type_of(m, span),
                    _ => self.content_type_for(m, span),
                })
                .map(make::instance),
            "get_for_id" => first()
                .and_then(|(o, at)| match o {
                    Obj::Value(v) => Ok(v),
                    other => Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!(
                            "Field 'id' expected a number but got {}.",
                            other.type_name()
                        ),
                    )
                    .at(at)),
                })
                .and_then(|id| self.content_type_by_id(&id, span))
                .map(make::instance),
            "get_by_natural_key" => self.content_type_by_natural_key(args),
            "get_for_models" => self.content_types_for(args),
            "clear_cache" => {
                self.host.content_types = Cache::default();
                Ok(Obj::NONE)
            }
            _ => return None,
        })
    }

    /// `get_by_natural_key(app_label, model)`: from the cache, else Django's query.
    fn content_type_by_natural_key(&mut self, args: &Args) -> Result<Obj> {
        let strings = args.strings("get_by_natural_key")?;
        let [(app, _), (model, _)] = strings.as_slice() else {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                "ContentTypeManager.get_by_natural_key() takes 3 positional arguments",
            )
            .at(args.span));
        };
        if let Some(ct) = self
            .host
            .content_types
            .find(|i| text(i, "app_label") == *app && text(i, "model") == *model)
        {
            return Ok(make::instance(ct));
        }
        let ct = self.content_type_get(
            vec![
                ("app_label", Value::Text(app.clone())),
                ("model", Value::Text(model.clone())),
            ],
            args.span,
        )?;
        self.host.content_types.add(ct.clone());
        Ok(make::instance(ct))
    }

    /// `get_for_models(*models)`: a dict from each model to its content type; those not
    /// cached come from one query (`app_label = ... AND model IN (...)`, OR-ed per app).
    fn content_types_for(&mut self, args: &Args) -> Result<Obj> {
        let ct_model = self.content_type_model()?;
        let mut models = Vec::new();
        for (o, at) in &args.pos {
            models.push(self.model_argument(o, *at)?);
        }
        let key = |s: &Session, m: ModelId| {
            let m = s.host.schema.model(s.host.schema.concrete_model(m));
            (m.app_label.clone(), m.name.to_lowercase())
        };
        let mut needed: Vec<(String, Vec<String>)> = Vec::new();
        for &m in &models {
            let (app, name) = key(self, m);
            let cached = self
                .host
                .content_types
                .find(|i| text(i, "app_label") == app && text(i, "model") == name);
            if cached.is_some() {
                continue;
            }
            match needed.iter_mut().find(|(a, _)| *a == app) {
                Some((_, names)) if !names.contains(&name) => names.push(name),
                Some(_) => {}
                None => needed.push((app, vec![name])),
            }
        }
        if !needed.is_empty() {
            let mut condition = QNode::new(Vec::new(), Vec::new());
            for (app, names) in needed {
                let names = super::related::python_set_order(
                    &names.into_iter().map(Value::Text).collect::<Vec<_>>(),
                );
                let per_app = QNode::new(
                    Vec::new(),
                    vec![
                        QChild::Leaf {
                            key: "app_label".into(),
                            value: Operand::Value(Value::Text(app)),
                            span: args.span,
                        },
                        QChild::Leaf {
                            key: "model__in".into(),
                            value: Operand::List(names.into_iter().map(Operand::Value).collect()),
                            span: args.span,
                        },
                    ],
                );
                condition = if condition.is_empty() {
                    per_app
                } else {
                    condition.combine(per_app, crate::query::expr::Connector::Or)
                };
            }
            let mut qs = self.manager_queryset(ct_model);
            qs.query.add_q(&self.host.schema, &condition)?;
            for ct in self.fetch_all(&qs)? {
                if let Some(ct) = ct.instance() {
                    self.host.content_types.add(ct);
                }
            }
        }
        let mut pairs = Vec::new();
        for m in models {
            let (app, name) = key(self, m);
            if let Some(ct) = self
                .host
                .content_types
                .find(|i| text(i, "app_label") == app && text(i, "model") == name)
            {
                pairs.push((make::model(m), make::instance(ct)));
            }
        }
        Ok(Obj::dict(pairs))
    }

    /// A ContentType instance's method; `None` when `name` is not one.
    pub(super) fn content_type_method(
        &mut self,
        ct: &Rc<Instance>,
        name: &str,
        args: &Args,
    ) -> Option<Result<Obj>> {
        let span = args.span;
        Some(match name {
            "model_class" => Ok(self.content_type_class(ct).map_or(Obj::NONE, make::model)),
            "natural_key" => Ok(Obj::tuple(vec![
                Obj::str(text(ct, "app_label")),
                Obj::str(text(ct, "model")),
            ])),
            "get_object_for_this_type" | "get_all_objects_for_this_type" => {
                let Some(model) = self.content_type_class(ct) else {
                    return Some(Err(Diagnostic::new(
                        ErrorKind::Attribute,
                        "'NoneType' object has no attribute '_base_manager'",
                    )
                    .at(span)));
                };
                let method = if name == "get_object_for_this_type" {
                    "get"
                } else {
                    "filter"
                };
                let qs = Rc::new(self.manager_queryset(model));
                self.queryset_method(qs, method, args.clone())
            }
            _ => return None,
        })
    }

    /// `ct.name` (the model's verbose name) and `ct.app_labeled_name`; `None` for others.
    pub(super) fn content_type_attribute(
        &mut self,
        ct: &Instance,
        name: &str,
    ) -> Option<Result<Obj>> {
        match name {
            "name" | "app_labeled_name" => Some(self.content_type_names(ct).map(|(app, model)| {
                Obj::str(match name {
                    "name" => model,
                    _ => format!("{app} | {model}"),
                })
            })),
            _ => None,
        }
    }

    /// `str(ct)`: Django's `app_labeled_name`.
    pub(super) fn content_type_str(&mut self, ct: &Instance) -> Result<String> {
        let (app, model) = self.content_type_names(ct)?;
        Ok(format!("{app} | {model}"))
    }

    /// The app's verbose name and the model's (the row's labels when the model is unknown).
    fn content_type_names(&mut self, ct: &Instance) -> Result<(String, String)> {
        let Some(model) = self.content_type_class(ct) else {
            return Ok((text(ct, "app_label"), text(ct, "model")));
        };
        let verbose = match self.options_attribute(model, "verbose_name")? {
            Some(v) => self.py_str(&v)?,
            None => text(ct, "model"),
        };
        Ok((app_verbose_name(&text(ct, "app_label")), verbose))
    }
}

/// An `AppConfig`'s default `verbose_name`: its label, title-cased (Django's own apps set
/// theirs).
fn app_verbose_name(label: &str) -> String {
    match label {
        "contenttypes" => "Content Types".into(),
        "auth" => "Authentication and Authorization".into(),
        "sessions" => "Sessions".into(),
        "admin" => "Administration".into(),
        "sites" => "Sites".into(),
        _ => crate::schema::introspect::python_title(label),
    }
}
