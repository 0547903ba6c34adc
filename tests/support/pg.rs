//! A PostgreSQL server for the tests, shared by every test of one test binary.
//!
//! [`server`] uses `DJQ_TEST_POSTGRES_URL` when it is set. Otherwise, when PostgreSQL's server
//! binaries are installed (`DJQ_PG_BINDIR`, else the newest `/usr/lib/postgresql/*/bin`), it
//! starts a throwaway cluster the way `tools/pgcluster.py` does for the recordings (so rows
//! come back in the same collation order): `initdb -A trust -U postgres --encoding=UTF8
//! --locale=C.UTF-8` into a fresh temporary directory, the server on a free 127.0.0.1 port with
//! its socket in that directory, `timezone=UTC`, autovacuum and fsync off. As root, initdb,
//! pg_ctl and the server run as the `postgres` OS user (or `DJQ_PG_OS_USER`) through
//! `runuser`, the directory handed to that user.
//!
//! The cluster also has a role that must log in with a password over TCP
//! ([`PgServer::password_login`]) and, when `openssl` is installed, TLS with a self-signed
//! certificate ([`PgServer::tls_certificate`]).
//!
//! It is stopped (`pg_ctl stop -m immediate`) and deleted when the test binary exits, failed
//! tests included (an `atexit` hook); a cluster left behind by a killed run is stopped and
//! deleted by the next run. With no server to be had, [`server`] goes by
//! [`skip`](super::skip): it prints `SKIPPED: no PostgreSQL server available (why)` to stderr
//! and returns `None`, and callers return early, loudly; under `CI=true` or
//! `DJQ_REQUIRE_SERVERS=1` it fails the test instead. To see that without PostgreSQL on a
//! machine that has it, point `DJQ_PG_BINDIR` at an empty directory.

use std::collections::HashMap;
use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use djq::backend::PostgresBackend;

/// The role whose login needs a password, and its password.
const PASSWORD_ROLE: (&str, &str) = ("djq_password_user", "right horse battery");
/// Temporary directories of clusters started here start with this, then the owner's pid.
const DIR_PREFIX: &str = "djq-test-pg-";

pub struct PgServer {
    /// A URL of the server's maintenance database, as given or as started.
    admin_url: String,
    /// The cluster this process started, if it did.
    cluster: Option<Cluster>,
    /// Fixture databases already loaded, by fixture path.
    shared: Mutex<HashMap<PathBuf, String>>,
    /// Databases created by this process (dropped at exit on a server that is not ours).
    created: Mutex<Vec<String>>,
}

struct Cluster {
    dir: PathBuf,
    bindir: PathBuf,
    /// `runuser -u postgres --` when running as root.
    run_as: Vec<String>,
    port: u16,
    tls_certificate: Option<PathBuf>,
}

/// The server, or why there is none.
static SERVER: OnceLock<Result<PgServer, String>> = OnceLock::new();

/// The shared server, started on first use; `None` when there is none to be had, after
/// [`skip`](super::skip) said so (or failed the test).
pub fn server() -> Option<&'static PgServer> {
    let server = SERVER.get_or_init(|| {
        let server = start();
        if server.is_ok() {
            // SAFETY: registers a plain `extern "C"` function with no arguments.
            unsafe { libc::atexit(stop_at_exit) };
        }
        server
    });
    match server {
        Ok(server) => Some(server),
        Err(why) => {
            super::skip(&format!(
                "no PostgreSQL server available (install PostgreSQL's server binaries or set \
                 DJQ_TEST_POSTGRES_URL): {why}"
            ));
            None
        }
    }
}

/// Writes a line to the real stderr: the test harness captures `eprintln!`, and hides it for
/// tests that pass.
pub fn loud(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{line}");
}

impl PgServer {
    /// The URL of database `dbname` on this server.
    pub fn url(&self, dbname: &str) -> String {
        with_database(&self.admin_url, dbname)
    }

    /// Whether this process started the server (so its configuration is known).
    pub fn is_own(&self) -> bool {
        self.cluster.is_some()
    }

    /// The data directory of the cluster this process started.
    pub fn data_dir(&self) -> Option<PathBuf> {
        self.cluster.as_ref().map(|c| c.dir.join("data"))
    }

    /// `(host:port, user, password)` of a role that must give its password (own clusters).
    pub fn password_login(&self) -> Option<(String, &'static str, &'static str)> {
        let cluster = self.cluster.as_ref()?;
        Some((
            format!("127.0.0.1:{}", cluster.port),
            PASSWORD_ROLE.0,
            PASSWORD_ROLE.1,
        ))
    }

    /// The server's self-signed certificate, when the cluster speaks TLS.
    pub fn tls_certificate(&self) -> Option<&Path> {
        self.cluster.as_ref()?.tls_certificate.as_deref()
    }

    /// The TCP port (own clusters).
    pub fn port(&self) -> Option<u16> {
        self.cluster.as_ref().map(|c| c.port)
    }

    /// A new, empty database; its URL.
    pub fn create_database(&self) -> String {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "djq_test_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = PostgresBackend::connect(&self.admin_url, false)
            .unwrap_or_else(|e| panic!("connecting to {}: {}", self.admin_url, e.message));
        admin
            .run_script(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'"
            ))
            .unwrap_or_else(|e| panic!("CREATE DATABASE {name}: {}", e.message));
        self.created.lock().unwrap().push(name.clone());
        self.url(&name)
    }

    /// A new database loaded from the SQL script `sql`; its URL.
    pub fn database_from_sql(&self, sql: &str) -> String {
        let url = self.create_database();
        let mut db = PostgresBackend::connect(&url, false).unwrap();
        db.run_script(sql)
            .unwrap_or_else(|e| panic!("loading a database: {}", e.message));
        url
    }

    /// A new database loaded from the SQL file `path` (relative to the crate); its URL.
    pub fn database_from_file(&self, path: &str) -> String {
        let path = super::root().join(path);
        let sql = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
        self.database_from_sql(&sql)
    }

    /// Drops a database [`create_database`](Self::create_database) made (its URL), once
    /// nothing is connected to it any more.
    pub fn drop_database(&self, url: &str) {
        let name = url
            .split('?')
            .next()
            .and_then(|base| base.rsplit('/').next())
            .unwrap_or_default()
            .to_string();
        let mut created = self.created.lock().unwrap();
        assert!(created.contains(&name), "{name} was not created here");
        let mut admin = PostgresBackend::connect(&self.admin_url, false)
            .unwrap_or_else(|e| panic!("connecting to {}: {}", self.admin_url, e.message));
        admin
            .run_script(&format!("DROP DATABASE \"{name}\""))
            .unwrap_or_else(|e| panic!("DROP DATABASE {name}: {}", e.message));
        created.retain(|n| *n != name);
    }

    /// A database loaded from the fixture file `path` (relative to the crate), created once
    /// per test binary and shared: tests must not change it.
    pub fn fixture(&self, path: &str) -> String {
        let mut shared = self.shared.lock().unwrap();
        let url = shared
            .entry(super::root().join(path))
            .or_insert_with(|| self.database_from_file(path));
        url.clone()
    }
}

/// `url` with its database replaced by `dbname` (parameters kept).
fn with_database(url: &str, dbname: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{dbname}{query}", &base[..authority_end])
}

fn start() -> Result<PgServer, String> {
    let (admin_url, cluster) = match std::env::var("DJQ_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => (url, None),
        _ => {
            let cluster = Cluster::start()?;
            let url = format!("postgresql://postgres@127.0.0.1:{}/postgres", cluster.port);
            (url, Some(cluster))
        }
    };
    let server = PgServer {
        admin_url,
        cluster,
        shared: Mutex::new(HashMap::new()),
        created: Mutex::new(Vec::new()),
    };
    let mut admin = PostgresBackend::connect(&server.admin_url, false)
        .map_err(|e| format!("cannot connect to {}: {}", server.admin_url, e.message))?;
    if server.is_own() {
        let (role, password) = PASSWORD_ROLE;
        admin
            .run_script(&format!("CREATE ROLE {role} LOGIN PASSWORD '{password}'"))
            .map_err(|e| e.message)?;
    }
    Ok(server)
}

impl Cluster {
    fn start() -> Result<Cluster, String> {
        remove_abandoned_clusters();
        let bindir = find_bindir()?;
        let run_as = run_as_prefix()?;
        let dir = std::env::temp_dir().join(format!(
            "{DIR_PREFIX}{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        ));
        std::fs::create_dir(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        let mut cluster = Cluster {
            dir,
            bindir,
            run_as,
            port: 0,
            tls_certificate: None,
        };
        // From here on, a failure deletes the directory (and stops a started server).
        let started = cluster.init_and_start();
        match started {
            Ok(()) => Ok(cluster),
            Err(why) => {
                cluster.stop();
                Err(why)
            }
        }
    }

    fn init_and_start(&mut self) -> Result<(), String> {
        let data = self.dir.join("data");
        self.hand_over(&self.dir)?;
        self.run(
            "initdb",
            &[
                "-D",
                path_str(&data),
                "-A",
                "trust",
                "-U",
                "postgres",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        )?;
        // A password is required of one role over TCP; everything else is trusted.
        let hba = format!(
            "local all all trust\n\
             host all {role} 127.0.0.1/32 scram-sha-256\n\
             host all {role} ::1/128 scram-sha-256\n\
             host all all 127.0.0.1/32 trust\n\
             host all all ::1/128 trust\n",
            role = PASSWORD_ROLE.0
        );
        let hba_file = data.join("pg_hba.conf");
        std::fs::write(&hba_file, hba).map_err(|e| format!("writing pg_hba.conf: {e}"))?;
        self.hand_over(&hba_file)?;
        let mut options = vec![
            "-c listen_addresses=127.0.0.1".to_string(),
            format!("-c unix_socket_directories={}", self.dir.display()),
            "-c timezone=UTC".into(),
            "-c autovacuum=off".into(),
            "-c fsync=off".into(),
            "-c synchronous_commit=off".into(),
            "-c full_page_writes=off".into(),
        ];
        if let Some((cert, key)) = self.make_certificate() {
            options.push("-c ssl=on".into());
            options.push(format!("-c ssl_cert_file={}", cert.display()));
            options.push(format!("-c ssl_key_file={}", key.display()));
            self.tls_certificate = Some(cert);
        }
        let log = self.dir.join("server.log");
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let all = format!("{} -p {port}", options.join(" "));
            match self.run(
                "pg_ctl",
                &[
                    "-D",
                    path_str(&data),
                    "-l",
                    path_str(&log),
                    "-o",
                    &all,
                    "-w",
                    "-t",
                    "60",
                    "start",
                ],
            ) {
                Ok(_) => {
                    self.port = port;
                    return Ok(());
                }
                Err(why) => last_error = why,
            }
        }
        let tail = std::fs::read_to_string(&log).unwrap_or_default();
        Err(format!("{last_error}\nserver log:\n{tail}"))
    }

    /// A self-signed certificate for `localhost` and 127.0.0.1 made with `openssl`, when it
    /// is installed: `(certificate, key)`.
    fn make_certificate(&self) -> Option<(PathBuf, PathBuf)> {
        let cert = self.dir.join("server.crt");
        let key = self.dir.join("server.key");
        let made = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
            .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
            .args(["-subj", "/CN=localhost"])
            .args(["-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .ok()?;
        if !made.status.success() {
            return None;
        }
        std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).ok()?;
        self.hand_over(&cert).ok()?;
        self.hand_over(&key).ok()?;
        Some((cert, key))
    }

    /// Gives `path` to the user the server runs as (a no-op unless running as root).
    fn hand_over(&self, path: &Path) -> Result<(), String> {
        let Some(user) = self.run_as.get(2) else {
            return Ok(());
        };
        let (uid, gid) = os_user_ids(user)?;
        std::os::unix::fs::chown(path, Some(uid), Some(gid))
            .map_err(|e| format!("chown {}: {e}", path.display()))
    }

    /// Runs one of the server's programs (as the server's user); its output, or why it failed.
    fn run(&self, program: &str, args: &[&str]) -> Result<Output, String> {
        let binary = self.bindir.join(program);
        let mut command = match self.run_as.split_first() {
            Some((runner, prefix)) => {
                let mut c = Command::new(runner);
                c.args(prefix).arg(&binary);
                c
            }
            None => Command::new(&binary),
        };
        // Run from a directory the server's user may enter.
        command.args(args).current_dir(&self.dir);
        let output = command
            .output()
            .map_err(|e| format!("running {}: {e}", binary.display()))?;
        if output.status.success() {
            Ok(output)
        } else {
            Err(format!(
                "{program} failed ({}):\n{}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// Stops the server (if it runs) and deletes the directory.
    fn stop(&self) {
        let data = self.dir.join("data");
        if data.join("postmaster.pid").exists() {
            let _ = self.run(
                "pg_ctl",
                &["-D", path_str(&data), "-m", "immediate", "-w", "stop"],
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Called once at exit: drops the databases made on a server that is not ours, or stops and
/// deletes our cluster.
extern "C" fn stop_at_exit() {
    let Some(Ok(server)) = SERVER.get() else {
        return;
    };
    match &server.cluster {
        Some(cluster) => cluster.stop(),
        None => {
            if let Ok(mut admin) = PostgresBackend::connect(&server.admin_url, false) {
                for name in server.created.lock().unwrap().iter() {
                    let _ = admin.run_script(&format!("DROP DATABASE IF EXISTS \"{name}\""));
                }
            }
        }
    }
}

/// Stops and deletes clusters whose test process is gone (killed before its exit hook ran).
fn remove_abandoned_clusters() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name
            .strip_prefix(DIR_PREFIX)
            .and_then(|rest| rest.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok())
        else {
            continue;
        };
        if Path::new(&format!("/proc/{pid}")).exists() {
            continue;
        }
        if let (Ok(bindir), Ok(run_as)) = (find_bindir(), run_as_prefix()) {
            let abandoned = Cluster {
                dir: entry.path(),
                bindir,
                run_as,
                port: 0,
                tls_certificate: None,
            };
            abandoned.stop();
        }
    }
}

/// The directory of initdb, pg_ctl and postgres.
fn find_bindir() -> Result<PathBuf, String> {
    let has_tools = |dir: &Path| {
        ["initdb", "pg_ctl", "postgres"]
            .iter()
            .all(|b| dir.join(b).exists())
    };
    if let Ok(dir) = std::env::var("DJQ_PG_BINDIR") {
        let dir = PathBuf::from(dir);
        return if has_tools(&dir) {
            Ok(dir)
        } else {
            Err(format!(
                "DJQ_PG_BINDIR={} has no initdb, pg_ctl and postgres",
                dir.display()
            ))
        };
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .map_err(|_| {
            "PostgreSQL's server binaries are not installed (/usr/lib/postgresql)".to_string()
        })?
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse().ok()?;
            Some((version, e.path().join("bin")))
        })
        .filter(|(_, bin)| has_tools(bin))
        .collect();
    versions.sort();
    versions
        .pop()
        .map(|(_, bin)| bin)
        .ok_or_else(|| "no /usr/lib/postgresql/*/bin has initdb, pg_ctl and postgres".into())
}

/// `runuser -u USER --` when running as root (initdb refuses root), else nothing.
fn run_as_prefix() -> Result<Vec<String>, String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(Vec::new());
    }
    let user = std::env::var("DJQ_PG_OS_USER").unwrap_or_else(|_| "postgres".into());
    os_user_ids(&user)?;
    let runuser = ["/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .ok_or("running as root: initdb refuses that and runuser is not available")?;
    Ok(vec![runuser.into(), "-u".into(), user, "--".into()])
}

/// The uid and gid of OS user `name`.
fn os_user_ids(name: &str) -> Result<(u32, u32), String> {
    let id = |flag: &str| -> Option<u32> {
        let out = Command::new("id").args([flag, name]).output().ok()?;
        String::from_utf8_lossy(&out.stdout).trim().parse().ok()
    };
    match (id("-u"), id("-g")) {
        (Some(uid), Some(gid)) => Ok((uid, gid)),
        _ => Err(format!(
            "running as root, but there is no OS user '{name}' to run PostgreSQL as"
        )),
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("finding a free port: {e}"))
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}
