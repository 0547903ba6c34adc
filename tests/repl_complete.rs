//! Tab completion and inline hints in the interactive REPL, driven through a pseudo-terminal
//! (the engine itself is unit-tested in `src/shell/complete`): each test types part of a
//! line, presses Tab, and finishes the line so that the result shows what Tab inserted.

mod support;

use support::repl::{ControlCode, Repl};

/// Type `text` without Enter.
fn send(repl: &mut Repl, text: &str) {
    repl.session.send(text).expect("type");
}

#[test]
fn tab_completes_a_queryset_method() {
    let mut repl = Repl::start(false);
    send(&mut repl, "Book.objects.fil\t");
    // Without the completion the line would be a syntax error.
    repl.run("pages__gt=1200).count()", "\r\n3\r\n");
    drop(repl.quit());
}

#[test]
fn tab_completes_a_model_name() {
    let mut repl = Repl::start(false);
    send(&mut repl, "Boo\t");
    repl.run(".objects.filter(pages__gt=1200).count()", "\r\n3\r\n");
    drop(repl.quit());
}

#[test]
fn tab_follows_a_relation_and_lists_its_fields() {
    let mut repl = Repl::start(false);
    // `author=`, `author__` and `author_id=` share `author`: the first Tab inserts it.
    send(&mut repl, "Book.objects.filter(auth\t");
    repl.expect("filter(author");
    // Then the second Tab lists what follows `author__`, by its last name.
    send(&mut repl, "__\t\t");
    let mut out = repl.expect("isnull=");
    send(&mut repl, "name__icontains=\"austen\").count()\r");
    out += &repl.expect("\r\n6\r\n");
    for listed in ["name=", "name__", "birth_date__", "books__", "in="] {
        assert!(out.contains(listed), "{listed} not listed: {out}");
    }
    repl.prompt();
    drop(repl.quit());
}

#[test]
fn tab_completes_session_variables_and_their_methods() {
    let mut repl = Repl::start(false);
    repl.session
        .send_line("longest = Book.objects.filter(pages__gt=1200)")
        .expect("send a line");
    repl.prompt();
    send(&mut repl, "longe\t.cou\t");
    repl.run(")", "\r\n3\r\n");
    drop(repl.quit());
}

#[test]
fn tab_completes_meta_commands_and_their_arguments() {
    let mut repl = Repl::start(false);
    send(&mut repl, "\\d Bo\t");
    let out = repl.run("", "books_book");
    assert!(out.contains("Book"), "{out}");
    drop(repl.quit());
}

#[test]
fn a_unique_completion_is_hinted_dimmed() {
    let mut repl = Repl::start(true);
    send(&mut repl, "Book.objects.select_r");
    repl.expect("\x1b[2melated(\x1b[0m");
    repl.session
        .send_control(ControlCode::EndOfText)
        .expect("send Ctrl-C");
    repl.prompt();
    drop(repl.quit());
}

/// A multi-table child's inherited fields complete like its own (issue 16), in lookups and
/// on instances.
#[test]
fn tab_completes_a_multi_table_childs_inherited_fields() {
    let root = env!("CARGO_MANIFEST_DIR");
    let db = format!("{root}/fixtures/inherit/inherit.sqlite3");
    let models = format!("{root}/fixtures/inherit");
    let mut repl = Repl::start_with(false, &[&db, "--models", &models, "--read-only"]);
    send(&mut repl, "Bakery.objects.filter(cit\t");
    repl.run("=\"Lyon\").count()", "\r\n1\r\n");
    repl.session
        .send_line("b = Bakery.objects.first()")
        .expect("send a line");
    repl.prompt();
    send(&mut repl, "b.sea\t");
    repl.run("", "\r\n12\r\n");
    drop(repl.quit());
}
