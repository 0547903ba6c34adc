//! Filters: Q trees → where clauses, with Django's join reuse, join promotion and
//! `exclude()` across multi-valued relations as `NOT EXISTS` subqueries.

use super::expr::{AggFunc, Arith, Col, Connector, Expr, LookupKind, Rhs, WhereNode};
use super::filtered_relation::names_to_path;
use super::lookups::{self, OutputField, Prepared};
use super::path::{self, FinalField, PathError, PathInfo};
use super::{JoinType, Query, SelectItem, Sym};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::schema::{ModelId, Schema};
use crate::value::Value;
use crate::value::ValueType;

/// A `Q` object (or the implicit one of `filter(**kwargs)`).
#[derive(Debug, Clone, PartialEq)]
pub struct QNode {
    pub connector: Connector,
    pub negated: bool,
    pub children: Vec<QChild>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum QChild {
    Node(QNode),
    /// `key=value`, e.g. `author__name__icontains="austen"`; span covers the keyword argument.
    Leaf {
        key: String,
        value: Operand,
        span: Span,
    },
    /// A conditional expression (`Exists(...)`, a boolean `Case(...)`).
    Expr {
        expr: FExpr,
        span: Span,
    },
}

/// A right-hand side as the user wrote it, before resolution against a query.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Value(Value),
    List(Vec<Operand>),
    F(FExpr),
    /// A queryset used as a value (`author__in=Author.objects.filter(...)`).
    Query(Box<Query>),
    /// A model instance: `(model, pk)`.
    Instance(ModelId, Value),
}

impl Operand {
    /// A list of plain values (`pk__in=[...]`).
    pub fn values(values: impl IntoIterator<Item = Value>) -> Operand {
        Operand::List(values.into_iter().map(Operand::Value).collect())
    }
}

/// `F()` expressions with arithmetic.
#[derive(Debug, Clone, PartialEq)]
pub enum FExpr {
    Ref {
        name: String,
        span: Span,
    },
    /// `OuterRef('pk')`; `depth` counts the extra wrappings (`OuterRef(OuterRef('pk'))`: 1).
    OuterRef {
        name: String,
        depth: u32,
        span: Span,
    },
    /// `Subquery(qs)`, `Exists(qs)`, `~Exists(qs)`.
    Subquery {
        query: Box<Query>,
        exists: bool,
        negated: bool,
        span: Span,
    },
    Value(Value),
    Combined {
        op: Arith,
        lhs: Box<FExpr>,
        rhs: Box<FExpr>,
    },
    /// `Count('books', distinct=True, filter=Q(...), default=0)`; no argument for `'*'`.
    Aggregate {
        func: super::expr::AggFunc,
        arg: Option<Box<FExpr>>,
        distinct: bool,
        filter: Option<QNode>,
        default: Option<Box<FExpr>>,
        span: Span,
        /// `StringAgg`'s delimiter, `order_by=`, `output_field=`, `function=`.
        options: Box<super::agg_options::AggOptions<FExpr>>,
    },
    /// `Lower('title')`, `Coalesce(F('a'), Value(0))`, `Cast('pages', output_field=...)`;
    /// `output` is an explicit `output_field`.
    Func {
        func: super::func::FuncKind,
        args: Vec<FExpr>,
        output: Option<super::expr::DbType>,
        span: Span,
    },
    /// `Case(When(...), ..., default=..., output_field=...)`.
    Case {
        whens: Vec<When>,
        default: Box<FExpr>,
        output: Option<super::expr::DbType>,
        span: Span,
    },
    /// A `Q(...)` used as a value (`annotate(flag=Q(...))`).
    Condition(QNode),
    /// A `When(...)` outside `Case`.
    When(Box<When>),
    /// `F('x').desc(nulls_last=True)`: an ordering, for `order_by()`.
    OrderBy {
        expr: Box<FExpr>,
        descending: bool,
        nulls: Option<super::Nulls>,
        span: Span,
    },
    /// `~F('flag')`, `~Value(False)`: Django's `NegatedExpression` of a conditional
    /// expression (`~Exists(...)` and `~Q(...)` have their own).
    Negated(Box<FExpr>),
    /// `RowNumber()`, `Lag('x', 2)`: a window function, only valid inside `Window`.
    WindowFunc {
        func: super::window::WindowFunc,
        args: Vec<FExpr>,
        span: Span,
    },
    /// `Window(expression, partition_by=, order_by=, frame=)`.
    Window {
        expr: Box<FExpr>,
        partition_by: Vec<FExpr>,
        order_by: Vec<FExpr>,
        frame: Option<super::window::Frame>,
        span: Span,
    },
    /// `RowRange(...)` / `ValueRange(...)`, only valid as a `Window`'s `frame=`.
    Frame(super::window::Frame),
}

impl FExpr {
    /// Whether an aggregate function is written in this expression (a reference to an
    /// aggregating annotation is not one).
    pub fn contains_aggregate(&self) -> bool {
        match self {
            FExpr::Aggregate { .. } => true,
            FExpr::Combined { lhs, rhs, .. } => {
                lhs.contains_aggregate() || rhs.contains_aggregate()
            }
            FExpr::Func { args, .. } => args.iter().any(FExpr::contains_aggregate),
            FExpr::Case { whens, default, .. } => {
                default.contains_aggregate() || whens.iter().any(|w| w.then.contains_aggregate())
            }
            FExpr::OrderBy { expr, .. } => expr.contains_aggregate(),
            _ => false,
        }
    }

    /// The expression as Django's `repr()` shows it (`OrderBy(Count(F(books)),
    /// descending=True)`), for error messages.
    pub fn django_repr(&self) -> String {
        match self {
            FExpr::Ref { name, .. } => format!("F({name})"),
            FExpr::Negated(inner) => format!("NegatedExpression({})", inner.django_repr()),
            FExpr::OuterRef { name, .. } => format!("OuterRef({name})"),
            FExpr::Value(v) => format!("Value({})", crate::value::python_repr(v)),
            FExpr::Combined { op, lhs, rhs } => {
                format!(
                    "{} {} {}",
                    lhs.django_repr(),
                    op.symbol(),
                    rhs.django_repr()
                )
            }
            FExpr::Aggregate {
                func,
                arg,
                distinct,
                ..
            } => {
                let arg = arg.as_ref().map_or("'*'".to_string(), |a| a.django_repr());
                let extra = if *distinct { ", distinct=True" } else { "" };
                format!("{}({arg}{extra})", func.name())
            }
            FExpr::Func { func, args, .. } => {
                let args: Vec<String> = args.iter().map(FExpr::django_repr).collect();
                format!("{}({})", func.name(), args.join(", "))
            }
            FExpr::OrderBy {
                expr, descending, ..
            } => {
                let d = if *descending { "True" } else { "False" };
                format!("OrderBy({}, descending={d})", expr.django_repr())
            }
            FExpr::Case { .. } => "Case(...)".into(),
            FExpr::When(_) => "When(...)".into(),
            FExpr::Subquery { exists: true, .. } => "Exists(...)".into(),
            FExpr::Subquery { .. } => "Subquery(...)".into(),
            FExpr::Condition(_) => "Q(...)".into(),
            FExpr::WindowFunc { func, args, .. } => {
                let args: Vec<String> = args.iter().map(FExpr::django_repr).collect();
                format!("{}({})", func.name(), args.join(", "))
            }
            FExpr::Window { expr, .. } => format!("Window({})", expr.django_repr()),
            FExpr::Frame(f) => f.sql(),
        }
    }
}

/// `When(Q(...) or lookups, then=...)`.
#[derive(Debug, Clone, PartialEq)]
pub struct When {
    pub condition: QNode,
    pub then: FExpr,
}

impl QNode {
    /// `Q(*args, **kwargs)`: positional Qs first, then keyword arguments sorted by name.
    pub fn new(mut children: Vec<QChild>, mut kwargs: Vec<QChild>) -> QNode {
        kwargs.sort_by(|a, b| match (a, b) {
            (QChild::Leaf { key: ka, .. }, QChild::Leaf { key: kb, .. }) => ka.cmp(kb),
            _ => std::cmp::Ordering::Equal,
        });
        if children.is_empty() {
            children = kwargs;
        } else {
            children.extend(kwargs);
        }
        QNode {
            connector: Connector::And,
            negated: false,
            children,
        }
    }

    /// `Q(key=value)`, a lookup djq builds itself (no source span).
    pub fn leaf(key: impl Into<String>, value: Operand) -> QNode {
        QNode::new(
            vec![QChild::Leaf {
                key: key.into(),
                value,
                span: Span::default(),
            }],
            Vec::new(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.children.is_empty()
    }

    /// `~q`
    pub fn negate(mut self) -> QNode {
        self.negated = !self.negated;
        self
    }

    /// `q1 | q2`, `q1 & q2` (Django's `Q._combine` with `tree.Node.add` squashing).
    pub fn combine(self, other: QNode, conn: Connector) -> QNode {
        if self.is_empty() {
            return other;
        }
        if other.is_empty() {
            return self;
        }
        let mut obj = QNode {
            connector: conn,
            negated: false,
            children: Vec::new(),
        };
        obj.add(self, conn);
        obj.add(other, conn);
        obj
    }

    fn add(&mut self, data: QNode, conn: Connector) {
        if !data.negated && (data.connector == conn || data.children.len() == 1) {
            self.children.extend(data.children);
        } else {
            self.children.push(QChild::Node(data));
        }
    }
}

/// Django's `JoinPromoter`.
struct JoinPromoter {
    effective: Connector,
    num_children: usize,
    votes: Vec<(Sym, usize)>,
}

impl JoinPromoter {
    fn new(connector: Connector, num_children: usize, negated: bool) -> Self {
        let effective = match (negated, connector) {
            (false, c) => c,
            (true, Connector::And) => Connector::Or,
            (true, Connector::Or) => Connector::And,
        };
        JoinPromoter {
            effective,
            num_children,
            votes: Vec::new(),
        }
    }

    fn add_votes(&mut self, aliases: Vec<Sym>) {
        for a in aliases {
            match self.votes.iter_mut().find(|(x, _)| *x == a) {
                Some((_, n)) => *n += 1,
                None => self.votes.push((a, 1)),
            }
        }
    }

    fn update_join_types(self, query: &mut Query) -> Vec<Sym> {
        let mut promote = Vec::new();
        let mut demote = Vec::with_capacity(self.votes.len());
        for (alias, votes) in self.votes {
            if self.effective == Connector::Or && votes < self.num_children {
                promote.push(alias.clone());
            }
            if self.effective == Connector::And
                || (self.effective == Connector::Or && votes == self.num_children)
            {
                demote.push(alias);
            }
        }
        query.promote_joins(&promote);
        query.demote_joins(&demote);
        demote
    }
}

/// What a Q is added for, deciding Django's `split_subq` and `update_join_types`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AddQ {
    /// `filter()`/`exclude()`: a negated multi-valued path becomes a subquery
    /// (`split_exclude`), joins are promoted and demoted.
    Filter,
    /// A Q used as an expression (`When(...)`, an aggregate's `filter=`): a negated
    /// multi-valued path joins (`split_subq=False`).
    Condition,
    /// A FilteredRelation's condition in its join's ON clause: no subqueries, join types
    /// left alone (`split_subq=False, update_join_types=False`).
    OnJoin,
}

impl Query {
    /// `filter(q)` (or `exclude` with a negated q): Django's `add_q`.
    pub fn add_q(&mut self, schema: &Schema, q: &QNode) -> Result<()> {
        let existing_inner = self.inner_aliases();
        let mut can_reuse = Vec::new();
        let (clause, _) =
            self.add_q_inner(schema, q, &mut can_reuse, (false, false), AddQ::Filter)?;
        if !clause.is_empty() {
            self.where_.add(clause, Connector::And);
        }
        self.demote_joins(&existing_inner);
        Ok(())
    }

    /// A Q used as an expression (an aggregate's `filter=`, `When(...)`): its condition,
    /// with the joins it needs made LEFT OUTER so they remove no rows (Django's
    /// `Q.resolve_expression`).
    pub fn resolve_condition(&mut self, schema: &Schema, q: &QNode) -> Result<WhereNode> {
        // Django resolves it with `reuse=None`: every existing join may be reused.
        let mut reuse: Vec<Sym> = self.tables.iter().map(|t| t.alias.clone()).collect();
        // Django's `split_subq=False`: a negated multi-valued path joins, it makes no
        // subquery.
        let (clause, needed) =
            self.add_q_inner(schema, q, &mut reuse, (false, false), AddQ::Condition)?;
        self.promote_joins(&needed);
        Ok(clause)
    }

    /// Django's `_add_q`, in one of its three uses ([`AddQ`]).
    pub(super) fn add_q_inner(
        &mut self,
        schema: &Schema,
        q: &QNode,
        can_reuse: &mut Vec<Sym>,
        (branch_negated, current_negated): (bool, bool),
        mode: AddQ,
    ) -> Result<(WhereNode, Vec<Sym>)> {
        let current_negated = current_negated ^ q.negated;
        let branch_negated = branch_negated || q.negated;
        let mut target = WhereNode::Node {
            connector: q.connector,
            negated: q.negated,
            children: Vec::with_capacity(q.children.len()),
        };
        let mut promoter = JoinPromoter::new(q.connector, q.children.len(), current_negated);
        // A lone child's aliases have every vote there is: Django's JoinPromoter demotes
        // them all and promotes none, which needs no count.
        let mut lone = None;
        for child in &q.children {
            let (clause, needed_inner) = match child {
                QChild::Node(n) => {
                    let negated = (branch_negated, current_negated);
                    self.add_q_inner(schema, n, can_reuse, negated, mode)?
                }
                QChild::Leaf { key, value, span } => self
                    .build_filter(
                        schema,
                        key,
                        value,
                        can_reuse,
                        (branch_negated && mode != AddQ::Condition, current_negated),
                        mode == AddQ::OnJoin,
                    )
                    .map_err(|d| d.at(*span))?,
                QChild::Expr { expr, span } => (
                    self.build_condition(schema, expr, can_reuse)
                        .map_err(|d| d.at(*span))?,
                    Vec::new(),
                ),
            };
            if q.children.len() == 1 {
                lone = Some(needed_inner);
            } else {
                promoter.add_votes(needed_inner);
            }
            if !clause.is_empty() {
                target.add(clause, q.connector);
            }
        }
        let needed_inner = match lone {
            _ if mode == AddQ::OnJoin => Vec::new(),
            Some(aliases) => {
                self.demote_joins(&aliases);
                aliases
            }
            None => promoter.update_join_types(self),
        };
        Ok((target, needed_inner))
    }

    /// Django's `build_filter` for an expression: it must be conditional, and becomes
    /// `expr = True` (which the compiler writes as the bare condition where it can).
    fn build_condition(
        &mut self,
        schema: &Schema,
        expr: &FExpr,
        can_reuse: &mut Vec<Sym>,
    ) -> Result<WhereNode> {
        let mut e = self.resolve_f(schema, expr, Some(can_reuse))?;
        e.resolve_again();
        if e.value_type() != ValueType::Bool {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                "Cannot filter against a non-conditional expression.",
            ));
        }
        Ok(WhereNode::Lookup(Box::new(super::Lookup {
            lhs: e,
            kind: LookupKind::Exact,
            rhs: Rhs::Value(Value::Bool(true)),
        })))
    }

    /// Django's `build_filter` for one `key=value`.
    fn build_filter(
        &mut self,
        schema: &Schema,
        key: &str,
        value: &Operand,
        can_reuse: &mut Vec<Sym>,
        (branch_negated, current_negated): (bool, bool),
        on_join: bool,
    ) -> Result<(WhereNode, Vec<Sym>)> {
        if key.is_empty() {
            return Err(Diagnostic::field("Cannot parse keyword query ''"));
        }
        let parts = path::NameList::new(key);
        // Django's `refs_expression`: the shortest prefix naming an annotation
        // (`book__pages__sum__gt` after `alias(Sum('book__pages'))`).
        let annotated = !(self.annotations.is_empty() && self.hidden_annotations.is_empty());
        let mut end = 0;
        let named = (1..=parts.len()).take_while(|_| annotated).find_map(|n| {
            // The first n names, as they stand in `key` (`__` between them).
            end += parts[n - 1].len() + if n > 1 { 2 } else { 0 };
            let expr = self.annotation(&key[..end])?.clone();
            Some((n, expr))
        });
        if let Some((n, mut expr)) = named {
            // Django's `reffed_expression`: a lookup on an annotation (HAVING when it
            // aggregates); an aggregate's filter over it reads it by name (`Ref`).
            if let Expr::Tuple(_) = expr {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    "lookups on an annotation of a composite primary key are not supported by djq yet",
                ));
            }
            if self.summarize {
                expr = Expr::Ref {
                    name: parts[0].to_string(),
                    source: Box::new(expr),
                };
            } else {
                expr.resolve_again();
            }
            refuse_unlimited_exact(value, &parts[n..])?;
            let prepared = self.resolve_lookup_value(schema, value, Some(can_reuse))?;
            let out = super::annotate::output_field(&expr);
            let condition = lookups::build_lookup(schema, &parts[n..], (expr, out), prepared)?;
            let mut clause = WhereNode::and();
            clause.add(condition, Connector::And);
            return Ok((clause, Vec::new()));
        }
        if let Some(done) = self.composite_pk_filter(
            schema,
            &parts,
            value,
            can_reuse,
            (branch_negated, current_negated),
        )? {
            return Ok(done);
        }
        let filtered = &self.filtered_relations;
        let names = match names_to_path(schema, filtered, &parts[..], self.model, true, false) {
            Ok(n) => n,
            Err(PathError::Field(d)) => return Err(self.with_annotation_choices(schema, key, d)),
            Err(PathError::MultiJoin(_)) => unreachable!("allow_many is true"),
        };
        names.final_field.refuse_multi_column(schema)?;
        let (field_parts, lookups) = parts.split_at(names.consumed);
        refuse_foreign_queryset(schema, &names, value)?;
        refuse_unlimited_exact(value, lookups)?;

        // The joins the value makes (an F() across a relation): the tables it referenced.
        // (Only an F() or a queryset can reference tables.)
        let joins_value = matches!(value, Operand::F(_) | Operand::Query(_));
        let before: Vec<usize> = if joins_value {
            self.tables.iter().map(|t| t.refcount).collect()
        } else {
            Vec::new()
        };
        let prepared = self.resolve_lookup_value(schema, value, Some(can_reuse))?;
        let mut used_joins: Vec<Sym> = if joins_value {
            self.tables
                .iter()
                .enumerate()
                .filter(|(i, t)| t.refcount > before.get(*i).copied().unwrap_or(0))
                .map(|(_, t)| t.alias.clone())
                .collect()
        } else {
            Vec::new()
        };

        let base = self.base_alias().clone();
        self.ref_alias(&base);
        // Django's `setup_joins` over the field names, resolved above; a multi-valued hop
        // under a negation makes a subquery instead.
        if branch_negated && !on_join && names.path.iter().any(|p| p.m2m) {
            let filtered = &self.filtered_relations;
            return match names_to_path(schema, filtered, field_parts, self.model, false, true) {
                Err(PathError::MultiJoin(nwp)) => {
                    self.split_exclude(schema, key, value, can_reuse, &nwp)
                }
                Err(PathError::Field(d)) => Err(d),
                Ok(_) => unreachable!("the path has a multi-valued hop"),
            };
        }
        let info = self.join_path(schema, names, &base, Some(can_reuse))?;
        for j in &info.joins {
            if !used_joins.contains(j) {
                used_joins.push(j.clone());
            }
        }
        let first_target = info.target;
        let final_field = info.final_field;
        let (target, kept) = self.trim_joins(schema, info.target, &info.joins, &info.path);
        let join_list = &info.joins[..kept];
        for j in join_list {
            if !can_reuse.contains(j) {
                can_reuse.push(j.clone());
            }
        }
        let alias = join_list.last().expect("base alias").clone();
        // Every join the path made, the trimmed ones too.
        self.lookup_joins = info.joins;
        let col = path::col(schema, target, &alias);
        let out = output_field(schema, final_field, first_target);
        // What a negated lookup also checks for NULL.
        let (negated_col, value_col) = match &prepared {
            _ if !current_negated => (None, None),
            Prepared::Expr(Expr::Col(c)) => (Some(col.clone()), Some(c.clone())),
            _ => (Some(col.clone()), None),
        };
        let list_has_none =
            matches!(value, Operand::List(items) if items.contains(&Operand::Value(Value::Null)));
        let condition = lookups::build_lookup(schema, lookups, (Expr::Col(col), out), prepared)?;
        let (kind, rhs_true, rhs_false) = match &condition {
            WhereNode::Lookup(l) => (
                Some(l.kind),
                matches!(l.rhs, Rhs::Bool(true)),
                matches!(l.rhs, Rhs::Bool(false)),
            ),
            _ => (None, false, false),
        };
        let is_isnull = kind == Some(LookupKind::IsNull);
        // Django's clause is `WhereNode([condition], AND)`; one lookup alone adds to the
        // parent node as that node would, so it goes without one unless NULL checks join it.
        let mut clause = match condition {
            c @ (WhereNode::Lookup(_) | WhereNode::Condition(_) | WhereNode::Nothing)
                if !current_negated =>
            {
                c
            }
            c => {
                let mut clause = WhereNode::and();
                clause.add(c, Connector::And);
                clause
            }
        };

        let mut require_outer = is_isnull && rhs_true && !current_negated;
        if current_negated && (!is_isnull || rhs_false) {
            require_outer = true;
            if !is_isnull {
                let last_louter = self
                    .table(&alias)
                    .join
                    .as_ref()
                    .is_some_and(|j| j.join_type == JoinType::LeftOuter);
                if let Some(col) = negated_col.filter(|c| c.nullable || last_louter) {
                    let null_check = |b: bool| {
                        WhereNode::Lookup(Box::new(super::Lookup {
                            lhs: Expr::Col(col),
                            kind: LookupKind::IsNull,
                            rhs: Rhs::Bool(b),
                        }))
                    };
                    if kind == Some(LookupKind::In) && list_has_none {
                        clause.add(null_check(true), Connector::Or);
                    } else {
                        clause.add(null_check(false), Connector::And);
                    }
                }
                if let Some(vc) = value_col.filter(|c| c.nullable) {
                    clause.add(
                        WhereNode::Lookup(Box::new(super::Lookup {
                            lhs: Expr::Col(vc),
                            kind: LookupKind::IsNull,
                            rhs: Rhs::Bool(false),
                        })),
                        Connector::And,
                    );
                }
            }
        }
        Ok((
            clause,
            if require_outer {
                Vec::new()
            } else {
                used_joins
            },
        ))
    }

    /// Turn a user operand into a prepared value, resolving F() and querysets against `self`.
    pub fn resolve_lookup_value(
        &mut self,
        schema: &Schema,
        value: &Operand,
        can_reuse: Option<&mut Vec<Sym>>,
    ) -> Result<Prepared> {
        Ok(match value {
            Operand::Value(v) => Prepared::Value(v.clone()),
            Operand::Instance(m, pk) => Prepared::Instance(*m, pk.clone()),
            Operand::List(items) if items.iter().any(|i| matches!(i, Operand::F(_))) => {
                let mut can_reuse = can_reuse;
                let mut out = Vec::new();
                for it in items {
                    out.push(match it {
                        Operand::Value(v) | Operand::Instance(_, v) => Expr::Value(v.clone()),
                        Operand::F(f) => self.resolve_f(schema, f, can_reuse.as_deref_mut())?,
                        _ => {
                            return Err(Diagnostic::new(
                                ErrorKind::NotSupported,
                                "djq does not support this value inside a list with expressions yet",
                            ));
                        }
                    });
                }
                Prepared::Exprs(out)
            }
            Operand::List(items) => {
                let mut out = Vec::new();
                for it in items {
                    match it {
                        Operand::Value(v) => out.push(v.clone()),
                        Operand::Instance(_, pk) => out.push(pk.clone()),
                        _ => {
                            return Err(Diagnostic::new(
                                ErrorKind::NotSupported,
                                "djq does not support expressions inside a list value yet",
                            ));
                        }
                    }
                }
                Prepared::List(out)
            }
            Operand::F(f) => Prepared::Expr(self.resolve_f(schema, f, can_reuse)?),
            Operand::Query(q) => {
                let mut q = (**q).clone();
                q.select_pk_if_empty(schema);
                if !q.is_sliced() {
                    q.clear_ordering(true, true);
                }
                Prepared::Expr(Expr::Subquery(Box::new(self.as_subquery(schema, q)?)))
            }
        })
    }

    /// Resolve an F() tree into an expression, joining as needed.
    pub fn resolve_f(
        &mut self,
        schema: &Schema,
        f: &FExpr,
        can_reuse: Option<&mut Vec<Sym>>,
    ) -> Result<Expr> {
        self.resolve_f_typed(schema, f, can_reuse, true)
    }

    /// `resolve_f`; without `typed`, a function whose arguments have mixed types gets no
    /// type instead of Django's FieldError (Django resolves output fields lazily: the
    /// arguments of a function given an `output_field` are never asked for theirs).
    pub(super) fn resolve_f_typed(
        &mut self,
        schema: &Schema,
        f: &FExpr,
        mut can_reuse: Option<&mut Vec<Sym>>,
        typed: bool,
    ) -> Result<Expr> {
        Ok(match f {
            FExpr::Value(v) => Expr::Value(v.clone()),
            FExpr::Negated(inner) => {
                let e = self.resolve_f(schema, inner, can_reuse)?;
                if e.value_type() != ValueType::Bool {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        "Cannot negate non-conditional expressions.",
                    ));
                }
                Expr::Not(Box::new(e))
            }
            FExpr::Combined { op, lhs, rhs } => {
                let l = self.resolve_f_typed(schema, lhs, can_reuse.as_deref_mut(), typed)?;
                let r = self.resolve_f_typed(schema, rhs, can_reuse, typed)?;
                super::expr::refuse_composite("CombinedExpression", [&l, &r])?;
                self.check_combinable(schema, *op, &l, &r, typed)?;
                Expr::Combined {
                    op: *op,
                    lhs: Box::new(l),
                    rhs: Box::new(r),
                }
            }
            FExpr::Ref { name, span } => self
                .resolve_ref(schema, name, can_reuse)
                .map_err(|d| d.at(*span))?,
            FExpr::Aggregate {
                func,
                arg,
                distinct,
                filter,
                default,
                span,
                options,
            } => {
                let agg = self.resolve_aggregate(
                    schema,
                    *func,
                    arg.as_deref(),
                    options.output.is_none(),
                    *distinct,
                    filter.as_ref(),
                    default.as_deref(),
                );
                let agg = agg.and_then(|a| self.with_agg_options(schema, a, options));
                agg.map_err(|d| d.at(*span))?
            }
            FExpr::Func {
                func,
                args,
                output,
                span,
            } => {
                let mut resolved = Vec::with_capacity(args.len());
                for a in args {
                    resolved.push(self.resolve_f_typed(
                        schema,
                        a,
                        can_reuse.as_deref_mut(),
                        output.is_none(),
                    )?);
                }
                super::expr::refuse_composite(func.name(), &resolved).map_err(|d| d.at(*span))?;
                let source = match args.first() {
                    Some(FExpr::Ref { name, .. }) => Some(name.as_str()),
                    _ => None,
                };
                let classes = args
                    .iter()
                    .zip(&resolved)
                    .map(|(f, e)| self.field_class(schema, f, e))
                    .collect();
                let resolved = self.json_func_args(schema, *func, resolved);
                super::func::build(*func, resolved, classes, *output, source, typed)
                    .map_err(|d| d.at(*span))?
            }
            FExpr::Case {
                whens,
                default,
                output,
                span,
            } => {
                let mut resolved = Vec::with_capacity(whens.len());
                let mut classes = Vec::with_capacity(whens.len() + 1);
                for w in whens {
                    let cond = self.resolve_condition(schema, &w.condition)?;
                    let then = self.resolve_f_typed(
                        schema,
                        &w.then,
                        can_reuse.as_deref_mut(),
                        output.is_none(),
                    )?;
                    super::expr::refuse_composite("When", [&then]).map_err(|d| d.at(*span))?;
                    classes.push(self.field_class(schema, &w.then, &then));
                    resolved.push((cond, then));
                }
                let default_expr =
                    self.resolve_f_typed(schema, default, can_reuse, output.is_none())?;
                super::expr::refuse_composite("Case", [&default_expr]).map_err(|d| d.at(*span))?;
                classes.push(self.field_class(schema, default, &default_expr));
                super::func::build_case(resolved, default_expr, classes, *output, typed)
                    .map_err(|d| d.at(*span))?
            }
            FExpr::Condition(q) => Expr::Condition(Box::new(self.resolve_condition(schema, q)?)),
            FExpr::When(_) => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    "When() can only be used inside Case().",
                ));
            }
            FExpr::Window {
                expr,
                partition_by,
                order_by,
                frame,
                span,
            } => self.resolve_window(schema, expr, partition_by, order_by, *frame, *span)?,
            FExpr::WindowFunc { func, span, .. } => {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "{}() outside Window(...) is not supported by djq",
                        func.name()
                    ),
                )
                .at(*span));
            }
            FExpr::Frame(_) => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    "A frame (RowRange/ValueRange) can only be used as Window(frame=...).",
                ));
            }
            FExpr::OrderBy { span, .. } => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    "An ordering (asc()/desc()) can only be used in order_by().",
                )
                .at(*span));
            }
            FExpr::OuterRef { name, depth, .. } => Expr::OuterRef {
                name: name.clone(),
                depth: *depth,
            },
            FExpr::Subquery {
                query,
                exists,
                negated,
                span,
            } => {
                let inner = if *exists {
                    query.as_ref().clone().into_exists(schema)
                } else if query.select.len() + query.annotations.len() != 1 {
                    // Django's `Query.output_field`: one selected column or annotation.
                    return Err(Diagnostic::new(
                        ErrorKind::OutputFieldIsNone,
                        "Cannot resolve expression type, unknown output_field",
                    )
                    .at(*span));
                } else {
                    query.as_ref().clone()
                };
                let inner = Box::new(self.as_subquery(schema, inner).map_err(|d| d.at(*span))?);
                let e = if *exists {
                    Expr::Exists(inner)
                } else {
                    Expr::Subquery(inner)
                };
                if *negated { Expr::Not(Box::new(e)) } else { e }
            }
        })
    }

    /// An `order_by()` argument that is an expression: `F('x').desc(nulls_last=True)`,
    /// `Lower('title')`, `Case(...)` (ascending unless ordered).
    pub fn order_spec(&mut self, schema: &Schema, f: &FExpr) -> Result<super::OrderSpec> {
        if f.contains_aggregate() {
            return Err(Diagnostic::field(format!(
                "Using an aggregate in order_by() without also including it in annotate() is not allowed: {}",
                f.django_repr()
            )));
        }
        let (inner, descending, nulls, bare) = match f {
            FExpr::OrderBy {
                expr,
                descending,
                nulls,
                ..
            } => (&**expr, *descending, *nulls, false),
            other => (other, false, None, true),
        };
        // Django's `_order_by_pairs`: a constant given as it is (not `.asc()`/`.desc()`) is
        // ordered by as its output field (`CAST(%s AS text)`).
        let cast = match inner {
            _ if !bare => None,
            FExpr::Func {
                func: super::func::FuncKind::Wrapper,
                args,
                output: Some(db),
                span,
            } if matches!(args.as_slice(), [FExpr::Value(_)]) => Some((*db, *span)),
            FExpr::Value(v) => super::func::value_class(v).map(|kind| {
                let db = super::expr::DbType {
                    kind,
                    max_length: None,
                    decimal: None,
                    dims: 0,
                };
                (db, Span::default())
            }),
            _ => None,
        };
        let cast = cast.map(|(db, span)| FExpr::Func {
            func: super::func::FuncKind::Cast(db),
            args: vec![inner.clone()],
            output: None,
            span,
        });
        Ok(super::OrderSpec::Expr {
            expr: self.resolve_f(schema, cast.as_ref().unwrap_or(inner), None)?,
            descending,
            nulls,
            bare,
        })
    }

    /// The field class of an expression's output where djq knows it: a column's field, a
    /// value's, an explicit `output_field`.
    fn field_class(
        &self,
        schema: &Schema,
        f: &FExpr,
        e: &Expr,
    ) -> Option<crate::schema::FieldKind> {
        match f {
            FExpr::Func {
                output: Some(ty), ..
            } => Some(ty.kind),
            _ => self.expr_class(schema, e),
        }
    }

    /// The model field a column belongs to.
    pub(super) fn col_field<'s>(
        &self,
        schema: &'s Schema,
        c: &super::expr::Col,
    ) -> Option<&'s crate::schema::Field> {
        let model = schema.find_table(&self.table(&c.alias).table)?;
        schema
            .model(model)
            .fields
            .iter()
            .find(|f| *f.column == *c.column)
    }

    pub(super) fn expr_class(&self, schema: &Schema, e: &Expr) -> Option<crate::schema::FieldKind> {
        match e {
            Expr::Ref { source, .. } | Expr::Parens(source) | Expr::InZone { expr: source, .. } => {
                self.expr_class(schema, source)
            }
            Expr::Value(v) => super::func::value_class(v),
            Expr::Combined { .. } => super::func::type_class(e.value_type()),
            Expr::Col(c) => Some(self.col_field(schema, c)?.kind),
            Expr::Aggregate {
                func: AggFunc::Count,
                ..
            } => Some(crate::schema::FieldKind::IntegerField),
            Expr::Aggregate {
                func: AggFunc::Sum | AggFunc::Min | AggFunc::Max,
                arg: Some(a),
                ..
            } => self.expr_class(schema, a),
            _ => None,
        }
    }

    /// Django's `_connector_combinations`: arithmetic on numbers and on dates with
    /// durations; text and booleans have none.
    fn check_combinable(
        &self,
        schema: &Schema,
        op: Arith,
        l: &Expr,
        r: &Expr,
        typed: bool,
    ) -> Result<()> {
        use ValueType::*;
        let number = |t: ValueType| matches!(t, Int | Float | Decimal { .. });
        let temporal = |t: ValueType| matches!(t, Date | DateTime | Time);
        let (lt, rt) = (l.value_type(), r.value_type());
        let bad = matches!(lt, Text | Bool)
            || matches!(rt, Text | Bool)
            || (number(lt) && temporal(rt))
            || (temporal(lt) && number(rt))
            // Django combines integers with floats and with decimals, not floats with decimals
            // (asked only when the type is needed).
            || (typed && matches!((lt, rt), (Float, Decimal { .. }) | (Decimal { .. }, Float)));
        match (self.expr_class(schema, l), self.expr_class(schema, r)) {
            (Some(a), Some(b)) if bad => Err(Diagnostic::field(format!(
                "Cannot infer type of '{}' expression involving these types: {}, {}. You must set output_field.",
                op.symbol(),
                a.django_name(),
                b.django_name()
            ))),
            _ => Ok(()),
        }
    }

    /// Django's `names_to_path` error for an unknown first name: its choices list the
    /// query's annotations (alias() ones too) and FilteredRelations with the model's fields.
    /// Other errors as they are.
    pub fn with_annotation_choices(
        &self,
        schema: &Schema,
        name: &str,
        d: Diagnostic,
    ) -> Diagnostic {
        let first = path::split_names(name).next().unwrap_or(name);
        let unknown = format!("Cannot resolve keyword '{first}' into field. Choices are:");
        let mut names = self.annotation_names();
        names.extend(self.filtered_relations.iter().map(|f| f.name.to_string()));
        if !d.message.starts_with(&unknown) || names.is_empty() {
            return d;
        }
        let span = d.span;
        let mut d = path::unknown_field(schema, self.model, first, &names);
        d.span = span;
        d
    }

    /// A selected annotation (Django's `annotation_select`): annotated and not masked, or
    /// selected by values().
    pub fn selected_annotation(&self, name: &str) -> Option<&Expr> {
        let annotated = self.annotations.iter().find(|a| a.name == name);
        let valued = (self.select.iter())
            .find(|s| s.name == name && self.hidden_annotations.iter().any(|a| a.name == name));
        annotated.or(valued).map(|a| &a.expr)
    }

    /// The names of the query's annotations, alias() ones included.
    pub fn annotation_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for a in self.annotations.iter().chain(&self.hidden_annotations) {
            if !names.contains(&a.name) {
                names.push(a.name.clone());
            }
        }
        names
    }

    /// Django's `resolve_ref`: a field path (with optional transforms) → column expression.
    pub fn resolve_ref(
        &mut self,
        schema: &Schema,
        name: &str,
        can_reuse: Option<&mut Vec<Sym>>,
    ) -> Result<Expr> {
        // Django's `annotation_select`: alias() annotations (and those values() left out)
        // cannot be aggregated over.
        if self.summarize
            && self.hidden_annotations.iter().any(|a| a.name == name)
            && !self.annotations.iter().any(|a| a.name == name)
            && !self.select.iter().any(|s| s.name == name)
        {
            return Err(Diagnostic::field(format!(
                "Cannot aggregate over the '{name}' alias. Use annotate() to promote it."
            )));
        }
        if let Some(expr) = self.annotation(name) {
            return Ok(if self.summarize {
                Expr::Ref {
                    name: name.to_string(),
                    source: Box::new(expr.clone()),
                }
            } else {
                expr.clone()
            });
        }
        // A composite primary key: its columns, as one value (Django's `ColPairs`).
        if let Some(cols) = self.composite_pk_cols(schema, name)? {
            return Ok(Expr::Tuple(cols));
        }
        let parts = path::NameList::new(name);
        // Transforms on an annotation (`order_by('data__key')`).
        if let [first, transforms @ ..] = &parts[..]
            && !transforms.is_empty()
            && !self.summarize
            && let Some(expr) = self.annotation(first)
        {
            let expr = expr.clone();
            let out = super::annotate::output_field(&expr);
            let names: Vec<String> = transforms.iter().map(|t| t.to_string()).collect();
            return lookups::apply_transforms(&schema.py_lookups, expr, out, &names);
        }
        let base = self.base_alias().clone();
        self.ref_alias(&base);
        let info = self
            .setup_joins(
                schema,
                &parts[..],
                self.model,
                &base,
                can_reuse.as_deref().map(Vec::as_slice),
                true,
            )
            .map_err(|e| match e {
                PathError::Field(d) => self.with_annotation_choices(schema, name, d),
                PathError::MultiJoin(_) => unreachable!("allow_many"),
            })?;
        let first_target = info.target;
        let (target, kept) = self.trim_joins(schema, first_target, &info.joins, &info.path);
        let col = Expr::Col(path::col(schema, target, &info.joins[kept - 1]));
        // Only a transform asks for the path's output field.
        let expr = if info.transforms.is_empty() {
            col
        } else {
            let out = output_field(schema, info.final_field, first_target);
            info.transform(&schema.py_lookups, col, out)?
        };
        if let Some(reuse) = can_reuse {
            for j in &info.joins[..kept] {
                if !reuse.contains(j) {
                    reuse.push(j.clone());
                }
            }
        }
        Ok(expr)
    }

    /// Django's `Query.resolve_expression`: nest `inner` in this query — its aliases take
    /// the next prefix and its `OuterRef`s that point here become this query's columns.
    pub fn as_subquery(&mut self, schema: &Schema, mut inner: Query) -> Result<Query> {
        inner.bump_prefix(self);
        inner.subquery = true;
        let mut failed = None;
        inner.for_each_expr_mut(&mut |e| self.resolve_outer_ref(schema, e, &mut failed));
        // Django resolves the combined queries as subqueries too.
        for part in &mut inner.combined {
            part.bump_prefix(self);
            part.subquery = true;
            part.for_each_expr_mut(&mut |e| self.resolve_outer_ref(schema, e, &mut failed));
        }
        failed.map_or(Ok(inner), Err)
    }

    /// Replace `OuterRef`s of depth 0 in `e` by this query's columns; deeper ones come one
    /// level closer.
    fn resolve_outer_ref(
        &mut self,
        schema: &Schema,
        e: &mut Expr,
        failed: &mut Option<Diagnostic>,
    ) {
        match e {
            Expr::OuterRef { name, depth: 0 } => match self.resolve_ref(schema, name, None) {
                // Django's `ResolvedOuterRef`: no window of the outer query.
                Ok(col) if col.contains_over_clause() => {
                    *failed = failed.take().or(Some(Diagnostic::new(
                        ErrorKind::NotSupported,
                        format!(
                            "Referencing outer query window expression is not supported: {name}."
                        ),
                    )))
                }
                Ok(col) => *e = col,
                Err(d) => *failed = failed.take().or(Some(d)),
            },
            Expr::OuterRef { depth, .. } => *depth -= 1,
            other => other.for_each_child_mut(&mut |c| self.resolve_outer_ref(schema, c, failed)),
        }
    }

    /// Select the pk when nothing is selected (a queryset used as `__in=qs`); its
    /// annotations are no longer selected (Django's `clear_select_clause`).
    pub fn select_pk_if_empty(&mut self, schema: &Schema) {
        if self.select.is_empty() {
            let annotations = std::mem::take(&mut self.annotations);
            self.hidden_annotations.extend(annotations);
            let base = self.base_alias().clone();
            let model = schema.model(self.model);
            // A composite key selects each of its columns.
            let key = match model.composite_pk.as_slice() {
                [] => std::slice::from_ref(&model.pk),
                key => key,
            };
            self.select = (key.iter())
                .map(|&i| SelectItem {
                    name: model.fields[i].name.clone(),
                    expr: Expr::Col(path::col(schema, (self.model, i), &base)),
                    aliased: false,
                })
                .collect();
            self.default_cols = false;
        }
    }

    /// Django's `split_exclude`: `exclude(books__pages__gt=400)` becomes
    /// `NOT EXISTS(SELECT 1 FROM books WHERE pages > 400 AND author_id = outer.id)`.
    pub(super) fn split_exclude(
        &mut self,
        schema: &Schema,
        key: &str,
        value: &Operand,
        can_reuse: &mut Vec<Sym>,
        names_with_path: &[(String, Vec<PathInfo>)],
    ) -> Result<(WhereNode, Vec<Sym>)> {
        let mut inner = Query::new(schema, self.model);
        inner
            .filtered_relations
            .clone_from(&self.filtered_relations);
        let value = match value {
            Operand::F(FExpr::Ref { name, span }) => Operand::F(FExpr::OuterRef {
                name: name.clone(),
                depth: 0,
                span: *span,
            }),
            other => other.clone(),
        };
        inner.add_q(schema, &QNode::leaf(key, value))?;
        inner.clear_ordering(true, true);
        let (prefix, contains_louter) = inner.trim_start(schema, names_with_path);
        let mut inner = self.as_subquery(schema, inner)?;
        let outer = self.resolve_ref(schema, &prefix, None)?;
        let lhs = inner.select[0].expr.clone();
        inner.where_.add(
            WhereNode::Lookup(Box::new(super::Lookup {
                lhs,
                kind: LookupKind::Exact,
                rhs: Rhs::Expr(outer),
            })),
            Connector::And,
        );
        let inner = inner.into_exists(schema);
        let mut condition = WhereNode::and();
        condition.add(
            WhereNode::Condition(Expr::Exists(Box::new(inner))),
            Connector::And,
        );
        if contains_louter {
            let (or_null, _) = self.build_filter(
                schema,
                &format!("{prefix}__isnull"),
                &Operand::Value(Value::Bool(true)),
                can_reuse,
                (true, true),
                false,
            )?;
            condition.add(or_null, Connector::Or);
        }
        Ok((condition, Vec::new()))
    }

    /// Django's `trim_start` for `split_exclude`: drop the leading tables of the inner query
    /// up to the first multi-valued hop; select the column that links back to the outer query.
    fn trim_start(
        &mut self,
        schema: &Schema,
        names_with_path: &[(String, Vec<PathInfo>)],
    ) -> (String, bool) {
        let all_paths: Vec<&PathInfo> = names_with_path.iter().flat_map(|(_, p)| p).collect();
        let base = self.base_alias().clone();
        let lookup_tables: Vec<Sym> = self
            .tables
            .iter()
            .filter(|t| self.lookup_joins.contains(&t.alias) || t.alias == base)
            .map(|t| t.alias.clone())
            .collect();
        let mut contains_louter = false;
        let mut trimmed = 0;
        for (i, p) in all_paths.iter().enumerate() {
            trimmed = i;
            if p.m2m {
                break;
            }
            if self
                .table(&lookup_tables[i + 1])
                .join
                .as_ref()
                .is_some_and(|j| j.join_type == JoinType::LeftOuter)
            {
                contains_louter = true;
            }
            self.unref_alias(&lookup_tables[i]);
        }
        let hop = all_paths[trimmed];
        let (fk_model, fk_index) = hop.fk;
        let fk_field = &schema.model(fk_model).fields[fk_index];
        // A generic relation's object id points at the primary key of the model whose content
        // type the join restricts to.
        // A ForeignObject's: the other end of its first pair (Django correlates that column
        // alone).
        let remote = match (&fk_field.relation, &hop.restriction) {
            _ if !hop.extra_on.is_empty() => match hop.direct {
                true => hop.to_field,
                false => hop.from_field,
            },
            (Some(rel), _) => (rel.to, rel.to_field),
            (None, Some(r)) => (r.model, schema.model(r.model).pk),
            (None, None) => unreachable!("a hop is a foreign key or a generic relation"),
        };
        let mut remaining = trimmed;
        let mut prefix = Vec::new();
        for (name, p) in names_with_path {
            if remaining < p.len() {
                break;
            }
            prefix.push(name.clone());
            remaining -= p.len();
        }
        prefix.push(schema.model(remote.0).fields[remote.1].name.clone());
        let first_join = lookup_tables[trimmed + 1].clone();
        // A FilteredRelation's join keeps its condition: the table before it stays too.
        let first_louter = self
            .table(&first_join)
            .join
            .as_ref()
            .is_some_and(|j| j.join_type == JoinType::LeftOuter || j.filtered.is_some());
        let select: Col = if !first_louter {
            self.unref_alias(&lookup_tables[trimmed]);
            path::col(schema, (fk_model, fk_index), &first_join)
        } else {
            path::col(schema, remote, &lookup_tables[trimmed])
        };
        if let Some(t) = self.tables.iter_mut().find(|t| t.refcount > 0) {
            // A generic relation's content type condition moves from the join to the WHERE.
            if let Some(r) = t.join.take().and_then(|j| j.restriction) {
                let ct = Col {
                    alias: t.alias.clone(),
                    column: r.column,
                    ty: crate::value::ValueType::Int,
                    nullable: false,
                };
                self.where_.add(
                    WhereNode::Lookup(Box::new(super::Lookup {
                        lhs: Expr::Col(ct),
                        kind: LookupKind::Exact,
                        rhs: Rhs::Value(Value::Int(r.id)),
                    })),
                    Connector::And,
                );
            }
        }
        self.select = vec![SelectItem {
            name: select.column.to_string(),
            expr: Expr::Col(select),
            aliased: false,
        }];
        self.default_cols = false;
        (prefix.join("__"), contains_louter)
    }

    /// Django's `Query.exists()`: select `1 AS "a"`, no ordering, `LIMIT 1`.
    pub fn into_exists(mut self, schema: &Schema) -> Query {
        if self
            .combinator
            .is_some_and(|(c, _)| c == super::Combinator::Union)
        {
            // Each part selects `1 AS "a"` unlimited; the union gets the LIMIT 1.
            self.combined = std::mem::take(&mut self.combined)
                .into_iter()
                .map(|p| {
                    let mut p = p.into_exists(schema);
                    p.high_mark = None;
                    p
                })
                .collect();
        }
        if !(self.distinct && self.is_sliced()) {
            // Grouping by the selected model survives the cleared select (Django adds the
            // model's columns to the GROUP BY first).
            if self.group_by == super::GroupBy::All {
                let cols = self
                    .concrete_field_exprs(schema)
                    .expect("a model's own fields resolve on it");
                self.group_by = super::GroupBy::Exprs(cols);
            }
            self.select.clear();
            self.default_cols = false;
            self.annotations.clear();
            self.mask_extra_select();
            self.select_related = super::SelectRelated::None;
        }
        self.clear_ordering(true, true);
        self.set_limits(None, Some(1));
        self.annotations.push(SelectItem {
            name: "a".into(),
            expr: Expr::One,
            aliased: true,
        });
        self
    }
}

/// The output field a lookup on this path compares against.
pub fn output_field(
    schema: &Schema,
    final_field: FinalField,
    first_target: path::Target,
) -> OutputField {
    let target = &schema.model(first_target.0).fields[first_target.1];
    match final_field {
        FinalField::Local(m, i) => OutputField {
            instance: Some((m, i)),
            ..OutputField::of_field(&schema.model(m).fields[i])
        },
        other => OutputField::related(target, first_target.0, other.class_name(schema)),
    }
}

/// Django's `Exact.get_prep_lookup` and `In.get_prep_lookup` for a queryset compared with
/// one column: with `exact` (written or implied) it must be sliced to one row, and with
/// either it must select one field (`values('id', 'name')` selects two).
fn refuse_unlimited_exact(value: &Operand, lookups: &[&str]) -> Result<()> {
    let Operand::Query(q) = value else {
        return Ok(());
    };
    let exact = lookups.last().is_none_or(|l| *l == "exact");
    let limit_one = q.high_mark.is_some_and(|h| h - q.low_mark == 1);
    if exact && !limit_one {
        return Err(Diagnostic::new(
            ErrorKind::Value,
            "The QuerySet value for an exact lookup must be limited to one result using slicing.",
        ));
    }
    // Counted when what it selects is its values() columns alone.
    let selected = q.select.len();
    let plain = q.annotations.is_empty() && q.extra_select.is_empty();
    let lookup = match lookups.last() {
        _ if !plain || selected <= 1 => return Ok(()),
        _ if exact => "exact lookup",
        Some(&"in") => "'in' lookup",
        _ => return Ok(()),
    };
    Err(Diagnostic::new(
        ErrorKind::Value,
        format!(
            "The QuerySet value for the {lookup} must have 1 selected fields (received {selected})"
        ),
    ))
}

/// Django's `check_related_objects` for a queryset value: a relation compared with a queryset
/// selecting nothing (its pk) takes one of the related model's (or a parent's, a child's).
fn refuse_foreign_queryset(schema: &Schema, names: &path::Names, value: &Operand) -> Result<()> {
    let Operand::Query(q) = value else {
        return Ok(());
    };
    let Some(opts) = names.path.last().map(|p| p.to_model) else {
        return Ok(());
    };
    if matches!(names.final_field, FinalField::Local(..)) || !q.select.is_empty() {
        return Ok(());
    }
    let check = |o: ModelId| {
        schema.concrete_model(q.model) == schema.concrete_model(o)
            || schema.is_subclass(q.model, o)
            || schema.is_subclass(o, q.model)
    };
    let pk_of = match names.final_field {
        FinalField::Forward(m, i) if schema.model(m).fields[i].primary_key => Some(m),
        _ => None,
    };
    if check(opts) || pk_of.is_some_and(check) {
        return Ok(());
    }
    Err(Diagnostic::new(
        ErrorKind::Value,
        format!(
            "Cannot use QuerySet for \"{}\": Use a QuerySet for \"{}\".",
            schema.model(q.model).name,
            schema.model(opts).name
        ),
    ))
}
