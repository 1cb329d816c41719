"""What ingest writes is a valid EHLD folder by the project's own validator."""

from __future__ import annotations

from pathlib import Path

import pytest

from earlyhelp.formats import ingest

from .test_ssd import _extract
from .test_ssda903 import _write


@pytest.fixture
def validate_paths():
    validate = pytest.importorskip("earlyhelp.validate")
    return validate.validate_paths


def test_cin_ingest_is_valid_ehld(validate_paths, data_dir: Path, tmp_path: Path) -> None:
    out = ingest([data_dir / "two_generations.xml"], tmp_path / "ehld")
    report = validate_paths([out])
    assert report.ok, report.summary()


def test_ssd_ingest_is_valid_ehld(validate_paths, tmp_path: Path) -> None:
    out = ingest([_extract(tmp_path / "ssd")], tmp_path / "ehld", la_code="E06000001")
    report = validate_paths([out])
    assert report.ok, report.summary()


def test_ssda903_ingest_is_valid_ehld(validate_paths, tmp_path: Path) -> None:
    files = _write(
        tmp_path / "in",
        "101,1,14/02/2013,WBRI,,,\n",
        "101,10/06/2024,S,C2,N1,U4,PR1,02/09/2024,X1,,,,\n101,02/09/2024,P,C2,N1,U6,PR1,,,,,,\n",
    )
    out = ingest([files], tmp_path / "ehld", la_code="E06000001")
    report = validate_paths([out])
    assert report.ok, report.summary()
