//! `--loaddata` and `dumpdata(...)` against real databases: fixtures recorded from real Django's
//! `manage.py dumpdata` (fixtures/loaddata/, tools/record_fixtures.py) load into an empty copy
//! of their schema on SQLite and PostgreSQL, and djq's dump of the result is Django's dump byte
//! for byte; loading again (every pk already there) changes nothing; a bad fixture fails with
//! Django's message and leaves the database as it was.

mod support;

use assert_cmd::Command;
use djq::backend::{Backend, PostgresBackend};
use std::path::Path;
use support::root;

/// (app, SQLite fixture, PostgreSQL dump, models.py, the app's tables children first)
const APPS: [(&str, &str, &str, &str, &[&str]); 2] = [
    (
        "books",
        "fixtures/demo/library.sqlite3",
        "fixtures/demo/library.postgres.sql",
        "fixtures/demo/books/models.py",
        &["books_book", "books_author"],
    ),
    (
        "blog",
        "fixtures/blog/blog.sqlite3",
        "fixtures/blog/blog.postgres.sql",
        "fixtures/blog/blog/models.py",
        &[
            "blog_article_tags",
            "blog_comment",
            "blog_article",
            "blog_tag",
            "blog_writer",
        ],
    ),
];

fn recording(app: &str) -> String {
    std::fs::read_to_string(root().join(format!("fixtures/loaddata/{app}.json"))).unwrap()
}

fn djq(database: &str, models: &str) -> Command {
    let mut cmd = Command::from_std(support::djq());
    cmd.args([database, "--models", models]);
    cmd
}

/// Runs djq; (exit code, stdout, stderr).
fn run(cmd: &mut Command) -> (Option<i32>, String, String) {
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

/// A copy of the SQLite `fixture`, the app's rows deleted when `empty`.
fn sqlite(dir: &Path, fixture: &str, tables: &[&str], empty: bool) -> String {
    let path = dir.join(format!("{}.sqlite3", tables[0]));
    std::fs::copy(root().join(fixture), &path).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    if empty {
        for t in tables {
            conn.execute_batch(&format!("DELETE FROM \"{t}\"")).unwrap();
        }
    }
    path.display().to_string()
}

/// Loads the recording into `database` (emptied), dumps it back, loads it again over itself.
fn round_trip(database: &str, app: &str, models: &str, objects: usize) {
    let fixture = format!("fixtures/loaddata/{app}.json");
    let dump = format!("dumpdata({app:?}, indent=2)");
    let (code, out, err) = run(djq(database, models).args(["--loaddata", &fixture, "-c", &dump]));
    assert_eq!(code, Some(0), "{err}");
    let installed = format!("Installed {objects} object(s) from 1 fixture(s)\n");
    assert_eq!(out, format!("{installed}{}", recording(app)));
    let (code, out, err) = run(djq(database, models).args(["--loaddata", &fixture, "-c", &dump]));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, format!("{installed}{}", recording(app)));
}

#[test]
fn recorded_fixtures_load_and_dump_back_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    for ((app, fixture_db, _, models, tables), objects) in APPS.iter().zip([313, 233]) {
        let db = sqlite(dir.path(), fixture_db, tables, true);
        round_trip(&db, app, models, objects);
    }
}

#[test]
fn recorded_fixtures_load_and_dump_back_on_postgres() {
    let Some(pg) = support::pg::server() else {
        return;
    };
    for ((app, _, dump, models, tables), objects) in APPS.iter().zip([313, 233]) {
        let sql = std::fs::read_to_string(root().join(dump)).unwrap();
        let url = pg.database_from_sql(&sql);
        let mut db = PostgresBackend::connect(&url, false).unwrap();
        for t in *tables {
            db.execute(&format!("DELETE FROM \"{t}\""), &[]).unwrap();
        }
        // Sequences start over, as in a fresh database: loaddata must move them on.
        db.run_script(&format!(
            "SELECT setval(pg_get_serial_sequence('\"{0}\"', 'id'), 1, false)",
            tables[tables.len() - 1]
        ))
        .unwrap();
        round_trip(&url, app, models, objects);
    }
    // The sequences continue after the loaded ids (70 authors).
    let url = pg.database_from_sql(&std::fs::read_to_string(root().join(APPS[0].2)).unwrap());
    let mut db = PostgresBackend::connect(&url, false).unwrap();
    db.run_script("DELETE FROM books_book; DELETE FROM books_author; SELECT setval(pg_get_serial_sequence('\"books_author\"', 'id'), 1, false)")
        .unwrap();
    let (code, out, err) = run(djq(&url, APPS[0].3).args([
        "--loaddata",
        "fixtures/loaddata/books.json",
        "--format",
        "json",
        "-c",
        "Author.objects.create(name='New').id",
    ]));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "71\n");
    assert_eq!(err, "Installed 313 object(s) from 1 fixture(s)\n");
}

/// The messages real Django's loaddata gives for these fixtures (checked by hand against
/// `manage.py loaddata`, which names the file by its absolute path).
#[test]
fn bad_fixtures_fail_like_django_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_, fixture_db, _, models, tables) = APPS[0];
    let db = sqlite(dir.path(), fixture_db, tables, false);
    let book = |pk: u32, author: u32, isbn: &str, pages: &str| {
        format!(
            r#"{{"model": "books.book", "pk": {pk}, "fields": {{"title": "T", "author": {author}, "publication_date": "2000-01-01", "isbn": "{isbn}", "genre": "FIC", "pages": {pages}}}}}"#
        )
    };
    let author = r#"{"model": "books.author", "pk": 500, "fields": {"name": "X"}}"#;
    let cases = [
        (
            format!(r#"[{author}, {{"model": "books.nope", "pk": 1, "fields": {{}}}}]"#),
            "DeserializationError: Problem installing fixture '{}': Invalid model identifier: books.nope",
        ),
        (
            format!(
                "[{author}, {}, {}]",
                book(900, 500, "1", "1"),
                book(901, 500, "1", "1")
            ),
            "IntegrityError: Problem installing fixture '{}': Could not load books.Book(pk=901): UNIQUE constraint failed: books_book.isbn",
        ),
        (
            format!(
                "[{}]",
                book(900, 1, "1", "1").replace("\"pages\"", "\"colour\": 3, \"pages\"")
            ),
            "DeserializationError: Problem installing fixture '{}': Error deserializing object: Book has no field named 'colour'",
        ),
        (
            format!("[{author}, {}]", book(900, 1, "1", "\"many\"")),
            "DeserializationError: Problem installing fixture '{}': ['“many” value must be an integer.']: (books.book:pk=900) field_value was 'many'",
        ),
        (
            format!("[{author}, {}]", book(900, 999, "1", "3")),
            "IntegrityError: Problem installing fixtures: The row in table 'books_book' with primary key '900' has an invalid foreign key: books_book.author_id contains a value '999' that does not have a corresponding value in books_author.id.",
        ),
    ];
    let count = "print(Author.objects.count(), Book.objects.count())";
    for (i, (fixture, message)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.json"));
        std::fs::write(&path, fixture).unwrap();
        let path = path.display().to_string();
        let (code, out, err) = run(djq(&db, models).args(["--loaddata", &path, "-c", count]));
        assert_eq!(code, Some(1), "{fixture}");
        assert_eq!(out, "");
        assert!(
            err.contains(&message.replace("{}", &path)),
            "{fixture}\n{err}"
        );
        let (_, out, _) = run(djq(&db, models).args(["-c", count]));
        assert_eq!(out, "70 243\n", "{fixture} changed the database");
    }
}

/// `--loaddata` labels name files as Django's loaddata reads them (checked against `manage.py
/// loaddata`), and a file is parsed as it is read: an endless one that is not JSON fails at its
/// first byte, in bounded memory (reading /dev/zero whole grew past 10 GB).
#[test]
fn fixture_labels_are_djangos_and_an_endless_file_fails_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_, fixture_db, _, models, tables) = APPS[0];
    let db = sqlite(dir.path(), fixture_db, tables, false);
    let zero = dir.path().join("zero.json");
    std::os::unix::fs::symlink("/dev/zero", &zero).unwrap();
    let zero = zero.display().to_string();
    let cases = [
        (
            zero.as_str(),
            format!(
                "error: DeserializationError: Problem installing fixture '{zero}': expected value at line 1 column 1\n"
            ),
        ),
        // No extension: Django looks for zero.json (and other formats) and finds none.
        (
            "/dev/zero",
            "error: CommandError: No fixture named 'zero' found.\n".to_string(),
        ),
        (
            "fixtures/loaddata/books.txt",
            "error: CommandError: Problem installing fixture 'fixtures/loaddata/books': txt is not a known serialization format.\n".to_string(),
        ),
        (
            "fixtures/loaddata/nope.json",
            "error: CommandError: No fixture named 'nope' found.\n".to_string(),
        ),
    ];
    for (label, message) in cases {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_djq"));
        cmd.current_dir(root()).env_remove("DATABASE_URL").args([
            &db,
            "--models",
            models,
            "--loaddata",
            label,
        ]);
        let m = support::peak::measure(cmd);
        eprintln!("--loaddata {label}: peak {:.1} MB", m.peak as f64 / 1e6);
        assert_eq!((m.code, m.stderr.as_str()), (Some(1), message.as_str()));
        assert!(m.peak < 200 << 20, "{label}: peak {} bytes", m.peak);
    }
    // A label without an extension loads its .json file, as Django's does.
    let (code, out, err) = run(djq(&db, models).args([
        "--loaddata",
        "fixtures/loaddata/books",
        "-c",
        "Book.objects.count()",
    ]));
    assert_eq!((code, err.as_str()), (Some(0), ""), "{out}");
    assert_eq!(out, "Installed 313 object(s) from 1 fixture(s)\n243\n");
}

#[test]
fn loaddata_honours_read_only_and_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let (_, fixture_db, _, models, tables) = APPS[0];
    let db = sqlite(dir.path(), fixture_db, tables, true);
    let count = "Author.objects.count()";
    let fixture = "fixtures/loaddata/books.json";
    let (code, _, err) = run(djq(&db, models).args(["--read-only", "--loaddata", fixture]));
    assert_eq!(code, Some(1));
    assert!(err.contains("--read-only"), "{err}");
    let (code, out, err) =
        run(djq(&db, models).args(["--rollback", "--loaddata", fixture, "-c", count]));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.ends_with("70\n"), "{out}");
    let (_, out, _) = run(djq(&db, models).args(["-c", count]));
    assert_eq!(out, "0\n");
}

#[test]
fn dumpdata_selects_models_like_django() {
    let (_, _, _, models, _) = APPS[0];
    let db = "fixtures/demo/library.sqlite3";
    let (code, out, err) = run(djq(db, models).args(["-c", "dumpdata('books.Author')"]));
    assert_eq!(code, Some(0), "{err}");
    let authors: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(authors.len(), 70);
    assert_eq!(authors[0]["model"], "books.author");
    assert!(out.starts_with("[{\"model\": \"books.author\", \"pk\": 1, \"fields\": {"));
    let (code, _, err) = run(djq(db, models).args(["-c", "dumpdata('nope')"]));
    assert_eq!(code, Some(1));
    assert!(
        err.contains("CommandError: No installed app with label 'nope'."),
        "{err}"
    );
    let (code, _, err) = run(djq(db, models).args(["-c", "dumpdata('books.Nope')"]));
    assert_eq!(code, Some(1));
    assert!(
        err.contains("CommandError: Unknown model: books.Nope"),
        "{err}"
    );
}

#[test]
fn dumpdata_to_a_file_is_refused_under_read_only_like_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let (_, fixture_db, _, models, tables) = APPS[0];
    let db = sqlite(dir.path(), fixture_db, tables, false);
    let file = dir.path().join("dump.json");
    let dump = format!(
        "dumpdata('books.author', output={:?})",
        file.display().to_string()
    );
    let refused = "error: DatabaseError: refusing to write: djq was started with --read-only";
    let (code, _, err) =
        run(djq(&db, models).args(["--read-only", "-c", "Author.objects.create(name='x')"]));
    assert_eq!((code, err.lines().next()), (Some(1), Some(refused)));
    let (code, _, err) = run(djq(&db, models).args(["--read-only", "-c", &dump]));
    assert_eq!((code, err.lines().next()), (Some(1), Some(refused)));
    assert!(!file.exists());
    // Printing is no side effect.
    let (code, out, err) =
        run(djq(&db, models).args(["--read-only", "-c", "dumpdata('books.author')"]));
    assert_eq!(code, Some(0), "{err}");
    assert!(out.starts_with("[{\"model\": \"books.author\""), "{out}");
}

#[test]
fn dumpdata_writes_through_a_link_or_a_device_the_user_names() {
    let dir = tempfile::tempdir().unwrap();
    let (_, fixture_db, _, models, tables) = APPS[0];
    let db = sqlite(dir.path(), fixture_db, tables, false);
    let (target, link) = (dir.path().join("target.json"), dir.path().join("link.json"));
    std::fs::write(&target, "old").unwrap();
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let dump = format!(
        "dumpdata('books.author', output={:?})",
        link.display().to_string()
    );
    let (code, _, err) = run(djq(&db, models).args(["-c", &dump]));
    assert_eq!(code, Some(0), "{err}");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    let authors: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&target).unwrap()).unwrap();
    assert_eq!(authors.len(), 70);
    // A device cannot be replaced by a new file: it is written in place.
    let (code, out, err) =
        run(djq(&db, models).args(["-c", "dumpdata('books.author', output='/dev/stdout')"]));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        serde_json::from_str::<Vec<serde_json::Value>>(&out)
            .unwrap()
            .len(),
        70
    );
}
