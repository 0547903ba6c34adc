//! Composite primary keys (`models.CompositePrimaryKey`) on the compositepk fixture app, with
//! expectations run in Django 6.1.3 on the same data (the recorded corpus and write scripts
//! cover the rest: tests/conformance.rs, tests/writes.rs).

mod support;

use support::{Run, djq};

const DB: &str = "fixtures/compositepk/compositepk.sqlite3";
const MODELS: &str = "fixtures/compositepk/compositepk";

/// djq on the compositepk fixture (read-only), running each of `code` in one session.
fn run(code: &[&str]) -> Run {
    let mut cmd = djq();
    cmd.args([DB, "--models", MODELS, "--read-only"]);
    for c in code {
        cmd.arg("-c").arg(c);
    }
    cmd.output().expect("run djq").into()
}

#[test]
fn instances_are_equal_and_hash_by_the_whole_composite_key() {
    let out = run(&[
        "a = Bin.objects.get(pk=(1, 1)); b = Bin.objects.get(pk=(1, 2))",
        "print(a == b, a == Bin.objects.get(pk=(1, 1)), len({a, b, Bin.objects.get(pk=(1, 1))}), hash(a) == hash((1, 1)))",
        "print(Bin(aisle=1, slot=1) == a, Bin(aisle=1, slot=2) == a)",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "False True 2 True\nTrue False\n");
}

#[test]
fn refresh_from_db_reloads_the_row_the_whole_composite_key_finds() {
    let out = run(&[
        "b = Bin.objects.get(pk=(1, 2)); b.label = 'x'; b.refresh_from_db()",
        "print(b.label)",
        "b.label = 'y'; b.refresh_from_db(fields=['label'])",
        "print(b.label)",
        "p = Product.objects.get(pk=(2, 'A1')); p.name = 'z'; p.refresh_from_db()",
        "print(p.name)",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "cups\ncups\nStorm lantern\n");
}
