"""Single sign-on through an authenticating reverse proxy: the trusted user header, believed only
when the mode is on and the request comes from a trusted proxy address."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from earlyhelp.errors import UsageError

from .conftest import LA_A, LA_B, Visitor, add_users

HEADER = "X-Forwarded-User"
PROXY = ("10.1.2.3", 40000)
ELSEWHERE = ("192.0.2.9", 40000)


def proxy_events(app):
    from earlyhelp.web.models import AuditEvent

    with app.state.sessions() as session:
        return [
            (event.action, event.user_id, event.outcome)
            for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]


def user_id(app, name):
    from earlyhelp.web.models import User

    with app.state.sessions() as session:
        return session.scalar(select(User.id).where(User.username == name))


def test_header_ignored_when_the_mode_is_off(make_app):
    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    with TestClient(app, client=PROXY) as client:
        response = client.get("/home", headers={HEADER: "analyst_a"}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/sign-in"
        assert client.get(f"/la/{LA_A}", headers={HEADER: "analyst_a"}, follow_redirects=False).status_code == 303
    assert proxy_events(app) == []


def test_trusted_proxy_signs_in_the_named_user_with_the_portals_roles(make_app):
    app = make_app(worker_threads=0, trusted_user_header=HEADER, trusted_proxies=("10.1.2.0/24",))
    add_users(app, ["analyst_a"])
    with TestClient(app, client=PROXY) as client:
        visitor = Visitor(client)
        home = visitor.get("/home", headers={HEADER: "ANALYST_A"})
        assert home.status_code == 200 and "Signed in as analyst_a" in home.text
        # Roles and LAs are the portal's own: its LA, not another's.
        assert visitor.get(f"/la/{LA_A}", headers={HEADER: "analyst_a"}).status_code == 200
        assert visitor.get(f"/la/{LA_B}", headers={HEADER: "analyst_a"}).status_code == 404
        # Forms work: the proxy sign-in gave the session its CSRF token.
        assert visitor.token
    # One sign-in for the session, not one per request.
    assert proxy_events(app) == [("sign-in", user_id(app, "analyst_a"), "proxy")]


def test_header_from_any_other_address_is_ignored(make_app):
    app = make_app(worker_threads=0, trusted_user_header=HEADER, trusted_proxies=("10.1.2.3",))
    add_users(app, ["analyst_a"])
    with TestClient(app, client=ELSEWHERE) as client:
        response = client.get("/home", headers={HEADER: "analyst_a"}, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"] == "/sign-in"
    with TestClient(app) as client:  # the test client's own host is not an address at all
        assert client.get("/home", headers={HEADER: "analyst_a"}, follow_redirects=False).status_code == 303
    assert proxy_events(app) == []


def test_unknown_or_disabled_user_is_refused(make_app):
    from earlyhelp.web.auth import disable_user

    app = make_app(worker_threads=0, trusted_user_header=HEADER, trusted_proxies=("10.1.2.3",))
    add_users(app, ["analyst_a", "analyst_b"])
    with app.state.sessions.begin() as session:
        disable_user(session, "analyst_b")
    with TestClient(app, client=PROXY) as client:
        for name in ("somebody_else", "analyst_b"):
            refused = client.get("/home", headers={HEADER: name}, follow_redirects=False)
            assert refused.status_code == 403
            assert "You do not have an account for this service" in refused.text
            assert "Signed in as" not in refused.text
            assert client.get(f"/la/{LA_A}", headers={HEADER: name}, follow_redirects=False).status_code == 403
    assert [event for event in proxy_events(app) if event[0] == "sign-in"] == [("sign-in", None, "proxy-unknown")] * 4


def test_a_session_of_one_user_does_not_survive_the_proxy_naming_another(make_app):
    app = make_app(worker_threads=0, trusted_user_header=HEADER, trusted_proxies=("10.1.2.3",))
    add_users(app, ["analyst_a", "analyst_b"])
    with TestClient(app, client=PROXY) as client:
        assert "Signed in as analyst_a" in client.get("/home", headers={HEADER: "analyst_a"}).text
        assert "Signed in as analyst_b" in client.get("/home", headers={HEADER: "analyst_b"}).text
        assert client.get(f"/la/{LA_A}", headers={HEADER: "analyst_b"}).status_code == 404


def test_header_mode_needs_proxy_addresses():
    from earlyhelp.web import Settings

    with pytest.raises(UsageError):
        Settings(trusted_user_header=HEADER, secret_key="x")
    with pytest.raises(UsageError):
        Settings(trusted_user_header=HEADER, trusted_proxies=("not-an-address",), secret_key="x")


def test_serve_reads_the_mode_from_the_environment(monkeypatch, tmp_path):
    from earlyhelp.web import Settings

    monkeypatch.setenv("EARLYHELP_TRUSTED_USER_HEADER", HEADER)
    monkeypatch.setenv("EARLYHELP_TRUSTED_PROXIES", "127.0.0.1, 10.1.2.0/24")
    settings = Settings.from_env(tmp_path, secret_key="x", database_url="sqlite://")
    assert settings.trusted_user_header == HEADER
    assert settings.is_trusted_proxy("10.1.2.200") and settings.is_trusted_proxy("127.0.0.1")
    assert not settings.is_trusted_proxy("10.1.3.1") and not settings.is_trusted_proxy("testclient")
    monkeypatch.delenv("EARLYHELP_TRUSTED_USER_HEADER")
    assert Settings.from_env(tmp_path, secret_key="x", database_url="sqlite://").trusted_user_header is None
