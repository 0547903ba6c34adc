//! Django's modules as the runtime imports them (through [`Host::module`](crate::py::Host)):
//! `django.db.models` (and `.functions`, `.aggregates`, `.expressions`, `.lookups`),
//! `django.db` (`connection`, `transaction`, `reset_queries`), `django.conf.settings`,
//! `django.utils.timezone`, `django.utils.text`, `django.utils.translation`
//! (`get_language()`), `django.core.exceptions`, `django.contrib.auth.hashers`
//! ([`hashers`](super::hashers)), and each app's `<app>.models` with its model classes
//! (`django.contrib.auth.models` for auth's, with the abstract bases its models.py defines,
//! and `django.contrib.auth.base_user`, `django.contrib.sessions.base_session`): a model is
//! always reached by its app, never by its name alone.
//!
//! A bare model name (the shell's auto-imports) is Django's shell's choice: the model of the
//! app listed first in INSTALLED_APPS ("models from earlier apps taking precedence in case of
//! a name collision", `shell.get_auto_imports`). djq does not read INSTALLED_APPS, so it takes
//! Django's own apps (auth, contenttypes, ...) as listed before the project's, as
//! `startproject`'s settings do, and the project's apps in the order their models were read
//! (`--models` order); the shadowed models are named in a notice, and each app's models are
//! also reached as `app_label.Model` (and `from app_label.models import Model`).

use super::Orm;
use super::obj::{DjangoFn, DjangoObj, ModelBase, make};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::native_any;
use crate::py::{Args, Module, Native, Obj};
use crate::schema::{ModelId, Schema};
use crate::value::Value;
use std::borrow::Cow;

/// The app labels of Django's own apps (`django.contrib.<label>`).
const CONTRIB: &[&str] = &[
    "admin",
    "auth",
    "contenttypes",
    "sessions",
    "sites",
    "flatpages",
    "redirects",
];

/// Field classes of `django.db.models` (`models.CharField`).
const FIELDS: &[&str] = &[
    "AutoField",
    "BigAutoField",
    "SmallAutoField",
    "IntegerField",
    "BigIntegerField",
    "SmallIntegerField",
    "PositiveIntegerField",
    "PositiveBigIntegerField",
    "PositiveSmallIntegerField",
    "BooleanField",
    "CharField",
    "TextField",
    "SlugField",
    "EmailField",
    "URLField",
    "DateField",
    "DateTimeField",
    "TimeField",
    "DurationField",
    "DecimalField",
    "FloatField",
    "UUIDField",
    "JSONField",
    "BinaryField",
    "GenericIPAddressField",
];

/// `django.db.models.expressions` beyond `F` and `Value`.
const EXPRESSIONS: &[&str] = &[
    "F",
    "Value",
    "Case",
    "When",
    "Subquery",
    "Exists",
    "OuterRef",
    "Q",
    "ExpressionWrapper",
    "Window",
    "RowRange",
    "ValueRange",
    "WindowFrameExclusion",
    "Prefetch",
];

/// `FETCH_ONE`, `FETCH_PEERS`, `FETCH_RAISE`.
fn fetch_modes() -> impl Iterator<Item = (String, Obj)> {
    (super::fetch_mode::NAMES.iter()).map(|(n, m)| (n.to_string(), Obj::new_native(*m)))
}

/// What `django.db.models` (and `.expressions`) have that djq does not yet.
pub(super) const LATER_EXPRESSIONS: &[&str] = &["Func", "RawSQL"];

/// `django.db.models.lookups`: each class with its lookup name. Used as an expression, a
/// lookup on a field (`GreaterThan(F("rating"), 4)`) is the filter `rating__gt=4`.
const LOOKUPS: &[(&str, &str)] = &[
    ("Exact", "exact"),
    ("IExact", "iexact"),
    ("GreaterThan", "gt"),
    ("GreaterThanOrEqual", "gte"),
    ("LessThan", "lt"),
    ("LessThanOrEqual", "lte"),
    ("In", "in"),
    ("Contains", "contains"),
    ("IContains", "icontains"),
    ("StartsWith", "startswith"),
    ("IStartsWith", "istartswith"),
    ("EndsWith", "endswith"),
    ("IEndsWith", "iendswith"),
    ("Range", "range"),
    ("IsNull", "isnull"),
    ("Regex", "regex"),
    ("IRegex", "iregex"),
];

/// Django's exception classes (`django.core.exceptions`, `django.db`).
const CORE_EXCEPTIONS: &[&str] = &[
    "ObjectDoesNotExist",
    "MultipleObjectsReturned",
    "FieldDoesNotExist",
    "FieldError",
    "ValidationError",
    "EmptyResultSet",
];
const DB_EXCEPTIONS: &[&str] = &[
    "DatabaseError",
    "IntegrityError",
    "DataError",
    "OperationalError",
    "ProgrammingError",
    "InternalError",
    "InterfaceError",
    "NotSupportedError",
];

/// `django.db.connection`.
#[derive(Debug)]
pub struct Connection;

impl Native for Connection {
    fn type_name(&self) -> Cow<'_, str> {
        "DatabaseWrapper".into()
    }
    native_any!();
}

/// `django.conf.settings`.
#[derive(Debug)]
pub struct Settings;

impl Native for Settings {
    fn type_name(&self) -> Cow<'_, str> {
        "LazySettings".into()
    }
    native_any!();
}

/// `qs.query`: its SQL as `str()` gives it, or `None` when Django would raise
/// EmptyResultSet (`none()`); and the query, which a lookup takes as a value
/// (`filter(author__in=qs.query)`) as it takes the queryset.
#[derive(Debug)]
pub struct QueryText(pub Option<String>, pub Box<crate::query::Query>);

impl Native for QueryText {
    fn type_name(&self) -> Cow<'_, str> {
        "Query".into()
    }
    native_any!();
}

fn exceptions(names: &[&str]) -> impl Iterator<Item = (String, Obj)> {
    names
        .iter()
        .map(|n| (n.to_string(), Obj::ExceptionClass(n.to_string())))
}

fn functions(fs: &[(&str, DjangoFn)]) -> Module {
    Module::new(fs.iter().map(|(n, f)| (*n, make::function(*f))))
}

impl Orm {
    /// The class name of a native lookup in `django.db.models.lookups` (`Exact` of
    /// `exact`), which the Python lookups module defines too.
    pub(super) fn lookup_class_name(lookup: &str) -> Option<&'static str> {
        LOOKUPS.iter().find(|(_, l)| *l == lookup).map(|(c, _)| *c)
    }

    /// The Django module `name`, or an app's (`journal.models`).
    pub(super) fn django_module(&self, name: &str) -> Option<Module> {
        let fields = || {
            FIELDS.iter().filter_map(|n| {
                crate::schema::FieldKind::from_django_name(n)
                    .map(|k| (n.to_string(), make::function(DjangoFn::Field(k))))
            })
        };
        let aggregates = || {
            crate::query::expr::AggFunc::ALL.iter().map(|a| {
                (
                    a.name().to_string(),
                    make::function(DjangoFn::Aggregate(*a)),
                )
            })
        };
        let db_functions = || {
            crate::query::func::FuncKind::class_names()
                .into_iter()
                .filter_map(|n| {
                    let f = crate::query::func::FuncKind::from_name(&n)?;
                    // ExpressionWrapper is an expression (`.expressions`), not a function.
                    (f != crate::query::func::FuncKind::Wrapper)
                        .then(|| (n, make::function(DjangoFn::Func(f))))
                })
        };
        let expressions = || {
            EXPRESSIONS
                .iter()
                .filter_map(|n| Some((n.to_string(), super::names::django_name(n)?)))
        };
        let module = |n: &str| Obj::Module(n.to_string());
        Some(match name {
            "django" => Module::new([("setup", Obj::Builtin(crate::py::Builtin::NoOp))]),
            "django.db" => {
                let mut m = Module::new([
                    ("connection", Obj::new_native(Connection)),
                    ("reset_queries", make::function(DjangoFn::ResetQueries)),
                    ("models", module("django.db.models")),
                    ("transaction", module("django.db.transaction")),
                ]);
                m.attrs.extend(exceptions(DB_EXCEPTIONS));
                m
            }
            "django.db.transaction" => functions(&[("atomic", DjangoFn::Atomic)]),
            "django.db.models" => {
                let mut m = Module::new(expressions());
                m.attrs.extend(aggregates());
                m.attrs.extend(fields());
                m.attrs
                    .extend(exceptions(&["ProtectedError", "RestrictedError"]));
                m.attrs
                    .insert("functions".into(), module("django.db.models.functions"));
                m.attrs.insert("Model".into(), Obj::new_native(ModelBase));
                for base in ["Lookup", "Transform", "Field", "ForeignObject"] {
                    m.attrs.insert(base.into(), Orm::lookup_base(base));
                }
                m.attrs
                    .insert("lookups".into(), module("django.db.models.lookups"));
                let fr = make::function(DjangoFn::FilteredRelation);
                m.attrs.insert("FilteredRelation".into(), fr);
                m.attrs.extend(fetch_modes());
                m.attrs
                    .extend(super::choices::bases().map(|(n, o)| (n.to_string(), o)));
                m.with_later(LATER_EXPRESSIONS)
            }
            "django.db.models.functions" => {
                let mut m = Module::new(db_functions());
                m.attrs
                    .extend(crate::query::window::WindowFunc::ALL.iter().map(|f| {
                        (
                            f.name().to_string(),
                            make::function(DjangoFn::WindowFunc(*f)),
                        )
                    }));
                m
            }
            "django.db.models.fetch_modes" => Module::new(fetch_modes()),
            "django.db.models.enums" => Module::new(super::choices::bases()),
            "django.db.models.aggregates" => Module::new(aggregates()),
            "django.db.models.expressions" => {
                Module::new(expressions()).with_later(LATER_EXPRESSIONS)
            }
            "django.db.models.fields" => Module::new(fields()),
            "django.db.models.lookups" => {
                let mut m = Module::new(
                    LOOKUPS
                        .iter()
                        .map(|(class, lookup)| (*class, make::function(DjangoFn::Lookup(lookup)))),
                );
                for base in ["Lookup", "Transform", "BuiltinLookup"] {
                    m.attrs.insert(base.into(), Orm::lookup_base(base));
                }
                m
            }
            "django.conf" => Module::new([("settings", Obj::new_native(Settings))]),
            "django.core" => Module::default(),
            "django.core.exceptions" => Module::new(exceptions(CORE_EXCEPTIONS)),
            "django.utils" => Module::new([
                ("timezone", module("django.utils.timezone")),
                ("text", module("django.utils.text")),
                ("translation", module("django.utils.translation")),
            ]),
            "django.utils.timezone" => functions(&[
                ("now", DjangoFn::Now),
                ("localtime", DjangoFn::LocalTime),
                ("make_aware", DjangoFn::MakeAware),
                ("make_naive", DjangoFn::MakeNaive),
                ("is_aware", DjangoFn::IsAware),
                ("is_naive", DjangoFn::IsNaive),
                ("get_current_timezone", DjangoFn::CurrentTimezone),
                ("get_current_timezone_name", DjangoFn::CurrentTimezoneName),
            ]),
            "django.utils.text" => functions(&[("slugify", DjangoFn::Slugify)]),
            "django.utils.translation" => functions(&[("get_language", DjangoFn::GetLanguage)]),
            "django.contrib" => Module::default(),
            // Its hashers are there without the app's models.
            "django.contrib.auth" => {
                let mut m = self.app_module(name).unwrap_or_default();
                let get = make::function(DjangoFn::GetUserModel);
                m.attrs.insert("get_user_model".into(), get);
                m
            }
            "django.contrib.auth.hashers" => functions(&[
                ("make_password", DjangoFn::MakePassword),
                ("check_password", DjangoFn::CheckPassword),
                ("is_password_usable", DjangoFn::IsPasswordUsable),
            ]),
            // Their classes are the app's models.py's (`Host::module_defined`).
            "django.contrib.auth.base_user" | "django.contrib.sessions.base_session" => {
                let label = defining_app(name)?;
                (self.schema.user_models())
                    .any(|(_, m)| m.app_label == label)
                    .then(Module::default)?
            }
            "django.contrib.contenttypes.fields" => super::contenttypes::FieldClass::module(),
            "django.contrib.contenttypes.prefetch" => {
                super::contenttypes::FieldClass::prefetch_module()
            }
            _ => return self.app_module(name),
        })
    }

    /// An app's package (`journal`, `django.contrib.auth`) or its `models` module.
    fn app_module(&self, name: &str) -> Option<Module> {
        let (package, models) = match name.strip_suffix(".models") {
            Some(package) => (package, true),
            None => (name, false),
        };
        let label = match package.strip_prefix("django.contrib.") {
            Some(label) if CONTRIB.contains(&label) => label,
            Some(_) => return None,
            None if CONTRIB.contains(&package) => return None,
            None => package,
        };
        let in_app: Vec<(ModelId, &str)> = self
            .schema
            .user_models()
            .filter(|(_, m)| m.app_label == label)
            .map(|(i, m)| (i, m.name.as_str()))
            .collect();
        if in_app.is_empty() {
            return None;
        }
        if !models {
            // The package: its models module, and (djq's `app_label.Model`) its models.
            let mut m = Module::new(in_app.iter().map(|(i, n)| (*n, make::model(*i))));
            m.attrs
                .insert("models".into(), Obj::Module(format!("{package}.models")));
            return Some(m);
        }
        Some(Module::new(
            in_app.iter().map(|(i, n)| (*n, make::model(*i))),
        ))
    }
}

impl super::Session {
    /// Attributes of `connection` and `settings`; `None` for other objects.
    pub(super) fn module_object_attribute(&mut self, obj: &Obj, name: &str) -> Option<Result<Obj>> {
        if let Some(member) = super::window::exclusion_attribute(obj, name) {
            return Some(Ok(member));
        }
        if obj.native::<Connection>().is_some() {
            return Some(Ok(match name {
                "queries" => self.connection_queries(),
                "vendor" => Obj::str(match self.host.dialect {
                    crate::sql::Dialect::Sqlite => "sqlite",
                    crate::sql::Dialect::Postgres => "postgresql",
                }),
                "ops" | "operators" => return Some(self.connection_lookups_attribute(name)),
                "alias" => Obj::str(self.host.alias.as_str()),
                "settings_dict" => return self.settings_dict().map(Ok),
                _ => return None,
            }));
        }
        if obj.native::<Settings>().is_some() {
            return Some(Ok(match name {
                "DEBUG" => Obj::bool(self.host.log.debug),
                "USE_TZ" => Obj::bool(self.host.schema.tz.use_tz),
                "TIME_ZONE" => Obj::str(self.host.schema.tz.name()),
                _ => return self.setting(name).map(Ok),
            }));
        }
        None
    }

    /// The project's setting `name`, as its settings module left it, else Django's default
    /// of the settings djq knows one for.
    fn setting(&self, name: &str) -> Option<Obj> {
        match self.host.settings.iter().find(|(n, _)| n == name) {
            Some((_, value)) => Some(value.clone()),
            // Django's default `auth.User`, or the custom user model the database shows.
            None if name == "AUTH_USER_MODEL" => {
                Some(Obj::str(user_model(&self.host.schema).map_or_else(
                    || "auth.User".to_string(),
                    |id| {
                        let m = self.host.schema.model(id);
                        format!("{}.{}", m.app_label, m.name)
                    },
                )))
            }
            None => None,
        }
    }

    /// `connection.settings_dict`: the project's `DATABASES` entry opened, with the keys
    /// Django's `ConnectionHandler.configure_settings()` fills in when absent.
    fn settings_dict(&self) -> Option<Obj> {
        let key = |k: &Obj, name: &str| matches!(k, Obj::Value(Value::Text(t)) if t == name);
        let Obj::Dict(databases) = self.setting("DATABASES")? else {
            return None;
        };
        let entry = databases
            .borrow()
            .iter()
            .find(|(k, _)| key(k, &self.host.alias))?
            .1
            .clone();
        let Obj::Dict(entry) = entry else {
            return None;
        };
        let mut pairs = entry.borrow().clone();
        let blank = || Obj::str("");
        let defaults = [
            ("ATOMIC_REQUESTS", Obj::bool(false)),
            ("AUTOCOMMIT", Obj::bool(true)),
            ("ENGINE", Obj::str("django.db.backends.dummy")),
            ("CONN_MAX_AGE", Obj::int(0)),
            ("CONN_HEALTH_CHECKS", Obj::bool(false)),
            ("OPTIONS", Obj::dict(Vec::new())),
            ("TIME_ZONE", Obj::NONE),
            ("NAME", blank()),
            ("USER", blank()),
            ("PASSWORD", blank()),
            ("HOST", blank()),
            ("PORT", blank()),
        ];
        for (name, value) in defaults {
            if !pairs.iter().any(|(k, _)| key(k, name)) {
                pairs.push((Obj::str(name), value));
            }
        }
        let test = [
            ("CHARSET", Obj::NONE),
            ("COLLATION", Obj::NONE),
            ("MIGRATE", Obj::bool(true)),
            ("MIRROR", Obj::NONE),
            ("NAME", Obj::NONE),
        ];
        let mut test_pairs = match pairs.iter().find(|(k, _)| key(k, "TEST")) {
            Some((_, Obj::Dict(t))) => t.borrow().clone(),
            _ => Vec::new(),
        };
        for (name, value) in test {
            if !test_pairs.iter().any(|(k, _)| key(k, name)) {
                test_pairs.push((Obj::str(name), value));
            }
        }
        match pairs.iter_mut().find(|(k, _)| key(k, "TEST")) {
            Some((_, slot)) => *slot = Obj::dict(test_pairs),
            None => pairs.push((Obj::str("TEST"), Obj::dict(test_pairs))),
        }
        Some(Obj::dict(pairs))
    }

    /// `settings.DEBUG = value`; `None` for other objects.
    pub(super) fn set_module_object_attribute(
        &mut self,
        obj: &Obj,
        name: &str,
        value: &Obj,
        span: Span,
    ) -> Option<Result<()>> {
        obj.native::<Settings>()?;
        Some(match name {
            "DEBUG" => {
                let on = self.truthy(value, &crate::py::args::dummy(span));
                on.map(|on| self.host.log.debug = on)
            }
            _ => Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!("djq cannot change settings.{name}"),
            )
            .at(span)),
        })
    }

    /// `str(qs.query)`: Django's SQL with the parameters pasted in by `%`.
    pub(super) fn query_text(&mut self, qs: &super::obj::QuerySet) -> Result<Obj> {
        let compiled = self.compile_select(&qs.query)?;
        let text = compiled
            .statement
            .map(|st| crate::render::sql::sql_interpolate(&st.sql, &st.params, self.host.dialect));
        Ok(Obj::new_native(QueryText(text, Box::new(qs.query.clone()))))
    }

    /// `str()` of a `qs.query`; EmptyResultSet for a query Django would not run.
    pub(super) fn query_str(o: &Obj) -> Option<Result<String>> {
        let QueryText(text, _) = o.native::<QueryText>()?;
        Some(
            text.clone()
                .ok_or_else(|| Diagnostic::new(ErrorKind::Python("EmptyResultSet".into()), "")),
        )
    }

    /// Django's `connection.queries`: `[{'sql': ..., 'time': '0.001'}, ...]` of what ran
    /// with DEBUG on.
    fn connection_queries(&self) -> Obj {
        let dialect = self.host.dialect;
        Obj::list(
            self.host
                .log
                .debug_queries()
                .map(|(st, time)| {
                    Obj::dict(vec![
                        (
                            Obj::str("sql"),
                            Obj::str(crate::render::sql_inline(&st.sql, &st.params, dialect)),
                        ),
                        (Obj::str("time"), Obj::str(time)),
                    ])
                })
                .collect(),
        )
    }
}

/// Django's `slugify`: letters, digits, `_` and `-` (ASCII ones of the NFKD form, or with
/// `allow_unicode` any of the NFKC form), lowercased, runs of spaces and dashes made one dash,
/// dashes and underscores stripped at the ends.
pub fn slugify(s: &str, allow_unicode: bool) -> String {
    use unicode_normalization::UnicodeNormalization;
    let normalized: String = match allow_unicode {
        true => s.nfkc().collect(),
        false => s.nfkd().filter(char::is_ascii).collect(),
    };
    let kept: String = normalized
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '-') || c.is_whitespace())
        .collect();
    let mut out = String::new();
    for c in kept.trim().chars() {
        if c == '-' || c.is_whitespace() {
            if !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push(c);
        }
    }
    out.trim_matches(['-', '_']).to_string()
}

impl super::Session {
    /// `reset_queries()`, the `timezone` functions and `slugify`.
    pub(super) fn call_module_fn(&mut self, f: DjangoFn, args: &Args) -> Result<Obj> {
        let first = args.pos.first().map(|(o, _)| o);
        Ok(match f {
            DjangoFn::ResetQueries => {
                self.host.log.reset_queries();
                Obj::NONE
            }
            DjangoFn::Now
            | DjangoFn::LocalTime
            | DjangoFn::MakeAware
            | DjangoFn::MakeNaive
            | DjangoFn::IsAware
            | DjangoFn::IsNaive => return self.timezone_fn(f, args),
            DjangoFn::CurrentTimezone | DjangoFn::CurrentTimezoneName => {
                return self.current_timezone(f == DjangoFn::CurrentTimezoneName, args);
            }
            DjangoFn::Slugify => {
                // `slugify(value, allow_unicode=False)`
                let unicode = args
                    .kwarg("allow_unicode")
                    .or(args.pos.get(1).map(|(o, _)| o));
                let unicode = match unicode {
                    Some(o) => self.truthy(o, &crate::py::args::dummy(args.span))?,
                    None => false,
                };
                Obj::str(slugify(&self.py_str(first.unwrap_or(&Obj::NONE))?, unicode))
            }
            // djq reads no settings: Django's default LANGUAGE_CODE, which get_language()
            // returns without USE_I18N or an activated language
            DjangoFn::GetLanguage => Obj::str("en-us"),
            DjangoFn::GetUserModel => {
                make::model(user_model(&self.host.schema).ok_or_else(|| {
                    Diagnostic::new(
                        ErrorKind::Python("ImproperlyConfigured".into()),
                        "AUTH_USER_MODEL refers to model 'auth.User' that has not been installed",
                    )
                    .at(args.span)
                })?)
            }
            DjangoFn::Lookup(lookup) => {
                let span = args.span;
                let (Some((lhs, _)), Some((rhs, rhs_span)), 2) =
                    (args.pos.first(), args.pos.get(1), args.pos.len())
                else {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!("the {lookup} lookup takes 2 arguments: an expression and a value"),
                    )
                    .at(span));
                };
                let key = match lhs {
                    o if let Some(crate::query::FExpr::Ref { name, .. }) = o.f() => name.clone(),
                    _ => {
                        return Err(Diagnostic::new(
                            ErrorKind::NotSupported,
                            "djq supports a lookup expression on a field (F(\"name\")) only",
                        )
                        .at(span));
                    }
                };
                let value = self.operand(rhs, *rhs_span)?;
                let leaf = crate::query::QChild::Leaf {
                    key: format!("{key}__{lookup}"),
                    value,
                    span,
                };
                make::q(crate::query::QNode::new(Vec::new(), vec![leaf]))
            }
            _ => unreachable!("not a module function: {f:?}"),
        })
    }
}

/// The app whose models.py defines a module's classes: `<app>.models`'s, and of Django's
/// own apps `django.contrib.<app>.models` and the modules of their abstract bases.
pub(super) fn defining_app(module: &str) -> Option<&str> {
    match module {
        "django.contrib.auth.base_user" => Some("auth"),
        "django.contrib.sessions.base_session" => Some("sessions"),
        _ => {
            let package = module.strip_suffix(".models")?;
            Some(package.strip_prefix("django.contrib.").unwrap_or(package))
        }
    }
}

/// `get_user_model()`: auth's User, else the model auth's groups know as their users
/// (`related_name="user_set"` of PermissionsMixin), a custom AUTH_USER_MODEL.
fn user_model(schema: &Schema) -> Option<ModelId> {
    let models = || schema.user_models();
    (models().find(|(_, m)| m.app_label == "auth" && m.name == "User"))
        .or_else(|| {
            models().find(|(_, m)| {
                (m.m2m.iter()).any(|r| {
                    let to = schema.model(r.to);
                    r.related_name.as_deref() == Some("user_set")
                        && (to.app_label.as_str(), to.name.as_str()) == ("auth", "Group")
                })
            })
        })
        .map(|(id, _)| id)
}

/// The model a bare name stands for (see the module docs), and the models of other apps of
/// that name it shadows (as `app_label.Model`).
pub(super) fn model_named(schema: &Schema, name: &str) -> Option<(ModelId, Vec<String>)> {
    let named = || schema.user_models().filter(|(_, m)| m.name == name);
    // The common case, on every name a statement uses: one model or none.
    let mut it = named();
    match (it.next(), it.next()) {
        (None, _) => return None,
        (Some((only, _)), None) => return Some((only, Vec::new())),
        _ => {}
    }
    let found: Vec<(ModelId, &str)> = named().map(|(i, m)| (i, m.app_label.as_str())).collect();
    let (first, _) = found
        .iter()
        .find(|(_, app)| CONTRIB.contains(app))
        .unwrap_or(&found[0]);
    let shadowed = found
        .iter()
        .filter(|(i, _)| i != first)
        .map(|(_, app)| format!("{app}.{name}"))
        .collect();
    Some((*first, shadowed))
}

/// The notice of a bare name that shadows other apps' models.
pub(super) fn shadow_notice(schema: &Schema, m: ModelId, shadowed: &[String]) -> String {
    let model = schema.model(m);
    let other_app = shadowed[0].split('.').next().unwrap_or_default();
    format!(
        "notice: {name} is {app}.{name} (the app read first, as Django's shell imports models); {} also {}: reach {} as written, or `from {other_app}.models import {name}`",
        shadowed.join(", "),
        if shadowed.len() == 1 {
            "exists"
        } else {
            "exist"
        },
        if shadowed.len() == 1 { "it" } else { "them" },
        name = model.name,
        app = model.app_label
    )
}

/// An app label as a name: its package, whose attributes are its models (`fields.Tag`).
pub(super) fn app_named(schema: &Schema, name: &str) -> Option<Obj> {
    schema
        .user_models()
        .any(|(_, m)| m.app_label == name && !CONTRIB.contains(&name))
        .then(|| Obj::Module(name.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::Model;

    fn schema(models: &[(&str, &str)]) -> Schema {
        Schema {
            models: models
                .iter()
                .map(|(app, name)| {
                    Model::new(*name, *app, format!("{app}_{}", name.to_lowercase())).into()
                })
                .collect(),
            ..Schema::default()
        }
    }

    #[test]
    fn a_bare_model_name_is_djangos_shell_choice_and_names_what_it_shadows() {
        let s = schema(&[("journal", "User"), ("auth", "User"), ("journal", "Entry")]);
        // Django's shell: auth (listed first in INSTALLED_APPS) wins; never the alphabet.
        assert_eq!(
            model_named(&s, "User"),
            Some((1, vec!["journal.User".into()]))
        );
        assert_eq!(model_named(&s, "Entry"), Some((2, vec![])));
        assert_eq!(model_named(&s, "Nope"), None);
        // Earlier apps take precedence (`shell.get_auto_imports`): the one read first.
        let s = schema(&[("news", "Post"), ("blog", "Post")]);
        assert_eq!(model_named(&s, "Post"), Some((0, vec!["blog.Post".into()])));
        assert_eq!(
            shadow_notice(&s, 0, &["blog.Post".into()]),
            "notice: Post is news.Post (the app read first, as Django's shell imports models); blog.Post also exists: reach it as written, or `from blog.models import Post`"
        );
        assert!(matches!(app_named(&s, "blog"), Some(Obj::Module(m)) if m == "blog"));
        assert!(app_named(&s, "auth").is_none());
    }
}
