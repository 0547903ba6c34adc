//! SQLite introspection: databases created with the DDL Django's migrations emit.

mod support;

use djq::schema::{FieldKind, FieldRef, Model, OnDelete, ReverseVia, Schema, introspect};
use rusqlite::Connection;
use support::model;

fn introspect(ddl: &str) -> Schema {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(ddl).unwrap();
    introspect::sqlite(&conn).unwrap()
}

fn field_names(model: &Model) -> Vec<&str> {
    model.fields.iter().map(|f| f.name.as_str()).collect()
}

const LIBRARY: &str = r#"
CREATE TABLE "django_migrations" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app" varchar(255) NOT NULL, "name" varchar(255) NOT NULL, "applied" datetime NOT NULL);
CREATE TABLE "books_author" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(100) NOT NULL, "birth_date" date NULL, "biography" text NOT NULL);
CREATE TABLE "books_book" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "title" varchar(200) NOT NULL, "publication_date" date NOT NULL, "isbn" varchar(13) NOT NULL UNIQUE, "genre" varchar(3) NOT NULL, "pages" integer unsigned NOT NULL CHECK ("pages" >= 0), "author_id" bigint NOT NULL REFERENCES "books_author" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE "django_content_type" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app_label" varchar(100) NOT NULL, "model" varchar(100) NOT NULL);
CREATE UNIQUE INDEX "django_content_type_app_label_model_76bd3d3b_uniq" ON "django_content_type" ("app_label", "model");
CREATE INDEX "books_book_author_id_8b91747b" ON "books_book" ("author_id");
CREATE INDEX "books_book_title_d3218d_idx" ON "books_book" ("title");
INSERT INTO django_content_type (app_label, model) VALUES ('books', 'author'), ('books', 'book'), ('contenttypes', 'contenttype');
"#;

#[test]
fn names_come_from_content_types() {
    let schema = introspect(LIBRARY);
    let tables: Vec<_> = schema
        .models
        .iter()
        .map(|m| (m.table.as_str(), m.name.as_str(), m.app_label.as_str()))
        .collect();
    assert_eq!(
        tables,
        [
            ("books_author", "Author", "books"),
            ("books_book", "Book", "books"),
            ("django_content_type", "ContentType", "contenttypes"),
            ("django_migrations", "DjangoMigrations", ""),
        ]
    );
}

#[test]
fn columns_become_fields_in_table_order() {
    let schema = introspect(LIBRARY);
    let book = model(&schema, "Book");
    assert_eq!(
        field_names(book),
        [
            "id",
            "title",
            "publication_date",
            "isbn",
            "genre",
            "pages",
            "author"
        ]
    );
    let kinds: Vec<_> = book.fields.iter().map(|f| f.kind).collect();
    use FieldKind::*;
    assert_eq!(
        kinds,
        [
            AutoField,
            CharField,
            DateField,
            CharField,
            CharField,
            PositiveIntegerField,
            ForeignKey
        ]
    );
    assert_eq!(book.pk, 0);
    assert!(book.pk_field().primary_key);
    let isbn = &book.fields[3];
    assert!(isbn.unique && !isbn.null);
    assert_eq!(isbn.max_length, Some(13));
    assert!(!book.fields[1].unique);
    let author = model(&schema, "Author");
    assert!(author.fields[2].null, "birth_date is NULL");
    assert_eq!(author.fields[3].kind, TextField);
    assert!(book.ordering.is_empty());
}

#[test]
fn foreign_keys_drop_the_id_suffix_and_get_default_reverse_names() {
    let schema = introspect(LIBRARY);
    let author_id = schema.find_model("Author").unwrap();
    let book = model(&schema, "Book");
    let fk = &book.fields[6];
    assert_eq!(
        (fk.name.as_str(), fk.column.as_str(), fk.attname()),
        ("author", "author_id", "author_id".to_string())
    );
    let rel = fk.relation.as_ref().unwrap();
    assert_eq!(
        (rel.to, rel.to_field, rel.on_delete, rel.one_to_one),
        (author_id, 0, OnDelete::DoNothing, false)
    );
    assert_eq!(rel.related_name, None);

    let author = model(&schema, "Author");
    assert_eq!(author.reverse.len(), 1);
    let reverse = &author.reverse[0];
    assert_eq!(
        (reverse.query_name.as_str(), reverse.accessor.as_str()),
        ("book", "book_set")
    );
    assert!(matches!(reverse.via, ReverseVia::ForeignKey(6)));
    assert_eq!(author.get_field("book"), Some(FieldRef::Reverse(0)));
    assert_eq!(book.get_field("author_id"), Some(FieldRef::Concrete(6)));
    assert_eq!(
        author.field_choices(),
        ["biography", "birth_date", "book", "id", "name"]
    );
}

#[test]
fn indexes_and_unique_constraints() {
    let schema = introspect(LIBRARY);
    let book = model(&schema, "Book");
    let mut indexes: Vec<_> = book
        .indexes
        .iter()
        .map(|i| (i.columns.join(","), i.unique))
        .collect();
    indexes.sort();
    assert_eq!(
        indexes,
        [
            ("author_id".to_string(), false),
            ("isbn".to_string(), true),
            ("title".to_string(), false)
        ]
    );
    assert!(
        book.indexes
            .iter()
            .any(|i| i.name == "books_book_title_d3218d_idx")
    );
    let content_type = model(&schema, "ContentType");
    assert!(
        content_type
            .indexes
            .iter()
            .any(|i| i.unique && *i.columns == ["app_label".into(), "model".into()])
    );
    assert!(
        !content_type
            .fields
            .iter()
            .any(|f| f.unique && !f.primary_key),
        "a two-column unique is no field's"
    );
}

const BLOG: &str = r#"
CREATE TABLE "blog_tag" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(50) NOT NULL UNIQUE, "slug" varchar(50) NOT NULL);
CREATE TABLE "blog_writer" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(100) NOT NULL, "email" varchar(254) NOT NULL, "joined" datetime NOT NULL);
CREATE TABLE "blog_article" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "title" varchar(200) NOT NULL, "metadata" text NOT NULL CHECK ((JSON_VALID("metadata") OR "metadata" IS NULL)), "rating" decimal NULL, "score" real NOT NULL, "is_featured" bool NOT NULL, "uuid" char(32) NOT NULL, "writer_id" bigint NULL REFERENCES "blog_writer" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE "blog_article_tags" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "article_id" bigint NOT NULL REFERENCES "blog_article" ("id") DEFERRABLE INITIALLY DEFERRED, "tag_id" bigint NOT NULL REFERENCES "blog_tag" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE UNIQUE INDEX "blog_article_tags_article_id_tag_id_b2e5b4d5_uniq" ON "blog_article_tags" ("article_id", "tag_id");
CREATE TABLE "blog_article_related" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "from_article_id" bigint NOT NULL REFERENCES "blog_article" ("id") DEFERRABLE INITIALLY DEFERRED, "to_article_id" bigint NOT NULL REFERENCES "blog_article" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE UNIQUE INDEX "blog_article_related_from_article_id_to_article_id_1_uniq" ON "blog_article_related" ("from_article_id", "to_article_id");
CREATE TABLE "blog_profile" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "bio" text NOT NULL, "writer_id" bigint NOT NULL UNIQUE REFERENCES "blog_writer" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE "blog_vote" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "article_id" bigint NOT NULL REFERENCES "blog_article" ("id"), "tag_id" bigint NOT NULL REFERENCES "blog_tag" ("id"));
CREATE TABLE "legacy data" ("code" varchar(10) NOT NULL PRIMARY KEY, "Owner" integer NULL REFERENCES "blog_writer", "class" integer NOT NULL, "ghost_id" integer NULL REFERENCES "nowhere" ("id"));
CREATE TABLE "django_content_type" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app_label" varchar(100) NOT NULL, "model" varchar(100) NOT NULL);
INSERT INTO django_content_type (app_label, model) VALUES ('blog', 'tag'), ('blog', 'writer'), ('blog', 'article'), ('blog', 'profile'), ('blog', 'vote');
"#;

#[test]
fn declared_types_follow_djangos_sqlite_backend() {
    let schema = introspect(BLOG);
    let article = model(&schema, "Article");
    assert_eq!(
        field_names(article),
        [
            "id",
            "title",
            "metadata",
            "rating",
            "score",
            "is_featured",
            "uuid",
            "writer"
        ]
    );
    let kinds: Vec<_> = article.fields.iter().map(|f| f.kind).collect();
    use FieldKind::*;
    assert_eq!(
        kinds,
        [
            AutoField,
            CharField,
            JsonField,
            DecimalField,
            FloatField,
            BooleanField,
            CharField,
            ForeignKey
        ]
    );
    assert_eq!(article.fields[6].max_length, Some(32));
    assert!(article.fields[7].null);
}

#[test]
fn auto_created_through_tables_become_many_to_many_fields() {
    let schema = introspect(BLOG);
    let article_id = schema.find_model("Article").unwrap();
    let tag_id = schema.find_model("Tag").unwrap();
    let through_id = schema.find_table("blog_article_tags").unwrap();
    let through = schema.model(through_id);
    assert_eq!(
        (
            through.name.as_str(),
            through.app_label.as_str(),
            through.auto_created
        ),
        ("Article_tags", "blog", true)
    );
    assert_eq!(field_names(through), ["id", "article", "tag"]);

    let article = model(&schema, "Article");
    let m2m = |name: &str| article.m2m.iter().find(|m| m.name == name).unwrap();
    let tags = m2m("tags");
    assert_eq!(
        (tags.name.as_str(), tags.to, tags.through),
        ("tags", tag_id, through_id)
    );
    assert_eq!((tags.source_field, tags.target_field), (1, 2));
    assert_eq!(through.fields[1].relation.as_ref().unwrap().to, article_id);

    // Self-referential: from_article / to_article.
    let related = m2m("related");
    let related_through = schema.model(related.through);
    assert_eq!(
        (
            related.name.as_str(),
            related.to,
            related_through.name.as_str()
        ),
        ("related", article_id, "Article_related")
    );
    assert_eq!(
        (
            related_through.fields[related.source_field].name.as_str(),
            related_through.fields[related.target_field].name.as_str()
        ),
        ("from_article", "to_article")
    );

    let tag = model(&schema, "Tag");
    let names: Vec<_> = tag
        .reverse
        .iter()
        .map(|r| (r.query_name.as_str(), r.accessor.as_str()))
        .collect();
    assert_eq!(names, [("article", "article_set"), ("vote", "vote_set")]);
    assert!(schema.user_models().all(|(_, m)| !m.auto_created));
    assert!(tag.field_choices().contains(&"article".to_string()));
}

#[test]
fn a_link_table_without_the_unique_pair_stays_a_model() {
    let schema = introspect(BLOG);
    let vote = model(&schema, "Vote");
    assert!(!vote.auto_created);
    assert_eq!(field_names(vote), ["id", "article", "tag"]);
}

#[test]
fn unique_foreign_keys_are_one_to_one() {
    let schema = introspect(BLOG);
    let profile = model(&schema, "Profile");
    assert_eq!(profile.fields[2].kind, FieldKind::OneToOneField);
    assert!(profile.fields[2].relation.as_ref().unwrap().one_to_one);
    let writer = model(&schema, "Writer");
    let names: Vec<_> = writer
        .reverse
        .iter()
        .map(|r| (r.query_name.as_str(), r.accessor.as_str()))
        .collect();
    assert!(names.contains(&("profile", "profile")), "{names:?}");
    assert!(names.contains(&("article", "article_set")), "{names:?}");
}

#[test]
fn tables_without_content_types_are_named_like_inspectdb() {
    let schema = introspect(BLOG);
    let legacy = model(&schema, "LegacyData");
    assert_eq!(legacy.app_label, "");
    assert_eq!(
        field_names(legacy),
        ["code", "owner", "class_field", "ghost_id"]
    );
    assert_eq!(
        legacy.fields[3].kind,
        FieldKind::IntegerField,
        "a dangling reference"
    );
    assert!(legacy.fields[3].relation.is_none());
    assert_eq!(legacy.pk, 0);
    assert_eq!(legacy.pk_field().kind, FieldKind::CharField);
    // A foreign key column without `_id` keeps its name; it still points at the pk.
    let owner = &legacy.fields[1];
    assert_eq!(owner.column, "Owner");
    assert_eq!(
        owner.relation.as_ref().unwrap().to,
        schema.find_model("Writer").unwrap()
    );
}

#[test]
fn an_empty_database_has_no_models() {
    assert!(introspect("").models.is_empty());
}

/// A table keyed by several columns (Django's `CompositePrimaryKey`) introspects to a model
/// whose key is all of them, in key order, not its first column alone.
#[test]
fn a_multi_column_primary_key_is_a_composite_key() {
    let schema = introspect(
        r#"CREATE TABLE "shop_bin" ("label" varchar(40) NOT NULL, "slot" integer NOT NULL, "aisle" integer NOT NULL, PRIMARY KEY ("aisle", "slot"));
           CREATE TABLE "shop_tag" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(10) NOT NULL);"#,
    );
    let bin = model(&schema, "ShopBin");
    let key: Vec<&str> = bin
        .composite_pk
        .iter()
        .map(|&i| bin.fields[i].name.as_str())
        .collect();
    assert_eq!(key, ["aisle", "slot"]);
    assert!(model(&schema, "ShopTag").composite_pk.is_empty());
}
