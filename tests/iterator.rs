//! `QuerySet.iterator()` (issue 7): the loop runs the one SELECT Django runs (as recorded from
//! Django for the same queryset without `iterator()`), streams its rows through a cursor while
//! the body runs queries and writes of its own, `break`s and errors close the cursor, on
//! SQLite and on PostgreSQL (which says SKIPPED without a server); and a large table is
//! iterated in bounded memory (`benches/iterator.rs` measures a million rows).

mod support;

use djq::orm::Session;
use serde_json::Value as Json;
use support::output::Output;
use support::root;
use support::{Backend, pg};

use support::DEMO_MODELS as MODELS;

/// A session on `url` with the library's models.py, printing into the returned output.
fn session(url: &str) -> (Session, Output) {
    let backend = djq::backend::connect(url, false).expect("connect");
    support::session(backend, &[MODELS])
}

/// Querysets recorded from Django (fixtures/conformance/library.*.json) whose `iterator()`
/// runs the same SELECT.
const RECORDED: &[&str] = &[
    "Book.objects.all()",
    "Book.objects.filter(Q(genre=\"FIC\") | Q(pages__gt=400))",
    "Book.objects.select_related('author').all()",
    "Author.objects.only('name', 'birth_date')",
    "Book.objects.values_list('pk', flat=True).filter(genre=\"HIS\")",
    "Book.objects.values_list('title', 'pages')[:10]",
];

#[test]
fn iterator_runs_the_select_django_runs() {
    let sqlite = root().join("fixtures/demo/library.sqlite3");
    let mut databases = vec![(Backend::Sqlite, sqlite.display().to_string())];
    if let Some(pg) = pg::server() {
        let url = pg.fixture("fixtures/demo/library.postgres.sql");
        databases.push((Backend::Postgres, url));
    }
    for (backend, url) in databases {
        let path = format!("fixtures/conformance/library.{}.json", backend.name());
        let recording: Json =
            serde_json::from_str(&std::fs::read_to_string(root().join(path)).unwrap()).unwrap();
        for expr in RECORDED {
            let entry = recording["entries"]
                .as_array()
                .unwrap()
                .iter()
                .find(|e| e["expr"] == *expr)
                .unwrap_or_else(|| panic!("{expr} is not recorded"));
            let django = &entry["queries"][0];
            let rows = entry["result"].as_array().map_or(0, Vec::len);
            let (mut s, out) = session(&url);
            s.run(&format!(
                "n = 0\nfor o in {expr}.iterator(chunk_size=7):\n    n += 1\nprint(n)"
            ))
            .unwrap_or_else(|e| panic!("{expr}: {}", e.message));
            let what = format!("{} {expr}", backend.name());
            assert_eq!(s.host.log.len(), 1, "{what}: {:?}", s.host.log);
            assert_eq!(s.host.log[0].sql, django["sql"].as_str().unwrap(), "{what}");
            let params: Vec<Json> = s.host.log[0].params.iter().map(|p| p.to_json()).collect();
            assert_eq!(Json::from(params), django["params"], "{what}");
            assert_eq!(out.text(), format!("{rows}\n"), "{what}");
        }
    }
}

#[test]
fn sql_only_records_the_select_and_runs_nothing() {
    let sqlite = root().join("fixtures/demo/library.sqlite3");
    let (mut s, out) = session(&sqlite.display().to_string());
    s.host.opts.sql_only = true;
    s.run("for b in Book.objects.filter(pages__gt=900).iterator():\n    print(b.title)")
        .unwrap();
    assert_eq!(s.host.log.len(), 1);
    let shown = out.text();
    assert!(shown.contains(r#"\"pages\" > ?"#), "{shown}");
    assert!(shown.contains(r#""params":[900]"#), "{shown}");
}

/// Loops whose bodies query and write, nested loops, `break`, an error escaping a loop, and
/// comprehensions; `ITER` is `.iterator(chunk_size=3)` or nothing.
const SCRIPT: &str = r#"seen = []
for b in Book.objects.filter(pages__gt=900).order_by("pk")ITER:
    seen.append(f"{b.title} by {b.author.name}, {Author.objects.filter(books__pages__gt=900).count()} authors")
    Author.objects.filter(pk=b.author_id).update(biography=f"wrote {b.title}")
    if len(seen) == 5:
        break
print(seen)
print(Author.objects.filter(biography__startswith="wrote").count())
pairs = []
for a in Author.objects.filter(pk__lt=4).order_by("pk")ITER:
    for b in a.books.order_by("pk")ITER:
        pairs.append((a.name, b.title))
print(len(pairs), pairs[0], pairs[-1])
try:
    for b in Book.objects.order_by("pk")ITER:
        raise ValueError(b.title)
except ValueError as e:
    print("caught", e)
print([b.pk for b in Book.objects.filter(pages__gt=1000).order_by("pk")ITER])
print(sum([b.pages for b in Book.objects.all()ITER]))
for b in Book.objects.values_list("title", flat=True).order_by("pk")ITER:
    last = b
print(last)
"#;

/// What `SCRIPT` prints and the statements it runs, on a fresh copy of the library.
fn run_script(db: &str, iter: &str, atomic: bool) -> (String, Vec<String>) {
    let (mut s, out) = session(db);
    let script = SCRIPT.replace("ITER", iter);
    let ran = if atomic {
        s.atomic(|s| s.run(&script))
    } else {
        s.run(&script)
    };
    ran.unwrap_or_else(|e| panic!("{iter}: {:?} {}", e.kind, e.message));
    (
        out.text(),
        s.host.log.iter().map(|st| st.sql.clone()).collect(),
    )
}

#[test]
fn loops_over_iterator_run_queries_and_writes_in_their_body() {
    // SQLite; PostgreSQL in autocommit (cursors WITH HOLD) and in a transaction (without).
    let mut cases = vec![(Backend::Sqlite, false)];
    if pg::server().is_some() {
        cases.extend([(Backend::Postgres, false), (Backend::Postgres, true)]);
    } else {
        support::skip("the PostgreSQL half of this test (no server)");
    }
    let fresh = |backend| match backend {
        Backend::Sqlite => {
            let (dir, url) = support::demo_sqlite_copy();
            (url, Some(dir))
        }
        Backend::Postgres => (support::demo_postgres_copy().expect("server"), None),
    };
    for (backend, atomic) in cases {
        let (db, _dir) = fresh(backend);
        let (streamed, streamed_sql) = run_script(&db, ".iterator(chunk_size=3)", atomic);
        let (db, _dir) = fresh(backend);
        let (cached, cached_sql) = run_script(&db, "", atomic);
        let what = format!("{} (atomic: {atomic})", backend.name());
        assert_eq!(streamed, cached, "{what}");
        // The same statements, each SELECT of a loop run once.
        assert_eq!(streamed_sql, cached_sql, "{what}");
        let lines: Vec<&str> = streamed.lines().collect();
        assert!(
            lines[0].starts_with("['Bleak House by Charles Dickens, 10 authors', "),
            "{what}: {streamed}"
        );
        // Five books, two of them by Victor Hugo.
        assert_eq!(lines[1], "4", "{what}");
        assert!(lines[3].starts_with("caught "), "{what}: {streamed}");
        assert_eq!(lines[4], "[23, 139, 143, 152, 222]", "{what}");
    }
}

#[test]
fn prefetching_needs_a_chunk_size_and_then_prefetches_each_chunk() {
    let sqlite = root().join("fixtures/demo/library.sqlite3");
    let (mut s, out) = session(&sqlite.display().to_string());
    let e = s
        .run("Author.objects.prefetch_related('books').iterator()")
        .unwrap_err();
    assert_eq!(
        e.message,
        "chunk_size must be provided when using QuerySet.iterator() after prefetch_related()."
    );
    let e = s.run("Author.objects.iterator(chunk_size=0)").unwrap_err();
    assert_eq!(e.message, "Chunk size must be strictly positive.");
    let books = "print([(a.name, len(a.books.all())) for a in Author.objects.filter(pk__lt=6).order_by('pk').prefetch_related('books')ITER])";
    s.run(&books.replace("ITER", "")).unwrap();
    s.host.log.clear();
    s.run(&books.replace("ITER", ".iterator(2)")).unwrap();
    let printed = out.text();
    let (all, streamed) = printed.split_once('\n').unwrap();
    assert_eq!(streamed, format!("{all}\n"));
    assert!(all.starts_with("[('Jane Austen', "), "{all}");
    // The authors' SELECT, then one prefetch per chunk of two: 2 + 2 + 1.
    assert_eq!(s.host.log.len(), 4, "{:?}", s.host.log);
    for (st, ids) in s.host.log.iter().skip(1).zip(["[1, 2]", "[3, 4]", "[5]"]) {
        let params: Vec<String> = st.params.iter().map(|p| p.to_json().to_string()).collect();
        assert_eq!(format!("[{}]", params.join(", ")), ids, "{}", st.sql);
    }
    // Shown, the iterator streams its rows: its prefetches would load nothing shown.
    s.host.log.clear();
    s.run("Author.objects.prefetch_related('books').iterator(chunk_size=2)")
        .unwrap();
    assert_eq!(s.host.log.len(), 1, "{:?}", s.host.log);
}

/// Runs djq with `code` on `db`: what it printed and its peak resident memory in bytes.
fn peak_memory(db: &str, code: &str) -> (String, u64) {
    let mut djq = support::djq();
    djq.args([db, "--models", MODELS, "-c", code]);
    support::peak::run(djq)
}

#[test]
fn iterating_a_large_table_holds_one_chunk_at_a_time() {
    const ROWS: u64 = 100_000;
    let (_dir, db) = support::demo_sqlite_copy();
    support::peak::add_books(&db, ROWS);
    let (count, baseline) = peak_memory(&db, "print(Book.objects.count())");
    let (sum, streamed) = peak_memory(
        &db,
        "n = 0\nfor b in Book.objects.all().iterator(): n += b.pages\nprint(n)",
    );
    let books: u64 = count.trim().parse().unwrap();
    assert!(books > ROWS);
    // Pages: the library's own books, then (x % 900) for x up to ROWS.
    assert!(sum.trim().parse::<u64>().unwrap() > 44_000_000, "{sum}");
    // All the rows at once take over 100 MB (about 1.3 KB each); a chunk of 2,000, a few.
    let mb = |b: u64| b as f64 / 1e6;
    assert!(
        streamed < baseline + 16_000_000,
        "{books} books: {:.1} MB, against {:.1} MB for a count",
        mb(streamed),
        mb(baseline)
    );
}
