"""Reading CIN census XML: mapping, both sex generations, schema checks, masking, peer samples."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from earlyhelp.formats import FormatError, ingest, ingest_report
from earlyhelp.formats.api import ISSUES_FILE

from .ehld_builder import read_table


def test_both_generations_map_to_ehld(data_dir: Path, tmp_path: Path) -> None:
    out = ingest([data_dir / "two_generations.xml"], tmp_path / "ehld")
    children = {r["child_id"]: r for r in read_table(out, "children")}
    # LEA 805 is Hartlepool, E06000001; child ids are LA-prefixed.
    assert set(children) == {"E06000001-A100", "E06000001-A200"}
    first, second = children["E06000001-A100"], children["E06000001-A200"]
    # GenderCurrent 9 (indeterminate) and Sex U both become U.
    assert (first["sex"], second["sex"]) == ("U", "U")
    # Birth month only in the analytic zone; the unborn child's comes from the expected date.
    assert (first["birth_month"], second["birth_month"]) == ("2016-02", "2025-05")
    # NONE only -> not disabled; HAND and HEAR -> disabled.
    assert (first["disabled"], second["disabled"]) == ("false", "true")

    referrals = {r["child_id"]: r for r in read_table(out, "referrals")}
    assert referrals["E06000001-A100"]["referral_nfa"] == "true"  # written "true" (2024 schema)
    assert referrals["E06000001-A100"]["closure_reason"] == "RC8"
    assert referrals["E06000001-A200"]["referral_nfa"] == "false"  # written "0"
    assert referrals["E06000001-A200"]["closure_date"] == ""

    (assessment,) = read_table(out, "assessments")
    assert assessment["factors"] == "3A|1B"
    assert assessment["referral_id"] == referrals["E06000001-A200"]["referral_id"]
    (enquiry,) = read_table(out, "s47_enquiries")
    # The conference recorded on the CINdetails block belongs to the episode's only S47.
    assert (enquiry["icpc_date"], enquiry["icpc_not_required"]) == ("2025-02-03", "false")
    (plan,) = read_table(out, "cp_plans")
    assert (plan["initial_category"], plan["previous_plans"], plan["end_date"]) == ("NEG", "2", "")

    # The census year 2024-25 bounds the return.
    (ret,) = read_table(out, "returns")
    assert (ret["period_start"], ret["period_end"], ret["extract_date"]) == ("2024-04-01", "2025-03-31", "2025-03-31")


def test_identifiers_only_in_identity_zone(data_dir: Path, tmp_path: Path) -> None:
    out = ingest([data_dir / "two_generations.xml"], tmp_path / "ehld")
    (person,) = [p for p in read_table(out, "person_identifiers") if p["upn"]]
    assert (person["upn"], person["date_of_birth"]) == ("A805000001001", "2016-02-29")
    for file in out.glob("*.csv"):
        if file.stem == "person_identifiers":
            continue
        text = file.read_text()
        assert "A805000001001" not in text and "2016-02-29" not in text, file.name


def test_pre_proceedings_block_is_tolerated(data_dir: Path, tmp_path: Path) -> None:
    report = ingest_report([data_dir / "two_generations.xml"], tmp_path / "ehld")
    assert report.issue_count == 0
    assert report.rows["cp_plans"] == 1


def test_order_and_type_errors_name_line_path_field_and_mask(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(FormatError) as caught:
        ingest([data_dir / "bad_order.xml"], tmp_path / "ehld")
    found = {(i.location.split()[1], i.field) for i in caught.value.issues}
    # Line numbers counted by hand in data/bad_order.xml: the 12-character UPN, the birth date
    # after Sex, and ReferralSource before CINreferralDate.
    assert found == {("34", "UPN"), ("36", "PersonBirthDate"), ("42", "ReferralSource")}
    upn_issue = next(i for i in caught.value.issues if i.field == "UPN")
    assert "A80500000100" not in str(upn_issue)
    assert "masked" in upn_issue.message
    assert upn_issue.location.endswith("/Message/Children/Child[2]/ChildIdentifiers/UPN")
    assert "A80500000100" not in caught.value.message
    assert not (tmp_path / "ehld").exists()  # nothing half-written


def test_skip_invalid_keeps_the_valid_children(data_dir: Path, tmp_path: Path) -> None:
    report = ingest_report([data_dir / "bad_order.xml"], tmp_path / "ehld", skip_invalid=True)
    assert [c["child_id"] for c in read_table(tmp_path / "ehld", "children")] == ["E06000001-B1"]
    assert report.skipped_children == 1
    lines = (tmp_path / "ehld" / ISSUES_FILE).read_text().splitlines()
    assert len(lines) == 1 + 3
    assert "A80500000100" not in "\n".join(lines)


def test_peer_sample_with_unknown_lea_needs_la_code(shared_reference: Path, tmp_path: Path) -> None:
    sample = shared_reference / "peer-samples" / "cin-census-xml" / "fake_CIN_data.xml"
    with pytest.raises(FormatError, match="LEA 975"):
        ingest([sample], tmp_path / "first")
    out = ingest([sample], tmp_path / "ehld", la_code="E06000001")
    text = sample.read_text()
    # Counted from the raw text, independently of the parser.
    assert len(read_table(out, "children")) == len(re.findall(r"<Child>", text)) == 332
    assert len(read_table(out, "referrals")) == len(re.findall(r"<CINdetails>", text))
    genders = re.findall(r"<GenderCurrent>(\d)</GenderCurrent>", text)
    sexes = [c["sex"] for c in read_table(out, "children")]
    assert sexes.count("M") == genders.count("1")
    assert sexes.count("U") == genders.count("0") + genders.count("9")


def test_peer_sample_errors_are_reported(shared_reference: Path, tmp_path: Path) -> None:
    sample = shared_reference / "peer-samples" / "cin-census-xml" / "CIN_Census_2026.xml"
    with pytest.raises(FormatError) as caught:
        ingest([sample], tmp_path / "ehld")
    fields = sorted(i.field for i in caught.value.issues)
    # The deliberate errors of this sample: stray text in ChildIdentifiers, Sex written "1",
    # factor "RB", "false" where 0/1 is required (twice) and an empty factors block.
    assert fields == sorted(
        [
            "ChildIdentifiers",
            "Sex",
            "AssessmentFactors",
            "ICPCnotRequired",
            "ReferralNFA",
            "FactorsIdentifiedAtAssessment",
        ]
    )
    # The 2026-27 pre-proceedings block is not among them.
    assert all("PreProceedings" not in str(i) for i in caught.value.issues)


def test_not_a_cin_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<Message><Header></Message>")
    with pytest.raises(FormatError, match="well-formed"):
        ingest([broken], tmp_path / "ehld")
