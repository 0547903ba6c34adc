//! `help()` of Django's objects: short descriptions taken from Django 6's own docstrings
//! (generated from `inspect.signature` and `inspect.getdoc` of `QuerySet`'s methods), and the
//! class a model's `help()` shows (Django's generated docstring: the model and its fields).

/// `(method, signature, first paragraph of its docstring)` of `QuerySet`'s methods.
pub const QUERYSET_DOCS: &[(&str, &str, &str)] = &[
    (
        "all",
        "()",
        "Return a new QuerySet that is a copy of the current one. This allows a QuerySet to proxy for a model manager in some cases.",
    ),
    (
        "filter",
        "(*args, **kwargs)",
        "Return a new QuerySet instance with the args ANDed to the existing set.",
    ),
    (
        "exclude",
        "(*args, **kwargs)",
        "Return a new QuerySet instance with NOT (args) ANDed to the existing set.",
    ),
    (
        "get",
        "(*args, **kwargs)",
        "Perform the query and return a single object matching the given keyword arguments.",
    ),
    (
        "first",
        "()",
        "Return the first object of a query or None if no match is found.",
    ),
    (
        "last",
        "()",
        "Return the last object of a query or None if no match is found.",
    ),
    (
        "count",
        "()",
        "Perform a SELECT COUNT() and return the number of records as an integer.",
    ),
    (
        "exists",
        "()",
        "Return True if the QuerySet would have any results, False otherwise.",
    ),
    (
        "order_by",
        "(*field_names)",
        "Return a new QuerySet instance with the ordering changed.",
    ),
    ("reverse", "()", "Reverse the ordering of the QuerySet."),
    (
        "distinct",
        "(*field_names)",
        "Return a new QuerySet instance that will select only distinct results.",
    ),
    ("values", "(*fields, **expressions)", ""),
    ("values_list", "(*fields, flat=False, named=False)", ""),
    ("none", "()", "Return an empty QuerySet."),
    (
        "select_related",
        "(*fields)",
        "Return a new QuerySet instance that will select related objects.",
    ),
    (
        "prefetch_related",
        "(*lookups)",
        "Return a new QuerySet instance that will prefetch the specified Many-To-One and Many-To-Many related objects when the QuerySet is evaluated.",
    ),
    (
        "only",
        "(*fields)",
        "Essentially, the opposite of defer(). Only the fields passed into this method and that are not already specified as deferred are loaded immediately when the queryset is evaluated.",
    ),
    (
        "defer",
        "(*fields)",
        "Defer the loading of data for certain fields until they are accessed. Add the set of deferred fields to any existing set of deferred fields. The only exception to this is if None is passed in as the only parameter, in which case remove all deferrals.",
    ),
    (
        "iterator",
        "(chunk_size=None)",
        "An iterator over the results from applying this QuerySet to the database. chunk_size must be provided for QuerySets that prefetch related objects. Otherwise, a default chunk_size of 2000 is supplied.",
    ),
    (
        "annotate",
        "(*args, **kwargs)",
        "Return a query set in which the returned objects have been annotated with extra data or aggregations.",
    ),
    (
        "aggregate",
        "(*args, **kwargs)",
        "Return a dictionary containing the calculations (aggregation) over the current queryset.",
    ),
    (
        "alias",
        "(*args, **kwargs)",
        "Return a query set with added aliases for extra data or aggregations.",
    ),
    (
        "create",
        "(**kwargs)",
        "Create a new object with the given kwargs, saving it to the database and returning the created object.",
    ),
    (
        "update",
        "(**kwargs)",
        "Update all elements in the current QuerySet, setting all the given fields to the appropriate values.",
    ),
    (
        "delete",
        "()",
        "Delete the records in the current QuerySet.",
    ),
    (
        "get_or_create",
        "(defaults=None, **kwargs)",
        "Look up an object with the given kwargs, creating one if necessary. Return a tuple of (object, created), where created is a boolean specifying whether an object was created.",
    ),
    (
        "update_or_create",
        "(defaults=None, create_defaults=None, **kwargs)",
        "Look up an object with the given kwargs, updating one with defaults if it exists, otherwise create a new one. Optionally, an object can be created with different values than defaults by using create_defaults. Return a tuple (object, created), where created is a boolean specifying whether an object was created.",
    ),
    (
        "bulk_create",
        "(objs, batch_size=None, ignore_conflicts=False, update_conflicts=False, update_fields=None, unique_fields=None)",
        "Insert each of the instances into the database. Do *not* call save() on each of the instances, do not send any pre/post_save signals, and do not set the primary key attribute if it is an autoincrement field (except if features.can_return_rows_from_bulk_insert=True). Multi-table models are not supported.",
    ),
    (
        "bulk_update",
        "(objs, fields, batch_size=None)",
        "Update the given fields in each of the given objects in the database.",
    ),
    (
        "latest",
        "(*fields)",
        "Return the latest object according to fields (if given) or by the model's Meta.get_latest_by.",
    ),
    ("earliest", "(*fields)", ""),
    (
        "in_bulk",
        "(id_list=None, *, field_name='pk')",
        "Return a dictionary mapping each of the given IDs to the object with that ID. If `id_list` isn't provided, evaluate the entire QuerySet.",
    ),
    (
        "explain",
        "(*, format=None, **options)",
        "Runs an EXPLAIN on the SQL query this QuerySet would perform, and returns the results.",
    ),
    ("union", "(*other_qs, all=False)", ""),
    ("intersection", "(*other_qs)", ""),
    ("difference", "(*other_qs)", ""),
    (
        "dates",
        "(field_name, kind, order='ASC')",
        "Return a list of date objects representing all available dates for the given field_name, scoped to 'kind'.",
    ),
    (
        "datetimes",
        "(field_name, kind, order='ASC', tzinfo=None)",
        "Return a list of datetime objects representing all available datetimes for the given field_name, scoped to 'kind'.",
    ),
    (
        "extra",
        "(select=None, where=None, params=None, tables=None, order_by=None, select_params=None)",
        "Add extra SQL fragments to the query.",
    ),
    (
        "using",
        "(alias)",
        "Select which database this QuerySet should execute against.",
    ),
    (
        "fetch_mode",
        "(fetch_mode)",
        "Set the fetch mode for the QuerySet.",
    ),
    (
        "complex_filter",
        "(filter_obj)",
        "Return a new QuerySet instance with filter_obj added to the filters.",
    ),
    (
        "contains",
        "(obj)",
        "Return True if the QuerySet contains the provided obj, False otherwise.",
    ),
    (
        "select_for_update",
        "(nowait=False, skip_locked=False, of=(), no_key=False)",
        "Return a new QuerySet instance that will select objects with a FOR UPDATE lock.",
    ),
    (
        "raw",
        "(raw_query, params=(), translations=None, using=None)",
        "",
    ),
];

use super::Session;
use super::obj::DjangoObj;
use crate::py::{Host, Obj};

/// The `help()` text of a Django object: a model class (as Django's generated docstring
/// names it: the model and its fields), a manager or queryset, or one of their methods.
pub fn help(cx: &Session, o: &Obj) -> Option<String> {
    let schema = &cx.host.schema;
    if let Some(m) = o.model_class() {
        let model = schema.model(m);
        let fields: Vec<&str> = model.fields.iter().map(|f| f.name.as_str()).collect();
        return Some(format!(
            "Help on class {0} in module {1}.models:\n\nclass {0}(django.db.models.base.Model)\n |  {0}({2})",
            model.name,
            model.app_label,
            fields.join(", ")
        ));
    }
    if let Obj::Method(recv, name) = o
        && (recv.manager().is_some() || recv.queryset().is_some())
        && let Some((_, signature, doc)) = QUERYSET_DOCS.iter().find(|(n, _, _)| n == name)
    {
        let (module, class) = if recv.manager().is_some() {
            ("django.db.models.manager", "Manager")
        } else {
            ("django.db.models.query", "QuerySet")
        };
        return Some(format!(
            "Help on method {name} in module {module}:\n\n{name}{signature} method of {module}.{class} instance\n    {doc}"
        ));
    }
    let (what, m) = match (o.manager(), o.queryset()) {
        (Some(m), _) => ("Manager", m),
        (_, Some(qs)) => ("QuerySet", qs.query.model),
        _ => return None,
    };
    Some(format!(
        "Help on {what} of {0}: {what}s make querysets of {0} rows; their methods:\n    {1}",
        schema.model(m).name,
        super::queryset::METHODS.join(", ")
    ))
}

/// `dir()` of a Django object: the names djq answers to on it.
pub fn dir(cx: &Session, o: &Obj) -> Vec<String> {
    let owned = |names: &[&str]| names.iter().map(|n| n.to_string()).collect::<Vec<_>>();
    if o.model_class().is_some() {
        return owned(&super::names::MODEL_ATTRIBUTES);
    }
    if o.manager().is_some() {
        let mut names = owned(super::queryset::METHODS);
        names.retain(|n| !super::queryset::QUERYSET_ONLY.contains(&n.as_str()));
        names.push("model".into());
        return names;
    }
    if o.queryset().is_some() {
        return owned(super::queryset::METHODS);
    }
    if let Some(inst) = o.instance() {
        let model = cx.host.schema.model(inst.model);
        let mut names = owned(super::exec::INSTANCE_METHODS);
        names.extend(owned(&super::names::MODEL_ATTRIBUTES));
        names.push("pk".into());
        names.extend(inst.fields().into_iter().map(|(n, _)| n));
        names.extend(model.fields.iter().map(|f| f.name.clone()));
        return names;
    }
    Vec::new()
}

/// `type()` of a Django object: an instance's model class, Django's classes by their path.
pub fn type_of(cx: &Session, o: &Obj) -> Obj {
    if let Some(inst) = o.instance() {
        return super::obj::make::model(inst.model);
    }
    let custom = match o {
        Obj::Native(n) => super::managers::class_name(&cx.host.schema, &**n),
        _ => None,
    };
    let path = if let Some(class) = custom {
        let model = o
            .manager()
            .or_else(|| o.queryset().map(|qs| qs.query.model));
        let app = model.map_or("", |m| cx.host.schema.model(m).app_label.as_str());
        format!("{app}.models.{class}")
    } else if o.model_class().is_some() {
        "django.db.models.base.ModelBase".into()
    } else if o.manager().is_some() {
        "django.db.models.manager.Manager".into()
    } else if o.queryset().is_some() {
        "django.db.models.query.QuerySet".into()
    } else if o.q().is_some() {
        "django.db.models.query_utils.Q".into()
    } else if o.f().is_some() {
        "django.db.models.expressions.F".into()
    } else {
        match o {
            Obj::Native(n) => cx.host.type_name(&**n),
            other => other.type_name(),
        }
    };
    Obj::Type(path)
}
