"""Disclosure control on hand-made internal rows, and on a random return: no small counts, no
suppressed cell recoverable by subtraction."""

from __future__ import annotations

import random
from decimal import Decimal
from fractions import Fraction

import pytest

from earlyhelp.errors import UsageError
from earlyhelp.indicators import PUBLISHED_COLUMNS, compute, publish
from earlyhelp.indicators.definitions import INDICATOR_BY_NAME
from earlyhelp.publish import disclosure_control, round_half_away, round_to_ten, typed_from_text

from .builder import Return

LA, REGION = "E06000001", "E12000001"
AREAS = {
    LA: {"la_name": "Hartlepool", "region_code": REGION, "region_name": "North East", "old_la_code": "805"},
    REGION: {"region_name": "North East"},
}


def row(
    indicator, numerator, denominator="z", value=None, *, level="Local authority", breakdown="Total", period="201920"
):
    return {
        "time_period": period,
        "geographic_level": level,
        "region_code": "" if level == "National" else REGION,
        "la_code": LA if level == "Local authority" else "",
        "indicator": indicator,
        "breakdown": breakdown,
        "numerator": str(numerator),
        "denominator": str(denominator),
        "value": str(numerator if value is None else value),
    }


def published(rows, threshold=5, relations=None):
    internal = typed_from_text(rows)
    if relations is None:
        table = publish(internal, threshold, AREAS).published
    else:
        table = disclosure_control(internal, threshold, AREAS, INDICATOR_BY_NAME, relations)
    return {
        (r["geographic_level"], r["indicator"], r["breakdown"]): (r["numerator"], r["denominator"], r["value"])
        for r in table.to_pylist()
    }


def test_rounding_is_half_away_from_zero_not_bankers():
    assert round_half_away(Fraction(9, 4), 1) == Decimal("2.3")  # 2.25: round() gives 2.2
    assert round_half_away(Fraction(-9, 4), 1) == Decimal("-2.3")
    assert round_half_away(0.125, 2) == Decimal("0.13")  # round() gives 0.12
    assert round_half_away(Fraction(2, 3), 2) == Decimal("0.67")
    assert [round_to_ten(n) for n in (4, 5, 14, 15, 25, 26)] == [0, 10, 10, 20, 30, 30]


def test_small_counts_and_everything_derived_from_them_are_c():
    out = published(
        [
            row("eh_children", 3),
            row("eh_reach_pct", 3, 4000, 0.075),
            row("prevention_ratio", 3, 10, 0.3),
            row("referrals", 0),
            row("re_referral_pct", 0, 0, "z"),
            row("cin_children", 6),
            row("step_down_pct", 6, 7, 600 / 7),
        ]
    )
    assert out["Local authority", "eh_children", "Total"] == ("c", "z", "c")
    assert out["Local authority", "eh_reach_pct", "Total"] == ("c", "4000", "c")  # population stays
    assert out["Local authority", "prevention_ratio", "Total"] == ("c", "10", "c")
    assert out["Local authority", "referrals", "Total"] == ("0", "z", "0")  # zero is published
    assert out["Local authority", "re_referral_pct", "Total"] == ("0", "0", "z")
    assert out["Local authority", "cin_children", "Total"] == ("6", "z", "6")
    assert out["Local authority", "step_down_pct", "Total"] == ("6", "7", "85.7")


def test_threshold_is_a_setting():
    out = published([row("eh_children", 9), row("cin_children", 10)], threshold=9)
    assert out["Local authority", "eh_children", "Total"][0] == "c"
    assert out["Local authority", "cin_children", "Total"][0] == "10"
    with pytest.raises(UsageError):
        publish(typed_from_text([row("eh_children", 9)]), 0, AREAS)


def test_regional_and_national_counts_round_to_ten_rates_from_unrounded_sums():
    out = published(
        [
            row("referrals", 25, level="National"),
            row("re_referral_pct", 14, 25, 56.0, level="National"),
            row("eh_children", 4, level="Regional"),
            # Another area: the same count (eh_children) is c in every row that shows it.
            row("eh_reach_pct", 6, 4001, 6 / 4001 * 100, level="National"),
        ]
    )
    assert out["National", "referrals", "Total"] == ("30", "z", "30")
    assert out["National", "re_referral_pct", "Total"] == ("10", "30", "56.0")
    assert out["Regional", "eh_children", "Total"] == ("c", "z", "c")
    # 0.14996...%: population (public) is not rounded; the rate is from the unrounded sums.
    assert out["National", "eh_reach_pct", "Total"] == ("10", "4001", "0.1")


def test_low_x_and_z():
    out = published(
        [
            row("eh_reach_pct", 6, 200000, 0.003),
            row("missed_step_down", "x", "x", "x"),
            row("eh_median_days", 0, "z", "z"),
        ]
    )
    assert out["Local authority", "eh_reach_pct", "Total"] == ("6", "200000", "low")
    assert out["Local authority", "missed_step_down", "Total"] == ("x", "x", "x")
    assert out["Local authority", "eh_median_days", "Total"] == ("0", "z", "z")


def test_one_suppressed_breakdown_numerator_takes_the_smallest_other_nonzero_numerator_with_it():
    goals = "family_goals_met_pct"
    out = published(
        [
            row(goals, 30, 60, 50.0),
            row(goals, 2, 8, 25.0, breakdown="outcome_heading:health"),  # 2 met: suppressed
            row(goals, 0, 0, "z", breakdown="outcome_heading:crime"),  # empty: not a candidate
            row(goals, 9, 12, 75.0, breakdown="outcome_heading:housing"),  # smallest non-zero other
            row(goals, 19, 40, 47.5, breakdown="outcome_heading:education"),
        ]
    )
    # Numerators: 30 = c + 0 + 9 + 19 would give health's 2 back, so housing's 9 (smaller than
    # 19) goes too. Denominators: none suppressed, so all stay (8 alone reveals nothing).
    assert out["Local authority", goals, "outcome_heading:health"] == ("c", "8", "c")
    assert out["Local authority", goals, "outcome_heading:housing"] == ("c", "12", "c")
    assert out["Local authority", goals, "outcome_heading:education"] == ("19", "40", "47.5")
    assert out["Local authority", goals, "outcome_heading:crime"] == ("0", "0", "z")
    assert out["Local authority", goals, "Total"] == ("30", "60", "50.0")


def test_secondary_suppression_is_per_field_not_per_cell():
    # The reviewer's case: two cells are suppressed, but for different fields, so counting whole
    # cells finds two and suppresses nothing, and both come back by subtraction:
    # health numerator 20 - 0 - 18 = 2, housing denominator 53 - 10 - 40 = 3.
    goals = "family_goals_met_pct"
    out = published(
        [
            row(goals, 20, 53, 2000 / 53),
            row(goals, 2, 10, 20.0, breakdown="outcome_heading:health"),  # numerator 2: c
            row(goals, 0, 3, 0.0, breakdown="outcome_heading:housing"),  # denominator 3: c
            row(goals, 18, 40, 45.0, breakdown="outcome_heading:education"),
        ]
    )
    # Numerators: only health's is c; the other non-zero numerators are education's 18 (housing's
    # is 0), so education's numerator goes. Denominators: only housing's is c; the smallest other
    # non-zero one is health's 10 (education's is 40), so health's denominator goes.
    assert out["Local authority", goals, "outcome_heading:health"] == ("c", "c", "c")
    assert out["Local authority", goals, "outcome_heading:housing"] == ("0", "c", "c")
    assert out["Local authority", goals, "outcome_heading:education"] == ("c", "40", "c")
    # 20 / 53 = 37.735...%
    assert out["Local authority", goals, "Total"] == ("20", "53", "37.7")


def test_a_suppressed_total_field_needs_no_secondary_suppression_of_that_field():
    goals = "family_goals_met_pct"
    out = published(
        [
            row(goals, 4, 9, 400 / 9),
            row(goals, 4, 6, 400 / 6, breakdown="outcome_heading:health"),
            row(goals, 0, 3, 0.0, breakdown="outcome_heading:housing"),
        ]
    )
    # Numerators: the Total's 4 is c, so health's c cannot be recovered and nothing more goes.
    assert out["Local authority", goals, "Total"] == ("c", "9", "c")
    # Denominators: the Total's 9 is published and housing's 3 is c: 9 - 6 would give it back,
    # so health's 6 goes too.
    assert out["Local authority", goals, "outcome_heading:health"] == ("c", "c", "c")
    assert out["Local authority", goals, "outcome_heading:housing"] == ("0", "c", "c")


def test_secondary_suppression_repeats_until_nothing_changes():
    # Two sums sharing a part, listed so that the first pass looks at the second sum before the
    # first has suppressed the shared part: only a second pass catches the new single c.
    # (closures = stepped down + not stepped down is real; eh_closed = not stepped down +
    # re-entered is invented for the test.)
    relations = (
        (("eh_closed", "numerator"), (("missed_step_down_pct", "denominator"), ("eh_re_entry_pct", "numerator"))),
        (
            ("closed_after_assessment", "numerator"),
            (("step_down_pct", "numerator"), ("missed_step_down_pct", "denominator")),
        ),
    )
    out = published(
        [
            row("closed_after_assessment", 40),
            row("step_down_pct", 3, 40, 7.5),
            row("missed_step_down_pct", 10, 37, 1000 / 37),
            row("eh_closed", 50),
            row("eh_re_entry_pct", 13, 50, 26.0),
        ],
        relations=relations,
    )
    # Pass 1: eh_closed's parts 37 and 13 are both published; closures' part 3 is c, so 37 goes.
    # Pass 2: eh_closed = c + 13 would give 37 back, so 13 goes too.
    assert out["Local authority", "step_down_pct", "Total"] == ("c", "40", "c")
    assert out["Local authority", "missed_step_down_pct", "Total"] == ("10", "c", "c")
    assert out["Local authority", "eh_re_entry_pct", "Total"] == ("c", "50", "c")
    assert out["Local authority", "eh_closed", "Total"] == ("50", "z", "50")


def test_stepped_down_and_not_stepped_down_add_up_to_the_closures():
    out = published(
        [
            row("closed_after_assessment", 40),
            row("step_down_pct", 3, 40, 7.5),
            row("missed_step_down_pct", 10, 37, 1000 / 37),
        ]
    )
    # 37 = 40 - 3 would give the suppressed 3 back.
    assert out["Local authority", "step_down_pct", "Total"] == ("c", "40", "c")
    assert out["Local authority", "missed_step_down_pct", "Total"] == ("10", "c", "c")


def test_published_file_has_names_and_ees_columns():
    internal = typed_from_text([row("eh_children", 12), row("eh_children", 120, level="National")])
    table = publish(internal, 5, AREAS).published
    assert tuple(table.column_names) == PUBLISHED_COLUMNS
    la, national = sorted(table.to_pylist(), key=lambda r: r["geographic_level"] == "National")
    assert (la["time_identifier"], la["country_code"], la["country_name"]) == ("Financial year", "E92000001", "England")
    assert (la["new_la_code"], la["old_la_code"], la["la_name"], la["region_name"]) == (
        LA,
        "805",
        "Hartlepool",
        "North East",
    )
    assert (national["region_code"], national["new_la_code"], national["la_name"]) == ("", "", "")


def _random_return(seed: int) -> Return:
    """Six LAs with small, random activity: many counts near the threshold."""
    rng = random.Random(seed)
    r = Return()
    for n in range(6):
        la = f"E060000{n + 10}"
        r.la(
            la,
            f"E1200000{n % 2 + 1}",
            period_start="2018-04-01",
            period_end="2020-03-31",
            extract_date="2021-06-30",
            population={2018: 3000, 2019: 3000},
        )
        for child in range(rng.randint(3, 40)):
            cid = f"{la}-{child}"
            day = f"2019-{rng.randint(4, 12):02d}-{rng.randint(1, 28):02d}"
            closed = f"2020-0{rng.randint(1, 3)}-{rng.randint(1, 28):02d}"
            r.referral(la, cid, day, closed=closed, reason=rng.choice(["RC8", "RC9", "RC1"]))
            if rng.random() < 0.6:
                episode = r.early_help(
                    la,
                    cid,
                    closed,
                    f"2020-03-{rng.randint(1, 31):02d}",
                    end_reason=rng.choice(["outcomes_achieved", "other"]),
                )
                for g in range(rng.randint(0, 3)):
                    r.add(
                        "family_goals",
                        la_code=la,
                        episode_id=episode,
                        goal_id=f"{episode}-{g}",
                        outcome_heading=rng.choice(["health", "housing", "education", "crime"]),
                        status=rng.choice(["met", "not_met", "partly_met"]),
                    )
            if rng.random() < 0.3:
                r.referral(la, cid, f"2020-0{rng.randint(4, 9)}-{rng.randint(1, 28):02d}")
    return r


def test_published_file_has_no_small_counts_and_no_cell_recoverable_by_subtraction(tmp_path):
    data = _random_return(7).write(tmp_path / "data")
    result = compute(data, tmp_path / "out")
    rows = result.published.to_pylist()
    assert rows
    counted = 0
    for r in rows:
        indicator = INDICATOR_BY_NAME[r["indicator"]]
        for field, is_count in (
            ("numerator", indicator.numerator_is_count),
            ("denominator", indicator.denominator_is_count),
        ):
            if is_count and r[field].isdigit():
                assert not 1 <= int(r[field]) <= 5, r
                counted += 1
    assert counted > 100
    suppressed = [r for r in rows if "c" in (r["numerator"], r["denominator"], r["value"])]
    assert suppressed, "the random return should produce some small counts"
    # Breakdown groups, field by field: a published Total numerator (denominator) never sits
    # beside exactly one suppressed numerator (denominator), or subtraction would give it back.
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        if r["indicator"] == "family_goals_met_pct":
            key = (r["time_period"], r["geographic_level"], r["region_code"], r["new_la_code"])
            groups.setdefault(key, []).append(r)
    checked = {"numerator": 0, "denominator": 0}
    for group in groups.values():
        total = next(r for r in group if r["breakdown"] == "Total")
        parts = [r for r in group if r["breakdown"] != "Total"]
        for field in checked:
            if not total[field].isdigit():
                continue
            hidden = [r for r in parts if r[field] == "c"]
            assert len(hidden) != 1, (field, group)
            # Whatever is hidden cannot be pinned down: unknowns are at least two, or none.
            checked[field] += len(hidden) >= 2
    assert checked["numerator"] and checked["denominator"], (
        "some published Total numerators and denominators should sit beside suppressed ones"
    )
    # Closures = stepped down + not stepped down.
    by_area: dict[tuple, dict[str, dict]] = {}
    for r in rows:
        key = (r["time_period"], r["geographic_level"], r["region_code"], r["new_la_code"])
        by_area.setdefault(key, {})[r["indicator"]] = r
    for area in by_area.values():
        if not area["closed_after_assessment"]["numerator"].isdigit():
            continue
        parts = (area["step_down_pct"]["numerator"], area["missed_step_down_pct"]["denominator"])
        assert [p == "c" for p in parts].count(True) != 1, area
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == [
        "README.md",
        "indicators.csv",
        "indicators.xlsx",
        "indicators_notes.csv",
        "indicators_published.csv",
        "indicators_published.meta.csv",
        "internal",
    ]
    meta = (tmp_path / "out" / "indicators_published.meta.csv").read_text()
    assert meta.startswith(
        "col_name,col_type,label,indicator_grouping,indicator_unit,indicator_dp,filter_hint,filter_grouping_column\n"
    )
    assert "Disclosure-controlled" in meta


def test_reference_names_tolerate_a_missing_package_or_column_but_not_bugs(monkeypatch):
    import sys

    import pandas as pd

    import earlyhelp.reference
    from earlyhelp.publish import reference_areas, reference_old_la_codes

    # The shipped list: Hartlepool is E06000001, DfE code 805, in the North East.
    assert reference_areas()["E06000001"] == {
        "la_name": "Hartlepool",
        "region_code": "E12000001",
        "region_name": "North East",
        "old_la_code": "805",
    }
    assert reference_old_la_codes()["E06000001"] == "805"

    # A table without old_la_code (a KeyError when the columns are picked): no names, no failure.
    frame = pd.DataFrame({"la_code": ["E06000001"], "la_name": ["Hartlepool"]})
    monkeypatch.setattr(earlyhelp.reference, "local_authorities", lambda: frame)
    assert reference_areas() == {} and reference_old_la_codes() == {}

    # Any other error is a bug and must surface.
    def broken():
        raise ValueError("bug")

    monkeypatch.setattr(earlyhelp.reference, "local_authorities", broken)
    with pytest.raises(ValueError):
        reference_areas()
    with pytest.raises(ValueError):
        reference_old_la_codes()

    # The package not installed: an ImportError on import.
    monkeypatch.setitem(sys.modules, "earlyhelp.reference", None)
    assert reference_areas() == {} and reference_old_la_codes() == {}
