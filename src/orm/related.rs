//! Related managers' writes, as Django's `create_reverse_many_to_one_manager` and
//! `create_forward_many_to_many_manager` do them: `author.books.create/add/remove/clear/set`
//! (an UPDATE of the foreign key) and `article.tags.create/add/remove/clear/set` (rows of the
//! through table: `INSERT ... ON CONFLICT DO NOTHING`, `DELETE`).

use super::Session;
use super::obj::{DjangoObj, Instance, make};
use super::obj::{QsKind, QuerySet, RelatedKind, RelatedLink};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Args;
use crate::py::Obj;
use crate::query::{Expr, Operand, QChild, QNode, Query};
use crate::schema::ModelId;
use crate::sql::insert::{self, Insert};
use crate::value::Value;
use std::rc::Rc;

/// Methods only a related manager has (besides the queryset ones).
pub const RELATED_METHODS: &[&str] = &["add", "remove", "clear", "set"];

impl Session {
    /// `manager.name(args)` on a related manager: the writes that know the owner instance;
    /// `None` when `name` is an ordinary queryset method.
    pub(super) fn related_method(
        &mut self,
        link: &RelatedLink,
        qs: &QuerySet,
        name: &str,
        args: &Args,
    ) -> Option<Result<Obj>> {
        if matches!(link.kind, RelatedKind::Generic { .. }) {
            return self.generic_related_method(link, qs, name, args);
        }
        if matches!(link.kind, RelatedKind::Tags { .. }) {
            return self.tag_method(link, qs, name, args);
        }
        if let RelatedKind::ManyToMany {
            through, owners, ..
        } = &link.kind
            && *owners != [*through; 2]
            && matches!(
                name,
                "add"
                    | "remove"
                    | "clear"
                    | "set"
                    | "create"
                    | "get_or_create"
                    | "update_or_create"
            )
        {
            let t = self.host.schema.model(*through);
            return Some(Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "{name}() on a many-to-many through {}, a multi-table child holding a key \
                     of its parent's, is not supported by djq yet",
                    t.name
                ),
            )
            .at(args.span)));
        }
        if let RelatedKind::ForeignObject { model, field } = &link.kind {
            // Django updates the relation by its field, which is not concrete; it removes and
            // clears only a nullable relation.
            let nullable = (self.host.schema.model(*model).foreign_objects.iter())
                .any(|fo| fo.name == *field && fo.null);
            return match name {
                "add" | "set" | "remove" | "clear" if nullable || matches!(name, "add" | "set") => {
                    Some(Err(Diagnostic::new(
                    ErrorKind::Field,
                    format!(
                        "Cannot update model field <django.db.models.fields.related.ForeignObject: \
                         {field}> (only concrete fields are permitted)."
                    ),
                )
                .at(args.span)))
                }
                "remove" | "clear" => Some(
                    self.nullable_fk(*model, field, name, args.span)
                        .map(|()| Obj::NONE),
                ),
                "create" | "get_or_create" | "update_or_create" => {
                    Some(self.related_create(link, qs, name, args))
                }
                _ => None,
            };
        }
        Some(match name {
            "add" => self.related_add(link, args).map(|()| Obj::NONE),
            "remove" => self.related_remove(link, qs, args).map(|()| Obj::NONE),
            "clear" => self.related_clear(link, qs, args).map(|()| Obj::NONE),
            "set" => self.related_set(link, qs, args).map(|()| Obj::NONE),
            "create" | "get_or_create" | "update_or_create" => {
                self.related_create(link, qs, name, args)
            }
            // Django counts through the through table alone when the target's integrity is
            // enforced (`constrained_target`), unless the objects are prefetched.
            "count" | "exists"
                if matches!(link.kind, RelatedKind::ManyToMany { .. })
                    && qs.cache.get().is_none() =>
            {
                let mut through = match self.constrained_target(link) {
                    Ok(q) => QuerySet::new(q, QsKind::Instances),
                    Err(d) => return Some(Err(d.at(args.span))),
                };
                through.via = qs.via.clone();
                self.queryset_method(Rc::new(through), name, args.clone())
            }
            _ => return None,
        })
    }

    /// The through table's rows of the owner (non-null targets only).
    fn constrained_target(&self, link: &RelatedLink) -> Result<Query> {
        self.through_rows(link, |target| {
            target.null.then(|| QChild::Leaf {
                key: format!("{}__isnull", target.name),
                value: Operand::Value(Value::Bool(false)),
                span: Span::default(),
            })
        })
    }

    /// `through.objects.filter(source=owner, <extra on the target field>)`.
    fn through_rows(
        &self,
        link: &RelatedLink,
        extra: impl FnOnce(&crate::schema::Field) -> Option<QChild>,
    ) -> Result<Query> {
        let RelatedKind::ManyToMany {
            through,
            source,
            target,
            owners: [source_owner, target_owner],
            ..
        } = &link.kind
        else {
            unreachable!("many-to-many only");
        };
        let owner = self.owner_value(link)?;
        let field = |model, i| &self.host.schema.model(model).fields[i];
        let mut children = vec![QChild::Leaf {
            key: field(*source_owner, *source).name.clone(),
            value: Operand::Value(owner),
            span: Span::default(),
        }];
        children.extend(extra(field(*target_owner, *target)));
        let mut q = Query::new(&self.host.schema, *through);
        q.add_q(&self.host.schema, &QNode::new(children, Vec::new()))?;
        Ok(q)
    }

    /// The owner's value the relation stores (its pk, or the `to_field`).
    fn owner_value(&self, link: &RelatedLink) -> Result<Value> {
        let v = link
            .instance
            .get(&link.owner_attname)
            .unwrap_or(Value::Null);
        if v.is_null() {
            let m = self.host.schema.model(link.instance.model);
            return Err(Diagnostic::new(
                ErrorKind::Value,
                format!(
                    "\"{} object (None)\" needs to have a value for field \"{}\" before this relationship can be used.",
                    m.name, link.owner_attname
                ),
            ));
        }
        Ok(v)
    }

    /// `create(**kwargs)` (and get_or_create/update_or_create): the foreign key set to the
    /// owner; a many-to-many one is then added.
    fn related_create(
        &mut self,
        link: &RelatedLink,
        qs: &QuerySet,
        name: &str,
        args: &Args,
    ) -> Result<Obj> {
        self.owner_value(link).map_err(|d| d.at(args.span))?;
        let mut args = args.clone();
        // `create(through_defaults=..., **kwargs)`: for the through row add() makes.
        let through_defaults = through_defaults_kw(&mut args);
        if let RelatedKind::ForeignKey { field, .. } | RelatedKind::ForeignObject { field, .. } =
            &link.kind
        {
            args.kw.push((
                field.clone(),
                make::instance(link.instance.clone()),
                args.span,
            ));
        }
        let mut plain = qs.clone();
        plain.related = None;
        let made = self.queryset_method(Rc::new(plain), name, args.clone())?;
        if let RelatedKind::ManyToMany { .. } = link.kind {
            let obj = match &made {
                Obj::Tuple(t) if matches!(t.get(1), Some(Obj::Value(Value::Bool(true)))) => {
                    t[0].clone()
                }
                o if o.instance().is_some() => made.clone(),
                _ => return Ok(made),
            };
            let add = Args {
                pos: vec![(obj, args.span)],
                kw: through_defaults.into_iter().collect(),
                span: args.span,
            };
            self.related_add(link, &add)?;
        }
        Ok(made)
    }

    /// The keys of `objs` (instances of `model`, or the keys themselves).
    fn keys_of(&self, model: ModelId, args: &Args) -> Result<Vec<Value>> {
        let m = self.host.schema.model(model);
        let pk = m.pk_field().attname();
        let mut keys = Vec::new();
        for (o, span) in &args.pos {
            match o {
                o if let Some(i) = o.native::<Instance>()
                    && i.model == model =>
                {
                    let v = i.get(&pk).unwrap_or(Value::Null);
                    if v.is_null() {
                        return Err(Diagnostic::new(
                            ErrorKind::Value,
                            format!(
                                "<{}: {} object (None)> instance isn't saved. Use bulk=False or save the object first.",
                                m.name, m.name
                            ),
                        )
                        .at(*span));
                    }
                    keys.push(v);
                }
                Obj::Value(v) if !matches!(v, Value::Null) => keys.push(v.clone()),
                other => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!(
                            "'{}' instance expected, got {}",
                            m.name,
                            match other {
                                Obj::Value(v) => crate::value::python_repr(v),
                                o => o.type_name(),
                            }
                        ),
                    )
                    .at(*span));
                }
            }
        }
        Ok(keys)
    }

    /// `add(*objs)`.
    fn related_add(&mut self, link: &RelatedLink, args: &Args) -> Result<()> {
        let owner = self.owner_value(link).map_err(|d| d.at(args.span))?;
        match &link.kind {
            RelatedKind::ForeignKey { model, field } => {
                for (o, span) in &args.pos {
                    if o.native::<Instance>().is_none_or(|i| i.model != *model) {
                        let expected = self.host.schema.model(*model).name.clone();
                        return Err(Diagnostic::new(
                            ErrorKind::Type,
                            format!("'{expected}' instance expected, got {}", self.repr(o)?),
                        )
                        .at(*span));
                    }
                }
                let keys = self.keys_of(*model, args)?;
                for (o, _) in &args.pos {
                    if let Some(i) = o.instance() {
                        self.set_attribute(
                            &i,
                            field,
                            make::instance(link.instance.clone()),
                            args.span,
                        )?;
                    }
                }
                // Django reads the keys after setting the relation (a composite key holding it
                // changes with it).
                let query = match self.composite_attnames(*model) {
                    Some(_) => {
                        let insts: Vec<_> =
                            args.pos.iter().filter_map(|(o, _)| o.instance()).collect();
                        // A composite key is given before the row is saved: Django asks whether
                        // the object was saved.
                        if let Some(i) = insts.iter().find(|i| i.adding()) {
                            let repr = self.repr(&make::instance(i.clone()))?;
                            return Err(Diagnostic::new(
                                ErrorKind::Value,
                                format!("{repr} instance isn't saved. Use bulk=False or save the object first."),
                            )
                            .at(args.span));
                        }
                        let rows = insts.iter().map(|i| self.pk_operand(i)).collect();
                        let mut q = Query::new(&self.host.schema, *model);
                        let leaf = QNode::leaf("pk__in".to_string(), Operand::List(rows));
                        q.add_q(&self.host.schema, &leaf)?;
                        q
                    }
                    None => self.pks_query(*model, &keys)?,
                };
                let column = self.fk_column(*model, field);
                self.update_rows(
                    *model,
                    query,
                    &[(column, Expr::Value(owner))],
                    keys.len() as u64,
                )
                .map(|_| ())
            }
            RelatedKind::ManyToMany {
                through,
                source,
                target,
                target_model,
                ..
            } => {
                let keys = python_set_order(&self.keys_of(*target_model, args)?);
                if keys.is_empty() {
                    return Ok(());
                }
                if !self.host.schema.model(*through).auto_created {
                    return self.add_through_objects(link, (*source, *target), &keys, args);
                }
                self.insert_through_rows(*through, (*source, *target), &owner, &keys)?;
                // A symmetrical relation to self: the mirror rows, in a statement of their own.
                if self.symmetrical(*through) {
                    self.insert_through_rows(*through, (*target, *source), &owner, &keys)?;
                }
                Ok(())
            }
            RelatedKind::Generic { .. } | RelatedKind::Tags { .. } => {
                unreachable!("handled by generic_related_method and tag_method")
            }
            RelatedKind::ForeignObject { .. } => unreachable!("handled by related_method"),
        }
    }

    /// Rows `(owner, key)` of an auto-created through table, skipping those it has.
    fn insert_through_rows(
        &mut self,
        through: ModelId,
        (source, target): (usize, usize),
        owner: &Value,
        keys: &[Value],
    ) -> Result<()> {
        let t = self.host.schema.model(through).clone();
        let columns = vec![
            t.fields[source].column.clone(),
            t.fields[target].column.clone(),
        ];
        let rows: Vec<Vec<Value>> = keys
            .iter()
            .map(|k| vec![owner.clone(), k.clone()])
            .collect();
        let statements = insert::insert(
            self.host.dialect,
            &Insert {
                table: &t.table,
                columns: &columns,
                returning: &[],
                rows: &rows,
                ignore_conflicts: true,
            },
        );
        for st in &statements {
            self.execute_write(st, 0)?;
        }
        Ok(())
    }

    /// `add()` through a model of models.py (Django's `_add_items`): the keys it has no row
    /// for yet, each a through object made with `through_defaults` and the model's defaults.
    fn add_through_objects(
        &mut self,
        link: &RelatedLink,
        (source, target): (usize, usize),
        keys: &[Value],
        args: &Args,
    ) -> Result<()> {
        let RelatedKind::ManyToMany { through, .. } = link.kind else {
            unreachable!("many-to-many only");
        };
        let owner = self.owner_value(link)?;
        let q = self.through_rows(link, |target| {
            Some(QChild::Leaf {
                key: format!("{}__in", target.name),
                value: Operand::values(keys.to_vec()),
                span: Span::default(),
            })
        })?;
        let t = self.host.schema.model(through).clone();
        let existing =
            self.values_of(&QuerySet::new(q, QsKind::Instances), &t.fields[target].name)?;
        let mut defaults = Vec::new();
        if let Some(d) = args.kwarg("through_defaults").filter(|d| !d.is_none()) {
            let Obj::Dict(pairs) = d else {
                return Err(
                    Diagnostic::new(ErrorKind::Type, "through_defaults must be a dict")
                        .at(args.span),
                );
            };
            for (k, v) in pairs.borrow().iter() {
                defaults.push((self.py_str(k)?, v.clone(), args.span));
            }
        }
        let mut made = Vec::new();
        for key in keys.iter().filter(|k| !existing.contains(k)) {
            let mut kw = defaults.clone();
            kw.push((
                t.fields[source].attname(),
                Obj::Value(owner.clone()),
                args.span,
            ));
            kw.push((
                t.fields[target].attname(),
                Obj::Value(key.clone()),
                args.span,
            ));
            let args = Args {
                pos: Vec::new(),
                kw,
                span: args.span,
            };
            made.push(self.new_instance(through, &args)?);
        }
        self.insert_instances(through, &made, false)
    }

    /// Is `through` the table of a symmetrical many-to-many to self (whose reverse Django
    /// hides as `<name>_rel_+`)?
    fn symmetrical(&self, through: ModelId) -> bool {
        self.host.schema.models.iter().any(|m| {
            m.m2m.iter().any(|mm| {
                mm.through == through
                    && mm
                        .related_name
                        .as_deref()
                        .is_some_and(|n| n.ends_with("_rel_+"))
            })
        })
    }

    /// `remove(*objs)`.
    fn related_remove(&mut self, link: &RelatedLink, qs: &QuerySet, args: &Args) -> Result<()> {
        self.owner_value(link).map_err(|d| d.at(args.span))?;
        match &link.kind {
            RelatedKind::ForeignKey { model, field } => {
                self.nullable_fk(*model, field, "remove", args.span)?;
                self.refuse_composite(*model, "remove() with")
                    .map_err(|d| d.at(args.span))?;
                let keys = self.keys_of(*model, args)?;
                let mut query = qs.query.clone();
                query.add_q(
                    &self.host.schema,
                    &QNode::leaf(
                        format!("{}__in", self.pk_name(*model)),
                        Operand::values(keys.clone()),
                    ),
                )?;
                let column = self.fk_column(*model, field);
                self.update_rows(*model, query, &[(column, Expr::Value(Value::Null))], 0)?;
                for (o, _) in &args.pos {
                    if let Some(i) = o.instance() {
                        self.set_attribute(&i, field, Obj::NONE, args.span)?;
                    }
                }
                Ok(())
            }
            RelatedKind::ManyToMany { target_model, .. } => {
                let keys = python_set_order(&self.keys_of(*target_model, args)?);
                self.remove_through_rows(link, Some(&keys))?;
                self.remove_mirror_rows(link, Some(&keys))
            }
            RelatedKind::Generic { .. } | RelatedKind::Tags { .. } => {
                unreachable!("handled by generic_related_method and tag_method")
            }
            RelatedKind::ForeignObject { .. } => unreachable!("handled by related_method"),
        }
    }

    /// `clear()`.
    fn related_clear(&mut self, link: &RelatedLink, qs: &QuerySet, args: &Args) -> Result<()> {
        self.owner_value(link).map_err(|d| d.at(args.span))?;
        match &link.kind {
            RelatedKind::ForeignKey { model, field } => {
                self.nullable_fk(*model, field, "clear", args.span)?;
                self.refuse_composite(*model, "clear() with")
                    .map_err(|d| d.at(args.span))?;
                let column = self.fk_column(*model, field);
                self.update_rows(
                    *model,
                    qs.query.clone(),
                    &[(column, Expr::Value(Value::Null))],
                    0,
                )
                .map(|_| ())
            }
            RelatedKind::ManyToMany { .. } => {
                self.remove_through_rows(link, None)?;
                self.remove_mirror_rows(link, None)
            }
            RelatedKind::Generic { .. } | RelatedKind::Tags { .. } => {
                unreachable!("handled by generic_related_method and tag_method")
            }
            RelatedKind::ForeignObject { .. } => unreachable!("handled by related_method"),
        }
    }

    /// A symmetrical relation's mirror rows: `DELETE FROM through WHERE target = owner [AND
    /// source IN keys]`, as Django's `_remove_items` does after the owner's own.
    fn remove_mirror_rows(&mut self, link: &RelatedLink, keys: Option<&[Value]>) -> Result<()> {
        let RelatedKind::ManyToMany {
            through,
            source,
            target,
            target_model,
            owners: [source_owner, target_owner],
        } = link.kind
        else {
            unreachable!("many-to-many only");
        };
        if !self.symmetrical(through) {
            return Ok(());
        }
        let mirror = RelatedLink {
            instance: link.instance.clone(),
            owner_attname: link.owner_attname.clone(),
            kind: RelatedKind::ManyToMany {
                through,
                source: target,
                target: source,
                target_model,
                owners: [target_owner, source_owner],
            },
        };
        self.remove_through_rows(&mirror, keys)
    }

    /// `set(objs, clear=False)`: remove what is no longer there, add what is new.
    fn related_set(&mut self, link: &RelatedLink, qs: &QuerySet, args: &Args) -> Result<()> {
        args.no_kwargs_except(&["clear", "bulk", "through_defaults"], "set")?;
        let Some((objs, span)) = args.pos.first() else {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                "set() missing 1 required positional argument: 'objs'",
            )
            .at(args.span));
        };
        let items = self.iter_obj(objs, &crate::py::args::dummy(*span))?;
        let through_defaults = through_defaults_kw(&mut args.clone());
        let with = |items: Vec<Obj>| Args {
            pos: items.into_iter().map(|o| (o, *span)).collect(),
            kw: through_defaults.iter().cloned().collect(),
            span: args.span,
        };
        // Django's `set()` of a relation that cannot be NULL only adds.
        if let RelatedKind::ForeignKey { model, field } = &link.kind
            && self.nullable_fk(*model, field, "set", args.span).is_err()
        {
            return self.related_add(link, &with(items));
        }
        if matches!(args.kwarg("clear"), Some(Obj::Value(Value::Bool(true)))) {
            self.related_clear(link, qs, &with(Vec::new()))?;
            return self.related_add(link, &with(items));
        }
        let model = qs.query.model;
        let new_keys = self.keys_of(model, &with(items.clone()))?;
        let pk = self.pk_name(model);
        // Django reads the related objects (a foreign key) or their keys (many-to-many).
        let old: Vec<(Value, Obj)> = match &link.kind {
            RelatedKind::ForeignKey { .. } => {
                let attname = self.host.schema.model(model).pk_field().attname();
                self.fetch_all(&QuerySet::new(qs.query.clone(), QsKind::Instances))?
                    .into_iter()
                    .filter_map(|o| {
                        let key = o.native::<Instance>()?.get(&attname)?;
                        Some((key, o))
                    })
                    .collect()
            }
            RelatedKind::ManyToMany { .. } => self
                .values_of(qs, &pk)?
                .into_iter()
                .map(|k| (k.clone(), Obj::Value(k)))
                .collect(),
            RelatedKind::Generic { .. } | RelatedKind::Tags { .. } => {
                unreachable!("handled by generic_related_method and tag_method")
            }
            RelatedKind::ForeignObject { .. } => unreachable!("handled by related_method"),
        };
        let removed: Vec<Obj> = old
            .iter()
            .filter(|(k, _)| !new_keys.contains(k))
            .map(|(_, o)| o.clone())
            .collect();
        let added: Vec<Obj> = items
            .into_iter()
            .zip(&new_keys)
            .filter(|(_, k)| !old.iter().any(|(o, _)| o == *k))
            .map(|(o, _)| o)
            .collect();
        if !removed.is_empty() {
            self.related_remove(link, qs, &with(removed))?;
        }
        self.related_add(link, &with(added))
    }

    /// `DELETE FROM through WHERE source = owner [AND target IN keys]`.
    fn remove_through_rows(&mut self, link: &RelatedLink, keys: Option<&[Value]>) -> Result<()> {
        let q = self.through_rows(link, |target| {
            keys.map(|keys| QChild::Leaf {
                key: format!("{}__in", target.name),
                value: Operand::List(keys.iter().cloned().map(Operand::Value).collect()),
                span: Span::default(),
            })
        })?;
        let q = q.for_write(&self.host.schema)?;
        if let Some(st) = crate::sql::modify::delete(&self.host.schema, self.host.dialect, &q)? {
            self.execute_write(&st, 0)?;
        }
        Ok(())
    }

    /// Reverse foreign keys that cannot be null have no `remove()`/`clear()`.
    fn nullable_fk(&self, model: ModelId, field: &str, method: &str, span: Span) -> Result<()> {
        let f = self
            .host
            .schema
            .model(model)
            .fields
            .iter()
            .find(|f| f.name == field);
        if f.is_some_and(|f| f.null) {
            return Ok(());
        }
        Err(Diagnostic::new(
            ErrorKind::Attribute,
            format!("'RelatedManager' object has no attribute '{method}'"),
        )
        .at(span))
    }

    fn fk_column(&self, model: ModelId, field: &str) -> String {
        self.host
            .schema
            .model(model)
            .fields
            .iter()
            .find(|f| f.name == field)
            .map_or_else(|| field.to_string(), |f| f.column.clone())
    }

    fn pk_name(&self, model: ModelId) -> String {
        self.host.schema.model(model).pk_field().name.clone()
    }

    /// `Model.objects.filter(pk__in=keys)`'s query.
    fn pks_query(&self, model: ModelId, keys: &[Value]) -> Result<Query> {
        let mut q = Query::new(&self.host.schema, model);
        q.add_q(
            &self.host.schema,
            &QNode::leaf(
                format!("{}__in", self.pk_name(model)),
                Operand::values(keys.to_vec()),
            ),
        )?;
        Ok(q)
    }

    /// `qs.values_list(field, flat=True)` as values.
    fn values_of(&mut self, qs: &QuerySet, field: &str) -> Result<Vec<Value>> {
        let mut plain = qs.clone();
        plain.related = None;
        let args = Args {
            pos: vec![(Obj::str(field), Span::default())],
            kw: vec![("flat".into(), Obj::bool(true), Span::default())],
            span: Span::default(),
        };
        let values = self.queryset_method(Rc::new(plain), "values_list", args)?;
        Ok(self
            .iter_obj(&values, &crate::py::args::dummy(Span::default()))?
            .into_iter()
            .filter_map(|o| match o {
                Obj::Value(v) => Some(v),
                _ => None,
            })
            .collect())
    }
}

/// `keys` in the order CPython iterates `set(keys)` (Django collects related keys in sets):
/// integers hash to themselves and UUIDs to their 128-bit int's hash, so their slots in the
/// hash table decide. Other keys (their hashes are randomized per process) keep their order,
/// duplicates dropped.
pub(super) fn python_set_order(keys: &[Value]) -> Vec<Value> {
    let mut unique: Vec<Value> = Vec::new();
    for k in keys {
        if !unique.contains(k) {
            unique.push(k.clone());
        }
    }
    let hashes: Option<Vec<i64>> = unique
        .iter()
        .map(|k| match k {
            Value::Int(i) if *i >= 0 => Some(*i),
            Value::Uuid(_) => crate::py::hash::hash(&Obj::Value(k.clone())).ok(),
            _ => None,
        })
        .collect();
    let Some(hashes) = hashes else { return unique };
    let mut table: Vec<Option<usize>> = vec![None; 8];
    let mut used = 0usize;
    for k in 0..hashes.len() {
        insert_slot(&mut table, &hashes, k);
        used += 1;
        let mask = table.len() - 1;
        if used * 5 >= mask * 3 {
            let mut size = 8;
            while size <= used * 4 {
                size <<= 1;
            }
            let old = std::mem::replace(&mut table, vec![None; size]);
            for k in old.into_iter().flatten() {
                insert_slot(&mut table, &hashes, k);
            }
        }
    }
    table
        .into_iter()
        .flatten()
        .map(|k| unique[k].clone())
        .collect()
}

/// CPython's `set_add_entry` probing: up to 9 linear probes, then perturbed jumps; `key`
/// indexes `hashes`.
fn insert_slot(table: &mut [Option<usize>], hashes: &[i64], key: usize) {
    let hash = hashes[key];
    let mask = table.len() - 1;
    let mut perturb = hash as u64;
    let mut i = (hash as u64 as usize) & mask;
    loop {
        let probes = if i + 9 <= mask { 9 } else { 0 };
        if let Some(slot) = table[i..=i + probes].iter_mut().find(|s| s.is_none()) {
            *slot = Some(key);
            return;
        }
        perturb >>= 5;
        i = (i
            .wrapping_mul(5)
            .wrapping_add(1)
            .wrapping_add(perturb as usize))
            & mask;
    }
}

/// Take `through_defaults=` out of `args` (for the add() that follows).
fn through_defaults_kw(args: &mut Args) -> Option<(String, Obj, Span)> {
    let i = args
        .kw
        .iter()
        .position(|(k, _, _)| k == "through_defaults")?;
    Some(args.kw.remove(i))
}
