//! Generic relations (issue 16) where djq's answer is its own, not a recording: what a
//! script imports from `django.contrib.contenttypes` but djq does not run says so, as a
//! NotSupportedError, instead of a wrong answer or a ModuleNotFoundError. What djq does run is
//! recorded from Django in the `tagging` write sequence (tests/writes.rs).

mod support;

use assert_cmd::Command;
use support::root;

/// Run `code` (one `-c` per line) on the tagging fixture, read-only; (stdout, stderr, success).
fn run(code: &[&str]) -> (String, String, bool) {
    let dir = root().join("fixtures/tagging");
    let mut cmd = Command::from_std(support::djq());
    cmd.arg(dir.join("tagging.sqlite3"))
        .arg("--models")
        .arg(dir.join("tagging/models.py"))
        .arg("--read-only");
    for c in code {
        cmd.arg("-c").arg(c);
    }
    let out = cmd.output().expect("run djq");
    let text = |b: Vec<u8>| String::from_utf8(b).expect("UTF-8");
    (text(out.stdout), text(out.stderr), out.status.success())
}

#[test]
fn generic_prefetch_to_attr_and_of_other_relations_are_not_supported_yet() {
    let import = "from django.contrib.contenttypes.prefetch import GenericPrefetch";
    let (_, err, ok) = run(&[
        import,
        "GenericPrefetch('content_object', [Note.objects.all()], to_attr='obj')",
    ]);
    assert!(!ok);
    assert!(
        err.contains("NotSupportedError: GenericPrefetch(to_attr=...) is not supported by djq yet"),
        "{err}"
    );
    let (_, err, ok) = run(&[
        import,
        "list(Bookmark.objects.prefetch_related(GenericPrefetch('tags', [TaggedItem.objects.all()])))",
    ]);
    assert!(!ok);
    assert!(
        err.contains("NotSupportedError: GenericPrefetch of 'tags', which is not a GenericForeignKey, is not supported by djq yet"),
        "{err}"
    );
}

#[test]
fn contenttypes_field_classes_import_and_refuse_to_be_made_in_a_script() {
    let (out, err, ok) = run(&[
        "from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation",
        "print(GenericRelation)",
        "GenericForeignKey('ct', 'obj_pk')",
    ]);
    assert!(!ok);
    assert_eq!(
        out,
        "<class 'django.contrib.contenttypes.fields.GenericRelation'>\n"
    );
    assert!(
        err.contains("NotSupportedError: django.contrib.contenttypes.fields.GenericForeignKey() outside models.py is not supported by djq yet"),
        "{err}"
    );
}
