//! A database where `Slow.objects.count()` runs for minutes unless cancelled (the Ctrl-C
//! tests): model `Slow` reads the view `slow`; `Item` is a table of three rows.

use std::path::Path;

use super::pg::PgServer;

/// models.py of both databases.
const MODELS: &str = r#"from django.db import models


class Item(models.Model):
    name = models.CharField(max_length=20)

    class Meta:
        db_table = "item"


class Slow(models.Model):
    class Meta:
        db_table = "slow"
        managed = False
"#;

/// The table, in SQL both databases run.
const ITEMS: &str = "CREATE TABLE item (id integer PRIMARY KEY, name varchar(20) NOT NULL); \
                     INSERT INTO item VALUES (1, 'one'), (2, 'two'), (3, 'three');";

/// Writes models.py into `dir`; the path to pass to `--models`.
pub fn models(dir: &Path) -> String {
    let models = dir.join("slow").join("models.py");
    std::fs::create_dir_all(models.parent().unwrap()).expect("models folder");
    std::fs::write(&models, MODELS).expect("write models.py");
    models.display().to_string()
}

/// A SQLite file in `dir` whose view counts to a billion; its path.
pub fn sqlite(dir: &Path) -> String {
    let db = dir.join("slow.sqlite3");
    rusqlite::Connection::open(&db)
        .and_then(|c| {
            c.execute_batch(&format!(
                "{ITEMS} CREATE VIEW slow AS WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL \
                 SELECT x + 1 FROM c WHERE x < 1000000000) SELECT x AS id FROM c;"
            ))
        })
        .expect("create the database");
    db.display().to_string()
}

/// A PostgreSQL database whose view sleeps for two minutes; its URL.
pub fn postgres(server: &PgServer) -> String {
    server.database_from_sql(&format!(
        "{ITEMS} CREATE VIEW slow AS SELECT 1 AS id FROM pg_sleep(120);"
    ))
}

/// How a djq run interrupted by Ctrl-C ended.
pub struct Interrupted {
    pub status: std::process::ExitStatus,
    /// Time from the signal to the exit.
    pub after: std::time::Duration,
    /// Standard output after the `started` line, and standard error.
    pub stdout: String,
    pub stderr: String,
}

/// Run djq on `db` with `--models models` and `args`, whose code prints `started` right before
/// the slow query; send SIGINT (Ctrl-C) once it runs and wait for djq to exit.
pub fn interrupt(db: &str, models: &str, args: &[&str]) -> Interrupted {
    use std::io::Read;
    use std::process::Stdio;
    use std::time::{Duration, Instant};
    let mut djq = super::djq();
    djq.args([db, "--models", models])
        .args(args)
        .stdin(Stdio::null());
    // Each input's output is written when it ends: the slow query starts right after.
    let (mut child, mut stdout) = spawn_started(&mut djq);
    std::thread::sleep(Duration::from_millis(300));
    let pid = libc::pid_t::try_from(child.id()).expect("a pid");
    // SAFETY: kill has no preconditions; `pid` is our child, not yet waited for.
    assert_eq!(unsafe { libc::kill(pid, libc::SIGINT) }, 0);
    let sent = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for djq") {
            break status;
        }
        if sent.elapsed() > Duration::from_secs(10) {
            child.kill().expect("kill djq");
            panic!("djq still runs 10 s after Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let after = sent.elapsed();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).expect("read stdout");
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    Interrupted {
        status,
        after,
        stdout: rest,
        stderr,
    }
}

/// Start `djq` with its output piped and wait until it prints its first line, which must be
/// `started`: the child, and its standard output to read the rest from.
pub fn spawn_started(
    djq: &mut std::process::Command,
) -> (
    std::process::Child,
    std::io::BufReader<std::process::ChildStdout>,
) {
    use std::io::BufRead;
    use std::process::Stdio;
    let mut child = djq
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start djq");
    let mut stdout = std::io::BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read stdout");
    assert_eq!(line, "started\n");
    (child, stdout)
}
