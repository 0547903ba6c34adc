//! The models of Django's own apps (`django.contrib.*`), declared once here as models.py
//! text and read like a project's (see [`models_py`](super::models_py)): a database that has
//! their tables gets them under their real names (`contenttypes.ContentType`, never the
//! `DjangoContentType` its table would be named by introspection), and a project's models
//! that point at them find them. Each app is one entry of [`APPS`]; auth, sessions, admin, ...
//! are added the same way.

use super::Schema;
use super::models_py::{self, ModelDecl};
use crate::diag::Result;

/// `(app label, path shown in errors, models.py text)` of each built-in app.
const APPS: &[(&str, &str, &str)] = &[(
    "contenttypes",
    "django/contrib/contenttypes/models.py",
    include_str!("contrib/contenttypes.py"),
)];

/// The declarations of a built-in app (`contenttypes`); empty for an app djq does not declare.
pub fn declarations(app_label: &str) -> Vec<ModelDecl> {
    APPS.iter()
        .filter(|(label, _, _)| *label == app_label)
        .flat_map(|(label, path, source)| {
            models_py::load_source(label, path, source).expect("built-in models.py parses")
        })
        .collect()
}

/// Name the built-in apps' tables that `schema` (introspected) has by their models.
pub fn overlay(schema: &mut Schema) -> Result<()> {
    let decls: Vec<ModelDecl> = APPS
        .iter()
        .flat_map(|(label, _, _)| declarations(label))
        .filter(|d| schema.find_table(&d.table).is_some())
        .collect();
    if decls.is_empty() {
        return Ok(());
    }
    // The built-in declarations are complete: nothing of theirs is left out to note.
    models_py::overlay(schema, decls).map(|_| ())
}

/// The built-in declarations a project's declarations point at (for a schema made from
/// models.py alone), not already among them.
pub fn referenced(decls: &[ModelDecl]) -> Vec<ModelDecl> {
    let mut out: Vec<ModelDecl> = Vec::new();
    for (label, _, _) in APPS {
        let declared = decls.iter().any(|d| &*d.app_label == *label);
        let used = decls.iter().any(|d| {
            d.fields
                .iter()
                .filter_map(|f| f.relation.as_ref())
                .any(|r| &*r.to.app_label == *label)
        });
        if used && !declared {
            out.extend(declarations(label));
        }
    }
    out
}
