"""Years the LA's return covers only in part are `x`, never a part-year count (docs: "Years")."""

from __future__ import annotations

from earlyhelp.indicators import compute_internal
from earlyhelp.publish import internal_text

from .builder import Return

SHORT, FULL = "E06000001", "E06000003"  # region E12000001
LATE = "E06000002"  # region E12000002
REGION, LATE_REGION = "E12000001", "E12000002"
X = ("x", "x", "x")


def _figures(tmp_path):
    r = Return()
    # Ends 30 September 2020: 201920 whole, 202021 half.
    r.la(
        SHORT,
        REGION,
        period_start="2019-04-01",
        period_end="2020-09-30",
        extract_date="2021-12-31",
        population={2019: 1000, 2020: 1000},
    )
    # Starts 1 June 2015: 201516 misses April and May; 201617 whole.
    r.la(
        LATE,
        LATE_REGION,
        period_start="2015-06-01",
        period_end="2017-03-31",
        extract_date="2018-06-30",
        population={2015: 1000, 2016: 1000},
    )
    # Whole years 201920 and 202021.
    r.la(
        FULL,
        REGION,
        period_start="2019-04-01",
        period_end="2021-03-31",
        extract_date="2022-06-30",
        population={2019: 2000, 2020: 2000},
    )
    for la, day in (
        (SHORT, "2019-06-01"),
        (SHORT, "2019-07-01"),
        (SHORT, "2020-05-01"),
        (LATE, "2015-07-01"),
        (LATE, "2016-07-01"),
        (LATE, "2016-08-01"),
        (FULL, "2019-06-01"),
        (FULL, "2020-06-01"),
    ):
        r.referral(la, f"{la}-{day}", day)
    r.early_help(SHORT, "S1", "2019-05-01")  # open throughout both years
    r.add(
        "spend",
        la_code=SHORT,
        time_period=202021,
        line="family_support_services",
        gross_spend=5000.0,
        early_intervention="true",
    )
    r.add("deflators", time_period=202021, index=100.0)
    table = internal_text(compute_internal(r.write(tmp_path / "data")))
    return {
        (row["la_code"] or row["region_code"] or "England", int(row["time_period"]), row["indicator"]): (
            row["numerator"],
            row["denominator"],
            row["value"],
        )
        for row in table.to_pylist()
        if row["breakdown"] == "Total"
    }


def test_a_year_the_return_covers_in_part_is_not_available(tmp_path):
    figures = _figures(tmp_path)
    # 202021 is covered from 1 April to 30 September only: the referral of 1 May 2020 would
    # be published as a whole year's 1 referral. It is x, and so is every record-based figure.
    assert figures[SHORT, 202021, "referrals"] == X
    assert figures[SHORT, 202021, "eh_children"] == X
    assert figures[SHORT, 202021, "eh_reach_pct"] == X
    # 201920 is covered wholly: two referrals, one child in early help (1 / 1000 = 0.1%).
    assert figures[SHORT, 201920, "referrals"] == ("2", "z", "2")
    assert figures[SHORT, 201920, "eh_reach_pct"] == ("1", "1000", "0.1")
    # 201516 starts on 1 April 2015 but the return on 1 June: x. 201617 is whole: 2 referrals.
    assert figures[LATE, 201516, "referrals"] == X
    assert figures[LATE, 201617, "referrals"] == ("2", "z", "2")
    # A whole-year LA is unchanged: one referral each year.
    assert figures[FULL, 201920, "referrals"] == ("1", "z", "1")
    assert figures[FULL, 202021, "referrals"] == ("1", "z", "1")


def test_an_area_with_a_part_year_member_is_x_and_spend_is_not_limited_by_returns(tmp_path):
    figures = _figures(tmp_path)
    # 201920: SHORT and FULL both cover it wholly: 2 + 1 referrals.
    assert figures[REGION, 201920, "referrals"] == ("3", "z", "3")
    # 202021: SHORT covers half of it, so its region and England are x (FULL's 1 alone would
    # read as the region's whole year).
    assert figures[REGION, 202021, "referrals"] == X
    assert figures["England", 202021, "referrals"] == X
    # LATE's region: x in 201516 (part year), 2 in 201617.
    assert figures[LATE_REGION, 201516, "referrals"] == X
    assert figures[LATE_REGION, 201617, "referrals"] == ("2", "z", "2")
    # Spend comes from its own table: 5000 / 1000 children = 5 pounds per child in 202021.
    assert figures[SHORT, 202021, "ei_spend_per_child_real"] == ("5000.0", "1000", "5.0")
