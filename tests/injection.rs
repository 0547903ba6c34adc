//! Injection round trips: hostile strings (SQL quotes and comments, LIKE wildcards, escapes,
//! NUL, emoji, right-to-left marks, combining characters, long strings) reach the database
//! only as parameters, on SQLite (a copy of the demo database) and PostgreSQL (a fresh
//! database with the demo schema; SKIPPED without a server).
//!
//! - As values of every text lookup, a query returns exactly the rows whose data really
//!   matches the string (rows holding the strings are inserted first).
//! - Written by `create`, `update`, `save()` after an attribute assignment and
//!   `get_or_create`, a string reads back equal.
//! - NUL: SQLite stores it; PostgreSQL refuses it with a DataError and writes nothing.
//! - Identifiers that are SQL keywords or hold spaces and double quotes (`db_table = 'order'`,
//!   a column `select`, a table `we"ird`) work for filter, order_by and create, and the SQL
//!   quotes them (doubling an embedded `"`).
//!
//! Strings go into djq source as Python literals ([`py_literal`]); results come back as JSON.

mod support;

use serde_json::Value as Json;
use std::path::Path;
use support::Run;
use support::pg;
use support::root;

/// The hostile strings (no NUL: see [`nul_is_stored_or_refused_cleanly`]).
fn hostile() -> Vec<String> {
    [
        "'; DROP TABLE books_book; --",
        "\" OR 1=1 --",
        "'",
        "\"",
        "''",
        "\\",
        "\\\\'",
        "%",
        "_",
        "%_\\",
        "a%b_c",
        "100%",
        "O'Brien \"quoted\"",
        "👩\u{200d}💻",
        "\u{202e}txet\u{202c}",
        "e\u{301}te\u{301}",
        "$1 ? :name %s {}",
        "*/ /* -- #",
        "[abc]^$.|?*+()",
    ]
    .iter()
    .map(|s| s.to_string())
    // As long as the demo's columns take (Author.name is varchar(100), Book.title 200, and
    // the writes double it); longer values are looked up only.
    .chain([format!("long {}", "x'%_\\".repeat(17))])
    .collect()
}

/// `s` as a Python string literal: printable ASCII as is (but `\` and `'`), everything else
/// as `\xHH`, `\uHHHH` or `\UHHHHHHHH`.
fn py_literal(s: &str) -> String {
    let mut out = String::from("'");
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            ' '..='~' => out.push(c),
            c if (c as u32) < 0x100 => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push('\'');
    out
}

/// A database of its own: a SQLite file (in a directory kept alive) or a PostgreSQL URL.
struct Db {
    url: String,
    _dir: Option<tempfile::TempDir>,
}

impl Db {
    fn sqlite() -> Db {
        let (dir, url) = support::demo_sqlite_copy();
        Db {
            url,
            _dir: Some(dir),
        }
    }

    fn postgres() -> Option<Db> {
        Some(Db {
            url: support::demo_postgres_copy()?,
            _dir: None,
        })
    }

    fn all() -> Vec<(&'static str, Db)> {
        std::iter::once(("sqlite", Db::sqlite()))
            .chain(Db::postgres().map(|db| ("postgres", db)))
            .collect()
    }
}

impl Run {
    /// The JSON documents on stdout, after checking the run succeeded.
    fn documents(&self) -> Vec<Json> {
        assert_eq!(self.code, Some(0), "djq failed:\n{}", self.stderr);
        serde_json::Deserializer::from_str(&self.stdout)
            .into_iter::<Json>()
            .map(|d| d.expect("JSON on stdout"))
            .collect()
    }
}

/// djq on `url` with `--format json`, running the lines of `script` with `models` as
/// `--models` (the demo's by default).
fn djq(url: &str, models: Option<&Path>, flags: &[&str], script: &str) -> Run {
    let demo = root().join(support::DEMO_MODELS);
    let out = assert_cmd::Command::from_std(support::djq())
        .arg(url)
        .arg("--models")
        .arg(models.unwrap_or(&demo))
        .args(["--format", "json", "--no-color"])
        .args(flags)
        // One -c per line: values are displayed, and no argument nears the kernel's limit.
        .args(script.lines().flat_map(|l| ["-c", l]))
        .write_stdin(Vec::new())
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .expect("running djq");
    out.into()
}

fn strings(doc: &Json) -> Vec<String> {
    let mut all: Vec<String> = doc
        .as_array()
        .expect("an array")
        .iter()
        .map(|v| v.as_str().expect("a string").to_string())
        .collect();
    all.sort();
    all
}

/// A new book's constructor arguments, `isbn` told apart by `n`.
fn book(title: &str, n: usize) -> String {
    format!(
        "title={}, author=a, publication_date='2000-01-01', isbn='INJ{n}', pages={n}",
        py_literal(title)
    )
}

#[test]
fn py_literal_escapes_everything_but_printable_ascii() {
    assert_eq!(py_literal("a'b\\c"), "'a\\'b\\\\c'");
    assert_eq!(py_literal("\0é👩"), "'\\x00\\xe9\\U0001f469'");
    assert_eq!(py_literal("\u{202e}"), "'\\u202e'");
}

#[test]
fn hostile_strings_as_lookup_values_match_exactly_the_rows_holding_them() {
    let strings_ = hostile();
    for (backend, db) in Db::all() {
        let mut insert = String::from("a = Author.objects.create(name='injection')\n");
        for (i, s) in strings_.iter().enumerate() {
            insert.push_str(&format!("Book.objects.create({})\n", book(s, i)));
            // The same text in another case, and inside a longer text.
            insert.push_str(&format!(
                "Book.objects.create({})\n",
                book(&format!("X{}Y", s.to_uppercase()), i + 1000)
            ));
        }
        djq(&db.url, None, &[], &insert).documents();
        let titles = strings(
            &djq(
                &db.url,
                None,
                &[],
                "Book.objects.values_list('title', flat=True)\n",
            )
            .documents()[0],
        );
        // The strings' only cased letters are ASCII, so ASCII case folding is the backends'
        // case folding; both order text by code point (SQLite's BINARY, the test cluster's
        // C.UTF-8). On SQLite, Django's contains/startswith/endswith are LIKE, which ignores
        // ASCII case (Django documents it).
        let fold = |t: &str| t.to_ascii_lowercase();
        let like_folds = backend == "sqlite";
        let cased = move |t: &str| if like_folds { fold(t) } else { t.to_string() };
        type Matcher<'a> = Box<dyn Fn(&str, &str) -> bool + 'a>;
        let lookups: Vec<(&str, Matcher)> = vec![
            ("exact", Box::new(|t, s| t == s)),
            ("iexact", Box::new(|t, s| fold(t) == fold(s))),
            ("contains", Box::new(|t, s| cased(t).contains(&cased(s)))),
            ("icontains", Box::new(|t, s| fold(t).contains(&fold(s)))),
            (
                "startswith",
                Box::new(|t, s| cased(t).starts_with(&cased(s))),
            ),
            (
                "istartswith",
                Box::new(|t, s| fold(t).starts_with(&fold(s))),
            ),
            ("endswith", Box::new(|t, s| cased(t).ends_with(&cased(s)))),
            ("iendswith", Box::new(|t, s| fold(t).ends_with(&fold(s)))),
            ("in", Box::new(|t, s| t == s)),
            ("gt", Box::new(|t, s| t > s)),
            ("lt", Box::new(|t, s| t < s)),
            ("regex", Box::new(|t, s| t.contains(s))),
        ];
        let mut script = String::new();
        let mut expected = Vec::new();
        for s in &strings_ {
            for (lookup, matches) in &lookups {
                let value = match *lookup {
                    "in" => format!("[{}, 'no such title']", py_literal(s)),
                    "regex" => py_literal(&regex::escape(s)),
                    _ => py_literal(s),
                };
                script.push_str(&format!(
                    "Book.objects.filter(title__{lookup}={value}).values_list('title', flat=True)\n"
                ));
                let mut want: Vec<String> =
                    titles.iter().filter(|t| matches(t, s)).cloned().collect();
                want.sort();
                expected.push((format!("title__{lookup}={}", py_literal(s)), want));
            }
            // iregex: the pattern matches case-insensitively.
            script.push_str(&format!(
                "Book.objects.filter(title__iregex={}).values_list('title', flat=True)\n",
                py_literal(&regex::escape(&s.to_uppercase()))
            ));
            let mut want: Vec<String> = titles
                .iter()
                .filter(|t| t.to_lowercase().contains(&s.to_lowercase()))
                .cloned()
                .collect();
            want.sort();
            expected.push((format!("title__iregex={}", py_literal(s)), want));
        }
        // A value (10,000 characters) longer than any column matches nothing, and is no
        // error (SQLite refuses LIKE patterns over 50,000 bytes, Django too).
        let huge = "'%_\\\u{202e}👩".repeat(2000);
        for lookup in ["exact", "icontains", "startswith", "gt"] {
            script.push_str(&format!(
                "Book.objects.filter(title__{lookup}={}).values_list('title', flat=True)\n",
                py_literal(&huge)
            ));
            let want = if lookup == "gt" {
                titles
                    .iter()
                    .filter(|t| t.as_str() > huge.as_str())
                    .cloned()
                    .collect()
            } else {
                Vec::new()
            };
            expected.push((format!("title__{lookup}=<huge>"), want));
        }
        let docs = djq(&db.url, None, &[], &script).documents();
        assert_eq!(docs.len(), expected.len());
        let wrong: Vec<String> = docs
            .iter()
            .zip(&expected)
            .filter(|(got, (_, want))| strings(got) != *want)
            .map(|(got, (what, want))| {
                format!(
                    "{backend}: {}: expected {want:?}, got {:?}",
                    what.chars().take(80).collect::<String>(),
                    strings(got)
                )
            })
            .collect();
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}

#[test]
fn hostile_strings_written_read_back_equal() {
    for (backend, db) in Db::all() {
        for (i, s) in hostile().iter().enumerate() {
            let lit = py_literal(s);
            let script = format!(
                "a = Author.objects.create(name={lit})\n\
                 b = Book.objects.create({})\n\
                 Book.objects.get(pk=b.pk).title\n\
                 Book.objects.filter(pk=b.pk).update(title={lit} + {lit})\n\
                 Book.objects.get(pk=b.pk).title\n\
                 b.title = {lit}\n\
                 b.save()\n\
                 Book.objects.get(pk=b.pk).title\n\
                 Author.objects.get(pk=a.pk).name\n\
                 c, made = Book.objects.get_or_create(title={lit} + 'goc', defaults=dict(author=a, publication_date='2001-01-01', isbn='GOC{i}'))\n\
                 c.title\n\
                 Book.objects.get(pk=c.pk).title\n\
                 c2, made2 = Book.objects.get_or_create(title={lit} + 'goc', defaults=dict(author=a, publication_date='2001-01-01', isbn='GOD{i}'))\n\
                 [made, made2, c2.pk == c.pk]\n",
                book(s, i)
            );
            let docs = djq(&db.url, None, &[], &script).documents();
            let text = |d: &Json| d.as_str().map(str::to_string);
            let goc = format!("{s}goc");
            // get, update's count, get, save()'s None, get, the author, get_or_create twice.
            let want = [
                Some(s.clone()),
                None,
                Some(format!("{s}{s}")),
                None,
                Some(s.clone()),
                Some(s.clone()),
                Some(goc.clone()),
                Some(goc),
            ];
            let got: Vec<Option<String>> = docs.iter().map(text).collect();
            assert!(
                got[..8] == want,
                "{backend}: {}",
                py_literal(s).chars().take(80).collect::<String>()
            );
            assert_eq!(docs[1], Json::from(1));
            assert_eq!(docs[3], Json::Null);
            assert_eq!(docs[8], serde_json::json!([true, false, true]));
        }
    }
}

#[test]
fn nul_is_stored_or_refused_cleanly() {
    for (backend, db) in Db::all() {
        let script = "a = Author.objects.create(name='nul')\n\
                      b = Book.objects.create(title='a\\x00b', author=a, publication_date='2000-01-01', isbn='NUL')\n\
                      Book.objects.get(pk=b.pk).title\n";
        let run = djq(&db.url, None, &[], script);
        match backend {
            "sqlite" => {
                assert_eq!(run.documents(), [Json::from("a\0b")]);
            }
            _ => {
                assert_eq!(run.code, Some(1), "{}", run.stderr);
                assert!(run.stdout.is_empty());
                // The server's own refusal, as a DataError.
                let first = run.stderr.lines().next().unwrap_or_default();
                assert!(
                    first.starts_with("error: DataError: ") && first.contains("0x00"),
                    "{}",
                    run.stderr
                );
                let count = djq(
                    &db.url,
                    None,
                    &[],
                    "Author.objects.filter(name='nul').count()\n",
                );
                assert_eq!(count.documents(), [Json::from(0)], "nothing written");
            }
        }
    }
}

/// Models whose table and column names are SQL keywords or hold spaces and double quotes.
const ODD_MODELS: &str = r#"from django.db import models


class Order(models.Model):
    select = models.CharField(max_length=50, db_column="select")
    group = models.IntegerField(db_column="group by")

    class Meta:
        db_table = "order"


class Weird(models.Model):
    name = models.CharField(max_length=50, db_column='na"me')
    order = models.ForeignKey(Order, on_delete=models.CASCADE, db_column="from")

    class Meta:
        db_table = 'we"ird'
"#;

#[test]
fn odd_identifiers_are_always_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models.py");
    std::fs::write(&models, ODD_MODELS).unwrap();
    let schema = |serial: &str| {
        format!(
            "CREATE TABLE \"order\" (\"id\" {serial}, \"select\" varchar(50) NOT NULL, \
             \"group by\" integer NOT NULL);\n\
             CREATE TABLE \"we\"\"ird\" (\"id\" {serial}, \"na\"\"me\" varchar(50) NOT NULL, \
             \"from\" integer NOT NULL REFERENCES \"order\" (\"id\"));\n"
        )
    };
    let mut dbs = Vec::new();
    let path = dir.path().join("odd.sqlite3");
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch(&schema("integer PRIMARY KEY AUTOINCREMENT"))
        .unwrap();
    dbs.push(("sqlite", path.display().to_string()));
    if let Some(server) = pg::server() {
        dbs.push((
            "postgres",
            server.database_from_sql(&schema(
                "integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY",
            )),
        ));
    }
    let script = "o = Order.objects.create(select='drop', group=2)\n\
                  Order.objects.create(select='from', group=1)\n\
                  Weird.objects.create(name='w\"1', order=o)\n\
                  Order.objects.filter(select__startswith='dr').values_list('group', flat=True)\n\
                  Order.objects.order_by('-group').values_list('select', flat=True)\n\
                  Weird.objects.filter(order__select='drop').values_list('name', flat=True)\n\
                  Weird.objects.order_by('order__group', 'name').values('name', 'order__select')\n";
    for (backend, url) in &dbs {
        let docs = djq(url, Some(&models), &[], script).documents();
        assert_eq!(
            docs[2..],
            [
                serde_json::json!([2]),
                serde_json::json!(["drop", "from"]),
                serde_json::json!(["w\"1"]),
                serde_json::json!([{"name": "w\"1", "order__select": "drop"}]),
            ],
            "{backend}"
        );
        let sql = djq(
            url,
            Some(&models),
            &["--sql-only"],
            "Weird.objects.filter(order__select='x').order_by('name')\n",
        )
        .documents();
        let text = sql[0][0]["sql"].as_str().unwrap().to_string();
        for quoted in [
            "\"we\"\"ird\"",
            "\"na\"\"me\"",
            "\"order\"",
            "\"select\"",
            "\"from\"",
        ] {
            assert!(text.contains(quoted), "{backend}: {quoted} not in {text}");
        }
    }
}
