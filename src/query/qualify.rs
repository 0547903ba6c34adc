//! Filtering on window expressions (Django 4.2+'s `get_qualify_sql`): the filters are split
//! three ways (WHERE, HAVING and the part on windows, Django's `split_having_qualify`), and a
//! query with a window part is planned as an inner query (every column aliased, the
//! expressions the window part and the ordering need selected as `qualN`) wrapped in
//! `SELECT * FROM (inner) "qualify" WHERE ...`, masked back to the query's own columns when
//! `qualN` columns were added. The SQL writer's part is `sql::window`.

use super::expr::{Connector, Expr, Rhs, WhereNode};
use super::setup::{OrderTarget, Plan, PlanCol, PlanOrder};
use super::{Query, Sym};
use crate::diag::{Diagnostic, ErrorKind, Result};

/// The three parts of a filter: for WHERE, for HAVING, and on windows.
pub type Split = (Option<WhereNode>, Option<WhereNode>, Option<WhereNode>);

/// A query filtered on windows, as Django's `get_qualify_sql` writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Qualify {
    /// The inner query's plan: its columns (all aliased, `qualN` ones added), the WHERE and
    /// HAVING parts, grouping and ordering; written without limits.
    pub inner: Plan,
    /// The window part, on the inner query's column aliases.
    pub cond: WhereNode,
    /// The ordering repeated on the outer query, by alias or position.
    pub order_by: Vec<PlanOrder>,
    /// The aliases the outer query selects when `qualN` columns were added (Django's
    /// `"qualify_mask"`); `None`: `SELECT *`.
    pub mask: Option<Vec<String>>,
}

/// Whether a window is inside a lookup's right-hand side.
fn rhs_over_clause(rhs: &Rhs) -> bool {
    match rhs {
        Rhs::Expr(e) => e.contains_over_clause(),
        Rhs::List(items) => items.iter().any(Expr::contains_over_clause),
        Rhs::Range(a, b) => a.contains_over_clause() || b.contains_over_clause(),
        Rhs::Cast(inner, _) => rhs_over_clause(inner),
        Rhs::Value(_) | Rhs::Bool(_) | Rhs::Tuples(_) | Rhs::Array(_) => false,
    }
}

impl WhereNode {
    /// Whether a window is inside.
    pub fn contains_over_clause(&self) -> bool {
        match self {
            WhereNode::Node { children, .. } => {
                children.iter().any(WhereNode::contains_over_clause)
            }
            WhereNode::Lookup(l) => l.lhs.contains_over_clause() || rhs_over_clause(&l.rhs),
            WhereNode::Condition(e) => e.contains_over_clause(),
            WhereNode::Nothing => false,
        }
    }

    /// Django's `WhereNode.split_having_qualify`: the parts of the filter for WHERE, HAVING
    /// and the window filter. Children that must stay connected (an OR, a negated AND) go
    /// whole to the latest clause any of them needs; `must_group_by`: the query groups.
    pub fn split_having_qualify(&self, negated: bool, must_group_by: bool) -> Result<Split> {
        let aggregate = self.contains_aggregate();
        let over = self.contains_over_clause();
        if !aggregate && !over {
            return Ok((Some(self.clone()), None, None));
        }
        let WhereNode::Node {
            connector,
            negated: own,
            children,
        } = self
        else {
            return Ok(if over {
                (None, None, Some(self.clone()))
            } else {
                (None, Some(self.clone()), None)
            });
        };
        let in_negated = negated ^ own;
        let must_remain_connected = (in_negated && *connector == Connector::And)
            || (!in_negated && *connector == Connector::Or);
        if must_remain_connected && aggregate && !over {
            return Ok((None, Some(self.clone()), None));
        }
        let (mut where_parts, mut having_parts, mut qualify_parts) = (vec![], vec![], vec![]);
        for c in children {
            let (w, h, q) = match c {
                WhereNode::Node { .. } => c.split_having_qualify(in_negated, must_group_by)?,
                leaf if leaf.contains_over_clause() => (None, None, Some(leaf.clone())),
                leaf if leaf.contains_aggregate() => (None, Some(leaf.clone()), None),
                leaf => (Some(leaf.clone()), None, None),
            };
            where_parts.extend(w);
            having_parts.extend(h);
            qualify_parts.extend(q);
        }
        if must_remain_connected && !qualify_parts.is_empty() {
            if where_parts.is_empty() || !must_group_by {
                return Ok((None, None, Some(self.clone())));
            }
            return Err(Diagnostic::new(
                ErrorKind::Python("NotImplementedError".into()),
                "Heterogeneous disjunctive predicates against window functions are not \
                 implemented when performing conditional aggregation.",
            ));
        }
        let node = |parts: Vec<WhereNode>| {
            (!parts.is_empty()).then(|| WhereNode::Node {
                connector: *connector,
                negated: *own,
                children: parts,
            })
        };
        Ok((node(where_parts), node(having_parts), node(qualify_parts)))
    }
}

/// Django's `collect_replacements`: each expression the window filter and the outer ordering
/// need from the inner query, by the alias it is selected as (a new `qualN` column when it is
/// not selected).
struct Replacements {
    /// Each selected expression, also as a filter reads it (resolved again: an aggregate or
    /// a `Case` of an annotation prints differently there), with its alias.
    selected: Vec<(Expr, Expr, String)>,
    found: Vec<(Expr, String)>,
    added: Vec<PlanCol>,
}

impl Replacements {
    /// `exprs` taken from the end, as Django pops them.
    fn collect(&mut self, mut exprs: Vec<Expr>) {
        while let Some(e) = exprs.pop() {
            if self.found.iter().any(|(f, _)| *f == e) {
                continue;
            }
            if let Some((.., alias)) = self.selected.iter().find(|(s, a, _)| *s == e || *a == e) {
                let alias = alias.clone();
                self.found.push((e, alias));
                continue;
            }
            if let Expr::Ref { name, source } = &e {
                if !self.selected.iter().any(|(.., a)| a == name) {
                    exprs.push((**source).clone());
                }
                continue;
            }
            let alias = format!("qual{}", self.added.len());
            let name = Sym::from(alias.as_str());
            self.added.push(PlanCol {
                ty: e.value_type(),
                expr: e.clone(),
                alias: Some(name.clone()),
                name,
            });
            self.found.push((e, alias));
        }
    }

    /// The leaves of a condition, Django's `Lookup.get_source_expressions` for each (the
    /// right-hand side only when it is an expression).
    fn collect_leaves(&mut self, node: &WhereNode) {
        let mut exprs = Vec::new();
        leaves(node, &mut exprs);
        self.collect(exprs);
    }

    /// `e` with the collected expressions replaced by references to their aliases.
    fn replace(&self, e: &mut Expr) {
        if let Some((_, alias)) = self.found.iter().find(|(f, _)| f == e) {
            *e = Expr::Ref {
                name: alias.clone(),
                source: Box::new(e.clone()),
            };
            return;
        }
        e.for_each_child_mut(&mut |c| self.replace(c));
    }
}

/// The source expressions of the leaves of `node`, in order; a lookup's are queued as a
/// group Django pops from the end.
fn leaves(node: &WhereNode, out: &mut Vec<Expr>) {
    match node {
        WhereNode::Node { children, .. } => children.iter().for_each(|c| leaves(c, out)),
        WhereNode::Lookup(l) => {
            out.push(l.lhs.clone());
            match &l.rhs {
                Rhs::Expr(e) if !matches!(e, Expr::Value(_)) => out.push(e.clone()),
                _ => {}
            }
        }
        WhereNode::Condition(e) => out.push(e.clone()),
        WhereNode::Nothing => {}
    }
}

impl Query {
    /// `plan` (whose WHERE and HAVING parts are already split off) planned as Django's
    /// `get_qualify_sql` writes it, with `cond` the window part. `meta_ordering`: the
    /// ordering is the model's `Meta.ordering` (not grouped by).
    pub(super) fn qualified(&self, mut plan: Plan, cond: WhereNode, meta_ordering: bool) -> Plan {
        let kept = plan.columns.len() - plan.extra;
        let aliases: Vec<String> = plan
            .column_aliases(true)
            .take(kept)
            .map(|a| a.map(|a| a.into_owned()).unwrap_or_default())
            .collect();
        let mut r = Replacements {
            selected: plan.columns[..kept]
                .iter()
                .zip(&aliases)
                .map(|(c, a)| {
                    let mut again = c.expr.clone();
                    again.resolve_again();
                    (c.expr.clone(), again, a.clone())
                })
                .collect(),
            found: Vec::new(),
            added: Vec::new(),
        };
        r.collect_leaves(&cond);
        let mut cond = cond;
        cond.for_each_expr_mut(&mut |e| r.replace(e));
        let mut order_by = Vec::with_capacity(plan.order_by.len());
        for o in &plan.order_by {
            let target = match &o.target {
                OrderTarget::Expr(e) => {
                    r.collect(vec![e.clone()]);
                    let mut e = e.clone();
                    r.replace(&mut e);
                    match e {
                        Expr::Ref { name, .. } => OrderTarget::Alias(name),
                        e => OrderTarget::Expr(e),
                    }
                }
                other => other.clone(),
            };
            order_by.push(PlanOrder {
                target,
                descending: o.descending,
                nulls: o.nulls,
            });
        }
        let mask = (!r.added.is_empty()).then(|| aliases.clone());
        let mut inner = plan.clone();
        let at = inner.shown;
        inner.columns.splice(at..at, r.added);
        inner.group_by = self.group_by_candidates(
            &inner.columns,
            &inner.order_by,
            meta_ordering,
            inner.having.as_ref(),
        );
        plan.qualify = Some(Box::new(Qualify {
            inner,
            cond,
            order_by,
            mask,
        }));
        plan
    }
}
