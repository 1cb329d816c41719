"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and an interrupted job goes back in the queue."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from .conftest import LA_A, add_users


def test_migrations_match_the_models(make_app):
    from earlyhelp.web.database import migrate
    from earlyhelp.web.models import Base

    app = make_app(worker_threads=0)
    engine = app.state.sessions.kw["bind"]
    migrate(engine)  # a second time: nothing to do, nothing fails
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        tables = set(inspect(connection).get_table_names())
    assert differences == []
    assert {
        "users",
        "submissions",
        "findings",
        "audit_events",
        "sign_in_failures",
        "user_sessions",
        "alembic_version",
    } <= tables


def test_a_job_interrupted_mid_run_is_queued_again_then_given_up(make_app):
    from earlyhelp.web.models import Submission
    from earlyhelp.web.worker import MAX_ATTEMPTS

    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    with app.state.sessions.begin() as session:
        session.add(Submission(id=1, la_code=LA_A, user_id=1, filename="a.zip", status="running", attempts=1))
        session.add(
            Submission(id=2, la_code=LA_A, user_id=1, filename="b.zip", status="running", attempts=MAX_ATTEMPTS)
        )
        session.add(Submission(id=3, la_code=LA_A, user_id=1, filename="c.zip", status="accepted", attempts=1))
        session.add(Submission(id=4, la_code=LA_A, user_id=1, filename="d.zip", status="storing", attempts=0))
    app.state.worker.requeue_interrupted()
    with app.state.sessions() as session:
        status = {s.id: s.status for s in session.query(Submission)}
    # 4's upload was cut off before it was queued: never processed, and said so.
    assert status == {1: "queued", 2: "failed", 3: "accepted", 4: "failed"}
    # Only one claimant wins a queued job.
    assert app.state.worker.claim() == 1
    assert app.state.worker.claim() is None
