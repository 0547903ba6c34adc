"""Minimal settings for the djq fixture project.

Environment variables:
  DJQ_DB_BACKEND  "sqlite" (default) or "postgres" (tools/record.py --backend postgres and
                  tools/build_fixtures.py --postgres set it, on a throwaway cluster)
  DJQ_DB_PATH     SQLite database file (default: tools/djangoproj/db.sqlite3)
  DJQ_PG_NAME / DJQ_PG_HOST / DJQ_PG_PORT / DJQ_PG_USER / DJQ_PG_PASSWORD
                  PostgreSQL connection, when DJQ_DB_BACKEND=postgres (the session
                  time zone is UTC: Django sets it from USE_TZ/TIME_ZONE below)
  DJQ_TIME_ZONE / DJQ_USE_TZ
                  TIME_ZONE (default "UTC") and USE_TZ ("1", default, or "0"): the
                  time zone corpora (tools/record.py) set them; fixtures are built
                  with the defaults
  DJQ_APPS        comma-separated subset of the project apps to install
                  (default "books,blog,pgapp,shop,journal,managers,compositepk,tagging,fields,
                  inherit,recipes,multicol,clock,portal,accounts"); the fixture builder installs one app per database so that each
                  database only holds
                  its own tables and content types. `pgapp` (PostgreSQL-only
                  fields) brings django.contrib.postgres with it, `journal` (a
                  foreign key to AUTH_USER_MODEL) django.contrib.auth, `inherit` the
                  `core` app of abstract bases it imports, `recipes`
                  (TaggableManager) django-taggit's `taggit` app, `portal` the contrib apps
                  of startproject's settings that have models (auth, sessions, admin) and
                  sites, flatpages, redirects, `accounts` (a custom user model) sets
                  AUTH_USER_MODEL = "accounts.User" and installs auth, sessions and admin.
"""
import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = "djq-fixtures-not-secret"
DEBUG = False
ALLOWED_HOSTS = []

PROJECT_APPS = ["books", "blog", "pgapp", "shop", "journal", "managers", "compositepk", "tagging",
                "fields", "inherit", "recipes", "multicol", "clock", "portal", "accounts"]
_selected = [a for a in os.environ.get("DJQ_APPS", ",".join(PROJECT_APPS)).split(",") if a]
for _app in _selected:
    if _app not in PROJECT_APPS:
        raise RuntimeError(f"DJQ_APPS: unknown app {_app!r}")

INSTALLED_APPS = ["django.contrib.contenttypes", *_selected]
if "pgapp" in _selected:
    # ArrayField, the unaccent/trigram lookups and the extension migrations
    INSTALLED_APPS.insert(1, "django.contrib.postgres")
if "journal" in _selected:
    # Entry.author is a foreign key to settings.AUTH_USER_MODEL (auth's User)
    INSTALLED_APPS.insert(1, "django.contrib.auth")
if "recipes" in _selected:
    # django-taggit: its Tag and TaggedItem models and migrations
    INSTALLED_APPS.insert(1, "taggit")
if "portal" in _selected or "accounts" in _selected:
    # django.contrib's apps with models, in startproject's order, then (portal) sites and
    # the two apps built on it
    INSTALLED_APPS[:1] = [
        "django.contrib.admin",
        "django.contrib.auth",
        "django.contrib.contenttypes",
        "django.contrib.sessions",
        "django.contrib.messages",
    ]
    if "portal" in _selected:
        INSTALLED_APPS[5:5] = ["django.contrib.sites", "django.contrib.flatpages", "django.contrib.redirects"]
        SITE_ID = 1
    # what the admin's system checks ask for, as startproject writes it
    MIDDLEWARE = [
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.messages.middleware.MessageMiddleware",
    ]
    TEMPLATES = [{
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": [
            "django.template.context_processors.request",
            "django.contrib.auth.context_processors.auth",
            "django.contrib.messages.context_processors.messages",
        ]},
    }]
    INSTALLED_APPS = list(dict.fromkeys(INSTALLED_APPS))  # `journal` installs auth too
if "accounts" in _selected:
    AUTH_USER_MODEL = "accounts.User"
if "inherit" in _selected:
    # the abstract bases inherit's models import (`from core.models import Stamped, Owned`)
    INSTALLED_APPS.insert(INSTALLED_APPS.index("inherit"), "core")

_backend = os.environ.get("DJQ_DB_BACKEND", "sqlite")
if _backend == "sqlite":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("DJQ_DB_PATH", str(BASE_DIR / "db.sqlite3")),
        }
    }
elif _backend == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("DJQ_PG_NAME", "djq"),
            "HOST": os.environ.get("DJQ_PG_HOST", "localhost"),
            "PORT": os.environ.get("DJQ_PG_PORT", "5432"),
            "USER": os.environ.get("DJQ_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("DJQ_PG_PASSWORD", ""),
        }
    }
else:
    raise RuntimeError(f"DJQ_DB_BACKEND: unknown backend {_backend!r}")

# DJQ_USE_TZ ("1"/"0") and DJQ_TIME_ZONE: the time zone corpora's own settings (tools/record.py's
# CORPORA "settings"); by default USE_TZ = True in UTC, as every fixture database is built.
USE_TZ = os.environ.get("DJQ_USE_TZ", "1") == "1"
TIME_ZONE = os.environ.get("DJQ_TIME_ZONE", "UTC")
USE_I18N = False
LANGUAGE_CODE = "en-us"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
