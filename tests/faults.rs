//! When the world fails under djq, on both backends: the database locked by another
//! process (djq waits, as Django's 5 s SQLite timeout does, then says so clearly), the disk
//! full mid-script, the PostgreSQL connection killed mid-script, Ctrl-C mid-script. Each
//! time the script's transaction is rolled back, the error is clear and, in the shell, the
//! session goes on.
//!
//! A test that cannot set up goes by `support::skip`: it prints `SKIPPED: ...` and returns, or
//! fails under `CI=true` or `DJQ_REQUIRE_SERVERS=1`. The PostgreSQL tests need a server (see
//! `support::pg`); the disk-full tests need `mount` to be allowed (root, or CAP_SYS_ADMIN) for
//! a small tmpfs, and the PostgreSQL one the server to be the tests' own (for a tablespace on
//! that disk).

mod support;

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};
use support::repl::Repl;
use support::{
    DEMO_MODELS as MODELS, DEMO_SQLITE, demo_postgres_copy as postgres_copy,
    demo_sqlite_copy as sqlite_copy, pg, root, skip, slow,
};

fn djq(db: &str) -> Command {
    let mut cmd = support::djq();
    cmd.args([db, "--models", MODELS]).env("NO_COLOR", "1");
    cmd
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// How many authors are called `name`, read with a connection of the test's own.
fn authors_named(db: &str, name: &str) -> i64 {
    let sql = format!("SELECT count(*) FROM books_author WHERE name = '{name}'");
    let mut conn = djq::backend::connect(db, true).expect("connect");
    match conn.query_all(&sql, &[], &[]).expect("count")[0][0] {
        djq::value::Value::Int(n) => n,
        ref other => panic!("{other:?}"),
    }
}

const CREATE: &str = "a = Author.objects.create(name='After the lock'); print('created')";

#[test]
fn sqlite_waits_for_a_lock_held_briefly() {
    let (_dir, db) = sqlite_copy();
    let holder = rusqlite::Connection::open(&db).expect("open");
    holder.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        holder.execute_batch("COMMIT").expect("unlock");
    });
    let out = djq(&db).args(["-c", CREATE]).output().expect("run djq");
    release.join().expect("the lock holder");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "created\n");
    assert_eq!(authors_named(&db, "After the lock"), 1);
}

#[test]
fn sqlite_locked_too_long_is_a_clear_error_and_changes_nothing() {
    let (_dir, db) = sqlite_copy();
    let before = std::fs::read(&db).expect("read");
    let holder = rusqlite::Connection::open(&db).expect("open");
    holder.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let started = Instant::now();
    let out = djq(&db)
        .args([
            "-c",
            "Author.objects.create(name='Never'); Book.objects.count()",
        ])
        .output()
        .expect("run djq");
    let waited = started.elapsed();
    holder.execute_batch("COMMIT").expect("unlock");
    drop(holder);
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: OperationalError: database is locked"),
        "{stderr}"
    );
    assert!(waited >= Duration::from_secs(5), "gave up after {waited:?}");
    assert!(
        std::fs::read(&db).expect("read") == before,
        "the file changed"
    );
}

#[test]
fn postgres_waits_for_a_lock_held_briefly() {
    let Some(db) = postgres_copy() else { return };
    let mut holder = postgres::Client::connect(&db, postgres::NoTls).expect("connect");
    holder
        .batch_execute("BEGIN; LOCK TABLE books_author IN ACCESS EXCLUSIVE MODE")
        .expect("lock");
    let release = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        holder.batch_execute("COMMIT").expect("unlock");
    });
    let started = Instant::now();
    let out = djq(&db).args(["-c", CREATE]).output().expect("run djq");
    release.join().expect("the lock holder");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(started.elapsed() >= Duration::from_millis(600));
    assert_eq!(authors_named(&db, "After the lock"), 1);
}

/// A script that creates authors with long biographies until the disk is full.
const FILL: &str = "print('started', flush=True)
for i in range(100000):
    a = Author.objects.create(name='Filler', biography=str(i) * 5000)
";

/// Every author and book, as text: what a rolled-back script must leave as it was.
fn library(db: &str) -> String {
    let sql = "SELECT (SELECT group_concat(id || name || biography, '|') FROM books_author) \
               || (SELECT group_concat(id || title || isbn, '|') FROM books_book)";
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.query_row(sql, [], |r| r.get(0))
        .expect("read the library")
}

/// A small filesystem (a 3 MB tmpfs), unmounted when dropped.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    /// `None` (after [`skip`]) when it cannot be mounted.
    fn mount() -> Option<SmallDisk> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", "size=3m,mode=0777", "djq-small-disk"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !mounted {
            skip("cannot mount a small tmpfs for the disk-full test (needs root or CAP_SYS_ADMIN)");
            return None;
        }
        Some(SmallDisk(dir))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

#[test]
fn sqlite_disk_full_mid_script_rolls_back_with_a_clear_error() {
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let db = disk.path().join("library.sqlite3");
    std::fs::copy(root().join(DEMO_SQLITE), &db).expect("copy");
    let db = db.display().to_string();
    let before = library(&db);
    let out = djq(&db).args(["-c", FILL]).output().expect("run djq");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: OperationalError: database or disk is full"),
        "{stderr}"
    );
    assert_eq!(text(&out.stdout), "started\n");
    assert!(library(&db) == before, "the script is rolled back");
    assert_eq!(authors_named(&db, "Filler"), 0);
}

#[test]
fn postgres_disk_full_mid_script_rolls_back_with_a_clear_error() {
    let Some(server) = pg::server() else { return };
    if !server.is_own() {
        skip(
            "the PostgreSQL server is not the tests' own (DJQ_TEST_POSTGRES_URL): no small disk for it",
        );
        return;
    }
    let Some(disk) = SmallDisk::mount() else {
        return;
    };
    let Some(db) = postgres_copy() else { return };
    let space = disk.path().join("space");
    std::fs::create_dir(&space).expect("tablespace directory");
    // The server's user must own the tablespace's directory.
    let owner =
        std::fs::metadata(server.data_dir().expect("our own cluster")).expect("data directory");
    std::os::unix::fs::chown(
        &space,
        Some(std::os::unix::fs::MetadataExt::uid(&owner)),
        Some(std::os::unix::fs::MetadataExt::gid(&owner)),
    )
    .expect("chown the tablespace directory");
    let name = format!("small_{}", std::process::id());
    let mut admin = postgres::Client::connect(&db, postgres::NoTls).expect("connect");
    admin
        .batch_execute(&format!(
            "CREATE TABLESPACE {name} LOCATION '{}'",
            space.display()
        ))
        .expect("a tablespace on the small disk");
    admin
        .batch_execute(&format!(
            "ALTER TABLE books_author SET TABLESPACE {name};
             ALTER TABLE books_author ALTER COLUMN biography SET STORAGE EXTERNAL;"
        ))
        .expect("move the authors to the small disk");
    let out = djq(&db).args(["-c", FILL]).output().expect("run djq");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: OperationalError: could not extend file"),
        "{stderr}"
    );
    assert!(stderr.contains("No space left on device"), "{stderr}");
    assert_eq!(authors_named(&db, "Filler"), 0, "the script is rolled back");
    admin
        .batch_execute("ALTER TABLE books_author SET TABLESPACE pg_default")
        .expect("move the authors back");
    admin
        .batch_execute(&format!("DROP TABLESPACE {name}"))
        .expect("clean up the tablespace");
}

/// Runs `script` with djq on `db`, kills djq's PostgreSQL connection once it printed
/// `started`; djq's output.
fn killed_mid_script(db: &str, script: &str) -> Output {
    let (child, mut stdout) = slow::spawn_started(djq(db).args(["-c", script]));
    let mut admin = postgres::Client::connect(db, postgres::NoTls).expect("connect");
    let killed: i64 = admin
        .query_one(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .expect("terminate djq's connection")
        .get(0);
    assert_eq!(killed, 1);
    let mut rest = Vec::new();
    stdout.read_to_end(&mut rest).expect("read stdout");
    let mut out = child.wait_with_output().expect("wait for djq");
    out.stdout = [b"started\n".to_vec(), rest].concat();
    out
}

#[test]
fn postgres_connection_killed_mid_script_rolls_back() {
    let Some(db) = postgres_copy() else { return };
    let out = killed_mid_script(
        &db,
        "a = Author.objects.create(name='Doomed')
print('started', flush=True)
for i in range(1000000):
    Author.objects.filter(name='Doomed').count()
",
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    // The server says why before it closes the socket; a client busy sending its next
    // query may only see the socket closed. Either is the right error.
    assert!(
        [
            "error: OperationalError: terminating connection due to administrator command",
            "error: OperationalError: the connection to the server was closed",
        ]
        .iter()
        .any(|m| stderr.starts_with(m)),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(authors_named(&db, "Doomed"), 0, "the script is rolled back");
}

#[test]
fn postgres_connection_killed_leaves_the_shell_alive() {
    let Some(db) = postgres_copy() else { return };
    let mut repl = Repl::start_with(false, &[&db, "--models", MODELS]);
    repl.run("print('authors', Author.objects.count())", "authors 70");
    let mut admin = postgres::Client::connect(&db, postgres::NoTls).expect("connect");
    admin
        .execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
            &[],
        )
        .expect("terminate djq's connection");
    let out = repl.run("Author.objects.count()", "error: ");
    assert!(!out.contains("panicked"), "{out}");
    // djq connects again for the next input.
    repl.run("print('again', Author.objects.count())", "again 70");
    drop(repl.quit());
}

/// Runs a script that creates an item, then a slow query, on `db`; presses Ctrl-C during
/// the query and checks that djq says the query was cancelled and exits with status 1.
fn ctrl_c_after_a_create(db: &str, models: &str) {
    let r = slow::interrupt(
        db,
        models,
        &[
            "-c",
            "item = Item.objects.create(id=4, name='four'); print('started')",
            "-c",
            "Slow.objects.count()",
        ],
    );
    assert_eq!(r.status.code(), Some(1), "{:?}", r.status);
    assert!(r.stderr.contains("query cancelled"), "{}", r.stderr);
}

#[test]
fn ctrl_c_mid_script_rolls_back_on_postgres() {
    let Some(server) = pg::server() else { return };
    let dir = tempfile::tempdir().expect("temporary directory");
    let (db, models) = (slow::postgres(server), slow::models(dir.path()));
    ctrl_c_after_a_create(&db, &models);
    let mut conn = postgres::Client::connect(&db, postgres::NoTls).expect("connect");
    let items: i64 = conn
        .query_one("SELECT count(*) FROM item", &[])
        .expect("count")
        .get(0);
    assert_eq!(items, 3, "the create before Ctrl-C is rolled back");
}

#[test]
fn ctrl_c_mid_script_rolls_back_on_sqlite() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (db, models) = (slow::sqlite(dir.path()), slow::models(dir.path()));
    let before = std::fs::read(&db).expect("read");
    ctrl_c_after_a_create(&db, &models);
    assert!(
        std::fs::read(&db).expect("read") == before,
        "not rolled back"
    );
}

/// Runs this test binary's test `name` alone, with PostgreSQL's server binaries and `mount`
/// out of reach (`DJQ_PG_BINDIR` and `PATH` an empty directory, no `DJQ_TEST_POSTGRES_URL`)
/// and only the switches `env` of `CI` and `DJQ_REQUIRE_SERVERS`: whether it passed, and what
/// it printed.
fn run_without_servers(name: &str, env: &[(&str, &str)]) -> (bool, String) {
    let empty = tempfile::tempdir().expect("temporary directory");
    let out = Command::new(std::env::current_exe().expect("this test binary"))
        .args([name, "--exact", "--test-threads=1"])
        .env("PATH", empty.path())
        .env("DJQ_PG_BINDIR", empty.path())
        .env_remove("DJQ_TEST_POSTGRES_URL")
        .env_remove("CI")
        .env_remove("DJQ_REQUIRE_SERVERS")
        .envs(env.iter().copied())
        .output()
        .expect("run the test binary");
    (
        out.status.success(),
        format!("{}{}", text(&out.stdout), text(&out.stderr)),
    )
}

#[test]
fn a_test_that_cannot_set_up_says_skipped_or_fails_when_servers_are_required() {
    for (name, why) in [
        (
            "postgres_waits_for_a_lock_held_briefly",
            "no PostgreSQL server available",
        ),
        (
            "sqlite_disk_full_mid_script_rolls_back_with_a_clear_error",
            "cannot mount a small tmpfs",
        ),
    ] {
        for env in [&[][..], &[("CI", "true"), ("DJQ_REQUIRE_SERVERS", "0")]] {
            let (passed, out) = run_without_servers(name, env);
            assert!(passed, "{name} {env:?}: {out}");
            assert!(out.contains(&format!("SKIPPED: {why}")), "{name}: {out}");
            assert!(out.contains("1 passed; 0 failed"), "{name}: {out}");
        }
        for env in [[("DJQ_REQUIRE_SERVERS", "1")], [("CI", "true")]] {
            let (passed, out) = run_without_servers(name, &env);
            assert!(!passed, "{name} {env:?} passed without running: {out}");
            assert!(!out.contains("SKIPPED"), "{name}: {out}");
            assert!(
                out.contains(why) && out.contains("DJQ_REQUIRE_SERVERS=1"),
                "{name}: {out}"
            );
            assert!(out.contains("0 passed; 1 failed"), "{name}: {out}");
        }
    }
}
