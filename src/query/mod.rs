//! Query: Django's query semantics, resolved into an IR the SQL stage can print.
//!
//! [`Query`] mirrors Django's `sql.Query`: an alias map of tables and joins (with reference
//! counts, so trimmed joins keep their alias numbers), a where tree, ordering, limits and the
//! select list. Filters are added through [`filter`] (`add_q`, with Django's join reuse,
//! promotion and `exclude()` subqueries); [`setup`] does what Django's compiler does before
//! writing SQL (default columns, `select_related`, resolving `order_by`). The IR is
//! dialect-free: the `sql` stage owns every spelling.

pub mod agg_options;
pub mod annotate;
pub mod expr;
mod extra;
pub mod filter;
pub mod filtered_relation;
pub mod func;
mod json_func;
pub mod lookups;
pub mod meta_ordering;
pub mod path;
pub mod py_call;
pub mod qualify;
pub mod setup;
mod sym;
mod tuple;
pub mod window;
pub mod window_resolve;

use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::schema::{ModelId, Schema};
pub use expr::{Col, Expr, Lookup, LookupKind, Rhs, WhereNode};
use filter::AddQ;
pub use filter::{FExpr, Operand, QChild, QNode};
pub use sym::Sym;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinType {
    Inner,
    LeftOuter,
}

/// One entry of the alias map: the base table or a join.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub alias: Sym,
    pub table: Sym,
    pub join: Option<Join>,
    pub refcount: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Join {
    pub parent: Sym,
    /// `(parent column, joined column)` for the ON clause.
    pub on: (Sym, Sym),
    pub join_type: JoinType,
    pub nullable: bool,
    /// A generic relation's content type condition (Django's `get_extra_restriction`).
    pub restriction: Option<path::ContentTypeCond>,
    /// A multi-column relation's further `(parent column, joined column)` pairs, ANDed to
    /// the ON clause after `on`.
    pub extra_on: Vec<(Sym, Sym)>,
    /// The types of `on`'s two columns when their fields differ (a generic relation's object
    /// id and a primary key): PostgreSQL casts the joined one to the parent's.
    pub types: Option<(expr::DbType, expr::DbType)>,
    /// A `FilteredRelation`'s join: its name and condition, ANDed to the ON clause.
    pub filtered: Option<filtered_relation::FilteredJoin>,
    /// The types of each `extra_on` pair's columns when their fields differ (PostgreSQL
    /// casts the joined one, as for `on`).
    pub extra_types: Vec<Option<(expr::DbType, expr::DbType)>>,
    /// A `ForeignObject` subclass's `get_extra_restriction()`, ANDed to the ON clause.
    pub py_restriction: Option<py_call::PyRestriction>,
}

/// How `order_by()` entries are kept until compile time (as Django keeps strings).
#[derive(Debug, Clone, PartialEq)]
pub enum OrderSpec {
    /// `'-pages'`, `'author__name'`, `'?'`, `'pk'`.
    Name { name: String, span: Span },
    /// `F('x').asc()/.desc()` and other expressions.
    Expr {
        expr: Expr,
        descending: bool,
        nulls: Option<Nulls>,
        /// Given bare (`F('x')`), not as `.asc()`/`.desc()` (Django keeps an `OrderBy`).
        bare: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nulls {
    First,
    Last,
}

/// `select_related()` state: nothing, everything non-null (`select_related()`), or named paths.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum SelectRelated {
    #[default]
    None,
    All,
    Paths(Vec<String>),
}

/// One explicit select column (`values()`, `values_list()`, subquery selects).
#[derive(Debug, Clone, PartialEq)]
pub struct SelectItem {
    /// Key in `.values()` dicts (`title`, `author__name`).
    pub name: String,
    pub expr: Expr,
    /// Printed as `expr AS "name"` (values() columns and annotations are).
    pub aliased: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Query {
    pub model: ModelId,
    pub tables: Vec<Table>,
    /// The letter before the numbers of the aliases this query makes (`T`, then `U`, ...).
    pub alias_prefix: char,
    pub where_: WhereNode,
    /// Explicit select; empty with `default_cols` means the model's columns.
    pub select: Vec<SelectItem>,
    pub default_cols: bool,
    /// Named expressions selected after the columns (`exists()` adds `1 AS "a"`).
    pub annotations: Vec<SelectItem>,
    pub order_by: Vec<OrderSpec>,
    pub default_ordering: bool,
    pub standard_ordering: bool,
    pub distinct: bool,
    /// `distinct('kind', ...)`: PostgreSQL's `DISTINCT ON`, resolved at compile time.
    pub distinct_fields: Vec<String>,
    pub low_mark: usize,
    pub high_mark: Option<usize>,
    pub select_related: SelectRelated,
    /// `defer()`/`only()` names and which of the two.
    pub deferred: Vec<String>,
    pub defer_mode: bool,
    /// Alias prefixes taken by this query and the subqueries nested in it (Django's
    /// `subq_aliases`): bit `n` is the letter `'A' + n`.
    pub subq_aliases: u32,
    /// This query is nested inside another.
    pub subquery: bool,
    /// Joins made for the last filter's field path (`split_exclude` trims them).
    pub lookup_joins: Vec<Sym>,
    /// Columns selected before the model's (Django's `extra_select`; prefetch uses it).
    pub extra_select: Vec<SelectItem>,
    /// GROUP BY: none, Django's `True` (every selected column), or given expressions.
    pub group_by: GroupBy,
    /// `alias()` annotations: usable by name, not selected.
    pub hidden_annotations: Vec<SelectItem>,
    /// `union()`/`intersection()`/`difference()`: the operator, `all=`, and the queries
    /// combined (this query then only contributes its select list, ordering and limits).
    pub combinator: Option<(Combinator, bool)>,
    pub combined: Vec<Query>,
    /// Resolving `aggregate()` over this query as a subquery: annotation names resolve to
    /// references to its selected columns, not to their expressions.
    pub summarize: bool,
    /// `select_for_update()`: lock the selected rows (PostgreSQL's `FOR UPDATE`).
    pub select_for_update: bool,
    /// `extra(select=...)` entries values() left out (Django's extra mask): still usable in
    /// `order_by()`.
    pub extra_masked: Vec<SelectItem>,
    /// `extra(tables=...)`: tables added to FROM after the joins.
    pub extra_tables: Vec<String>,
    /// `annotate(name=FilteredRelation(...))`/`alias(...)`: joins named by the annotation.
    pub filtered_relations: Vec<filtered_relation::FilteredRelation>,
    /// `select_for_update()`'s options.
    pub for_update: ForUpdate,
}

/// `select_for_update(nowait=, skip_locked=, no_key=)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ForUpdate {
    pub nowait: bool,
    pub skip_locked: bool,
    pub no_key: bool,
}

/// Django's set operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combinator {
    Union,
    Intersection,
    Difference,
}

impl Combinator {
    pub fn from_name(name: &str) -> Option<Combinator> {
        Some(match name {
            "union" => Combinator::Union,
            "intersection" => Combinator::Intersection,
            "difference" => Combinator::Difference,
            _ => return None,
        })
    }

    /// The SQL operator.
    pub fn sql(self) -> &'static str {
        match self {
            Combinator::Union => "UNION",
            Combinator::Intersection => "INTERSECT",
            Combinator::Difference => "EXCEPT",
        }
    }
}

/// Django's `Query.group_by`.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum GroupBy {
    #[default]
    None,
    /// Annotating a model queryset: group by everything selected.
    All,
    /// `values(...).annotate(...)`: group by these.
    Exprs(Vec<Expr>),
}

impl Query {
    pub fn new(schema: &Schema, model: ModelId) -> Query {
        let table = Sym::from(&schema.model(model).table);
        Query {
            model,
            // The base table and room for a few joins, allocated once (a query is made for
            // every statement).
            tables: {
                let mut tables = Vec::with_capacity(4);
                tables.push(Table {
                    alias: table.clone(),
                    table,
                    join: None,
                    refcount: 0,
                });
                tables
            },
            alias_prefix: 'T',
            where_: WhereNode::and(),
            select: Vec::new(),
            default_cols: true,
            annotations: Vec::new(),
            order_by: Vec::new(),
            default_ordering: true,
            standard_ordering: true,
            distinct: false,
            distinct_fields: Vec::new(),
            low_mark: 0,
            high_mark: None,
            select_related: SelectRelated::None,
            deferred: Vec::new(),
            defer_mode: true,
            subq_aliases: letter_bit('T'),
            subquery: false,
            lookup_joins: Vec::new(),
            extra_select: Vec::new(),
            group_by: GroupBy::None,
            hidden_annotations: Vec::new(),
            combinator: None,
            combined: Vec::new(),
            summarize: false,
            select_for_update: false,
            extra_masked: Vec::new(),
            extra_tables: Vec::new(),
            filtered_relations: Vec::new(),
            for_update: ForUpdate::default(),
        }
    }

    /// The base table's alias (`get_initial_alias` without the reference bump).
    pub fn base_alias(&self) -> &Sym {
        &self.tables[0].alias
    }

    pub fn table(&self, alias: &str) -> &Table {
        self.tables
            .iter()
            .find(|t| t.alias == alias)
            .expect("alias exists in the alias map")
    }

    fn table_mut(&mut self, alias: &str) -> &mut Table {
        self.tables
            .iter_mut()
            .find(|t| t.alias == alias)
            .expect("alias exists in the alias map")
    }

    pub fn ref_alias(&mut self, alias: &str) {
        self.table_mut(alias).refcount += 1;
    }

    pub fn unref_alias(&mut self, alias: &str) {
        let t = self.table_mut(alias);
        t.refcount = t.refcount.saturating_sub(1);
    }

    /// Django's `Query.join`: reuse an equal join (any, or only those in `reuse`), else add one
    /// with a new alias; new joins are LEFT OUTER when nullable or when the parent is.
    pub fn join(
        &mut self,
        table: &crate::schema::Name,
        parent: &Sym,
        on: (&Sym, &Sym),
        nullable: bool,
        reuse: Option<&[Sym]>,
    ) -> Sym {
        let reusable = self.tables.iter_mut().rev().find(|t| {
            *t.table == **table
                && reuse.is_none_or(|r| r.contains(&t.alias))
                && t.join.as_ref().is_some_and(|j| {
                    j.parent == *parent
                        && j.on.0 == *on.0
                        && j.on.1 == *on.1
                        && j.filtered.is_none()
                })
        });
        if let Some(t) = reusable {
            t.refcount += 1;
            return t.alias.clone();
        }
        // The schema's name, shared: a new join copies no text.
        let table = Sym::from(table);
        let alias = if self.tables.iter().any(|t| t.table == table) {
            Sym::from(format!("{}{}", self.alias_prefix, self.tables.len() + 1))
        } else {
            table.clone()
        };
        let parent_outer = self
            .table(parent)
            .join
            .as_ref()
            .is_some_and(|j| j.join_type == JoinType::LeftOuter);
        let join_type = if parent_outer || nullable {
            JoinType::LeftOuter
        } else {
            JoinType::Inner
        };
        self.tables.push(Table {
            alias: alias.clone(),
            table,
            join: Some(Join {
                parent: parent.clone(),
                on: (on.0.clone(), on.1.clone()),
                join_type,
                nullable,
                restriction: None,
                extra_on: Vec::new(),
                types: None,
                filtered: None,
                extra_types: Vec::new(),
                py_restriction: None,
            }),
            refcount: 1,
        });
        alias
    }

    fn join_type(&self, alias: &str) -> Option<JoinType> {
        self.table(alias).join.as_ref().map(|j| j.join_type)
    }

    /// The position of `alias` in the alias map.
    fn index_of(&self, alias: &str) -> usize {
        self.tables
            .iter()
            .position(|t| t.alias == alias)
            .expect("alias exists in the alias map")
    }

    /// Django's `promote_joins`: make nullable joins (and joins hanging off them) LEFT OUTER.
    pub fn promote_joins(&mut self, aliases: &[Sym]) {
        let mut todo: Vec<usize> = aliases.iter().map(|a| self.index_of(a)).collect();
        let mut next = 0;
        while next < todo.len() {
            let at = todo[next];
            next += 1;
            let Some(join) = &self.tables[at].join else {
                continue;
            };
            let parent_louter = self.join_type(&join.parent) == Some(JoinType::LeftOuter);
            if (join.nullable || parent_louter) && join.join_type != JoinType::LeftOuter {
                if let Some(j) = self.tables[at].join.as_mut() {
                    j.join_type = JoinType::LeftOuter;
                }
                let alias = &self.tables[at].alias;
                for (k, t) in self.tables.iter().enumerate() {
                    if t.join.as_ref().is_some_and(|j| j.parent == *alias)
                        && !todo[next..].contains(&k)
                    {
                        todo.push(k);
                    }
                }
            }
        }
    }

    /// Django's `demote_joins`: make LEFT OUTER joins INNER (Django also queues their INNER
    /// parents, which that leaves as they are).
    pub fn demote_joins(&mut self, aliases: &[Sym]) {
        for alias in aliases {
            if let Some(j) = self.table_mut(alias).join.as_mut()
                && j.join_type == JoinType::LeftOuter
            {
                j.join_type = JoinType::Inner;
            }
        }
    }

    /// Aliases whose join is INNER.
    pub fn inner_aliases(&self) -> Vec<Sym> {
        self.tables
            .iter()
            .filter(|t| {
                t.join
                    .as_ref()
                    .is_some_and(|j| j.join_type == JoinType::Inner)
            })
            .map(|t| t.alias.clone())
            .collect()
    }

    /// Django's `set_limits`, slicing a possibly already sliced query.
    /// `qs.union(*others, all=...)` and siblings (Django's `_combinator_query`): a clone
    /// without ordering or limits, combining this query with the others.
    pub fn combine(&self, combinator: Combinator, all: bool, others: Vec<Query>) -> Query {
        // Django 6's `_combinator_query`: the combination keeps the default ordering; the
        // first query stays as it is, the others lose their explicit ordering.
        let mut q = self.clone();
        q.clear_ordering(true, true);
        q.default_ordering = true;
        q.low_mark = 0;
        q.high_mark = None;
        let others = others.into_iter().map(|mut o| {
            o.clear_ordering(false, false);
            o
        });
        q.combined = std::iter::once(self.clone()).chain(others).collect();
        q.combinator = Some((combinator, all));
        q
    }

    pub fn set_limits(&mut self, low: Option<usize>, high: Option<usize>) {
        if let Some(high) = high {
            self.high_mark = Some(match self.high_mark {
                Some(h) => h.min(self.low_mark + high),
                None => self.low_mark + high,
            });
        }
        if let Some(low) = low {
            self.low_mark = match self.high_mark {
                Some(h) => h.min(self.low_mark + low),
                None => self.low_mark + low,
            };
        }
        if Some(self.low_mark) == self.high_mark {
            self.set_empty();
        }
    }

    pub fn is_sliced(&self) -> bool {
        self.low_mark != 0 || self.high_mark.is_some()
    }

    pub fn set_empty(&mut self) {
        self.where_.add(WhereNode::Nothing, expr::Connector::And);
    }

    pub fn is_empty(&self) -> bool {
        matches!(&self.where_, WhereNode::Node { children, .. } if children.iter().any(|c| matches!(c, WhereNode::Nothing)))
    }

    /// Django's `clear_ordering`: with `force`, even a sliced query (or one with DISTINCT ON
    /// fields, which need their ordering) loses its ordering.
    pub fn clear_ordering(&mut self, force: bool, clear_default: bool) {
        if !force && (self.is_sliced() || !self.distinct_fields.is_empty()) {
            return;
        }
        self.order_by.clear();
        if clear_default {
            self.default_ordering = false;
        }
        // Combined queries kept their default ordering when combined; clearing it
        // percolates.
        for q in &mut self.combined {
            q.clear_ordering(false, clear_default);
        }
    }

    /// Whether the queryset is ordered (`QuerySet.ordered`).
    pub fn ordered(&self, schema: &Schema) -> bool {
        self.is_empty()
            || !self.order_by.is_empty()
            // A default ordering doesn't affect GROUP BY queries.
            || (self.default_ordering
                && !schema.model(self.model).ordering.is_empty()
                && self.group_by == GroupBy::None)
    }

    /// Check a slice can still be filtered/ordered (`can_filter`).
    pub fn check_can_filter(&self, what: &str) -> Result<()> {
        if self.is_sliced() {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!("Cannot {what} a query once a slice has been taken."),
            ));
        }
        Ok(())
    }

    /// Forward-FK prefetch filter: `("target"."id") IN ((?), (?), ...)`.
    pub fn add_prefetch_tuple_in(
        &mut self,
        schema: &Schema,
        to_field: usize,
        values: Vec<crate::value::Value>,
    ) {
        let base = self.base_alias().clone();
        self.ref_alias(&base);
        let col = path::col(schema, (self.model, to_field), &base);
        self.where_.add(
            WhereNode::Lookup(Box::new(Lookup {
                lhs: Expr::Col(col),
                kind: LookupKind::In,
                rhs: Rhs::Tuples(values),
            })),
            expr::Connector::And,
        );
    }

    /// Many-to-many prefetch: select the through table's link column first, as
    /// `("through"."x_id") AS "_prefetch_related_val_x_id"`, taken from the last filter (each
    /// column of a row value, through `ForeignObject`s).
    pub fn add_prefetch_source(&mut self, _schema: &Schema, _side: usize) {
        let mut last = &self.where_;
        while let WhereNode::Node { children, .. } = last {
            let Some(child) = children.last() else {
                return;
            };
            last = child;
        }
        let WhereNode::Lookup(l) = last else {
            return;
        };
        let cols = match &l.lhs {
            Expr::Tuple(items) => items.as_slice(),
            one => std::slice::from_ref(one),
        };
        let items: Vec<SelectItem> = (cols.iter())
            .filter_map(|e| match e {
                Expr::Col(c) => Some(SelectItem {
                    name: format!("_prefetch_related_val_{}", c.column),
                    expr: Expr::Parens(Box::new(e.clone())),
                    aliased: true,
                }),
                _ => None,
            })
            .collect();
        self.extra_select.extend(items);
    }

    /// `("through"."column") AS "name"` selected first, the column taken from the filter on
    /// it (django-taggit's prefetch: `extra(select={"_prefetch_related_val": ...})`).
    pub fn add_prefetch_column(&mut self, name: &str, column: &str) {
        let WhereNode::Node { children, .. } = &self.where_ else {
            return;
        };
        let found = children.iter().find_map(|c| match c {
            WhereNode::Lookup(l) => match &l.lhs {
                Expr::Col(c) if c.column == column => Some(l.lhs.clone()),
                _ => None,
            },
            _ => None,
        });
        if let Some(col) = found {
            self.extra_select.push(SelectItem {
                name: name.to_string(),
                expr: Expr::Parens(Box::new(col)),
                aliased: true,
            });
        }
    }

    /// Rename aliases (Django's `change_aliases`) — used when nesting as a subquery.
    pub fn change_aliases(&mut self, map: &[(Sym, Sym)]) {
        let rename = |a: &Sym| -> Sym {
            map.iter()
                .find(|(from, _)| from == a)
                .map_or_else(|| a.clone(), |(_, to)| to.clone())
        };
        self.relabel_all(&rename);
    }

    /// The query an UPDATE or DELETE runs: this one when it reads only its own table, else
    /// `pk IN (SELECT pk ...)` over it (Django's `SQLUpdateCompiler.pre_sql_setup` and
    /// `SQLDeleteCompiler.as_sql`).
    pub fn for_write(&self, schema: &Schema) -> Result<Query> {
        self.clone().into_for_write(schema)
    }

    /// [`Query::for_write`] taking this query (no copy of it).
    pub fn into_for_write(self, schema: &Schema) -> Result<Query> {
        let model = self.model;
        let mut q = self;
        q.select_related = SelectRelated::None;
        q.clear_ordering(true, true);
        q.select.clear();
        q.default_cols = true;
        q.annotations.clear();
        q.low_mark = 0;
        q.high_mark = None;
        if q.tables.iter().filter(|t| t.refcount > 0).count() <= 1 {
            return Ok(q);
        }
        q.default_cols = false;
        let mut outer = Query::new(schema, model);
        let pk_in = filter::QNode::leaf("pk__in", filter::Operand::Query(Box::new(q)));
        outer.add_q(schema, &pk_in)?;
        Ok(outer)
    }

    /// Django's `bump_prefix`: when this (inner) query's prefix is the outer one's, take the
    /// first prefix letter not used by this query or its own subqueries, and relabel the
    /// aliases in use with it (`U0`, `U1`, ...).
    pub fn bump_prefix(&mut self, outer: &mut Query) {
        if self.alias_prefix != outer.alias_prefix {
            return;
        }
        let next = (self.alias_prefix..='Z')
            .find(|&p| self.subq_aliases & letter_bit(p) == 0)
            .unwrap_or('U');
        self.subq_aliases |= letter_bit(next);
        outer.subq_aliases |= self.subq_aliases;
        self.alias_prefix = next;
        // Django relabels the aliases already in its alias map, which stays empty until
        // something references the base table (a filter, `values()`, an annotation): a bare
        // `Book.objects.order_by('-id')[:2]` keeps its table's name, and joins its compiler
        // adds later take the new prefix.
        if self.tables.len() == 1 && self.tables[0].refcount == 0 {
            return;
        }
        let map: Vec<(Sym, Sym)> = self
            .tables
            .iter()
            .enumerate()
            .map(|(i, t)| (t.alias.clone(), Sym::from(format!("{next}{i}"))))
            .collect();
        self.change_aliases(&map);
    }
}

/// The bit of prefix letter `c` (`'A'..='Z'`) in [`Query::subq_aliases`].
fn letter_bit(c: char) -> u32 {
    1 << (c as u32 - 'A' as u32)
}
