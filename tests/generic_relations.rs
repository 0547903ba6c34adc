//! Generic relations (issue 16) where djq's answer is its own, not a recording: what a
//! script imports from `django.contrib.contenttypes` but djq does not run says so, as a
//! NotSupportedError, instead of a wrong answer or a ModuleNotFoundError; and on PostgreSQL,
//! the join to a GenericRelation casts `object_id` only when the primary key's column is of
//! another size, which the catalog tells, not the app's guessed `default_auto_field`. What djq
//! does run is recorded from Django in the `tagging` write sequence (tests/writes.rs). Also
//! the way back of a GenericRelation to a multi-table child, which Django itself cannot join.

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

/// A model with a GenericRelation declared without `related_query_name`, and a multi-table
/// child of it (which gets a copy of the relation).
const HIDDEN_COPY: &str = r#"from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Label(models.Model):
    text = models.CharField(max_length=20)
    content_type = models.ForeignKey(ContentType, models.CASCADE)
    object_id = models.PositiveIntegerField()
    content_object = GenericForeignKey()


class Note(models.Model):
    labels = GenericRelation(Label)


class Memo(Note):
    pass
"#;

/// Django hides a GenericRelation without a query name, and the copy a multi-table child gets
/// of it: neither is a choice of its target's (a copy of one with a query name is Django's
/// `+`, recorded in the tagging corpus).
/// `Work.scores = GenericRelation(WriteupScore, related_query_name="work")`, whose object id is
/// the parent Writeup's: Django 6.1.3 joins the way back on a column the child's table does
/// not have (a database error); djq says it does not support it, and the way there works.
#[test]
fn the_way_back_of_a_generic_relation_to_a_multi_table_child_is_not_supported_yet() {
    let (_, err, ok) = run(&["WriteupScore.objects.filter(work__title='Silence').count()"]);
    assert!(!ok);
    assert!(
        err.contains(
            "NotSupportedError: WriteupScore.work: the way back of a GenericRelation whose \
             object id is a multi-table parent's is not supported by djq yet"
        ),
        "{err}"
    );
    let (out, err, ok) = run(&["Work.objects.filter(scores__stars=5).count()"]);
    assert!(ok, "{err}");
    assert_eq!(out.trim(), "1");
}

#[test]
fn a_child_s_copy_of_a_generic_relation_without_query_name_stays_hidden() {
    let (_dir, app) = support::temp_app("notes", HIDDEN_COPY);
    let err = support::sql_only_sqlite(&app, "Label.objects.filter(nope=1)").stderr;
    // As Django 6.1.3 says it.
    assert!(
        err.contains(
            "FieldError: Cannot resolve keyword 'nope' into field. Choices are: content_object, \
             content_type, content_type_id, id, object_id, text"
        ),
        "{err}"
    );
}

/// An app without apps.py (djq guesses BigAutoField for its implicit `id`, the project
/// template's default) whose tables a project with `DEFAULT_AUTO_FIELD = AutoField` made
/// (integer keys, as in Django's own test suite), or with BigAutoField (bigint): Django's
/// `prepare_join_on_clause` casts the GenericRelation's `object_id` (a PositiveIntegerField,
/// integer) to the key's type only when the two differ.
#[test]
fn a_generic_relation_join_casts_object_id_only_when_the_catalogs_key_size_differs() {
    let Some(pg) = support::pg::server() else {
        return;
    };
    let (_dir, app) = support::temp_app(
        "zoo",
        "from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation\n\
         from django.contrib.contenttypes.models import ContentType\n\
         from django.db import models\n\n\
         class Label(models.Model):\n    \
             text = models.CharField(max_length=20)\n    \
             content_type = models.ForeignKey(ContentType, models.CASCADE)\n    \
             object_id = models.PositiveIntegerField()\n    \
             content_object = GenericForeignKey()\n\n\
         class Animal(models.Model):\n    \
             name = models.CharField(max_length=20)\n    \
             labels = GenericRelation(Label)\n",
    );
    for (key, cast) in [("serial", ""), ("bigserial", "::bigint")] {
        let url = pg.database_from_sql(&format!(
            "CREATE TABLE django_content_type (id serial PRIMARY KEY, app_label varchar(100), \
             model varchar(100)); \
             INSERT INTO django_content_type (app_label, model) VALUES ('zoo', 'animal'), ('zoo', 'label'); \
             CREATE TABLE zoo_animal (id {key} PRIMARY KEY, name varchar(20) NOT NULL); \
             CREATE TABLE zoo_label (id {key} PRIMARY KEY, text varchar(20) NOT NULL, \
             content_type_id integer NOT NULL REFERENCES django_content_type (id), \
             object_id integer NOT NULL CHECK (object_id >= 0));"
        ));
        let backend = djq::backend::connect(&url, false).expect("connect");
        let (mut s, _) = support::session(backend, &[app.to_str().unwrap()]);
        s.run("Animal.objects.filter(labels__text='x').count()")
            .expect("a filter across the GenericRelation");
        let on = if cast.is_empty() {
            "\"zoo_label\".\"object_id\"".to_string()
        } else {
            format!("(\"zoo_label\".\"object_id\"){cast}")
        };
        let sql = &s.host.log.into_iter().last().expect("a statement").sql;
        assert!(
            sql.contains(&format!(
                "INNER JOIN \"zoo_label\" ON (\"zoo_animal\".\"id\" = {on} AND"
            )),
            "{key}: {sql}"
        );
    }
}
