"""One small hand-built return with six LAs, each exercising one family of indicators.

Every LA's return covers 2018-04-01 to 2021-03-31 (years 201819, 201920, 202021). Expected figures
are worked out by hand in the tests next to each case; dates are chosen on the boundaries the
spec names (31 March / 1 April, day 28 vs 29, day 365 vs 366 across 29 February 2020).
"""

from __future__ import annotations

from .builder import Return

R1, R2 = "E12000001", "E12000002"
LA1, LA2, LA3 = "E06000001", "E06000002", "E06000003"  # region R1
LA4, LA5, LA6 = "E06000004", "E06000005", "E06000006"  # region R2
PERIOD = {"period_start": "2018-04-01", "period_end": "2021-03-31"}
# 2021-03-31 + 365 days: the last year's 12-month follow-up is exactly covered.
FULL_EXTRACT = "2022-03-31"


def build() -> Return:
    r = Return()
    for la, region in ((LA1, R1), (LA2, R1), (LA3, R1), (LA4, R2), (LA5, R2)):
        r.la(
            la,
            region,
            **PERIOD,
            extract_date=FULL_EXTRACT,
            population={2018: 2000, 2019: 4000 if la == LA1 else 20000, 2020: 5000},
        )
    # One day short of the 12-month follow-up for 202021 (28 days is covered).
    r.la(LA6, R2, **PERIOD, extract_date="2022-03-30", population={2010: 200, 2019: 100, 2020: 120})

    # ---------------------------------------------------------------- LA1: reach and need
    r.early_help(LA1, "A1", "2019-01-10", "2019-03-31")  # ends the day before 201920
    r.early_help(LA1, "A2", "2019-01-10", "2019-04-01")  # ends on 1 April: open in 201920
    r.early_help(LA1, "A3", "2020-03-31")  # starts on 31 March, still open
    r.early_help(LA1, "A4", "2020-04-01")  # starts in 202021
    r.early_help(LA1, "A5", "2019-05-01", "2019-06-01")  # two episodes in one year
    r.early_help(LA1, "A5", "2019-09-01", "2019-10-01")
    r.early_help(LA1, "A6", "2017-06-01")  # open throughout
    r.referral(LA1, "A6", "2019-06-01", closed="2019-07-01", reason="RC1")
    r.referral(LA1, "B1", "2019-03-31", closed="2019-04-01", reason="RC1")
    r.referral(LA1, "B2", "2019-02-01", closed="2019-03-31", reason="RC1")
    r.referral(LA1, "B3", "2019-10-01", nfa=True, closed="2019-10-01", reason="RC8")
    r.referral(LA1, "B4", "2019-04-15", closed="2019-05-15", reason="RC1")
    r.referral(LA1, "B4", "2019-11-01")  # second CIN episode, still open
    r.referral(LA1, "B5", "2020-04-01")

    # ---------------------------------------------------------------- LA2: referrals
    r.referral(LA2, "D1", "2018-06-01")
    r.referral(LA2, "D1", "2019-06-01")  # 365 days later: a re-referral
    r.referral(LA2, "D2", "2019-02-28")
    r.referral(LA2, "D2", "2020-02-29")  # 366 days later: not
    r.referral(LA2, "D3", "2019-05-01")
    r.referral(LA2, "D3", "2019-05-01")  # same day: not (gap 0)
    r.referral(LA2, "D3", "2019-05-02")  # gap 1: a re-referral
    r.referral(LA2, "D4", "2019-03-31")
    r.referral(LA2, "D4", "2019-04-01")  # across the year boundary: a re-referral
    r.referral(LA2, "D5", "2020-03-31")
    r.referral(LA2, "D5", "2020-04-01")  # a re-referral in 202021

    # ---------------------------------------------------------------- LA3: step-down
    r.referral(LA3, "F1", "2019-05-01", closed="2019-06-01", reason="RC8")
    r.early_help(LA3, "F1", "2019-05-01")  # open on the closure date
    r.referral(LA3, "F2", "2019-05-01", closed="2019-06-01", reason="RC9")
    r.early_help(LA3, "F2", "2019-06-29")  # day 28: stepped down
    r.referral(LA3, "F3", "2019-05-01", closed="2019-06-01", reason="RC8")
    r.early_help(LA3, "F3", "2019-06-30")  # day 29: not stepped down
    r.referral(LA3, "F3", "2019-07-15")  # re-referred: missed
    r.referral(LA3, "F4", "2019-05-01", closed="2019-06-01", reason="RC9")
    r.early_help(LA3, "F4", "2019-05-01", "2019-05-31")  # ended the day before: not stepped down
    r.referral(LA3, "F5", "2019-05-01", closed="2019-06-01", reason="RC8")
    r.referral(LA3, "F5", "2020-05-31")  # day 365 (leap year between): missed
    r.referral(LA3, "F6", "2019-05-01", closed="2019-06-01", reason="RC8")
    r.referral(LA3, "F6", "2020-06-01")  # day 366: not missed
    r.referral(LA3, "F7", "2019-06-01", nfa=True, closed="2019-06-01", reason="RC8")  # no assessment
    r.referral(LA3, "F8", "2019-05-01", closed="2019-06-01", reason="RC2")  # other closure reason
    r.referral(LA3, "F9", "2020-03-01", closed="2020-04-01", reason="RC8")  # closed in 202021
    r.referral(LA3, "F10", "2019-03-01", closed="2019-04-01", reason="RC8")
    r.early_help(LA3, "F10", "2019-04-01")  # day 0: stepped down

    # ---------------------------------------------------------------- LA4: after early help
    r.early_help(
        LA4, "G1", "2019-04-01", "2019-04-11", end_reason="outcomes_achieved", request="2019-03-25"
    )  # 10 days, wait 7
    r.add(
        "looked_after_episodes", la_code=LA4, child_id="G1", start_date="2019-05-01", reason_new_episode="P"
    )  # not a new period of care
    r.early_help(
        LA4, "G2", "2019-06-01", "2019-06-21", end_reason="step_up_to_social_care", request="2019-05-31"
    )  # 20 days, wait 1
    r.referral(LA4, "G2", "2019-06-22")  # day 1: escalated
    r.early_help(LA4, "G2", "2020-06-21")  # day 366: no re-entry
    r.early_help(
        LA4, "G3", "2019-07-01", "2019-07-31", end_reason="family_declined", request="2019-06-01"
    )  # 30 days, wait 30
    g3 = r.referral(LA4, "G3", "2019-07-31")  # day 0: not escalation
    r.add("cp_plans", la_code=LA4, child_id="G3", referral_id=g3, start_date="2020-07-30")  # day 365
    r.early_help(LA4, "G4", "2019-08-01", "2019-08-06", end_reason="moved_away")  # 5 days
    r.add(
        "looked_after_episodes", la_code=LA4, child_id="G4", start_date="2020-08-07", reason_new_episode="S"
    )  # day 367: too late
    r.early_help(LA4, "G5", "2019-09-01", "2019-09-03", end_reason="outcomes_achieved")  # 2 days
    r.referral(LA4, "G5", "2019-09-10", nfa=True, closed="2019-09-10", reason="RC8")  # NFA: no
    r.early_help(
        LA4, "G5", "2019-09-04", "2019-09-30", end_reason="transferred", request="2019-09-04"
    )  # re-entry day 1; 26 days, wait 0
    r.early_help(LA4, "G6", "2019-10-01", "2019-10-31", end_reason="outcomes_achieved")  # 30 days
    r.referral(LA4, "G6", "2019-10-31")  # day 0: not escalation
    r.early_help(LA4, "G6", "2020-10-31")  # day 366: no re-entry
    r.early_help(LA4, "G7", "2019-02-01")  # never closed
    r.early_help(LA4, "G8", "2020-01-01", "2020-04-01", end_reason="other")  # closed in 202021
    r.early_help(LA4, "G9", "2019-11-01", "2019-11-04", end_reason="outcomes_achieved")  # 3 days

    # ---------------------------------------------------------------- LA5: goals, CP, care
    h1 = r.early_help(LA5, "H1", "2019-05-01", "2019-08-01", end_reason="outcomes_achieved")
    h2 = r.early_help(LA5, "H2", "2019-06-01", "2019-12-01", end_reason="other")
    h3 = r.early_help(LA5, "H3", "2019-06-01")
    h4 = r.early_help(LA5, "H4", "2019-06-01", "2020-05-01", end_reason="other")
    goal = lambda episode, gid, heading, status="", start="", end="": r.add(  # noqa: E731
        "family_goals",
        la_code=LA5,
        episode_id=episode,
        goal_id=gid,
        outcome_heading=heading,
        status=status,
        start_score=start,
        end_score=end,
    )
    goal(h1, "g1", "health", "met", 2, 8)
    goal(h1, "g2", "health", "not_met", 5, 4)
    goal(h1, "g3", "housing", "met")
    goal(h1, "g4", "housing", "", 3, 5)  # no status yet, but both scores
    goal(h2, "g5", "education", "partly_met", 4, 6)
    goal(h2, "g6", "education", "withdrawn", 5)
    goal(h3, "g7", "health", "met", 1, 9)  # episode still open
    goal(h4, "g8", "crime", "met", 0, 10)  # episode closed in 202021
    for start, previous in (("2019-04-01", 0), ("2020-03-31", 1), ("2019-03-31", 2), ("2019-10-01", "")):
        r.add(
            "cp_plans", la_code=LA5, child_id="K" + start, referral_id="R0", start_date=start, previous_plans=previous
        )
    for start, reason in (("2019-04-01", "S"), ("2019-05-01", "P"), ("2020-03-31", "S"), ("2020-04-01", "S")):
        r.add("looked_after_episodes", la_code=LA5, child_id="L" + start, start_date=start, reason_new_episode=reason)

    # ---------------------------------------------------------------- LA6: windows and spend
    r.referral(LA6, "M1", "2020-05-01", closed="2020-06-01", reason="RC9")
    r.early_help(LA6, "M1", "2020-06-10")  # stepped down
    for period, line, amount, early in (
        (201920, "family_support_services", 1000.50, "true"),
        (201920, "young_peoples_services", 2000.25, "true"),
        (201920, "children_looked_after", 5000.00, "false"),
        (202021, "family_support_services", 3000.00, "true"),
        (201011, "family_support_services", 500.00, "true"),
        (201112, "family_support_services", 700.00, "true"),  # no population for 2011
    ):
        r.add("spend", la_code=LA6, time_period=period, line=line, gross_spend=amount, early_intervention=early)
    for period, index in ((201011, 50.0), (201112, 60.0), (201920, 80.0), (202021, 100.0)):
        r.add("deflators", time_period=period, index=index)
    return r
