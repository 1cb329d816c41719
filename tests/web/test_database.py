"""The Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL,
and an interrupted job goes back in the queue (huey's), once."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from .conftest import LA_A, add_users


def test_migrations_match_the_models(make_app):
    from earlyhelp.web.database import migrate, portal_tables
    from earlyhelp.web.models import Base

    app = make_app(worker_threads=0)
    engine = app.state.sessions.kw["bind"]
    migrate(engine)  # a second time: nothing to do, nothing fails
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_name": portal_tables})
        differences = compare_metadata(context, Base.metadata)
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
    worker = app.state.worker
    worker.recover()
    with app.state.sessions() as session:
        status = {s.id: s.status for s in session.query(Submission)}
    # 4's upload was cut off before it was queued: never processed, and said so.
    assert status == {1: "queued", 2: "failed", 3: "accepted", 4: "failed"}
    # huey lost 1's task when its process died (a task leaves the queue as it starts): it is
    # enqueued again, once however often a consumer starts.
    assert worker.pending() == {1}
    worker.recover()
    assert worker.huey.pending_count() == 1
    # Only one claimant wins a queued job: a check enqueued twice runs once.
    assert worker.claim(1) is True
    assert worker.claim(1) is False
    assert worker.check(1) is False


def test_a_queued_row_huey_never_heard_of_is_enqueued(make_app):
    """A web process killed between marking a row queued and enqueuing it loses nothing."""
    from earlyhelp.web.models import Submission

    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    with app.state.sessions.begin() as session:
        session.add(Submission(id=1, la_code=LA_A, user_id=1, filename="a.zip", status="queued"))
        session.add(Submission(id=2, la_code=LA_A, user_id=1, filename="b.zip", status="queued"))
    worker = app.state.worker
    worker.enqueue(2)
    assert worker.pending() == {2}
    # The sweep a consumer runs at start and every minute after (a huey periodic task).
    due = worker.huey.read_periodic(worker.huey._get_timestamp())
    assert [task.name for task in due] == ["enqueue_lost_submissions"]
    assert worker.enqueue_missing() == 1
    assert worker.pending() == {1, 2} and worker.huey.pending_count() == 2


def test_the_queue_is_sqlite_beside_the_database_or_in_postgresql(make_app, database_url):
    from earlyhelp.web.database import QUEUE_TABLES
    from earlyhelp.web.worker import QUEUE_FILE

    app = make_app(worker_threads=0)
    engine = app.state.sessions.kw["bind"]
    with engine.connect() as connection:
        tables = set(inspect(connection).get_table_names())
    queue_file = app.state.settings.data_dir / QUEUE_FILE
    if database_url.startswith("sqlite"):
        assert queue_file.exists() and not set(QUEUE_TABLES) & tables
    else:
        assert set(QUEUE_TABLES) <= tables
        assert not queue_file.exists()
