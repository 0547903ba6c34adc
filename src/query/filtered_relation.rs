//! `FilteredRelation`: a relation joined under the annotation's name, with a condition ANDed
//! to the join's ON clause.
//!
//! Mirrors Django's `Query.add_filtered_relation` (the checks on the relation and the
//! condition, the condition's prefix renamed to the name), the `_filtered_relations` branch
//! of `names_to_path` (a path starting with the name crosses the relation's hops, the last
//! one carrying the name), and `Query.join` for such a hop: never reusing a plain join, the
//! name as the alias when the table is not in the query yet, the condition resolved once the
//! join exists (reusing it, no join promotion, no subqueries) and the join moved after the
//! joins the condition made.

use super::expr::WhereNode;
use super::path::{self, Names, PathError, PathInfo};
use super::{FExpr, Operand, QChild, QNode, Query, Sym, Table};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::schema::{ModelId, Schema};

/// One `name=FilteredRelation(relation_name, condition=...)` of a query.
#[derive(Debug, Clone, PartialEq)]
pub struct FilteredRelation {
    pub name: Sym,
    pub relation_name: String,
    /// The condition with `relation_name` renamed to `name` (`article__x` → `feat__x`).
    pub condition: QNode,
}

/// What a FilteredRelation's join carries: the relation's name and its resolved condition.
#[derive(Debug, Clone, PartialEq)]
pub struct FilteredJoin {
    pub name: Sym,
    pub condition: WhereNode,
}

fn value_error(message: String) -> Diagnostic {
    Diagnostic::new(ErrorKind::Value, message)
}

/// Django's `names_to_path` with the query's FilteredRelations: a first name that is not a
/// field but a FilteredRelation's crosses its relation (the last hop carrying the name), the
/// names after it resolved from the relation's model.
pub fn names_to_path<S: AsRef<str>>(
    schema: &Schema,
    filtered: &[FilteredRelation],
    names: &[S],
    model: ModelId,
    allow_many: bool,
    fail_on_missing: bool,
) -> Result<Names, PathError> {
    // Most queries have no FilteredRelation: no field lookup for them.
    let first = (names.first().map(AsRef::as_ref))
        .filter(|n| !filtered.is_empty() && !is_field(schema, model, n));
    let Some(at) = first.and_then(|n| filtered.iter().position(|f| *f.name == *n)) else {
        return path::names_to_path(schema, names, model, allow_many, fail_on_missing);
    };
    let fr = &filtered[at];
    // Its relation may start with an earlier FilteredRelation's name.
    let parts: Vec<&str> = path::split_names(&fr.relation_name).collect();
    let mut head = names_to_path(schema, &filtered[..at], &parts, model, true, true)?;
    let last = head
        .path
        .last_mut()
        .filter(|_| head.final_field.is_relation());
    let Some(last) = last else {
        return Err(Diagnostic::new(
            ErrorKind::NotSupported,
            format!(
                "a FilteredRelation on a field that is not a relation ('{}') is not supported by djq yet",
                fr.relation_name
            ),
        )
        .into());
    };
    last.filtered = Some(fr.name.clone());
    let to = last.to_model;
    if !allow_many && let Some(p) = head.path.iter().position(|p| p.m2m) {
        let hops = head.path[..=p].to_vec();
        return Err(PathError::MultiJoin(vec![(fr.name.to_string(), hops)]));
    }
    head.consumed = 1;
    if names.len() == 1 {
        return Ok(head);
    }
    let rest = &names[1..];
    match path::names_to_path(schema, rest, to, allow_many, fail_on_missing) {
        Ok(tail) => {
            head.path.extend(tail.path);
            head.final_field = tail.final_field;
            head.target = tail.target;
            head.consumed += tail.consumed;
            Ok(head)
        }
        // The name after the relation is a lookup or a transform.
        Err(PathError::Field(_)) if !fail_on_missing && !is_field(schema, to, rest[0].as_ref()) => {
            Ok(head)
        }
        Err(PathError::MultiJoin(mut nwp)) => {
            nwp.insert(0, (fr.name.to_string(), head.path));
            Err(PathError::MultiJoin(nwp))
        }
        Err(e) => Err(e),
    }
}

/// Whether `name` is a field of `model` (its own or a parent's), as `names_to_path` finds it.
fn is_field(schema: &Schema, model: ModelId, name: &str) -> bool {
    name == "pk"
        || schema.model(model).get_field(name).is_some()
        || schema.inherited_field(model, name).is_some()
        || schema.generic_fk(model, name).is_some()
}

/// Every lookup name and `F()` name of a condition, each given to `visit` to read or rename
/// (Django's `get_children_from_q` and `rename_prefix_from_q`, which leaves a bare `F()`
/// value alone: `renaming`); a queryset inside is refused.
fn visit_names(q: &mut QNode, renaming: bool, visit: &mut dyn FnMut(&mut String)) -> Result<()> {
    for child in &mut q.children {
        match child {
            QChild::Node(n) => visit_names(n, renaming, visit)?,
            QChild::Leaf {
                key,
                value: Operand::F(FExpr::Ref { .. }),
                ..
            } if renaming => visit(key),
            QChild::Leaf { key, value, .. } => {
                visit(key);
                visit_operand(value, renaming, visit)?;
            }
            QChild::Expr { expr, .. } => visit_expr(expr, renaming, visit)?,
        }
    }
    Ok(())
}

fn visit_operand(
    value: &mut Operand,
    renaming: bool,
    visit: &mut dyn FnMut(&mut String),
) -> Result<()> {
    match value {
        Operand::F(f) => visit_expr(f, renaming, visit),
        Operand::List(items) => items
            .iter_mut()
            .try_for_each(|i| visit_operand(i, renaming, visit)),
        Operand::Query(_) => Err(queryset_refused()),
        Operand::Value(_) | Operand::Instance(..) => Ok(()),
    }
}

fn queryset_refused() -> Diagnostic {
    value_error("Passing a QuerySet within a FilteredRelation is not supported.".into())
}

fn visit_expr(e: &mut FExpr, renaming: bool, visit: &mut dyn FnMut(&mut String)) -> Result<()> {
    match e {
        FExpr::Ref { name, .. } => visit(name),
        FExpr::Subquery { .. } => return Err(queryset_refused()),
        FExpr::Combined { lhs, rhs, .. } => {
            visit_expr(lhs, renaming, visit)?;
            visit_expr(rhs, renaming, visit)?;
        }
        FExpr::Aggregate {
            arg,
            filter,
            default,
            ..
        } => {
            for e in arg.iter_mut().chain(default.iter_mut()) {
                visit_expr(e, renaming, visit)?;
            }
            if let Some(q) = filter {
                visit_names(q, renaming, visit)?;
            }
        }
        FExpr::Func { args, .. } | FExpr::WindowFunc { args, .. } => {
            args.iter_mut()
                .try_for_each(|a| visit_expr(a, renaming, visit))?;
        }
        FExpr::Case { whens, default, .. } => {
            for w in whens {
                visit_names(&mut w.condition, renaming, visit)?;
                visit_expr(&mut w.then, renaming, visit)?;
            }
            visit_expr(default, renaming, visit)?;
        }
        FExpr::Condition(q) => visit_names(q, renaming, visit)?,
        FExpr::When(w) => {
            visit_names(&mut w.condition, renaming, visit)?;
            visit_expr(&mut w.then, renaming, visit)?;
        }
        FExpr::OrderBy { expr, .. } | FExpr::Negated(expr) => visit_expr(expr, renaming, visit)?,
        FExpr::Window {
            expr,
            partition_by,
            order_by,
            ..
        } => {
            visit_expr(expr, renaming, visit)?;
            for e in partition_by.iter_mut().chain(order_by.iter_mut()) {
                visit_expr(e, renaming, visit)?;
            }
        }
        FExpr::OuterRef { .. } | FExpr::Value(_) | FExpr::Frame(_) => {}
    }
    Ok(())
}

impl Query {
    /// Django's `add_filtered_relation`: `annotate(name=FilteredRelation(relation_name,
    /// condition=...))` (or `alias()`).
    pub fn add_filtered_relation(
        &mut self,
        schema: &Schema,
        name: &str,
        relation_name: &str,
        condition: &QNode,
    ) -> Result<()> {
        if name.contains('.') {
            return Err(value_error(format!(
                "FilteredRelation doesn't support aliases with periods (got '{name}')."
            )));
        }
        let (lookups, relation_parts) = self.solve_lookup_type(schema, relation_name)?;
        if !lookups.is_empty() {
            return Err(value_error(format!(
                "FilteredRelation's relation_name cannot contain lookups (got '{relation_name}')."
            )));
        }
        let mut condition = condition.clone();
        let mut names = Vec::new();
        visit_names(&mut condition, false, &mut |n| names.push(n.clone()))?;
        for lookup in &names {
            let (lookups, parts) = self.solve_lookup_type(schema, lookup)?;
            let shift = if lookups.is_empty() { 2 } else { 1 };
            let path = &parts[..parts.len().saturating_sub(shift)];
            for (part, relation_part) in path.iter().zip(&relation_parts) {
                if part != relation_part {
                    return Err(value_error(format!(
                        "FilteredRelation's condition doesn't support relations outside the \
                         '{relation_name}' (got '{lookup}')."
                    )));
                }
            }
            if parts.len() > relation_parts.len() + 1 {
                return Err(value_error(format!(
                    "FilteredRelation's condition doesn't support nested relations deeper \
                     than the relation_name (got '{lookup}' for '{relation_name}')."
                )));
            }
        }
        let prefix = format!("{relation_name}__");
        visit_names(&mut condition, true, &mut |n| {
            if n.starts_with(&prefix) {
                n.replace_range(..relation_name.len(), name);
            }
        })?;
        self.filtered_relations.retain(|f| *f.name != *name);
        self.filtered_relations.push(FilteredRelation {
            name: Sym::from(name),
            relation_name: relation_name.to_string(),
            condition,
        });
        Ok(())
    }

    /// Django's `solve_lookup_type`: a lookup path's lookup names and field names.
    fn solve_lookup_type(
        &self,
        schema: &Schema,
        lookup: &str,
    ) -> Result<(Vec<String>, Vec<String>)> {
        let parts: Vec<String> = path::split_names(lookup).map(str::to_string).collect();
        if self.annotation(&parts[0]).is_some() {
            return Ok((parts[1..].to_vec(), Vec::new()));
        }
        let names = names_to_path(
            schema,
            &self.filtered_relations,
            &parts,
            self.model,
            true,
            false,
        )
        .map_err(|e| match e {
            PathError::Field(d) => self.with_annotation_choices(schema, lookup, d),
            PathError::MultiJoin(_) => unreachable!("allow_many"),
        })?;
        let fields = parts[..names.consumed].to_vec();
        Ok((parts[names.consumed..].to_vec(), fields))
    }

    /// Django's `Query.join` for a FilteredRelation's hop: reuse a join of the same
    /// relation, else make one (named after the relation when its table is new to the
    /// query) and resolve the condition on it.
    pub(super) fn join_filtered(
        &mut self,
        schema: &Schema,
        hop: &PathInfo,
        name: &Sym,
        parent: &Sym,
        can_reuse: Option<&[Sym]>,
    ) -> Result<Sym> {
        // Django's many-to-many hops: reverse ones (the second hop of a ManyToManyField is
        // a foreign key's, reusable anywhere).
        let reuse = if hop.m2m && !hop.direct {
            can_reuse
        } else {
            None
        };
        let same = |t: &&mut Table| {
            reuse.is_none_or(|r| r.contains(&t.alias))
                && t.join.as_ref().is_some_and(|j| {
                    j.parent == *parent && j.filtered.as_ref().is_some_and(|f| f.name == *name)
                })
        };
        // The join named after the relation first, else the latest.
        let mut candidates = self.tables.iter_mut().rev().filter(same);
        let found = match candidates.by_ref().find(|t| t.alias == *name) {
            Some(t) => Some(t),
            None => self.tables.iter_mut().rev().find(same),
        };
        if let Some(t) = found {
            t.refcount += 1;
            return Ok(t.alias.clone());
        }
        let plain = PathInfo {
            filtered: None,
            ..hop.clone()
        };
        // A new join (nothing is reusable in an empty list), renamed when it took the
        // table's name.
        let mut alias = self.join_hop(schema, &plain, parent, Some(&[]));
        let at = self.index_of(&alias);
        if self.tables[at].alias == self.tables[at].table {
            self.tables[at].alias = name.clone();
            alias = name.clone();
        }
        let filtered = FilteredJoin {
            name: name.clone(),
            condition: WhereNode::and(),
        };
        if let Some(j) = self.tables[at].join.as_mut() {
            j.filtered = Some(filtered);
        }
        let condition = (self.filtered_relations.iter())
            .find(|f| f.name == *name)
            .expect("the hop's FilteredRelation is the query's")
            .condition
            .clone();
        let mut reuse: Vec<Sym> = match reuse {
            Some(r) => r.iter().chain([&alias]).cloned().collect(),
            None => self.tables.iter().map(|t| t.alias.clone()).collect(),
        };
        let joins = self.tables.len();
        let (clause, _) = self.add_q_inner(
            schema,
            &condition,
            &mut reuse,
            (false, false),
            super::AddQ::OnJoin,
        )?;
        let at = self.index_of(&alias);
        if self.tables.len() > joins {
            // The joins the condition made come before this one.
            let t = self.tables.remove(at);
            self.tables.push(t);
        }
        let at = self.index_of(&alias);
        if let Some(f) = self.tables[at]
            .join
            .as_mut()
            .and_then(|j| j.filtered.as_mut())
        {
            f.condition = clause;
        }
        Ok(alias)
    }
}

impl Query {
    /// The model the FilteredRelation `name` joins.
    pub fn filtered_relation_model(&self, schema: &Schema, name: &str) -> Result<ModelId> {
        let names = [name];
        let filtered = &self.filtered_relations;
        let path = names_to_path(schema, filtered, &names, self.model, true, true).map_err(
            |e| match e {
                PathError::Field(d) => d,
                PathError::MultiJoin(_) => unreachable!("allow_many"),
            },
        )?;
        Ok(path.path.last().expect("a relation").to_model)
    }
}

/// What `select_related()` follows: `(model, name, attribute, joined model, whether the
/// joined model descends from the queried one)`.
pub(super) type Selection = (ModelId, String, String, ModelId, bool);

impl Query {
    /// The FilteredRelations `select_related()` names (Django follows them from the queried
    /// model, after its other relations).
    pub(super) fn filtered_selections(
        &self,
        schema: &Schema,
        heads: &[&str],
    ) -> Result<Vec<Selection>> {
        let mut out = Vec::new();
        for fr in &self.filtered_relations {
            if !heads.contains(&&*fr.name) {
                continue;
            }
            let to = self.filtered_relation_model(schema, &fr.name)?;
            let child = to != self.model && schema.base_chain(to, self.model).is_some();
            out.push((
                self.model,
                fr.name.to_string(),
                fr.name.to_string(),
                to,
                child,
            ));
        }
        Ok(out)
    }
}
