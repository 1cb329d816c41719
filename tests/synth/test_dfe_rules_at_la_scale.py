"""One LA at full size (slow): the journeys keep the DfE return rules that only bite at that size.

At the tiny scale the DfE validators found no error, at Derby's full size they found a few (see
docs/formats.md, "DfE validators"). Each test here states one of those rules directly on the EHLD
tables of clean synthetic Derby, and first checks that the situation it guards occurs at all,
so that it can fail.
"""

from __future__ import annotations

import numpy as np
import pytest

from earlyhelp.synth import NO_IDENTITY_FAULTS, generate, settings_for
from earlyhelp.synth.simulate import EPOCH, _weekday_on_or_after

from .helpers import connect, one


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    out = tmp_path_factory.mktemp("derby")
    generate(out, settings=settings_for("la", seed=3).with_changes(identity_faults=NO_IDENTITY_FAULTS))
    connection = connect(out, truth=("children",))
    yield connection
    connection.close()


def test_weekend_days_move_on_to_the_monday():
    def day(text: str) -> int:
        return int((np.datetime64(text) - EPOCH) // np.timedelta64(1, "D"))

    # 1 April 2017 was a Saturday, 1 April 2018 a Sunday, 1 April 2020 a Wednesday.
    given = np.array([day("2017-04-01"), day("2017-04-02"), day("2018-04-01"), day("2020-04-01")])
    expected = [day("2017-04-03"), day("2017-04-03"), day("2018-04-02"), day("2020-04-01")]
    assert _weekday_on_or_after(given).tolist() == expected


@pytest.mark.slow
def test_no_referral_after_adoption_death_or_an_adult_age_assessment(con):
    # SSDA903 rules 199 (adopted, then looked after again) and 437 (an episode after E2 / E15).
    # Not under the same record, nor as the same person in another LA.
    endings = one(
        con,
        """SELECT count(*) FROM looked_after_episodes
                          WHERE reason_ceased IN ('E11', 'E12', 'E2', 'E15')""",
    )[0]
    assert endings > 20
    later = one(
        con,
        """
        WITH ended AS (
            SELECT t.true_person_id, e.end_date FROM looked_after_episodes e
            JOIN truth_children t USING (la_code, child_id)
            WHERE e.reason_ceased IN ('E11', 'E12', 'E2', 'E15'))
        SELECT count(*) FROM ended JOIN truth_children t USING (true_person_id)
        JOIN (SELECT la_code, child_id, referral_date AS day FROM referrals
              UNION ALL SELECT la_code, child_id, start_date FROM looked_after_episodes) x
          ON x.la_code = t.la_code AND x.child_id = t.child_id
        WHERE x.day > ended.end_date""",
    )[0]
    assert later == 0


@pytest.mark.slow
def test_special_guardianship_ends_care_only_before_18(con):
    # Rule 407: REC E45-E48 only before the 18th birthday (the validator adds 18 years with
    # pandas, so a child born on 29 February is 18 on the 28th).
    birth = """(SELECT source_record_id AS child_id, date_of_birth FROM person_identifiers
                WHERE source = 'la_csc')"""
    at_18 = one(
        con,
        f"""SELECT count(*) FROM looked_after_episodes e JOIN {birth} b USING (child_id)
                         WHERE e.end_date >= b.date_of_birth + INTERVAL 18 YEAR""",
    )[0]
    sgo = one(
        con,
        """SELECT count(*) FROM looked_after_episodes
                      WHERE reason_ceased IN ('E45', 'E46', 'E47', 'E48')""",
    )[0]
    assert at_18 > 20 and sgo > 20
    late = one(
        con,
        f"""SELECT count(*) FROM looked_after_episodes e JOIN {birth} b USING (child_id)
                        WHERE e.reason_ceased IN ('E45', 'E46', 'E47', 'E48')
                          AND e.end_date >= b.date_of_birth + INTERVAL 18 YEAR""",
    )[0]
    assert late == 0


@pytest.mark.slow
def test_no_activity_after_an_episode_closes(con):
    # CIN rule 8565: assessment, enquiry, conference and plan dates are on or before closure.
    closed = "(SELECT la_code, referral_id, closure_date FROM referrals WHERE closure_date IS NOT NULL)"
    with_enquiry = one(con, f"SELECT count(*) FROM s47_enquiries JOIN {closed} c USING (la_code, referral_id)")[0]
    assert with_enquiry > 100
    checks = {
        "assessments": "greatest(start_date, coalesce(authorisation_date, start_date))",
        "s47_enquiries": "greatest(start_date, coalesce(icpc_date, start_date))",
        "cp_plans": "greatest(start_date, coalesce(end_date, start_date))",
        "cin_plans": "greatest(start_date, coalesce(end_date, start_date))",
    }
    for table, latest in checks.items():
        after = one(
            con,
            f"""SELECT count(*) FROM {table} JOIN {closed} c USING (la_code, referral_id)
                             WHERE {latest} > c.closure_date""",
        )[0]
        assert after == 0, table


@pytest.mark.slow
def test_not_in_need_closes_on_the_day_the_assessment_is_authorised(con):
    # CIN query 8873Q: factor 21 alone (no factors) must sit on an RC8/RC9 closure; a closure
    # a few days after the authorisation left such assessments on episodes open at 31 March.
    rows = con.execute("""SELECT count(*), count(*) FILTER (WHERE r.closure_date <> a.authorisation_date)
        FROM referrals r JOIN assessments a USING (la_code, referral_id)
        WHERE r.closure_reason IN ('RC8', 'RC9')""").fetchall()[0]
    assert rows[0] > 1000 and rows[1] == 0


@pytest.mark.slow
def test_no_further_action_is_recorded_on_weekdays(con):
    # CIN query 8569Q reads an NFA referral on a weekend 1 April as one of the year before.
    # ISO day of week: 6 Saturday, 7 Sunday. The Monday may not fall after the extract date.
    nfa, weekend = one(
        con,
        """SELECT count(*), count(*) FILTER (WHERE isodow(referral_date) >= 6)
        FROM referrals JOIN returns USING (la_code)
        WHERE referral_nfa AND referral_date + 2 <= extract_date""",
    )
    assert nfa > 1000 and weekend == 0
    assert (
        one(
            con,
            """SELECT count(*) FROM referrals
                       WHERE NOT referral_nfa AND isodow(referral_date) >= 6""",
        )[0]
        > 0
    )


def test_a_care_period_of_two_days_has_at_most_two_episodes_of_a_day_each():
    # SSDA903 rules 355 (an episode under 24 hours), 388 and 433 (a continuation episode
    # starts the day the one before ended). Care that begins two days before the 18th
    # birthday ends on it; up to three episodes are drawn per period, so some of these 300
    # periods draw three, which two days cannot hold.
    from earlyhelp.synth.simulate import Columns, JourneySimulator, _birthday

    engine = object.__new__(JourneySimulator)
    engine.rng = np.random.default_rng(7)
    engine.cla = Columns("child", "la", "start", "rne", "legal", "need", "placement", "end", "ceased")
    n = 300
    birth = np.full(n, int((np.datetime64("2000-09-06") - EPOCH) // np.timedelta64(1, "D")))
    birthday = _birthday(birth, 18)
    start = birthday - 2
    engine._care(np.arange(n), np.zeros(n, np.int64), start, birthday, np.full(n, "E8"), birth, birthday - 2)
    cla = engine.cla.finish()
    per_child = np.bincount(cla["child"], minlength=n)
    assert per_child.max() == 2 and per_child.min() == 1
    assert (cla["end"] > cla["start"]).all()
    two = np.flatnonzero(per_child == 2)
    first = np.flatnonzero(np.isin(cla["child"], two) & (cla["rne"] == "S"))
    second = np.flatnonzero(np.isin(cla["child"], two) & (cla["rne"] != "S"))
    assert (cla["start"][first] == start[two]).all() and (cla["end"][first] == start[two] + 1).all()
    assert (cla["start"][second] == start[two] + 1).all() and (cla["end"][second] == birthday[two]).all()
    assert set(cla["ceased"][first]) == {"X1"}
