//! Reading a large models.py: the demo's `books/models.py` repeated with renamed models (two
//! models, eleven fields per copy) up to `DJQ_BENCH_MODELS_MB` megabytes (default 20). Measured
//! in process: reading the file into memory (the baseline, in the same run) against reading it
//! as `--models` does (parse, read the classes, build the schema), median of 5; and the djq
//! binary's peak resident memory starting on it (`--sql-only -c 'Book1.objects.count()'`)
//! against the file's size.
//!
//! Run with `cargo bench --bench models_py` (builds the release binary).

use std::process::Command;
use std::time::{Duration, Instant};

#[path = "../tests/support/mod.rs"]
mod support;

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn main() {
    let megabytes: u64 = std::env::var("DJQ_BENCH_MODELS_MB")
        .ok()
        .and_then(|m| m.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().expect("temporary directory");
    let size = support::models_py::write_large(dir.path(), megabytes * 1_000_000);
    let file = dir.path().join("books/models.py");
    // The binary first: a child's peak (`wait4`'s) counts this process's own at the time it
    // starts, which the in-process runs below raise to about the child's.
    let mut djq = Command::new(env!("CARGO_BIN_EXE_djq"));
    djq.env_remove("DATABASE_URL")
        .arg("--models")
        .arg(dir.path())
        .args(["--sql-only", "-c", "Book1.objects.count()"]);
    let (_, peak) = support::peak::run(djq);
    let time = |f: &dyn Fn()| {
        median(
            (0..5)
                .map(|_| {
                    let started = Instant::now();
                    f();
                    started.elapsed()
                })
                .collect(),
        )
    };
    let baseline = time(&|| {
        std::hint::black_box(std::fs::read_to_string(&file).unwrap());
    });
    let models = time(&|| {
        let decls = djq::schema::models_py::load(&[dir.path().to_path_buf()]).unwrap();
        std::hint::black_box(djq::schema::models_py::schema_from_models(decls).unwrap());
    });
    println!(
        "models.py of {:.1} MB: read as --models in {:.3} s (reading the file: {:.4} s, {:.0}x); djq peaks at {:.1} MB ({:.1}x the file)",
        size as f64 / 1e6,
        models.as_secs_f64(),
        baseline.as_secs_f64(),
        models.as_secs_f64() / baseline.as_secs_f64(),
        peak as f64 / 1e6,
        peak as f64 / size as f64
    );
}
