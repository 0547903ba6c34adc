//! EXPLAIN: `qs.explain()` as Django returns it, and the plan the shell's `\explain` shows —
//! of the last statement run, or of the query an expression would run — as a tree on
//! SQLite (like the sqlite3 shell's) and PostgreSQL's own text. The query's values travel
//! as bound parameters, as they did when it ran.

use super::Session;
use super::obj::DjangoObj;
use super::obj::QuerySet;
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::Args;
use crate::py::Obj;
use crate::sql::{Dialect, Statement};
use crate::syntax::ast::StmtKind;
use crate::value::Value;

impl Session {
    /// Django's `QuerySet.explain(format=None, **options)`: the plan's rows, each row's
    /// values joined by spaces (`2 0 0 SCAN books_book` on SQLite), one line per row. Like
    /// Django's, the EXPLAIN statement is logged as it runs.
    pub(super) fn explain_queryset(&mut self, qs: &QuerySet, args: &Args) -> Result<Obj> {
        if let Some((_, span)) = args.pos.first() {
            return Err(
                Diagnostic::new(ErrorKind::Type, "explain() takes 0 positional arguments")
                    .at(*span),
            );
        }
        let mut format = None;
        let mut options = Vec::new();
        for (name, value, _) in &args.kw {
            match (name.as_str(), value) {
                ("format", Obj::Value(Value::Null)) => {}
                ("format", Obj::Value(Value::Text(f))) => format = Some(f.clone()),
                (name, value) => options.push((name.to_string(), option_is_set(value))),
            }
        }
        let prefix = self
            .host
            .dialect
            .explain_prefix(format.as_deref(), &options)
            .map_err(|d| d.at(args.span))?;
        let compiled = self.compile_select(&qs.query)?;
        let Some(st) = compiled.statement else {
            return Ok(Obj::str(String::new()));
        };
        let explain = Statement {
            sql: format!("{prefix} {}", st.sql),
            params: st.params,
            content_types: st.content_types,
        };
        let json = format.is_some_and(|f| f.eq_ignore_ascii_case("json"));
        let mut lines = Vec::new();
        self.run_rows(&explain, &[], &mut |row| {
            let cells: Vec<String> = row
                .iter()
                .map(|v| match v {
                    Value::Json(j) if json => j.to_string(),
                    v => v.to_python_str(),
                })
                .collect();
            lines.push(cells.join(" "));
            Ok(())
        })
        .map_err(|d| d.at(args.span))?;
        Ok(Obj::str(lines.join("\n")))
    }

    /// The plan the shell's `\explain` shows: of the query `source` would run (a queryset
    /// expression, or a statement whose last query is explained; nothing runs to find it),
    /// else of the last statement run. Not logged.
    pub fn explain(&mut self, source: Option<&str>) -> Result<String> {
        let st = match source {
            Some(src) => self.statement_of(src)?,
            None => self
                .host
                .log
                .iter()
                .rev()
                .find(|s| !s.sql.starts_with("EXPLAIN"))
                .cloned()
                .ok_or_else(|| {
                    Diagnostic::new(
                        ErrorKind::Value,
                        "no query has run yet: run one, or give one (\\explain Book.objects.all())",
                    )
                })?,
        };
        let prefix = self.host.dialect.explain_prefix(None, &[])?;
        let sql = format!("{prefix} {}", st.sql);
        let rows = self.on_backend(|b| b.query_all(&sql, &st.params, &[]))?;
        Ok(match self.host.dialect {
            Dialect::Sqlite => sqlite_plan_tree(&rows),
            Dialect::Postgres => rows
                .iter()
                .map(|row| row.iter().map(Value::to_python_str).collect::<String>())
                .collect::<Vec<_>>()
                .join("\n"),
        })
    }

    /// The statement the one expression in `src` would run: a queryset's SELECT, or the last
    /// query a call such as `count()` makes. It is evaluated as `--sql-only` does, so that
    /// nothing runs and nothing is asked; what it would have logged is forgotten.
    fn statement_of(&mut self, src: &str) -> Result<Statement> {
        let program = crate::syntax::parse_program(src)?;
        let [stmt] = program.body.as_slice() else {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "\\explain takes one expression, e.g. \\explain Book.objects.filter(pages__gt=400)",
            ));
        };
        let StmtKind::Expr(expr) = &stmt.kind else {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "\\explain takes an expression, not a statement",
            )
            .at(stmt.span));
        };
        let logged = self.host.log.total();
        let sql_only = std::mem::replace(&mut self.host.opts.sql_only, true);
        let confirm = self.host.confirm.take();
        let value = self.eval(expr);
        self.host.opts.sql_only = sql_only;
        self.host.confirm = confirm;
        self.host.log.release_held();
        let ran = self.host.log.take_since(logged);
        let value = value?;
        let qs = match (value.queryset(), value.manager()) {
            (Some(qs), _) => Some((*qs).clone()),
            (_, Some(_)) => Some(self.get_queryset(&value)?),
            _ => None,
        };
        let statement = match qs {
            Some(qs) => self.compile_select(&qs.query)?.statement,
            None => ran,
        };
        statement.ok_or_else(|| {
            Diagnostic::new(ErrorKind::Value, "this expression runs no query").at(expr.span)
        })
    }
}

/// Python's truth of an explain() option's value (Django writes `true` or `false`).
fn option_is_set(value: &Obj) -> bool {
    match value {
        Obj::Value(Value::Null | Value::Bool(false) | Value::Int(0)) => false,
        Obj::Value(Value::Text(s)) => !s.is_empty(),
        _ => true,
    }
}

/// SQLite's `EXPLAIN QUERY PLAN` rows (`id`, `parent`, `notused`, `detail`) drawn as the
/// sqlite3 shell draws them:
///
/// ```text
/// QUERY PLAN
/// |--SCAN books_book
/// `--USE TEMP B-TREE FOR ORDER BY
/// ```
fn sqlite_plan_tree(rows: &[Vec<Value>]) -> String {
    let nodes: Vec<(i64, i64, String)> = rows
        .iter()
        .map(|row| {
            let int = |i: usize| match row.get(i) {
                Some(Value::Int(n)) => *n,
                _ => 0,
            };
            let detail = row.get(3).map(Value::to_python_str).unwrap_or_default();
            (int(0), int(1), detail)
        })
        .collect();
    let mut out = String::from("QUERY PLAN");
    draw_children(&nodes, 0, "", &mut out);
    out
}

fn draw_children(nodes: &[(i64, i64, String)], parent: i64, indent: &str, out: &mut String) {
    let children: Vec<&(i64, i64, String)> =
        nodes.iter().filter(|(_, p, _)| *p == parent).collect();
    for (i, (id, _, detail)) in children.iter().enumerate() {
        let last = i + 1 == children.len();
        out.push('\n');
        out.push_str(indent);
        out.push_str(if last { "`--" } else { "|--" });
        out.push_str(detail);
        // A node is never its own parent; ids only grow down the tree.
        if *id > parent {
            let deeper = format!("{indent}{}", if last { "   " } else { "|  " });
            draw_children(nodes, *id, &deeper, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(id: i64, parent: i64, detail: &str) -> Vec<Value> {
        vec![
            Value::Int(id),
            Value::Int(parent),
            Value::Int(0),
            Value::Text(detail.into()),
        ]
    }

    #[test]
    fn sqlite_plans_are_drawn_as_trees() {
        let rows = [
            row(2, 0, "SCAN books_book"),
            row(
                5,
                0,
                "SEARCH books_author USING INTEGER PRIMARY KEY (rowid=?)",
            ),
            row(8, 0, "CORRELATED SCALAR SUBQUERY 1"),
            row(12, 8, "SCAN U0"),
            row(20, 0, "USE TEMP B-TREE FOR ORDER BY"),
        ];
        assert_eq!(
            sqlite_plan_tree(&rows),
            "QUERY PLAN\n\
             |--SCAN books_book\n\
             |--SEARCH books_author USING INTEGER PRIMARY KEY (rowid=?)\n\
             |--CORRELATED SCALAR SUBQUERY 1\n\
             |  `--SCAN U0\n\
             `--USE TEMP B-TREE FOR ORDER BY"
        );
        assert_eq!(sqlite_plan_tree(&[]), "QUERY PLAN");
    }
}
