"""Sign-in, sessions, CSRF, rate limiting, the users command and the audit log."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from .conftest import LA_A, PASSWORD, USERS, Visitor, add_users


def test_sign_in_sign_out_and_a_fresh_session(make_app):
    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    with TestClient(app) as client:
        visitor = Visitor(client)
        assert client.get("/home", follow_redirects=False).headers["location"] == "/sign-in"
        visitor.get("/sign-in")
        anonymous_token = visitor.token
        response = visitor.sign_in("analyst_a")
        assert response.status_code == 303 and response.headers["location"] == "/home"
        cookie = response.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        home = visitor.get("/home")
        assert "Signed in as analyst_a" in home.text and f"/la/{LA_A}" in home.text
        # A new CSRF token after signing in: a token planted before sign-in is worth nothing.
        assert visitor.token != anonymous_token
        assert visitor.post("/sign-out", follow_redirects=False).status_code == 303
        assert client.get("/home", follow_redirects=False).headers["location"] == "/sign-in"


def test_secure_cookie_when_not_on_loopback(make_app):
    app = make_app(worker_threads=0, secure_cookies=True)
    add_users(app, ["analyst_a"])
    with TestClient(app, base_url="https://portal.example") as client:
        response = Visitor(client).sign_in("analyst_a")
        assert "secure" in response.headers["set-cookie"].lower()


def test_wrong_password_and_the_rate_limit(make_app):
    app = make_app(worker_threads=0, sign_in_attempts=3)
    add_users(app, ["analyst_a"])
    with TestClient(app) as client:
        visitor = Visitor(client)
        wrong = visitor.sign_in("analyst_a", "not-the-password")
        assert wrong.status_code == 400
        assert 'class="govuk-error-summary"' in wrong.text and "Enter a correct user name and password" in wrong.text
        # Unknown name: the same answer, so names cannot be discovered.
        assert "Enter a correct user name and password" in visitor.sign_in("nobody", "whatever-password").text
        visitor.sign_in("analyst_a", "not-the-password")
        visitor.sign_in("analyst_a", "not-the-password")
        # Three failures for the name: even the right password is refused for the window.
        locked = visitor.sign_in("analyst_a", PASSWORD)
        assert locked.status_code == 429 and "too many attempts" in locked.text
        assert client.get("/home", follow_redirects=False).status_code == 303


def test_csrf_token_is_required_and_checked(make_app):
    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    with TestClient(app) as client:
        visitor = Visitor(client)
        visitor.get("/sign-in")
        no_token = client.post("/sign-in", data={"username": "analyst_a", "password": PASSWORD})
        assert no_token.status_code == 403
        forged = client.post("/sign-in", data={"username": "analyst_a", "password": PASSWORD, "csrf_token": "forged"})
        assert forged.status_code == 403
        assert visitor.sign_in("analyst_a").status_code == 303
        assert client.post("/sign-out", data={}).status_code == 403
        # Still signed in: the forged sign-out did nothing.
        assert "Signed in as analyst_a" in visitor.get("/home").text


def test_passwords_are_stored_as_argon2_hashes(make_app):
    from earlyhelp.web.models import User

    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    with app.state.sessions() as session:
        stored = session.scalar(select(User.password_hash).where(User.username == "analyst_a"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_users_add_command(tmp_path, monkeypatch, database_url):
    from click.testing import CliRunner

    from earlyhelp.web.cli import users

    monkeypatch.setenv("EARLYHELP_DATABASE_URL", database_url)
    runner = CliRunner()
    data = str(tmp_path / "portal")
    added = runner.invoke(
        users,
        ["add", "ann", "--role", "la_analyst", "--la", LA_A, "--data-dir", data],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert added.exit_code == 0, added.output
    assert "Added ann (la_analyst: E06000001)" in added.output
    twice = runner.invoke(
        users, ["add", "ANN", "--role", "admin", "--data-dir", data], input=f"{PASSWORD}\n{PASSWORD}\n"
    )
    assert twice.exit_code != 0 and "already a user called ANN" in str(twice.exception)
    two_las = runner.invoke(
        users,
        ["add", "bob", "--role", "la_analyst", "--la", LA_A, "--la", "E06000002", "--data-dir", data],
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    assert two_las.exit_code != 0 and "exactly one LA" in str(two_las.exception)
    short = runner.invoke(users, ["add", "cat", "--role", "admin", "--data-dir", data], input="short\nshort\n")
    assert short.exit_code != 0 and "at least 12 characters" in str(short.exception)


def test_audit_log_records_who_what_when_and_no_identifier(make_app):
    from .test_submissions import planted_errors, sample_zip, submit

    app = make_app()
    add_users(app, ["analyst_a", "admin"])
    with TestClient(app) as client:
        analyst = Visitor(client)
        analyst.sign_in("not-a-user", "wrong-password-1")
        analyst.sign_in("analyst_a")
        page = submit(analyst, LA_A, sample_zip(planted_errors))
        analyst.wait_for(page)
        analyst.get(f"{page}/problems.csv")
        analyst.post("/sign-out")
        admin = Visitor(client)
        admin.sign_in("admin")
        log = admin.get("/admin/audit")
        assert log.status_code == 200
    from earlyhelp.web.models import AuditEvent

    with app.state.sessions() as session:
        events = [(e.action, e.outcome, e.la_code) for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert events[:2] == [("sign-in", "failed", ""), ("sign-in", "ok", "")]
    actions = [action for action, _, _ in events]
    for expected in ("submit", "read-findings", "download-problems", "sign-out"):
        assert expected in actions
    # The page shows who and what; no child's record id reaches the log.
    assert "analyst_a" in log.text and "download-problems" in log.text
    assert "E06000001-C0" not in log.text and "not-a-user" not in log.text


def test_every_role_exists_in_the_fixture():
    from earlyhelp.web.access import ROLES

    assert {role for role, _ in USERS.values()} == set(ROLES)


def test_an_unexpected_fault_is_a_plain_error_page(make_app, monkeypatch):
    from earlyhelp.web import app as web_app

    def broken(*_args, **_kwargs):
        raise RuntimeError("E06000001-C0001 must never be shown")

    monkeypatch.setattr(web_app, "read_dashboard", broken)
    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    with TestClient(app, raise_server_exceptions=False) as client:
        visitor = Visitor(client)
        visitor.sign_in("analyst_a")
        page = visitor.get(f"/la/{LA_A}")
    assert page.status_code == 500
    assert "Sorry, there is a problem with the service" in page.text
    assert "E06000001-C0001" not in page.text and "RuntimeError" not in page.text


def _replay(app, cookie: str, url: str = "/home"):
    """``url`` fetched by a second browser holding only a copy of another's session cookie."""
    with TestClient(app) as thief:
        thief.cookies.set("earlyhelp_session", cookie)
        return thief.get(url, follow_redirects=False)


def test_a_copied_cookie_stops_working_once_its_session_signs_out(make_app):
    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    with TestClient(app) as client:
        visitor = Visitor(client)
        visitor.sign_in("analyst_a")
        copied = client.cookies["earlyhelp_session"]
        # The copy works while the session lives (so the refusal below is the sign-out's doing)...
        assert _replay(app, copied).status_code == 200
        visitor.get("/home")
        assert visitor.post("/sign-out", follow_redirects=False).status_code == 303
        # ...and is sent to sign in after it, on every kind of page.
        for url in ("/home", f"/la/{LA_A}", f"/la/{LA_A}/submissions"):
            replayed = _replay(app, copied, url)
            assert replayed.status_code == 303 and replayed.headers["location"] == "/sign-in", url


def test_signing_out_ends_only_that_session(make_app):
    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    with TestClient(app) as laptop, TestClient(app) as desktop:
        on_laptop, on_desktop = Visitor(laptop), Visitor(desktop)
        on_laptop.sign_in("analyst_a")
        on_desktop.sign_in("analyst_a")
        on_laptop.get("/home")
        on_laptop.post("/sign-out")
        assert laptop.get("/home", follow_redirects=False).status_code == 303
        assert desktop.get("/home", follow_redirects=False).status_code == 200


def test_disabling_a_user_ends_all_their_sessions(make_app, tmp_path, monkeypatch, database_url):
    from click.testing import CliRunner

    from earlyhelp.web.cli import users

    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a", "analyst_b"])
    with TestClient(app) as first, TestClient(app) as second, TestClient(app) as other:
        Visitor(first).sign_in("analyst_a")
        Visitor(second).sign_in("analyst_a")
        Visitor(other).sign_in("analyst_b")
        copied = first.cookies["earlyhelp_session"]
        monkeypatch.setenv("EARLYHELP_DATABASE_URL", database_url)
        disabled = CliRunner().invoke(users, ["disable", "ANALYST_A", "--data-dir", str(tmp_path / "portal")])
        assert disabled.exit_code == 0, disabled.output
        for client in (first, second):
            assert client.get("/home", follow_redirects=False).headers["location"] == "/sign-in"
        assert _replay(app, copied).headers["location"] == "/sign-in"
        assert other.get("/home", follow_redirects=False).status_code == 200
        # Nor can the disabled user sign in again.
        assert Visitor(TestClient(app)).sign_in("analyst_a").status_code == 400
    unknown = CliRunner().invoke(users, ["disable", "nobody", "--data-dir", str(tmp_path / "portal")])
    assert unknown.exit_code != 0 and "no user called nobody" in str(unknown.exception)


def test_an_expired_session_is_refused_by_the_server(make_app):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from earlyhelp.web.models import UserSession

    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    with TestClient(app) as client:
        Visitor(client).sign_in("analyst_a")
        assert client.get("/home", follow_redirects=False).status_code == 200
        with app.state.sessions.begin() as session:
            session.execute(update(UserSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
        assert client.get("/home", follow_redirects=False).headers["location"] == "/sign-in"


def test_the_database_keeps_only_a_hash_of_the_session_token(make_app):
    from earlyhelp.web.models import UserSession

    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    with TestClient(app) as client:
        Visitor(client).sign_in("analyst_a")
        with app.state.sessions() as session:
            stored = session.scalars(select(UserSession.token_hash)).all()
    assert len(stored) == 1 and len(stored[0]) == 64
