"""The portal in headless Chromium (Debian's), on SQLite and PostgreSQL: sign in, upload a return
with errors, see the error summary linked to each problem, fix and resubmit, see the dashboard;
axe-core finds no serious or critical violation on any page visited. No JavaScript of the page's own."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from pathlib import Path

import pytest
from tests.browser import launched_chromium

from .conftest import LA_A, PASSWORD, add_users, sample_zip
from .test_submissions import planted_errors

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def served(app):
    """``app`` served by uvicorn on loopback, in a thread; yields its address."""
    import uvicorn

    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the portal did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=20)


@pytest.fixture
def live_portal(make_app):
    app = make_app(worker_poll_seconds=0.1, progress_refresh_seconds=1)
    add_users(app, ["analyst_a"])
    with served(app) as base:
        yield app, base


@pytest.fixture(scope="module")
def chromium():
    with launched_chromium() as browser:
        yield browser


def serious_violations(page, axe_script: Path) -> list[str]:
    page.add_script_tag(path=str(axe_script))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    return sorted(v["id"] for v in results["violations"] if v["impact"] in ("serious", "critical"))


def check_accessibility(page, axe_script: Path, visited: list[str]) -> None:
    page.add_script_tag(path=str(axe_script))
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in results["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == [], page.url
    visited.append(page.url)


def test_submit_fix_resubmit_and_see_the_dashboard(live_portal, chromium, tmp_path):
    app, base = live_portal
    axe_script = app.state.settings.assets_dir / "node_modules" / "axe-core" / "axe.min.js"
    assert axe_script.exists(), "run `make web-assets`"
    with_errors = tmp_path / "with-errors.zip"
    with_errors.write_bytes(sample_zip(planted_errors))
    fixed = tmp_path / "fixed.zip"
    fixed.write_bytes(sample_zip())
    visited: list[str] = []
    if True:
        browser = chromium
        # The pages forbid scripts (CSP script-src 'none'); the test's own axe-core needs the bypass.
        context = browser.new_context(bypass_csp=True, java_script_enabled=True)
        page = context.new_page()
        console_errors: list[str] = []
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        try:
            page.goto(base + "/")
            assert page.url.endswith("/sign-in")
            check_accessibility(page, axe_script, visited)
            page.get_by_label("User name").fill("analyst_a")
            page.get_by_label("Password").fill("wrong-password-here")
            page.get_by_role("button", name="Sign in").click()
            assert page.locator(".govuk-error-summary").is_visible()
            check_accessibility(page, axe_script, visited)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            assert page.url.endswith("/home")
            check_accessibility(page, axe_script, visited)

            page.get_by_role("link", name="Submit or see returns for Hartlepool").click()
            page.get_by_role("button", name="Submit return").click()  # no file chosen yet
            assert page.locator(".govuk-error-summary a[href='#return_file']").is_visible()
            check_accessibility(page, axe_script, visited)
            page.get_by_label("Upload a return").set_input_files(str(with_errors))
            page.get_by_role("button", name="Submit return").click()
            # The progress page refreshes itself (meta refresh) until the worker has finished.
            page.wait_for_selector(".govuk-error-summary", timeout=30_000)
            summary = page.locator(".govuk-error-summary__list a")
            assert summary.count() == 2
            assert summary.nth(0).inner_text() == "Code not in the list (2)"
            summary.nth(1).click()
            assert page.url.endswith("#rule-2")
            assert page.locator("#rule-2").is_visible()
            assert "Date not in the form YYYY-MM-DD" in page.locator("#rule-2").inner_text()
            check_accessibility(page, axe_script, visited)

            page.get_by_role("link", name="submit the return again").click()
            page.get_by_label("Upload a return").set_input_files(str(fixed))
            page.get_by_role("button", name="Submit return").click()
            page.wait_for_selector(".govuk-panel--confirmation", timeout=30_000)
            assert "Return accepted" in page.locator(".govuk-panel").inner_text()
            check_accessibility(page, axe_script, visited)
            page.get_by_role("link", name="See your results").click()
            assert page.url.endswith(f"/la/{LA_A}")
            assert page.locator("#indicators tbody tr").count() > 10
            check_accessibility(page, axe_script, visited)
            page.get_by_label("Year").select_option("202122")
            page.get_by_role("button", name="Show year").click()
            assert "2021-22" in page.locator("#indicators caption").inner_text()
            check_accessibility(page, axe_script, visited)
            page.screenshot(path=str(tmp_path / "dashboard.png"), full_page=True)
            page.goto(base + "/overview?indicator=cin_rate_per_10k")
            assert page.locator("#overview tbody tr").count() == 1
            check_accessibility(page, axe_script, visited)
        finally:
            context.close()
    # The two planted mistakes (a wrong password, no file chosen) are answered 400, as they should be.
    assert [e for e in console_errors if "status of 400" not in e] == []
    assert len([e for e in console_errors if "status of 400" in e]) == 2
    assert len(visited) == 9


def test_the_progress_page_can_be_told_to_stop_updating(make_app, chromium, tmp_path):
    # No worker: the submission stays queued, so the progress page stays as it is.
    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    axe_script = app.state.settings.assets_dir / "node_modules" / "axe-core" / "axe.min.js"
    upload = tmp_path / "return.zip"
    upload.write_bytes(sample_zip())
    with served(app) as base:
        context = chromium.new_context(bypass_csp=True)
        try:
            page = context.new_page()
            page.goto(base + "/sign-in")
            page.get_by_label("User name").fill("analyst_a")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.goto(f"{base}/la/{LA_A}/submissions")
            page.get_by_label("Upload a return").set_input_files(str(upload))
            with page.expect_response(lambda r: "/submissions/" in r.url and r.request.method == "GET") as shown:
                page.get_by_role("button", name="Submit return").click()
            # The page updates itself through a Refresh header while the return is checked, and
            # offers to stop that at its top (WCAG 2.2.1); no timed <meta> refresh in the markup.
            assert shown.value.headers.get("refresh") == str(app.state.settings.progress_refresh_seconds)
            assert page.locator("meta[http-equiv=refresh]").count() == 0
            assert serious_violations(page, axe_script) == []
            with page.expect_response(lambda r: "updates=off" in r.url) as stopped:
                page.get_by_role("link", name="Stop updating this page").click()
            assert "refresh" not in stopped.value.headers
            assert "Check the progress again" in page.content()
            assert serious_violations(page, axe_script) == []
        finally:
            context.close()
