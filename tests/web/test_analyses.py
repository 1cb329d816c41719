"""The dashboard's threshold index and evaluation tables, read from hand-made files in the LA's
results folder; the expected cells are worked out by hand from those files."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from .conftest import LA_A, LA_B, Visitor, add_users

THRESHOLDS = """la_code,decision,index,ci_lower,ci_upper
E06000001,referral_accepted,0.31416,-0.1,0.72049
E06000001,escalated_to_cin,-1.005,-1.6,-0.4
E06000002,referral_accepted,9.99,9.0,11.0
"""
ESTIMATES = """analysis,outcome,subgroup,estimand,estimate,ci_lower,ci_upper,n_treated,n_comparison,method
child,re_referral_12m,all,ATT_risk_difference,-0.04321,-0.0801,-0.0063,500,900,AIPW (doubly robust)
child,re_referral_12m,all,ATT_risk_ratio,0.8765,0.75,1.0249,500,900,AIPW (doubly robust)
child,re_referral_12m,under_5,ATT_risk_difference,-0.5,-0.6,-0.4,50,90,AIPW (doubly robust)
child,escalation_12m,all,ATT_risk_difference,c,c,c,5,900,IPW (weighted)
child,escalation_12m,all,hazard_ratio,0.7,0.6,0.8,500,900,Cox
"""


def table_rows(page: str, table_id: str) -> list[list[str]]:
    """Each body row's cells (header and data cells), text only."""
    table = re.search(rf'<table class="govuk-table" id="{table_id}">(.*?)</table>', page, re.S)
    assert table is not None, f"no table {table_id}"
    body = table.group(1).split("<tbody", 1)[1]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_dashboard_says_plainly_when_there_are_no_results(make_app):
    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a"])
    with TestClient(app) as client:
        visitor = Visitor(client)
        visitor.sign_in("analyst_a")
        page = visitor.get(f"/la/{LA_A}").text
        assert 'id="no-thresholds"' in page and "There is no threshold index" in page
        assert 'id="no-estimates"' in page and "There are no evaluation results" in page
        assert 'id="thresholds"' not in page and 'id="estimates"' not in page


def test_dashboard_shows_this_las_threshold_index_and_headline_estimates(make_app, tmp_path):
    app = make_app(worker_threads=0)
    add_users(app, ["analyst_a", "analyst_b"])
    folder = tmp_path / "portal" / "results" / LA_A
    folder.mkdir(parents=True)
    (folder / "threshold_index.csv").write_text(THRESHOLDS)
    (folder / "estimates.csv").write_text(ESTIMATES)
    with TestClient(app) as client:
        visitor = Visitor(client)
        visitor.sign_in("analyst_a")
        page = visitor.get(f"/la/{LA_A}").text
        # Only this LA's rows, to two decimals (0.31416 -> 0.31; 0.72049 -> 0.72; -1.005 -> -1.00
        # as a binary float rounds it, -1.00499...).
        assert table_rows(page, "thresholds") == [
            ["referral_accepted", "0.31", "-0.10 to 0.72"],
            ["escalated_to_cin", "-1.00", "-1.60 to -0.40"],
        ]
        assert "9.99" not in page
        # Whole-cohort ATT rows only (not the under-5 subgroup, not the hazard ratio), to three
        # decimals; a suppressed estimate stays "c" with its interval.
        assert table_rows(page, "estimates") == [
            ["re_referral_12m", "ATT_risk_difference", "AIPW (doubly robust)", "-0.043", "-0.080 to -0.006"],
            ["re_referral_12m", "ATT_risk_ratio", "AIPW (doubly robust)", "0.876", "0.750 to 1.025"],
            ["escalation_12m", "ATT_risk_difference", "IPW (weighted)", "c", "c"],
        ]
    with TestClient(app) as client:
        # Another LA's analyst sees neither its own (absent) results nor LA_A's.
        other = Visitor(client)
        other.sign_in("analyst_b")
        page = other.get(f"/la/{LA_B}").text
        assert 'id="no-thresholds"' in page and 'id="no-estimates"' in page
        assert other.get(f"/la/{LA_A}").status_code == 404
