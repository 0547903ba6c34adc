//! Model inheritance as Django's `Options` answers it: the chain of parent links from a
//! multi-table child up to an ancestor (`get_base_chain`), a model's concrete fields with
//! the inherited ones first (`_meta.concrete_fields`), a name found on an ancestor
//! (`_meta.get_field` sees inherited fields), the members instances and lookups inherit, and `issubclass` between models (a proxy is a
//! subclass of the model it proxies).

use super::{Field, FieldRef, ManyToMany, ModelId, ReverseRelation, ReverseVia, Schema};

impl Schema {
    /// Django's `get_base_chain`: the links `(model, index of its link field)` from `model`
    /// up to `ancestor`, nearest first; `None` when `ancestor` is not a multi-table ancestor.
    pub fn base_chain(&self, model: ModelId, ancestor: ModelId) -> Option<Vec<(ModelId, usize)>> {
        let parents = &self.model(model).parents;
        if let Some(&(_, link)) = parents.iter().find(|(p, _)| *p == ancestor) {
            return Some(vec![(model, link)]);
        }
        parents.iter().find_map(|&(p, link)| {
            let mut chain = self.base_chain(p, ancestor)?;
            chain.insert(0, (model, link));
            Some(chain)
        })
    }

    /// Django's `_meta.concrete_fields` as `(owner, index in the owner's fields)`: each
    /// ancestor's own fields once (parents depth first, in `_meta.parents` order), then the
    /// model's.
    pub fn concrete_fields(&self, model: ModelId) -> Vec<(ModelId, usize)> {
        fn collect(
            schema: &Schema,
            model: ModelId,
            seen: &mut Vec<ModelId>,
            out: &mut Vec<(ModelId, usize)>,
        ) {
            for &(p, _) in &schema.model(model).parents {
                if !seen.contains(&p) {
                    seen.push(p);
                    collect(schema, p, seen, out);
                }
            }
            out.extend((0..schema.model(model).fields.len()).map(|i| (model, i)));
        }
        let mut out = Vec::new();
        collect(self, model, &mut Vec::new(), &mut out);
        out
    }

    /// A name `model` does not declare, found on a multi-table ancestor (nearest parent
    /// first): the ancestor and what the name is there. An ancestor's reverse relations
    /// from its children's parent links are its own only (Django's `_get_fields`).
    pub fn inherited_field(&self, model: ModelId, name: &str) -> Option<(ModelId, FieldRef)> {
        self.model(model)
            .parents
            .iter()
            .find_map(|&(p, _)| match self.model(p).get_field(name) {
                Some(f) if !self.is_parent_link_reverse(p, f) => Some((p, f)),
                _ => self.inherited_field(p, name),
            })
    }

    /// The error for a field djq reads but cannot use yet, of `model` or of a multi-table
    /// ancestor (nearest parent first).
    pub fn unsupported_field(&self, model: ModelId, name: &str) -> Option<crate::diag::Diagnostic> {
        let m = self.model(model);
        (m.unsupported_field(name))
            .or_else(|| (m.parents.iter()).find_map(|&(p, _)| self.unsupported_field(p, name)))
            .or_else(|| self.unsupported_way_back(model, name))
    }

    /// `field` of `model` is the reverse of a child's link to its parent `model`.
    pub fn is_parent_link_reverse(&self, model: ModelId, field: FieldRef) -> bool {
        let FieldRef::Reverse(i) = field else {
            return false;
        };
        let rel = &self.model(model).reverse[i];
        matches!(rel.via, ReverseVia::ForeignKey(f)
            if self.model(rel.from).parents.iter().any(|&(_, link)| link == f))
    }

    /// The names a lookup on `model` may use (Django's "Choices are: ..."): its own and its
    /// ancestors' (but for their children's parent links), sorted.
    pub fn field_choices(&self, model: ModelId) -> Vec<String> {
        let mut names = self.model(model).field_choices();
        let mut pending = vec![model];
        while let Some(m) = pending.pop() {
            for &(p, _) in &self.model(m).parents {
                pending.push(p);
                let parent = self.model(p);
                names.extend(parent.field_choices().into_iter().filter(|n| {
                    (parent.get_field(n)).is_none_or(|f| !self.is_parent_link_reverse(p, f))
                }));
            }
        }
        names.sort();
        names.dedup();
        names
    }

    /// The model (`model` or a multi-table ancestor, nearest first) whose related manager
    /// `accessor` (a reverse relation's or a many-to-many field's) `model`'s instances have:
    /// a child's instances inherit their parents'.
    pub fn accessor_owner(&self, model: ModelId, accessor: &str) -> Option<ModelId> {
        let m = self.model(model);
        let own_reverse = m.reverse.iter().position(|r| r.accessor == accessor);
        if own_reverse.is_some() || m.m2m.iter().any(|f| f.name == accessor) {
            return Some(model);
        }
        m.parents.iter().find_map(|&(p, _)| {
            let owner = self.accessor_owner(p, accessor)?;
            let rel = self
                .model(owner)
                .reverse
                .iter()
                .position(|r| r.accessor == accessor);
            let link =
                rel.is_some_and(|i| self.is_parent_link_reverse(owner, FieldRef::Reverse(i)));
            (!link).then_some(owner)
        })
    }

    /// What `model`'s instances and lookups have from it and its multi-table ancestors: the
    /// concrete fields (Django's order), the many-to-many fields, and the reverse relations
    /// (but for the ancestors' parent links to their children).
    pub fn members(
        &self,
        model: ModelId,
    ) -> (Vec<&Field>, Vec<&ManyToMany>, Vec<&ReverseRelation>) {
        let fields = (self.concrete_fields(model).into_iter())
            .map(|(owner, i)| &self.model(owner).fields[i])
            .collect();
        let (mut m2m, mut reverse) = (Vec::new(), Vec::new());
        let mut pending = vec![model];
        let mut seen = Vec::new();
        while let Some(m) = pending.pop() {
            if seen.contains(&m) {
                continue;
            }
            seen.push(m);
            let owner = self.model(m);
            m2m.extend(owner.m2m.iter());
            reverse.extend(owner.reverse.iter().enumerate().filter_map(|(i, r)| {
                let link = m != model && self.is_parent_link_reverse(m, FieldRef::Reverse(i));
                (!link).then_some(r)
            }));
            pending.extend(owner.parents.iter().rev().map(|&(p, _)| p));
        }
        (fields, m2m, reverse)
    }

    /// Django's `_meta.concrete_model`: the model a proxy (of a proxy) stands for, else the
    /// model itself.
    pub fn concrete_model(&self, model: ModelId) -> ModelId {
        match self.model(model).proxy_for {
            Some(proxied) if proxied != model => self.concrete_model(proxied),
            _ => model,
        }
    }

    /// `issubclass(model, ancestor)` between model classes: the same model, an ancestor
    /// through multi-table parents, or (for a proxy) the model it proxies and its ancestors.
    pub fn is_subclass(&self, model: ModelId, ancestor: ModelId) -> bool {
        model == ancestor
            || self
                .model(model)
                .proxy_for
                .is_some_and(|c| self.is_subclass(c, ancestor))
            || (self.model(model).parents.iter()).any(|&(p, _)| self.is_subclass(p, ancestor))
    }
}
