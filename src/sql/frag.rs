//! SQL fragments: text with parameter markers plus the parameters, in order.

use super::{Dialect, Statement};
use crate::value::Value;

/// Marks a parameter position until the statement is finished (placeholders are numbered
/// per statement on PostgreSQL).
pub const PARAM: char = '\u{1}';

/// SQL text with parameter markers, before placeholders are numbered.
#[derive(Debug, Default, Clone)]
pub struct Frag {
    pub sql: String,
    pub params: Vec<Value>,
}

impl Frag {
    pub fn new(sql: impl Into<String>) -> Frag {
        Frag {
            sql: sql.into(),
            params: Vec::new(),
        }
    }

    pub fn param(v: Value) -> Frag {
        Frag {
            sql: PARAM.to_string(),
            params: vec![v],
        }
    }

    /// Append one parameter (what `push(Frag::param(v))` does, without its allocations).
    pub fn push_param(&mut self, v: Value) {
        self.sql.push(PARAM);
        self.params.push(v);
    }

    pub fn push(&mut self, other: Frag) {
        self.sql.push_str(&other.sql);
        self.params.extend(other.params);
    }

    /// `self` with `params` as its parameters.
    pub fn joined_params(mut self, params: Vec<Value>) -> Frag {
        self.params = params;
        self
    }

    /// `self` followed by `other`.
    pub fn joined(mut self, other: Frag) -> Frag {
        self.push(other);
        self
    }

    pub fn push_str(&mut self, s: &str) {
        self.sql.push_str(s);
    }

    /// Wrap in parentheses unless already wrapped (Django's `process_rhs`).
    pub fn parenthesized(self) -> Frag {
        if self.sql.starts_with('(') {
            self
        } else {
            Frag {
                sql: format!("({})", self.sql),
                params: self.params,
            }
        }
    }

    /// The finished statement: placeholders numbered in the dialect's style, parameters
    /// adapted as the driver receives them.
    pub fn finish(self, dialect: Dialect) -> Statement {
        let mut sql = String::with_capacity(self.sql.len() + self.params.len() * 2);
        let mut pieces = self.sql.split(PARAM);
        sql.push_str(pieces.next().unwrap_or_default());
        for (n, piece) in pieces.enumerate() {
            dialect.push_placeholder(&mut sql, n + 1);
            sql.push_str(piece);
        }
        Statement {
            sql,
            params: self.params.into_iter().map(|v| dialect.adapt(v)).collect(),
        }
    }
}
