"""No identifier outside the identity zone in what every command writes, its logs included
(issue #16). One pipeline on tiny synthetic England runs every command that writes files, each
with ``-v``, in a folder of its own; each route's output is then scanned with the identity
records of everything the pipeline read or wrote (see ``identifier_scan`` for what counts).
What a command prints (``neighbours --csv``, ``validate --json``) is saved as a file and scanned
too, and a second test plants an NHS number in every scanned file of every route: each is found.

The identity zone here: the identity tables (``person_identifiers``, ``episode_postcodes``),
synthetic England's truth about each identity record, the identity warehouse, and the DfE returns
``export`` writes (CIN census XML and SSDA903 files carry UPNs and dates of birth by design, as
the returns an LA submits do); for those the test checks they are written only where asked.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import secrets
import shutil
import struct
import subprocess
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from formats.test_ssd import _extract as write_ssd_extract  # tests/ is on sys.path, as pytest puts it

from .identifier_scan import IdentityRecords, Scanner, in_identity_zone, read_table

EARLYHELP = [sys.executable, "-c", "from earlyhelp.cli import run; run()", "-v"]
LA = "E06000001"
CIN_YEAR = "2019"

# Each route: the folder it wrote (under the pipeline's folder) and the least it must have read,
# so that a scan of nothing cannot pass.
ROUTES = {
    "synth": ("synthetic", {"csv": 20, "json": 1}),
    "ingest-cin-xml": ("ingested/cin", {"csv": 6}),
    "ingest-skip-invalid": ("ingested/cin-skip-invalid", {"csv": 8}),  # ingest_issues.tsv among them
    "ingest-ssda903": ("ingested/ssda903", {"csv": 3}),
    "ingest-ssd": ("ingested/ssd", {"csv": 7}),
    "link": ("linkage", {"parquet": 1, "json": 2, "text": 2}),
    "link-analytic": ("analytic", {"csv": 20}),
    "journeys": ("journeys", {"csv": 4, "parquet": 1, "text": 8}),  # internal/ timelines among them
    "load": ("warehouse", {"duckdb": 1}),
    "indicators": ("indicators", {"csv": 4, "json": 1, "text": 2, "xlsx": 1}),
    "report": ("report", {"csv": 2, "json": 1, "text": 4, "png": 3}),
    "report-la": ("report-la", {"csv": 2, "json": 1, "text": 8, "png": 7}),
    "neighbours": ("neighbours", {"csv": 1}),
    "fund": ("funding", {"csv": 7, "json": 1, "text": 3}),
    "evaluate": ("evaluation", {"csv": 2, "text": 3}),
    "thresholds": ("thresholds", {"csv": 3, "text": 2}),
    "whatif": ("whatif", {"csv": 2, "text": 1, "xlsx": 1}),
    "validate": ("validation", {"json": 1, "text": 1}),
    "logs": ("logs", {"text": 32}),
}
# Left out of the scans: the identity-zone files beside the analytic ones (named by path).
IDENTITY_FILES = (
    "synthetic/truth/person_records.csv",
    "analytic/truth/person_records.csv",
    "identity/identity.duckdb",
)


@dataclass
class Pipeline:
    root: Path
    records: IdentityRecords
    planted_findings: set[tuple[int, str, str]]
    synthetic_digest_after_synth: str = ""
    synthetic_digest_at_end: str = ""

    def zone(self):
        return in_identity_zone([self.root / name for name in IDENTITY_FILES])


def _digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _plant_invalid_identifiers(folder: Path) -> tuple[str, set[tuple[int, str, str]]]:
    """Make identity values the validator must complain about, from real identity records: a
    date of birth saved by Excel (dd/mm/YYYY), an NHS number with a wrong check digit, a full name
    and a postcode in the wrong columns. Returns the new NHS number (not an identity record's) and
    the findings expected: (line, column, rule)."""
    path = folder / "person_identifiers.csv"
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    with_all = [row for row in rows if row["nhs_number"] and row["date_of_birth"] and row["postcode"]]
    first, second, third, fourth = with_all[:4]
    year, month, day = first["date_of_birth"].split("-")
    first["date_of_birth"] = f"{day}/{month}/{year}"
    nhs = second["nhs_number"]
    second["nhs_number"] = nhs[:9] + str((int(nhs[9]) + 1) % 10)
    third["sex"] = f"{third['forename']} {third['surname']}"
    fourth["nhs_number"] = fourth["postcode"]
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    line = {id(row): number for number, row in enumerate(rows, start=2)}  # the header is line 1
    expected = {
        (line[id(first)], "date_of_birth", "value-date-ambiguous"),
        (line[id(second)], "nhs_number", "value-nhs-number-check-digit"),
        (line[id(third)], "sex", "value-code"),
        (line[id(fourth)], "nhs_number", "value-nhs-number"),
    }
    return second["nhs_number"], expected


def _with_a_signed_birth_date(xml: str) -> str:
    """The first child with a UPN gets a date of birth the XSD allows and ingest rejects (-YYYY-MM-DD)."""
    fixed, count = re.subn(r"(<UPN>[^<]+</UPN>\s*<PersonBirthDate>)", r"\1-", xml, count=1)
    assert count == 1
    return fixed


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Pipeline:
    root = tmp_path_factory.mktemp("commands")
    logs = root / "logs"
    logs.mkdir()
    env = {**os.environ, "EARLYHELP_LINK_SECRET": secrets.token_hex(32)}

    def earlyhelp(name: str, *args: str, status: int = 0) -> str:
        result = subprocess.run([*EARLYHELP, *args], cwd=root, env=env, capture_output=True, text=True, timeout=600)
        (logs / f"{name}.stdout.log").write_text(result.stdout)
        (logs / f"{name}.stderr.log").write_text(result.stderr)
        assert result.returncode == status, f"{name}: exit {result.returncode}\n{result.stderr[-2000:]}"
        return result.stdout

    earlyhelp("synth", "synth", "--out", "synthetic", "--scale", "tiny", "--seed", "7", "--format", "csv")
    after_synth = _digest(root / "synthetic")
    for fmt in ("cin-xml", "ssda903"):
        earlyhelp(
            f"export-{fmt}",
            "export",
            "--data",
            "synthetic",
            "--to",
            fmt,
            "--year",
            CIN_YEAR,
            "--approximate-birth-dates",
            "--out",
            f"returns/{fmt}",
        )
    earlyhelp("ingest-cin-xml", "ingest", f"returns/cin-xml/CIN_census_{LA}_{CIN_YEAR}.xml", "--out", "ingested/cin")
    cin_xml = root / "returns" / "cin-xml" / f"CIN_census_{LA}_{CIN_YEAR}.xml"
    (root / "broken").mkdir()
    (root / "broken" / cin_xml.name).write_text(_with_a_signed_birth_date(cin_xml.read_text()))
    earlyhelp(
        "ingest-skip-invalid",
        "ingest",
        f"broken/{cin_xml.name}",
        "--skip-invalid",
        "--out",
        "ingested/cin-skip-invalid",
    )
    earlyhelp("ingest-ssda903", "ingest", f"returns/ssda903/{LA}", "--la-code", LA, "--out", "ingested/ssda903")
    write_ssd_extract(root / "ssd-extract")
    earlyhelp("ingest-ssd", "ingest", "ssd-extract", "--la-code", LA, "--out", "ingested/ssd")
    shutil.copytree(root / "synthetic", root / "analytic")
    earlyhelp("link", "link", "--identities", "synthetic", "--out", "linkage", "--analytic", "analytic")
    earlyhelp("journeys", "journeys", "--data", "analytic", "--out", "journeys")
    earlyhelp(
        "load",
        "load",
        "analytic",
        "--warehouse",
        "warehouse/analytic.duckdb",
        "--identity-warehouse",
        "identity/identity.duckdb",
        "--json",
    )
    earlyhelp("indicators", "indicators", "--warehouse", "warehouse/analytic.duckdb", "--out", "indicators")
    earlyhelp("report", "report", "--indicators", "indicators", "--out", "report")
    earlyhelp("report-la", "report", "--data", "analytic", "--out", "report-la", "--la", LA)
    (root / "neighbours").mkdir()
    (root / "neighbours" / "neighbours.csv").write_text(earlyhelp("neighbours", "neighbours", "--la", "805", "--csv"))
    earlyhelp("fund", "fund", "--out", "funding")
    earlyhelp("evaluate", "evaluate", "--data", "analytic", "--out", "evaluation")
    earlyhelp("thresholds", "thresholds", "--data", "analytic", "--out", "thresholds")
    earlyhelp(
        "whatif",
        *("whatif", "--data", "analytic", "--evaluation", "evaluation", "--out", "whatif", "--replicates", "5"),
    )
    shutil.copytree(root / "synthetic", root / "validation-input", ignore=shutil.ignore_patterns("truth"))
    wrong_check_digit, expected_findings = _plant_invalid_identifiers(root / "validation-input")
    (root / "validation").mkdir()
    (root / "validation" / "validation.json").write_text(
        earlyhelp("validate-json", "validate", "validation-input", "--json", "--all", status=1)
    )
    (root / "validation" / "validation.txt").write_text(
        earlyhelp("validate", "validate", "validation-input", "--all", status=1)
    )

    records = IdentityRecords()
    for folder in ("synthetic", "ingested/cin", "ingested/ssda903", "ingested/ssd", "validation-input"):
        records.add_folder(root / folder)
    for return_folder in (root / "returns" / "ssda903").iterdir():
        records.add_ssda903(return_folder)
    records.add_ssd_extract(root / "ssd-extract")
    assert wrong_check_digit in records.nhs_numbers
    return Pipeline(root, records, expected_findings, after_synth, _digest(root / "synthetic"))


@pytest.mark.slow
@pytest.mark.parametrize("route", ROUTES)
def test_no_identifier_outside_the_identity_zone(pipeline: Pipeline, route: str) -> None:
    folder, least = ROUTES[route]
    # Not vacuous: identifiers of every kind to look for (names from synthetic England and SSD).
    assert all(size > 100 for size in pipeline.records.sizes().values()), pipeline.records.sizes()
    result = Scanner(pipeline.records).scan(pipeline.root / folder, identity_zone=pipeline.zone())
    print(f"{route}: {result.summary()}")
    files = [p for p in (pipeline.root / folder).rglob("*") if p.is_file()]
    assert sum(result.scanned.values()) + len(result.skipped_identity_zone) == len(files)
    assert result.unreadable == []
    assert all(result.scanned[kind] >= count for kind, count in least.items()), result.summary()
    assert result.total == 0, result.summary()


@pytest.mark.slow
@pytest.mark.parametrize("route", ROUTES)
def test_the_scan_of_each_route_finds_an_identifier_planted_in_any_of_its_files(
    pipeline: Pipeline, route: str, tmp_path: Path
) -> None:
    folder, _ = ROUTES[route]
    copy = tmp_path / folder
    shutil.copytree(pipeline.root / folder, copy)
    zone = in_identity_zone([copy.parent / name for name in IDENTITY_FILES])
    nhs_number = min(pipeline.records.nhs_numbers)
    scanned = [p for p in sorted(copy.rglob("*")) if p.is_file() and not zone(p)]
    for path in scanned:
        _plant(path, nhs_number)
    result = Scanner(pipeline.records).scan(copy, identity_zone=zone)
    assert dict(result.found) == {"nhs_number": len(scanned)}, result.summary()
    assert sorted(result.by_file) == sorted(str(p.relative_to(copy)) for p in scanned)
    assert nhs_number not in result.summary()


def _plant(path: Path, value: str) -> None:
    """Put ``value`` in a file as a new cell, table, JSON field or line, keeping it readable."""
    suffix = path.suffix.lower()
    if suffix == ".duckdb":
        con = duckdb.connect(str(path))
        con.execute("CREATE TABLE planted AS SELECT ? AS note", [value])
        con.close()
    elif suffix in (".parquet", ".csv", ".tsv"):
        table = read_table(path)
        note = pa.array([value] + [None] * (table.num_rows - 1), pa.string()) if table.num_rows else None
        table = table.append_column("planted_note", note) if note is not None else pa.table({"note": [value]})
        if suffix == ".parquet":
            pq.write_table(table, path)
        else:
            delimiter = "\t" if suffix == ".tsv" else ","
            pacsv.write_csv(table, path, pacsv.WriteOptions(delimiter=delimiter))
    elif suffix == ".json":
        path.write_text(json.dumps({"planted": value, "original": json.loads(path.read_text())}))
    elif suffix == ".xlsx":
        workbook = openpyxl.load_workbook(path)
        workbook.create_sheet("Planted").append(["note"])
        workbook["Planted"].append([value])
        workbook.save(path)
    elif suffix == ".png":
        data = path.read_bytes()
        body = b"Comment\0" + value.encode("latin-1")
        chunk = struct.pack(">I4s", len(body), b"tEXt") + body
        chunk += struct.pack(">I", zlib.crc32(b"tEXt" + body))
        path.write_bytes(data[:-12] + chunk + data[-12:])  # before IEND, the last 12 bytes
    else:
        path.write_text(path.read_text() + f"\n{value}\n")


@pytest.mark.slow
def test_export_writes_its_identity_zone_returns_only_where_asked(pipeline: Pipeline) -> None:
    returns = pipeline.root / "returns"
    written = sorted(str(p.relative_to(returns)) for p in returns.rglob("*") if p.is_file())
    las = read_table(pipeline.root / "synthetic" / "local_authorities.csv").column("la_code").to_pylist()
    assert written == sorted(
        [f"cin-xml/CIN_census_{la}_{CIN_YEAR}.xml" for la in las]
        + [f"ssda903/{la}/{name}.csv" for la in las for name in ("episodes", "header")]
    )
    # They are identity-zone files by design: they hold the children's UPNs and dates of birth.
    everything = Scanner(pipeline.records).scan(returns, identity_zone=lambda path: False)
    assert everything.found["upn"] > 100 and everything.found["date_of_birth"] > 100, everything.summary()
    # Nothing else: the data exported (and later linked) is unchanged, and no command wrote
    # beside its --out (each ran in the pipeline's folder, so a stray file would be at its top).
    assert pipeline.synthetic_digest_after_synth == pipeline.synthetic_digest_at_end
    assert sorted(p.name for p in pipeline.root.iterdir()) == sorted(
        {
            *(folder.split("/")[0] for folder, _ in ROUTES.values()),
            "returns",
            "identity",
            "ssd-extract",
            "broken",
            "validation-input",
        }
    )


@pytest.mark.slow
def test_validation_messages_about_identifiers_mask_them(pipeline: Pipeline) -> None:
    report = json.loads((pipeline.root / "validation" / "validation.json").read_text())
    # The planted identifiers produced messages, so the scan of them above means something.
    found = {
        (finding["line"], finding["column"], finding["rule_id"])
        for finding in report["findings"]
        if finding["file"] == "person_identifiers.csv"
    }
    assert pipeline.planted_findings <= found
    text = (pipeline.root / "validation" / "validation.txt").read_text()
    for line, column, rule in pipeline.planted_findings:
        if rule == "value-date-ambiguous":  # one finding for the column, which quotes no value
            assert f"column {column}" in text
            continue
        assert f"person_identifiers.csv line {line}, column {column}: '<" in text


@pytest.mark.slow
def test_ingest_lists_a_child_left_out_without_its_identifiers(pipeline: Pipeline) -> None:
    issues = (pipeline.root / "ingested" / "cin-skip-invalid" / "ingest_issues.tsv").read_text().splitlines()
    assert len(issues) == 2 and "PersonBirthDate" in issues[1] and "LAchildID" in issues[1]
