"""Formatting, changes, control limits and reading the published file, checked by hand."""

from __future__ import annotations

import pytest

from earlyhelp.errors import DataError, UsageError
from earlyhelp.report import control_limits
from earlyhelp.report.catalogue import change, format_number
from earlyhelp.report.funnel import position
from earlyhelp.report.published import Published
from earlyhelp.spec.periods import label as period_label


@pytest.mark.parametrize(
    ("text", "unit", "shown"),
    [
        ("358000", "count", "358,000"),
        ("4.3", "pct", "4.3%"),
        ("0.67", "ratio", "0.67"),
        ("312.5", "per_10k", "312.5 per 10,000"),
        ("1218", "pounds", "£1,218"),
        ("c", "count", "c"),
        ("x", "pct", "x"),
        ("", "pct", ""),
    ],
)
def test_published_text_is_shown_with_its_unit_and_never_rerounded(text, unit, shown):
    assert format_number(text, unit) == shown


def test_changes_are_exact_differences_of_published_figures():
    assert change("3.1", "4.3", "pct") == "up 1.2 percentage points"
    assert change("0.52", "0.67", "ratio") == "up 0.15"
    # 218 - 420 = -202, and -202 / 420 = -48.1%.
    assert change("420", "218", "pounds") == "down £202 (-48%)"
    assert change("7000", "64000", "count") == "up 57,000 (+814%)"
    assert change("5.0", "5.0", "pct") == "no change"
    assert change("c", "4.3", "pct") is None
    assert change("4.3", "x", "pct") is None


def test_binomial_limits_match_a_hand_calculation():
    # p = 0.043, n = 20,500: sd = sqrt(0.043 * 0.957 / 20500) = 0.0014168
    bounds = control_limits(4.3, 20500, "binomial", scale=100)
    assert bounds.upper_95 == pytest.approx(4.3 + 100 * 1.959964 * 0.0014168, abs=1e-3)  # 4.5777
    assert bounds.upper_998 == pytest.approx(4.3 + 100 * 3.090232 * 0.0014168, abs=1e-3)  # 4.7378
    assert bounds.lower_95 == pytest.approx(4.0223, abs=1e-3)
    assert position(6.0, bounds) == "Above the 99.8% limit"
    assert position(4.6, bounds) == "Above the 95% limit"
    assert position(4.4, bounds) == "Within the 95% limits"


def test_poisson_limits_match_a_hand_calculation():
    # r = 0.67, n = 2,080 children in need: sd = sqrt(0.67 / 2080) = 0.017948
    bounds = control_limits(0.67, 2080, "poisson")
    assert bounds.lower_998 == pytest.approx(0.67 - 3.090232 * 0.017948, abs=1e-4)  # 0.6145
    assert bounds.lower_95 == pytest.approx(0.67 - 1.959964 * 0.017948, abs=1e-4)  # 0.6348
    assert position(0.59, bounds) == "Below the 99.8% limit"
    assert position(0.63, bounds) == "Below the 95% limit"


def test_period_labels_follow_dfe():
    assert period_label("201920") == "2019-20"
    assert period_label("201011") == "2010-11"


def test_a_file_without_the_published_columns_is_refused(tmp_path):
    path = tmp_path / "indicators_published.csv"
    path.write_text("time_period,geographic_level,indicator,value\n201920,National,eh_reach_pct,4.3\n")
    with pytest.raises(DataError, match="missing column"):
        Published.read(path)


def test_a_missing_file_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        Published.read(tmp_path)


def test_an_unknown_la_is_a_usage_error(published_csv, tmp_path):
    from earlyhelp.report import render_report

    with pytest.raises(UsageError, match="E06999999"):
        render_report(published_csv, tmp_path, la="E06999999")
