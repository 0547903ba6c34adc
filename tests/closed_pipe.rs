//! Output into a pipe whose reader has gone (`djq ... | head -1`): djq stops quietly with
//! status 0, as psql does, in every output format and for a script's `print()` — no
//! `error:` line, no panic, no `Broken pipe` message.
//!
//! Each run writes far more than a pipe holds (hundreds of kilobytes), so djq is still
//! writing when the reader closes its end after the first line.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Stdio;

/// 19,265 rows: each book with the books of its author's books' authors' books.
const MANY_ROWS: &str =
    "Book.objects.values_list('title', 'author__books__author__books__author__books__title')";

/// Runs djq on the demo library with `args`, its stdout read up to the first line and then
/// closed; asserts it exits with status 0 and writes nothing to stderr.
fn quiet_after_the_first_line(args: &[&str]) {
    let mut child = support::djq()
        .args(args)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run djq");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read the first line");
    // The reader is gone: the pipe is closed.
    assert!(!first.is_empty(), "{args:?}: no output");
    let out = child.wait_with_output().expect("wait for djq");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    assert_eq!(stderr, "", "{args:?}");
}

#[test]
fn a_closed_pipe_ends_a_table_quietly() {
    quiet_after_the_first_line(&["--format", "table", "-c", MANY_ROWS]);
    quiet_after_the_first_line(&["--format", "vertical", "-c", MANY_ROWS]);
}

#[test]
fn a_closed_pipe_ends_csv_quietly() {
    quiet_after_the_first_line(&["--format", "csv", "-c", MANY_ROWS]);
}

#[test]
fn a_closed_pipe_ends_json_and_ndjson_quietly() {
    quiet_after_the_first_line(&["--format", "json", "-c", MANY_ROWS]);
    quiet_after_the_first_line(&["--format", "ndjson", "-c", MANY_ROWS]);
}

#[test]
fn a_closed_pipe_ends_a_scripts_print_quietly() {
    quiet_after_the_first_line(&["-c", "for i in range(300000): print(i)"]);
    // Rows printed one by one as a query streams them.
    quiet_after_the_first_line(&[
        "-c",
        &format!("for row in {MANY_ROWS}.iterator(): print(row)"),
    ]);
}
