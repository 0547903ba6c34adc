//! `QuerySet.iterator()` over a million books: peak memory and time of the djq binary summing
//! their pages with `for b in Book.objects.all().iterator()`, against the same loop over
//! `all()` (which holds every instance) and a `count()` (the process's own baseline), on a copy
//! of the demo library with the rows added by a recursive CTE.
//!
//! Then what a row held as a Python object costs: `x = list(Book.objects.all())`'s peak above
//! the `count()` baseline, per row, against the row's own data (8 bytes per integer column,
//! the bytes of each text; about 61 bytes a book here). Before instances shared their query's
//! layout it was 1,312 bytes a row (21x); now about 458 (7.5x).
//!
//! Run with `cargo bench --bench iterator` (builds the release binary).

use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

const ROWS: u64 = 1_000_000;

#[path = "../tests/support/mod.rs"]
mod support;

/// Runs djq with `code` on `db`: its output, peak resident memory in bytes, and seconds.
fn run(db: &str, code: &str) -> (String, u64, f64) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut djq = Command::new(env!("CARGO_BIN_EXE_djq"));
    djq.current_dir(&root).env_remove("DATABASE_URL").args([
        db,
        "--models",
        "fixtures/demo/books/models.py",
        "-c",
        code,
    ]);
    let started = Instant::now();
    let (out, peak) = support::peak::run(djq);
    (
        out.trim().to_string(),
        peak,
        started.elapsed().as_secs_f64(),
    )
}

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("library.sqlite3");
    std::fs::copy(root.join("fixtures/demo/library.sqlite3"), &db).expect("copy");
    support::peak::add_books(&db, ROWS);
    let db = db.display().to_string();
    let sum =
        |iter: &str| format!("n = 0\nfor b in Book.objects.all(){iter}: n += b.pages\nprint(n)");
    let mut baseline = None;
    for (what, code) in [
        ("count()", "print(Book.objects.count())".to_string()),
        ("for b in all().iterator()", sum(".iterator()")),
        ("for b in all()", sum("")),
    ] {
        let (out, peak, seconds) = run(&db, &code);
        baseline.get_or_insert((peak, out.parse::<u64>().expect("the count")));
        println!(
            "{what:<28} {:>8.1} MB peak {seconds:>7.2} s  ({out})",
            peak as f64 / 1e6
        );
    }
    let (baseline, rows) = baseline.expect("the count() run");
    let data: i64 = rusqlite::Connection::open(&db)
        .and_then(|c| {
            c.query_row(
                "SELECT SUM(8 + length(title) + 8 + length(publication_date) + length(isbn) \
                 + length(genre) + 8) FROM books_book",
                [],
                |row| row.get(0),
            )
        })
        .expect("the data size");
    let (_, peak, seconds) = run(&db, "x = list(Book.objects.all())");
    let per_row = peak.saturating_sub(baseline) as f64 / rows as f64;
    let data_per_row = data as f64 / rows as f64;
    println!(
        "{:<28} {:>8.1} MB peak {seconds:>7.2} s  ({per_row:.0} bytes a row above count(), \
         the row's data {data_per_row:.0} bytes: ratio {:.1}x)",
        "x = list(all())",
        peak as f64 / 1e6,
        per_row / data_per_row
    );
}
