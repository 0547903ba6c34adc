//! `\d Model`: one model described as Django sees it, psql's `\d` made ORM-aware — its
//! fields (Django field class, column, null, key, default; a multi-table child's inherited
//! ones first, in their table) in a table, then choices,
//! relations both ways with the names lookups use, many-to-many fields with their through
//! tables, indexes and unique constraints, `Meta.ordering` and managers. Names and values
//! from the database or models.py show their control characters escaped.

use comfy_table::{Attribute, Cell};
use owo_colors::Style as Paint;
use unicode_width::UnicodeWidthStr;

use crate::render::{Style, escape_controls};
use crate::schema::{Field, FieldKind, Model, ModelId, ReverseVia, Schema};
use crate::syntax::ast::{Expr, ExprKind};
use crate::value::Value;

/// The model `name` means: a class name (`Book`), an app label and name (`books.Book`) or a
/// table (`books_book`), the case aside when only one model fits. Otherwise the message,
/// with the nearest model name when one is close.
pub(super) fn find(schema: &Schema, name: &str) -> Result<ModelId, String> {
    let exact = |m: &Model| {
        m.name == name || m.table == name || format!("{}.{}", m.app_label, m.name) == name
    };
    if let Some(id) = schema.models.iter().position(|m| exact(m)) {
        return Ok(id);
    }
    let folded: Vec<ModelId> = (0..schema.models.len())
        .filter(|&id| schema.model(id).name.eq_ignore_ascii_case(name))
        .collect();
    if let [id] = folded.as_slice() {
        return Ok(*id);
    }
    let names = schema.user_models().map(|(_, m)| m.name.as_str());
    Err(match crate::diag::suggest(name, names) {
        Some(near) => format!("no model '{name}'; did you mean '{near}'? (see \\models)"),
        None => format!("no model '{name}' (see \\models)"),
    })
}

/// The description of model `id`, ending in a newline.
pub(super) fn describe(schema: &Schema, id: ModelId, style: Style) -> String {
    let m = schema.model(id);
    let heading = |text: &str| style.paint(text, Paint::new().bold());
    let label = if m.app_label.is_empty() {
        m.name.clone()
    } else {
        format!("{}.{}", m.app_label, m.name)
    };
    let mut out = format!(
        "{} (table \"{}\")\n",
        heading(&escape_controls(&label)),
        escape_controls(&m.table)
    );
    out += &format!("{}\n", fields_table(schema, id, style));
    let mut section = |title: &str, rows: Vec<Vec<String>>| {
        if !rows.is_empty() {
            out += &format!("{}\n", heading(title));
            for line in aligned(&rows) {
                out += &format!("  {}\n", escape_controls(&line));
            }
        }
    };
    section("Choices:", choices(m));
    section("Relations:", relations(schema, id));
    section("Many-to-many:", many_to_many(schema, id));
    section("Referenced by:", referenced_by(schema, m));
    section("Generic relations:", generic(schema, m));
    section("Indexes:", indexes(m));
    if !m.ordering.is_empty() {
        let ordering = m.ordering.join(", ");
        out += &format!("{} {}\n", heading("Ordering:"), escape_controls(&ordering));
    }
    if !m.managers.is_empty() {
        let names: Vec<&str> = m.managers.iter().map(|g| g.name.as_str()).collect();
        let names = names.join(", ");
        out += &format!("{} {}\n", heading("Managers:"), escape_controls(&names));
    }
    out
}

/// GenericForeignKeys (`content_object  GenericForeignKey(content_type, object_id)`) and
/// GenericRelations (`tags  → TaggedItem  GenericRelation(content_type, object_id)  query
/// name: bookmark`).
fn generic(schema: &Schema, m: &Model) -> Vec<Vec<String>> {
    let fks = m.generic_fks.iter().map(|g| {
        vec![
            g.name.clone(),
            format!(
                "GenericForeignKey({}, {})",
                m.fields[g.ct_field].name, m.fields[g.fk_field].name
            ),
        ]
    });
    let relations = m.generic_relations.iter().map(|g| {
        let to = schema.model(g.to);
        let mut row = vec![
            format!("{}  → {}", g.name, to.name),
            format!(
                "GenericRelation({}, {})",
                g.fields(schema).0.name,
                g.fields(schema).1.name
            ),
        ];
        if let Some(q) = &g.related_query_name {
            row.push(format!("query name: {q}"));
        }
        row
    });
    fks.chain(relations).collect()
}

fn fields_table(schema: &Schema, id: ModelId, style: Style) -> comfy_table::Table {
    let mut table = crate::render::table::new_table(style);
    table.set_header(
        ["field", "type", "column", "null", "key", "default"]
            .into_iter()
            .map(|h| Cell::new(h).add_attribute(Attribute::Bold)),
    );
    // A multi-table child's inherited fields first, each in its ancestor's table.
    for (owner, i) in schema.concrete_fields(id) {
        let o = schema.model(owner);
        let f = &o.fields[i];
        let key = if i == o.pk && owner == id {
            "primary key".to_string()
        } else if i == o.pk {
            format!("primary key of {}", o.name)
        } else if f.unique {
            "unique".to_string()
        } else {
            String::new()
        };
        let column = if owner == id {
            f.column.clone()
        } else {
            format!("{}.{}", o.table, f.column)
        };
        let row = [
            f.name.clone(),
            field_type(schema, f),
            column,
            if f.null { "null" } else { "" }.to_string(),
            key,
            default(f),
        ];
        table.add_row(row.map(|cell| escape_controls(&cell).into_owned()));
    }
    table
}

/// The field's class with what sizes it: `CharField(max_length=200)`, `ForeignKey(Author)`.
fn field_type(schema: &Schema, f: &Field) -> String {
    let name = f.kind.django_name();
    if let Some(rel) = &f.relation {
        return format!("{name}({})", schema.model(rel.to).name);
    }
    match (f.kind, f.max_length, f.decimal, &f.base_field) {
        (_, Some(n), _, _) => format!("{name}(max_length={n})"),
        (FieldKind::DecimalField, _, Some((digits, places)), _) => {
            format!("{name}(max_digits={digits}, decimal_places={places})")
        }
        (FieldKind::ArrayField, _, _, Some(base)) => {
            format!("{name}({})", field_type(schema, base))
        }
        _ => name.to_string(),
    }
}

/// The default as models.py writes it, or what `auto_now`/`auto_now_add` fill in.
fn default(f: &Field) -> String {
    if f.auto_now {
        return "auto_now".into();
    }
    if f.auto_now_add {
        return "auto_now_add".into();
    }
    f.default.as_deref().map(source).unwrap_or_default()
}

/// Python source for the simple expressions defaults are (literals, names, calls of names);
/// `…` for the rest.
fn source(e: &Expr) -> String {
    let list = |items: &[Expr]| items.iter().map(source).collect::<Vec<_>>().join(", ");
    match &e.kind {
        ExprKind::Name(n) => n.to_string(),
        ExprKind::Int(i) => i.to_string(),
        ExprKind::Float(f) => crate::value::python_float(*f),
        ExprKind::Str(s) => python_str(s),
        ExprKind::Bool(true) => "True".into(),
        ExprKind::Bool(false) => "False".into(),
        ExprKind::None => "None".into(),
        ExprKind::List(items) => format!("[{}]", list(items)),
        ExprKind::Tuple(items) if items.len() == 1 => format!("({},)", list(items)),
        ExprKind::Tuple(items) => format!("({})", list(items)),
        ExprKind::Dict(items) if items.is_empty() => "{}".into(),
        ExprKind::Attribute { value, attr } => format!("{}.{}", source(value), attr.name),
        ExprKind::Call { func, args } if args.is_empty() => format!("{}()", source(func)),
        _ => "…".into(),
    }
}

/// Python's `repr()` of a string.
fn python_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

fn choices(m: &Model) -> Vec<Vec<String>> {
    m.fields
        .iter()
        .filter(|f| !f.choices.is_empty())
        .map(|f| {
            let items: Vec<String> = f
                .choices
                .iter()
                .map(|(value, label)| {
                    let value = match value {
                        Value::Text(s) => python_str(s),
                        v => v.to_python_str(),
                    };
                    format!("{value} {label}")
                })
                .collect();
            vec![f.name.clone(), items.join(", ")]
        })
        .collect()
}

/// How a relation is seen from the other end: `Author.books (query name: books)`.
fn reverse_name(schema: &Schema, to: ModelId, from: ModelId, via: ReverseVia) -> String {
    let target = schema.model(to);
    let same = |v: ReverseVia| match (v, via) {
        (ReverseVia::ForeignKey(a), ReverseVia::ForeignKey(b))
        | (ReverseVia::ManyToMany(a), ReverseVia::ManyToMany(b)) => a == b,
        _ => false,
    };
    target
        .reverse
        .iter()
        .find(|r| r.from == from && same(r.via))
        .map_or_else(
            || "no reverse accessor".to_string(),
            |r| {
                format!(
                    "reverse: {}.{} (query name: {})",
                    target.name, r.accessor, r.query_name
                )
            },
        )
}

/// Forward ForeignKey and OneToOneField relations, a multi-table child's inherited ones
/// first.
fn relations(schema: &Schema, id: ModelId) -> Vec<Vec<String>> {
    schema
        .concrete_fields(id)
        .into_iter()
        .filter_map(|(owner, i)| {
            let f = &schema.model(owner).fields[i];
            let rel = f.relation.as_ref()?;
            let target = schema.model(rel.to);
            let to_field = &target.fields[rel.to_field];
            Some(vec![
                f.name.clone(),
                f.kind.django_name().to_string(),
                format!("→ {}.{}", target.name, to_field.name),
                format!("on_delete={}", rel.on_delete.django_name()),
                reverse_name(schema, rel.to, owner, ReverseVia::ForeignKey(i)),
            ])
        })
        .collect()
}

fn many_to_many(schema: &Schema, id: ModelId) -> Vec<Vec<String>> {
    let m = schema.model(id);
    m.m2m
        .iter()
        .enumerate()
        .map(|(i, mm)| {
            let through = schema.model(mm.through);
            let through = if through.auto_created {
                format!("through table \"{}\"", through.table)
            } else {
                format!("through {}", through.name)
            };
            vec![
                mm.name.clone(),
                format!("→ {}", schema.model(mm.to).name),
                through,
                reverse_name(schema, mm.to, id, ReverseVia::ManyToMany(i)),
            ]
        })
        .collect()
}

/// Relations declared on other models that point here: the accessor on instances, where it
/// comes from, and the name lookups use.
fn referenced_by(schema: &Schema, m: &Model) -> Vec<Vec<String>> {
    m.reverse
        .iter()
        .map(|r| {
            let from = schema.model(r.from);
            let (field, kind) = match r.via {
                ReverseVia::ForeignKey(i) => {
                    let f = &from.fields[i];
                    let on_delete = f
                        .relation
                        .as_ref()
                        .map(|rel| format!(", on_delete={}", rel.on_delete.django_name()))
                        .unwrap_or_default();
                    (
                        f.name.as_str(),
                        format!("{}{on_delete}", f.kind.django_name()),
                    )
                }
                ReverseVia::ManyToMany(i) => {
                    (from.m2m[i].name.as_str(), "ManyToManyField".to_string())
                }
            };
            vec![
                r.accessor.clone(),
                format!("← {}.{field}", from.name),
                format!("({kind})"),
                format!("query name: {}", r.query_name),
            ]
        })
        .collect()
}

fn indexes(m: &Model) -> Vec<Vec<String>> {
    m.indexes
        .iter()
        .map(|i| {
            let name = if i.name.is_empty() {
                "(unnamed)".to_string()
            } else {
                i.name.clone()
            };
            let unique = if i.unique { "UNIQUE " } else { "" };
            vec![name, format!("{unique}({})", i.columns.join(", "))]
        })
        .collect()
}

/// Rows of cells as lines, each column padded to its widest cell, two spaces apart.
fn aligned(rows: &[Vec<String>]) -> Vec<String> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| s.width())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c > 0 {
                    line.push_str("  ");
                }
                line.push_str(cell);
                line.push_str(&" ".repeat(widths[c] - cell.width()));
            }
            line.trim_end().to_string()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_aligned() {
        let rows = vec![
            vec![
                "books".to_string(),
                "← Book.author".to_string(),
                "x".to_string(),
            ],
            vec!["tag_set".to_string(), "← Tag.items".to_string()],
        ];
        assert_eq!(
            aligned(&rows),
            ["books    ← Book.author  x", "tag_set  ← Tag.items"]
        );
        assert!(aligned(&[]).is_empty());
    }

    #[test]
    fn defaults_read_as_python_source() {
        let program = crate::syntax::parse_program(
            "x = [0, 'FIC', \"it's\", timezone.now, dict(), None, (1,), 1.5, f(x)]",
        )
        .unwrap();
        let crate::syntax::ast::StmtKind::Assign { value, .. } = &program.body[0].kind else {
            panic!("an assignment");
        };
        assert_eq!(
            source(value),
            "[0, 'FIC', \"it's\", timezone.now, dict(), None, (1,), 1.5, …]"
        );
    }
}
