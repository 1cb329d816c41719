"""`earlyhelp serve --demo`: tiny synthetic England in each LA's warehouse, and demo users who
can click through at once."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .conftest import Visitor

pytestmark = pytest.mark.slow


def test_demo_users_see_their_areas(make_app):
    from earlyhelp.web.demo import DEMO_PASSWORD, load_demo

    app = make_app(worker_threads=0)
    users = load_demo(app.state.sessions, app.state.storage)
    # Tiny synthetic England has three LAs: an analyst each, a partner, a viewer, national, admin.
    analysts = [name for name, role, _ in users if role == "la_analyst"]
    assert len(analysts) == 3 and len(users) == 7
    assert load_demo(app.state.sessions, app.state.storage) == users  # a second start changes nothing
    las = [name.removeprefix("analyst-") for name in analysts]
    with TestClient(app) as client:
        national = Visitor(client)
        assert national.sign_in("national", DEMO_PASSWORD).status_code == 303
        home = national.get("/home").text
        assert all(f"/la/{code}" in home for code in las)
        for code in las:
            page = national.get(f"/la/{code}").text
            assert 'id="indicators"' in page
        national.post("/sign-out")
        analyst = Visitor(client)
        analyst.sign_in(analysts[0], DEMO_PASSWORD)
        assert analyst.get(f"/la/{las[1]}").status_code == 404
        assert analyst.get(f"/la/{las[0]}/submissions").status_code == 200
