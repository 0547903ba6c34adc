//! The names Django binds in a shell besides the models: `Q`, `F`, `Count`, `Lower`, field
//! classes, `transaction`, what every model class answers to, and what Django 6's shell
//! auto-imports (`settings`, `connection`, `models`, `functions`, `reset_queries`,
//! `timezone`).

use super::obj::{DjangoFn, make};
use crate::py::Obj;

/// The exception classes every model class carries.
pub const MODEL_EXCEPTIONS: [&str; 2] = ["DoesNotExist", "MultipleObjectsReturned"];
/// What a model class answers to: its manager and its exception classes.
pub const MODEL_ATTRIBUTES: [&str; 3] = ["objects", MODEL_EXCEPTIONS[0], MODEL_EXCEPTIONS[1]];

/// Django's callables bound to a fixed name. Aggregates, database functions and field
/// classes come from their own registries.
const FUNCTIONS: &[(&str, DjangoFn)] = {
    use DjangoFn::*;
    &[
        ("Q", Q),
        ("F", F),
        ("Value", Value),
        ("Case", Case),
        ("When", When),
        ("OuterRef", OuterRef),
        ("super", Super),
        ("Subquery", Subquery),
        ("Exists", Exists),
        ("dumpdata", Dumpdata),
        ("Window", Window),
        ("RowRange", Frame(true)),
        ("ValueRange", Frame(false)),
        ("Prefetch", Prefetch),
        ("FilteredRelation", FilteredRelation),
        ("reset_queries", ResetQueries),
    ]
};

/// Django's modules and objects in scope by name, as Django's shell imports them.
const MODULES: &[(&str, &str)] = &[
    ("django", "django"),
    ("models", "django.db.models"),
    ("functions", "django.db.models.functions"),
    ("transaction", "django.db.transaction"),
    ("timezone", "django.utils.timezone"),
];

/// The Django object bound to `n` (models aside), if any.
pub(super) fn django_name(n: &str) -> Option<Obj> {
    if let Some((_, f)) = FUNCTIONS.iter().find(|(name, _)| *name == n) {
        return Some(make::function(*f));
    }
    if let Some(a) = crate::query::expr::AggFunc::from_name(n) {
        return Some(make::function(DjangoFn::Aggregate(a)));
    }
    if let Some(f) = crate::query::window::WindowFunc::from_name(n) {
        return Some(make::function(DjangoFn::WindowFunc(f)));
    }
    if let Some(f) = crate::query::func::FuncKind::from_name(n) {
        return Some(make::function(DjangoFn::Func(f)));
    }
    if n.ends_with("Field")
        && let Some(kind) = crate::schema::FieldKind::from_django_name(n)
    {
        return Some(make::function(DjangoFn::Field(kind)));
    }
    if n == "WindowFrameExclusion" {
        return Some(Obj::new_native(super::window::ExclusionClass));
    }
    if n == "settings" {
        return Some(Obj::new_native(super::modules::Settings));
    }
    if n == "connection" {
        return Some(Obj::new_native(super::modules::Connection));
    }
    if let Some((_, mode)) = super::fetch_mode::NAMES.iter().find(|(name, _)| *name == n) {
        return Some(Obj::new_native(*mode));
    }
    MODULES
        .iter()
        .find(|(name, _)| *name == n)
        .map(|(_, m)| Obj::Module(m.to_string()))
}

/// The names [`django_name`] resolves (field classes apart), for completion.
pub(super) fn builtin_names() -> Vec<String> {
    let mut names: Vec<String> = FUNCTIONS.iter().map(|(n, _)| n.to_string()).collect();
    names.extend(
        crate::query::expr::AggFunc::ALL
            .iter()
            .map(|a| a.name().to_string()),
    );
    names.extend(crate::query::func::FuncKind::class_names());
    names.extend(
        crate::query::window::WindowFunc::ALL
            .iter()
            .map(|f| f.name().to_string()),
    );
    names.extend(MODULES.iter().map(|(m, _)| m.to_string()));
    names.extend(["settings".into(), "connection".into()]);
    names.extend(super::fetch_mode::NAMES.iter().map(|(n, _)| n.to_string()));
    names
}
