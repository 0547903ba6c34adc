//! SQLite's catalog: tables, columns, foreign keys and indexes from `sqlite_master` and the
//! pragma table-valued functions — four queries for the whole database, whatever its size —
//! with declared types mapped to field classes as Django's SQLite introspection does.

use std::collections::HashMap;

use rusqlite::Connection;

use super::{Catalog, Column, ForeignKeyInfo, Index, Table};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::schema::FieldKind;

/// Restricts a query over `sqlite_master m` to user tables. Virtual tables are left out: the
/// pragmas fail on one whose module this SQLite lacks, and Django models rarely map them.
const USER_TABLES: &str = "m.type = 'table' AND substr(m.name, 1, 7) <> 'sqlite_' \
    AND coalesce(m.sql, '') NOT LIKE 'create virtual%'";

pub(super) fn read(conn: &Connection) -> Result<Catalog> {
    let mut tables: Vec<Table> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    let mut table_sql: Vec<String> = Vec::new();
    query(
        conn,
        &format!("SELECT m.name, m.sql FROM sqlite_master m WHERE {USER_TABLES} ORDER BY m.name"),
        |row| {
            let name: String = row.get(0)?;
            by_name.insert(name.clone(), tables.len());
            table_sql.push(
                row.get::<_, Option<String>>(1)?
                    .unwrap_or_default()
                    .to_lowercase(),
            );
            tables.push(Table {
                name,
                columns: Vec::new(),
                foreign_keys: Vec::new(),
                indexes: Vec::new(),
            });
            Ok(())
        },
    )?;

    query(
        conn,
        &format!(
            "SELECT m.name, p.name, p.type, p.\"notnull\", p.pk FROM sqlite_master m \
             JOIN pragma_table_info(m.name) p WHERE {USER_TABLES} ORDER BY m.name, p.cid"
        ),
        |row| {
            let i = by_name[&row.get::<_, String>(0)?];
            let name: String = row.get(1)?;
            let declared: String = row.get::<_, Option<String>>(2)?.unwrap_or_default();
            let (mut kind, max_length, decimal) = field_type(&declared);
            let pk_position = usize::try_from(row.get::<_, i64>(4)?).unwrap_or(0);
            let integer = matches!(
                kind,
                FieldKind::IntegerField | FieldKind::BigIntegerField | FieldKind::SmallIntegerField
            );
            if pk_position > 0 && integer {
                // SQLite treats every integer primary key as a signed 64-bit rowid alias.
                kind = FieldKind::AutoField;
            } else if kind == FieldKind::TextField && has_json_constraint(&table_sql[i], &name) {
                kind = FieldKind::JsonField;
            }
            tables[i].columns.push(Column {
                name,
                kind,
                null: !row.get::<_, bool>(3)?,
                pk_position,
                max_length,
                decimal,
                element: None,
            });
            Ok(())
        },
    )?;

    // Multi-column foreign keys have no Django equivalent: keep single-column ones.
    let mut foreign_keys: Vec<(usize, i64, ForeignKeyInfo)> = Vec::new();
    query(
        conn,
        &format!(
            "SELECT m.name, f.id, f.\"table\", f.\"from\", f.\"to\" FROM sqlite_master m \
             JOIN pragma_foreign_key_list(m.name) f WHERE {USER_TABLES} ORDER BY m.name, f.id, f.seq"
        ),
        |row| {
            let fk = ForeignKeyInfo {
                column: row.get(3)?,
                table: row.get(2)?,
                to_column: row.get(4)?,
            };
            foreign_keys.push((by_name[&row.get::<_, String>(0)?], row.get(1)?, fk));
            Ok(())
        },
    )?;
    for group in foreign_keys.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1) {
        if let [(i, _, fk)] = group {
            tables[*i].foreign_keys.push(fk.clone());
        }
    }

    // One row per indexed column; an expression index (a column without a name) is left out.
    let mut index_columns: Vec<(usize, String, bool, Option<String>)> = Vec::new();
    query(
        conn,
        &format!(
            "SELECT m.name, il.name, il.\"unique\", ii.name FROM sqlite_master m \
             JOIN pragma_index_list(m.name) il JOIN pragma_index_info(il.name) ii \
             WHERE {USER_TABLES} AND il.origin <> 'pk' AND il.partial = 0 \
             ORDER BY m.name, il.name, ii.seqno"
        ),
        |row| {
            index_columns.push((
                by_name[&row.get::<_, String>(0)?],
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
            ));
            Ok(())
        },
    )?;
    for group in index_columns.chunk_by(|a, b| a.0 == b.0 && a.1 == b.1) {
        let (i, name, unique, _) = &group[0];
        if let Some(columns) = group
            .iter()
            .map(|g| g.3.clone())
            .collect::<Option<Vec<String>>>()
        {
            tables[*i].indexes.push(Index {
                name: name.clone(),
                columns: columns.iter().map(|c| c.as_str().into()).collect(),
                unique: *unique,
            });
        }
    }

    let content_types = if by_name.contains_key("django_content_type") {
        let mut rows = Vec::new();
        query(
            conn,
            "SELECT app_label, model, id FROM django_content_type",
            |row| {
                rows.push((row.get(0)?, row.get(1)?, row.get(2)?));
                Ok(())
            },
        )?;
        rows
    } else {
        Vec::new()
    };
    Ok(Catalog {
        tables,
        content_types,
        postgres_version: None,
    })
}

/// Run `sql` and hand each row to `each`.
fn query(
    conn: &Connection,
    sql: &str,
    mut each: impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
) -> Result<()> {
    let mut run = || -> rusqlite::Result<()> {
        let mut stmt = conn.prepare(sql)?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            each(row)?;
        }
        Ok(())
    };
    run().map_err(|e| {
        Diagnostic::new(
            ErrorKind::Database,
            format!("reading the database schema: {e}"),
        )
    })
}

/// Django's SQLite `data_types_reverse`: a declared type → field class, `max_length` and
/// `(max_digits, decimal_places)` when the type carries them. Unknown types read as text.
fn field_type(declared: &str) -> (FieldKind, Option<u32>, Option<(u32, u32)>) {
    use FieldKind::*;
    let lower = declared.to_lowercase();
    let (base, params) = match lower.split_once('(') {
        Some((base, rest)) => (base.trim(), rest.split(')').next().unwrap_or("")),
        None => (lower.trim(), ""),
    };
    let numbers: Vec<u32> = params
        .split(',')
        .filter_map(|p| p.trim().parse().ok())
        .collect();
    let kind = match base {
        "bool" | "boolean" => BooleanField,
        "smallint" | "smallinteger" => SmallIntegerField,
        "smallint unsigned" => PositiveSmallIntegerField,
        "int" | "integer" => IntegerField,
        "bigint" => BigIntegerField,
        "integer unsigned" => PositiveIntegerField,
        "bigint unsigned" => PositiveBigIntegerField,
        "decimal" | "numeric" => DecimalField,
        "real" | "double" | "double precision" | "float" => FloatField,
        "char" | "varchar" => CharField,
        "blob" => BinaryField,
        "date" => DateField,
        "datetime" => DateTimeField,
        "time" => TimeField,
        _ => TextField,
    };
    match (kind, numbers.as_slice()) {
        (CharField, [n, ..]) => (kind, Some(*n), None),
        (DecimalField, [digits, places]) => (kind, None, Some((*digits, *places))),
        (DecimalField, [digits]) => (kind, None, Some((*digits, 0))),
        _ => (kind, None, None),
    }
}

/// Django's SQLite backend marks JSONField columns with `CHECK (JSON_VALID("col") ...)`;
/// `table_sql` is the table's lowercased `CREATE TABLE` statement.
fn has_json_constraint(table_sql: &str, column: &str) -> bool {
    table_sql.contains(&format!("json_valid(\"{}\")", column.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_types_map_like_django() {
        use FieldKind::*;
        assert_eq!(field_type("varchar(100)"), (CharField, Some(100), None));
        assert_eq!(field_type("char(32)"), (CharField, Some(32), None));
        assert_eq!(field_type("varchar"), (CharField, None, None));
        assert_eq!(
            field_type("integer unsigned"),
            (PositiveIntegerField, None, None)
        );
        assert_eq!(
            field_type("bigint unsigned"),
            (PositiveBigIntegerField, None, None)
        );
        assert_eq!(
            field_type("smallint unsigned"),
            (PositiveSmallIntegerField, None, None)
        );
        assert_eq!(field_type("BOOL"), (BooleanField, None, None));
        assert_eq!(field_type("decimal"), (DecimalField, None, None));
        assert_eq!(
            field_type("decimal(10, 2)"),
            (DecimalField, None, Some((10, 2)))
        );
        assert_eq!(field_type("double precision"), (FloatField, None, None));
        assert_eq!(field_type("BLOB"), (BinaryField, None, None));
        assert_eq!(field_type(""), (TextField, None, None));
        assert_eq!(field_type("geometry"), (TextField, None, None));
    }
}
