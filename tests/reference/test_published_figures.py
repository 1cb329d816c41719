"""The published DfE children-in-need figures shipped in the package, and naming an LA."""

from __future__ import annotations

import pytest

from earlyhelp import reference
from earlyhelp.errors import UsageError

# Codes the release uses in some years only: the predecessors of BCP and Dorset (to 2018-19) and
# the successors of Northamptonshire (2021-22).
REORGANISED = {"E06000028", "E06000029", "E10000009", "E06000058", "E06000059", "E10000021", "E06000061", "E06000062"}


def _cell(figures, indicator, period, la_code="", region_code="", level="Local authority"):
    row = figures[
        (figures["indicator"] == indicator)
        & (figures["time_period"] == period)
        & (figures["geographic_level"] == level)
        & (figures["la_code"] == la_code)
        & (figures["region_code"] == region_code)
    ]
    assert len(row) == 1, (indicator, period, la_code, region_code, level)
    return row.iloc[0]


def test_england_2021_22_as_in_the_release():
    figures = reference.published_figures()
    # Hand-read from the National 2022 rows of c1, b1 and d3 of the CIN release.
    referrals = _cell(figures, "referrals", 202122, level="National")
    assert (referrals["value"], referrals["numerator"], referrals["denominator"]) == ("650270", "650270", "z")
    re_referrals = _cell(figures, "re_referral_pct", 202122, level="National")
    assert (re_referrals["value"], re_referrals["numerator"], re_referrals["denominator"]) == (
        "21.5",
        "139500",
        "650270",
    )
    assert _cell(figures, "cin_children", 202122, level="National")["value"] == "710720"
    assert _cell(figures, "cin_rate_per_10k", 202122, level="National")["value"] == "587.7"
    second = _cell(figures, "cp_second_plan_pct", 202122, level="National")
    assert (second["value"], second["numerator"], second["denominator"]) == ("23.3", "14990", "64390")
    assert second["source"] == "DfE Children in need 2022 D3"


def test_an_la_and_a_region_as_in_the_release():
    figures = reference.published_figures()
    # Hartlepool (805), 2020 rows of c1, b1 and d1.
    hartlepool = {
        indicator: _cell(figures, indicator, 201920, "E06000001", "E12000001")["value"]
        for indicator in ("referrals", "re_referral_pct", "cin_children", "cin_rate_per_10k", "cp_plans_started")
    }
    assert hartlepool == {
        "referrals": "1554",
        "re_referral_pct": "18",
        "cin_children": "2394",
        "cin_rate_per_10k": "1193.8",
        "cp_plans_started": "233",
    }
    london = _cell(figures, "cin_children", 202122, region_code="E12000007", level="Regional")
    assert london["value"] == "123950"
    # Inner and Outer London are not ONS regions: their rows are left out, their LAs are in London.
    assert not figures["region_code"].str.startswith("E13").any()
    hackney = _cell(figures, "referrals", 202122, "E09000012", "E12000007")
    assert hackney["value"] == "x"  # Hackney made no 2021-22 return (cyber attack): kept as published


def test_symbols_are_kept_as_published():
    figures = reference.published_figures()
    # South Tyneside 2015-16: re-referrals ".." in c1; some LA's CP starts suppressed as "c".
    assert _cell(figures, "re_referral_pct", 201516, "E08000023", "E12000001")["value"] == ".."
    numeric = figures["value"].str.fullmatch(r"\d+(\.\d+)?")
    assert set(figures.loc[~numeric, "value"]) <= {"c", "x", "z", ".."}
    assert (figures["value"] == "c").any()


def test_every_la_every_year_and_nothing_else():
    figures = reference.published_figures()
    ours = set(reference.local_authorities()["la_code"])
    indicators = {"referrals", "re_referral_pct", "cin_children", "cin_rate_per_10k", "cp_plans_started"}
    indicators.add("cp_second_plan_pct")
    assert set(figures["indicator"]) == indicators
    assert set(figures["time_period"]) == {start * 100 + (start + 1) % 100 for start in range(2012, 2022)}
    local = figures[figures["geographic_level"] == "Local authority"]
    for (indicator, period), rows in local.groupby(["indicator", "time_period"]):
        codes = set(rows["la_code"])
        assert rows["la_code"].is_unique, (indicator, period)
        assert ours - REORGANISED <= codes, (indicator, period, sorted(ours - codes))
        assert codes <= ours | REORGANISED, (indicator, period, sorted(codes - ours))
    # Where the release uses today's codes every one of our 151 LAs is there.
    for period in (201920, 202021):
        assert set(local[local["time_period"] == period]["la_code"]) == ours
    regional = figures[figures["geographic_level"] == "Regional"]
    assert set(regional["region_code"]) == set(reference.local_authorities()["region_code"])
    assert len(figures[figures["geographic_level"] == "National"]) == 6 * 10


@pytest.mark.parametrize(
    "text",
    ["E06000001", "e06000001 ", "805", "Hartlepool", "HARTLEPOOL", " hartlepool"],
)
def test_resolve_la_takes_a_code_a_dfe_number_or_a_name(text):
    assert reference.resolve_la(text) == "E06000001"


def test_resolve_la_knows_names_as_people_type_them():
    assert reference.resolve_la("St Helens") == "E08000013"  # published "St. Helens"
    assert reference.resolve_la("Kingston upon Hull") == "E06000010"  # "Kingston upon Hull, City of"
    assert reference.resolve_la("city of bristol") == "E06000023"
    assert reference.resolve_la("Brighton & Hove") == "E06000043"


def test_resolve_la_lists_close_matches_when_nothing_matches():
    with pytest.raises(UsageError) as raised:
        reference.resolve_la("Hartlepol")
    assert "Hartlepol" in raised.value.message
    assert raised.value.hint is not None and "Hartlepool" in raised.value.hint
    with pytest.raises(UsageError) as raised:
        reference.resolve_la("999")
    assert raised.value.hint is not None and "805" in raised.value.hint
