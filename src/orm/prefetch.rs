//! `prefetch_related()` as Django's `prefetch_related_objects`: lookups (names or
//! `Prefetch(lookup, queryset=None, to_attr=None)` objects) walked level by level
//! (`houses__rooms__fleas`), one query per level not loaded yet, each level's objects the
//! next one's instances; a level another lookup loaded is reused, and a `Prefetch`'s
//! queryset filters and orders its level and brings its own lookups along.
//!
//! Objects are values here, not Python's shared references: an object of a deeper level is
//! reached from the queried instances by its path (`Addr`), and one Python object a
//! foreign key shares between several instances is every copy it has (`Group`).

use super::Session;
use super::generic_prefetch::GenericPrefetch;
use super::obj::{DjangoObj, Instance, Prefetch, QsKind, QuerySet, make};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Obj};
use crate::query::{Operand, QChild, QNode};
use crate::schema::{GenericForeignKey, GenericRelation, ModelId, ReverseRelation, ReverseVia};
use crate::value::Value;
use std::rc::Rc;

impl Prefetch {
    /// Django's `add_prefix`: a lookup of a level's queryset, below that level.
    fn add_prefix(&mut self, prefix: &str) {
        self.through = format!("{prefix}__{}", self.through);
        self.to = format!("{prefix}__{}", self.to);
    }

    fn current_to(&self, level: usize) -> String {
        let parts: Vec<&str> = self.to.split("__").collect();
        parts[..(level + 1).min(parts.len())].join("__")
    }

    /// The name a level stores under, and whether it is the `to_attr` attribute.
    fn current_to_attr(&self, level: usize) -> (String, bool) {
        let parts: Vec<&str> = self.to.split("__").collect();
        let name = parts.get(level).copied().unwrap_or_default().to_string();
        (name, self.to_attr.is_some() && level + 1 == parts.len())
    }

    /// The queryset of a level: the Prefetch's own at its last level.
    fn current_queryset(&self, level: usize) -> Option<QuerySet> {
        let qs = self.queryset.as_ref()?;
        (self.current_to(level) == self.to).then(|| {
            let mut qs = (**qs).clone();
            qs.related = None;
            qs.via = None;
            qs
        })
    }

    /// The GenericPrefetch's querysets, at its last level.
    fn current_generic(&self, level: usize) -> Option<Rc<GenericPrefetch>> {
        let g = self.generic.clone()?;
        (self.current_to(level) == self.to).then_some(g)
    }
}

/// A path from a queried instance (by index) to an object loaded for it: at each step the
/// related object cached under a name, or an item of the objects prefetched under it.
#[derive(Debug, Clone)]
struct Addr {
    root: usize,
    steps: Vec<(String, Option<usize>)>,
}

impl Addr {
    fn then(&self, name: &str, index: Option<usize>) -> Addr {
        let mut steps = self.steps.clone();
        steps.push((name.to_string(), index));
        Addr {
            root: self.root,
            steps,
        }
    }
}

/// One Python object: every copy of it (a foreign key's object is copied into each instance
/// that shares it). Never empty.
type Group = Vec<Addr>;

fn visit(roots: &[Obj], addr: &Addr, f: &mut dyn FnMut(&Instance)) {
    fn descend(inst: &Instance, steps: &[(String, Option<usize>)], f: &mut dyn FnMut(&Instance)) {
        match steps.split_first() {
            None => f(inst),
            Some(((name, index), rest)) => {
                inst.visit_loaded(name, *index, &mut |child| descend(child, rest, f));
            }
        }
    }
    if let Some(root) = roots.get(addr.root).and_then(|o| o.native::<Instance>()) {
        descend(root, &addr.steps, f);
    }
}

/// The object a group stands for, as it is now.
fn snapshot(roots: &[Obj], group: &Group) -> Option<Instance> {
    let mut out = None;
    visit(roots, &group[0], &mut |i| out = Some(i.clone()));
    out
}

/// What a name of a lookup is on a model.
enum Rel {
    /// A foreign key or one-to-one field (the model's field index).
    Forward(usize),
    /// A reverse relation, of the model or (multi-table inheritance) of a parent: the model
    /// whose key it holds.
    Reverse(ReverseRelation, ModelId),
    /// A many-to-many field (its index in the model's `m2m`).
    ManyToMany(usize),
    GenericForeignKey(GenericForeignKey),
    GenericRelation(GenericRelation),
    /// django-taggit's `TaggableManager` (its index in the model's `m2m`).
    Tags(usize),
    /// A ForeignObject (several columns) by name, forward (one object) or its way back.
    ForeignObject(String, bool),
}

impl Rel {
    /// A single object, not a manager's objects.
    fn single(&self, cx: &Session) -> bool {
        match self {
            Rel::Forward(_) | Rel::GenericForeignKey(_) => true,
            Rel::Reverse(r, _) => one_to_one(cx, r),
            Rel::ForeignObject(_, forward) => *forward,
            Rel::ManyToMany(_) | Rel::GenericRelation(_) | Rel::Tags(_) => false,
        }
    }
}

fn one_to_one(cx: &Session, r: &ReverseRelation) -> bool {
    match r.via {
        ReverseVia::ForeignKey(fi) => cx.host.schema.model(r.from).fields[fi]
            .relation
            .as_ref()
            .is_some_and(|f| f.one_to_one),
        ReverseVia::ManyToMany(_) => false,
    }
}

/// What one level's queries loaded.
pub(super) struct Fetched {
    /// The objects, in the order the queries returned them.
    pub rows: Vec<Rc<Instance>>,
    /// For each instance asked about, the indexes of its objects in `rows`.
    pub of: Vec<Vec<usize>>,
    /// The lookups of the level's queryset, done after it (Django's additional lookups).
    pub more: Vec<Prefetch>,
}

impl Fetched {
    fn nothing(n: usize) -> Fetched {
        Fetched {
            rows: Vec::new(),
            of: vec![Vec::new(); n],
            more: Vec::new(),
        }
    }

    /// Rows matched to instances by value: the instance's `source` equals the row's `target`
    /// (several attnames for a ForeignObject).
    /// With `back`, a row's foreign key to its instance: the row caches the instance there
    /// (as Django's reverse managers do), unless it has it already.
    fn matched(
        objs: &[Instance],
        rows: Vec<Obj>,
        (source, target): (&[String], &[String]),
        back: Option<&str>,
        more: Vec<Prefetch>,
    ) -> Fetched {
        let rows: Vec<Rc<Instance>> = rows.into_iter().filter_map(|o| o.instance()).collect();
        let of: Vec<Vec<usize>> = objs
            .iter()
            .map(|inst| {
                let key: Vec<Value> = (source.iter())
                    .map(|k| inst.get(k).unwrap_or(Value::Null))
                    .collect();
                if key.iter().any(Value::is_null) {
                    return Vec::new();
                }
                (0..rows.len())
                    .filter(|&j| {
                        (target.iter().zip(&key)).all(|(t, v)| rows[j].get(t).as_ref() == Some(v))
                    })
                    .collect()
            })
            .collect();
        for r in &rows {
            r.retain_attributes(|k| !k.starts_with(PREFETCH_SOURCE));
        }
        if let Some(back) = back {
            for (inst, mine) in objs.iter().zip(&of) {
                for &j in mine {
                    if rows[j].related(back).is_none() {
                        rows[j].set_related(back, Some(inst.clone()));
                    }
                }
            }
        }
        Fetched { rows, of, more }
    }
}

/// The prefix of the column a many-to-many prefetch query selects to tell which instance
/// each object belongs to (Django's `_prefetch_related_val_<column>`).
const PREFETCH_SOURCE: &str = "_prefetch_related_val_";

fn prefetch_source_name(qs: &QuerySet) -> String {
    qs.query
        .extra_select
        .iter()
        .map(|s| s.name.clone())
        .find(|n| n.starts_with(PREFETCH_SOURCE))
        .unwrap_or_default()
}

/// The distinct non-null values of `attname` over the instances, in order.
fn attribute_values(objs: &[Instance], attname: &str) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for v in objs.iter().filter_map(|i| i.get(attname)) {
        if !v.is_null() && !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

impl Session {
    /// `Prefetch(lookup, queryset=None, to_attr=None)`.
    pub(super) fn prefetch_object(&mut self, args: &Args) -> Result<Obj> {
        let span = args.span;
        let mut lookup = None;
        let mut queryset = None;
        let mut to_attr = None;
        let names = ["lookup", "queryset", "to_attr"];
        for (i, (o, _)) in args.pos.iter().enumerate() {
            match i {
                0 => lookup = Some(o.clone()),
                1 => queryset = Some(o.clone()),
                2 => to_attr = Some(o.clone()),
                _ => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!(
                            "Prefetch.__init__() takes from 2 to 4 positional arguments but {} were given",
                            args.pos.len() + 1
                        ),
                    )
                    .at(span));
                }
            }
        }
        for (k, o, s) in &args.kw {
            let slot = match k.as_str() {
                "lookup" => &mut lookup,
                "queryset" => &mut queryset,
                "to_attr" => &mut to_attr,
                _ => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!("Prefetch.__init__() got an unexpected keyword argument '{k}'"),
                    )
                    .at(*s));
                }
            };
            *slot = Some(o.clone());
        }
        let Some(Obj::Value(Value::Text(lookup))) = lookup else {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "Prefetch.__init__() missing 1 required positional argument: '{}'",
                    names[0]
                ),
            )
            .at(span));
        };
        let queryset = match queryset {
            None | Some(Obj::Value(Value::Null)) => None,
            Some(o) => match o.native::<QuerySet>() {
                Some(qs) if qs.kind == QsKind::Instances => Some(Rc::new(qs.clone())),
                Some(_) => {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        "Prefetch querysets cannot use raw(), values(), and values_list().",
                    )
                    .at(span));
                }
                None if let Some(m) = o.manager_ref() => {
                    Some(self.get_queryset(&make::manager(m.0, m.1))?)
                }
                None => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!(
                            "Prefetch's queryset must be a QuerySet, not {}",
                            o.type_name()
                        ),
                    )
                    .at(span));
                }
            },
        };
        let to_attr = match to_attr {
            None | Some(Obj::Value(Value::Null)) => None,
            Some(Obj::Value(Value::Text(t))) if t.is_empty() => None,
            Some(Obj::Value(Value::Text(t))) => Some(t.to_string()),
            Some(o) => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("to_attr must be a string, not {}", o.type_name()),
                )
                .at(span));
            }
        };
        let mut p = Prefetch::new(&lookup);
        if let Some(attr) = &to_attr {
            p.to = match lookup.rsplit_once("__") {
                Some((head, _)) => format!("{head}__{attr}"),
                None => attr.clone(),
            };
        }
        p.queryset = queryset;
        p.to_attr = to_attr;
        Ok(Obj::new_native(p))
    }

    /// `prefetch_related()`'s arguments: names and Prefetch objects.
    pub(super) fn prefetch_lookups(&self, args: &Args) -> Result<Vec<Prefetch>> {
        let mut out = Vec::with_capacity(args.pos.len());
        for (o, span) in &args.pos {
            match o {
                Obj::Value(Value::Text(s)) => out.push(Prefetch::new(s)),
                o if let Some(p) = o.native::<Prefetch>() => out.push(p.clone()),
                o if let Some(g) = o.native_rc::<GenericPrefetch>() => {
                    let mut p = Prefetch::new(&g.lookup);
                    p.generic = Some(g);
                    out.push(p);
                }
                o => {
                    return Err(Diagnostic::new(
                        ErrorKind::Attribute,
                        format!("'{}' object has no attribute 'split'", o.type_name()),
                    )
                    .at(*span));
                }
            }
        }
        Ok(out)
    }

    /// `prefetch_related(name)` over `roots` (a fetch mode's peers).
    pub(super) fn prefetch_named(&mut self, roots: &[Obj], name: &str) -> Result<()> {
        self.prefetch_objects(roots, &[Prefetch::new(name)])
    }

    /// A queryset's `prefetch_related()` lookups over its fetched instances `roots`.
    pub(super) fn prefetch(&mut self, qs: &QuerySet, roots: &mut [Obj]) -> Result<()> {
        self.prefetch_objects(roots, &qs.prefetch)
    }

    /// Django's `prefetch_related_objects(roots, *lookups)`.
    pub(super) fn prefetch_objects(&mut self, roots: &[Obj], lookups: &[Prefetch]) -> Result<()> {
        if roots.is_empty() {
            return Ok(());
        }
        let mut done: Vec<(String, Vec<Group>)> = Vec::new();
        let mut stack: Vec<Prefetch> = lookups.iter().rev().cloned().collect();
        while let Some(lookup) = stack.pop() {
            if done.iter().any(|(to, _)| *to == lookup.to) {
                if lookup.queryset.is_some() {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        format!(
                            "'{}' lookup was already seen with a different queryset. You may need to adjust the ordering of your lookups.",
                            lookup.to
                        ),
                    ));
                }
                continue;
            }
            let mut list: Vec<Group> = (0..roots.len())
                .map(|root| {
                    vec![Addr {
                        root,
                        steps: Vec::new(),
                    }]
                })
                .collect();
            let through: Vec<String> = lookup.through.split("__").map(String::from).collect();
            for (level, attr) in through.iter().enumerate() {
                if list.is_empty() {
                    break;
                }
                let prefetch_to = lookup.current_to(level);
                if let Some((_, l)) = done.iter().find(|(to, _)| *to == prefetch_to) {
                    list = l.clone();
                    continue;
                }
                let Some(first) = snapshot(roots, &list[0]) else {
                    break;
                };
                let model = self.host.schema.model(first.model).clone();
                let (to_attr, as_attr) = lookup.current_to_attr(level);
                let rel = self.prefetch_relation(first.model, attr);
                let found = rel.is_some()
                    || first.prefetch_attr(attr).is_some()
                    || self
                        .host
                        .schema
                        .model(first.model)
                        .get_field(attr)
                        .is_some();
                if !found && self.has_python_attribute(first.model, attr) {
                    return Err(Diagnostic::new(
                        ErrorKind::NotSupported,
                        format!(
                            "prefetch_related() through {}.{attr}, a Python attribute of the model (a property), is not supported by djq yet",
                            model.name
                        ),
                    ));
                }
                if !found {
                    return Err(Diagnostic::new(
                        ErrorKind::Attribute,
                        format!(
                            "Cannot find '{attr}' on {} object, '{}' is an invalid parameter to prefetch_related()",
                            model.name, lookup.through
                        ),
                    ));
                }
                if level + 1 == through.len() && rel.is_none() {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        format!(
                            "'{}' does not resolve to an item that supports prefetching - this is an invalid parameter to prefetch_related().",
                            lookup.through
                        ),
                    ));
                }
                let to_fetch: Vec<Group> = match &rel {
                    Some(rel) => {
                        let single = rel.single(self);
                        (list.iter())
                            .filter(|g| {
                                snapshot(roots, g)
                                    .is_some_and(|i| !is_fetched(&i, attr, &to_attr, single))
                            })
                            .cloned()
                            .collect()
                    }
                    None => Vec::new(),
                };
                let Some(rel) = rel.filter(|_| !to_fetch.is_empty()) else {
                    list = traverse(roots, &list, attr);
                    continue;
                };
                if as_attr && model.get_field(&to_attr).is_some() {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        format!(
                            "to_attr={to_attr} conflicts with a field on the {} model.",
                            model.name
                        ),
                    ));
                }
                let objs: Vec<Instance> = (to_fetch.iter())
                    .filter_map(|g| snapshot(roots, g))
                    .collect();
                let single = rel.single(self);
                let fetched = self.prefetch_level(
                    &objs,
                    &rel,
                    lookup.current_queryset(level),
                    lookup.current_generic(level),
                )?;
                let store = if as_attr { &to_attr } else { attr };
                list = attach(roots, &to_fetch, &fetched, store, single, as_attr);
                done.push((prefetch_to.clone(), list.clone()));
                for mut more in fetched.more.into_iter().rev() {
                    more.add_prefix(&prefetch_to);
                    stack.push(more);
                }
            }
        }
        Ok(())
    }

    /// Whether models.py's class of `model` defines `name` (a method or property).
    fn has_python_attribute(&mut self, model: ModelId, name: &str) -> bool {
        self.model_python_class(model)
            .is_some_and(|c| c.dict.borrow().contains_key(name))
    }

    /// What `name` is on `model` for prefetching; `None` for anything else.
    fn prefetch_relation(&self, model: ModelId, name: &str) -> Option<Rel> {
        let schema = &self.host.schema;
        if let Some(g) = schema.generic_fk(model, name) {
            return Some(Rel::GenericForeignKey(g.clone()));
        }
        let m = schema.model(model);
        if let Some(g) = m.generic_relations.iter().find(|g| g.name == name) {
            return Some(Rel::GenericRelation(g.clone()));
        }
        if let Some(fi) = (m.fields.iter()).position(|f| f.name == name && f.relation.is_some()) {
            return Some(Rel::Forward(fi));
        }
        if let Some(owner) = schema.accessor_owner(model, name)
            && let Some(r) = (schema.model(owner).reverse.iter()).find(|r| r.accessor == name)
        {
            return Some(Rel::Reverse(r.clone(), owner));
        }
        if let Some(i) = m.m2m.iter().position(|mm| mm.name == name) {
            return Some(match m.m2m[i].tags {
                true => Rel::Tags(i),
                false => Rel::ManyToMany(i),
            });
        }
        let forward = m.foreign_object(name).is_some();
        (forward || m.foreign_object_accessor(name).is_some())
            .then(|| Rel::ForeignObject(name.to_string(), forward))
    }

    /// One level's queries for `objs` (all of one model), as Django's
    /// `get_prefetch_querysets` of the relation, `base` in place of the default queryset
    /// (`generic`: a GenericPrefetch's querysets of a GenericForeignKey's content types).
    fn prefetch_level(
        &mut self,
        objs: &[Instance],
        rel: &Rel,
        base: Option<QuerySet>,
        generic: Option<Rc<GenericPrefetch>>,
    ) -> Result<Fetched> {
        let model_id = objs[0].model;
        let model = self.host.schema.model(model_id).clone();
        let pk = model.pk_field().attname();
        let n = objs.len();
        if base.as_ref().is_some_and(|qs| qs.query.is_sliced()) {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "a sliced Prefetch queryset (Django's window-function prefetch) is not supported by djq yet",
            ));
        }
        if let Some(g) = &generic
            && !matches!(rel, Rel::GenericForeignKey(_))
        {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "GenericPrefetch of '{}', which is not a GenericForeignKey, is not supported by djq yet",
                    g.lookup
                ),
            ));
        }
        if base.is_some() && matches!(rel, Rel::Tags(_) | Rel::ForeignObject(..)) {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "a Prefetch queryset of django-taggit's tags or of a ForeignObject is not supported by djq yet",
            ));
        }
        let mut back = None;
        let (mut qs, source, target) = match rel {
            Rel::GenericForeignKey(g) => return self.prefetch_generic(objs, g, generic.as_deref()),
            Rel::GenericRelation(g) => return self.prefetch_generic_relation(objs, g, base),
            Rel::Tags(i) => return self.prefetch_tags(objs, &model.m2m[*i]),
            Rel::ForeignObject(name, _) => {
                match self.prefetch_foreign_object(model_id, name, objs)? {
                    Some(Some((qs, (source, target), _))) => (qs, source, target),
                    _ => return Ok(Fetched::nothing(n)),
                }
            }
            Rel::Forward(fi) => {
                let f = &model.fields[*fi];
                let fk = f.relation.clone().expect("relation");
                let source = f.attname();
                let target = self.host.schema.model(fk.to).fields[fk.to_field].attname();
                let values = attribute_values(objs, &source);
                if values.is_empty() {
                    return Ok(Fetched::nothing(n));
                }
                let mut qs = match base {
                    Some(qs) => qs,
                    None => self.base_queryset(fk.to)?,
                };
                qs.query.clear_ordering(false, true);
                qs.query
                    .add_prefetch_tuple_in(&self.host.schema, fk.to_field, values);
                (qs, vec![source], vec![target])
            }
            Rel::Reverse(r, owner) => {
                let from = self.host.schema.model(r.from).clone();
                let model = self.host.schema.model(*owner);
                let pk = model.pk_field().attname();
                match r.via {
                    ReverseVia::ForeignKey(fi) => {
                        let fk = from.fields[fi].relation.clone().expect("relation");
                        let source = model.fields[fk.to_field].attname();
                        let target = from.fields[fi].attname();
                        let ids = attribute_values(objs, &source);
                        if ids.is_empty() {
                            return Ok(Fetched::nothing(n));
                        }
                        let mut qs = match base {
                            Some(qs) => qs,
                            None if fk.one_to_one => self.base_queryset(r.from)?,
                            None => self.default_queryset(r.from)?,
                        };
                        self.filter_in(&mut qs, &from.fields[fi].name, ids)?;
                        back = Some(from.fields[fi].name.clone());
                        if fk.one_to_one {
                            qs.query.clear_ordering(false, true);
                        }
                        (qs, vec![source], vec![target])
                    }
                    ReverseVia::ManyToMany(mi) if from.m2m[mi].through_objects.is_some() => {
                        let mm = &from.m2m[mi];
                        match self.prefetch_through_objects(objs, mm, false, base)? {
                            Some((qs, (source, target))) => (qs, source, target),
                            None => return Ok(Fetched::nothing(n)),
                        }
                    }
                    ReverseVia::ManyToMany(mi) => {
                        let ids = attribute_values(objs, &pk);
                        if ids.is_empty() {
                            return Ok(Fetched::nothing(n));
                        }
                        let mut qs = match base {
                            Some(qs) => qs,
                            None => self.default_queryset(r.from)?,
                        };
                        self.filter_in(&mut qs, &from.m2m[mi].name, ids)?;
                        qs.query.add_prefetch_source(&self.host.schema, 0);
                        let target = prefetch_source_name(&qs);
                        (qs, vec![pk], vec![target])
                    }
                }
            }
            Rel::ManyToMany(mi) if model.m2m[*mi].through_objects.is_some() => {
                match self.prefetch_through_objects(objs, &model.m2m[*mi], true, base)? {
                    Some((qs, (source, target))) => (qs, source, target),
                    None => return Ok(Fetched::nothing(n)),
                }
            }
            Rel::ManyToMany(mi) => {
                let to = model.m2m[*mi].to;
                let query_name = (self.host.schema.model(to).reverse.iter())
                    .find(|r| {
                        r.from == model_id && matches!(r.via, ReverseVia::ManyToMany(i) if i == *mi)
                    })
                    .map(|r| r.query_name.clone())
                    .ok_or_else(|| {
                        Diagnostic::new(
                            ErrorKind::NotSupported,
                            "prefetching this many-to-many relation is not supported by djq yet",
                        )
                    })?;
                let ids = attribute_values(objs, &pk);
                if ids.is_empty() {
                    return Ok(Fetched::nothing(n));
                }
                let mut qs = match base {
                    Some(qs) => qs,
                    None => self.default_queryset(to)?,
                };
                self.filter_in(&mut qs, &query_name, ids)?;
                qs.query.add_prefetch_source(&self.host.schema, 1);
                let target = prefetch_source_name(&qs);
                (qs, vec![pk], vec![target])
            }
        };
        let mut more = std::mem::take(&mut qs.prefetch);
        let rows = self.fetch_all(&qs)?;
        // Django's reverse managers iterate their queryset (its own lookups prefetched
        // then) before the rows cache their instance: what those lookups loaded stays.
        if back.is_some() && !more.is_empty() {
            self.prefetch_objects(&rows, &std::mem::take(&mut more))?;
        }
        Ok(Fetched::matched(
            objs,
            rows,
            (&source, &target),
            back.as_deref(),
            more,
        ))
    }

    fn filter_in(&mut self, qs: &mut QuerySet, name: &str, ids: Vec<Value>) -> Result<()> {
        let leaf = QChild::Leaf {
            key: format!("{name}__in"),
            value: Operand::List(ids.into_iter().map(Operand::Value).collect()),
            span: Span::default(),
        };
        qs.query
            .add_q(&self.host.schema, &QNode::new(vec![leaf], Vec::new()))
    }
}

/// Django's `is_fetched`: the level is loaded on this object already (by `select_related`,
/// an earlier prefetch, or as the `to_attr` attribute).
fn is_fetched(inst: &Instance, attr: &str, to_attr: &str, single: bool) -> bool {
    if attr != to_attr {
        return inst.prefetch_attr(to_attr).is_some() || inst.get(to_attr).is_some();
    }
    match single {
        true => inst.related(attr).is_some(),
        false => inst.prefetched(attr).is_some(),
    }
}

/// Keep each object's share of a level's rows under `store`, and return the rows as the next
/// level's objects (in the order they were fetched; a row several objects share is one
/// object with a copy under each).
fn attach(
    roots: &[Obj],
    groups: &[Group],
    fetched: &Fetched,
    store: &str,
    single: bool,
    as_attr: bool,
) -> Vec<Group> {
    let mut next: Vec<Group> = vec![Vec::new(); fetched.rows.len()];
    for (group, mine) in groups.iter().zip(&fetched.of) {
        let items: Rc<Vec<Obj>> = Rc::new(
            (mine.iter())
                .map(|&j| make::instance(fetched.rows[j].clone()))
                .collect(),
        );
        let object = mine.first().map(|&j| (*fetched.rows[j]).clone());
        for addr in group {
            visit(roots, addr, &mut |inst| {
                match single {
                    true => inst.set_related(store, object.clone()),
                    false => inst.set_prefetched(store, items.clone()),
                }
                if as_attr {
                    inst.mark_prefetch_attr(store);
                }
            });
            for (pos, &j) in mine.iter().enumerate() {
                if single && pos > 0 {
                    break;
                }
                next[j].push(addr.then(store, (!single).then_some(pos)));
            }
        }
    }
    next.retain(|g| !g.is_empty());
    next
}

/// The objects already loaded under `attr` (no query): a list's items, or the one object.
fn traverse(roots: &[Obj], list: &[Group], attr: &str) -> Vec<Group> {
    let mut next = Vec::new();
    for group in list {
        let Some(inst) = snapshot(roots, group) else {
            continue;
        };
        if let Some(items) = inst.prefetched(attr) {
            for k in 0..items.len() {
                next.push(group.iter().map(|a| a.then(attr, Some(k))).collect());
            }
        } else if let Some(Some(_)) = inst.related(attr) {
            next.push(group.iter().map(|a| a.then(attr, None)).collect());
        }
    }
    next
}
