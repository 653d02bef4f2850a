"""Alembic env.py of the sweep's Alembic histories that keep no env.py of their
own in the project: tests/fixtures/third_party/alembic/env.py (target_metadata
None, per-history options from the .ini's preflight.* keys), run unchanged,
after taking the database from DATABASE_URL when PREFLIGHT_DATABASE_URL is not
set (preflight's replay sets DATABASE_URL).  fetch.sh copies that file next to
this one as third_party_env.py.
"""
import os

if not os.environ.get("PREFLIGHT_DATABASE_URL") and os.environ.get("DATABASE_URL"):
    os.environ["PREFLIGHT_DATABASE_URL"] = os.environ["DATABASE_URL"]

# That env.py is written for SQLAlchemy 2 (it commits the connection).  A
# history whose package pins SQLAlchemy 1.4 (ckan 2.11) gets 1.4's 2.0-style
# engine, which behaves the same way: create_engine(..., future=True).
import sqlalchemy  # noqa: E402

if sqlalchemy.__version__.startswith("1."):
    _create_engine = sqlalchemy.create_engine
    sqlalchemy.create_engine = lambda *a, **kw: _create_engine(*a, **{"future": True, **kw})

_env = os.path.join(os.path.dirname(os.path.abspath(__file__)), "third_party_env.py")
with open(_env) as f:
    exec(compile(f.read(), _env, "exec"))
