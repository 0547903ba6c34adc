//! Pre-SQL setup: what Django's compiler decides just before writing SQL — the select list
//! (default columns with deferred fields, `select_related` joins), the resolved ORDER BY
//! (Meta.ordering, related orderings, positions of selected columns) and DISTINCT's extra
//! columns. Joins made here come after the filters' joins, as in Django.

use super::expr::Expr;
use super::path::{self, FinalField, JoinInfo, PathError};
use super::{GroupBy, Nulls, OrderSpec, Query, SelectRelated};
use crate::diag::{Diagnostic, Result};
use crate::schema::{ModelId, Schema};
use crate::value::ValueType;

/// One column of the SELECT list.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanCol {
    pub expr: Expr,
    /// `AS "alias"`
    pub alias: Option<String>,
    /// The key this column is shown under (attname, values() key, annotation name).
    pub name: String,
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
    /// The WHERE part of the filters (aggregate conditions moved to `having`).
    pub where_: super::WhereNode,
    pub having: Option<super::WhereNode>,
    /// GROUP BY candidates in Django's order (selected columns, ordering, HAVING's columns),
    /// before the backend collapses them or refers to selected columns by position.
    pub group_by: Vec<Expr>,
}

impl Query {
    /// The fields of `model` that `defer()`/`only()` leave selected, in model order.
    /// `prefix` is the `select_related` path to the model (`""` for the queried model);
    /// `traversed` are its relations followed by `select_related`, which stay loaded;
    /// `keep_pk`: `only()` keeps the primary key (not a multi-table parent's, whose row the
    /// child's link names).
    fn loaded_fields(
        &self,
        schema: &Schema,
        model: ModelId,
        prefix: &str,
        traversed: &[String],
        keep_pk: bool,
    ) -> Vec<usize> {
        let m = schema.model(model);
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
        (0..m.fields.len())
            .filter(|&i| {
                if self.defer_mode {
                    !named(i, true)
                } else if relevant.is_empty() {
                    true
                } else {
                    (keep_pk && i == m.pk)
                        || named(i, false)
                        || traversed.contains(&m.fields[i].name)
                }
            })
            .collect()
    }

    fn default_columns(
        &self,
        schema: &Schema,
        model: ModelId,
        alias: &str,
        fields: &[usize],
    ) -> Vec<PlanCol> {
        let m = schema.model(model);
        fields
            .iter()
            .map(|&i| {
                let c = path::col(schema, (model, i), alias);
                PlanCol {
                    ty: c.ty,
                    expr: Expr::Col(c),
                    alias: None,
                    name: m.fields[i].attname(),
                }
            })
            .collect()
    }

    /// The model's columns as Django's `get_default_columns` selects them: the inherited
    /// fields first, each on its ancestor's table (joined through the parent links), then
    /// the model's own; deferred ones left out. `from_parent`: a `select_related` of a
    /// child from that ancestor, whose (and whose ancestors') columns are selected already.
    fn model_columns(
        &mut self,
        schema: &Schema,
        model: ModelId,
        alias: &str,
        prefix: &str,
        traversed: &[String],
        from_parent: Option<ModelId>,
    ) -> Result<Vec<PlanCol>> {
        let mut owners: Vec<ModelId> = Vec::new();
        for (owner, _) in schema.concrete_fields(model) {
            let selected =
                from_parent.is_some_and(|p| p == owner || schema.base_chain(p, owner).is_some());
            if !owners.contains(&owner) && !selected {
                owners.push(owner);
            }
        }
        let mut out = Vec::new();
        for owner in owners {
            let (owner_alias, traversed) = if owner == model {
                (alias.to_string(), traversed)
            } else {
                (self.parent_alias(schema, model, owner, alias)?, &[][..])
            };
            let fields = self.loaded_fields(schema, owner, prefix, traversed, owner == model);
            out.extend(self.default_columns(schema, owner, &owner_alias, &fields));
        }
        Ok(out)
    }

    /// Django's `join_parent_model`: the alias of `ancestor`'s table, joined from `model`'s
    /// (at `alias`) through the parent links.
    pub fn parent_alias(
        &mut self,
        schema: &Schema,
        model: ModelId,
        ancestor: ModelId,
        alias: &str,
    ) -> Result<String> {
        let mut alias = alias.to_string();
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
    pub fn plan(&mut self, schema: &Schema) -> Result<Plan> {
        if self.tables.iter().all(|t| t.refcount == 0) {
            let base = self.base_alias().to_string();
            self.ref_alias(&base);
        }
        let mut columns: Vec<PlanCol> = self
            .extra_select
            .iter()
            .map(|s| PlanCol {
                ty: s.expr.value_type(),
                expr: s.expr.clone(),
                alias: Some(s.name.clone()),
                name: s.name.clone(),
            })
            .collect();
        columns.extend(if self.default_cols {
            let base = self.base_alias().to_string();
            let traversed = self.traversed_relations();
            self.model_columns(schema, self.model, &base, "", &traversed, None)?
        } else {
            self.select
                .iter()
                .map(|s| PlanCol {
                    ty: self.result_type(schema, &s.expr),
                    expr: s.expr.clone(),
                    alias: s.aliased.then(|| s.name.clone()),
                    name: s.name.clone(),
                })
                .collect::<Vec<_>>()
        });
        columns.extend(self.annotations.iter().map(|a| PlanCol {
            ty: self.result_type(schema, &a.expr),
            expr: a.expr.clone(),
            alias: Some(a.name.clone()),
            name: a.name.clone(),
        }));
        let shown = columns.len();
        let mut related = Vec::new();
        if self.default_cols && self.select_related != SelectRelated::None {
            let base = self.base_alias().to_string();
            let requested = self.select_related.clone();
            let own: Vec<usize> =
                (self.extra_select.len()..shown - self.annotations.len()).collect();
            self.related_selections(
                schema,
                (self.model, &own),
                &base,
                "",
                &requested,
                1,
                &mut columns,
                &mut related,
            )?;
        }
        let (mut order_by, meta_ordering) = self.resolve_ordering(schema, &columns)?;
        if self.combinator.is_some() {
            // A combined query is ordered by its result columns (Django relabels to `colN`).
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
        let (where_, having) = self.where_.split_having();
        // Django's `get_extra_select`: SELECT DISTINCT also selects the ordering's columns
        // (Meta.ordering's too, even where GROUP BY drops the ORDER BY itself), and groups
        // by them.
        let mut extra = 0;
        if self.distinct && self.distinct_fields.is_empty() {
            for o in &order_by {
                if let OrderTarget::Expr(e) = &o.target
                    && !columns.iter().any(|c| &c.expr == e)
                {
                    columns.push(PlanCol {
                        ty: e.value_type(),
                        expr: e.clone(),
                        alias: None,
                        name: String::new(),
                    });
                    extra += 1;
                }
            }
        }
        let group_by =
            self.group_by_candidates(&columns, &order_by, meta_ordering, having.as_ref());
        // Django drops Meta.ordering from aggregating queries.
        if meta_ordering && !matches!(self.group_by, GroupBy::None) {
            order_by.clear();
        }
        let distinct_on = self.resolve_distinct(schema)?;
        Ok(Plan {
            columns,
            shown,
            extra,
            related,
            order_by,
            distinct_on,
            where_,
            having,
            group_by,
        })
    }

    /// Django's `get_group_by` up to the backend-specific part.
    fn group_by_candidates(
        &self,
        columns: &[PlanCol],
        order_by: &[PlanOrder],
        meta_ordering: bool,
        having: Option<&super::WhereNode>,
    ) -> Vec<Expr> {
        let mut exprs: Vec<Expr> = match &self.group_by {
            GroupBy::None => return Vec::new(),
            GroupBy::All => Vec::new(),
            GroupBy::Exprs(v) => v.clone(),
        };
        for c in columns {
            exprs.extend(c.expr.group_by_cols());
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

    /// Django's `get_distinct`: each `distinct()` field path as an expression, joining as
    /// ordering does (after the ordering's joins).
    fn resolve_distinct(&mut self, schema: &Schema) -> Result<Vec<Expr>> {
        let mut out = Vec::new();
        for name in self.distinct_fields.clone() {
            let pieces: Vec<String> = name.split("__").map(str::to_string).collect();
            let base = self.base_alias().to_string();
            let info = self
                .setup_joins(schema, &pieces, self.model, &base, None, true)
                .map_err(path_err)?;
            out.extend(self.path_exprs(schema, &info)?);
        }
        Ok(out)
    }

    /// Django's `add_fields` of the model's `concrete_fields` attnames: each resolved as a
    /// path from the base table (a multi-table child's inherited fields on the parent's
    /// table, the parent's key as the child's link column).
    pub fn concrete_field_exprs(&mut self, schema: &Schema) -> Result<Vec<Expr>> {
        let base = self.base_alias().to_string();
        let mut out = Vec::new();
        for (m, i) in schema.concrete_fields(self.model) {
            let names = vec![schema.model(m).fields[i].attname()];
            let info = self
                .setup_joins(schema, &names, self.model, &base, None, true)
                .map_err(path_err)?;
            out.extend(self.path_exprs(schema, &info)?);
        }
        Ok(out)
    }

    /// What a resolved path names: its target columns after `trim_joins`, transformed.
    fn path_exprs(&mut self, schema: &Schema, info: &JoinInfo) -> Result<Vec<Expr>> {
        let first_target = info.targets[0];
        let (targets, alias, _) =
            self.trim_joins(schema, info.targets.clone(), info.joins.clone(), &info.path);
        let out_field = super::filter::output_field(schema, info.final_field, first_target);
        targets
            .into_iter()
            .map(|t| info.transform(Expr::Col(path::col(schema, t, &alias)), out_field.clone()))
            .collect()
    }

    /// First names of the `select_related` paths (they stay loaded under `only()`).
    fn traversed_relations(&self) -> Vec<String> {
        match &self.select_related {
            SelectRelated::Paths(p) => p
                .iter()
                .map(|p| p.split("__").next().unwrap_or(p).to_string())
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Django's `get_related_selections`: follow named (or, unrestricted, all non-null)
    /// foreign keys, depth first, up to depth 5, then the named reverse one-to-ones
    /// (`place.restaurant`; a multi-table child's object is its ancestor's columns and its
    /// own, Django's `from_parent`). `own` are the positions of `model`'s columns.
    #[allow(clippy::too_many_arguments)]
    fn related_selections(
        &mut self,
        schema: &Schema,
        (model, own): (ModelId, &[usize]),
        alias: &str,
        prefix: &str,
        requested: &SelectRelated,
        depth: usize,
        columns: &mut Vec<PlanCol>,
        related: &mut Vec<RelatedCols>,
    ) -> Result<()> {
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
        let heads: Vec<&str> = wanted
            .iter()
            .map(|w| w.split("__").next().unwrap_or(""))
            .collect();
        for name in &heads {
            match fields.iter().map(field_of).find(|f| f.name == *name) {
                Some(f) if f.relation.is_none() => {
                    return Err(Diagnostic::field(format!(
                        "Non-relational field given in select_related: '{name}'. Choices are: {}",
                        relation_choices(schema, model)
                    )));
                }
                Some(_) => {}
                None if reverse.iter().any(|r| r.query_name == *name) => {}
                None => {
                    return Err(Diagnostic::field(format!(
                        "Invalid field name(s) given in select_related: '{name}'. Choices are: {}",
                        relation_choices(schema, model)
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
        for (owner, name, attr, target, from_parent) in follow {
            let join_alias = {
                let from = self.parent_alias(schema, model, owner, alias)?;
                let names = vec![name.clone()];
                let info = self
                    .setup_joins(schema, &names, owner, &from, None, true)
                    .map_err(path_err)?;
                info.joins.last().expect("joined").clone()
            };
            let path = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}__{name}")
            };
            let start = columns.len();
            let parent = from_parent.then_some(model);
            columns.extend(self.model_columns(schema, target, &join_alias, &path, &[], parent)?);
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
                schema,
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
    fn resolve_ordering(
        &mut self,
        schema: &Schema,
        columns: &[PlanCol],
    ) -> Result<(Vec<PlanOrder>, bool)> {
        let meta_ordering = &schema.model(self.model).ordering;
        let from_meta =
            self.default_ordering && self.order_by.is_empty() && !meta_ordering.is_empty();
        let specs: Vec<OrderSpec> = if !self.default_ordering || !self.order_by.is_empty() {
            self.order_by.clone()
        } else {
            let mut specs = Vec::with_capacity(meta_ordering.len());
            for n in meta_ordering {
                specs.push(if super::meta_ordering::is_expression(n) {
                    self.order_spec(schema, &super::meta_ordering::expression(n, "")?)?
                } else {
                    OrderSpec::Name {
                        name: n.clone(),
                        span: Default::default(),
                    }
                });
            }
            specs
        };
        let default_desc = !self.standard_ordering;
        let mut out: Vec<PlanOrder> = Vec::new();
        for spec in specs {
            let items = match spec {
                OrderSpec::Expr {
                    expr,
                    descending,
                    nulls,
                    ..
                } => {
                    let descending = descending ^ default_desc;
                    let target = match columns
                        .iter()
                        .position(|c| c.alias.is_some() && c.expr == expr)
                    {
                        Some(p) => OrderTarget::Position(p + 1),
                        None => OrderTarget::Expr(expr),
                    };
                    vec![PlanOrder {
                        target,
                        descending,
                        nulls: nulls.map(|n| flip_nulls(n, default_desc)),
                    }]
                }
                OrderSpec::Name { name, .. } if name == "?" => vec![PlanOrder {
                    target: OrderTarget::Random,
                    descending: false,
                    nulls: None,
                }],
                OrderSpec::Name { name, span } => {
                    let (col, descending) = order_dir(&name, default_desc);
                    if let Some(p) = columns.iter().position(|c| c.alias.as_deref() == Some(col)) {
                        vec![PlanOrder {
                            target: OrderTarget::Position(p + 1),
                            descending,
                            nulls: None,
                        }]
                    } else if let Some(e) = self.annotation(col).cloned() {
                        vec![PlanOrder {
                            target: OrderTarget::Expr(e),
                            descending,
                            nulls: None,
                        }]
                    } else {
                        let base = self.base_alias().to_string();
                        self.find_ordering_name(
                            schema,
                            &name,
                            (self.model, &base, ""),
                            default_desc,
                            &mut Vec::new(),
                        )
                        .map_err(|d| d.at(span))?
                    }
                }
            };
            for item in items {
                let dup = out
                    .iter()
                    .any(|o| o.target == item.target && !matches!(o.target, OrderTarget::Random));
                if !dup {
                    out.push(item);
                }
            }
        }
        Ok((out, from_meta))
    }

    /// `at`: the model `name` starts from, its alias, and the path from the query's model to
    /// it (`author__`), which prefixes the references of an ordering expression.
    fn find_ordering_name(
        &mut self,
        schema: &Schema,
        name: &str,
        at: (ModelId, &str, &str),
        default_desc: bool,
        seen: &mut Vec<Vec<String>>,
    ) -> Result<Vec<PlanOrder>> {
        let (model, alias, prefix) = at;
        let (field_name, descending) = order_dir(name, default_desc);
        // A composite primary key orders by each of its columns.
        let key = &schema.model(model).composite_pk;
        if field_name == "pk" && !key.is_empty() {
            let sign = if name.starts_with('-') { "-" } else { "" };
            let mut out = Vec::new();
            for &i in &key.clone() {
                let attname = format!("{sign}{}", schema.model(model).fields[i].attname());
                out.extend(self.find_ordering_name(
                    schema,
                    &attname,
                    (model, alias, prefix),
                    default_desc,
                    seen,
                )?);
            }
            return Ok(out);
        }
        let pieces: Vec<String> = field_name.split("__").map(str::to_string).collect();
        let info = self
            .setup_joins(schema, &pieces, model, alias, None, true)
            .map_err(path_err)?;
        let last_model = info.path.last().map_or(model, |p| p.to_model);
        let target_ordering = &schema.model(last_model).ordering;
        let is_attname = matches!(info.final_field, FinalField::Forward(m, i)
            if schema.model(m).fields[i].attname() == *pieces.last().expect("non-empty"));
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
            let mut out = Vec::new();
            let path = format!("{prefix}{field_name}__");
            for item in target_ordering.clone() {
                if super::meta_ordering::is_expression(&item) {
                    // Django's `find_ordering_name`: an expression is ordered in the
                    // relation's direction unless it is an ordering itself, and its
                    // references are prefixed with the relation's path.
                    let mut e = super::meta_ordering::expression(&item, &path)?;
                    if !matches!(e, super::FExpr::OrderBy { .. }) {
                        e = super::FExpr::OrderBy {
                            expr: Box::new(e),
                            descending,
                            nulls: None,
                            span: Default::default(),
                        };
                    }
                    if let OrderSpec::Expr {
                        expr,
                        descending,
                        nulls,
                        ..
                    } = self.order_spec(schema, &e)?
                    {
                        out.push(PlanOrder {
                            target: OrderTarget::Expr(expr),
                            descending,
                            nulls,
                        });
                    }
                    continue;
                }
                out.extend(self.find_ordering_name(
                    schema,
                    &item,
                    (last_model, &join_alias, &path),
                    descending,
                    seen,
                )?);
            }
            return Ok(out);
        }
        Ok(self
            .path_exprs(schema, &info)?
            .into_iter()
            .map(|expr| PlanOrder {
                target: OrderTarget::Expr(expr),
                descending,
                nulls: None,
            })
            .collect())
    }
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
fn relation_choices(schema: &Schema, model: ModelId) -> String {
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
        .collect();
    if names.is_empty() {
        "(none)".into()
    } else {
        names.join(", ")
    }
}
