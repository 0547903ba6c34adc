//! A `DATABASES` entry opened as Django opens it: ENGINE `sqlite3` (NAME a file or
//! `:memory:`; OPTIONS `timeout`, `init_command`) or `postgresql` (`postgresql_psycopg2`
//! too: NAME, USER, PASSWORD, HOST — a socket folder when it starts with `/` — PORT, and
//! OPTIONS `sslmode`, `sslrootcert`, `connect_timeout`, `application_name`, `options`),
//! through the connection a URL names ([`crate::backend::connect`]). MySQL waits for its
//! backend; any other engine is "not supported", named.

use super::settings::Database;
use crate::backend::Backend;
use crate::diag::{Diagnostic, ErrorKind, Result};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// What a URL's parts escape: all but letters, digits and `-._~` (RFC 3986's unreserved).
const PART: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// The engines djq opens, by `ENGINE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    /// The engine of `ENGINE`, or why djq cannot open it.
    pub fn of(engine: &str) -> Result<Engine> {
        match engine {
            "django.db.backends.sqlite3" => Ok(Engine::Sqlite),
            "django.db.backends.postgresql" | "django.db.backends.postgresql_psycopg2" => {
                Ok(Engine::Postgres)
            }
            "django.db.backends.mysql" => Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "ENGINE 'django.db.backends.mysql': MySQL/MariaDB is not supported by djq yet",
            )),
            other => Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "ENGINE '{other}' is not supported by djq (it opens \
                     django.db.backends.sqlite3 and django.db.backends.postgresql)"
                ),
            )),
        }
    }

    /// The engine's short name, as the banner shows it.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Sqlite => "sqlite3",
            Engine::Postgres => "postgresql",
        }
    }
}

fn improperly_configured(message: &str) -> Diagnostic {
    Diagnostic::new(
        ErrorKind::Python("ImproperlyConfigured".into()),
        format!("settings.DATABASES is improperly configured. {message}"),
    )
}

/// `db` as a connection URL, and notes on the OPTIONS djq does not use.
pub fn url(db: &Database) -> Result<(String, Vec<String>)> {
    let mut notes = Vec::new();
    match Engine::of(&db.engine)? {
        Engine::Sqlite => {
            if db.name.is_empty() {
                return Err(improperly_configured("Please supply the NAME value."));
            }
            for (key, value) in &db.options {
                match key.as_str() {
                    "timeout" | "init_command" => {}
                    "transaction_mode" if value.is_empty() || value == "DEFERRED" => {}
                    _ => notes.push(format!(
                        "DATABASES OPTIONS '{key}' is not supported by djq yet: ignored"
                    )),
                }
            }
            Ok(match db.name.as_str() {
                ":memory:" => ("sqlite::memory:".into(), notes),
                name => (name.to_string(), notes),
            })
        }
        Engine::Postgres => {
            let service = db.options.iter().any(|(k, _)| k == "service");
            if service {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    "DATABASES OPTIONS 'service' (a pg_service.conf entry) is not supported by \
                     djq yet: give NAME, USER, HOST and PORT",
                ));
            }
            if db.name.is_empty() {
                return Err(improperly_configured(
                    "Please supply the NAME or OPTIONS['service'] value.",
                ));
            }
            let enc = |s: &str| utf8_percent_encode(s, PART).to_string();
            let mut url = String::from("postgres://");
            if !db.user.is_empty() {
                url += &enc(&db.user);
                if !db.password.is_empty() {
                    url += ":";
                    url += &enc(&db.password);
                }
                url += "@";
            }
            let mut query = Vec::new();
            if db.host.starts_with('/') {
                query.push(format!("host={}", enc(&db.host)));
            } else {
                url += &enc(&db.host);
            }
            if !db.port.is_empty() {
                if db.host.starts_with('/') {
                    query.push(format!("port={}", enc(&db.port)));
                } else {
                    url += ":";
                    url += &db.port;
                }
            }
            url += "/";
            url += &enc(&db.name);
            for (key, value) in &db.options {
                match key.as_str() {
                    "sslmode" | "sslrootcert" | "connect_timeout" | "application_name"
                    | "options" => query.push(format!("{key}={}", enc(value))),
                    _ => notes.push(format!(
                        "DATABASES OPTIONS '{key}' is not supported by djq yet: ignored"
                    )),
                }
            }
            if !query.is_empty() {
                url += "?";
                url += &query.join("&");
            }
            Ok((url, notes))
        }
    }
}

/// Open `db`, and the notes on what of it djq does not use.
pub fn connect(db: &Database, read_only: bool) -> Result<(Box<dyn Backend>, Vec<String>)> {
    let (url, notes) = url(db)?;
    let mut backend = crate::backend::connect(&url, read_only)?;
    if Engine::of(&db.engine)? == Engine::Sqlite {
        for (key, value) in &db.options {
            match key.as_str() {
                // Django passes it to sqlite3.connect: seconds to wait for a lock.
                "timeout" => {
                    let seconds: f64 = value.parse().map_err(|_| {
                        improperly_configured(&format!(
                            "OPTIONS 'timeout' is not a number: {value}"
                        ))
                    })?;
                    let ms = (seconds * 1000.0) as i64;
                    // The pragma answers with the new value: a query, not a statement.
                    backend.query_all(&format!("PRAGMA busy_timeout = {ms}"), &[], &[])?;
                }
                "init_command" => {
                    for statement in value.split(';').map(str::trim).filter(|s| !s.is_empty()) {
                        backend.execute(statement, &[])?;
                    }
                }
                _ => {}
            }
        }
    }
    Ok((backend, notes))
}

/// `engine name` as the banner shows it (`postgresql user@host:5432/db`: never the password).
pub fn describe(db: &Database) -> String {
    let known = Engine::of(&db.engine).ok();
    let engine = known.map_or(db.engine.as_str(), |e| e.name());
    match known {
        Some(Engine::Postgres) => {
            let user = if db.user.is_empty() {
                String::new()
            } else if db.password.is_empty() {
                format!("{}@", db.user)
            } else {
                format!("{}:********@", db.user)
            };
            let port = if db.port.is_empty() {
                String::new()
            } else {
                format!(":{}", db.port)
            };
            format!("{engine} {user}{}{port}/{}", db.host, db.name)
        }
        _ => format!("{engine} {}", db.name),
    }
}
