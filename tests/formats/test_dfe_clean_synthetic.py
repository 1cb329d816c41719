"""Issue 5, literally: clean synthetic data exported to the CIN census passes the DfE rules.

`earlyhelp synth --no-identity-faults` writes identity records with every identifier present and
right, so the census built from them must give csc-validator-be-cin no error at all (queries,
the DfE's "please check" rules ending in Q, are listed and limited to the ones EHLD explains;
see test_synthetic_dfe.py, which checks the faulted default data instead).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from earlyhelp.formats import export
from earlyhelp.synth import NO_IDENTITY_FAULTS, generate, settings_for

from .dfe import is_query, run_validator
from .test_synthetic_dfe import CIN_EXPECTED_QUERIES

pytestmark = pytest.mark.slow


def test_clean_synthetic_england_exported_to_cin_xml_has_no_dfe_errors(tmp_path: Path) -> None:
    settings = settings_for("tiny", seed=2).with_changes(identity_faults=NO_IDENTITY_FAULTS)
    data = generate(tmp_path / "synthetic", fmt="csv", settings=settings)
    written = export(data, "cin-xml", tmp_path / "cin", year=2020)  # no approximate dates needed
    assert len(written) == 3
    children = 0
    for path in written:
        found = run_validator("cin", str(path), "cin2025_26", workdir=tmp_path)
        assert found["rules_run"] > 100 and found["rules_crashed"] == []
        issues = found["child_level"] + found["la_level"]
        errors = sorted({issue["rule"] for issue in issues if not is_query(issue["rule"])})
        assert errors == [], path.name
        assert {issue["rule"] for issue in issues if is_query(issue["rule"])} <= CIN_EXPECTED_QUERIES
        children += path.read_text().count("<Child>")
    assert children > 200  # enough children for the rules to have had something to bite on
