"""Problems found in a DfE-format file, each naming file, place, field and rule.

Identifier values never appear: a reader masks them with ``earlyhelp.privacy.mask`` before an
issue is created, so an issue can be printed, logged or written to a file as it is.
"""

from __future__ import annotations

import csv
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from earlyhelp.errors import DataError

# How many issues an error message lists before it says "and N more".
SHOWN_IN_MESSAGE = 20


@dataclass(frozen=True)
class FormatIssue:
    file: str
    # "line 12", "row 4" or an XML path such as /Message/Children/Child[3]/CINdetails[1]/ReferralNFA
    location: str
    field: str
    rule: str
    message: str
    # The EHLD child_id the problem belongs to, when known: --skip-invalid leaves out the whole
    # child. Never shown (not in str() nor in ingest_issues.tsv).
    child_id: str | None = dataclasses.field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        where = f"{self.file}, {self.location}" if self.location else self.file
        field = f" [{self.field}]" if self.field else ""
        return f"{where}{field}: {self.message} (rule: {self.rule})"


class FormatError(DataError):
    """A file could not be read into EHLD because of the issues it carries."""

    def __init__(
        self,
        issues: list[FormatIssue],
        *,
        what: str,
        hint: str | None = None,
        total: int | None = None,
        warnings: list[str] | None = None,
    ):
        self.issues = issues
        total = max(total or 0, len(issues))
        listed = "\n".join(f"  - {issue}" for issue in issues[:SHOWN_IN_MESSAGE])
        more = total - min(len(issues), SHOWN_IN_MESSAGE)
        tail = f"\n  ... and {more} more" if more > 0 else ""
        # Warnings about the whole file (a census period of no whole year ...) matter as much then.
        noted = "".join(f"\n  {warning}" for warning in warnings or ())
        super().__init__(f"{what}: {total} problem(s).\n{listed}{tail}{noted}", hint=hint)


def write_issues(issues: list[FormatIssue], path: Path) -> None:
    """Write issues as a tab-separated file (not .csv, so it is never mistaken for an EHLD table)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["file", "location", "field", "rule", "message"])
        for issue in issues:
            writer.writerow([issue.file, issue.location, issue.field, issue.rule, issue.message])
