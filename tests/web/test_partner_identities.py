"""A partner agency's identity extract (``person_identifiers`` of its own source, for linkage):
checked by the same validator, stored only in the LA's identity warehouse, replacing only that
source's earlier records for the LA, then linked so the LA's children and the partner's outcomes
share a ``person_id``; refused when it holds another LA's or the LA's own records; never shown
to the LA's analysts, and no identifier on any page, in any download or in the log."""

from __future__ import annotations

import logging

import duckdb
import pytest
from fastapi.testclient import TestClient

from .conftest import LA_A, Visitor, add_users, sample_zip
from .test_partner import extract
from .test_submissions import submit

pytestmark = pytest.mark.slow  # loads of the sample return and linkage through the worker

SECRET = "tests-only-secret-7f3a9c2e"
HEADER = "source,source_record_id,la_code,nhs_number,upn,forename,surname,date_of_birth,sex,postcode\n"
# H0001 and H0002 are the sample return's children C0001 and C0002 as the health service knows
# them (the same NHS numbers); H0003 is a child only health knows, with planted identifiers that
# appear nowhere else, so finding them anywhere the extract must not reach is a leak.
PLANTED = ("9991234500", "Quillfeather", "ZZ99 3QQ")
HEALTH_ROWS = (
    "health,H0001,E06000001,9995642069,,Alfie,Samplewell,2007-12-07,F,ZZ99 7BR\n"
    "health,H0002,E06000001,9995078090,,Kit,Fakeham,2009-06-17,F,ZZ99 9AN\n"
    "health,H0003,E06000001,9991234500,,Wren,Quillfeather,2015-02-11,F,ZZ99 3QQ\n"
)
HEALTH = HEADER + HEALTH_ROWS
POLICE = HEADER + "police,PN-7,E06000001,,,Kit,Fakeham,2009-06-17,F,ZZ99 9AN\n"
OUTCOMES = "person_id,event_date,event_type\nH0001,2021-05-01,emergency_attendance\nH0003,2022-01-10,injury_admission\n"


def identity_counts(app) -> dict[str, int]:
    path = app.state.storage.identity_warehouse(LA_A)
    with duckdb.connect(str(path), read_only=True) as con:
        return dict(con.execute("SELECT source, count(*) FROM person_identifiers GROUP BY ALL").fetchall())


def analytic_tables(app) -> set[str]:
    with duckdb.connect(str(app.state.storage.warehouse(LA_A)), read_only=True) as con:
        return {t for (t,) in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}


def test_partner_identities_are_stored_apart_replaced_by_source_and_linked(make_app, caplog, capfd):
    caplog.set_level(logging.INFO)
    app = make_app(link_secret=SECRET)
    add_users(app, ["analyst_a", "partner_a", "admin"])
    seen: list[str] = []  # every page and download either user was given
    with TestClient(app) as analyst_client, TestClient(app) as partner_client:
        analyst, partner = Visitor(analyst_client), Visitor(partner_client)
        analyst.sign_in("analyst_a")
        partner.sign_in("partner_a")

        def done(visitor: Visitor, payload: bytes, filename: str) -> tuple[str, str]:
            url = submit(visitor, LA_A, payload, filename)
            page = visitor.wait_for(url)
            seen.append(page.text)
            return url, page.text

        assert "Return accepted" in done(analyst, sample_zip(), "return.zip")[1]
        # The sample return's identity records: 31 from social care, 9 from early help.
        assert identity_counts(app) == {"la_csc": 31, "la_early_help": 9}
        assert "accepted" in done(partner, extract(health_events=OUTCOMES), "outcomes.zip")[1]

        url, page = done(partner, HEALTH.encode(), "person_identifiers.csv")
        assert "identity extract was accepted" in page and "3 health records" in page, page
        assert "Linked:" in page and "2 partner outcome rows" in page
        assert identity_counts(app) == {"la_csc": 31, "la_early_help": 9, "health": 3}
        assert "person_identifiers" not in analytic_tables(app)
        with duckdb.connect(str(app.state.storage.warehouse(LA_A)), read_only=True) as con:
            child = con.execute("SELECT person_id FROM children WHERE child_id = 'E06000001-C0001'").fetchone()[0]
            outcomes = dict(con.execute("SELECT event_type, person_id FROM health_events").fetchall())
        # H0001 is C0001 (one NHS number): its outcome now carries C0001's linked person.
        assert child and outcomes["emergency_attendance"] == child
        assert outcomes["injury_admission"] not in ("H0003", child)

        # The police's records leave health's alone; health's second extract replaces only health's.
        assert "1 police record" in done(partner, extract(person_identifiers=POLICE), "police.zip")[1]
        assert identity_counts(app) == {"la_csc": 31, "la_early_help": 9, "health": 3, "police": 1}
        again = HEADER + HEALTH_ROWS.split("\n", 1)[1]  # H0002 and H0003
        assert "2 health records" in done(partner, again.encode(), "person_identifiers.csv")[1]
        assert identity_counts(app) == {"la_csc": 31, "la_early_help": 9, "health": 2, "police": 1}

        # Refused, nothing stored: the LA's own records, another LA's, another table beside it,
        # and a rule of the validator (with the planted record's identifiers in the bad row).
        before = identity_counts(app)
        own = done(
            partner,
            (HEALTH + "la_csc,X1,E06000001,,,Ann,Other,2010-01-01,F,ZZ99 1AA\n").encode(),
            "person_identifiers.csv",
        )[1]
        assert "1 row of person_identifiers has the LA&#39;s own source" in own, own
        other = done(
            partner,
            (HEALTH + "health,H9,E06000002,,,Ann,Other,2010-01-01,F,ZZ99 1AA\n").encode(),
            "person_identifiers.csv",
        )
        assert "1 row of person_identifiers is not for E06000001" in other[1]
        both = done(partner, extract(person_identifiers=HEALTH, health_events=OUTCOMES), "both.zip")[1]
        assert "also holds health_events" in both
        bad_url, bad = done(partner, HEALTH.replace("2015-02-11", "2015-02-30").encode(), "person_identifiers.csv")
        assert "was not accepted" in bad and "person_identifiers.csv line 4, column date_of_birth" in bad
        problems = partner.get(f"{bad_url}/problems.csv")
        assert problems.status_code == 200 and "date_of_birth" in problems.text
        seen.append(problems.text)
        assert identity_counts(app) == before

        # The LA's return again: its own identity records are replaced, the partners' kept, and
        # the children it brings back without a person_id are linked again (the same ids).
        reloaded = done(analyst, sample_zip(), "return.zip")[1]
        assert "Return accepted" in reloaded and "Linked:" in reloaded
        assert identity_counts(app) == before
        with duckdb.connect(str(app.state.storage.warehouse(LA_A)), read_only=True) as con:
            again_child = con.execute("SELECT person_id FROM children WHERE child_id = 'E06000001-C0001'").fetchone()
        assert again_child[0] == child

        # The LA's analyst cannot read a partner's identity extract back, nor see it listed.
        listing = analyst.get(f"/la/{LA_A}/submissions").text
        seen.append(listing)
        assert "person_identifiers.csv" not in listing and "police.zip" not in listing
        assert analyst.get(url).status_code == 404
        assert analyst.get(f"{bad_url}/problems.csv").status_code == 404
        seen.append(partner.get(f"/la/{LA_A}/submissions").text)
        seen.append(analyst.get(f"/la/{LA_A}").text)
    with TestClient(app) as admin_client:
        admin = Visitor(admin_client)
        admin.sign_in("admin")
        seen.append(admin.get("/admin/audit").text)

    captured = capfd.readouterr()
    places = [*seen, caplog.text, captured.out, captured.err]
    for identifier in PLANTED:
        assert not any(identifier in text for text in places), identifier


def test_without_the_link_secret_the_extract_is_stored_and_the_page_says_it_is_not_linked(make_app, monkeypatch):
    monkeypatch.delenv("EARLYHELP_LINK_SECRET", raising=False)
    app = make_app()
    add_users(app, ["partner_a"])
    with TestClient(app) as client:
        partner = Visitor(client)
        partner.sign_in("partner_a")
        page = partner.wait_for(submit(partner, LA_A, extract(person_identifiers=HEALTH), "ids.zip")).text
        assert "identity extract was accepted" in page and "3 health records" in page
        assert "not been linked yet" in page and "EARLYHELP_LINK_SECRET" in page
    assert identity_counts(app) == {"health": 3}
    assert not app.state.storage.warehouse(LA_A).exists()


def test_before_the_las_return_the_extract_is_stored_and_linked_with_the_return(make_app):
    app = make_app(link_secret=SECRET)
    add_users(app, ["analyst_a", "partner_a"])
    with TestClient(app) as analyst_client, TestClient(app) as partner_client:
        analyst, partner = Visitor(analyst_client), Visitor(partner_client)
        analyst.sign_in("analyst_a")
        partner.sign_in("partner_a")
        page = partner.wait_for(submit(partner, LA_A, HEALTH.encode(), "person_identifiers.csv")).text
        assert "3 health records" in page and "linked when the LA&#39;s return is loaded" in page
        assert identity_counts(app) == {"health": 3}
        returned = analyst.wait_for(submit(analyst, LA_A, sample_zip())).text
        assert "Return accepted" in returned and "Linked: 43 identity records" in returned
    assert identity_counts(app) == {"la_csc": 31, "la_early_help": 9, "health": 3}
