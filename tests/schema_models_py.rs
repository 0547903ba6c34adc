//! The `--models` overlay: reading models.py files and building or merging a schema.

mod support;

use std::path::{Path, PathBuf};

use djq::diag::ErrorKind;
use djq::schema::models_py::{self, ModelDecl};
use djq::schema::{FieldKind, Index, Model, OnDelete, Schema, introspect};
use djq::syntax::ast::ExprKind;
use djq::value::Value;
use support::model;
use tempfile::TempDir;

/// Write `files` (relative path → text) under a new temporary project root.
fn project(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn load(paths: &[PathBuf]) -> Vec<ModelDecl> {
    models_py::load(paths).unwrap()
}

fn schema_of(dir: &Path) -> Schema {
    models_py::schema_from_models(load(&[dir.to_path_buf()])).unwrap()
}

/// Whether the model's class in its models.py (as kept to run it) defines `method`.
fn defines(model: &Model, method: &str) -> bool {
    defines_in(model, &model.name, method)
}

/// Whether class `class` of the model's models.py (as kept to run it) defines `method`.
fn defines_in(model: &Model, class: &str, method: &str) -> bool {
    use djq::syntax::ast::StmtKind;
    let module = model.module.as_ref().expect("the model's models.py");
    module
        .statements(&|_| false)
        .iter()
        .any(|stmt| match &stmt.kind {
            StmtKind::ClassDef { name, body, .. } if name.name == class => body.iter().any(
                |s| matches!(&s.kind, StmtKind::FunctionDef { name, .. } if name.name == method),
            ),
            _ => false,
        })
}

fn columns(model: &Model) -> Vec<&str> {
    model.fields.iter().map(|f| f.column.as_str()).collect()
}

fn index_columns(index: &Index) -> Vec<&str> {
    index.columns.iter().map(|c| &**c).collect()
}

fn reverse_names(model: &Model) -> Vec<(&str, &str)> {
    model
        .reverse
        .iter()
        .map(|r| (r.query_name.as_str(), r.accessor.as_str()))
        .collect()
}

const SHELF: &str = r#"
from django.db import models


class Author(models.Model):
    name = models.CharField(max_length=120)
    born = models.DateField(null=True, blank=True)
    notes = models.TextField(blank=True)

    class Meta:
        ordering = ['name']

    def __str__(self):
        """Shown in the admin."""
        return self.name


class Book(models.Model):
    FORMAT_CHOICES = (
        ('HC', 'Hardcover'),
        ('PB', 'Paperback'),
        ('EB', 'E-book'),
    )

    title = models.CharField('Title', max_length=250)
    author = models.ForeignKey(Author, models.PROTECT, related_name='books')
    released = models.DateField()
    isbn = models.CharField(max_length=13, unique=True)
    format = models.CharField(max_length=2, choices=FORMAT_CHOICES, default='HC')
    pages = models.PositiveIntegerField(default=0)
    price = models.DecimalField(max_digits=6, decimal_places=2, null=True)

    objects = models.Manager()

    def __str__(self):
        return f"{self.title} ({self.author})"

    class Meta:
        ordering = ('-released', 'title')
        indexes = [models.Index(fields=['title'], name='shelf_title_idx'), models.Index(fields=['-released'])]
"#;

#[test]
fn a_models_file_declares_models_with_djangos_defaults() {
    let dir = project(&[("shelf/models.py", SHELF)]);
    let decls = load(&[dir.path().join("shelf/models.py")]);
    let names: Vec<_> = decls
        .iter()
        .map(|d| (d.name.as_str(), &*d.app_label, d.table.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("Author", "shelf", "shelf_author"),
            ("Book", "shelf", "shelf_book")
        ]
    );
    let managers: Vec<_> = decls[1].managers.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(managers, ["objects"]);
    assert!(
        decls.iter().all(|d| d.notes.is_empty()),
        "{:?}",
        decls[1].notes
    );

    let schema = models_py::schema_from_models(decls).unwrap();
    let book = model(&schema, "Book");
    assert_eq!(
        columns(book),
        [
            "id",
            "title",
            "author_id",
            "released",
            "isbn",
            "format",
            "pages",
            "price"
        ]
    );
    assert_eq!(book.pk_field().kind, FieldKind::BigAutoField);
    assert_eq!(book.ordering, ["-released", "title"]);
    assert_eq!(book.fields[1].max_length, Some(250));
    assert!(book.fields[4].unique);
    assert_eq!(book.fields[7].decimal, Some((6, 2)));
    assert!(book.fields[7].null);
    let format = &book.fields[5];
    assert_eq!(
        format.choices,
        [
            (Value::Text("HC".into()), "Hardcover".to_string()),
            (Value::Text("PB".into()), "Paperback".to_string()),
            (Value::Text("EB".into()), "E-book".to_string()),
        ]
    );
    assert!(matches!(&format.default.as_ref().unwrap().kind, ExprKind::Str(s) if s == "HC"));
    assert!(defines(book, "__str__"));
    let indexes: Vec<_> = book
        .indexes
        .iter()
        .map(|i| (i.name.as_str(), i.columns.join(",")))
        .collect();
    assert_eq!(
        indexes,
        [
            ("shelf_title_idx", "title".to_string()),
            ("", "released".to_string())
        ]
    );

    let rel = book.fields[2].relation.as_ref().unwrap();
    assert_eq!(
        (rel.to, rel.on_delete, rel.related_name.as_deref()),
        (
            schema.find_model("Author").unwrap(),
            OnDelete::Protect,
            Some("books")
        )
    );
    let author = model(&schema, "Author");
    assert_eq!(reverse_names(author), [("books", "books")]);
    assert!(defines(author, "__str__"));
    assert_eq!(
        author.field_choices(),
        ["books", "born", "id", "name", "notes"]
    );
    assert_eq!(
        book.field_choices(),
        [
            "author",
            "author_id",
            "format",
            "id",
            "isbn",
            "pages",
            "price",
            "released",
            "title"
        ]
    );
}

const NEWS: &str = r#"
from django.db import models
from django.conf import settings


class Topic(models.Model):
    label = models.CharField(max_length=40, unique=True)


class Reporter(models.Model):
    name = models.CharField(max_length=80)
    account = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)


class Story(models.Model):
    class Status(models.TextChoices):
        DRAFT = 'dr', 'Draft'
        LIVE = 'lv', _('Published')
        PULLED_BACK = 'pb'

    headline = models.CharField(max_length=200)
    reporter = models.ForeignKey(Reporter, null=True, on_delete=models.SET_NULL)
    topics = models.ManyToManyField(Topic, blank=True)
    see_also = models.ManyToManyField('self', blank=True)
    status = models.CharField(max_length=2, choices=Status.choices, default=Status.DRAFT)
    priority = models.IntegerField(choices=Priority.choices, default=1)


class Priority(models.IntegerChoices):
    LOW = 1, 'Low'
    HIGH = 2, 'High'


class Remark(models.Model):
    story = models.ForeignKey('Story', on_delete=models.CASCADE)
    reply_to = models.ForeignKey('self', null=True, on_delete=models.CASCADE)
    text = models.TextField()
"#;

#[test]
fn default_reverse_names_nullable_keys_and_many_to_many() {
    let dir = project(&[("news/models.py", NEWS)]);
    let schema = schema_of(dir.path());
    let story = model(&schema, "Story");
    assert_eq!(
        columns(story),
        ["id", "headline", "reporter_id", "status", "priority"]
    );
    assert!(story.fields[2].null);
    assert_eq!(
        story.fields[2].relation.as_ref().unwrap().on_delete,
        OnDelete::SetNull
    );

    let topics = &story.m2m[0];
    let through = schema.model(topics.through);
    assert_eq!(
        (
            through.name.as_str(),
            through.table.as_str(),
            through.auto_created
        ),
        ("Story_topics", "news_story_topics", true)
    );
    assert_eq!(columns(through), ["id", "story_id", "topic_id"]);
    assert_eq!(
        (topics.source_field, topics.target_field, topics.to),
        (1, 2, schema.find_model("Topic").unwrap())
    );
    assert!(
        through
            .indexes
            .iter()
            .any(|i| i.unique && index_columns(i) == ["story_id", "topic_id"])
    );

    let see_also = &story.m2m[1];
    assert_eq!(
        columns(schema.model(see_also.through)),
        ["id", "from_story_id", "to_story_id"]
    );
    assert_eq!(see_also.to, schema.find_model("Story").unwrap());

    // Default names; the symmetrical self-relation adds only its hidden reverse (`+`, which
    // no filter can name: its related manager's queries use it); the through models add none.
    assert_eq!(
        reverse_names(model(&schema, "Topic")),
        [("story", "story_set")]
    );
    assert_eq!(
        reverse_names(model(&schema, "Reporter")),
        [("story", "story_set")]
    );
    assert_eq!(
        reverse_names(story),
        [
            ("see_also_rel_+", "see_also_rel_+"),
            ("remark", "remark_set")
        ]
    );
    assert_eq!(
        reverse_names(model(&schema, "Remark")),
        [("remark", "remark_set")]
    );
    assert_eq!(
        story.field_choices(),
        [
            "headline",
            "id",
            "priority",
            "remark",
            "reporter",
            "reporter_id",
            "see_also",
            "status",
            "topics"
        ]
    );
    assert_eq!(
        model(&schema, "Topic").field_choices(),
        ["id", "label", "story"]
    );
}

#[test]
fn choices_classes_and_auths_user_model() {
    let dir = project(&[("news/models.py", NEWS)]);
    let schema = schema_of(dir.path());
    let story = model(&schema, "Story");
    let text = |v: &str| Value::Text(v.into());
    assert_eq!(
        story.fields[3].choices,
        [
            (text("dr"), "Draft".into()),
            (text("lv"), "Published".into()),
            (text("pb"), "Pulled Back".into())
        ]
    );
    assert_eq!(
        story.fields[4].choices,
        [
            (Value::Int(1), "Low".into()),
            (Value::Int(2), "High".into())
        ]
    );

    let user = model(&schema, "User");
    assert_eq!(
        (user.app_label.as_str(), user.table.as_str()),
        ("auth", "auth_user")
    );
    // django.contrib.auth's User as Django declares it, not a placeholder with an `id`.
    assert_eq!(
        columns(user),
        [
            "id",
            "password",
            "last_login",
            "is_superuser",
            "username",
            "first_name",
            "last_name",
            "email",
            "is_staff",
            "is_active",
            "date_joined"
        ]
    );
    assert!(reverse_names(user).contains(&("reporter", "reporter")));
    let account = &model(&schema, "Reporter").fields[2];
    assert_eq!(
        (account.kind, account.column.as_str(), account.unique),
        (FieldKind::OneToOneField, "account_id", true)
    );
}

const INHERITANCE: &str = r#"
from django.db import models
from django.db.models import Model, CharField
from taggit.managers import TaggableManager
from phonenumber_field.modelfields import PhoneNumberField


class LowerCharField(CharField):
    pass


class Stamped(models.Model):
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)
    owner = models.ForeignKey('auth.User', related_name='%(app_label)s_%(class)s_owned', on_delete=models.CASCADE)

    class Meta:
        abstract = True
        ordering = ['-created']

    def __str__(self):
        return str(self.pk)


class Place(Stamped):
    name = LowerCharField(max_length=50)
    phone = PhoneNumberField(blank=True)
    tags = TaggableManager()
    updated = None

    class Meta(Stamped.Meta):
        db_table = 'places'
        unique_together = ('name', 'owner')


class Restaurant(Place):
    serves_pizza = models.BooleanField(default=False)


class OpenPlace(Place):
    class Meta:
        proxy = True


class Code(Model):
    code = models.SlugField(primary_key=True)
    place = models.ForeignKey(Place, to_field='name', db_column='place_name', on_delete=models.DO_NOTHING)
"#;

#[test]
fn abstract_multi_table_and_proxy_inheritance() {
    let dir = project(&[("geo/models.py", INHERITANCE)]);
    let decls = load(&[dir.path().to_path_buf()]);
    let names: Vec<_> = decls.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(
        names,
        ["Place", "Restaurant", "OpenPlace", "Code"],
        "abstract models are not declared"
    );
    let place = &decls[0];
    assert!(place.notes.is_empty(), "{:?}", place.notes);
    // django-taggit's TaggableManager: a many-to-many through its generic TaggedItem.
    assert_eq!(place.m2m[0].name, "tags");
    assert_eq!(place.m2m[0].through.name, "TaggedItem");

    let schema = models_py::schema_from_models(decls).unwrap();
    let place = model(&schema, "Place");
    assert_eq!(place.table, "places");
    assert_eq!(
        columns(place),
        ["id", "created", "owner_id", "name", "phone"]
    );
    assert!(place.fields[1].auto_now_add);
    assert_eq!(place.fields[3].kind, FieldKind::CharField);
    assert_eq!(place.ordering, ["-created"]);
    assert!(
        !defines(place, "__str__") && defines_in(place, "Stamped", "__str__"),
        "a method of an abstract base is its own class's, which the model's class derives from"
    );
    assert!(
        place
            .indexes
            .iter()
            .any(|i| i.unique && index_columns(i) == ["name", "owner_id"])
    );
    assert_eq!(
        place.fields[2]
            .relation
            .as_ref()
            .unwrap()
            .related_name
            .as_deref(),
        Some("geo_place_owned")
    );

    let restaurant = model(&schema, "Restaurant");
    assert_eq!(columns(restaurant), ["place_ptr_id", "serves_pizza"]);
    assert_eq!(restaurant.pk, 0);
    assert_eq!(
        restaurant.ordering,
        ["-created"],
        "inherited from the concrete parent"
    );
    assert!(reverse_names(place).contains(&("restaurant", "restaurant")));

    let proxy = model(&schema, "OpenPlace");
    assert_eq!(
        (proxy.table.as_str(), columns(proxy)),
        ("places", columns(place))
    );
    assert_eq!(schema.find_table("places"), schema.find_model("Place"));
    let owned: Vec<_> = reverse_names(model(&schema, "User"))
        .into_iter()
        .map(|(q, _)| q)
        .collect();
    assert_eq!(
        owned,
        ["geo_place_owned"],
        "a proxy adds no reverse relations"
    );

    let code = model(&schema, "Code");
    assert_eq!(columns(code), ["code", "place_name"]);
    assert_eq!((code.pk, code.pk_field().kind), (0, FieldKind::SlugField));
    let rel = code.fields[1].relation.as_ref().unwrap();
    assert_eq!((rel.to_field, rel.on_delete), (3, OnDelete::DoNothing));
    assert_eq!(code.fields[1].attname(), "place_id");
}

#[test]
fn a_project_root_is_scanned_for_apps() {
    let dir = project(&[
        ("manage.py", "import os\n"),
        (
            "library/books/models.py",
            "from django.db import models\nclass Shelf(models.Model):\n    label = models.CharField(max_length=9)\n",
        ),
        (
            "library/books/apps.py",
            "from django.apps import AppConfig\nclass BooksConfig(AppConfig):\n    default_auto_field = 'django.db.models.AutoField'\n    name = 'library.books'\n",
        ),
        (
            "library/loans/models/__init__.py",
            "from .loan import Loan\n",
        ),
        (
            "library/loans/models/loan.py",
            "from django.db import models\nfrom library.books.models import Shelf\nclass Loan(models.Model):\n    shelf = models.ForeignKey(Shelf, on_delete=models.CASCADE)\n",
        ),
        (
            "library/loans/apps.py",
            "from django.apps import AppConfig\nclass LoansConfig(AppConfig):\n    name = 'library.loans'\n    label = 'lending'\n",
        ),
        (
            "library/loans/models/renewal.py",
            "from django.db import models\nfrom .loan import Loan\nclass Renewal(models.Model):\n    loan = models.ForeignKey(Loan, on_delete=models.CASCADE)\n",
        ),
        (
            "library/reviews/models.py",
            "from django.db import models\nfrom library.loans.models import Loan\nclass Review(models.Model):\n    loan = models.OneToOneField(Loan, on_delete=models.CASCADE)\n",
        ),
        (
            "library/loans/migrations/0001_initial.py",
            "syntax error here (\n",
        ),
        (
            ".venv/lib/site-packages/django/models.py",
            "syntax error here (\n",
        ),
        ("node_modules/x/models.py", "syntax error here (\n"),
    ]);
    let schema = schema_of(dir.path());
    let names: Vec<_> = schema
        .models
        .iter()
        .map(|m| (m.name.as_str(), m.app_label.as_str(), m.table.as_str()))
        .collect();
    assert_eq!(
        names,
        [
            ("Shelf", "books", "books_shelf"),
            ("Loan", "lending", "lending_loan"),
            ("Renewal", "lending", "lending_renewal"),
            ("Review", "reviews", "reviews_review"),
        ]
    );
    // Imports resolve to the relabelled app, from a sibling module and from another app.
    assert_eq!(
        reverse_names(model(&schema, "Loan")),
        [("renewal", "renewal_set"), ("review", "review")]
    );
    assert_eq!(
        model(&schema, "Shelf").pk_field().kind,
        FieldKind::AutoField
    );
    assert_eq!(
        model(&schema, "Loan").fields[1]
            .relation
            .as_ref()
            .unwrap()
            .to,
        0
    );
    assert_eq!(
        reverse_names(model(&schema, "Shelf")),
        [("loan", "loan_set")]
    );

    // An app folder works too; the same file twice is read once.
    let app = dir.path().join("library/books");
    assert_eq!(load(&[app.clone(), app.join("models.py")]).len(), 1);
}

/// (A file that does not parse is read statement by statement: see
/// `a_model_djq_cannot_read_is_left_out_with_one_warning`.)
#[test]
fn unreadable_files_are_errors_naming_the_file() {
    let missing = models_py::load(&[PathBuf::from("/no/such/models.py")]).unwrap_err();
    assert_eq!(missing.kind, ErrorKind::Io);
    assert!(
        missing.message.contains("/no/such/models.py"),
        "{}",
        missing.message
    );

    let dir = project(&[("app/models.py", "x = 1\0\n")]);
    let err = models_py::load(&[dir.path().join("app")]).unwrap_err();
    assert_eq!(err.kind, ErrorKind::Syntax);
    assert!(
        err.message
            .contains("app/models.py:1:6: source code cannot contain null bytes"),
        "{}",
        err.message
    );
    assert!(err.span.is_some());

    let empty = project(&[("README", "")]);
    assert_eq!(
        models_py::load(&[empty.path().to_path_buf()])
            .unwrap_err()
            .kind,
        ErrorKind::Io
    );
}

const NEWS_DDL: &str = r#"
CREATE TABLE "news_topic" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "label" varchar(40) NOT NULL UNIQUE);
CREATE TABLE "news_story" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "headline" varchar(200) NOT NULL, "status" varchar(2) NOT NULL, "priority" integer NOT NULL, "reporter_id" bigint NULL REFERENCES "news_reporter" ("id") DEFERRABLE INITIALLY DEFERRED);
CREATE TABLE "news_story_topics" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "story_id" bigint NOT NULL REFERENCES "news_story" ("id"), "topic_id" bigint NOT NULL REFERENCES "news_topic" ("id"));
CREATE UNIQUE INDEX "news_story_topics_story_id_topic_id_uniq" ON "news_story_topics" ("story_id", "topic_id");
CREATE TABLE "news_reporter" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "name" varchar(80) NOT NULL, "account_id" integer NOT NULL UNIQUE REFERENCES "auth_user" ("id"));
CREATE TABLE "auth_user" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "username" varchar(150) NOT NULL UNIQUE);
CREATE TABLE "audit" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "story_id" bigint NOT NULL REFERENCES "news_story" ("id"), "headline" varchar(200) NULL REFERENCES "news_story" ("headline"));
CREATE TABLE "django_content_type" ("id" integer NOT NULL PRIMARY KEY AUTOINCREMENT, "app_label" varchar(100) NOT NULL, "model" varchar(100) NOT NULL);
INSERT INTO django_content_type (app_label, model) VALUES ('news', 'topic'), ('news', 'story'), ('news', 'reporter'), ('auth', 'user');
"#;

#[test]
fn overlay_replaces_declared_tables_and_keeps_the_rest() {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(NEWS_DDL).unwrap();
    let mut schema = introspect::sqlite(&conn).unwrap();
    let before: Vec<_> = schema.models.iter().map(|m| m.table.clone()).collect();
    let story_id = schema.find_table("news_story").unwrap();

    let dir = project(&[("news/models.py", NEWS)]);
    models_py::overlay(&mut schema, load(&[dir.path().to_path_buf()])).unwrap();

    // Existing tables keep their ids; declared-only tables are appended.
    let after: Vec<_> = schema.models.iter().map(|m| m.table.as_str()).collect();
    assert_eq!(
        &after[..before.len()],
        before.iter().map(String::as_str).collect::<Vec<_>>()
    );
    assert_eq!(
        &after[before.len()..],
        ["news_story_see_also", "news_remark"]
    );

    let story = schema.model(story_id);
    assert_eq!(story.name, "Story");
    assert_eq!(
        columns(story),
        ["id", "headline", "reporter_id", "status", "priority"],
        "declared order"
    );
    assert_eq!(story.fields[3].choices.len(), 3);
    let topics = schema.model(story.m2m[0].through);
    assert_eq!(
        (topics.table.as_str(), topics.auto_created),
        ("news_story_topics", true)
    );

    // The undeclared auth_user keeps its introspected form and receives the reverse relation.
    let user = model(&schema, "User");
    assert_eq!(columns(user), ["id", "username"]);
    assert_eq!(reverse_names(user), [("reporter", "reporter")]);

    // An undeclared table's keys into a replaced model follow the column.
    let audit = model(&schema, "Audit");
    let headline = audit.fields[2].relation.as_ref().unwrap();
    assert_eq!(
        (
            headline.to,
            schema.model(headline.to).fields[headline.to_field]
                .column
                .as_str()
        ),
        (story_id, "headline")
    );
    assert!(reverse_names(story).contains(&("audit", "audit_set")));
    assert!(reverse_names(model(&schema, "Topic")) == [("story", "story_set")]);
}

/// Introspecting each fixture database and overlaying its models.py agree on names and fields.
#[test]
fn fixture_databases_match_their_models() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for (db, app) in [
        ("demo/library.sqlite3", "demo/books"),
        ("blog/blog.sqlite3", "blog/blog"),
    ] {
        let conn = rusqlite::Connection::open_with_flags(
            root.join(db),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let introspected = introspect::sqlite(&conn).unwrap();
        let mut overlaid = introspected.clone();
        let decls = load(&[root.join(app)]);
        models_py::overlay(&mut overlaid, decls.clone()).unwrap();
        assert_eq!(
            overlaid.models.len(),
            introspected.models.len(),
            "{db}: every declared table exists"
        );
        for decl in &decls {
            let id = introspected.find_table(&decl.table).unwrap();
            let (a, b) = (introspected.model(id), overlaid.model(id));
            assert_eq!(
                (a.name.as_str(), a.app_label.as_str()),
                (b.name.as_str(), b.app_label.as_str()),
                "{db}"
            );
            let shape = |m: &Model| {
                let mut fields: Vec<_> = m
                    .fields
                    .iter()
                    .map(|f| {
                        (
                            f.name.clone(),
                            f.column.clone(),
                            f.null,
                            f.relation.as_ref().map(|r| r.to),
                        )
                    })
                    .collect();
                fields.sort();
                fields
            };
            let (fields_a, fields_b) = (shape(a), shape(b));
            assert_eq!(fields_a, fields_b, "{db}: {}", a.name);
            let m2m = |m: &Model| {
                m.m2m
                    .iter()
                    .map(|x| (x.name.clone(), x.to, x.through))
                    .collect::<Vec<_>>()
            };
            assert_eq!(m2m(a), m2m(b), "{db}: {}", a.name);
        }
        // Reverse relations agree except where models.py sets a related_name.
        let author = |s: &Schema| {
            s.find_model("Author").map(|id| {
                reverse_names(s.model(id))
                    .into_iter()
                    .map(|(q, a)| (q.to_string(), a.to_string()))
                    .collect::<Vec<_>>()
            })
        };
        if let Some(names) = author(&overlaid) {
            assert_eq!(names, [("books".to_string(), "books".to_string())]);
            assert_eq!(
                author(&introspected).unwrap(),
                [("book".to_string(), "book_set".to_string())]
            );
        } else {
            for name in ["Tag", "Writer", "Article"] {
                let id = introspected.find_model(name).unwrap();
                assert_eq!(
                    reverse_names(introspected.model(id)),
                    reverse_names(overlaid.model(id)),
                    "{name}"
                );
            }
            let article = overlaid.model(overlaid.find_model("Article").unwrap());
            assert_eq!(article.ordering, ["-published_at", "id"]);
            assert!(reverse_names(article).contains(&("comment", "comment_set")));
        }
    }
}

const CLUB: &str = r#"
from django.db import models
from django.utils.translation import gettext_lazy as _

JUNIOR = 'J'
LEVELS = [(JUNIOR, 'Junior'), ('S', _('Senior'))]


class Person(models.Model):
    SIZES = {'S': 'Small', 'L': 'Large'}
    name = models.CharField(max_length=60)
    level = models.CharField(max_length=1, choices=LEVELS)
    size = models.CharField(max_length=1, choices=SIZES, null=True)
    media = models.CharField(max_length=5, choices=[('Audio', [('vinyl', 'Vinyl'), ('cd', 'CD')]), ('unknown', 'Unknown')])

    def __str__(self):
        first = self.name.split()[0]
        return first


class Band(models.Model):
    class Genre(models.IntegerChoices):
        __empty__ = _('(Unknown)')
        ROCK = 1
        JAZZ = 2, 'Jazz'

    name = models.CharField(max_length=60, db_index=True)
    genre = models.IntegerField(choices=Genre, null=True)
    members = models.ManyToManyField(Person, through='Membership', through_fields=('band', 'person'))
    fans = models.ManyToManyField(Person, related_name='favourite_bands', related_query_name='fan_of', db_table='band_fans')

    class Meta:
        default_related_name = 'bands'


class Membership(models.Model):
    band = models.ForeignKey(Band, on_delete=models.CASCADE, related_name='memberships')
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_query_name='membership')
    inviter = models.ForeignKey(Person, on_delete=models.SET(None), null=True, related_name='+')
    mentor = models.ForeignKey('Person', on_delete=models.SET_DEFAULT, related_name='mentees', default=1)

    class Meta:
        constraints = [models.UniqueConstraint(fields=['band', 'person'], name='one_membership')]
"#;

#[test]
fn less_common_declarations() {
    let dir = project(&[("club/models.py", CLUB)]);
    let schema = schema_of(dir.path());
    let person = model(&schema, "Person");
    let text = |v: &str| Value::Text(v.into());
    assert_eq!(
        person.fields[2].choices,
        [(text("J"), "Junior".into()), (text("S"), "Senior".into())]
    );
    assert_eq!(
        person.fields[3].choices,
        [(text("S"), "Small".into()), (text("L"), "Large".into())]
    );
    assert_eq!(
        person.fields[4].choices,
        [
            (text("vinyl"), "Vinyl".into()),
            (text("cd"), "CD".into()),
            (text("unknown"), "Unknown".into())
        ]
    );
    assert!(
        defines(person, "__str__"),
        "every method is kept, not only a lone return"
    );

    let band = model(&schema, "Band");
    assert_eq!(
        band.fields[2].choices,
        [
            (Value::Null, "(Unknown)".into()),
            (Value::Int(1), "Rock".into()),
            (Value::Int(2), "Jazz".into())
        ]
    );
    assert!(
        band.indexes
            .iter()
            .any(|i| index_columns(i) == ["name"] && !i.unique)
    );

    let members = &band.m2m[0];
    let membership = schema.model(members.through);
    assert_eq!(membership.name, "Membership");
    assert!(!membership.auto_created);
    assert_eq!((members.source_field, members.target_field), (1, 2));
    assert!(membership.indexes.iter().any(|i| i.name == "one_membership"
        && i.unique
        && index_columns(i) == ["band_id", "person_id"]));
    let fans = &band.m2m[1];
    assert_eq!(schema.model(fans.through).table, "band_fans");
    let on_delete: Vec<_> = membership
        .fields
        .iter()
        .filter_map(|f| f.relation.as_ref().map(|r| r.on_delete))
        .collect();
    assert_eq!(
        on_delete,
        [
            OnDelete::Cascade,
            OnDelete::Cascade,
            OnDelete::SetNull,
            OnDelete::SetDefault
        ]
    );

    assert_eq!(
        reverse_names(person),
        [
            ("bands", "bands"),
            ("fan_of", "favourite_bands"),
            ("membership", "membership_set"),
            ("mentees", "mentees")
        ]
    );
    assert_eq!(reverse_names(band), [("memberships", "memberships")]);
}

#[test]
fn array_fields_read_their_base_field() {
    let dir = project(&[(
        "shop/models.py",
        r#"
from django.contrib.postgres.fields import ArrayField
from django.db import models


class Item(models.Model):
    tags = ArrayField(models.CharField(max_length=20), default=list)
    grid = ArrayField(ArrayField(models.IntegerField()), null=True)
    prices = ArrayField(base_field=models.DecimalField(max_digits=5, decimal_places=2))
"#,
    )]);
    let schema = schema_of(dir.path());
    let item = model(&schema, "Item");
    let base = |name: &str| {
        let f = &item.fields[item.concrete(name).unwrap()];
        assert_eq!(f.kind, FieldKind::ArrayField, "{name}");
        f.base_field.as_deref().unwrap()
    };
    let tags = base("tags");
    assert_eq!(
        (tags.kind, tags.max_length),
        (FieldKind::CharField, Some(20))
    );
    assert_eq!(tags.name, "tags");
    let grid = base("grid");
    assert_eq!(grid.kind, FieldKind::ArrayField);
    assert_eq!(
        grid.base_field.as_deref().map(|f| f.kind),
        Some(FieldKind::IntegerField)
    );
    let prices = base("prices");
    assert_eq!(
        (prices.kind, prices.decimal),
        (FieldKind::DecimalField, Some((5, 2)))
    );
}

#[test]
fn custom_managers_keep_their_methods() {
    const APP: &str = r#"
from django.db import models

class EntryQuerySet(models.QuerySet):
    def live(self):
        return self.filter(live=True)

class EntryManager(models.Manager):
    def get_queryset(self):
        return EntryQuerySet(self.model, using=self._db)

    def newest(self):
        return self.get_queryset().order_by("-id")

class VisibleManager(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(live=True)

class Entry(models.Model):
    live = models.BooleanField(default=False)
    objects = EntryManager()
    visible = VisibleManager()
    alt = EntryManager.from_queryset(EntryQuerySet)()
    qs = EntryQuerySet.as_manager()
"#;
    let dir = project(&[("news/models.py", APP)]);
    let decls = load(&[dir.path().join("news/models.py")]);
    let names = |ms: &[djq::schema::Method]| ms.iter().map(|m| m.name.clone()).collect::<Vec<_>>();
    let m = &decls[0].managers;
    assert_eq!(m.len(), 4);
    assert_eq!(
        (m[0].name.as_str(), names(&m[0].methods)),
        ("objects", vec!["newest".to_string()])
    );
    assert_eq!(names(&m[0].queryset_methods), ["live"]);
    assert!(
        m[0].get_queryset.is_none(),
        "returning the QuerySet class only names it"
    );
    assert!(m[1].get_queryset.is_some() && m[1].queryset_methods.is_empty());
    assert_eq!(names(&m[2].queryset_methods), ["live"]);
    assert_eq!(names(&m[3].queryset_methods), ["live"]);
}

/// Python 3.12 that djq reads but cannot run, each construct once, around good models.
const UNRUNNABLE: &str = r#"from dataclasses import dataclass
from django.db import models

COUNTER = 0


def classify(command):
    match command.split():
        case [action]:
            return action
        case [action, obj] if obj:
            return obj
        case {"a": 1, **rest}:
            return rest
        case _:
            return None


async def fetch():
    async with lock() as held:
        async for row in rows():
            await row


type Vector = list[float]
type Pair[T] = tuple[T, T]


def first[T](items: list[T]) -> T:
    return items[0]


@some.unknown.decorator(1)
def decorated(*args, **kwargs):
    global COUNTER
    COUNTER += 1
    return sorted(args, key=lambda a: -a)


def counter():
    n = 0

    def bump():
        nonlocal n
        n += 1
        yield n
        yield from range(n)

    return bump


@dataclass
class Point:
    x: int = 0
    y: int = 0


if (n := 10) > 5:
    MATRIX = [[1]] @ [[2]]

try:
    pass
except* ValueError:
    pass

ANYTHING = ...
WAVE = 1j + 2.5J
MERGED = {**{"a": 1}, "b": 2}


class Config:
    with open(__file__) as source:
        text = source.read()


class GoodManager(models.Manager):
    def kind(self, name):
        match name:
            case "a":
                return self.filter(name=name)
        return self.none()

    def named(self, name):
        return self.filter(name=name)


class Good(models.Model):
    name = models.CharField(max_length=20)
    objects = GoodManager()

    async def asave(self, *args, **kwargs):
        await super().asave(*args, **kwargs)

    def __str__(self):
        return self.name


class Also(models.Model):
    good = models.ForeignKey(Good, on_delete=models.CASCADE, related_name="alsos")
"#;

/// A SQLite database with `app_good` (two rows) and `app_also`, as Django would make them.
fn good_database(dir: &Path) -> PathBuf {
    let db = dir.join("db.sqlite3");
    rusqlite::Connection::open(&db)
        .unwrap()
        .execute_batch(
            "CREATE TABLE app_good (id integer PRIMARY KEY AUTOINCREMENT, name varchar(20) NOT NULL);
             CREATE TABLE app_also (id integer PRIMARY KEY AUTOINCREMENT, good_id bigint NOT NULL REFERENCES app_good (id));
             INSERT INTO app_good (name) VALUES ('a'), ('b');
             INSERT INTO app_also (good_id) VALUES (1);",
        )
        .unwrap();
    db
}

/// Runs djq with `--models dir` on `db`: (exit code, stdout, stderr).
fn djq_with_models(dir: &Path, db: &Path, code: &str) -> (Option<i32>, String, String) {
    let run: support::Run = (support::djq().arg(db).arg("--models").arg(dir))
        .args(["-c", code])
        .output()
        .expect("run djq")
        .into();
    (run.code, run.stdout, run.stderr)
}

#[test]
fn python_djq_cannot_run_does_not_stop_the_shell() {
    let dir = project(&[("app/models.py", UNRUNNABLE)]);
    let db = good_database(dir.path());
    let (code, out, err) = djq_with_models(
        dir.path(),
        &db,
        "print(Good.objects.filter(alsos__id=1).get().name, Good.objects.named('b').count())",
    );
    assert_eq!((code, err.as_str()), (Some(0), ""), "{out}");
    assert_eq!(out, "a 1\n");
    // A method holding a statement djq cannot run fails when it runs, saying why.
    let (code, _, err) = djq_with_models(dir.path(), &db, "Good.objects.kind('a')");
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with(
            "error: NotSupportedError: 'match' (structural pattern matching) is not supported by djq"
        ),
        "{err}"
    );
    // Every construct was read past, one statement each: the good models are all there.
    let names: Vec<String> = load(&[dir.path().to_path_buf()])
        .into_iter()
        .map(|d| d.name)
        .collect();
    assert_eq!(names, ["Good", "Also"]);
}

/// A models.py whose module and methods hold code djq cannot run.
const FAILS_WHEN_IT_RUNS: &str = r#"from django.db import models
from django.dispatch import receiver
from django.db.models.signals import post_save

SUFFIX = "!"


class Good(models.Model):
    name = models.CharField(max_length=20)

    def __str__(self):
        return self.name.upper() + SUFFIX

    def broken(self):
        return self.nothing_here

    def notify(self):
        return on_save(Good)


@receiver(post_save, sender=Good)
def on_save(sender, **kwargs):
    pass


class Also(models.Model):
    good = models.ForeignKey(Good, on_delete=models.CASCADE, related_name="alsos")
"#;

#[test]
fn models_py_code_djq_cannot_run_fails_when_it_runs_at_its_place() {
    let dir = project(&[("app/models.py", FAILS_WHEN_IT_RUNS)]);
    let db = good_database(dir.path());
    // The module runs (its signal receiver's decorator fails, binding the error to
    // `on_save`) without stopping anything: the methods that can run do.
    let (code, out, err) = djq_with_models(dir.path(), &db, "print(Good.objects.get(id=1))");
    assert_eq!((code, err.as_str(), out.as_str()), (Some(0), "", "A!\n"));
    let (code, _, err) = djq_with_models(dir.path(), &db, "Good.objects.get(id=1).broken()");
    assert_eq!(code, Some(1));
    assert!(
        err.starts_with("error: AttributeError: 'Good' object has no attribute 'nothing_here'"),
        "{err}"
    );
    assert!(
        err.contains("raised at ") && err.contains("models.py:15:21"),
        "{err}"
    );
    // The receiver's definition failed: using it raises that error, where it was.
    let (code, _, err) = djq_with_models(dir.path(), &db, "Good.objects.get(id=1).notify()");
    assert_eq!(code, Some(1));
    // (`receiver` is unbound; a djq with `django.dispatch` fails at the import instead.)
    assert!(
        err.starts_with("error: NameError: name 'receiver' is not defined")
            || err.contains("django.dispatch"),
        "{err}"
    );
    assert!(
        err.contains("raised at ") && err.contains("models.py:"),
        "{err}"
    );
}

#[test]
fn a_model_djq_cannot_read_is_left_out_with_one_warning() {
    let source = r#"from django.db import models


class Good(models.Model):
    name = models.CharField(max_length=20)


class Bad(models.Model):
    name = models.CharField(max_length=(width := 20))
    good = models.ForeignKey(Good, on_delete=models.CASCADE)


class Stamped(models.Model):
    match created:
        case _:
            pass

    class Meta:
        abstract = True


class Child(Stamped):
    name = models.CharField(max_length=20)


class Odd(models.Model):
    class Meta:
        type Alias = int
        db_table = "elsewhere"


class Typed[T](models.Model):
    name = models.CharField(max_length=20)


class Unclosed(models.Model):
    name = models.CharField(max_length=20


class Nested(models.Model):
    name = models.CharField(max_length=20, verbose_name=f"{"name"}")
"#;
    let dir = project(&[("app/models.py", source)]);
    let db = good_database(dir.path());
    let path = dir.path().join("app/models.py");
    let path = std::fs::canonicalize(path).unwrap();
    let path = path.display();
    let (code, out, err) = djq_with_models(dir.path(), &db, "print(Good.objects.count())");
    assert_eq!((code, out.as_str()), (Some(0), "2\n"), "{err}");
    assert_eq!(
        err,
        format!(
            "warning: class Unclosed left out: {path}:37:28: '(' was never closed\n\
             warning: class Nested left out: {path}:41:60: f-string: expecting '}}'\n"
        )
    );
    // Python 3.12 djq does not run (`:=` in a field, `match` in a class body, `type` in
    // Meta, a generic class) is read: those models are there.
    let decls = load(&[dir.path().to_path_buf()]);
    let names: Vec<&str> = decls.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["Good", "Bad", "Child", "Odd", "Typed"]);
    assert_eq!(decls[1].fields[1].field.max_length, Some(20));
    assert_eq!(decls[3].table, "elsewhere");
}

/// A 5 MB models.py (the demo's repeated: 9,500 models) costs the shell a bounded multiple of
/// its size over what it takes with the demo's own models.py: about 4 times (the text while it
/// is parsed, and the schema, whose names and choices are shared); about 10 times when each
/// field held its own strings and the declarations were cloned into the schema.
#[test]
fn a_large_models_file_is_read_in_bounded_memory() {
    let djq = |models: &Path, model: &str| {
        let mut djq = std::process::Command::new(env!("CARGO_BIN_EXE_djq"));
        djq.env_remove("DATABASE_URL")
            .arg("--models")
            .arg(models)
            .args(["--sql-only", "-c", &format!("{model}.objects.count()")]);
        support::peak::run(djq)
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let (_, baseline) = djq(&root.join("fixtures/demo/books"), "Book");
    let dir = TempDir::new().unwrap();
    let size = support::models_py::write_large(dir.path(), 5_000_000);
    let (out, peak) = djq(dir.path(), "Book4321");
    assert_eq!(
        out,
        "SELECT COUNT(*) AS \"__count\" FROM \"books_book4321\";\n"
    );
    let ratio = peak.saturating_sub(baseline) as f64 / size as f64;
    eprintln!(
        "{:.1} MB models.py: peak {:.1} MB, {:.1} MB over the demo's, {ratio:.1}x",
        size as f64 / 1e6,
        peak as f64 / 1e6,
        peak.saturating_sub(baseline) as f64 / 1e6,
    );
    assert!(
        ratio < 6.0,
        "peak {peak} bytes ({baseline} with the demo's models.py) for a {size}-byte models.py: \
         {ratio:.1}x"
    );
}

/// A model's class body runs when its Python is first needed, in its module's names: a
/// model derived from another runs its base's body first, and both see the module's names.
#[test]
fn a_models_class_body_runs_when_first_needed_with_its_bases() {
    let source = r#"from django.db import models


class Good(models.Model):
    name = models.CharField(max_length=20)

    def hello(self):
        return "hi" + SUFFIX


class Also(Good):
    def twice(self):
        return self.hello() * 2


SUFFIX = "!"
"#;
    let dir = project(&[("app/models.py", source)]);
    let db = good_database(dir.path());
    let code = "print(Also().twice(), Good.objects.get(id=1).hello())";
    let (code, out, err) = djq_with_models(dir.path(), &db, code);
    assert_eq!(
        (code, err.as_str(), out.as_str()),
        (Some(0), "", "hi!hi! hi!\n")
    );
}

/// A model held beyond a borrow of the schema (as a `save()` holds its instance's model) shares
/// the schema's copy instead of cloning its fields; changing the schema afterwards copies the
/// model first, and the holder keeps what it saw.
#[test]
fn a_held_model_is_shared_until_the_schema_changes_it() {
    let mut schema =
        models_py::schema_from_models(load(&[support::root().join(support::DEMO_MODELS)])).unwrap();
    let book = schema.find_model("Book").unwrap();
    let held = schema.model(book).clone();
    assert!(std::sync::Arc::ptr_eq(&held, schema.model(book)));
    schema.model_mut(book).ordering = vec!["title".into()];
    assert_eq!(held.ordering, ["-publication_date"]);
    assert_eq!(schema.model(book).ordering, ["title"]);
}

#[test]
fn managers_follow_djangos_order_names_and_meta_choices() {
    const APP: &str = r#"
from django.db import models

class PubQuerySet(models.QuerySet):
    def recent(self):
        return self.filter(year__gt=2000)

    def _hidden(self):
        return self

    def shown(self):
        return self

    shown.queryset_only = True

class BaseMgr(models.Manager):
    def extra(self):
        return self.all()

Combined = BaseMgr.from_queryset(PubQuerySet)

class OnlyLive(models.Manager):
    def get_queryset(self):
        return super().get_queryset().filter(live=True)

class Base(models.Model):
    live = OnlyLive()
    objects = models.Manager()

    class Meta:
        abstract = True

class Item(Base):
    year = models.IntegerField()
    own = PubQuerySet.as_manager()
    combined = Combined()

    class Meta:
        default_manager_name = "objects"
        base_manager_name = "live"
"#;
    let dir = project(&[("pubs/models.py", APP)]);
    let decls = load(&[dir.path().join("pubs/models.py")]);
    let m = &decls[0].managers;
    let names: Vec<_> = m.iter().map(|g| g.name.as_str()).collect();
    // Own managers first, then the abstract base's, as Django's `_meta.managers` lists them.
    assert_eq!(names, ["own", "combined", "live", "objects"]);
    let classes: Vec<_> = m.iter().map(|g| g.class.as_str()).collect();
    assert_eq!(
        classes,
        [
            "ManagerFromPubQuerySet",
            "BaseMgrFromPubQuerySet",
            "OnlyLive",
            "Manager"
        ]
    );
    assert_eq!(m[1].queryset_class, "PubQuerySet");
    assert_eq!(
        m[1].methods.iter().map(|f| &f.name).collect::<Vec<_>>(),
        ["extra"]
    );
    let on_manager: Vec<_> = m[0]
        .queryset_methods
        .iter()
        .filter(|f| f.on_manager())
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(on_manager, ["recent"]);
    assert!(m[3].default && !m[3].base && m[2].base && !m[2].default);
}

/// Generic relations (issue 16): ContentType is django.contrib.contenttypes' model (never a
/// placeholder), a GenericForeignKey names its two fields (Django's defaults or custom ones), a
/// GenericRelation (or a subclass of it) points at them with its `related_query_name`, and one
/// whose fields the model does not have (a multi-table parent's) is left out, not fatal.
#[test]
fn generic_relations_are_read_with_contenttypes_contenttype() {
    let dir = project(&[(
        "notes/models.py",
        r#"
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models


class MyRelation(GenericRelation):
    pass


class Tag(models.Model):
    label = models.SlugField()
    content_type = models.ForeignKey(ContentType, on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    content_object = GenericForeignKey()


class Mark(models.Model):
    kind = models.ForeignKey(ContentType, models.CASCADE, related_name="marks")
    pk_value = models.CharField(max_length=40)
    target = GenericForeignKey("kind", "pk_value")


class Parent(models.Model):
    content_type = models.ForeignKey(ContentType, models.CASCADE)
    object_id = models.PositiveIntegerField()


class Child(Parent):
    thing = GenericForeignKey()


class Page(models.Model):
    tags = GenericRelation(Tag, related_query_name="page")
    marks = MyRelation(Mark, "pk_value", "kind")
"#,
    )]);
    let schema = schema_of(dir.path());
    let content_type = model(&schema, "ContentType");
    assert_eq!(
        (content_type.app_label.as_str(), content_type.table.as_str()),
        ("contenttypes", "django_content_type")
    );
    assert_eq!(columns(content_type), ["id", "app_label", "model"]);
    let tag = model(&schema, "Tag");
    let gfk = tag
        .generic_fk("content_object")
        .expect("Tag.content_object");
    assert_eq!(tag.fields[gfk.ct_field].name, "content_type");
    assert_eq!(tag.fields[gfk.fk_field].name, "object_id");
    let mark = model(&schema, "Mark");
    let target = mark.generic_fk("target").expect("Mark.target");
    assert_eq!(mark.fields[target.ct_field].name, "kind");
    assert_eq!(mark.fields[target.fk_field].name, "pk_value");
    assert!(model(&schema, "Child").generic_fks.is_empty());
    let page = model(&schema, "Page");
    let names: Vec<(&str, &str, Option<&str>)> = page
        .generic_relations
        .iter()
        .map(|g| {
            let to = &schema.models[g.to];
            (
                g.name.as_str(),
                to.name.as_str(),
                g.related_query_name.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        names,
        [("tags", "Tag", Some("page")), ("marks", "Mark", None)]
    );
    assert_eq!(
        schema.models[page.generic_relations[1].to].fields[page.generic_relations[1].ct_field].name,
        "kind"
    );
    let back: Vec<&str> = tag
        .generic_reverse
        .iter()
        .map(|r| r.query_name.as_str())
        .collect();
    assert_eq!(back, ["page"]);
    assert!(tag.field_choices().contains(&"content_object".to_string()));
}

/// The fields fixture app's models.py (fixtures/fields/fields): field classes derived from
/// built-in ones here and in another module of the app, a `db_type()` override noted,
/// GeneratedField as its output field, db_default and db_column read, a computed
/// `Meta.db_table`, `Meta.get_latest_by`, ordering expressions kept as their source.
#[test]
fn field_subclasses_generated_fields_db_defaults_and_computed_meta() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fields/fields");
    let decls = load(std::slice::from_ref(&root));
    let novel = decls.iter().find(|d| d.name == "Novel").unwrap();
    let field = |d: &ModelDecl, name: &str| {
        d.fields
            .iter()
            .find(|f| f.field.name == name)
            .unwrap()
            .field
            .clone()
    };
    assert_eq!(field(novel, "pages").kind, FieldKind::PositiveIntegerField);
    assert!(field(novel, "pages").db_default.is_some());
    assert_eq!(field(novel, "score").kind, FieldKind::IntegerField);
    assert!(
        novel
            .notes
            .iter()
            .any(|n| n == "Novel.score: ScoreField defines its own db_type(), read as IntegerField"),
        "{:?}",
        novel.notes
    );
    // A field class of this models.py with its own from_db_value(): run on what is read.
    assert_eq!(field(novel, "price").kind, FieldKind::DecimalField);
    assert_eq!(
        field(novel, "price").from_db_value.as_deref(),
        Some("PriceField")
    );
    assert_eq!(field(novel, "score").from_db_value, None);
    let generated = field(novel, "title_length");
    assert!(generated.generated && generated.kind == FieldKind::IntegerField);
    assert!(!field(novel, "title").generated);
    assert_eq!(novel.get_latest_by, ["published"]);
    let country = decls.iter().find(|d| d.name == "Country").unwrap();
    assert_eq!(country.table, "atlas_country");
    assert_eq!(field(country, "code").kind, FieldKind::CharField);
    assert_eq!(country.ordering, ["Lower('name')"]);
    let city = decls.iter().find(|d| d.name == "City").unwrap();
    assert_eq!(field(city, "name").column, "city_name");
    assert_eq!(
        city.ordering,
        ["F('population').desc(nulls_last=True)", "name"]
    );
    let tag = decls.iter().find(|d| d.name == "Tag").unwrap();
    assert_eq!(field(tag, "label").kind, FieldKind::CharField);
    assert_eq!(field(tag, "id").kind, FieldKind::UuidField);
    // The schema: a to_field key and a UUID key come back as their targets' values.
    let schema = schema_of(&root);
    let city = model(&schema, "City");
    let country_fk = city.fields.iter().find(|f| f.name == "country").unwrap();
    assert_eq!(country_fk.storage_kind(), FieldKind::CharField);
    let through = schema
        .models
        .iter()
        .find(|m| m.table == "fields_novel_tags")
        .unwrap();
    let tag_fk = through.fields.iter().find(|f| f.name == "tag").unwrap();
    assert_eq!(tag_fk.storage_kind(), FieldKind::UuidField);
}

/// A `ForeignObject`'s way back, as Django names it: its related manager is `related_name`
/// or `<model>_set`, its query name `related_query_name`, else `related_name`, else the
/// model's name; `null=True` and `on_delete` are read.
#[test]
fn a_foreign_object_way_back_has_djangos_accessor_and_query_name() {
    let dir = project(&[(
        "shop/models.py",
        "from django.db import models\n\
         class Address(models.Model):\n    company = models.CharField(max_length=1)\n    number = models.IntegerField()\n\
         class Customer(models.Model):\n    company = models.CharField(max_length=1)\n    number = models.IntegerField()\n    \
         address = models.ForeignObject(Address, models.SET_NULL, null=True, from_fields=['company', 'number'], to_fields=['company', 'number'])\n\
         class Contact(models.Model):\n    company = models.CharField(max_length=1)\n    number = models.IntegerField()\n    \
         customer = models.ForeignObject(Customer, on_delete=models.CASCADE, related_name='contacts', from_fields=('company', 'number'), to_fields=('company', 'number'))\n",
    )]);
    let schema = schema_of(dir.path());
    let model = |name: &str| schema.model(schema.find_model(name).expect(name));
    let back: Vec<(&str, &str)> = (model("Address").foreign_object_reverse.iter())
        .chain(&model("Customer").foreign_object_reverse)
        .map(|r| (r.accessor.as_str(), r.query_name.as_str()))
        .collect();
    assert_eq!(
        back,
        [("customer_set", "customer"), ("contacts", "contacts")]
    );
    let address = &model("Customer").foreign_objects[0];
    assert!(address.null && address.on_delete == OnDelete::SetNull);
    let customer = &model("Contact").foreign_objects[0];
    assert!(!customer.null && customer.on_delete == OnDelete::Cascade);
}

#[test]
fn a_generic_relation_to_a_multi_table_child_holds_the_parents_fields_and_one_without_them_is_left_out()
 {
    let dir = project(&[(
        "shelf/models.py",
        r#"
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.db import models


class Label(models.Model):
    text = models.CharField(max_length=20)
    content_type = models.ForeignKey(ContentType, models.CASCADE)
    object_id = models.PositiveIntegerField()
    content_object = GenericForeignKey()


class PricedLabel(Label):
    price = models.IntegerField()


class Box(models.Model):
    labels = GenericRelation(Label)


class Crate(Box):
    labels = GenericRelation(PricedLabel)
    stickers = GenericRelation(PricedLabel, object_id_field="sticker_id")
"#,
    )]);
    let mut schema = Schema::default();
    let notes = models_py::overlay(&mut schema, load(&[dir.path().to_path_buf()])).unwrap();
    assert_eq!(
        notes,
        [
            "Crate.stickers: a GenericRelation to PricedLabel, whose content_type and sticker_id \
             are not fields of one model of its own or its multi-table parents', is not \
             supported by djq yet; left out"
        ]
    );
    let id = |name: &str| schema.find_model(name).expect(name);
    let crate_labels = &schema.model(id("Crate")).generic_relations[0];
    assert_eq!(crate_labels.name, "labels");
    assert_eq!(
        (crate_labels.to, crate_labels.holder),
        (id("PricedLabel"), id("Label"))
    );
    let (ct, fk) = crate_labels.fields(&schema);
    assert_eq!(
        (ct.name.as_str(), fk.name.as_str()),
        ("content_type", "object_id")
    );
    let boxes = schema.model(id("Box"));
    assert_eq!(boxes.generic_relations.len(), 1, "Box.labels is kept");
}
