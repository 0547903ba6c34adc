//! Placing [`ModelDecl`]s into a [`Schema`]: a declaration replaces the introspected model of
//! its table (keeping that model's id, and the database's real index names), other
//! declarations are added; relation targets are resolved to model ids (a model nobody declared
//! nor the database has becomes a placeholder with just an `id`); references that undeclared
//! models hold into replaced ones are re-pointed by column.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{ManyToManyDecl, ModelDecl, ModelRef};
use crate::diag::{Diagnostic, Result};
use crate::schema::{FieldKind, ForeignKey, ManyToMany, Model, ModelId, Schema};

/// A schema from models.py alone (for `--sql-only` without a database).
pub fn schema_from_models(decls: &[ModelDecl]) -> Result<Schema> {
    let mut schema = Schema::default();
    overlay(&mut schema, decls)?;
    Ok(schema)
}

/// Merge declarations onto an introspected schema, then derive reverse relations.
pub fn overlay(schema: &mut Schema, decls: &[ModelDecl]) -> Result<()> {
    let mut replaced: HashMap<ModelId, Arc<Model>> = HashMap::new();
    let mut claimed: HashSet<ModelId> = HashSet::new();
    let mut slots = Vec::with_capacity(decls.len());
    schema.models.reserve(decls.len());
    // Table → its first model, as `Schema::find_table` finds it (kept as models are added).
    let mut tables: HashMap<String, ModelId> = HashMap::new();
    for (id, m) in schema.models.iter().enumerate() {
        tables.entry(m.table.clone()).or_insert(id);
    }
    for (position, decl) in decls.iter().enumerate() {
        let mut model = model_without_relations(decl);
        model.declared = Some(position);
        let existing = tables
            .get(&decl.table)
            .copied()
            .filter(|id| !decl.proxy && !claimed.contains(id));
        let id = match existing {
            Some(id) => {
                let old = std::mem::replace(&mut schema.models[id], Arc::new(model));
                schema.model_mut(id).indexes = old.indexes.clone();
                replaced.insert(id, old);
                id
            }
            None => {
                schema.models.push(Arc::new(model));
                let id = schema.models.len() - 1;
                tables.entry(decl.table.clone()).or_insert(id);
                id
            }
        };
        claimed.insert(id);
        slots.push(id);
    }
    // (app label, lowercased name) → the first declaration of that model, as
    // `ModelRef::matches` finds it.
    let mut declared: HashMap<(&str, String), usize> = HashMap::new();
    for (i, d) in decls.iter().enumerate() {
        declared
            .entry((d.app_label.as_str(), d.name.to_ascii_lowercase()))
            .or_insert(i);
    }
    // Foreign keys first: many-to-many fields find their through model's keys by target.
    for (decl, &id) in decls.iter().zip(&slots) {
        for (i, f) in decl.fields.iter().enumerate() {
            let Some(rel) = &f.relation else { continue };
            let to = resolve(schema, &declared, &slots, &rel.to);
            let to_field = match &rel.to_field {
                Some(name) => schema.models[to].concrete(name).ok_or_else(|| {
                    Diagnostic::field(format!(
                        "{}.{}: to_field '{name}' is not a field of {}",
                        decl.name, f.field.name, schema.models[to].name
                    ))
                })?,
                None => schema.models[to].pk,
            };
            schema.model_mut(id).fields[i].relation = Some(Box::new(ForeignKey {
                to,
                to_field,
                related_name: rel.related_name.clone(),
                related_query_name: rel.related_query_name.clone(),
                on_delete: rel.on_delete,
                one_to_one: f.field.kind == FieldKind::OneToOneField,
            }));
        }
    }
    for (decl, &id) in decls.iter().zip(&slots) {
        for m in &decl.m2m {
            let to = resolve(schema, &declared, &slots, &m.to);
            let through = resolve(schema, &declared, &slots, &m.through);
            let (source_field, target_field) = through_keys(schema, decl, m, [id, to], through)?;
            schema.model_mut(id).m2m.push(ManyToMany {
                name: m.name.clone(),
                to,
                through,
                source_field,
                target_field,
                related_name: m.related_name.clone(),
                related_query_name: m.related_query_name.clone(),
            });
        }
    }
    repoint(schema, &claimed, &replaced);
    schema.link();
    Ok(())
}

/// The model a declaration describes, its relations still unresolved.
fn model_without_relations(decl: &ModelDecl) -> Model {
    let mut model = Model::new(&decl.name, &decl.app_label, &decl.table);
    model.fields = decl.fields.iter().map(|f| f.field.clone()).collect();
    model.pk = decl.pk;
    model.ordering = decl.ordering.clone();
    model.auto_created = decl.auto_created;
    model.module = decl.module.clone();
    model.indexes = decl.indexes.clone();
    model.managers = decl.managers.clone();
    model
}

/// The id of the model a reference names: a declaration, else the database's model of its
/// default table or of that name, else a new placeholder (`auth.User` → `User`, `auth_user`).
fn resolve(
    schema: &mut Schema,
    declared: &HashMap<(&str, String), usize>,
    slots: &[ModelId],
    r: &ModelRef,
) -> ModelId {
    if let Some(&i) = declared.get(&(r.app_label.as_str(), r.name.to_ascii_lowercase())) {
        return slots[i];
    }
    let table = r.default_table();
    if let Some(id) = schema.find_table(&table).or_else(|| {
        schema
            .models
            .iter()
            .position(|m| r.matches(&m.app_label, &m.name))
    }) {
        return id;
    }
    let mut model = Model::new(&r.name, &r.app_label, table);
    model.fields.push(super::auto_pk(FieldKind::AutoField));
    schema.models.push(Arc::new(model));
    schema.models.len() - 1
}

/// Indexes (in the through model) of the foreign keys to the source and the target: named by
/// `through_fields`, else the first key to each (the first two for a self-relation).
fn through_keys(
    schema: &Schema,
    decl: &ModelDecl,
    m: &ManyToManyDecl,
    [source, target]: [ModelId; 2],
    through: ModelId,
) -> Result<(usize, usize)> {
    let model = &schema.models[through];
    let missing = |what: &str| {
        Diagnostic::field(format!(
            "{}.{}: the through model {} has no foreign key {what}",
            decl.name, m.name, model.name
        ))
    };
    if let Some((s, t)) = &m.through_fields {
        let find = |name: &str| {
            model
                .fields
                .iter()
                .position(|f| f.relation.is_some() && f.name == *name)
                .ok_or_else(|| missing(&format!("'{name}'")))
        };
        return Ok((find(s)?, find(t)?));
    }
    let keys_to = |id: ModelId| {
        model
            .fields
            .iter()
            .enumerate()
            .filter(move |(_, f)| f.relation.as_ref().is_some_and(|r| r.to == id))
            .map(|(i, _)| i)
    };
    let source_field = keys_to(source)
        .next()
        .ok_or_else(|| missing(&format!("to {}", schema.models[source].name)))?;
    let target_field = keys_to(target)
        .find(|&i| i != source_field)
        .ok_or_else(|| missing(&format!("to {}", schema.models[target].name)))?;
    Ok((source_field, target_field))
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
