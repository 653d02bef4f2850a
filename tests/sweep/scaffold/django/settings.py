"""Django settings of a sweep history (copied by tests/sweep/fetch.sh).

INSTALLED_APPS and the settings the history's apps insist on come from
sweep_apps.py, written per history by fetch.sh.  The database comes from
DATABASE_URL (dj-database-url spelling, as preflight's replay sets it):
  postgres://user:pass@host:port/db   mysql://user:pass@host:port/db   sqlite:////abs/path.db
MariaDB goes through PyMySQL installed as MySQLdb (no mysqlclient build).
"""
import os
from urllib.parse import unquote, urlparse

from sweep_apps import *  # noqa: F401,F403  INSTALLED_APPS, extras

SECRET_KEY = "tests-only"
USE_TZ = True
TIME_ZONE = "UTC"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "urls"
SITE_ID = 1
STATIC_URL = "/static/"
MEDIA_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "media")
if "DEFAULT_AUTO_FIELD" not in globals():
    DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
if "MIDDLEWARE" not in globals():
    MIDDLEWARE = []
if "TEMPLATES" not in globals():
    TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True,
                  "OPTIONS": {"context_processors": ["django.template.context_processors.request",
                                                     "django.contrib.auth.context_processors.auth",
                                                     "django.contrib.messages.context_processors.messages"]}}]

url = os.environ["DATABASE_URL"]
u = urlparse(url)
scheme = u.scheme.split("+")[0]
if scheme.startswith("sqlite"):
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": url.split("://", 1)[1][1:]}}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql" if scheme.startswith("postgres") else "django.db.backends.mysql",
            "NAME": u.path.lstrip("/"),
            "USER": unquote(u.username or ""),
            "PASSWORD": unquote(u.password or ""),
            "HOST": u.hostname or "",
            "PORT": str(u.port or ""),
        }
    }
    if scheme in ("mysql", "mariadb"):
        import pymysql

        pymysql.install_as_MySQLdb()
        DATABASES["default"]["OPTIONS"] = {"charset": "utf8mb4"}
