"""Record what Django makes of fixtures/projects/shop: each model's `_meta.get_fields()`
(forward fields: concrete, many-to-many and private; not reverse relations), its managers and
the SQL of `Model._default_manager.all()`, and the SQLite DDL of its tables, for
tests/projects.rs.

    tools/.venv/bin/python tools/record_projects.py

django-taggit, django-mptt, django-treebeard and django-money are the real packages (installed
in the venv, see tools/README.md); the others are the stand-ins in fixtures/projects/stubs.
Writes
fixtures/projects/shop.django.json and fixtures/projects/shop.sqlite.sql.
"""

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "fixtures" / "projects"
sys.path[:0] = [str(ROOT / "shop"), str(ROOT / "stubs")]

import django  # noqa: E402
from django.conf import settings  # noqa: E402

APPS = ["core", "catalog", "catalog.reviews", "accounts", "pages", "api", "billing"]
settings.configure(
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "taggit", *APPS],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
    USE_TZ=True,
)
django.setup()

from django.apps import apps  # noqa: E402
from django.db import connection  # noqa: E402

labels = {apps.get_app_config(name.rsplit(".", 1)[-1]).label for name in APPS}
models = {}
for model in apps.get_models():
    if model._meta.app_label not in labels:
        continue
    fields = [
        {
            "name": f.name,
            "class": type(f).__name__,
            "column": f.column if f.concrete else None,
            "many_to_many": bool(f.many_to_many),
            "max_length": getattr(f, "max_length", None),
            "decimal": [f.max_digits, f.decimal_places] if hasattr(f, "decimal_places") else None,
        }
        for f in model._meta.get_fields()
        if not (f.auto_created and not f.concrete)
    ]
    models[model._meta.label] = {
        "table": model._meta.db_table,
        "fields": fields,
        # what the packages' managers add (django-mptt's TreeManager orders by the tree)
        "managers": [[m.name, type(m).__name__] for m in model._meta.managers],
        "default_manager": type(model._default_manager).__name__,
        "query": str(model._default_manager.all().query),
    }
(ROOT / "shop.django.json").write_text(json.dumps(models, indent=1, sort_keys=True) + "\n")

statements = []
with connection.schema_editor(collect_sql=True) as editor:
    for model in apps.get_models():
        editor.create_model(model)
    statements = editor.collected_sql
(ROOT / "shop.sqlite.sql").write_text("\n".join(statements) + "\n")
print(f"{len(models)} models")
