//! Readable comparisons of texts.

/// The first line where `actual` and `expected` differ, for a readable failure.
pub fn first_difference(expected: &str, actual: &str) -> String {
    let (mut e, mut a) = (expected.lines(), actual.lines());
    for n in 1.. {
        match (e.next(), a.next()) {
            (None, None) => return "the texts differ only in their line endings".into(),
            (x, y) if x == y => continue,
            (x, y) => return format!("line {n}:\n  expected: {x:?}\n    actual: {y:?}"),
        }
    }
    unreachable!()
}
