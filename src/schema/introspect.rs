//! Introspection: a live database → [`Schema`], named by Django's conventions.
//!
//! Owns two things, kept apart so every backend shares the second:
//! - reading a backend's catalog into a neutral `Catalog` (tables, columns with their
//!   Django field kind, foreign keys, indexes, `django_content_type` rows) — SQLite lives in
//!   `sqlite_catalog`, PostgreSQL in `postgres_catalog`;
//! - naming that catalog the way Django and `inspectdb` would: model names from content types
//!   or `table2model`, field names from columns (`author_id` → `author`), auto-created
//!   many-to-many through tables folded into [`ManyToMany`] fields (`build`); the tables of
//!   Django's own apps then get their models' declarations ([`super::contrib`]).
//!
//! Introspection knows nothing of `Meta.ordering`, `related_name`, choices or defaults; the
//! `--models` overlay ([`super::models_py`]) adds those.

mod postgres_catalog;
mod sqlite_catalog;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::{Field, FieldKind, ForeignKey, Index, ManyToMany, Model, ModelId, OnDelete, Schema};
use crate::backend::Backend;
use crate::diag::Result;

/// Read the schema of whatever database `db` is connected to.
pub fn database(db: &mut dyn Backend) -> Result<Schema> {
    match db.as_sqlite() {
        Some(conn) => sqlite(conn),
        None => postgres(db),
    }
}

/// Read a SQLite database's schema.
pub fn sqlite(conn: &rusqlite::Connection) -> Result<Schema> {
    named(build(sqlite_catalog::read(conn)?))
}

/// Read a PostgreSQL database's schema (the tables on the session's search path) through a
/// session; the number of queries is the same whatever the number of tables.
pub fn postgres(db: &mut dyn Backend) -> Result<Schema> {
    named(build(postgres_catalog::read(db)?))
}

/// The tables of Django's own apps named by their models ([`super::contrib`]).
fn named(mut schema: Schema) -> Result<Schema> {
    super::contrib::overlay(&mut schema)?;
    Ok(schema)
}

/// What a backend reports, before any Django naming.
#[derive(Debug, Default)]
struct Catalog {
    tables: Vec<Table>,
    /// `(app_label, model, id)` rows of `django_content_type`, when that table exists.
    content_types: Vec<(String, String, i64)>,
    /// PostgreSQL's `server_version_num`.
    postgres_version: Option<i64>,
}

#[derive(Debug)]
struct Table {
    name: String,
    /// In the table's column order.
    columns: Vec<Column>,
    foreign_keys: Vec<ForeignKeyInfo>,
    /// Indexes and unique constraints (not the primary key's).
    indexes: Vec<Index>,
}

#[derive(Debug)]
struct Column {
    name: String,
    /// The field class `inspectdb` would pick from the declared type (relations come later).
    kind: FieldKind,
    null: bool,
    /// Position in the primary key (1-based), 0 when not part of it.
    pk_position: usize,
    max_length: Option<u32>,
    decimal: Option<(u32, u32)>,
    /// An array column's element type (PostgreSQL): what ArrayField's `base_field` is.
    element: Option<ColumnType>,
}

/// A column's field class with its `max_length` and `(max_digits, decimal_places)`.
type ColumnType = (FieldKind, Option<u32>, Option<(u32, u32)>);

#[derive(Debug, Clone)]
struct ForeignKeyInfo {
    column: String,
    table: String,
    /// The referenced column; `None` means the referenced table's primary key.
    to_column: Option<String>,
}

/// Name a catalog by Django's conventions and derive reverse relations.
fn build(mut catalog: Catalog) -> Schema {
    catalog.tables.sort_by(|a, b| a.name.cmp(&b.name));
    // A reference to a table that does not exist leaves a plain column.
    let names: HashSet<String> = catalog
        .tables
        .iter()
        .map(|t| t.name.to_lowercase())
        .collect();
    for table in &mut catalog.tables {
        table
            .foreign_keys
            .retain(|fk| names.contains(&fk.table.to_lowercase()));
    }
    let content_types: HashMap<String, (&str, &str)> = catalog
        .content_types
        .iter()
        .map(|(app, model, _)| (format!("{app}_{model}"), (app.as_str(), model.as_str())))
        .collect();
    let mut schema = Schema {
        models: catalog
            .tables
            .iter()
            .map(|t| Arc::new(model_for_table(t, &content_types)))
            .collect(),
        content_types: catalog.content_types.clone(),
        postgres_version: catalog.postgres_version,
        ..Schema::default()
    };
    for (id, table) in catalog.tables.iter().enumerate() {
        link_foreign_keys(&mut schema, id, table);
    }
    for (id, table) in catalog.tables.iter().enumerate() {
        fold_through_table(&mut schema, id, table);
    }
    schema.link();
    schema
}

/// A model for a table, fields named from its columns, relations not yet resolved.
fn model_for_table(table: &Table, content_types: &HashMap<String, (&str, &str)>) -> Model {
    let (name, app_label) = match content_types.get(&table.name) {
        Some((app, model)) => (table2model(model), app.to_string()),
        None => (table2model(&table.name), String::new()),
    };
    let mut model = Model::new(name, app_label, &table.name);
    let unique_columns: HashSet<&str> = table
        .indexes
        .iter()
        .filter(|i| i.unique && i.columns.len() == 1)
        .map(|i| &*i.columns[0])
        .collect();
    let mut used = HashSet::new();
    for column in &table.columns {
        let is_relation = table
            .foreign_keys
            .iter()
            .any(|fk| fk.column.eq_ignore_ascii_case(&column.name));
        let name = normalize_col_name(&column.name, is_relation, &used);
        used.insert(name.clone());
        let mut field = Field::new(name, &column.name, column.kind);
        field.primary_key = column.pk_position == 1;
        field.null = column.null && column.pk_position == 0;
        field.unique = field.primary_key || unique_columns.contains(column.name.as_str());
        field.max_length = column.max_length;
        field.decimal = column.decimal;
        field.base_field = column.element.map(|(kind, max_length, decimal)| {
            let mut base = Field::new(&field.name, &column.name, kind);
            base.max_length = max_length;
            base.decimal = decimal;
            Box::new(base)
        });
        model.fields.push(field);
    }
    model.pk = table
        .columns
        .iter()
        .position(|c| c.pk_position == 1)
        .unwrap_or(0);
    let mut key: Vec<(usize, usize)> = (table.columns.iter().enumerate())
        .filter(|(_, c)| c.pk_position > 0)
        .map(|(i, c)| (c.pk_position, i))
        .collect();
    if key.len() > 1 {
        key.sort_unstable();
        model.composite_pk = key.into_iter().map(|(_, i)| i).collect();
    }
    model.indexes = table.indexes.clone();
    model
}

/// Turn the columns of `table` that reference another table into ForeignKey/OneToOneField,
/// as inspectdb does: one-to-one when the column is unique or the primary key.
fn link_foreign_keys(schema: &mut Schema, id: ModelId, table: &Table) {
    // SQLite compares identifiers case-insensitively; a REFERENCES clause need not match case.
    let same = |a: &str, b: &str| a.eq_ignore_ascii_case(b);
    for fk in &table.foreign_keys {
        let Some(to) = schema.models.iter().position(|m| same(&m.table, &fk.table)) else {
            continue;
        };
        let target = schema.model(to);
        let to_field = match &fk.to_column {
            Some(col) => target.fields.iter().position(|f| same(&f.column, col)),
            None => Some(target.pk),
        };
        let field = schema
            .model_mut(id)
            .fields
            .iter_mut()
            .find(|f| same(&f.column, &fk.column));
        let (Some(to_field), Some(field)) = (to_field, field) else {
            continue;
        };
        let one_to_one = field.unique;
        field.kind = if one_to_one {
            FieldKind::OneToOneField
        } else {
            FieldKind::ForeignKey
        };
        field.relation = Some(Box::new(ForeignKey {
            to,
            to_field,
            related_name: None,
            related_query_name: None,
            on_delete: OnDelete::DoNothing,
            one_to_one,
            target_type: crate::value::ValueType::Int,
        }));
    }
}

/// If `table` is the through table Django creates for a ManyToManyField (an `id` primary key
/// and two foreign keys, unique together, named `{source table}_{field}`), mark it
/// auto-created, name it `{Source}_{field}` and add the field to the source model.
fn fold_through_table(schema: &mut Schema, id: ModelId, table: &Table) {
    let model = schema.model(id);
    if model.fields.len() != 3 || model.pk_field().column != "id" {
        return;
    }
    // (field index, the model it points at) for the two keys.
    let keys: Vec<(usize, ModelId)> = (0..3)
        .filter(|&i| i != model.pk)
        .filter_map(|i| model.fields[i].relation.as_ref().map(|r| (i, r.to)))
        .collect();
    let &[a, b] = keys.as_slice() else { return };
    let (col_a, col_b) = (&model.fields[a.0].column, &model.fields[b.0].column);
    let unique_together = table.indexes.iter().any(|i| {
        let has = |column: &str| i.columns.iter().any(|c| **c == *column);
        i.unique && i.columns.len() == 2 && has(col_a) && has(col_b)
    });
    if !unique_together {
        return;
    }
    // The source is the model whose table prefixes this one; for a self-referential
    // relation both do, and Django names the source column `from_{model}_id`.
    let mut candidates: Vec<((usize, ModelId), (usize, ModelId))> = [(a, b), (b, a)]
        .into_iter()
        .filter(|(s, _)| {
            let prefix = format!("{}_", schema.model(s.1).table);
            table.name.len() > prefix.len() && table.name.starts_with(&prefix)
        })
        .collect();
    candidates.sort_by_key(|(s, t)| {
        let source = schema.model(s.1);
        let lower = source.name.to_lowercase();
        let expected = if s.1 == t.1 {
            format!("from_{lower}_id")
        } else {
            format!("{lower}_id")
        };
        // Prefer the column Django would have named, then the longest table prefix.
        (
            model.fields[s.0].column != expected,
            std::cmp::Reverse(source.table.len()),
        )
    });
    let Some(&((source_field, source), (target_field, to))) = candidates.first() else {
        return;
    };
    let field_name = table.name[schema.model(source).table.len() + 1..].to_string();
    let through_name = format!("{}_{}", schema.model(source).name, field_name);
    let app_label = schema.model(source).app_label.clone();
    let through = schema.model_mut(id);
    through.auto_created = true;
    through.name = through_name;
    through.app_label = app_label;
    for f in [source_field, target_field] {
        if let Some(rel) = &mut through.fields[f].relation {
            rel.on_delete = OnDelete::Cascade; // what Django's auto-created through declares
        }
    }
    schema.model_mut(source).m2m.push(ManyToMany {
        name: field_name,
        to,
        through: id,
        source_field,
        target_field,
        related_name: None,
        related_query_name: None,
        content_type: None,
        tags: false,
        through_objects: None,
        owners: [id, id],
    });
}

/// inspectdb's `table2model`: `re.sub(r"[^a-zA-Z0-9]", "", table_name.title())`.
pub fn table2model(table: &str) -> String {
    python_title(table)
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .collect()
}

/// Python's `str.title()`: a letter is uppercased after an uncased character (start, digit,
/// `_`, space), lowercased after a cased one.
pub fn python_title(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut previous_cased = false;
    for c in text.chars() {
        if previous_cased {
            out.extend(c.to_lowercase());
        } else {
            out.extend(c.to_uppercase());
        }
        previous_cased = c.is_lowercase() || c.is_uppercase();
    }
    out
}

/// inspectdb's `normalize_col_name`: the field name for a column (`author_id` → `author` for a
/// relation), made a valid, unique Python identifier the way inspectdb does it.
fn normalize_col_name(column: &str, is_relation: bool, used: &HashSet<String>) -> String {
    let mut name = column.to_lowercase();
    if is_relation && let Some(stripped) = name.strip_suffix("_id") {
        name = stripped.to_string();
    }
    let mut name: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    while name.contains("__") {
        name = name.replace("__", "_");
    }
    if name.starts_with('_') {
        name = format!("field{name}");
    }
    if name.ends_with('_') {
        name.push_str("field");
    }
    if PYTHON_KEYWORDS.contains(&name.as_str()) {
        name.push_str("_field");
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name = format!("number_{name}");
    }
    if used.contains(&name) {
        let n = (0..)
            .find(|n| !used.contains(&format!("{name}_{n}")))
            .unwrap_or(0);
        name = format!("{name}_{n}");
    }
    name
}

const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table2model_matches_inspectdb() {
        assert_eq!(table2model("django_migrations"), "DjangoMigrations");
        assert_eq!(table2model("book"), "Book");
        assert_eq!(table2model("bookreview"), "Bookreview");
        assert_eq!(table2model("user_groups"), "UserGroups");
        assert_eq!(table2model("my-Table2model"), "MyTable2Model");
    }

    #[test]
    fn column_names_follow_inspectdb() {
        let used = HashSet::from(["title".to_string()]);
        assert_eq!(normalize_col_name("author_id", true, &used), "author");
        assert_eq!(normalize_col_name("author", true, &used), "author");
        assert_eq!(normalize_col_name("Title", false, &used), "title_0");
        assert_eq!(normalize_col_name("first name", false, &used), "first_name");
        assert_eq!(normalize_col_name("a__b_", false, &used), "a_b_field");
        assert_eq!(normalize_col_name("_x", false, &used), "field_x");
        assert_eq!(normalize_col_name("class", false, &used), "class_field");
        assert_eq!(normalize_col_name("2nd", false, &used), "number_2nd");
    }
}
