//! The query side of `QuerySet.extra()` (Django's `Query.extra`, `extra_select_mask` and
//! `extra_tables`): the user's SQL fragments kept by name, selected, masked and added to FROM.

use super::{Expr, Query, SelectItem};

impl Query {
    /// One `extra(select={name: sql})` entry: a name given again is replaced where it was
    /// (Django's dict update); after values() chose its columns, a new one is not selected.
    pub fn add_extra_select(&mut self, item: SelectItem) {
        for list in [&mut self.extra_select, &mut self.extra_masked] {
            if let Some(old) = list.iter_mut().find(|s| s.name == item.name) {
                *old = item;
                return;
            }
        }
        if self.default_cols || self.select.is_empty() {
            self.extra_select.push(item);
        } else {
            self.extra_masked.push(item);
        }
    }

    /// The `extra(select=...)` entry `name`, selected or not.
    pub fn extra(&self, name: &str) -> Option<&Expr> {
        self.extra_select
            .iter()
            .chain(&self.extra_masked)
            .find(|s| s.name == name && matches!(s.expr, Expr::Raw { .. }))
            .map(|s| &s.expr)
    }

    /// values() chose the columns: the extra entries it did not name are no longer selected.
    pub fn mask_extra_select(&mut self) {
        let masked = std::mem::take(&mut self.extra_select);
        self.extra_masked.extend(masked);
    }
}
