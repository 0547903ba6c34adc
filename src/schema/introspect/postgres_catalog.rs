//! PostgreSQL's catalog: the tables visible on the `search_path` (as unqualified names resolve
//! them), their columns, keys, indexes and checks, read from `pg_catalog` in five queries for
//! the whole database, whatever its size; types mapped to field classes as Django's
//! PostgreSQL introspection (`data_types_reverse`, `get_field_type`) does.
//!
//! The queries run through the [`Backend`] trait, so the catalog needs nothing but a session.

use std::collections::HashMap;

use super::{Catalog, Column, ForeignKeyInfo, Index, Table};
use crate::backend::Backend;
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::schema::FieldKind;
use crate::value::{Value, ValueType};

/// The relations a query reads (`pg_class c` joined to `pg_namespace n`): tables, views,
/// materialized views, foreign and partitioned tables visible on the search path — the
/// relations Django's `get_table_list` lists — less partitions, reached through their parent.
const VISIBLE: &str = "c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition \
    AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') \
    AND pg_catalog.pg_table_is_visible(c.oid)";

const RELATIONS: &str = "pg_catalog.pg_class c \
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace";

pub(super) fn read(db: &mut dyn Backend) -> Result<Catalog> {
    use ValueType::{Bool, Int, Text};
    let mut tables: Vec<Table> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for row in rows(
        db,
        &format!("SELECT c.relname::text FROM {RELATIONS} WHERE {VISIBLE} ORDER BY 1"),
        &[Text],
    )? {
        let name = text(&row[0]);
        by_name.insert(name.clone(), tables.len());
        tables.push(Table {
            name,
            columns: Vec::new(),
            foreign_keys: Vec::new(),
            indexes: Vec::new(),
        });
    }

    // A domain column reads as its base type, as the driver decodes it. A serial's default
    // calls `nextval` (Django looks for it in the deparsed default); the stored expression
    // tree names the function by its fixed oid, 1574, which is much cheaper to match than
    // deparsing every default with `pg_get_expr`.
    let columns = rows(
        db,
        &format!(
            "SELECT c.relname::text, a.attname::text, coalesce(b.oid, t.oid)::int8, \
             CASE WHEN b.oid IS NULL THEN a.atttypmod ELSE t.typtypmod END, \
             coalesce(b.typcategory, t.typcategory) = 'A', \
             NOT (a.attnotnull OR (t.typtype = 'd' AND t.typnotnull)), \
             a.attidentity <> '' OR d.adbin::text LIKE '%{{FUNCEXPR :funcid 1574 %', \
             coalesce(b.typelem, t.typelem)::int8 \
             FROM {RELATIONS} \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid \
             AND a.attnum > 0 AND NOT a.attisdropped \
             JOIN pg_catalog.pg_type t ON t.oid = a.atttypid \
             LEFT JOIN pg_catalog.pg_type b ON t.typtype = 'd' AND b.oid = t.typbasetype \
             LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum \
             WHERE {VISIBLE} ORDER BY c.relname, a.attnum"
        ),
        &[Text, Text, Int, Int, Bool, Bool, Bool, Int],
    )?;
    for row in columns {
        let Some(&i) = by_name.get(&text(&row[0])) else {
            continue;
        };
        let array = boolean(&row[4]);
        let (kind, max_length, decimal) = field_type(int(&row[2]), int(&row[3]), array);
        let kind = if boolean(&row[6]) {
            auto_field(kind)
        } else {
            kind
        };
        tables[i].columns.push(Column {
            name: text(&row[1]),
            kind,
            null: boolean(&row[5]),
            pk_position: 0,
            max_length,
            decimal,
            // the type modifier of `varchar(20)[]` is its elements'
            element: array.then(|| field_type(int(&row[7]), int(&row[3]), false)),
        });
    }

    // Primary keys, unique constraints and indexes all have an index: one row per key
    // column. Partial indexes are left out, and so are expression indexes (a column
    // without a name), as SQLite's catalog does.
    let index_columns = rows(
        db,
        &format!(
            "SELECT c.relname::text, i.relname::text, x.indisprimary, x.indisunique, \
             a.attname::text \
             FROM {RELATIONS} \
             JOIN pg_catalog.pg_index x ON x.indrelid = c.oid \
             JOIN pg_catalog.pg_class i ON i.oid = x.indexrelid \
             CROSS JOIN LATERAL unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, position) \
             LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum \
             WHERE {VISIBLE} AND x.indpred IS NULL AND k.position <= x.indnkeyatts \
             ORDER BY c.relname, i.relname, k.position"
        ),
        &[Text, Text, Bool, Bool, Text],
    )?;
    for group in index_columns.chunk_by(|a, b| a[0] == b[0] && a[1] == b[1]) {
        let Some(&i) = by_name.get(&text(&group[0][0])) else {
            continue;
        };
        let Some(columns) = group
            .iter()
            .map(|row| optional_text(&row[4]))
            .collect::<Option<Vec<String>>>()
        else {
            continue;
        };
        if boolean(&group[0][2]) {
            for (position, name) in columns.iter().enumerate() {
                if let Some(column) = tables[i].columns.iter_mut().find(|c| &c.name == name) {
                    column.pk_position = position + 1;
                }
            }
        } else {
            tables[i].indexes.push(Index {
                name: text(&group[0][1]),
                columns: columns.iter().map(|c| c.as_str().into()).collect(),
                unique: boolean(&group[0][3]),
            });
        }
    }

    // Single-column foreign keys (multi-column ones have no Django equivalent), and the
    // `CHECK (col >= 0)` Django's PostgreSQL backend writes for positive integer fields.
    let constraints = rows(
        db,
        &format!(
            "SELECT c.relname::text, k.contype::text, a.attname::text, f.relname::text, \
             fa.attname::text, \
             CASE k.contype WHEN 'c' THEN pg_catalog.pg_get_constraintdef(k.oid) END \
             FROM {RELATIONS} \
             JOIN pg_catalog.pg_constraint k ON k.conrelid = c.oid \
             JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1] \
             LEFT JOIN pg_catalog.pg_class f ON f.oid = k.confrelid \
             LEFT JOIN pg_catalog.pg_attribute fa \
             ON fa.attrelid = k.confrelid AND fa.attnum = k.confkey[1] \
             WHERE {VISIBLE} AND k.contype IN ('f', 'c') AND cardinality(k.conkey) = 1 \
             ORDER BY c.relname, k.conname"
        ),
        &[Text, Text, Text, Text, Text, Text],
    )?;
    for row in constraints {
        let Some(&i) = by_name.get(&text(&row[0])) else {
            continue;
        };
        let column = text(&row[2]);
        if text(&row[1]) == "f" {
            tables[i].foreign_keys.push(ForeignKeyInfo {
                column,
                table: text(&row[3]),
                to_column: optional_text(&row[4]),
            });
        } else if is_non_negative_check(&text(&row[5]), &column)
            && let Some(c) = tables[i].columns.iter_mut().find(|c| c.name == column)
        {
            c.kind = positive(c.kind);
        }
    }

    let content_types = if by_name.contains_key("django_content_type") {
        rows(
            db,
            "SELECT app_label::text, model::text, id::bigint FROM django_content_type",
            &[Text, Text, Int],
        )?
        .iter()
        .map(|row| {
            let id = match row[2] {
                Value::Int(id) => id,
                _ => 0,
            };
            (text(&row[0]), text(&row[1]), id)
        })
        .collect()
    } else {
        Vec::new()
    };
    let version = rows(
        db,
        "SELECT current_setting('server_version_num')::bigint",
        &[Int],
    )?;
    Ok(Catalog {
        tables,
        content_types,
        postgres_version: match version.first().map(|row| &row[0]) {
            Some(Value::Int(v)) => Some(*v),
            _ => None,
        },
    })
}

/// Runs a catalog query and collects its rows.
fn rows(db: &mut dyn Backend, sql: &str, types: &[ValueType]) -> Result<Vec<Vec<Value>>> {
    db.query_all(sql, &[], types).map_err(|e| {
        Diagnostic::new(
            ErrorKind::Database,
            format!("reading the database schema: {}", e.message),
        )
    })
}

fn optional_text(value: &Value) -> Option<String> {
    match value {
        Value::Text(s) => Some(s.clone()),
        _ => None,
    }
}

fn text(value: &Value) -> String {
    optional_text(value).unwrap_or_default()
}

fn int(value: &Value) -> i64 {
    match value {
        Value::Int(i) => *i,
        _ => 0,
    }
}

fn boolean(value: &Value) -> bool {
    matches!(value, Value::Bool(true))
}

/// Django's PostgreSQL `data_types_reverse` by type oid, with `max_length` from a varchar's
/// or char's type modifier and `(max_digits, decimal_places)` from a numeric's. Arrays are
/// ArrayFields; other types read as text, as inspectdb guesses.
fn field_type(oid: i64, typmod: i64, array: bool) -> (FieldKind, Option<u32>, Option<(u32, u32)>) {
    use FieldKind::*;
    if array {
        return (ArrayField, None, None);
    }
    // A type modifier carries 4 bytes of header; -1 means none.
    let modifier = u32::try_from(typmod - 4).ok();
    match oid {
        16 => (BooleanField, None, None),
        17 => (BinaryField, None, None),
        20 => (BigIntegerField, None, None),
        21 => (SmallIntegerField, None, None),
        23 => (IntegerField, None, None),
        114 | 3802 => (JsonField, None, None),
        700 | 701 => (FloatField, None, None),
        869 => (GenericIpAddressField, None, None),
        1042 | 1043 => (CharField, modifier, None),
        1082 => (DateField, None, None),
        1083 | 1266 => (TimeField, None, None),
        1114 | 1184 => (DateTimeField, None, None),
        1186 => (DurationField, None, None),
        1700 => (
            DecimalField,
            None,
            modifier.map(|m| (m >> 16 & 0xffff, m & 0xffff)),
        ),
        2950 => (UuidField, None, None),
        _ => (TextField, None, None),
    }
}

/// Django's `get_field_type`: an integer column with an identity or a `nextval` default is
/// an auto field.
fn auto_field(kind: FieldKind) -> FieldKind {
    match kind {
        FieldKind::IntegerField => FieldKind::AutoField,
        FieldKind::BigIntegerField => FieldKind::BigAutoField,
        FieldKind::SmallIntegerField => FieldKind::SmallAutoField,
        other => other,
    }
}

/// The positive variant of an integer field (Django's `CHECK ("col" >= 0)`).
fn positive(kind: FieldKind) -> FieldKind {
    match kind {
        FieldKind::IntegerField => FieldKind::PositiveIntegerField,
        FieldKind::BigIntegerField => FieldKind::PositiveBigIntegerField,
        FieldKind::SmallIntegerField => FieldKind::PositiveSmallIntegerField,
        other => other,
    }
}

/// Whether `definition` (as `pg_get_constraintdef` prints it) is `CHECK ((column >= 0))`,
/// the column quoted or not.
fn is_non_negative_check(definition: &str, column: &str) -> bool {
    let quoted = format!("\"{}\"", column.replace('"', "\"\""));
    [column, quoted.as_str()]
        .iter()
        .any(|name| definition == format!("CHECK (({name} >= 0))"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_map_like_django() {
        use FieldKind::*;
        assert_eq!(field_type(1043, 104, false), (CharField, Some(100), None));
        assert_eq!(field_type(1043, -1, false), (CharField, None, None));
        assert_eq!(field_type(1042, 7, false), (CharField, Some(3), None));
        assert_eq!(
            field_type(1700, (10 << 16 | 2) + 4, false),
            (DecimalField, None, Some((10, 2)))
        );
        assert_eq!(field_type(1700, -1, false), (DecimalField, None, None));
        assert_eq!(field_type(1184, -1, false).0, DateTimeField);
        assert_eq!(field_type(3802, -1, false).0, JsonField);
        assert_eq!(field_type(2950, -1, false).0, UuidField);
        assert_eq!(field_type(1186, -1, false).0, DurationField);
        assert_eq!(field_type(23, -1, true).0, ArrayField);
        assert_eq!(field_type(3614, -1, false).0, TextField); // tsvector: inspectdb's guess
        assert_eq!(auto_field(BigIntegerField), BigAutoField);
        assert_eq!(auto_field(CharField), CharField);
        assert_eq!(positive(SmallIntegerField), PositiveSmallIntegerField);
    }

    #[test]
    fn non_negative_checks() {
        assert!(is_non_negative_check("CHECK ((pages >= 0))", "pages"));
        assert!(is_non_negative_check("CHECK ((\"Pages\" >= 0))", "Pages"));
        assert!(!is_non_negative_check("CHECK ((pages > 0))", "pages"));
        assert!(!is_non_negative_check("CHECK ((other >= 0))", "pages"));
    }
}
