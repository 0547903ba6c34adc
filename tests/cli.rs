//! The djq binary as users run it (SPEC.md's command-line contract): exit statuses, errors
//! with carets, `-c`/`-f`/stdin, the output formats, `--sql-only` with and without a
//! database, `DATABASE_URL`, colors, Ctrl-C during a query. Real SQLite files, no mocks. Where a test checks what
//! Django does (rows, SQL, messages), the expectation comes from Django's recordings in
//! fixtures/conformance/ (tools/record.py).

mod support;

use assert_cmd::Command;
use serde_json::Value as Json;
use std::time::Duration;
use support::Run;
use support::root;

const LIBRARY: &str = "fixtures/demo/library.sqlite3";
const LIBRARY_MODELS: &str = "fixtures/demo/books/models.py";
const BLOG: &str = "fixtures/blog/blog.sqlite3";

/// djq run from the repository root, untouched by the caller's DATABASE_URL and NO_COLOR.
fn djq() -> Command {
    let mut cmd = Command::from_std(support::djq());
    cmd.env_remove("NO_COLOR");
    cmd
}

/// djq on the library fixture, with its models.py (Django's field order, related names).
fn library() -> Command {
    let mut cmd = djq();
    cmd.args([LIBRARY, "--models", LIBRARY_MODELS]);
    cmd
}

fn run(cmd: &mut Command) -> Run {
    cmd.output().expect("run djq").into()
}

/// `cmd` followed by `-c CODE` for each of `code`.
fn with_code<'a>(mut cmd: Command, code: impl IntoIterator<Item = &'a str>) -> Command {
    for c in code {
        cmd.arg("-c").arg(c);
    }
    cmd
}

/// Django's recording of one expression of the library corpus (tools/record.py).
fn recorded(expr: &str) -> Json {
    recorded_in("library", expr)
}

fn recorded_in(corpus: &str, expr: &str) -> Json {
    let path = root().join(format!("fixtures/conformance/{corpus}.sqlite.json"));
    let doc: Json = serde_json::from_str(&std::fs::read_to_string(path).expect("recording"))
        .expect("valid JSON");
    doc["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["expr"] == expr)
        .unwrap_or_else(|| panic!("{expr} is not in {corpus}.corpus"))
        .clone()
}

/// Stdout as a stream of JSON documents.
fn json_documents(stdout: &str) -> Vec<Json> {
    serde_json::Deserializer::from_str(stdout)
        .into_iter::<Json>()
        .collect::<Result<_, _>>()
        .unwrap_or_else(|e| panic!("stdout is not a stream of JSON documents ({e}):\n{stdout}"))
}

/// JSON documents equal, object keys in the same order (Django's column order).
fn assert_same_json(actual: &[Json], expected: &[Json]) {
    let text = |docs: &[Json]| docs.iter().map(Json::to_string).collect::<Vec<_>>();
    assert_eq!(text(actual), text(expected));
}

/// SQL with `?` placeholders and its parameters, as djq's text output shows it: each
/// parameter inlined as a SQL literal, then `;`.
fn inlined(sql: &str, params: &[Json]) -> String {
    let mut params = params.iter();
    let mut out = String::new();
    for (i, piece) in sql.split('?').enumerate() {
        if i > 0 {
            match params.next().expect("a parameter per placeholder") {
                Json::String(s) => out.push_str(&format!("'{}'", s.replace('\'', "''"))),
                other => out.push_str(&other.to_string()),
            }
        }
        out.push_str(piece);
    }
    out + ";"
}

// ---------------------------------------------------------------------------------------
// exit statuses and errors
// ---------------------------------------------------------------------------------------

#[test]
fn exit_status_is_0_on_success_1_on_errors_in_the_code_and_2_on_usage() {
    let cases: &[(&[&str], i32)] = &[
        (&["-c", "Book.objects.count()"], 0),
        (&["-c", "Book.objects.filter(pages__gt=400"], 1),
        (&["-c", "Book.objects.filter(pags__gt=400)"], 1),
        (&["-c", "Book.objects.get(pk=9999)"], 1),
        (&["-c", "Bok.objects.all()"], 1),
        (&["-c", "Book.objects.fliter(pages__gt=400)"], 1),
        (&["--format", "nope", "-c", "Book.objects.count()"], 2),
        (
            &[
                "--dialect",
                "mysql",
                "--sql-only",
                "-c",
                "Book.objects.all()",
            ],
            2,
        ),
        (&["--no-such-flag"], 2),
        (&["-f", "fixtures/scripts/no_such_script.py"], 2),
    ];
    for (args, code) in cases {
        let r = run(library().args(*args));
        assert_eq!(r.code, Some(*code), "djq {args:?}\n{r:?}");
        if *code != 0 {
            assert!(
                r.stderr.starts_with("error: "),
                "djq {args:?}: {}",
                r.stderr
            );
        }
    }
}

#[test]
fn exit_ends_the_run_with_its_status_and_keeps_what_it_did() {
    let (_dir, db) = support::demo_sqlite_copy();
    let script = "\
a = Author.objects.create(name='Exit Test')
print('before')
try:
    exit(3)
except Exception:
    print('caught by except Exception')
print('after')
";
    let r = run(djq().args([&db, "-c", script]));
    assert_eq!(r.code, Some(3), "{r:?}");
    assert_eq!(r.stdout, "before\n");
    assert_eq!(r.stderr, "", "exit() is no error");
    // What ran before exit() is kept (the run's transaction commits), as under Python.
    let count = run(djq().args([
        &db,
        "-c",
        "print(Author.objects.filter(name='Exit Test').count())",
    ]));
    assert_eq!(count.stdout, "1\n");
    for (code, status, stderr) in [
        ("exit()", 0, ""),
        ("quit(None)", 0, ""),
        ("exit(258)", 2, ""),
        ("exit('bye')", 1, "bye\n"),
    ] {
        let r = run(library().args(["-c", code, "-c", "print('not reached')"]));
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (Some(status), ""),
            "{code}: {r:?}"
        );
        assert_eq!(r.stderr, stderr, "{code}");
    }
}

#[test]
fn sets_show_as_python_shows_them_and_as_arrays_in_json() {
    let r = run(library().args(["-c", "{3, 1, 2}", "-c", "frozenset({2, 1})", "-c", "set()"]));
    assert_eq!(r.stdout, "{1, 2, 3}\nfrozenset({1, 2})\nset()\n", "{r:?}");
    let r = run(library().args(["--format", "json", "-c", "({3, 1}, frozenset())"]));
    assert_eq!(r.stdout, "[[1,3],[]]\n", "{r:?}");
}

#[test]
fn print_writes_to_the_file_it_is_given() {
    let r = run(library().args([
        "-c",
        "import sys\nprint('out', file=sys.stdout)\nprint('err', 1, sep='-', file=sys.stderr)\nprint('out again', file=None)",
    ]));
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(r.stdout, "out\nout again\n");
    assert_eq!(r.stderr, "err-1\n");
}

#[test]
fn help_describes_builtins_and_djangos_objects_in_their_own_words() {
    let r = run(library().args(["-c", "help(len)\nhelp(Book.objects.filter)\nhelp(Author)"]));
    assert_eq!(r.code, Some(0), "{r:?}");
    assert_eq!(
        r.stdout,
        "Help on built-in function len in module builtins:\n\nlen(obj, /)\n    Return the number of items in a container.\n\n\
         Help on method filter in module django.db.models.manager:\n\n\
         filter(*args, **kwargs) method of django.db.models.manager.Manager instance\n    \
         Return a new QuerySet instance with the args ANDed to the existing set.\n\n\
         Help on class Author in module books.models:\n\nclass Author(django.db.models.base.Model)\n |  \
         Author(id, name, birth_date, biography)\n\n"
    );
}

#[test]
fn unknown_field_shows_djangos_message_a_caret_and_a_suggestion() {
    let django = recorded("Book.objects.filter(pags__gt=1)");
    let message = django["error"]["message"]
        .as_str()
        .expect("Django's message");
    let r = run(library().args(["-c", "Book.objects.filter(pags__gt=400)"]));
    assert_eq!(r.code, Some(1));
    assert_eq!(r.stdout, "");
    assert_eq!(
        r.stderr,
        format!(
            "error: FieldError: {message}
  --> -c:1:21
   |
 1 | Book.objects.filter(pags__gt=400)
   |                     ^^^^^^^^^^^^
   = help: did you mean 'pages'?
"
        )
    );
}

#[test]
fn wrong_expressions_give_djangos_error_under_the_culprit() {
    for (expr, column, width) in [
        ("Author.objects.annotate(n=Count('nope'))", 33, 6),
        ("Book.objects.annotate(x=Sum('title') + 1)", 23, 18),
        ("Book.objects.filter(pages__gt=Avg('pages'))", 21, 22),
    ] {
        let django = &recorded_in("library_agg", expr)["error"];
        let r = run(library().args(["-c", expr]));
        assert_eq!(r.code, Some(1), "{expr}");
        let head = format!(
            "error: {}: {}\n  --> -c:1:{column}\n   |\n 1 | {expr}\n   | {}{}\n",
            django["type"].as_str().unwrap(),
            django["message"].as_str().unwrap(),
            " ".repeat(column - 1),
            "^".repeat(width)
        );
        assert!(r.stderr.starts_with(&head), "{expr}:\n{}", r.stderr);
    }
}

#[test]
fn syntax_error_points_at_the_unclosed_bracket() {
    let r = run(library().args(["-c", "Book.objects.filter(pages__gt=400"]));
    assert_eq!(
        r.stderr,
        "error: SyntaxError: '(' was never closed
  --> -c:1:20
   |
 1 | Book.objects.filter(pages__gt=400
   |                    ^
"
    );
}

#[test]
fn unknown_model_name_suggests_the_model() {
    let r = run(library().args(["-c", "Bok.objects.all()"]));
    assert_eq!(
        r.stderr,
        "error: NameError: name 'Bok' is not defined
  --> -c:1:1
   |
 1 | Bok.objects.all()
   | ^^^
   = help: did you mean 'Book'?
"
    );
}

#[test]
fn unknown_queryset_method_suggests_the_method() {
    let r = run(library().args(["-c", "x = 1\nBook.objects.fliter(pages__gt=400)"]));
    assert_eq!(
        r.stderr,
        "error: AttributeError: 'Manager' object has no attribute 'fliter'
  --> -c:2:14
   |
 2 | Book.objects.fliter(pages__gt=400)
   |              ^^^^^^
   = help: did you mean 'filter'?
"
    );
}

#[test]
fn does_not_exist_is_reported_like_django() {
    let django = recorded("Book.objects.get(pk=9999)");
    let message = django["error"]["message"].as_str().expect("message");
    let r = run(library().args(["-c", "Book.objects.get(pk=9999)"]));
    assert_eq!(r.code, Some(1));
    let first = r.stderr.lines().next().unwrap_or_default();
    assert_eq!(first, format!("error: Book.DoesNotExist: {message}"));
}

#[test]
fn database_errors_exit_1() {
    // A copy of the library whose books_book lost a column models.py still declares.
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("damaged.sqlite3");
    std::fs::copy(root().join(LIBRARY), &db).unwrap();
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute_batch(
        "CREATE TABLE t AS SELECT id, title, author_id, publication_date, isbn, genre FROM books_book;
         DROP TABLE books_book;
         ALTER TABLE t RENAME TO books_book;",
    )
    .unwrap();
    drop(conn);
    let r = run(djq().arg(&db).args([
        "--models",
        LIBRARY_MODELS,
        "-c",
        "Book.objects.filter(pages__gt=400).count()",
    ]));
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(
        r.stderr
            .starts_with("error: OperationalError: no such column: books_book.pages"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("pages"), "{}", r.stderr);
}

#[test]
fn a_missing_database_file_is_an_error_and_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.sqlite3");
    let r = run(djq().arg(&missing).args(["-c", "Book.objects.count()"]));
    assert_eq!(r.code, Some(1));
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(r.stderr.contains("nope.sqlite3"), "{}", r.stderr);
    assert!(!missing.exists(), "djq created {}", missing.display());
}

// ---------------------------------------------------------------------------------------
// -c, -f, stdin
// ---------------------------------------------------------------------------------------

#[test]
fn c_is_repeatable_and_runs_in_one_session() {
    let django = recorded("Author.objects.get(name=\"Jane Austen\").books.all()");
    let books = django["result"].as_array().expect("rows").len();
    let r = run(&mut with_code(
        library(),
        [
            "a = Author.objects.get(name=\"Jane Austen\")",
            "a.books.count()",
        ],
    ));
    assert_eq!(
        (r.code, r.stdout),
        (Some(0), format!("{books}\n")),
        "{}",
        r.stderr
    );
}

#[test]
fn c_runs_several_statements_and_the_first_error_stops_the_run() {
    let r = run(&mut with_code(
        library(),
        [
            "n = 2; print('first', n)",
            "print('second')\nundefined_name",
            "print('never')",
        ],
    ));
    assert_eq!(r.code, Some(1));
    assert_eq!(r.stdout, "first 2\nsecond\n");
    assert!(
        r.stderr
            .starts_with("error: NameError: name 'undefined_name' is not defined"),
        "{}",
        r.stderr
    );
}

const SCRIPT: &str =
    "for b in Book.objects.filter(pages__gt=1200).order_by('title'):\n    print(b.title)\n";

#[test]
fn piped_stdin_without_c_or_f_runs_as_a_script() {
    let r = run(library().write_stdin(SCRIPT));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "Les Misérables\nThe Wealth of Nations\nWar and Peace\n"
    );
}

#[test]
fn f_dash_reads_the_script_from_stdin() {
    let r = run(library().args(["-f", "-"]).write_stdin(SCRIPT));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        r.stdout,
        "Les Misérables\nThe Wealth of Nations\nWar and Peace\n"
    );
}

#[test]
fn f_runs_a_file_and_errors_name_it() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("long_books.py");
    std::fs::write(
        &script,
        format!("{SCRIPT}print(Book.objects.get(pk=9999))\n"),
    )
    .unwrap();
    let r = run(library().arg("-f").arg(&script));
    assert_eq!(r.code, Some(1));
    assert_eq!(
        r.stdout,
        "Les Misérables\nThe Wealth of Nations\nWar and Peace\n"
    );
    let location = r.stderr.lines().nth(1).unwrap_or_default();
    assert_eq!(location, format!("  --> {}:3:7", script.display()));
}

// ---------------------------------------------------------------------------------------
// output formats
// ---------------------------------------------------------------------------------------

/// The bound the endless-input tests hold djq's peak memory to (it reads at most 16 MiB of a
/// script; reading /dev/zero whole grew past 17 GB).
const ENDLESS_INPUT_PEAK: u64 = 200 << 20;

/// djq (on the demo database) as a std Command, for support::peak.
fn measured_djq(args: &[&str], stdin: std::process::Stdio) -> support::peak::Measured {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_djq"));
    cmd.current_dir(root())
        .env_remove("DATABASE_URL")
        .args(args)
        .stdin(stdin);
    let m = support::peak::measure(cmd);
    eprintln!("djq {args:?}: peak {:.1} MB", m.peak as f64 / 1e6);
    assert!(
        m.peak < ENDLESS_INPUT_PEAK,
        "djq {args:?} peaked at {} bytes",
        m.peak
    );
    assert_eq!(m.stdout, "");
    m
}

#[test]
fn endless_scripts_fail_at_once_in_bounded_memory() {
    let null = |name: &str| {
        format!("error: SyntaxError: source code cannot contain null bytes\n  --> {name}:1:1\n")
    };
    // -f /dev/zero and /dev/zero on stdin: the first NUL byte, as Python refuses it.
    let m = measured_djq(&["-f", "/dev/zero"], std::process::Stdio::null());
    assert_eq!(m.code, Some(1));
    assert!(m.stderr.starts_with(&null("/dev/zero")), "{}", m.stderr);
    let zero = || std::fs::File::open("/dev/zero").expect("/dev/zero");
    for args in [&[][..], &["-f", "-"]] {
        let m = measured_djq(args, zero().into());
        assert_eq!(m.code, Some(1));
        assert!(m.stderr.starts_with(&null("<stdin>")), "{}", m.stderr);
    }
    // An endless pipe of valid code: refused past the documented size.
    let mut yes = std::process::Command::new("yes")
        .arg("x = 1")
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("start yes");
    let m = measured_djq(&[], yes.stdout.take().expect("yes's output").into());
    yes.kill().expect("stop yes");
    yes.wait().expect("reap yes");
    assert_eq!(m.code, Some(2));
    assert_eq!(
        m.stderr,
        "error: IOError: cannot read standard input: a script may hold at most 16 MiB (16777216 bytes)\n"
    );
}

#[test]
fn json_prints_one_document_per_displayed_value_and_nothing_else() {
    let exprs = [
        "Book.objects.filter(pages__gt=900)",
        "Book.objects.get(pk=1)",
        "Book.objects.count()",
        "Book.objects.filter(pages__gt=5000).exists()",
        "Book.objects.filter(pages__gt=5000).first()",
        "Book.objects.values('title', 'pages')[:10]",
        "Book.objects.values_list('title', 'pages')[:10]",
        "Book.objects.values_list('title', flat=True)[:10]",
    ];
    // Assignments display nothing.
    let code = std::iter::once("x = Book.objects.get(pk=2)")
        .chain(exprs)
        .chain(["y = x.title"]);
    let r = run(with_code(library(), code).args(["--format", "json"]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let docs = json_documents(&r.stdout);
    let expected: Vec<Json> = exprs
        .iter()
        .map(|e| recorded(e)["result"].clone())
        .collect();
    assert_same_json(&docs, &expected);
}

#[test]
fn ndjson_prints_one_row_per_line() {
    let expr = "Book.objects.values('title', 'pages')[:10]";
    let r = run(library().args(["--format", "ndjson", "-c", expr]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let rows: Vec<Json> = r
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON document per line"))
        .collect();
    assert_same_json(&[Json::Array(rows)], &[recorded(expr)["result"].clone()]);
}

#[test]
fn csv_prints_a_header_then_the_rows() {
    let expr = "Book.objects.values('title', 'pages')[:10]";
    let r = run(library().args(["--format", "csv", "-c", expr]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let mut reader = csv::Reader::from_reader(r.stdout.as_bytes());
    assert_eq!(reader.headers().unwrap(), vec!["title", "pages"]);
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect();
    let expected: Vec<Vec<String>> = recorded(expr)["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            vec![
                row["title"].as_str().unwrap().to_string(),
                row["pages"].to_string(),
            ]
        })
        .collect();
    assert_eq!(rows, expected);
}

#[test]
fn vertical_prints_one_block_per_record() {
    let expr = "Book.objects.filter(pages__gt=900)";
    let rows = recorded(expr)["result"].as_array().unwrap().clone();
    let r = run(library().args(["--format", "vertical", "-c", expr]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    for field in [
        "id",
        "title",
        "author_id",
        "publication_date",
        "isbn",
        "genre",
        "pages",
    ] {
        let lines = r
            .stdout
            .lines()
            .filter(|l| l.split('|').next().is_some_and(|k| k.trim() == field))
            .count();
        assert_eq!(lines, rows.len(), "{field} lines in:\n{}", r.stdout);
    }
    for row in &rows {
        let title = row["title"].as_str().unwrap();
        assert!(r.stdout.contains(title), "{title} missing");
    }
}

#[test]
fn table_output_on_a_pipe_is_the_table_without_sql_or_colors() {
    let r = run(library().args([
        "-c",
        "Book.objects.filter(pages__gt=1200).order_by('title')",
    ]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(!r.stdout.contains("SELECT"), "{}", r.stdout);
    for title in ["Les Misérables", "The Wealth of Nations", "War and Peace"] {
        assert!(r.stdout.contains(title), "{}", r.stdout);
    }
}

// ---------------------------------------------------------------------------------------
// --sql-only
// ---------------------------------------------------------------------------------------

#[test]
fn sql_only_prints_each_statement_and_runs_nothing() {
    // Run, get() would raise DoesNotExist: nothing is run.
    let expr = "Book.objects.get(pk=9999)";
    let django = recorded(expr);
    let q = &django["queries"][0];
    let r = run(library().args(["--sql-only", "-c", expr]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        r.stdout,
        format!(
            "{}\n",
            inlined(q["sql"].as_str().unwrap(), q["params"].as_array().unwrap())
        )
    );
}

#[test]
fn sql_only_json_prints_sql_and_params_per_statement() {
    let exprs = [
        "Book.objects.filter(author__name=\"Jane Austen\")",
        "Book.objects.filter(pages__gt=400).exists()",
        "Author.objects.prefetch_related('books').all()",
    ];
    let r = run(with_code(library(), exprs).args(["--sql-only", "--format", "json"]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let docs = json_documents(&r.stdout);
    // Prefetching needs the fetched rows: with --sql-only only the main query is known.
    let mut expected: Vec<Json> = exprs
        .iter()
        .map(|e| recorded(e)["queries"].clone())
        .collect();
    expected[2] = Json::Array(vec![expected[2][0].clone()]);
    assert_eq!(docs, expected);
}

/// Each top-level statement's line is the compact JSON serde_json writes for its statements
/// (escapes included), and holds every statement it would run, more than the query log keeps
/// (Django's 9,000) too.
#[test]
fn sql_only_json_lines_are_serde_json_text_and_keep_every_statement() {
    let exprs = [
        "Book.objects.filter(title=\"a \\\"q\\\" \\\\ b\\nc \u{e9}\\t\\x01\\x7f\", pages__in=[1, 2])",
        "for i in range(9005): list(Book.objects.filter(pages=i))",
    ];
    let r = run(with_code(library(), exprs).args(["--sql-only", "--format", "json"]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    for line in &lines {
        let doc: Json = serde_json::from_str(line).unwrap();
        assert_eq!(doc.to_string(), *line);
    }
    let first: Json = serde_json::from_str(lines[0]).unwrap();
    let text = "a \"q\" \\ b\nc \u{e9}\t\u{1}\u{7f}";
    assert_eq!(first[0]["params"], serde_json::json!([1, 2, text]));
    let loop_: Json = serde_json::from_str(lines[1]).unwrap();
    let params: Vec<&Json> = loop_
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["params"][0])
        .collect();
    assert_eq!(
        params,
        (0..9005)
            .map(Json::from)
            .collect::<Vec<_>>()
            .iter()
            .collect::<Vec<_>>()
    );
}

/// A method chained on a queryset a name holds, or a slice of it, gives a new queryset and
/// leaves the name's as it was (querysets nothing holds are changed in place).
#[test]
fn sql_only_chained_methods_leave_the_queryset_a_name_holds_as_it_was() {
    let alone = run(library().args(["--sql-only", "-c", "Book.objects.filter(pages__gt=100)"]));
    assert_eq!(alone.code, Some(0), "{}", alone.stderr);
    let r = run(with_code(
        library(),
        [
            "a = Book.objects.filter(pages__gt=100)",
            "b = a.filter(pages__lt=500).order_by('title')",
            "c = a[:2]",
            "a",
            "b",
        ],
    )
    .arg("--sql-only"));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let lines: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", r.stdout);
    assert_eq!(format!("{}\n", lines[0]), alone.stdout);
    assert!(lines[1].contains("ORDER BY"), "{}", lines[1]);
}

#[test]
fn sql_only_explains_why_fetched_objects_are_none() {
    let r = run(with_code(
        library(),
        ["a = Author.objects.get(pk=1)", "a.books.count()"],
    )
    .arg("--sql-only"));
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr
            .starts_with("error: AttributeError: 'NoneType' object has no attribute 'books'"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("--sql-only runs no query"),
        "{}",
        r.stderr
    );
}

#[test]
fn sql_only_with_models_needs_no_database() {
    let expr = "Book.objects.filter(Q(genre=\"FIC\") | Q(pages__gt=400))";
    let django = recorded(expr);
    let q = &django["queries"][0];
    let dir = tempfile::tempdir().unwrap();
    let models = root().join(LIBRARY_MODELS);
    let no_database = |extra: &[&str]| {
        let mut cmd = Command::cargo_bin("djq").unwrap();
        cmd.current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .arg("--models")
            .arg(&models)
            .arg("--sql-only")
            .args(extra)
            .args(["-c", expr]);
        run(&mut cmd)
    };
    for dialect in [&[][..], &["--dialect", "sqlite"][..]] {
        let r = no_database(&[dialect, &["--format", "json"]].concat());
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_eq!(json_documents(&r.stdout), vec![django["queries"].clone()]);
        let r = no_database(dialect);
        assert_eq!(
            r.stdout,
            format!(
                "{}\n",
                inlined(q["sql"].as_str().unwrap(), q["params"].as_array().unwrap())
            )
        );
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "files were created"
    );
}

// ---------------------------------------------------------------------------------------
// database selection and session options
// ---------------------------------------------------------------------------------------

#[test]
fn database_url_picks_the_database() {
    let blog = root().join(BLOG);
    for url in [
        blog.display().to_string(),
        format!("sqlite://{}", blog.display()),
    ] {
        let r = run(djq().env("DATABASE_URL", &url).args([
            "--format",
            "json",
            "-c",
            "Tag.objects.filter(name='python').count()",
        ]));
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (Some(0), "1\n"),
            "{url}: {}",
            r.stderr
        );
    }
    // A DATABASE argument wins over DATABASE_URL.
    let r = run(library().env("DATABASE_URL", &blog).args([
        "--format",
        "json",
        "-c",
        "Book.objects.count()",
    ]));
    assert_eq!(
        r.stdout,
        format!("{}\n", recorded("Book.objects.count()")["result"])
    );
}

#[test]
fn help_names_database_url_but_never_shows_its_value() {
    let r = run(djq()
        .env("DATABASE_URL", "postgres://u:S3CR3T@h/db")
        .arg("--help"));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.contains("[env: DATABASE_URL]"), "{}", r.stdout);
    assert!(!r.stdout.contains("S3CR3T"), "{}", r.stdout);
    // An empty variable counts as unset: the demo library opens.
    let r = run(djq().env("DATABASE_URL", "").args([
        "--format",
        "json",
        "-c",
        "Author.objects.count()",
    ]));
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (Some(0), "70\n"),
        "{}",
        r.stderr
    );
}

#[test]
fn passwords_in_the_url_are_never_echoed() {
    for url in [
        "postgres://u:%ff%fe@h/db",
        "postgres://u@h/db?password=%ff%fe",
    ] {
        let r = run(djq().args([url, "-c", "1"]));
        assert_eq!(r.code, Some(1));
        assert!(!r.stderr.contains("%ff"), "{}", r.stderr);
        assert!(r.stderr.contains("is not valid UTF-8"), "{}", r.stderr);
    }
    let r = run(djq().args(["postgres://u:%ff%fe@h/db", "-c", "1"]));
    assert_eq!(
        r.stderr,
        "error: IOError: the password in the database URL is not valid UTF-8 once percent-decoded\n"
    );
}

#[test]
fn a_password_file_others_can_read_is_ignored_with_libpqs_warning() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pgpass");
    std::fs::write(&file, "*:*:*:*:S3CR3T\n").unwrap();
    // Nothing listens on the port: the run fails after the password file is considered.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://u@127.0.0.1:{port}/db?sslmode=disable");
    let warning = format!(
        "warning: password file \"{}\" has group or world access; permissions should be u=rw \
         (0600) or less\n",
        file.display()
    );
    for (mode, warned) in [(0o600, false), (0o400, false), (0o644, true), (0o660, true)] {
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(mode)).unwrap();
        let r = run(djq()
            .env("PGPASSFILE", &file)
            .args([url.as_str(), "-c", "1"]));
        assert_eq!(r.code, Some(1), "{mode:o}");
        assert_eq!(
            r.stderr.starts_with(&warning),
            warned,
            "{mode:o}: {}",
            r.stderr
        );
        assert!(
            r.stderr.contains("Connection refused"),
            "{mode:o}: {}",
            r.stderr
        );
    }
    // A directory is not a password file either.
    let r = run(djq()
        .env("PGPASSFILE", dir.path())
        .args([url.as_str(), "-c", "1"]));
    assert!(
        r.stderr.starts_with(&format!(
            "warning: password file \"{}\" is not a plain file\n",
            dir.path().display()
        )),
        "{}",
        r.stderr
    );
}

#[test]
fn read_only_and_rollback_run_reads() {
    let expr = "Book.objects.filter(pages__gt=900)";
    for flag in ["--read-only", "--rollback"] {
        let r = run(library().args([flag, "--format", "json", "-c", expr]));
        assert_eq!(r.code, Some(0), "{flag}: {}", r.stderr);
        assert_same_json(
            &json_documents(&r.stdout),
            &[recorded(expr)["result"].clone()],
        );
    }
}

#[test]
fn no_ansi_escapes_when_piped_or_colors_are_off() {
    let code = [
        "Book.objects.filter(pages__gt=1200)",
        "Book.objects.fliter()",
    ];
    let runs = [
        run(&mut with_code(library(), code)),
        run(with_code(library(), code).env("NO_COLOR", "1")),
        run(with_code(library(), code).arg("--no-color")),
        run(with_code(library(), code).args(["--sql-only", "--no-color"])),
    ];
    for r in runs {
        assert_eq!(r.code, Some(1));
        assert!(!r.stdout.is_empty() && !r.stderr.is_empty(), "{r:?}");
        assert!(
            !r.stdout.contains('\x1b') && !r.stderr.contains('\x1b'),
            "{r:?}"
        );
    }
}

#[test]
fn the_bundled_demo_database_is_used_without_a_database() {
    let expr = "Book.objects.filter(pages__gt=900)";
    let r = run(djq().args(["--format", "json", "-c", expr]));
    assert_same_json(
        &json_documents(&r.stdout),
        &[recorded(expr)["result"].clone()],
    );
}

#[test]
fn ctrl_c_cancels_the_running_query_and_the_run_fails() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = support::slow::sqlite(dir.path());
    let models = support::slow::models(dir.path());
    let r = support::slow::interrupt(
        &db,
        &models,
        &[
            "-c",
            "print('started')",
            "-c",
            "Slow.objects.count()",
            "-c",
            "print('not reached')",
        ],
    );
    assert!(
        r.after < Duration::from_secs(2),
        "djq ended {:?} after Ctrl-C",
        r.after
    );
    assert_eq!(r.status.code(), Some(1), "{:?}", r.status);
    assert_eq!(r.stdout, "", "nothing runs after the cancelled query");
    assert!(
        r.stderr
            .starts_with("error: OperationalError: query cancelled\n"),
        "{}",
        r.stderr
    );
}

// ---------------------------------------------------------------------------------------
// control characters from the database
// ---------------------------------------------------------------------------------------

/// A terminal control character that must never reach people's output raw.
fn raw_control(text: &str) -> Option<char> {
    text.chars().find(|&c| c != '\n' && c.is_control())
}

#[test]
fn control_characters_are_escaped_in_table_and_vertical_output_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let db = support::hostile_database(dir.path());
    let db = db.to_str().unwrap();
    let header = format!(
        "Evil2J.objects.annotate(**{{'{}': F('id')}}).values('{}')",
        support::CLEAR,
        support::CLEAR
    );
    let code = [
        "Evil2J.objects.order_by('id')",
        "Evil2J.objects.get(pk=1)",
        "Evil2J.objects.get(pk=1).note",
        "list(Evil2J.objects.order_by('id').values_list('note', flat=True))",
        header.as_str(),
    ];
    for format in ["table", "vertical"] {
        let r = run(with_code(djq(), code).args([db, "--format", format]));
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert_eq!(raw_control(&r.stdout), None, "{format}:\n{}", r.stdout);
        for shown in [r"\x1b]0;pwned\x07a", r"b\x1b[2J", r"tab\there\r\x9b\x7f"] {
            assert!(
                r.stdout.contains(shown),
                "{format}: {shown} in\n{}",
                r.stdout
            );
        }
        // A list shows Python's repr of its strings.
        assert!(
            r.stdout.contains(r"['b\x1b[2J', 'line1\nline2']"),
            "{}",
            r.stdout
        );
        // A newline in a value is laid out on the next line.
        assert!(
            r.stdout
                .lines()
                .any(|l| l.contains("line2") && !l.contains("line1")),
            "{}",
            r.stdout
        );
    }
    // The SQL shown for people.
    let r = run(djq().args([db, "--sql-only", "-c", "Evil2J.objects.all()"]));
    assert_eq!(raw_control(&r.stdout), None, "{}", r.stdout);
    assert!(r.stdout.contains(r#"FROM "evil\x1b[2J""#), "{}", r.stdout);
    // Errors quoting a value or a name.
    for code in [
        "Evil2J.objects.filter(id=Evil2J.objects.get(pk=1).note)",
        &format!("Evil2J.objects.filter(**{{'{}': 1}})", support::RETITLE),
    ] {
        let r = run(djq().args([db, "-c", code]));
        assert_eq!(r.code, Some(1));
        assert_eq!(raw_control(&r.stderr), None, "{}", r.stderr);
    }
    let r = run(djq().args([
        db,
        "-c",
        "Evil2J.objects.filter(id=Evil2J.objects.get(pk=1).note)",
    ]));
    assert!(
        r.stderr
            .starts_with(r"error: ValueError: Field 'id' expected a number but got 'b\x1b[2J'."),
        "{}",
        r.stderr
    );
}

#[test]
fn csv_json_and_print_stay_exact() {
    let dir = tempfile::tempdir().unwrap();
    let db = support::hostile_database(dir.path());
    let db = db.to_str().unwrap();
    let all = "Evil2J.objects.order_by('id')";
    let r = run(djq().args([db, "--format", "json", "-c", all]));
    let rows = json_documents(&r.stdout);
    assert_eq!(
        rows,
        [serde_json::json!([
            {"id": 1, "na_0_pwned_me": format!("{}a", support::RETITLE), "note": format!("b{}", support::CLEAR)},
            {"id": 2, "na_0_pwned_me": "tab\there\r\u{9b}\x7f", "note": "line1\nline2"},
        ])]
    );
    let r = run(djq().args([db, "--format", "ndjson", "-c", all]));
    assert_eq!(json_documents(&r.stdout).len(), 2);
    assert!(
        !r.stdout.contains('\x1b'),
        "JSON escapes ESC itself: {}",
        r.stdout
    );
    let r = run(djq().args([db, "--format", "csv", "-c", all]));
    assert_eq!(
        r.stdout,
        format!(
            "id,na_0_pwned_me,note\n1,{}a,b{}\n2,\"tab\there\r\u{9b}\x7f\",\"line1\nline2\"\n",
            support::RETITLE,
            support::CLEAR
        )
    );
    // What a program prints is its output, as Python writes it.
    let r = run(djq().args([db, "-c", "print(Evil2J.objects.get(pk=1).note)"]));
    assert_eq!(r.stdout, format!("b{}\n", support::CLEAR));
}

/// Same-named models in two apps (shop.Tag, fields.Tag): the bare name is the app read first,
/// as Django's shell imports models (earlier apps take precedence), with a notice naming the
/// other once; `app_label.Model` and `from app.models import Model` reach each, each on its
/// own table.
#[test]
fn same_named_models_resolve_by_app_and_a_bare_name_notices_what_it_shadows() {
    let cmd = with_code(
        {
            let mut c = djq();
            c.args([
                "--models",
                "fixtures/shop/shop",
                "--models",
                "fixtures/fields/fields",
                "--sql-only",
                "--dialect",
                "sqlite",
            ]);
            c
        },
        [
            "Tag.objects.all()",
            "Tag.objects.count()",
            "fields.Tag.objects.all()",
            "shop.Tag.objects.all()",
            "from fields.models import Tag as T; T.objects.count()",
        ],
    );
    let r = run(&mut { cmd });
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let notices: Vec<&str> = r
        .stderr
        .lines()
        .filter(|l| l.starts_with("notice:"))
        .collect();
    assert_eq!(
        notices,
        [
            "notice: Tag is shop.Tag (the app read first, as Django's shell imports models); fields.Tag also exists: reach it as written, or `from fields.models import Tag`"
        ]
    );
    let tables: Vec<&str> = r
        .stdout
        .lines()
        .map(|l| {
            if l.contains("fields_tag") {
                "fields_tag"
            } else if l.contains("shop_tag") {
                "shop_tag"
            } else {
                ""
            }
        })
        .filter(|t| !t.is_empty())
        .collect();
    assert_eq!(
        tables,
        [
            "shop_tag",
            "shop_tag",
            "fields_tag",
            "shop_tag",
            "fields_tag"
        ]
    );
}

/// Django 6's INSERT leaves to the database what models.py gives it: a GeneratedField, and a
/// db_default with no value (`Now()`, a constant); with nothing left to give, the primary key
/// gets the backend's default (`NULL` on SQLite, `DEFAULT` on PostgreSQL). (Django also
/// returns those columns, `RETURNING "id", "at", "n", "twice"`; djq reads them when next
/// used: only the statements' heads are compared.)
#[test]
fn inserts_leave_generated_and_db_default_columns_to_the_database() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("stamps")).unwrap();
    std::fs::write(
        dir.path().join("stamps/models.py"),
        "from django.db import models\n\
         from django.db.models.functions import Now\n\n\
         class Stamp(models.Model):\n    \
             at = models.DateTimeField(db_default=Now())\n    \
             n = models.IntegerField(db_default=1)\n    \
             twice = models.GeneratedField(expression=models.F('n') * 2, \
             output_field=models.IntegerField(), db_persist=True)\n",
    )
    .unwrap();
    for (dialect, expected) in [
        (
            "sqlite",
            [
                "INSERT INTO \"stamps_stamp\" (\"id\") VALUES (NULL) RETURNING \"stamps_stamp\".\"id\"",
                "INSERT INTO \"stamps_stamp\" (\"n\") VALUES (5) RETURNING \"stamps_stamp\".\"id\"",
            ],
        ),
        (
            "postgres",
            [
                "INSERT INTO \"stamps_stamp\" (\"id\") VALUES (DEFAULT) RETURNING \"stamps_stamp\".\"id\"",
                "INSERT INTO \"stamps_stamp\" (\"n\") VALUES (5) RETURNING \"stamps_stamp\".\"id\"",
            ],
        ),
    ] {
        let mut cmd = djq();
        cmd.arg("--models").arg(dir.path().join("stamps")).args([
            "--sql-only",
            "--dialect",
            dialect,
        ]);
        let r = run(&mut with_code(
            cmd,
            ["Stamp.objects.create()", "Stamp.objects.create(n=5)"],
        ));
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        let lines: Vec<&str> = r.stdout.lines().collect();
        assert_eq!(lines.len(), expected.len(), "{dialect}: {lines:?}");
        for (line, head) in lines.iter().zip(expected) {
            assert!(line.starts_with(head), "{dialect}: {line}");
        }
    }
    // Before the save, Django's attribute is a DatabaseDefault object, which djq has not.
    let mut cmd = djq();
    cmd.arg("--models")
        .arg(dir.path().join("stamps"))
        .args(["--sql-only", "--dialect", "sqlite"]);
    let r = run(&mut with_code(cmd, ["print(Stamp().n)"]));
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr
            .contains("NotSupportedError: n: its value is the database's (db_default) once saved"),
        "{}",
        r.stderr
    );
}

#[test]
fn window_annotations_print_djangos_over_clause() {
    let expr = "Book.objects.annotate(r=Window(DenseRank(), partition_by='genre', order_by='-pages')).order_by('genre', '-pages', 'id').values('genre', 'pages', 'r')";
    let django = recorded_in("library_window", expr);
    let r = run(library().args(["--sql-only", "-c", expr]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let sql = django["queries"][0]["sql"].as_str().expect("sql");
    assert!(sql.contains("OVER (PARTITION BY"), "{sql}");
    assert!(r.stdout.contains(sql), "{}\nwant {sql}", r.stdout);
}

#[test]
fn window_errors_are_djangos_and_filtering_on_a_window_wraps_the_query_as_django_does() {
    let expr = "Book.objects.annotate(u=Window(Upper('title')))";
    let django = &recorded_in("library_window", expr)["error"];
    let r = run(library().args(["-c", expr]));
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr
            .contains(django["message"].as_str().expect("message")),
        "{}",
        r.stderr
    );
    let expr = "Book.objects.alias(r=Window(RowNumber(), partition_by='author', order_by='publication_date')).filter(r=1).order_by('publication_date', 'id')";
    let django = recorded_in("library_window", expr);
    let sql = django["queries"][0]["sql"].as_str().expect("sql");
    assert!(sql.contains(") \"qualify\" WHERE \"qual0\" = ?"), "{sql}");
    let r = run(library().args(["--sql-only", "--format", "json", "-c", expr]));
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(
        r.stdout.contains(&serde_json::to_string(sql).unwrap()),
        "{}\nwant {sql}",
        r.stdout
    );
}

#[test]
fn select_for_update_is_djangos_clause_per_backend() {
    let path = root().join("fixtures/conformance/regressions.postgres.json");
    let pg: Json = serde_json::from_str(&std::fs::read_to_string(path).expect("recording"))
        .expect("valid JSON");
    for expr in [
        "Book.objects.select_for_update().filter(pk=1)",
        "Book.objects.select_for_update(nowait=True).filter(pk=1).values('title')",
        "Book.objects.select_for_update(skip_locked=True, no_key=True).filter(pages__gt=900).order_by('id')[:2]",
    ] {
        // SQLite: Django leaves the clause out, and djq runs the query.
        let django = recorded_in("regressions", expr);
        let sql = django["queries"][0]["sql"].as_str().expect("sql");
        assert!(!sql.contains("FOR "), "{sql}");
        let r = run(library().args(["--sql-only", "--format", "json", "-c", expr]));
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert!(
            r.stdout.contains(&serde_json::to_string(sql).unwrap()),
            "{}",
            r.stdout
        );
        // PostgreSQL: FOR [NO KEY] UPDATE [NOWAIT | SKIP LOCKED], as Django writes it.
        let entry = (pg["entries"].as_array().expect("entries").iter())
            .find(|e| e["expr"] == expr)
            .expect("recorded on PostgreSQL");
        let sql = entry["queries"][0]["sql"].as_str().expect("sql");
        assert!(sql.contains(" UPDATE"), "{sql}");
        let r = run(djq().args([
            "--models",
            LIBRARY_MODELS,
            "--sql-only",
            "--dialect",
            "postgres",
            "--format",
            "json",
            "-c",
            expr,
        ]));
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        assert!(
            r.stdout.contains(&serde_json::to_string(sql).unwrap()),
            "{}\nwant {sql}",
            r.stdout
        );
    }
    let expr = "Book.objects.select_for_update(nowait=True, skip_locked=True)";
    let django = &recorded_in("regressions", expr)["error"];
    let r = run(library().args(["-c", expr]));
    assert_eq!(r.code, Some(1));
    assert!(
        r.stderr.contains(django["message"].as_str().unwrap()),
        "{}",
        r.stderr
    );
}

/// A many-to-many through a multi-table child whose key is its parent's (`Member.booked_cafes`
/// through `Booking(Visit)`) is read as Django reads it (the conformance corpus `inherit` has
/// its joins); writing through its manager is refused, and nothing is written.
#[test]
fn writes_through_a_multi_table_child_through_model_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("inherit.sqlite3");
    std::fs::copy(root().join("fixtures/inherit/inherit.sqlite3"), &db).unwrap();
    let db = db.to_str().unwrap();
    let session = |code: &str| {
        let cmd = djq();
        let mut cmd = with_code(cmd, ["m = Member.objects.get(name='cleo')", code]);
        run(cmd.args([db, "--models", "fixtures/inherit", "--format", "json"]))
    };
    for (code, method) in [
        (
            "m.booked_cafes.add(Cafe.objects.get(name='Blue Cup'))",
            "add",
        ),
        ("Cafe.objects.get(name='Blue Cup').bookers.clear()", "clear"),
        (
            "m.booked_cafes.create(name='New', city='Lyon', seats=1)",
            "create",
        ),
    ] {
        let r = session(code);
        assert_eq!(r.code, Some(1), "{code}: {}", r.stdout);
        assert!(
            r.stderr.contains(&format!(
                "NotSupportedError: {method}() on a many-to-many through Booking, a multi-table \
                 child holding a key of its parent's, is not supported by djq yet"
            )),
            "{code}: {}",
            r.stderr
        );
    }
    let r = session("Booking.objects.count()");
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert!(r.stdout.trim_end().ends_with('3'), "{}", r.stdout);
}
