//! Loading 100,000 books into SQLite, reported as rows/s against a baseline measured in the
//! same run: a plain rusqlite loop of one prepared `INSERT` per row, in one transaction, into
//! the same schema (the library fixture, books deleted). Measured: `--loaddata` of a
//! generated fixture file (Session::loaddata, what the flag runs: streaming JSON, per-field
//! conversion, batched upserts), and `bulk_create` of the same books in a script.
//!
//! Run with `cargo bench --bench fixtures`.

use djq::backend::{Backend, SqliteBackend};
use djq::orm::{Options, Session};
use djq::render::Format;
use djq::sql::Dialect;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const ROWS: usize = 100_000;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A copy of the library fixture with no books.
fn fresh_database(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::copy(root().join("fixtures/demo/library.sqlite3"), &path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch("DELETE FROM books_book").unwrap();
    path
}

fn session(path: &Path) -> Session {
    let mut backend: Box<dyn Backend> = Box::new(SqliteBackend::open(path, false).unwrap());
    let mut schema = djq::schema::introspect::database(backend.as_mut()).unwrap();
    let decls =
        djq::schema::models_py::load(&[root().join("fixtures/demo/books/models.py")]).unwrap();
    djq::schema::models_py::overlay(&mut schema, decls).unwrap();
    Session::new(
        schema,
        Some(backend),
        Dialect::Sqlite,
        Options::plain(Format::Json),
        Box::new(std::io::sink()),
    )
}

/// The fixture `dumpdata --indent 2` would write for the books.
fn write_fixture(path: &Path) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    write!(out, "[").unwrap();
    for i in 0..ROWS {
        let sep = if i == 0 { "" } else { "," };
        write!(
            out,
            "{sep}\n{{\n  \"model\": \"books.book\",\n  \"pk\": {},\n  \"fields\": {{\n    \"title\": \"Book {i}\",\n    \"author\": 1,\n    \"publication_date\": \"2000-01-01\",\n    \"isbn\": \"{i:013}\",\n    \"genre\": \"FIC\",\n    \"pages\": {}\n  }}\n}}",
            i + 1,
            i % 900
        )
        .unwrap();
    }
    writeln!(out, "\n]").unwrap();
}

/// Runs per figure.
const RUNS: usize = 5;

/// The median of `RUNS` timings.
fn median(mut run: impl FnMut() -> Duration) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS).map(|_| run()).collect();
    times.sort();
    times[RUNS / 2]
}

fn rate(d: Duration) -> f64 {
    ROWS as f64 / d.as_secs_f64()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = dir.path().join("books.json");
    write_fixture(&fixture);

    // Baseline: one prepared INSERT per row, in one transaction.
    // Each figure is the median of RUNS runs, each on a fresh copy of the database.
    let baseline = median(|| {
        let path = fresh_database(dir.path(), "baseline.sqlite3");
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        let t = Instant::now();
        let tx = conn.transaction().unwrap();
        {
            let mut st = tx
                .prepare(
                    "INSERT INTO books_book (id, title, author_id, publication_date, isbn, genre, pages) \
                     VALUES (?, ?, ?, ?, ?, ?, ?)",
                )
                .unwrap();
            for i in 0..ROWS {
                st.execute(rusqlite::params![
                    (i + 1) as i64,
                    format!("Book {i}"),
                    1,
                    "2000-01-01",
                    format!("{i:013}"),
                    "FIC",
                    (i % 900) as i64
                ])
                .unwrap();
            }
        }
        tx.commit().unwrap();
        t.elapsed()
    });
    let loaddata = median(|| {
        let path = fresh_database(dir.path(), "loaddata.sqlite3");
        let mut s = session(&path);
        let t = Instant::now();
        let summary = s.loaddata(&[fixture.display().to_string()]).unwrap();
        let d = t.elapsed();
        assert_eq!(
            summary,
            format!("Installed {ROWS} object(s) from 1 fixture(s)")
        );
        d
    });
    let script = format!(
        "_ = Book.objects.bulk_create([Book(title=f\"Book {{i}}\", author_id=1, publication_date=\"2000-01-01\", \
         isbn=f\"{{i:013d}}\", genre=\"FIC\", pages=i % 900) for i in range({ROWS})])"
    );
    let bulk_create = median(|| {
        let path = fresh_database(dir.path(), "bulk_create.sqlite3");
        let mut s = session(&path);
        let t = Instant::now();
        s.run(&script).unwrap();
        t.elapsed()
    });

    println!(
        "baseline: rusqlite prepared INSERT loop, {ROWS} books: {:.0} ms ({:.0} rows/s)",
        baseline.as_secs_f64() * 1e3,
        rate(baseline)
    );
    for (what, d) in [("--loaddata", loaddata), ("bulk_create", bulk_create)] {
        println!(
            "{what} {ROWS} books on SQLite: {:.0} ms ({:.0} rows/s), {:.2}× the baseline's time",
            d.as_secs_f64() * 1e3,
            rate(d),
            d.as_secs_f64() / baseline.as_secs_f64()
        );
    }
}
