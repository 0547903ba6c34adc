//! Generic relations (`django.contrib.contenttypes.fields`): a `GenericForeignKey` names two
//! concrete fields of its model (the content type and the object id), a `GenericRelation` is
//! its reverse, declared on the target model; neither has a column. Also the database's
//! content type ids, which the joins and filters of generic relations compare with.

use super::{Field, Model, ModelId, Schema};

/// `content_object = GenericForeignKey("content_type", "object_id")`.
#[derive(Debug, Clone)]
pub struct GenericForeignKey {
    pub name: String,
    /// The model declaring it, whose fields `ct_field` and `fk_field` index (a multi-table
    /// child's instances have their ancestors' generic foreign keys).
    pub owner: ModelId,
    /// Index in the owner's fields of the foreign key to ContentType.
    pub ct_field: usize,
    /// Index of the object id field.
    pub fk_field: usize,
    /// `False`: a proxy's object is stored under the proxy's own content type.
    pub for_concrete_model: bool,
}

/// `tags = GenericRelation(TaggedItem, related_query_name="bookmark")`.
#[derive(Debug, Clone)]
pub struct GenericRelation {
    pub name: String,
    /// The related model, whose rows the relation finds.
    pub to: ModelId,
    /// Index in `holder`'s fields of its foreign key to ContentType (`content_type_field=`).
    pub ct_field: usize,
    /// Index in `holder`'s fields of the object id (`object_id_field=`).
    pub fk_field: usize,
    /// The name `to`'s lookups use for the way back (none: no way back).
    pub related_query_name: Option<String>,
    /// `False`: an instance of a proxy of the owner finds the rows of the proxy's own
    /// content type.
    pub for_concrete_model: bool,
    /// The model declaring `ct_field` and `fk_field`: `to`, or a multi-table ancestor of
    /// `to` (joins go to it first, then down to `to`, as Django's
    /// `_get_path_info_with_parent`).
    pub holder: ModelId,
}

impl GenericRelation {
    /// The content type field and the object id field (of `holder`).
    pub fn fields<'s>(&self, schema: &'s Schema) -> (&'s Field, &'s Field) {
        let holder = schema.model(self.holder);
        (&holder.fields[self.ct_field], &holder.fields[self.fk_field])
    }

    /// The names of [`GenericRelation::fields`], which lookups on `to` resolve.
    pub fn field_names(&self, schema: &Schema) -> (String, String) {
        let (ct, fk) = self.fields(schema);
        (ct.name.clone(), fk.name.clone())
    }
}

/// A GenericRelation seen from the model it points at (Django's `GenericRel`), by its
/// `related_query_name`: `TaggedItem.objects.filter(bookmark__title=...)`.
#[derive(Debug, Clone)]
pub struct GenericReverse {
    pub query_name: String,
    /// The model declaring the GenericRelation.
    pub from: ModelId,
    /// Index in `from`'s `generic_relations`.
    pub relation: usize,
}

impl Schema {
    /// The id of the row in `django_content_type` of a model (of its concrete model, for a
    /// proxy), as the database has it.
    pub fn content_type_id(&self, model: ModelId) -> Option<i64> {
        self.own_content_type_id(self.concrete_model(model))
    }

    /// The id of `model`'s own content type (a proxy's, not its concrete model's:
    /// `for_concrete_model=False`), when the database has it.
    pub fn own_content_type_id(&self, model: ModelId) -> Option<i64> {
        let m = self.model(model);
        let name = m.name.to_lowercase();
        self.content_types
            .iter()
            .find(|(app, model, _)| *app == m.app_label && *model == name)
            .map(|(_, _, id)| *id)
    }

    /// The model of a content type row, when this schema has it.
    pub fn content_type_model(&self, app_label: &str, model: &str) -> Option<ModelId> {
        self.models.iter().position(|m| {
            !m.auto_created && m.app_label == app_label && m.name.eq_ignore_ascii_case(model)
        })
    }

    /// The model `django.contrib.contenttypes` declares (`ContentType`), when present.
    pub fn content_type_model_id(&self) -> Option<ModelId> {
        self.content_type_model("contenttypes", "contenttype")
    }

    /// Is `m` that model? Checked on `m` first, so asking about any other model (on every
    /// method call) scans nothing.
    pub fn is_content_type_model(&self, m: ModelId) -> bool {
        let model = self.model(m);
        !model.auto_created
            && model.app_label == "contenttypes"
            && model.name.eq_ignore_ascii_case("contenttype")
            && self.content_type_model_id() == Some(m)
    }

    /// The GenericForeignKey called `name` of `model`'s instances: its own, else a
    /// multi-table ancestor's (nearest parent first), as Django's `_meta.private_fields`.
    pub fn generic_fk(&self, model: ModelId, name: &str) -> Option<&GenericForeignKey> {
        let m = self.model(model);
        m.generic_fk(name)
            .or_else(|| (m.parents.iter()).find_map(|&(p, _)| self.generic_fk(p, name)))
    }

    /// Django copies a multi-table parent's private fields onto its children: each of
    /// `models` gets its ancestors' GenericRelations it does not declare, as its own (its
    /// own content type, joined from its own key); the way back stays the ancestor's, the
    /// copy's is Django's `+` (`mti_inherited`) when the ancestor's has one (one declared
    /// without `related_query_name` is hidden, and so is its copy).
    pub(crate) fn inherit_generic_relations(&mut self, models: &[ModelId]) {
        fn ancestors(schema: &Schema, model: ModelId, out: &mut Vec<GenericRelation>) {
            for &(p, _) in &schema.model(model).parents {
                out.extend(schema.model(p).generic_relations.iter().cloned());
                ancestors(schema, p, out);
            }
        }
        for &id in models {
            let mut inherited = Vec::new();
            ancestors(self, id, &mut inherited);
            for g in inherited {
                let m = self.model_mut(id);
                if m.generic_relations.iter().all(|own| own.name != g.name) {
                    m.generic_relations.push(GenericRelation {
                        related_query_name: g.related_query_name.as_ref().map(|_| "+".into()),
                        ..g
                    });
                }
            }
        }
    }

    /// Derive [`Model::generic_reverse`] from the GenericRelations that set a
    /// `related_query_name`.
    pub(super) fn link_generic(&mut self) {
        let mut found = Vec::new();
        for (from, model) in self.models.iter().enumerate() {
            for (relation, g) in model.generic_relations.iter().enumerate() {
                if let Some(query_name) = &g.related_query_name {
                    found.push((
                        g.to,
                        GenericReverse {
                            query_name: query_name.clone(),
                            from,
                            relation,
                        },
                    ));
                }
            }
        }
        for m in &mut self.models {
            if !m.generic_reverse.is_empty() {
                std::sync::Arc::make_mut(m).generic_reverse.clear();
            }
        }
        for (to, rel) in found {
            self.model_mut(to).generic_reverse.push(rel);
        }
    }
}

impl Model {
    /// The GenericForeignKey called `name`.
    pub fn generic_fk(&self, name: &str) -> Option<&GenericForeignKey> {
        self.generic_fks.iter().find(|g| g.name == name)
    }
}
