//! `--statement-timeout DURATION` and PostgreSQL's `statement_timeout` from the URL's
//! options: a statement running longer is cancelled, on SQLite and PostgreSQL, and the run
//! fails with the reason as Django shows it (`OperationalError: canceling statement due to
//! statement timeout`) near the timeout; a duration djq cannot read is a usage error.
//!
//! The slow statement is a plain queryset: the demo library's books joined to their authors'
//! books nine times over, a count of billions of rows (minutes of work on either database).
//!
//! The PostgreSQL tests print `SKIPPED: ...` and return when there is no server (see
//! `support::pg`).

mod support;

use std::process::Output;
use std::time::{Duration, Instant};

use support::DEMO_MODELS as MODELS;

/// `Book.objects.filter(author__books__author__books...__pages__gt=0).count()`.
fn slow_count() -> String {
    let path = "author__books"
        .repeat(9)
        .replace("booksauthor", "books__author");
    format!("Book.objects.filter({path}__pages__gt=0).count()")
}

/// Runs djq on `db` (the demo library when `None`) with `args`; the output and how long it took.
fn djq(db: Option<&str>, args: &[&str]) -> (Output, Duration) {
    let mut cmd = support::djq();
    cmd.args(db)
        .args(["--models", MODELS])
        .args(args)
        .env("NO_COLOR", "1");
    let started = Instant::now();
    let out = cmd.output().expect("run djq");
    (out, started.elapsed())
}

/// The run failed with the statement timeout's error, after `timeout` and well before the
/// statement would have ended by itself.
fn assert_timed_out((out, took): &(Output, Duration), timeout: Duration) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr
            .starts_with("error: OperationalError: canceling statement due to statement timeout\n"),
        "{stderr}"
    );
    assert!(
        *took >= timeout,
        "cancelled after {took:?}, before {timeout:?}"
    );
    assert!(
        *took < timeout + Duration::from_secs(5),
        "cancelled only after {took:?}"
    );
}

#[test]
fn sqlite_cancels_a_statement_past_the_timeout() {
    let code = slow_count();
    let run = djq(None, &["--statement-timeout", "500ms", "-c", &code]);
    assert_timed_out(&run, Duration::from_millis(500));
    // Statements within the timeout run as usual, before and after a cancelled one.
    let (out, _) = djq(
        None,
        &[
            "--statement-timeout",
            "2s",
            "-c",
            "print(Book.objects.count())",
        ],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "243\n");
    assert!(out.status.success());
}

#[test]
fn sqlite_timeout_in_the_shell_leaves_the_session_usable() {
    let mut repl = support::repl::Repl::start_with(false, &["--statement-timeout", "300ms"]);
    let out = repl.run(&slow_count(), "statement timeout");
    assert!(
        out.contains("OperationalError: canceling statement"),
        "{out}"
    );
    repl.run("Author.objects.count()", "70");
    drop(repl.quit());
}

#[test]
fn postgres_cancels_a_statement_past_the_timeout() {
    let Some(db) = support::demo_postgres_copy() else {
        return;
    };
    let code = slow_count();
    let run = djq(Some(&db), &["--statement-timeout", "500ms", "-c", &code]);
    assert_timed_out(&run, Duration::from_millis(500));
}

#[test]
fn postgres_takes_the_timeout_from_the_urls_options() {
    let Some(db) = support::demo_postgres_copy() else {
        return;
    };
    let code = slow_count();
    // libpq's `options`: `-c statement_timeout=700`, percent-encoded, in milliseconds.
    let url = format!("{db}?options=-c%20statement_timeout%3D700");
    let run = djq(Some(&url), &["-c", &code]);
    assert_timed_out(&run, Duration::from_millis(700));
    // --statement-timeout wins over the URL's.
    let run = djq(Some(&url), &["--statement-timeout", "1s", "-c", &code]);
    assert_timed_out(&run, Duration::from_secs(1));
}

#[test]
fn a_duration_djq_cannot_read_is_a_usage_error() {
    for bad in ["500", "1.5s", "10d", "s", "", "3000000s"] {
        let (out, _) = djq(None, &["--statement-timeout", bad, "-c", "1"]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad:?}: {stderr}");
        assert!(
            stderr.starts_with(&format!(
                "error: invalid value '{bad}' for '--statement-timeout <DURATION>': "
            )),
            "{bad:?}: {stderr}"
        );
    }
    for good in ["500ms", "30s", "5min", "1h", "0"] {
        let (out, _) = djq(None, &["--statement-timeout", good, "-c", "print(1)"]);
        assert!(out.status.success(), "{good}: {out:?}");
    }
}
