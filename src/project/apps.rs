//! `INSTALLED_APPS` as Django's app registry reads it, in its order: each entry a module
//! (`blog`, whose `apps.py` may hold its one `AppConfig`) or an `AppConfig` class
//! (`blog.apps.BlogConfig`, whose `name`, `label` and `default_auto_field` are read from
//! `apps.py` as written). A project app is a folder under the project; Django's own apps
//! (`django.contrib.*`) and the third-party apps djq declares are built in
//! ([`crate::schema::contrib`]); any other app's models are not loaded, and a note says so.

use crate::schema::FieldKind;
use crate::schema::models_py::InstalledApp;
use crate::syntax::ast::{ExprKind, StmtKind};
use std::path::{Path, PathBuf};

/// Where an installed app's models come from.
#[derive(Debug, Clone, PartialEq)]
pub enum App {
    /// An app of the project: its folder, label, `default_auto_field`.
    Project(InstalledApp),
    /// An app whose models djq has built in (`auth`, `contenttypes`, `taggit`), by label.
    BuiltIn(String),
    /// An app djq does not know (a third-party package): the entry as written.
    Unknown(String),
}

/// What an `AppConfig` class in `apps.py` sets.
#[derive(Debug, Default)]
struct Config {
    class: String,
    name: Option<String>,
    label: Option<String>,
    default_auto_field: Option<String>,
    default: bool,
}

/// The third-party apps djq declares, by the module `INSTALLED_APPS` names.
const KNOWN_THIRD_PARTY: &[&str] = &["taggit"];

/// Each entry of `installed` resolved, in order; `default_auto_field` is the settings'
/// `DEFAULT_AUTO_FIELD` (Django 6's default, `BigAutoField`, when `None`).
pub fn resolve(installed: &[String], root: &Path, default_auto_field: Option<&str>) -> Vec<App> {
    let settings_auto = default_auto_field
        .and_then(|d| FieldKind::from_django_name(d.rsplit('.').next().unwrap_or(d)))
        .unwrap_or(FieldKind::BigAutoField);
    installed
        .iter()
        .map(|entry| resolve_one(entry, root, settings_auto))
        .collect()
}

fn resolve_one(entry: &str, root: &Path, settings_auto: FieldKind) -> App {
    if let Some(rest) = entry.strip_prefix("django.contrib.") {
        let label = rest.split('.').next().unwrap_or(rest);
        return App::BuiltIn(label.to_string());
    }
    let top = entry.split('.').next().unwrap_or(entry);
    if KNOWN_THIRD_PARTY.contains(&top) {
        return App::BuiltIn(top.to_string());
    }
    let folder = |module: &str| -> PathBuf { root.join(module.replace('.', "/")) };
    // The entry is the app's module: its AppConfig, if apps.py has one to choose.
    let (module, config) = if folder(entry).is_dir() {
        let configs = configs(&folder(entry).join("apps.py"));
        let chosen = match configs.iter().filter(|c| c.default).count() {
            1 => configs.into_iter().find(|c| c.default),
            _ if configs.len() == 1 => configs.into_iter().next(),
            _ => None,
        };
        (entry.to_string(), chosen)
    } else if let Some((module, class)) = entry.rsplit_once('.')
        && let Some(config) = configs(&folder(module).with_extension("py"))
            .into_iter()
            .find(|c| c.class == class)
    {
        // An AppConfig class: its `name` is the app's module.
        let app = config.name.clone().unwrap_or_else(|| {
            module
                .rsplit_once('.')
                .map_or(module, |(m, _)| m)
                .to_string()
        });
        (app, Some(config))
    } else {
        return App::Unknown(entry.to_string());
    };
    let dir = folder(&module);
    if !dir.is_dir() {
        return App::Unknown(entry.to_string());
    }
    let label = config
        .as_ref()
        .and_then(|c| c.label.clone())
        .unwrap_or_else(|| module.rsplit('.').next().unwrap_or(&module).to_string());
    let auto_field = config
        .as_ref()
        .and_then(|c| c.default_auto_field.as_deref())
        .and_then(|d| FieldKind::from_django_name(d.rsplit('.').next().unwrap_or(d)))
        .unwrap_or(settings_auto);
    App::Project(InstalledApp {
        dir,
        label,
        auto_field,
    })
}

/// The classes of `apps.py` that set AppConfig attributes, as written (string constants).
fn configs(apps_py: &Path) -> Vec<Config> {
    let Ok(source) = std::fs::read_to_string(apps_py) else {
        return Vec::new();
    };
    let Ok(program) = crate::syntax::parse_module(&source) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for stmt in &program.body {
        let StmtKind::ClassDef { name, body, .. } = &stmt.kind else {
            continue;
        };
        let mut config = Config {
            class: name.name.to_string(),
            ..Config::default()
        };
        for stmt in body {
            let StmtKind::Assign { targets, value } = &stmt.kind else {
                continue;
            };
            let Some(ExprKind::Name(target)) = targets.first().map(|t| &t.kind) else {
                continue;
            };
            match (target.as_str(), &value.kind) {
                ("name", ExprKind::Str(s)) => config.name = Some(s.to_string()),
                ("label", ExprKind::Str(s)) => config.label = Some(s.to_string()),
                ("default_auto_field", ExprKind::Str(s)) => {
                    config.default_auto_field = Some(s.to_string())
                }
                ("default", ExprKind::Bool(b)) => config.default = *b,
                _ => {}
            }
        }
        out.push(config);
    }
    out
}
