//! Dialect: everything that differs between database backends' SQL, in one place —
//! quoting, placeholders, lookup operators, LIKE escaping, date functions, LIMIT/OFFSET,
//! how parameter values are adapted for the driver, and PostgreSQL's own spellings (JSON
//! key paths, arrays, casts, `DISTINCT ON`, the extensions some lookups need).

use super::frag::Frag;
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::query::Sym;
use crate::query::expr::{Arith, DatePart, DbType, LookupKind};
use crate::query::func::FuncKind;
use crate::schema::FieldKind;
use crate::value::{Value, ValueType};

/// A PostgreSQL extension some lookups need, and how the server reports it missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Extension {
    /// `pg_extension.extname`
    pub name: &'static str,
    /// What needs it, for messages.
    pub lookups: &'static str,
    /// Django's migration operation that creates it.
    pub operation: &'static str,
}

const UNACCENT: Extension = Extension {
    name: "unaccent",
    lookups: "the unaccent lookup",
    operation: "UnaccentExtension",
};

const PG_TRGM: Extension = Extension {
    name: "pg_trgm",
    lookups: "trigram similarity (trigram_similar, trigram_word_similar, ...)",
    operation: "TrigramExtension",
};

const PGCRYPTO: Extension = Extension {
    name: "pgcrypto",
    lookups: "SHA1/SHA224/SHA256/SHA384/SHA512 (pgcrypto's DIGEST)",
    operation: "CryptoExtension",
};

/// The SQL flavour a query is compiled for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    Sqlite,
    Postgres,
}

impl Dialect {
    pub fn name(self) -> &'static str {
        match self {
            Dialect::Sqlite => "sqlite",
            Dialect::Postgres => "postgres",
        }
    }

    /// Placeholder for the `n`th parameter (1-based) in the driver's own style.
    pub fn placeholder(self, n: usize) -> String {
        let mut s = String::new();
        self.push_placeholder(&mut s, n);
        s
    }

    /// [`Dialect::placeholder`], written onto `sql` (statements of bulk loads have many).
    pub fn push_placeholder(self, sql: &mut String, n: usize) {
        match self {
            Dialect::Sqlite => sql.push('?'),
            Dialect::Postgres => {
                sql.push('$');
                sql.push_str(itoa::Buffer::new().format(n));
            }
        }
    }

    /// The placeholder when it is the same single ASCII byte for every parameter.
    pub fn fixed_placeholder(self) -> Option<u8> {
        match self {
            Dialect::Sqlite => Some(b'?'),
            Dialect::Postgres => None,
        }
    }

    /// Whether GROUP BY a table's primary key may stand for all its columns (Django's
    /// `allows_group_by_selected_pks`).
    pub fn groups_by_selected_pks(self) -> bool {
        self == Dialect::Postgres
    }

    /// Whether the parts of a UNION may be ordered and sliced (then they are parenthesized;
    /// Django's `supports_slicing_ordering_in_compound`).
    pub fn orders_inside_compound(self) -> bool {
        self == Dialect::Postgres
    }

    /// Whether the backend has a real boolean type (conditions may be bare columns).
    pub fn native_boolean(self) -> bool {
        self == Dialect::Postgres
    }

    /// Django's `has_native_uuid_field`: elsewhere a UUID is stored as 32 hex digits.
    pub fn native_uuid(self) -> bool {
        self == Dialect::Postgres
    }

    /// A quoted identifier.
    pub fn quote(self, name: &str) -> String {
        let mut quoted = String::with_capacity(name.len() + 2);
        self.push_quoted(&mut quoted, name);
        quoted
    }

    /// Append `name` quoted (a `"` inside it doubled), without allocating.
    pub fn push_quoted(self, sql: &mut String, name: &str) {
        sql.push('"');
        push_doubling_quotes(sql, name);
        sql.push('"');
    }

    /// `"alias"."column"`, [`Dialect::push_quoted`] twice.
    pub fn push_qualified(self, sql: &mut String, alias: &str, column: &str) {
        sql.push('"');
        push_doubling_quotes(sql, alias);
        sql.push_str("\".\"");
        push_doubling_quotes(sql, column);
        sql.push('"');
    }

    /// [`Dialect::push_quoted`] of a name of the query IR, which knows whether it holds a `"`
    /// (most never do, and are copied as they are).
    pub fn push_quoted_sym(self, sql: &mut String, name: &Sym) {
        if name.has_quote() {
            return self.push_quoted(sql, name);
        }
        sql.push('"');
        sql.push_str(name);
        sql.push('"');
    }

    /// [`Dialect::push_qualified`] of two names of the query IR (a column's alias and name).
    pub fn push_qualified_sym(self, sql: &mut String, alias: &Sym, column: &Sym) {
        if alias.has_quote() || column.has_quote() {
            return self.push_qualified(sql, alias, column);
        }
        sql.push('"');
        sql.push_str(alias);
        sql.push_str("\".\"");
        sql.push_str(column);
        sql.push('"');
    }

    /// The operator for a lookup, with `%s` where the right-hand side goes (Django's
    /// `operators`, and `postgres_operator` of the PostgreSQL-only lookups).
    pub fn lookup_operator(self, kind: LookupKind) -> Result<&'static str> {
        use LookupKind::*;
        Ok(match (self, kind) {
            (_, Exact) => "= %s",
            (_, Gt) => "> %s",
            (_, Gte) => ">= %s",
            (_, Lt) => "< %s",
            (_, Lte) => "<= %s",
            (
                Dialect::Sqlite,
                IExact | Contains | IContains | StartsWith | IStartsWith | EndsWith | IEndsWith,
            ) => "LIKE %s ESCAPE '\\'",
            (Dialect::Postgres, IExact) => "= UPPER(%s)",
            (Dialect::Postgres, Contains | StartsWith | EndsWith) => "LIKE %s",
            (Dialect::Postgres, IContains | IStartsWith | IEndsWith) => "LIKE UPPER(%s)",
            (Dialect::Sqlite, Regex) => "REGEXP %s",
            (Dialect::Sqlite, IRegex) => "REGEXP '(?i)' || %s",
            (Dialect::Postgres, Regex) => "~ %s",
            (Dialect::Postgres, IRegex) => "~* %s",
            (_, In) => "IN %s",
            (_, Range) => "BETWEEN %s",
            (_, IsNull) => "IS NULL",
            (Dialect::Postgres, DataContains) => "@> %s",
            (Dialect::Postgres, ContainedBy) => "<@ %s",
            (Dialect::Postgres, Overlap) => "&& %s",
            (Dialect::Postgres, HasKey) => "? %s",
            (Dialect::Postgres, HasKeys) => "?& %s",
            (Dialect::Postgres, HasAnyKeys) => "?| %s",
            (Dialect::Postgres, TrigramSimilar) => "% %s",
            (Dialect::Postgres, TrigramWordSimilar) => "%> %s",
            (Dialect::Postgres, TrigramStrictWordSimilar) => "%>> %s",
            (
                Dialect::Sqlite,
                DataContains
                | ContainedBy
                | Overlap
                | HasKey
                | HasKeys
                | HasAnyKeys
                | TrigramSimilar
                | TrigramWordSimilar
                | TrigramStrictWordSimilar,
            ) => {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "{} lookup is not supported on this database backend.",
                        kind.name()
                    ),
                ));
            }
        })
    }

    /// Pattern lookups against an expression (`title__contains=F('x')`), `{}` for the rhs,
    /// which is escaped for LIKE first (Django's `pattern_esc` and `pattern_ops`).
    pub fn pattern_operator(self, kind: LookupKind) -> String {
        use LookupKind::*;
        let (esc, escape_clause) = match self {
            Dialect::Sqlite => (
                "REPLACE(REPLACE(REPLACE({}, '\\', '\\\\'), '%', '\\%'), '_', '\\_')",
                " ESCAPE '\\'",
            ),
            Dialect::Postgres => (
                "REPLACE(REPLACE(REPLACE({}, E'\\\\', E'\\\\\\\\'), E'%', E'\\\\%'), E'_', E'\\\\_')",
                "",
            ),
        };
        let op = match kind {
            Contains => "LIKE '%' || {} || '%'",
            IContains => "LIKE '%' || UPPER({}) || '%'",
            StartsWith => "LIKE {} || '%'",
            IStartsWith => "LIKE UPPER({}) || '%'",
            EndsWith => "LIKE '%' || {}",
            _ => "LIKE '%' || UPPER({})",
        };
        format!("{}{escape_clause}", op.replace("{}", esc))
    }

    /// The parameter of a pattern lookup: escaped for LIKE and wrapped in `%` (PostgreSQL's
    /// `iexact` compares with `=`, so its value stays as it is).
    pub fn pattern_value(self, kind: LookupKind, s: &str) -> String {
        if self == Dialect::Postgres && kind == LookupKind::IExact {
            return s.to_string();
        }
        use LookupKind::*;
        let (before, after) = match kind {
            Contains | IContains => ("%", "%"),
            StartsWith | IStartsWith => ("", "%"),
            EndsWith | IEndsWith => ("%", ""),
            _ => ("", ""),
        };
        let mut esc = String::with_capacity(s.len() + 4);
        esc.push_str(before);
        for c in s.chars() {
            if matches!(c, '\\' | '%' | '_') {
                esc.push('\\');
            }
            esc.push(c);
        }
        esc.push_str(after);
        esc
    }

    /// `order_by('?')`: Django's SQLite backend calls its own `RAND()` function.
    pub fn random(self) -> &'static str {
        match self {
            Dialect::Sqlite => "RAND()",
            Dialect::Postgres => "RANDOM()",
        }
    }

    /// The start of an INSERT and what follows its rows: `INSERT INTO`, or with
    /// `ignore_conflicts` SQLite's `INSERT OR IGNORE INTO` / PostgreSQL's `ON CONFLICT DO
    /// NOTHING` (Django's `insert_statement` and `on_conflict_suffix_sql`).
    pub fn insert_conflict(self, ignore_conflicts: bool) -> (&'static str, &'static str) {
        match (self, ignore_conflicts) {
            (_, false) => ("INSERT INTO", ""),
            (Dialect::Sqlite, true) => ("INSERT OR IGNORE INTO", ""),
            (Dialect::Postgres, true) => ("INSERT INTO", " ON CONFLICT DO NOTHING"),
        }
    }

    /// `select_for_update()`'s clause: PostgreSQL locks the rows; SQLite has no such clause
    /// (Django leaves it out: `has_select_for_update` is false).
    pub fn for_update(self, opts: crate::query::ForUpdate) -> String {
        match self {
            Dialect::Sqlite => String::new(),
            Dialect::Postgres => format!(
                " FOR{} UPDATE{}{}",
                if opts.no_key { " NO KEY" } else { "" },
                if opts.nowait { " NOWAIT" } else { "" },
                if opts.skip_locked { " SKIP LOCKED" } else { "" },
            ),
        }
    }

    /// ` LIMIT n OFFSET m` as Django writes it for this backend, appended to `sql`.
    pub fn push_limit_offset(self, sql: &mut String, low: usize, high: Option<usize>) {
        let limit = match (high, low) {
            (Some(h), _) => Some((h - low) as i64),
            (None, 0) => None,
            (None, _) => match self {
                Dialect::Sqlite => Some(-1),
                Dialect::Postgres => None,
            },
        };
        if let Some(l) = limit {
            sql.push_str(" LIMIT ");
            sql.push_str(itoa::Buffer::new().format(l));
        }
        if low > 0 {
            sql.push_str(" OFFSET ");
            sql.push_str(itoa::Buffer::new().format(low));
        }
    }

    /// `(lhs op rhs)` for arithmetic producing values of type `ty`.
    pub fn combine(self, op: Arith, lhs: &str, rhs: &str, ty: ValueType) -> String {
        let sql = match (self, op) {
            (Dialect::Sqlite, Arith::Pow) => format!("(POWER({lhs},{rhs}))"),
            (Dialect::Sqlite, Arith::BitXor) => format!("(BITXOR({lhs},{rhs}))"),
            _ => format!("({lhs} {} {rhs})", op.symbol()),
        };
        self.numeric(sql, ty)
    }

    /// A duration and a value of another type combined (Django's `DurationExpression`):
    /// SQLite, without a native duration type, calls `django_format_dtdelta`.
    pub fn combine_duration(self, op: Arith, lhs: &str, rhs: &str, ty: ValueType) -> String {
        match self {
            Dialect::Sqlite => format!("(django_format_dtdelta('{}', {lhs}, {rhs}))", op.symbol()),
            Dialect::Postgres => self.combine(op, lhs, rhs, ty),
        }
    }

    /// `lhs - rhs` of two dates, datetimes or times, giving a duration (Django's
    /// `subtract_temporals`).
    pub fn subtract_temporals(self, ty: ValueType, lhs: &str, rhs: &str) -> String {
        match (self, ty) {
            (Dialect::Sqlite, ValueType::Time) => format!("django_time_diff({lhs}, {rhs})"),
            (Dialect::Sqlite, _) => format!("django_timestamp_diff({lhs}, {rhs})"),
            (Dialect::Postgres, ValueType::Date) => format!("(interval '1 day' * ({lhs} - {rhs}))"),
            (Dialect::Postgres, _) => format!("({lhs} - {rhs})"),
        }
    }

    /// Django's SQLiteNumericMixin: SQLite casts expressions with decimal results to NUMERIC.
    pub fn numeric(self, sql: String, ty: ValueType) -> String {
        match self.numeric_cast(ty) {
            Some((open, close)) => format!("{open}{sql}{close}"),
            None => sql,
        }
    }

    /// What [`Dialect::numeric`] puts around an expression of type `ty`, if anything.
    pub fn numeric_cast(self, ty: ValueType) -> Option<(&'static str, &'static str)> {
        match (self, ty) {
            (Dialect::Sqlite, ValueType::Decimal { .. }) => Some(("(CAST(", " AS NUMERIC))")),
            _ => None,
        }
    }

    /// A parameter as the driver receives it (Django's `adapt_*field_value`), in place: most
    /// are received as they are.
    #[inline]
    pub fn adapt(self, v: &mut Value) {
        if self != Dialect::Sqlite {
            return;
        }
        let text = match &*v {
            Value::Date(d) => iso_date(*d),
            Value::DateTime(_) | Value::OffsetDateTime(_) => {
                let utc = v.instant().expect("aware").naive_utc();
                crate::value::Value::NaiveDateTime(utc).to_python_str()
            }
            Value::NaiveDateTime(_) | Value::Time(_) => v.to_python_str(),
            Value::Decimal(d) => d.to_string(),
            _ => return,
        };
        *v = Value::Text(text);
    }

    /// Django's SQLite `adapt_datetimefield_value`: without `USE_TZ` an aware datetime has no
    /// zone to be stored in, and is refused.
    pub fn check_datetimes(self, params: &[Value], tz: crate::tz::TzConfig) -> Result<()> {
        if self == Dialect::Sqlite && !tz.use_tz && params.iter().any(|v| v.instant().is_some()) {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "SQLite backend does not support timezone-aware datetimes when USE_TZ is False.",
            ));
        }
        Ok(())
    }

    /// `__year`, `__month`, ... (Django's `date_extract_sql` and siblings); a datetime source
    /// is converted to `tzname` first (none: `USE_TZ = False`).
    pub fn extract(
        self,
        part: DatePart,
        source: ValueType,
        inner: Frag,
        tzname: Option<&str>,
    ) -> Frag {
        let name = Value::Text(part.name().to_string());
        match (self, source) {
            (Dialect::Sqlite, ValueType::DateTime) => call(
                "django_datetime_extract(",
                vec![name],
                inner,
                zone_pair(tzname),
                ")",
            ),
            (Dialect::Sqlite, ValueType::Time) => {
                call("django_time_extract(", vec![name], inner, vec![], ")")
            }
            (Dialect::Sqlite, _) => call("django_date_extract(", vec![name], inner, vec![], ")"),
            (Dialect::Postgres, source) => {
                let inner = if source == ValueType::DateTime {
                    at_zone(inner, tzname)
                } else {
                    inner
                };
                match part {
                    DatePart::Second if source != ValueType::Date => {
                        let mut f = Frag::new("EXTRACT(SECOND FROM DATE_TRUNC(");
                        f.push(Frag::param(Value::Text("second".into())));
                        f.push_str(", ");
                        f.push(inner);
                        f.push_str("))");
                        f
                    }
                    DatePart::WeekDay => wrap("EXTRACT(DOW FROM ", inner, ") + 1"),
                    DatePart::IsoWeekDay => wrap("EXTRACT(ISODOW FROM ", inner, ")"),
                    DatePart::IsoYear => wrap("EXTRACT(ISOYEAR FROM ", inner, ")"),
                    other => wrap(
                        &format!("EXTRACT({} FROM ", other.name().to_uppercase()),
                        inner,
                        ")",
                    ),
                }
            }
        }
    }

    /// `Trunc(x, kind)` (Django's `date_trunc_sql` and siblings): the function follows the
    /// output type, the time zone conversion (to `tzname`) a datetime source.
    pub fn trunc(
        self,
        part: DatePart,
        source: ValueType,
        output: ValueType,
        inner: Frag,
        tzname: Option<&str>,
    ) -> Frag {
        let kind = Value::Text(part.name().to_string());
        let tzname = tzname.filter(|_| source == ValueType::DateTime);
        match self {
            Dialect::Sqlite => {
                let name = match output {
                    ValueType::DateTime => "django_datetime_trunc(",
                    ValueType::Time => "django_time_trunc(",
                    _ => "django_date_trunc(",
                };
                call(name, vec![kind], inner, zone_pair(tzname), ")")
            }
            Dialect::Postgres => {
                let close = if output == ValueType::Time {
                    ")::time"
                } else {
                    ")"
                };
                call(
                    "DATE_TRUNC(",
                    vec![kind],
                    at_zone(inner, tzname),
                    vec![],
                    close,
                )
            }
        }
    }

    /// `__date` on a datetime, in the zone `tzname`.
    pub fn cast_date(self, inner: Frag, tzname: Option<&str>) -> Frag {
        match self {
            Dialect::Sqlite => call(
                "django_datetime_cast_date(",
                vec![],
                inner,
                zone_pair(tzname),
                ")",
            ),
            Dialect::Postgres => wrap("(", at_zone(inner, tzname), ")::date"),
        }
    }

    /// `__time` on a datetime, in the zone `tzname`.
    pub fn cast_time(self, inner: Frag, tzname: Option<&str>) -> Frag {
        match self {
            Dialect::Sqlite => call(
                "django_datetime_cast_time(",
                vec![],
                inner,
                zone_pair(tzname),
                ")",
            ),
            Dialect::Postgres => wrap("(", at_zone(inner, tzname), ")::time"),
        }
    }

    /// What goes before and after the left-hand side of a lookup, as the backend compares
    /// it (Django's `lookup_cast`): PostgreSQL casts text lookups to `text` and upper-cases
    /// case-insensitive ones; `host`, the left-hand side is an IP address's `HOST(...)`
    /// ([`FuncKind::PgHost`]), text already.
    pub fn lookup_cast(self, kind: LookupKind, host: bool) -> (&'static str, &'static str) {
        use LookupKind::*;
        match (self, kind) {
            (Dialect::Sqlite, _) => ("", ""),
            (Dialect::Postgres, IExact | IContains | IStartsWith | IEndsWith) => {
                ("UPPER(", if host { ")" } else { "::text)" })
            }
            (Dialect::Postgres, Contains | StartsWith | EndsWith | Regex | IRegex) => {
                ("", if host { "" } else { "::text" })
            }
            (Dialect::Postgres, _) => ("", ""),
        }
    }
}

/// EXPLAIN, as Django's `explain_query_prefix` spells it per backend.
impl Dialect {
    /// The words put before a query to explain it (`QuerySet.explain(format=, **options)`):
    /// SQLite's `EXPLAIN QUERY PLAN` takes no format and no options; PostgreSQL's `EXPLAIN`
    /// takes `FORMAT` (JSON, TEXT, XML, YAML) and its boolean options (`analyze=True` →
    /// `ANALYZE true`). Anything else is Django's `ValueError`.
    pub fn explain_prefix(
        self,
        format: Option<&str>,
        options: &[(String, bool)],
    ) -> Result<String> {
        let value_error = |message: String| Diagnostic::new(ErrorKind::Value, message);
        let (prefix, formats, display_name): (&str, &[&str], &str) = match self {
            Dialect::Sqlite => ("EXPLAIN QUERY PLAN", &[], "SQLite"),
            Dialect::Postgres => ("EXPLAIN", &["JSON", "TEXT", "XML", "YAML"], "PostgreSQL"),
        };
        if let Some(format) = format {
            let upper = format.to_uppercase();
            if !formats.contains(&upper.as_str()) {
                let allowed = if formats.is_empty() {
                    format!(" {display_name} does not support any formats.")
                } else {
                    format!(" Allowed formats: {}", formats.join(", "))
                };
                return Err(value_error(format!(
                    "{upper} is not a recognized format.{allowed}"
                )));
            }
        }
        let (known, unknown): (Vec<_>, Vec<_>) = options
            .iter()
            .map(|(name, on)| (name.to_uppercase(), *on))
            .partition(|(name, _)| {
                self == Dialect::Postgres && POSTGRES_EXPLAIN_OPTIONS.contains(&name.as_str())
            });
        if !unknown.is_empty() {
            let mut names: Vec<String> = match self {
                Dialect::Sqlite => options.iter().map(|(n, _)| n.clone()).collect(),
                Dialect::Postgres => unknown.into_iter().map(|(n, _)| n).collect(),
            };
            names.sort();
            return Err(value_error(format!(
                "Unknown options: {}",
                names.join(", ")
            )));
        }
        let mut extra: Vec<String> = known
            .into_iter()
            .map(|(name, on)| format!("{name} {on}"))
            .collect();
        if let Some(format) = format {
            extra.push(format!("FORMAT {format}"));
        }
        Ok(if extra.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix} ({})", extra.join(", "))
        })
    }
}

/// The boolean options PostgreSQL's EXPLAIN takes (Django's `explain_options`).
const POSTGRES_EXPLAIN_OPTIONS: &[&str] = &[
    "ANALYZE",
    "BUFFERS",
    "COSTS",
    "GENERIC_PLAN",
    "MEMORY",
    "SETTINGS",
    "SUMMARY",
    "TIMING",
    "VERBOSE",
    "WAL",
];

/// PostgreSQL's own expressions and clauses; SQLite has none of them.
impl Dialect {
    /// An error unless the backend is PostgreSQL.
    fn postgres_only(self, what: &str) -> Result<()> {
        match self {
            Dialect::Postgres => Ok(()),
            Dialect::Sqlite => Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!("djq supports {what} on PostgreSQL only"),
            )),
        }
    }

    /// `DISTINCT ON (a, b) ` for `distinct('a', 'b')` (Django's `distinct_sql`).
    pub fn distinct_on(self, fields: Vec<Frag>) -> Result<Frag> {
        if self == Dialect::Sqlite {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "DISTINCT ON fields is not supported by this database backend",
            ));
        }
        Ok(list("DISTINCT ON (", fields, ") "))
    }

    /// A JSON key path (Django's `KeyTransform.as_postgresql`): `(data -> 'key')`, an
    /// integer key as an integer (an array position); several keys as one text array,
    /// `(data #> '{a,b}')`. `->>` and `#>>` give text.
    pub fn key_transform(self, source: Frag, keys: &[String], text: bool) -> Result<Frag> {
        self.postgres_only("JSONField key transforms")?;
        let (op, key) = match keys {
            [key] => (
                if text { "->>" } else { "->" },
                key.trim()
                    .parse::<i64>()
                    .map_or_else(|_| Value::Text(key.clone()), Value::Int),
            ),
            _ => (
                if text { "#>>" } else { "#>" },
                Value::json(keys.iter().map(|k| serde_json::json!(k)).collect()),
            ),
        };
        let mut f = wrap("(", source, &format!(" {op} "));
        f.push(Frag::param(key));
        f.push_str(")");
        Ok(f)
    }

    /// ArrayField `__0` (Django's `IndexTransform`): `("tags")[1]`.
    pub fn array_index(self, source: Frag, index: i64) -> Result<Frag> {
        self.postgres_only("ArrayField indexes")?;
        let mut f = if source.sql.ends_with(']') {
            source
        } else {
            wrap("(", source, ")")
        };
        f.push_str("[");
        f.push(Frag::param(Value::Int(index)));
        f.push_str("]");
        Ok(f)
    }

    /// ArrayField `__0_2` (Django's `SliceTransform`): `("tags")[1:2]`.
    pub fn array_slice(self, source: Frag, start: i64, end: i64) -> Result<Frag> {
        self.postgres_only("ArrayField slices")?;
        let mut f = wrap("(", source, ")[");
        f.push(Frag::param(Value::Int(start)));
        f.push_str(":");
        f.push(Frag::param(Value::Int(end)));
        f.push_str("]");
        Ok(f)
    }

    /// ArrayField `__len` (Django's `ArrayLenTransform`), NULL for a NULL array.
    pub fn array_len(self, source: Frag) -> Result<Frag> {
        self.postgres_only("ArrayField len")?;
        let mut f = wrap(
            "CASE WHEN ",
            source.clone(),
            " IS NULL THEN NULL ELSE coalesce(array_length(",
        );
        f.push(source);
        f.push_str(", 1), 0) END");
        Ok(f)
    }

    /// `ARRAY[a, b]`, an array of the items.
    pub fn array(self, items: Vec<Frag>) -> Result<Frag> {
        self.postgres_only("ArrayField lookups")?;
        Ok(list("ARRAY[", items, "]"))
    }

    /// Django's `supports_any_value`: SQLite (djq's own `ANY_VALUE`, as Django registers
    /// one) and PostgreSQL from 16 on (`postgres_version`, the server's `server_version_num`;
    /// unknown: assumed to have it); elsewhere Django's NotSupportedError, raised before
    /// anything runs.
    pub fn any_value(self, postgres_version: Option<i64>) -> Result<()> {
        match (self, postgres_version) {
            (Dialect::Postgres, Some(v)) if v < 160_000 => Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "ANY_VALUE is not supported on this database backend.",
            )),
            _ => Ok(()),
        }
    }

    /// The type a join's joined column is cast to when the two columns' types differ:
    /// PostgreSQL's, the parent's (Django's `prepare_join_on_clause`); none elsewhere.
    pub fn join_cast(self, parent: DbType, joined: DbType) -> Option<String> {
        let parent = cast_type(parent);
        (self == Dialect::Postgres && parent != cast_type(joined)).then_some(parent)
    }

    /// `sql::type`, a cast to a field's type (Django's `cast_db_type`).
    pub fn cast(self, sql: Frag, ty: DbType) -> Result<Frag> {
        self.postgres_only("ArrayField lookups")?;
        let dims = "[]".repeat(usize::from(ty.dims));
        Ok(wrap("", sql, &format!("::{}{dims}", cast_type(ty))))
    }

    /// A database function over its compiled arguments and their types, producing `output`
    /// (Django's `Func.as_sql` with each backend's `as_sqlite`/`as_postgresql`).
    /// `tzname` is the zone a `Trunc` of a datetime converts to (Django's `get_tzname()`).
    pub fn func(
        self,
        func: FuncKind,
        args: Vec<(Frag, ValueType)>,
        output: ValueType,
        tzname: Option<&str>,
    ) -> Result<Frag> {
        use FuncKind::*;
        let sqlite = self == Dialect::Sqlite;
        let mut args = args;
        let sql = match func {
            // `(COALESCE(a, '') || COALESCE(b, ''))`, non-text cast to text on PostgreSQL.
            ConcatPair => {
                let parts = args
                    .into_iter()
                    .map(|(f, ty)| {
                        let f = match ty {
                            ValueType::Text | ValueType::Any => f,
                            _ if sqlite => f,
                            _ => wrap("(", f, ")::text"),
                        };
                        call(
                            "COALESCE(",
                            vec![],
                            f,
                            vec![Value::Text(String::new())],
                            ")",
                        )
                    })
                    .collect::<Vec<_>>();
                let mut f = Frag::new("(");
                for (i, p) in parts.into_iter().enumerate() {
                    if i > 0 {
                        f.push_str(" || ");
                    }
                    f.push(p);
                }
                f.push_str(")");
                f
            }
            Left if sqlite => {
                let n = args.pop().expect("arity").0;
                let x = args.pop().expect("arity").0;
                list("SUBSTR(", vec![x, Frag::param(Value::Int(1)), n], ")")
            }
            Right if sqlite => {
                let n = args.pop().expect("arity").0;
                let x = args.pop().expect("arity").0;
                let start = wrap("(", n.clone(), " * ").joined(Frag::param(Value::Int(-1)));
                list("SUBSTR(", vec![x, start.joined(Frag::new(")")), n], ")")
            }
            Round if sqlite && matches!(args.get(1), Some((f, _)) if negative(f)) => {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    "SQLite does not support negative precision.",
                ));
            }
            Cast(ty) if sqlite => {
                let x = args.pop().expect("arity").0;
                match ty.kind {
                    FieldKind::DateTimeField => call(
                        "strftime(",
                        vec![Value::Text("%Y-%m-%d %H:%M:%f".into())],
                        x,
                        vec![],
                        ")",
                    ),
                    FieldKind::TimeField => call(
                        "strftime(",
                        vec![Value::Text("%H:%M:%f".into())],
                        x,
                        vec![],
                        ")",
                    ),
                    FieldKind::DateField => wrap("date(", x, ")"),
                    _ => wrap("CAST(", x, &format!(" AS {})", sqlite_cast_type(ty))),
                }
            }
            Cast(ty) => wrap(
                "(",
                args.pop().expect("arity").0,
                &format!(")::{}", cast_type(ty)),
            ),
            Wrapper => args.pop().expect("arity").0,
            PgCast(_) if sqlite => args.pop().expect("arity").0,
            PgCast(ty) => wrap(
                "(",
                args.pop().expect("arity").0,
                &format!(")::{}", cast_type(ty)),
            ),
            PgHost if sqlite => args.pop().expect("arity").0,
            PgHost => wrap("HOST(", args.pop().expect("arity").0, ")"),
            Now if sqlite => Frag::new("STRFTIME('%Y-%m-%d %H:%M:%f', 'NOW')"),
            Now => Frag::new("STATEMENT_TIMESTAMP()"),
            Trunc(part) => {
                let (x, ty) = args.pop().expect("arity");
                self.trunc(part, ty, output, x, tzname)
            }
            // PostgreSQLSHAMixin: pgcrypto's DIGEST, hex-encoded.
            Sha1 | Sha224 | Sha256 | Sha384 | Sha512 if !sqlite => {
                let x = args.pop().expect("arity").0;
                let algorithm = self.func_name(func).to_ascii_lowercase();
                wrap("ENCODE(DIGEST(", x, &format!(", '{algorithm}'), 'hex')"))
            }
            // FixDecimalInputMixin: PostgreSQL has no ROUND/MOD/LOG over double precision.
            Round | Mod | Log if !sqlite => {
                let args = args
                    .into_iter()
                    .map(|(f, ty)| match ty {
                        ValueType::Float => wrap("(", f, ")::numeric(1000, 15)"),
                        _ => f,
                    })
                    .collect();
                list(&format!("{}(", self.func_name(func)), args, ")")
            }
            _ => list(
                &format!("{}(", self.func_name(func)),
                args.into_iter().map(|(f, _)| f).collect(),
                ")",
            ),
        };
        Ok(match func {
            // ATan2's and Log's own `as_sqlite` skip SQLiteNumericMixin's NUMERIC cast.
            Cast(_) | PgCast(_) | PgHost | ATan2 | Log => sql,
            _ => Frag {
                sql: self.numeric(sql.sql, output),
                params: sql.params,
            },
        })
    }

    fn func_name(self, func: FuncKind) -> &'static str {
        use FuncKind::*;
        let sqlite = self == Dialect::Sqlite;
        match func {
            Lower => "LOWER",
            Upper => "UPPER",
            Length => "LENGTH",
            Substr if sqlite => "SUBSTR",
            Substr => "SUBSTRING",
            Left => "LEFT",
            Right => "RIGHT",
            Trim => "TRIM",
            LTrim => "LTRIM",
            RTrim => "RTRIM",
            Replace => "REPLACE",
            StrIndex if sqlite => "INSTR",
            StrIndex => "STRPOS",
            Reverse => "REVERSE",
            LPad => "LPAD",
            RPad => "RPAD",
            Repeat => "REPEAT",
            Abs => "ABS",
            Round => "ROUND",
            Ceil => "CEILING",
            Floor => "FLOOR",
            Mod => "MOD",
            Power => "POWER",
            Sqrt => "SQRT",
            Coalesce => "COALESCE",
            NullIf => "NULLIF",
            Greatest if sqlite => "MAX",
            Greatest => "GREATEST",
            Least if sqlite => "MIN",
            Least => "LEAST",
            ACos => "ACOS",
            ASin => "ASIN",
            ATan => "ATAN",
            ATan2 => "ATAN2",
            Cos => "COS",
            Cot => "COT",
            Degrees => "DEGREES",
            Exp => "EXP",
            Ln => "LN",
            Log => "LOG",
            Radians => "RADIANS",
            Sin => "SIN",
            Tan => "TAN",
            Sign => "SIGN",
            Pi => "PI",
            Random if sqlite => "RAND",
            Random => "RANDOM",
            Chr if sqlite => "CHAR",
            Chr => "CHR",
            Ord if sqlite => "UNICODE",
            Ord => "ASCII",
            Md5 => "MD5",
            Sha1 => "SHA1",
            Sha224 => "SHA224",
            Sha256 => "SHA256",
            Sha384 => "SHA384",
            Sha512 => "SHA512",
            JsonArray if sqlite => "JSON_ARRAY",
            JsonArray => "JSONB_BUILD_ARRAY",
            JsonObject if sqlite => "JSON_OBJECT",
            JsonObject => "JSONB_BUILD_OBJECT",
            ConcatPair | Cast(_) | PgCast(_) | PgHost | Wrapper | Trunc(_) | Now => {
                unreachable!("spelled in func()")
            }
            Extract(_) | TruncDate | TruncTime => unreachable!("resolved to transforms"),
        }
    }

    /// `UNACCENT(sql)` (django.contrib.postgres's `Unaccent`).
    pub fn unaccent(self, sql: Frag) -> Result<Frag> {
        self.postgres_only("the unaccent lookup")?;
        Ok(wrap("UNACCENT(", sql, ")"))
    }

    /// The extension a PostgreSQL error about an undefined function or operator points at:
    /// `function unaccent(character varying) does not exist`, `function digest(...)`, `operator does not exist:
    /// character varying % unknown`.
    pub fn missing_extension(message: &str) -> Option<Extension> {
        if message.starts_with("function unaccent(") {
            return Some(UNACCENT);
        }
        if message.starts_with("function digest(") {
            return Some(PGCRYPTO);
        }
        let operator = message.strip_prefix("operator does not exist: ")?;
        [" % ", " %> ", " %>> "]
            .iter()
            .any(|op| operator.contains(op))
            .then_some(PG_TRGM)
    }
}

/// The PostgreSQL type a cast to a field names (Django's `data_types`, with CharField's
/// `varchar` when it has no max_length).
fn cast_type(ty: DbType) -> String {
    use FieldKind::*;
    match ty.kind {
        AutoField | IntegerField | PositiveIntegerField | ForeignKey | OneToOneField => {
            "integer".into()
        }
        BigAutoField | BigIntegerField | PositiveBigIntegerField => "bigint".into(),
        SmallAutoField | SmallIntegerField | PositiveSmallIntegerField => "smallint".into(),
        BooleanField => "boolean".into(),
        CharField | SlugField | EmailField | UrlField => match ty.max_length {
            Some(n) => format!("varchar({n})"),
            None => "varchar".into(),
        },
        TextField => "text".into(),
        DateField => "date".into(),
        DateTimeField => "timestamp with time zone".into(),
        TimeField => "time".into(),
        DurationField => "interval".into(),
        DecimalField => match ty.decimal {
            Some((digits, places)) => format!("numeric({digits}, {places})"),
            None => "numeric".into(),
        },
        FloatField => "double precision".into(),
        UuidField => "uuid".into(),
        JsonField => "jsonb".into(),
        BinaryField => "bytea".into(),
        GenericIpAddressField => "inet".into(),
        ArrayField => unreachable!("an ArrayField's type is its base field's with a dimension"),
    }
}

/// A field's type as SQLite's `CAST(x AS type)` spells it (Django's sqlite3 `data_types`).
fn sqlite_cast_type(ty: DbType) -> String {
    use FieldKind::*;
    match ty.kind {
        AutoField | BigAutoField | SmallAutoField | IntegerField | ForeignKey | OneToOneField => {
            "integer".into()
        }
        BigIntegerField => "bigint".into(),
        SmallIntegerField => "smallint".into(),
        PositiveIntegerField => "integer unsigned".into(),
        PositiveBigIntegerField => "bigint unsigned".into(),
        PositiveSmallIntegerField => "smallint unsigned".into(),
        BooleanField => "bool".into(),
        CharField | SlugField | EmailField | UrlField => match ty.max_length {
            Some(n) => format!("varchar({n})"),
            None => "text".into(),
        },
        DecimalField => "decimal".into(),
        FloatField => "real".into(),
        DurationField => "bigint".into(),
        UuidField => "char(32)".into(),
        BinaryField => "BLOB".into(),
        GenericIpAddressField => "char(39)".into(),
        _ => "text".into(),
    }
}

/// `name` with each `"` doubled. Names rarely hold one: they are looked at eight bytes at a
/// time (a byte equal to `"` is a zero byte of `x ^ QUOTES`; `(x - LO) & !x & HI` is
/// nonzero exactly when `x` has a zero byte).
fn push_doubling_quotes(sql: &mut String, name: &str) {
    const LO: u64 = u64::from_ne_bytes([1; 8]);
    const HI: u64 = u64::from_ne_bytes([0x80; 8]);
    const QUOTES: u64 = u64::from_ne_bytes([b'"'; 8]);
    let mut chunks = name.as_bytes().chunks_exact(8);
    let quoted = chunks.any(|c| {
        let x = u64::from_ne_bytes(c.try_into().expect("eight bytes")) ^ QUOTES;
        x.wrapping_sub(LO) & !x & HI != 0
    }) || chunks.remainder().contains(&b'"');
    if !quoted {
        sql.push_str(name);
        return;
    }
    for (i, piece) in name.split('"').enumerate() {
        if i > 0 {
            sql.push_str("\"\"");
        }
        sql.push_str(piece);
    }
}

/// `YYYY-MM-DD`, chrono's `%Y-%m-%d` (written directly for the years Python has).
fn iso_date(d: chrono::NaiveDate) -> String {
    use chrono::Datelike;
    let (Ok(year), month, day) = (u16::try_from(d.year()), d.month(), d.day()) else {
        return d.format("%Y-%m-%d").to_string();
    };
    if year > 9999 {
        return d.format("%Y-%m-%d").to_string();
    }
    let digit = |n: u32| b'0' + (n % 10) as u8;
    let year = u32::from(year);
    let text = [
        digit(year / 1000),
        digit(year / 100),
        digit(year / 10),
        digit(year),
        b'-',
        digit(month / 10),
        digit(month),
        b'-',
        digit(day / 10),
        digit(day),
    ];
    // Ten bytes made at once (not ten chars pushed one by one).
    std::str::from_utf8(&text).expect("ASCII").to_owned()
}

/// Whether a compiled argument is a negative literal (`Round`'s precision).
fn negative(f: &Frag) -> bool {
    matches!(f.params.as_slice(), [Value::Int(i)] if *i < 0)
        && f.sql == super::frag::PARAM.to_string()
}

/// `sql AT TIME ZONE %s` with `tzname` (Django's `_convert_sql_to_tz`; a fixed offset's
/// sign flipped, as PostgreSQL reads POSIX offsets), or `sql` as it is without a zone.
fn at_zone(inner: Frag, tzname: Option<&str>) -> Frag {
    let Some(tzname) = tzname else {
        return inner;
    };
    let mut f = inner;
    f.push_str(" AT TIME ZONE ");
    f.push(Frag::param(Value::Text(prepare_tzname_delta(tzname))));
    f
}

/// Django's PostgreSQL `_prepare_tzname_delta` (after `split_tzname_delta`): `UTC+05:30` →
/// `UTC-05:30`, `UTC+05` → `UTC-05:00`.
fn prepare_tzname_delta(tzname: &str) -> String {
    for (sign, flipped) in [('+', '-'), ('-', '+')] {
        if let Some((name, offset)) = tzname.rsplit_once(sign)
            && is_time_offset(offset)
        {
            let minutes = if offset.contains(':') { "" } else { ":00" };
            return format!("{name}{flipped}{offset}{minutes}");
        }
    }
    tzname.to_string()
}

/// Whether Django's `parse_time` reads `offset`: `HH`, or `H:M` / `H:M:S` with one or two
/// digits each, in range.
fn is_time_offset(offset: &str) -> bool {
    let parts: Vec<&str> = offset.split(':').collect();
    let number = |p: &str, below: u32| {
        (1..=2).contains(&p.len())
            && p.bytes().all(|b| b.is_ascii_digit())
            && p.parse::<u32>().is_ok_and(|n| n < below)
    };
    match parts[..] {
        [h] => h.len() == 2 && number(h, 24),
        [h, m] => number(h, 24) && number(m, 60),
        [h, m, s] => number(h, 24) && number(m, 60) && number(s, 60),
        _ => false,
    }
}

/// The `(tzname, connection timezone)` pair Django's SQLite functions take: the zone and
/// UTC (the connection's zone with `USE_TZ`), or two NULLs without a zone.
fn zone_pair(tzname: Option<&str>) -> Vec<Value> {
    match tzname {
        Some(tzname) => vec![Value::Text(tzname.into()), Value::Text("UTC".into())],
        None => vec![Value::Null, Value::Null],
    }
}

/// `name(before..., inner, after...)`
fn call(open: &str, before: Vec<Value>, inner: Frag, after: Vec<Value>, close: &str) -> Frag {
    let mut f = Frag::new(open);
    for v in before {
        f.push(Frag::param(v));
        f.push_str(", ");
    }
    f.push(inner);
    for v in after {
        f.push_str(", ");
        f.push(Frag::param(v));
    }
    f.push_str(close);
    f
}

/// `open a, b, c close`
fn list(open: &str, items: Vec<Frag>, close: &str) -> Frag {
    let mut f = Frag::new(open);
    for (i, item) in items.into_iter().enumerate() {
        if i > 0 {
            f.push_str(", ");
        }
        f.push(item);
    }
    f.push_str(close);
    f
}

fn wrap(open: &str, inner: Frag, close: &str) -> Frag {
    let mut f = Frag::new(open);
    f.push(inner);
    f.push_str(close);
    f
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_inside_names_are_doubled() {
        for (name, quoted) in [
            ("", "\"\""),
            ("books_book", "\"books_book\""),
            ("a\"b", "\"a\"\"b\""),
            ("eight_by\"", "\"eight_by\"\"\""),
            ("\"sixteen_bytes__", "\"\"\"sixteen_bytes__\""),
            ("nine_byte\"s", "\"nine_byte\"\"s\""),
        ] {
            assert_eq!(Dialect::Sqlite.quote(name), quoted);
        }
        let mut sql = String::new();
        Dialect::Postgres.push_qualified(&mut sql, "T\"2", "name");
        assert_eq!(sql, "\"T\"\"2\".\"name\"");
        // IR names know whether they hold a quote.
        for (alias, column) in [("T\"2", "name"), ("books_book", "a\"b"), ("T2", "name")] {
            let (mut by_sym, mut by_str) = (String::new(), String::new());
            let (a, c) = (Sym::from(alias), Sym::from(column));
            Dialect::Sqlite.push_qualified_sym(&mut by_sym, &a, &c);
            Dialect::Sqlite.push_quoted_sym(&mut by_sym, &a);
            Dialect::Sqlite.push_qualified(&mut by_str, alias, column);
            Dialect::Sqlite.push_quoted(&mut by_str, alias);
            assert_eq!(by_sym, by_str);
        }
    }

    #[test]
    fn fixed_offsets_flip_their_sign_for_postgres() {
        for (tzname, prepared) in [
            ("UTC+05:30", "UTC-05:30"),
            ("UTC-03:00", "UTC+03:00"),
            ("UTC+05", "UTC-05:00"),
            ("America/New_York", "America/New_York"),
            ("Etc/GMT-5", "Etc/GMT-5"),
        ] {
            assert_eq!(prepare_tzname_delta(tzname), prepared);
        }
    }

    #[test]
    fn dates_are_written_as_chrono_formats_them() {
        for (y, m, d) in [
            (1, 1, 1),
            (999, 12, 31),
            (2024, 2, 29),
            (9999, 12, 31),
            (10000, 1, 1),
        ] {
            let date = chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
            assert_eq!(iso_date(date), date.format("%Y-%m-%d").to_string());
        }
        let bc = chrono::NaiveDate::from_ymd_opt(-5, 3, 4).unwrap();
        assert_eq!(iso_date(bc), bc.format("%Y-%m-%d").to_string());
    }

    #[test]
    fn explain_prefixes_as_django_spells_them() {
        assert_eq!(
            Dialect::Sqlite.explain_prefix(None, &[]).unwrap(),
            "EXPLAIN QUERY PLAN"
        );
        assert_eq!(
            Dialect::Postgres.explain_prefix(None, &[]).unwrap(),
            "EXPLAIN"
        );
        let options = [("analyze".to_string(), true), ("costs".to_string(), false)];
        assert_eq!(
            Dialect::Postgres
                .explain_prefix(Some("json"), &options)
                .unwrap(),
            "EXPLAIN (ANALYZE true, COSTS false, FORMAT json)"
        );
        let err = Dialect::Sqlite
            .explain_prefix(Some("json"), &[])
            .unwrap_err();
        assert_eq!(
            err.message,
            "JSON is not a recognized format. SQLite does not support any formats."
        );
        let err = Dialect::Postgres
            .explain_prefix(Some("csv"), &[])
            .unwrap_err();
        assert_eq!(
            err.message,
            "CSV is not a recognized format. Allowed formats: JSON, TEXT, XML, YAML"
        );
        let err = Dialect::Sqlite.explain_prefix(None, &options).unwrap_err();
        assert_eq!(err.message, "Unknown options: analyze, costs");
        let err = Dialect::Postgres
            .explain_prefix(None, &[("nope".to_string(), true)])
            .unwrap_err();
        assert_eq!(err.message, "Unknown options: NOPE");
    }
}
