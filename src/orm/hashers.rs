//! `django.contrib.auth.hashers`: Django's default password hasher, byte-compatible with
//! Django 6.1's — `pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte PBKDF2-HMAC-SHA256>`
//! with 1,500,000 iterations and a 22-character salt of `[a-zA-Z0-9]` (128 bits) from the OS's
//! CSPRNG (`getrandom`, what Python's `secrets` reads) — and `pbkdf2_sha1`, the second of
//! Django's default PASSWORD_HASHERS, for checking. `make_password()`, `check_password()`
//! (with its `setter`, called when a right password was hashed with other parameters than
//! today's) and `is_password_usable()`; auth's user methods (`set_password()`, ...) call them
//! from `src/schema/contrib/auth.py`.
//!
//! Unlike Django, checking against an unusable or unknown hash returns False at once: Django
//! first hashes a random string to hide the difference in time, which the shell has no
//! reason to.

use super::Session;
use super::obj::DjangoFn;
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Obj};
use crate::value::Value;
use base64::Engine;

/// Django 6.1's `PBKDF2PasswordHasher.iterations`.
pub const ITERATIONS: u32 = 1_500_000;
/// `django.utils.crypto.RANDOM_STRING_CHARS`.
const RANDOM_STRING_CHARS: &[u8] =
    b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
/// `ceil(salt_entropy (128) / log2(62))`: the salt's length.
const SALT_LENGTH: usize = 22;
/// What `make_password(None)` gives: `!` and 40 random characters.
const UNUSABLE_PREFIX: &str = "!";
const UNUSABLE_SUFFIX_LENGTH: usize = 40;

/// The hash functions of Django's PBKDF2 hashers.
#[derive(Clone, Copy, PartialEq)]
enum Digest {
    Sha256,
    Sha1,
}

impl Digest {
    fn algorithm(self) -> &'static str {
        match self {
            Digest::Sha256 => "pbkdf2_sha256",
            Digest::Sha1 => "pbkdf2_sha1",
        }
    }

    fn named(algorithm: &str) -> Option<Digest> {
        [Digest::Sha256, Digest::Sha1]
            .into_iter()
            .find(|d| d.algorithm() == algorithm)
    }
}

/// `get_random_string(length)`: each character drawn uniformly from RANDOM_STRING_CHARS
/// (bytes over the largest multiple of 62 are drawn again, as `secrets.choice` does).
pub fn random_string(length: usize) -> String {
    let limit = (256 / RANDOM_STRING_CHARS.len() * RANDOM_STRING_CHARS.len()) as u8;
    let mut out = String::with_capacity(length);
    let mut buf = [0u8; 64];
    while out.len() < length {
        getrandom::fill(&mut buf).expect("the operating system's random source");
        for &b in buf.iter().filter(|&&b| b < limit) {
            if out.len() == length {
                break;
            }
            out.push(RANDOM_STRING_CHARS[b as usize % RANDOM_STRING_CHARS.len()] as char);
        }
    }
    out
}

/// `PBKDF2PasswordHasher.encode(password, salt, iterations)`.
fn encode(digest: Digest, password: &[u8], salt: &str, iterations: u32) -> String {
    let hash = match digest {
        Digest::Sha256 => {
            let mut out = [0u8; 32];
            pbkdf2::pbkdf2_hmac::<sha2::Sha256>(password, salt.as_bytes(), iterations, &mut out);
            base64::engine::general_purpose::STANDARD.encode(out)
        }
        Digest::Sha1 => {
            let mut out = [0u8; 20];
            pbkdf2::pbkdf2_hmac::<sha1::Sha1>(password, salt.as_bytes(), iterations, &mut out);
            base64::engine::general_purpose::STANDARD.encode(out)
        }
    };
    format!("{}${iterations}${salt}${hash}", digest.algorithm())
}

/// `make_password(password, salt)` with the default hasher: `None` for an unusable one.
pub fn make_password(password: Option<&[u8]>, salt: Option<&str>) -> String {
    match password {
        None => format!("{UNUSABLE_PREFIX}{}", random_string(UNUSABLE_SUFFIX_LENGTH)),
        Some(password) => {
            let salt = salt.map_or_else(|| random_string(SALT_LENGTH), str::to_string);
            encode(Digest::Sha256, password, &salt, ITERATIONS)
        }
    }
}

/// `is_password_usable(encoded)`.
pub fn is_password_usable(encoded: Option<&str>) -> bool {
    encoded.is_none_or(|e| !e.starts_with(UNUSABLE_PREFIX))
}

/// `verify_password(password, encoded)`: whether the password is right, and whether its
/// hash should be made again with today's hasher and parameters.
pub fn verify_password(password: Option<&[u8]>, encoded: &str) -> (bool, bool) {
    let Some(password) = password.filter(|_| is_password_usable(Some(encoded))) else {
        return (false, false);
    };
    let mut parts = encoded.splitn(4, '$');
    let (Some(digest), Some(iterations), Some(salt), Some(_)) = (
        parts.next().and_then(Digest::named),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return (false, false);
    };
    let Ok(iterations) = iterations.parse::<u32>() else {
        return (false, false);
    };
    let again = encode(digest, password, salt, iterations);
    // Django's `constant_time_compare`.
    let right = again.len() == encoded.len()
        && again
            .bytes()
            .zip(encoded.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    // `must_update_salt`: fewer bits than the salt entropy Django wants.
    let short_salt = (salt.len() as f64) * (RANDOM_STRING_CHARS.len() as f64).log2() < 128.0;
    let must_update = digest != Digest::Sha256 || iterations != ITERATIONS || short_salt;
    (right, must_update)
}

impl Session {
    /// `make_password()`, `check_password()`, `is_password_usable()`.
    pub(super) fn call_hasher(&mut self, f: DjangoFn, args: Args) -> Result<Obj> {
        let name = match f {
            DjangoFn::MakePassword => "make_password",
            DjangoFn::CheckPassword => "check_password",
            _ => "is_password_usable",
        };
        let params: &[&str] = match f {
            DjangoFn::MakePassword => &["password", "salt", "hasher"],
            DjangoFn::CheckPassword => &["password", "encoded", "setter", "preferred"],
            _ => &["encoded"],
        };
        let arg = bind(&args, name, params)?;
        match f {
            DjangoFn::MakePassword => {
                if let Some(hasher) = arg(2).filter(|h| !is_text(h, &["default", "pbkdf2_sha256"]))
                {
                    return Err(not_supported(hasher, args.span));
                }
                let password = password_bytes(arg(0), args.span)?;
                let salt = match arg(1) {
                    None | Some(Obj::Value(Value::Null)) => None,
                    Some(o) => Some(self.py_str(o)?),
                };
                if password.is_some()
                    && salt
                        .as_deref()
                        .is_some_and(|s| s.is_empty() || s.contains('$'))
                {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        "salt must be provided and cannot contain $.",
                    )
                    .at(args.span));
                }
                Ok(Obj::str(make_password(
                    password.as_deref(),
                    salt.as_deref(),
                )))
            }
            DjangoFn::CheckPassword => {
                if let Some(preferred) =
                    arg(3).filter(|h| !is_text(h, &["default", "pbkdf2_sha256"]))
                {
                    return Err(not_supported(preferred, args.span));
                }
                let password = password_bytes(arg(0), args.span)?;
                let encoded = match arg(1) {
                    Some(Obj::Value(Value::Text(s))) => s.clone(),
                    other => {
                        let kind = other.map_or("NoneType".into(), |o| o.type_name());
                        return Err(Diagnostic::new(
                            ErrorKind::Type,
                            format!("object of type '{kind}' has no len()"),
                        )
                        .at(args.span));
                    }
                };
                let (right, must_update) = verify_password(password.as_deref(), &encoded);
                if let Some(setter) = arg(2).filter(|s| !matches!(s, Obj::Value(Value::Null)))
                    && right
                    && must_update
                {
                    let raw = arg(0).cloned().unwrap_or(Obj::NONE);
                    self.call(
                        setter.clone(),
                        Args {
                            pos: vec![(raw, args.span)],
                            kw: Vec::new(),
                            span: args.span,
                        },
                    )?;
                }
                Ok(Obj::bool(right))
            }
            _ => Ok(Obj::bool(match arg(0) {
                Some(Obj::Value(Value::Text(s))) => is_password_usable(Some(s)),
                _ => true,
            })),
        }
    }
}

/// The arguments of a call by the function's parameter names (positional, then keyword):
/// `arg(i)` is the i-th parameter's, `None` when not given.
fn bind<'a>(
    args: &'a Args,
    func: &str,
    params: &'a [&str],
) -> Result<impl Fn(usize) -> Option<&'a Obj> + 'a> {
    if args.pos.len() > params.len() {
        return Err(Diagnostic::new(
            ErrorKind::Type,
            format!(
                "{func}() takes from 1 to {} positional arguments but {} were given",
                params.len(),
                args.pos.len()
            ),
        )
        .at(args.span));
    }
    args.no_kwargs_except(params, func)?;
    if args.pos.is_empty() && args.kwarg(params[0]).is_none() {
        return Err(Diagnostic::new(
            ErrorKind::Type,
            format!(
                "{func}() missing 1 required positional argument: '{}'",
                params[0]
            ),
        )
        .at(args.span));
    }
    Ok(move |i: usize| {
        args.pos
            .get(i)
            .map(|(o, _)| o)
            .or_else(|| args.kwarg(params[i]))
    })
}

fn is_text(o: &Obj, texts: &[&str]) -> bool {
    matches!(o, Obj::Value(Value::Text(s)) if texts.contains(&s.as_str()))
}

fn not_supported(hasher: &Obj, span: Span) -> Diagnostic {
    let name = match hasher {
        Obj::Value(Value::Text(s)) => s.clone(),
        other => other.type_name().to_string(),
    };
    Diagnostic::new(
        ErrorKind::NotSupported,
        format!("the password hasher {name:?} is not supported by djq yet (pbkdf2_sha256 only)"),
    )
    .at(span)
}

/// A password as Django takes it: `None`, or a string or bytes (else Django's TypeError).
fn password_bytes(o: Option<&Obj>, span: Span) -> Result<Option<Vec<u8>>> {
    match o {
        None | Some(Obj::Value(Value::Null)) => Ok(None),
        Some(Obj::Value(Value::Text(s))) => Ok(Some(s.as_bytes().to_vec())),
        Some(Obj::Value(Value::Bytes(b))) => Ok(Some(b.clone())),
        Some(other) => Err(Diagnostic::new(
            ErrorKind::Type,
            format!(
                "Password must be a string or bytes, got {}.",
                other.type_name()
            ),
        )
        .at(span)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_salt_is_22_characters_of_djangos_alphabet() {
        let salt = random_string(SALT_LENGTH);
        assert_eq!(salt.len(), 22);
        assert!(salt.bytes().all(|b| RANDOM_STRING_CHARS.contains(&b)));
        assert_ne!(salt, random_string(SALT_LENGTH));
    }

    #[test]
    fn an_unusable_password_is_a_bang_and_40_characters() {
        let p = make_password(None, None);
        assert_eq!(p.len(), 41);
        assert!(!is_password_usable(Some(&p)));
        assert!(is_password_usable(None));
        assert_eq!(verify_password(Some(b"x"), &p), (false, false));
    }
}
