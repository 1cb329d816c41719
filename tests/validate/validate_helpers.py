"""A tiny hand-written valid return, and helpers to write files into a folder."""

from __future__ import annotations

from pathlib import Path

BASE = {
    "returns.csv": """\
la_code,period_start,period_end,extract_date
E06000001,2019-04-01,2020-03-31,2020-06-30
""",
    "children.csv": """\
la_code,child_id,person_id,birth_month,sex,ethnicity,disabled,idaci_decile,family_id
E06000001,C1,,2012-05,F,WBRI,false,3,F1
E06000001,C2,,2014-01,M,APKN,true,,F1
""",
    "referrals.csv": """\
la_code,child_id,referral_id,referral_date,referral_source,primary_need,referral_nfa,closure_date,closure_reason
E06000001,C1,R1,2019-05-01,1A,N1,false,2019-07-01,RC9
E06000001,C2,R2,2019-06-01,5C,,true,2019-06-01,RC8
""",
    "assessments.csv": """\
la_code,child_id,referral_id,assessment_id,start_date,authorisation_date,factors
E06000001,C1,R1,A1,2019-05-03,2019-06-20,1A|2B
""",
    "early_help_episodes.csv": """\
la_code,child_id,family_id,episode_id,request_date,start_date,end_date,request_source,lead_agency,service_level,end_reason
E06000001,C1,F1,EH1,2019-07-01,2019-07-10,2020-01-31,csc_step_down,school,targeted_early_help,outcomes_achieved
""",
    "family_goals.csv": """\
la_code,episode_id,goal_id,outcome_heading,identified_by,start_score,end_score,status
E06000001,EH1,G1,education,jointly,3,8,met
""",
    "person_identifiers.csv": """\
source,source_record_id,la_code,nhs_number,upn,forename,surname,date_of_birth,sex,postcode
la_csc,C1,E06000001,9990000018,,Testa,Fakename,2012-05-14,F,ZZ99 3AB
""",
}


def write_files(folder: Path, files: dict[str, str | bytes]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        target = folder / name
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8", newline="")
    return folder


def make_return(folder: Path, changes: dict[str, str | bytes | None] | None = None) -> Path:
    """Write the base return with some files replaced (or added); ``None`` removes a file."""
    changes = changes or {}
    files = {**BASE, **{k: v for k, v in changes.items() if v is not None}}
    for key, value in changes.items():
        if value is None:
            files.pop(key, None)
    return write_files(folder, files)


def where(report) -> set[tuple[str, str, int | None, str | None]]:
    """(rule, file, line, column) of every finding: what the tests compare against."""
    return {(f.rule_id, f.file, f.line, f.column) for f in report.findings}


def workbook_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    """An .xlsx workbook (written by openpyxl) with one sheet per entry, rows as given; the cells
    keep their Python types (a ``datetime.date`` is an Excel date, a number a number)."""
    import io

    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_rows(text: str) -> list[list[str]]:
    """The rows of a CSV text, as text cells."""
    import csv

    return [row for row in csv.reader(text.splitlines())]
