//! Running a settings module ([`evaluate`]) and reading what djq uses of it into
//! [`Settings`]: `DATABASES`, `INSTALLED_APPS`, `DEFAULT_AUTO_FIELD`, `AUTH_USER_MODEL`,
//! `TIME_ZONE`, `USE_TZ` (Django's defaults where a setting is absent). A statement that
//! fails is a note naming its file and line, and the settings it would define are left out;
//! only `DATABASES` is needed to go on ([`Settings::database`] is then its error).

use super::host::{SettingsRuntime, runtime};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Obj;
use crate::py::classes::Wrapper;
use crate::py::stdlib::fspath::text;
use crate::py::stdlib::objects::path_arg;
use crate::value::Value;
use std::path::Path;

/// One `DATABASES` entry, as Django reads it (`TEST` and connection-pool keys ignored).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Database {
    pub engine: String,
    /// A file path for SQLite (relative to the working folder, as Django opens it).
    pub name: String,
    pub user: String,
    pub password: String,
    pub host: String,
    pub port: String,
    /// `OPTIONS`, each value as text (`5`, `require`, `True`).
    pub options: Vec<(String, String)>,
}

/// What djq reads of a project's settings.
#[derive(Debug)]
pub struct Settings {
    /// The dotted settings module (`mysite.settings`).
    pub module: String,
    /// `DATABASES`, alias by alias (each entry read, or why it cannot be), or why the
    /// setting itself could not be evaluated.
    pub databases: std::result::Result<Vec<(String, Result<Database>)>, Diagnostic>,
    pub installed_apps: Vec<String>,
    /// `DEFAULT_AUTO_FIELD` (dotted class path); `None`: Django's default, `BigAutoField`.
    pub default_auto_field: Option<String>,
    /// `AUTH_USER_MODEL` (`auth.User` by default).
    pub auth_user_model: String,
    /// `TIME_ZONE` (Django's default `America/Chicago`).
    pub time_zone: String,
    /// `USE_TZ` (Django's default `True`).
    pub use_tz: bool,
    /// Each statement of the settings (and the modules they import) that failed, and each
    /// setting of the wrong type: `path:line:col: error`.
    pub notes: Vec<String>,
    /// Every setting the module defines (Django's rule: an upper-case name) whose value is
    /// plain data (str, numbers, `Path`s, and lists, tuples, sets and dicts of them), by name:
    /// what the shell's `django.conf.settings` shows.
    pub values: Vec<(String, Obj)>,
}

impl Settings {
    /// The `DATABASES` entry `alias`: Django's `ConnectionDoesNotExist` when absent.
    pub fn database(&self, alias: &str) -> Result<Database> {
        let all = self.databases.as_ref().map_err(Clone::clone)?;
        match all.iter().find(|(a, _)| a == alias) {
            Some((_, entry)) => entry.clone(),
            None => {
                let known: Vec<&str> = all.iter().map(|(a, _)| a.as_str()).collect();
                let d = Diagnostic::new(
                    ErrorKind::Python("ConnectionDoesNotExist".into()),
                    format!("The connection '{alias}' doesn't exist."),
                );
                Err(if known.is_empty() {
                    d.with_help(format!("{}.DATABASES defines no database", self.module))
                } else {
                    d.with_help(format!(
                        "{}.DATABASES defines: {} (choose one with --database ALIAS)",
                        self.module,
                        known.join(", ")
                    ))
                })
            }
        }
    }
}

/// Run settings module `module` found under `root`, and read it. A module that cannot be
/// imported (no such file, a syntax error) is an error.
pub fn evaluate(root: &Path, module: &str) -> Result<Settings> {
    let mut rt = runtime(root.to_path_buf());
    rt.import_module(module, Span::default()).map_err(|mut d| {
        d.span = None;
        if d.kind == ErrorKind::Python("ModuleNotFoundError".into()) {
            let file = root.join(module.replace('.', "/"));
            let cwd = std::env::current_dir().unwrap_or_default();
            let file = file.strip_prefix(&cwd).unwrap_or(&file);
            d = d.with_help(format!(
                "settings module '{module}' not found: no {}.py or {}/__init__.py",
                file.display(),
                file.display()
            ));
        }
        d
    })?;
    read(&mut rt, module)
}

/// Read the settings from the module `module` that `rt` ran.
fn read(rt: &mut SettingsRuntime, module: &str) -> Result<Settings> {
    let mut notes = Vec::new();
    for (_, m) in rt.file_modules() {
        for d in &m.errors {
            // A name bound to a failed import fails again where it is used: said once.
            let note = located(d);
            if !notes.contains(&note) {
                notes.push(note);
            }
        }
    }
    let attrs = rt
        .module(module)
        .map(|m| m.attrs.clone())
        .unwrap_or_default();
    // A setting its statement failed to define is its error; absent, Django's default.
    let setting = |name: &str| -> std::result::Result<Option<Obj>, Diagnostic> {
        match attrs.get(name) {
            Some(Obj::Wrapper(w)) if let Wrapper::Failed(d) = &**w => Err((**d).clone()),
            other => Ok(other.cloned()),
        }
    };
    let mut typed = |name: &str, what: &str| {
        notes.push(format!(
            "{module}.{name}: expected {what}; Django's default is used"
        ));
    };
    let string = |o: &Obj| match o {
        Obj::Value(Value::Text(s)) => Some(s.clone()),
        _ => None,
    };
    let databases = match setting("DATABASES") {
        Err(d) => {
            let place = d.help.as_deref().and_then(|h| h.strip_prefix("raised at "));
            let help = format!(
                "{module}.DATABASES cannot be evaluated{}: djq cannot open the project without it",
                place.map_or(String::new(), |p| format!(" (raised at {p})"))
            );
            Err(Diagnostic::new(d.kind.clone(), d.message.clone()).with_help(help))
        }
        Ok(None) => Ok(Vec::new()),
        Ok(Some(Obj::Dict(d))) => Ok(d
            .borrow()
            .iter()
            .map(|(alias, entry)| {
                let alias = string(alias).unwrap_or_default();
                let db = database(rt, entry).map_err(|m| {
                    Diagnostic::new(
                        ErrorKind::Python("ImproperlyConfigured".into()),
                        format!("{module}.DATABASES['{alias}']: {m}"),
                    )
                });
                (alias, db)
            })
            .collect()),
        Ok(Some(_)) => Err(Diagnostic::new(
            ErrorKind::Python("ImproperlyConfigured".into()),
            format!("{module}.DATABASES is not a dict"),
        )),
    };
    let installed_apps = match setting("INSTALLED_APPS") {
        Ok(Some(Obj::List(l))) => l.borrow().iter().filter_map(string).collect(),
        Ok(Some(Obj::Tuple(t))) => t.iter().filter_map(string).collect(),
        Ok(Some(_)) => {
            typed("INSTALLED_APPS", "a list of str");
            Vec::new()
        }
        _ => Vec::new(),
    };
    let mut text_setting = |name: &str| match setting(name) {
        Ok(Some(o)) => {
            let s = string(&o);
            if s.is_none() {
                typed(name, "a str");
            }
            s
        }
        _ => None,
    };
    let default_auto_field = text_setting("DEFAULT_AUTO_FIELD");
    let auth_user_model = text_setting("AUTH_USER_MODEL").unwrap_or_else(|| "auth.User".into());
    let time_zone = text_setting("TIME_ZONE").unwrap_or_else(|| "America/Chicago".into());
    let use_tz = match setting("USE_TZ") {
        Ok(Some(Obj::Value(Value::Bool(b)))) => b,
        _ => true,
    };
    let mut values: Vec<(String, Obj)> = attrs
        .iter()
        .filter(|(name, value)| is_setting(name) && is_plain(value))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    values.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(Settings {
        values,
        module: module.to_string(),
        databases,
        installed_apps,
        default_auto_field,
        auth_user_model,
        time_zone,
        use_tz,
        notes,
    })
}

/// Whether `name` is a setting's (`isupper()`: a cased letter, none lower-case).
fn is_setting(name: &str) -> bool {
    name.chars().any(char::is_uppercase) && !name.chars().any(char::is_lowercase)
}

/// Whether `o` is plain data another session can hold (no library object).
fn is_plain(o: &Obj) -> bool {
    match o {
        Obj::Value(_) => true,
        Obj::List(l) => l.borrow().iter().all(is_plain),
        Obj::Tuple(t) => t.iter().all(is_plain),
        Obj::Dict(d) => d.borrow().iter().all(|(k, v)| is_plain(k) && is_plain(v)),
        Obj::Native(_) => path_arg(o).is_some(),
        _ => false,
    }
}

/// `path:line:col: Error: message` of a failed statement.
fn located(d: &Diagnostic) -> String {
    let place = d
        .help
        .as_deref()
        .and_then(|h| h.strip_prefix("raised at "))
        .unwrap_or("settings");
    format!(
        "{place}: {}: {} (the settings it defines are left out)",
        d.kind.python_name(),
        d.message
    )
}

/// One `DATABASES` entry.
fn database(rt: &mut SettingsRuntime, entry: &Obj) -> std::result::Result<Database, String> {
    let Obj::Dict(d) = entry else {
        return Err("not a dict".into());
    };
    let mut db = Database::default();
    for (key, value) in d.borrow().iter() {
        let Obj::Value(Value::Text(key)) = key else {
            continue;
        };
        let plain = |rt: &mut SettingsRuntime, v: &Obj| -> std::result::Result<String, String> {
            if let Some(p) = path_arg(v) {
                return Ok(text(&p));
            }
            match v {
                Obj::Value(Value::Null) => Ok(String::new()),
                Obj::Value(_) => rt.py_str(v).map_err(|d| d.message),
                _ => Err(format!("{key} must be a str, a number or a Path")),
            }
        };
        match key.as_str() {
            "ENGINE" => db.engine = plain(rt, value)?,
            "NAME" => db.name = plain(rt, value)?,
            "USER" => db.user = plain(rt, value)?,
            "PASSWORD" => db.password = plain(rt, value)?,
            "HOST" => db.host = plain(rt, value)?,
            "PORT" => db.port = plain(rt, value)?,
            "OPTIONS" => {
                let Obj::Dict(options) = value else {
                    return Err("OPTIONS must be a dict".into());
                };
                for (k, v) in options.borrow().iter() {
                    if let Obj::Value(Value::Text(k)) = k {
                        db.options.push((k.clone(), plain(rt, v)?));
                    }
                }
            }
            _ => {}
        }
    }
    if db.engine.is_empty() {
        return Err(
            "settings.DATABASES is improperly configured. Please supply the ENGINE value.".into(),
        );
    }
    Ok(db)
}
