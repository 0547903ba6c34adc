//! `ForeignObject`: a relation over several columns (Django's `from_fields`/`to_fields`).
//!
//! The reader keeps each one as written ([`ForeignObjectDecl`], in [`Model::unsupported`]);
//! [`Schema::link`] places those whose target and fields it finds as
//! [`Model::foreign_objects`], which lookups join across and compare (as a row value). What
//! is not placed (and what djq does not do with a placed one yet) stays a not-supported
//! error.

use super::{Model, ModelId, OnDelete, Schema};

/// A `ForeignObject` as models.py declares it.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignObjectDecl {
    pub name: String,
    /// Its class (`ForeignObject`, or a subclass in models.py).
    pub class: String,
    /// A method of a subclass that changes how it joins (`get_joining_fields`,
    /// `get_path_info`, ...): such a relation is not placed.
    pub runs: Option<&'static str>,
    /// The class name of the model it points at ("" when unread).
    pub to: String,
    /// `from_fields` and `to_fields`, as written (field names).
    pub from_fields: Vec<String>,
    pub to_fields: Vec<String>,
    pub on_delete: OnDelete,
    /// `null=True`.
    pub null: bool,
    /// `related_name` (`None`: `<model>_set`).
    pub related_name: Option<String>,
    /// `related_query_name`, else `related_name` (`None`: the model's name, lowercased;
    /// ending in `+`: no way back).
    pub related_query_name: Option<String>,
    /// A subclass defines `get_extra_restriction(alias, related_alias)`: its join adds the
    /// condition that method returns, run when the join is written.
    pub restricts: bool,
}

impl ForeignObjectDecl {
    /// Why djq does not place it ("... is"/"... are", before "not supported by djq yet").
    pub fn why(&self) -> String {
        match self.runs {
            Some(method) => format!("a ForeignObject joining by its own {method}() is"),
            None => "multi-column relations are".into(),
        }
    }
}

/// A placed `ForeignObject`: `pairs` are `(field of this model, field of to)` in
/// declaration order (the order Django's join compares them in).
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignObject {
    pub name: String,
    pub to: ModelId,
    pub pairs: Vec<(usize, usize)>,
    pub on_delete: OnDelete,
    pub null: bool,
    /// The name lookups from `to` back across it use (`None`: no way back).
    pub query_name: Option<String>,
    /// The attribute of `to`'s instances holding its related manager.
    pub accessor: String,
    /// Its class, when that defines `get_extra_restriction()` (its joins add what it returns).
    pub restriction: Option<String>,
}

/// The way back of a placed `ForeignObject`: `from.foreign_objects[relation]` points here.
#[derive(Debug, Clone, PartialEq)]
pub struct ForeignObjectReverse {
    pub query_name: String,
    pub accessor: String,
    pub from: ModelId,
    pub relation: usize,
}

impl Schema {
    /// Place every model's declared `ForeignObject`s whose target model (same app first) and
    /// fields are known.
    pub(super) fn link_foreign_objects(&mut self) {
        for id in 0..self.models.len() {
            let m = &self.models[id];
            if m.unsupported.is_empty() && m.foreign_objects.is_empty() {
                continue;
            }
            let placed: Vec<ForeignObject> = (m.unsupported.iter())
                .filter_map(|d| self.place_foreign_object(m, d))
                .collect();
            self.model_mut(id).foreign_objects = placed;
        }
        for m in &mut self.models {
            if !m.foreign_object_reverse.is_empty() {
                std::sync::Arc::make_mut(m).foreign_object_reverse.clear();
            }
        }
        let mut found = Vec::new();
        for (from, m) in self.models.iter().enumerate() {
            for (relation, fo) in m.foreign_objects.iter().enumerate() {
                if let Some(query_name) = &fo.query_name {
                    let query_name = query_name.clone();
                    let rel = ForeignObjectReverse {
                        query_name,
                        accessor: fo.accessor.clone(),
                        from,
                        relation,
                    };
                    found.push((fo.to, rel));
                }
            }
        }
        for (to, rel) in found {
            self.model_mut(to).foreign_object_reverse.push(rel);
        }
    }

    fn place_foreign_object(&self, m: &Model, d: &ForeignObjectDecl) -> Option<ForeignObject> {
        if d.runs.is_some() {
            return None;
        }
        let to = (self.models.iter())
            .position(|t| t.name == d.to && t.app_label == m.app_label)
            .or_else(|| self.find_model(&d.to))?;
        if d.from_fields.len() != d.to_fields.len() || d.from_fields.is_empty() {
            return None;
        }
        let target = &self.models[to];
        let pairs = (d.from_fields.iter().zip(&d.to_fields))
            .map(|(f, t)| Some((m.concrete(f)?, target.concrete(t)?)))
            .collect::<Option<Vec<_>>>()?;
        let query_name = match &d.related_query_name {
            Some(n) if n.ends_with('+') => None,
            Some(n) => Some(n.clone()),
            None => Some(m.name.to_lowercase()),
        };
        Some(ForeignObject {
            name: d.name.clone(),
            to,
            pairs,
            on_delete: d.on_delete,
            null: d.null,
            query_name,
            accessor: (d.related_name.clone())
                .unwrap_or_else(|| format!("{}_set", m.name.to_lowercase())),
            restriction: d.restricts.then(|| d.class.clone()),
        })
    }
}

impl Schema {
    /// The error for the way back (`name`, its accessor or query name) of a `ForeignObject`
    /// pointing at `model` that djq could not place.
    pub fn unsupported_way_back(
        &self,
        model: ModelId,
        name: &str,
    ) -> Option<crate::diag::Diagnostic> {
        let target = &self.model(model).name;
        self.models.iter().find_map(|m| {
            let decl = m.unsupported.iter().find(|d| {
                let back = |n: &Option<String>| {
                    n.as_deref().is_some_and(|n| n == name && !n.ends_with('+'))
                };
                d.to == *target
                    && m.foreign_object(&d.name).is_none()
                    && (back(&d.related_name) || back(&d.related_query_name))
            })?;
            Some(crate::diag::Diagnostic::new(
                crate::diag::ErrorKind::NotSupported,
                format!(
                    "{target}.{name} is the way back of {}.{}, a {}: {} not supported by djq yet",
                    m.name,
                    decl.name,
                    decl.class,
                    decl.why()
                ),
            ))
        })
    }
}

impl Model {
    /// The placed `ForeignObject` called `name`.
    pub fn foreign_object(&self, name: &str) -> Option<usize> {
        self.foreign_objects.iter().position(|f| f.name == name)
    }

    /// The way back of a `ForeignObject` whose query name is `name`.
    pub fn foreign_object_back(&self, name: &str) -> Option<usize> {
        (self.foreign_object_reverse.iter()).position(|r| r.query_name == name)
    }

    /// The way back of a `ForeignObject` whose related manager is the attribute `name`.
    pub fn foreign_object_accessor(&self, name: &str) -> Option<usize> {
        (self.foreign_object_reverse.iter()).position(|r| r.accessor == name)
    }
}
