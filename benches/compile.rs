//! Benchmarks, each against a baseline measured in the same run:
//! - compile: parse + resolve + compile (djq `--sql-only`) of the seed pages' queries (five
//!   of them aggregating),
//!   against SQLite preparing the same SQL (`sqlite3_prepare`);
//! - start-to-exit: `djq library.sqlite3 -c 'Book.objects.count()'` against `djq --version`
//!   (process start alone).
//!
//! Run with `cargo bench --bench compile`; divan prints medians, then a summary of ratios.

use djq::orm::{Options, Session};
use djq::render::Format;
use djq::sql::Dialect;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

/// Read queries from the seed tutorial (the headline examples users paste).
const QUERIES: &[&str] = &[
    "Book.objects.get(pk=1)",
    "Book.objects.filter(author__name=\"Jane Austen\")",
    "Book.objects.filter(publication_date__gt=\"1900-01-01\")",
    "Book.objects.order_by('-publication_date')",
    "Book.objects.order_by('publication_date').first()",
    "Book.objects.filter(Q(genre=\"FIC\") | Q(pages__gt=400))",
    "Book.objects.filter(~Q(genre=\"FIC\"), publication_date__gt=\"1950-01-01\")",
    "Book.objects.filter(title=F('author__name'))",
    "Book.objects.select_related('author').all()",
    "Author.objects.filter(books__pages__gt=400).distinct()",
    "Author.objects.exclude(books__pages__gt=400)",
    // Aggregation, expressions and subqueries (the seed pages' headline queries).
    "Author.objects.annotate(num_books=Count('books')).order_by('-num_books').first()",
    "Author.objects.annotate(total_pages=Sum('books__pages')).filter(total_pages__gt=1000)",
    "Book.objects.aggregate(n=Count('id', filter=Q(pages__gt=400)), avg=Avg('pages'))",
    "Author.objects.annotate(has_long=Exists(Book.objects.filter(author=OuterRef('pk'), pages__gt=1000)))",
    "Book.objects.annotate(month=TruncMonth('publication_date')).values('month').annotate(n=Count('id'))",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The demo database with Django's SQLite functions (`django_date_trunc`, ...) registered.
fn connection() -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(database()).unwrap();
    djq::backend::sqlite::functions::register(&conn).unwrap();
    conn
}

fn database() -> String {
    root()
        .join("fixtures/demo/library.sqlite3")
        .display()
        .to_string()
}

/// A `--sql-only` session over the demo models, writing nowhere.
fn session() -> Session {
    let decls =
        djq::schema::models_py::load(&[root().join("fixtures/demo/books/models.py")]).unwrap();
    let schema = djq::schema::models_py::schema_from_models(decls).unwrap();
    let opts = Options::sql_only(Format::Json);
    Session::new(
        schema,
        None,
        Dialect::Sqlite,
        opts,
        Box::new(std::io::sink()),
    )
}

/// The SQL djq compiles for each query (for the SQLite baseline).
fn compiled_sql() -> Vec<String> {
    let mut s = session();
    QUERIES
        .iter()
        .map(|q| {
            s.host.log.clear();
            s.run(q).unwrap();
            s.host.log[0].sql.clone()
        })
        .collect()
}

#[divan::bench(args = QUERIES)]
fn djq_compile(bencher: divan::Bencher, query: &str) {
    let mut s = session();
    bencher.bench_local(|| {
        s.host.log.clear();
        s.run(divan::black_box(query)).unwrap();
    });
}

#[divan::bench]
fn sqlite_prepare_baseline(bencher: divan::Bencher) {
    let conn = connection();
    let sqls = compiled_sql();
    bencher.bench_local(|| {
        for sql in &sqls {
            // A fresh prepare each time: what SQLite spends compiling the same SQL.
            divan::black_box(conn.prepare(sql).unwrap());
        }
    });
}

fn djq() -> Command {
    Command::new(env!("CARGO_BIN_EXE_djq"))
}

#[divan::bench(sample_count = 30)]
fn start_to_exit_count() {
    let out = djq()
        .args([&database(), "-c", "Book.objects.count()"])
        .output()
        .unwrap();
    assert!(out.status.success());
}

#[divan::bench(sample_count = 30)]
fn start_to_exit_baseline_version() {
    let out = djq().arg("--version").output().unwrap();
    assert!(out.status.success());
}

/// Median wall time of `n` runs of `f`.
fn median(n: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[n / 2]
}

fn summary() {
    let mut s = session();
    let conn = connection();
    println!("\nsummary (medians; ratio = djq / baseline in this run)");
    let mut total_djq = Duration::ZERO;
    let mut total_prep = Duration::ZERO;
    for (q, sql) in QUERIES.iter().zip(compiled_sql()) {
        let d = median(301, || {
            s.host.log.clear();
            s.run(q).unwrap();
        });
        let p = median(301, || {
            std::hint::black_box(conn.prepare(&sql).unwrap());
        });
        total_djq += d;
        total_prep += p;
        println!(
            "  compile {:>7.1} µs  (sqlite prepare {:>6.1} µs, ratio {:>4.1}×)  {q}",
            d.as_secs_f64() * 1e6,
            p.as_secs_f64() * 1e6,
            d.as_secs_f64() / p.as_secs_f64()
        );
    }
    println!(
        "  compile, all {} queries: median sum {:.1} µs vs sqlite prepare {:.1} µs ({:.1}×)",
        QUERIES.len(),
        total_djq.as_secs_f64() * 1e6,
        total_prep.as_secs_f64() * 1e6,
        total_djq.as_secs_f64() / total_prep.as_secs_f64()
    );
    let db = database();
    let run = median(21, || {
        djq()
            .args([&db, "-c", "Book.objects.count()"])
            .output()
            .unwrap();
    });
    let base = median(21, || {
        djq().arg("--version").output().unwrap();
    });
    println!(
        "  start-to-exit `djq db -c 'Book.objects.count()'`: {:.2} ms (process start `djq --version` {:.2} ms, ratio {:.1}×)",
        run.as_secs_f64() * 1e3,
        base.as_secs_f64() * 1e3,
        run.as_secs_f64() / base.as_secs_f64()
    );
}

fn main() {
    divan::main();
    summary();
}
