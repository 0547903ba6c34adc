//! Fuzz target `compile`: source text run as `djq --sql-only` runs it over the demo
//! library's models.py (no database): parsed, evaluated, compiled to SQL. Errors are
//! expected; panics, aborts, timeouts and running out of memory are bugs.
//!
//! The first byte picks the dialect (even: SQLite, odd: PostgreSQL); the rest is the
//! source. Loops that never end (`while True: pass` is valid input) are stopped the way
//! Ctrl-C stops them in the shell: a watchdog thread calls `djq::orm::interrupt()` when
//! one input has run for longer than [`BUDGET`].
#![no_main]

use djq::orm::{Options, Session};
use djq::render::Format;
use djq::schema::Schema;
use djq::sql::Dialect;
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const MODELS: &str = include_str!("../../fixtures/demo/books/models.py");

/// How long one input may run before the watchdog interrupts it.
const BUDGET: Duration = Duration::from_millis(500);

/// The demo schema, built once; each input gets a fresh session over a copy.
fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let decls = djq::schema::models_py::load_source("books", "books/models.py", MODELS)
            .expect("the demo models.py loads");
        djq::schema::models_py::schema_from_models(decls).expect("the demo schema builds")
    })
}

/// When the running input started, in milliseconds since [`epoch`]; 0 between inputs.
static STARTED: AtomicU64 = AtomicU64::new(0);

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

fn now_ms() -> u64 {
    epoch().elapsed().as_millis() as u64 + 1
}

/// Start the watchdog (once): it interrupts any input that runs longer than [`BUDGET`].
fn watchdog() {
    static STARTED_WATCHDOG: OnceLock<()> = OnceLock::new();
    STARTED_WATCHDOG.get_or_init(|| {
        epoch();
        std::thread::spawn(|| {
            loop {
                std::thread::sleep(BUDGET / 5);
                let started = STARTED.load(Ordering::SeqCst);
                if started != 0 && now_ms().saturating_sub(started) > BUDGET.as_millis() as u64 {
                    djq::orm::interrupt();
                }
            }
        });
    });
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(src) = std::str::from_utf8(rest) else {
        return;
    };
    let dialect = if first % 2 == 0 {
        Dialect::Sqlite
    } else {
        Dialect::Postgres
    };
    watchdog();
    let opts = Options::sql_only(Format::Json);
    let mut session = Session::new(
        schema().clone(),
        None,
        dialect,
        opts,
        Box::new(std::io::sink()),
    );
    STARTED.store(now_ms(), Ordering::SeqCst);
    let _ = session.run(src);
    STARTED.store(0, Ordering::SeqCst);
});
