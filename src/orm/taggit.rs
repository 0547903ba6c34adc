//! django-taggit's tag manager (`recipe.tags`, taggit's `_TaggableManager`): the owner's tags
//! as taggit's `tags_for()` queries them (a generic through's rows found by content type and
//! object id, in the order they were added), `names()`/`slugs()`, and its writes, which make
//! tags from names and rows of the through model with the same queries taggit runs:
//! `add("a", tag)`, `remove("a")`, `clear()`, `set([...], clear=False)`. On the model
//! (`Recipe.tags`, [`TagsOfModel`]): every tag the model's objects have, `most_common()`.

use super::Session;
use super::obj::{DjangoObj, Instance, QuerySet, RelatedKind, RelatedLink, make};
use super::prefetch::Fetched;
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::native_any;
use crate::py::{Args, Native, Obj};
use crate::schema::{ManyToMany, ModelId, ReverseVia};
use crate::value::Value;
use std::borrow::Cow;
use std::rc::Rc;

/// `Recipe.tags`: taggit's manager without an instance (`model.m2m[m2m]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagsOfModel {
    pub model: ModelId,
    pub m2m: usize,
}

impl Native for TagsOfModel {
    fn type_name(&self) -> Cow<'_, str> {
        "_TaggableManager".into()
    }
    fn equals(&self, other: &dyn Native) -> bool {
        other.as_any().downcast_ref() == Some(self)
    }
    native_any!();
}

/// The attribute a prefetched tag carries: the key of the instance it belongs to.
const PREFETCH_VAL: &str = "_prefetch_related_val";

/// Methods only taggit's manager has (besides a related manager's).
const TAG_METHODS: &[&str] = &["names", "slugs"];

/// Whether `qs` is a tag manager with the method `name`.
pub(super) fn has_method(qs: &QuerySet, name: &str) -> bool {
    TAG_METHODS.contains(&name)
        && (qs.related.as_ref()).is_some_and(|r| matches!(r.kind, RelatedKind::Tags { .. }))
}

fn call(pos: Vec<Obj>, kw: Vec<(&str, Obj)>, span: Span) -> Args {
    Args {
        pos: pos.into_iter().map(|o| (o, span)).collect(),
        kw: kw
            .into_iter()
            .map(|(k, v)| (k.to_string(), v, span))
            .collect(),
        span,
    }
}

impl Session {
    /// `recipe.tags`: `Tag.objects.filter(<through>_items__...=recipe)`, ordered by the
    /// through rows (and distinct, through a generic model), as taggit's `get_queryset()`.
    pub(super) fn tag_manager(
        &mut self,
        inst: &Rc<Instance>,
        mm: &ManyToMany,
        span: Span,
    ) -> Result<Obj> {
        let schema = &self.host.schema;
        let model = schema.model(inst.model).clone();
        let pk_attname = model.pk_field().attname();
        let pk = inst.get(&pk_attname).unwrap_or(Value::Null);
        if pk.is_null() {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                format!(
                    "{} objects need to have a primary key value before you can access their tags.",
                    model.name
                ),
            )
            .at(span));
        }
        let items = self.tags_relation(mm, inst.model, span)?;
        let schema = &self.host.schema;
        let through = schema.model(mm.through);
        let filters = match mm.content_type {
            Some(_) => {
                let concrete = schema.model(schema.concrete_model(inst.model));
                let filters = vec![
                    (
                        format!("{items}__content_type__app_label"),
                        Value::Text(concrete.app_label.clone()),
                    ),
                    (
                        format!("{items}__content_type__model"),
                        Value::Text(concrete.name.to_lowercase()),
                    ),
                    (format!("{items}__object_id"), pk.clone()),
                ];
                filters
            }
            None => {
                let source = &through.fields[mm.source_field].name;
                vec![(format!("{items}__{source}"), pk.clone())]
            }
        };
        let link = RelatedLink {
            instance: inst.clone(),
            owner_attname: pk_attname,
            kind: RelatedKind::Tags {
                through: mm.through,
                source: mm.source_field,
                target: mm.target_field,
                generic: mm.content_type.is_some(),
            },
        };
        let generic = mm.content_type.is_some();
        let kw = (filters.iter())
            .map(|(k, v)| (k.as_str(), Obj::Value(v.clone())))
            .collect();
        let mut qs = self.manager_queryset(mm.to);
        qs.via = Some(Rc::new((
            format!("{}.{}", model.name, mm.name),
            format!("prefetch_related('{}')", mm.name),
        )));
        let mut qs = self.chain(qs, "filter", call(Vec::new(), kw, span))?;
        if generic {
            qs = self.chain(qs, "distinct", call(Vec::new(), Vec::new(), span))?;
        }
        let order = Obj::str(format!("{items}__pk"));
        let mut qs = self.chain(qs, "order_by", call(vec![order], Vec::new(), span))?;
        qs.related = Some(Rc::new(link));
        if let Some(items) = inst.prefetched(&mm.name) {
            qs.cache = super::obj::ResultCache::prefetched(items);
        }
        Ok(make::queryset(qs))
    }

    /// `prefetch_related('tags')`, as taggit's `get_prefetch_querysets`: one query of the
    /// tags of every instance (`tags_for()` of the model, distinct, unordered), each tag
    /// selected with the instance's key (`_prefetch_related_val`).
    pub(super) fn prefetch_tags(&mut self, objs: &[Instance], mm: &ManyToMany) -> Result<Fetched> {
        let first = &objs[0];
        let model = self.host.schema.model(first.model).clone();
        let pk = model.pk_field().attname();
        // taggit collects the keys in a set.
        let keys: Vec<Value> = objs.iter().filter_map(|i| i.get(&pk)).collect();
        let keys = super::related::python_set_order(&keys)
            .into_iter()
            .map(Obj::Value)
            .collect();
        let items = self.tags_relation(mm, first.model, Span::default())?;
        let through = self.host.schema.model(mm.through);
        let source = through.fields[mm.source_field].clone();
        let mut filters: Vec<(String, Obj)> = Vec::new();
        if mm.content_type.is_some() {
            let concrete = self
                .host
                .schema
                .model(self.host.schema.concrete_model(first.model));
            filters.push((
                format!("{items}__content_type__app_label"),
                Obj::str(concrete.app_label.clone()),
            ));
            filters.push((
                format!("{items}__content_type__model"),
                Obj::str(concrete.name.to_lowercase()),
            ));
        }
        filters.push((format!("{items}__{}__in", source.name), Obj::list(keys)));
        if mm.content_type.is_none() {
            let isnull = format!("{items}__{}__isnull", source.name);
            filters.push((isnull, Obj::bool(false)));
        }
        let mut qs = self.distinct_tags(mm.to, &filters, Span::default())?;
        qs.query.add_prefetch_column(PREFETCH_VAL, &source.column);
        let rows: Vec<Rc<Instance>> = (self.fetch_all(&qs)?.into_iter())
            .filter_map(|o| o.instance())
            .collect();
        let of = (objs.iter())
            .map(|inst| {
                let key = inst.get(&pk);
                (0..rows.len())
                    .filter(|&j| key.is_some() && rows[j].get(PREFETCH_VAL) == key)
                    .collect()
            })
            .collect();
        for r in &rows {
            r.retain_attributes(|k| k != PREFETCH_VAL);
        }
        Ok(Fetched {
            rows,
            of,
            more: Vec::new(),
        })
    }

    /// The name Tag's lookups use for the through model's rows (its `tag` key's
    /// `related_name`, `taggit_taggeditem_items`).
    fn tags_relation(&self, mm: &ManyToMany, owner: ModelId, span: Span) -> Result<String> {
        let schema = &self.host.schema;
        (schema.model(mm.to).reverse.iter())
            .find(|r| {
                r.from == mm.through
                    && matches!(r.via, ReverseVia::ForeignKey(f) if f == mm.target_field)
            })
            .map(|r| r.query_name.clone())
            .ok_or_else(|| {
                let name = &schema.model(owner).name;
                Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "{name}.{}: its through model's tag has no way back",
                        mm.name
                    ),
                )
                .at(span)
            })
    }

    /// `Model.<name>` when it is a `TaggableManager`.
    pub(super) fn tags_of_model(&self, model: ModelId, name: &str) -> Option<Obj> {
        let m = self.host.schema.model(model);
        let m2m = m.m2m.iter().position(|mm| mm.name == name && mm.tags)?;
        Some(Obj::new_native(TagsOfModel { model, m2m }))
    }

    /// `Recipe.tags.<name>(args)`: a method of its queryset (taggit's `tags_for(model)`,
    /// distinct), or `most_common(min_count=None, extra_filters=None)`.
    pub(super) fn tags_of_model_method(
        &mut self,
        tags: TagsOfModel,
        name: &str,
        args: Args,
    ) -> Result<Obj> {
        let span = args.span;
        let mm = self.host.schema.model(tags.model).m2m[tags.m2m].clone();
        let items = self.tags_relation(&mm, tags.model, span)?;
        let mut filters: Vec<(String, Obj)> = match mm.content_type {
            Some(_) => {
                let schema = &self.host.schema;
                let concrete = schema.model(schema.concrete_model(tags.model));
                vec![
                    (
                        format!("{items}__content_type__app_label"),
                        Obj::str(concrete.app_label.clone()),
                    ),
                    (
                        format!("{items}__content_type__model"),
                        Obj::str(concrete.name.to_lowercase()),
                    ),
                ]
            }
            None => vec![(format!("{items}__content_object__isnull"), Obj::bool(false))],
        };
        let most_common = name == "most_common";
        let mut min_count = None;
        if most_common {
            args.no_kwargs_except(&["min_count", "extra_filters"], name)?;
            let arg = |i: usize, key: &str| {
                (args.kwarg(key).cloned()).or_else(|| args.pos.get(i).map(|(o, _)| o.clone()))
            };
            min_count = arg(0, "min_count").filter(|o| !matches!(o, Obj::Value(Value::Null)));
            if let Some(Obj::Dict(extra)) = arg(1, "extra_filters") {
                let extra = extra.borrow().clone();
                for (k, v) in extra {
                    filters.push((self.py_str(&k)?, v));
                }
            }
        }
        let qs = self.distinct_tags(mm.to, &filters, span)?;
        if !most_common {
            return self.queryset_method(Rc::new(qs), name, args);
        }
        let count = call(vec![Obj::str(items)], Vec::new(), span);
        let count = make::f(self.aggregate_expr(crate::query::expr::AggFunc::Count, &count)?);
        let qs = self.chain(
            qs,
            "annotate",
            call(Vec::new(), vec![("num_times", count)], span),
        )?;
        let order = vec![Obj::str("-num_times")];
        let qs = self.chain(qs, "order_by", call(order, Vec::new(), span))?;
        Ok(make::queryset(match min_count {
            Some(n) => self.chain(
                qs,
                "filter",
                call(Vec::new(), vec![("num_times__gte", n)], span),
            )?,
            None => qs,
        }))
    }

    /// `qs.name(args)` for a method that returns a queryset.
    /// taggit's `Tag.objects.filter(**filters).distinct().order_by()`.
    fn distinct_tags(
        &mut self,
        to: ModelId,
        filters: &[(String, Obj)],
        span: Span,
    ) -> Result<QuerySet> {
        let kw = filters
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let qs = self.manager_queryset(to);
        let qs = self.chain(qs, "filter", call(Vec::new(), kw, span))?;
        let qs = self.chain(qs, "distinct", call(Vec::new(), Vec::new(), span))?;
        self.chain(qs, "order_by", call(Vec::new(), Vec::new(), span))
    }

    fn chain(&mut self, qs: QuerySet, name: &str, args: Args) -> Result<QuerySet> {
        let via = qs.via.clone();
        let made = self.queryset_method(Rc::new(qs), name, args)?;
        let mut qs = made
            .native::<QuerySet>()
            .expect("a queryset method returns a queryset")
            .clone();
        qs.via = via;
        Ok(qs)
    }

    /// The tag manager's own methods; `None` for a queryset method.
    pub(super) fn tag_method(
        &mut self,
        link: &RelatedLink,
        qs: &QuerySet,
        name: &str,
        args: &Args,
    ) -> Option<Result<Obj>> {
        let span = args.span;
        let mut plain = qs.clone();
        plain.related = None;
        Some(match name {
            "names" | "slugs" => {
                let field = Obj::str(&name[..name.len() - 1]);
                let flat = vec![("flat", Obj::bool(true))];
                self.queryset_method(Rc::new(plain), "values_list", call(vec![field], flat, span))
            }
            "add" => self.tags_add(link, args).map(|()| Obj::NONE),
            "remove" => {
                let names = args.pos.iter().map(|(o, _)| o.clone()).collect();
                self.tags_remove(link, names, span).map(|()| Obj::NONE)
            }
            "clear" => self.tags_clear(link, span).map(|()| Obj::NONE),
            "set" => self.tags_set(link, args).map(|()| Obj::NONE),
            _ => return None,
        })
    }

    /// The through model's filter for the owner's rows (taggit's `lookup_kwargs`).
    fn tag_rows_lookup(
        &mut self,
        link: &RelatedLink,
        span: Span,
    ) -> Result<Vec<(&'static str, Obj)>> {
        let RelatedKind::Tags { generic, .. } = link.kind else {
            unreachable!("a tag manager's link");
        };
        let owner = link
            .instance
            .get(&link.owner_attname)
            .unwrap_or(Value::Null);
        Ok(match generic {
            true => {
                // `ContentType.objects.get_for_model(instance)`, cached.
                let ct = self.content_type_for(link.instance.model, span)?;
                vec![
                    ("object_id", Obj::Value(owner)),
                    ("content_type", make::instance(ct)),
                ]
            }
            false => vec![("content_object", make::instance(link.instance.clone()))],
        })
    }

    /// `through.objects.filter(**lookup_kwargs)`.
    fn tag_rows(&mut self, link: &RelatedLink, span: Span) -> Result<QuerySet> {
        let RelatedKind::Tags { through, .. } = link.kind else {
            unreachable!("a tag manager's link");
        };
        let lookup = self.tag_rows_lookup(link, span)?;
        let qs = self.manager_queryset(through);
        self.chain(qs, "filter", call(Vec::new(), lookup, span))
    }

    fn tag_model(&self, link: &RelatedLink) -> ModelId {
        let RelatedKind::Tags {
            through, target, ..
        } = link.kind
        else {
            unreachable!("a tag manager's link");
        };
        let f = &self.host.schema.model(through).fields[target];
        f.relation.as_ref().expect("the through model's tag").to
    }

    /// Tags of names and tag objects, in order, each once (taggit's
    /// `_to_tag_model_instances`): the names' existing tags in one query, the others made
    /// with `get_or_create(name=...)`.
    fn tag_instances(&mut self, link: &RelatedLink, tags: &[Obj], span: Span) -> Result<Vec<Obj>> {
        let tag_model = self.tag_model(link);
        let names: Vec<Value> = (tags.iter())
            .filter_map(|t| match t {
                Obj::Value(v @ Value::Text(_)) => Some(v.clone()),
                _ => None,
            })
            .collect();
        let qs = self.manager_queryset(tag_model);
        let filter = vec![(
            "name__in",
            Obj::list(names.into_iter().map(Obj::Value).collect()),
        )];
        let existing = self.chain(qs, "filter", call(Vec::new(), filter, span))?;
        let existing = self.fetch_all(&existing)?;
        let name_of = |o: &Obj| o.instance().and_then(|i| i.get("name"));
        let pk = self.host.schema.model(tag_model).pk_field().attname();
        let mut out: Vec<Obj> = Vec::new();
        let mut seen: Vec<Value> = Vec::new();
        for t in tags {
            let tag = match t {
                Obj::Value(name @ Value::Text(_)) => {
                    match existing.iter().find(|e| name_of(e).as_ref() == Some(name)) {
                        Some(found) => found.clone(),
                        None => {
                            let kw = vec![
                                ("name", Obj::Value(name.clone())),
                                (
                                    "defaults",
                                    Obj::dict(vec![(Obj::str("name"), Obj::Value(name.clone()))]),
                                ),
                            ];
                            let qs = self.manager_queryset(tag_model);
                            let made = self.queryset_method(
                                Rc::new(qs),
                                "get_or_create",
                                call(Vec::new(), kw, span),
                            )?;
                            made.items()
                                .and_then(|i| i.into_iter().next())
                                .unwrap_or(made)
                        }
                    }
                }
                o if o.instance().is_some_and(|i| i.model == tag_model) => o.clone(),
                other => {
                    let text = self.py_str(other)?;
                    let tag = &self.host.schema.model(tag_model);
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        format!(
                            "Cannot add {text} ({}). Expected <class '{}.models.{}'> or str.",
                            other.type_name(),
                            tag.app_label,
                            tag.name
                        ),
                    )
                    .at(span));
                }
            };
            let key = tag
                .instance()
                .and_then(|i| i.get(&pk))
                .unwrap_or(Value::Null);
            if !seen.contains(&key) {
                seen.push(key);
                out.push(tag);
            }
        }
        Ok(out)
    }

    /// `add(*tags, through_defaults=None)`: the owner's current tag ids read (taggit sends
    /// them with its signals), then one `get_or_create(tag=..., **lookup_kwargs)` a tag.
    fn tags_add(&mut self, link: &RelatedLink, args: &Args) -> Result<()> {
        args.no_kwargs_except(&["through_defaults"], "add")?;
        let tags: Vec<Obj> = args.pos.iter().map(|(o, _)| o.clone()).collect();
        self.tags_add_objs(
            link,
            &tags,
            args.kwarg("through_defaults").cloned(),
            args.span,
        )
    }

    fn tags_add_objs(
        &mut self,
        link: &RelatedLink,
        tags: &[Obj],
        through_defaults: Option<Obj>,
        span: Span,
    ) -> Result<()> {
        let tags = self.tag_instances(link, tags, span)?;
        let rows = self.tag_rows(link, span)?;
        let ids = vec![Obj::str("tag_id")];
        let flat = vec![("flat", Obj::bool(true))];
        let current = self.queryset_method(Rc::new(rows), "values_list", call(ids, flat, span))?;
        self.iter_obj(&current, &crate::py::args::dummy(span))?;
        let RelatedKind::Tags { through, .. } = link.kind else {
            unreachable!("a tag manager's link");
        };
        for tag in tags {
            let mut kw = vec![("tag", tag)];
            kw.extend(self.tag_rows_lookup(link, span)?);
            kw.extend(through_defaults.clone().map(|d| ("defaults", d)));
            let qs = self.manager_queryset(through);
            self.queryset_method(Rc::new(qs), "get_or_create", call(Vec::new(), kw, span))?;
        }
        Ok(())
    }

    /// `remove(*names)`: the owner's rows of those tag names, their tag ids read first.
    fn tags_remove(&mut self, link: &RelatedLink, names: Vec<Obj>, span: Span) -> Result<()> {
        if names.is_empty() {
            return Ok(());
        }
        let rows = self.tag_rows(link, span)?;
        let names = vec![("tag__name__in", Obj::list(names))];
        let rows = self.chain(rows, "filter", call(Vec::new(), names, span))?;
        let ids = vec![Obj::str("tag_id")];
        let flat = vec![("flat", Obj::bool(true))];
        let old =
            self.queryset_method(Rc::new(rows.clone()), "values_list", call(ids, flat, span))?;
        self.iter_obj(&old, &crate::py::args::dummy(span))?;
        self.delete_queryset(&rows, &call(Vec::new(), Vec::new(), span))?;
        Ok(())
    }

    /// `clear()`: every row of the owner deleted.
    fn tags_clear(&mut self, link: &RelatedLink, span: Span) -> Result<()> {
        let rows = self.tag_rows(link, span)?;
        self.delete_queryset(&rows, &call(Vec::new(), Vec::new(), span))?;
        Ok(())
    }

    /// `set(tags, clear=False, through_defaults=None)`: with `clear`, `clear()` then `add()`;
    /// else the tags' current names read, those not kept removed, the new ones added.
    fn tags_set(&mut self, link: &RelatedLink, args: &Args) -> Result<()> {
        args.no_kwargs_except(&["clear", "through_defaults"], "set")?;
        let span = args.span;
        let [(tags, at)] = args.pos.as_slice() else {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "_TaggableManager.set() takes 2 positional arguments but {} were given",
                    args.pos.len() + 1
                ),
            )
            .at(span));
        };
        let tags = self.iter_obj(tags, &crate::py::args::dummy(*at))?;
        let through_defaults = args.kwarg("through_defaults").cloned();
        let clear = match args.kwarg("clear") {
            Some(o) => self.truthy(o, &crate::py::args::dummy(span))?,
            None => false,
        };
        if clear {
            self.tags_clear(link, span)?;
            return self.tags_add_objs(link, &tags, through_defaults, span);
        }
        let objs = self.tag_instances(link, &tags, span)?;
        let rows = self.tag_rows(link, span)?;
        let names = vec![Obj::str("tag__name")];
        let flat = vec![("flat", Obj::bool(true))];
        let old = self.queryset_method(Rc::new(rows), "values_list", call(names, flat, span))?;
        let mut old: Vec<Obj> = self.iter_obj(&old, &crate::py::args::dummy(span))?;
        let mut new = Vec::new();
        for o in objs {
            let name = o.instance().and_then(|i| i.get("name"));
            match old
                .iter()
                .position(|n| matches!(n, Obj::Value(v) if Some(v) == name.as_ref()))
            {
                Some(i) => {
                    old.remove(i);
                }
                None => new.push(o),
            }
        }
        self.tags_remove(link, old, span)?;
        self.tags_add_objs(link, &new, through_defaults, span)
    }
}
