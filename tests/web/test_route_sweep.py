"""Every route and method, as every role and as nobody: no way for one LA's users to read or
change another LA's data, none for an anonymous user, and no POST without the CSRF token.

The routes are enumerated from ``app.routes``; a route the sweep does not know fails the test,
so a new page cannot skip it. The access each user should have is written out by hand below,
not asked of ``earlyhelp.web.access``.
"""

from __future__ import annotations

import csv
import io
import itertools

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount

from .conftest import LA_A, LA_B, USERS, Visitor, add_users

# Distinctive text planted in each LA's data: its published figure (seen by whoever may view the
# LA), and each submission's file name and finding (seen only by whoever may read it). Submission
# 3 is a partner-outcome extract of LA_A's, by its partner; submission 4 that partner's identity
# extract, which the LA's own analyst may not read either.
FIGURE = {LA_A: "31337", LA_B: "42424"}
SUBMISSION_TEXT = {
    1: ("marker-a-upload", "MARKERA"),
    2: ("marker-b-upload", "MARKERB"),
    3: ("marker-p-upload", "MARKERP"),
    4: ("marker-i-upload", "MARKERI"),
}
SUBMISSION_OF = {1: LA_A, 2: LA_B, 3: LA_A, 4: LA_A}
PARTNER_KIND = {3: "partner_outcomes", 4: "partner_identities"}
ANONYMOUS = "anonymous"

# Who may see each LA's dashboard, and who may submit for it and read its submissions.
VIEWS = {
    "analyst_a": {LA_A},
    "analyst_b": {LA_B},
    "partner_a": {LA_A},
    "viewer_a": {LA_A},
    "viewer_b": {LA_B},
    "national": {LA_A, LA_B},
    "admin": set(),
}
SUBMITS = {
    "analyst_a": {LA_A},
    "analyst_b": {LA_B},
    "partner_a": {LA_A},
    "viewer_a": set(),
    "viewer_b": set(),
    "national": set(),
    "admin": set(),
}
# Which submissions each user may read: a partner only its partnership's partner extracts, not
# the LA's own returns; the LA's analyst not the partner's identity extract.
READS = {
    "analyst_a": {1, 3},
    "analyst_b": {2},
    "partner_a": {3, 4},
    "viewer_a": set(),
    "viewer_b": set(),
    "national": set(),
    "admin": set(),
}

# Every route of the app: (method, path) -> who may use it. "public": anyone; "signed-in": any user.
EXPECTED_ROUTES = {
    ("GET", "/"): "public",
    ("GET", "/sign-in"): "public",
    ("POST", "/sign-in"): "public",
    ("POST", "/sign-out"): "signed-in",
    ("GET", "/home"): "signed-in",
    ("GET", "/overview"): "signed-in",
    ("GET", "/la/{la_code}"): "views",
    ("GET", "/la/{la_code}/submissions"): "submits",
    ("POST", "/la/{la_code}/submissions"): "submits",
    ("GET", "/la/{la_code}/submissions/{submission_id}"): "submits-own",
    ("GET", "/la/{la_code}/submissions/{submission_id}/problems.csv"): "submits-own",
    ("GET", "/admin/audit"): "admin",
}
# Static files only: GOV.UK Frontend's built CSS, fonts and images, and the app's own CSS.
EXPECTED_MOUNTS = {"/assets", "/govuk", "/static"}


def allowed(rule: str, user: str, la_code: str | None, submission_id: int | None) -> bool:
    if rule == "public":
        return True
    if user == ANONYMOUS:
        return False
    if rule == "signed-in":
        return True
    if rule == "admin":
        return user == "admin"
    if rule == "views":
        return la_code in VIEWS[user]
    if rule == "submits":
        return la_code in SUBMITS[user]
    if rule == "submits-own":
        return la_code in SUBMITS[user] and SUBMISSION_OF[submission_id] == la_code and submission_id in READS[user]
    raise AssertionError(rule)


def plant(app) -> None:
    """Two LAs' submissions (with a finding each) and published results, each with its markers."""
    from earlyhelp.publish.conventions import PUBLISHED_COLUMNS
    from earlyhelp.web.models import Finding, Submission, User

    with app.state.sessions.begin() as session:
        ids = {u.username: u.id for u in session.query(User)}
        for number, la_code in SUBMISSION_OF.items():
            upload, words = SUBMISSION_TEXT[number]
            owner = "analyst_a" if la_code == LA_A else "analyst_b"
            partner = number in PARTNER_KIND
            session.add(
                Submission(
                    id=number,
                    la_code=la_code,
                    kind=PARTNER_KIND.get(number, "return"),
                    user_id=ids.get("partner_a", ids[owner]) if partner else ids[owner],
                    filename=f"{upload}.zip",
                    status="rejected",
                    stage="Not accepted",
                    outcome=f"{words} outcome",
                )
            )
            session.flush()
            session.add(
                Finding(
                    submission_id=number,
                    rule_id="value-code",
                    rule_title="Code not in the list",
                    severity="error",
                    rule_count=1,
                    location="children.csv line 2",
                    message=f"{words} finding",
                    hint="",
                )
            )
    for la_code, figure in FIGURE.items():
        row = dict.fromkeys(PUBLISHED_COLUMNS, "")
        row |= {
            "time_period": "202122",
            "geographic_level": "Local authority",
            "new_la_code": la_code,
            "la_name": f"LA {la_code}",
            "indicator": "re_referral_pct",
            "breakdown": "Total",
            "numerator": figure,
            "value": figure,
            "source": "returns",
        }
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=PUBLISHED_COLUMNS)
        writer.writeheader()
        writer.writerow(row)
        path = app.state.storage.published(la_code)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(buffer.getvalue())


def routes_of(app) -> tuple[dict[tuple[str, str], APIRoute], set[str]]:
    routes, mounts = {}, set()
    for route in app.routes:
        if isinstance(route, APIRoute):
            for method in route.methods - {"HEAD"}:
                routes[(method, route.path)] = route
        elif isinstance(route, Mount):
            mounts.add(route.path)
        else:
            raise AssertionError(f"a route of an unknown kind: {route!r}")
    return routes, mounts


def concrete_paths(path: str):
    las = [LA_A, LA_B] if "{la_code}" in path else [None]
    submissions = list(SUBMISSION_OF) if "{submission_id}" in path else [None]
    for la_code, submission_id in itertools.product(las, submissions):
        url = path.replace("{la_code}", la_code or "").replace("{submission_id}", str(submission_id))
        yield url, la_code, submission_id


def test_every_route_as_every_role(make_app):
    app = make_app(worker_threads=0, sign_in_attempts=1000)  # the sweep's own wrong sign-ins are many
    add_users(app)
    plant(app)
    routes, mounts = routes_of(app)
    print(
        "routes found:", ", ".join(f"{m} {p}" for m, p in sorted(routes)), "; static mounts:", ", ".join(sorted(mounts))
    )
    assert set(routes) == set(EXPECTED_ROUTES), "a route the sweep does not know: add it to EXPECTED_ROUTES"
    assert mounts == EXPECTED_MOUNTS

    checked = 0
    for user in [ANONYMOUS, *USERS]:
        client = TestClient(app)
        visitor = Visitor(client)
        if user != ANONYMOUS:
            assert visitor.sign_in(user).status_code == 303
        visitor.get("/home")
        # sign-out last: it ends the session the other requests need.
        for (method, path), rule in sorted(EXPECTED_ROUTES.items(), key=lambda item: item[0][1] == "/sign-out"):
            for url, la_code, submission_id in concrete_paths(path):
                may = allowed(rule, user, la_code, submission_id)
                # What the response may hold: only the LA of the URL (or, on pages of no LA, any
                # LA the user may see), and submissions only for those who submit for the LA.
                here = [la_code] if la_code else [LA_A, LA_B]
                views = VIEWS.get(user, set())
                reads = READS.get(user, set())
                forbidden = [FIGURE[c] for c in FIGURE if not (may and c in here and c in views)]
                forbidden += [
                    t
                    for number, texts in SUBMISSION_TEXT.items()
                    if not (may and SUBMISSION_OF[number] in here and number in reads)
                    for t in texts
                ]
                if method == "GET":
                    response = client.get(url, follow_redirects=False)
                else:
                    # Without the token first: refused whoever asks (anonymous users are sent to sign in).
                    bare = client.post(url, data={"username": "x", "password": "y"}, follow_redirects=False)
                    assert bare.status_code in (403, 404, 303), (user, method, url, bare.status_code)
                    if bare.status_code == 404:  # refused before the form is even read
                        assert not may
                    if bare.status_code == 303:
                        assert user == ANONYMOUS and bare.headers["location"] == "/sign-in"
                    visitor.get("/sign-in" if user == ANONYMOUS else "/home")
                    response = visitor.post(
                        url, {"username": "nobody", "password": "wrong-password"}, follow_redirects=False
                    )
                status = response.status_code
                if user == ANONYMOUS and not may:
                    assert status == 303 and response.headers["location"] == "/sign-in", (method, url, status)
                elif not may:
                    assert status == 404, (user, method, url, status)
                else:
                    assert status in (200, 303, 400), (user, method, url, status)
                leaked = [m for m in forbidden if m in response.text]
                assert leaked == [], (user, method, url, "shows data it should not")
                checked += 1
    print(f"requests checked: {checked}")
    # Nothing was created by all those POSTs: still the four planted submissions.
    from earlyhelp.web.models import Submission

    with app.state.sessions() as session:
        assert session.query(Submission).count() == len(SUBMISSION_OF)
    assert checked == (1 + len(USERS)) * sum(len(list(concrete_paths(p))) for _, p in EXPECTED_ROUTES)


def test_overview_shows_exactly_the_areas_the_user_may_see(make_app):
    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a", "viewer_a", "national", "analyst_b"])
    plant(app)
    seen = {}
    for user in ("viewer_a", "national", "analyst_b"):
        with TestClient(app) as client:
            visitor = Visitor(client)
            visitor.sign_in(user)
            page = visitor.get("/overview?indicator=re_referral_pct").text
            seen[user] = {code for code, figure in FIGURE.items() if figure in page}
    assert seen == {"viewer_a": {LA_A}, "national": {LA_A, LA_B}, "analyst_b": {LA_B}}


def test_static_mounts_serve_only_static_files(make_app):
    app = make_app(worker_threads=0)
    with TestClient(app) as client:
        assert client.get("/govuk/govuk-frontend.min.css").status_code == 200
        assert client.get("/static/app.css").status_code == 200
        assert client.get("/assets/images/favicon.ico").status_code == 200
        # Nothing outside their folders: the data folder stays out of reach.
        for url in ("/static/../portal.sqlite3", "/assets/../../../../portal.sqlite3", "/static/%2e%2e/secret_key"):
            assert client.get(url).status_code == 404
