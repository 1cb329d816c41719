"""`earlyhelp synth --no-identity-faults`: every identity record as true as the person behind it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from earlyhelp.cli import main
from earlyhelp.synth.identities import nhs_number_is_valid


def test_no_identity_faults_gives_records_that_agree_with_each_other(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["synth", "--out", str(tmp_path), "--no-identity-faults", "--format", "csv", "--seed", "4"]
    )
    assert result.exit_code == 0, result.output
    records = pd.read_csv(tmp_path / "person_identifiers.csv", dtype=str)
    truth = pd.read_csv(tmp_path / "truth" / "person_records.csv", dtype=str)
    frame = records.merge(truth, on=["source", "source_record_id"], validate="one_to_one")
    assert len(frame) == len(records) > 1000

    for column in ("nhs_number", "forename", "surname", "date_of_birth", "sex", "postcode"):
        assert frame[column].notna().all(), column
    assert frame.nhs_number.map(nhs_number_is_valid).all()
    assert set(frame.sex) <= {"M", "F"}
    # Every record of one person carries the same identifiers (a person known in two LAs has
    # a different postcode in the other one, which is a fact, not a fault).
    per_person = frame.groupby("true_person_id")[["nhs_number", "forename", "surname", "date_of_birth"]].nunique()
    assert (per_person == 1).all().all()
    at_home = frame[
        frame.la_code == frame.groupby("true_person_id").la_code.transform(lambda codes: codes.mode().iloc[0])
    ]
    assert (at_home.postcode == at_home.home_postcode).mean() > 0.99
