//! The interactive REPL, driven through a pseudo-terminal as a user would: banner and prompt,
//! queries and their tables, input spread over lines, errors that leave the session alive,
//! meta commands, Ctrl-C (at the prompt and cancelling a running query, on SQLite and
//! PostgreSQL), Ctrl-D. HOME and XDG_DATA_HOME point into a temporary directory so that the
//! history never touches the real home.
//!
//! The PostgreSQL test prints `SKIPPED: no PostgreSQL server available` and returns when
//! there is no server (see `support::pg`).

mod support;

use std::time::{Duration, Instant};
use support::repl::{COLOR, ControlCode, Repl};
use support::{pg, slow};

#[test]
fn a_session_from_banner_to_ctrl_d() {
    let mut repl = Repl::start(false);
    let out = repl.run(
        "Book.objects.filter(pages__gt=1200).order_by('title')",
        "(3 rows)",
    );
    assert!(out.contains("SELECT"), "the SQL is shown first: {out}");
    for title in ["Les Misérables", "The Wealth of Nations", "War and Peace"] {
        assert!(out.contains(title), "{title} missing from:\n{out}");
    }
    let home = repl.quit();
    let history = home.join("data/djq/history");
    let text = std::fs::read_to_string(&history).expect("history written under XDG_DATA_HOME");
    assert!(text.contains("pages__gt=1200"), "{text}");
    std::fs::remove_dir_all(home).expect("clean up");
}

#[test]
fn input_continues_while_a_bracket_is_open() {
    let mut repl = Repl::start(false);
    repl.session
        .send_line("Book.objects.filter(")
        .expect("send a line");
    let out = repl.run("    pages__gt=1400)", "(1 row)");
    assert!(out.contains("Les Misérables"), "{out}");
    drop(repl.quit());
}

#[test]
fn ctrl_c_abandons_the_input_being_typed() {
    let mut repl = Repl::start(false);
    repl.session
        .send_line("Book.objects.filter(")
        .expect("send a line");
    // The input is redrawn, then continues on a new line: only after that can the next
    // prompt be told from the redraws (line editing drops what is typed ahead of Ctrl-C).
    repl.expect("filter(\r\n");
    repl.session
        .send_control(ControlCode::EndOfText)
        .expect("send Ctrl-C");
    repl.prompt();
    repl.run("print(6 * 7)", "42");
    drop(repl.quit());
}

#[test]
fn underscore_is_the_last_value_shown_and_exit_leaves_the_shell() {
    let mut repl = Repl::start(false);
    repl.run("6 * 7", "42");
    // `_` is what the shell showed last (None and print() show nothing and leave it).
    repl.run("print('x')", "x");
    repl.run("print(_ + 1000)", "1042");
    repl.run("{3, 1, 2}", "{1, 2, 3}");
    repl.run("print(sorted(_, reverse=True))", "[3, 2, 1]");
    repl.leave_with("exit()");
}

#[test]
fn an_error_shows_a_caret_and_the_session_goes_on() {
    let mut repl = Repl::start(false);
    // Markers are printed computed, so that the echo of the input does not match them.
    repl.run(
        "n = Author.objects.count(); print('count' + 'ed')",
        "counted",
    );
    let out = repl.run("Book.objects.filter(pags__gt=400)", "did you mean 'pages'?");
    assert!(
        out.contains("Cannot resolve keyword 'pags' into field"),
        "{out}"
    );
    assert!(
        out.contains(" 1 | Book.objects.filter(pags__gt=400)"),
        "{out}"
    );
    assert!(out.contains("|                     ^^^^^^^^^^^^"), "{out}");
    // Variables survive the error.
    repl.run("print(n * 2, 'authors')", "140 authors");
    drop(repl.quit());
}

#[test]
fn delete_and_update_say_what_they_change_and_wait_for_a_yes() {
    let mut repl = Repl::start(false);
    repl.session
        .send_line("Author.objects.filter(name='Jane Austen').delete()")
        .expect("send a line");
    let summary = repl.expect("Proceed? [y/N]");
    for part in [
        "delete() will remove",
        "books.Author",
        "books.Book",
        "(CASCADE via Book.author)",
    ] {
        assert!(summary.contains(part), "{part}: {summary}");
    }
    repl.run("n", "nothing was deleted");
    repl.run(
        "print('left:', Book.objects.filter(author__name='Jane Austen').count())",
        "left: 6",
    );
    repl.session
        .send_line("Book.objects.filter(author__name='Jane Austen').update(pages=1)")
        .expect("send a line");
    let summary = repl.expect("Proceed? [y/N]");
    assert!(
        summary.contains("update() will change 6 row(s) of Book"),
        "{summary}"
    );
    repl.session.send_line("y").expect("send a line");
    repl.prompt();
    repl.run(
        "p = list(Book.objects.filter(author__name='Jane Austen').values_list('pages', flat=True)); print('pages:', min(p), max(p))",
        "pages: 1 1",
    );
    drop(repl.quit());
}

#[test]
fn loading_a_relation_row_by_row_gets_an_n_plus_one_warning() {
    let mut repl = Repl::start(false);
    let out = repl.run(
        "for b in Book.objects.order_by('id')[:4]: print(b.author.name)\n",
        "add .select_related('author') to the queryset",
    );
    assert!(
        out.contains(
            "warning: N+1 queries: Book.author was loaded one object at a time, 4 queries"
        ),
        "{out}"
    );
    let out = repl.run(
        "n = [a.books.count() for a in Author.objects.all()[:3]]",
        "add .prefetch_related('books') to the queryset",
    );
    assert!(
        out.contains("Author.books was loaded one object at a time, 3 queries"),
        "{out}"
    );
    // With the fix, no warning: the next output is the marker alone.
    let out = repl.run(
        "x = [b.author.name for b in Book.objects.select_related('author')[:4]]; print('done', 2 * 2)",
        "done 4",
    );
    assert!(!out.contains("warning"), "{out}");
    drop(repl.quit());
}

#[test]
fn meta_commands_list_and_describe_models() {
    let mut repl = Repl::start(false);
    let out = repl.run("\\models", "books_book");
    assert!(
        out.contains("Author") && out.contains("books_author"),
        "{out}"
    );
    assert!(out.contains("Book"), "{out}");
    let out = repl.run("\\d Book", "Ordering:");
    assert!(
        out.contains("author") && out.contains("ForeignKey(Author)"),
        "{out}"
    );
    drop(repl.quit());
}

#[test]
fn colors_on_a_terminal_unless_no_color() {
    let query = "Book.objects.filter(pages__gt=1400)";
    let color = regex::Regex::new(COLOR).expect("valid pattern");
    let mut repl = Repl::start(true);
    let out = repl.run(query, "(1 row)");
    assert!(color.is_match(&out), "expected colors in:\n{out:?}");
    drop(repl.quit());

    let mut repl = Repl::start(false);
    let out = repl.run(query, "(1 row)");
    assert!(out.contains("Les Misérables"), "{out}");
    assert!(!color.is_match(&out), "colors despite NO_COLOR:\n{out:?}");
    drop(repl.quit());
}

/// Runs `Slow.objects.count()`, presses Ctrl-C twice once it runs, and checks that the query
/// is cancelled, the prompt is back within 2 s and the session goes on.
fn ctrl_c_cancels_the_running_query(repl: &mut Repl) {
    repl.session
        .send_line("Slow.objects.count()")
        .expect("send a line");
    // The line is echoed as typed (in pieces: the inline hint redraws it); the query starts
    // a few milliseconds after Enter (its SQL is shown, but only with the output that
    // follows it).
    repl.expect("count(");
    std::thread::sleep(Duration::from_millis(500));
    let pressed = Instant::now();
    repl.session
        .send_control(ControlCode::EndOfText)
        .expect("send Ctrl-C");
    // Another Ctrl-C, while cancelling or once cancelled, must not end djq.
    std::thread::sleep(Duration::from_millis(50));
    repl.session
        .send_control(ControlCode::EndOfText)
        .expect("send Ctrl-C");
    let out = repl.expect("query cancelled");
    assert!(out.contains("error: OperationalError"), "{out}");
    repl.prompt();
    let waited = pressed.elapsed();
    assert!(
        waited < Duration::from_secs(2),
        "the prompt came back {waited:?} after Ctrl-C"
    );
    // The second Ctrl-C may reach the prompt: line editing then starts over and drops what
    // was typed ahead of it.
    std::thread::sleep(Duration::from_millis(300));
    let out = repl.run("Item.objects.order_by('-id').first().name", "three");
    assert!(out.contains("ORDER BY"), "{out}");
    repl.run("print(6 * 7)", "42");
}

#[test]
fn ctrl_c_cancels_a_running_query_on_sqlite() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (db, models) = (slow::sqlite(dir.path()), slow::models(dir.path()));
    let mut repl = Repl::start_with(false, &[&db, "--models", &models]);
    ctrl_c_cancels_the_running_query(&mut repl);
    drop(repl.quit());
}

#[test]
fn ctrl_c_cancels_a_running_query_on_postgres() {
    let Some(server) = pg::server() else { return };
    let dir = tempfile::tempdir().expect("temporary directory");
    let (url, models) = (slow::postgres(server), slow::models(dir.path()));
    let mut repl = Repl::start_with(false, &[&url, "--models", &models]);
    ctrl_c_cancels_the_running_query(&mut repl);
    drop(repl.quit());
}
