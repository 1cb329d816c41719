"""The two entry points: ``ingest`` (DfE formats -> EHLD) and ``export`` (EHLD -> DfE formats)."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from earlyhelp.errors import UsageError
from earlyhelp.formats.detect import Detected, Format, detect
from earlyhelp.formats.ehld_out import EHLDWriter
from earlyhelp.formats.issues import FormatError, FormatIssue, write_issues
from earlyhelp.formats.readers import NotPlaced
from earlyhelp.reference.fill import PACKAGE_TABLES, package_table, statement
from earlyhelp.spec import periods as spec_periods

ISSUES_FILE = "ingest_issues.tsv"
# What ingest read but could not place in any EHLD table: file, column and counts, never values.
NOT_PLACED_FILE = "ingest_not_placed.tsv"
ONS_LA_CODE = re.compile(r"^[EWSN]\d{8}$")
ExportTarget = Literal["cin-xml", "ssda903"]


@dataclass
class IngestReport:
    """What ``ingest`` did: formats read, rows written, issues found (identifiers masked)."""

    out: Path
    formats: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    skipped_children: int = 0
    issues: list[FormatIssue] = field(default_factory=list)
    issue_count: int = 0
    ignored_files: list[Path] = field(default_factory=list)
    copied_files: list[Path] = field(default_factory=list)
    # Reference tables the files lacked, added from the package (earlyhelp.reference.fill).
    reference_added: list[str] = field(default_factory=list)
    # Columns read that no EHLD table has a place for (counts only).
    not_placed: list[NotPlaced] = field(default_factory=list)
    # About whole files (a census period of no whole financial year ...); no identifier in them.
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        lines = [f"Read {', '.join(self.formats)} into {self.out}:"]
        lines += [f"  {table}: {count} rows" for table, count in sorted(self.rows.items())]
        if self.copied_files:
            lines.append(f"  EHLD tables copied as they are: {', '.join(p.name for p in self.copied_files)}")
        lines += [f"  {statement(table)}" for table in self.reference_added]
        if self.issue_count:
            left_out = f"{self.skipped_children} children" if self.skipped_children else "the rows concerned"
            lines.append(f"  {self.issue_count} problem(s): {left_out} left out (listed in {self.out / ISSUES_FILE})")
        if self.ignored_files:
            names = ", ".join(sorted(p.name for p in self.ignored_files))
            lines.append(
                f"  Recognised but not read (no EHLD table holds their content, or the SSDA903 XML form): {names}"
            )
        if self.not_placed:
            lines.append(
                "  Read but not kept (the data model has no place for them; columns and counts, no values, "
                f"in {self.out / NOT_PLACED_FILE}):"
            )
            lines += [f"    {line}" for line in _not_placed_lines(self.not_placed)]
        lines += [f"  {warning}" for warning in self.warnings]
        return "\n".join(lines)


def _not_placed_lines(not_placed: list[NotPlaced]) -> list[str]:
    """One line per file and part: ``reviews.csv, reviews (12582 rows): REVIEW 12582, REVIEW_CODE 12582``."""
    grouped: dict[tuple[str, str], list[NotPlaced]] = {}
    # Elements of a CIN census, with why they have no place: one line per file and reason.
    explained: dict[tuple[str, str], list[NotPlaced]] = {}
    for item in not_placed:
        if item.why:
            explained.setdefault((item.file, item.why), []).append(item)
        else:
            grouped.setdefault((item.file, item.part), []).append(item)
    lines = [
        f"{file}, {part} ({max(i.present for i in items)} rows): " + ", ".join(f"{i.column} {i.values}" for i in items)
        for (file, part), items in grouped.items()
    ]
    for (file, why), items in explained.items():
        count = sum(i.values for i in items)
        names = ", ".join(f"<{i.column}>" for i in items)
        where = f" in <{items[0].part}>" if len(items) == 1 else ""
        lines.append(f"{file}, {names}{where}: {count} value{'' if count == 1 else 's'}; {why}")
    return lines


def write_not_placed(not_placed: list[NotPlaced], path: Path) -> None:
    """The columns read but not kept, as a tab-separated file (counts only, never a value)."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(["file", "part", "column", "rows", "values", "why"])
        for item in not_placed:
            writer.writerow([item.file, item.part, item.column, item.present, item.values, item.why])


def ingest(
    paths: list[Path] | tuple[Path, ...] | Path,
    out: Path,
    *,
    la_code: str | None = None,
    extract_date: dt.date | None = None,
    skip_invalid: bool = False,
) -> Path:
    """Detect the format of ``paths`` and write an EHLD folder at ``out``; returns ``out``.

    Raises ``FormatError`` (a ``DataError``) listing every problem, unless ``skip_invalid`` is
    true, in which case children with problems are left out and listed in ``ingest_issues.tsv``.
    """
    return ingest_report(paths, out, la_code=la_code, extract_date=extract_date, skip_invalid=skip_invalid).out


def ingest_report(
    paths: list[Path] | tuple[Path, ...] | Path,
    out: Path,
    *,
    la_code: str | None = None,
    extract_date: dt.date | None = None,
    skip_invalid: bool = False,
) -> IngestReport:
    if isinstance(paths, (str, Path)):
        paths = [Path(paths)]
    out = Path(out)
    if la_code is not None and not ONS_LA_CODE.match(la_code):
        raise UsageError(
            f"{la_code!r} is not an ONS LA code.", hint="Give the nine-character code, e.g. E06000001 for Hartlepool."
        )
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise UsageError(
            f"{out} already exists and is not an empty folder.",
            hint="Give a new folder for the EHLD tables, or delete the old one first.",
        )
    groups = detect([Path(p) for p in paths])
    if any(g.format == Format.EHLD for g in groups) and len(groups) > 1:
        raise UsageError(
            "EHLD tables cannot be ingested together with DfE-format files.",
            hint="Ingest the DfE files into their own folder; stages read several folders.",
        )

    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent if out.parent.exists() else None))
    report = IngestReport(out=out)
    try:
        periods: dict[str, tuple[dt.date, dt.date]] = {}
        with EHLDWriter(staging) as writer:
            for group in groups:
                report.formats.append(group.format)
                report.ignored_files.extend(group.ignored)
                _read_group(group, writer, report, periods, la_code=la_code)
        if report.issue_count and not skip_invalid:
            raise FormatError(
                report.issues,
                total=report.issue_count,
                what=f"Could not ingest {', '.join(report.formats)}",
                hint="Fix the file(s), or run with --skip-invalid to leave those children out.",
                warnings=report.warnings,
            )
        rows = dict(writer.counts)
        problem_children = {issue.child_id for issue in report.issues if issue.child_id}
        if problem_children:
            # A child with a problem anywhere is left out everywhere: keeping the child without
            # the bad row would publish, say, a child in care with no episode.
            rows, left_out = _leave_out_children(staging, problem_children)
            report.skipped_children += left_out
        if report.issue_count and not rows.get("children"):
            if report.skipped_children:
                each = (
                    "the only child read has a problem"
                    if report.skipped_children == 1
                    else f"each of the {report.skipped_children} children read has a problem"
                )
                what = f"No child could be ingested from {', '.join(report.formats)} ({each})"
                hint = "Fix the children's problems listed above (each names its line and child)."
            else:
                what = (
                    f"No child could be ingested from {', '.join(report.formats)} (a problem of the whole "
                    "file, its header or structure, stopped the reading before any child)"
                )
                hint = "--skip-invalid leaves out children, not a file's header: fix the problem listed above."
            raise FormatError(report.issues, total=report.issue_count, what=what, hint=hint, warnings=report.warnings)
        with EHLDWriter(staging) as returns_writer:
            _write_returns(returns_writer, periods, writer.event_span, writer.la_codes, extract_date)
            report.reference_added = _add_package_tables(returns_writer, staging, periods)
            rows |= returns_writer.counts
        report.rows = rows
        if report.issues:
            write_issues(report.issues, staging / ISSUES_FILE)
        if report.not_placed:
            write_not_placed(report.not_placed, staging / NOT_PLACED_FILE)
        _record_provenance(groups, staging, report, la_code)
        out.mkdir(parents=True, exist_ok=True)
        for file in staging.iterdir():
            shutil.move(str(file), out / file.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _add_package_tables(writer: EHLDWriter, folder: Path, periods: dict[str, tuple[dt.date, dt.date]]) -> list[str]:
    """Write the package's reference tables the files did not bring (for their LAs and, for
    spend, the years they cover), so that rates can be computed; the tables written, in order."""
    years = {
        year
        for start, end in periods.values()
        for year in spec_periods.periods_between(spec_periods.period_of(start), spec_periods.period_of(end))
    }
    added = []
    for table in PACKAGE_TABLES:
        if any((folder / f"{table}{suffix}").exists() for suffix in (".csv", ".parquet")):
            continue  # the return's own table wins
        rows = package_table(table, periods, years).to_pylist()
        for row in rows:
            writer.add(table, row)
        if rows:
            added.append(table)
    return added


def _record_provenance(groups: list[Detected], folder: Path, report: IngestReport, la_code: str | None) -> None:
    """Leave the sidecars that let later stages name the analyst's file, line and child for a
    row of ``folder`` (:mod:`earlyhelp.validate.provenance`), and say which tables came from the
    package."""
    from earlyhelp.formats.provenance import MAPPED_FORMATS, build_index, place_rows
    from earlyhelp.spec import TABLES
    from earlyhelp.validate.provenance import PACKAGE_ORIGIN, write_sidecars

    origin = "+".join(dict.fromkeys(report.formats))
    files = {
        path.stem: path
        for path in sorted(folder.iterdir())
        if path.stem in TABLES and path.suffix in (".csv", ".parquet") and path.is_file()
    }
    origins = {
        table: (path, PACKAGE_ORIGIN if table in report.reference_added else origin) for table, path in files.items()
    }
    if not any(group.format in MAPPED_FORMATS for group in groups):
        write_sidecars(folder, (), origins)  # EHLD tables copied as they are: their own source
        return
    read = [t for t, path in files.items() if path.suffix == ".csv" and t not in report.reference_added]
    with build_index(groups, la_code, folder) as index:
        write_sidecars(folder, place_rows(folder, read, index), origins)


def _leave_out_children(folder: Path, child_ids: set[str]) -> tuple[dict[str, int], int]:
    """Remove every row of ``child_ids`` from the tables written in ``folder``.
    Returns the rows left per table and how many children rows were removed."""
    counts: dict[str, int] = {}
    removed_children = 0
    for path in sorted(folder.rglob("*.csv")):
        table = path.relative_to(folder).with_suffix("").as_posix()
        kept_path = path.with_suffix(".kept")
        with (
            open(path, newline="", encoding="utf-8") as source,
            open(kept_path, "w", newline="", encoding="utf-8") as target,
        ):
            reader = csv.reader(source)
            writer = csv.writer(target, lineterminator="\n")
            header = next(reader)
            writer.writerow(header)
            # person_identifiers names the child in source_record_id (for the LA's own sources).
            key = (
                header.index("child_id")
                if "child_id" in header
                else (header.index("source_record_id") if "source_record_id" in header else None)
            )
            kept = 0
            for row in reader:
                if key is not None and row[key] in child_ids:
                    removed_children += table == "children"
                    continue
                writer.writerow(row)
                kept += 1
        kept_path.replace(path)
        counts[table] = kept
    return counts, removed_children


def _read_group(
    group: Detected,
    writer: EHLDWriter,
    report: IngestReport,
    periods: dict[str, tuple[dt.date, dt.date]],
    *,
    la_code: str | None,
) -> None:
    result = group.reader.read(group, writer, la_code=la_code)
    report.issues.extend(result.issues)
    report.issue_count += result.issue_count
    report.skipped_children += result.skipped_children
    report.copied_files.extend(result.copied_files)
    report.not_placed.extend(result.not_placed)
    report.warnings.extend(result.warnings)
    for la, (start, end) in result.periods.items():
        _widen(periods, la, start, end)


def _widen(periods: dict[str, tuple[dt.date, dt.date]], la: str, start: dt.date, end: dt.date) -> None:
    if la in periods:
        start, end = min(start, periods[la][0]), max(end, periods[la][1])
    periods[la] = (start, end)


def _write_returns(
    writer: EHLDWriter,
    periods: dict[str, tuple[dt.date, dt.date]],
    event_span: dict[str, list[str]],
    la_codes: set[str],
    extract_date: dt.date | None,
) -> None:
    """One `returns` row per LA with data: the census period when the files state it, otherwise
    the span of the events read, up to ``extract_date`` when given (which must not be before
    any event read: the validator would refuse every later event)."""
    for la, (first, last) in event_span.items():
        if la not in periods:
            periods[la] = (dt.date.fromisoformat(first), dt.date.fromisoformat(last))
    for la in sorted(la_codes - set(periods)):
        if extract_date is None:
            raise UsageError(
                f"The files hold no dated record (referral, episode, plan ...) for {la}, "
                "so its reporting period is unknown.",
                hint="Give the date the files were extracted with --extract-date YYYY-MM-DD.",
            )
        periods[la] = (extract_date, extract_date)
    for la, (start, end) in sorted(periods.items()):
        if extract_date is not None:
            latest_event = dt.date.fromisoformat(event_span[la][1]) if la in event_span else None
            if latest_event and extract_date < latest_event:
                raise UsageError(
                    f"--extract-date {extract_date.isoformat()} is before the latest event date in the "
                    f"files of {la} ({latest_event.isoformat()}).",
                    hint="Give the date the files were really extracted (YYYY-MM-DD), or leave "
                    "--extract-date out to use the latest event date.",
                )
        observed_end = extract_date or end
        writer.add(
            "returns",
            {
                "la_code": la,
                "period_start": start,
                "period_end": max(end, start),
                "extract_date": max(observed_end, start),
            },
        )


@dataclass
class ExportReport:
    """What ``export`` wrote, and what the user should know about it (e.g. fields left empty)."""

    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return "\n".join([f"wrote {path}" for path in self.files] + self.notes)


def export(
    data: Path | list[Path],
    to: ExportTarget,
    out: Path,
    **options,
) -> list[Path]:
    """Write the EHLD data in ``data`` as ``to`` ("cin-xml" or "ssda903") files under ``out``.

    Returns the files written. Options: see ``earlyhelp.formats.cin_xml.write_cin_xml`` and
    ``earlyhelp.formats.ssda903.write_ssda903``.
    """
    return export_report(data, to, out, **options).files


def export_report(
    data: Path | list[Path],
    to: ExportTarget,
    out: Path,
    **options,
) -> ExportReport:
    """``export``, also returning the notes the CLI prints once per export.

    Files are written to a staging folder beside ``out`` and moved in only when the whole
    export succeeded, so a failure leaves ``out`` as it was (not created, if it was not there).
    """
    import duckdb

    from earlyhelp.formats.export_source import locate_unreadable_value

    folders = [Path(p) for p in (data if isinstance(data, list) else [data])]
    out = Path(out)
    if to not in ("cin-xml", "ssda903"):
        raise UsageError(f"Cannot export to {to!r}.", hint="Choose cin-xml or ssda903.")
    if out.exists() and not out.is_dir():
        raise UsageError(
            f"--out {out} is a file, not a folder.",
            hint="Give a folder for the exported files (it is created if needed).",
        )
    try:
        staging = Path(tempfile.mkdtemp(prefix=f".{out.name}-export-", dir=_existing_parent(out)))
    except OSError:  # a folder we cannot write to: stage in the system's temporary folder
        staging = Path(tempfile.mkdtemp(prefix="earlyhelp-export-"))
    report = ExportReport()
    try:
        try:
            if to == "cin-xml":
                from earlyhelp.formats.cin_xml import write_cin_xml

                written = write_cin_xml(folders, staging, notes=report.notes, **options)
            else:
                from earlyhelp.formats.ssda903 import missing_identifiers_notice, write_ssda903

                written = write_ssda903(folders, staging, **options)
                notice = missing_identifiers_notice(folders)
                if notice:
                    report.notes.append(notice)
        except duckdb.Error:
            # A value (or line) the typed views cannot read: say where, never the value.
            raise locate_unreadable_value(folders) from None
        for file in written:
            target = out / file.relative_to(staging)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(file), target)
            report.files.append(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _existing_parent(path: Path) -> Path | None:
    """The nearest existing folder above ``path`` (the staging folder goes there, so the final
    move is a rename on the same disk); None to fall back to the system's temporary folder."""
    for parent in path.absolute().parents:
        if parent.is_dir():
            return parent
    return None
