"""Findings and the validation report: counts by rule, with capped detail."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from earlyhelp.privacy import mask
from earlyhelp.spec import TABLES
from earlyhelp.validate.rules import RULES, RULES_IN_ORDER, Severity

# Details kept per rule by default; counts are always complete.
DEFAULT_DETAIL_LIMIT = 1000
# The longest cell a message quotes; longer ones are cut with "...".
SHOWN_CHARACTERS = 80


@dataclass(frozen=True)
class Finding:
    """One breach of one rule, at one place.

    ``line`` is the 1-based line of a CSV file (the header is line 1), or the 1-based row of a
    Parquet file; ``None`` when the finding is about the whole file. ``source`` is the analyst's
    own file, line and child the row came from, when ``earlyhelp ingest`` wrote the file (see
    :mod:`earlyhelp.validate.provenance`).
    """

    file: str
    line: int | None
    column: str | None
    rule_id: str
    message: str
    value: str | None
    hint: str
    severity: Severity
    source: str | None = None

    def location(self) -> str:
        """Where to look: the analyst's own file first when the row was ingested from it."""
        where = self.ehld_location()
        return f"{self.source} (ingested as {where})" if self.source else where

    def ehld_location(self) -> str:
        where = self.file
        if self.line is not None:
            if ", sheet " in self.file:  # a workbook's sheet (see validate.excel.sheet_label)
                where += f", row {self.line}"
            else:
                unit = "row" if self.file.lower().endswith(".parquet") else "line"
                where += f" {unit} {self.line}"
        if self.column:
            where += f", column {self.column}"
        return where


def is_identifier(table: str | None, column: str | None) -> bool:
    if table not in TABLES or column is None:
        return False
    spec_table = TABLES[table]
    return spec_table.has_column(column) and spec_table.column(column).identifier


def is_identity_zone(table: str | None) -> bool:
    """Every cell of an identity-zone table may hold an identifier: a file with shifted columns
    puts a surname under ``sex``, a file without a header makes its first record the header."""
    return table in TABLES and TABLES[table].zone == "identity"


def quotes_data(rule_id: str) -> bool:
    """Whether the rule's ``value`` is taken from a cell (row and key rules) rather than being a
    description the validator wrote (file and header rules, the field count of a line)."""
    return RULES[rule_id].scope in ("row", "table") and rule_id != "row-field-count"


def shortened(value: object, limit: int = SHOWN_CHARACTERS) -> str:
    """A cell as one line of a message: control characters visible, a runaway value cut short."""
    text = str(value).replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def shown_value(
    table: str | None, column: str | None, value: object, *, from_data: bool = True, composed: bool = False
) -> str | None:
    """The value as a message may show it: masked when it may be an identifier, that is when its
    column holds one or (``from_data``) it comes from a cell of an identity-zone table.

    A ``composed`` value is a description the validator built from several cells (a key such as
    'referral_id R1 (la_code E06000001, child_id C1)'), each already shortened; cutting the whole
    would stop it mid-identifier, so it is shown whole.
    """
    if value is None:
        return None
    if is_identifier(table, column) or (from_data and is_identity_zone(table)):
        return mask(value)
    return str(value) if composed else shortened(value)


def shown_column(table: str | None, column: str | None) -> str | None:
    """A header name as a message may show it: in an identity-zone table a name that is not one
    of its columns may be a value (a file without a header row), so it is masked."""
    if (
        column is None
        or table is None
        or not is_identity_zone(table)
        or TABLES[table].has_column(column)
        or column == "(blank)"
    ):
        return column
    return mask(column)


@dataclass
class ValidationReport:
    """What ``validate_paths`` found. ``ok`` is true when there is no error (warnings allowed)."""

    findings: list[Finding] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    files: dict[str, int] = field(default_factory=dict)  # file -> records read
    detail_limit: int | None = DEFAULT_DETAIL_LIMIT

    def add(
        self,
        rule_id: str,
        *,
        file: Path | str,
        table: str | None = None,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
        expected: object = None,
        other: object = None,
        composed: bool = False,
    ) -> None:
        """Record one breach. ``composed``: ``value`` was built from several cells, each already
        shortened (see :func:`shown_value`)."""
        self.counts[rule_id] += 1
        if self.detail_limit is not None and self.counts[rule_id] > self.detail_limit:
            return
        self.findings.append(
            self.make(
                rule_id,
                file=file,
                table=table,
                line=line,
                column=column,
                value=value,
                expected=expected,
                other=other,
                composed=composed,
            )
        )

    def add_rows(
        self,
        rule_id: str,
        *,
        file: Path | str,
        table: str | None,
        lines: np.ndarray,
        column: str | None = None,
        values: Sequence | pa.Array | None = None,
        expected: object = None,
        other: object = None,
    ) -> None:
        """Record one breach per line in ``lines`` (positions match ``values``), detail capped.

        Only the kept details touch Python objects, so a file where every row breaks a rule
        costs no more than a clean one.
        """
        count = len(lines)
        if count == 0:
            return
        wanted = self.wants_detail(rule_id)
        keep = count if wanted is None else min(count, wanted)
        for position in range(keep):
            value = values[position] if values is not None else None
            if isinstance(value, pa.Scalar):
                value = value.as_py()
            self.add(
                rule_id,
                file=file,
                table=table,
                line=int(lines[position]),
                column=column,
                value=value,
                expected=expected[position] if isinstance(expected, (list, np.ndarray)) else expected,
                other=other[position] if isinstance(other, (list, np.ndarray)) else other,
            )
        self.counts[rule_id] += count - keep

    def wants_detail(self, rule_id: str) -> int | None:
        """How many more detailed findings of this rule are kept (None = all)."""
        if self.detail_limit is None:
            return None
        return max(0, self.detail_limit - self.counts[rule_id])

    def add_count(self, rule_id: str, count: int) -> None:
        """Count breaches whose detail is not kept (beyond the detail limit)."""
        self.counts[rule_id] += count

    @staticmethod
    def make(
        rule_id: str,
        *,
        file: Path | str,
        table: str | None = None,
        line: int | None = None,
        column: str | None = None,
        value: object = None,
        expected: object = None,
        other: object = None,
        composed: bool = False,
    ) -> Finding:
        rule = RULES[rule_id]
        name = Path(file).name
        from_data = quotes_data(rule_id)
        shown = shown_value(table, column, value, from_data=from_data, composed=composed)
        column = shown_column(table, column)
        if from_data and is_identity_zone(table) and isinstance(other, str):
            other = mask(other)  # e.g. the start date quoted by date-order
        fields = {
            "file": name,
            "table": table or "",
            "column": column or "",
            "value": repr(shown) if isinstance(value, str) and rule.scope == "row" else (shown or ""),
            "expected": "" if expected is None else expected,
            "other": "" if other is None else other,
        }
        return Finding(
            file=name,
            line=line,
            column=column,
            rule_id=rule_id,
            message=rule.message.format(**fields),
            value=shown,
            hint=rule.hint.format(**fields),
            severity=rule.severity,
        )

    def point_to_sources(self, files: dict[str, Path]) -> None:
        """Name the analyst's file, line and child in every finding on a row that ``earlyhelp
        ingest`` wrote, from the provenance it left beside the tables (``files``: table -> file)."""
        from earlyhelp.validate.provenance import Source, sources

        by_folder: dict[Path, dict[str, set[int]]] = {}
        names = {path.name for path in files.values()}
        for finding in self.findings:
            if finding.line is not None and finding.file in names:
                folder = next(p.parent for p in files.values() if p.name == finding.file)
                by_folder.setdefault(folder, {}).setdefault(finding.file, set()).add(finding.line)
        found: dict[tuple[str, int], Source] = {}
        for folder, wanted in by_folder.items():
            found.update(sources(folder, wanted))
        if found:
            self.findings = [
                replace(f, source=found[(f.file, f.line)].describe(f.column))
                if f.line is not None and (f.file, f.line) in found
                else f
                for f in self.findings
            ]

    # ------------------------------------------------------------------ reading the report
    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "warning"]

    @property
    def error_count(self) -> int:
        return sum(n for rule_id, n in self.counts.items() if RULES[rule_id].severity == "error")

    @property
    def warning_count(self) -> int:
        return sum(n for rule_id, n in self.counts.items() if RULES[rule_id].severity == "warning")

    @property
    def ok(self) -> bool:
        return self.error_count == 0

    def summary(self) -> dict[str, int]:
        """Breaches per rule id (complete counts, errors and warnings), in rule order."""
        return {r.id: self.counts[r.id] for r in RULES_IN_ORDER if self.counts[r.id]}

    def sorted_findings(self) -> list[Finding]:
        order = {r.id: i for i, r in enumerate(RULES_IN_ORDER)}
        return sorted(self.findings, key=lambda f: (order[f.rule_id], f.file, f.line or 0))

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "errors": self.error_count,
            "warnings": self.warning_count,
            "files": self.files,
            "summary": [
                {
                    "rule_id": rule_id,
                    "severity": RULES[rule_id].severity,
                    "title": RULES[rule_id].title,
                    "count": count,
                    "shown": sum(1 for f in self.findings if f.rule_id == rule_id),
                }
                for rule_id, count in self.summary().items()
            ],
            # "source" only for an ingested row, so a report on an EHLD return keeps its shape.
            "findings": [
                {key: value for key, value in asdict(f).items() if key != "source" or value is not None}
                for f in self.sorted_findings()
            ],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)
