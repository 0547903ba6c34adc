//! Runs the SQL Django 6 emitted for the recorded conformance corpus
//! (`fixtures/conformance/*.sqlite.json`) through the SQLite backend and checks that the rows
//! decode to exactly what Django returned. This exercises Django's SQL functions
//! (`django_datetime_extract`, `django_datetime_cast_date`, `REGEXP`, ...) and the converters
//! (aware datetimes, quantized decimals, booleans) on real recorded queries. The recorded
//! values are compared as djq's JSON output writes them (tests/support/recording.rs).

mod support;

use std::path::Path;
use std::sync::LazyLock;

use djq::backend;
use djq::value::{Value, ValueType};
use regex::Regex;
use serde_json::Value as Json;
use support::recording::django_json;

static AWARE_DATETIME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z$").unwrap());

fn param(json: &Json) -> Value {
    match json {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => n
            .as_i64()
            .map_or_else(|| Value::Float(n.as_f64().unwrap()), Value::Int),
        Json::String(s) => Value::Text(s.clone()),
        other => panic!("unexpected parameter {other}"),
    }
}

/// The output field type Django decoded a column with, judged from the value it returned
/// and the raw value SQLite holds.
fn value_type(recorded: &Json, raw: &Value) -> ValueType {
    match (recorded, raw) {
        (Json::Bool(_), _) => ValueType::Bool,
        (Json::String(s), _) if AWARE_DATETIME.is_match(s) => ValueType::DateTime,
        (Json::String(s), Value::Int(_) | Value::Float(_)) => ValueType::Decimal {
            places: Some(s.split_once('.').map_or(0, |(_, f)| f.len() as u32)),
        },
        _ => ValueType::Any,
    }
}

/// The recorded result as rows of values.
fn recorded_rows(result: &Json) -> Option<Vec<Vec<Json>>> {
    let row = |item: &Json| match item {
        Json::Object(map) => map.values().cloned().collect(),
        Json::Array(items) => items.clone(),
        scalar => vec![scalar.clone()],
    };
    match result {
        Json::Array(items) => Some(items.iter().map(row).collect()),
        Json::Object(_) | Json::Number(_) => Some(vec![row(result)]),
        _ => None,
    }
}

fn check_corpus(name: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text =
        std::fs::read_to_string(root.join(format!("fixtures/conformance/{name}.sqlite.json")))
            .unwrap();
    let corpus: Json = serde_json::from_str(&text).unwrap();
    let database = root.join(corpus["database"].as_str().unwrap());
    let mut db = backend::connect(database.to_str().unwrap(), true).unwrap();
    let (mut checked, mut failures) = (0, Vec::new());
    for entry in corpus["entries"].as_array().unwrap() {
        let queries = entry["queries"].as_array().unwrap();
        let [query] = &queries[..] else { continue };
        let sql = query["sql"].as_str().unwrap();
        if entry.get("error").is_some() || !sql.starts_with("SELECT") {
            continue;
        }
        let params: Vec<Value> = query["params"]
            .as_array()
            .unwrap()
            .iter()
            .map(param)
            .collect();
        let raw_rows = match db.query_all(sql, &params, &[]) {
            Ok(rows) => rows,
            Err(e) => {
                failures.push(format!("{}: {e}", entry["expr"]));
                continue;
            }
        };
        checked += 1;
        let result = &django_json(&entry["result"]);
        let Some(mut expected) = recorded_rows(result) else {
            // exists() → a boolean; first() of nothing → null.
            let found = !raw_rows.is_empty();
            if (result.is_boolean() && result.as_bool() != Some(found))
                || (result.is_null() && found)
            {
                failures.push(format!(
                    "{}: expected {result}, got {} rows",
                    entry["expr"],
                    raw_rows.len()
                ));
            }
            continue;
        };
        // Decode every row with the types Django's converters used, then compare as JSON.
        let width = expected.first().map_or(0, Vec::len);
        let types: Vec<ValueType> = (0..width)
            .map(|c| {
                let recorded = expected.iter().map(|r| &r[c]).find(|v| !v.is_null());
                let raw = raw_rows.iter().map(|r| &r[c]).find(|v| !v.is_null());
                match (recorded, raw) {
                    (Some(recorded), Some(raw)) => value_type(recorded, raw),
                    _ => ValueType::Any,
                }
            })
            .collect();
        // select_related() rows carry the related models' columns after the recorded ones.
        let mut got: Vec<Vec<Json>> = db
            .query_all(sql, &params, &types)
            .unwrap()
            .iter()
            .map(|row| row.iter().take(width).map(Value::to_json).collect())
            .collect();
        if entry["ordered"] == Json::Bool(false) {
            let key = |row: &Vec<Json>| serde_json::to_string(row).unwrap();
            got.sort_by_key(key);
            expected.sort_by_key(key);
        }
        if got != expected {
            failures.push(format!(
                "{}\n  expected {}\n  got      {}",
                entry["expr"],
                serde_json::to_string(&expected).unwrap(),
                serde_json::to_string(&got).unwrap()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {checked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(checked > 100, "only {checked} entries checked");
}

#[test]
fn library_corpus_rows_match_django() {
    check_corpus("library");
}

#[test]
fn blog_corpus_rows_match_django() {
    check_corpus("blog");
}
