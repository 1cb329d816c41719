"""kill -9 of the worker mid-submission leaves no partial return: the LA's warehouse holds the
earlier version whole, the submission is picked up again on restart, and then the new version
is stored whole. The worker is ``earlyhelp serve``'s: a huey consumer in a process of its own,
so that it can really die (and take the task huey had handed it with it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from earlyhelp.web.models import Submission

from .conftest import LA_A, add_users, sample_zip

pytestmark = pytest.mark.slow

SRC = Path(__file__).resolve().parents[2] / "src"
WORKER = """
import os
import sys
from pathlib import Path
from earlyhelp.web.settings import Settings
from earlyhelp.web.worker import run_forever
settings = Settings(data_dir=Path(sys.argv[1]), database_url=sys.argv[2], secret_key="x", worker_poll_seconds=0.1)
run_forever(settings, os.getppid())
"""
FINISHED = ("accepted", "rejected", "failed")
# Version 2 differs from version 1 in its extract date only: what the warehouse holds says which.
V1_EXTRACT, V2_EXTRACT = "2023-06-30", "2023-07-31"


def second_version(name: str, text: str) -> str:
    return text.replace(V1_EXTRACT, V2_EXTRACT) if name == "returns.csv" else text


def queue(app, payload: bytes, filename: str) -> int:
    """What a request does: the row, the file, then the row queued and huey told."""
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
    app.state.worker.enqueue(number)
    return number


def run_worker(app, database_url, number: int, crash_at: str | None = None, kill_when_running: bool = False) -> int:
    """The worker's exit status: 0 when it finished the submission and then stopped when asked
    (SIGINT, huey's graceful stop), or how it died."""
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
    deadline = time.monotonic() + 120
    try:
        while process.poll() is None and time.monotonic() < deadline:
            with app.state.sessions() as session:
                submission = session.get(Submission, number)
                status, stage = submission.status, submission.stage
            if kill_when_running and stage == "Storing the return":
                # SIGKILL once the worker says it is storing the return (the load is under way).
                process.send_signal(signal.SIGKILL)
                break
            if status in FINISHED:
                process.send_signal(signal.SIGINT)
                break
            time.sleep(0.01)
        return process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def stored(app) -> tuple[list[str], int]:
    with duckdb.connect(str(app.state.storage.warehouse(LA_A)), read_only=True) as con:
        extracts = [str(row[0]) for row in con.execute("SELECT extract_date FROM returns ORDER BY 1").fetchall()]
        children = con.execute("SELECT count(*) FROM children").fetchone()[0]
    return extracts, children


def status_of(app, number: int) -> str:
    with app.state.sessions() as session:
        return session.get(Submission, number).status


def test_kill_9_mid_load_leaves_the_earlier_version_whole(make_app, database_url):
    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    first = queue(app, sample_zip(), "v1.zip")
    assert run_worker(app, database_url, first) == 0
    assert status_of(app, first) == "accepted"
    assert stored(app) == ([V1_EXTRACT], 40)  # the sample return: one LA, 40 children
    published_v1 = app.state.storage.published(LA_A).read_bytes()

    second = queue(app, sample_zip(second_version), "v2.zip")
    # Dies between the identity warehouse's commit and the analytic one's, as kill -9 would.
    assert run_worker(app, database_url, second, crash_at="identity-committed") == 137
    assert status_of(app, second) == "running"
    assert stored(app) == ([V1_EXTRACT], 40)
    assert app.state.storage.published(LA_A).read_bytes() == published_v1

    # A real SIGKILL as the restarted worker begins writing: still version 1 or version 2, whole.
    assert run_worker(app, database_url, second, kill_when_running=True) == -signal.SIGKILL
    assert status_of(app, second) == "running"
    assert stored(app) in (([V1_EXTRACT], 40), ([V2_EXTRACT], 40))

    # huey handed its task over as the check began, so it holds none now: the row is the record.
    assert app.state.worker.pending() == set()
    # Restarted: the interrupted submission is queued again and stored whole.
    assert run_worker(app, database_url, second) == 0
    assert status_of(app, second) == "accepted"
    assert stored(app) == ([V2_EXTRACT], 40)
    assert app.state.storage.published(LA_A).read_bytes() != b""
