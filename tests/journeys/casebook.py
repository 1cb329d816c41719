"""A hand-built return for the journeys: one LA, a few children, each on a window's edge.

The return covers 2019-20 (1 April 2019 to 31 March 2020), extracted 30 June 2021. What each
child's records mean is written beside them; the expectations in test_command.py follow from them.
"""

from __future__ import annotations

from pathlib import Path

from tests.indicators.builder import Return

LA = "E06000001"
REGION = "E12000001"
EXTRACT = "2021-06-30"


def _in_family(r: Return, family: str) -> None:
    """The early help episode just added records the family (the builder's default is F1)."""
    r.rows["early_help_episodes"][-1]["family_id"] = family


def build(folder: Path) -> Path:
    r = Return()
    r.la(LA, REGION, extract_date=EXTRACT)
    for child, family, person in (
        ("C1", "F1", "P1"),
        ("C2", "F1", ""),
        ("C3", "", ""),
        ("C4", "", ""),
        ("C5", "", ""),
        ("C6", "", ""),
    ):
        r.add("children", la_code=LA, child_id=child, family_id=family, person_id=person)

    # C1: closed after assessment (RC9) on 1 June 2019; early help starts 19 days later (stepped
    # down); it ends 30 Sep 2019 with outcomes achieved; a new CIN referral on 1 Nov 2019 is a
    # re-referral 153 days after the closure and an escalation 32 days after early help ended.
    # Linked (P1): a police notification on 15 Dec 2019 joins the timeline.
    first = r.referral(LA, "C1", "2019-05-01", closed="2019-06-01", reason="RC9")
    r.add("assessments", la_code=LA, child_id="C1", referral_id=first, assessment_id="A1", start_date="2019-05-03")
    r.early_help(LA, "C1", "2019-06-20", "2019-09-30", end_reason="outcomes_achieved")
    r.referral(LA, "C1", "2019-11-01")
    r.add("police_notifications", person_id="P1", event_date="2019-12-15", event_type="domestic_abuse")

    # C2: closed (RC8) on 10 May 2019; early help starts 29 days later (not stepped down) and ends
    # 1 Aug 2019 stepped up to social care; no escalation follows; early help again on 1 Oct 2019
    # (61 days: re-entry). Never re-referred: censored at the extract date.
    r.referral(LA, "C2", "2019-04-10", closed="2019-05-10", reason="RC8")
    r.early_help(LA, "C2", "2019-06-08", "2019-08-01", end_reason="step_up_to_social_care")
    r.early_help(LA, "C2", "2019-10-01")

    # C3: closed (RC8) on 1 Aug 2019, the day an early help episode (begun before the return)
    # ends: open on the closure date, so stepped down. The next referral, 1 Aug 2020, is 366
    # days later (2020 is a leap year): not within 12 months.
    r.referral(LA, "C3", "2019-07-01", closed="2019-08-01", reason="RC8")
    r.early_help(LA, "C3", "2019-03-01", "2019-08-01", end_reason="other")
    _in_family(r, "F3")  # C3's children row has no family_id: the timeline takes this one
    r.referral(LA, "C3", "2020-08-01")

    # C4: closed (RC8) on 1 Oct 2019 with no early help; a CP plan 61 days later (escalation);
    # a referral closed as no further action 106 days later (a re-referral, not an escalation).
    r.referral(LA, "C4", "2019-09-01", closed="2019-10-01", reason="RC8")
    r.add("cp_plans", la_code=LA, child_id="C4", referral_id="RX", start_date="2019-12-01")
    r.referral(LA, "C4", "2020-01-15", nfa=True, closed="2020-01-15", reason="RC8")

    # C5: a referral closed as no further action: no assessment, so not a closure after assessment.
    r.referral(LA, "C5", "2019-05-05", nfa=True, closed="2019-05-05", reason="RC8")

    # C6: early help ends 1 July 2019 (family declined); a CP plan the same day is not after it;
    # a period of care 366 days later is outside the 12 months.
    r.early_help(LA, "C6", "2019-05-01", "2019-07-01", end_reason="family_declined")
    _in_family(r, "F6")
    r.add("cp_plans", la_code=LA, child_id="C6", referral_id="RY", start_date="2019-07-01")
    r.add("looked_after_episodes", la_code=LA, child_id="C6", start_date="2020-07-01")
    return r.write(folder)
