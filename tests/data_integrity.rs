//! Data is never altered silently: values SQLite holds that a text column should not (text
//! that is not UTF-8, a BLOB) are refused as Python's `sqlite3` module refuses them, or carried
//! through untouched, so a read-modify-write never changes bytes the user did not set and
//! `dumpdata` never prints an altered value as if it were the data. Real SQLite files altered
//! with rusqlite, then the djq binary run on them; expectations from Django 6 run on the same
//! rows (tools/djangoproj, `DJQ_APPS=books`).

mod support;

use assert_cmd::Command;
use std::path::Path;
use support::root;

use support::DEMO_MODELS as MODELS;
/// `x'4142ff43c328'`: "AB", a byte that starts no UTF-8 sequence, "C", a lead byte without its
/// continuation, "(".
const NOT_UTF8: &[u8] = b"AB\xffC\xc3(";
/// What Django raises reading it (`Author.objects.get(pk=1)`).
const NOT_UTF8_ERROR: &str =
    "OperationalError: Could not decode to UTF-8 column 'name' with text 'AB\u{fffd}C\u{fffd}('";

/// A copy of the demo library in `dir`, with `alter` run on it through rusqlite.
fn library(dir: &Path, alter: impl FnOnce(&rusqlite::Connection)) -> String {
    let path = dir.join("library.sqlite3");
    std::fs::copy(root().join("fixtures/demo/library.sqlite3"), &path).unwrap();
    alter(&rusqlite::Connection::open(&path).unwrap());
    path.display().to_string()
}

/// The author's `column`: its SQLite type and its bytes.
fn stored(db: &str, id: i64, column: &str) -> (String, Vec<u8>) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        &format!("SELECT typeof({column}), CAST({column} AS BLOB) FROM books_author WHERE id = ?"),
        [id],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )
    .unwrap()
}

/// Runs djq on `db` with `-c` for each of `code`: (exit code, stdout, stderr).
fn djq(db: &str, code: &[&str]) -> (Option<i32>, String, String) {
    let mut cmd = Command::from_std(support::djq());
    cmd.args([db, "--models", MODELS]);
    for c in code {
        cmd.args(["-c", c]);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn with_invalid_name(conn: &rusqlite::Connection) {
    conn.execute(
        "UPDATE books_author SET name = CAST(? AS TEXT) WHERE id = 1",
        [NOT_UTF8],
    )
    .unwrap();
}

fn with_blob_biography(conn: &rusqlite::Connection) {
    conn.execute(
        "UPDATE books_author SET biography = ? WHERE id = 2",
        [&b"\x00\xff\x00"[..]],
    )
    .unwrap();
}

#[test]
fn text_that_is_not_utf8_raises_djangos_operational_error_and_save_never_runs() {
    let dir = tempfile::tempdir().unwrap();
    let db = library(dir.path(), with_invalid_name);
    let before = stored(&db, 1, "name");
    assert_eq!(before, ("text".to_string(), NOT_UTF8.to_vec()));
    let (code, out, err) = djq(
        &db,
        &["a = Author.objects.get(pk=1); a.birth_date = '1900-01-01'; a.save()"],
    );
    assert_eq!(code, Some(1), "{out}");
    assert_eq!(
        err.lines().next(),
        Some(&*format!("error: {NOT_UTF8_ERROR}"))
    );
    assert_eq!(stored(&db, 1, "name"), before);
    // Catchable as Django's OperationalError, with the message Django shows.
    let (code, out, err) = djq(
        &db,
        &[
            "try:\n    Author.objects.values_list('name').get(pk=1)\nexcept OperationalError as e:\n    print(e)",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(
        out,
        "Could not decode to UTF-8 column 'name' with text 'AB\u{fffd}C\u{fffd}('\n"
    );
}

#[test]
fn a_blob_in_a_text_field_reads_as_bytes_and_saves_back_as_the_same_blob() {
    let dir = tempfile::tempdir().unwrap();
    let db = library(dir.path(), with_blob_biography);
    let (code, out, err) = djq(
        &db,
        &[
            "a = Author.objects.get(pk=2); print(repr(a.biography))",
            "a.birth_date = '1900-01-01'; a.save()",
        ],
    );
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "b'\\x00\\xff\\x00'\n");
    assert_eq!(
        stored(&db, 2, "biography"),
        ("blob".into(), vec![0, 255, 0])
    );
    assert_eq!(stored(&db, 2, "birth_date").1, b"1900-01-01");
}

#[test]
fn dumpdata_refuses_text_that_is_not_utf8_and_writes_a_blob_as_django_does() {
    let dir = tempfile::tempdir().unwrap();
    let db = library(dir.path(), with_invalid_name);
    // Django: CommandError: Unable to serialize database: <the OperationalError's message>.
    let (code, out, err) = djq(&db, &["dumpdata('books.author')"]);
    assert_eq!(code, Some(1));
    let (_, message) = NOT_UTF8_ERROR.split_once(": ").unwrap();
    assert_eq!(
        err.lines().next(),
        Some(&*format!(
            "error: CommandError: Unable to serialize database: {message}"
        ))
    );
    assert!(
        !out.contains('\u{fffd}'),
        "an altered value was printed: {out}"
    );
    // The file a dump names is written whole or not at all: a new one is not created, an
    // old one keeps what it held.
    let (new, old) = (dir.path().join("new.json"), dir.path().join("old.json"));
    std::fs::write(&old, "old").unwrap();
    for path in [&new, &old] {
        let dump = format!(
            "dumpdata('books.author', output={:?})",
            path.display().to_string()
        );
        let (code, _, err) = djq(&db, &[&dump]);
        assert_eq!(code, Some(1), "{err}");
    }
    assert!(!new.exists());
    assert_eq!(std::fs::read_to_string(&old).unwrap(), "old");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "a temporary file was left"
    );

    // A BLOB in a text field: Django's serializer writes `str()` of the bytes, every byte kept.
    let db = library(dir.path(), with_blob_biography);
    let (code, out, err) = djq(&db, &["dumpdata('books.author')"]);
    assert_eq!(code, Some(0), "{err}");
    let authors: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(authors[1]["fields"]["biography"], "b'\\x00\\xff\\x00'");
}
