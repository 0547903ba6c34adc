//! Completion on a 1,000-model schema (models chained by foreign keys, as in
//! `benches/introspect.rs`), at the contexts a user presses Tab in: a model name prefix, a
//! manager's methods, a field path two relations deep, a string argument, and the hint
//! computed on every keystroke. Each must answer in well under 10 ms.
//!
//! Run with `cargo bench --bench complete`; divan prints the medians.

use djq::schema::{Field, FieldKind, ForeignKey, Model, OnDelete, Schema};
use djq::shell::complete::Index;
use std::sync::LazyLock;

const MODELS: usize = 1000;

/// `Model0` ... `Model999`: an id, a name, a date, a score, a foreign key to the previous one.
fn schema() -> Schema {
    let mut schema = Schema::default();
    for i in 0..MODELS {
        let mut m = Model::new(format!("Model{i}"), "app", format!("app_model{i}"));
        let mut id = Field::new("id", "id", FieldKind::AutoField);
        id.primary_key = true;
        m.fields.push(id);
        m.fields
            .push(Field::new("name", "name", FieldKind::CharField));
        m.fields
            .push(Field::new("created", "created", FieldKind::DateField));
        m.fields
            .push(Field::new("score", "score", FieldKind::IntegerField));
        if i > 0 {
            let mut parent = Field::new("parent", "parent_id", FieldKind::ForeignKey);
            parent.null = true;
            parent.relation = Some(Box::new(ForeignKey {
                to: i - 1,
                to_field: 0,
                related_name: None,
                related_query_name: None,
                on_delete: OnDelete::Cascade,
                one_to_one: false,
                target_type: djq::value::ValueType::Int,
            }));
            m.fields.push(parent);
        }
        schema.models.push(m.into());
    }
    schema.link();
    schema
}

static INDEX: LazyLock<Index> = LazyLock::new(|| Index::new(&schema()));

fn complete(line: &str) -> usize {
    let (_, candidates) = INDEX.complete(line, line.len());
    assert!(!candidates.is_empty(), "{line}");
    candidates.len()
}

fn main() {
    LazyLock::force(&INDEX);
    divan::main();
}

#[divan::bench]
fn build_index() -> Index {
    Index::new(divan::black_box(&INDEX_SCHEMA))
}

static INDEX_SCHEMA: LazyLock<Schema> = LazyLock::new(schema);

#[divan::bench]
fn model_name_prefix() -> usize {
    complete(divan::black_box("Model12"))
}

#[divan::bench]
fn all_names() -> usize {
    complete(divan::black_box(""))
}

#[divan::bench]
fn manager_methods() -> usize {
    complete(divan::black_box("Model500.objects."))
}

#[divan::bench]
fn queryset_chain_methods() -> usize {
    complete(divan::black_box(
        "Model500.objects.filter(score__gt=1).order_by('-created').va",
    ))
}

#[divan::bench]
fn filter_path_two_relations_deep() -> usize {
    complete(divan::black_box("Model500.objects.filter(parent__parent__"))
}

#[divan::bench]
fn filter_lookups_after_a_transform() -> usize {
    complete(divan::black_box(
        "Model500.objects.filter(parent__model500__created__year__",
    ))
}

#[divan::bench]
fn string_path() -> usize {
    complete(divan::black_box("Model500.objects.values('parent__na"))
}

#[divan::bench]
fn hint_on_a_keystroke() -> bool {
    let line = divan::black_box("Model500.objects.sel");
    INDEX.hint(line, line.len(), true).is_some()
}
