//! The SQL writer: query IR + plan → SQL text and bound parameters, Django's compiler
//! shapes (column lists, joins, WHERE parentheses, ORDER BY, LIMIT/OFFSET). Every spelling
//! that differs between backends is asked of [`Dialect`].

use super::Dialect;
use super::frag::Frag;
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::query::annotate::Aggregation;
use crate::query::expr::{Connector, DatePart, LookupKind};
use crate::query::func::{FuncKind, db_type, db_value_type, value_class};
use crate::query::setup::{OrderTarget, Plan};
use crate::query::{Expr, JoinType, Lookup, Nulls, Query, Rhs, WhereNode};
use crate::schema::Schema;
use crate::value::{Value, ValueType};

/// A finished statement: SQL in the driver's placeholder style and its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    pub sql: String,
    pub params: Vec<Value>,
}

/// A SELECT with the plan that says what its columns are.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled {
    /// `None` when Django would run no query at all (the result is known to be empty).
    pub statement: Option<Statement>,
    pub plan: Plan,
}

/// What a where tree compiles to (Django's EmptyResultSet / FullResultSet).
pub(super) enum Cond {
    Sql(Frag),
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
fn value(v: Value) -> Frag {
    match v {
        Value::Null => Frag::new("NULL"),
        v => Frag::param(v),
    }
}

pub(super) struct Writer<'a> {
    pub(super) schema: &'a Schema,
    pub(super) dialect: Dialect,
}

/// Compile a SELECT.
pub fn select(schema: &Schema, dialect: Dialect, query: &Query) -> Result<Compiled> {
    let mut q = query.clone();
    let plan = q.plan(schema)?;
    let w = Writer { schema, dialect };
    let statement = w.select_frag(&q, &plan, false)?.map(|frag| w.finish(frag));
    Ok(Compiled { statement, plan })
}

/// Compile `count()`; `None` when the count is 0 without a query.
pub fn count(schema: &Schema, dialect: Dialect, query: &Query) -> Result<Option<Statement>> {
    let star = crate::query::FExpr::Aggregate {
        func: crate::query::expr::AggFunc::Count,
        arg: None,
        distinct: false,
        filter: None,
        default: None,
        span: crate::diag::Span::default(),
    };
    match query.aggregation(schema, &[("__count".into(), star)])? {
        Aggregation::Nested { inner, aggs } => aggregate_over(schema, dialect, &inner, &aggs),
        Aggregation::Flat(q) => Ok(select(schema, dialect, &q)?.statement),
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
    let w = Writer { schema, dialect };
    let mut inner = inner.clone();
    let plan = inner.plan(schema)?;
    let Some(sub) = w.select_frag(&inner, &plan, true)? else {
        return Ok(None);
    };
    let mut f = Frag::new("SELECT ");
    for (i, a) in aggs.iter().enumerate() {
        if i > 0 {
            f.push_str(", ");
        }
        f.push(w.column(&a.expr)?);
    }
    f.push_str(" FROM (");
    f.push(sub);
    f.push_str(") subquery");
    Ok(Some(w.finish(f)))
}

impl Writer<'_> {
    pub(super) fn finish(&self, frag: Frag) -> Statement {
        frag.finish(self.dialect)
    }

    /// A SELECT; `None` when it can match nothing (Django runs no query).
    fn select_frag(&self, q: &Query, plan: &Plan, col_aliases: bool) -> Result<Option<Frag>> {
        if let Some((combinator, all)) = q.combinator {
            return self.combined_frag(q, plan, combinator, all);
        }
        catch_empty(self.select_sql(q, plan, col_aliases).map(Some), None)
    }

    fn select_sql(&self, q: &Query, plan: &Plan, col_aliases: bool) -> Out<Frag> {
        let mut f = Frag::new("SELECT ");
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
        let aliases = column_aliases(plan, col_aliases);
        for (i, (c, alias)) in plan.columns.iter().zip(&aliases).enumerate() {
            if i > 0 {
                f.push_str(", ");
            }
            self.push_column(&mut f, &c.expr)?;
            if let Some(a) = alias {
                f.push_str(" AS ");
                self.dialect.push_quoted(&mut f.sql, a);
            }
        }
        let from = self.table_sources(q).ok_or(Stop::Empty)?;
        f.push_str(" FROM ");
        f.push(from);
        match self.condition(&plan.where_)? {
            Cond::Empty => return Err(Stop::Empty),
            Cond::Full => {}
            Cond::Sql(c) => {
                f.push_str(" WHERE ");
                f.push(c);
            }
        }
        let group_by = self.group_by(q, plan, col_aliases)?;
        if !group_by.is_empty() {
            f.push_str(" GROUP BY ");
            for (i, g) in group_by.into_iter().enumerate() {
                if i > 0 {
                    f.push_str(", ");
                }
                f.push(g);
            }
        }
        if let Some(h) = &plan.having {
            match self.condition(h)? {
                Cond::Empty => return Err(Stop::Empty),
                Cond::Full => {}
                Cond::Sql(c) => {
                    f.push_str(" HAVING ");
                    f.push(c);
                }
            }
        }
        self.order_and_limit(&mut f, q, plan)?;
        if q.select_for_update {
            f.push_str(self.dialect.for_update());
        }
        if q.subquery && plan.extra > 0 {
            return self.without_extra(f, plan, &aliases);
        }
        Ok(f)
    }

    /// Django's `as_sql` for a subquery whose DISTINCT selected its ordering's columns too:
    /// `SELECT "subquery"."x", ... FROM (inner) subquery`, the selected columns without them.
    fn without_extra(&self, inner: Frag, plan: &Plan, aliases: &[Option<String>]) -> Out<Frag> {
        let subquery = self.dialect.quote("subquery");
        let mut f = Frag::new("SELECT ");
        let kept = plan.columns.len() - plan.extra;
        for (i, (c, alias)) in plan.columns[..kept].iter().zip(aliases).enumerate() {
            if i > 0 {
                f.push_str(", ");
            }
            let name = match (alias, &c.expr) {
                (Some(a), _) => a,
                (None, Expr::Col(col)) => &col.column,
                (None, _) => {
                    return Err(Stop::Error(Diagnostic::new(
                        ErrorKind::NotSupported,
                        "djq cannot wrap an unnamed computed column of a DISTINCT subquery",
                    )));
                }
            };
            f.push_str(&format!("{subquery}.{}", self.dialect.quote(name)));
        }
        f.push_str(" FROM (");
        f.push(inner);
        f.push_str(") subquery");
        Ok(f)
    }

    /// A select column, Django's `get_select`: an expression that is EmptyResultSet becomes
    /// its empty value, or `0`.
    fn column(&self, e: &Expr) -> Result<Frag> {
        match self.expr(e) {
            Err(Stop::Empty) => Ok(empty_value(e).map_or_else(|| Frag::new("0"), value)),
            Err(Stop::Error(d)) => Err(d),
            Ok(f) => Ok(f),
        }
    }

    /// [`Writer::column`] appended to `f` (a plain column written in place).
    fn push_column(&self, f: &mut Frag, e: &Expr) -> Result<()> {
        match e {
            Expr::Col(c) => self.push_col(&mut f.sql, c),
            e => f.push(self.column(e)?),
        }
        Ok(())
    }

    /// [`Writer::expr`] appended to `f` (a plain column written in place).
    fn push_expr(&self, f: &mut Frag, e: &Expr) -> Out<()> {
        match e {
            Expr::Col(c) => self.push_col(&mut f.sql, c),
            e => f.push(self.expr(e)?),
        }
        Ok(())
    }

    /// `"alias"."column"`.
    fn push_col(&self, sql: &mut String, c: &crate::query::Col) {
        self.dialect.push_quoted(sql, &c.alias);
        sql.push('.');
        self.dialect.push_quoted(sql, &c.column);
    }

    /// ` ORDER BY ... LIMIT ... OFFSET ...`
    fn order_and_limit(&self, f: &mut Frag, q: &Query, plan: &Plan) -> Out<()> {
        if !plan.order_by.is_empty() {
            f.push_str(" ORDER BY ");
            for (i, o) in plan.order_by.iter().enumerate() {
                if i > 0 {
                    f.push_str(", ");
                }
                match &o.target {
                    OrderTarget::Expr(e) => self.push_expr(f, e)?,
                    OrderTarget::Position(p) => f.push_str(itoa::Buffer::new().format(*p)),
                    OrderTarget::Alias(a) => self.dialect.push_quoted(&mut f.sql, a),
                    OrderTarget::Random => f.push_str(self.dialect.random()),
                }
                f.push_str(if o.descending { " DESC" } else { " ASC" });
                match o.nulls {
                    Some(Nulls::First) => f.push_str(" NULLS FIRST"),
                    Some(Nulls::Last) => f.push_str(" NULLS LAST"),
                    None => {}
                }
            }
        }
        f.push_str(&self.dialect.limit_offset(q.low_mark, q.high_mark));
        Ok(())
    }

    /// Django's `get_combinator_sql`: the combined queries (their columns aliased `col1`...,
    /// parenthesized where the backend allows ordering inside), then this query's ordering
    /// and limits. `None` when nothing can match.
    fn combined_frag(
        &self,
        q: &Query,
        plan: &Plan,
        combinator: crate::query::Combinator,
        all: bool,
    ) -> Result<Option<Frag>> {
        let nested = self.dialect.orders_inside_compound();
        let mut parts: Vec<Frag> = Vec::new();
        for part in &q.combined {
            let mut pq = part.clone();
            let pplan = pq.plan(self.schema)?;
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
            match self.select_frag(&pq, &pplan, true)? {
                Some(sql) if nested => {
                    parts.push(Frag::new("(").joined(sql).joined(Frag::new(")")))
                }
                Some(sql) => parts.push(sql),
                // Django leaves out empty parts of a UNION, and of a DIFFERENCE after the first.
                None if combinator == crate::query::Combinator::Union
                    || (combinator == crate::query::Combinator::Difference
                        && !parts.is_empty()) => {}
                None => return Ok(None),
            }
        }
        if parts.is_empty() {
            return Ok(None);
        }
        let op = if all && combinator == crate::query::Combinator::Union {
            format!(" {} ALL ", combinator.sql())
        } else {
            format!(" {} ", combinator.sql())
        };
        let mut f = Frag::default();
        for (i, p) in parts.into_iter().enumerate() {
            if i > 0 {
                f.push_str(&op);
            }
            f.push(p);
        }
        catch_empty(
            self.order_and_limit(&mut f, q, plan).map(|()| Some(f)),
            None,
        )
    }

    /// The FROM clause: active aliases in creation order; the first is the base table.
    fn table_sources(&self, q: &Query) -> Option<Frag> {
        let mut f = Frag::default();
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
            d.push_quoted(&mut f.sql, &t.table);
            if t.alias != t.table {
                f.push_str(" ");
                d.push_quoted(&mut f.sql, &t.alias);
            }
            if let Some(j) = join {
                // ` ON ("parent"."a" = "alias"."b")`
                f.push_str(" ON (");
                d.push_quoted(&mut f.sql, &j.parent);
                f.push_str(".");
                d.push_quoted(&mut f.sql, &j.on.0);
                f.push_str(" = ");
                d.push_quoted(&mut f.sql, &t.alias);
                f.push_str(".");
                d.push_quoted(&mut f.sql, &j.on.1);
                if let Some(r) = &j.restriction {
                    // ` AND ("alias"."content_type_id" = ?)`
                    f.push_str(" AND (");
                    d.push_quoted(&mut f.sql, if r.on_joined { &t.alias } else { &j.parent });
                    f.push_str(".");
                    d.push_quoted(&mut f.sql, &r.column);
                    f.push_str(" = ");
                    f.push_param(crate::value::Value::Int(r.id));
                    f.push_str(")");
                }
                f.push_str(")");
            }
            first = false;
        }
        (!first).then_some(f)
    }

    /// Django's `WhereNode.as_sql`.
    pub(super) fn condition(&self, node: &WhereNode) -> Result<Cond> {
        match node {
            WhereNode::Nothing => Ok(Cond::Empty),
            WhereNode::Lookup(l) => catch_empty(self.lookup(l), Cond::Empty),
            WhereNode::Condition(Expr::Exists(q)) if q.is_empty() => Ok(Cond::Empty),
            WhereNode::Condition(e) => catch_empty(self.expr(e).map(Cond::Sql), Cond::Empty),
            WhereNode::Node {
                connector,
                negated,
                children,
            } => {
                let (mut full_needed, mut empty_needed) = match connector {
                    Connector::And => (children.len(), 1),
                    Connector::Or => (1, children.len()),
                };
                let mut parts: Vec<Frag> = Vec::new();
                for child in children {
                    match self.condition(child)? {
                        Cond::Empty => empty_needed -= 1,
                        Cond::Full => full_needed -= 1,
                        Cond::Sql(f) if f.sql.is_empty() => full_needed -= 1,
                        Cond::Sql(f) => parts.push(f),
                    }
                    if empty_needed == 0 {
                        return Ok(if *negated { Cond::Full } else { Cond::Empty });
                    }
                    if full_needed == 0 {
                        return Ok(if *negated { Cond::Empty } else { Cond::Full });
                    }
                }
                if parts.is_empty() {
                    return Ok(Cond::Full);
                }
                let many = parts.len() > 1;
                let (open, close) = match (*negated, many) {
                    (true, _) => ("NOT (", ")"),
                    (false, true) => ("(", ")"),
                    (false, false) => ("", ""),
                };
                let mut parts = parts.into_iter();
                let mut f = parts.next().expect("not empty");
                f.sql.insert_str(0, open);
                for p in parts {
                    f.push_str(" ");
                    f.push_str(connector.sql());
                    f.push_str(" ");
                    f.push(p);
                }
                f.push_str(close);
                Ok(Cond::Sql(f))
            }
        }
    }

    fn lookup(&self, l: &Lookup) -> Out<Cond> {
        if let Some(c) = self.year_lookup(l)? {
            return Ok(Cond::Sql(c));
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
            let col = self.expr(&l.lhs)?;
            return Ok(Cond::Sql(if *b {
                col
            } else {
                Frag::new("NOT ").joined(col)
            }));
        }
        let mut f = d.lookup_cast(l.kind, self.expr(&l.lhs)?);
        match (&l.kind, &l.rhs) {
            (LookupKind::IsNull, Rhs::Bool(b)) => {
                f.push_str(if *b { " IS NULL" } else { " IS NOT NULL" });
            }
            (LookupKind::In, Rhs::List(items)) => {
                if items.is_empty() {
                    return Ok(Cond::Empty);
                }
                f.push_str(" IN (");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.push_str(", ");
                    }
                    f.push(self.rhs_item(item)?);
                }
                f.push_str(")");
            }
            (LookupKind::In, Rhs::Tuples(items)) => {
                f = Frag {
                    sql: format!("({}) IN (", f.sql),
                    params: f.params,
                };
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        f.push_str(", ");
                    }
                    f.push_str("(");
                    f.push(Frag::param(v.clone()));
                    f.push_str(")");
                }
                f.push_str(")");
            }
            (LookupKind::Range, Rhs::Range(a, b)) => {
                f.push_str(" BETWEEN ");
                f.push(self.rhs_item(a)?);
                f.push_str(" AND ");
                f.push(self.rhs_item(b)?);
            }
            // Django's `UUIDTextMixin`: where UUIDs are stored as 32 hex digits, a text
            // lookup compares the value with its hyphens removed, `REPLACE(?, '-', '')`.
            (kind, Rhs::Value(v))
                if (kind.is_pattern() || *kind == LookupKind::IExact)
                    && !d.native_uuid()
                    && l.lhs.value_type() == ValueType::Uuid =>
            {
                let replace = Expr::Func {
                    func: crate::query::func::FuncKind::Replace,
                    args: [v.to_python_str(), "-".into(), String::new()]
                        .map(|s| Expr::Value(Value::Text(s)))
                        .into(),
                    output: ValueType::Text,
                };
                return self.lookup(&Lookup {
                    lhs: l.lhs.clone(),
                    kind: *kind,
                    rhs: Rhs::Expr(replace),
                });
            }
            (kind, Rhs::Value(v)) => {
                let v = if kind.is_pattern() || *kind == LookupKind::IExact {
                    Value::Text(d.pattern_value(*kind, &v.to_python_str()))
                } else {
                    v.clone()
                };
                operator(&mut f, d.lookup_operator(*kind)?, Frag::param(v));
            }
            // ArrayField lookups: `"tags" @> (ARRAY[$1, $2])::varchar(20)[]`.
            (kind, Rhs::Cast(inner, ty)) => {
                let op = d.lookup_operator(*kind)?;
                let rhs = match &**inner {
                    Rhs::Array(items) => {
                        let items = items
                            .iter()
                            .map(|v| self.expr(&Expr::Value(v.clone())))
                            .collect::<Out<Vec<_>>>()?;
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
                operator(&mut f, op, d.cast(rhs, *ty)?);
            }
            (kind, Rhs::Expr(e)) => {
                let rhs = self.expr(e)?.parenthesized();
                if kind.is_pattern() {
                    let op = d.pattern_operator(*kind);
                    let (before, after) = op.split_once("{}").expect("pattern slot");
                    f.push_str(" ");
                    f.push_str(before);
                    f.push(rhs);
                    f.push_str(after);
                } else {
                    operator(&mut f, d.lookup_operator(*kind)?, rhs);
                }
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
        Ok(Cond::Sql(f))
    }

    /// Django's `YearLookup`: `__year` comparisons become ranges on the column itself.
    fn year_lookup(&self, l: &Lookup) -> Out<Option<Frag>> {
        let Expr::Extract {
            part: part @ (DatePart::Year | DatePart::IsoYear),
            source,
        } = &l.lhs
        else {
            return Ok(None);
        };
        let Rhs::Value(Value::Int(year)) = &l.rhs else {
            return Ok(None);
        };
        let op = match l.kind {
            LookupKind::Exact => "BETWEEN",
            LookupKind::Gt => ">",
            LookupKind::Gte => ">=",
            LookupKind::Lt => "<",
            LookupKind::Lte => "<=",
            _ => return Ok(None),
        };
        let datetime = source.value_type() == ValueType::DateTime;
        let Some((start, finish)) = year_bounds(*year, *part == DatePart::IsoYear, datetime) else {
            return Ok(None);
        };
        let mut f = self.expr(source)?;
        f.push_str(&format!(" {op} "));
        match l.kind {
            LookupKind::Exact => {
                f.push(Frag::param(start));
                f.push_str(" AND ");
                f.push(Frag::param(finish));
            }
            LookupKind::Gt | LookupKind::Lte => f.push(Frag::param(finish)),
            _ => f.push(Frag::param(start)),
        }
        Ok(Some(f))
    }

    /// An item of a lookup's list or range: a value is a parameter (None too, unlike a
    /// `Value(None)` expression's `NULL`), an expression compiles.
    fn rhs_item(&self, e: &Expr) -> Out<Frag> {
        match e {
            Expr::Value(v) => Ok(Frag::param(v.clone())),
            e => self.expr(e),
        }
    }

    pub(super) fn expr(&self, e: &Expr) -> Out<Frag> {
        let d = self.dialect;
        Ok(match e {
            Expr::Col(c) => {
                let mut f = Frag::default();
                self.push_col(&mut f.sql, c);
                f
            }
            Expr::Value(v) => value(v.clone()),
            Expr::One => Frag::param(Value::Int(1)),
            Expr::Tuple(items) => {
                let mut f = Frag::new("(");
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.push_str(", ");
                    }
                    f.push(self.rhs_item(item)?);
                }
                f.push_str(")");
                f
            }
            Expr::Parens(inner) => {
                let mut f = Frag::new("(");
                self.push_expr(&mut f, inner)?;
                f.push_str(")");
                f
            }
            Expr::Combined { op, lhs, rhs } => {
                let l = self.expr(lhs)?;
                let r = self.expr(rhs)?;
                let sql = match e.value_type() {
                    ValueType::Duration if lhs.value_type() != ValueType::Duration => {
                        d.subtract_temporals(lhs.value_type(), &l.sql, &r.sql)
                    }
                    ty => d.combine(*op, &l.sql, &r.sql, ty),
                };
                let mut params = l.params;
                params.extend(r.params);
                Frag { sql, params }
            }
            Expr::Extract { part, source } => {
                let inner = self.expr(source)?;
                d.extract(*part, source.value_type(), inner)
            }
            Expr::CastDate(source) => d.cast_date(self.expr(source)?),
            Expr::CastTime(source) => d.cast_time(self.expr(source)?),
            Expr::KeyTransform { source, keys, text } => {
                d.key_transform(self.expr(source)?, keys, *text)?
            }
            Expr::ArrayIndex { source, index, .. } => d.array_index(self.expr(source)?, *index)?,
            Expr::ArraySlice { source, start, end } => {
                d.array_slice(self.expr(source)?, *start, *end)?
            }
            Expr::ArrayLen(source) => d.array_len(self.expr(source)?)?,
            Expr::Unaccent(source) => d.unaccent(self.expr(source)?)?,
            Expr::Ref { name, .. } => Frag::new(d.quote(name)),
            Expr::Case {
                whens,
                default,
                resolved,
                ..
            } => {
                // Django's `Case.as_sql`: a When matching nothing is dropped, one matching
                // everything becomes the default.
                let mut cases = Vec::new();
                let mut default = default.as_ref();
                for (cond, then) in whens {
                    match self.condition(cond)? {
                        Cond::Empty => {}
                        Cond::Full => {
                            default = then;
                            break;
                        }
                        // A When whose result is EmptyResultSet is dropped too.
                        Cond::Sql(c) => match self.expr(then) {
                            Err(Stop::Empty) => {}
                            then => {
                                let mut f = Frag::new("WHEN ");
                                f.push(if *resolved { c.parenthesized() } else { c });
                                f.push_str(" THEN ");
                                f.push(then?);
                                cases.push(f);
                            }
                        },
                    }
                }
                let default_sql = self.expr(default)?;
                if cases.is_empty() {
                    // Only the default is left: a Value keeps its type through a Cast.
                    match default {
                        Expr::Value(v) => match value_class(v).map(|k| db_type(k, None, None)) {
                            Some(ty) => d.func(
                                FuncKind::Cast(ty),
                                vec![(default_sql, default.value_type())],
                                db_value_type(ty),
                            )?,
                            None => default_sql,
                        },
                        _ => default_sql,
                    }
                } else {
                    let mut f = Frag::new("CASE ");
                    for c in cases {
                        f.push(c);
                        f.push_str(" ");
                    }
                    f.push_str("ELSE ");
                    f.push(default_sql);
                    f.push_str(" END");
                    f
                }
            }
            Expr::Func { func, args, output } => {
                let mut compiled = Vec::with_capacity(args.len());
                for a in args {
                    compiled.push((self.func_arg(a)?, a.value_type()));
                }
                d.func(*func, compiled, *output)?
            }
            Expr::Aggregate {
                func,
                arg,
                distinct,
                filter,
                default,
                resolved,
            } => {
                let mut f = Frag::new(format!("{}(", func.sql()));
                if *distinct {
                    f.push_str("DISTINCT ");
                }
                match arg {
                    Some(a) => self.push_expr(&mut f, a)?,
                    None => f.push_str("*"),
                }
                f.push_str(")");
                // A filter that matches nothing makes the aggregate EmptyResultSet; with a
                // default, Django's `Coalesce(aggregate, default)` puts NULL in its place.
                let mut empty = false;
                if let Some(w) = filter {
                    match self.condition(w)? {
                        Cond::Sql(c) => {
                            f.push_str(" FILTER (WHERE ");
                            f.push(if *resolved { c.parenthesized() } else { c });
                            f.push_str(")");
                        }
                        Cond::Full => {}
                        Cond::Empty if default.is_some() => empty = true,
                        Cond::Empty => return Err(Stop::Empty),
                    }
                }
                let ty = e.value_type();
                let f = match default {
                    Some(dflt) if empty => {
                        let mut c = Frag::new("COALESCE(NULL, ");
                        c.push(self.expr(dflt)?);
                        c.push_str(")");
                        c
                    }
                    Some(dflt) => {
                        let inner = Frag::new(d.numeric(std::mem::take(&mut f.sql), ty))
                            .joined_params(f.params);
                        let mut c = Frag::new("COALESCE(");
                        c.push(inner);
                        c.push_str(", ");
                        c.push(self.expr(dflt)?);
                        c.push_str(")");
                        c
                    }
                    None => f,
                };
                Frag {
                    sql: d.numeric(f.sql, ty),
                    params: f.params,
                }
            }
            Expr::Subquery(q) => self.subquery(q, "(")?,
            // Django's `Exists.as_sql`: over nothing, `False`.
            Expr::Exists(q) => match self.subquery(q, "EXISTS(") {
                Err(Stop::Empty) => Frag::param(Value::Bool(false)),
                r => r?,
            },
            Expr::Not(inner) => Frag::new("NOT ").joined(self.expr(inner)?),
            // Django compiles a condition that matches nothing as `0`, one that matches
            // everything as `True`.
            Expr::Condition(w) => match self.condition(w)? {
                Cond::Sql(f) => f,
                Cond::Empty => Frag::new("0"),
                Cond::Full => Frag::param(Value::Bool(true)),
            },
            Expr::OuterRef { .. } => {
                return Err(Stop::Error(Diagnostic::new(
                    ErrorKind::Value,
                    "This queryset contains a reference to an outer query and may only be used in a subquery.",
                )));
            }
        })
    }
}

impl Writer<'_> {
    /// Django's `get_group_by` after the candidates: PostgreSQL keeps only a table's primary
    /// key when it is grouped by (`collapse_group_by`), selected expressions with an alias are
    /// referred to by position, duplicates go.
    fn group_by(&self, q: &Query, plan: &Plan, col_aliases: bool) -> Out<Vec<Frag>> {
        let mut exprs = plan.group_by.clone();
        if self.dialect.groups_by_selected_pks() {
            let pk_aliases: Vec<String> = exprs
                .iter()
                .filter_map(|e| match e {
                    Expr::Col(c) if self.is_pk(q, c) => Some(c.alias.clone()),
                    _ => None,
                })
                .collect();
            let having = plan
                .having
                .as_ref()
                .map(|h| h.group_by_cols())
                .unwrap_or_default();
            exprs.retain(|e| match e {
                Expr::Col(c) => {
                    self.is_pk(q, c) || having.contains(e) || !pk_aliases.contains(&c.alias)
                }
                _ => true,
            });
        }
        let aliases = column_aliases(plan, col_aliases);
        let mut out: Vec<Frag> = Vec::new();
        for e in &exprs {
            // Django maps each selected expression to its last position.
            let position = aliases
                .iter()
                .zip(&plan.columns)
                .rposition(|(alias, c)| alias.is_some() && &c.expr == e);
            let f = match position {
                Some(p) => Frag::new((p + 1).to_string()),
                None => self.expr(e)?,
            };
            if !out.iter().any(|o| o.sql == f.sql && o.params == f.params) {
                out.push(f);
            }
        }
        Ok(out)
    }

    /// A function's argument, Django's `Func.as_sql`: one that is EmptyResultSet becomes its
    /// empty value, or the function is EmptyResultSet too.
    fn func_arg(&self, a: &Expr) -> Out<Frag> {
        match self.expr(a) {
            Err(Stop::Empty) => empty_value(a).map(value).ok_or(Stop::Empty),
            r => r,
        }
    }

    /// Whether a column is the primary key of the table its alias stands for.
    fn is_pk(&self, q: &Query, c: &crate::query::Col) -> bool {
        q.tables
            .iter()
            .find(|t| t.alias == c.alias)
            .and_then(|t| self.schema.find_table(&t.table))
            .is_some_and(|m| self.schema.model(m).pk_field().column == c.column)
    }

    /// A nested SELECT, `open` … `)`; EmptyResultSet when the inner query can match nothing.
    fn subquery(&self, q: &Query, open: &str) -> Out<Frag> {
        let mut q = q.clone();
        let plan = q.plan(self.schema)?;
        let inner = self.select_frag(&q, &plan, false)?.ok_or(Stop::Empty)?;
        let mut f = Frag::new(open);
        f.push(inner);
        f.push_str(")");
        Ok(f)
    }
}

/// The `AS` alias of each select column: its own, else `colN` when the query is combined or
/// aggregated over (Django's `with_col_aliases`), never for DISTINCT's ordering columns.
fn column_aliases(plan: &Plan, col_aliases: bool) -> Vec<Option<String>> {
    let kept = plan.columns.len() - plan.extra;
    let mut col_idx = 0;
    plan.columns
        .iter()
        .enumerate()
        .map(|(i, c)| match (&c.alias, col_aliases && i < kept) {
            (Some(a), _) => Some(a.clone()),
            (None, true) => {
                col_idx += 1;
                Some(format!("col{col_idx}"))
            }
            (None, false) => None,
        })
        .collect()
}

/// ` op rhs`: the lookup's operator (`%s` marks where the right-hand side goes) after `f`.
fn operator(f: &mut Frag, op: &str, rhs: Frag) {
    let (before, after) = op.split_once("%s").expect("operator has a slot");
    f.push_str(" ");
    f.push_str(before);
    f.push(rhs);
    f.push_str(after);
}

/// Django's `year_lookup_bounds_for_date(time)_field`.
fn year_bounds(year: i64, iso: bool, datetime: bool) -> Option<(Value, Value)> {
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
    Some(if datetime {
        (
            Value::DateTime(first.and_hms_opt(0, 0, 0)?.and_utc()),
            Value::DateTime(last.and_hms_micro_opt(23, 59, 59, 999_999)?.and_utc()),
        )
    } else {
        (Value::Date(first), Value::Date(last))
    })
}
