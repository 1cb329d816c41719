"""kill -9 of the worker mid-submission leaves no partial return: the LA's warehouse holds the
earlier version whole, the submission is picked up again on restart, and then the new version
is stored whole. The worker runs in a process of its own so that it can really die."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from .conftest import LA_A, add_users, sample_zip

pytestmark = pytest.mark.slow

SRC = Path(__file__).resolve().parents[2] / "src"
WORKER = """
import sys
from pathlib import Path
from earlyhelp.web.database import make_engine, session_factory
from earlyhelp.web.settings import Settings
from earlyhelp.web.storage import Storage
from earlyhelp.web.worker import Worker
settings = Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2], secret_key="x")
worker = Worker(session_factory(make_engine(settings.database_url)), Storage(settings.data_dir))
worker.requeue_interrupted()
worker.run_one()
"""
# Version 2 differs from version 1 in its extract date only: what the warehouse holds says which.
V1_EXTRACT, V2_EXTRACT = "2023-06-30", "2023-07-31"


def second_version(name: str, text: str) -> str:
    return text.replace(V1_EXTRACT, V2_EXTRACT) if name == "returns.csv" else text


def queue(app, payload: bytes, filename: str) -> int:
    from earlyhelp.web.models import Submission

    with app.state.sessions.begin() as session:
        submission = Submission(la_code=LA_A, user_id=1, filename=filename, status="storing")
        session.add(submission)
        session.flush()
        number = submission.id
    path = app.state.storage.upload_path(number, filename)
    path.parent.mkdir(parents=True)
    path.write_bytes(payload)
    with app.state.sessions.begin() as session:
        session.get(Submission, number).status = "queued"
    return number


def run_worker(app, database_url, crash_at: str | None = None, kill_when_running: bool = False) -> int:
    env = dict(os.environ, PYTHONPATH=str(SRC))
    env.pop("EARLYHELP_TEST_CRASH_AT", None)
    if crash_at:
        env["EARLYHELP_TEST_CRASH_AT"] = crash_at
    process = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(app.state.settings.data_dir), database_url],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if kill_when_running:
        from earlyhelp.web.models import Submission

        deadline = time.monotonic() + 60
        # SIGKILL once the worker says it is storing the return (the load is under way).
        while process.poll() is None and time.monotonic() < deadline:
            with app.state.sessions() as session:
                storing = session.query(Submission).filter(Submission.stage == "Storing the return").count()
            if storing:
                process.send_signal(signal.SIGKILL)
                break
            time.sleep(0.01)
    return process.wait(timeout=120)


def stored(app) -> tuple[list[str], int]:
    with duckdb.connect(str(app.state.storage.warehouse(LA_A)), read_only=True) as con:
        extracts = [str(row[0]) for row in con.execute("SELECT extract_date FROM returns ORDER BY 1").fetchall()]
        children = con.execute("SELECT count(*) FROM children").fetchone()[0]
    return extracts, children


def status_of(app, number: int) -> str:
    from earlyhelp.web.models import Submission

    with app.state.sessions() as session:
        return session.get(Submission, number).status


def test_kill_9_mid_load_leaves_the_earlier_version_whole(make_app, database_url):
    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    first = queue(app, sample_zip(), "v1.zip")
    assert run_worker(app, database_url) == 0
    assert status_of(app, first) == "accepted"
    assert stored(app) == ([V1_EXTRACT], 40)  # the sample return: one LA, 40 children
    published_v1 = app.state.storage.published(LA_A).read_bytes()

    second = queue(app, sample_zip(second_version), "v2.zip")
    # Dies between the identity warehouse's commit and the analytic one's, as kill -9 would.
    assert run_worker(app, database_url, crash_at="identity-committed") == 137
    assert status_of(app, second) == "running"
    assert stored(app) == ([V1_EXTRACT], 40)
    assert app.state.storage.published(LA_A).read_bytes() == published_v1

    # A real SIGKILL as the restarted worker begins writing: still version 1 or version 2, whole.
    assert run_worker(app, database_url, kill_when_running=True) == -signal.SIGKILL
    assert status_of(app, second) == "running"
    assert stored(app) in (([V1_EXTRACT], 40), ([V2_EXTRACT], 40))

    # Restarted: the interrupted submission is queued again and stored whole.
    assert run_worker(app, database_url) == 0
    assert status_of(app, second) == "accepted"
    assert stored(app) == ([V2_EXTRACT], 40)
    assert app.state.storage.published(LA_A).read_bytes() != b""
