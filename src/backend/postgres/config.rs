//! Where and how to connect: a `postgres://` URL completed the way libpq (and so `psql`) completes
//! it — from the `PG*` environment variables, the password file `~/.pgpass`, and libpq's
//! defaults (the local socket directory, port 5432, the OS user, a database named like the user).
//!
//! [`ConnectOptions::resolve`] is pure apart from the lookups it is handed (environment, files,
//! warnings), so every rule is unit-tested; [`ConnectOptions::tls`] builds the native-tls connector each
//! `sslmode` calls for.

use std::path::{Path, PathBuf};
use std::time::Duration;

use native_tls::{Certificate, TlsConnector};
use percent_encoding::percent_decode_str;

use crate::diag::{Diagnostic, ErrorKind, Result};

/// libpq's default port.
const DEFAULT_PORT: u16 = 5432;
/// How long connecting may take when `connect_timeout` is not given (libpq waits forever).
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Where Debian's and most other builds of libpq look for the server's socket, in order.
const DEFAULT_SOCKET_DIRS: [&str; 2] = ["/var/run/postgresql", "/tmp"];

/// A server address: a TCP host name or address, or the directory of a Unix-domain socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Host {
    Tcp(String),
    Unix(PathBuf),
}

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    /// Try without TLS first; the postgres crate cannot, so this behaves like `prefer`.
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    fn parse(text: &str) -> Result<SslMode> {
        Ok(match text {
            "disable" => SslMode::Disable,
            "allow" => SslMode::Allow,
            "prefer" => SslMode::Prefer,
            "require" => SslMode::Require,
            "verify-ca" => SslMode::VerifyCa,
            "verify-full" => SslMode::VerifyFull,
            other => {
                return Err(invalid(format!(
                    "invalid sslmode '{other}' (expected disable, allow, prefer, require, \
                     verify-ca or verify-full)"
                )));
            }
        })
    }
}

/// Everything needed to open a session, every default filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectOptions {
    /// Tried in order, each with its port.
    pub hosts: Vec<(Host, u16)>,
    pub user: String,
    pub password: Option<String>,
    pub dbname: String,
    pub sslmode: SslMode,
    /// A PEM file of trusted root certificates (`sslrootcert`).
    pub sslrootcert: Option<PathBuf>,
    pub application_name: Option<String>,
    /// `None` waits as long as the operating system lets a connection attempt last.
    pub connect_timeout: Option<Duration>,
    /// Server options sent at startup (`options=-c search_path=app`).
    pub options: Option<String>,
}

/// The settings a URL spells out, before defaults (`None`: not given).
#[derive(Debug, Default)]
struct Given {
    hosts: Option<String>,
    ports: Option<String>,
    user: Option<String>,
    password: Option<String>,
    dbname: Option<String>,
    sslmode: Option<String>,
    sslrootcert: Option<String>,
    application_name: Option<String>,
    connect_timeout: Option<String>,
    options: Option<String>,
}

/// Where [`ConnectOptions::resolve`] reads what the URL leaves out.
pub struct Lookups<'a> {
    /// An environment variable.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The contents of a file, `None` when it cannot be read.
    pub read_file: &'a dyn Fn(&Path) -> Option<String>,
    /// A file's `st_mode` (type and permission bits, symbolic links followed), `None` when it
    /// does not exist.
    pub mode: &'a dyn Fn(&Path) -> Option<u32>,
    /// Whether a path exists (for finding the default socket).
    pub exists: &'a dyn Fn(&Path) -> bool,
    /// The name of the user running the program.
    pub os_user: &'a dyn Fn() -> Option<String>,
    /// Says something the user should know (a password file ignored), without stopping.
    pub warn: &'a dyn Fn(&str),
}

impl Lookups<'static> {
    /// The real environment, file system and user.
    pub fn system() -> Lookups<'static> {
        Lookups {
            env: &|name| std::env::var(name).ok().filter(|v| !v.is_empty()),
            read_file: &|path| std::fs::read_to_string(path).ok(),
            mode: &|path| {
                use std::os::unix::fs::MetadataExt;
                std::fs::metadata(path).ok().map(|m| m.mode())
            },
            exists: &|path| path.exists(),
            os_user: &os_user,
            warn: &|message| eprintln!("warning: {message}"),
        }
    }
}

impl ConnectOptions {
    /// Parses `url` (`postgres://` or `postgresql://`) and completes it as libpq does:
    /// URL first, then `PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, `PGSSLMODE`,
    /// `PGSSLROOTCERT`, `PGAPPNAME`, `PGCONNECT_TIMEOUT`, `PGOPTIONS`, then the password file
    /// (`PGPASSFILE` or `~/.pgpass`) when no password is given, then the defaults.
    /// A password file that is not a plain file, or that its group or others may use, is
    /// ignored with libpq's warning.
    pub fn resolve(url: &str, look: &Lookups<'_>) -> Result<ConnectOptions> {
        let mut given = parse_url(url)?;
        let from_env = |field: &mut Option<String>, name: &str| {
            if field.is_none() {
                *field = (look.env)(name);
            }
        };
        from_env(&mut given.hosts, "PGHOST");
        from_env(&mut given.ports, "PGPORT");
        from_env(&mut given.user, "PGUSER");
        from_env(&mut given.password, "PGPASSWORD");
        from_env(&mut given.dbname, "PGDATABASE");
        from_env(&mut given.sslmode, "PGSSLMODE");
        from_env(&mut given.sslrootcert, "PGSSLROOTCERT");
        from_env(&mut given.application_name, "PGAPPNAME");
        from_env(&mut given.connect_timeout, "PGCONNECT_TIMEOUT");
        from_env(&mut given.options, "PGOPTIONS");

        let ports = match &given.ports {
            Some(list) => list
                .split(',')
                .map(|p| match p.trim() {
                    "" => Ok(DEFAULT_PORT),
                    p => p
                        .parse::<u16>()
                        .ok()
                        .filter(|&n| n > 0)
                        .ok_or_else(|| invalid(format!("invalid port number '{p}'"))),
                })
                .collect::<Result<Vec<u16>>>()?,
            None => vec![DEFAULT_PORT],
        };
        let host_names: Vec<&str> = match &given.hosts {
            Some(list) => list.split(',').map(str::trim).collect(),
            None => vec![""],
        };
        if ports.len() != 1 && ports.len() != host_names.len() {
            return Err(invalid(format!(
                "{} port numbers given for {} hosts",
                ports.len(),
                host_names.len()
            )));
        }
        let hosts = host_names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let port = ports[if ports.len() == 1 { 0 } else { i }];
                let host = match *name {
                    "" => default_host(port, look),
                    name if name.starts_with('/') => Host::Unix(PathBuf::from(name)),
                    name => Host::Tcp(name.to_string()),
                };
                (host, port)
            })
            .collect::<Vec<_>>();

        let user = match given.user {
            Some(user) => user,
            None => (look.os_user)().ok_or_else(|| {
                invalid("no user name given: put it in the URL (postgres://USER@...) or set PGUSER")
            })?,
        };
        let dbname = given.dbname.unwrap_or_else(|| user.clone());
        let password = given.password.or_else(|| {
            let file = (look.env)("PGPASSFILE")
                .map(PathBuf::from)
                .or_else(|| (look.env)("HOME").map(|home| Path::new(&home).join(".pgpass")))?;
            let contents = read_password_file(&file, look)?;
            let (host, port) = &hosts[0];
            // libpq matches a socket connection against the host name `localhost`.
            let host = match host {
                Host::Tcp(name) => name.as_str(),
                Host::Unix(_) => "localhost",
            };
            pgpass_lookup(&contents, host, *port, &dbname, &user)
        });
        let sslmode = match &given.sslmode {
            Some(mode) => SslMode::parse(mode)?,
            None => SslMode::Prefer,
        };
        let connect_timeout = match &given.connect_timeout {
            // libpq: zero or less waits forever; a positive value is at least two seconds.
            Some(text) => match text.trim().parse::<i64>() {
                Ok(secs) if secs <= 0 => None,
                Ok(secs) => Some(Duration::from_secs(secs.max(2) as u64)),
                Err(_) => return Err(invalid(format!("invalid connect_timeout '{text}'"))),
            },
            None => Some(DEFAULT_CONNECT_TIMEOUT),
        };
        Ok(ConnectOptions {
            hosts,
            user,
            password,
            dbname,
            sslmode,
            sslrootcert: given.sslrootcert.map(PathBuf::from),
            application_name: given.application_name,
            connect_timeout,
            options: given.options,
        })
    }

    /// `user@host:port/db`, naming the first host.
    pub fn describe(&self) -> String {
        let (host, port) = &self.hosts[0];
        let host = match host {
            Host::Tcp(name) if name.contains(':') => format!("[{name}]"),
            Host::Tcp(name) => name.clone(),
            Host::Unix(dir) => dir.display().to_string(),
        };
        format!("{}@{host}:{port}/{}", self.user, self.dbname)
    }

    /// The postgres crate's configuration (TLS aside: see [`ConnectOptions::tls`]).
    pub fn to_config(&self) -> postgres::Config {
        let mut config = postgres::Config::new();
        for (host, port) in &self.hosts {
            match host {
                Host::Tcp(name) => config.host(name),
                Host::Unix(dir) => config.host_path(dir),
            };
            config.port(*port);
        }
        config.user(&self.user).dbname(&self.dbname);
        if let Some(password) = &self.password {
            config.password(password);
        }
        if let Some(name) = &self.application_name {
            config.application_name(name);
        }
        if let Some(options) = &self.options {
            config.options(options);
        }
        if let Some(timeout) = self.connect_timeout {
            config.connect_timeout(timeout);
        }
        // TLS is never used over a Unix-domain socket (libpq ignores sslmode there).
        let all_local = self.hosts.iter().all(|(h, _)| matches!(h, Host::Unix(_)));
        config.ssl_mode(match self.sslmode {
            _ if all_local => postgres::config::SslMode::Disable,
            SslMode::Disable => postgres::config::SslMode::Disable,
            SslMode::Allow | SslMode::Prefer => postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                postgres::config::SslMode::Require
            }
        });
        config
    }

    /// The TLS connector for this `sslmode`, as libpq verifies: `prefer` and `require` encrypt
    /// without checking the certificate (unless a root certificate file exists, when `require`
    /// checks it like `verify-ca`), `verify-ca` checks the chain, `verify-full` the host name
    /// too.
    /// Trusted roots: the system's, plus `sslrootcert` or `~/.postgresql/root.crt`.
    pub fn tls(&self, look: &Lookups<'_>) -> Result<TlsConnector> {
        let root_file = self.sslrootcert.clone().or_else(|| {
            let default = Path::new(&(look.env)("HOME")?).join(".postgresql/root.crt");
            (look.exists)(&default).then_some(default)
        });
        let (verify_chain, verify_host) = match self.sslmode {
            SslMode::Disable | SslMode::Allow | SslMode::Prefer => (false, false),
            SslMode::Require => (root_file.is_some(), false),
            SslMode::VerifyCa => (true, false),
            SslMode::VerifyFull => (true, true),
        };
        let mut builder = TlsConnector::builder();
        builder
            .danger_accept_invalid_certs(!verify_chain)
            .danger_accept_invalid_hostnames(!verify_host);
        // `sslrootcert=system` means the system's roots alone, which are always trusted.
        if verify_chain && let Some(file) = root_file.filter(|f| f.as_os_str() != "system") {
            let pem = (look.read_file)(&file).ok_or_else(|| {
                invalid(format!(
                    "cannot read the root certificate file {}",
                    file.display()
                ))
            })?;
            for cert in pem_certificates(&pem) {
                let cert = Certificate::from_pem(cert.as_bytes())
                    .map_err(|e| invalid(format!("bad certificate in {}: {e}", file.display())))?;
                builder.add_root_certificate(cert);
            }
        }
        builder
            .build()
            .map_err(|e| invalid(format!("cannot set up TLS: {e}")))
    }
}

/// Splits a PEM bundle into its certificates.
fn pem_certificates(pem: &str) -> Vec<&str> {
    const END: &str = "-----END CERTIFICATE-----";
    pem.split_inclusive(END)
        .filter_map(|chunk| {
            let start = chunk.find("-----BEGIN CERTIFICATE-----")?;
            chunk.ends_with(END).then(|| &chunk[start..])
        })
        .collect()
}

/// The contents of the password file `file`, unless it is missing, unreadable, or not private
/// (libpq's checks and warnings, as `passwordFromFile` words them).
fn read_password_file(file: &Path, look: &Lookups<'_>) -> Option<String> {
    let mode = (look.mode)(file)?;
    let shown = file.display();
    if mode & libc::S_IFMT != libc::S_IFREG {
        (look.warn)(&format!("password file \"{shown}\" is not a plain file"));
        return None;
    }
    if mode & (libc::S_IRWXG | libc::S_IRWXO) != 0 {
        (look.warn)(&format!(
            "password file \"{shown}\" has group or world access; permissions should be u=rw \
             (0600) or less"
        ));
        return None;
    }
    (look.read_file)(file)
}

/// libpq's default host: the local socket directory where a server listens on `port`, else
/// `localhost`.
fn default_host(port: u16, look: &Lookups<'_>) -> Host {
    DEFAULT_SOCKET_DIRS
        .iter()
        .map(PathBuf::from)
        .find(|dir| (look.exists)(&dir.join(format!(".s.PGSQL.{port}"))))
        .map_or_else(|| Host::Tcp("localhost".into()), Host::Unix)
}

/// Parses `postgres[ql]://[user[:password]@][host[:port][,...]][/dbname][?key=value&...]`.
fn parse_url(url: &str) -> Result<Given> {
    let rest = url
        .strip_prefix("postgresql://")
        .or_else(|| url.strip_prefix("postgres://"))
        .ok_or_else(|| {
            invalid("the database URL does not start with postgres:// or postgresql://")
        })?;
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let mut given = Given::default();
    // The last `@` ends the user info, so an unencoded `@` in a password still works.
    let hostspec = match authority.rsplit_once('@') {
        Some((userinfo, hostspec)) => {
            let (user, password) = match userinfo.split_once(':') {
                Some((user, password)) => (user, Some(password)),
                None => (userinfo, None),
            };
            given.user = non_empty(decode(user, "the user name")?);
            given.password = password.map(|p| decode(p, "the password")).transpose()?;
            hostspec
        }
        None => authority,
    };
    if !hostspec.is_empty() {
        let mut hosts = Vec::new();
        let mut ports = Vec::new();
        for spec in hostspec.split(',') {
            let (host, port) = split_host_port(spec)?;
            hosts.push(decode(host, "a host name")?);
            ports.push(port.unwrap_or_default().to_string());
        }
        given.hosts = Some(hosts.join(","));
        if ports.iter().any(|p| !p.is_empty()) {
            given.ports = Some(ports.join(","));
        }
    }
    given.dbname = non_empty(decode(path, "the database name")?);
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').ok_or_else(|| {
            invalid(format!(
                "missing '=' after '{pair}' in the database URL's parameters"
            ))
        })?;
        let key = decode(key, "a parameter name")?;
        let value = Some(decode(value, &format!("the value of '{key}'"))?);
        match key.as_str() {
            "host" => given.hosts = value,
            "port" => given.ports = value,
            "user" => given.user = value,
            "password" => given.password = value,
            "dbname" => given.dbname = value,
            "sslmode" => given.sslmode = value,
            "sslrootcert" => given.sslrootcert = value,
            "application_name" => given.application_name = value,
            "connect_timeout" => given.connect_timeout = value,
            "options" => given.options = value,
            other => {
                return Err(invalid(format!(
                    "unsupported database URL parameter '{other}' (supported: host, port, user, \
                     password, dbname, sslmode, sslrootcert, application_name, connect_timeout, \
                     options)"
                )));
            }
        }
    }
    Ok(given)
}

/// `host:port`, `[v6addr]:port`, `host` or `:port`.
fn split_host_port(spec: &str) -> Result<(&str, Option<&str>)> {
    if let Some(bracketed) = spec.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| invalid(format!("unterminated '[' in host '{spec}'")))?;
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(invalid(format!(
                    "unexpected '{after}' after host '[{host}]'"
                ))),
            },
        };
    }
    Ok(match spec.rsplit_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (spec, None),
    })
}

/// `text` percent-decoded. The error names `what` failed, never its text: it may be a
/// password (in the user info or a parameter).
fn decode(text: &str, what: &str) -> Result<String> {
    percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            invalid(format!(
                "{what} in the database URL is not valid UTF-8 once percent-decoded"
            ))
        })
}

fn non_empty(text: String) -> Option<String> {
    (!text.is_empty()).then_some(text)
}

/// The password for a connection from a `.pgpass` file: the first line
/// `host:port:database:user:password` whose first four fields match (`*` matches anything;
/// `\:` and `\\` escape).
pub fn pgpass_lookup(
    contents: &str,
    host: &str,
    port: u16,
    dbname: &str,
    user: &str,
) -> Option<String> {
    let port = port.to_string();
    let wanted = [host, port.as_str(), dbname, user];
    contents
        .lines()
        .filter(|line| !line.trim_start().starts_with('#'))
        .find_map(|line| {
            let fields = pgpass_fields(line);
            let [h, p, d, u, password] = fields.as_slice() else {
                return None;
            };
            [h, p, d, u]
                .iter()
                .zip(wanted)
                .all(|(field, value)| field.as_str() == "*" || field.as_str() == value)
                .then(|| password.clone())
        })
}

/// The `:`-separated fields of a `.pgpass` line, unescaped; the fifth field runs to the end.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().unwrap().extend(chars.next()),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

/// The name of the user running this process (libpq's default user name).
fn os_user() -> Option<String> {
    if let Some(name) = std::env::var("USER")
        .ok()
        .or_else(|| std::env::var("LOGNAME").ok())
        .filter(|n| !n.is_empty())
    {
        return Some(name);
    }
    // SAFETY: getpwuid_r writes at most `buf.len()` bytes into `buf` and fills `entry`, whose
    // string pointers point into `buf`; both outlive the reads below.
    unsafe {
        let mut entry: libc::passwd = std::mem::zeroed();
        let mut buf = vec![0 as libc::c_char; 4096];
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        let status = libc::getpwuid_r(
            libc::getuid(),
            &mut entry,
            buf.as_mut_ptr(),
            buf.len(),
            &mut found,
        );
        if status != 0 || found.is_null() || entry.pw_name.is_null() {
            return None;
        }
        Some(
            std::ffi::CStr::from_ptr(entry.pw_name)
                .to_string_lossy()
                .into_owned(),
        )
    }
}

fn invalid(message: impl Into<String>) -> Diagnostic {
    Diagnostic::new(ErrorKind::Io, message)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Resolves `url` with the given environment and files and no socket on disk.
    fn resolve_with(
        url: &str,
        env: &[(&str, &str)],
        files: &[(&str, &str)],
    ) -> Result<ConnectOptions> {
        let env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let files: HashMap<PathBuf, String> = files
            .iter()
            .map(|(k, v)| (PathBuf::from(k), v.to_string()))
            .collect();
        let look = Lookups {
            env: &|name| env.get(name).cloned(),
            read_file: &|path| files.get(path).cloned(),
            mode: &|path| files.contains_key(path).then_some(libc::S_IFREG | 0o600),
            exists: &|path| files.contains_key(path),
            os_user: &|| Some("osuser".to_string()),
            warn: &|message| panic!("unexpected warning: {message}"),
        };
        ConnectOptions::resolve(url, &look)
    }

    fn resolve(url: &str) -> ConnectOptions {
        resolve_with(url, &[], &[]).unwrap()
    }

    fn tcp(name: &str, port: u16) -> (Host, u16) {
        (Host::Tcp(name.into()), port)
    }

    #[test]
    fn urls_give_every_part() {
        let o = resolve(
            "postgresql://al%40ice:p%3Ass%2Fw@db.example.com:6543/my%20db?sslmode=require\
             &application_name=djq&connect_timeout=3&options=-c%20search_path%3Dapp",
        );
        assert_eq!(o.hosts, [tcp("db.example.com", 6543)]);
        assert_eq!(o.user, "al@ice");
        assert_eq!(o.password.as_deref(), Some("p:ss/w"));
        assert_eq!(o.dbname, "my db");
        assert_eq!(o.sslmode, SslMode::Require);
        assert_eq!(o.application_name.as_deref(), Some("djq"));
        assert_eq!(o.connect_timeout, Some(Duration::from_secs(3)));
        assert_eq!(o.options.as_deref(), Some("-c search_path=app"));
        assert_eq!(o.describe(), "al@ice@db.example.com:6543/my db");
    }

    #[test]
    fn defaults_follow_libpq() {
        let o = resolve("postgres://");
        assert_eq!(o.hosts, [tcp("localhost", 5432)]);
        assert_eq!((o.user.as_str(), o.dbname.as_str()), ("osuser", "osuser"));
        assert_eq!(o.password, None);
        assert_eq!(o.sslmode, SslMode::Prefer);
        assert_eq!(o.connect_timeout, Some(DEFAULT_CONNECT_TIMEOUT));
        // A server socket in a default directory is preferred to TCP.
        let o = resolve_with(
            "postgres:///lib",
            &[],
            &[("/var/run/postgresql/.s.PGSQL.5432", "")],
        )
        .unwrap();
        assert_eq!(o.hosts, [(Host::Unix("/var/run/postgresql".into()), 5432)]);
        assert_eq!(o.dbname, "lib");
        // Zero waits forever; one second is raised to libpq's minimum of two.
        assert_eq!(
            resolve("postgres://h?connect_timeout=0").connect_timeout,
            None
        );
        assert_eq!(
            resolve("postgres://h?connect_timeout=1").connect_timeout,
            Some(Duration::from_secs(2))
        );
    }

    #[test]
    fn unix_socket_hosts() {
        let socket = || (Host::Unix("/run/pg".into()), 5433);
        assert_eq!(
            resolve("postgres://u@%2Frun%2Fpg:5433/db").hosts,
            [socket()]
        );
        assert_eq!(
            resolve("postgres://u@/db?host=/run/pg&port=5433").hosts,
            [socket()]
        );
        assert_eq!(
            resolve("postgres://u@/db?host=/run/pg").describe(),
            "u@/run/pg:5432/db"
        );
    }

    #[test]
    fn several_hosts_and_ipv6() {
        let o = resolve("postgres://u@a:1,[::1]:2,b/db");
        assert_eq!(o.hosts, [tcp("a", 1), tcp("::1", 2), tcp("b", 5432)]);
        assert_eq!(
            resolve("postgres://u@[::1]/db").describe(),
            "u@[::1]:5432/db"
        );
    }

    #[test]
    fn environment_fills_what_the_url_leaves_out() {
        let env = [
            ("PGHOST", "envhost"),
            ("PGPORT", "7000"),
            ("PGUSER", "envuser"),
            ("PGPASSWORD", "envpass"),
            ("PGDATABASE", "envdb"),
            ("PGSSLMODE", "disable"),
        ];
        let o = resolve_with("postgres://", &env, &[]).unwrap();
        assert_eq!(o.hosts, [tcp("envhost", 7000)]);
        assert_eq!(
            (o.user.as_str(), o.password.as_deref(), o.dbname.as_str()),
            ("envuser", Some("envpass"), "envdb")
        );
        assert_eq!(o.sslmode, SslMode::Disable);
        let o = resolve_with(
            "postgres://me:pw@urlhost/urldb?sslmode=verify-full",
            &env,
            &[],
        )
        .unwrap();
        assert_eq!(o.hosts, [tcp("urlhost", 7000)]);
        assert_eq!(
            (o.user.as_str(), o.password.as_deref(), o.dbname.as_str()),
            ("me", Some("pw"), "urldb")
        );
        assert_eq!(o.sslmode, SslMode::VerifyFull);
    }

    #[test]
    fn passwords_come_from_pgpass_when_not_given() {
        let pgpass = "# comment\n\
                      other:*:*:*:nope\n\
                      db.example.com:5432:lib:alice:s3cr\\:et\n\
                      *:*:*:alice:fallback\n";
        let files = [("/home/a/.pgpass", pgpass)];
        let env = [("HOME", "/home/a")];
        let password = |url: &str| resolve_with(url, &env, &files).unwrap().password;
        assert_eq!(
            password("postgres://alice@db.example.com/lib").as_deref(),
            Some("s3cr:et")
        );
        assert_eq!(
            password("postgres://alice@db.example.com/other").as_deref(),
            Some("fallback")
        );
        assert_eq!(password("postgres://bob@db.example.com/lib"), None);
        assert_eq!(
            password("postgres://alice:given@db.example.com/lib").as_deref(),
            Some("given")
        );
        // PGPASSFILE names another file; a socket connection matches `localhost`.
        let env = [("PGPASSFILE", "/etc/pass")];
        let files = [("/etc/pass", "localhost:5432:*:alice:local")];
        let o = resolve_with("postgres://alice@/db?host=/run/pg", &env, &files).unwrap();
        assert_eq!(o.password.as_deref(), Some("local"));
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        let err = |url: &str| resolve_with(url, &[], &[]).unwrap_err().message;
        assert!(err("postgres://h?sslmode=sometimes").contains("invalid sslmode 'sometimes'"));
        assert!(err("postgres://h:99999/db").contains("invalid port number '99999'"));
        assert!(
            err("postgres://h/db?colour=blue")
                .contains("unsupported database URL parameter 'colour'")
        );
        assert!(err("postgres://h/db?sslmode").contains("missing '='"));
        assert!(err("postgres://[::1/db").contains("unterminated '['"));
        assert!(err("postgres://h/db?connect_timeout=soon").contains("invalid connect_timeout"));
    }

    #[test]
    fn pgpass_escapes_and_wildcards() {
        assert_eq!(
            pgpass_fields(r"h\:x:5432:d\\b:u:pa:ss"),
            ["h:x", "5432", "d\\b", "u", "pa:ss"]
        );
        assert_eq!(
            pgpass_lookup("*:*:*:*:any", "h", 1, "d", "u").as_deref(),
            Some("any")
        );
        assert_eq!(pgpass_lookup("h:2:*:*:x", "h", 1, "d", "u"), None);
        assert_eq!(pgpass_lookup("short:line", "h", 1, "d", "u"), None);
    }

    #[test]
    fn pem_bundles_split_into_certificates() {
        let pem = "junk\n-----BEGIN CERTIFICATE-----\nAAA\n-----END CERTIFICATE-----\n\
                   -----BEGIN CERTIFICATE-----\nBBB\n-----END CERTIFICATE-----\n";
        let certs = pem_certificates(pem);
        assert_eq!(certs.len(), 2);
        assert!(certs[1].starts_with("-----BEGIN") && certs[1].contains("BBB"));
    }
}
