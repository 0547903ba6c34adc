//! django.contrib's apps built into djq (issue 17): their declarations as a project installs
//! them ([`contrib::installed`], with AUTH_USER_MODEL), a project's user model built on
//! AbstractUser, and auth's user manager and methods writing through djq's own PBKDF2 hasher
//! (what Django reads back is checked by the `contrib` conformance corpus, recorded from Django:
//! a Django-made hash with its raw password, and a djq-made hash Django accepted).

mod support;

use djq::schema::models_py::{self, ModelDecl};
use djq::schema::{FieldKind, Schema, contrib};
use std::process::Command;
use support::model;

const ACCOUNTS: &str = r#"
from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models


class Member(AbstractUser):
    phone = models.CharField(max_length=20, blank=True)


class Post(models.Model):
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
"#;

/// The project's declarations (an `accounts` app) and the contrib apps it installs.
fn project_schema(labels: &[&str], auth_user_model: &str) -> Schema {
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("accounts/models.py");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, ACCOUNTS).unwrap();
    let mut project: Vec<ModelDecl> = models_py::load(&[dir.path().to_path_buf()]).unwrap();
    let mut all = contrib::installed(labels, auth_user_model, &mut project);
    all.extend(project);
    models_py::schema_from_models(all).unwrap()
}

fn names(schema: &Schema) -> Vec<String> {
    (schema.models.iter())
        .map(|m| format!("{}.{} {}", m.app_label, m.name, m.table))
        .collect()
}

fn target(schema: &Schema, model: &str, field: &str) -> String {
    let m = model_in(schema, model);
    let f = m.fields.iter().find(|f| f.name.as_str() == field).unwrap();
    let to = schema.model(f.relation.as_ref().unwrap().to);
    format!("{}.{}", to.app_label, to.name)
}

fn model_in<'s>(schema: &'s Schema, qualified: &str) -> &'s djq::schema::Model {
    let (app, name) = qualified.split_once('.').unwrap();
    (schema.models.iter())
        .find(|m| m.app_label == app && m.name == name)
        .unwrap_or_else(|| panic!("no {qualified} among {:?}", names(schema)))
}

const USER_FIELDS: &[&str] = &[
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
    "date_joined",
];

#[test]
fn installed_contrib_apps_are_djangos_models_with_their_tables_and_relations() {
    let schema = project_schema(
        &[
            "admin",
            "auth",
            "contenttypes",
            "sessions",
            "sites",
            "flatpages",
            "redirects",
        ],
        "auth.User",
    );
    let tables: Vec<&str> = schema.models.iter().map(|m| m.table.as_str()).collect();
    for table in [
        "django_admin_log",
        "auth_permission",
        "auth_group",
        "auth_group_permissions",
        "auth_user",
        "auth_user_groups",
        "auth_user_user_permissions",
        "django_content_type",
        "django_session",
        "django_site",
        "django_flatpage",
        "django_flatpage_sites",
        "django_redirect",
    ] {
        assert!(tables.contains(&table), "{table} missing from {tables:?}");
    }
    let user = model_in(&schema, "auth.User");
    let fields: Vec<&str> = user.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fields, USER_FIELDS);
    let m2m: Vec<(&str, Option<&str>, Option<&str>)> = (user.m2m.iter())
        .map(|m| {
            (
                m.name.as_str(),
                m.related_name.as_deref(),
                m.related_query_name.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        m2m,
        [
            ("groups", Some("user_set"), Some("user")),
            ("user_permissions", Some("user_set"), Some("user"))
        ]
    );
    assert_eq!(
        model_in(&schema, "auth.Permission").ordering,
        ["content_type__app_label", "content_type__model", "codename"]
    );
    assert_eq!(
        model_in(&schema, "admin.LogEntry").ordering,
        ["-action_time"]
    );
    assert_eq!(target(&schema, "admin.LogEntry", "user"), "auth.User");
    assert_eq!(
        target(&schema, "admin.LogEntry", "content_type"),
        "contenttypes.ContentType"
    );
    assert_eq!(target(&schema, "redirects.Redirect", "site"), "sites.Site");
    assert_eq!(target(&schema, "accounts.Post", "author"), "auth.User");
    // the project's user model built on AbstractUser: every inherited field, then its own
    let member = model_in(&schema, "accounts.Member");
    let fields: Vec<&str> = member.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(fields, [USER_FIELDS, &["phone"]].concat());
    assert_eq!(member.fields[1].kind, FieldKind::CharField);
    let session = model_in(&schema, "sessions.Session");
    assert_eq!(session.fields[session.pk].name.as_str(), "session_key");
}

#[test]
fn a_custom_auth_user_model_replaces_auth_user_in_every_relation() {
    let schema = project_schema(&["admin", "auth", "contenttypes"], "accounts.Member");
    assert!(
        !(schema.models.iter()).any(|m| m.app_label == "auth" && m.name == "User"),
        "auth.User is swapped out: {:?}",
        names(&schema)
    );
    assert!(schema.find_table("auth_user").is_none());
    assert!(schema.find_table("auth_user_groups").is_none());
    assert!(schema.find_table("accounts_member_groups").is_some());
    assert_eq!(target(&schema, "admin.LogEntry", "user"), "accounts.Member");
    assert_eq!(
        target(&schema, "accounts.Post", "author"),
        "accounts.Member"
    );
    let group = model(&schema, "Group");
    let reverse: Vec<(&str, &str)> = (group.reverse.iter())
        .map(|r| (r.query_name.as_str(), r.accessor.as_str()))
        .collect();
    assert!(reverse.contains(&("user", "user_set")), "{reverse:?}");
}

/// djq on a copy of the `portal` fixture, running `code`; its stdout.
fn djq_on_portal(code: &[&str]) -> String {
    let dir = tempfile::TempDir::new().unwrap();
    let db = dir.path().join("portal.sqlite3");
    std::fs::copy(support::root().join("fixtures/portal/portal.sqlite3"), &db).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_djq"));
    cmd.arg(&db)
        .arg("--models")
        .arg(support::root().join("fixtures/portal/portal/models.py"))
        .arg("--no-color");
    for c in code {
        cmd.arg("-c").arg(c);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "djq failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn create_user_set_password_and_check_password_write_djangos_hashes() {
    let out = djq_on_portal(&[
        "u = User.objects.create_user('zoe', 'Zoe@EXAMPLE.Com', 'first-pw')",
        "u = User.objects.get(username='zoe')",
        "print(u.email, u.is_staff, u.is_superuser, u.has_usable_password())",
        "algorithm, iterations, salt, digest = u.password.split('$')",
        "print(algorithm, iterations, len(salt), len(digest))",
        "print(u.check_password('first-pw'), u.check_password('other'))",
        "u.set_password('second-pw')",
        "u.save()",
        "u = User.objects.get(username='zoe')",
        "print(u.check_password('first-pw'), u.check_password('second-pw'))",
        "u.set_unusable_password()",
        "print(u.has_usable_password(), u.password[0], len(u.password), u.check_password('second-pw'))",
        "s = User.objects.create_superuser('root', None, 'root-pw')",
        "print(s.is_staff, s.is_superuser, repr(s.email))",
        "print(User.objects.filter(username__in=['zoe', 'root']).count())",
    ]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        [
            "Zoe@example.com False False True",
            "pbkdf2_sha256 1500000 22 44",
            "True False",
            "False True",
            "False ! 41 False",
            "True True ''",
            "2",
        ]
    );
}

/// A hash Django made with 1,000 iterations (the `contrib` corpus records Django accepting it).
const OLD_HASH: &str =
    "pbkdf2_sha256$1000$AAAAAAAAAAAAAAAAAAAAAA$K4W9TCpSSujGSIDtl0D51YlE2o2cJci6Wmub69ZqqLo=";

#[test]
fn a_right_password_hashed_with_other_iterations_is_hashed_again_and_saved() {
    let out = djq_on_portal(&[
        &format!("n = User.objects.filter(username='bob').update(password='{OLD_HASH}')"),
        "u = User.objects.get(username='bob')",
        "print(u.check_password('wrong'), u.password.split('$')[1])",
        "print(u.check_password('pw'), u.password.split('$')[1])",
        "print(User.objects.get(username='bob').password.split('$')[1])",
        "print(u.check_password('pw'))",
    ]);
    assert_eq!(
        out.lines().collect::<Vec<_>>(),
        ["False 1000", "True 1500000", "1500000", "True"]
    );
}

#[test]
fn djangos_manager_errors_are_raised() {
    let dir = tempfile::TempDir::new().unwrap();
    let db = dir.path().join("portal.sqlite3");
    std::fs::copy(support::root().join("fixtures/portal/portal.sqlite3"), &db).unwrap();
    for (code, message) in [
        (
            "User.objects.create_user('')",
            "ValueError: The given username must be set",
        ),
        (
            "User.objects.create_superuser('x', is_staff=False)",
            "ValueError: Superuser must have is_staff=True.",
        ),
        (
            "from django.contrib.auth.hashers import make_password; make_password(1)",
            "TypeError: Password must be a string or bytes, got int.",
        ),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_djq"))
            .arg(&db)
            .args(["--no-color", "-c", code])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{code}: {stderr}");
    }
}

/// Outside a project, `settings.AUTH_USER_MODEL` names the user model `get_user_model()`
/// returns: Django's default `auth.User`, or the custom one a database shows.
#[test]
fn settings_auth_user_model_is_the_user_model_of_the_database() {
    let code = "from django.conf import settings; print(settings.AUTH_USER_MODEL)";
    assert_eq!(djq_on_portal(&[code]), "auth.User\n");
    let out = Command::new(env!("CARGO_BIN_EXE_djq"))
        .arg(support::root().join("fixtures/accounts/accounts.sqlite3"))
        .arg("--models")
        .arg(support::root().join("fixtures/accounts/accounts/models.py"))
        .args(["--read-only", "--no-color", "-c", code])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "accounts.User\n",
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
