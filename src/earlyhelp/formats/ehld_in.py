"""EHLD tables given to ``ingest``: copied as they are."""

from __future__ import annotations

import shutil

from earlyhelp.formats.ehld_out import EHLDWriter
from earlyhelp.formats.readers import CandidateFile, Detected, Format, ReadResult
from earlyhelp.spec.model import TABLES


class EhldReader:
    """Files named after an EHLD table (``referrals.csv``, ``children.parquet``)."""

    name = Format.EHLD.value

    def claim(self, file: CandidateFile, group: Detected) -> bool:
        if file.suffix not in (".csv", ".parquet") or file.stem not in TABLES:
            return False
        group.files.append(file.path)
        return True

    def read(self, group: Detected, writer: EHLDWriter, *, la_code: str | None) -> ReadResult:
        for file in group.files:
            shutil.copy2(file, writer.folder / file.name)
        return ReadResult(copied_files=list(group.files))
