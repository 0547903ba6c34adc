//! QuerySet and Manager methods: each builds a new query (Django's chaining) or evaluates one.

use super::Session;
use super::obj::{DjangoObj, Instance, make};
use super::obj::{QsKind, QuerySet};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Args;
use crate::py::Obj;
use crate::query::path::PathError;
use crate::query::{FExpr, Operand, OrderSpec, QNode, SelectItem, SelectRelated};
use crate::schema::FieldRef;
use crate::syntax::ast::{Expr, ExprKind};
use crate::value::Value;
use std::rc::Rc;

/// [`METHODS`] and [`is_method`] from one list of names.
macro_rules! methods {
    ($($name:literal,)*) => {
        /// Methods a QuerySet (and a Manager) answers to.
        pub const METHODS: &[&str] = &[$($name),*];

        /// Whether `name` is one of [`METHODS`]: a `match`, as every method call asks.
        pub fn is_method(name: &str) -> bool {
            matches!(name, $($name)|*)
        }
    };
}

methods! {
    "all",
    "filter",
    "exclude",
    "get",
    "first",
    "last",
    "count",
    "exists",
    "order_by",
    "reverse",
    "distinct",
    "values",
    "values_list",
    "none",
    "select_related",
    "prefetch_related",
    "only",
    "defer",
    "iterator",
    "annotate",
    "aggregate",
    "alias",
    "create",
    "update",
    "delete",
    "get_or_create",
    "update_or_create",
    "bulk_create",
    "bulk_update",
    "latest",
    "earliest",
    "in_bulk",
    "explain",
    "union",
    "intersection",
    "difference",
    "dates",
    "datetimes",
    "extra",
    "using",
    "fetch_mode",
    "complex_filter",
    "contains",
    "select_for_update",
    "raw",
}

/// QuerySet methods a Manager does not have (Django's `queryset_only`): `Book.objects.delete()`
/// is an AttributeError, so that no one deletes a whole table by accident.
pub const QUERYSET_ONLY: &[&str] = &["delete"];

/// What a QuerySet method returns, as far as completion after the call cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// A new queryset of the same model (chaining).
    QuerySet,
    /// One model instance (`get`, `first`, `create`, ...).
    Instance,
    /// Anything else: a number, a dict, a tuple, nothing.
    Other,
}

/// What `qs.name(...)` returns, for a name in [`METHODS`].
pub fn returns(name: &str) -> Returns {
    match name {
        "all" | "filter" | "exclude" | "order_by" | "reverse" | "distinct" | "values"
        | "values_list" | "none" | "select_related" | "prefetch_related" | "only" | "defer"
        | "annotate" | "alias" | "union" | "intersection" | "difference" | "extra" | "using"
        | "fetch_mode" | "complex_filter" | "select_for_update" => Returns::QuerySet,
        "get" | "first" | "last" | "create" | "latest" | "earliest" => Returns::Instance,
        _ => Returns::Other,
    }
}

/// Python's arity error for the methods that take no argument but `self`, as Django raises
/// it: `QuerySet.count() takes 1 positional argument but 2 were given`.
fn takes_no_arguments(name: &str, args: &Args) -> Result<()> {
    if !matches!(
        name,
        "all" | "first" | "last" | "count" | "exists" | "reverse" | "none"
    ) {
        return Ok(());
    }
    let owner = if name == "all" {
        "BaseManager"
    } else {
        "QuerySet"
    };
    if let Some((_, _, s)) = args.kw.first() {
        let key = &args.kw[0].0;
        return Err(type_error(
            &format!("{owner}.{name}() got an unexpected keyword argument '{key}'"),
            *s,
        ));
    }
    match args.pos.first() {
        Some((_, s)) => Err(type_error(
            &format!(
                "{owner}.{name}() takes 1 positional argument but {} were given",
                args.pos.len() + 1
            ),
            *s,
        )),
        None => Ok(()),
    }
}

/// `using(alias)`: djq has one connection, `default` (`None` is the router's choice, the
/// same one); another alias is Django's `ConnectionDoesNotExist`.
fn using_alias(args: &Args) -> Result<()> {
    let span = args.span;
    let alias = match (args.pos.first(), args.kwarg("alias")) {
        (Some((o, _)), None) | (None, Some(o)) => o.clone(),
        _ => {
            return Err(type_error(
                "QuerySet.using() missing 1 required positional argument: 'alias'",
                span,
            ));
        }
    };
    match alias {
        Obj::Value(Value::Null) => Ok(()),
        Obj::Value(Value::Text(a)) if &*a == "default" => Ok(()),
        Obj::Value(Value::Text(a)) => Err(Diagnostic::new(
            ErrorKind::Python("ConnectionDoesNotExist".into()),
            format!("The connection '{a}' doesn't exist."),
        )
        .at(span)),
        other => Err(type_error(
            &format!("attribute name must be string, not '{}'", other.type_name()),
            span,
        )),
    }
}

/// Django's `MAX_GET_RESULTS`.
const MAX_GET_RESULTS: usize = 21;

/// The rows `iterator()` fetches at a time when not told (Django's `GET_ITERATOR_CHUNK_SIZE`).
const ITERATOR_CHUNK_SIZE: usize = 2000;

/// `iterator(chunk_size=None)`'s chunk size, checked as Django checks it: prefetching needs
/// one (the objects of each chunk are prefetched together).
fn iterator_chunk_size(qs: &QuerySet, args: &Args) -> Result<usize> {
    args.no_kwargs_except(&["chunk_size"], "iterator")?;
    let given = args
        .pos
        .first()
        .map(|(o, _)| o)
        .or(args.kwarg("chunk_size"));
    let value_error = |message: &str| Err(Diagnostic::new(ErrorKind::Value, message).at(args.span));
    match given {
        None | Some(Obj::Value(Value::Null)) if !qs.prefetch.is_empty() => value_error(
            "chunk_size must be provided when using QuerySet.iterator() after prefetch_related().",
        ),
        None | Some(Obj::Value(Value::Null)) => Ok(ITERATOR_CHUNK_SIZE),
        Some(Obj::Value(Value::Int(n))) if *n > 0 => Ok(usize::try_from(*n).unwrap_or(usize::MAX)),
        Some(Obj::Value(Value::Int(_))) => value_error("Chunk size must be strictly positive."),
        Some(other) => Err(Diagnostic::new(
            ErrorKind::Type,
            format!(
                "'<=' not supported between instances of '{}' and 'int'",
                other.type_name()
            ),
        )
        .at(args.span)),
    }
}

impl Session {
    /// `qs.name(args)`. `source` is the queryset called on: chaining methods work on a
    /// clone (which starts unevaluated), `count()`, `exists()` and `first()` read its
    /// result cache when it was evaluated, as Django's do.
    pub(super) fn queryset_method(
        &mut self,
        mut source: Rc<QuerySet>,
        name: &str,
        args: Args,
    ) -> Result<Obj> {
        let span = args.span;
        takes_no_arguments(name, &args)?;
        if let Some(link) = source.related.clone()
            && let Some(result) = self.related_method(&link, &source, name, &args)
        {
            return result;
        }
        let cached = source.cache.get();
        // A related manager filled by prefetch_related(): `.all()` is its queryset.
        if name == "all" && source.cache.is_prefetched() {
            return Ok(make::shared_queryset(source));
        }
        let qs = chained(&mut source);
        // What a related manager's methods return is a plain queryset.
        qs.related = None;
        // Django's `_not_support_combined_queries`.
        if let Some((c, _)) = qs.query.combinator
            && matches!(
                name,
                "select_related"
                    | "prefetch_related"
                    | "annotate"
                    | "alias"
                    | "distinct"
                    | "defer"
                    | "only"
            )
        {
            let op = format!("{c:?}").to_lowercase();
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!("Calling QuerySet.{name}() after {op}() is not supported."),
            )
            .at(span));
        }
        if qs.kind != QsKind::Instances && matches!(name, "select_related" | "defer" | "only") {
            return Err(type_error(
                &format!("Cannot call {name}() after .values() or .values_list()"),
                span,
            ));
        }
        let schema = &self.host.schema;
        match name {
            "all" => Ok(wrap(source)),
            "iterator" => {
                qs.chunk_size = Some(iterator_chunk_size(qs, &args)?);
                Ok(wrap(source))
            }
            "filter" | "exclude" => {
                self.apply_filter(qs, name == "exclude", args)?;
                Ok(wrap(source))
            }
            "select_for_update" => {
                self.select_for_update(qs, &args)?;
                Ok(wrap(source))
            }
            "complex_filter" => {
                self.complex_filter(qs, &args)?;
                Ok(wrap(source))
            }
            "contains" => Ok(Obj::bool(self.contains(
                qs.clone(),
                cached.as_deref().map(|v| &v[..]),
                &args,
            )?)),
            "get" => self.get(Rc::unwrap_or_clone(source), args),
            "first" | "last" => {
                // Django's first() takes `self[:1]` (last() reversed) of an ordered queryset,
                // or of one whose ordering order_by() cleared: its cache if any.
                let ordered = qs.query.ordered(schema) || !qs.query.default_ordering;
                if let (true, "first", Some(items)) = (ordered, name, &cached) {
                    return Ok(items.first().cloned().unwrap_or(Obj::NONE));
                }
                let sliced = |what: &str| {
                    let message = format!("Cannot {what} a query once a slice has been taken.");
                    Err(type_error(&message, span))
                };
                if name == "last" && ordered {
                    if qs.query.is_sliced() {
                        return sliced("reverse");
                    }
                    qs.query.standard_ordering = !qs.query.standard_ordering;
                } else if !ordered {
                    (qs.query.check_first_last_grouping(schema, name)).map_err(|d| d.at(span))?;
                    if qs.query.is_sliced() {
                        return sliced("reorder");
                    }
                    let by = if name == "first" { "pk" } else { "-pk" };
                    qs.query.clear_ordering(true, false);
                    qs.query.order_by.push(OrderSpec::Name {
                        name: by.into(),
                        span,
                    });
                }
                qs.query.set_limits(None, Some(1));
                Ok(self
                    .fetch_all(qs)
                    .map_err(|d| d.at(span))?
                    .into_iter()
                    .next()
                    .unwrap_or(Obj::NONE))
            }
            "count" => Ok(Obj::int(match cached {
                Some(items) => items.len() as i64,
                None => self.count(qs).map_err(|d| d.at(span))?,
            })),
            "exists" => Ok(Obj::bool(match cached {
                Some(items) => !items.is_empty(),
                None => self.exists(qs).map_err(|d| d.at(span))?,
            })),
            "order_by" => {
                if qs.query.is_sliced() {
                    return Err(type_error(
                        "Cannot reorder a query once a slice has been taken.",
                        span,
                    ));
                }
                qs.query.clear_ordering(true, false);
                let specs = self.order_specs(qs, args.pos)?;
                if specs.is_empty() {
                    qs.query.default_ordering = false;
                }
                // The ordering was cleared: the new one is taken as it is, not copied.
                qs.query.order_by = specs;
                Ok(wrap(source))
            }
            "latest" | "earliest" => {
                // Django's `_earliest()`: order by the fields only (reversed for latest()),
                // one row, then get().
                if qs.query.is_sliced() {
                    return Err(type_error(
                        "Cannot change a query once a slice has been taken.",
                        span,
                    ));
                }
                let specs = if args.pos.is_empty() {
                    let by = &self.host.schema.model(qs.query.model).get_latest_by;
                    if by.is_empty() {
                        return Err(Diagnostic::new(
                            ErrorKind::Value,
                            "earliest() and latest() require either fields as positional arguments or 'get_latest_by' in the model's Meta.",
                        )
                        .at(span));
                    }
                    by.iter()
                        .map(|n| OrderSpec::Name {
                            name: n.clone(),
                            span,
                        })
                        .collect()
                } else {
                    self.order_specs(qs, args.pos)?
                };
                if name == "latest" {
                    qs.query.standard_ordering = !qs.query.standard_ordering;
                }
                qs.query.clear_ordering(true, true);
                qs.query.order_by.extend(specs);
                qs.query.set_limits(None, Some(1));
                let no_filter = Args {
                    pos: Vec::new(),
                    kw: Vec::new(),
                    span,
                };
                self.get(Rc::unwrap_or_clone(source), no_filter)
            }
            "reverse" => {
                if qs.query.is_sliced() {
                    return Err(type_error(
                        "Cannot reverse a query once a slice has been taken.",
                        span,
                    ));
                }
                qs.query.standard_ordering = !qs.query.standard_ordering;
                Ok(wrap(source))
            }
            "distinct" => {
                if qs.query.is_sliced() {
                    return Err(type_error(
                        "Cannot create distinct fields once a slice has been taken.",
                        span,
                    ));
                }
                // Field names make PostgreSQL's DISTINCT ON (SQLite refuses them when compiled).
                qs.query.distinct_fields =
                    args.strings(name)?.into_iter().map(|(s, _)| s).collect();
                qs.query.distinct = true;
                Ok(wrap(source))
            }
            "values" | "values_list" => {
                let mut fields;
                if name == "values" {
                    fields = args.strings(name)?;
                    // values(**expressions): annotate them, then select them by name.
                    for (key, o, s) in &args.kw {
                        let Some(f) = o.f() else {
                            return Err(type_error(
                                &format!("QuerySet.values() received non-expression(s): {key}."),
                                *s,
                            ));
                        };
                        qs.query
                            .add_annotation(&self.host.schema, key, f, true)
                            .map_err(|d| d.at(*s))?;
                        qs.query.group_for_aggregate();
                        fields.push((key.clone(), *s));
                    }
                    // A name given again is selected once, where it was first given (Django's
                    // values() keys).
                    let mut i = 0;
                    while i < fields.len() {
                        if fields[..i].iter().any(|(f, _)| *f == fields[i].0) {
                            fields.remove(i);
                        } else {
                            i += 1;
                        }
                    }
                    qs.kind = QsKind::Values;
                } else {
                    args.no_kwargs_except(&["flat", "named"], name)?;
                    let flag =
                        |k: &str| matches!(args.kwarg(k), Some(Obj::Value(Value::Bool(true))));
                    let (flat, named) = (flag("flat"), flag("named"));
                    if flat && named {
                        return Err(type_error(
                            "'flat' and 'named' can't be used together.",
                            span,
                        ));
                    }
                    if flat && args.pos.len() > 1 {
                        return Err(type_error(
                            "'flat' is not valid when values_list is called with more than one field.",
                            span,
                        ));
                    }
                    fields = self.values_list_fields(qs, &args)?;
                    // Django's deprecated `values_list(flat=True)`: the first concrete field.
                    if flat && fields.is_empty() {
                        let schema = &self.host.schema;
                        let first = schema.concrete_fields(qs.query.model).first().copied();
                        if let Some((m, i)) = first {
                            fields.push((schema.model(m).fields[i].attname(), span));
                        }
                    }
                    qs.kind = QsKind::ValuesList { flat, named };
                }
                self.set_values(qs, &fields)?;
                Ok(wrap(source))
            }
            "none" => {
                qs.query.set_empty();
                Ok(wrap(source))
            }
            "select_related" => {
                let fields = self.optional_names(&args, name)?;
                qs.query.select_related = match (fields, &qs.query.select_related) {
                    (None, _) => SelectRelated::None,
                    (Some(f), _) if f.is_empty() => SelectRelated::All,
                    (Some(f), SelectRelated::Paths(old)) => {
                        SelectRelated::Paths([old.clone(), f].concat())
                    }
                    (Some(f), _) => SelectRelated::Paths(f),
                };
                Ok(wrap(source))
            }
            "prefetch_related" => {
                if args.pos.len() == 1 && args.pos[0].0.is_none() {
                    qs.prefetch.clear();
                } else {
                    let lookups = self.prefetch_lookups(&args)?;
                    let names = lookups.iter().map(|p| p.to.as_str());
                    super::filtered_relation::refuse_filtered(&qs.query, names, name)
                        .map_err(|d| d.at(span))?;
                    qs.prefetch.extend(lookups);
                }
                Ok(wrap(source))
            }
            "only" | "defer" => {
                let fields = self.optional_names(&args, name)?;
                let q = &mut qs.query;
                match (name, fields) {
                    ("only", None) => {
                        return Err(type_error(
                            "Cannot pass None as an argument to only().",
                            span,
                        ));
                    }
                    (_, None) => q.deferred.clear(),
                    ("defer", Some(f)) => {
                        if q.defer_mode {
                            q.deferred.extend(f);
                        } else if q.deferred.iter().any(|d| !f.contains(d)) {
                            q.deferred.retain(|d| !f.contains(d));
                        } else {
                            // Every only() name deferred again: what is left to defer are the
                            // names only() did not give (Django's add_deferred_loading).
                            let only = std::mem::take(&mut q.deferred);
                            q.defer_mode = true;
                            q.deferred = f.into_iter().filter(|n| !only.contains(n)).collect();
                        }
                    }
                    (_, Some(f)) => {
                        let names = f.iter().map(String::as_str);
                        super::filtered_relation::refuse_filtered(q, names, name)
                            .map_err(|d| d.at(span))?;
                        let pk = self.host.schema.model(q.model).pk_field().name.clone();
                        let f: Vec<String> = f
                            .into_iter()
                            .map(|n| if n == "pk" { pk.clone() } else { n })
                            .collect();
                        q.deferred = if q.defer_mode {
                            f.into_iter().filter(|n| !q.deferred.contains(n)).collect()
                        } else {
                            f
                        };
                        q.defer_mode = false;
                    }
                }
                self.check_deferred(&qs.query).map_err(|d| d.at(span))?;
                Ok(wrap(source))
            }
            "in_bulk" => self.in_bulk(Rc::unwrap_or_clone(source), &args),
            "raw" => self.raw(qs.query.model, &args),
            "explain" => self.explain_queryset(qs, &args),
            "dates" | "datetimes" => {
                self.dates(Rc::unwrap_or_clone(source), name == "datetimes", &args)
            }
            "using" => {
                using_alias(&args)?;
                Ok(wrap(source))
            }
            "fetch_mode" => {
                qs.fetch_mode = super::obj::FetchMode::of_args(&args)?;
                Ok(wrap(source))
            }
            "union" | "intersection" | "difference" => {
                let allowed: &[&str] = if name == "union" { &["all"] } else { &[] };
                args.no_kwargs_except(allowed, name)?;
                let mut others = Vec::new();
                for (o, s) in &args.pos {
                    match o {
                        o if let Some(other) = o.queryset() => others.push(other.query.clone()),
                        o if o.manager().is_some() => {
                            others.push(Rc::unwrap_or_clone(self.get_queryset(o)?).query)
                        }
                        other => {
                            return Err(type_error(
                                &format!("'{}' object is not a QuerySet", other.type_name()),
                                *s,
                            ));
                        }
                    }
                }
                // Django's union() of nothing else is the queryset itself.
                if name == "union" && others.is_empty() {
                    return Ok(wrap(source));
                }
                let all = matches!(args.kwarg("all"), Some(Obj::Value(Value::Bool(true))));
                let combinator = crate::query::Combinator::from_name(name).expect("matched above");
                qs.query = qs.query.combine(combinator, all, others);
                Ok(wrap(source))
            }
            "extra" => {
                self.extra(qs, &args)?;
                Ok(wrap(source))
            }
            "annotate" | "alias" => {
                self.annotate(qs, &args, name == "annotate")?;
                Ok(wrap(source))
            }
            "aggregate" => self.aggregate(qs, &args),
            "create" => self.create(qs.query.model, &args),
            "bulk_create" => self.bulk_create(qs.query.model, &args),
            "bulk_update" => self.bulk_update(qs.query.model, &args),
            "update" => self.update_queryset(qs, &args),
            "delete" => self.delete_queryset(qs, &args),
            "get_or_create" => self.get_or_create(Rc::unwrap_or_clone(source), &args),
            "update_or_create" => self.update_or_create(Rc::unwrap_or_clone(source), &args),
            other => Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!("QuerySet.{other}() is not supported by djq yet"),
            )
            .at(span)),
        }
    }

    /// `order_by()` arguments: field paths (`-` for descending, `?` for random), checked,
    /// and taken (a name is not copied).
    fn order_specs(&mut self, qs: &mut QuerySet, pos: Vec<(Obj, Span)>) -> Result<Vec<OrderSpec>> {
        let mut specs = Vec::with_capacity(pos.len());
        for (o, s) in pos {
            match o {
                Obj::Value(Value::Text(n)) => {
                    let bare = n.strip_prefix('-').unwrap_or(&n);
                    // A composite key's `pk` orders by its columns (the query expands it).
                    let composite = qs.query.names_composite_pk(&self.host.schema, bare);
                    let named = qs.query.annotation(bare).or_else(|| qs.query.extra(bare));
                    let parts = crate::query::path::NameList::new(bare);
                    // Django's names_to_path starts from an annotation's output field too
                    // (`order_by('data__key')`); the transforms resolve at compile time.
                    let on_annotation = qs.query.annotation(parts[0]).is_some();
                    if n != "?" && !composite && named.is_none() && !on_annotation {
                        crate::query::filtered_relation::names_to_path(
                            &self.host.schema,
                            &qs.query.filtered_relations,
                            &parts[..],
                            qs.query.model,
                            true,
                            false,
                        )
                        .map_err(|e| {
                            (qs.query)
                                .with_annotation_choices(&self.host.schema, bare, path_error(e))
                                .at(s)
                        })?;
                    }
                    specs.push(OrderSpec::Name { name: n, span: s });
                }
                ref o if let Some(f) = o.f() => specs.push(
                    qs.query
                        .order_spec(&self.host.schema, f)
                        .map_err(|d| d.at(s))?,
                ),
                other => {
                    return Err(Diagnostic::field(format!(
                        "Invalid order_by arguments: [{}]",
                        self.repr(&other)?
                    ))
                    .at(s));
                }
            }
        }
        Ok(specs)
    }

    pub(super) fn apply_filter(
        &mut self,
        qs: &mut QuerySet,
        exclude: bool,
        args: Args,
    ) -> Result<()> {
        if let Some((c, _)) = qs.query.combinator {
            let method = if exclude { "exclude" } else { "filter" };
            let op = format!("{c:?}").to_lowercase();
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!("Calling QuerySet.{method}() after {op}() is not supported."),
            )
            .at(args.span));
        }
        if (!args.pos.is_empty() || !args.kw.is_empty()) && qs.query.is_sliced() {
            return Err(type_error(
                "Cannot filter a query once a slice has been taken.",
                args.span,
            ));
        }
        super::functions::refuse_dict_filter(&args)?;
        let Args { pos, kw, span } = args;
        let children = super::functions::q_children(pos, |t| {
            format!("Cannot filter against a non-conditional expression ({t}).")
        })?;
        if qs.blame.is_none() {
            qs.blame = (kw.iter())
                .find(|(_, o, _)| o.f().is_some_and(FExpr::contains_aggregate))
                .map(|(.., s)| *s);
        }
        let kw = self.leaves(kw)?;
        let node = QNode::new(children, kw);
        let node = if exclude { node.negate() } else { node };
        qs.query
            .add_q(&self.host.schema, &node)
            .map_err(|d| d.at(span))
    }

    pub(super) fn get(&mut self, mut qs: QuerySet, args: Args) -> Result<Obj> {
        let span = args.span;
        if let Some((c, _)) = qs.query.combinator {
            // Django's get() on a combined query: no filters, the combined rows.
            if !args.pos.is_empty() || !args.kw.is_empty() {
                let op = format!("{c:?}").to_lowercase();
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "Calling QuerySet.get(...) with filters after {op}() is not supported."
                    ),
                )
                .at(span));
            }
        } else {
            self.apply_filter(&mut qs, false, args)?;
        }
        if qs.query.combinator.is_some() && !qs.query.is_sliced() {
            // Django's `order_by()` of the combined query: its own ordering only (the
            // combined queries keep theirs).
            qs.query.order_by.clear();
            qs.query.default_ordering = false;
        } else if !qs.query.is_sliced() && qs.query.distinct_fields.is_empty() {
            // Django's get() keeps the ordering DISTINCT ON fields pick their row by.
            qs.query.clear_ordering(true, true);
        }
        qs.query.set_limits(None, Some(MAX_GET_RESULTS));
        let rows = self.fetch_all(&qs).map_err(|d| d.at(span))?;
        if self.host.opts.sql_only {
            return Ok(Obj::NONE);
        }
        let model = self.host.schema.model(qs.query.model).name.clone();
        match rows.len() {
            1 => Ok(rows.into_iter().next().expect("one row")),
            0 => Err(Diagnostic::new(
                ErrorKind::DoesNotExist(model.clone()),
                format!("{model} matching query does not exist."),
            )
            .at(span)),
            n => {
                let count = if n < MAX_GET_RESULTS {
                    n.to_string()
                } else {
                    format!("more than {}", MAX_GET_RESULTS - 1)
                };
                Err(Diagnostic::new(
                    ErrorKind::MultipleObjectsReturned(model.clone()),
                    format!("get() returned more than one {model} -- it returned {count}!"),
                )
                .at(span))
            }
        }
    }

    /// `values()`/`values_list()` columns (Django's `add_fields`).
    fn set_values(&mut self, qs: &mut QuerySet, fields: &[(String, Span)]) -> Result<()> {
        self.set_query_values(&mut qs.query, fields)
    }

    /// [`Session::set_values`] on a query; the queries of a combination that select
    /// everything get the same columns (Django's `_get_combinator_part_sql`).
    pub(super) fn set_query_values(
        &mut self,
        q: &mut crate::query::Query,
        fields: &[(String, Span)],
    ) -> Result<()> {
        // values() loads every field it names: only()/defer() no longer apply (Django's
        // set_values clears the deferred loading).
        q.deferred.clear();
        q.defer_mode = true;
        if fields.is_empty() {
            // Grouping by the model's columns becomes grouping by its fields (Django's
            // set_values), which puts extra(select=...) entries after them.
            if q.group_by == crate::query::GroupBy::All && !q.extra_select.is_empty() {
                q.group_by =
                    crate::query::GroupBy::Exprs(q.concrete_field_exprs(&self.host.schema)?);
            }
            return self.select_concrete_fields(q);
        }
        for part in &mut q.combined {
            if part.default_cols {
                self.set_query_values(part, fields)?;
            }
        }
        let base = q.base_alias().clone();
        q.ref_alias(&base);
        // Grouping by a model queryset's columns stays (Django's set_values turns
        // group_by=True into the model's columns before the select changes).
        if q.group_by == crate::query::GroupBy::All {
            q.group_by = crate::query::GroupBy::Exprs(q.concrete_field_exprs(&self.host.schema)?);
        }
        // Annotations named in values() are selected where they are named; the others are
        // no longer selected (Django's annotation mask).
        let annotations = std::mem::take(&mut q.annotations);
        // Annotations a previous values() selected are still selected (Django's annotation
        // mask).
        let selected: Vec<_> = (q.select.iter())
            .filter(|s| q.hidden_annotations.iter().any(|a| a.name == s.name))
            .cloned()
            .collect();
        let mut select = Vec::with_capacity(fields.len());
        for (name, span) in fields {
            if let Some(a) = annotations
                .iter()
                .chain(&selected)
                .find(|a| a.name == *name)
            {
                select.push(a.clone());
                continue;
            }
            // An extra(select=...) entry is selected where it is named.
            if let Some(raw) = q.extra(name) {
                select.push(SelectItem {
                    name: name.clone(),
                    expr: raw.clone(),
                    aliased: true,
                });
                continue;
            }
            // A composite key's `pk`, a ForeignObject and a reverse relation from a model
            // keyed by several fields select each of their columns, unaliased; the rows hold
            // them as one tuple (Django's `ColPairs`).
            if let Some(cols) =
                (q.multi_column_cols(&self.host.schema, name)).map_err(|d| d.at(*span))?
            {
                select.extend(cols.into_iter().map(|expr| SelectItem {
                    name: name.clone(),
                    expr,
                    aliased: false,
                }));
                continue;
            }
            if q.hidden_annotations.iter().any(|a| a.name == *name) {
                return Err(
                    Diagnostic::field(if annotations.is_empty() && selected.is_empty() {
                        format!("Cannot select the '{name}' alias. Use annotate() to promote it.")
                    } else {
                        format!(
                            "Cannot select the '{name}' alias. It was excluded by a previous \
                             values() or values_list() call. Include '{name}' in that call to \
                             select it."
                        )
                    })
                    .at(*span),
                );
            }
            let expr = q.resolve_ref(&self.host.schema, name, None).map_err(|d| {
                if name.contains("__") {
                    d.at(*span)
                } else {
                    // Django's choices name the extra(select=...) entries too, and every
                    // annotation when some are selected.
                    let mut extras: Vec<String> = q
                        .extra_select
                        .iter()
                        .chain(&q.extra_masked)
                        .map(|s| s.name.clone())
                        .chain(q.filtered_relations.iter().map(|f| f.name.to_string()))
                        .collect();
                    if !annotations.is_empty() || !selected.is_empty() {
                        extras.extend(annotations.iter().map(|a| a.name.clone()));
                        extras.extend(q.annotation_names());
                        extras.dedup();
                    }
                    crate::query::path::unknown_field(&self.host.schema, q.model, name, &extras)
                        .at(*span)
                }
            })?;
            select.push(SelectItem {
                name: name.clone(),
                expr,
                aliased: true,
            });
        }
        // All stay usable by name (filters, ordering); the named ones are selected above.
        q.hidden_annotations.extend(annotations);
        q.mask_extra_select();
        q.select = select;
        q.default_cols = false;
        Ok(())
    }

    /// `values()` with no names on a multi-table child: Django selects the attnames of
    /// `concrete_fields`, each resolved like any name (the parent's `id` is the child's link
    /// column). Other models keep their default columns, which are the same.
    fn select_concrete_fields(&mut self, q: &mut crate::query::Query) -> Result<()> {
        let schema = &self.host.schema;
        // Django's add_fields references the base table even when nothing else changes (a
        // subquery made of it then gets `U0` aliases).
        let base = q.base_alias().to_string();
        q.ref_alias(&base);
        if schema.model(q.model).parents.is_empty() || !q.default_cols {
            return Ok(());
        }
        let names = (schema.concrete_fields(q.model).into_iter())
            .map(|(m, i)| schema.model(m).fields[i].attname());
        let exprs = q.concrete_field_exprs(schema)?;
        q.select = (names.zip(exprs))
            .map(|(name, expr)| SelectItem {
                name,
                expr,
                aliased: false,
            })
            .collect();
        q.default_cols = false;
        Ok(())
    }

    /// Names for select_related/prefetch_related/only/defer; `None` for a lone `None`.
    fn optional_names(&self, args: &Args, func: &str) -> Result<Option<Vec<String>>> {
        if args.pos.len() == 1 && args.pos[0].0.is_none() {
            return Ok(None);
        }
        Ok(Some(
            args.strings(func)?.into_iter().map(|(s, _)| s).collect(),
        ))
    }

    /// `only()`/`defer()` names must be fields, followed across forward relations; a name
    /// after a field that is not a relation is a FieldError naming it (Django's
    /// `_get_defer_select_mask`/`_get_only_select_mask`, which raise when the query is
    /// compiled).
    fn check_deferred(&self, q: &crate::query::Query) -> Result<()> {
        let schema = &self.host.schema;
        for name in &q.deferred {
            let mut model = q.model;
            let mut parts = name.split("__").peekable();
            // A FilteredRelation's fields are deferred through its name.
            if let Some(first) = parts.peek()
                && schema.model(model).get_field(first).is_none()
                && q.filtered_relations.iter().any(|f| *f.name == **first)
            {
                model = q.filtered_relation_model(schema, first)?;
                parts.next();
            }
            while let Some(part) = parts.next() {
                let m = schema.model(model);
                let field = match m.get_field(part) {
                    Some(f) => Some((model, f)),
                    None => schema.inherited_field(model, part),
                };
                let Some((owner, field)) = field else {
                    return Err(Diagnostic::new(
                        ErrorKind::FieldDoesNotExist,
                        format!("{} has no field named '{part}'", m.name),
                    ));
                };
                let FieldRef::Concrete(i) = field else { break };
                match &schema.model(owner).fields[i].relation {
                    Some(fk) => model = fk.to,
                    None => match parts.next() {
                        Some(next) => return Err(Diagnostic::field(next)),
                        None => break,
                    },
                }
            }
        }
        Ok(())
    }

    /// A Python value as the right-hand side of a lookup.
    pub(super) fn operand(&mut self, o: &Obj, span: Span) -> Result<Operand> {
        Ok(match o {
            Obj::Value(v) => Operand::Value(v.clone()),
            // An enum member (`Genre.FICTION`) is its value.
            Obj::Native(n) if let Some(v) = n.value() => Operand::Value(v),
            Obj::Object(inst) if let Some(v) = &inst.value => Operand::Value(v.clone()),
            Obj::List(_) | Obj::Tuple(_) => Operand::List(
                o.items()
                    .unwrap_or_default()
                    .iter()
                    .map(|i| self.operand(i, span))
                    .collect::<Result<_>>()?,
            ),
            // A set or frozenset is its items in iteration order (Django's `In` makes an
            // `OrderedSet` of any iterable).
            Obj::Set(set) => Operand::List(
                set.to_vec()
                    .iter()
                    .map(|i| self.operand(i, span))
                    .collect::<Result<_>>()?,
            ),
            // A dict is a JSON document (`data__contains={"a": 1}`).
            Obj::Dict(_) => Operand::Value(Value::json(self.json_document(o, span)?)),
            o if let Some(f) = o.f() => Operand::F(f.clone()),
            // A Q object compared with a value is its condition (`flag=Q(...)`).
            o if let Some(q) = o.q() => Operand::F(FExpr::Condition(q.clone())),
            o if let Some(qs) = o.queryset() => Operand::Query(Box::new(qs.query.clone())),
            o if o.manager().is_some() => {
                Operand::Query(Box::new(Rc::unwrap_or_clone(self.get_queryset(o)?).query))
            }
            // A composite key's instance is its key's row value.
            o if let Some(key) = o.native::<Instance>().and_then(|i| self.composite_key(i)) => {
                Operand::values(key)
            }
            o if let Some(super::modules::QueryText(_, q)) = o.native() => {
                Operand::Query(q.clone())
            }
            o if let Some(inst) = o.native::<Instance>() => {
                let pk = &self.host.schema.model(inst.model).pk_field().attname();
                Operand::Instance(inst.model, inst.get(pk).unwrap_or(Value::Null))
            }
            other => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!(
                        "djq cannot use a '{}' object as a query value",
                        other.type_name()
                    ),
                )
                .at(span));
            }
        })
    }

    /// A dict, list or scalar as the JSON document `json.dumps` would make of it.
    pub(super) fn json_document(&mut self, o: &Obj, span: Span) -> Result<serde_json::Value> {
        Ok(match o {
            Obj::Value(v) => v.to_json(),
            Obj::List(_) | Obj::Tuple(_) => serde_json::Value::Array(
                o.items()
                    .unwrap_or_default()
                    .iter()
                    .map(|i| self.json_document(i, span))
                    .collect::<Result<_>>()?,
            ),
            Obj::Dict(pairs) => {
                let mut map = serde_json::Map::new();
                for (k, v) in pairs.borrow().clone() {
                    let key = match k {
                        Obj::Value(Value::Text(s)) => s,
                        Obj::Value(other) => other.to_json().to_string(),
                        other => {
                            return Err(type_error(
                                &format!(
                                    "keys must be str, int, float, bool or None, not {}",
                                    other.type_name()
                                ),
                                span,
                            ));
                        }
                    };
                    map.insert(key, self.json_document(&v, span)?);
                }
                serde_json::Value::Object(map)
            }
            other => {
                return Err(type_error(
                    &format!(
                        "Object of type {} is not JSON serializable",
                        other.type_name()
                    ),
                    span,
                ));
            }
        })
    }

    /// `qs[k]` and `qs[a:b]`: from the result cache when evaluated (a slice then gives a
    /// list), else a query with LIMIT/OFFSET.
    pub(super) fn queryset_subscript(
        &mut self,
        mut source: Rc<QuerySet>,
        index: &Expr,
        span: Span,
    ) -> Result<Obj> {
        let cached = source.cache.get();
        let qs = chained(&mut source);
        let int = |s: &mut Session, e: &Option<Box<Expr>>| -> Result<Option<i64>> {
            match e {
                None => Ok(None),
                Some(e) => match s.eval(e)? {
                    Obj::Value(Value::Int(i)) => Ok(Some(i)),
                    Obj::Value(Value::Null) => Ok(None),
                    other => Err(type_error(
                        &format!(
                            "QuerySet indices must be integers or slices, not {}.",
                            other.type_name()
                        ),
                        e.span,
                    )),
                },
            }
        };
        let negative = |i: Option<i64>| i.is_some_and(|v| v < 0);
        if let ExprKind::Slice { lower, upper, step } = &index.kind {
            let (lo, hi) = (int(self, lower)?, int(self, upper)?);
            if negative(lo) || negative(hi) {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    "Negative indexing is not supported.",
                )
                .at(index.span));
            }
            if let Some(items) = cached {
                let step = match step {
                    Some(e) => int(self, &Some(e.clone()))?.unwrap_or(1),
                    None => 1,
                };
                if step <= 0 {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        "slice step must be a positive integer",
                    )
                    .at(index.span));
                }
                return Ok(Obj::list(crate::py::eval::pick(&items, lo, hi, step)));
            }
            if step.is_some() {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    "slicing a QuerySet with a step is not supported by djq yet",
                )
                .at(index.span));
            }
            qs.query
                .set_limits(lo.map(|v| v as usize), hi.map(|v| v as usize));
            return Ok(wrap(source));
        }
        let k = match self.eval(index)? {
            Obj::Value(Value::Int(i)) => i,
            other => {
                return Err(type_error(
                    &format!(
                        "QuerySet indices must be integers or slices, not {}.",
                        other.type_name()
                    ),
                    index.span,
                ));
            }
        };
        if k < 0 {
            return Err(
                Diagnostic::new(ErrorKind::Value, "Negative indexing is not supported.")
                    .at(index.span),
            );
        }
        let k = k as usize;
        if let Some(items) = cached {
            return items.get(k).cloned().ok_or_else(|| {
                Diagnostic::new(ErrorKind::Index, "list index out of range").at(span)
            });
        }
        qs.query.set_limits(Some(k), Some(k + 1));
        let rows = self.fetch_all(qs).map_err(|d| d.at(span))?;
        if self.host.opts.sql_only {
            return Ok(Obj::NONE);
        }
        rows.into_iter()
            .next()
            .ok_or_else(|| Diagnostic::new(ErrorKind::Index, "list index out of range").at(span))
    }
}

fn wrap(qs: Rc<QuerySet>) -> Obj {
    make::shared_queryset(qs)
}

/// The queryset a chained method or a slice changes (Django's `_chain()`): the source itself
/// when nothing else holds it (the previous method's result, a manager's fresh queryset),
/// else a copy; its result cache and attributes emptied as a clone's are. Changed in place, a chain's
/// methods make no new allocation and copy no queryset.
fn chained(source: &mut Rc<QuerySet>) -> &mut QuerySet {
    let qs = Rc::make_mut(source);
    // Emptied only when they hold something (a chain's querysets seldom do).
    if qs.cache.is_filled() {
        qs.cache = Default::default();
    }
    if !qs.attrs.0.get_mut().is_empty() {
        qs.attrs = Default::default();
    }
    qs
}

fn type_error(msg: &str, span: Span) -> Diagnostic {
    Diagnostic::new(ErrorKind::Type, msg).at(span)
}

fn path_error(e: PathError) -> Diagnostic {
    match e {
        PathError::Field(d) => d,
        PathError::MultiJoin(_) => Diagnostic::field("multi-valued relation not allowed here"),
    }
}
