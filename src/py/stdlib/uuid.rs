//! `uuid`: `UUID(hex)` and `uuid4()`, as the runtime's UUID values (`str()` the canonical
//! form, `repr()` `UUID('...')`), with `hex` and `version`.

use super::{bad_args, str_arg};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::{Args, Obj};
use crate::value::Value;

pub const FUNCTIONS: &[&str] = &["uuid.UUID", "uuid.uuid4"];

pub fn call(name: &str, args: &Args) -> Result<Obj> {
    match name {
        "uuid.UUID" => {
            let text = str_arg(args, 0, name)?;
            let hex: String = text
                .trim_start_matches("urn:uuid:")
                .chars()
                .filter(|c| !matches!(c, '-' | '{' | '}'))
                .collect();
            if hex.len() != 32 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    "badly formed hexadecimal UUID string",
                )
                .at(args.span));
            }
            Ok(canonical(&hex.to_lowercase()))
        }
        "uuid.uuid4" if args.pos.is_empty() => {
            let mut bytes = super::iter::random_bytes::<16>();
            bytes[6] = (bytes[6] & 0x0f) | 0x40;
            bytes[8] = (bytes[8] & 0x3f) | 0x80;
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            Ok(canonical(&hex))
        }
        _ => Err(bad_args(name, args)),
    }
}

/// A UUID value from its 32 lowercase hex digits.
fn canonical(hex: &str) -> Obj {
    Obj::Value(Value::Uuid(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )))
}

/// `u.hex`, `u.version`.
pub fn attribute(v: &Value, name: &str) -> Option<Obj> {
    let Value::Uuid(s) = v else { return None };
    let hex: String = s.chars().filter(|c| *c != '-').collect();
    match name {
        "hex" => Some(Obj::str(hex)),
        "version" => i64::from_str_radix(&hex[12..13], 16).ok().map(Obj::int),
        _ => None,
    }
}
