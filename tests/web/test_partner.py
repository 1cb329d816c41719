"""A partner agency's extract (health, school and police outcomes) for an LA of its partnership:
checked by the same validator, added to the LA's loaded return without touching the LA's own
tables, and refused when it holds anything else or the LA has no return yet."""

from __future__ import annotations

import io
import zipfile

import duckdb
import pytest
from fastapi.testclient import TestClient

from .conftest import LA_A, LA_B, Visitor, add_users, sample_zip
from .test_submissions import submit

pytestmark = pytest.mark.slow  # two loads of the sample return through the worker

HEALTH = "person_id,event_date,event_type\nP1,2021-05-01,emergency_attendance\nP2,2022-01-10,injury_admission\n"
POLICE = "person_id,event_date,event_type\nP1,2021-07-01,missing_episode\n"


def extract(**tables: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, text in tables.items():
            bundle.writestr(f"{name}.csv", text)
    return buffer.getvalue()


def counts(app, *tables: str) -> dict[str, int]:
    with duckdb.connect(str(app.state.storage.warehouse(LA_A)), read_only=True) as con:
        found = {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] if t in found else 0 for t in tables}


def test_partner_outcomes_are_checked_and_added_to_the_las_return(make_app):
    app = make_app()
    add_users(app, ["analyst_a", "partner_a"])
    with TestClient(app) as analyst_client, TestClient(app) as partner_client:
        analyst, partner = Visitor(analyst_client), Visitor(partner_client)
        analyst.sign_in("analyst_a")
        partner.sign_in("partner_a")
        assert "Submit partner outcomes" in partner.get(f"/la/{LA_A}/submissions").text
        assert "Submit a return" in analyst.get(f"/la/{LA_A}/submissions").text

        early = partner.wait_for(submit(partner, LA_A, extract(health_events=HEALTH)))
        assert "no return for this LA yet" in early.text

        assert "Return accepted" in analyst.wait_for(submit(analyst, LA_A, sample_zip())).text
        tables = ("children", "referrals", "returns", "health_events", "police_notifications", "load_history")
        before = counts(app, *tables)
        assert before["children"] > 0 and before["health_events"] == 0 and before["load_history"] == 1

        # A partner cannot replace the LA's return, even with the LA's own file.
        whole = partner.wait_for(submit(partner, LA_A, sample_zip()))
        assert "also holds" in whole.text and "referrals" in whole.text
        # The validator's rules: an event type not in the spec's list, and a date that is no date.
        bad = HEALTH.replace("injury_admission", "broken_leg") + "P3,2022-02-30,emergency_attendance\n"
        rejected = partner.wait_for(submit(partner, LA_A, extract(health_events=bad)))
        assert "was not accepted" in rejected.text
        assert "health_events.csv line 3, column event_type" in rejected.text
        assert "health_events.csv line 4, column event_date" in rejected.text
        assert counts(app, *tables) == before

        accepted = partner.wait_for(submit(partner, LA_A, extract(health_events=HEALTH, police_notifications=POLICE)))
        assert "accepted" in accepted.text and "partner outcomes" in accepted.text
        after = counts(app, *tables)
        assert (after["health_events"], after["police_notifications"], after["load_history"]) == (2, 1, 2)
        for own in ("children", "referrals", "returns"):
            assert after[own] == before[own], own
        # The LA's dashboard is still there for its analyst.
        assert analyst.get(f"/la/{LA_A}").status_code == 200

        # Another LA's page, for this partner, does not exist.
        assert partner.get(f"/la/{LA_B}/submissions").status_code == 404
