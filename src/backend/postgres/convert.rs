//! Values in and out of PostgreSQL's binary protocol, converted the way Django with psycopg
//! does it.
//!
//! The way in is [`Param`]: PostgreSQL infers every parameter's type from the statement
//! (`"pages" > $1` makes `$1` an int4), and the postgres crate hands that type to
//! [`ToSql::to_sql`]; `Param` encodes a djq [`Value`] as that type — an `Int` as an int2, int4
//! or int8 with a range check, text as a date where a date is expected, and so on — much as
//! Django's `get_db_prep_value` plus PostgreSQL's own input functions would.
//!
//! The way out is [`decode`]: the column's PostgreSQL type gives the value (psycopg's loaders,
//! with Django's: timestamptz in UTC, jsonb and inet as text first), then the requested
//! [`ValueType`] converts it as Django's expression converters do (`int()`, `float()`,
//! `Decimal()` of what the database returned, `json.loads` for JSONField, and for a computed
//! column the date truncations' converter). PostgreSQL returns numerics with their own scale
//! and Django does not quantize them on this backend, so neither does djq.

use std::error::Error;
use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use bytes::BytesMut;
use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use postgres::Column;
use postgres::types::{FromSql, IsNull, Kind, ToSql, Type, to_sql_checked};
use postgres_protocol::types as wire;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::backend::dateparse::{parse_date, parse_datetime, parse_duration, parse_time, uuid};
use crate::value::{Value, ValueType, python_float};

type BoxError = Box<dyn Error + Sync + Send>;

/// Why a parameter could not be sent; the message is shown as it is.
#[derive(Debug)]
pub struct ParamError(pub String);

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Error for ParamError {}

fn reject(message: String) -> BoxError {
    Box::new(ParamError(message))
}

/// A djq value bound as the statement's parameter `$position`, encoded as whatever type the
/// server expects there.
#[derive(Debug)]
pub struct Param<'a> {
    pub value: &'a Value,
    pub position: usize,
    /// The session's time zone, which a naive datetime sent as a timestamptz is in (and an
    /// aware one sent as a timestamp or a date is converted to).
    pub zone: Tz,
}

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
        encode(self.value, ty, self.zone, out)
            .map_err(|e| reject(format!("parameter ${}: {e}", self.position)))
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Encodes `value` as PostgreSQL type `ty`.
fn encode(value: &Value, ty: &Type, zone: Tz, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    if value.is_null() {
        return Ok(IsNull::Yes);
    }
    match ty.kind() {
        Kind::Domain(base) => return encode(value, base, zone, out),
        // An enum's binary form is its label.
        Kind::Enum(_) => return text(value).as_str().to_sql(&Type::TEXT, out),
        Kind::Array(member) => return encode_array(value, member, zone, out),
        _ => {}
    }
    let mismatch = || {
        reject(format!(
            "cannot send {} as a parameter of type {}",
            describe(value),
            ty.name()
        ))
    };
    match *ty {
        Type::BOOL => wire::bool_to_sql(to_bool(value, ty)?, out),
        Type::INT2 => wire::int2_to_sql(in_range(to_int(value, ty)?, "smallint")?, out),
        Type::INT4 => wire::int4_to_sql(in_range(to_int(value, ty)?, "integer")?, out),
        Type::INT8 => wire::int8_to_sql(to_int(value, ty)?, out),
        Type::OID => wire::oid_to_sql(in_range(to_int(value, ty)?, "oid")?, out),
        Type::FLOAT4 => wire::float4_to_sql(to_float(value, ty)? as f32, out),
        Type::FLOAT8 => wire::float8_to_sql(to_float(value, ty)?, out),
        Type::NUMERIC => return encode_numeric(to_decimal(value, ty)?, ty, out),
        Type::CHAR => match text(value).as_bytes() {
            [byte] => wire::char_to_sql(*byte as i8, out),
            _ => return Err(mismatch()),
        },
        Type::DATE => return to_date(value, ty, zone)?.to_sql(ty, out),
        Type::TIMESTAMPTZ => return to_aware(value, ty, zone)?.to_sql(ty, out),
        Type::TIMESTAMP => return to_naive(value, ty, zone)?.to_sql(ty, out),
        Type::TIME => return to_time(value, ty)?.to_sql(ty, out),
        Type::TIMETZ => {
            // The time, then the zone's offset in seconds west of UTC: djq's times are UTC.
            to_time(value, ty)?.to_sql(&Type::TIME, out)?;
            out.extend_from_slice(&0i32.to_be_bytes());
        }
        Type::INTERVAL => encode_interval(value, ty, out)?,
        Type::UUID => encode_uuid(value, ty, out)?,
        Type::JSON | Type::JSONB => return to_json(value).to_sql(ty, out),
        Type::BYTEA => match value {
            Value::Bytes(b) => wire::bytea_to_sql(b, out),
            Value::Text(s) => wire::bytea_to_sql(s.as_bytes(), out),
            _ => return Err(mismatch()),
        },
        Type::INET | Type::CIDR => {
            let (addr, netmask) =
                parse_inet(&text(value)).ok_or_else(|| invalid_input(ty, &text(value)))?;
            wire::inet_to_sql(addr, netmask, out);
        }
        _ if is_text_like(ty) => wire::text_to_sql(&text(value), out),
        _ => return Err(mismatch()),
    }
    Ok(IsNull::No)
}

/// A `numeric` parameter. A zero keeps its scale (`Decimal('0.00')` is `0.00`, as psycopg
/// sends it): rust_decimal writes every zero as `0`.
fn encode_numeric(d: Decimal, ty: &Type, out: &mut BytesMut) -> Result<IsNull, BoxError> {
    if !d.is_zero() {
        return d.to_sql(ty, out);
    }
    // No digits, weight 0, positive, the display scale.
    out.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
    out.extend_from_slice(&(d.scale() as u16).to_be_bytes());
    Ok(IsNull::No)
}

/// Types whose binary form is their text: strings, plus the text-like extension types.
fn is_text_like(ty: &Type) -> bool {
    matches!(
        *ty,
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::XML
    ) || matches!(ty.name(), "citext")
}

/// A one-dimensional array from a JSON array (how djq holds lists), each element sent as the
/// array's member type.
fn encode_array(
    value: &Value,
    member: &Type,
    zone: Tz,
    out: &mut BytesMut,
) -> Result<IsNull, BoxError> {
    let Some(serde_json::Value::Array(items)) = (match value {
        Value::Json(j) => Some(&**j),
        _ => None,
    }) else {
        return Err(reject(format!(
            "cannot send {} as an array of {}",
            describe(value),
            member.name()
        )));
    };
    let values: Vec<Value> = items.iter().map(json_to_value).collect();
    let dimension = wire::ArrayDimension {
        len: i32::try_from(values.len()).map_err(|_| reject("array too long".into()))?,
        lower_bound: 1,
    };
    wire::array_to_sql(
        Some(dimension),
        member.oid(),
        &values,
        |v, out| {
            Ok(match encode(v, member, zone, out)? {
                IsNull::Yes => postgres_protocol::IsNull::Yes,
                IsNull::No => postgres_protocol::IsNull::No,
            })
        },
        out,
    )?;
    Ok(IsNull::No)
}

/// A JSON element as the value it stands for (a list of strings is a list of `Text`s).
fn json_to_value(item: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    match item {
        J::Null => Value::Null,
        J::Bool(b) => Value::Bool(*b),
        J::Number(n) => n
            .as_i64()
            .map(Value::Int)
            .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN))),
        J::String(s) => Value::Text(s.clone()),
        J::Array(_) | J::Object(_) => Value::json(item.clone()),
    }
}

/// psycopg's interval dumper: whole days (Python's floor), then the microseconds left. Text
/// is read as PostgreSQL reads a text parameter where an interval is expected: Python's
/// `str(timedelta)` (`5 days, 0:00:00`, what Django sends for a string compared with a
/// duration) and ISO 8601 (`P5D`), as Django's `parse_duration` reads them.
fn encode_interval(value: &Value, ty: &Type, out: &mut BytesMut) -> Result<(), BoxError> {
    let us = match value {
        Value::Duration(us) => *us,
        Value::Text(s) => parse_duration(s).map_err(|_| invalid_input(ty, s))?,
        _ => {
            return Err(reject(format!(
                "cannot send {} as a parameter of type {}",
                describe(value),
                ty.name()
            )));
        }
    };
    const DAY: i64 = 86_400_000_000;
    let days = i32::try_from(us.div_euclid(DAY)).map_err(|_| {
        reject(format!(
            "interval out of range: {} days",
            us.div_euclid(DAY)
        ))
    })?;
    out.extend_from_slice(&us.rem_euclid(DAY).to_be_bytes());
    out.extend_from_slice(&days.to_be_bytes());
    out.extend_from_slice(&0i32.to_be_bytes()); // months
    Ok(())
}

fn encode_uuid(value: &Value, ty: &Type, out: &mut BytesMut) -> Result<(), BoxError> {
    let canonical = match value {
        Value::Uuid(s) | Value::Text(s) => uuid(s).map_err(|_| invalid_input(ty, s))?,
        other => {
            return Err(reject(format!(
                "cannot send {} as a parameter of type uuid",
                describe(other)
            )));
        }
    };
    let hex = canonical.replace('-', "");
    let mut bytes = [0u8; 16];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("validated hex");
    }
    wire::uuid_to_sql(bytes, out);
    Ok(())
}

/// PostgreSQL's error for text its input function rejects.
fn invalid_input(ty: &Type, text: &str) -> BoxError {
    reject(format!(
        "invalid input syntax for type {}: \"{text}\"",
        ty.name()
    ))
}

/// `value` as the text a text parameter receives: Python's `str()`, JSON as JSON.
fn text(value: &Value) -> String {
    match value {
        Value::Text(s) => s.clone(),
        Value::Json(j) => j.to_string(),
        other => other.to_python_str(),
    }
}

/// `value` as psycopg's client-side binding writes it into the statement (`Dumper.quote`),
/// which is how Django's statements reach the server and so how the server's error excerpts
/// show them: numbers as they are (a negative one after a space), booleans as `true`/`false`,
/// text as `PQescapeLiteral` quotes it. `None` for a value written some other way (dates,
/// JSON, ...), which then stays a placeholder.
pub fn literal(value: &Value) -> Option<String> {
    let number = |s: String| {
        if s.starts_with('-') {
            format!(" {s}")
        } else {
            s
        }
    };
    Some(match value {
        Value::Null => "NULL".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => number(i.to_string()),
        Value::Float(f) if f.is_finite() => number(python_float(*f)),
        Value::Decimal(d) => number(crate::value::python_decimal(d)),
        Value::Text(s) if s.contains('\\') => {
            format!(" E'{}'", s.replace('\\', "\\\\").replace('\'', "''"))
        }
        Value::Text(s) => format!("'{}'", s.replace('\'', "''")),
        _ => return None,
    })
}

/// The value as an error message quotes it.
fn describe(value: &Value) -> String {
    let kind = match value {
        Value::Null => return "None".into(),
        Value::Bool(_) => "boolean",
        Value::Int(_) => "integer",
        Value::Float(_) => "float",
        Value::Decimal(_) => "decimal",
        Value::Text(_) => "text",
        Value::Date(_) => "date",
        Value::DateTime(_) | Value::NaiveDateTime(_) | Value::OffsetDateTime(_) => "datetime",
        Value::Time(_) => "time",
        Value::Duration(_) => "duration",
        Value::Uuid(_) => "UUID",
        Value::Json(_) => "JSON",
        Value::Bytes(b) => return format!("{} bytes", b.len()),
    };
    format!("the {kind} {}", value.to_python_str())
}

fn in_range<T: TryFrom<i64>>(n: i64, type_name: &str) -> Result<T, BoxError> {
    T::try_from(n).map_err(|_| {
        reject(format!(
            "value \"{n}\" is out of range for type {type_name}"
        ))
    })
}

/// An integer parameter: `int()` of booleans, integral floats and decimals, numeric text.
fn to_int(value: &Value, ty: &Type) -> Result<i64, BoxError> {
    let lossy = || {
        reject(format!(
            "cannot send {} as a parameter of type {} without losing its fraction",
            describe(value),
            ty.name()
        ))
    };
    match value {
        Value::Int(i) => Ok(*i),
        Value::Bool(b) => Ok(i64::from(*b)),
        Value::Float(f) if f.fract() == 0.0 && f.abs() < 9.2e18 => Ok(*f as i64),
        Value::Float(_) => Err(lossy()),
        Value::Decimal(d) if d.fract().is_zero() => d.to_i64().ok_or_else(lossy),
        Value::Decimal(_) => Err(lossy()),
        Value::Text(s) => s.trim().parse().map_err(|_| invalid_input(ty, s)),
        other => Err(reject(format!(
            "cannot send {} as a parameter of type {}",
            describe(other),
            ty.name()
        ))),
    }
}

fn to_float(value: &Value, ty: &Type) -> Result<f64, BoxError> {
    match value {
        Value::Float(f) => Ok(*f),
        Value::Int(i) => Ok(*i as f64),
        Value::Decimal(d) => d.to_f64().ok_or_else(|| invalid_input(ty, &d.to_string())),
        Value::Text(s) => s.trim().parse().map_err(|_| invalid_input(ty, s)),
        other => Err(reject(format!(
            "cannot send {} as a parameter of type {}",
            describe(other),
            ty.name()
        ))),
    }
}

/// A numeric parameter; floats go as their shortest repr, as PostgreSQL casts a float8.
fn to_decimal(value: &Value, ty: &Type) -> Result<Decimal, BoxError> {
    let parse = |s: &str| {
        let s = s.trim();
        Decimal::from_str(s)
            .or_else(|_| Decimal::from_scientific(s))
            .map_err(|_| invalid_input(ty, s))
    };
    match value {
        Value::Decimal(d) => Ok(*d),
        Value::Int(i) => Ok(Decimal::from(*i)),
        Value::Float(f) => parse(&python_float(*f)),
        Value::Text(s) => parse(s),
        other => Err(reject(format!(
            "cannot send {} as a parameter of type numeric",
            describe(other)
        ))),
    }
}

/// A boolean parameter: booleans, 0 and 1, and the words PostgreSQL's `boolin` accepts.
fn to_bool(value: &Value, ty: &Type) -> Result<bool, BoxError> {
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Int(0) => Ok(false),
        Value::Int(1) => Ok(true),
        Value::Text(s) => match s.trim().to_ascii_lowercase().as_str() {
            "t" | "true" | "y" | "yes" | "on" | "1" => Ok(true),
            "f" | "false" | "n" | "no" | "off" | "0" => Ok(false),
            _ => Err(invalid_input(ty, s)),
        },
        other => Err(reject(format!(
            "cannot send {} as a parameter of type boolean",
            describe(other)
        ))),
    }
}

/// A date parameter: a date, the date of a datetime (in the session's zone), or ISO text.
fn to_date(value: &Value, ty: &Type, zone: Tz) -> Result<NaiveDate, BoxError> {
    match value {
        Value::Date(d) => Ok(*d),
        Value::DateTime(_) | Value::OffsetDateTime(_) => {
            Ok(in_zone(value.instant().expect("aware"), zone).date())
        }
        Value::NaiveDateTime(dt) => Ok(dt.date()),
        Value::Text(s) => parse_date(s.trim())
            .or_else(|_| parse_datetime(s.trim()).map(|dt| dt.date_naive()))
            .map_err(|_| invalid_input(ty, s)),
        other => Err(reject(format!(
            "cannot send {} as a parameter of type date",
            describe(other)
        ))),
    }
}

/// A timestamptz parameter; naive values are taken in the session's zone.
fn to_aware(value: &Value, ty: &Type, zone: Tz) -> Result<DateTime<Utc>, BoxError> {
    match value {
        Value::DateTime(dt) => Ok(*dt),
        Value::OffsetDateTime(dt) => Ok(dt.to_utc()),
        Value::Text(s) => parse_datetime(s.trim())
            .map(|dt| dt.to_utc())
            .map_err(|_| invalid_input(ty, s)),
        other => to_naive(other, ty, zone).map(|dt| crate::tz::make_aware(zone, dt).to_utc()),
    }
}

/// The wall-clock time of an instant in `zone`.
fn in_zone(instant: DateTime<Utc>, zone: Tz) -> NaiveDateTime {
    instant.with_timezone(&zone).naive_local()
}

/// A timestamp (without time zone) parameter; aware values are written in the session's
/// zone.
fn to_naive(value: &Value, ty: &Type, zone: Tz) -> Result<NaiveDateTime, BoxError> {
    match value {
        Value::NaiveDateTime(dt) => Ok(*dt),
        Value::DateTime(_) | Value::OffsetDateTime(_) => {
            Ok(in_zone(value.instant().expect("aware"), zone))
        }
        Value::Date(d) => Ok(d.and_time(NaiveTime::MIN)),
        Value::Text(s) => parse_datetime(s.trim())
            .map(|dt| dt.naive_utc())
            .map_err(|_| invalid_input(ty, s)),
        other => Err(reject(format!(
            "cannot send {} as a parameter of type {}",
            describe(other),
            ty.name()
        ))),
    }
}

fn to_time(value: &Value, ty: &Type) -> Result<NaiveTime, BoxError> {
    match value {
        Value::Time(t) => Ok(*t),
        Value::Text(s) => parse_time(s.trim()).map_err(|_| invalid_input(ty, s)),
        other => Err(reject(format!(
            "cannot send {} as a parameter of type {}",
            describe(other),
            ty.name()
        ))),
    }
}

/// A JSON parameter: JSONField's `json.dumps(value)`, so text becomes a JSON string.
fn to_json(value: &Value) -> serde_json::Value {
    match value {
        Value::Json(j) => (**j).clone(),
        Value::Text(s) => serde_json::Value::String(s.clone()),
        Value::Bool(b) => serde_json::Value::Bool(*b),
        Value::Int(i) => (*i).into(),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map_or(serde_json::Value::Null, serde_json::Value::Number),
        other => other.to_json(),
    }
}

/// `address` or `address/bits`, as inet and cidr read them.
fn parse_inet(text: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = match text.trim().split_once('/') {
        Some((addr, bits)) => (addr, Some(bits)),
        None => (text.trim(), None),
    };
    let addr: IpAddr = addr.parse().ok()?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    let bits = match bits {
        Some(bits) => bits.parse().ok().filter(|&b| b <= max)?,
        None => max,
    };
    Some((addr, bits))
}

/// A column's raw bytes, whatever its type (`None` for NULL).
pub struct Raw<'a>(pub Option<&'a [u8]>);

impl<'a> FromSql<'a> for Raw<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, BoxError> {
        Ok(Raw(Some(raw)))
    }

    fn from_sql_null(_: &Type) -> Result<Self, BoxError> {
        Ok(Raw(None))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

/// Where a column's values come from, which decides whether an expression's converter applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A table's own column, selected as it is (the server names its table).
    Table,
    /// An expression the statement computes.
    Computed,
}

impl Origin {
    /// Where the statement's result `column` comes from, as the server describes it.
    pub fn of(column: &Column) -> Origin {
        match column.table_oid() {
            Some(_) => Origin::Table,
            None => Origin::Computed,
        }
    }
}

/// Decodes one column of type `ty`, coming from `origin`, as `want`. `naive_in` is the
/// session's zone with `USE_TZ = False`: a timestamptz is then read as a naive wall-clock time
/// in it, as Django reads it. The error says what is wrong; the caller adds which column it
/// came from.
pub fn decode(
    ty: &Type,
    raw: Option<&[u8]>,
    want: ValueType,
    origin: Origin,
    naive_in: Option<Tz>,
) -> Result<Value, String> {
    let Some(raw) = raw else {
        return Ok(Value::Null);
    };
    let value = match (natural(ty, raw).map_err(|e| e.to_string())?, naive_in) {
        (Value::DateTime(dt), Some(zone)) => Value::NaiveDateTime(in_zone(dt, zone)),
        (value, _) => value,
    };
    Ok(for_output_field(value, want, origin, naive_in.is_none()))
}

/// The value as psycopg (with Django's loaders) reads the column's type.
fn natural(ty: &Type, raw: &[u8]) -> Result<Value, BoxError> {
    match ty.kind() {
        Kind::Domain(base) => return natural(base, raw),
        Kind::Enum(_) => return Ok(Value::Text(wire::text_from_sql(raw)?.to_string())),
        Kind::Array(member) => return decode_array(member, raw).map(Value::json),
        _ => {}
    }
    Ok(match *ty {
        Type::BOOL => Value::Bool(wire::bool_from_sql(raw)?),
        Type::INT2 => Value::Int(wire::int2_from_sql(raw)?.into()),
        Type::INT4 => Value::Int(wire::int4_from_sql(raw)?.into()),
        Type::INT8 => Value::Int(wire::int8_from_sql(raw)?),
        Type::OID => Value::Int(wire::oid_from_sql(raw)?.into()),
        Type::FLOAT4 => Value::Float(wire::float4_from_sql(raw)?.into()),
        Type::FLOAT8 => Value::Float(wire::float8_from_sql(raw)?),
        Type::NUMERIC => Value::Decimal(numeric(ty, raw)?),
        Type::CHAR => Value::Text(char::from(wire::char_from_sql(raw)? as u8).to_string()),
        Type::DATE => Value::Date(NaiveDate::from_sql(ty, raw)?),
        Type::TIMESTAMPTZ => Value::DateTime(DateTime::<Utc>::from_sql(ty, raw)?),
        Type::TIMESTAMP => Value::NaiveDateTime(NaiveDateTime::from_sql(ty, raw)?),
        Type::TIME => Value::Time(NaiveTime::from_sql(ty, raw)?),
        // The time, then the zone offset, which djq's naive times do not keep.
        Type::TIMETZ => Value::Time(NaiveTime::from_sql(
            &Type::TIME,
            raw.get(..8).ok_or("bad timetz")?,
        )?),
        Type::INTERVAL => Value::Duration(decode_interval(raw)?),
        Type::UUID => {
            let hex: String = wire::uuid_from_sql(raw)?
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            Value::Uuid(uuid(&hex)?)
        }
        Type::JSON | Type::JSONB => Value::json(serde_json::Value::from_sql(ty, raw)?),
        Type::BYTEA => Value::Bytes(wire::bytea_from_sql(raw).to_vec()),
        Type::INET | Type::CIDR => {
            let inet = wire::inet_from_sql(raw)?;
            let full = if inet.addr().is_ipv4() { 32 } else { 128 };
            Value::Text(if *ty == Type::INET && inet.netmask() == full {
                inet.addr().to_string()
            } else {
                format!("{}/{}", inet.addr(), inet.netmask())
            })
        }
        _ if is_text_like(ty) => Value::Text(wire::text_from_sql(raw)?.to_string()),
        _ => {
            return Err(format!(
                "djq cannot read PostgreSQL type {}; cast the column (::text) to see it",
                ty.name()
            )
            .into());
        }
    })
}

/// psycopg's interval loader: months count 30 days.
fn decode_interval(raw: &[u8]) -> Result<i64, BoxError> {
    let [us @ .., d0, d1, d2, d3, m0, m1, m2, m3] = raw else {
        return Err("bad interval".into());
    };
    let us = i64::from_be_bytes(us.try_into().map_err(|_| "bad interval")?);
    let days = i64::from(i32::from_be_bytes([*d0, *d1, *d2, *d3]));
    let months = i64::from(i32::from_be_bytes([*m0, *m1, *m2, *m3]));
    Ok(us + (days + 30 * months) * 86_400_000_000)
}

/// An array as nested JSON arrays, one level per dimension.
fn decode_array(member: &Type, raw: &[u8]) -> Result<serde_json::Value, BoxError> {
    use postgres::fallible_iterator::FallibleIterator;
    let array = wire::array_from_sql(raw)?;
    let dims: Vec<usize> = array
        .dimensions()
        .map(|d| Ok(usize::try_from(d.len).unwrap_or(0)))
        .collect()?;
    let items: Vec<serde_json::Value> = array
        .values()
        .map(|item| match item {
            None => Ok(serde_json::Value::Null),
            Some(raw) => natural(member, raw).map(|v| v.to_json()),
        })
        .collect()?;
    // Fold the flat elements into rows, innermost dimension first.
    let mut level = items;
    for &len in dims.iter().skip(1).rev() {
        level = level
            .chunks(len.max(1))
            .map(|chunk| serde_json::Value::Array(chunk.to_vec()))
            .collect();
    }
    Ok(serde_json::Value::Array(level))
}

/// Django's expression converters: `int()`, `float()` and `Decimal()` of what the database
/// returned for an integer, float or decimal output field, `json.loads` for a JSONField.
///
/// A computed date or datetime follows its output field as the date truncations' converter
/// (`convert_trunc_expression`) makes it: `DATE_TRUNC` of a date returns a timestamptz, whose
/// date a DateField keeps; of a datetime `AT TIME ZONE 'UTC'` a naive timestamp, which a
/// DateTimeField makes aware (`use_tz`; in UTC here, the truncation's own zone is the caller's
/// to apply). A table's own `timestamp` column stays naive, as psycopg reads it and Django
/// leaves it.
fn for_output_field(value: Value, want: ValueType, origin: Origin, use_tz: bool) -> Value {
    let computed = origin == Origin::Computed;
    match (want, value) {
        (ValueType::Date, Value::DateTime(dt)) if computed => Value::Date(dt.date_naive()),
        (ValueType::Date, Value::NaiveDateTime(dt)) if computed => Value::Date(dt.date()),
        (ValueType::DateTime, Value::NaiveDateTime(dt)) if computed && use_tz => {
            Value::DateTime(dt.and_utc())
        }
        (ValueType::Int, Value::Float(f)) if f.is_finite() => Value::Int(f.trunc() as i64),
        (ValueType::Int, Value::Decimal(d)) => {
            d.trunc().to_i64().map_or(Value::Decimal(d), Value::Int)
        }
        (ValueType::Int, Value::Bool(b)) => Value::Int(i64::from(b)),
        (ValueType::Float, Value::Int(i)) => Value::Float(i as f64),
        (ValueType::Float, Value::Decimal(d)) => Value::Float(crate::value::decimal_to_f64(&d)),
        (ValueType::Decimal { .. }, Value::Int(i)) => Value::Decimal(Decimal::from(i)),
        (ValueType::Decimal { .. }, Value::Float(f)) => {
            Decimal::from_f64_retain(f).map_or(Value::Float(f), Value::Decimal)
        }
        (ValueType::Json, Value::Text(t)) => {
            serde_json::from_str(&t).map_or(Value::Text(t), Value::json)
        }
        (_, value) => value,
    }
}

/// A `numeric` as a Decimal. A zero keeps the scale the server gives it (`0E-20` for
/// `0 / 3.0`, as psycopg reads it), which the decoder of non-zero values keeps already.
fn numeric(
    ty: &Type,
    raw: &[u8],
) -> std::result::Result<Decimal, Box<dyn std::error::Error + Sync + Send>> {
    let mut d = Decimal::from_sql(ty, raw)?;
    if d.is_zero()
        && let Some(scale) = raw.get(6..8)
    {
        let scale = u32::from(u16::from_be_bytes([scale[0], scale[1]]));
        d.rescale(scale.min(Decimal::MAX_SCALE));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn encoded(value: Value, ty: &Type) -> Result<Vec<u8>, String> {
        let mut out = BytesMut::new();
        match encode(&value, ty, Tz::UTC, &mut out) {
            Ok(IsNull::No) => Ok(out.to_vec()),
            Ok(IsNull::Yes) => Ok(b"NULL".to_vec()),
            Err(e) => Err(e.to_string()),
        }
    }

    fn round_trip(value: Value, ty: &Type) -> Value {
        let bytes = encoded(value, ty).unwrap();
        natural(ty, &bytes).unwrap()
    }

    #[test]
    fn integers_fit_the_parameter_type() {
        assert_eq!(
            encoded(Value::Int(7), &Type::INT4).unwrap(),
            7i32.to_be_bytes()
        );
        assert_eq!(
            encoded(Value::Int(7), &Type::INT2).unwrap(),
            7i16.to_be_bytes()
        );
        assert_eq!(
            encoded(Value::Int(7), &Type::INT8).unwrap(),
            7i64.to_be_bytes()
        );
        assert_eq!(
            encoded(Value::Int(3_000_000_000), &Type::INT4).unwrap_err(),
            "value \"3000000000\" is out of range for type integer"
        );
        assert_eq!(
            round_trip(Value::Text(" 12 ".into()), &Type::INT4),
            Value::Int(12)
        );
        assert_eq!(round_trip(Value::Float(3.0), &Type::INT8), Value::Int(3));
        assert_eq!(round_trip(Value::Bool(true), &Type::INT2), Value::Int(1));
        assert!(
            encoded(Value::Float(2.5), &Type::INT4)
                .unwrap_err()
                .contains("fraction")
        );
        assert_eq!(
            encoded(Value::Text("x".into()), &Type::INT4).unwrap_err(),
            "invalid input syntax for type int4: \"x\""
        );
        assert!(
            encoded(Value::Date(NaiveDate::MIN), &Type::INT4)
                .unwrap_err()
                .starts_with("cannot send the date")
        );
    }

    #[test]
    fn numbers_and_booleans() {
        assert_eq!(round_trip(Value::Int(2), &Type::FLOAT8), Value::Float(2.0));
        assert_eq!(
            round_trip(Value::Float(0.5), &Type::FLOAT4),
            Value::Float(0.5)
        );
        let dec = |s: &str| Value::Decimal(Decimal::from_str(s).unwrap());
        assert_eq!(round_trip(Value::Float(0.1), &Type::NUMERIC), dec("0.1"));
        assert_eq!(
            round_trip(dec("12.50"), &Type::NUMERIC).to_python_str(),
            "12.50"
        );
        assert_eq!(
            round_trip(dec("0.00"), &Type::NUMERIC).to_python_str(),
            "0.00"
        );
        assert_eq!(
            round_trip(Value::Text("1e3".into()), &Type::NUMERIC),
            dec("1000")
        );
        assert_eq!(round_trip(Value::Int(1), &Type::BOOL), Value::Bool(true));
        assert_eq!(
            round_trip(Value::Text("off".into()), &Type::BOOL),
            Value::Bool(false)
        );
        assert!(encoded(Value::Int(2), &Type::BOOL).is_err());
    }

    #[test]
    fn dates_and_times_accept_text() {
        let date = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        let stamp = date.and_hms_micro_opt(13, 14, 15, 250_000).unwrap();
        assert_eq!(
            round_trip(Value::Text("2024-02-29".into()), &Type::DATE),
            Value::Date(date)
        );
        assert_eq!(
            round_trip(Value::DateTime(stamp.and_utc()), &Type::DATE),
            Value::Date(date)
        );
        assert_eq!(
            round_trip(
                Value::Text("2024-02-29 15:14:15.25+02:00".into()),
                &Type::TIMESTAMPTZ
            ),
            Value::DateTime(stamp.and_utc())
        );
        assert_eq!(
            round_trip(Value::NaiveDateTime(stamp), &Type::TIMESTAMPTZ),
            Value::DateTime(stamp.and_utc())
        );
        assert_eq!(
            round_trip(Value::DateTime(stamp.and_utc()), &Type::TIMESTAMP),
            Value::NaiveDateTime(stamp)
        );
        assert_eq!(
            round_trip(Value::Date(date), &Type::TIMESTAMP),
            Value::NaiveDateTime(date.and_time(NaiveTime::MIN))
        );
        let time = NaiveTime::from_hms_micro_opt(7, 8, 9, 10).unwrap();
        assert_eq!(
            round_trip(Value::Text("07:08:09.00001".into()), &Type::TIME),
            Value::Time(time)
        );
        assert_eq!(
            round_trip(Value::Time(time), &Type::TIMETZ),
            Value::Time(time)
        );
        assert_eq!(
            encoded(Value::Text("soon".into()), &Type::DATE).unwrap_err(),
            "invalid input syntax for type date: \"soon\""
        );
    }

    #[test]
    fn intervals_split_days_like_psycopg() {
        let us = -(86_400_000_000 + 5);
        let bytes = encoded(Value::Duration(us), &Type::INTERVAL).unwrap();
        // -1 day - 5µs is -2 days + (1 day - 5µs), as Python's timedelta normalizes it.
        assert_eq!(&bytes[8..12], (-2i32).to_be_bytes());
        assert_eq!(
            natural(&Type::INTERVAL, &bytes).unwrap(),
            Value::Duration(us)
        );
        let mut month = Vec::from(0i64.to_be_bytes());
        month.extend(1i32.to_be_bytes());
        month.extend(1i32.to_be_bytes());
        assert_eq!(decode_interval(&month).unwrap(), 31 * 86_400_000_000);
    }

    #[test]
    fn uuids_json_bytes_and_addresses() {
        let id = "12345678-9abc-def0-1234-56789abcdef0";
        assert_eq!(
            round_trip(Value::Uuid(id.into()), &Type::UUID),
            Value::Uuid(id.into())
        );
        assert_eq!(
            round_trip(Value::Text(id.replace('-', "").to_uppercase()), &Type::UUID),
            Value::Uuid(id.into())
        );
        let doc = json!({"tags": ["a"], "n": 1});
        assert_eq!(
            round_trip(Value::json(doc.clone()), &Type::JSONB),
            Value::json(doc)
        );
        assert_eq!(
            round_trip(Value::Text("x".into()), &Type::JSONB),
            Value::json(json!("x"))
        );
        assert_eq!(
            round_trip(Value::Bytes(vec![0, 255]), &Type::BYTEA),
            Value::Bytes(vec![0, 255])
        );
        assert_eq!(
            round_trip(Value::Text("10.0.0.1".into()), &Type::INET),
            Value::Text("10.0.0.1".into())
        );
        assert_eq!(
            round_trip(Value::Text("10.0.0.0/8".into()), &Type::CIDR),
            Value::Text("10.0.0.0/8".into())
        );
        assert_eq!(
            round_trip(Value::Int(5), &Type::TEXT),
            Value::Text("5".into())
        );
        assert_eq!(encoded(Value::Null, &Type::INT4).unwrap(), b"NULL");
    }

    #[test]
    fn arrays_are_json_lists() {
        let ints = Type::INT4_ARRAY;
        assert_eq!(
            round_trip(Value::json(json!([1, null, 3])), &ints),
            Value::json(json!([1, null, 3]))
        );
        let texts = Type::TEXT_ARRAY;
        assert_eq!(
            round_trip(Value::json(json!(["a", "b"])), &texts),
            Value::json(json!(["a", "b"]))
        );
        assert!(
            encoded(Value::Int(1), &ints)
                .unwrap_err()
                .contains("array of int4")
        );
    }

    #[test]
    fn output_fields_convert_like_django() {
        let computed = Origin::Computed;
        let dec = |s: &str| Decimal::from_str(s).unwrap();
        assert_eq!(
            for_output_field(Value::Decimal(dec("2.75")), ValueType::Int, computed, true),
            Value::Int(2)
        );
        assert_eq!(
            for_output_field(Value::Decimal(dec("2.5")), ValueType::Float, computed, true),
            Value::Float(2.5)
        );
        assert_eq!(
            for_output_field(
                Value::Int(3),
                ValueType::Decimal { places: Some(2) },
                computed,
                true
            ),
            Value::Decimal(dec("3"))
        );
        // Numerics keep the scale PostgreSQL gave them.
        assert_eq!(
            for_output_field(
                Value::Decimal(dec("15.3333333333333333")),
                ValueType::Decimal { places: Some(2) },
                computed,
                true
            ),
            Value::Decimal(dec("15.3333333333333333"))
        );
        assert_eq!(
            for_output_field(Value::Text("[1]".into()), ValueType::Json, computed, true),
            Value::json(json!([1]))
        );
        assert_eq!(
            for_output_field(Value::Text("oops".into()), ValueType::Json, computed, true),
            Value::Text("oops".into())
        );
    }

    #[test]
    fn computed_dates_follow_their_output_field() {
        let stamp = NaiveDate::from_ymd_opt(1667, 1, 1)
            .unwrap()
            .and_time(NaiveTime::MIN);
        let computed = |value, want| for_output_field(value, want, Origin::Computed, true);
        // DATE_TRUNC of a date (a timestamptz) for a DateField, of a datetime AT TIME ZONE
        // 'UTC' (a naive timestamp) for a DateField or a DateTimeField.
        assert_eq!(
            computed(Value::DateTime(stamp.and_utc()), ValueType::Date),
            Value::Date(stamp.date())
        );
        assert_eq!(
            computed(Value::NaiveDateTime(stamp), ValueType::Date),
            Value::Date(stamp.date())
        );
        assert_eq!(
            computed(Value::NaiveDateTime(stamp), ValueType::DateTime),
            Value::DateTime(stamp.and_utc())
        );
        // A table's own timestamp column stays as psycopg reads it.
        assert_eq!(
            for_output_field(
                Value::NaiveDateTime(stamp),
                ValueType::DateTime,
                Origin::Table,
                true
            ),
            Value::NaiveDateTime(stamp)
        );
        // With USE_TZ = False a timestamptz reads as the session's wall-clock time, and a
        // truncation stays naive.
        let kolkata = crate::tz::zone("Asia/Kolkata").unwrap();
        let evening = NaiveDate::from_ymd_opt(2024, 6, 30)
            .unwrap()
            .and_hms_opt(19, 0, 0)
            .unwrap();
        let instant = evening.and_utc();
        let raw = {
            let mut out = BytesMut::new();
            instant.to_sql(&Type::TIMESTAMPTZ, &mut out).unwrap();
            out
        };
        assert_eq!(
            decode(
                &Type::TIMESTAMPTZ,
                Some(&raw),
                ValueType::DateTime,
                Origin::Table,
                Some(kolkata)
            ),
            Ok(Value::NaiveDateTime(
                evening + chrono::TimeDelta::minutes(330)
            ))
        );
        assert_eq!(
            for_output_field(
                Value::NaiveDateTime(stamp),
                ValueType::DateTime,
                Origin::Computed,
                false
            ),
            Value::NaiveDateTime(stamp)
        );
    }

    #[test]
    fn unknown_types_name_themselves() {
        let err = decode(
            &Type::TS_VECTOR,
            Some(b"x"),
            ValueType::Any,
            Origin::Table,
            None,
        )
        .unwrap_err();
        assert!(err.contains("tsvector"), "{err}");
        assert_eq!(
            decode(&Type::TS_VECTOR, None, ValueType::Any, Origin::Table, None),
            Ok(Value::Null)
        );
    }
}
