//! The models of Django's own apps (`django.contrib.*`), declared once here as models.py
//! text and read like a project's (see [`models_py`](super::models_py)): a database that has
//! their tables gets them under their real names (`contenttypes.ContentType`, never the
//! `DjangoContentType` its table would be named by introspection), and a project's models
//! that point at them find them. Each app is one entry of [`APPS`]; auth, sessions, admin, ...
//! are added the same way. Third-party apps whose models projects point at are declared the
//! same way: django-taggit's `taggit` (Tag, TaggedItem).

use super::models_py::{self, ModelDecl};
use super::{FieldKind, Schema};
use crate::diag::Result;

/// `(app label, its default_auto_field, path shown in errors, models.py text, a table it
/// always has)` of each built-in app. An app whose models point at another's comes before it
/// (see [`referenced`]); a database without the app's table is not read for it (see
/// [`overlay`]).
const APPS: &[(&str, FieldKind, &str, &str, &str)] = &[
    (
        "taggit",
        FieldKind::AutoField,
        "taggit/models.py",
        include_str!("contrib/taggit.py"),
        "taggit_tag",
    ),
    (
        "contenttypes",
        FieldKind::AutoField,
        "django/contrib/contenttypes/models.py",
        include_str!("contrib/contenttypes.py"),
        "django_content_type",
    ),
];

/// The declarations of a built-in app (`contenttypes`); empty for an app djq does not declare.
pub fn declarations(app_label: &str) -> Vec<ModelDecl> {
    APPS.iter()
        .filter(|(label, ..)| *label == app_label)
        .flat_map(|&(label, auto_field, path, source, _)| {
            models_py::load_app_source(label, auto_field, path, source)
                .expect("built-in models.py parses")
        })
        .collect()
}

/// Name the built-in apps' tables that `schema` (introspected) has by their models. An app
/// is read only when the database has its marker table, so a start pays nothing for apps
/// the database does not have.
pub fn overlay(schema: &mut Schema) -> Result<()> {
    let decls: Vec<ModelDecl> = APPS
        .iter()
        .filter(|&&(.., marker)| schema.find_table(marker).is_some())
        .flat_map(|(label, ..)| declarations(label))
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
