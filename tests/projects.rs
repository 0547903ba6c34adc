//! Real projects, read in full.
//!
//! `fixtures/projects/shop`: djq reads the models of a project tree whose models use what real
//! projects' do (Python 3.12 in methods, models in `if`/`try` blocks and in modules imported
//! into models.py, `models/` packages, apps below apps, bases from other apps and third-party
//! packages, third-party fields, classes that are not models), and loads every model Django
//! loads with Django's field list (`fixtures/projects/shop.django.json`, recorded by
//! `tools/record_projects.py` from Django with the third-party packages stubbed).
//!
//! The acceptance projects of issue 17 (`mysite`, `splitpg`, `naivetz`, made with
//! `django-admin startproject`): `djq` started in the project's directory with no database,
//! models or settings arguments answers each line of the project's corpus as `manage.py
//! shell` does — the rows, the SQL and parameters, the errors recorded from Django under the
//! project's own settings by `tools/record_projects.py` (tools/record.py's entry format),
//! compared as tests/conformance.rs compares (tests/support/replay.rs). Entries djq does not
//! match yet are listed, with a reason, in fixtures/projects/known-gaps.tsv, which may only
//! shrink.

mod support;

use std::path::PathBuf;

use djq::orm::statement_log;
use djq::schema::FieldKind;
use djq::schema::models_py::{self, GenericDecl, ModelDecl};
use serde_json::Value as Json;
use std::path::Path;
use support::Backend;
use support::recording::unmatched_lines;
use support::replay::{Outcome, Ran, Tally, compare};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/projects")
}

fn shop() -> models_py::Models {
    models_py::read(&[root().join("shop")]).expect("the shop project reads")
}

/// The model declarations djq reads (not the auto-created through models).
fn decls() -> Vec<ModelDecl> {
    shop()
        .decls
        .into_iter()
        .filter(|d| !d.auto_created)
        .collect()
}

fn decl<'d>(decls: &'d [ModelDecl], label: &str) -> &'d ModelDecl {
    let (app, name) = label.split_once('.').unwrap();
    decls
        .iter()
        .find(|d| &*d.app_label == app && d.name == name)
        .unwrap_or_else(|| {
            let found: Vec<String> = decls
                .iter()
                .map(|d| format!("{}.{}", d.app_label, d.name))
                .collect();
            panic!("{label} not read; djq read {found:?}")
        })
}

/// A model's fields as djq reads them: concrete fields in order, then private ones (generic
/// relations), then many-to-many fields.
fn field_names(d: &ModelDecl) -> Vec<String> {
    let private = d.generic.iter().map(|g| match g {
        GenericDecl::ForeignKey { name, .. } | GenericDecl::Relation { name, .. } => name.clone(),
    });
    (d.fields.iter().map(|f| f.field.name.to_string()))
        .chain(private)
        .chain(d.m2m.iter().map(|m| m.name.clone()))
        .collect()
}

fn field<'d>(d: &'d ModelDecl, name: &str) -> &'d djq::schema::Field {
    &d.fields
        .iter()
        .find(|f| *f.field.name == *name)
        .unwrap_or_else(|| panic!("{}.{name}: {:?}", d.name, field_names(d)))
        .field
}

fn django() -> serde_json::Map<String, Json> {
    let text = std::fs::read_to_string(root().join("shop.django.json")).unwrap();
    match serde_json::from_str(&text).unwrap() {
        Json::Object(models) => models,
        _ => panic!("shop.django.json holds an object"),
    }
}

#[test]
fn djq_loads_every_model_django_loads_with_djangos_fields() {
    let decls = decls();
    let django = django();
    let mut failures = Vec::new();
    for (label, model) in &django {
        let d = decl(&decls, label);
        if d.table != model["table"].as_str().unwrap() {
            failures.push(format!(
                "{label}: table {} (Django: {})",
                d.table, model["table"]
            ));
        }
        // Django's fields, but for those djq says it left out; concrete fields first, in
        // Django's order, then many-to-many ones.
        let fields = model["fields"].as_array().unwrap();
        let named = |m2m: bool| {
            fields
                .iter()
                .filter(move |f| f["many_to_many"].as_bool() == Some(m2m))
                .map(|f| f["name"].as_str().unwrap().to_string())
        };
        let expected: Vec<String> = named(false)
            .chain(named(true))
            .filter(|n| !d.skipped.contains(n))
            .collect();
        if field_names(d) != expected {
            failures.push(format!(
                "{label}: {:?}\n   Django: {expected:?}",
                field_names(d)
            ));
        }
        for name in &d.skipped {
            if !d.notes.iter().any(|n| n.contains(&format!(".{name}:"))) {
                failures.push(format!(
                    "{label}.{name} left out without a note: {:?}",
                    d.notes
                ));
            }
        }
    }
    // No model Django does not have.
    for d in &decls {
        let label = format!("{}.{}", d.app_label, d.name);
        if !django.contains_key(&label) {
            failures.push(format!("{label}: not a model in Django"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every column's `max_length` and `(max_digits, decimal_places)` are Django's, also where a
/// field subclass's `__init__` sets them (`kwargs["decimal_places"] = 2` overriding the
/// call, `kwargs.setdefault("max_length", 16)` filling what the call leaves out).
#[test]
fn column_options_are_djangos_also_where_a_field_subclass_init_sets_them() {
    let decls = decls();
    let mut failures = Vec::new();
    for (label, model) in &django() {
        let d = decl(&decls, label);
        for f in model["fields"].as_array().unwrap() {
            let name = f["name"].as_str().unwrap();
            let Some(mine) = d.fields.iter().find(|m| *m.field.name == *name) else {
                continue;
            };
            let django_length = f["max_length"].as_u64().map(|n| n as u32);
            let django_decimal = f["decimal"]
                .as_array()
                .and_then(|d| Some((d[0].as_u64()? as u32, d[1].as_u64()? as u32)));
            let field = &mine.field;
            if field.kind != FieldKind::ForeignKey
                && (field.max_length, field.decimal) != (django_length, django_decimal)
            {
                failures.push(format!(
                    "{label}.{name}: {:?} {:?} (Django: {django_length:?} {django_decimal:?})",
                    field.max_length, field.decimal
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // djq does not run a field's own from_db_value() yet, and says so.
    let refund = decl(&decls, "billing.Refund");
    assert!(
        refund.notes.iter().any(|n| n
            == "Refund.fee: CashField defines its own from_db_value(), which is not supported \
                by djq yet: its values are shown as DecimalField reads them"),
        "{:?}",
        refund.notes
    );
}

#[test]
fn a_class_body_of_ellipsis_and_methods_of_any_python_are_read() {
    let decls = decls();
    assert_eq!(field_names(decl(&decls, "api.Placeholder")), ["id"]);
    // Product's methods hold `match`, `async def`/`async for`/`await`, `yield from`, `{**d}`.
    let product = decl(&decls, "catalog.Product");
    assert!(field_names(product).contains(&"orders".to_string()));
    assert!(shop().warnings.is_empty(), "{:?}", shop().warnings);
}

#[test]
fn models_inside_module_level_if_and_try_are_found_once() {
    let decls = decls();
    assert_eq!(
        field_names(decl(&decls, "billing.Payment")),
        ["id", "invoice", "amount"]
    );
    assert_eq!(
        field_names(decl(&decls, "billing.Refund")),
        ["id", "payment", "reason", "fee", "code", "reference"]
    );
    let payments = decls.iter().filter(|d| d.name == "Payment").count();
    assert_eq!(
        payments, 1,
        "the `else` branch's Payment is the same model, not run"
    );
}

#[test]
fn a_model_defined_in_another_module_and_imported_is_the_apps_model() {
    let decls = decls();
    let invoice = decl(&decls, "billing.Invoice");
    assert_eq!(invoice.table, "billing_invoice");
    assert!(
        invoice.path.ends_with("billing/base.py"),
        "{:?}",
        invoice.path
    );
}

#[test]
fn an_app_below_another_app_is_found() {
    let decls = decls();
    let review = decl(&decls, "reviews.Review");
    assert_eq!(review.table, "reviews_review");
    assert_eq!(
        field_names(review),
        ["id", "product", "author", "moderators", "rating", "body"]
    );
}

#[test]
fn bases_resolve_through_imports_across_apps_and_modules() {
    let decls = decls();
    // ModelWithMetadata (core.models, over TimeStampedModel) and PublishableMixin
    // (core/mixins.py, not a models file).
    let product = decl(&decls, "catalog.Product");
    assert_eq!(
        field_names(product)[..7],
        [
            "id",
            "created",
            "updated",
            "metadata",
            "hits",
            "is_published",
            "published_at"
        ]
    );
    // A `models/` package re-exporting with `from .product import *`.
    assert_eq!(
        field_names(decl(&decls, "catalog.Supplier")),
        ["id", "name", "email"]
    );
}

#[test]
fn classes_that_are_not_models_never_become_models() {
    let names: Vec<String> = decls().iter().map(|d| d.name.clone()).collect();
    for not_a_model in [
        "ProductModel",
        "FooModel",
        "Renderer",
        "ApiKeySerializer",
        "TimeStampedModel",
    ] {
        assert!(
            !names.contains(&not_a_model.to_string()),
            "{not_a_model} in {names:?}"
        );
    }
}

#[test]
fn mptt_and_treebeard_bases_add_their_fields() {
    let decls = decls();
    assert_eq!(
        field_names(decl(&decls, "catalog.Category")),
        [
            "id", "slug", "name", "parent", "lft", "rght", "tree_id", "level"
        ]
    );
    assert_eq!(
        field_names(decl(&decls, "pages.Page")),
        ["id", "path", "depth", "numchild", "title", "body"]
    );
}

#[test]
fn money_fields_expand_to_their_columns() {
    let decls = decls();
    let variant = decl(&decls, "catalog.ProductVariant");
    assert_eq!(
        field(variant, "price_override_currency").kind,
        FieldKind::CharField
    );
    assert_eq!(
        field(variant, "price_override_currency").max_length,
        Some(3)
    );
    assert_eq!(
        field(variant, "price_override").kind,
        FieldKind::DecimalField
    );
    assert_eq!(field(variant, "price_override").decimal, Some((10, 2)));
    // Null as the amount (Django: `"price_override_currency" varchar(3) NULL`).
    assert!(field(variant, "price_override_currency").null);
    assert!(!field(decl(&decls, "catalog.Product"), "price_currency").null);
    // django-money's currency field defaults to None (no `default_currency=`), not ''.
    let models = root().join("shop");
    let code = "v = ProductVariant(sku='s', product_id=1)\n\
                print(repr(v.price_override_currency), repr(Product().price_currency))";
    let (status, out, err) = djq(&[
        "--sql-only",
        "--models",
        models.to_str().unwrap(),
        "-c",
        code,
    ]);
    assert_eq!((status, out.as_str()), (Some(0), "None None\n"), "{err}");
}

#[test]
fn a_field_djq_cannot_place_is_left_out_with_a_note() {
    let decls = decls();
    let invoice = decl(&decls, "billing.Invoice");
    assert!(!field_names(invoice).contains(&"notes".to_string()));
    assert_eq!(invoice.skipped, ["notes"]);
    assert!(
        invoice
            .notes
            .iter()
            .any(|n| n.contains("EncryptedTextField")),
        "{:?}",
        invoice.notes
    );
    let product = decl(&decls, "catalog.Product");
    assert!(product.skipped.is_empty(), "{:?}", product.skipped);
}

#[test]
fn field_subclasses_map_to_their_nearest_known_ancestor() {
    let decls = decls();
    let product = decl(&decls, "catalog.Product");
    assert_eq!(field(product, "hits").kind, FieldKind::PositiveIntegerField);
    assert_eq!(
        field(product, "orders").kind,
        FieldKind::PositiveIntegerField
    );
    assert_eq!(
        field(decl(&decls, "catalog.Supplier"), "email").kind,
        FieldKind::EmailField
    );
    let phone = field(decl(&decls, "accounts.Staff"), "phone");
    assert_eq!(
        (phone.kind, phone.max_length),
        (FieldKind::CharField, Some(128))
    );
}

/// The shop's tables, as Django's schema editor creates them, in a SQLite file.
fn shop_database(dir: &std::path::Path) -> PathBuf {
    let path = dir.join("shop.sqlite3");
    let ddl = std::fs::read_to_string(root().join("shop.sqlite.sql")).unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&ddl).unwrap();
    path
}

fn djq(args: &[&str]) -> (Option<i32>, String, String) {
    let run: support::Run = support::djq().args(args).output().expect("run djq").into();
    (run.code, run.stdout, run.stderr)
}

#[test]
fn foreign_keys_to_the_user_contenttype_group_and_through_a_call_resolve() {
    let dir = tempfile::tempdir().unwrap();
    let db = shop_database(dir.path());
    let models = root().join("shop");
    let (db, models) = (db.to_str().unwrap(), models.to_str().unwrap());
    let code = "print(Review.objects.filter(author__username='a', moderators__name='m').query)\n\
                print(Flag.objects.filter(content_type__model='x', site__domain='d').query)";
    let (status, out, err) = djq(&[db, "--models", models, "-c", code]);
    assert_eq!(status, Some(0), "{err}");
    for join in [
        r#"INNER JOIN "auth_user" ON ("reviews_review"."author_id" = "auth_user"."id")"#,
        r#"INNER JOIN "auth_group" ON ("reviews_review"."moderators_id" = "auth_group"."id")"#,
        r#"INNER JOIN "django_content_type" ON ("reviews_flag"."content_type_id" = "django_content_type"."id")"#,
        // `swapper.get_model_name(...)`: the database's constraint says where it points.
        r#"INNER JOIN "core_site" ON ("reviews_flag"."site_id" = "core_site"."id")"#,
    ] {
        assert!(out.contains(join), "{join}\n{out}");
    }
}

#[test]
fn methods_run_where_djq_runs_them_and_say_so_where_it_does_not() {
    let models = root().join("shop");
    let models = models.to_str().unwrap();
    let code = "print(Payment(amount=3))\n\
                print(Supplier(name='s').settings(a=1))\n\
                print(ProductVariant(sku='s', product_id=1))";
    let (status, out, err) = djq(&["--sql-only", "--models", models, "-c", code]);
    assert_eq!(status, Some(0), "{err}");
    // `Payment` is defined in an `if` block; `Supplier.settings` builds `{**DEFAULTS, **overrides}`;
    // `__str__` holds a `:=`.
    assert_eq!(out, "payment of 3\n{'weight': 0, 'a': 1}\n1:s\n");
    let (status, _, err) = djq(&[
        "--sql-only",
        "--models",
        models,
        "-c",
        "Product.arefresh(None)",
    ]);
    assert_eq!(status, Some(1));
    assert!(
        err.starts_with("error: NotSupportedError: 'async def' (arefresh) is not supported by djq"),
        "{err}"
    );
}

#[test]
fn djq_starts_on_the_project_and_shows_its_notes_with_verbose() {
    let models = root().join("shop");
    let models = models.to_str().unwrap();
    let code = "Product.objects.filter(category__name='c', price_currency='EUR').count()";
    let (status, _, err) = djq(&["--sql-only", "--models", models, "-c", code]);
    assert_eq!((status, err.as_str()), (Some(0), ""));
    let (status, _, err) = djq(&["--sql-only", "--models", models, "--verbose", "-c", code]);
    assert_eq!(status, Some(0), "{err}");
    assert!(
        err.contains(
            "warning: Invoice.notes: EncryptedTextField is not a field class djq knows; left out"
        ),
        "{err}"
    );
    assert!(!err.contains("TaggableManager"), "{err}");
}

#[test]
fn the_repl_counts_the_notes_in_its_banner_and_lists_them() {
    let models = root().join("shop");
    let mut repl = support::repl::Repl::start_with(
        false,
        &["--sql-only", "--models", models.to_str().unwrap()],
    );
    assert!(
        repl.banner.contains("warnings: \\warnings)"),
        "{}",
        repl.banner
    );
    let out = repl.run("\\warnings", "left out");
    assert!(out.contains("warning: "), "{out}");
    repl.quit();
}

/// Models whose relations djq cannot place (a through model linked by `ForeignObject`s, a
/// `to_field` of a model nobody declared) do not stop the start: what cannot be placed is
/// left out, with a note.
#[test]
fn relations_djq_cannot_place_never_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let app = dir.path().join("people");
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("models.py"),
        r#"from django.conf import settings
from django.db import models


class Person(models.Model):
    name = models.CharField(max_length=50)
    friends = models.ManyToManyField("self", through="Friendship", symmetrical=False)


class Friendship(models.Model):
    from_id = models.IntegerField()
    to_id = models.IntegerField()
    from_friend = models.ForeignObject(
        Person, on_delete=models.CASCADE, from_fields=["from_id"], to_fields=["id"], related_name="+"
    )


class Profile(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, to_field="username", on_delete=models.CASCADE)
"#,
    )
    .unwrap();
    let models = dir.path().to_str().unwrap();
    let code = "print(Profile.objects.filter(user__username='a').query)";
    let (status, out, err) = djq(&["--sql-only", "--models", models, "--verbose", "-c", code]);
    assert_eq!(status, Some(0), "{err}");
    // As Django: the foreign key's column holds the username.
    assert!(
        out.contains(r#"WHERE "people_profile"."user_id" = a"#),
        "{out}"
    );
    assert!(
        err.contains("warning: Person.friends: the through model Friendship has no foreign key to Person; left out"),
        "{err}"
    );
    assert!(
        err.contains("Friendship.from_friend: models.ForeignObject"),
        "{err}"
    );
}

/// Every model's `Model._default_manager.all()` is the SQL Django emits with the real packages
/// (django-mptt's `TreeManager` orders by `tree_id, lft`, django-treebeard's `MP_NodeManager`
/// by `path`), from a manager of the package's class.
#[test]
fn default_managers_query_as_the_real_packages_do() {
    let django = django();
    let decls = decls();
    let models = root().join("shop");
    let mut code = String::new();
    for label in django.keys() {
        let name = label.rsplit('.').next().unwrap();
        code.push_str(&format!(
            "print(str({name}._default_manager.all().query))\n\
             print(type({name}._default_manager).__name__)\n"
        ));
    }
    let models = models.to_str().unwrap();
    let (status, out, err) = djq(&["--sql-only", "--models", models, "-c", &code]);
    assert_eq!(status, Some(0), "{err}");
    let mut lines = out.lines();
    let mut failures = Vec::new();
    for (label, model) in &django {
        let (query, class) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
        // A model with a field left out (with its note) selects one column less.
        let complete = decl(&decls, label).skipped.is_empty();
        if complete && query != model["query"].as_str().unwrap() {
            failures.push(format!("{label}: {query}\n   Django: {}", model["query"]));
        }
        // django-money wraps a model's default manager in a `MoneyManager` subclass that
        // understands `Money()` values in filters; djq has no `Money` and keeps the manager.
        let django_class = match model["default_manager"].as_str().unwrap() {
            "MoneyManager" => "Manager",
            class => class,
        };
        if class != django_class {
            failures.push(format!("{label}: {class} (Django: {django_class})"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------------------
// the acceptance projects of issue 17
// ---------------------------------------------------------------------------------------

/// An acceptance project: `fixtures/projects/<name>`, its database in the backend its settings
/// name, its recording `fixtures/projects/<name>.<backend>.json`.
struct Project {
    name: &'static str,
    backend: Backend,
}

/// (1) the default startproject layout, SQLite, two apps; (2) split settings, django-environ
/// reading `.env` and `DATABASE_URL`, PostgreSQL, `AUTH_USER_MODEL`, America/New_York; (3)
/// `USE_TZ = False` in Asia/Kolkata, SQLite through dj-database-url.
const PROJECTS: &[Project] = &[
    Project {
        name: "mysite",
        backend: Backend::Sqlite,
    },
    Project {
        name: "splitpg",
        backend: Backend::Postgres,
    },
    Project {
        name: "naivetz",
        backend: Backend::Sqlite,
    },
];

const PROJECT_GAPS: &str = "fixtures/projects/known-gaps.tsv";

fn project_recording(p: &Project) -> Json {
    let path = root().join(format!("{}.{}.json", p.name, p.backend.name()));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// A copy of the project's tree, and where its database is.
struct Deployed {
    /// Holds the copy (and the statement logs) until the test ends.
    dir: tempfile::TempDir,
    /// The project's directory, where `manage.py` is.
    project: PathBuf,
    /// The PostgreSQL database, given to djq as `DATABASE_URL` (which the project's `.env`
    /// does not override); SQLite projects name their own `db.sqlite3`.
    database_url: Option<String>,
}

/// `from` copied to `to`, without Python's bytecode caches and SQLite databases.
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for item in std::fs::read_dir(from).unwrap() {
        let item = item.unwrap();
        let name = item.file_name();
        if name == "__pycache__" || name == "db.sqlite3" {
            continue;
        }
        if item.file_type().unwrap().is_dir() {
            copy_tree(&item.path(), &to.join(&name));
        } else {
            std::fs::copy(item.path(), to.join(&name)).unwrap();
        }
    }
}

/// The project copied into a temporary directory with its database as the recording had it:
/// SQLite's `db.sqlite3` built from `fixtures/projects/<name>.sql`, PostgreSQL's loaded from
/// `<name>.postgres.sql` into a new database of tests/support/pg.rs's server (`None`, after
/// saying SKIPPED, when there is none).
fn deploy(p: &Project) -> Option<Deployed> {
    let dir = tempfile::tempdir().unwrap();
    let project = dir.path().join(p.name);
    copy_tree(&root().join(p.name), &project);
    let database_url = match p.backend {
        Backend::Sqlite => {
            let dump = std::fs::read_to_string(root().join(format!("{}.sql", p.name))).unwrap();
            let db = rusqlite::Connection::open(project.join("db.sqlite3")).unwrap();
            // The dump creates tables in the order the migrations made them, some after rows
            // that refer to them: built as Python's sqlite3 module builds it, without
            // enforcing foreign keys.
            db.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
            db.execute_batch(&dump).unwrap();
            None
        }
        Backend::Postgres => Some(
            support::pg::server()?
                .database_from_file(&format!("fixtures/projects/{}.postgres.sql", p.name)),
        ),
    };
    Some(Deployed {
        dir,
        project,
        database_url,
    })
}

/// One entry run by the `djq` binary started in the project's directory as a user starts it
/// there (no database, `--models` or `--settings`; no `DJANGO_SETTINGS_MODULE`), with the
/// recording's preamble and the entry as `-c` and `--format json`: the statements it ran
/// (`DJQ_STATEMENT_LOG`), its error (the exception's name, `Book.DoesNotExist` as Python's
/// `__name__` gives it, and message) or its output.
fn run_in_project(d: &Deployed, preamble: &str, expr: &str, log: &Path) -> Ran {
    let mut cmd = support::djq();
    cmd.current_dir(&d.project)
        .env_remove("DJANGO_SETTINGS_MODULE")
        .env(statement_log::VARIABLE, log);
    if let Some(url) = &d.database_url {
        cmd.env("DATABASE_URL", url);
    }
    cmd.args(["--format", "json", "-c", preamble, "-c", expr]);
    let run: support::Run = cmd.output().expect("run djq").into();
    let queries = std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("a statement log line is JSON"))
        .collect();
    let outcome = if run.code == Some(0) {
        Ok(run.stdout)
    } else {
        let error = run.stderr.lines().find_map(|l| l.strip_prefix("error: "));
        Err(match error.and_then(|e| e.split_once(": ")) {
            Some((name, message)) => (
                name.rsplit('.').next().unwrap_or(name).to_string(),
                message.to_string(),
            ),
            None => (
                format!("exit status {:?}", run.code),
                run.stderr.trim().to_string(),
            ),
        })
    };
    Ran { queries, outcome }
}

/// Every entry of the project's recording, through the binary (a few runs at a time: each
/// entry is a process of its own, on a database none of them changes), held against the gaps
/// list in the recording's order.
fn replay_project(p: &Project) {
    const RUNS_AT_ONCE: usize = 3;
    let Some(deployed) = deploy(p) else { return };
    let recording = project_recording(p);
    let preamble = recording["preamble"].as_str().unwrap_or_default();
    let entries = recording["entries"].as_array().unwrap();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut outcomes: Vec<(usize, Outcome)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..RUNS_AT_ONCE)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(entry) = entries.get(i) else {
                            return done;
                        };
                        let log = deployed.dir.path().join(format!("statements-{i}.jsonl"));
                        let expr = entry["expr"].as_str().unwrap();
                        let ran = run_in_project(&deployed, preamble, expr, &log);
                        done.push((i, compare(entry, ran)));
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    outcomes.sort_by_key(|(i, _)| *i);
    let mut tally = Tally::new(PROJECT_GAPS, support::gaps::read(PROJECT_GAPS, 3));
    for (i, outcome) in &outcomes {
        let entry = &entries[*i];
        let place = format!("{}.corpus line {}", p.name, entry["line"]);
        tally.add(p.name, &place, entry, outcome);
    }
    let pct = |n: usize| 100.0 * n as f64 / tally.total as f64;
    eprintln!(
        "{} ({}): {} entries, rows {} ({:.1}%), SQL {} ({:.1}%)",
        p.name,
        p.backend.name(),
        tally.total,
        tally.rows_ok,
        pct(tally.rows_ok),
        tally.sql_ok,
        pct(tally.sql_ok)
    );
    tally.write_report(p.name);
    tally.assert_as_listed();
}

fn project(name: &str) -> &'static Project {
    PROJECTS.iter().find(|p| p.name == name).unwrap()
}

#[test]
fn djq_in_mysite_answers_as_manage_py_shell_does() {
    replay_project(project("mysite"));
}

#[test]
fn djq_in_splitpg_answers_as_manage_py_shell_does_on_postgresql() {
    replay_project(project("splitpg"));
}

#[test]
fn djq_in_naivetz_answers_as_manage_py_shell_does_with_naive_datetimes() {
    replay_project(project("naivetz"));
}

/// Every recording holds exactly the lines of its corpus file: a corpus edited without
/// re-recording (tools/record_projects.py) fails here.
#[test]
fn every_project_corpus_line_is_recorded() {
    let mut problems = Vec::new();
    for p in PROJECTS {
        let path = format!("fixtures/projects/{}.corpus", p.name);
        let text = std::fs::read_to_string(support::root().join(&path)).unwrap();
        let recording = project_recording(p);
        assert_eq!(recording["corpus"], path.as_str());
        problems.extend(
            unmatched_lines(&text, &recording)
                .into_iter()
                .map(|problem| format!("{path}: {problem}")),
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The gaps list is well formed and every line names a recorded entry of a project.
#[test]
fn project_gaps_name_recorded_entries() {
    let problems = support::gaps::read(PROJECT_GAPS, 3).unrecorded(|label, expr| {
        (PROJECTS.iter())
            .any(|p| p.name == label && support::gaps::has_entry(&project_recording(p), expr))
    });
    assert!(
        problems.is_empty(),
        "{PROJECT_GAPS}:\n{}",
        problems.join("\n")
    );
}

/// `DJQ_STATEMENT_LOG` (what the replay above reads): one JSON line per statement the binary
/// ran, in order, with its parameters as the driver is given them.
#[test]
fn the_statement_log_holds_each_statement_run_with_its_parameters() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("statements.jsonl");
    let code = "Book.objects.filter(pages__gt=400).count()\nAuthor.objects.get(pk=1)";
    let run: support::Run = support::djq()
        .env(statement_log::VARIABLE, &log)
        .args(["--format", "json", "-c", code])
        .output()
        .expect("run djq")
        .into();
    assert_eq!(run.code, Some(0), "{}", run.stderr);
    let lines: Vec<Json> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines,
        [
            serde_json::json!({
                "sql": r#"SELECT COUNT(*) AS "__count" FROM "books_book" WHERE "books_book"."pages" > ?"#,
                "params": [400]
            }),
            serde_json::json!({
                "sql": r#"SELECT "books_author"."id", "books_author"."name", "books_author"."birth_date", "books_author"."biography" FROM "books_author" WHERE "books_author"."id" = ? LIMIT 21"#,
                "params": [1]
            }),
        ]
    );
}

/// The SQLite projects' own `db.sqlite3` (what `cd fixtures/projects/mysite && djq` opens)
/// holds what the dump the recordings were made on holds, table for table and row for row.
#[test]
fn the_committed_databases_hold_the_recorded_dumps() {
    fn tables(db: &rusqlite::Connection) -> Vec<(String, Vec<String>)> {
        let names: Vec<String> = db
            .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        names
            .into_iter()
            .map(|name| {
                let mut select = db
                    .prepare(&format!("SELECT * FROM \"{name}\" ORDER BY rowid"))
                    .unwrap();
                let columns = select.column_count();
                let rows = select
                    .query_map([], |r| {
                        let cells: Vec<String> = (0..columns)
                            .map(|i| format!("{:?}", r.get_ref(i).unwrap()))
                            .collect();
                        Ok(cells.join("|"))
                    })
                    .unwrap()
                    .map(Result::unwrap)
                    .collect();
                (name, rows)
            })
            .collect()
    }
    for p in PROJECTS.iter().filter(|p| p.backend == Backend::Sqlite) {
        let deployed = deploy(p).unwrap();
        let built = rusqlite::Connection::open(deployed.project.join("db.sqlite3")).unwrap();
        let committed = rusqlite::Connection::open_with_flags(
            root().join(p.name).join("db.sqlite3"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .unwrap();
        let (built, committed) = (tables(&built), tables(&committed));
        assert!(built.len() > 10, "{}: {} tables", p.name, built.len());
        assert!(
            built == committed,
            "{}/db.sqlite3 is not {}.sql: run tools/record_projects.py",
            p.name,
            p.name
        );
    }
}

/// What Django 6's `manage.py shell` auto-imports besides the models is in scope by name:
/// `settings`, `connection`, `models`, `functions`, `reset_queries`, `timezone`.
#[test]
fn the_shell_has_djangos_auto_imports_by_name() {
    let code = "[type(x).__name__ for x in (models, functions, timezone)]\n\
                connection.vendor\n\
                reset_queries()\n\
                functions.Lower('name') is not None and settings.USE_TZ";
    let (status, out, err) = djq(&["--format", "json", "-c", code]);
    assert_eq!(status, Some(0), "{err}");
    assert_eq!(
        out,
        "[\"module\",\"module\",\"module\"]\n\"sqlite\"\nnull\ntrue\n"
    );
}

/// The acceptance's pty test: `djq` with no arguments in (a copy of) mysite, the default
/// startproject layout, shows the project's banner and runs a query over a contrib model and
/// one of the project's own.
#[test]
fn the_repl_in_mysite_shows_the_project_banner_and_runs_queries() {
    let deployed = deploy(&PROJECTS[0]).expect("a SQLite project deploys");
    let mut repl = support::repl::Repl::start_in(&deployed.project, false, &[], &[]);
    let banner = repl.banner.clone();
    for part in [
        "project mysite (settings mysite.settings)",
        "database 'default': sqlite3 ",
        "db.sqlite3",
        // Django's `len(apps.get_app_configs())` and `len(apps.get_models())` for mysite.
        "9 apps, 13 models",
    ] {
        assert!(banner.contains(part), "{part}: {banner}");
    }
    let out = repl.run(
        "User.objects.filter(groups__name='Librarians').values_list('username', flat=True)",
        "row",
    );
    assert!(out.contains("INNER JOIN \"auth_user_groups\""), "{out}");
    let out = repl.run("Question.objects.count()", "1 query");
    assert!(
        out.lines().any(|l| l.trim().parse::<u32>().is_ok()),
        "{out}"
    );
}
