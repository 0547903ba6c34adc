//! Start-up in a Django project: `djq -c pass` run in `django-admin startproject` projects
//! (`fixtures/projects/settings_cases/basic`, and `fixtures/projects/mysite`, the first
//! acceptance project of issue 17: its manage.py found, settings.py run, the
//! database opened from DATABASES, INSTALLED_APPS' models read) against `djq DATABASE
//! --models .` on the same database from the same folder (what opening it took before
//! projects were read). Both are the `djq` binary started as a user starts it, taken in
//! turns, 40 runs each; the medians and their ratio are printed. The goal: the project's
//! start within 2× of `--models`.
//!
//! Run with `cargo bench --bench project_startup`.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const RUNS: usize = 40;

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// One start of djq in `dir` with `args`; panics unless it succeeds.
fn start(dir: &Path, args: &[&str]) -> Duration {
    let began = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_djq"))
        .current_dir(dir)
        .env_remove("DATABASE_URL")
        .env_remove("DJANGO_SETTINGS_MODULE")
        .args(args)
        .args(["-c", "pass"])
        .output()
        .expect("run djq");
    let took = began.elapsed();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let projects = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/projects");
    // (the project, the SQL its database is built from; mysite commits its db.sqlite3)
    for (name, dump) in [
        ("settings_cases/basic", Some("settings_cases/basic.sql")),
        ("mysite", None),
    ] {
        let dir = tempfile::tempdir().expect("temporary directory");
        let root = dir.path().join("project");
        copy_tree(&projects.join(name), &root);
        if let Some(dump) = dump {
            let sql = std::fs::read_to_string(projects.join(dump)).expect("the dump");
            rusqlite::Connection::open(root.join("db.sqlite3"))
                .and_then(|c| c.execute_batch(&sql))
                .expect("the database builds");
        }
        compare(name, &root);
    }
}

/// The medians of starts in the project and with `DATABASE --models .`, taken in turns.
fn compare(name: &str, root: &Path) {
    let project: &[&str] = &[];
    let models: &[&str] = &["db.sqlite3", "--models", "."];
    // Warm the file cache and the binary.
    start(root, project);
    start(root, models);
    let (mut in_project, mut with_models) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        in_project.push(start(root, project));
        with_models.push(start(root, models));
    }
    let (p, m) = (median(in_project), median(with_models));
    println!(
        "{name}: start-up, median of {RUNS}: in the project {:.2} ms, DATABASE --models . \
         {:.2} ms: {:.2}× (goal: at most 2×)",
        p.as_secs_f64() * 1e3,
        m.as_secs_f64() * 1e3,
        p.as_secs_f64() / m.as_secs_f64()
    );
}
