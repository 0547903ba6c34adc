//! Following a models file's imports to the project's other modules, as Python does when
//! Django imports the models module: a model or abstract base defined in `app/base.py` and
//! imported into `app/models.py` is the app's model (or base) all the same. Imports are read
//! from the text (`from X import Y`, `import X`, at any indentation), before parsing.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// Add to `found` (models file, app folder) the project modules its files import, and those
/// they import, ...: modules found relative to the importing file, or to a folder above it up
/// to `root`'s parent. A followed module belongs to the app folder it is in (the nearest
/// folder above it with a models module or an `apps.py`), else to its importer's.
pub(super) fn follow(found: &mut Vec<(PathBuf, PathBuf)>, roots: &[PathBuf], max_size: u64) {
    let mut seen: HashSet<PathBuf> = found.iter().map(|(f, _)| f.clone()).collect();
    let mut i = 0;
    while i < found.len() {
        let (file, app_dir) = found[i].clone();
        i += 1;
        if std::fs::metadata(&file).map_or(true, |m| m.len() > max_size) {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let Some(dir) = file.parent() else { continue };
        let top = roots
            .iter()
            .filter(|r| dir.starts_with(r))
            .filter_map(|r| r.parent())
            .min_by_key(|r| r.components().count());
        for (module, level) in imports(&text) {
            if level == 0 && (module.starts_with("django.") || module == "django") {
                continue;
            }
            let Some(path) = locate(dir, &module, level, top) else {
                continue;
            };
            if seen.insert(path.clone()) {
                let app = app_of(&path, top).unwrap_or_else(|| app_dir.clone());
                found.push((path, app));
            }
        }
    }
}

/// The modules `text` imports: `(dotted name, level)`; `from . import a, b` names `a` and `b`.
fn imports(text: &str) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if let Some(rest) = line.strip_prefix("from ") {
            let Some((module, names)) = rest.split_once(" import ") else {
                continue;
            };
            let module = module.trim();
            let level = module.len() - module.trim_start_matches('.').len();
            let module = &module[level..];
            if module.is_empty() {
                for name in names.split(',') {
                    let name =
                        name.trim_matches(|c: char| c == '(' || c == ')' || c.is_whitespace());
                    let name = name.split_whitespace().next().unwrap_or("");
                    if !name.is_empty() && name != "*" {
                        out.push((name.to_string(), level));
                    }
                }
            } else {
                out.push((module.to_string(), level));
            }
        } else if let Some(rest) = line.strip_prefix("import ") {
            for part in rest.split(',') {
                if let Some(name) = part.split_whitespace().next() {
                    out.push((name.to_string(), 0));
                }
            }
        }
    }
    out
}

/// The file of a module imported from a file in `dir`: `name.py` or `name/__init__.py`,
/// relative to `dir` (`level` dots), or to `dir` or a folder above it up to `top`.
fn locate(dir: &Path, module: &str, level: usize, top: Option<&Path>) -> Option<PathBuf> {
    let parts: Vec<&str> = module.split('.').filter(|p| !p.is_empty()).collect();
    let file_of = |base: &Path| {
        let mut stem = base.to_path_buf();
        stem.extend(&parts);
        let py = stem.with_extension("py");
        if py.is_file() {
            return Some(py);
        }
        let init = stem.join("__init__.py");
        init.is_file().then_some(init)
    };
    if level > 0 {
        let mut base = dir;
        for _ in 1..level {
            base = base.parent()?;
        }
        return file_of(base);
    }
    for base in dir.ancestors() {
        if let Some(found) = file_of(base) {
            return Some(found);
        }
        if top.is_none_or(|t| base == t) {
            break;
        }
    }
    None
}

/// The app folder a module is in: the nearest folder above it (up to `top`) with a
/// `models.py`, a `models` package or an `apps.py`.
fn app_of(path: &Path, top: Option<&Path>) -> Option<PathBuf> {
    for dir in path.ancestors().skip(1) {
        if top.is_some_and(|t| dir == t) {
            return None;
        }
        if dir.join("models.py").is_file()
            || dir.join("models").join("__init__.py").is_file()
            || dir.join("apps.py").is_file()
        {
            return Some(dir.to_path_buf());
        }
    }
    None
}
