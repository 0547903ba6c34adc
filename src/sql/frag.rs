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

/// A position in a [`Frag`]: what is written after it can be cut off again (an expression
/// that turns out to be EmptyResultSet leaves nothing behind).
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    pub(super) sql: usize,
    params: usize,
}

impl Frag {
    pub fn new(sql: impl Into<String>) -> Frag {
        Frag {
            sql: sql.into(),
            params: Vec::new(),
        }
    }

    /// An empty fragment with room for `sql` bytes (a statement is written into one).
    pub fn with_capacity(sql: usize) -> Frag {
        Frag {
            sql: String::with_capacity(sql),
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
    #[inline]
    pub fn push_param(&mut self, v: Value) {
        self.sql.push(PARAM);
        self.params.push(v);
    }

    pub fn push(&mut self, other: Frag) {
        self.sql.push_str(&other.sql);
        self.params.extend(other.params);
    }

    /// The current end, to [`Frag::truncate`] back to.
    #[inline]
    pub fn mark(&self) -> Mark {
        Mark {
            sql: self.sql.len(),
            params: self.params.len(),
        }
    }

    /// Drop what was written after `m`.
    #[inline]
    pub fn truncate(&mut self, m: Mark) {
        self.sql.truncate(m.sql);
        self.params.truncate(m.params);
    }

    /// Whether no SQL was written after `m`.
    #[inline]
    pub fn empty_since(&self, m: Mark) -> bool {
        self.sql.len() == m.sql
    }

    /// The SQL written after `m`.
    pub fn sql_since(&self, m: Mark) -> &str {
        &self.sql[m.sql..]
    }

    /// What was written between `a` and `b`: its SQL and parameters.
    pub fn between(&self, a: Mark, b: Mark) -> (&str, &[Value]) {
        (&self.sql[a.sql..b.sql], &self.params[a.params..b.params])
    }

    /// What was written after `m`, taken out as its own fragment.
    pub fn split_off(&mut self, m: Mark) -> Frag {
        Frag {
            sql: self.sql.split_off(m.sql),
            params: self.params.split_off(m.params),
        }
    }

    /// Put `open` before what was written after `m` and `close` after it.
    pub fn wrap_since(&mut self, m: Mark, open: &str, close: &str) {
        self.sql.insert_str(m.sql, open);
        self.sql.push_str(close);
    }

    /// [`Frag::parenthesized`] for what was written after `m`.
    pub fn parenthesize_since(&mut self, m: Mark) {
        if !self.sql_since(m).starts_with('(') {
            self.wrap_since(m, "(", ")");
        }
    }

    /// A resolved condition (Django's `WhereNode.resolved`) written after `m`, in
    /// parentheses unless it is one parenthesized whole already (a row-value comparison
    /// `("a", "b") = (1, 2)` is not).
    pub fn parenthesize_condition_since(&mut self, m: Mark) {
        if !enclosed(self.sql_since(m)) {
            self.wrap_since(m, "(", ")");
        }
    }

    /// `self` followed by `other`.
    pub fn joined(mut self, other: Frag) -> Frag {
        self.push(other);
        self
    }

    #[inline]
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
        let sql = match dialect.fixed_placeholder() {
            // One byte for another, in place.
            Some(placeholder) => {
                let mut bytes = self.sql.into_bytes();
                for b in &mut bytes {
                    // A select, not a branch: the loop runs many bytes at a time.
                    *b = if *b == PARAM as u8 { placeholder } else { *b };
                }
                String::from_utf8(bytes).expect("ASCII replaced by ASCII")
            }
            None => {
                let mut sql = String::with_capacity(self.sql.len() + self.params.len() * 2);
                let mut pieces = self.sql.split(PARAM);
                sql.push_str(pieces.next().unwrap_or_default());
                for (n, piece) in pieces.enumerate() {
                    dialect.push_placeholder(&mut sql, n + 1);
                    sql.push_str(piece);
                }
                sql
            }
        };
        let mut params = self.params;
        for v in &mut params {
            dialect.adapt(v);
        }
        Statement {
            sql,
            params,
            content_types: Vec::new(),
        }
    }
}

/// Whether `sql` is one parenthesized whole (`(a AND b)`), not parts that start and end with
/// parentheses (`("a", "b") = (1, 2)`); quoted names and strings are skipped.
fn enclosed(sql: &str) -> bool {
    if !sql.starts_with('(') {
        return false;
    }
    let mut depth = 0usize;
    let mut quote = None;
    for (i, c) in sql.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1 == sql.len();
                }
            }
            _ => {}
        }
    }
    false
}
