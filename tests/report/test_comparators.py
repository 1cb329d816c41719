"""One LA's CIN census alone, end to end: indicators with England and its region from DfE's
published figures, the LA report with its statistical neighbours, and the plain-English reasons
for every figure a CIN census cannot give.

The census is tiny synthetic England's Hartlepool (E06000001, DfE 805) for 2018-19, exported as
CIN census XML and ingested, as an analyst would with their own file.
"""

from __future__ import annotations

import csv

import lxml.html

from .conftest import earlyhelp

EARLY_HELP_REASON = "early help figures need an early help return: the CIN census and SSDA903 have no early help"
DFE_INDICATORS = {
    "referrals",
    "re_referral_pct",
    "cin_children",
    "cin_rate_per_10k",
    "cp_plans_started",
    "cp_second_plan_pct",
}


def test_england_and_region_are_dfes_published_figures_never_the_la_summed(indicators):
    _, rows = indicators
    areas = [r for r in rows if r["geographic_level"] != "Local authority"]
    published = {
        (r["geographic_level"], r["region_code"], r["indicator"]): r for r in areas if r["source"] == "published"
    }
    # Every indicator DfE publishes, for England and Hartlepool's region (North East), 2018-19 only.
    assert {(level, indicator) for level, _, indicator in published} == {
        (level, name) for level in ("National", "Regional") for name in DFE_INDICATORS
    }
    assert {region for _, region, _ in published} == {"", "E12000001"}
    assert {r["time_period"] for r in published.values()} == {"201819"}
    # DfE: 650,930 referrals in England in 2018-19, 22.6% of them re-referrals (Characteristics of
    # children in need 2019, table C1).
    assert published["National", "", "referrals"]["value"] == "650930"
    assert published["National", "", "re_referral_pct"]["value"] == "22.6"
    # The rest as computed from returns are x: one LA is never England or its region.
    computed = [r for r in areas if r["source"] == "returns"]
    assert computed and {r["value"] for r in computed} == {"x"}
    # The LA's own figures are its returns', and differ from England's.
    own = {r["indicator"]: r for r in rows if r["new_la_code"] == "E06000001" and r["breakdown"] == "Total"}
    assert {r["source"] for r in own.values()} == {"returns"}
    assert own["cin_children"]["value"].isdigit()
    assert own["cin_children"]["value"] != published["National", "", "cin_children"]["value"]


def test_published_rows_are_the_raw_published_figures_unchanged(indicators):
    from earlyhelp import reference

    _, rows = indicators
    raw = reference.published_figures()
    for row in (r for r in rows if r["source"] == "published"):
        level, region = row["geographic_level"], row["region_code"]
        match = raw[
            (raw["indicator"] == row["indicator"])
            & (raw["time_period"] == int(row["time_period"]))
            & (raw["geographic_level"] == level)
            & (raw["region_code"].fillna("") == region)
        ]
        assert len(match) == 1, row
        expected = match.iloc[0]
        assert (row["numerator"], row["denominator"], row["value"]) == (
            expected["numerator"],
            expected["denominator"],
            expected["value"],
        )


def test_cli_readme_and_notes_say_why_early_help_figures_are_missing(census, indicators):
    result, _ = indicators
    assert EARLY_HELP_REASON in result.stdout
    # Ingest adds the package's population, so the rate is computed and needs no reason.
    assert "population not supplied" not in result.stdout
    assert "does not reach back 365 days" in result.stdout  # re-referrals look back 12 months
    readme = (census / "ind" / "README.md").read_text(encoding="utf-8")
    assert f"Children in early help, 2018-19: {EARLY_HELP_REASON}" in readme
    with open(census / "ind" / "indicators_notes.csv", newline="", encoding="utf-8") as handle:
        notes = {(n["indicator"], n["scope"]): n for n in csv.DictReader(handle)}
    assert EARLY_HELP_REASON in notes["eh_children", "local authority"]["reason"]
    assert notes["eh_children", "local authority"]["time_periods"] == "201819"
    # Counted from referrals alone, a census gives the count of children in need: no reason.
    assert ("cin_children", "local authority") not in notes


def test_la_report_has_charts_neighbours_and_reasons(la_report):
    result, index = la_report
    assert result.returncode == 0, result.stderr
    tree = lxml.html.fromstring(index.read_text(encoding="utf-8"))
    drawn = {f.get("data-chart") for f in tree.xpath("//figure[@data-chart][.//*[local-name()='svg']]")}
    # The social care charts draw the LA's own figures where it has them and DfE's for the region
    # and England; the early help ones have nothing to draw.
    # Ingest adds the package's section 251 spend, so spend per child is drawn too.
    assert drawn == {
        "neighbours",
        "need-over-time",
        "re-referrals-over-time",
        "second-plans-over-time",
        "spend-by-region",
    }
    section = tree.get_element_by_id("neighbours")
    text = section.text_content()
    # Hartlepool's ten neighbours, nearest first (docs/compare.md).
    names = [th.text_content() for th in section.xpath(".//table[@data-table='neighbours-each']/tbody/tr/th")]
    assert names[0] == "1. South Tyneside" and names[-1] == "10. Stockton-on-Tees" and len(names) == 10
    assert "DfE published" in text and "2018-19" in text
    # England's referrals beside Hartlepool's: DfE's 650,930.
    summary = section.xpath(".//table[@data-table='neighbours']/tbody/tr")
    referrals = next(tr for tr in summary if tr.xpath("./th")[0].text_content().startswith("Referrals"))
    assert "650,930" in [td.text_content() for td in referrals.xpath("./td")]
    reasons = tree.get_element_by_id("not-computed").text_content()
    assert EARLY_HELP_REASON in reasons


def test_a_report_with_nothing_to_draw_exits_1_with_the_reason_unless_allowed(tmp_path):
    # A return naming Hartlepool for 2023-24 with no records at all: no figure, and DfE published
    # none for that year to compare with.
    data = tmp_path / "data"
    data.mkdir()
    (data / "returns.csv").write_text(
        "la_code,period_start,period_end,extract_date\nE06000001,2023-04-01,2024-03-31,2024-06-30\n", encoding="utf-8"
    )
    refused = earlyhelp("report", "--data", str(data), "--out", str(tmp_path / "site"), cwd=tmp_path)
    assert refused.returncode == 1
    assert "no chart" in refused.stderr and EARLY_HELP_REASON in refused.stderr
    assert "--allow-empty" in refused.stderr
    assert not (tmp_path / "site" / "index.html").exists()
    allowed = earlyhelp("report", "--data", str(data), "--out", str(tmp_path / "site"), "--allow-empty", cwd=tmp_path)
    assert allowed.returncode == 0, allowed.stderr
    assert EARLY_HELP_REASON in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
