//! The SQL writer: query IR + plan → SQL text and bound parameters, Django's compiler
//! shapes (column lists, joins, WHERE parentheses, ORDER BY, LIMIT/OFFSET). Every spelling
//! that differs between backends is asked of [`Dialect`]. A statement is written in place
//! into one [`Frag`]; a part that turns out to match nothing is cut back to its [`Mark`].

use super::Dialect;
use super::frag::{Frag, Mark};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::query::annotate::Aggregation;
use crate::query::expr::{AggFunc, Connector, DatePart, LookupKind};
use crate::query::func::{FuncKind, db_type, db_value_type, value_class};
use crate::query::py_call::{NoPython, PySql};
use crate::query::setup::{OrderTarget, Plan, PlanOrder};
use crate::query::{Expr, JoinType, Lookup, Nulls, Query, Rhs, WhereNode};
use crate::schema::{ModelId, Schema};
use crate::tz::TzConfig;
use crate::value::{Value, ValueType};
use std::cell::RefCell;

/// A finished statement: SQL in the driver's placeholder style and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Value>,
    /// The models whose content type its generic relations' joins name: Django looks each
    /// up (`ContentType.objects.get_for_model`, a query when not cached) as it compiles them.
    pub content_types: Vec<ModelId>,
}

/// A SELECT with the plan that says what its columns are.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// `None` when Django would run no query at all (the result is known to be empty).
    pub statement: Option<Statement>,
    pub plan: Box<Plan>,
}

/// What a where tree wrote (Django's EmptyResultSet / FullResultSet): its SQL, or nothing at
/// all when it matches nothing or everything.
pub(super) enum Cond {
    Sql,
    /// Matches nothing: Django runs no query at all.
    Empty,
    /// Matches everything: no WHERE clause.
    Full,
}

/// Why writing an expression stopped: Django's `EmptyResultSet` (the expression stands on a
/// subquery or filter that can match nothing; whoever holds it decides what that means, as
/// Django's compiler catches the exception at a select column, a function argument, a
/// `When`, `EXISTS` or a where child), or an error.
pub(super) enum Stop {
    Empty,
    Error(Diagnostic),
}

impl From<Diagnostic> for Stop {
    fn from(d: Diagnostic) -> Stop {
        Stop::Error(d)
    }
}

/// A piece of SQL, or why there is none.
pub(super) type Out<T> = std::result::Result<T, Stop>;

/// Catch `EmptyResultSet`: `empty` stands for it (at the top of a statement, `None`: Django's
/// `execute_sql` runs nothing and returns no rows).
pub(super) fn catch_empty<T>(r: Out<T>, empty: T) -> Result<T> {
    match r {
        Err(Stop::Empty) => Ok(empty),
        Err(Stop::Error(d)) => Err(d),
        Ok(v) => Ok(v),
    }
}

/// Django's `empty_result_set_value` of an expression whose SQL is EmptyResultSet: the value
/// that stands for it in a select column or a function argument; `None` for Django's
/// `NotImplemented` (no such value).
fn empty_value(e: &Expr) -> Option<Value> {
    match e {
        Expr::Aggregate { func, .. } if *func == crate::query::expr::AggFunc::Count => {
            Some(Value::Int(0))
        }
        Expr::Aggregate { .. } | Expr::Subquery(_) => Some(Value::Null),
        Expr::Value(v) => Some(v.clone()),
        _ => None,
    }
}

/// A `Value` expression: a parameter, or `NULL` for None.
fn push_value(f: &mut Frag, v: &Value) {
    match v {
        Value::Null => f.push_str("NULL"),
        v => f.push_param(v.clone()),
    }
}

/// Room for a statement's SQL: most fit, so it is written without growing.
const STATEMENT_CAPACITY: usize = 512;

pub(super) struct Writer<'a> {
    pub(super) schema: &'a Schema,
    pub(super) dialect: Dialect,
    /// [`Statement::content_types`], as the joins are written.
    pub(super) content_types: RefCell<Vec<ModelId>>,
    /// The `tzinfo=` zone of the date function about to be written ([`Expr::InZone`]).
    zone: RefCell<Option<String>>,
    /// What writes the lookups and transforms written in Python ([`crate::query::py_call`]).
    py: RefCell<&'a mut dyn PySql<Expr>>,
}

impl<'a> Writer<'a> {
    pub(super) fn new(schema: &'a Schema, dialect: Dialect) -> Writer<'a> {
        // `NoPython` has no state: a fresh one is leaked for nothing (a zero-sized box).
        Writer::with_python(schema, dialect, Box::leak(Box::new(NoPython)))
    }

    fn with_python(
        schema: &'a Schema,
        dialect: Dialect,
        py: &'a mut dyn PySql<Expr>,
    ) -> Writer<'a> {
        Writer {
            schema,
            dialect,
            content_types: RefCell::default(),
            zone: RefCell::default(),
            py: RefCell::new(py),
        }
    }
}

/// Compile a SELECT.
pub fn select(schema: &Schema, dialect: Dialect, query: &Query) -> Result<Compiled> {
    select_in(&Writer::new(schema, dialect), query)
}

/// [`select`] of a query that may hold lookups written in Python, whose SQL `py` writes.
pub fn select_py(
    schema: &Schema,
    dialect: Dialect,
    query: &Query,
    py: &mut dyn PySql<Expr>,
) -> Result<Compiled> {
    select_in(&Writer::with_python(schema, dialect, py), query)
}

fn select_in(w: &Writer, query: &Query) -> Result<Compiled> {
    let (q, plan) = query.plan(w.schema)?;
    let mut f = Frag::with_capacity(STATEMENT_CAPACITY);
    let statement = w
        .push_select(&mut f, &q, &plan, false)?
        .then(|| w.finish(f))
        .transpose()?;
    Ok(Compiled { statement, plan })
}

/// Compile `count()`; `None` when the count is 0 without a query.
pub fn count(schema: &Schema, dialect: Dialect, query: &Query) -> Result<Option<Statement>> {
    count_in(&Writer::new(schema, dialect), query)
}

/// [`count`] of a query that may hold lookups written in Python, whose SQL `py` writes.
pub fn count_py(
    schema: &Schema,
    dialect: Dialect,
    query: &Query,
    py: &mut dyn PySql<Expr>,
) -> Result<Option<Statement>> {
    count_in(&Writer::with_python(schema, dialect, py), query)
}

fn count_in(w: &Writer, query: &Query) -> Result<Option<Statement>> {
    let star = crate::query::FExpr::Aggregate {
        options: Box::default(),
        func: crate::query::expr::AggFunc::Count,
        arg: None,
        distinct: false,
        filter: None,
        default: None,
        span: crate::diag::Span::default(),
    };
    match query.aggregation(w.schema, &[("__count".into(), star)])? {
        Aggregation::Nested { inner, aggs } => aggregate_in(w, &inner, &aggs),
        Aggregation::Flat(q) => Ok(select_in(w, &q)?.statement),
    }
}

/// Django's `AggregateQuery`: `SELECT agg, ... FROM (inner) subquery`; `None` when the
/// inner query matches nothing.
pub fn aggregate_over(
    schema: &Schema,
    dialect: Dialect,
    inner: &Query,
    aggs: &[crate::query::SelectItem],
) -> Result<Option<Statement>> {
    aggregate_in(&Writer::new(schema, dialect), inner, aggs)
}

/// [`aggregate_over`] of a query that may hold lookups written in Python.
pub fn aggregate_over_py(
    schema: &Schema,
    dialect: Dialect,
    inner: &Query,
    aggs: &[crate::query::SelectItem],
    py: &mut dyn PySql<Expr>,
) -> Result<Option<Statement>> {
    aggregate_in(&Writer::with_python(schema, dialect, py), inner, aggs)
}

fn aggregate_in(
    w: &Writer,
    inner: &Query,
    aggs: &[crate::query::SelectItem],
) -> Result<Option<Statement>> {
    let (inner, plan) = inner.plan(w.schema)?;
    let mut sub = Frag::with_capacity(STATEMENT_CAPACITY);
    if !w.push_select(&mut sub, &inner, &plan, true)? {
        return Ok(None);
    }
    let mut f = Frag::with_capacity(STATEMENT_CAPACITY);
    f.push_str("SELECT ");
    for (i, a) in aggs.iter().enumerate() {
        if i > 0 {
            f.push_str(", ");
        }
        w.push_column(&mut f, &a.expr)?;
    }
    f.push_str(" FROM (");
    f.push(sub);
    f.push_str(") subquery");
    w.finish(f).map(Some)
}

impl Writer<'_> {
    /// The statement, its parameters adapted for the driver.
    pub(super) fn finish(&self, frag: Frag) -> Result<Statement> {
        self.dialect.check_datetimes(&frag.params, self.schema.tz)?;
        Ok(Statement {
            content_types: self.content_types.take(),
            ..frag.finish(self.dialect)
        })
    }

    /// Append a SELECT; `false` (nothing appended) when it can match nothing (Django runs no
    /// query).
    fn push_select(&self, f: &mut Frag, q: &Query, plan: &Plan, col_aliases: bool) -> Result<bool> {
        if let Some((combinator, all)) = q.combinator {
            return self.push_combined(f, q, plan, combinator, all);
        }
        let m = f.mark();
        match self.push_select_sql(f, q, plan, col_aliases) {
            Ok(()) => Ok(true),
            Err(Stop::Empty) => {
                f.truncate(m);
                Ok(false)
            }
            Err(Stop::Error(d)) => Err(d),
        }
    }

    pub(super) fn push_select_sql(
        &self,
        f: &mut Frag,
        q: &Query,
        plan: &Plan,
        col_aliases: bool,
    ) -> Out<()> {
        if let Some(qualify) = &plan.qualify {
            return self.push_qualify(f, q, qualify);
        }
        let start = f.mark();
        f.push_str("SELECT ");
        if !plan.distinct_on.is_empty() {
            let fields = plan
                .distinct_on
                .iter()
                .map(|e| self.expr(e))
                .collect::<Out<Vec<_>>>()?;
            f.push(self.dialect.distinct_on(fields)?);
        } else if q.distinct {
            f.push_str("DISTINCT ");
        }
        for (i, (c, alias)) in plan
            .columns
            .iter()
            .zip(plan.column_aliases(col_aliases))
            .enumerate()
        {
            if i > 0 {
                f.push_str(", ");
            }
            self.push_column(f, &c.expr)?;
            if let Some(a) = alias {
                f.push_str(" AS ");
                self.dialect.push_quoted(&mut f.sql, &a);
            }
        }
        f.push_str(" FROM ");
        if !self.push_table_sources(f, q)? {
            return Err(Stop::Empty);
        }
        let where_ = plan.where_.as_ref().unwrap_or(&q.where_);
        if !self.push_clause(f, " WHERE ", where_)? {
            return Err(Stop::Empty);
        }
        self.push_group_by(f, q, plan, col_aliases)?;
        if let Some(h) = &plan.having
            && !self.push_clause(f, " HAVING ", h)?
        {
            return Err(Stop::Empty);
        }
        self.order_and_limit(f, q, plan)?;
        if q.select_for_update {
            f.push_str(&self.dialect.for_update(q.for_update));
        }
        if q.subquery && plan.extra > 0 {
            let inner = f.split_off(start);
            return self.push_without_extra(f, inner, plan, col_aliases);
        }
        Ok(())
    }

    /// ` WHERE condition` (or ` HAVING ...`) appended: nothing when the condition matches
    /// everything; `false` (nothing appended) when it matches nothing.
    pub(super) fn push_clause(
        &self,
        f: &mut Frag,
        keyword: &str,
        node: &WhereNode,
    ) -> Result<bool> {
        let m = f.mark();
        f.push_str(keyword);
        match self.push_condition(f, node)? {
            Cond::Sql => {}
            Cond::Full => f.truncate(m),
            Cond::Empty => {
                f.truncate(m);
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Django's `as_sql` for a subquery whose DISTINCT selected its ordering's columns too:
    /// `SELECT "subquery"."x", ... FROM (inner) subquery`, the selected columns without them.
    fn push_without_extra(
        &self,
        f: &mut Frag,
        inner: Frag,
        plan: &Plan,
        col_aliases: bool,
    ) -> Out<()> {
        f.push_str("SELECT ");
        let kept = plan.columns.len() - plan.extra;
        for (i, (c, alias)) in plan.columns[..kept]
            .iter()
            .zip(plan.column_aliases(col_aliases))
            .enumerate()
        {
            if i > 0 {
                f.push_str(", ");
            }
            let name = match (&alias, &c.expr) {
                (Some(a), _) => a,
                (None, Expr::Col(col)) => &*col.column,
                (None, _) => {
                    return Err(Stop::Error(Diagnostic::new(
                        ErrorKind::NotSupported,
                        "djq cannot wrap an unnamed computed column of a DISTINCT subquery",
                    )));
                }
            };
            self.dialect.push_qualified(&mut f.sql, "subquery", name);
        }
        f.push_str(" FROM (");
        f.push(inner);
        f.push_str(") subquery");
        Ok(())
    }

    /// A select column appended, Django's `get_select`: an expression that is EmptyResultSet
    /// becomes its empty value, or `0`.
    fn push_column(&self, f: &mut Frag, e: &Expr) -> Result<()> {
        if let Expr::Col(c) = e {
            self.push_col(&mut f.sql, c);
            return Ok(());
        }
        let m = f.mark();
        match self.push_expr(f, e) {
            Err(Stop::Empty) => {
                f.truncate(m);
                match empty_value(e) {
                    Some(v) => push_value(f, &v),
                    None => f.push_str("0"),
                }
                Ok(())
            }
            Err(Stop::Error(d)) => Err(d),
            Ok(()) => Ok(()),
        }
    }

    /// `"alias"."column"`.
    fn push_col(&self, sql: &mut String, c: &crate::query::Col) {
        self.dialect.push_qualified_sym(sql, &c.alias, &c.column);
    }

    /// ` ORDER BY ... LIMIT ... OFFSET ...`
    fn order_and_limit(&self, f: &mut Frag, q: &Query, plan: &Plan) -> Out<()> {
        self.push_order_by(f, &plan.order_by)?;
        self.dialect
            .push_limit_offset(&mut f.sql, q.low_mark, q.high_mark);
        Ok(())
    }

    /// ` ORDER BY ...` (nothing when `order_by` is empty).
    pub(super) fn push_order_by(&self, f: &mut Frag, order_by: &[PlanOrder]) -> Out<()> {
        let mut first = true;
        for o in order_by {
            match &o.target {
                // A composite primary key orders by each of its columns.
                OrderTarget::Expr(Expr::Tuple(cols)) => {
                    for c in cols {
                        self.push_order_item(f, &mut first, o, |w, f| w.push_expr(f, c))?;
                    }
                }
                OrderTarget::Expr(e) => {
                    self.push_order_item(f, &mut first, o, |w, f| w.push_expr(f, e))?
                }
                OrderTarget::Position(p) => self.push_order_item(f, &mut first, o, |_, f| {
                    f.push_str(itoa::Buffer::new().format(*p));
                    Ok(())
                })?,
                OrderTarget::Alias(a) => self.push_order_item(f, &mut first, o, |w, f| {
                    w.dialect.push_quoted(&mut f.sql, a);
                    Ok(())
                })?,
                OrderTarget::Random => self.push_order_item(f, &mut first, o, |w, f| {
                    f.push_str(w.dialect.random());
                    Ok(())
                })?,
            }
        }
        Ok(())
    }

    /// One ORDER BY item, its target written by `target`, in `o`'s direction; ` ORDER BY `
    /// before the `first`.
    fn push_order_item(
        &self,
        f: &mut Frag,
        first: &mut bool,
        o: &PlanOrder,
        target: impl FnOnce(&Self, &mut Frag) -> Out<()>,
    ) -> Out<()> {
        f.push_str(if std::mem::take(first) {
            " ORDER BY "
        } else {
            ", "
        });
        target(self, f)?;
        f.push_str(if o.descending { " DESC" } else { " ASC" });
        match o.nulls {
            Some(Nulls::First) => f.push_str(" NULLS FIRST"),
            Some(Nulls::Last) => f.push_str(" NULLS LAST"),
            None => {}
        }
        Ok(())
    }

    /// Django's `get_combinator_sql`: the combined queries (their columns aliased `col1`...,
    /// parenthesized where the backend allows ordering inside), then this query's ordering
    /// and limits. `false` (nothing appended) when nothing can match.
    fn push_combined(
        &self,
        f: &mut Frag,
        q: &Query,
        plan: &Plan,
        combinator: crate::query::Combinator,
        all: bool,
    ) -> Result<bool> {
        let nested = self.dialect.orders_inside_compound();
        let start = f.mark();
        let mut parts = 0;
        for part in &q.combined {
            let (pq, pplan) = part.plan(self.schema)?;
            if !nested {
                if pq.is_sliced() {
                    return Err(Diagnostic::new(
                        ErrorKind::Database,
                        "LIMIT/OFFSET not allowed in subqueries of compound statements.",
                    ));
                }
                if !pplan.order_by.is_empty() {
                    return Err(Diagnostic::new(
                        ErrorKind::Database,
                        "ORDER BY not allowed in subqueries of compound statements.",
                    ));
                }
            }
            let m = f.mark();
            if parts > 0 {
                f.push_str(" ");
                f.push_str(combinator.sql());
                f.push_str(if all && combinator == crate::query::Combinator::Union {
                    " ALL "
                } else {
                    " "
                });
            }
            if nested {
                f.push_str("(");
            }
            if self.push_select(f, &pq, &pplan, true)? {
                if nested {
                    f.push_str(")");
                }
                parts += 1;
                continue;
            }
            f.truncate(m);
            // Django leaves out empty parts of a UNION, and of a DIFFERENCE after the first.
            if !(combinator == crate::query::Combinator::Union
                || (combinator == crate::query::Combinator::Difference && parts > 0))
            {
                f.truncate(start);
                return Ok(false);
            }
        }
        if parts == 0 {
            return Ok(false);
        }
        match self.order_and_limit(f, q, plan) {
            Ok(()) => Ok(true),
            Err(Stop::Empty) => {
                f.truncate(start);
                Ok(false)
            }
            Err(Stop::Error(d)) => Err(d),
        }
    }

    /// The FROM clause appended: active aliases in creation order; the first is the base
    /// table. `false` when there is none.
    fn push_table_sources(&self, f: &mut Frag, q: &Query) -> Out<bool> {
        let mut first = true;
        let d = self.dialect;
        for t in q.tables.iter().filter(|t| t.refcount > 0) {
            let join = t.join.as_ref().filter(|_| !first);
            if let Some(j) = join {
                f.push_str(match j.join_type {
                    JoinType::Inner => " INNER JOIN ",
                    JoinType::LeftOuter => " LEFT OUTER JOIN ",
                });
            }
            d.push_quoted_sym(&mut f.sql, &t.table);
            if t.alias != t.table {
                f.push_str(" ");
                d.push_quoted_sym(&mut f.sql, &t.alias);
            }
            if let Some(j) = join {
                // ` ON ("parent"."a" = "alias"."b")`
                f.push_str(" ON (");
                // `"parent"."a" = "alias"."b"`, or `("alias"."b")::integer` when the columns'
                // types differ (Django's `prepare_join_on_clause`)
                let pair = |f: &mut Frag,
                            (parent, joined): (&crate::query::Sym, &crate::query::Sym),
                            types: Option<_>| {
                    d.push_qualified_sym(&mut f.sql, &j.parent, parent);
                    f.push_str(" = ");
                    match types.and_then(|(p, j)| d.join_cast(p, j)) {
                        Some(cast) => {
                            f.push_str("(");
                            d.push_qualified(&mut f.sql, &t.alias, joined);
                            f.push_str(")::");
                            f.push_str(&cast);
                        }
                        None => d.push_qualified_sym(&mut f.sql, &t.alias, joined),
                    }
                };
                pair(f, (&j.on.0, &j.on.1), j.types);
                for (i, (parent, joined)) in j.extra_on.iter().enumerate() {
                    // ` AND "parent"."y" = "alias"."y"`
                    f.push_str(" AND ");
                    pair(f, (parent, joined), j.extra_types.get(i).copied().flatten());
                }
                if let Some(r) = &j.restriction {
                    // ` AND ("alias"."content_type_id" = ?)`
                    f.push_str(" AND (");
                    let on = if r.on_joined { &t.alias } else { &j.parent };
                    d.push_qualified(&mut f.sql, on, &r.column);
                    f.push_str(" = ");
                    f.push_param(Value::Int(r.id));
                    f.push_str(")");
                    let mut seen = self.content_types.borrow_mut();
                    if !seen.contains(&r.model) {
                        seen.push(r.model);
                    }
                }
                if let Some(r) = &j.py_restriction {
                    // ` AND (<what get_extra_restriction(alias, parent) returned>)`
                    let made = self
                        .py
                        .borrow_mut()
                        .extra_restriction(r, &t.alias, &j.parent)?;
                    if let Some(template) = made {
                        f.push_str(" AND (");
                        self.push_template(f, &template)?;
                        f.push_str(")");
                    }
                }
                if let Some(fr) = &j.filtered {
                    self.push_filtered_condition(f, &fr.condition)?;
                }
                f.push_str(")");
            }
            first = false;
        }
        // `extra(tables=...)`: each table not already in the query, once (Django's
        // `get_from_clause`).
        for (i, t) in q.extra_tables.iter().enumerate() {
            let active = q.tables.iter().any(|a| a.refcount > 0 && a.table == *t);
            if !active && !q.extra_tables[..i].contains(t) {
                f.push_str(" , ");
                d.push_quoted(&mut f.sql, t);
            }
        }
        Ok(!first)
    }

    /// ` AND (condition)` of a FilteredRelation's join (nothing when it matches everything;
    /// matching nothing, the whole query does, as Django's `Join.as_sql` lets
    /// `EmptyResultSet` through).
    fn push_filtered_condition(&self, f: &mut Frag, condition: &WhereNode) -> Out<()> {
        let m = f.mark();
        f.push_str(" AND (");
        let body = f.mark();
        match self.push_condition(f, condition)? {
            Cond::Sql if !f.empty_since(body) => f.push_str(")"),
            Cond::Empty => return Err(Stop::Empty),
            Cond::Sql | Cond::Full => f.truncate(m),
        }
        Ok(())
    }

    /// Django's `WhereNode.as_sql`, appended to `f` (nothing appended unless [`Cond::Sql`]).
    pub(super) fn push_condition(&self, f: &mut Frag, node: &WhereNode) -> Result<Cond> {
        let m = f.mark();
        let caught = |f: &mut Frag, r: Out<Cond>| match r {
            Err(Stop::Empty) => {
                f.truncate(m);
                Ok(Cond::Empty)
            }
            Err(Stop::Error(d)) => Err(d),
            Ok(c) => Ok(c),
        };
        match node {
            WhereNode::Nothing => Ok(Cond::Empty),
            WhereNode::Lookup(l) => {
                let r = self.push_lookup(f, l);
                caught(f, r)
            }
            WhereNode::Condition(Expr::Exists(q)) if q.is_empty() => Ok(Cond::Empty),
            WhereNode::Condition(e) => {
                let r = self.push_expr(f, e).map(|()| Cond::Sql);
                caught(f, r)
            }
            WhereNode::Node {
                connector,
                negated,
                children,
            } => {
                let (mut full_needed, mut empty_needed) = match connector {
                    Connector::And => (children.len(), 1),
                    Connector::Or => (1, children.len()),
                };
                // Parentheses when negated or when more than one part is left; written
                // ahead when more than one child may be left, taken away if not.
                let open = match (*negated, children.len() > 1) {
                    (true, _) => "NOT (",
                    (false, true) => "(",
                    (false, false) => "",
                };
                f.push_str(open);
                let mut parts = 0;
                for child in children {
                    let before = f.mark();
                    if parts > 0 {
                        f.push_str(" ");
                        f.push_str(connector.sql());
                        f.push_str(" ");
                    }
                    let body = f.mark();
                    match self.push_condition(f, child)? {
                        Cond::Empty => {
                            f.truncate(before);
                            empty_needed -= 1;
                        }
                        Cond::Full => {
                            f.truncate(before);
                            full_needed -= 1;
                        }
                        Cond::Sql if f.empty_since(body) => {
                            f.truncate(before);
                            full_needed -= 1;
                        }
                        Cond::Sql => parts += 1,
                    }
                    if empty_needed == 0 {
                        f.truncate(m);
                        return Ok(if *negated { Cond::Full } else { Cond::Empty });
                    }
                    if full_needed == 0 {
                        f.truncate(m);
                        return Ok(if *negated { Cond::Empty } else { Cond::Full });
                    }
                }
                if parts == 0 {
                    f.truncate(m);
                    return Ok(Cond::Full);
                }
                if !*negated && parts == 1 && !open.is_empty() {
                    f.sql.remove(m.sql);
                } else if !open.is_empty() {
                    f.push_str(")");
                }
                Ok(Cond::Sql)
            }
        }
    }

    /// A lookup appended to `f` (nothing appended unless [`Cond::Sql`]; on `Stop::Empty`
    /// the caller cuts what was written).
    fn push_lookup(&self, f: &mut Frag, l: &Lookup) -> Out<Cond> {
        if self.push_year_lookup(f, l)? {
            return Ok(Cond::Sql);
        }
        // Django's `Lookup.process_rhs`: a composite primary key's columns (an `OuterRef` to
        // one, resolved) are no value of a one-column lookup, and a row needs a row.
        match (&l.lhs, &l.rhs) {
            (
                Expr::Tuple(_),
                Rhs::Expr(Expr::Tuple(_) | Expr::Subquery(_) | Expr::OuterRef { .. }),
            ) => {}
            (Expr::Tuple(_), Rhs::Expr(_)) => {
                return Err(Stop::Error(Diagnostic::new(
                    ErrorKind::Value,
                    "Composite field lookups only work with composite expressions.",
                )));
            }
            (_, Rhs::Expr(Expr::Tuple(_))) => {
                return Err(Stop::Error(Diagnostic::new(
                    ErrorKind::Value,
                    "CompositePrimaryKey cannot be used as a lookup value.",
                )));
            }
            _ => {}
        }
        // A subquery that matches nothing makes the lookup match nothing (EmptyResultSet).
        if let Rhs::Expr(Expr::Subquery(q)) = &l.rhs
            && q.is_empty()
        {
            return Ok(Cond::Empty);
        }
        let d = self.dialect;
        // Django's `Exact.as_sql`: `bool_field=True` is the bare column where booleans are
        // native (`NOT col` for False); EXISTS and conditions are bare everywhere.
        if let (LookupKind::Exact, Rhs::Value(Value::Bool(b))) = (&l.kind, &l.rhs)
            && l.lhs.value_type() == ValueType::Bool
            && (d.native_boolean() || l.lhs.is_condition())
        {
            if !*b {
                f.push_str("NOT ");
            }
            self.push_expr(f, &l.lhs)?;
            return Ok(Cond::Sql);
        }
        // Django's `UUIDTextMixin`: where UUIDs are stored as 32 hex digits, a text lookup
        // compares the value with its hyphens removed, `REPLACE(?, '-', '')`.
        if let Rhs::Value(v) = &l.rhs
            && (l.kind.is_pattern() || l.kind == LookupKind::IExact)
            && !d.native_uuid()
            && l.lhs.value_type() == ValueType::Uuid
        {
            let replace = Expr::Func {
                func: crate::query::func::FuncKind::Replace,
                args: [v.to_python_str(), "-".into(), String::new()]
                    .map(|s| Expr::Value(Value::Text(s)))
                    .into(),
                output: ValueType::Text,
            };
            return self.push_lookup(
                f,
                &Lookup {
                    lhs: l.lhs.clone(),
                    kind: l.kind,
                    rhs: Rhs::Expr(replace),
                },
            );
        }
        let lhs = f.mark();
        let host = matches!(
            &l.lhs,
            Expr::Func {
                func: FuncKind::PgHost,
                ..
            }
        );
        let (open, close) = d.lookup_cast(l.kind, host);
        f.push_str(open);
        self.push_expr(f, &l.lhs)?;
        f.push_str(close);
        match (&l.kind, &l.rhs) {
            (LookupKind::IsNull, Rhs::Bool(b)) => {
                f.push_str(if *b { " IS NULL" } else { " IS NOT NULL" });
            }
            (LookupKind::In, Rhs::List(items)) => {
                if items.is_empty() {
                    f.truncate(lhs);
                    return Ok(Cond::Empty);
                }
                f.push_str(" IN (");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.push_str(", ");
                    }
                    self.push_rhs_item(f, item)?;
                }
                f.push_str(")");
            }
            (LookupKind::In, Rhs::Tuples(items)) => {
                f.wrap_since(lhs, "(", ") IN (");
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.push_str(", ");
                    }
                    f.push_str("(");
                    f.push_param(v.clone());
                    f.push_str(")");
                }
                f.push_str(")");
            }
            (LookupKind::Range, Rhs::Range(a, b)) => {
                f.push_str(" BETWEEN ");
                self.push_rhs_item(f, a)?;
                f.push_str(" AND ");
                self.push_rhs_item(f, b)?;
            }
            (kind, Rhs::Value(v)) => {
                let v = if kind.is_pattern() || *kind == LookupKind::IExact {
                    Value::Text(match v {
                        Value::Text(s) => d.pattern_value(*kind, s),
                        v => d.pattern_value(*kind, &v.to_python_str()),
                    })
                } else {
                    match v {
                        // DurationField.get_db_prep_value: microseconds where the database
                        // has no duration type (a duration annotation's lookups too).
                        Value::Duration(us)
                            if d == Dialect::Sqlite
                                && l.lhs.value_type() == ValueType::Duration =>
                        {
                            Value::Int(*us)
                        }
                        v => v.clone(),
                    }
                };
                let (before, after) = operator(d.lookup_operator(*kind)?);
                f.push_str(" ");
                f.push_str(before);
                f.push_param(v);
                f.push_str(after);
            }
            // ArrayField lookups: `"tags" @> (ARRAY[$1, $2])::varchar(20)[]`.
            (kind, Rhs::Cast(inner, ty)) => {
                let op = d.lookup_operator(*kind)?;
                let rhs = match &**inner {
                    Rhs::Array(items) => {
                        let items = items
                            .iter()
                            .map(|v| {
                                let mut item = Frag::default();
                                push_value(&mut item, v);
                                item
                            })
                            .collect();
                        d.array(items)?.parenthesized()
                    }
                    Rhs::Value(v) => Frag::param(v.clone()),
                    Rhs::Expr(e) => self.expr(e)?.parenthesized(),
                    other => {
                        return Err(Stop::Error(Diagnostic::new(
                            ErrorKind::NotSupported,
                            format!("djq cannot cast {other:?} to an array"),
                        )));
                    }
                };
                let rhs = d.cast(rhs, *ty)?;
                let (before, after) = operator(op);
                f.push_str(" ");
                f.push_str(before);
                f.push(rhs);
                f.push_str(after);
            }
            (kind, Rhs::Expr(e)) => {
                f.push_str(" ");
                let rhs = f.mark();
                self.push_expr(f, e)?;
                // Django's `process_rhs` wraps an expression, but not a `Value`.
                if !e.is_value() {
                    f.parenthesize_since(rhs);
                }
                let pattern;
                let (before, after) = if kind.is_pattern() {
                    pattern = d.pattern_operator(*kind);
                    pattern.split_once("{}").expect("pattern slot")
                } else {
                    operator(d.lookup_operator(*kind)?)
                };
                f.wrap_since(rhs, before, after);
            }
            (kind, rhs) => {
                return Err(Stop::Error(Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "djq cannot compile the lookup '{}' with {rhs:?}",
                        kind.name()
                    ),
                )));
            }
        }
        Ok(Cond::Sql)
    }

    /// Django's `YearLookup`: `__year` comparisons become ranges on the column itself;
    /// `false` (nothing appended) for other lookups.
    fn push_year_lookup(&self, f: &mut Frag, l: &Lookup) -> Out<bool> {
        let Expr::Extract {
            part: part @ (DatePart::Year | DatePart::IsoYear),
            source,
        } = &l.lhs
        else {
            return Ok(false);
        };
        let Rhs::Value(Value::Int(year)) = &l.rhs else {
            return Ok(false);
        };
        let op = match l.kind {
            LookupKind::Exact => " BETWEEN ",
            LookupKind::Gt => " > ",
            LookupKind::Gte => " >= ",
            LookupKind::Lt => " < ",
            LookupKind::Lte => " <= ",
            _ => return Ok(false),
        };
        let datetime = (source.value_type() == ValueType::DateTime).then_some(self.schema.tz);
        let Some((start, finish)) = year_bounds(*year, *part == DatePart::IsoYear, datetime) else {
            return Ok(false);
        };
        self.push_expr(f, source)?;
        f.push_str(op);
        match l.kind {
            LookupKind::Exact => {
                f.push_param(start);
                f.push_str(" AND ");
                f.push_param(finish);
            }
            LookupKind::Gt | LookupKind::Lte => f.push_param(finish),
            _ => f.push_param(start),
        }
        Ok(true)
    }

    /// An item of a lookup's list or range appended: a value is a parameter (None too,
    /// unlike a `Value(None)` expression's `NULL`), an expression compiles.
    fn push_rhs_item(&self, f: &mut Frag, e: &Expr) -> Out<()> {
        match e {
            Expr::Value(v) => {
                f.push_param(v.clone());
                Ok(())
            }
            e => self.push_expr(f, e),
        }
    }

    /// An expression's SQL as its own fragment (with room for a common one: grown from
    /// nothing, its text was copied at each of its first few pieces).
    pub(super) fn expr(&self, e: &Expr) -> Out<Frag> {
        let mut f = Frag::with_capacity(64);
        self.push_expr(&mut f, e)?;
        Ok(f)
    }

    /// An expression appended to `f` (on `Stop::Empty`, whoever catches it cuts what was
    /// written).
    pub(super) fn push_expr(&self, f: &mut Frag, e: &Expr) -> Out<()> {
        let d = self.dialect;
        match e {
            Expr::Col(c) => self.push_col(&mut f.sql, c),
            // Django's DurationField.get_db_prep_value: microseconds where the database has
            // no duration type.
            Expr::Value(Value::Duration(us)) if d == Dialect::Sqlite => {
                f.push_param(Value::Int(*us))
            }
            // Django's `Value.as_sqlite`: a Decimal value is cast to REAL.
            Expr::Value(v @ Value::Decimal(_)) if d == Dialect::Sqlite => {
                f.push_str("(CAST(");
                push_value(f, v);
                f.push_str(" AS REAL))");
            }
            Expr::Value(v) => push_value(f, v),
            // `Value(x, output_field=...)`: the value itself, cast to NUMERIC on SQLite when
            // the field is a DecimalField (Django's `Value.as_sqlite`).
            Expr::Func {
                func: FuncKind::Wrapper,
                args,
                output,
            } if let [Expr::Value(v)] = args.as_slice() => {
                let mut inner = Frag::default();
                match v {
                    Value::Decimal(_) => push_value(&mut inner, v),
                    _ => self.push_expr(&mut inner, &args[0])?,
                }
                f.push_str(&d.numeric(inner.sql, *output));
                f.params.extend(inner.params);
            }
            Expr::One => f.push_param(Value::Int(1)),
            Expr::Tuple(items) => {
                f.push_str("(");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.push_str(", ");
                    }
                    match item {
                        // Django's `Value(None)`: the literal.
                        Expr::Value(Value::Null) => f.push_str("NULL"),
                        item => self.push_rhs_item(f, item)?,
                    }
                }
                f.push_str(")");
            }
            Expr::Parens(inner) => {
                f.push_str("(");
                self.push_expr(f, inner)?;
                f.push_str(")");
            }
            Expr::Combined { op, lhs, rhs } => {
                let l = self.expr(lhs)?;
                let r = self.expr(rhs)?;
                f.push_str(&match e.value_type() {
                    ValueType::Duration if lhs.value_type() != ValueType::Duration => {
                        d.subtract_temporals(lhs.value_type(), &l.sql, &r.sql)
                    }
                    _ if (lhs.value_type() == ValueType::Duration)
                        != (rhs.value_type() == ValueType::Duration) =>
                    {
                        d.combine_duration(*op, &l.sql, &r.sql, e.value_type())
                    }
                    ty => d.combine(*op, &l.sql, &r.sql, ty),
                });
                f.params.extend(l.params);
                f.params.extend(r.params);
            }
            Expr::Extract { part, source } => {
                let tzname = self.tzname();
                let inner = self.expr(source)?;
                f.push(d.extract(*part, source.value_type(), inner, tzname.as_deref()));
            }
            Expr::CastDate(source) => {
                let tzname = self.tzname();
                f.push(d.cast_date(self.expr(source)?, tzname.as_deref()));
            }
            Expr::CastTime(source) => {
                let tzname = self.tzname();
                f.push(d.cast_time(self.expr(source)?, tzname.as_deref()));
            }
            // The date function inside takes the zone (see `Writer::tzname`).
            Expr::InZone { tzname, expr } => {
                *self.zone.borrow_mut() = Some(tzname.clone());
                self.push_expr(f, expr)?;
            }
            Expr::KeyTransform { source, keys, text } => {
                f.push(d.key_transform(self.expr(source)?, keys, *text)?);
            }
            Expr::ArrayIndex { source, index, .. } => {
                f.push(d.array_index(self.expr(source)?, *index)?);
            }
            Expr::ArraySlice { source, start, end } => {
                f.push(d.array_slice(self.expr(source)?, *start, *end)?);
            }
            Expr::ArrayLen(source) => f.push(d.array_len(self.expr(source)?)?),
            Expr::Unaccent(source) => f.push(d.unaccent(self.expr(source)?)?),
            Expr::Ref { name, .. } => d.push_quoted(&mut f.sql, name),
            // SQLiteNumericMixin: a decimal CASE is cast to NUMERIC on SQLite.
            Expr::Case {
                whens,
                default,
                resolved,
                output,
            } => {
                let start = f.mark();
                self.push_case(f, whens, default, *resolved)?;
                if let Some((open, close)) = d.numeric_cast(*output) {
                    f.wrap_since(start, open, close);
                }
            }
            Expr::Func { func, args, output } => {
                let tzname = self.tzname();
                let mut compiled = Vec::with_capacity(args.len());
                for a in args {
                    let sql = match (func, a) {
                        // A value an output_field types (a decimal default of a non-Decimal
                        // value) is the field's NUMERIC, not a Decimal's REAL.
                        (FuncKind::Wrapper, Expr::Value(v)) => {
                            let mut f = Frag::default();
                            push_value(&mut f, v);
                            f
                        }
                        _ => self.func_arg(a)?,
                    };
                    compiled.push((sql, a.value_type()));
                }
                f.push(d.func(*func, compiled, *output, tzname.as_deref())?);
            }
            Expr::Aggregate {
                func,
                arg,
                distinct,
                filter,
                default,
                resolved,
                options,
            } => {
                if *func == AggFunc::AnyValue {
                    d.any_value(self.schema.postgres_version)?;
                }
                let start = f.mark();
                let call = d.aggregate_call(*func, *distinct, options)?;
                f.push_str(&call.function);
                f.push_str("(");
                if *distinct {
                    f.push_str("DISTINCT ");
                }
                match arg {
                    Some(a) => self.push_expr(f, a)?,
                    None => f.push_str("*"),
                }
                if let (Some(delimiter), true) = (&options.delimiter, call.delimiter) {
                    f.push_str(", ");
                    self.push_expr(f, delimiter)?;
                }
                for (i, (e, descending)) in options.order_by.iter().enumerate() {
                    f.push_str(if i == 0 { " ORDER BY " } else { ", " });
                    self.push_expr(f, e)?;
                    match descending {
                        Some(true) => f.push_str(" DESC"),
                        Some(false) => f.push_str(" ASC"),
                        None => {}
                    }
                }
                f.push_str(")");
                // A filter that matches nothing makes the aggregate EmptyResultSet; with a
                // default, Django's `Coalesce(aggregate, default)` puts NULL in its place.
                let mut empty = false;
                if let Some(w) = filter {
                    let m = f.mark();
                    f.push_str(" FILTER (WHERE ");
                    let cond = f.mark();
                    match self.push_condition(f, w)? {
                        Cond::Sql => {
                            if *resolved {
                                f.parenthesize_condition_since(cond);
                            }
                            f.push_str(")");
                        }
                        // Func.as_sql compiles a condition matching everything as Value(True).
                        Cond::Full => {
                            f.truncate(cond);
                            f.push_param(Value::Bool(true));
                            f.push_str(")");
                        }
                        Cond::Empty if default.is_some() => {
                            f.truncate(m);
                            empty = true;
                        }
                        Cond::Empty => return Err(Stop::Empty),
                    }
                }
                let ty = e.value_type();
                match default {
                    Some(dflt) if empty => {
                        f.truncate(start);
                        f.push_str("COALESCE(NULL, ");
                        self.push_expr(f, dflt)?;
                        f.push_str(")");
                    }
                    Some(dflt) => {
                        if let Some((open, close)) = d.numeric_cast(ty) {
                            f.wrap_since(start, open, close);
                        }
                        f.wrap_since(start, "COALESCE(", ", ");
                        self.push_expr(f, dflt)?;
                        f.push_str(")");
                    }
                    None => {}
                }
                if let Some((open, close)) = d.numeric_cast(ty) {
                    f.wrap_since(start, open, close);
                }
            }
            Expr::Subquery(q) => self.push_subquery(f, q, "(")?,
            // Django's `Exists.as_sql`: over nothing, `False`.
            Expr::Exists(q) => {
                let m = f.mark();
                match self.push_subquery(f, q, "EXISTS(") {
                    Err(Stop::Empty) => {
                        f.truncate(m);
                        f.push_param(Value::Bool(false));
                    }
                    r => r?,
                }
            }
            // Django's `NegatedExpression`: where the backend has no boolean type, a value
            // that is not a condition is negated with CASE.
            Expr::Not(inner) if !inner.is_condition() && !d.native_boolean() => {
                f.push_str("CASE WHEN ");
                self.push_expr(f, inner)?;
                f.push_str(" = 0 THEN 1 ELSE 0 END");
            }
            Expr::Not(inner) => {
                f.push_str("NOT ");
                self.push_expr(f, inner)?;
            }
            // Django compiles a condition that matches nothing as `0`, one that matches
            // everything as `True`.
            Expr::Condition(w) => match self.push_condition(f, w)? {
                Cond::Sql => {}
                Cond::Empty => f.push_str("0"),
                Cond::Full => f.push_param(Value::Bool(true)),
            },
            Expr::Raw { sql, params } => push_raw(f, sql, params),
            Expr::Py(call) => {
                let t = self.py.borrow_mut().as_sql(call)?;
                self.push_template(f, &t)?;
            }
            Expr::WindowFunc { func, args, .. } => self.push_window_func(f, *func, args)?,
            Expr::Window {
                source,
                partition_by,
                order_by,
                frame,
            } => self.push_window(f, e, source, partition_by, order_by, frame.as_ref())?,
            Expr::OuterRef { .. } => {
                return Err(Stop::Error(Diagnostic::new(
                    ErrorKind::Value,
                    "This queryset contains a reference to an outer query and may only be used in a subquery.",
                )));
            }
        }
        Ok(())
    }

    /// Django's `Case.as_sql`, appended: a When matching nothing is dropped, one matching
    /// everything becomes the default.
    fn push_case(
        &self,
        f: &mut Frag,
        whens: &[(WhereNode, Expr)],
        default: &Expr,
        resolved: bool,
    ) -> Out<()> {
        let start = f.mark();
        f.push_str("CASE ");
        let mut cases = 0;
        let mut default = default;
        for (cond, then) in whens {
            let when = f.mark();
            f.push_str("WHEN ");
            let c = f.mark();
            match self.push_condition(f, cond)? {
                Cond::Empty => f.truncate(when),
                Cond::Full => {
                    f.truncate(when);
                    default = then;
                    break;
                }
                Cond::Sql => {
                    if resolved {
                        f.parenthesize_condition_since(c);
                    }
                    f.push_str(" THEN ");
                    match self.push_expr(f, then) {
                        // A When whose result is EmptyResultSet is dropped too.
                        Err(Stop::Empty) => f.truncate(when),
                        r => {
                            r?;
                            f.push_str(" ");
                            cases += 1;
                        }
                    }
                }
            }
        }
        if cases > 0 {
            f.push_str("ELSE ");
            self.push_expr(f, default)?;
            f.push_str(" END");
            return Ok(());
        }
        f.truncate(start);
        // Only the default is left: a Value keeps its type through a Cast.
        match default {
            Expr::Value(v) if let Some(ty) = value_class(v).map(|k| db_type(k, None, None)) => {
                let default_sql = self.expr(default)?;
                f.push(self.dialect.func(
                    FuncKind::Cast(ty),
                    vec![(default_sql, default.value_type())],
                    db_value_type(ty),
                    None,
                )?);
            }
            _ => self.push_expr(f, default)?,
        }
        Ok(())
    }
}

impl Writer<'_> {
    /// ` GROUP BY ...` appended, Django's `get_group_by` after the candidates: PostgreSQL
    /// keeps only a table's primary key when it is grouped by (`collapse_group_by`),
    /// selected expressions with an alias are referred to by position, duplicates go.
    fn push_group_by(&self, f: &mut Frag, q: &Query, plan: &Plan, col_aliases: bool) -> Out<()> {
        if plan.group_by.is_empty() {
            return Ok(());
        }
        let (pk_aliases, having) = if self.dialect.groups_by_selected_pks() {
            let pk_aliases: Vec<&str> = plan
                .group_by
                .iter()
                .filter_map(|e| match e {
                    Expr::Col(c) if self.is_pk(q, c) => Some(&*c.alias),
                    _ => None,
                })
                .collect();
            let having = plan
                .having
                .as_ref()
                .map(|h| h.group_by_cols())
                .unwrap_or_default();
            (pk_aliases, having)
        } else {
            (Vec::new(), Vec::new())
        };
        let kept = |e: &&Expr| match e {
            Expr::Col(c) if !pk_aliases.is_empty() => {
                self.is_pk(q, c) || having.contains(e) || !pk_aliases.contains(&&*c.alias)
            }
            _ => true,
        };
        let aliased = plan.columns.len() - plan.extra;
        let start = f.mark();
        f.push_str(" GROUP BY ");
        // Where each piece written so far starts and ends.
        let mut pieces: Vec<(Mark, Mark)> = Vec::with_capacity(plan.group_by.len());
        for e in plan.group_by.iter().filter(kept) {
            // Django's get_group_by skips an expression that compiles to EmptyResultSet
            // (`Exists(qs.none())`, which the SELECT shows as False).
            let probe = match e {
                Expr::Col(_) => Ok(()),
                Expr::Exists(sub) => self.push_subquery(&mut Frag::default(), sub, "("),
                e => self.expr(e).map(drop),
            };
            if matches!(probe, Err(Stop::Empty)) {
                continue;
            }
            let before = f.mark();
            if !pieces.is_empty() {
                f.push_str(", ");
            }
            let piece = f.mark();
            // Django maps each selected expression to its last position.
            let position = plan.columns.iter().enumerate().rposition(|(i, c)| {
                (c.alias.is_some() || (col_aliases && i < aliased)) && &c.expr == e
            });
            match (position, e) {
                (Some(p), _) => f.push_str(itoa::Buffer::new().format(p + 1)),
                // A composite primary key's ordering (Django's `ColPairs`): its columns, one
                // piece.
                (None, Expr::Tuple(cols)) => {
                    for (i, c) in cols.iter().enumerate() {
                        if i > 0 {
                            f.push_str(", ");
                        }
                        self.push_expr(f, c)?;
                    }
                }
                (None, _) => self.push_expr(f, e)?,
            }
            let end = f.mark();
            let seen = pieces
                .iter()
                .any(|&(a, b)| f.between(a, b) == f.between(piece, end));
            if seen {
                f.truncate(before);
            } else {
                pieces.push((piece, end));
            }
        }
        if pieces.is_empty() {
            f.truncate(start);
        } else if !q.distinct_fields.is_empty() {
            return Err(Stop::Error(Diagnostic::new(
                ErrorKind::Python("NotImplementedError".into()),
                "annotate() + distinct(fields) is not implemented.",
            )));
        }
        Ok(())
    }

    /// A function's argument, Django's `Func.as_sql`: one that is EmptyResultSet becomes its
    /// empty value, or the function is EmptyResultSet too.
    fn func_arg(&self, a: &Expr) -> Out<Frag> {
        match self.expr(a) {
            Err(Stop::Empty) => {
                let v = empty_value(a).ok_or(Stop::Empty)?;
                let mut f = Frag::default();
                push_value(&mut f, &v);
                Ok(f)
            }
            r => r,
        }
    }

    /// Whether a column is the primary key of the table its alias stands for.
    fn is_pk(&self, q: &Query, c: &crate::query::Col) -> bool {
        q.tables
            .iter()
            .find(|t| t.alias == c.alias)
            .and_then(|t| self.schema.find_table(&t.table))
            .map(|m| self.schema.model(m))
            // A composite key is no one column (Django's pk is then no `Col`).
            .is_some_and(|m| m.composite_pk.is_empty() && *m.pk_field().column == *c.column)
    }

    /// A nested SELECT appended, `open` … `)`; EmptyResultSet when the inner query can match
    /// nothing.
    fn push_subquery(&self, f: &mut Frag, q: &Query, open: &str) -> Out<()> {
        let (q, plan) = q.plan(self.schema)?;
        f.push_str(open);
        if !self.push_select(f, &q, &plan, false)? {
            return Err(Stop::Empty);
        }
        f.push_str(")");
        Ok(())
    }
}

/// A lookup's operator (`%s` marks where the right-hand side goes): what goes before the
/// right-hand side and what after it.
fn operator(op: &str) -> (&str, &str) {
    // A look for two bytes, without the set-up of a substring search.
    let at = op
        .as_bytes()
        .windows(2)
        .position(|w| w == b"%s")
        .expect("operator has a slot");
    (&op[..at], &op[at + 2..])
}

/// Django's `year_lookup_bounds_for_date(time)_field`.
fn year_bounds(year: i64, iso: bool, datetime: Option<TzConfig>) -> Option<(Value, Value)> {
    use chrono::{NaiveDate, Weekday};
    let year = i32::try_from(year).ok()?;
    let (first, last) = if iso {
        (
            NaiveDate::from_isoywd_opt(year, 1, Weekday::Mon)?,
            NaiveDate::from_isoywd_opt(year + 1, 1, Weekday::Mon)?.pred_opt()?,
        )
    } else {
        (
            NaiveDate::from_ymd_opt(year, 1, 1)?,
            NaiveDate::from_ymd_opt(year, 12, 31)?,
        )
    };
    let (first_moment, last_moment) = (
        first.and_hms_opt(0, 0, 0)?,
        last.and_hms_micro_opt(23, 59, 59, 999_999)?,
    );
    Some(match datetime {
        Some(tz) => (tz.field_value(first_moment)?, tz.field_value(last_moment)?),
        None => (Value::Date(first), Value::Date(last)),
    })
}

impl Writer<'_> {
    /// The zone a date function converts its datetime to: its own `tzinfo=` ([`Expr::InZone`],
    /// taken by the function it wraps, before its arguments are written), else the current
    /// zone; none with `USE_TZ = False`.
    fn tzname(&self) -> Option<String> {
        let own = self.zone.borrow_mut().take();
        let current = self.schema.tz.sql_tzname()?;
        Some(own.unwrap_or_else(|| current.to_string()))
    }

    /// A Python class's SQL ([`crate::query::py_call::Template`]): each `%s` the next
    /// argument (a value bound, an expression written in place), `%%` a `%`.
    fn push_template(&self, f: &mut Frag, t: &crate::query::py_call::Template<Expr>) -> Out<()> {
        let mut args = t.args.iter();
        let mut rest = t.sql.as_str();
        while let Some(i) = rest.find('%') {
            f.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            match after.as_bytes().first() {
                Some(b'%') => f.push_str("%"),
                Some(b's') => match args.next() {
                    Some(Expr::Value(v)) => f.push_param(v.clone()),
                    Some(e) => self.push_expr(f, e)?,
                    None => f.push_str("%s"),
                },
                _ => {
                    f.push_str("%");
                    rest = after;
                    continue;
                }
            }
            rest = &after[1..];
        }
        f.push_str(rest);
        Ok(())
    }
}

/// Django's `RawSQL.as_sql`: `(sql)`, each `%s` a parameter (in order) and `%%` a literal `%`
/// (what the drivers make of Django's format-style SQL). A `%s` without a parameter left is
/// written as it is (the database then refuses it, as it refuses Django's).
fn push_raw(f: &mut Frag, sql: &str, params: &[Value]) {
    let mut params = params.iter();
    f.push_str("(");
    let mut rest = sql;
    while let Some(i) = rest.find('%') {
        f.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.as_bytes().first() {
            Some(b'%') => f.push_str("%"),
            Some(b's') if let Some(v) = params.next() => f.push_param(v.clone()),
            Some(b's') => f.push_str("%s"),
            _ => {
                f.push_str("%");
                rest = after;
                continue;
            }
        }
        rest = &after[1..];
    }
    f.push_str(rest);
    f.push_str(")");
}
