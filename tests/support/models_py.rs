//! A large models.py, for the memory test and the benchmark of reading one.

use std::path::{Path, PathBuf};

/// Writes `books/models.py` under `dir`: the demo's `books/models.py` repeated with renamed
/// models (`Author0`, `Book0`, `Author1`, ...: two models, eleven fields per copy) until it is
/// at least `bytes` long. Returns its size.
pub fn write_large(dir: &Path, bytes: u64) -> u64 {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let demo = std::fs::read_to_string(root.join("fixtures/demo/books/models.py")).unwrap();
    let (_, body) = demo
        .split_once("from django.db import models\n")
        .expect("the demo's import line");
    let app = dir.join("books");
    std::fs::create_dir_all(&app).unwrap();
    let mut text = String::from("from django.db import models\n");
    let mut i = 0;
    while (text.len() as u64) < bytes {
        text += &body
            .replace("Author", &format!("Author{i}"))
            .replace("Book", &format!("Book{i}"))
            .replace(
                "related_name=\"books\"",
                &format!("related_name=\"books{i}\""),
            );
        i += 1;
    }
    std::fs::write(app.join("models.py"), &text).unwrap();
    text.len() as u64
}
