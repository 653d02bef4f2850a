"""Settings of the pretix history: pretix's own settings module (pretix.settings,
the one `python -m pretix migrate` uses), with the database taken from
DATABASE_URL and given to pretix the way pretix reads its configuration
(PRETIX_<SECTION>_<OPTION> environment variables, see pretix.helpers.config).
pretix runs on PostgreSQL and SQLite only (it exits on MySQL/MariaDB).
"""
import os
from urllib.parse import unquote, urlparse

_here = os.path.dirname(os.path.abspath(__file__))
_url = os.environ["DATABASE_URL"]
_u = urlparse(_url)
if _u.scheme.startswith("sqlite"):
    os.environ["PRETIX_DATABASE_BACKEND"] = "sqlite3"
    os.environ["PRETIX_DATABASE_NAME"] = _url.split("://", 1)[1][1:]
else:
    os.environ["PRETIX_DATABASE_BACKEND"] = "postgresql" if _u.scheme.startswith("postgres") else "mysql"
    os.environ["PRETIX_DATABASE_NAME"] = _u.path.lstrip("/")
    os.environ["PRETIX_DATABASE_USER"] = unquote(_u.username or "")
    os.environ["PRETIX_DATABASE_PASSWORD"] = unquote(_u.password or "")
    os.environ["PRETIX_DATABASE_HOST"] = _u.hostname or ""
    os.environ["PRETIX_DATABASE_PORT"] = str(_u.port or "")
os.environ.setdefault("PRETIX_PRETIX_DATADIR", os.path.join(_here, "data"))

from pretix.settings import *  # noqa: E402,F401,F403
