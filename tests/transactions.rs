//! Scripts in a transaction, `try`/`except` and `transaction.atomic()` against real databases:
//! a copy of the demo library on SQLite and the same data on PostgreSQL (`support::pg`; the
//! PostgreSQL half of each test says `SKIPPED` without a server). A script is one transaction
//! unless `--no-atomic`; an error anywhere leaves the database as it was (the SQLite file
//! byte for byte); `--rollback` keeps nothing; a caught IntegrityError leaves the script
//! running, with what it wrote before kept, as in Django's autocommit; nested atomic blocks
//! roll back alone; Ctrl-C rolls back.

mod support;

use djq::backend::{self, Backend};
use djq::value::Value;
use std::path::PathBuf;

use support::DEMO_MODELS as MODELS;
use support::Run;

/// A database of its own, loaded with the demo library.
enum Db {
    /// The file, in a directory deleted when dropped.
    Sqlite {
        path: PathBuf,
        _dir: tempfile::TempDir,
    },
    Postgres(String),
}

impl Db {
    fn sqlite() -> Db {
        let (dir, path) = support::demo_sqlite_copy();
        Db::Sqlite {
            path: path.into(),
            _dir: dir,
        }
    }

    /// `None` (the server said SKIPPED) without PostgreSQL.
    fn postgres() -> Option<Db> {
        support::demo_postgres_copy().map(Db::Postgres)
    }

    /// Both databases (PostgreSQL when there is a server).
    fn all() -> Vec<Db> {
        std::iter::once(Db::sqlite())
            .chain(Db::postgres())
            .collect()
    }

    fn url(&self) -> String {
        match self {
            Db::Sqlite { path, .. } => path.display().to_string(),
            Db::Postgres(url) => url.clone(),
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Db::Sqlite { .. } => "sqlite",
            Db::Postgres(_) => "postgres",
        }
    }

    /// What the database holds: the SQLite file's bytes; on PostgreSQL every row of the
    /// library's tables.
    fn snapshot(&self) -> Vec<u8> {
        match self {
            Db::Sqlite { path, .. } => std::fs::read(path).expect("read the database file"),
            Db::Postgres(_) => {
                let sql = "SELECT (SELECT string_agg(a::text, '|' ORDER BY a.id) FROM books_author a) \
                           || (SELECT string_agg(b::text, '|' ORDER BY b.id) FROM books_book b)";
                match self.one(sql) {
                    Value::Text(t) => t.into_bytes(),
                    other => panic!("{other:?}"),
                }
            }
        }
    }

    /// The single value `sql` returns.
    fn one(&self, sql: &str) -> Value {
        let mut db: Box<dyn Backend> = backend::connect(&self.url(), true).expect("connect");
        let mut rows = db
            .query_all(sql, &[], &[])
            .unwrap_or_else(|e| panic!("{sql}: {}", e.message));
        rows.remove(0).remove(0)
    }

    fn count(&self, table_and_filter: &str) -> i64 {
        match self.one(&format!("SELECT count(*) FROM {table_and_filter}")) {
            Value::Int(n) => n,
            other => panic!("{other:?}"),
        }
    }

    /// djq on this database with the library's models.py, running `script` from stdin.
    fn run(&self, flags: &[&str], script: &str) -> Run {
        let out = assert_cmd::Command::from_std(support::djq())
            .env("NO_COLOR", "1")
            .args([self.url().as_str(), "--models", MODELS])
            .args(flags)
            .write_stdin(script)
            .output()
            .expect("run djq");
        out.into()
    }
}

/// Creates 500 books, the last one failing as `last` says (a statement that raises).
fn five_hundred_books(last: &str) -> String {
    format!(
        r#"import django
django.setup()
from books.models import Author, Book
author = Author.objects.create(name="Loader")
for i in range(499):
    Book.objects.create(title=f"T{{i}}", author=author, publication_date="2000-01-01", isbn=f"t{{i:05d}}")
print("499 created")
{last}
print("not reached")
"#
    )
}

const DUPLICATE: &str = r#"Book.objects.create(title="Dup", author=author, publication_date="2000-01-01", isbn="9780141439518")"#;

#[test]
fn a_script_failing_at_its_last_statement_changes_nothing() {
    for db in Db::all() {
        for (last, error) in [
            (DUPLICATE, "IntegrityError: "),
            (
                "undefined_name",
                "NameError: name 'undefined_name' is not defined",
            ),
        ] {
            let before = db.snapshot();
            let r = db.run(&[], &five_hundred_books(last));
            let what = format!("{} {last}: {r:?}", db.name());
            assert_eq!(r.code, Some(1), "{what}");
            assert_eq!(r.stdout, "499 created\n", "{what}");
            assert!(r.stderr.contains(error), "{what}");
            assert!(r.stderr.contains(" --> <stdin>:8:1"), "{what}");
            assert!(db.snapshot() == before, "the database changed: {what}");
        }
    }
}

#[test]
fn no_atomic_keeps_what_ran_before_the_error() {
    for db in Db::all() {
        let r = db.run(&["--no-atomic"], &five_hundred_books(DUPLICATE));
        assert_eq!(r.code, Some(1), "{} {r:?}", db.name());
        assert_eq!(
            db.count("books_book WHERE isbn LIKE 't%'"),
            499,
            "{}",
            db.name()
        );
        assert_eq!(db.count("books_author WHERE name = 'Loader'"), 1);
    }
}

#[test]
fn rollback_keeps_nothing_of_a_script_that_succeeds() {
    for db in Db::all() {
        let before = db.snapshot();
        let r = db.run(&["--rollback"], &five_hundred_books("pass"));
        assert_eq!(r.code, Some(0), "{} {r:?}", db.name());
        assert_eq!(r.stdout, "499 created\nnot reached\n");
        assert!(
            db.snapshot() == before,
            "{}: the database changed",
            db.name()
        );
    }
}

#[test]
fn a_script_that_succeeds_is_committed() {
    for db in Db::all() {
        let r = db.run(&[], &five_hundred_books("pass"));
        assert_eq!(r.code, Some(0), "{} {r:?}", db.name());
        assert_eq!(
            db.count("books_book WHERE isbn LIKE 't%'"),
            499,
            "{}",
            db.name()
        );
    }
}

#[test]
fn a_caught_integrity_error_leaves_the_script_running_and_keeps_earlier_writes() {
    let script = r#"from django.db import IntegrityError
author = Author.objects.create(name="Loader")
for isbn in ["n1", "9780141439518", "n2"]:
    try:
        Book.objects.create(title=isbn, author=author, publication_date="2000-01-01", isbn=isbn)
        print("created", isbn)
    except IntegrityError:
        print("duplicate", isbn)
try:
    kept = Author.objects.create(name="Kept")
    Book.objects.create(title="x", author=kept, publication_date="2000-01-01", isbn="n1")
except IntegrityError as e:
    print(type(e).__name__, isinstance(e, Exception))
print(Book.objects.filter(author=author).count(), Author.objects.filter(name="Kept").count())
"#;
    for db in Db::all() {
        let r = db.run(&[], script);
        assert_eq!(r.code, Some(0), "{} {r:?}", db.name());
        assert_eq!(
            r.stdout,
            "created n1\nduplicate 9780141439518\ncreated n2\nIntegrityError True\n2 1\n",
            "{}",
            db.name()
        );
        assert_eq!(db.count("books_book WHERE isbn IN ('n1', 'n2')"), 2);
        assert_eq!(db.count("books_author WHERE name = 'Kept'"), 1);
    }
}

#[test]
fn a_nested_atomic_block_rolls_back_alone() {
    let script = r#"from django.db import transaction
with transaction.atomic():
    Author.objects.create(name="Outer")
    try:
        with transaction.atomic():
            Author.objects.create(name="Inner")
            raise ValueError("undo the inner block")
    except ValueError as e:
        print(repr(e))
    print(Author.objects.filter(name__in=["Outer", "Inner"]).count())
try:
    with transaction.atomic():
        Author.objects.create(name="Gone")
        Author.objects.get(name="Nobody")
except Author.DoesNotExist:
    print("rolled back")
"#;
    for db in Db::all() {
        let r = db.run(&["--no-atomic"], script);
        assert_eq!(r.code, Some(0), "{} {r:?}", db.name());
        assert_eq!(
            r.stdout,
            "ValueError('undo the inner block')\n1\nrolled back\n"
        );
        assert_eq!(db.count("books_author WHERE name = 'Outer'"), 1);
        assert_eq!(db.count("books_author WHERE name IN ('Inner', 'Gone')"), 0);
    }
}

#[test]
fn read_only_refuses_writes_in_a_script() {
    let db = Db::sqlite();
    let before = db.snapshot();
    let r = db.run(&["--read-only"], r#"Author.objects.create(name="No")"#);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stderr.contains("--read-only"), "{r:?}");
    assert!(db.snapshot() == before);
}

#[test]
fn a_finally_block_still_queries_after_a_failed_statement() {
    let script = r#"a = Author.objects.create(name="Loader")
try:
    Book.objects.create(title="Dup", author=a, publication_date="2000-01-01", isbn="9780141439518")
finally:
    print(Author.objects.filter(name="Loader").count())
"#;
    for db in Db::all() {
        let before = db.snapshot();
        let r = db.run(&[], script);
        assert_eq!(r.code, Some(1), "{} {r:?}", db.name());
        assert_eq!(r.stdout, "1\n", "{} {r:?}", db.name());
        assert!(r.stderr.starts_with("error: IntegrityError: "), "{r:?}");
        assert!(
            db.snapshot() == before,
            "{}: the database changed",
            db.name()
        );
    }
}

#[test]
fn uncaught_raise_and_assert_are_reported_where_they_are() {
    let db = Db::sqlite();
    for (script, expected) in [
        (
            "x = 1\nraise ValueError(f\"bad {x}\")\n",
            "error: ValueError: bad 1\n  --> <stdin>:2:1",
        ),
        (
            "assert Book.objects.count() == 0, \"not empty\"\n",
            "error: AssertionError: not empty\n  --> <stdin>:1:1",
        ),
        (
            "try:\n    Book.objects.get(pk=-1)\nexcept Author.DoesNotExist:\n    pass\n",
            "error: Book.DoesNotExist: Book matching query does not exist.\n  --> <stdin>:2:5",
        ),
        (
            "try:\n    1 // 0\nexcept ValueError:\n    pass\nexcept ZeroDivisionError:\n    raise\n",
            "error: ZeroDivisionError: integer division or modulo by zero\n  --> <stdin>:2:5",
        ),
        (
            "raise\n",
            "error: RuntimeError: No active exception to reraise\n  --> <stdin>:1:1",
        ),
        (
            "try:\n    Book.objects.none().get()\nexcept 42:\n    pass\n",
            "error: TypeError: catching classes that do not inherit from BaseException is not allowed",
        ),
    ] {
        let r = db.run(&[], script);
        assert_eq!(r.code, Some(1), "{script}: {r:?}");
        assert!(r.stderr.starts_with(expected), "{script}: {}", r.stderr);
    }
}
