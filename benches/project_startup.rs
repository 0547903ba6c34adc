//! Start-up in a Django project: `djq -c pass` run in a `django-admin startproject` project
//! (`fixtures/projects/settings_cases/basic`: its manage.py found, settings.py run, the
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
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/projects/settings_cases");
    let dir = tempfile::tempdir().expect("temporary directory");
    let root = dir.path().join("basic");
    copy_tree(&cases.join("basic"), &root);
    let sql = std::fs::read_to_string(cases.join("basic.sql")).expect("basic.sql");
    rusqlite::Connection::open(root.join("db.sqlite3"))
        .and_then(|c| c.execute_batch(&sql))
        .expect("the database builds");
    let project: &[&str] = &[];
    let models: &[&str] = &["db.sqlite3", "--models", "."];
    // Warm the file cache and the binary.
    start(&root, project);
    start(&root, models);
    let (mut in_project, mut with_models) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        in_project.push(start(&root, project));
        with_models.push(start(&root, models));
    }
    let (p, m) = (median(in_project), median(with_models));
    println!(
        "start-up, median of {RUNS}: in the project {:.2} ms, DATABASE --models . {:.2} ms: \
         {:.2}× (goal: at most 2×)",
        p.as_secs_f64() * 1e3,
        m.as_secs_f64() * 1e3,
        p.as_secs_f64() / m.as_secs_f64()
    );
}
