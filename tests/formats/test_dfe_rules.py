"""The DfE rules (csc-validator-be-cin / -903, run in .venv-dfe) on what ``export`` writes."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from lxml import etree

from earlyhelp.formats import export, ingest
from . import ehld_builder
from .dfe import is_query, run_validator

pytestmark = pytest.mark.slow

# Queries that follow from what EHLD does not record, never from the data being wrong:
# EHLD keeps disabled yes/no, so one code per child and fewer than 8 codes (2887Q, 2888Q);
# EHLD closes a no-further-action referral with RC8 on its referral date, as the census does,
# and the census then queries RC8 without an assessment (8825Q).
CIN_MODEL_QUERIES = {"2887Q", "2888Q", "8825Q"}
# SSDA903 rules about fields EHLD does not hold: placement provider (526), URN (218), placement
# postcode and LA (169, 179, 392b), reason for placement change (225), MOTHER (393, 607).
SSDA903_MODEL_RULES = {"169", "179", "218", "225", "392b", "393", "526", "607"}


def test_cin_export_breaks_no_dfe_rule(tmp_path: Path) -> None:
    folder = ehld_builder.census_folder(tmp_path / "ehld")
    (path,) = export(folder, "cin-xml", tmp_path / "out")
    found = run_validator("cin", str(path), "cin2025_26", workdir=tmp_path)
    assert found["rules_run"] > 100 and found["rules_crashed"] == []
    rules = {issue["rule"] for issue in found["child_level"]} | {i["rule"] for i in found["la_level"]}
    assert {r for r in rules if not is_query(r)} == set()
    assert rules <= CIN_MODEL_QUERIES
    # 8825Q fires exactly for child 1's no-further-action referral (row 0 of CINdetails).
    assert {(i["rule"], i["row"]) for i in found["child_level"]} == {("8825Q", "0")}


def test_the_cin_validator_catches_a_planted_error(tmp_path: Path) -> None:
    tables = ehld_builder.census_tables()
    for row in tables["referrals"]:
        if row["child_id"].endswith("C0002"):
            row["closure_date"] = "2024-06-01"  # before its referral (2024-06-03)
    folder = ehld_builder.write_folder(tmp_path / "ehld", tables)
    (path,) = export(folder, "cin-xml", tmp_path / "out")
    found = run_validator("cin", str(path), "cin2025_26", workdir=tmp_path)
    errors = {i["rule"] for i in found["child_level"] if not is_query(i["rule"])}
    assert "8630" in errors  # "CIN Closure Date is before CIN Referral Date ..."


def test_ssda903_export_breaks_only_rules_about_fields_ehld_lacks(tmp_path: Path) -> None:
    folder = ehld_builder.census_folder(tmp_path / "ehld")
    header, episodes = export(folder, "ssda903", tmp_path / "out", year=2025)
    with open(header, newline="") as handle:
        assert [r["SEX"] for r in csv.DictReader(handle)] == ["M", "F"]  # 2024-25 onwards: letters
    found = run_validator("903", str(header.parent), "lac2025_26", "2025", workdir=tmp_path)
    rules = {issue["rule"] for issue in found["child_level"]}
    assert rules <= SSDA903_MODEL_RULES, rules - SSDA903_MODEL_RULES
    assert found["rules_run"] > 100


def test_synthetic_england_exports_valid_cin_xml_and_round_trips(tmp_path: Path, shared_reference: Path) -> None:
    synth = pytest.importorskip("earlyhelp.synth")
    indicators = pytest.importorskip("earlyhelp.indicators")
    if not hasattr(synth, "generate"):
        pytest.skip("earlyhelp.synth.generate has not landed")
    data = synth.generate(tmp_path / "synthetic", scale="tiny", seed=3, fmt="csv")
    written = export(data, "cin-xml", tmp_path / "out", year=2020, approximate_birth_dates=True)
    schema = etree.XMLSchema(etree.parse(str(shared_reference / "dfe-schemas" / "CIN_schema_2026.xsd")))
    for path in written:
        assert schema.validate(etree.parse(str(path))), schema.error_log
    found = run_validator("cin", str(written[0]), "cin2025_26", workdir=tmp_path)
    assert found["rules_crashed"] == []

    # The census holds every episode open in 2019-20, so in-year CIN figures survive the trip.
    back = ingest(written, tmp_path / "back")
    in_year = ("referrals", "cin_children", "cp_plans_started", "cp_second_plan_pct",
               "closed_after_assessment", "step_down_recorded_pct")

    def figures(folder: Path) -> dict:
        return {(r["la_code"], r["indicator"]): (r["numerator"], r["denominator"])
                for r in indicators.compute_internal(folder).to_pylist()
                if r["time_period"] == "201920" and r["geographic_level"] == "Local authority"
                and r["indicator"] in in_year}

    original = figures(data)
    assert len(original) == len(in_year) * len(written)
    assert figures(back) == original
