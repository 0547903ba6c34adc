"""Record what Django reads from the settings-case projects (fixtures/projects/settings_cases/).

For the project `basic` (made by `django-admin startproject`, with the app `notes`): migrate
a scratch copy, add a few notes, dump the database to `basic.sql` (the tests build their
SQLite file from it), then, for each settings module, run Django in that copy (from its
folder, as `manage.py shell` runs) and write what its settings decide to `expected.json`:
the database entries' ENGINE/NAME/USER/PASSWORD/HOST/PORT/OPTIONS (NAME as text, relative to
the project where it is inside it), INSTALLED_APPS, DEFAULT_AUTO_FIELD, AUTH_USER_MODEL,
TIME_ZONE, USE_TZ, the app labels and models Django loads, and `Note.objects.values()`.

Also records what dj-database-url and django-environ make of a list of database URLs
(`urls.json`), which tests/project_settings.rs compares djq's libraries with.

Run: tools/.venv/bin/python tools/record_settings_cases.py
"""

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CASES = HERE.parent / "fixtures" / "projects" / "settings_cases"
PYTHON = sys.executable

MODULES = ["basic.settings", "basic.split.dev", "basic.envsettings"]

URLS = [
    "sqlite:///db.sqlite3",
    "sqlite:////abs/path/db.sqlite3",
    "sqlite://:memory:",
    "postgres://user:p%40ss@db.example.com:5433/shop?sslmode=require&connect_timeout=5",
    "postgresql://app@localhost/shop",
    "postgres://%2Fvar%2Frun%2Fpostgresql/shop",
    "mysql://u:p@h:3306/db",
]

# Run inside the project copy by Django itself.
READ = r"""
import json, os, sys
import django
django.setup()
from django.conf import settings
from django.apps import apps
root = os.getcwd()
def text(v):
    v = str(v)
    return os.path.relpath(v, root) if os.path.isabs(v) and v.startswith(root) else v
dbs = {}
for alias, db in settings.DATABASES.items():
    dbs[alias] = {k: text(db.get(k, "")) for k in ["ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT"]}
    dbs[alias]["OPTIONS"] = {k: str(v) for k, v in db.get("OPTIONS", {}).items()}
from notes.models import Note
print(json.dumps({
    "databases": dbs,
    "installed_apps": list(settings.INSTALLED_APPS),
    "default_auto_field": settings.DEFAULT_AUTO_FIELD,
    "auth_user_model": settings.AUTH_USER_MODEL,
    "time_zone": settings.TIME_ZONE,
    "use_tz": settings.USE_TZ,
    "apps": [a.label for a in apps.get_app_configs()],
    "models": sorted(f"{m._meta.app_label}.{m.__name__}" for m in apps.get_models()),
    "notes": list(Note.objects.values()),
}))
"""

LIBS = r"""
import json, sys
import dj_database_url, environ
out = []
for url in json.loads(sys.argv[1]):
    keys = ["ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT"]
    dj = dj_database_url.parse(url)
    en = environ.Env.db_url_config(url)
    out.append({
        "url": url,
        "dj_database_url": {**{k: str(dj.get(k, "")) for k in keys}, "OPTIONS": {k: str(v) for k, v in dj.get("OPTIONS", {}).items()}},
        "environ": {**{k: str(en.get(k, "")) for k in keys}, "OPTIONS": {k: str(v) for k, v in en.get("OPTIONS", {}).items()}},
    })
print(json.dumps(out, indent=1))
"""


def run(code, cwd, module, env=None):
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": module, **(env or {})}
    environment.pop("DATABASE_URL", None)
    for k, v in (env or {}).items():
        environment[k] = v
    done = subprocess.run([PYTHON, "-c", code], cwd=cwd, env=environment, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{module}: {done.stderr}")
    return json.loads(done.stdout)


def main():
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "basic"
        shutil.copytree(CASES / "basic", project)
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "basic.settings", "PYTHONDONTWRITEBYTECODE": "1"}
        subprocess.run([PYTHON, "manage.py", "makemigrations", "notes", "-v0"], cwd=project, env=env, check=True)
        subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=project, env=env, check=True)
        shutil.copytree(project / "notes" / "migrations", CASES / "basic" / "notes" / "migrations", dirs_exist_ok=True)
        subprocess.run(
            [PYTHON, "manage.py", "shell", "-c",
             "from notes.models import Note\n"
             "Note.objects.create(title='buy milk')\n"
             "Note.objects.create(title='call Ada', pinned=True)\n"
             "Note.objects.create(title='água')\n"],
            cwd=project, env=env, check=True, capture_output=True)
        conn = sqlite3.connect(project / "db.sqlite3")
        # Tables come alphabetically: a table may come before the one its keys point at.
        (CASES / "basic.sql").write_text("PRAGMA foreign_keys=OFF;\n" + "\n".join(conn.iterdump()) + "\n")
        conn.close()
        expected = {m: run(READ, project, m) for m in MODULES}
    (CASES / "expected.json").write_text(json.dumps(expected, indent=1, ensure_ascii=False) + "\n")
    done = subprocess.run([PYTHON, "-c", LIBS, json.dumps(URLS)], capture_output=True, text=True, check=True)
    (CASES / "urls.json").write_text(done.stdout)


if __name__ == "__main__":
    main()
