//! Pre-SQL setup: what Django's compiler decides just before writing SQL — the select list
//! (default columns with deferred fields, `select_related` joins), the resolved ORDER BY
//! (Meta.ordering, related orderings, positions of selected columns) and DISTINCT's extra
//! columns. Joins made here come after the filters' joins, as in Django.

use super::expr::Expr;
use super::path::{self, FinalField, JoinInfo, PathError};
use super::{GroupBy, Nulls, OrderSpec, Query, SelectRelated, Sym};
use crate::diag::{Diagnostic, Result, Span};
use crate::schema::{ModelId, Schema};
use crate::value::ValueType;
use std::borrow::Cow;

/// One column of the SELECT list.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanCol {
    pub expr: Expr,
    /// `AS "alias"`
    pub alias: Option<Sym>,
    /// The key this column is shown under (attname, values() key, annotation name).
    pub name: Sym,
    pub ty: ValueType,
}

#[derive(Debug, Clone, PartialEq)]
pub enum OrderTarget {
    Expr(Expr),
    /// `ORDER BY 2` — a selected column's position (1-based).
    Position(usize),
    /// `ORDER BY "col2"` — a column of a combined query (`union()`), by its alias.
    Alias(String),
    Random,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlanOrder {
    pub target: OrderTarget,
    pub descending: bool,
    pub nulls: Option<Nulls>,
}

impl PlanOrder {
    /// A composite primary key's ordering as one ordering per column, in its direction.
    pub fn each_column(self) -> Vec<PlanOrder> {
        match self.target {
            OrderTarget::Expr(Expr::Tuple(cols)) => (cols.into_iter())
                .map(|c| PlanOrder {
                    target: OrderTarget::Expr(c),
                    ..self
                })
                .collect(),
            _ => vec![self],
        }
    }
}

/// Columns of a `select_related` model inside the row.
#[derive(Debug, Clone, PartialEq)]
pub struct RelatedCols {
    /// Field path from the queried model (`author`, `author__publisher`).
    pub path: String,
    pub model: ModelId,
    /// Positions in the SELECT list.
    pub columns: Vec<usize>,
    /// Where in `columns` the primary key is (NULL there: the LEFT OUTER JOIN found nothing).
    pub key: usize,
    /// The attribute the object is cached as on the one before it on the path (the foreign
    /// key's name, a reverse one-to-one's accessor).
    pub attr: String,
}

/// Everything the SQL writer needs beyond the query itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub columns: Vec<PlanCol>,
    /// How many leading columns are shown to the user (the rest serve DISTINCT ordering or
    /// `select_related`).
    pub shown: usize,
    /// How many trailing columns are DISTINCT's ordering columns (Django's `extra_select`:
    /// never aliased, never referred to by position).
    pub extra: usize,
    pub related: Vec<RelatedCols>,
    pub order_by: Vec<PlanOrder>,
    /// `DISTINCT ON` expressions.
    pub distinct_on: Vec<Expr>,
    /// The WHERE part of the filters when aggregate conditions were moved to `having`;
    /// `None` when it is the query's own.
    pub where_: Option<super::WhereNode>,
    pub having: Option<super::WhereNode>,
    /// GROUP BY candidates in Django's order (selected columns, ordering, HAVING's columns),
    /// before the backend collapses them or refers to selected columns by position.
    pub group_by: Vec<Expr>,
    /// Filtering on windows: the query is written as a wrapped inner query.
    pub qualify: Option<Box<super::qualify::Qualify>>,
}

impl Plan {
    /// The `AS` alias of each select column: its own, else `colN` when `col_aliases`
    /// (Django's `with_col_aliases`: a combined query, one aggregated over or filtered on
    /// windows), never for DISTINCT's ordering columns.
    pub fn column_aliases(
        &self,
        col_aliases: bool,
    ) -> impl Iterator<Item = Option<std::borrow::Cow<'_, str>>> {
        let kept = self.columns.len() - self.extra;
        let mut col_idx = 0;
        self.columns.iter().enumerate().map(move |(i, c)| {
            match (&c.alias, col_aliases && i < kept) {
                (Some(a), _) => Some(std::borrow::Cow::Borrowed(&**a)),
                (None, true) => {
                    col_idx += 1;
                    Some(std::borrow::Cow::Owned(format!("col{col_idx}")))
                }
                (None, false) => None,
            }
        })
    }
}

impl Query {
    /// The fields of `model` that `defer()`/`only()` leave selected, in model order (`None`:
    /// all of them, nothing being deferred). `prefix` is the `select_related` path to the
    /// model (`""` for the queried model); `keep_pk`: `only()` keeps the primary key (not a
    /// multi-table parent's, whose row the child's link names).
    fn loaded_fields(
        &self,
        schema: &Schema,
        model: ModelId,
        prefix: &str,
        keep_pk: bool,
    ) -> Option<Vec<usize>> {
        let m = schema.model(model);
        if self.deferred.is_empty() {
            return None;
        }
        let mut relevant: Vec<&str> = Vec::new();
        for d in &self.deferred {
            let rest = if prefix.is_empty() {
                Some(d.as_str())
            } else {
                d.strip_prefix(&format!("{prefix}__"))
            };
            if let Some(r) = rest {
                relevant.push(r);
            }
        }
        let named = |i: usize, whole: bool| {
            let f = &m.fields[i];
            relevant.iter().any(|r| {
                let head = if whole {
                    *r
                } else {
                    r.split("__").next().unwrap_or(r)
                };
                head == f.name || head == f.attname()
            })
        };
        let loaded = (0..m.fields.len()).filter(|&i| {
            if self.defer_mode {
                !named(i, true)
            } else if relevant.is_empty() {
                true
            } else {
                (keep_pk && (i == m.pk || m.composite_pk.contains(&i))) || named(i, false)
            }
        });
        Some(loaded.collect())
    }

    /// The model's columns as Django's `get_default_columns` selects them: the inherited
    /// fields first, each on its ancestor's table (joined through the parent links), then
    /// the model's own; deferred ones left out. `from_parent`: a `select_related` of a
    /// child from that ancestor, whose (and whose ancestors') columns are selected already.
    fn model_columns(
        &mut self,
        schema: &Schema,
        (model, alias): (ModelId, &Sym),
        prefix: &str,
        from_parent: Option<ModelId>,
        out: &mut Vec<PlanCol>,
    ) -> Result<()> {
        let mut owners: Vec<ModelId> = Vec::new();
        for (owner, _) in schema.concrete_fields(model) {
            let selected =
                from_parent.is_some_and(|p| p == owner || schema.base_chain(p, owner).is_some());
            if !owners.contains(&owner) && !selected {
                owners.push(owner);
            }
        }
        for owner in owners {
            let fields = self.loaded_fields(schema, owner, prefix, owner == model);
            // Django joins an ancestor's table only for the columns it selects there.
            if fields.as_ref().is_some_and(Vec::is_empty) {
                continue;
            }
            let owner_alias = if owner == model {
                alias.clone()
            } else {
                self.parent_alias(schema, model, owner, alias)?
            };
            push_default_columns(schema, (owner, &owner_alias), fields.as_deref(), out);
        }
        Ok(())
    }

    /// Django's `join_parent_model`: the alias of `ancestor`'s table, joined from `model`'s
    /// (at `alias`) through the parent links.
    pub fn parent_alias(
        &mut self,
        schema: &Schema,
        model: ModelId,
        ancestor: ModelId,
        alias: &Sym,
    ) -> Result<Sym> {
        let mut alias = alias.clone();
        for (from, link) in schema.base_chain(model, ancestor).unwrap_or_default() {
            let names = vec![schema.model(from).fields[link].name.clone()];
            let info = self
                .setup_joins(schema, &names, from, &alias, None, true)
                .map_err(path_err)?;
            alias = info.joins.last().expect("joined").clone();
        }
        Ok(alias)
    }

    /// Django's `pre_sql_setup`: decide columns and ordering, making the joins they need.
    /// Those are made on a copy of the query, taken only when there are any: the query to
    /// write comes back with the plan.
    pub fn plan(&self, schema: &Schema) -> Result<(Planned<'_>, Box<Plan>)> {
        let mut p = Planner {
            q: Planned::Borrowed(self),
            schema,
        };
        // Boxed once here: the plan is handed on, up to the session's display (a pointer
        // moves, not the whole plan).
        let plan = Box::new(p.plan()?);
        Ok((p.q, plan))
    }

    /// Django's `add_fields` of the model's `concrete_fields` attnames: each resolved as a
    /// path from the base table (a multi-table child's inherited fields on the parent's
    /// table, the parent's key as the child's link column), its joins made on this query.
    pub fn concrete_field_exprs(&mut self, schema: &Schema) -> Result<Vec<Expr>> {
        // The planner works on this query itself (no copy).
        let mut p = Planner {
            q: Planned::Mut(self),
            schema,
        };
        p.concrete_field_exprs()
    }

    /// Django's `get_group_by` up to the backend-specific part.
    pub(super) fn group_by_candidates(
        &self,
        columns: &[PlanCol],
        order_by: &[PlanOrder],
        meta_ordering: bool,
        having: Option<&super::WhereNode>,
    ) -> Vec<Expr> {
        let mut exprs: Vec<Expr> = match &self.group_by {
            GroupBy::None => return Vec::new(),
            GroupBy::All => Vec::with_capacity(columns.len() + order_by.len()),
            GroupBy::Exprs(v) => v.clone(),
        };
        // A selected column of a composite primary key grouped by as one is grouped by.
        let keys: Vec<Expr> = (exprs.iter())
            .filter_map(|e| match e {
                Expr::Tuple(cols) => Some(cols.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        for c in columns.iter().filter(|c| !keys.contains(&c.expr)) {
            match &c.expr {
                // What `group_by_cols` gives a column, without a Vec of its own.
                Expr::Col(_) => exprs.push(c.expr.clone()),
                e => exprs.extend(e.group_by_cols()),
            }
        }
        if !meta_ordering {
            for o in order_by {
                if let OrderTarget::Expr(e) = &o.target {
                    exprs.extend(e.group_by_cols());
                }
            }
        }
        if let Some(h) = having {
            exprs.extend(h.group_by_cols());
        }
        exprs
    }
}

/// The query being planned: borrowed until a join has to be made, then a copy of its own.
struct Planner<'q, 's> {
    q: Planned<'q>,
    schema: &'s Schema,
}

/// The query a plan is for: the one planned, or the copy of it that joins were made on
/// (boxed: the plan's caller gets it back, and a pointer moves rather than a whole query).
pub enum Planned<'q> {
    Borrowed(&'q Query),
    Owned(Box<Query>),
    /// A query the planner changes in place ([`Query::concrete_field_exprs`]).
    Mut(&'q mut Query),
}

impl Planned<'_> {
    /// The query to change, copied first when it is borrowed.
    fn to_mut(&mut self) -> &mut Query {
        if let Planned::Borrowed(q) = *self {
            *self = Planned::Owned(Box::new(q.clone()));
        }
        match self {
            Planned::Owned(q) => q,
            Planned::Mut(q) => q,
            Planned::Borrowed(_) => unreachable!("copied above"),
        }
    }
}

impl std::ops::Deref for Planned<'_> {
    type Target = Query;
    fn deref(&self) -> &Query {
        match self {
            Planned::Borrowed(q) => q,
            Planned::Owned(q) => q,
            Planned::Mut(q) => q,
        }
    }
}

impl<'q> Planner<'q, '_> {
    fn plan(&mut self) -> Result<Plan> {
        let schema = self.schema;
        if self.q.tables.iter().all(|t| t.refcount == 0) {
            let q = self.q.to_mut();
            let base = q.base_alias().clone();
            q.ref_alias(&base);
        }
        let q = &*self.q;
        let selected = match q.default_cols {
            true => schema.model(q.model).fields.len(),
            false => q.select.len(),
        };
        let mut columns: Vec<PlanCol> =
            Vec::with_capacity(q.extra_select.len() + selected + q.annotations.len());
        columns.extend(q.extra_select.iter().map(|s| {
            let name = Sym::from(s.name.as_str());
            PlanCol {
                ty: s.expr.value_type(),
                expr: s.expr.clone(),
                alias: Some(name.clone()),
                name,
            }
        }));
        if q.default_cols {
            let (model, base) = (q.model, q.base_alias().clone());
            self.model_columns((model, &base), "", None, &mut columns)?;
        } else {
            let q = &*self.q;
            for s in &q.select {
                push_select(&mut columns, q, schema, (&s.expr, &s.name), s.aliased, true);
            }
        }
        let q = &*self.q;
        for a in &q.annotations {
            let values = !q.default_cols;
            push_select(&mut columns, q, schema, (&a.expr, &a.name), true, values);
        }
        let shown = columns.len();
        let mut related = Vec::new();
        if q.default_cols && q.select_related != SelectRelated::None {
            let base = q.base_alias().clone();
            let requested = q.select_related.clone();
            let model = q.model;
            let own: Vec<usize> = (q.extra_select.len()..shown - q.annotations.len()).collect();
            self.related_selections(
                (model, &own),
                &base,
                "",
                &requested,
                1,
                &mut columns,
                &mut related,
            )?;
        }
        let (mut order_by, meta_ordering) = self.resolve_ordering(&columns)?;
        let q = &*self.q;
        if q.combinator.is_some() {
            // A combined query is ordered by its result columns (Django relabels to `colN`).
            order_by = order_by
                .into_iter()
                .flat_map(PlanOrder::each_column)
                .collect();
            for o in &mut order_by {
                if let OrderTarget::Expr(e) = &o.target {
                    let idx = columns.iter().position(|c| &c.expr == e).ok_or_else(|| {
                        Diagnostic::new(
                            crate::diag::ErrorKind::Database,
                            "ORDER BY term does not match any column in the result set.",
                        )
                    })?;
                    o.target = match &columns[idx].alias {
                        Some(_) => OrderTarget::Position(idx + 1),
                        None => OrderTarget::Alias(format!("col{}", idx + 1)),
                    };
                }
            }
        }
        let (where_, having, qualify) = if q.where_.contains_aggregate()
            || q.where_.contains_over_clause()
        {
            let must_group_by = !matches!(q.group_by, GroupBy::None);
            let (where_, having, qualify) = q.where_.split_having_qualify(false, must_group_by)?;
            (
                Some(where_.unwrap_or_else(super::WhereNode::and)),
                having,
                qualify,
            )
        } else {
            (None, None, None)
        };
        // Django's `get_extra_select`: SELECT DISTINCT also selects the ordering's columns
        // (Meta.ordering's too, even where GROUP BY drops the ORDER BY itself), and groups
        // by them.
        let mut extra = 0;
        if q.distinct && q.distinct_fields.is_empty() {
            for o in order_by.iter().flat_map(|o| o.clone().each_column()) {
                if let OrderTarget::Expr(e) = &o.target
                    && !columns.iter().any(|c| &c.expr == e)
                {
                    columns.push(PlanCol {
                        ty: e.value_type(),
                        expr: e.clone(),
                        alias: None,
                        name: Sym::default(),
                    });
                    extra += 1;
                }
            }
        }
        let group_by = q.group_by_candidates(&columns, &order_by, meta_ordering, having.as_ref());
        // Django drops Meta.ordering from aggregating queries.
        if meta_ordering && !matches!(q.group_by, GroupBy::None) {
            order_by.clear();
        }
        let distinct_on = self.resolve_distinct()?;
        let plan = Plan {
            columns,
            shown,
            extra,
            related,
            order_by,
            distinct_on,
            where_,
            having,
            group_by,
            qualify: None,
        };
        Ok(match qualify {
            Some(cond) => self.q.qualified(plan, cond, meta_ordering),
            None => plan,
        })
    }

    /// [`Query::model_columns`], on a copy of the query only for a multi-table child (whose
    /// inherited columns join its parents' tables).
    fn model_columns(
        &mut self,
        at: (ModelId, &Sym),
        prefix: &str,
        from_parent: Option<ModelId>,
        out: &mut Vec<PlanCol>,
    ) -> Result<()> {
        let schema = self.schema;
        if schema.model(at.0).parents.is_empty() {
            let fields = self.q.loaded_fields(schema, at.0, prefix, true);
            push_default_columns(schema, at, fields.as_deref(), out);
            return Ok(());
        }
        (self.q.to_mut()).model_columns(schema, at, prefix, from_parent, out)
    }

    /// [`Query::setup_joins`], on a copy of the query only when the path has joins to make.
    fn setup_joins<S: AsRef<str>>(
        &mut self,
        names: &[S],
        model: ModelId,
        alias: &Sym,
    ) -> Result<JoinInfo> {
        let filtered = self.q.filtered_from(model);
        let info = path::resolve_joins(self.schema, filtered, names, model, alias, true)
            .map_err(path_err)?;
        if info.path.is_empty() {
            return Ok(info);
        }
        self.q.to_mut().make_joins(self.schema, info, None)
    }

    /// Django's `get_distinct`: each `distinct()` field path as an expression, joining as
    /// ordering does (after the ordering's joins).
    fn resolve_distinct(&mut self) -> Result<Vec<Expr>> {
        let mut out = Vec::new();
        if self.q.distinct_fields.is_empty() {
            return Ok(out);
        }
        for name in self.q.distinct_fields.clone() {
            // A selected annotation is named by its alias (Django's `get_distinct`).
            if let Some(source) = self.q.selected_annotation(&name) {
                out.push(Expr::Ref {
                    name: name.clone(),
                    source: Box::new(source.clone()),
                });
                continue;
            }
            let pieces: Vec<&str> = path::split_names(&name).collect();
            let base = self.q.base_alias().clone();
            let info = (self.setup_joins(&pieces, self.q.model, &base))
                .map_err(|d| self.q.with_annotation_choices(self.schema, &name, d))?;
            out.push(self.path_expr(info)?);
        }
        Ok(out)
    }

    /// Django's `add_fields` of the model's `concrete_fields` attnames ([`Query::concrete_field_exprs`]).
    fn concrete_field_exprs(&mut self) -> Result<Vec<Expr>> {
        let schema = self.schema;
        let base = self.q.base_alias().clone();
        let model = self.q.model;
        let mut out = Vec::new();
        for (m, i) in schema.concrete_fields(model) {
            let names = vec![schema.model(m).fields[i].attname()];
            let info = self.setup_joins(&names, model, &base)?;
            out.push(self.path_expr(info)?);
        }
        Ok(out)
    }

    /// What a resolved path names: its target column after `trim_joins`, transformed.
    fn path_expr(&mut self, info: JoinInfo) -> Result<Expr> {
        let schema = self.schema;
        // Without joins there is nothing to trim.
        let (target, alias) = if info.joins.len() > 1 {
            let (target, kept) =
                (self.q.to_mut()).trim_joins(schema, info.target, &info.joins, &info.path);
            (target, info.joins[kept - 1].clone())
        } else {
            (info.target, info.joins[0].clone())
        };
        let col = Expr::Col(path::col(schema, target, &alias));
        if info.transforms.is_empty() {
            return Ok(col);
        }
        let out_field = super::filter::output_field(schema, info.final_field, info.target);
        info.transform(&schema.py_lookups, col, out_field)
    }

    /// Django's `get_related_selections`: follow named (or, unrestricted, all non-null)
    /// foreign keys, depth first, up to depth 5; `ForeignObject`s (named, or all non-null;
    /// multi-table ancestors' too) after them.
    #[allow(clippy::too_many_arguments)]
    fn related_selections(
        &mut self,
        (model, own): (ModelId, &[usize]),
        alias: &Sym,
        prefix: &str,
        requested: &SelectRelated,
        depth: usize,
        columns: &mut Vec<PlanCol>,
        related: &mut Vec<RelatedCols>,
    ) -> Result<()> {
        let schema = self.schema;
        let restricted = matches!(requested, SelectRelated::Paths(_));
        if !restricted && depth > 5 {
            return Ok(());
        }
        let wanted: Vec<String> = match requested {
            SelectRelated::Paths(p) => p.clone(),
            _ => Vec::new(),
        };
        // A multi-table child's inherited foreign keys are followed from its parent's table.
        let fields = schema.concrete_fields(model);
        let field_of = |&(owner, i): &(ModelId, usize)| &schema.model(owner).fields[i];
        let reverse = reverse_one_to_ones(schema, model);
        // Its `ForeignObject`s and its multi-table ancestors' (parents first), by owner.
        let mut owners: Vec<ModelId> = Vec::new();
        for &(owner, _) in &fields {
            if !owners.contains(&owner) {
                owners.push(owner);
            }
        }
        if !owners.contains(&model) {
            owners.push(model);
        }
        let foreign_objects: Vec<(ModelId, &crate::schema::ForeignObject)> = (owners.iter())
            .flat_map(|&o| {
                schema
                    .model(o)
                    .foreign_objects
                    .iter()
                    .map(move |fo| (o, fo))
            })
            .collect();
        let heads: Vec<&str> = wanted
            .iter()
            .map(|w| w.split("__").next().unwrap_or(""))
            .collect();
        for name in &heads {
            match fields.iter().map(field_of).find(|f| f.name == *name) {
                Some(f) if f.relation.is_none() => {
                    return Err(Diagnostic::field(format!(
                        "Non-relational field given in select_related: '{name}'. Choices are: {}",
                        relation_choices(schema, model, &self.q.filtered_relations)
                    )));
                }
                Some(_) => {}
                None if reverse.iter().any(|r| r.query_name == *name) => {}
                None if foreign_objects.iter().any(|(_, fo)| fo.name == *name) => {}
                // FilteredRelations are followed from the queried model only.
                None if depth == 1
                    && self.q.filtered_relations.iter().any(|f| *f.name == **name) => {}
                None if let Some(d) = schema.unsupported_field(model, name) => return Err(d),
                None => {
                    return Err(Diagnostic::field(format!(
                        "Invalid field name(s) given in select_related: '{name}'. Choices are: {}",
                        relation_choices(schema, model, &self.q.filtered_relations)
                    )));
                }
            }
        }
        // (the model the relation is on, the path's name, the attribute cached, the joined
        // model, whether it descends from `model`)
        let mut follow: Vec<(ModelId, String, String, ModelId, bool)> = Vec::new();
        for &(owner, i) in &fields {
            let f = &schema.model(owner).fields[i];
            let Some(fk) = &f.relation else { continue };
            // Django never follows a parent link: the parent's fields are the model's own.
            if schema
                .model(owner)
                .parents
                .iter()
                .any(|&(_, link)| link == i)
            {
                continue;
            }
            let take = if restricted {
                heads.contains(&f.name.as_str())
            } else {
                !f.null
            };
            // Django's select_related_descend: a named relation must not be deferred.
            if take
                && restricted
                && !self
                    .q
                    .loaded_fields(schema, owner, prefix, false)
                    .is_none_or(|loaded| loaded.contains(&i))
            {
                return Err(Diagnostic::field(format!(
                    "Field {}.{} cannot be both deferred and traversed using select_related at \
                     the same time.",
                    schema.model(owner).name,
                    f.name
                )));
            }
            if take {
                follow.push((owner, f.name.clone(), f.name.clone(), fk.to, false));
            }
        }
        // Reverse relations are followed only when named.
        for r in &reverse {
            if heads.contains(&r.query_name.as_str()) {
                let child = schema.base_chain(r.from, model).is_some();
                follow.push((
                    model,
                    r.query_name.clone(),
                    r.accessor.clone(),
                    r.from,
                    child,
                ));
            }
        }
        follow.extend(
            (foreign_objects.iter())
                .filter(|(_, fo)| {
                    if restricted {
                        heads.contains(&fo.name.as_str())
                    } else {
                        !fo.null
                    }
                })
                .map(|&(owner, fo)| (owner, fo.name.clone(), fo.name.clone(), fo.to, false)),
        );
        if depth == 1 {
            follow.extend(self.q.filtered_selections(schema, &heads)?);
        }
        for (owner, name, attr, target, from_parent) in follow {
            let join_alias = {
                let from = if owner == model {
                    alias.clone()
                } else {
                    self.q.to_mut().parent_alias(schema, model, owner, alias)?
                };
                match schema.model(owner).foreign_object(&name) {
                    Some(i) => (self.q.to_mut()).join_foreign_object(schema, owner, i, &from)?,
                    None => {
                        let info = self.setup_joins(std::slice::from_ref(&name), owner, &from)?;
                        info.joins.last().expect("joined").clone()
                    }
                }
            };
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}__{name}")
            };
            let start = columns.len();
            let parent = from_parent.then_some(model);
            self.model_columns((target, &join_alias), &path, parent, columns)?;
            let mut cols: Vec<usize> = if from_parent {
                own.to_vec()
            } else {
                Vec::new()
            };
            cols.extend(start..columns.len());
            let pk = schema.model(target).pk_field().attname();
            let key = cols
                .iter()
                .position(|&c| columns[c].name == pk)
                .unwrap_or_default();
            related.push(RelatedCols {
                path: path.clone(),
                model: target,
                columns: cols.clone(),
                key,
                attr,
            });
            let next = if restricted {
                let nested: Vec<String> = wanted
                    .iter()
                    .filter_map(|w| w.strip_prefix(&format!("{name}__")).map(str::to_string))
                    .collect();
                if nested.is_empty() {
                    continue;
                }
                SelectRelated::Paths(nested)
            } else {
                SelectRelated::All
            };
            self.related_selections(
                (target, &cols),
                &join_alias,
                &path,
                &next,
                depth + 1,
                columns,
                related,
            )?;
        }
        Ok(())
    }

    /// Django's `_order_by_pairs` + `find_ordering_name`, deduplicated like `get_order_by`.
    /// The ORDER BY, and whether it came from `Meta.ordering`.
    fn resolve_ordering(&mut self, columns: &[PlanCol]) -> Result<(Vec<PlanOrder>, bool)> {
        let schema = self.schema;
        let q = &*self.q;
        let default_desc = !q.standard_ordering;
        let meta_ordering = &schema.model(q.model).ordering;
        let mut out: Vec<PlanOrder> = Vec::with_capacity(q.order_by.len().max(meta_ordering.len()));
        if !q.default_ordering || !q.order_by.is_empty() {
            let original: Option<&'q Query> = match self.q {
                Planned::Borrowed(q) => Some(q),
                _ => None,
            };
            for i in 0..self.q.order_by.len() {
                match &self.q.order_by[i] {
                    OrderSpec::Expr {
                        expr,
                        descending,
                        nulls,
                        ..
                    } => {
                        let target = match columns
                            .iter()
                            .position(|c| c.alias.is_some() && c.expr == *expr)
                        {
                            Some(p) => OrderTarget::Position(p + 1),
                            None => OrderTarget::Expr(expr.clone()),
                        };
                        push_order(
                            &mut out,
                            PlanOrder {
                                target,
                                descending: descending ^ default_desc,
                                nulls: nulls.map(|n| flip_nulls(n, default_desc)),
                            },
                        );
                    }
                    OrderSpec::Name { name, span } => {
                        // Read from the query as it came when that is borrowed (joins made
                        // resolving names go on a copy, ordering and all), else copied.
                        let span = *span;
                        let name = match original.map(|q| &q.order_by[i]) {
                            Some(OrderSpec::Name { name, .. }) => Cow::Borrowed(name.as_str()),
                            _ => Cow::Owned(name.clone()),
                        };
                        self.order_by_name(&name, span, columns, default_desc, &mut out)?;
                    }
                }
            }
            return Ok((out, false));
        }
        for name in meta_ordering {
            if super::meta_ordering::is_expression(name) {
                let e = super::meta_ordering::expression(name, "")?;
                self.push_order_expression(&e, default_desc, &mut out)?;
            } else {
                self.order_by_name(name, Span::default(), columns, default_desc, &mut out)?;
            }
        }
        Ok((out, !meta_ordering.is_empty()))
    }

    /// An ordering expression of `Meta.ordering` (`Lower('name')`, `F('x').desc()`), in the
    /// direction `flip` turns it.
    fn push_order_expression(
        &mut self,
        e: &super::FExpr,
        flip: bool,
        out: &mut Vec<PlanOrder>,
    ) -> Result<()> {
        if let OrderSpec::Expr {
            expr,
            descending,
            nulls,
            ..
        } = self.q.to_mut().order_spec(self.schema, e)?
        {
            push_order(
                out,
                PlanOrder {
                    target: OrderTarget::Expr(expr),
                    descending: descending ^ flip,
                    nulls: nulls.map(|n| flip_nulls(n, flip)),
                },
            );
        }
        Ok(())
    }

    /// One `order_by()` name (`'-pages'`, `'?'`, an annotation, a field path) resolved onto
    /// the end of `out`.
    fn order_by_name(
        &mut self,
        name: &str,
        span: Span,
        columns: &[PlanCol],
        default_desc: bool,
        out: &mut Vec<PlanOrder>,
    ) -> Result<()> {
        if name == "?" {
            push_plain_order(out, OrderTarget::Random, false);
            return Ok(());
        }
        let (col, descending) = order_dir(name, default_desc);
        let target = if let Some(p) = columns.iter().position(|c| c.alias.as_deref() == Some(col)) {
            // With DISTINCT ON, a field selected at several positions is referred to by the
            // first (PostgreSQL binds DISTINCT ON's expression there, and the prefixes of both
            // clauses must match); an annotation keeps its own position.
            let p = if self.q.distinct_fields.is_empty() || self.q.annotation(col).is_some() {
                p
            } else {
                columns
                    .iter()
                    .position(|c| c.expr == columns[p].expr)
                    .unwrap_or(p)
            };
            OrderTarget::Position(p + 1)
        } else if let Some(e) = self.q.annotation(col) {
            // A masked annotation is resolved again (Django's `get_order_by`).
            let mut e = e.clone();
            e.resolve_again();
            OrderTarget::Expr(e)
        } else if let Some(e) = self.q.extra(col) {
            OrderTarget::Expr(e.clone())
        } else if let Some(first) = path::split_names(col).next()
            && first.len() < col.len()
            && self.q.annotation(first).is_some()
        {
            // Transforms on an annotation (`order_by('data__key')`).
            let e = self.q.to_mut().resolve_ref(self.schema, col, None);
            OrderTarget::Expr(e.map_err(|d| d.at(span))?)
        } else {
            let base = self.q.base_alias().clone();
            let model = self.q.model;
            return self
                .find_ordering_name(name, (model, &base, ""), default_desc, &mut Vec::new(), out)
                .map_err(|d| d.at(span));
        };
        push_plain_order(out, target, descending);
        Ok(())
    }

    /// `at`: the model `name` starts from, its alias, and the path from the query's model to
    /// it (`author__`), which prefixes the references of an ordering expression.
    fn find_ordering_name(
        &mut self,
        name: &str,
        at: (ModelId, &Sym, &str),
        default_desc: bool,
        seen: &mut Vec<Vec<Sym>>,
        out: &mut Vec<PlanOrder>,
    ) -> Result<()> {
        let schema = self.schema;
        let (model, alias, prefix) = at;
        let (field_name, descending) = order_dir(name, default_desc);
        // A composite primary key orders by each of its columns, and so does a ForeignObject
        // to a model without an ordering of its own.
        let m = schema.model(model);
        let key: Vec<usize> = match m.foreign_object(field_name) {
            _ if field_name == "pk" => m.composite_pk.clone(),
            Some(i) if schema.model(m.foreign_objects[i].to).ordering.is_empty() => {
                m.foreign_objects[i].pairs.iter().map(|p| p.0).collect()
            }
            _ => Vec::new(),
        };
        // A composite primary key (a related model's: `rel__pk`) is one ordering of its
        // columns (Django's `OrderBy(ColPairs)`, grouped by as one).
        let related_key = (field_name.strip_suffix("__pk"))
            .map(|prefix| path::split_names(prefix).collect::<Vec<_>>())
            .and_then(|pieces| {
                let names = path::names_to_path(schema, &pieces, model, true, true).ok()?;
                let to = names.path.last()?.to_model;
                let key = schema.model(to).composite_pk.clone();
                (!key.is_empty() && names.consumed == pieces.len()).then_some((names, to, key))
            });
        // The key's columns, on the related model's join or on the model's own alias.
        let tuple = match related_key {
            Some((names, to, key)) => {
                // Joined up to the relation (whose own columns are no one value).
                let info = self.q.to_mut().join_path(schema, names, alias, None)?;
                let at = info.joins.last().unwrap_or(alias).clone();
                Some((to, key, at))
            }
            None if field_name == "pk" && !key.is_empty() => {
                Some((model, key.clone(), alias.clone()))
            }
            None => None,
        };
        if let Some((to, key, at)) = tuple {
            let cols = key
                .iter()
                .map(|&i| Expr::Col(path::col(schema, (to, i), &at)));
            let target = OrderTarget::Expr(Expr::Tuple(cols.collect()));
            push_plain_order(out, target, descending);
            return Ok(());
        }
        if !key.is_empty() {
            let sign = if name.starts_with('-') { "-" } else { "" };
            for i in key {
                let attname = format!("{sign}{}", schema.model(model).fields[i].attname());
                self.find_ordering_name(&attname, at, default_desc, seen, out)?;
            }
            return Ok(());
        }
        // A field of the model's own that is no relation (`'-pages'`): its column, what the
        // path below comes to for it, without resolving one.
        if let Some(i) = own_plain_field(schema, model, field_name) {
            let col = Expr::Col(path::col(schema, (model, i), alias));
            push_plain_order(out, OrderTarget::Expr(col), descending);
            return Ok(());
        }
        let pieces: Vec<&str> = path::split_names(field_name).collect();
        let info = self
            .setup_joins(&pieces, model, alias)
            .map_err(|d| match model {
                m if m == self.q.model => {
                    self.q.with_annotation_choices(self.schema, field_name, d)
                }
                _ => d,
            })?;
        let last_model = info.path.last().map_or(model, |p| p.to_model);
        let target_ordering = &schema.model(last_model).ordering;
        let is_attname = matches!(info.final_field, FinalField::Forward(m, i)
            if schema.model(m).fields[i].has_attname(pieces.last().expect("non-empty")));
        if info.final_field.is_relation()
            && !target_ordering.is_empty()
            && !is_attname
            && field_name != "pk"
            && info.transforms.is_empty()
        {
            if seen.contains(&info.joins) {
                return Err(Diagnostic::field("Infinite loop caused by ordering."));
            }
            seen.push(info.joins.clone());
            let join_alias = info.joins.last().expect("joined").clone();
            let path = format!("{prefix}{field_name}__");
            for item in target_ordering {
                if super::meta_ordering::is_expression(item) {
                    // Django's `find_ordering_name`: an expression is ordered in the
                    // relation's direction unless it is an ordering itself, and its
                    // references are prefixed with the relation's path.
                    let mut e = super::meta_ordering::expression(item, &path)?;
                    if !matches!(e, super::FExpr::OrderBy { .. }) {
                        e = super::FExpr::OrderBy {
                            expr: Box::new(e),
                            descending,
                            nulls: None,
                            span: Default::default(),
                        };
                    }
                    self.push_order_expression(&e, false, out)?;
                    continue;
                }
                self.find_ordering_name(
                    item,
                    (last_model, &join_alias, &path),
                    descending,
                    seen,
                    out,
                )?;
            }
            return Ok(());
        }
        // A reverse relation from a model keyed by several fields orders by that key.
        let key = &schema.model(last_model).composite_pk;
        if matches!(
            info.final_field,
            FinalField::Reverse(..) | FinalField::ForeignObjectReverse(..)
        ) && !key.is_empty()
            && info.transforms.is_empty()
        {
            let alias = info.joins.last().expect("joined");
            for &i in key {
                let col = super::path::col(schema, (last_model, i), alias);
                let target = OrderTarget::Expr(Expr::Col(col));
                push_plain_order(out, target, descending);
            }
            return Ok(());
        }
        let expr = self.path_expr(info)?;
        push_plain_order(out, OrderTarget::Expr(expr), descending);
        Ok(())
    }
}

/// Add an ORDER BY item unless it is there already (Django's `get_order_by` keeps the
/// first of equal ones; `?` may repeat).
/// A selected expression (`name`, `AS alias`) onto the end of `columns`; a composite
/// primary key's columns (Django's `ColPairs`) one by one under that name, unaliased in
/// values() (`values_only`), else with the alias after the last.
fn push_select(
    columns: &mut Vec<PlanCol>,
    q: &Query,
    schema: &Schema,
    (expr, name): (&Expr, &str),
    aliased: bool,
    values_only: bool,
) {
    let Expr::Tuple(cols) = expr else {
        let name = Sym::from(name);
        columns.push(PlanCol {
            ty: q.result_type(schema, expr),
            expr: expr.clone(),
            alias: aliased.then(|| name.clone()),
            name,
        });
        return;
    };
    for (i, col) in cols.iter().enumerate() {
        let last = i + 1 == cols.len() && !values_only;
        push_select(columns, q, schema, (col, name), aliased && last, true);
    }
}

/// [`push_order`] with the database's own NULL placement.
fn push_plain_order(out: &mut Vec<PlanOrder>, target: OrderTarget, descending: bool) {
    let nulls = None;
    push_order(
        out,
        PlanOrder {
            target,
            descending,
            nulls,
        },
    );
}

fn push_order(out: &mut Vec<PlanOrder>, item: PlanOrder) {
    let dup = out
        .iter()
        .any(|o| o.target == item.target && !matches!(o.target, OrderTarget::Random));
    if !dup {
        out.push(item);
    }
}

/// The columns of `model`'s `fields` (`None`: all of them) on its table at `alias`, each
/// shown under its attname, appended to `out`.
fn push_default_columns(
    schema: &Schema,
    (model, alias): (ModelId, &Sym),
    fields: Option<&[usize]>,
    out: &mut Vec<PlanCol>,
) {
    let m = schema.model(model);
    let mut push = |i: usize| {
        let c = path::col(schema, (model, i), alias);
        out.push(PlanCol {
            ty: c.ty,
            expr: Expr::Col(c),
            alias: None,
            name: attname(&m.fields[i]),
        });
    };
    match fields {
        None => (0..m.fields.len()).for_each(push),
        Some(fields) => fields.iter().for_each(|&i| push(i)),
    }
}

/// A field's attname as a column's name: shared with the field's name, or with a foreign
/// key's column when that is its attname (`author_id`, the default).
fn attname(f: &crate::schema::Field) -> Sym {
    match f.relation {
        Some(_) if f.has_attname(&f.column) => Sym::from(&f.column),
        Some(_) => Sym::from(f.attname()),
        None => Sym::from(&f.name),
    }
}

/// The index of `model`'s own field named `name` (`pk`: its primary key) when that is no
/// relation (a path names it alone, without joins or transforms).
fn own_plain_field(schema: &Schema, model: ModelId, name: &str) -> Option<usize> {
    let m = schema.model(model);
    let name = match name {
        "pk" if m.composite_pk.is_empty() => m.pk_field().name.as_str(),
        "pk" => return None,
        name => name,
    };
    let i = m.fields.iter().position(|f| f.name == name)?;
    m.fields[i].relation.is_none().then_some(i)
}

/// `'-name'` → (`name`, descending), relative to the default direction.
fn order_dir(name: &str, default_desc: bool) -> (&str, bool) {
    match name.strip_prefix('-') {
        Some(rest) => (rest, !default_desc),
        None => (name, default_desc),
    }
}

fn flip_nulls(n: Nulls, flip: bool) -> Nulls {
    match (n, flip) {
        (n, false) => n,
        (Nulls::First, true) => Nulls::Last,
        (Nulls::Last, true) => Nulls::First,
    }
}

fn path_err(e: PathError) -> Diagnostic {
    match e {
        PathError::Field(d) => d,
        PathError::MultiJoin(_) => Diagnostic::field("multi-valued relation not allowed here"),
    }
}

/// The relations seen from `model` that hold one object: reverse one-to-ones (and unique
/// foreign keys), Django's `related_objects` with `field.unique`.
fn reverse_one_to_ones(schema: &Schema, model: ModelId) -> Vec<&crate::schema::ReverseRelation> {
    schema
        .model(model)
        .reverse
        .iter()
        .filter(|r| match r.via {
            crate::schema::ReverseVia::ForeignKey(i) => {
                let f = &schema.model(r.from).fields[i];
                f.unique || f.primary_key || f.relation.as_ref().is_some_and(|fk| fk.one_to_one)
            }
            crate::schema::ReverseVia::ManyToMany(_) => false,
        })
        .collect()
}

/// Relation names offered by select_related errors (`(none)` when there are none): the
/// model's foreign keys, then its reverse one-to-ones.
fn relation_choices(
    schema: &Schema,
    model: ModelId,
    filtered: &[super::filtered_relation::FilteredRelation],
) -> String {
    let names: Vec<String> = schema
        .model(model)
        .fields
        .iter()
        .filter(|f| f.relation.is_some())
        .map(|f| f.name.clone())
        .chain(
            reverse_one_to_ones(schema, model)
                .into_iter()
                .map(|r| r.query_name.clone()),
        )
        .chain(filtered.iter().map(|f| f.name.to_string()))
        .collect();
    if names.is_empty() {
        "(none)".into()
    } else {
        names.join(", ")
    }
}
