"""Running the DfE rule validators, which live in their own environment (.venv-dfe)."""

from __future__ import annotations

import csv
import json
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("dfe_driver.py")


def dfe_python() -> Path:
    path = Path(os.environ.get("EARLYHELP_DFE_PYTHON", REPO / ".venv-dfe" / "bin" / "python"))
    if not path.exists():
        pytest.fail(
            f"The DfE rule validators' interpreter {path} is missing: run `make dfe-validators` "
            "(or set EARLYHELP_DFE_PYTHON to a Python with csc-validator-be-cin==0.1.13 and "
            "csc-validator-be-903==0.1.17)."
        )
    return path


def run_validator(kind: str, *arguments: str, workdir: Path) -> dict:
    """Run ``dfe_driver.py`` under the DfE interpreter and return its JSON findings."""
    result_file = workdir / f"dfe-{kind}-result.json"
    completed = subprocess.run(
        [str(dfe_python()), str(DRIVER), kind, *arguments, str(result_file)],
        capture_output=True,
        text=True,
        cwd=workdir,
        timeout=600,
    )
    if completed.returncode != 0:
        pytest.fail(f"The DfE {kind} validator failed:\n{completed.stderr[-3000:]}")
    return json.loads(result_file.read_text())


def is_query(rule: str) -> bool:
    """DfE 'Q' rules are queries ('please check and either amend or provide a reason')."""
    return rule.endswith("Q")


# LAs whose ONS codes changed after April 2021: Cumbria, North Yorkshire and Somerset became
# new unitary authorities in 2023; Barnsley and Sheffield were recoded for a boundary change.
# earlyhelp's reference (the LA panel) keeps the codes on the left; the ONS Postcode Directory
# gives their postcodes the codes on the right.
RECODED_SINCE_2021 = {
    "E10000006": ("E06000063", "E06000064"),  # Cumbria -> Cumberland, Westmorland and Furness
    "E10000023": ("E06000065",),  # North Yorkshire
    "E10000027": ("E06000066",),  # Somerset
    "E08000016": ("E08000038",),  # Barnsley
    "E08000019": ("E08000039",),  # Sheffield
}
# Northamptonshire was split in April 2021 (North and West Northamptonshire); the LA panel, and
# so synthetic England, keeps it as one LA, a code the validator's 2021 table no longer has.
SPLIT_BY_2021 = {"E10000021": ("E06000061", "E06000062")}
FOSTER_OR_ADOPTION = {"A3", "A4", "A5", "A6", "U1", "U2", "U3", "U4", "U5", "U6"}


def placements_the_validator_cannot_place(episodes_csv: Path, la_code: str) -> set[tuple[str, str]]:
    """(rule, row) that csc-validator-be-903 must raise on an SSDA903 episodes file because it
    derives PL_LA from PL_POST through a table of April 2021 LA codes: a real postcode in an LA
    recoded since gets no PL_LA. So 169 ("LA of placement is missing") on every episode placed
    there (not short breaks, V3/V4, which have no placement postcode). And 1015 ("own provision
    but not placed in own LA") on the LA's own provision (PR1, placed inside the LA) of a
    placement other than fostering or adoption when the validator's PL_LA for the LA's own
    postcodes is not ``la_code``: the LA was recoded, or split (Northamptonshire).
    Rows count from 0 after the header, as the validator's do."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from earlyhelp.reference import postcodes

    with open(episodes_csv, newline="") as handle:
        rows = list(csv.DictReader(handle))
    book = postcodes()
    wanted = pa.array(sorted({r["PL_POST"] for r in rows if r["PL_POST"]}), pa.large_string())
    found = book.filter(pc.is_in(book.column("postcode"), value_set=wanted)).to_pylist()
    la_of = {r["postcode"]: r["la_code"] for r in found}
    expected = set()
    own_code_unknown = la_code in RECODED_SINCE_2021 or la_code in SPLIT_BY_2021
    for index, row in enumerate(rows):
        if row["LS"] in ("V3", "V4"):
            continue
        if la_of.get(row["PL_POST"]) in RECODED_SINCE_2021:
            expected.add(("169", str(index)))
        if own_code_unknown and row["PLACE_PROVIDER"] == "PR1" and row["PLACE"] not in FOSTER_OR_ADOPTION:
            expected.add(("1015", str(index)))
    return expected
