//! `cd myproject && djq`: a Django project found from the working folder and opened from its
//! own settings, run by djq's Python. The project `fixtures/projects/settings_cases/basic`
//! was made by `django-admin startproject` (with the app `notes`, and settings modules in
//! three styles: startproject's, split settings with dj-database-url, django-environ with a
//! `.env`); each test works on a copy, its SQLite file built from `basic.sql`. What Django
//! reads from each settings module, and what the two libraries make of database URLs, were
//! recorded from Django by `tools/record_settings_cases.py` (`expected.json`, `urls.json`).

mod support;

use djq::project::{self, Request, apps::App};
use serde_json::Value as Json;
use std::path::{Path, PathBuf};
use support::Run;

fn cases() -> PathBuf {
    support::root().join("fixtures/projects/settings_cases")
}

fn recorded(file: &str) -> Json {
    let text = std::fs::read_to_string(cases().join(file)).expect("recorded file");
    serde_json::from_str(&text).expect("recorded JSON")
}

/// A copy of the `basic` project with its database built: the folder (deleted when dropped)
/// and the project's root in it.
fn project() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let root = dir.path().join("basic");
    copy_tree(&cases().join("basic"), &root);
    let sql = std::fs::read_to_string(cases().join("basic.sql")).expect("basic.sql");
    let conn = rusqlite::Connection::open(root.join("db.sqlite3")).expect("new database");
    conn.execute_batch(&sql).expect("basic.sql runs");
    (dir, root)
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "__pycache__" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// djq run in `dir`, with no settings module or database from the caller's environment.
fn djq_in(dir: &Path) -> std::process::Command {
    let mut cmd = support::djq();
    cmd.current_dir(dir)
        .env_remove("DJANGO_SETTINGS_MODULE")
        .env_remove("NO_COLOR");
    cmd
}

fn run(cmd: &mut std::process::Command) -> Run {
    cmd.output().expect("run djq").into()
}

/// `Note.objects.values()` as JSON, run by djq in `dir` with `args`.
fn notes_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    run(djq_in(dir).envs(env.iter().copied()).args(args).args([
        "--format",
        "json",
        "-c",
        "Note.objects.values()",
    ]))
}

fn json(text: &str) -> Json {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// `text` relative to `root` when it is inside it (as the recording writes database names).
fn relative(text: &str, root: &Path) -> String {
    Path::new(text)
        .strip_prefix(root)
        .map_or_else(|_| text.to_string(), |p| p.display().to_string())
}

#[test]
fn each_settings_module_decides_what_django_reads_from_it() {
    let (_dir, root) = project();
    let root = std::fs::canonicalize(root).unwrap();
    let expected = recorded("expected.json");
    for (module, want) in expected.as_object().unwrap() {
        let request = Request {
            settings: Some(module.clone()),
            ..Request::default()
        };
        let p = project::load(&root, &request).unwrap_or_else(|d| panic!("{module}: {d:?}"));
        let s = &p.settings;
        let databases = s.databases.as_ref().expect("DATABASES evaluated");
        let want_dbs = want["databases"].as_object().unwrap();
        assert_eq!(databases.len(), want_dbs.len(), "{module}");
        for (alias, db) in databases {
            let db = db.as_ref().unwrap();
            let w = &want_dbs[alias];
            let got = [
                ("ENGINE", db.engine.clone()),
                ("NAME", relative(&db.name, &root)),
                ("USER", db.user.clone()),
                ("PASSWORD", db.password.clone()),
                ("HOST", db.host.clone()),
                ("PORT", db.port.clone()),
            ];
            for (key, value) in got {
                assert_eq!(value, w[key].as_str().unwrap(), "{module} {alias} {key}");
            }
            assert_eq!(db.options.len(), w["OPTIONS"].as_object().unwrap().len());
        }
        let installed: Vec<&str> = want["installed_apps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap())
            .collect();
        assert_eq!(s.installed_apps, installed, "{module}");
        assert_eq!(
            s.default_auto_field
                .as_deref()
                .unwrap_or("django.db.models.BigAutoField"),
            want["default_auto_field"],
            "{module}"
        );
        assert_eq!(s.auth_user_model, want["auth_user_model"], "{module}");
        assert_eq!(s.time_zone, want["time_zone"], "{module}");
        assert_eq!(s.use_tz, want["use_tz"], "{module}");
        // The apps in Django's order, under Django's labels.
        let labels: Vec<String> = p
            .apps
            .iter()
            .map(|a| match a {
                App::Project(app) => app.label.clone(),
                App::BuiltIn(label) => label.clone(),
                App::Unknown(entry) => panic!("{module}: {entry} not resolved"),
            })
            .collect();
        assert_eq!(labels, want["apps"].as_array().unwrap().clone(), "{module}");
        assert!(s.notes.is_empty(), "{module}: {:?}", s.notes);
        // The shell's settings: every upper-case name of plain data, nothing else.
        let names: Vec<&str> = s.values.iter().map(|(n, _)| n.as_str()).collect();
        for name in [
            "BASE_DIR",
            "INSTALLED_APPS",
            "DATABASES",
            "TIME_ZONE",
            "USE_TZ",
        ] {
            assert!(names.contains(&name), "{module}: {name} in {names:?}");
        }
        assert!(!names.contains(&"env"), "{module}: {names:?}");
    }
}

#[test]
fn djq_in_a_project_folder_or_below_it_shows_djangos_rows() {
    let (_dir, root) = project();
    let expected = recorded("expected.json");
    for dir in [
        root.clone(),
        root.join("notes"),
        root.join("notes/migrations"),
    ] {
        let r = notes_in(&dir, &[], &[]);
        assert_eq!(r.code, Some(0), "{}: {}", dir.display(), r.stderr);
        assert_eq!(json(&r.stdout), expected["basic.settings"]["notes"]);
    }
    // The settings module from --settings, or from DJANGO_SETTINGS_MODULE.
    let r = notes_in(&root, &["--settings", "basic.split.dev"], &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(json(&r.stdout), expected["basic.split.dev"]["notes"]);
    let r = notes_in(
        &root,
        &[],
        &[("DJANGO_SETTINGS_MODULE", "basic.envsettings")],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(json(&r.stdout), expected["basic.envsettings"]["notes"]);
    // --project from anywhere; --database picks another alias.
    let r = notes_in(
        &support::root(),
        &[
            "--project",
            root.to_str().unwrap(),
            "--settings",
            "basic.split.dev",
            "--database",
            "copy",
        ],
        &[],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(json(&r.stdout), expected["basic.split.dev"]["notes"]);
}

#[test]
fn in_a_project_the_settings_decide_the_database_not_database_url() {
    let (_dir, root) = project();
    let missing = root.join("missing.sqlite3");
    let env = [("DATABASE_URL", missing.to_str().unwrap())];
    let r = notes_in(&root, &[], &env);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    // Settings that read DATABASE_URL themselves get it (the environment wins over .env).
    let r = notes_in(
        &root,
        &["--settings", "basic.envsettings"],
        &[("DATABASE_URL", "sqlite:///missing.sqlite3")],
    );
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(r.stderr.contains("missing.sqlite3"), "{}", r.stderr);
    // --no-project: DATABASE_URL as outside a project.
    let r = notes_in(&root, &["--no-project"], &env);
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(r.stderr.contains("missing.sqlite3"), "{}", r.stderr);
}

#[test]
fn no_project_a_database_argument_or_models_open_what_they_name() {
    let (_dir, root) = project();
    // The demo library, as outside a project.
    let r = run(djq_in(&root).args([
        "--no-project",
        "--format",
        "json",
        "-c",
        "Author.objects.count()",
    ]));
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (Some(0), "70\n"),
        "{}",
        r.stderr
    );
    // The database named, read with the models named.
    let r = run(djq_in(&root).args([
        "db.sqlite3",
        "--models",
        "notes",
        "--format",
        "json",
        "-c",
        "Note.objects.count()",
    ]));
    assert_eq!(
        (r.code, r.stdout.as_str()),
        (Some(0), "3\n"),
        "{}",
        r.stderr
    );
    // The project's flags with a database argument: a usage error.
    let r = run(djq_in(&root).args(["db.sqlite3", "--settings", "basic.settings", "-c", "1"]));
    assert_eq!(r.code, Some(2), "{}", r.stderr);
    assert!(r.stderr.contains("cannot be combined"), "{}", r.stderr);
}

/// The project with `basic/settings.py` replaced by `text`.
fn with_settings(text: &str) -> (tempfile::TempDir, PathBuf) {
    let (dir, root) = project();
    std::fs::write(root.join("basic/settings.py"), text).unwrap();
    (dir, root)
}

const DATABASES: &str = "\nDATABASES = {'default': {'ENGINE': 'django.db.backends.sqlite3', \
                         'NAME': BASE_DIR / 'db.sqlite3'}}\n";

const HEAD: &str = "from pathlib import Path\nBASE_DIR = Path(__file__).resolve().parent.parent\n\
                    INSTALLED_APPS = ['notes']\n";

#[test]
fn a_setting_djq_cannot_evaluate_is_noted_with_its_line_and_left_out() {
    let text = format!(
        "{HEAD}import debug_toolbar\nLOGGING = make_logging()\nTIME_ZONE = 'Asia/Tokyo'\n\
         INSTALLED_APPS = ['notes', 'rest_framework']{DATABASES}"
    );
    let (_dir, root) = with_settings(&text);
    let r = notes_in(&root, &["--verbose"], &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(json(&r.stdout).as_array().unwrap().len(), 3);
    // Named from the working folder, as the user sees the file.
    for line in [
        "warning: basic/settings.py:4:8: ModuleNotFoundError: No module named 'debug_toolbar'",
        "warning: basic/settings.py:5:11: NameError: name 'make_logging' is not defined",
        "warning: INSTALLED_APPS: 'rest_framework' is an app djq does not know: its models are \
         not loaded",
    ] {
        assert!(r.stderr.contains(line), "{line}\n{}", r.stderr);
    }
    let p = project::load(&std::fs::canonicalize(&root).unwrap(), &Request::default()).unwrap();
    assert_eq!(p.settings.time_zone, "Asia/Tokyo");
    assert_eq!(p.settings.notes.len(), 2);
}

#[test]
fn databases_djq_cannot_evaluate_stops_it_with_the_line() {
    let text = format!("{HEAD}DATABASES = {{'default': {{'NAME': env_name()}}}}\n");
    let (_dir, root) = with_settings(&text);
    let r = notes_in(&root, &[], &[]);
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("error: NameError: name 'env_name' is not defined"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("basic.settings.DATABASES cannot be evaluated (raised at "),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("basic/settings.py:4:"), "{}", r.stderr);
}

#[test]
fn engines_djq_cannot_open_are_named() {
    for (engine, message) in [
        (
            "django.db.backends.mysql",
            "MySQL/MariaDB is not supported by djq yet",
        ),
        (
            "django.db.backends.oracle",
            "ENGINE 'django.db.backends.oracle' is not supported by djq",
        ),
    ] {
        let text =
            format!("{HEAD}DATABASES = {{'default': {{'ENGINE': '{engine}', 'NAME': 'x'}}}}\n");
        let (_dir, root) = with_settings(&text);
        let r = notes_in(&root, &[], &[]);
        assert_eq!(r.code, Some(1), "{}", r.stdout);
        assert!(r.stderr.contains(message), "{}", r.stderr);
    }
}

#[test]
fn an_alias_databases_lacks_is_djangos_connection_does_not_exist() {
    let (_dir, root) = project();
    let r = notes_in(&root, &["--database", "replica"], &[]);
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(
        r.stderr
            .contains("ConnectionDoesNotExist: The connection 'replica' doesn't exist."),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("defines: default"), "{}", r.stderr);
}

#[test]
fn a_settings_module_that_does_not_exist_is_named() {
    let (_dir, root) = project();
    let r = notes_in(&root, &["--settings", "basic.nowhere"], &[]);
    assert_eq!(r.code, Some(1), "{}", r.stdout);
    assert!(
        r.stderr.contains("No module named 'basic.nowhere'"),
        "{}",
        r.stderr
    );
}

#[test]
fn sqlite_options_init_command_runs_when_connecting() {
    // SQLite's LIKE ignores case unless the connection says otherwise.
    let count = |options: &str| {
        let text = format!(
            "{HEAD}DATABASES = {{'default': {{'ENGINE': 'django.db.backends.sqlite3', \
             'NAME': BASE_DIR / 'db.sqlite3', 'OPTIONS': {{{options}}}}}}}\n"
        );
        let (_dir, root) = with_settings(&text);
        let r = run(djq_in(&root).args([
            "--format",
            "json",
            "-c",
            "Note.objects.filter(title__contains='CALL').count()",
        ]));
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        r.stdout
    };
    assert_eq!(count("'timeout': 5"), "1\n");
    assert_eq!(
        count("'timeout': 5, 'init_command': 'PRAGMA case_sensitive_like = ON'"),
        "0\n"
    );
}

#[test]
fn database_urls_read_as_dj_database_url_and_django_environ_read_them() {
    let (_dir, root) = project();
    let urls = recorded("urls.json");
    let mut text = format!("{HEAD}import dj_database_url\nimport environ\nDATABASES = {{}}\n");
    for (i, case) in urls.as_array().unwrap().iter().enumerate() {
        let url = case["url"].as_str().unwrap();
        text += &format!(
            "DATABASES['dj{i}'] = dj_database_url.parse('{url}')\n\
             DATABASES['env{i}'] = environ.Env.db_url_config('{url}')\n"
        );
    }
    std::fs::write(root.join("basic/urls_settings.py"), text).unwrap();
    let s = project::settings::evaluate(&root, "basic.urls_settings").unwrap();
    assert!(s.notes.is_empty(), "{:?}", s.notes);
    let databases = s.databases.unwrap();
    for (i, case) in urls.as_array().unwrap().iter().enumerate() {
        for (prefix, lib) in [("dj", "dj_database_url"), ("env", "environ")] {
            let alias = format!("{prefix}{i}");
            let (_, db) = databases.iter().find(|(a, _)| *a == alias).unwrap();
            let db = db.as_ref().unwrap();
            let want = &case[lib];
            let got = [
                ("ENGINE", &db.engine),
                ("NAME", &db.name),
                ("USER", &db.user),
                ("PASSWORD", &db.password),
                ("HOST", &db.host),
                ("PORT", &db.port),
            ];
            for (key, value) in got {
                assert_eq!(
                    value,
                    want[key].as_str().unwrap(),
                    "{lib} {} {key}",
                    case["url"]
                );
            }
            let options: Vec<(String, String)> = want["OPTIONS"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_string()))
                .collect();
            assert_eq!(db.options, options, "{lib} {}", case["url"]);
        }
    }
}

#[test]
fn the_repl_in_a_startproject_project_shows_the_project_banner_and_runs_a_query() {
    let (_dir, root) = project();
    let mut repl = support::repl::Repl::start_in(&root, false, &[], &[]);
    let banner = repl.banner.clone();
    for part in [
        "project basic (settings basic.settings)",
        "database 'default': sqlite3 ",
        "db.sqlite3",
        "7 apps, ",
    ] {
        assert!(banner.contains(part), "{part}: {banner}");
    }
    let out = repl.run("Note.objects.filter(pinned=True)", "(1 row)");
    assert!(out.contains("call Ada"), "{out}");
    assert!(!out.contains("buy milk"), "{out}");
}

#[test]
fn a_postgresql_database_opens_from_its_settings() {
    let Some(server) = support::pg::server() else {
        return;
    };
    let url = server.fixture(support::DEMO_POSTGRES);
    let count = |text: &str| {
        let (_dir, root) = with_settings(text);
        run(djq_in(&root).args(["--format", "json", "-c", "Author.objects.count()"]))
    };
    // From a URL, then with the entry changed as settings change it (the old engine name,
    // OPTIONS, a TEST entry djq ignores).
    for text in [
        format!(
            "{HEAD}import dj_database_url\nDATABASES = {{'default': dj_database_url.parse('{url}')}}\n"
        ),
        format!(
            "{HEAD}import dj_database_url\nDATABASES = {{'default': dj_database_url.parse('{url}')}}\n\
             DATABASES['default']['ENGINE'] = 'django.db.backends.postgresql_psycopg2'\n\
             DATABASES['default']['OPTIONS'] = {{'connect_timeout': 5, 'application_name': 'djq'}}\n\
             DATABASES['default']['TEST'] = {{'NAME': 'ignored'}}\n"
        ),
    ] {
        let r = count(&text);
        assert_eq!(
            (r.code, r.stdout.as_str()),
            (Some(0), "70\n"),
            "{text}\n{}",
            r.stderr
        );
    }
    // USER, PASSWORD, HOST and PORT given apart log in as that role (which may not read the
    // library's tables: the server says so, after the login).
    if let Some((hostport, user, password)) = server.password_login() {
        let (host, port) = hostport.split_once(':').unwrap();
        let dbname = url.rsplit('/').next().unwrap().split('?').next().unwrap();
        let text = format!(
            "{HEAD}DATABASES = {{'default': {{'ENGINE': 'django.db.backends.postgresql', \
             'NAME': '{dbname}', 'USER': '{user}', 'PASSWORD': '{password}', 'HOST': '{host}', \
             'PORT': {port}, 'OPTIONS': {{'sslmode': 'disable'}}}}}}\n"
        );
        let r = count(&text);
        assert_eq!(r.code, Some(1), "{}", r.stdout);
        assert!(
            r.stderr.contains("permission denied for table"),
            "{}",
            r.stderr
        );
        let r = count(&text.replace(password, "wrong"));
        assert!(
            r.stderr.contains("password authentication failed"),
            "{}",
            r.stderr
        );
    }
}

#[test]
fn the_banner_names_the_database_and_never_its_password() {
    use djq::project::{database::describe, settings::Database};
    let db = Database {
        engine: "django.db.backends.postgresql".into(),
        name: "shop".into(),
        user: "app".into(),
        password: "S3CR3T".into(),
        host: "db.example.com".into(),
        port: "5433".into(),
        options: vec![("sslmode".into(), "require".into())],
    };
    assert_eq!(
        describe(&db),
        "postgresql app:********@db.example.com:5433/shop"
    );
    let url = djq::project::database::url(&db).unwrap().0;
    assert_eq!(
        url,
        "postgres://app:S3CR3T@db.example.com:5433/shop?sslmode=require"
    );
}

#[test]
fn a_settings_package_in_cookiecutter_style_opens_and_says_once_what_it_left_out() {
    let (_dir, root) = project();
    let package = root.join("config/settings");
    std::fs::create_dir_all(&package).unwrap();
    std::fs::write(root.join("config/__init__.py"), "").unwrap();
    std::fs::write(package.join("__init__.py"), "").unwrap();
    std::fs::write(
        package.join("base.py"),
        "from pathlib import Path\nimport environ\n\
         from django.utils.translation import gettext_lazy as _\n\
         BASE_DIR = Path(__file__).resolve(strict=True).parent.parent.parent\n\
         env = environ.Env()\n\
         DEBUG = env.bool('DJANGO_DEBUG', False)\n\
         LANGUAGES = [('en', _('English'))]\n\
         DATABASES = {'default': env.db('DJQ_TEST_NO_SUCH_URL', default=f'sqlite:///{BASE_DIR}/db.sqlite3')}\n\
         DATABASES['default']['ATOMIC_REQUESTS'] = True\n\
         INSTALLED_APPS = ['django.contrib.contenttypes']\n",
    )
    .unwrap();
    std::fs::write(
        package.join("local.py"),
        "from .base import *  # noqa\nfrom .base import env\n\
         SECRET_KEY = env('DJANGO_SECRET_KEY', default='x')\n\
         INSTALLED_APPS += ['notes', 'django_extensions']\n",
    )
    .unwrap();
    let r = notes_in(
        &root,
        &["--settings", "config.settings.local", "--verbose"],
        &[],
    );
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    assert_eq!(
        json(&r.stdout),
        recorded("expected.json")["basic.settings"]["notes"]
    );
    let said =
        "warning: config/settings/base.py:3:1: ModuleNotFoundError: No module named 'django'";
    assert_eq!(r.stderr.matches(said).count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("'django_extensions' is an app djq does not know"),
        "{}",
        r.stderr
    );
}
