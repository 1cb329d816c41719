"""The hand-made published file is what `earlyhelp indicators` would publish for its counts."""

from __future__ import annotations

from earlyhelp.indicators import publish
from earlyhelp.publish import typed_from_text

from . import fixture


def _figures(rows, code_column):
    return {
        (r["indicator"], r["time_period"], r["geographic_level"], r[code_column] or r["region_code"], r["breakdown"]): (
            r["numerator"],
            r["denominator"],
            r["value"],
        )
        for r in rows
    }


def test_the_fixture_is_what_publish_writes_for_its_counts():
    by_hand = _figures(fixture.rows(), "new_la_code")
    by_publish = _figures(publish(typed_from_text(fixture.internal_rows()), 5, {}).published.to_pylist(), "new_la_code")
    assert by_hand.keys() == by_publish.keys()
    differences = {key: (by_hand[key], by_publish[key]) for key in by_hand if by_hand[key] != by_publish[key]}
    assert not differences, list(differences.items())[:5]


def test_the_figures_the_report_tests_rely_on():
    rows = _figures(fixture.rows(), "new_la_code")
    # 517,000 / 706,830 = 0.7314: 0.73, not 0.67; a count's denominator is z, not empty.
    assert rows["prevention_ratio", "201920", "National", "", "Total"] == ("517000", "706830", "0.73")
    assert rows["eh_children", "201920", "National", "", "Total"] == ("517000", "z", "517000")
    assert rows["missed_step_down", "201819", "National", "", "Total"] == ("64000", "z", "64000")
    assert rows["missed_step_down", "201920", "National", "", "Total"] == ("x", "x", "x")
    # £218 a child x 12,023,250 children, in whole pounds.
    assert rows["ei_spend_per_child_real", "201920", "National", "", "Total"] == ("2621068500", "12023250", "218")
    # Hartlepool's family goals: housing 3 of 4 (c), health taken with it, 115 of 214 = 53.7%.
    goals = {
        h: rows["family_goals_met_pct", "201920", "Local authority", "E06000001", f"outcome_heading:{h}"]
        for h in fixture.HEADINGS
    }
    assert goals == {
        "education": ("60", "100", "60.0"),
        "housing": ("c", "c", "c"),
        "domestic_abuse": ("40", "80", "50.0"),
        "health": ("c", "c", "c"),
    }
    assert rows["family_goals_met_pct", "201920", "Local authority", "E06000001", "Total"] == ("115", "214", "53.7")
