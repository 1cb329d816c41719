"""Real formats in and out: CIN census XML, SSDA903 and the Standard Safeguarding Dataset (SSD).

``ingest(paths, out)`` detects what it is given (CIN census XML, an SSDA903 CSV set, SSD table
extracts, or EHLD tables already) and writes an EHLD folder; identifiers go only to the
identity zone (``person_identifiers``, and ``episode_postcodes`` for SSDA903's postcodes and
MC_DOB). ``export(data, to, out)`` writes EHLD data as CIN census XML or SSDA903 files a local
authority could submit, joining the identifiers back from the identity zone.
"""

from earlyhelp.formats.api import ExportReport, IngestReport, export, export_report, ingest, ingest_report
from earlyhelp.formats.cin_schema import check_element, load_schema
from earlyhelp.formats.detect import Format, detect
from earlyhelp.formats.issues import FormatError, FormatIssue

__all__ = [
    "ExportReport",
    "Format",
    "FormatError",
    "FormatIssue",
    "IngestReport",
    "check_element",
    "detect",
    "export",
    "export_report",
    "ingest",
    "ingest_report",
    "load_schema",
]
