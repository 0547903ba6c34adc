//! Inputs the fuzzer (`fuzz/`) once crashed djq with, run as its `compile` target runs them
//! (the first byte picks the dialect: even SQLite, odd PostgreSQL; the rest is run with
//! `--sql-only` semantics over the demo models): each must end in a result or an error.

use djq::orm::{Options, Session};
use djq::render::Format;
use djq::sql::Dialect;
use std::path::Path;

fn run(input: &[u8]) -> Result<(), String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let decls = djq::schema::models_py::load(&[root.join("fixtures/demo/books")]).unwrap();
    let schema = djq::schema::models_py::schema_from_models(decls).unwrap();
    let dialect = match input.first() {
        Some(b) if b % 2 == 1 => Dialect::Postgres,
        _ => Dialect::Sqlite,
    };
    let Ok(src) = std::str::from_utf8(input.get(1..).unwrap_or_default()) else {
        return Ok(());
    };
    let opts = Options::sql_only(Format::Json);
    let mut session = Session::new(schema, None, dialect, opts, Box::new(std::io::sink()));
    session.run(src).map_err(|d| d.message)
}

#[test]
fn every_input_that_once_crashed_ends_in_a_result_or_an_error() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz_regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("the regressions folder") {
        let path = entry.expect("an entry").path();
        let input = std::fs::read(&path).expect("read an input");
        // A panic fails the test; an error is the right answer.
        let _ = run(&input);
        seen += 1;
    }
    assert!(seen > 0);
}

#[test]
fn a_string_repeated_past_memory_is_a_memory_error() {
    let input = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/fuzz_regressions/string-repeated-past-memory"),
    )
    .expect("read the input");
    let err = run(&input).unwrap_err();
    assert_eq!(
        err,
        "the repeated string would be longer than djq allows (256 MiB)"
    );
}
