"""BizPilot API entry point (trimmed to what the incident example needs).

Started on App Platform by the `api` service:
    gunicorn app.main:app --worker-class uvicorn.workers.UvicornWorker ...
The schema it relies on is created by the Alembic migrations in ../alembic;
the `release-migrate` PRE_DEPLOY job applies them before each rollout.
"""
import os

from fastapi import FastAPI
from sqlalchemy import create_engine, text

app = FastAPI(title="BizPilot API")

_engine = None


def engine():
    global _engine
    if _engine is None:
        _engine = create_engine(os.environ["DATABASE_URL"], pool_pre_ping=True)
    return _engine


@app.get("/api/health")
def health() -> dict:
    return {"status": "ok"}


@app.get("/api/v1/notifications/unread-count")
def unread_notifications(user_id: int) -> dict:
    # With the incident's database this fails with
    # `relation "notifications" does not exist`: alembic_version says
    # 018_add_notifications, but 017 and 018 were stamped, not run.
    with engine().connect() as conn:
        count = conn.execute(
            text("SELECT count(*) FROM notifications WHERE user_id = :uid AND NOT is_read"),
            {"uid": user_id},
        ).scalar_one()
    return {"unread": count}
