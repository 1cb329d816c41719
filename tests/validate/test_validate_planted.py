"""One folder with one planted error per rule, each at a line worked out by hand."""

from __future__ import annotations

import codecs
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from validate_helpers import BASE, csv_rows, make_return, where, workbook_bytes

from earlyhelp.validate import RULES_IN_ORDER, reader, validate_paths

PLANTED = {
    "referrals.csv": BASE["referrals.csv"]
    + (
        "E06000001,C1,R3,,1A,N1,false,,\n"  # line 4: referral_date empty
        "E06000001,C1,R4,2019-05-01,11,N1,false,,\n"  # line 5: referral_source 11
        "E06000001,C1,R5,2019-05-01,1A,N1,false,31/03/2020,RC1\n"  # line 6: Excel date
        "E06000001,C1,R6,2019-05-01,1A,N1,true,2019-05-01,RC2\n"  # line 7: NFA closed with RC2
    ),
    "children.csv": BASE["children.csv"]
    + (
        "E06000001,C3,,2012-5,F,WBRI,false,3,F2\n"  # line 4: month 2012-5
        "E06000001,C4,,2012-05,F,WBRI,Y,3,F2\n"  # line 5: bool Y
        "E06000001,C2,,2014-01,M,APKN,true,,F1\n"  # line 6: C2 again
    ),
    "family_goals.csv": BASE["family_goals.csv"]
    + (
        "E06000001,EH1,G2,education,jointly,three,8,met\n"  # line 3: score not a number
        "E06000001,EH1,G3,health,family,3,11,met\n"  # line 4: score 11
        "E06000001,EH9,G4,health,family,3,4,not_met\n"  # line 5: episode EH9 missing
        "\n"  # line 6: blank (warning)
    ),
    "deflators.csv": "time_period,index\n201819,0.98\n201920,n/a\n",  # line 3: not a number
    "early_help_episodes.csv": BASE["early_help_episodes.csv"]
    + (
        "E06000001,C2,F1,EH2,,2019-09-01,2019-08-01,school,school,family_help,other\n"  # line 3
        "E06000001,C2,F1,EH3,2019-09-01\n"  # line 4: 5 fields, not 11
    ),
    "assessments.csv": BASE["assessments.csv"]
    + (
        "E06000001,C1,R1,A2,2020-07-01,,\n"  # line 3: after extract date
        "E06000001,C2,R2,A3,2019-06-01,,\n"  # line 4: follow-up of NFA R2
    ),
    "looked_after_episodes.csv": (
        "la_code,child_id,start_date,reason_new_episode,legal_status,category_of_need,placement,notes\n"
        "E06000001,C1,2019-08-01,S,C2,N1,U1,\n"  # header: unknown column notes
    ),
    "cp_plans.csv": (
        "la_code,child_id,referral_id,start_date,end_date,previous_plans\n"  # no initial_category
        "E06000001,C1,R1,2019-07-01,,0\n"
    ),
    "cin_plans.csv": (
        "la_code,child_id,referral_id,start_date,end_date,end_date\n"  # end_date twice
        "E06000001,C1,R1,2019-07-01,,\n"
    ),
    "s47_enquiries.csv": codecs.BOM_UTF8
    + (
        b"la_code,child_id,referral_id,start_date,icpc_date,icpc_not_required\n"
        b"E06000001,C1,R1,2019-06-01,2019-06-14,false\n"
    ),
    "early_help_services.csv": "la_code,episode_id,service_type,provider_agency,start_date,end_date\n",
    "notes.csv": "anything\n",
}

EXPECTED = {
    ("value-missing", "referrals.csv", 4, "referral_date"),
    ("value-code", "referrals.csv", 5, "referral_source"),
    # one dd/mm/yyyy date among YYYY-MM-DD ones: one finding for the column, not read day first
    ("value-date-ambiguous", "referrals.csv", 6, "closure_date"),
    ("nfa-closure", "referrals.csv", 7, "closure_reason"),
    ("value-month", "children.csv", 4, "birth_month"),
    ("value-bool", "children.csv", 5, "disabled"),
    ("key-duplicate", "children.csv", 6, "child_id"),
    ("value-int", "family_goals.csv", 3, "start_score"),
    ("value-range", "family_goals.csv", 4, "end_score"),
    ("key-foreign", "family_goals.csv", 5, "episode_id"),
    ("row-blank", "family_goals.csv", 6, None),
    ("value-number", "deflators.csv", 3, "index"),
    ("date-order", "early_help_episodes.csv", 3, "end_date"),
    ("row-field-count", "early_help_episodes.csv", 4, None),
    ("after-extract-date", "assessments.csv", 3, "start_date"),
    ("nfa-follow-up", "assessments.csv", 4, "referral_id"),
    ("column-unknown", "looked_after_episodes.csv", 1, "notes"),
    ("column-missing", "cp_plans.csv", 1, "initial_category"),
    ("column-duplicate", "cin_plans.csv", 1, "end_date"),
    ("file-bom", "s47_enquiries.csv", 1, None),
    ("file-no-rows", "early_help_services.csv", None, None),
    ("file-unknown-table", "notes.csv", None, None),
}


def test_every_planted_error_is_reported_once_at_its_line(tmp_path):
    report = validate_paths([make_return(tmp_path, PLANTED)])
    assert where(report) == EXPECTED
    assert all(count == 1 for count in report.summary().values()), report.summary()
    assert not report.ok
    assert report.error_count == len([e for e in EXPECTED if e[0] not in ("row-blank", "file-bom", "file-no-rows")])


def test_the_valid_base_return_passes(tmp_path):
    report = validate_paths([make_return(tmp_path)])
    assert report.ok and report.findings == []
    assert report.files["referrals.csv"] == 2


def test_excel_dates_get_their_own_finding_and_hint(tmp_path):
    report = validate_paths([make_return(tmp_path, {"referrals.csv": PLANTED["referrals.csv"]})])
    [finding] = [f for f in report.findings if f.rule_id == "value-date-ambiguous"]
    assert finding.message == (
        "Dates written day/month/year (1 value, the first one here) cannot be read for certain: "
        "the column mixes them with 3 values written another way."
    )
    assert "yyyy-mm-dd" in finding.hint and not [f for f in report.findings if f.rule_id == "value-date"]


def test_sample_return_shipped_with_the_package_is_valid():
    from earlyhelp import sample

    report = validate_paths([sample.path()])
    assert report.ok, report.summary()
    assert report.warning_count == 0
    assert report.files["children.csv"] == 40


def test_each_la_is_held_to_its_own_extract_date(tmp_path):
    returns = BASE["returns.csv"] + "E08000012,2019-04-01,2020-03-31,2019-12-31\n"
    children = BASE["children.csv"] + "E08000012,L1,,2012-05,F,WBRI,false,3,G1\n"
    referrals = BASE["referrals.csv"] + (
        "E08000012,L1,LR1,2019-11-01,1A,N1,false,2020-01-15,RC1\n"  # line 4: after 2019-12-31
        "E06000001,C1,R9,2019-11-01,1A,N1,false,2020-01-15,RC1\n"  # line 5: fine for E06000001
        "E09000001,C1,R10,2019-11-01,1A,N1,false,,\n"  # line 6: LA not in returns
    )
    report = validate_paths(
        [make_return(tmp_path, {"returns.csv": returns, "children.csv": children, "referrals.csv": referrals})]
    )
    assert where(report) == {
        ("after-extract-date", "referrals.csv", 4, "closure_date"),
        ("key-foreign", "referrals.csv", 6, "la_code"),
        ("key-foreign", "referrals.csv", 6, "child_id"),  # (E09000001, C1) is not a child either
    }
    extract = next(f for f in report.findings if f.rule_id == "after-extract-date")
    assert "(2019-12-31)" in extract.message


def test_unterminated_quote_swallows_the_rest_as_one_short_record(tmp_path):
    text = (
        BASE["referrals.csv"] + 'E06000001,C1,"R3,2019-05-01,1A,N1,false,,\nE06000001,C1,R4,2019-05-01,1A,N1,false,,\n'
    )
    report = validate_paths([make_return(tmp_path, {"referrals.csv": text})])
    assert where(report) == {("row-field-count", "referrals.csv", 4, None)}
    assert "never closed" in report.findings[0].hint


def test_no_further_action_closure_date_rules(tmp_path):
    referrals = BASE["referrals.csv"] + (
        "E06000001,C2,R3,2019-06-01,5C,,true,,RC8\n"  # line 4: not closed
        "E06000001,C2,R4,2019-06-01,5C,,true,2019-06-02,RC8\n"  # line 5: closed next day
        "E06000001,C2,R5,01/06/2019,5C,,true,2019-06-01,RC8\n"  # line 6: only the bad date
    )
    report = validate_paths([make_return(tmp_path, {"referrals.csv": referrals})])
    assert where(report) == {
        ("nfa-closure", "referrals.csv", 4, "closure_date"),
        ("nfa-closure", "referrals.csv", 5, "closure_date"),
        ("value-date-ambiguous", "referrals.csv", 6, "referral_date"),
    }


# ---------------------------------------------------------------------------------------------
# Every rule of the registry fires on a case planted for it. A rule added to rules.RULES_IN_ORDER
# without a case here (or in PLANTED above) fails test_every_rule_fires_on_its_planted_case.


def _parquet_children_with_a_list_column(folder: Path) -> None:
    pq.write_table(
        pa.table({"la_code": ["E06000001"], "child_id": ["C1"], "birth_month": ["2012-05"], "sex": pa.array([["F"]])}),
        folder / "children.parquet",
    )


def _refuse_to_open(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """The reader's ``open`` fails on ``name`` as on a file without read permission (tests run as
    root in CI, where a chmod would not stop the read)."""

    def fake_open(path, *args, **kwargs):
        if Path(path).name == name:
            raise PermissionError(13, "Permission denied", str(path))
        return open(path, *args, **kwargs)

    monkeypatch.setattr(reader, "open", fake_open, raising=False)


REFERRALS_HEADER = BASE["referrals.csv"].splitlines()[0]
IDENTIFIERS_HEADER = BASE["person_identifiers.csv"].splitlines()[0]
LOOKED_AFTER_HEADER = (
    "la_code,child_id,start_date,reason_new_episode,legal_status,category_of_need,placement,end_date,"
    "reason_ceased,placement_provider,reason_place_change,urn"
)
PLANTED_CASES: dict[str, tuple[dict[str, str | bytes | None], str]] = {
    # rule id: (files changed in the base return, the file the rule fires on)
    "file-spreadsheet": ({"children.xlsx": b"PK\x03\x04 a workbook"}, "children.xlsx"),
    "file-duplicate-table": ({}, "children.parquet"),  # children.csv and children.parquet
    "file-unreadable": ({}, "referrals.csv"),  # open() refused
    "file-empty": ({"referrals.csv": b""}, "referrals.csv"),
    "file-binary": ({"referrals.csv": b"PK\x03\x04\x14\x00\x06\x00a workbook"}, "referrals.csv"),
    "file-encoding": (
        {"referrals.csv": BASE["referrals.csv"].encode() + "E06000001,C1,R3,Fianc\xe9\n".encode("cp1252")},
        "referrals.csv",
    ),
    "file-utf16": ({"referrals.csv": codecs.BOM_UTF16_LE + REFERRALS_HEADER.encode("utf-16-le")}, "referrals.csv"),
    "file-delimiter": ({"referrals.csv": REFERRALS_HEADER.replace(",", ";") + "\n"}, "referrals.csv"),
    # A quoted value never closed, longer than a block (made small below): Arrow gives up.
    "file-parse": ({"referrals.csv": REFERRALS_HEADER + '\nE06000001,C1,R3,"' + "x\n" * 300}, "referrals.csv"),
    "file-parquet": ({"returns.csv": None, "returns.parquet": b"PAR1 not really"}, "returns.parquet"),
    "column-type": ({"children.csv": None}, "children.parquet"),
    "value-nhs-number": (
        {"person_identifiers.csv": IDENTIFIERS_HEADER + "\nla_csc,C1,E06000001,4.45E+09,,,,,,\n"},
        "person_identifiers.csv",
    ),
    "value-upn": (
        {"person_identifiers.csv": IDENTIFIERS_HEADER + "\nla_csc,C1,E06000001,,A123,,,,,\n"},
        "person_identifiers.csv",
    ),
    # 943 476 591 weighted 10..2 sums to 299, 299 mod 11 = 2, check digit 11 - 2 = 9, not 8.
    "value-nhs-number-check-digit": (
        {"person_identifiers.csv": IDENTIFIERS_HEADER + "\nla_csc,C1,E06000001,9434765918,,,,,,\n"},
        "person_identifiers.csv",
    ),
    # 805000001001 weighted 2..13 sums to 59, 59 mod 23 = 13: check letter P, not A.
    "value-upn-check-letter": (
        {"person_identifiers.csv": IDENTIFIERS_HEADER + "\nla_csc,C1,E06000001,,A805000001001,,,,,\n"},
        "person_identifiers.csv",
    ),
    "key-table-missing": ({"children.csv": None}, "referrals.csv"),
    "value-urn": (
        {"looked_after_episodes.csv": LOOKED_AFTER_HEADER + "\nE06000001,C1,2019-08-01,S,C2,N1,K2,,,PR4,,SC12\n"},
        "looked_after_episodes.csv",
    ),
    "value-date": (
        {"referrals.csv": BASE["referrals.csv"].replace("2019-07-01,RC9", "2019-02-30,RC9")},
        "referrals.csv",
    ),
    "value-date-day-first": (
        {"returns.csv": "la_code,period_start,period_end,extract_date\nE06000001,01/04/2019,31/03/2020,30/06/2020\n"},
        "returns.csv",
    ),
    "column-blank": (
        {"referrals.csv": "".join(line + ",\r\n" for line in BASE["referrals.csv"].splitlines())},
        "referrals.csv",
    ),
    "row-totals": ({"referrals.csv": BASE["referrals.csv"] + "Total,,,,,,,,\n"}, "referrals.csv"),
    "sheet-unknown-table": (
        {
            "children.csv": None,
            "return.xlsx": workbook_bytes({"children": csv_rows(BASE["children.csv"]), "Notes": []}),
        },
        "return.xlsx",
    ),
    "sheet-misnamed": (
        {"referrals.csv": None, "return.xlsx": workbook_bytes({"Referals": csv_rows(BASE["referrals.csv"])})},
        "return.xlsx",
    ),
}
PARQUET_CHILDREN = ("file-duplicate-table", "column-type")


@pytest.mark.parametrize("rule_id", [rule.id for rule in RULES_IN_ORDER])
def test_every_rule_fires_on_its_planted_case(tmp_path, monkeypatch, rule_id):
    planted_in_the_folder = {(file, line, column) for rule, file, line, column in EXPECTED if rule == rule_id}
    if planted_in_the_folder:
        report = validate_paths([make_return(tmp_path, PLANTED)])
        assert {(f.file, f.line, f.column) for f in report.findings if f.rule_id == rule_id} == planted_in_the_folder
        return
    assert rule_id in PLANTED_CASES, f"no planted case fires {rule_id}: add one to PLANTED or PLANTED_CASES"
    changes, file = PLANTED_CASES[rule_id]
    folder = make_return(tmp_path, changes)
    if rule_id in PARQUET_CHILDREN:
        _parquet_children_with_a_list_column(folder)
    if rule_id == "file-unreadable":
        _refuse_to_open(monkeypatch, file)
    if rule_id == "file-parse":
        monkeypatch.setattr(reader, "BLOCK_BYTES", 256)
    report = validate_paths([folder])
    assert [f.file for f in report.findings if f.rule_id == rule_id][:1] == [file]
