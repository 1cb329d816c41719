"""Every indicator on the hand-built casebook (casebook.py), on DuckDB and on Spark.

Expected figures are worked out by hand from the records in casebook.py; the comments say how.
Internal values are unrounded: percentages are the exact fraction as the nearest double.
"""

from __future__ import annotations

import pytest

from .casebook import LA1, LA2, LA3, LA4, LA5, LA6, R1, R2

Y = 201920  # 2019-04-01 .. 2020-03-31
ENGLAND = "England"


def test_eh_children_counts_distinct_children_open_in_the_year(figures):
    # Open in 201920: A2 (ends 1 April), A3 (starts 31 March), A5 (two episodes, once), A6.
    # Not: A1 (ends 31 March 2019), A4 (starts 1 April 2020).
    assert figures[LA1, Y, "eh_children"] == ("4", "z", "4")
    assert figures[LA1, 201819, "eh_children"][0] == "3"  # A1, A2, A6
    assert figures[LA1, 202021, "eh_children"][0] == "3"  # A3, A4, A6
    # LA1 population 2019 is 4000: 4 / 4000 = 0.1%
    assert figures[LA1, Y, "eh_reach_pct"] == ("4", "4000", "0.1")


def test_cin_children_and_prevention_ratio(figures):
    # CIN episodes open in 201920: A6, B1 (closed on 1 April), B4 (two episodes, once).
    # Not: B2 (closed 31 March 2019), B3 (referral_nfa true), B5 (referred 1 April 2020).
    assert figures[LA1, Y, "cin_children"] == ("3", "z", "3")
    assert figures[LA1, Y, "prevention_ratio"] == ("4", "3", repr(4 / 3))
    assert figures[LA1, Y, "cin_rate_per_10k"] == ("3", "4000", "7.5")


def test_referrals_and_re_referrals_on_day_365_and_366(figures):
    # In 201920: D1 2019-06-01 (365 days after 2018-06-01: yes), D2 2020-02-29 (366 days: no),
    # D3 x3 (same day twice: no; next day: yes), D4 2019-04-01 (a day after 31 March: yes),
    # D5 2020-03-31 (first). 7 referrals, 3 re-referrals.
    assert figures[LA2, Y, "referrals"] == ("7", "z", "7")
    assert figures[LA2, Y, "re_referral_pct"] == ("3", "7", repr(300 / 7))
    assert figures[LA2, 202021, "re_referral_pct"] == ("1", "1", "100")  # D5, gap 1


def test_re_referrals_need_a_year_of_history_before_the_year(figures):
    # The return starts 2018-04-01: 201819 has no year of earlier referrals to look back on.
    assert figures[LA2, 201819, "re_referral_pct"] == ("x", "x", "x")
    assert figures[LA2, 201819, "referrals"] == ("3", "z", "3")


def test_step_down_after_assessment_day_28_vs_29(figures):
    # Closed after assessment in 201920: F1 F2 F3 F4 F5 F6 F10 (F7 NFA, F8 RC2, F9 in 202021).
    # Stepped down: F1 (open on the day), F2 (day 28), F10 (day 0). F3 day 29, F4 ended the day before.
    assert figures[LA3, Y, "closed_after_assessment"] == ("7", "z", "7")
    assert figures[LA3, Y, "step_down_pct"] == ("3", "7", repr(300 / 7))
    assert figures[LA3, Y, "step_down_recorded_pct"] == ("2", "7", repr(200 / 7))  # F2, F4 RC9


def test_missed_step_down_day_365_vs_366(figures):
    # Not stepped down: F3 F4 F5 F6. Re-referred 1..365 days after closure: F3 (day 44),
    # F5 (day 365 across 29 February). F6 (day 366) and F4 (none) are not.
    assert figures[LA3, Y, "missed_step_down"] == ("2", "z", "2")
    assert figures[LA3, Y, "missed_step_down_pct"] == ("2", "4", "50")
    # 202021: F9 closed, not stepped down, not re-referred; the window ends exactly on extract_date.
    assert figures[LA3, 202021, "missed_step_down_pct"] == ("0", "1", "0")


def test_after_early_help(figures):
    # Closed in 201920: G1 10d, G2 20d, G3 30d, G4 5d, G5 2d, G5b 26d, G6 30d, G9 3d (G8 in 202021).
    assert figures[LA4, Y, "eh_closed"] == ("8", "z", "8")
    assert figures[LA4, Y, "eh_outcomes_achieved_pct"] == ("4", "8", "50")  # G1 G5 G6 G9
    # G2 referral on day 1, G3 CP plan on day 365; not G1 (RNE P), G4 (day 367), G5 (NFA), G6 (day 0).
    assert figures[LA4, Y, "eh_escalation_pct"] == ("2", "8", "25")
    assert figures[LA4, Y, "eh_step_up_pct"] == ("1", "8", "12.5")  # G2
    assert figures[LA4, Y, "eh_re_entry_pct"] == ("1", "8", "12.5")  # G5 (day 1); G2, G6 day 366


def test_medians_are_lower_medians_pooled_over_the_area(figures):
    # LA4 durations 2 3 5 10 20 26 30 30: lower median of 8 is the 4th, 10.
    assert figures[LA4, Y, "eh_median_days"] == ("8", "z", "10")
    # Waits of episodes starting in 201920: G1 7, G2 1, G3 30, G5b 0 -> 0 1 7 30, lower median 1.
    assert figures[LA4, Y, "eh_wait_median_days"] == ("4", "z", "1")
    # Region R2 pools LA4 with LA5 (92 and 183 days): 10 values, 5th is 20.
    assert figures[R2, Y, "eh_median_days"] == ("10", "z", "20")
    # England adds LA1 (81, 31, 30) and LA3 (30): 14 values, 7th is 30.
    assert figures[ENGLAND, Y, "eh_median_days"] == ("14", "z", "30")
    # An odd count: LA1 30 31 81 -> 31.
    assert figures[LA1, Y, "eh_median_days"] == ("3", "z", "31")


def test_family_goals_and_rated_progress(figures):
    # Goals on episodes closed in 201920 (H1, H2) with a status: g1 met, g2 not met, g3 met,
    # g5 partly met, g6 withdrawn -> 2 of 5. g4 has no status; g7 (open) and g8 (202021) excluded.
    assert figures[LA5, Y, "family_goals_met_pct"] == ("2", "5", "40")
    assert figures[LA5, Y, "family_goals_met_pct", "outcome_heading:health"] == ("1", "2", "50")
    assert figures[LA5, Y, "family_goals_met_pct", "outcome_heading:housing"] == ("1", "1", "100")
    assert figures[LA5, Y, "family_goals_met_pct", "outcome_heading:education"] == ("0", "2", "0")
    assert figures[LA5, Y, "family_goals_met_pct", "outcome_heading:crime"] == ("0", "0", "z")
    # Both scores: g1 +6, g2 -1, g4 +2, g5 +2 -> 9 / 4 = 2.25 (published 2.3, half away from zero).
    assert figures[LA5, Y, "family_rated_progress"] == ("4", "z", "2.25")
    assert figures[LA5, 202021, "family_rated_progress"] == ("1", "z", "10")


def test_child_protection_and_care(figures):
    # CP plans starting in 201920: 1 April (0 previous), 31 March 2020 (1), 1 October (empty).
    assert figures[LA5, Y, "cp_plans_started"] == ("3", "z", "3")
    assert figures[LA5, Y, "cp_second_plan_pct"] == ("1", "3", repr(100 / 3))
    # Periods of care starting in 201920: 1 April and 31 March (S); 1 May is RNE P.
    assert figures[LA5, Y, "cla_started"] == ("2", "z", "2")
    assert figures[LA5, Y, "cla_start_rate_per_10k"] == ("2", "20000", "1")


def test_follow_up_not_covered_is_x_never_low(figures):
    # LA6's extract_date is 2022-03-30, one day short of 2021-03-31 + 365 days.
    for indicator in ("missed_step_down", "missed_step_down_pct", "eh_escalation_pct", "eh_re_entry_pct"):
        assert figures[LA6, 202021, indicator] == ("x", "x", "x")
        assert figures[LA6, Y, indicator][0] != "x"
    # The 28-day step-down window is covered: M1 stepped down on day 9.
    assert figures[LA6, 202021, "step_down_pct"] == ("1", "1", "100")


def test_areas_are_sums_of_las_and_x_when_a_member_is_not_available(figures):
    # Referrals in 201920: LA1 4 (A6, B3, B4 x2), LA2 7, LA3 10 (F1-F8, F9, F3's new one), LA4 4.
    assert figures[R1, Y, "referrals"] == ("21", "z", "21")
    assert figures[ENGLAND, Y, "referrals"] == ("25", "z", "25")
    # 202021: R1's members are all available; R2 and England include LA6, which is not.
    assert figures[R1, 202021, "missed_step_down_pct"] == ("0", "1", "0")
    assert figures[R2, 202021, "missed_step_down_pct"] == ("x", "x", "x")
    assert figures[ENGLAND, 202021, "missed_step_down_pct"] == ("x", "x", "x")
    # Regional rates come from the summed numerators and denominators.
    assert figures[R2, Y, "eh_outcomes_achieved_pct"] == ("5", "10", "50")  # LA4 4/8 + LA5 1/2


def test_spend_per_child_in_real_terms(figures):
    # 201920: (1000.50 + 2000.25) early intervention x 100/80 (base: latest deflator, 202021)
    # = 3750.9375 over 100 children.
    assert figures[LA6, Y, "ei_spend_per_child_real"] == ("3750.9375", "100", "37.509375")
    assert figures[LA6, 202021, "ei_spend_per_child_real"] == ("3000.0", "120", "25.0")
    # A year outside the returns but in spend, with population: 500 x 100/50 / 200.
    assert figures[LA6, 201011, "ei_spend_per_child_real"] == ("1000.0", "200", "5.0")
    assert (LA6, 201112, "ei_spend_per_child_real") not in figures  # no population for 2011
    assert figures[ENGLAND, Y, "ei_spend_per_child_real"][2] == "37.509375"
    # Only spend has 201011; record-based indicators have no row for that year.
    assert (LA6, 201011, "referrals") not in figures


@pytest.mark.parametrize("indicator", ["eh_children", "referrals", "eh_median_days"])
def test_every_la_and_area_has_one_row_per_year_covered(figures, indicator):
    for area in (LA1, LA2, LA3, LA4, LA5, LA6, R1, R2, ENGLAND):
        for period in (201819, 201920, 202021):
            assert (area, period, indicator) in figures
        assert (area, 202122, indicator) not in figures


def test_missing_population_or_deflator_is_x_not_a_guess(tmp_path):
    from earlyhelp.indicators import compute_internal

    from .builder import Return
    from .conftest import Figures

    r = Return()
    r.la(
        "E06000001",
        population={2019: 1000},
        period_start="2019-04-01",
        period_end="2021-03-31",
        extract_date="2022-06-30",
    )
    r.la(
        "E06000002",
        population={2019: 3000, 2020: 3000},
        period_start="2019-04-01",
        period_end="2021-03-31",
        extract_date="2022-06-30",
    )
    for la in ("E06000001", "E06000002"):
        r.early_help(la, "C1", "2019-05-01")
        r.add("spend", la_code=la, time_period=202021, line="family_support_services", gross_spend=600.0)
    r.add("deflators", time_period=201920, index=100.0)  # none for 202021
    figures = Figures(compute_internal(r.write(tmp_path)))
    # E06000001 has no 2020 population: its 202021 reach is x; so is every area containing it.
    assert figures["E06000001", 202021, "eh_reach_pct"] == ("1", "x", "x")
    assert figures["E06000002", 202021, "eh_reach_pct"] == ("1", "3000", repr(100 / 3000))
    assert figures["E12000001", 202021, "eh_reach_pct"] == ("x", "x", "x")
    assert figures["England", 201920, "eh_reach_pct"] == ("2", "4000", "0.05")
    # No deflator for 202021: real-terms spend is not available (only E06000002 has population).
    assert figures["E06000002", 202021, "ei_spend_per_child_real"] == ("x", "3000", "x")
    assert ("E06000001", 202021, "ei_spend_per_child_real") not in figures
