//! The known-gaps lists (`fixtures/conformance/known-gaps.tsv`,
//! `fixtures/scripts/writes-known-gaps.tsv`): cases where djq does not match Django yet, one a
//! line, tab-separated key fields then the reason. A list only shrinks: its header holds the
//! committed count (`# entries: N`), and a list with more lines than that (a new gap added
//! without a deliberate header change) or fewer (a gap closed: lower the count with it) fails;
//! so does a line without a reason or listed twice. Which lines are stale (the case matches
//! now, or does not exist) each test decides with its own cases.

use std::collections::BTreeSet;

/// One line of a gaps list.
pub struct Gap {
    /// The line number in the file (1-based).
    pub line: usize,
    /// The fields before the reason.
    pub key: Vec<String>,
    pub reason: String,
}

pub struct Gaps {
    pub gaps: Vec<Gap>,
    /// What is wrong with the file itself (header, count, reasons, duplicates).
    pub problems: Vec<String>,
}

impl Gaps {
    /// The keys of the listed cases.
    pub fn keys(&self) -> BTreeSet<Vec<String>> {
        self.gaps.iter().map(|g| g.key.clone()).collect()
    }

    /// What is wrong with a list of `(label, rows|sql, expression)` lines: the file's own
    /// problems, and each line naming no recorded entry (`recorded(label, expression)`) or
    /// a kind other than `rows`/`sql`.
    pub fn unrecorded(&self, recorded: impl Fn(&str, &str) -> bool) -> Vec<String> {
        let mut problems = self.problems.clone();
        for gap in &self.gaps {
            let [label, kind, expr] = &gap.key[..] else {
                unreachable!("three key fields")
            };
            if !recorded(label, expr) || !["rows", "sql"].contains(&kind.as_str()) {
                problems.push(format!(
                    "line {}: no such entry: {label} {kind} {expr}",
                    gap.line
                ));
            }
        }
        problems
    }
}

/// Whether a recording (`{"entries": [{"expr": ...}, ...]}`) holds an entry of `expr`.
pub fn has_entry(recording: &serde_json::Value, expr: &str) -> bool {
    (recording["entries"].as_array().unwrap().iter()).any(|e| e["expr"] == expr)
}

/// Reads a gaps list whose lines hold `key_fields` fields and then the reason.
pub fn parse(text: &str, key_fields: usize) -> Gaps {
    let mut problems = Vec::new();
    let mut committed = None;
    let mut gaps: Vec<Gap> = Vec::new();
    for (line, n) in text.lines().zip(1..) {
        if let Some(comment) = line.strip_prefix('#') {
            if let Some(count) = comment.trim().strip_prefix("entries:") {
                match count.trim().parse::<usize>() {
                    Ok(count) if committed.is_none() => committed = Some(count),
                    _ => problems.push(format!("line {n}: a second or unreadable count: {line}")),
                }
            }
            continue;
        }
        if line.trim().is_empty() {
            continue;
        }
        let mut fields: Vec<String> = line.split('\t').map(str::to_string).collect();
        if fields.len() != key_fields + 1 || fields.iter().any(|f| f.trim().is_empty()) {
            problems.push(format!(
                "line {n}: expected {key_fields} fields and a reason, tab-separated: {line}"
            ));
            continue;
        }
        let reason = fields.pop().unwrap_or_default();
        if gaps.iter().any(|g| g.key == fields) {
            problems.push(format!("line {n}: listed twice: {line}"));
            continue;
        }
        gaps.push(Gap {
            line: n,
            key: fields,
            reason,
        });
    }
    match committed {
        None => problems.push("no `# entries: N` header with the committed count".into()),
        Some(count) if gaps.len() > count => problems.push(format!(
            "{} entries, more than the committed {count}: fix the new cases instead of listing \
             them (or raise the count deliberately)",
            gaps.len()
        )),
        Some(count) if gaps.len() < count => problems.push(format!(
            "{} entries, fewer than the committed {count}: lower the header to `# entries: {}`",
            gaps.len(),
            gaps.len()
        )),
        Some(_) => {}
    }
    Gaps { gaps, problems }
}

/// Reads a gaps list of the repository (`path` relative to its root).
pub fn read(path: &str, key_fields: usize) -> Gaps {
    let full = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{path}: {e}"));
    parse(&text, key_fields)
}
