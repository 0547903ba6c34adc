//! The REPL's backslash commands, driven through a pseudo-terminal (`support::repl`): `\d`
//! describing a model, `\explain` (SQLite, and PostgreSQL when a server is available),
//! `\o` sending results to a file, `\e` editing the last input in `$EDITOR`, `\i` running a
//! script file, `\sql params`, `\timing`, `\help` and unknown commands. None of them ends
//! the session.

mod support;

use support::repl::Repl;
use support::{pg, slow};

#[test]
fn describe_shows_fields_relations_indexes_and_ordering() {
    let mut repl = Repl::start(false);
    let out = repl.run("\\d Book", "Ordering: -publication_date");
    for part in [
        "books.Book (table \"books_book\")",
        "CharField(max_length=200)",
        "ForeignKey(Author)",
        "author_id",
        "primary key",
        "unique",
        "'FIC'",
        "'FIC' Fiction, 'NON' Non-Fiction",
        "Relations:",
        "on_delete=CASCADE",
        "reverse: Author.books (query name: books)",
        "Indexes:",
        "books_book_title_d3218d_idx",
        "books_book_author_id_8b91747b  (author_id)",
    ] {
        assert!(out.contains(part), "{part:?} missing from:\n{out}");
    }
    let out = repl.run("\\d Author", "Ordering: name");
    assert!(out.contains("Referenced by:"), "{out}");
    assert!(
        out.contains("books  ← Book.author  (ForeignKey, on_delete=CASCADE)  query name: books"),
        "{out}"
    );
    // Also by table name; a near miss gets a suggestion and the session goes on.
    repl.run("\\d books_author", "Ordering: name");
    repl.run("\\d Bok", "did you mean 'Book'? (see \\models)");
    repl.run("\\d", "usage: \\d Model");
    repl.run("print(6 * 7)", "42");
    drop(repl.quit());
}

/// `\d` of generic relations (issue 16): a GenericForeignKey with its two fields, a
/// GenericRelation with its target and query name, and django.contrib.contenttypes'
/// ContentType under its own name.
#[test]
fn describe_shows_generic_relations_and_content_type() {
    let root = env!("CARGO_MANIFEST_DIR");
    let db = format!("{root}/fixtures/tagging/tagging.sqlite3");
    let models = format!("{root}/fixtures/tagging/tagging/models.py");
    let mut repl = Repl::start_with(false, &[&db, "--models", &models, "--read-only"]);
    let out = repl.run("\\d TaggedItem", "Ordering: tag, id");
    assert!(
        out.contains("content_object  GenericForeignKey(content_type, object_id)"),
        "{out}"
    );
    let out = repl.run("\\d Bookmark", "GenericRelation(ct, obj_pk)");
    for part in [
        "tags  → TaggedItem  GenericRelation(content_type, object_id)  query name: bookmark",
        "votes  → Vote       GenericRelation(ct, obj_pk)",
    ] {
        assert!(out.contains(part), "{part:?} missing from:\n{out}");
    }
    repl.run(
        "\\d ContentType",
        "contenttypes.ContentType (table \"django_content_type\")",
    );
    drop(repl.quit());
}

#[test]
fn explain_shows_the_plan_of_the_last_query_or_of_an_expression() {
    let mut repl = Repl::start(false);
    repl.run("\\explain", "no query has run yet");
    repl.run(
        "Book.objects.filter(pages__gt=1200).order_by('pages')",
        "(3 rows)",
    );
    repl.session.send_line("\\explain").expect("send a line");
    repl.expect("QUERY PLAN");
    let plan = repl.prompt();
    assert!(plan.contains("--SCAN books_book"), "{plan}");
    assert!(plan.contains("`--USE TEMP B-TREE FOR ORDER BY"), "{plan}");

    repl.session
        .send_line("\\explain Book.objects.filter(author__name='Jane Austen')")
        .expect("send a line");
    repl.expect("QUERY PLAN");
    let plan = repl.prompt();
    assert!(plan.contains("SEARCH"), "{plan}");
    // The query a call would run is explained, and nothing runs: no row is deleted.
    repl.session
        .send_line("\\explain Book.objects.filter(pages__gt=0).delete()")
        .expect("send a line");
    repl.expect("QUERY PLAN");
    repl.prompt();
    repl.run("print('books:', Book.objects.count())", "books: 243");
    // Django's QuerySet.explain(): the rows of EXPLAIN QUERY PLAN, values joined by spaces.
    let out = repl.run(
        "print(Book.objects.filter(pages__gt=400).explain().replace('SCAN', 'S' + 'CANNED'))",
        "SCANNED books_book",
    );
    let row = regex::Regex::new(r"\d+ 0 \d+ SCANNED books_book").unwrap();
    assert!(row.is_match(&out), "{out}");
    repl.run(
        "Book.objects.explain(format='json')",
        "JSON is not a recognized format. SQLite does not support any formats.",
    );
    let out = repl.run("\\explain Book.objects.filter(", "error");
    assert!(!out.contains("panicked"), "{out}");
    repl.run("print(6 * 7)", "42");
    drop(repl.quit());
}

#[test]
fn explain_on_postgres() {
    let Some(server) = pg::server() else { return };
    let dir = tempfile::tempdir().expect("temporary directory");
    let (url, models) = (slow::postgres(server), slow::models(dir.path()));
    let mut repl = Repl::start_with(false, &[&url, "--models", &models]);
    repl.run("Item.objects.filter(name='two')", "(1 row)");
    let out = repl.run("\\explain", "Seq Scan on item");
    assert!(!out.contains("error"), "{out}");
    let out = repl.run(
        "print(Item.objects.filter(name='two').explain(costs=False))",
        "Filter:",
    );
    assert!(out.contains("Seq Scan on item"), "{out}");
    drop(repl.quit());
}

#[test]
fn o_sends_results_to_a_file_until_o_alone() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("out.txt");
    let mut repl = Repl::start(true);
    repl.run(&format!("\\o {}", file.display()), "");
    // Nothing is shown: each waits for the next prompt only (input typed ahead of one
    // would be lost).
    let mut terminal = String::new();
    for line in [
        "Book.objects.filter(pages__gt=1200).order_by('title')",
        "\\d Author",
        "\\o",
    ] {
        repl.session.send_line(line).expect("send a line");
        // The line is redrawn (with its prompt) as it is typed: the next prompt comes
        // after the line ends.
        terminal += &repl.expect("\r\n");
        terminal += &repl.prompt();
    }
    terminal += &repl.run("print('back', 1 + 1)", "back 2");
    assert!(!terminal.contains("rows)"), "{terminal}");
    assert!(!terminal.contains("Les Misérables"), "{terminal}");
    let written = std::fs::read_to_string(&file).expect("the file");
    for part in ["Les Misérables", "(3 rows)", "SELECT", "Referenced by:"] {
        assert!(written.contains(part), "{part:?} missing from:\n{written}");
    }
    let color = regex::Regex::new(support::repl::COLOR).unwrap();
    assert!(
        !color.is_match(&written),
        "colors in the file:\n{written:?}"
    );
    let out = repl.run("Book.objects.filter(pages__gt=1400)", "(1 row)");
    assert!(out.contains("Les Misérables"), "{out}");
    repl.run("\\o /nonexistent/dir/x", "cannot write /nonexistent/dir/x");
    drop(repl.quit());
}

#[test]
fn o_under_read_only_is_refused_like_a_write_and_creates_nothing() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let file = dir.path().join("out.txt");
    let mut repl = Repl::start_with(false, &["--read-only"]);
    let refused = "error: DatabaseError: refusing to write: djq was started with --read-only";
    let out = repl.run("Author.objects.create(name='x')", "--read-only");
    assert!(out.contains(refused), "{out}");
    let out = repl.run(&format!("\\o {}", file.display()), "--read-only");
    assert!(out.contains(refused), "{out}");
    assert!(!file.exists());
    // Results still go to the terminal.
    repl.run("Author.objects.count()", "70");
    drop(repl.quit());
}

/// An executable `sh` script in `dir` running `body` (an `$EDITOR` for `\e`); its path.
fn editor_script(dir: &std::path::Path, body: &str) -> String {
    let editor = dir.join("editor.sh");
    std::fs::write(&editor, format!("#!/bin/sh\n{body}")).expect("editor");
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&editor)
        .status()
        .expect("chmod");
    editor.display().to_string()
}

#[test]
fn e_edits_the_last_input_and_runs_it() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let editor = editor_script(dir.path(), "sed -i 's/1200/1400/' \"$1\"\n");
    let mut repl = Repl::start_env(false, &[], &[("EDITOR", &editor), ("VISUAL", "false")]);
    repl.run(
        "Book.objects.filter(pages__gt=1200).order_by('title')",
        "(3 rows)",
    );
    let out = repl.run("\\e", "(1 row)");
    assert!(
        out.contains("pages__gt=1400"),
        "the edited text is shown: {out}"
    );
    assert!(out.contains("Les Misérables"), "{out}");
    // `\e` again edits what ran last: the edited text.
    let out = repl.run("\\e", "(1 row)");
    assert!(out.contains("Les Misérables"), "{out}");
    // A file is edited in place, then run.
    let script = dir.path().join("q.py");
    std::fs::write(&script, "print('pages over', 1200)\n").expect("script");
    repl.run(&format!("\\e {}", script.display()), "pages over 1400");
    drop(repl.quit());

    let mut repl = Repl::start_env(false, &[], &[("EDITOR", "false")]);
    repl.run("\\e", "nothing was run");
    repl.run("print(6 * 7)", "42");
    drop(repl.quit());
}

#[test]
fn e_edits_in_a_temporary_file_only_the_user_can_read() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let record = dir.path().join("seen");
    // Records the file's permissions and whether it is a symbolic link, then its name.
    let editor = editor_script(
        dir.path(),
        &format!(
            "stat -c '%a %F' \"$1\" > {rec}\necho \"$1\" >> {rec}\n",
            rec = record.display()
        ),
    );
    let mut repl = Repl::start_env(false, &[], &[("EDITOR", &editor), ("VISUAL", "false")]);
    repl.run("print(6 * 7)", "42");
    repl.run("\\e", "42");
    drop(repl.quit());
    let seen = std::fs::read_to_string(&record).expect("the editor ran");
    let (stat, path) = seen.split_once('\n').expect("two lines");
    assert_eq!(stat, "600 regular file", "{seen}");
    assert!(
        !std::path::Path::new(path.trim_end()).exists(),
        "the temporary file is removed: {seen}"
    );
}

#[test]
fn i_runs_a_script_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let script = dir.path().join("count.py");
    std::fs::write(
        &script,
        "n = Book.objects.count()\nBook.objects.all()\nprint('books:', n)\n",
    )
    .expect("script");
    let mut repl = Repl::start(false);
    let out = repl.run(&format!("\\i {}", script.display()), "books: 243");
    // A script shows only what it prints.
    assert!(!out.contains("rows)"), "{out}");
    repl.run("print(n * 2)", "486");
    let bad = dir.path().join("bad.py");
    std::fs::write(&bad, "x = 1\nBook.objects.filter(pags__gt=400).count()\n").expect("script");
    let out = repl.run(&format!("\\i {}", bad.display()), "did you mean 'pages'?");
    assert!(
        out.contains(&format!("--> {}:2:21", bad.display())),
        "{out}"
    );
    repl.run("\\i /nonexistent.py", "cannot read /nonexistent.py");
    // Read a chunk at a time: an endless file stops at its first NUL byte, as Python refuses.
    repl.run(
        "\\i /dev/zero",
        "SyntaxError: source code cannot contain null bytes",
    );
    repl.run("print(x + 41)", "42");
    drop(repl.quit());
}

#[test]
fn sql_params_shows_placeholders_then_the_parameters() {
    let mut repl = Repl::start(false);
    repl.run("\\sql params", "");
    let out = repl.run(
        "Book.objects.filter(pages__gt=1200).count()",
        "-- params: [1200]",
    );
    assert!(out.contains("\"books_book\".\"pages\" > ?"), "{out}");
    repl.run("\\sql sideways", "usage: \\sql on|off|params");
    drop(repl.quit());
}

#[test]
fn timing_help_and_unknown_commands() {
    let mut repl = Repl::start(false);
    repl.run("\\timing", "");
    repl.run("\\timing off", "");
    repl.run("\\timing sometimes", "usage: \\timing [on|off]");
    let out = repl.run("\\help", "\\q (\\quit)");
    for command in [
        "\\models (\\dt)",
        "\\d Model",
        "\\sql on|off|params",
        "\\timing [on|off]",
        "\\format FMT",
        "\\x",
        "\\explain [EXPR]",
        "\\o (\\out) [FILE]",
        "\\e (\\edit) [FILE]",
        "\\i (\\include) FILE",
    ] {
        assert!(out.contains(command), "{command} missing from:\n{out}");
    }
    repl.run(
        "\\hlep",
        "unknown command \\hlep (try \\help); did you mean \\help?",
    );
    repl.run("\\zzzzzz", "unknown command \\zzzzzz (try \\help)");
    repl.run("print(6 * 7)", "42");
    drop(repl.quit());
}

/// `\d` of a multi-table child (issue 16): its inherited fields first, each in its
/// ancestor's table (the ancestors' keys named as theirs), then its own; its inherited
/// foreign keys among its relations.
#[test]
fn describe_lists_a_multi_table_childs_inherited_fields() {
    let root = env!("CARGO_MANIFEST_DIR");
    let db = format!("{root}/fixtures/inherit/inherit.sqlite3");
    let models = format!("{root}/fixtures/inherit");
    let mut repl = Repl::start_with(false, &[&db, "--models", &models, "--read-only"]);
    let out = repl.run("\\d Bakery", "Ordering: -ovens, name");
    for part in [
        "inherit.Bakery (table \"inherit_bakery\")",
        "inherit_venue.name",
        "inherit_venue.id",
        "primary key of Venue",
        "inherit_cafe.seats",
        "inherit_cafe.manager_id",
        "cafe_ptr_id",
        "ovens",
        "→ Member.id",
        "reverse: Member.cafes (query name: cafes)",
    ] {
        assert!(out.contains(part), "{part:?} missing from:\n{out}");
    }
    drop(repl.quit());
}
