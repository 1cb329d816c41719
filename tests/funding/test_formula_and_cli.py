"""The formula file and the `earlyhelp fund` command."""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from earlyhelp import reference
from earlyhelp.errors import UsageError
from earlyhelp.funding.cli import fund
from earlyhelp.funding.formula import default_formula_text, parse_formula
from earlyhelp.funding.inputs import allocation_inputs


def test_the_shipped_formula_reads_as_documented():
    formula = parse_formula(default_formula_text())
    assert formula.pot == 2_364_000_000 and formula.data_year == 202122
    assert formula.weights == {"children": 0.5, "deprivation": 0.3, "interventions": 0.2}
    assert formula.interventions == {"cin": 1.0, "cp": 1.0, "cla": 1.0}
    assert (formula.floor_change_pct, formula.cap_gain_pct) == (-10.0, 25.0)
    assert formula.aca_default == 1.0 and formula.aca == {}
    assert formula.deprivation_measure == "idaci"


def test_every_la_has_the_allocation_inputs_of_the_default_year_including_child_poverty():
    inputs = allocation_inputs(202122)
    assert len(inputs) == 151 and not inputs.isna().any().any()
    # Isles of Scilly has no DWP figure for 2021-22: its 2020-21 figure stands in.
    scilly = reference.child_poverty().query("la_code == 'E06000053'")
    assert 202122 not in set(scilly["time_period"])
    expected = scilly.sort_values("time_period")["children_low_income"].iloc[-1]
    assert inputs.set_index("la_code").loc["E06000053", "children_low_income"] == expected


def test_a_formula_sets_area_cost_adjustments_per_la_and_may_omit_damping():
    formula = parse_formula(
        "pot = 5\ndata_year = 201920\n[weights]\nchildren = 1\n[area_cost_adjustment]\ndefault = 1.1\nE09000001 = 1.3\n"
    )
    assert formula.aca_default == 1.1 and formula.aca == {"E09000001": 1.3}
    assert formula.floor_change_pct is None and formula.cap_gain_pct is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("pot = 5\ndata_year = 202122\n[weights]\nchildern = 1\n", "unknown keys"),
        ("pot = 5.5\ndata_year = 202122\n[weights]\nchildren = 1\n", "whole number"),
        ("pot = 5\ndata_year = 202123\n[weights]\nchildren = 1\n", "financial year"),
        ("pot = 5\ndata_year = 202122\n[weights]\nchildren = 0\n", "not all 0"),
        (
            "pot = 5\ndata_year = 202122\n[weights]\nchildren = 1\n[damping]\nfloor_change_pct = 5\n",
            "between -100 and 0",
        ),
        ("pot = 5\ndata_year = 202122\n", "no `weights`"),
        ("pot = ", "not valid TOML"),
        ('pot = 5\ndata_year = 202122\ndeprivation_measure = "imd"\n[weights]\nchildren = 1\n', "deprivation_measure"),
    ],
)
def test_a_wrong_formula_is_a_usage_error_naming_the_problem(text, message):
    with pytest.raises(UsageError, match=message):
        parse_formula(text)


def _read(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_fund_writes_its_files_protects_the_folder_and_reproduces_from_its_formula(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(fund, ["--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "ei_real_change_pct_201011_201920: -44.11 (published -48)" in result.output
    assert sorted(p.name for p in out.iterdir()) == [
        ".earlyhelp-fund.json",
        "allocation.csv",
        "allocation_detail.csv",
        "allocation_sensitivity.csv",
        "ei_spend_by_la.csv",
        "ei_spend_by_quintile.csv",
        "formula.toml",
        "funding.md",
        "funding.xlsx",
        "funding_allocation.svg",
        "funding_summary.csv",
        "restore_cost_by_la.csv",
    ]
    allocation = _read(out / "allocation.csv")
    assert list(allocation[0]) == ["la_code", "share", "amount", "current_spend", "change"]
    assert len(allocation) == 151 and sum(int(r["amount"]) for r in allocation) == 2_364_000_000
    summary = _read(out / "funding_summary.csv")
    assert list(summary[0]) == ["measure", "value", "unit", "published_value", "source", "method"]
    svg = (out / "funding_allocation.svg").read_text(encoding="utf-8")
    assert '<svg role="img"' in svg and "<title" in svg and "<desc" in svg
    assert "no suppression is needed" in (out / "funding.md").read_text(encoding="utf-8")

    # A folder that holds the output already is refused without --force, and replaced with it.
    again = CliRunner().invoke(fund, ["--out", str(out)])
    assert isinstance(again.exception, UsageError) and "earlier `earlyhelp fund`" in str(again.exception)

    # The allocation comes back identical from the formula file written beside it.
    copy = tmp_path / "formula.toml"
    copy.write_text((out / "formula.toml").read_text(encoding="utf-8"), encoding="utf-8")
    forced = CliRunner().invoke(fund, ["--out", str(out), "--force", "--formula", str(copy)])
    assert forced.exit_code == 0, forced.output
    assert _read(out / "allocation.csv") == allocation
