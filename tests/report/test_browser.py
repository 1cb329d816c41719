"""The report in headless Chromium with the network off: no console errors, every chart drawn,
every chart with its table, no serious or critical axe-core violations, and a screenshot."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from tests.browser import launched_chromium

from . import analyses_fixture
from .test_report import EXPECTED_CHARTS, assert_every_figure_is_published

pytestmark = pytest.mark.browser


def _pipeline_available() -> bool:
    if importlib.util.find_spec("earlyhelp.indicators") is None:
        return False
    from earlyhelp import synth

    return hasattr(synth, "generate")


@pytest.fixture(scope="module")
def synthetic_site(tmp_path_factory) -> tuple[Path, Path]:
    """Tiny synthetic England -> build_report (which computes the indicators) -> the site."""
    if not _pipeline_available():
        pytest.skip("earlyhelp.synth.generate or earlyhelp.indicators is not in this checkout yet")
    from earlyhelp.report import build_report
    from earlyhelp.synth import generate

    root = tmp_path_factory.mktemp("synthetic")
    generate(root / "data", scale="tiny")
    index = build_report(root / "data", root / "site")
    # Only the published file (and its metadata) is carried into the site, never indicators.csv.
    assert sorted(p.name for p in (root / "site" / "data").iterdir()) == [
        "indicators_notes.csv",  # why figures are x: no figures
        "indicators_published.csv",
        "indicators_published.meta.csv",
    ]
    return index, root / "site" / "data" / "indicators_published.csv"


@pytest.fixture(scope="module")
def browser():
    with launched_chromium() as chromium:
        yield chromium


# Tiny synthetic England's 3 LAs are not England: its England figures are DfE's published ones,
# so only the children's social care charts are drawn for England; the others say there is nothing.
SYNTHETIC_ENGLAND_CHARTS = {"need-over-time", "re-referrals-over-time", "second-plans-over-time"}


def check_in_browser(browser, index: Path, screenshot: Path, drawn: set[str] = EXPECTED_CHARTS) -> None:
    """Every chart of ``drawn`` is drawn with its table; any other chart on the page says it has nothing."""
    from axe_playwright_python.sync_playwright import Axe

    console_errors: list[str] = []
    blocked: list[str] = []
    context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900})
    try:

        def only_files(route):
            if route.request.url.startswith("file://"):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        context.route("**/*", only_files)
        page = context.new_page()
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: console_errors.append(str(error)))
        page.goto(index.as_uri(), wait_until="load")

        charts = page.locator("figure[data-chart]")
        assert drawn <= {charts.nth(i).get_attribute("data-chart") for i in range(charts.count())}
        for i in range(charts.count()):
            chart = charts.nth(i)
            name = chart.get_attribute("data-chart")
            if name not in drawn:
                assert chart.locator(".chart__empty").count() == 1, f"{name} is drawn"
                continue
            svg = chart.locator("svg[role=img]")
            assert svg.count() == 1, f"{name} has no chart"
            box = svg.bounding_box()
            assert box and box["width"] > 200 and box["height"] > 100, f"{name} is not drawn"
            marks = svg.locator(".role-mark path, .role-mark rect, .role-mark line, .role-mark text")
            assert marks.count() > 0, f"{name} has no marks"
            tables = 2 if name == "neighbours" else 1
            assert chart.locator("table caption").count() == tables, f"{name} has no table"
            assert chart.locator("table tbody tr").count() > 0, f"{name}'s table is empty"

        page.screenshot(path=str(screenshot), full_page=True)
        # Console errors are collected before axe runs: axe's own CSS fetches on file:// are not
        # the page's errors.
        assert console_errors == []
        assert blocked == []

        results = Axe().run(page)
        serious = [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert serious == []
    finally:
        context.close()
    assert screenshot.stat().st_size > 50_000


def test_hand_made_la_report_in_chromium(browser, la_site, tmp_path):
    # The LA view: suppressed cells, a highlighted LA, region and England series.
    check_in_browser(browser, la_site, tmp_path / "report-la.png", EXPECTED_CHARTS | {"neighbours"})


def test_one_las_cin_census_report_with_neighbours_in_chromium(browser, la_report, tmp_path):
    # The LA report from a CIN census alone: DfE's England and region, the statistical neighbours'
    # section and the reasons early help figures are missing, with no axe violations. Ingest adds
    # the package's section 251 spend, so spend per child is drawn too.
    result, index = la_report
    assert result.returncode == 0, result.stderr
    drawn = SYNTHETIC_ENGLAND_CHARTS | {"neighbours", "spend-by-region"}
    check_in_browser(browser, index, tmp_path / "report-cin.png", drawn)


def test_synthetic_report_in_chromium(browser, synthetic_site, tmp_path):
    index, published = synthetic_site
    check_in_browser(browser, index, tmp_path / "report.png", SYNTHETIC_ENGLAND_CHARTS)
    assert assert_every_figure_is_published(index, published) > 50  # England: only what DfE publishes


# --- the analysis sections (hand-made evaluate, thresholds, fund and whatif folders) -----------------
@pytest.fixture(scope="module")
def analyses_site(published_csv, tmp_path_factory) -> Path:
    from earlyhelp.report import render_report

    folders = analyses_fixture.write(tmp_path_factory.mktemp("analyses"))
    site = tmp_path_factory.mktemp("site-analyses")
    return render_report(published_csv, site, la=analyses_fixture.HARTLEPOOL, analyses=folders)


def test_analysis_sections_in_chromium(browser, analyses_site, tmp_path):
    # Every chart of the page (the indicators' and the four analyses') is drawn with its table, and
    # axe-core finds no serious or critical violation on the whole page.
    check_in_browser(
        browser,
        analyses_site,
        tmp_path / "report-analyses.png",
        EXPECTED_CHARTS | {"neighbours"} | set(analyses_fixture.ANALYSIS_CHARTS),
    )
    context = browser.new_context(offline=True, viewport={"width": 1100, "height": 900})
    try:
        page = context.new_page()
        page.goto(analyses_site.as_uri(), wait_until="load")
        sections = page.locator("section[data-analysis]")
        assert [sections.nth(i).get_attribute("data-analysis") for i in range(sections.count())] == [
            "evaluation",
            "thresholds",
            "funding",
            "whatif",
        ]
        for i in range(sections.count()):
            section = sections.nth(i)
            name = section.get_attribute("data-analysis")
            assert section.is_visible(), name
            assert section.locator("h2").first.inner_text().strip(), name
            assert page.locator(f"nav.contents a[href='#{name}']").count() == 1, name
            assert section.locator("table caption").count() >= 1, name
            # Each chart's text alternative: the SVG is one image labelled by its own title and description.
            svgs = section.locator("figure svg[role=img]")
            assert svgs.count() >= 1, name
            for j in range(svgs.count()):
                svg = svgs.nth(j)
                title_id, desc_id = (svg.get_attribute("aria-labelledby") or "").split()
                assert len(svg.locator(f"[id='{title_id}']").text_content().strip()) > 5, name
                assert len(svg.locator(f"[id='{desc_id}']").text_content().strip()) > 20, name
        # Section headings are h2, chart headings inside them h3: the outline stays ordered.
        levels = page.eval_on_selector_all("main h1, main h2, main h3, main h4", "hs => hs.map(h => +h.tagName[1])")
        assert all(later - earlier <= 1 for earlier, later in zip(levels, levels[1:], strict=False))
        assert page.locator("#analyses-missing").count() == 0
    finally:
        context.close()
