"""The indicators README and summary say which reference tables came from the package.

Expected tables worked out by hand:

* The sample return (earlyhelp.sample: Hartlepool, 1 April 2019 to 31 March 2023) has no
  reference table. Indicators read local_authorities, population, spend and deflators (not
  deprivation); the package's spend runs to 2021-22, so it has rows for 2019-20..2021-22: all
  four are added.
* A CIN census for 2024-25 ingested with `earlyhelp ingest`: ingest adds local_authorities,
  population, deprivation and deflators, but no spend (the package has none for 2024-25), and
  indicators adds nothing more. Edited after ingest, a table is the analyst's own.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from earlyhelp import sample
from earlyhelp.formats import ingest
from earlyhelp.indicators import compute

SECTION = "## Reference tables added from the package"

CENSUS = """<?xml version="1.0" encoding="utf-8"?>
<Message>
  <Header>
    <CollectionDetails>
      <Collection>CIN</Collection>
      <Year>2025</Year>
      <ReferenceDate>2025-03-31</ReferenceDate>
    </CollectionDetails>
    <Source>
      <SourceLevel>L</SourceLevel>
      <LEA>805</LEA>
      <SoftwareCode>hand-written test file</SoftwareCode>
      <Release>1</Release>
      <SerialNo>001</SerialNo>
      <DateTime>2025-04-20T10:00:00</DateTime>
    </Source>
  </Header>
  <Children>
    <Child>
      <ChildIdentifiers>
        <LAchildID>K1</LAchildID>
        <UPNunknown>UN1</UPNunknown>
        <PersonBirthDate>2016-02-29</PersonBirthDate>
        <Sex>F</Sex>
      </ChildIdentifiers>
      <ChildCharacteristics>
        <Ethnicity>WBRI</Ethnicity>
      </ChildCharacteristics>
      <CINdetails>
        <CINreferralDate>2024-05-07</CINreferralDate>
        <ReferralSource>2A</ReferralSource>
        <CINclosureDate>2024-05-07</CINclosureDate>
        <ReasonForClosure>RC8</ReasonForClosure>
        <ReferralNFA>1</ReferralNFA>
      </CINdetails>
    </Child>
  </Children>
</Message>
"""


def _readme_tables(out: Path) -> list[str]:
    """The tables the README's section lists, in its order; [] without the section."""
    text = (out / "README.md").read_text(encoding="utf-8")
    if SECTION not in text:
        return []
    section = text.split(SECTION, 1)[1].split("\n## ", 1)[0]
    return [line[2:].split(":", 1)[0] for line in section.splitlines() if line.startswith("- ")]


@pytest.fixture
def sample_return(tmp_path) -> Path:
    folder = tmp_path / "sample"
    shutil.copytree(sample.path(), folder, ignore=shutil.ignore_patterns("__init__.py", "__pycache__"))
    return folder


@pytest.fixture
def ingested_census(tmp_path) -> Path:
    census = tmp_path / "census.xml"
    census.write_text(CENSUS, encoding="utf-8")
    return ingest([census], tmp_path / "ehld")


def test_tables_the_return_lacks_are_named_in_the_readme(sample_return, tmp_path):
    result = compute(sample_return, tmp_path / "out")
    assert result.reference_added == ("local_authorities", "population", "spend", "deflators")
    assert _readme_tables(tmp_path / "out") == ["local_authorities", "population", "spend", "deflators"]
    assert "ONS mid-year estimates of children aged 0 to 17" in (tmp_path / "out" / "README.md").read_text()


def test_tables_ingest_added_are_named_too_unless_edited_since(ingested_census, tmp_path):
    compute(ingested_census, tmp_path / "out")
    assert _readme_tables(tmp_path / "out") == ["local_authorities", "population", "deprivation", "deflators"]

    population = ingested_census / "population.csv"
    lines = population.read_text(encoding="utf-8").splitlines()
    la_code, year, children = lines[-1].split(",")
    population.write_text("\n".join([*lines[:-1], f"{la_code},{year},{int(children) + 1}"]) + "\n", encoding="utf-8")
    compute(ingested_census, tmp_path / "again")
    assert _readme_tables(tmp_path / "again") == ["local_authorities", "deprivation", "deflators"]


def test_a_return_with_its_own_tables_gets_no_such_section(sample_return, tmp_path):
    from earlyhelp.reference.fill import package_table

    # The return brings its own tables (the package's figures, but its own files).
    for table in ("local_authorities", "population", "spend", "deflators"):
        package_table(table, ["E06000001"]).to_pandas().to_csv(sample_return / f"{table}.csv", index=False)
    result = compute(sample_return, tmp_path / "out")
    assert result.reference_added == ()
    assert _readme_tables(tmp_path / "out") == []


def test_the_command_says_it_too(ingested_census, tmp_path, monkeypatch, capsys):
    from earlyhelp.cli import run

    monkeypatch.setattr(
        sys, "argv", ["earlyhelp", "indicators", "--data", str(ingested_census), "--out", str(tmp_path / "o")]
    )
    with pytest.raises(SystemExit) as done:
        run()
    out = capsys.readouterr().out
    assert done.value.code == 0
    listed = out.split("Reference tables added from the package (the return had none of its own):\n", 1)[1]
    assert [line.strip().split(":", 1)[0] for line in listed.splitlines()[:4]] == [
        "local_authorities",
        "population",
        "deprivation",
        "deflators",
    ]
    assert not listed.splitlines()[4].startswith("  spend")
