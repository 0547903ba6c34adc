//! Paths as text, the way `os.path` treats them (no objects): normalizing, making absolute,
//! resolving symbolic links, joining and splitting. Used by `os.path` and `pathlib.Path`.

use std::path::{Component, Path, PathBuf};

/// `p` with `.` and repeated separators dropped and `..` applied, as `os.path.normpath`.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            Component::ParentDir if out.has_root() => {}
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// `p` made absolute against the working directory and normalized (`os.path.abspath`).
pub fn absolute(p: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    normalize(&cwd.join(p))
}

/// `p` absolute with its symbolic links resolved where it exists (`os.path.realpath`,
/// `Path.resolve()`): the longest part that exists is canonicalized, the rest normalized.
pub fn realpath(p: &Path) -> PathBuf {
    let abs = absolute(p);
    let mut head = abs.clone();
    let mut tail = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(&head) {
            let mut out = real;
            out.extend(tail.iter().rev());
            return normalize(&out);
        }
        match (head.file_name().map(|n| n.to_owned()), head.parent()) {
            (Some(name), Some(parent)) => {
                tail.push(name);
                head = parent.to_path_buf();
            }
            _ => return abs,
        }
    }
}

/// A path as a str.
pub fn text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// `os.path.join(a, *p)`: an absolute part starts over.
pub fn join(parts: &[String]) -> String {
    let mut out = String::new();
    for p in parts {
        if p.starts_with('/') {
            out.clear();
        } else if !out.is_empty() && !out.ends_with('/') {
            out.push('/');
        }
        out.push_str(p);
    }
    out
}

/// `os.path.split`'s head and tail.
pub fn split(p: &str) -> (String, String) {
    let i = p.rfind('/').map_or(0, |i| i + 1);
    let (head, tail) = p.split_at(i);
    let trimmed = head.trim_end_matches('/');
    let head = if trimmed.is_empty() { head } else { trimmed };
    (head.to_string(), tail.to_string())
}

/// `~` and `~/...` under `$HOME`.
pub fn expanduser(p: &str) -> String {
    match (p.strip_prefix('~'), std::env::var("HOME")) {
        (Some(rest), Ok(home)) if rest.is_empty() || rest.starts_with('/') => home + rest,
        _ => p.to_string(),
    }
}
