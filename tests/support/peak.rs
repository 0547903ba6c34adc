//! Peak memory of a child process (the bounded-memory tests and benches).

use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

/// What a measured child did: its exit code (`None` when a signal ended it), its standard
/// output and error, and its peak resident memory in bytes (`wait4`'s `ru_maxrss`).
pub struct Measured {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub peak: u64,
}

/// Runs `command` to its end, which must be a success: its standard output and its peak
/// resident memory in bytes.
pub fn run(command: Command) -> (String, u64) {
    let described = format!("{command:?}");
    let m = measure(command);
    assert_eq!(m.code, Some(0), "{described} failed: {}", m.stderr);
    (m.stdout, m.peak)
}

/// Runs `command` to its end, whatever its outcome, and measures it. Linux counts the calling
/// process's resident memory at the time the child starts in the child's peak: measure from a
/// process smaller than what it measures.
#[allow(
    clippy::zombie_processes,
    reason = "reaped by wait4, which reports its memory"
)]
pub fn measure(mut command: Command) -> Measured {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start");
    let pid = child.id() as libc::pid_t;
    let mut stderr = child.stderr.take().expect("stderr");
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).expect("read the errors");
        text
    });
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .expect("stdout")
        .read_to_string(&mut stdout)
        .expect("read the output");
    let stderr = errors.join().expect("stderr reader");
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value; wait4 fills it in for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::wait4(pid, &mut status, 0, &mut usage) }, pid);
    Measured {
        code: libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status)),
        stdout,
        stderr,
        // Linux counts kilobytes.
        peak: usage.ru_maxrss as u64 * 1024,
    }
}

/// Adds `rows` books (by a recursive CTE) to the demo library's SQLite copy at `db`.
pub fn add_books(db: impl AsRef<Path>, rows: u64) {
    rusqlite::Connection::open(db)
        .and_then(|c| {
            c.execute_batch(&format!(
                "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {rows}) \
                 INSERT INTO books_book (title, publication_date, isbn, genre, pages, author_id) \
                 SELECT 'Book ' || x, '2000-01-01', printf('x%012d', x), 'FIC', x % 900, 1 + x % 50 \
                 FROM c"
            ))
        })
        .expect("add the books");
}
