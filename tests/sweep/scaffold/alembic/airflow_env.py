"""Alembic env.py of the airflow history: Airflow's own env.py, run the way
`airflow db migrate` / `airflow db reset --use-migration-files` run it.

airflow.utils.db.upgradedb() sets AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_SIZE=1 and
reconfigures the ORM with a SingletonThreadPool before `command.upgrade`, so
that the revisions that open Airflow's ORM / FAB app (e.g. the permission
migrations importing airflow.www.app.cached_app) use the migration's own
connection.  Plain `alembic upgrade` with Airflow's env.py skips that and
deadlocks on PostgreSQL: the FAB session sits "idle in transaction" holding a
lock the migration's ALTER TABLE waits for.  Nothing else differs.
The database: AIRFLOW__DATABASE__SQL_ALCHEMY_CONN, or DATABASE_URL.
"""
import os

if os.environ.get("DATABASE_URL") and not os.environ.get("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"):
    os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = os.environ["DATABASE_URL"]
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_MAX_SIZE"] = "1"

import sqlalchemy.pool  # noqa: E402
from airflow import settings  # noqa: E402
import airflow.migrations  # noqa: E402

settings.reconfigure_orm(pool_class=sqlalchemy.pool.SingletonThreadPool)
_env = os.path.join(os.path.dirname(airflow.migrations.__file__), "env.py")
with open(_env) as f:
    exec(compile(f.read(), _env, "exec"))
