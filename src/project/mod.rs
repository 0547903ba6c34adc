//! A Django project, opened the way `manage.py shell` opens it: found from the working
//! folder ([`discover`]: the folder with `manage.py`, its settings module), its settings run
//! by djq's own Python ([`settings`], in the runtime of [`host`] with the libraries of
//! [`libs`]), its database opened from `DATABASES[alias]` ([`database`]), its
//! `INSTALLED_APPS`' models read in Django's order ([`apps`]).
//!
//! One call opens it all: [`open`] gives the connection, the schema (introspected, with the
//! installed apps' models on it), the notes for `\warnings` and the banner line.

pub mod apps;
pub mod database;
pub mod discover;
pub mod host;
pub mod libs;
pub mod settings;

use crate::backend::Backend;
use crate::diag::Result;
use crate::schema::{self, Schema};
use apps::App;
use settings::{Database, Settings};
use std::path::{Path, PathBuf};

/// The apps whose models Django defines in `django.contrib` (others there have none).
const CONTRIB_WITH_MODELS: &[&str] = &[
    "auth",
    "contenttypes",
    "sessions",
    "admin",
    "sites",
    "flatpages",
    "redirects",
];

/// What decides which project is opened: `--project`, `--settings`, `--database`.
#[derive(Debug, Clone, Default)]
pub struct Request {
    /// `--project DIR` (else the working folder, or one above it, with `manage.py`).
    pub project: Option<PathBuf>,
    /// `--settings MODULE` (else `$DJANGO_SETTINGS_MODULE`, else `manage.py`'s).
    pub settings: Option<String>,
    /// `--database ALIAS` (else `default`).
    pub alias: Option<String>,
}

/// A project's settings read, and its database entry chosen.
#[derive(Debug)]
pub struct Project {
    /// The folder with `manage.py` (the module search root).
    pub root: PathBuf,
    pub settings: Settings,
    /// The `DATABASES` alias used.
    pub alias: String,
    pub database: Database,
    /// `INSTALLED_APPS`, resolved, in order.
    pub apps: Vec<App>,
}

/// A project opened: what a session is made of.
pub struct Opened {
    pub project: Project,
    pub backend: Box<dyn Backend>,
    pub schema: Schema,
    /// Start-up notes (settings left out, apps not loaded, models not read), for `\warnings`.
    pub notes: Vec<String>,
    /// Warnings printed at start (models left out).
    pub warnings: Vec<String>,
    /// How many models the installed apps declare.
    pub models: usize,
}

/// The project folder for `request` from the working folder `cwd`: `--project`, else the
/// nearest folder at or above `cwd` with `manage.py`; `None`: not in a project.
pub fn find(request: &Request, cwd: &Path) -> Option<PathBuf> {
    match &request.project {
        Some(dir) => Some(std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone())),
        None => discover::project_root(cwd),
    }
}

/// Read the project at `root`: its settings module run, `DATABASES[alias]` chosen (an error
/// when absent, unevaluable or of an engine djq cannot open), `INSTALLED_APPS` resolved.
pub fn load(root: &Path, request: &Request) -> Result<Project> {
    if !root.join("manage.py").is_file() && request.settings.is_none() {
        return Err(crate::diag::Diagnostic::new(
            crate::diag::ErrorKind::Io,
            format!("--project {}: no manage.py there", root.display()),
        ));
    }
    let module = discover::settings_module(root, request.settings.as_deref())?;
    let settings = settings::evaluate(root, &module)?;
    let alias = request.alias.clone().unwrap_or_else(|| "default".into());
    let database = settings.database(&alias)?;
    database::Engine::of(&database.engine)?;
    let apps = apps::resolve(
        &settings.installed_apps,
        root,
        settings.default_auto_field.as_deref(),
    );
    Ok(Project {
        root: root.to_path_buf(),
        settings,
        alias,
        database,
        apps,
    })
}

/// Open the project at `root` (see [`load`]): connect, introspect, and put the installed
/// apps' models on the schema.
pub fn open(root: &Path, request: &Request, read_only: bool) -> Result<Opened> {
    let project = load(root, request)?;
    let (mut backend, db_notes) = database::connect(&project.database, read_only)?;
    let mut schema = schema::introspect::database(backend.as_mut())?;
    let mut notes = project.settings.notes.clone();
    notes.extend(db_notes);
    let installed: Vec<_> = project
        .apps
        .iter()
        .filter_map(|a| match a {
            App::Project(app) => Some(app.clone()),
            _ => None,
        })
        .collect();
    let schema::models_py::Models {
        mut decls,
        warnings,
    } = schema::models_py::read_installed(&installed, root)?;
    // The built-in apps, read together with AUTH_USER_MODEL (which may point auth's
    // relations at a project model); introspection declares those whose tables it found.
    let mut built_in = Vec::new();
    for app in &project.apps {
        match app {
            App::BuiltIn(label) => {
                if schema
                    .user_models()
                    .any(|(_, m)| m.app_label == *label && m.declared.is_some())
                {
                    continue;
                }
                if !schema::contrib::declares(label)
                    && CONTRIB_WITH_MODELS.contains(&label.as_str())
                {
                    notes.push(format!(
                        "INSTALLED_APPS: the models of django.contrib.{label} are not built \
                         into djq yet"
                    ));
                }
                built_in.push(label.as_str());
            }
            App::Unknown(entry) => notes.push(format!(
                "INSTALLED_APPS: '{entry}' is an app djq does not know: its models are not loaded"
            )),
            App::Project(_) => {}
        }
    }
    let built_in =
        schema::contrib::installed(&built_in, &project.settings.auth_user_model, &mut decls);
    decls.extend(built_in);
    let mut seen = std::collections::HashSet::new();
    for note in decls.iter().flat_map(|d| &d.notes) {
        if seen.insert(note.clone()) {
            notes.push(note.clone());
        }
    }
    notes.extend(schema::models_py::overlay(&mut schema, decls)?);
    // The models the installed apps declare (introspection declares the built-in apps'
    // whose tables it found), without the many-to-many tables Django creates.
    let models = (schema.user_models())
        .filter(|(_, m)| m.declared.is_some() && !m.auto_created)
        .count();
    Ok(Opened {
        project,
        backend,
        schema,
        notes,
        warnings,
        models,
    })
}

impl Project {
    /// The project's name: its folder's.
    pub fn name(&self) -> String {
        self.root.file_name().map_or_else(
            || self.root.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    /// The banner's line: `project mysite (settings mysite.settings) — database 'default':
    /// sqlite3 /path/db.sqlite3 — 8 apps, 12 models`; a password is never shown.
    pub fn banner(&self, models: usize) -> String {
        let apps = self.apps.len();
        format!(
            "project {} (settings {}) — database '{}': {} — {apps} app{}, {models} model{}",
            self.name(),
            self.settings.module,
            self.alias,
            database::describe(&self.database),
            if apps == 1 { "" } else { "s" },
            if models == 1 { "" } else { "s" },
        )
    }
}
