//! The two third-party libraries settings files read their database from, as native
//! modules of the settings runtime ([`super::host`]): `dj_database_url` (`config()`,
//! `parse()`) and django-environ's `environ` (`Env(...)`, `env("X", default=...)`,
//! `env.bool/int/float/str/list/tuple`, `env.db()`/`env.db_url()`, `Env.read_env(...)`).
//! Each gives what the real library gives (recorded from dj-database-url 3.1 and
//! django-environ 0.14): a database URL becomes Django's `DATABASES` entry, a `.env` file
//! fills `os.environ` under what is already set.

use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::stdlib::objects::StdObj;
use crate::py::stdlib::objects::{environ_get, path_arg};
use crate::py::{Args, Builtin, Interp, Module, Obj};
use crate::value::Value;
use std::borrow::Cow;
use std::rc::Rc;

use super::host::SettingsHost;

/// The libraries' objects.
#[derive(Debug)]
pub enum Lib {
    /// `dj_database_url.config` or `dj_database_url.parse`.
    DbUrl(&'static str),
    /// The class `environ.Env`.
    EnvClass,
    /// An `environ.Env(...)`: each variable's cast and default (`DEBUG=(bool, False)`).
    Env(Vec<(String, Obj, Option<Obj>)>),
}

impl crate::py::Native for Lib {
    fn type_name(&self) -> Cow<'_, str> {
        match self {
            Lib::DbUrl(_) => "function",
            Lib::EnvClass => "type",
            Lib::Env(_) => "Env",
        }
        .into()
    }
    fn callable(&self) -> bool {
        true
    }
    crate::native_any!();
}

/// The module `name` when it is one of the libraries.
pub fn module(name: &str) -> Option<Module> {
    let native = |l: Lib| Obj::new_native(l);
    Some(match name {
        "dj_database_url" => Module::new([
            ("config", native(Lib::DbUrl("config"))),
            ("parse", native(Lib::DbUrl("parse"))),
        ]),
        "environ" => Module::new([
            ("Env", native(Lib::EnvClass)),
            ("FileAwareEnv", native(Lib::EnvClass)),
        ]),
        _ => return None,
    })
}

/// `environ.Env`'s methods (and the class's, `read_env` and `db_url_config`).
pub const ENV_METHODS: &[&str] = &[
    "str",
    "bool",
    "int",
    "float",
    "list",
    "tuple",
    "db",
    "db_url",
    "read_env",
    "db_url_config",
];

/// A URL scheme's Django engine (django-environ's `DB_SCHEMES`, dj-database-url's).
fn engine(scheme: &str) -> Option<&'static str> {
    Some(match scheme {
        "postgres" | "postgresql" | "psql" | "pgsql" => "django.db.backends.postgresql",
        "postgis" => "django.contrib.gis.db.backends.postgis",
        "mysql" | "mysql2" => "django.db.backends.mysql",
        "mysqlgis" => "django.contrib.gis.db.backends.mysql",
        "sqlite" => "django.db.backends.sqlite3",
        "spatialite" => "django.contrib.gis.db.backends.spatialite",
        "oracle" => "django.db.backends.oracle",
        "mssql" => "mssql",
        "cockroachdb" => "django_cockroachdb",
        "redshift" => "django_redshift_backend",
        _ => return None,
    })
}

/// `%xx` decoded.
fn unquote(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// A database URL as Django's `DATABASES` entry: `ENGINE`, `NAME`, `USER`, `PASSWORD`,
/// `HOST`, `PORT` (an int when given) and `OPTIONS` (the query's parameters, numbers as
/// ints); a SQLite URL's path loses its first `/` (`sqlite:////abs/db`, `sqlite:///rel.db`).
/// `decode_host`: dj-database-url decodes a `%2F...` host (a socket folder), django-environ
/// keeps it as written.
pub fn parse_url(
    url: &str,
    decode_host: bool,
) -> std::result::Result<Vec<(&'static str, Obj)>, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("invalid database URL '{}'", mask(url)))?;
    let engine = engine(scheme).ok_or_else(|| format!("unknown database URL scheme '{scheme}'"))?;
    if scheme == "sqlite" && (rest.is_empty() || rest == ":memory:") {
        return Ok(vec![
            ("ENGINE", Obj::str(engine)),
            ("NAME", Obj::str(":memory:")),
        ]);
    }
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (netloc, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let (userinfo, hostport) = netloc.rsplit_once('@').unwrap_or(("", netloc));
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = match hostport.strip_prefix('[') {
        Some(v6) => {
            let (h, after) = v6.split_once(']').unwrap_or((v6, ""));
            (h, after.strip_prefix(':').unwrap_or(""))
        }
        None => hostport.rsplit_once(':').unwrap_or((hostport, "")),
    };
    let port = match port {
        "" => Obj::str(""),
        p => Obj::int(
            p.parse()
                .map_err(|_| format!("invalid port '{p}' in the database URL"))?,
        ),
    };
    let options: Vec<(Obj, Obj)> = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(k, v)| {
            let v = unquote(v);
            let value = v.parse::<i64>().map_or_else(|_| Obj::str(&v), Obj::int);
            (Obj::str(unquote(k)), value)
        })
        .collect();
    let mut entry = vec![
        ("ENGINE", Obj::str(engine)),
        ("NAME", Obj::str(unquote(path.get(1..).unwrap_or("")))),
        ("USER", Obj::str(unquote(user))),
        ("PASSWORD", Obj::str(unquote(password))),
        (
            "HOST",
            Obj::str(if decode_host {
                unquote(host)
            } else {
                host.into()
            }),
        ),
        ("PORT", port),
    ];
    if !options.is_empty() {
        entry.push(("OPTIONS", Obj::dict(options)));
    }
    Ok(entry)
}

/// `url` with its password hidden, for messages.
pub fn mask(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:********{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// A dict from an entry.
fn dict(entry: Vec<(&'static str, Obj)>) -> Obj {
    Obj::dict(entry.into_iter().map(|(k, v)| (Obj::str(k), v)).collect())
}

/// Django's ImproperlyConfigured, as the libraries raise it.
fn improperly_configured(message: impl Into<String>, args: &Args) -> Diagnostic {
    Diagnostic::new(ErrorKind::Python("ImproperlyConfigured".into()), message).at(args.span)
}

/// A str argument (positional `i` or keyword `kw`).
fn text_arg(args: &Args, i: usize, kw: &str) -> Option<String> {
    match crate::py::stdlib::arg(args, i, kw)? {
        Obj::Value(Value::Text(s)) => Some(s.clone()),
        _ => None,
    }
}

/// The environment variable `key` (what the program set first, then the process's).
fn getenv(cx: &mut Interp<SettingsHost>, key: &str) -> Option<String> {
    let environ = cx.module_attribute("os", "environ")?;
    match environ.native::<StdObj>()? {
        StdObj::Environ(set) => environ_get(set, key),
        _ => None,
    }
}

/// Set `key` in `os.environ`; `overwrite: false` keeps a value already there.
fn setenv(cx: &mut Interp<SettingsHost>, key: &str, value: String, overwrite: bool) {
    if !overwrite && getenv(cx, key).is_some() {
        return;
    }
    if let Some(environ) = cx.module_attribute("os", "environ")
        && let Some(StdObj::Environ(set)) = environ.native::<StdObj>()
    {
        set.borrow_mut().insert(key.to_string(), value);
    }
}

/// Call `dj_database_url.config(...)` or `.parse(...)`.
pub fn call_db_url(cx: &mut Interp<SettingsHost>, name: &str, args: &Args) -> Result<Obj> {
    let url = if name == "parse" {
        text_arg(args, 0, "url")
    } else {
        let var = text_arg(args, usize::MAX, "env").unwrap_or_else(|| "DATABASE_URL".into());
        getenv(cx, &var)
            .filter(|u| !u.is_empty())
            .or_else(|| text_arg(args, 0, "default"))
    };
    let Some(url) = url else {
        return Ok(Obj::dict(Vec::new()));
    };
    let mut entry = parse_url(&url, true)
        .map_err(|m| Diagnostic::new(ErrorKind::Python("ValueError".into()), m).at(args.span))?;
    if entry.len() > 2 {
        let conn_max_age = args.kwarg("conn_max_age").cloned().unwrap_or(Obj::int(0));
        let health = args
            .kwarg("conn_health_checks")
            .cloned()
            .unwrap_or(Obj::bool(false));
        entry.push(("CONN_MAX_AGE", conn_max_age));
        entry.push(("CONN_HEALTH_CHECKS", health));
        entry.push(("DISABLE_SERVER_SIDE_CURSORS", Obj::bool(false)));
    }
    if let Some(Obj::Value(Value::Text(e))) = args.kwarg("engine") {
        entry[0].1 = Obj::str(e);
    }
    if matches!(
        args.kwarg("ssl_require"),
        Some(Obj::Value(Value::Bool(true)))
    ) {
        let options = entry.iter().position(|(k, _)| *k == "OPTIONS");
        let sslmode = (Obj::str("sslmode"), Obj::str("require"));
        match options.map(|i| &entry[i].1) {
            Some(Obj::Dict(d)) => d.borrow_mut().push(sslmode),
            _ => entry.push(("OPTIONS", Obj::dict(vec![sslmode]))),
        }
    }
    Ok(dict(entry))
}

/// `environ.Env(NAME=(cast, default), ...)`.
pub fn new_env(args: &Args) -> Result<Obj> {
    let mut scheme = Vec::new();
    for (name, value, _) in &args.kw {
        let (cast, default) = match value {
            Obj::Tuple(t) if t.len() == 2 => (t[0].clone(), Some(t[1].clone())),
            Obj::Tuple(t) if t.len() == 1 => (t[0].clone(), None),
            other => (other.clone(), None),
        };
        scheme.push((name.clone(), cast, default));
    }
    Ok(Obj::new_native(Lib::Env(scheme)))
}

/// A variable's value cast as django-environ casts it (`bool`: `true`, `on`, `ok`, `y`,
/// `yes`, or a non-zero number; `list`/`tuple`: split at commas).
fn cast(value: &str, cast: &Obj, args: &Args) -> Result<Obj> {
    let bad = |what: &str| {
        Diagnostic::new(
            ErrorKind::Value,
            format!("invalid literal for {what}: '{value}'"),
        )
        .at(args.span)
    };
    let items = || {
        value
            .split(',')
            .filter(|s| !s.is_empty())
            .map(Obj::str)
            .collect()
    };
    Ok(match cast {
        Obj::Builtin(Builtin::Bool) => Obj::bool(match value.parse::<f64>() {
            Ok(n) => n != 0.0,
            Err(_) => {
                ["true", "on", "ok", "y", "yes", "1"].contains(&value.to_lowercase().as_str())
            }
        }),
        Obj::Builtin(Builtin::Int) => {
            Obj::int(value.parse().map_err(|_| bad("int() with base 10"))?)
        }
        Obj::Builtin(Builtin::Float) => {
            Obj::Value(Value::Float(value.parse().map_err(|_| bad("float()"))?))
        }
        Obj::Builtin(Builtin::List) => Obj::list(items()),
        Obj::List(_) => Obj::list(items()),
        Obj::Builtin(Builtin::Tuple) => Obj::tuple(items()),
        _ => Obj::str(value),
    })
}

/// `env(var, cast=None, default=NOTSET)` and `env.CAST(var, default=NOTSET)`.
fn get_value(
    cx: &mut Interp<SettingsHost>,
    scheme: &[(String, Obj, Option<Obj>)],
    method: &str,
    args: &Args,
) -> Result<Obj> {
    let var = text_arg(args, 0, "var").ok_or_else(|| {
        Diagnostic::new(
            ErrorKind::Type,
            format!("{method}() needs the variable's name"),
        )
        .at(args.span)
    })?;
    let declared = scheme.iter().find(|(n, ..)| *n == var);
    let given_cast = match method {
        "__call__" => crate::py::stdlib::arg(args, 1, "cast").cloned(),
        "str" => Some(Obj::Builtin(Builtin::Str)),
        "bool" => Some(Obj::Builtin(Builtin::Bool)),
        "int" => Some(Obj::Builtin(Builtin::Int)),
        "float" => Some(Obj::Builtin(Builtin::Float)),
        "list" => Some(Obj::Builtin(Builtin::List)),
        "tuple" => Some(Obj::Builtin(Builtin::Tuple)),
        _ => None,
    };
    let cast_to = given_cast
        .filter(|c| !c.is_none())
        .or_else(|| declared.map(|d| d.1.clone()))
        .unwrap_or(Obj::Builtin(Builtin::Str));
    let default_at = if method == "__call__" { 2 } else { 1 };
    let default = crate::py::stdlib::arg(args, default_at, "default")
        .cloned()
        .or_else(|| declared.and_then(|d| d.2.clone()));
    match getenv(cx, &var) {
        Some(value) => cast(&value, &cast_to, args),
        None => default.ok_or_else(|| {
            improperly_configured(format!("Set the {var} environment variable"), args)
        }),
    }
}

/// `env.db(var="DATABASE_URL", default=NOTSET)` / `env.db_url(...)`.
fn db(cx: &mut Interp<SettingsHost>, args: &Args) -> Result<Obj> {
    let var = text_arg(args, 0, "var").unwrap_or_else(|| "DATABASE_URL".into());
    let url = match getenv(cx, &var) {
        Some(url) => url,
        None => text_arg(args, 1, "default").ok_or_else(|| {
            improperly_configured(format!("Set the {var} environment variable"), args)
        })?,
    };
    db_url_config(&url, args)
}

/// `Env.db_url_config(url)`.
fn db_url_config(url: &str, args: &Args) -> Result<Obj> {
    parse_url(url, false)
        .map(dict)
        .map_err(|m| improperly_configured(m, args))
}

/// `Env.read_env(env_file=None, overwrite=False, **overrides)`: the file's `KEY=value` lines
/// (`export ` allowed, quotes removed, `\n`-style escapes kept in double quotes) set where
/// the variable is not already set; a missing file is ignored, as django-environ does. No
/// file given: the `.env` beside the settings file that calls it.
fn read_env(cx: &mut Interp<SettingsHost>, args: &Args) -> Result<()> {
    let file = match crate::py::stdlib::arg(args, 0, "env_file") {
        Some(o) if !o.is_none() => path_arg(o).ok_or_else(|| {
            Diagnostic::new(ErrorKind::Type, "read_env() takes a path").at(args.span)
        })?,
        _ => match cx.variable("__file__") {
            Some(Obj::Value(Value::Text(f))) => std::path::Path::new(f)
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join(".env"),
            _ => ".env".into(),
        },
    };
    let overwrite = matches!(args.kwarg("overwrite"), Some(Obj::Value(Value::Bool(true))));
    let mut set: Vec<(String, String)> = Vec::new();
    if let Ok(content) = std::fs::read_to_string(&file) {
        for line in content.lines() {
            let line = line.strip_prefix("export ").unwrap_or(line);
            let Some((key, value)) = line.split_once('=') else {
                continue;
            };
            if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                continue;
            }
            let mut value = value.to_string();
            if value.len() >= 2 && value.starts_with('\'') && value.ends_with('\'') {
                value = value[1..value.len() - 1].to_string();
            }
            if value.len() >= 2 && value.starts_with('"') && value.ends_with('"') {
                value = unescape(&value[1..value.len() - 1]);
            }
            set.push((key.to_string(), value));
        }
    }
    for (key, value, _) in &args.kw {
        if key != "overwrite" && key != "env_file" && key != "parse_comments" && key != "encoding" {
            set.push((key.clone(), cx.py_str(value)?));
        }
    }
    for (key, value) in set {
        setenv(cx, &key, value, overwrite);
    }
    Ok(())
}

/// A double-quoted `.env` value: `\x` becomes `x`, but `\n`, `\r` and `\t` are kept as
/// written (django-environ's `_keep_escaped_format_characters`).
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        match (c, c == '\\') {
            (_, true) => match chars.next() {
                Some(e) if "rnt".contains(e) => {
                    out.push('\\');
                    out.push(e);
                }
                Some(e) => out.push(e),
                None => out.push('\\'),
            },
            (c, false) => out.push(c),
        }
    }
    out
}

/// Call an `Env` (or the class): `env("X", default=...)`, `Env(...)`.
pub fn call(cx: &mut Interp<SettingsHost>, lib: &Lib, args: &Args) -> Result<Obj> {
    match lib {
        Lib::DbUrl(name) => call_db_url(cx, name, args),
        Lib::EnvClass => new_env(args),
        Lib::Env(scheme) => get_value(cx, scheme, "__call__", args),
    }
}

/// Call method `name` of an `Env` or of the class.
pub fn call_method(
    cx: &mut Interp<SettingsHost>,
    lib: &Rc<Lib>,
    name: &str,
    args: &Args,
) -> Option<Result<Obj>> {
    let empty = Vec::new();
    let scheme = match &**lib {
        Lib::Env(scheme) => scheme,
        Lib::EnvClass => &empty,
        Lib::DbUrl(_) => return None,
    };
    Some(match name {
        "read_env" => read_env(cx, args).map(|()| Obj::NONE),
        "db_url_config" => match text_arg(args, 0, "url") {
            Some(url) => db_url_config(&url, args),
            None => Err(crate::py::stdlib::bad_args(name, args)),
        },
        "db" | "db_url" => db(cx, args),
        n if ENV_METHODS.contains(&n) => get_value(cx, scheme, n, args),
        _ => return None,
    })
}
