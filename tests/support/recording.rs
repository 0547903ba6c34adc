//! Django's conformance recordings (`fixtures/conformance/*.json`, written by tools/record.py)
//! as the tests read them: values at full precision turned into djq's `--format json` contract,
//! an order-sensitive comparison, and the link between a recording and its corpus file.

use regex::Regex;
use serde_json::Value as Json;
use std::sync::LazyLock;

/// Python's `datetime.isoformat()`: `2021-03-01T09:30:00.123456+00:00` (fraction and offset
/// optional).
static ISO_DATETIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d{6})?([+-]\d{2}:\d{2})?$").unwrap()
});

/// Python's `time.isoformat()` of a time with microseconds: `09:30:00.123456`.
static ISO_TIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\d{2}:\d{2}:\d{2})(\.\d{6})$").unwrap());

/// A recorded value as Django's `DjangoJSONEncoder` writes it (djq's JSON output contract): the
/// recording keeps datetimes and times as `isoformat()` gives them; the encoder keeps
/// milliseconds only and writes a `+00:00` offset as `Z`. Everything else (decimals as
/// `str()`, durations, dates) is already in the encoder's form. Applied to arrays and objects
/// element by element.
pub fn django_json(recorded: &Json) -> Json {
    match recorded {
        Json::String(s) => Json::String(django_text(s)),
        Json::Array(items) => Json::Array(items.iter().map(django_json).collect()),
        Json::Object(map) => Json::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), django_json(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn django_text(s: &str) -> String {
    fn millis<'a>(fraction: Option<regex::Match<'a>>) -> &'a str {
        fraction.map_or("", |f| &f.as_str()[..4])
    }
    if let Some(c) = ISO_DATETIME.captures(s) {
        let offset = match c.get(3).map(|o| o.as_str()) {
            Some("+00:00") => "Z",
            other => other.unwrap_or(""),
        };
        format!("{}{}{offset}", &c[1], millis(c.get(2)))
    } else if let Some(c) = ISO_TIME.captures(s) {
        format!("{}{}", &c[1], millis(c.get(2)))
    } else {
        s.to_string()
    }
}

/// The same JSON, object keys in the same order (serde_json's own `==` ignores key order;
/// Django's column order is part of the contract).
pub fn same_json(a: &Json, b: &Json) -> bool {
    match (a, b) {
        (Json::Object(x), Json::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .zip(y)
                    .all(|((ka, va), (kb, vb))| ka == kb && same_json(va, vb))
        }
        (Json::Array(x), Json::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_json(a, b))
        }
        _ => a == b,
    }
}

/// The expressions of a corpus file with their line numbers (1-based), read as tools/record.py
/// reads them: stripped, blank lines and `#` comments left out.
pub fn corpus_lines(text: &str) -> Vec<(u64, String)> {
    text.lines()
        .zip(1..)
        .map(|(line, n)| (n, line.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .map(|(n, l)| (n, l.to_string()))
        .collect()
}

/// What does not match between a corpus file and a recording of it: corpus lines with no
/// entry recorded for them, and entries whose `line`/`expr` is no line of the corpus (each
/// entry carries the line it was recorded from). Empty when the recording is current.
pub fn unmatched_lines(corpus: &str, recording: &Json) -> Vec<String> {
    let lines = corpus_lines(corpus);
    let entries: Vec<(u64, String)> = recording["entries"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|e| {
            (
                e["line"].as_u64().unwrap_or(0),
                e["expr"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut out = Vec::new();
    for (n, expr) in &lines {
        if !entries.iter().any(|(m, e)| m == n && e == expr) {
            out.push(format!("line {n} has no recording: {expr}"));
        }
    }
    for (m, e) in &entries {
        if !lines.iter().any(|(n, expr)| m == n && e == expr) {
            out.push(format!("recorded entry is no corpus line: line {m}: {e}"));
        }
    }
    if out.is_empty() && lines.len() != entries.len() {
        out.push(format!(
            "{} corpus lines, {} recorded entries",
            lines.len(),
            entries.len()
        ));
    }
    out
}
