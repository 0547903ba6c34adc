//! Bulk loading 100,000 books with `bulk_create` on a throwaway PostgreSQL server (skipped
//! loudly without one). Baseline in the same run: the same rows sent the way Django's
//! `bulk_create` sends them — multi-row `INSERT ... RETURNING "id"` statements — through the
//! same connection. Django's own time for this load (Python included) is measured by
//! `tools/bench_bulk_django.py`.
//!
//! Run with `cargo bench --bench bulk`.

#[path = "../tests/support/mod.rs"]
mod support;

use djq::backend::{Backend, PostgresBackend};
use djq::orm::{Options, Session};
use djq::render::Format;
use djq::sql::Dialect;
use djq::sql::insert::{self, Insert};
use djq::value::{Value, ValueType};
use std::ops::ControlFlow::Continue;
use std::path::PathBuf;
use std::time::Instant;

const ROWS: usize = 100_000;

/// The load as a user writes it.
fn script() -> String {
    format!(
        "Book.objects.bulk_create([Book(title=f\"Book {{i}}\", author_id=1, publication_date=\"2000-01-01\", \
         isbn=f\"{{i:013d}}\", genre=\"FIC\", pages=i % 900) for i in range({ROWS})])"
    )
}

fn fresh_database(pg: &support::pg::PgServer) -> String {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let sql = std::fs::read_to_string(root.join("fixtures/demo/library.postgres.sql")).unwrap();
    let url = pg.database_from_sql(&sql);
    let mut db = PostgresBackend::connect(&url, false).unwrap();
    db.run_script("DELETE FROM books_book").unwrap();
    url
}

fn main() {
    let Some(pg) = support::pg::server() else {
        return;
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));

    // djq: the script through a session (instances, prep, COPY with sequence ids).
    let url = fresh_database(pg);
    let mut backend: Box<dyn Backend> = Box::new(PostgresBackend::connect(&url, false).unwrap());
    let mut schema = djq::schema::introspect::database(backend.as_mut()).unwrap();
    let decls =
        djq::schema::models_py::load(&[root.join("fixtures/demo/books/models.py")]).unwrap();
    djq::schema::models_py::overlay(&mut schema, decls).unwrap();
    let opts = Options::plain(Format::Json);
    let mut s = Session::new(
        schema,
        Some(backend),
        Dialect::Postgres,
        opts,
        Box::new(std::io::sink()),
    );
    let t = Instant::now();
    s.run(&format!("_ = {}", script())).unwrap();
    let djq_time = t.elapsed();

    // Baseline: Django's statement shape, batched at PostgreSQL's parameter limit.
    let url = fresh_database(pg);
    let mut db = PostgresBackend::connect(&url, false).unwrap();
    let columns: Vec<String> = [
        "title",
        "author_id",
        "publication_date",
        "isbn",
        "genre",
        "pages",
    ]
    .map(String::from)
    .to_vec();
    let rows: Vec<Vec<Value>> = (0..ROWS)
        .map(|i| {
            vec![
                Value::Text(format!("Book {i}")),
                Value::Int(1),
                Value::Text("2000-01-01".into()),
                Value::Text(format!("{i:013}")),
                Value::Text("FIC".into()),
                Value::Int((i % 900) as i64),
            ]
        })
        .collect();
    let t = Instant::now();
    db.begin().unwrap();
    for st in insert::insert(
        Dialect::Postgres,
        &Insert {
            table: "books_book",
            columns: &columns,
            returning: &["id".to_string()],
            rows: &rows,
            ignore_conflicts: false,
        },
    ) {
        db.query(&st.sql, &st.params, &[ValueType::Int], &mut |_| {
            Ok(Continue(()))
        })
        .unwrap();
    }
    db.commit().unwrap();
    let insert_time = t.elapsed();
    println!(
        "bulk_create {ROWS} books on PostgreSQL: djq {:.0} ms (COPY) vs multi-row INSERT … RETURNING {:.0} ms (ratio {:.2}×)",
        djq_time.as_secs_f64() * 1e3,
        insert_time.as_secs_f64() * 1e3,
        djq_time.as_secs_f64() / insert_time.as_secs_f64()
    );
}
