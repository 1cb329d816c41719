"""The report: identifiers masked, counts complete, detail capped, JSON machine-readable."""

from __future__ import annotations

import json

from earlyhelp.validate import RULES, RULES_IN_ORDER, validate_paths
from earlyhelp.spec import TABLES
from validate_helpers import BASE, make_return


def test_identifiers_never_appear_in_findings(tmp_path):
    header = BASE["person_identifiers.csv"].splitlines()[0]
    rows = [
        "la_csc,C1,E06000001,9990000018,,Testa,Fakename,14/05/2012,F,ZZ99 3AB",  # bad date of birth
        "la_csc,C1,E06000001,9990000026,,Rosalind,Fakename,2012-05-14,F,ZZ99 3AB",  # duplicate key
        "la_csc,C2,E06000001,9990000034,,Testb,Fakename,2012-05-14,Q,ZZ99 3AB",  # bad sex
    ]
    report = validate_paths([make_return(tmp_path, {"person_identifiers.csv": "\n".join([header, *rows]) + "\n"})])
    by_rule = {f.rule_id: f for f in report.findings}
    assert set(by_rule) == {"value-date", "key-duplicate", "value-code"}
    assert by_rule["value-date"].value == "<10 characters, masked>"
    assert by_rule["value-date"].line == 2
    everything = report.to_json()
    for secret in ("14/05/2012", "Testa", "Rosalind", "9990000018", "ZZ99", "2012-05-14"):
        assert secret not in everything
    assert by_rule["value-code"].value == "Q"  # sex is not an identifier


def test_counts_are_complete_while_detail_is_capped(tmp_path):
    rows = [f"E06000001,C1,R{i},2019-05-01,ZZ,N1,false,," for i in range(10, 60)]
    folder = make_return(tmp_path, {"referrals.csv": BASE["referrals.csv"] + "\n".join(rows) + "\n"})
    capped = validate_paths([folder], detail_limit=5)
    assert capped.summary() == {"value-code": 50}
    assert [f.line for f in capped.findings] == [4, 5, 6, 7, 8]
    everything = validate_paths([folder], detail_limit=None)
    assert len(everything.findings) == 50 and everything.findings[-1].line == 53


def test_json_report_shape(tmp_path):
    folder = make_return(tmp_path, {"children.csv": BASE["children.csv"] + "E06000001,C3,,2012-05,X,WBRI,false,3,F2\n"})
    data = json.loads(validate_paths([folder]).to_json())
    assert data["ok"] is False and data["errors"] == 1 and data["warnings"] == 0
    assert data["summary"] == [{"rule_id": "value-code", "severity": "error", "title": RULES["value-code"].title,
                                "count": 1, "shown": 1}]
    [finding] = data["findings"]
    assert finding == {
        "file": "children.csv", "line": 4, "column": "sex", "rule_id": "value-code",
        "message": "'X' is not one of the codes for sex.", "value": "X",
        "hint": "Use one of the codes of the specification: M, F, U.", "severity": "error",
    }
    assert data["files"]["children.csv"] == 3


def test_rules_are_data_derived_from_the_spec():
    ids = [r.id for r in RULES_IN_ORDER]
    assert len(ids) == len(set(ids))
    assert RULES["value-month"].tables == ("children",)
    assert set(RULES["nfa-follow-up"].tables) == {"assessments", "cin_plans", "s47_enquiries", "cp_plans"}
    assert set(RULES["value-range"].tables) >= {"family_goals", "children", "person_link"}
    assert set(RULES["after-extract-date"].tables) == {
        t.name for t in TABLES.values() if any(c.event for c in t.columns)}
    for rule in RULES_IN_ORDER:
        assert rule.message.endswith((".", ")")) and rule.title, rule.id
