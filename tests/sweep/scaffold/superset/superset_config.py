"""Superset configuration of the superset history (SUPERSET_CONFIG_PATH): only the
metadata database, from DATABASE_URL (SQLAlchemy spelling), and the secret key
Superset refuses to start without.  `superset db upgrade` is Flask-Migrate's
`flask db upgrade` on Superset's own migrations directory and env.py.
"""
import os

SQLALCHEMY_DATABASE_URI = os.environ["DATABASE_URL"]
SECRET_KEY = "sweep-tests-only-0123456789abcdef"
