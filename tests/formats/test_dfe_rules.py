"""The DfE rules (csc-validator-be-cin / -903, run in .venv-dfe) on what ``export`` writes."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import pyarrow.compute as pc
import pytest
from lxml import etree

from earlyhelp.formats import export, ingest
from earlyhelp.reference import postcodes

from . import ehld_builder
from .dfe import is_query, placements_the_validator_cannot_place, run_validator

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
    header, _episodes = export(folder, "ssda903", tmp_path / "out", year=2025)
    with open(header, newline="") as handle:
        assert [r["SEX"] for r in csv.DictReader(handle)] == ["M", "F"]  # 2024-25 onwards: letters
    found = run_validator("903", str(header.parent), "lac2025_26", "2025", header.parent.name, workdir=tmp_path)
    rules = {issue["rule"] for issue in found["child_level"]}
    assert rules <= SSDA903_MODEL_RULES, rules - SSDA903_MODEL_RULES
    assert found["rules_run"] > 100


def test_ssda903_round_trip_fills_every_field_and_only_recoded_las_lack_a_placement_la(tmp_path: Path) -> None:
    """Hand-written SSDA903 files with every field, real postcodes -> ingest -> export -> the
    DfE rules: none fires but 169 on the one placement in Sheffield, an LA whose code changed
    after the validator's 2021 LA table (its PL_LA comes out empty)."""
    book = postcodes()

    def real(la: str, count: int) -> list[str]:
        return book.filter(pc.equal(book.column("la_code"), la)).column("postcode")[:count].to_pylist()

    home, placement, other_home = real("E06000001", 3)  # Hartlepool
    (sheffield,) = real("E08000019", 1)
    files = tmp_path / "in"
    files.mkdir()
    (files / "header.csv").write_text(
        "CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n"
        f"101,M,14/02/2013,WBRI,{ehld_builder.upn('805', 1)},,\n"
        f"102,F,03/03/2008,WBRI,{ehld_builder.upn('805', 2)},0,\n"
    )
    (files / "episodes.csv").write_text(
        "CHILD,DECOM,RNE,LS,CIN,PLACE,PLACE_PROVIDER,DEC,REC,REASON_PLACE_CHANGE,HOME_POST,PL_POST,URN\n"
        f"101,10/06/2024,S,C2,N1,U4,PR1,02/09/2024,X1,CARPL,{home},{placement},SC100001\n"
        f"101,02/09/2024,P,C2,N1,K2,PR4,,,,{home},{sheffield},SC100002\n"
        f"102,01/11/2024,S,C2,N1,U4,PR4,,,,{other_home},{placement},SC100003\n"
    )
    # Extracted after 31 March 2025, so the 2024-25 return can be exported from it.
    ehld = ingest([files], tmp_path / "ehld", la_code="E06000001", extract_date=dt.date(2025, 3, 31))
    header, episodes = export(ehld, "ssda903", tmp_path / "out", year=2025)
    found = run_validator("903", str(header.parent), "lac2025_26", "2025", "E06000001", workdir=tmp_path)
    # Two 2025-26 rules read columns of the return's XML form (UASC_STATUS,
    # DATE_EPISODE_CEASED) that its CSV form does not have: they crash on any CSV return.
    assert set(found["rules_crashed"]) <= {"231", "233"} and found["rules_run"] > 100
    errors = {(issue["rule"], issue["row"]) for issue in found["child_level"]}
    assert placements_the_validator_cannot_place(episodes, "E06000001") == {("169", "1")}
    assert errors == {("169", "1")}


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
    in_year = (
        "referrals",
        "cin_children",
        "cp_plans_started",
        "cp_second_plan_pct",
        "closed_after_assessment",
        "step_down_recorded_pct",
    )

    def figures(folder: Path) -> dict:
        return {
            (r["la_code"], r["indicator"]): (r["numerator"], r["denominator"])
            for r in indicators.compute_internal(folder).to_pylist()
            if r["time_period"] == "201920" and r["geographic_level"] == "Local authority" and r["indicator"] in in_year
        }

    original = figures(data)
    assert len(original) == len(in_year) * len(written)
    assert figures(back) == original
