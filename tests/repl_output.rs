//! What the REPL shows after each input, in a real terminal: the SQL laid out clause by
//! clause, NULL told apart from text, a big queryset shown as Django's repr reads it (one query,
//! `LIMIT 21`; `\all` shows every row), the queries each statement ran and how long it took,
//! and results too long or too wide for the terminal going through the pager.

mod support;

use support::pg;
use support::repl::{ControlCode, Repl};

#[test]
fn the_banner_names_the_database_and_counts_the_models() {
    let repl = Repl::start(false);
    assert!(
        repl.banner
            .contains("sqlite demo library (in memory: changes are not saved) (4 models)"),
        "{}",
        repl.banner
    );
    drop(repl.quit());
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = dir.path().join("library.sqlite3");
    std::fs::copy("fixtures/demo/library.sqlite3", &db).expect("copy the demo");
    let db = db.to_str().expect("utf-8 path");
    let repl = Repl::start_with(false, &[db, "--models", "fixtures/demo/books"]);
    assert!(
        repl.banner.contains(&format!("sqlite {db} (4 models)")),
        "{}",
        repl.banner
    );
    drop(repl.quit());
}

#[test]
fn a_big_queryset_runs_what_djangos_repr_runs_one_query_with_limit_21() {
    let mut repl = Repl::start(false);
    // Django's repr is `list(qs[:21])`: one query, LIMIT 21, 20 rows shown, no COUNT.
    let out = repl.run("Book.objects.order_by('id')", " ms");
    assert!(
        out.contains("ORDER BY \"books_book\".\"id\" ASC\r\nLIMIT 21\r\n"),
        "{out}"
    );
    assert!(
        out.contains("(first 20 rows; \\all shows every row)\r\n1 query, "),
        "{out}"
    );
    assert!(!out.contains("COUNT"), "{out}");
    assert!(out.contains("Pride and Prejudice"), "{out}");
    assert!(
        !out.contains("│ 21  ┆"),
        "the 21st row is read, not shown: {out}"
    );
    let out = repl.run("\\all", "(243 rows)");
    assert!(out.contains("│ 243 ┆"), "the last rows too: {out}");
    // values() and values_list() are shown the same way.
    for input in [
        "Book.objects.values('title')",
        "Book.objects.values_list('title', flat=True)",
        "Book.objects.values_list('id', 'title')",
    ] {
        let out = repl.run(input, " ms");
        assert!(out.contains("\r\nLIMIT 21\r\n"), "{input}: {out}");
        assert!(
            out.contains("(first 20 rows; \\all shows every row)\r\n1 query, "),
            "{input}: {out}"
        );
    }
    // A sliced queryset: the slice of the slice, as Django takes it.
    let out = repl.run("Book.objects.order_by('id')[5:100]", " ms");
    assert!(out.contains("\r\nLIMIT 21\r\nOFFSET 5\r\n"), "{out}");
    assert!(out.contains("(first 20 rows;"), "{out}");
    let out = repl.run("Book.objects.order_by('id')[230:]", " ms");
    assert!(out.contains("\r\nLIMIT 21\r\nOFFSET 230\r\n"), "{out}");
    assert!(out.contains("(13 rows)\r\n1 query, "), "{out}");
    // A result that fits is shown whole, with no more than its own query.
    let out = repl.run("Book.objects.order_by('id')[:20]", " ms");
    assert!(out.contains("\r\nLIMIT 20\r\n"), "{out}");
    assert!(out.contains("(20 rows)\r\n1 query, "), "{out}");
    // Prefetching: the 21 instances, then their relations, as Django's repr.
    let out = repl.run("Author.objects.prefetch_related('books')", " ms");
    assert!(out.contains("\r\nLIMIT 21\r\n"), "{out}");
    assert!(out.contains("(first 20 rows;"), "{out}");
    assert!(out.contains("2 queries, "), "{out}");
    drop(repl.quit());
}

#[test]
fn a_big_queryset_runs_one_query_with_limit_21_on_postgres() {
    let Some(server) = pg::server() else { return };
    let sql = std::fs::read_to_string("fixtures/demo/library.postgres.sql")
        .expect("read the PostgreSQL fixture");
    let db = server.database_from_sql(&sql);
    let mut repl = Repl::start_with(false, &[&db, "--models", "fixtures/demo/books"]);
    let out = repl.run("Book.objects.filter(genre='FIC')", " ms");
    assert!(
        out.contains("ORDER BY \"books_book\".\"publication_date\" DESC\r\nLIMIT 21\r\n"),
        "{out}"
    );
    assert!(
        out.contains("(first 20 rows; \\all shows every row)\r\n1 query, "),
        "{out}"
    );
    let out = repl.run("Book.objects.order_by('id')[5:]", " ms");
    assert!(out.contains("\r\nLIMIT 21\r\nOFFSET 5\r\n"), "{out}");
    assert!(out.contains("(first 20 rows;"), "{out}");
    drop(repl.quit());
}

#[test]
fn each_statement_reports_its_queries_and_time() {
    let mut repl = Repl::start(false);
    let out = repl.run(
        "for a in Author.objects.order_by('id')[:3]: print(a.books.count())\n",
        " ms",
    );
    assert!(out.contains("N+1 queries"), "{out}");
    assert!(out.contains("\r\n4 queries, "), "{out}");
    repl.run("\\timing off", "");
    repl.run("Author.objects.count()", "1 query\r\n");
    // A statement that runs no query reports nothing: the next output is the marker.
    let out = repl.run("x = 6 * 7; print('answer', x)", "answer 42");
    assert!(!out.contains("quer"), "{out}");
    drop(repl.quit());
}

#[test]
fn sql_is_laid_out_clause_by_clause_and_null_stands_out() {
    let mut repl = Repl::start(false);
    let out = repl.run(
        "Author.objects.filter(birth_date__isnull=True, books__pages__gt=300).values('name', 'birth_date').order_by('name')[:2]",
        "(2 rows)",
    );
    for line in [
        "\r\nFROM \"books_author\"\r\n",
        "\r\nINNER JOIN \"books_book\" ON",
        "\r\nWHERE (\"books_author\".\"birth_date\" IS NULL AND \"books_book\".\"pages\" > 300)\r\n",
        "\r\nORDER BY 1 ASC\r\nLIMIT 2",
    ] {
        assert!(out.contains(line), "{line:?} missing from:\n{out}");
    }
    assert!(out.contains("Adam Smith"), "{out}");
    assert!(out.contains("NULL"), "{out}");

    repl.run("\\sql params", "");
    let out = repl.run("Book.objects.filter(title__startswith='Pride')", "(1 row)");
    assert!(
        out.contains("WHERE \"books_book\".\"title\" LIKE ? ESCAPE '\\'"),
        "{out}"
    );
    assert!(out.contains("-- params: [\"Pride%\"]"), "{out}");
    drop(repl.quit());
}

#[test]
fn colored_null_is_dimmed() {
    let mut repl = Repl::start(true);
    let out = repl.run(
        "Author.objects.filter(name='Daniel Defoe').values('birth_date')",
        "1 row",
    );
    assert!(out.contains("\x1b[2m NULL"), "{out:?}");
    drop(repl.quit());
}

#[test]
fn long_results_go_through_the_pager() {
    let mut repl = Repl::start_env(false, &[], &[("PAGER", "sed 's/^/paged: /'")]);
    // 243 rows do not fit 60 lines.
    repl.run("Book.objects.order_by('id')", "every row)");
    let out = repl.run("\\all", "paged: (243 rows)");
    assert!(out.contains("paged: │   1 ┆"), "{out}");
    // What fits is not paged.
    let out = repl.run("Book.objects.order_by('id')[:3]", "(3 rows)");
    assert!(!out.contains("paged:"), "{out}");
    drop(repl.quit());
}

#[test]
fn less_pages_a_long_result_until_q() {
    let mut repl = Repl::start_env(false, &[], &[("PAGER", "less -SRXF")]);
    repl.session.set_window_size(120, 20).expect("window size");
    repl.session
        .send_line("Author.objects.order_by('id')[:40]")
        .expect("send a line");
    // less shows the first screen and waits.
    repl.expect("Jane Austen");
    repl.expect(":");
    repl.session.send("q").expect("send q");
    repl.prompt();
    repl.run("print(6 * 7)", "42");
    // Ctrl-D still ends the session.
    repl.session
        .send_control(ControlCode::EndOfTransmission)
        .expect("send Ctrl-D");
    repl.session.expect(support::repl::Eof).expect("djq exits");
}

#[test]
fn terminal_commands_from_the_database_are_shown_escaped() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db = support::hostile_database(dir.path());
    let mut repl = Repl::start_with(false, &[db.to_str().unwrap()]);
    let mut shown = String::new();
    for (line, last) in [
        ("\\models", r"evil\x1b[2J"),
        ("\\d Evil2J", "┘\r\n"),
        ("Evil2J.objects.order_by('id')", "(2 rows)"),
        ("Evil2J.objects.get(pk=1)", "[2J\r\n"),
        ("Evil2J.objects.get(pk=1).note", "[2J\r\n"),
        ("[Evil2J.objects.get(pk=1).note]", "']\r\n"),
        (
            "Evil2J.objects.filter(id=Evil2J.objects.get(pk=1).note)",
            "^\r\n",
        ),
    ] {
        shown += &repl.run(line, last);
    }
    // The rows and their echo were shown, escaped; none of the terminal commands ran.
    for part in [
        r#"evil\x1b[2J"#,
        r"na\x1b]0;pwned\x07me",
        r"\x1b]0;pwned\x07a",
        r"b\x1b[2J",
        r"tab\there\r\x9b\x7f",
        r"['b\x1b[2J']",
        r"Field 'id' expected a number but got 'b\x1b[2J'",
    ] {
        assert!(shown.contains(part), "{part} missing from:\n{shown}");
    }
    for raw in [support::RETITLE, support::CLEAR, "\u{9b}", "\x07"] {
        assert!(
            !shown.contains(raw),
            "{raw:?} reached the terminal:\n{shown:?}"
        );
    }
    drop(repl.quit());
}
