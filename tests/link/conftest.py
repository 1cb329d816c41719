"""Shared fixtures for the linkage tests: one synthetic identity zone, linked once."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from earlyhelp.synth.identities import make_identity_records, synthetic_people

SECRET = "tests-only-secret-7f3a9c2e"


@pytest.fixture(scope="session")
def identity_zone(tmp_path_factory) -> dict[str, object]:
    """~2,000 children (about 5,800 records) with all the planted faults, plus truth."""
    root = tmp_path_factory.mktemp("identity")
    people, la_records = synthetic_people(2000, seed=21)
    identifiers, truth = make_identity_records(people, la_records, seed=8)
    (root / "identities").mkdir()
    (root / "truth").mkdir()
    pq.write_table(identifiers, root / "identities" / "person_identifiers.parquet")
    pq.write_table(truth, root / "truth" / "identity_truth.parquet")
    return {"root": root, "identifiers": identifiers, "truth": truth, "people": people}


@pytest.fixture(scope="session")
def linked(identity_zone, tmp_path_factory):
    """The result of linking the identity zone once with the default settings."""
    import os

    from earlyhelp.link import link

    out = tmp_path_factory.mktemp("linked")
    previous = os.environ.get("EARLYHELP_LINK_SECRET")
    os.environ["EARLYHELP_LINK_SECRET"] = SECRET
    try:
        result = link(identity_zone["root"] / "identities", out)
    finally:
        if previous is None:
            del os.environ["EARLYHELP_LINK_SECRET"]
        else:
            os.environ["EARLYHELP_LINK_SECRET"] = previous
    return result


def read_link(path: Path) -> pa.Table:
    return pq.read_table(path)


@pytest.fixture
def secret(monkeypatch) -> str:
    """Set the link secret for one test; returns it."""
    monkeypatch.setenv("EARLYHELP_LINK_SECRET", SECRET)
    return SECRET
