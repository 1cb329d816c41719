"""The portal's fixtures: an app on SQLite and on PostgreSQL (skipped only when no server
answers), users of every role, and a client that signs in and carries the CSRF token."""

from __future__ import annotations

import io
import os
import re
import secrets
import time
import zipfile
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from earlyhelp.web.access import ADMIN, LA_ANALYST, NATIONAL_ANALYST, PARTNER_SUBMITTER, PARTNERSHIP_VIEWER

POSTGRES_URL = os.environ.get("EARLYHELP_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
LA_A = "E06000001"  # Hartlepool: the package's sample return is its
LA_B = "E06000002"
PASSWORD = "correct-horse-battery"
# user name -> (role, LAs)
USERS: dict[str, tuple[str, list[str]]] = {
    "analyst_a": (LA_ANALYST, [LA_A]),
    "analyst_b": (LA_ANALYST, [LA_B]),
    "partner_a": (PARTNER_SUBMITTER, [LA_A]),
    "viewer_a": (PARTNERSHIP_VIEWER, [LA_A]),
    "viewer_b": (PARTNERSHIP_VIEWER, [LA_B]),
    "national": (NATIONAL_ANALYST, []),
    "admin": (ADMIN, []),
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """SQLite in the test's data folder, or a PostgreSQL URL whose tables live in a schema of
    their own, dropped afterwards, so the tests share the server with anyone. Always explicit:
    an EARLYHELP_DATABASE_URL in the environment must not redirect a test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'portal' / 'portal.sqlite3'}"
        return
    if not _postgres_reachable():
        pytest.skip(f"no PostgreSQL answers at {POSTGRES_URL}")
    import psycopg

    schema = f"earlyhelp_web_test_{secrets.token_hex(6)}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f"DROP SCHEMA {schema} CASCADE")


@pytest.fixture
def make_app(tmp_path, database_url):
    from earlyhelp.web import Settings, create_app

    def make(**overrides):
        values = {
            "data_dir": tmp_path / "portal",
            "database_url": database_url,
            "secure_cookies": False,
            "secret_key": "test-secret-key-not-for-use",
            "worker_poll_seconds": 0.1,
        }
        values.update(overrides)
        return create_app(Settings(**values))

    return make


def add_users(app, names=tuple(USERS)) -> None:
    from earlyhelp.web.auth import add_user

    with app.state.sessions.begin() as session:
        for name in names:
            role, las = USERS[name]
            add_user(session, name, PASSWORD, role, las)


class Visitor:
    """A TestClient that remembers the last CSRF token it was given."""

    def __init__(self, client):
        self.client = client
        self.token = ""

    def get(self, url, **kwargs):
        response = self.client.get(url, **kwargs)
        found = CSRF.search(response.text) if response.headers.get("content-type", "").startswith("text/html") else None
        if found:
            self.token = found.group(1)
        return response

    def post(self, url, data=None, files=None, csrf=True, **kwargs):
        data = dict(data or {})
        if csrf:
            data.setdefault("csrf_token", self.token)
        return self.client.post(url, data=data, files=files, **kwargs)

    def sign_in(self, username, password=PASSWORD):
        self.get("/sign-in")
        return self.post("/sign-in", {"username": username, "password": password}, follow_redirects=False)

    def wait_for(self, url, timeout=30.0):
        """The submission page once it stops refreshing itself (the worker has finished)."""
        deadline = time.monotonic() + timeout
        while True:
            response = self.get(url)
            if "refresh" not in response.headers or time.monotonic() > deadline:
                return response
            time.sleep(0.1)


def sample_zip(change=None) -> bytes:
    """The package's sample return (LA_A's) as a zip; ``change(name, text) -> text`` edits a file."""
    from earlyhelp import sample

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for path in sorted(Path(sample.path()).glob("*.csv")):
            text = path.read_text(encoding="utf-8")
            bundle.writestr(path.name, change(path.name, text) if change else text)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch):
    """argon2 with the library's lightest settings: the tests sign in often, and what they check
    (a hash is stored, a wrong password fails) does not depend on the cost."""
    from argon2 import PasswordHasher

    from earlyhelp.web import auth

    monkeypatch.setattr(auth, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
