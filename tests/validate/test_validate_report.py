"""The report: identifiers masked, counts complete, detail capped, JSON machine-readable."""

from __future__ import annotations

import json

from validate_helpers import BASE, make_return

from earlyhelp.spec import TABLES
from earlyhelp.validate import RULES, RULES_IN_ORDER, validate_paths


def test_identifiers_never_appear_in_findings(tmp_path):
    header = BASE["person_identifiers.csv"].splitlines()[0]
    rows = [
        "la_csc,C1,E06000001,9990000018,,Testa,Fakename,14/05/2012,F,ZZ99 3AB",  # date of birth dd/mm/yyyy
        "la_csc,C1,E06000001,9990000026,,Rosalind,Fakename,2012-05-14,F,ZZ99 3AB",  # duplicate key
        "la_csc,C2,E06000001,9990000034,,Testb,Fakename,2012-05-14,Q,ZZ99 3AB",  # bad sex
    ]
    report = validate_paths([make_return(tmp_path, {"person_identifiers.csv": "\n".join([header, *rows]) + "\n"})])
    by_rule = {f.rule_id: f for f in report.findings}
    # Among YYYY-MM-DD dates: one finding for the column, which quotes no date.
    assert set(by_rule) == {"value-date-ambiguous", "key-duplicate", "value-code"}
    assert by_rule["value-date-ambiguous"].value is None
    assert by_rule["value-date-ambiguous"].line == 2
    everything = report.to_json()
    for secret in ("14/05/2012", "Testa", "Rosalind", "9990000018", "ZZ99", "2012-05-14"):
        assert secret not in everything
    # sex is not an identifier column, but every cell of an identity-zone table is masked.
    assert by_rule["value-code"].value == "<1 character, masked>"


# The surname moved two columns right (after date_of_birth and sex): a surname under sex.
SHIFTED = "la_csc,C3,E06000001,9990000042,,Testc,2012-05-14,F,Shiftedname,ZZ99 3AB"


def test_identity_values_are_masked_in_every_column_when_columns_are_shifted(tmp_path):
    header = BASE["person_identifiers.csv"].splitlines()[0]
    # surname holds the date of birth, date_of_birth the sex, sex the surname.
    content = header + "\n" + SHIFTED + "\n"
    report = validate_paths([make_return(tmp_path, {"person_identifiers.csv": content})])
    by_rule = {f.rule_id: f for f in report.findings}
    assert set(by_rule) == {"value-code", "value-date"}
    assert by_rule["value-code"].column == "sex" and by_rule["value-code"].value == "<11 characters, masked>"
    assert by_rule["value-code"].message == "'<11 characters, masked>' is not one of the codes for sex."
    assert by_rule["value-date"].value == "<1 character, masked>"  # 'F' under date_of_birth
    assert "Shiftedname" not in report.to_json()
    # Other tables still show their values: an analyst needs to see a wrong code.
    children = validate_paths(
        [
            make_return(
                tmp_path / "c",
                {"children.csv": BASE["children.csv"] + "E06000001,C3,,2012-05,Shiftedname,WBRI,false,3,F2\n"},
            )
        ]
    )
    assert [f.value for f in children.findings] == ["Shiftedname"]


def test_a_header_row_of_identifiers_is_masked(tmp_path):
    # An export without its header row: the first record is read as the header.
    rows = BASE["person_identifiers.csv"].splitlines()[1]
    report = validate_paths([make_return(tmp_path, {"person_identifiers.csv": rows + "\n"})])
    unknown = [f for f in report.findings if f.rule_id == "column-unknown"]
    # Nine cells, none a column name (C1 included); the empty UPN is a blank column (no values).
    assert len(unknown) == 9
    assert [(f.rule_id, f.message) for f in report.findings if f.rule_id == "column-blank"] == [
        (
            "column-blank",
            "Column E has no name and no values (Excel often saves one after the last column); it was ignored.",
        )
    ]
    everything = report.to_json()
    for secret in ("Testa", "Fakename", "9990000018", "ZZ99 3AB", "2012-05-14"):
        assert secret not in everything
    # The required columns are still named, since they are the spec's.
    assert {f.column for f in report.findings if f.rule_id == "column-missing"} == {
        "source",
        "source_record_id",
        "la_code",
        "sex",
    }


def test_load_and_validate_commands_mask_identity_values(tmp_path):
    from click.testing import CliRunner

    from earlyhelp.cli import main

    header = BASE["person_identifiers.csv"].splitlines()[0]
    folder = make_return(tmp_path / "r", {"person_identifiers.csv": header + "\n" + SHIFTED + "\n"})
    runner = CliRunner()
    for args in (
        ["validate", str(folder)],
        ["validate", str(folder), "--json"],
        ["load", str(folder), "--warehouse", str(tmp_path / "w.duckdb"), "--skip-identity"],
        ["load", str(folder), "--warehouse", str(tmp_path / "w.duckdb"), "--skip-identity", "--json"],
    ):
        result = runner.invoke(main, args)
        assert result.exit_code == 1, result.output
        assert "is not one of the codes for sex" in result.output
        assert "Shiftedname" not in result.output and "2012-05-14" not in result.output


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
    assert data["summary"] == [
        {"rule_id": "value-code", "severity": "error", "title": RULES["value-code"].title, "count": 1, "shown": 1}
    ]
    [finding] = data["findings"]
    assert finding == {
        "file": "children.csv",
        "line": 4,
        "column": "sex",
        "rule_id": "value-code",
        "message": "'X' is not one of the codes for sex.",
        "value": "X",
        "hint": "Use one of the codes of the specification: M, F, U.",
        "severity": "error",
    }
    assert data["files"]["children.csv"] == 3


def test_rules_are_data_derived_from_the_spec():
    ids = [r.id for r in RULES_IN_ORDER]
    assert len(ids) == len(set(ids))
    assert RULES["value-month"].tables == ("children",)
    assert set(RULES["nfa-follow-up"].tables) == {"assessments", "cin_plans", "s47_enquiries", "cp_plans"}
    assert set(RULES["value-range"].tables) >= {"family_goals", "children", "person_link"}
    assert set(RULES["after-extract-date"].tables) == {
        t.name for t in TABLES.values() if any(c.event for c in t.columns)
    }
    for rule in RULES_IN_ORDER:
        assert rule.message.endswith((".", ")")) and rule.title, rule.id
