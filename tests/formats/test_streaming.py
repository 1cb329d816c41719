"""Reading CIN census XML streams: memory does not grow with the number of children."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHILD = """  <Child>
    <ChildIdentifiers><LAchildID>K{n}</LAchildID><UPNunknown>UN4</UPNunknown>
      <PersonBirthDate>2012-05-04</PersonBirthDate><Sex>F</Sex></ChildIdentifiers>
    <ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
    <CINdetails><CINreferralDate>2024-06-03</CINreferralDate><ReferralSource>2A</ReferralSource>
      <PrimaryNeedCode>N1</PrimaryNeedCode>
      <Assessments><AssessmentActualStartDate>2024-06-04</AssessmentActualStartDate>
        <AssessmentAuthorisationDate>2024-07-12</AssessmentAuthorisationDate>
        <FactorsIdentifiedAtAssessment><AssessmentFactors>3A</AssessmentFactors>
        <AssessmentFactors>4B</AssessmentFactors></FactorsIdentifiedAtAssessment></Assessments>
      <CINPlanDates><CINPlanStartDate>2024-07-15</CINPlanStartDate></CINPlanDates>
      <ReferralNFA>0</ReferralNFA></CINdetails>
  </Child>
"""

PEAK = """
import sys
from pathlib import Path
from earlyhelp.formats import ingest_report
report = ingest_report([Path(sys.argv[1])], Path(sys.argv[2]))
assert report.rows["children"] == int(sys.argv[3]), report.rows
with open("/proc/self/status") as status:
    print(next(int(line.split()[1]) for line in status if line.startswith("VmHWM")))
"""


def _file(path: Path, children: int) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(
            "<Message><Header><CollectionDetails><Collection>CIN</Collection>"
            "<Year>2025</Year><ReferenceDate>2025-03-31</ReferenceDate></CollectionDetails>"
            "<Source><LEA>805</LEA></Source></Header><Children>\n"
        )
        for n in range(children):
            handle.write(CHILD.format(n=n))
        handle.write("</Children></Message>\n")
    return path


def _peak_kib(tmp_path: Path, children: int) -> int:
    source = _file(tmp_path / f"cin_{children}.xml", children)
    done = subprocess.run(
        [sys.executable, "-c", PEAK, str(source), str(tmp_path / f"out_{children}"), str(children)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def test_memory_stays_flat_as_the_file_grows(tmp_path: Path) -> None:
    small = _peak_kib(tmp_path, 1_000)
    large = _peak_kib(tmp_path, 20_000)
    # 20,000 children are ~17 MB of XML and over half a million elements; holding the tree would
    # need well over 100 MiB. Streaming keeps only the ids seen (a few dozen bytes per child).
    assert (tmp_path / "cin_20000.xml").stat().st_size > 15_000_000
    assert large - small < 20 * 1024, (small, large)
