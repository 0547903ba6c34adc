//! SQL display: statements with their parameters inlined, ready to paste into `sqlite3` or
//! `psql` ([`sql_inline`]) or as Django's `str(qs.query)` prints them ([`sql_interpolate`]), and SQL as shown to people ([`highlight_sql`]: syntax colors,
//! control characters escaped). Both walk the statement
//! with one small lexer that knows quoted strings, quoted identifiers and comments, so a `?`
//! or `$1` inside them is left alone.

use owo_colors::Style as Paint;

use super::{Style, escape_controls};
use crate::backend::sqlite::convert::adapt;
use crate::sql::Dialect;
use crate::value::{Value, duration_iso, python_float};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Word,
    Number,
    /// A `'...'` string literal.
    Str,
    /// A `"..."` or `` `...` `` identifier.
    Quoted,
    /// `?`, `?NNN` or `$N`.
    Placeholder,
    Comment,
    /// Whitespace and punctuation.
    Other,
}

/// Splits `sql` into tokens; concatenating them gives `sql` back.
fn lex(sql: &str) -> Vec<(Kind, &str)> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &sql[i..];
        let c = rest.chars().next().expect("not at the end");
        let (kind, len) = match c {
            '\'' => (Kind::Str, quoted_len(rest, '\'')),
            '"' | '`' => (Kind::Quoted, quoted_len(rest, c)),
            '-' if rest.starts_with("--") => (Kind::Comment, rest.find('\n').unwrap_or(rest.len())),
            '/' if rest.starts_with("/*") => (
                Kind::Comment,
                rest.find("*/").map_or(rest.len(), |end| end + 2),
            ),
            '?' | '$' => (Kind::Placeholder, 1 + digits_len(&rest[1..])),
            '0'..='9' => (Kind::Number, number_len(rest)),
            '.' if rest[1..].starts_with(|c: char| c.is_ascii_digit()) => {
                (Kind::Number, number_len(rest))
            }
            c if c.is_alphabetic() || c == '_' => (
                Kind::Word,
                rest.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                    .unwrap_or(rest.len()),
            ),
            c => (Kind::Other, c.len_utf8()),
        };
        // A lone `$` is punctuation, not a placeholder.
        let kind = if kind == Kind::Placeholder && c == '$' && len == 1 {
            Kind::Other
        } else {
            kind
        };
        tokens.push((kind, &rest[..len]));
        i += len;
    }
    tokens
}

/// Length of a quoted token starting at `s` (the quote doubled inside is an escape).
fn quoted_len(s: &str, quote: char) -> usize {
    let mut chars = s.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if c == quote {
            if chars.peek().map(|&(_, next)| next) == Some(quote) {
                chars.next();
            } else {
                return i + 1;
            }
        }
    }
    s.len()
}

fn digits_len(s: &str) -> usize {
    s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len())
}

/// `123`, `1.5`, `.5`, `1e-3`.
fn number_len(s: &str) -> usize {
    let mut len = digits_len(s);
    if s[len..].starts_with('.') {
        len += 1 + digits_len(&s[len + 1..]);
    }
    let exp = &s[len..];
    if exp.starts_with(['e', 'E']) {
        let sign = usize::from(exp[1..].starts_with(['+', '-']));
        let digits = digits_len(&exp[1 + sign..]);
        if digits > 0 {
            len += 1 + sign + digits;
        }
    }
    len
}

/// `sql` with each placeholder replaced by its parameter as a SQL literal: `?` (and `?NNN`)
/// on SQLite, `$N` on PostgreSQL. Placeholders without a parameter are left as they are.
pub fn sql_inline(sql: &str, params: &[Value], dialect: Dialect) -> String {
    substitute(sql, params, dialect, |v| literal(v, dialect))
}

/// Django's `str(queryset.query)`: `sql % params`, each placeholder replaced by its
/// parameter's `str()`, unquoted (not SQL to run: a string parameter is not a literal).
pub fn sql_interpolate(sql: &str, params: &[Value], dialect: Dialect) -> String {
    substitute(sql, params, dialect, Value::to_python_str)
}

/// `sql` with each placeholder replaced by `text` of its parameter.
fn substitute(
    sql: &str,
    params: &[Value],
    dialect: Dialect,
    text: impl Fn(&Value) -> String,
) -> String {
    let mut out = String::with_capacity(sql.len());
    // SQLite numbers a bare `?` one past the largest number assigned so far.
    let mut largest = 0;
    for (kind, token) in lex(sql) {
        let number = match (kind, dialect) {
            (Kind::Placeholder, Dialect::Sqlite) if token == "?" => {
                largest += 1;
                Some(largest)
            }
            (Kind::Placeholder, Dialect::Sqlite) if token.starts_with('?') => {
                let n = token[1..].parse().ok();
                largest = largest.max(n.unwrap_or(0));
                n
            }
            (Kind::Placeholder, Dialect::Postgres) if token.starts_with('$') => {
                token[1..].parse().ok()
            }
            _ => None,
        };
        let param = number
            .and_then(|n: usize| n.checked_sub(1))
            .and_then(|i| params.get(i));
        match param {
            Some(value) => out.push_str(&text(value)),
            None => out.push_str(token),
        }
    }
    out
}

/// A value as a SQL literal of `dialect`. On SQLite the value is first adapted exactly as it
/// is bound (dates and decimals become text, booleans 0/1, ...), so the pasted statement
/// behaves like the executed one.
fn literal(value: &Value, dialect: Dialect) -> String {
    use rusqlite::types::Value as Sql;
    match dialect {
        Dialect::Sqlite => match adapt(value) {
            Sql::Null => "NULL".into(),
            Sql::Integer(i) => i.to_string(),
            Sql::Real(f) => float_literal(f, dialect),
            Sql::Text(s) => quote(&s),
            Sql::Blob(b) => format!("X'{}'", hex(&b)),
        },
        Dialect::Postgres => match value {
            Value::Null => "NULL".into(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => float_literal(*f, dialect),
            Value::Decimal(d) => d.to_string(),
            Value::Duration(us) => format!("{}::interval", quote(&duration_iso(*us))),
            Value::Json(j) => format!("{}::jsonb", quote(&j.to_string())),
            Value::Bytes(b) => format!("'\\x{}'::bytea", hex(b)),
            Value::Text(_)
            | Value::Uuid(_)
            | Value::Date(_)
            | Value::DateTime(_)
            | Value::NaiveDateTime(_)
            | Value::Time(_) => quote(&value.to_python_str()),
        },
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn float_literal(f: f64, dialect: Dialect) -> String {
    match (f.is_finite(), dialect) {
        (true, _) => python_float(f),
        (false, Dialect::Sqlite) if f.is_nan() => "NULL".into(),
        (false, Dialect::Sqlite) => if f > 0.0 { "9e999" } else { "-9e999" }.into(),
        (false, Dialect::Postgres) => {
            let name = if f.is_nan() {
                "NaN"
            } else if f > 0.0 {
                "Infinity"
            } else {
                "-Infinity"
            };
            format!("'{name}'::float8")
        }
    }
}

const KEYWORDS: &[&str] = &[
    "ALL",
    "ALTER",
    "AND",
    "AS",
    "ASC",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "COLLATE",
    "COMMIT",
    "CONFLICT",
    "CREATE",
    "CROSS",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DISTINCT",
    "DO",
    "DROP",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXISTS",
    "FALSE",
    "FILTER",
    "FIRST",
    "FROM",
    "FULL",
    "GLOB",
    "GROUP",
    "HAVING",
    "ILIKE",
    "IN",
    "INDEX",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTO",
    "IS",
    "JOIN",
    "KEY",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "NOT",
    "NOTHING",
    "NULL",
    "NULLS",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "PARTITION",
    "PRIMARY",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "RELEASE",
    "RETURNING",
    "RIGHT",
    "ROLLBACK",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "TABLE",
    "THEN",
    "TRUE",
    "UNION",
    "UPDATE",
    "USING",
    "VALUES",
    "WHEN",
    "WHERE",
    "WITH",
];

/// Words that start a clause on a new line in [`pretty_sql`].
const CLAUSES: &[&str] = &[
    "FROM",
    "WHERE",
    "GROUP",
    "HAVING",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "INNER",
    "LEFT",
    "CROSS",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "SET",
    "VALUES",
    "RETURNING",
];

/// `sql` laid out for reading: each clause (`FROM`, `WHERE`, a join, `ORDER BY`, ...) on a
/// line of its own, and a subquery's clauses indented under its opening bracket's line.
/// Only whitespace between tokens changes.
pub fn pretty_sql(sql: &str) -> String {
    let tokens = lex(sql);
    let mut out = String::with_capacity(sql.len() + 32);
    // For each open bracket: whether it holds a query (its first word is SELECT).
    let mut brackets: Vec<bool> = Vec::new();
    let mut after_open = false;
    let mut previous_word = "";
    let depth = |brackets: &[bool]| brackets.iter().filter(|q| **q).count();
    for (i, (kind, token)) in tokens.iter().enumerate() {
        match (*kind, *token) {
            (Kind::Other, "(") => {
                brackets.push(false);
                after_open = true;
                out.push('(');
                continue;
            }
            (Kind::Other, ")") => {
                brackets.pop();
            }
            (Kind::Word, word) => {
                let upper = word.to_ascii_uppercase();
                let in_query = brackets.last().is_none_or(|q| *q);
                let starts_subquery = after_open && upper == "SELECT";
                let after_set_operator = upper == "SELECT"
                    && ["UNION", "ALL", "EXCEPT", "INTERSECT"]
                        .contains(&previous_word.to_ascii_uppercase().as_str());
                if starts_subquery && let Some(last) = brackets.last_mut() {
                    *last = true;
                }
                // LEFT and INNER start a clause only as a join (not the LEFT() function).
                let join = !matches!(upper.as_str(), "LEFT" | "INNER")
                    || tokens[i + 1..]
                        .iter()
                        .find(|(k, _)| *k == Kind::Word)
                        .is_some_and(|(_, w)| {
                            ["JOIN", "OUTER"].contains(&w.to_ascii_uppercase().as_str())
                        });
                let breaks = starts_subquery
                    || after_set_operator
                    || (in_query && join && CLAUSES.contains(&upper.as_str()));
                if breaks && i > 0 {
                    while out.ends_with(' ') {
                        out.pop();
                    }
                    out.push('\n');
                    out.push_str(&"    ".repeat(depth(&brackets)));
                }
                previous_word = word;
            }
            _ => {}
        }
        after_open = after_open && kind == &Kind::Other && token.trim().is_empty();
        out.push_str(token);
    }
    out
}

/// `sql` as shown to people: its control characters escaped (a value inlined may hold
/// them: [`escape_controls`]), keywords, strings, numbers, placeholders and comments colored
/// when `style.color` is on.
pub fn highlight_sql(sql: &str, style: Style) -> String {
    let sql = escape_controls(sql);
    if !style.color {
        return sql.into_owned();
    }
    lex(&sql)
        .into_iter()
        .map(|(kind, token)| {
            let paint = match kind {
                Kind::Word if KEYWORDS.contains(&token.to_ascii_uppercase().as_str()) => {
                    Paint::new().blue().bold()
                }
                Kind::Str => Paint::new().green(),
                Kind::Number => Paint::new().yellow(),
                Kind::Placeholder => Paint::new().magenta(),
                Kind::Comment => Paint::new().dimmed(),
                _ => return token.to_string(),
            };
            style.paint(token, paint)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexing_round_trips_and_respects_quotes() {
        let sql = r#"SELECT "a?b", 'it''s ?' -- why?
            FROM t WHERE x = ?1 AND y > 1.5e3 /* $1 */ AND z = $2"#;
        let tokens = lex(sql);
        assert_eq!(tokens.iter().map(|(_, t)| *t).collect::<String>(), sql);
        let placeholders: Vec<&str> = tokens
            .iter()
            .filter(|(k, _)| *k == Kind::Placeholder)
            .map(|(_, t)| *t)
            .collect();
        assert_eq!(placeholders, ["?1", "$2"]);
        assert!(tokens.contains(&(Kind::Number, "1.5e3")));
        assert!(tokens.contains(&(Kind::Str, "'it''s ?'")));
    }

    #[test]
    fn pretty_sql_puts_clauses_and_subqueries_on_their_own_lines() {
        let sql = r#"SELECT "b"."id", LEFT("b"."title", 3) FROM "b" INNER JOIN "a" ON ("b"."a_id" = "a"."id") WHERE ("a"."name" = 'x' AND "b"."id" IN (SELECT U0."id" FROM "b" U0 WHERE U0."pages" > 10)) ORDER BY "b"."id" ASC LIMIT 5"#;
        assert_eq!(
            pretty_sql(sql),
            r#"SELECT "b"."id", LEFT("b"."title", 3)
FROM "b"
INNER JOIN "a" ON ("b"."a_id" = "a"."id")
WHERE ("a"."name" = 'x' AND "b"."id" IN (
    SELECT U0."id"
    FROM "b" U0
    WHERE U0."pages" > 10))
ORDER BY "b"."id" ASC
LIMIT 5"#
        );
        let union = "SELECT 1 UNION ALL SELECT 2 ORDER BY 1";
        assert_eq!(
            pretty_sql(union),
            "SELECT 1\nUNION ALL\nSELECT 2\nORDER BY 1"
        );
        let words = "SELECT 'FROM x' FROM t";
        assert_eq!(pretty_sql(words), "SELECT 'FROM x'\nFROM t");
    }

    #[test]
    fn highlighting_colors_only_with_color() {
        let sql = "SELECT 'x' FROM t WHERE id = ?";
        assert_eq!(highlight_sql(sql, Style::plain()), sql);
        let colored = highlight_sql(
            sql,
            Style {
                color: true,
                width: None,
            },
        );
        assert_eq!(
            colored,
            "\u{1b}[34;1mSELECT\u{1b}[0m \u{1b}[32m'x'\u{1b}[0m \u{1b}[34;1mFROM\u{1b}[0m t \
             \u{1b}[34;1mWHERE\u{1b}[0m id = \u{1b}[35m?\u{1b}[0m"
        );
    }
}
