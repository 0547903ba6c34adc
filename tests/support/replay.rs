//! Replaying a recording of tools/record.py's format (tests/conformance.rs in a session,
//! tests/projects.rs through the `djq` binary): one entry's outcome, what djq did compared
//! with what Django did ([`compare`]), and the tally of a replay against its known-gaps list
//! ([`Tally`]): a listed entry that matches now, an unlisted one that does not, and a reason
//! that does not state the outcome it explains all fail.

use super::recording::{django_json, same_json};
use serde_json::Value as Json;
use std::collections::BTreeMap;

/// What djq did for one entry: the statements it ran (`{"sql", "params"}`, parameters as the
/// driver is given them), and the error it raised (exception name as Python's `__name__`,
/// message) or the JSON text it wrote.
pub struct Ran {
    pub queries: Vec<Json>,
    pub outcome: Result<String, (String, String)>,
}

#[derive(Debug, Default)]
pub struct Outcome {
    pub rows_ok: bool,
    pub sql_ok: bool,
    pub detail: String,
    /// What a known-gaps reason for a failing `rows` (`sql`) entry must say, so that it states
    /// the outcome truly: `djq raises <Type>` (Django did not raise), `djq raises nothing`
    /// (Django raised), `message` (both raised, messages differ), `rows` (other rows); `binds`
    /// (same SQL text, other parameters) or `SQL`.
    pub rows_claim: String,
    pub sql_claim: &'static str,
}

impl Outcome {
    /// What the reason of a gaps line of `kind` (`rows`, `sql`) for this entry must say.
    pub fn claim(&self, kind: &str) -> &str {
        if kind == "rows" {
            &self.rows_claim
        } else {
            self.sql_claim
        }
    }
}

fn normalize_rows(result: &Json, ordered: bool) -> Json {
    match result {
        Json::Array(items) if !ordered => {
            let mut v: Vec<String> = items.iter().map(|i| i.to_string()).collect();
            v.sort();
            Json::Array(v.into_iter().map(Json::String).collect())
        }
        other => other.clone(),
    }
}

/// The outcome of a recorded entry given what djq did: the same statements (text and
/// parameters, in order), and the same error (type and message) or the same rows as
/// DjangoJSONEncoder writes them (in order unless Django's result was unordered).
pub fn compare(entry: &Json, ran: Ran) -> Outcome {
    let Ran { queries, outcome } = ran;
    let expected_queries = entry["queries"].as_array().cloned().unwrap_or_default();
    let sql_ok = same_json(
        &Json::Array(queries.clone()),
        &Json::Array(expected_queries.clone()),
    );
    let mut detail = String::new();
    let same_text = queries.len() == expected_queries.len()
        && queries
            .iter()
            .zip(&expected_queries)
            .all(|(a, b)| a["sql"] == b["sql"]);
    let sql_claim = if same_text { "binds" } else { "SQL" };
    if !sql_ok {
        detail.push_str(&format!(
            "SQL differs:\n  django: {}\n  djq:    {}\n",
            Json::Array(expected_queries),
            Json::Array(queries)
        ));
    }
    let mut rows_claim = String::from("rows");
    let rows_ok = match (&entry.get("error"), outcome) {
        (Some(err), Err((kind, message))) => {
            let ok = err["type"] == kind.as_str() && err["message"] == message.as_str();
            rows_claim = if err["type"] == kind.as_str() {
                "message".into()
            } else {
                format!("djq raises {kind}")
            };
            if !ok {
                detail.push_str(&format!(
                    "error differs: django {err} / djq {kind}: {message}\n"
                ));
            }
            ok
        }
        (Some(err), Ok(_)) => {
            detail.push_str(&format!("django raised {err}, djq did not\n"));
            rows_claim = "djq raises nothing".into();
            false
        }
        (None, Err((kind, message))) => {
            detail.push_str(&format!("djq raised {kind}: {message}\n"));
            rows_claim = format!("djq raises {kind}");
            false
        }
        (None, Ok(text)) => match serde_json::from_str::<Json>(text.trim()) {
            Ok(got) => {
                let ordered = entry["ordered"].as_bool().unwrap_or(true);
                let django = django_json(&entry["result"]);
                let ok = same_json(
                    &normalize_rows(&got, ordered),
                    &normalize_rows(&django, ordered),
                );
                if !ok {
                    let show = |j: &Json| {
                        let s = j.to_string();
                        s.chars().take(400).collect::<String>()
                    };
                    detail.push_str(&format!(
                        "rows differ:\n  django: {}\n  djq:    {}\n",
                        show(&django),
                        show(&got)
                    ));
                }
                ok
            }
            Err(e) => {
                detail.push_str(&format!(
                    "djq output is not one JSON document ({e}): {text}\n"
                ));
                rows_claim = "JSON".into();
                false
            }
        },
    };
    Outcome {
        rows_ok,
        sql_ok,
        detail,
        rows_claim,
        sql_claim,
    }
}

/// The outcomes of a replay, held against a known-gaps list whose lines are
/// `label \t kind \t expr \t reason` (kind `rows`: rows or error differ; `sql`).
pub struct Tally {
    /// The gaps list's path (relative to the crate's root), for the messages.
    path: String,
    gaps: BTreeMap<Vec<String>, String>,
    pub total: usize,
    pub rows_ok: usize,
    pub sql_ok: usize,
    failures: Vec<String>,
    now_passing: Vec<String>,
    untrue: Vec<String>,
    /// `label \t kind \t expr \t claim: why` of every failing entry, listed or not.
    report: String,
    details: String,
}

impl Tally {
    pub fn new(path: &str, gaps: super::gaps::Gaps) -> Tally {
        Tally {
            path: path.to_string(),
            gaps: gaps.gaps.into_iter().map(|g| (g.key, g.reason)).collect(),
            total: 0,
            rows_ok: 0,
            sql_ok: 0,
            failures: Vec::new(),
            now_passing: Vec::new(),
            untrue: Vec::new(),
            report: String::new(),
            details: String::new(),
        }
    }

    /// One entry's outcome, of the replay `label` (a gaps line's first field); `place` says
    /// where the entry comes from (`mysite.corpus line 12`).
    pub fn add(&mut self, label: &str, place: &str, entry: &Json, o: &Outcome) {
        let expr = entry["expr"].as_str().unwrap_or_default();
        self.total += 1;
        self.rows_ok += o.rows_ok as usize;
        self.sql_ok += o.sql_ok as usize;
        for (kind, ok) in [("rows", o.rows_ok), ("sql", o.sql_ok)] {
            let key = vec![label.to_string(), kind.to_string(), expr.to_string()];
            let reason = self.gaps.get(&key);
            let listed = reason.is_some();
            let claim = o.claim(kind);
            if let Some(reason) = reason.filter(|r| !ok && !r.contains(claim)) {
                self.untrue.push(format!(
                    "{label}\t{kind}\t{expr}: the reason does not say `{claim}`: {reason}"
                ));
            }
            if !ok {
                let why = o
                    .detail
                    .lines()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("");
                let why: String = why.chars().take(160).collect();
                self.report
                    .push_str(&format!("{label}\t{kind}\t{expr}\t{claim}: {why}\n"));
                if kind == "rows" || o.rows_ok {
                    self.details
                        .push_str(&format!("[{label}] {expr}\n{}\n", o.detail));
                }
            }
            if !ok && !listed {
                self.failures
                    .push(format!("[{label}, {place}] {expr}\n{}", o.detail));
            }
            if ok && listed {
                self.now_passing.push(format!("{label}\t{kind}\t{expr}"));
            }
        }
    }

    /// With `DJQ_GAPS_OUT` set, every failing entry (listed or not) is written to
    /// `$DJQ_GAPS_OUT.<suffix>` in the gaps list's form, the reason being what it must state
    /// ([`Outcome::claim`]) and the first line of what differs, and the details to
    /// `$DJQ_GAPS_OUT.<suffix>.details`.
    pub fn write_report(&self, suffix: &str) {
        if let Ok(path) = std::env::var("DJQ_GAPS_OUT") {
            std::fs::write(format!("{path}.{suffix}"), &self.report).unwrap();
            std::fs::write(format!("{path}.{suffix}.details"), &self.details).unwrap();
        }
    }

    /// Fails on an unlisted entry that differs from Django, a listed one whose reason does not
    /// state its outcome, and a listed one that matches now.
    pub fn assert_as_listed(&self) {
        let path = &self.path;
        assert!(
            self.failures.is_empty(),
            "{} entries differ from Django and are not in {path}:\n\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
        assert!(
            self.untrue.is_empty(),
            "these reasons in {path} do not state the outcome:\n{}",
            self.untrue.join("\n")
        );
        assert!(
            self.now_passing.is_empty(),
            "these entries match Django now; remove them from {path}:\n{}",
            self.now_passing.join("\n")
        );
    }
}
