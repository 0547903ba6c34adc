//! Window expressions written as Django's `Window.as_sql`: `source OVER (PARTITION BY ...
//! ORDER BY ... frame)`, with SQLite's decimal cast outside the OVER clause; and a query
//! filtered on windows as Django's `get_qualify_sql` wraps it (planned by `query::qualify`).

use super::Dialect;
use super::compiler::{Out, Stop, Writer};
use super::frag::Frag;
use crate::diag::{Diagnostic, ErrorKind};
use crate::query::qualify::Qualify;
use crate::query::window::{Frame, WindowFunc, WindowOrder};
use crate::query::{Expr, Nulls, Query};

impl Writer<'_> {
    /// `[SELECT "col1", ... FROM (]SELECT * FROM ( inner ) "qualify" WHERE cond[ )
    /// "qualify_mask"]`, then the ordering (by alias or position) and the limits.
    pub(super) fn push_qualify(&self, f: &mut Frag, q: &Query, qualify: &Qualify) -> Out<()> {
        let d = self.dialect;
        if let Some(mask) = &qualify.mask {
            f.push_str("SELECT ");
            for (i, alias) in mask.iter().enumerate() {
                if i > 0 {
                    f.push_str(", ");
                }
                d.push_quoted(&mut f.sql, alias);
            }
            f.push_str(" FROM ( ");
        }
        f.push_str("SELECT * FROM ( ");
        // The limits apply to the outer query.
        let mut inner = q.clone();
        inner.low_mark = 0;
        inner.high_mark = None;
        inner.subquery = true;
        self.push_select_sql(f, &inner, &qualify.inner, true)?;
        f.push_str(" ) ");
        d.push_quoted(&mut f.sql, "qualify");
        if !self.push_clause(f, " WHERE ", &qualify.cond)? {
            return Err(Stop::Empty);
        }
        if qualify.mask.is_some() {
            f.push_str(" ) ");
            d.push_quoted(&mut f.sql, "qualify_mask");
        }
        self.push_order_by(f, &qualify.order_by)?;
        d.push_limit_offset(&mut f.sql, q.low_mark, q.high_mark);
        Ok(())
    }

    /// `RANK()`, `LAG(x, %s)`.
    pub(super) fn push_window_func(
        &self,
        f: &mut Frag,
        func: WindowFunc,
        args: &[Expr],
    ) -> Out<()> {
        f.push_str(func.sql());
        f.push_str("(");
        for (i, a) in args.iter().enumerate() {
            if i > 0 {
                f.push_str(", ");
            }
            self.push_expr(f, a)?;
        }
        f.push_str(")");
        Ok(())
    }

    /// `window` (an `Expr::Window`) appended.
    pub(super) fn push_window(
        &self,
        f: &mut Frag,
        window: &Expr,
        source: &Expr,
        partition_by: &[Expr],
        order_by: &[WindowOrder<Expr>],
        frame: Option<&Frame>,
    ) -> Out<()> {
        let start = f.mark();
        // Django's `Window.as_sqlite` gives the source a float output: the cast of a decimal
        // goes around the whole window.
        let cast = self.dialect.numeric_cast(window.value_type());
        let mut src = self.expr(source)?;
        if let Some((open, close)) = cast
            && src.sql.starts_with(open)
            && src.sql.ends_with(close)
        {
            src.sql = src.sql[open.len()..src.sql.len() - close.len()].to_string();
        }
        f.push(src);
        f.push_str(" OVER (");
        let mut parts = 0;
        if !partition_by.is_empty() {
            f.push_str("PARTITION BY ");
            for (i, p) in partition_by.iter().enumerate() {
                if i > 0 {
                    f.push_str(", ");
                }
                self.push_expr(f, p)?;
            }
            parts += 1;
        }
        if !order_by.is_empty() {
            if parts > 0 {
                f.push_str(" ");
            }
            f.push_str("ORDER BY ");
            for (i, o) in order_by.iter().enumerate() {
                if i > 0 {
                    f.push_str(", ");
                }
                self.push_expr(f, &o.expr)?;
                match o.descending {
                    Some(true) => f.push_str(" DESC"),
                    Some(false) => f.push_str(" ASC"),
                    None => {}
                }
                match o.nulls {
                    Some(Nulls::First) => f.push_str(" NULLS FIRST"),
                    Some(Nulls::Last) => f.push_str(" NULLS LAST"),
                    None => {}
                }
            }
            parts += 1;
        }
        if let Some(fr) = frame {
            // Django's `only_supports_unbounded_with_preceding_and_following`.
            let offset = fr.start.is_some_and(|s| s < 0) || fr.end.is_some_and(|e| e > 0);
            if !fr.rows && offset && self.dialect == Dialect::Postgres {
                return Err(Stop::Error(Diagnostic::new(
                    ErrorKind::NotSupported,
                    "PostgreSQL only supports UNBOUNDED together with PRECEDING and FOLLOWING.",
                )));
            }
            if parts > 0 {
                f.push_str(" ");
            }
            f.push_str(&fr.sql());
        }
        f.push_str(")");
        if let Some((open, close)) = cast {
            f.wrap_since(start, open, close);
        }
        Ok(())
    }
}
