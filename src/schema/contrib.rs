//! The models of Django's own apps (`django.contrib.*`), declared once here as models.py
//! text and read like a project's (see [`models_py`](super::models_py)), with Django 6.1's
//! fields, relations, reverse names, Meta and managers: auth (Permission, Group, User),
//! contenttypes, sessions, admin (LogEntry), sites, flatpages, redirects. They get their real
//! names (`contenttypes.ContentType`, never the `DjangoContentType` its table would be named
//! by introspection) and a project's models that point at them find them. Each app is one
//! entry of [`APPS`]. Third-party apps whose models projects point at are declared the same
//! way: django-taggit's `taggit` (Tag, TaggedItem).
//!
//! Three ways in: a project's settings name the apps it installs and its `AUTH_USER_MODEL`
//! ([`installed`]); a database alone is read for the apps whose tables it has ([`overlay`]);
//! models.py files alone get the apps they point at ([`referenced`]). The abstract bases a
//! project builds on (`django.contrib.auth.models.AbstractUser`, `...base_user`,
//! `django.contrib.sessions.base_session`) are the part of an app's file before its
//! `# The app's models` line ([`stubs`]).

use super::models_py::{self, ModelDecl};
use super::{FieldKind, Schema};
use crate::diag::Result;

/// A `django.contrib` app's entry of [`APPS`]: its file is `contrib/<label>.py`.
macro_rules! app {
    ($label:literal, $marker:literal) => {
        (
            $label,
            FieldKind::AutoField,
            concat!("django/contrib/", $label, "/models.py"),
            include_str!(concat!("contrib/", $label, ".py")),
            $marker,
        )
    };
}

/// `(app label, its default_auto_field, path shown in errors, models.py text, a table it
/// always has)` of each built-in app. An app whose models point at another's comes before it
/// (see [`referenced`]); a database without the app's table is not read for it (see
/// [`overlay`]).
const APPS: &[(&str, FieldKind, &str, &str, &str)] = &[
    app!("admin", "django_admin_log"),
    app!("flatpages", "django_flatpage"),
    app!("redirects", "django_redirect"),
    app!("sites", "django_site"),
    (
        "taggit",
        FieldKind::AutoField,
        "taggit/models.py",
        include_str!("contrib/taggit.py"),
        "taggit_tag",
    ),
    app!("auth", "auth_permission"),
    app!("contenttypes", "django_content_type"),
    app!("sessions", "django_session"),
];

/// The line of an app's file after which its models are; before it, the abstract bases and
/// managers projects build on.
const MODELS_LINE: &str = "\n# The app's models\n";

/// The modules whose abstract bases projects import, each with the app's file up to its
/// [`MODELS_LINE`]: `(module, text)`.
pub fn stubs() -> impl Iterator<Item = (&'static str, &'static str)> {
    const MODULES: &[(&str, &str)] = &[
        ("auth", "django.contrib.auth.models"),
        ("auth", "django.contrib.auth.base_user"),
        ("sessions", "django.contrib.sessions.models"),
        ("sessions", "django.contrib.sessions.base_session"),
    ];
    MODULES.iter().filter_map(|&(label, module)| {
        let &(.., source, _) = APPS.iter().find(|(l, ..)| *l == label)?;
        let (bases, _) = source.split_once(MODELS_LINE)?;
        Some((module, bases))
    })
}

/// The declarations of a built-in app (`contenttypes`); empty for an app djq does not declare.
pub fn declarations(app_label: &str) -> Vec<ModelDecl> {
    declarations_of(&[app_label])
}

/// Whether djq declares the built-in app `app_label`'s models.
pub fn declares(app_label: &str) -> bool {
    APPS.iter().any(|(label, ..)| *label == app_label)
}

/// The declarations of the built-in apps of these labels, read together, in this order.
fn declarations_of(labels: &[&str]) -> Vec<ModelDecl> {
    let apps: Vec<_> = (labels.iter())
        .filter_map(|l| APPS.iter().find(|(label, ..)| label == l))
        .map(|&(label, auto_field, path, source, _)| (label, auto_field, path, source))
        .collect();
    models_py::load_apps_source(&apps).expect("built-in models.py parses")
}

/// The declarations of the built-in apps a project installs, in the order given (its
/// INSTALLED_APPS' labels: `auth`, `contenttypes`, ...; a label djq does not declare gives
/// nothing), with its `AUTH_USER_MODEL` (`app_label.ModelName`; Django's default is
/// `auth.User`). When that names another model, auth's `User` (and its many-to-many tables)
/// is left out, and every relation to it, the built-in apps' (`LogEntry.user`) and
/// `project`'s (`settings.AUTH_USER_MODEL`, `get_user_model()`), points at that model.
pub fn installed(
    labels: &[&str],
    auth_user_model: &str,
    project: &mut [ModelDecl],
) -> Vec<ModelDecl> {
    let mut decls = declarations_of(labels);
    if let Some((app_label, name)) = auth_user_model.split_once('.')
        && !(app_label == "auth" && name.eq_ignore_ascii_case("user"))
    {
        let user = models_py::ModelRef {
            app_label: app_label.into(),
            name: name.to_string(),
        };
        decls.retain(|d| !is_auth_user_or_its_table(d));
        swap_user(decls.iter_mut().chain(project.iter_mut()), &user);
    }
    decls
}

/// auth's `User`, or one of its many-to-many tables.
fn is_auth_user_or_its_table(d: &ModelDecl) -> bool {
    let own = &*d.app_label == "auth" && d.name == "User";
    let through = d.auto_created
        && (d.fields.iter()).any(|f| {
            f.relation
                .as_ref()
                .is_some_and(|r| r.to.matches("auth", "User"))
        });
    own || through
}

/// Point the relations to auth's `User` at `user` (AUTH_USER_MODEL).
fn swap_user<'d>(decls: impl Iterator<Item = &'d mut ModelDecl>, user: &models_py::ModelRef) {
    for d in decls {
        let keys = d.fields.iter_mut().filter_map(|f| f.relation.as_mut());
        let many = d.m2m.iter_mut().map(|m| &mut m.to);
        for to in keys.map(|r| &mut r.to).chain(many) {
            if to.matches("auth", "User") {
                *to = user.clone();
            }
        }
    }
}

/// Point `decls`' relations to auth's `User` (`settings.AUTH_USER_MODEL` read without the
/// settings) at the database's own user model when its project swapped auth's.
pub fn repoint_user(schema: &Schema, decls: &mut [ModelDecl]) {
    if let Some(user) = swapped_user(schema) {
        swap_user(decls.iter_mut(), &user);
    }
}

/// The user model of a database whose project swapped auth's (AUTH_USER_MODEL): the model
/// whose `<its table>_groups` table links it to auth's groups; `None` when auth's own
/// `auth_user` is there.
fn swapped_user(schema: &Schema) -> Option<models_py::ModelRef> {
    if schema.find_table("auth_user").is_some() {
        return None;
    }
    let groups = schema.find_table("auth_group")?;
    let user = schema.models.iter().find(|m| {
        let table = format!("{}_groups", m.table);
        (m.m2m.iter()).any(|r| r.to == groups && *schema.model(r.through).table == *table)
    })?;
    Some(models_py::ModelRef {
        app_label: user.app_label.as_str().into(),
        name: user.name.clone(),
    })
}

/// Name the built-in apps' tables that `schema` (introspected) has by their models. An app
/// is read only when the database has its marker table, so a start pays nothing for apps
/// the database does not have.
pub fn overlay(schema: &mut Schema) -> Result<()> {
    let labels: Vec<&str> = (APPS.iter())
        .filter(|&&(.., marker)| schema.find_table(marker).is_some())
        .map(|&(label, ..)| label)
        .collect();
    let decls: Vec<ModelDecl> = (declarations_of(&labels).into_iter())
        .filter(|d| schema.find_table(&d.table).is_some())
        .collect();

    if decls.is_empty() {
        return Ok(());
    }
    // The built-in declarations are complete: nothing of theirs is left out to note.
    models_py::overlay(schema, decls).map(|_| ())
}

/// The built-in declarations a project's declarations point at (for a schema made from
/// models.py alone), not already among them; and those these point at in turn.
pub fn referenced(decls: &[ModelDecl]) -> Vec<ModelDecl> {
    let mut out: Vec<ModelDecl> = Vec::new();
    for (label, ..) in APPS {
        let all = || decls.iter().chain(&out);
        let declared = all().any(|d| &*d.app_label == *label);
        let used = all().any(|d| {
            let keys = d.fields.iter().filter_map(|f| f.relation.as_ref());
            let many = d.m2m.iter().flat_map(|m| [&m.to, &m.through]);
            keys.map(|r| &r.to)
                .chain(many)
                .any(|to| &*to.app_label == *label)
        });
        if used && !declared {
            let found = declarations(label);
            out.extend(found);
        }
    }
    out
}
