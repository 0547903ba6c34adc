//! Placing [`ModelDecl`]s into a [`Schema`]: a declaration replaces the introspected model of
//! its table (keeping that model's id, and the database's real index names), other
//! declarations are added; relation targets are resolved to model ids (a model nobody declared
//! nor the database has becomes a placeholder with just an `id`); references that undeclared
//! models hold into replaced ones are re-pointed by column. Each declaration is moved into its
//! model, so that a large models.py is not held twice.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{GenericDecl, ManyToManyDecl, ModelDecl, ModelRef, RelationDecl};
use crate::diag::{Diagnostic, Result};
use crate::schema::{FieldKind, ForeignKey, ManyToMany, Model, ModelId, Schema};

/// A schema from models.py alone (for `--sql-only` without a database); what could not be
/// placed is left out, as [`overlay`] says.
pub fn schema_from_models(decls: Vec<ModelDecl>) -> Result<Schema> {
    let mut schema = Schema::default();
    let mut all = crate::schema::contrib::referenced(&decls);
    all.extend(decls);
    overlay(&mut schema, all)?;
    Ok(schema)
}

/// What a declaration leaves to resolve once every model has its id: its relations.
struct Pending {
    id: ModelId,
    /// `(index in the model's fields, relation)`
    relations: Vec<(usize, Box<RelationDecl>)>,
    m2m: Vec<ManyToManyDecl>,
    generic: Vec<GenericDecl>,
    /// Indexes of the multi-table parent links in the model's fields.
    parent_links: Vec<usize>,
    /// The model a proxy proxies.
    proxy_for: Option<ModelRef>,
}

/// Merge declarations onto an introspected schema, then derive reverse relations. Each
/// declaration is moved into its model, so that a large models.py is not held twice.
/// Returns what was left out: a many-to-many field whose through model has no foreign key to
/// one of its ends (one djq could not read).
pub fn overlay(schema: &mut Schema, mut decls: Vec<ModelDecl>) -> Result<Vec<String>> {
    crate::schema::contrib::repoint_user(schema, &mut decls);
    let mut notes = Vec::new();
    let mut replaced: HashMap<ModelId, Arc<Model>> = HashMap::new();
    let mut claimed: HashSet<ModelId> = HashSet::new();
    let mut slots = Vec::with_capacity(decls.len());
    let mut pending = Vec::new();
    schema.models.reserve(decls.len());
    // Table → its first model, as `Schema::find_table` finds it (kept as models are added).
    let mut tables: HashMap<String, ModelId> = HashMap::new();
    for (id, m) in schema.models.iter().enumerate() {
        tables.entry(m.table.clone()).or_insert(id);
    }
    // (app label, lowercased name) → the first declaration of that model, as
    // `ModelRef::matches` finds it.
    let mut declared: HashMap<(Arc<str>, String), usize> = HashMap::new();
    for (position, mut decl) in decls.into_iter().enumerate() {
        declared
            .entry((decl.app_label.clone(), decl.name.to_ascii_lowercase()))
            .or_insert(position);
        let existing = tables
            .get(&decl.table)
            .copied()
            .filter(|id| !decl.proxy && !claimed.contains(id));
        let skipped = std::mem::take(&mut decl.skipped);
        let (mut model, mut relations) = model_without_relations(decl);
        model.declared = Some(position);
        let id = match existing {
            Some(id) => {
                // A field left out (its class or target not understood) is the table's own
                // column when the database has it, with its foreign key constraint.
                for name in &skipped {
                    let old = &schema.models[id];
                    let column = old.fields.iter().find(|f| {
                        !model.fields.iter().any(|m| m.column == f.column)
                            && (f.name == *name || f.column == *name)
                    });
                    model.fields.extend(column.cloned());
                }
                if schema.postgres_version.is_some() {
                    auto_pk_size(&mut model, &schema.models[id]);
                }
                let old = std::mem::replace(&mut schema.models[id], Arc::new(model));
                schema.model_mut(id).indexes = old.indexes.clone();
                replaced.insert(id, old);
                id
            }
            None => {
                tables
                    .entry(model.table.clone())
                    .or_insert(schema.models.len());
                schema.models.push(Arc::new(model));
                schema.models.len() - 1
            }
        };
        claimed.insert(id);
        slots.push(id);
        if !relations.relations.is_empty()
            || !relations.m2m.is_empty()
            || !relations.generic.is_empty()
            || relations.proxy_for.is_some()
        {
            relations.id = id;
            pending.push(relations);
        }
    }
    drop(tables);
    // The models nobody declared nor the database has, made up as relations name them.
    let placeholders_from = schema.models.len();
    // Foreign keys first: many-to-many fields find their through model's keys by target.
    for p in &mut pending {
        for (i, rel) in std::mem::take(&mut p.relations) {
            let to = resolve(schema, &declared, &slots, &rel.to);
            // A placeholder has the fields relations point at (`to_field='username'`).
            if let Some(name) = &rel.to_field
                && to >= placeholders_from
                && schema.models[to].concrete(name).is_none()
            {
                let field =
                    crate::schema::Field::new(name.as_str(), name.as_str(), FieldKind::CharField);
                schema.model_mut(to).fields.push(field);
            }
            let to_field = match &rel.to_field {
                Some(name) => schema.models[to].concrete(name).ok_or_else(|| {
                    let model = &schema.models[p.id];
                    Diagnostic::field(format!(
                        "{}.{}: to_field '{name}' is not a field of {}",
                        model.name, model.fields[i].name, schema.models[to].name
                    ))
                })?,
                None => schema.models[to].pk,
            };
            let field = &mut schema.model_mut(p.id).fields[i];
            field.relation = Some(Box::new(ForeignKey {
                to,
                to_field,
                related_name: rel.related_name,
                related_query_name: rel.related_query_name,
                on_delete: rel.on_delete,
                one_to_one: field.kind == FieldKind::OneToOneField,
                target_type: crate::value::ValueType::Int,
            }));
        }
        let model = schema.model_mut(p.id);
        model.parents = (p.parent_links.iter())
            .filter_map(|&i| Some((model.fields[i].relation.as_ref()?.to, i)))
            .collect();
        if let Some(proxied) = p.proxy_for.take() {
            let to = resolve(schema, &declared, &slots, &proxied);
            schema.model_mut(p.id).proxy_for = Some(to);
        }
    }
    for p in &mut pending {
        for g in std::mem::take(&mut p.generic) {
            notes.extend(generic_field(schema, &declared, &slots, p.id, g));
        }
    }
    schema.inherit_generic_relations(&pending.iter().map(|p| p.id).collect::<Vec<_>>());
    for p in pending {
        let id = p.id;
        schema.model_mut(id).m2m.reserve_exact(p.m2m.len());
        for m in p.m2m {
            let to = resolve(schema, &declared, &slots, &m.to);
            let through = resolve(schema, &declared, &slots, &m.through);
            let keys = match m.tags {
                true => {
                    tag_keys(schema, &m, id, through).map(|(s, t, ct)| ([through; 2], s, t, ct))
                }
                false => through_keys(schema, &m, [id, to], through)
                    .map(|[(so, s), (to, t)]| ([so, to], s, t, None)),
            };
            let through_objects = keys
                .is_err()
                .then(|| through_foreign_objects(schema, [id, to], through))
                .flatten();
            let keys = match &through_objects {
                Some([(s, _), (t, _)]) => Ok(([through; 2], *s, *t, None)),
                None => keys,
            };
            let (owners, source_field, target_field, content_type) = match keys {
                Ok(keys) => keys,
                Err(d) => {
                    notes.push(format!("{}; left out", d.message));
                    continue;
                }
            };
            schema.model_mut(id).m2m.push(ManyToMany {
                name: m.name,
                to,
                through,
                source_field,
                target_field,
                related_name: m.related_name,
                related_query_name: m.related_query_name,
                content_type,
                tags: m.tags,
                owners,
                through_objects: through_objects.map(|[(_, s), (_, t)]| [s, t]),
            });
        }
    }
    repoint(schema, &claimed, &replaced);
    schema.link();
    Ok(notes)
}

/// An auto-incrementing primary key takes its size (integer, bigint, smallint) from the
/// table's column: the implicit `id` is of the app's `default_auto_field`, a guess, as
/// settings' `DEFAULT_AUTO_FIELD` is not read. Only PostgreSQL's catalog tells the sizes apart
/// (SQLite's says integer for all); a join to a GenericRelation's `object_id` is cast only when
/// the sizes differ.
fn auto_pk_size(model: &mut Model, table: &Model) {
    let auto = |kind| {
        matches!(
            kind,
            FieldKind::AutoField | FieldKind::BigAutoField | FieldKind::SmallAutoField
        )
    };
    let pk = model.pk;
    let Some(pk) = model.fields.get_mut(pk) else {
        return;
    };
    if let Some(column) = table.fields.iter().find(|f| f.column == pk.column)
        && auto(pk.kind)
        && auto(column.kind)
    {
        pk.kind = column.kind;
    }
}

/// The model a declaration describes, and its relations still to resolve (for a model not
/// placed yet: `id` 0).
fn model_without_relations(decl: ModelDecl) -> (Model, Pending) {
    let mut relations = Vec::new();
    let fields = (decl.fields.into_iter().enumerate())
        .map(|(i, f)| {
            relations.extend(f.relation.map(|r| (i, r)));
            f.field
        })
        .collect();
    let model = Model {
        fields,
        pk: decl.pk,
        ordering: decl.ordering,
        get_latest_by: decl.get_latest_by,
        order_wrt: decl.order_wrt,
        auto_created: decl.auto_created,
        module: decl.module,
        indexes: decl.indexes,
        managers: decl.managers,
        composite_pk: decl.composite_pk,
        unsupported: decl.unsupported,
        ..Model::new(decl.name, &*decl.app_label, decl.table)
    };
    let pending = Pending {
        id: 0,
        relations,
        m2m: decl.m2m,
        generic: decl.generic,
        parent_links: decl.parent_links,
        proxy_for: decl.proxy_for,
    };
    (model, pending)
}

/// Place a GenericForeignKey or GenericRelation on model `id`, its fields found by name. A
/// GenericForeignKey whose fields are not the model's own concrete fields (inherited from a
/// multi-table parent) is left out, rather than join the wrong table; a GenericRelation's are
/// its target's or a multi-table ancestor's of it, and one whose fields are neither is left
/// out, named in the note returned.
fn generic_field(
    schema: &mut Schema,
    declared: &HashMap<(Arc<str>, String), usize>,
    slots: &[ModelId],
    id: ModelId,
    g: GenericDecl,
) -> Option<String> {
    let field = |schema: &Schema, model: ModelId, name: &str| {
        let m = &schema.models[model];
        m.fields.iter().position(|f| f.name == name)
    };
    match g {
        GenericDecl::ForeignKey {
            name,
            ct_field,
            fk_field,
            for_concrete_model,
        } => {
            if let (Some(ct_field), Some(fk_field)) =
                (field(schema, id, &ct_field), field(schema, id, &fk_field))
            {
                let g = crate::schema::GenericForeignKey {
                    name,
                    owner: id,
                    ct_field,
                    fk_field,
                    for_concrete_model,
                };
                schema.model_mut(id).generic_fks.push(g);
            }
            None
        }
        GenericDecl::Relation {
            name,
            to,
            ct_field,
            fk_field,
            related_query_name,
            for_concrete_model,
        } => {
            let to = resolve(schema, declared, slots, &to);
            // The fields are `to`'s own or a multi-table ancestor's (Django's
            // `opts.get_field(object_id_field_name).model`), both of one model.
            let holder = (schema.concrete_fields(to).into_iter())
                .find(|&(m, i)| schema.model(m).fields[i].name == fk_field)
                .map(|(m, _)| m);
            if let Some(holder) = holder
                && let (Some(ct_field), Some(fk_field)) = (
                    field(schema, holder, &ct_field),
                    field(schema, holder, &fk_field),
                )
            {
                let g = crate::schema::GenericRelation {
                    name,
                    to,
                    ct_field,
                    fk_field,
                    related_query_name,
                    for_concrete_model,
                    holder,
                };
                schema.model_mut(id).generic_relations.push(g);
                return None;
            }
            let (model, target) = (&schema.model(id).name, &schema.model(to).name);
            Some(format!(
                "{model}.{name}: a GenericRelation to {target}, whose {ct_field} and {fk_field} \
                 are not fields of one model of its own or its multi-table parents', is not \
                 supported by djq yet; left out"
            ))
        }
    }
}

/// The id of the model a reference names: a declaration, else the database's model of its
/// default table or of that name, else a new placeholder (`auth.User` → `User`, `auth_user`)
/// with its `id` (and, added by its relations, the fields they name as `to_field`).
fn resolve(
    schema: &mut Schema,
    declared: &HashMap<(Arc<str>, String), usize>,
    slots: &[ModelId],
    r: &ModelRef,
) -> ModelId {
    if let Some(&i) = declared.get(&(r.app_label.clone(), r.name.to_ascii_lowercase())) {
        return slots[i];
    }
    let table = contrib_table(r).map_or_else(|| r.default_table(), str::to_string);
    if let Some(id) = schema.find_table(&table).or_else(|| {
        schema
            .models
            .iter()
            .position(|m| r.matches(&m.app_label, &m.name))
    }) {
        return id;
    }
    let mut model = Model::new(&r.name, &*r.app_label, table);
    model.fields.push(super::auto_pk(
        &mut Default::default(),
        FieldKind::AutoField,
    ));
    schema.models.push(Arc::new(model));
    schema.models.len() - 1
}

/// The table of a `django.contrib` model whose table is not `{app_label}_{name}`.
fn contrib_table(r: &ModelRef) -> Option<&'static str> {
    let name = r.name.to_ascii_lowercase();
    Some(match (&*r.app_label, name.as_str()) {
        ("contenttypes", "contenttype") => "django_content_type",
        ("admin", "logentry") => "django_admin_log",
        ("sessions", "session") => "django_session",
        ("sites", "site") => "django_site",
        _ => return None,
    })
}

/// The foreign keys of the through model to the source and the target, each as (the model
/// declaring it, its index there): named by `through_fields`, else the first key to each (the
/// first two for a self-relation), among the through model's fields with the inherited ones
/// first (Django's `_meta.fields` of a multi-table child).
fn through_keys(
    schema: &Schema,
    m: &ManyToManyDecl,
    [source, target]: [ModelId; 2],
    through: ModelId,
) -> Result<[(ModelId, usize); 2]> {
    let missing = |what: &str| {
        Diagnostic::field(format!(
            "{}.{}: the through model {} has no foreign key {what}",
            schema.models[source].name, m.name, schema.models[through].name
        ))
    };
    let keys: Vec<_> = (schema.concrete_fields(through).into_iter())
        .filter(|&(owner, i)| schema.models[owner].fields[i].relation.is_some())
        .collect();
    let field = |(owner, i): &(ModelId, usize)| &schema.models[*owner].fields[*i];
    if let Some((s, t)) = &m.through_fields {
        let find = |name: &str| {
            (keys.iter())
                .find(|k| field(k).name == *name)
                .copied()
                .ok_or_else(|| missing(&format!("'{name}'")))
        };
        return Ok([find(s)?, find(t)?]);
    }
    let keys_to = |id: ModelId| {
        (keys.iter())
            .filter(move |k| field(k).relation.as_ref().is_some_and(|r| r.to == id))
            .copied()
    };
    let source_key = keys_to(source)
        .next()
        .ok_or_else(|| missing(&format!("to {}", schema.models[source].name)))?;
    let target_key = keys_to(target)
        .find(|&k| k != source_key)
        .ok_or_else(|| missing(&format!("to {}", schema.models[target].name)))?;
    Ok([source_key, target_key])
}

/// A through model whose keys are `ForeignObject`s (Django finds a many-to-many's keys among
/// the through model's relations, those included): the first to the source and another to
/// the target, each as its first local field and its name.
fn through_foreign_objects(
    schema: &Schema,
    [source, target]: [ModelId; 2],
    through: ModelId,
) -> Option<[(usize, String); 2]> {
    let model = &schema.models[through];
    let to = |id: ModelId| {
        let name = &schema.models[id].name;
        (model.unsupported.iter())
            .filter(move |d| d.runs.is_none() && d.to == *name)
            .filter_map(|d| Some((model.concrete(d.from_fields.first()?)?, d.name.clone())))
    };
    let source_key = to(source).next()?;
    let target_key = to(target).find(|k| k.1 != source_key.1)?;
    Some([source_key, target_key])
}

/// A `TaggableManager`'s through model's fields: the source (its `content_object` foreign
/// key, or the object id of a generic through), its `tag`, and a generic through's content
/// type (django-taggit's `use_gfk`).
fn tag_keys(
    schema: &Schema,
    m: &ManyToManyDecl,
    source: ModelId,
    through: ModelId,
) -> Result<(usize, usize, Option<usize>)> {
    let model = &schema.models[through];
    let find = |name: &str, key: bool| {
        (model.fields.iter())
            .position(|f| f.name == *name && f.relation.is_some() == key)
            .ok_or_else(|| {
                Diagnostic::field(format!(
                    "{}.{}: the through model {} has no field '{name}'",
                    schema.models[source].name, m.name, model.name
                ))
            })
    };
    let tag = find("tag", true)?;
    match find("content_object", true) {
        Ok(object) => Ok((object, tag, None)),
        Err(_) => Ok((
            find("object_id", false)?,
            tag,
            Some(find("content_type", true)?),
        )),
    }
}

/// Models nobody declared keep their introspected relations; where those point into a model
/// that a declaration replaced, follow the same column into the new field list.
fn repoint(
    schema: &mut Schema,
    declared: &HashSet<ModelId>,
    replaced: &HashMap<ModelId, Arc<Model>>,
) {
    let same_column = |schema: &Schema, model: ModelId, index: usize| {
        let column = &replaced[&model].fields[index].column;
        let new = &schema.models[model];
        new.fields
            .iter()
            .position(|f| &f.column == column)
            .unwrap_or(new.pk)
    };
    for id in (0..schema.models.len()).filter(|id| !declared.contains(id)) {
        for i in 0..schema.models[id].fields.len() {
            if let Some(rel) = &schema.models[id].fields[i].relation
                && replaced.contains_key(&rel.to)
            {
                let to_field = same_column(schema, rel.to, rel.to_field);
                if let Some(rel) = &mut schema.model_mut(id).fields[i].relation {
                    rel.to_field = to_field;
                }
            }
        }
        for i in 0..schema.models[id].m2m.len() {
            let m = &schema.models[id].m2m[i];
            if replaced.contains_key(&m.through) {
                let source_field = same_column(schema, m.through, m.source_field);
                let target_field = same_column(schema, m.through, m.target_field);
                let m = &mut schema.model_mut(id).m2m[i];
                m.source_field = source_field;
                m.target_field = target_field;
            }
        }
    }
}
