//! The layering the README's "How it is built" promises, checked on the source:
//!
//! - `src/py` (the Python language) never names Django's layers: `crate::orm`,
//!   `crate::query`, `crate::schema`, `crate::backend`, `crate::sql`;
//! - no source file imports in a circle with more than one other file (a module that names
//!   another through `use` or a path, `super::x` or `crate::a::b`, imports it);
//! - no file of the interpreter is a 2,000-line monolith again.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use support::root;

/// Every `.rs` file under `dir`, recursively.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("a source directory") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            out.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// The module path of a source file: `src/py/nested/mod.rs` → `py::nested`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let rel = file.strip_prefix(src).expect("under src");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().trim_end_matches(".rs").to_string())
        .collect();
    if parts
        .last()
        .is_some_and(|p| p == "mod" || p == "lib" || p == "main")
    {
        parts.pop();
    }
    parts
}

/// The source without comments (doc comments name modules in prose).
fn code(text: &str) -> String {
    text.lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_python_runtime_never_names_djangos_layers() {
    let src = root().join("src");
    let mut offences = Vec::new();
    for file in rust_files(&src.join("py")) {
        // Comments too: a doc comment linking a Django layer is a dependency in the docs.
        let text = std::fs::read_to_string(&file).expect("readable");
        for layer in ["orm", "query", "schema", "backend", "sql"] {
            for needle in [format!("crate::{layer}"), format!("djq::{layer}")] {
                if text.contains(&needle) {
                    offences.push(format!("{} names {needle}", file.display()));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "src/py must not know Django:\n{}",
        offences.join("\n")
    );
}

/// Which modules each module's code names, among `modules`.
fn imports(
    modules: &BTreeMap<Vec<String>, PathBuf>,
) -> BTreeMap<Vec<String>, BTreeSet<Vec<String>>> {
    let mut graph = BTreeMap::new();
    for (module, file) in modules {
        let text = code(&std::fs::read_to_string(file).expect("readable"));
        let mut named = BTreeSet::new();
        // Every path: a run of `ident::ident::...` starting at `crate` or `super`.
        let words: Vec<&str> = text
            .split(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .filter(|w| w.contains("::"))
            .collect();
        let is_dir = file.file_name().is_some_and(|n| n == "mod.rs");
        for w in words {
            let segs: Vec<&str> = w.split("::").filter(|s| !s.is_empty()).collect();
            let (mut base, rest): (Vec<String>, &[&str]) = match segs.first() {
                Some(&"crate") => (Vec::new(), &segs[1..]),
                Some(&"super") => {
                    let mut base = module.clone();
                    let mut rest = &segs[..];
                    // In `a/b.rs`, `super` is `a`; in `a/b/mod.rs` it is also `a`.
                    while rest.first() == Some(&"super") {
                        base.pop();
                        rest = &rest[1..];
                    }
                    (base, rest)
                }
                Some(&"self") if is_dir => (module.clone(), &segs[1..]),
                _ => continue,
            };
            // The longest prefix that is a module of the crate.
            let mut found = None;
            for s in rest {
                base.push(s.to_string());
                if modules.contains_key(&base) {
                    found = Some(base.clone());
                }
            }
            if let Some(m) = found
                && m != *module
            {
                named.insert(m);
            }
        }
        graph.insert(module.clone(), named);
    }
    graph
}

#[test]
fn no_file_imports_in_a_circle_with_more_than_one_other() {
    let src = root().join("src");
    let modules: BTreeMap<Vec<String>, PathBuf> = rust_files(&src)
        .into_iter()
        .map(|f| (module_of(&src, &f), f))
        .collect();
    let graph = imports(&modules);
    // A module and what it reaches; two modules are in one circle when each reaches the
    // other.
    let reach = |from: &Vec<String>| -> BTreeSet<Vec<String>> {
        let mut seen = BTreeSet::new();
        let mut stack = vec![from.clone()];
        while let Some(m) = stack.pop() {
            for n in graph.get(&m).into_iter().flatten() {
                if seen.insert(n.clone()) {
                    stack.push(n.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<_, _> = graph.keys().map(|m| (m.clone(), reach(m))).collect();
    let mut circles = Vec::new();
    for (m, reached) in &reaches {
        let circle: Vec<String> = reached
            .iter()
            .filter(|n| *n != m && reaches[*n].contains(m))
            .map(|n| n.join("::"))
            .collect();
        // A parent module naming its children and a child naming its parent is how Rust
        // modules are written; a circle through other files is not.
        let strangers: Vec<&String> = circle
            .iter()
            .filter(|n| {
                !n.starts_with(&(m.join("::") + "::"))
                    && !m.join("::").starts_with(&(n.to_string() + "::"))
            })
            .collect();
        if strangers.len() > 1 {
            circles.push(format!(
                "{} ↔ {}",
                m.join("::"),
                strangers
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    assert!(
        circles.is_empty(),
        "files importing in a circle with more than one other file:\n{}",
        circles.join("\n")
    );
}

#[test]
fn no_interpreter_file_is_a_monolith() {
    let src = root().join("src");
    let mut long = Vec::new();
    for dir in ["py", "orm"] {
        for file in rust_files(&src.join(dir)) {
            let lines = std::fs::read_to_string(&file)
                .expect("readable")
                .lines()
                .count();
            if lines > 1_200 {
                long.push(format!("{}: {lines} lines", file.display()));
            }
        }
    }
    assert!(long.is_empty(), "split these files:\n{}", long.join("\n"));
}
