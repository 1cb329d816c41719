"""Reading SSD table extracts (Data to Insight's Standard Safeguarding Dataset)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from earlyhelp.errors import UsageError
from earlyhelp.formats import FormatError, ingest

from .ehld_builder import read_table


def _table(folder: Path, name: str, rows: list[dict]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{name}.csv", "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def _extract(folder: Path) -> Path:
    _table(
        folder,
        "ssd_person",
        [
            {
                "pers_person_id": "P1",
                "pers_forename": "Amy",
                "pers_surname": "Stone",
                "pers_sex": "F",
                "pers_gender": "",
                "pers_ethnicity": "WBRI",
                "pers_dob": "2015-06-10 00:00:00",
                "pers_common_child_id": "9434765919",
                "pers_expected_dob": "",
            },
            {
                "pers_person_id": "P2",
                "pers_forename": "Ben",
                "pers_surname": "Stone",
                "pers_sex": "",
                "pers_gender": "01",
                "pers_ethnicity": "WBRI",
                "pers_dob": "03/04/2012",
                "pers_common_child_id": "",
                "pers_expected_dob": "",
            },
        ],
    )
    _table(
        folder,
        "ssd_family",
        [
            {"fami_table_id": "1", "fami_family_id": "FAM9", "fami_person_id": "P1"},
            {"fami_table_id": "2", "fami_family_id": "FAM9", "fami_person_id": "P2"},
        ],
    )
    _table(folder, "ssd_disability", [{"disa_person_id": "P2", "disa_table_id": "1", "disa_disability_code": "AUT"}])
    _table(
        folder,
        "ssd_address",
        [
            {
                "addr_table_id": "1",
                "addr_person_id": "P1",
                "addr_address_start_date": "2020-01-01",
                "addr_address_postcode": "TS248AA",
            },
            {
                "addr_table_id": "2",
                "addr_person_id": "P1",
                "addr_address_start_date": "2023-05-01",
                "addr_address_postcode": "TS259ZZ",
            },
        ],
    )
    _table(
        folder,
        "ssd_cin_episodes",
        [
            {
                "cine_referral_id": "R1",
                "cine_person_id": "P1",
                "cine_referral_date": "2024-06-03",
                "cine_cin_primary_need_code": "N1",
                "cine_referral_source_code": "2A",
                "cine_referral_nfa": "N",
                "cine_close_reason": "RC8",
                "cine_close_date": "2024-07-15",
            },
            {
                "cine_referral_id": "R2",
                "cine_person_id": "P2",
                "cine_referral_date": "2024-09-10",
                "cine_cin_primary_need_code": "",
                "cine_referral_source_code": "5A",
                "cine_referral_nfa": "Y",
                "cine_close_reason": "RC8",
                "cine_close_date": "2024-09-10",
            },
        ],
    )
    _table(
        folder,
        "ssd_cin_assessments",
        [
            {
                "cina_assessment_id": "AS1",
                "cina_person_id": "P1",
                "cina_referral_id": "R1",
                "cina_assessment_start_date": "2024-06-04",
                "cina_assessment_auth_date": "2024-07-12",
            }
        ],
    )
    _table(
        folder,
        "ssd_assessment_factors",
        [{"cinf_table_id": "1", "cinf_assessment_id": "AS1", "cinf_assessment_factors_json": '["3A", "4B", "XX"]'}],
    )
    _table(
        folder,
        "ssd_s47_enquiry",
        [
            {
                "s47e_s47_enquiry_id": "S1",
                "s47e_referral_id": "R1",
                "s47e_person_id": "P1",
                "s47e_s47_start_date": "2024-06-05",
                "s47e_s47_nfa": "Y",
            }
        ],
    )
    _table(
        folder,
        "ssd_cp_plans",
        [
            {
                "cppl_cp_plan_id": "CP1",
                "cppl_referral_id": "R1",
                "cppl_person_id": "P1",
                "cppl_cp_plan_start_date": "2024-06-20",
                "cppl_cp_plan_end_date": "2024-07-10",
                "cppl_cp_plan_initial_category": "Emotional abuse",
            }
        ],
    )
    _table(
        folder,
        "ssd_cla_episodes",
        [
            {
                "clae_cla_episode_id": "E1",
                "clae_person_id": "P2",
                "clae_cla_episode_start_date": "2024-10-01",
                "clae_cla_episode_start_reason": "S",
                "clae_cla_primary_need_code": "N4",
                "clae_cla_episode_ceased_date": "",
                "clae_cla_episode_ceased_reason": "",
                "clae_cla_placement_id": "PL1",
            }
        ],
    )
    _table(
        folder,
        "ssd_legal_status",
        [
            {
                "lega_legal_status_id": "L0",
                "lega_person_id": "P2",
                "lega_legal_status": "V2",
                "lega_legal_status_start_date": "2023-01-01",
                "lega_legal_status_end_date": "2023-02-01",
            },
            {
                "lega_legal_status_id": "L1",
                "lega_person_id": "P2",
                "lega_legal_status": "C2",
                "lega_legal_status_start_date": "2024-10-01",
                "lega_legal_status_end_date": "",
            },
        ],
    )
    _table(folder, "ssd_cla_placement", [{"clap_cla_placement_id": "PL1", "clap_cla_placement_type": "U4"}])
    _table(
        folder,
        "ssd_early_help_episodes",
        [
            {
                "earl_episode_id": "EH1",
                "earl_person_id": "P1",
                "earl_episode_start_date": "2024-07-20",
                "earl_episode_end_date": "2025-01-10",
                "earl_episode_reason": "Parenting",
                "earl_episode_end_reason": "Outcomes achieved",
                "earl_episode_organisation": "Hartlepool Family Hub",
            },
            {
                "earl_episode_id": "EH2",
                "earl_person_id": "P2",
                "earl_episode_start_date": "2025-02-01",
                "earl_episode_end_date": "",
                "earl_episode_reason": "",
                "earl_episode_end_reason": "",
                "earl_episode_organisation": "St Mary's Primary School",
            },
        ],
    )
    return folder


def test_ssd_tables_map_to_ehld(tmp_path: Path) -> None:
    out = ingest([_extract(tmp_path / "ssd")], tmp_path / "ehld", la_code="E06000001")
    children = {c["child_id"]: c for c in read_table(out, "children")}
    assert (children["E06000001-P1"]["sex"], children["E06000001-P1"]["birth_month"]) == ("F", "2015-06")
    assert (children["E06000001-P2"]["sex"], children["E06000001-P2"]["birth_month"]) == ("M", "2012-04")
    assert children["E06000001-P2"]["disabled"] == "true"
    assert children["E06000001-P1"]["family_id"] == children["E06000001-P2"]["family_id"] == "E06000001-FAM9"
    identity = {p["source_record_id"]: p for p in read_table(out, "person_identifiers")}
    assert identity["E06000001-P1"]["nhs_number"] == "9434765919"
    assert identity["E06000001-P1"]["postcode"] == "TS259ZZ"  # the latest address
    assert identity["E06000001-P2"]["date_of_birth"] == "2012-04-03"
    referrals = {r["referral_id"]: r for r in read_table(out, "referrals")}
    assert referrals["R2"]["referral_nfa"] == "true" and referrals["R1"]["referral_nfa"] == "false"
    (assessment,) = read_table(out, "assessments")
    assert assessment["factors"] == "3A|4B"  # XX is not a factor code
    (enquiry,) = read_table(out, "s47_enquiries")
    assert (enquiry["icpc_date"], enquiry["icpc_not_required"]) == ("", "true")
    (plan,) = read_table(out, "cp_plans")
    assert plan["initial_category"] == "EMO"
    (episode,) = read_table(out, "looked_after_episodes")
    assert (episode["legal_status"], episode["placement"]) == ("C2", "U4")
    help_episodes = {e["episode_id"]: e for e in read_table(out, "early_help_episodes")}
    assert (help_episodes["EH1"]["end_reason"], help_episodes["EH1"]["lead_agency"]) == (
        "outcomes_achieved",
        "la_family_support",
    )
    assert (help_episodes["EH2"]["end_reason"], help_episodes["EH2"]["lead_agency"]) == ("", "school")
    assert help_episodes["EH2"]["request_source"] == "other"
    for file in out.glob("*.csv"):
        if file.stem != "person_identifiers":
            text = file.read_text()
            assert "Amy" not in text and "9434765919" not in text and "TS259ZZ" not in text


def test_ssd_problems_are_named(tmp_path: Path) -> None:
    folder = _extract(tmp_path / "ssd")
    _table(
        folder,
        "ssd_cp_plans",
        [
            {
                "cppl_cp_plan_id": "CP1",
                "cppl_referral_id": "R9",
                "cppl_person_id": "P1",
                "cppl_cp_plan_start_date": "20/13/2024",
                "cppl_cp_plan_end_date": "",
                "cppl_cp_plan_initial_category": "Bullying",
            }
        ],
    )
    with pytest.raises(FormatError) as caught:
        ingest([folder], tmp_path / "ehld", la_code="E06000001")
    found = {(i.file, i.location, i.field) for i in caught.value.issues}
    assert found == {
        ("ssd_cp_plans.csv", "row 2", "cppl_referral_id"),
        ("ssd_cp_plans.csv", "row 2", "cppl_cp_plan_start_date"),
        ("ssd_cp_plans.csv", "row 2", "cppl_cp_plan_initial_category"),
    }


def test_ssd_needs_person_and_la(tmp_path: Path) -> None:
    folder = _extract(tmp_path / "ssd")
    with pytest.raises(UsageError, match="which LA"):
        ingest([folder], tmp_path / "a")
    (folder / "ssd_person.csv").unlink()
    with pytest.raises(UsageError, match="ssd_person"):
        ingest([folder], tmp_path / "b", la_code="E06000001")


def test_parquet_extracts_read_like_csv(tmp_path: Path) -> None:
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    folder = _extract(tmp_path / "ssd")
    episodes = folder / "ssd_cin_episodes.csv"
    table = pacsv.read_csv(
        episodes,
        convert_options=pacsv.ConvertOptions(
            column_types={name: "string" for name in episodes.read_text().splitlines()[0].split(",")}
        ),
    )
    pq.write_table(table, folder / "ssd_cin_episodes.parquet")
    from_csv = ingest([folder], tmp_path / "a", la_code="E06000001")
    episodes.unlink()
    from_parquet = ingest([folder], tmp_path / "b", la_code="E06000001")
    assert read_table(from_parquet, "referrals") == read_table(from_csv, "referrals")
    assert len(read_table(from_parquet, "referrals")) == 2
