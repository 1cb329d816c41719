"""The rendered page: every figure shown is the published one; hand-worked headline figures;
symbols shown and never plotted; self-contained; the CLI's options and errors."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import lxml.html
import pytest

from .conftest import published_rows

EXPECTED_CHARTS = {
    "reach-over-time",
    "prevention-ratio-over-time",
    "reach-funnel",
    "prevention-ratio-funnel",
    "missed-step-down",
    "after-early-help",
    "family-goals",
    "spend-by-region",
    "need-over-time",  # the fixture publishes cin_rate_per_10k (and no re-referrals or second plans)
}


def page(index: Path) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(index.read_text(encoding="utf-8"))


def text(element) -> str:
    return " ".join(element.text_content().split())


def card(tree, indicator: str):
    [found] = tree.xpath(f'//li[@class="card"][@data-indicator="{indicator}"]')
    return found


def assert_every_figure_is_published(index: Path, published_csv: Path) -> int:
    """Every cell or card tagged with a published figure shows exactly that figure."""
    rows = published_rows(published_csv)
    checked = 0
    for element in page(index).xpath("//*[@data-indicator][@data-field]"):
        key = tuple(
            element.get(name)
            for name in ("data-indicator", "data-time-period", "data-level", "data-area", "data-breakdown")
        )
        expected = rows[key][element.get("data-field")]
        shown = text(element)
        if "card__compare" in (element.get("class") or ""):
            shown = shown.split(": ", 1)[1]
        # Only thousands separators and units are added for reading.
        shown = re.sub(r" per 10,000$| days$| points$", "", shown).replace(",", "").strip("%£")
        assert shown == expected, (key, element.get("data-field"), shown, expected)
        checked += 1
    return checked


@pytest.mark.parametrize("site", ["england_site", "la_site"])
def test_every_figure_shown_equals_indicators_published(site, request, published_csv):
    index = request.getfixturevalue(site)
    assert assert_every_figure_is_published(index, published_csv) > 100


def test_england_headlines_are_the_published_latest_year_with_change_since_the_first(england_site):
    tree = page(england_site)
    reach = card(tree, "eh_reach_pct")
    assert text(reach.find_class("card__value")[0]) == "4.3%"
    assert text(reach.find_class("card__change")[0]) == "up 1.2 percentage points since 2015-16"
    ratio = card(tree, "prevention_ratio")
    # 517,000 / 706,830 = 0.7314 -> 0.73; 358,000 / 694,590 = 0.5154 -> 0.52; 0.73 - 0.52 = 0.21.
    assert text(ratio.find_class("card__value")[0]) == "0.73"
    assert text(ratio.find_class("card__change")[0]) == "up 0.21 since 2015-16"
    spend = card(tree, "ei_spend_per_child_real")
    assert text(spend.find_class("card__value")[0]) == "£218"
    assert text(spend.find_class("card__change")[0]) == "down £202 (-48%) since 2010-11"
    # 2019-20 is x (follow-up not over), so the headline is the last complete year, 2018-19.
    missed = card(tree, "missed_step_down")
    assert text(missed.find_class("card__value")[0]) == "64,000"
    assert text(missed.find_class("card__period")[0]) == "2018-19"


def test_la_headlines_compare_with_region_and_england(la_site):
    reach = card(page(la_site), "eh_reach_pct")
    assert text(reach.find_class("card__value")[0]) == "6.0%"
    assert text(reach.find_class("card__change")[0]) == "up 4.0 percentage points since 2015-16"
    assert [text(p) for p in reach.find_class("card__compare")] == ["North East: 4.8%", "England: 4.3%"]


def test_a_suppressed_latest_figure_is_shown_as_c_not_replaced_by_an_older_one(la_site):
    step_down = card(page(la_site), "step_down_pct")
    assert text(step_down.find_class("card__value")[0]) == "c"
    assert text(step_down.find_class("card__period")[0]) == "2019-20"
    assert not step_down.find_class("card__change")  # no change can be worked out from c
    assert [text(p) for p in step_down.find_class("card__compare")] == ["North East: 29.0%", "England: 28.0%"]


@pytest.mark.parametrize("site", ["england_site", "la_site"])
def test_every_chart_has_title_description_svg_table_and_notes(site, request):
    tree = page(request.getfixturevalue(site))
    figures = tree.xpath("//figure[@data-chart]")
    # An LA report also compares the LA with its statistical neighbours (Hartlepool's, here).
    expected = EXPECTED_CHARTS | ({"neighbours"} if site == "la_site" else set())
    assert {f.get("data-chart") for f in figures} == expected
    for figure in figures:
        chart_id = figure.get("data-chart")
        section = figure.getparent()
        assert text(section.xpath("./h2")[0]), chart_id
        assert text(section.find_class("description")[0]), chart_id
        [svg] = figure.xpath(".//*[local-name()='svg']")
        assert svg.get("role") == "img" and svg.get("aria-labelledby"), chart_id
        assert svg.xpath(".//*[local-name()='title']") and svg.xpath(".//*[local-name()='desc']"), chart_id
        tables = figure.xpath(".//table")
        assert len(tables) == (2 if chart_id == "neighbours" else 1), chart_id
        for table in tables:
            assert text(table.xpath("./caption")[0]), chart_id
            assert all(th.get("scope") == "col" for th in table.xpath("./thead/tr/th"))
            assert all(th.get("scope") == "row" for th in table.xpath("./tbody/tr/th"))
            assert table.xpath("./tbody/tr"), chart_id
        assert section.xpath(".//div[@class='notes']//li"), chart_id


def test_suppressed_figures_are_shown_as_symbols_and_not_plotted(la_site):
    tree = page(la_site)
    [city] = tree.xpath('//td[@data-indicator="eh_reach_pct"][@data-area="E09000001"][@data-field="value"]')
    [abbr] = city.xpath("./abbr")
    assert abbr.text == "c" and "confidentiality" in abbr.get("title")
    # Four LAs, one suppressed: three dots in the funnel plot.
    svg = (la_site.parent / "charts" / "reach-funnel.svg").read_text(encoding="utf-8")
    dots = re.search(r'class="mark-symbol role-mark[^"]*">(.*?)</g>', svg, re.S).group(1)
    assert dots.count("<path") == 3
    [hartlepool] = tree.xpath('//table[@data-table="reach-funnel"]//tr[th="Hartlepool"]/td[last()]')
    assert text(hartlepool) == "Above the 99.8% limit"
    # Family goals: the two suppressed headings are c in the table and not drawn as bars.
    goals = tree.xpath('//table[@data-table="family-goals"]//td[@data-field="value"][@data-area="E06000001"]')
    assert sorted(text(td) for td in goals).count("c") == 2


@pytest.mark.parametrize("site", ["england_site", "la_site"])
def test_element_ids_are_unique_and_every_reference_resolves(site, request):
    tree = page(request.getfixturevalue(site))
    ids = tree.xpath("//@id")
    assert len(ids) == len(set(ids))
    for refs in tree.xpath("//@aria-labelledby"):
        assert set(refs.split()) <= set(ids), refs
    for href in tree.xpath("//a/@href"):
        if href.startswith("#"):
            assert href[1:] in ids, href


def test_build_report_explains_when_the_indicators_stage_is_missing(monkeypatch, tmp_path):
    from earlyhelp.errors import EarlyhelpError
    from earlyhelp.report import build_report

    monkeypatch.setitem(sys.modules, "earlyhelp.indicators", None)  # import now fails
    with pytest.raises(EarlyhelpError, match="indicators stage is not available"):
        build_report(tmp_path, tmp_path / "site")


def test_the_site_is_self_contained(england_site):
    html = england_site.read_text(encoding="utf-8")
    assert "<script" not in html and "<link" not in html
    tree = page(england_site)
    assert not [src for src in tree.xpath("//@src") if "://" in src]
    assert (england_site.parent / "data" / "indicators_published.csv").is_file()
    assert {p.stem for p in (england_site.parent / "charts").glob("*.svg")} == EXPECTED_CHARTS


def run_cli(capsys, monkeypatch, *args: str) -> tuple[int, str, str]:
    """``earlyhelp report ...`` through the real console entry point, in this process."""
    from earlyhelp.cli import run

    monkeypatch.setattr(sys, "argv", ["earlyhelp", "report", *args])
    with pytest.raises(SystemExit) as exited:
        run()
    captured = capsys.readouterr()
    return exited.value.code, captured.out, captured.err


def test_cli_renders_an_existing_indicators_folder(published_csv, tmp_path, capsys, monkeypatch):
    code, out, err = run_cli(
        capsys,
        monkeypatch,
        "--indicators",
        str(published_csv.parent),
        "--out",
        str(tmp_path / "site"),
        "--la",
        "E06000002",
    )
    assert code == 0, err
    assert "index.html" in out
    assert "Early help in Middlesbrough" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "exactly one of --data"),
        (("--indicators", "no-such-folder"), "does not exist"),
        (("--indicators", "PUBLISHED", "--la", "E06999999"), "No local authority"),
    ],
)
def test_cli_errors_are_one_clear_message(args, message, published_csv, tmp_path, capsys, monkeypatch):
    args = tuple(str(published_csv.parent) if a == "PUBLISHED" else a for a in args)
    code, out, err = run_cli(capsys, monkeypatch, *args, "--out", str(tmp_path / "site"))
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out


def test_chart_labels_are_the_published_figures(england_site):
    # The England reach chart labels each point with its published value, oldest first.
    svg = (england_site.parent / "charts" / "reach-over-time.svg").read_text(encoding="utf-8")
    labels = re.search(r'class="mark-text role-mark[^"]*">(.*?)</g>', svg, re.S).group(1)
    shown = re.findall(r">([^<>]+)</text>", labels)
    # Fixture: 3.1 in 2015-16 and 4.3 in 2019-20 by hand, filler 22.0, 24.0, 26.0 between.
    assert shown == ["3.1%", "22.0%", "24.0%", "26.0%", "4.3%"]


def test_an_la_whose_figure_is_suppressed_is_reported_but_not_plotted(published_csv, tmp_path):
    from earlyhelp.report import render_report

    # City of London's 2019-20 reach is c in the fixture.
    index = render_report(published_csv, tmp_path / "site", la="E09000001")
    [desc] = page(index).xpath("//*[@id='reach-funnel-svg-desc']")
    assert desc.text.endswith("City of London is not plotted because its figure is not published.")
    assert text(card(page(index), "eh_reach_pct").find_class("card__value")[0]) == "c"
