"""The outcomes framework: every indicator of ``docs/spec/indicators.md``, on DuckDB or Spark.

>>> from earlyhelp.indicators import compute
>>> result = compute("synthetic-england/", Path("out"), engine="duckdb")
>>> result.spec_published  # pyarrow.Table: the spec's indicators.csv, disclosure-controlled
>>> result.published       # the same figures in EES tidy format (indicators_published.csv)
>>> result.internal        # unsuppressed, unrounded, typed: internal/indicators_unsuppressed.csv

``compute_internal`` returns the internal (unsuppressed) table without writing: typed numbers
and a status column (:data:`earlyhelp.publish.INTERNAL_SCHEMA`). ``publish`` applies disclosure
control to such a table with these indicators' definitions; everything about publication
(rounding, symbols, files, the notice) is :mod:`earlyhelp.publish`'s.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from earlyhelp.engine import Engine, create_engine
from earlyhelp.errors import DataError, UsageError
from earlyhelp.indicators.comparators import AreaComparator, comparator_table
from earlyhelp.indicators.compute import Assembler, gather, internal_table
from earlyhelp.indicators.definitions import ADDITIVE_RELATIONS, INDICATOR_BY_NAME, INDICATORS, Indicator
from earlyhelp.indicators.reasons import NOTES_FILE, Note, note_lines, write_notes
from earlyhelp.publish import (
    DEFAULT_THRESHOLD,
    INTERNAL_FILE,
    INTERNAL_README,
    META_FILE,
    OUTPUT_COLUMNS,
    PUBLISHED_COLUMNS,
    PUBLISHED_FILE,
    README_FILE,
    SOURCE_RETURNS,
    SPEC_FILE,
    TOTAL,
    XLSX_FILE,
    Publication,
    areas_from_rows,
    reference_areas,
    reference_old_la_codes,
)
from earlyhelp.publish import publish as publish_with
from earlyhelp.publish.audit import Audit, audit
from earlyhelp.publish.conventions import LEVEL_ORDER
from earlyhelp.publish.files import spec_layout

_INDICATOR_ORDER = {indicator.name: i for i, indicator in enumerate(INDICATORS)}


def _published_order(row: dict[str, str]) -> tuple:
    return (
        row["time_period"],
        LEVEL_ORDER[row["geographic_level"]],
        row["region_code"],
        row["new_la_code"],
        _INDICATOR_ORDER.get(row["indicator"], len(_INDICATOR_ORDER)),
        row["breakdown"] != TOTAL,
        row["breakdown"],
    )


def publish(
    internal: pa.Table,
    threshold: int = DEFAULT_THRESHOLD,
    areas: dict[str, dict[str, str]] | None = None,
    comparators: list[AreaComparator] | None = None,
) -> Publication:
    """Disclosure control of a typed internal table of these indicators (see :mod:`earlyhelp.publish`),
    with DfE's published England and regional rows (``comparators``) put in their places as published:
    already public, they are neither suppressed nor rounded again."""
    publication = publish_with(internal, INDICATOR_BY_NAME, threshold, areas, ADDITIVE_RELATIONS)
    if not comparators:
        return publication
    names = areas if areas is not None else reference_areas()
    region_names = {code: entry.get("region_name", "") for code, entry in names.items()}
    rows = publication.published.to_pylist() + comparator_table(comparators, region_names).to_pylist()
    published = pa.Table.from_pylist(sorted(rows, key=_published_order), schema=publication.published.schema)
    return Publication(publication.internal, published, spec_layout(published), threshold)


def audit_publication(publication: Publication) -> Audit:
    """The disclosure audit of a publication (:mod:`earlyhelp.publish.audit`); a
    :class:`DataError` (exit 1) when any suppressed count can be worked out too precisely.

    DfE's published rows are left out: they are public already, and they are not sums of the LAs
    loaded (they cover every LA of the area), so as constraints they would tie the loaded LAs'
    figures to totals they do not add up to.
    """
    ours = publication.published.filter(pc.equal(publication.published.column("source"), SOURCE_RETURNS))
    result = audit(ours, INDICATOR_BY_NAME, publication.threshold, ADDITIVE_RELATIONS)
    if result.recoverable:
        shown = "\n".join(f"  {interval.describe()}" for interval in result.recoverable[:10])
        more = len(result.recoverable) - 10
        raise DataError(
            f"Disclosure audit failed: {len(result.recoverable)} suppressed count(s) can be worked out from "
            f"the published figures to within fewer than {publication.threshold} values; nothing was "
            f"written.\n{shown}" + (f"\n  ... and {more} more" if more > 0 else ""),
            hint="This is a bug in disclosure control (earlyhelp.publish.disclosure); please report it.",
        )
    return result


@dataclass
class IndicatorResult:
    """One computation: the internal table and the one published table in its two layouts."""

    internal: pa.Table  # unsuppressed, unrounded, typed (INTERNAL_SCHEMA): never publish
    published: pa.Table  # disclosure-controlled, EES tidy format (PUBLISHED_COLUMNS)
    spec_published: pa.Table  # the same figures in the spec's columns (OUTPUT_COLUMNS)
    out: Path | None
    engine: str
    seconds: float
    audit: Audit | None = None  # the disclosure audit, run before any file is written
    notes: tuple[Note, ...] = ()  # why figures are x, in plain English
    # Reference tables the return lacked, taken from the package (earlyhelp.reference.fill).
    reference_added: tuple[str, ...] = ()

    @property
    def publishable_files(self) -> list[Path]:
        if self.out is None:
            return []
        return [self.out / name for name in (SPEC_FILE, PUBLISHED_FILE, META_FILE, NOTES_FILE, XLSX_FILE, README_FILE)]

    @property
    def internal_files(self) -> list[Path]:
        if self.out is None:
            return []
        return [self.out / INTERNAL_FILE, self.out / INTERNAL_README]

    @property
    def files(self) -> list[Path]:
        """Every file written: the publishable ones first."""
        return self.publishable_files + self.internal_files


# A DuckDB database file says so in its first bytes ("DUCK" after an 8-byte checksum).
_DUCKDB_MAGIC = (8, b"DUCK")


def check_input(data: Path | str) -> Path:
    """The data to compute from, checked before any work: an EHLD folder holding at least one
    table (the shared check, :func:`earlyhelp.validate.folder.check_ehld_folder`) or a DuckDB warehouse
    file. Anything else is a :class:`UsageError` (exit 2) saying what to give instead."""
    from earlyhelp.validate.folder import check_ehld_folder

    path = Path(data)
    if path.is_dir() or not path.exists():
        check_ehld_folder(path)
        return path
    offset, magic = _DUCKDB_MAGIC
    try:
        with open(path, "rb") as handle:
            head = handle.read(offset + len(magic))
    except OSError as error:
        raise UsageError(f"{path} cannot be read: {error.strerror}.") from None
    if head[offset:] != magic:
        raise UsageError(
            f"{path} is neither an EHLD folder nor a DuckDB warehouse.",
            hint="Give the folder of an EHLD return (one CSV or Parquet file per table), or a "
            "warehouse file written by `earlyhelp load`.",
        )
    return path


@dataclass
class _Computed:
    internal: pa.Table
    areas: dict[str, dict[str, str]]
    comparators: list[AreaComparator]
    notes: tuple[Note, ...]
    reference_added: tuple[str, ...] = ()


def _run(data: Path | str, engine: str | Engine, base_year: int | None) -> _Computed:
    data = check_input(data)

    def on(engine_: Engine) -> _Computed:
        inputs = gather(engine_, data, base_year)
        names = engine_.sql("SELECT la_code, la_name, region_code, region_name FROM local_authorities")
        # Names from the data; LAs it does not name fall back to the shipped reference list.
        areas = reference_areas()
        areas.update(areas_from_rows(names.to_pylist(), reference_old_la_codes()))
        assembler = Assembler(inputs)
        internal = internal_table(assembler.rows())
        labels = {i.name: i.label for i in INDICATORS}
        notes = tuple(assembler.reasons.notes(labels, labels))
        return _Computed(internal, areas, assembler.comparators, notes, _from_package(data, inputs.reference_added))

    if isinstance(engine, Engine):
        return on(engine)
    with create_engine(engine) as owned:
        return on(owned)


def compute_internal(data: Path | str, engine: str | Engine = "duckdb", base_year: int | None = None) -> pa.Table:
    """The internal, unsuppressed table (typed: INTERNAL_SCHEMA, unrounded values); nothing written."""
    return _run(Path(data), engine, base_year).internal


def compute(
    data: Path | str,
    out: Path | str | None,
    engine: str | Engine = "duckdb",
    base_year: int | None = None,
    suppression_threshold: int = DEFAULT_THRESHOLD,
) -> IndicatorResult:
    """Compute every indicator for every LA, region and England and write the output folder.

    ``data`` is an EHLD folder or a DuckDB warehouse file; ``engine`` is ``"duckdb"``,
    ``"spark"`` or an :class:`~earlyhelp.engine.Engine`. ``out`` None writes nothing.
    """
    if suppression_threshold < 1:
        raise UsageError("--suppression-threshold must be at least 1 (the spec's default is 5).")
    started = time.perf_counter()
    computed = _run(Path(data), engine, base_year)
    publication = publish(computed.internal, suppression_threshold, computed.areas, computed.comparators)
    out_path = None if out is None else Path(out)
    checked = None
    if out_path is not None:
        checked = audit_publication(publication)
        publication.write(out_path)
        write_notes(out_path / NOTES_FILE, computed.notes)
        _add_notes_to_readme(out_path / README_FILE, computed.notes)
        _add_reference_to_readme(out_path / README_FILE, computed.reference_added)
    engine_name = engine.name if isinstance(engine, Engine) else engine
    return IndicatorResult(
        computed.internal,
        publication.published,
        publication.spec_published,
        out_path,
        engine_name,
        time.perf_counter() - started,
        checked,
        computed.notes,
        computed.reference_added,
    )


def _from_package(data: Path, added_here: list[str]) -> tuple[str, ...]:
    """The reference tables taken from the package: added here because the data had none, or
    added by ``earlyhelp ingest`` to the folder it wrote (and not edited since), in the package's order."""
    from earlyhelp.reference.fill import PACKAGE_TABLES
    from earlyhelp.validate.provenance import package_tables

    taken = set(added_here) | set(package_tables(data))
    return tuple(table for table in PACKAGE_TABLES if table in taken)


def _add_reference_to_readme(readme: Path, tables: tuple[str, ...]) -> None:
    """The README says which reference tables are the package's, because the return had none."""
    if not tables:
        return
    from earlyhelp.reference.fill import statement

    section = (
        "\n## Reference tables added from the package\n\n"
        "The return had none of its own for these, so the tables earlyhelp ships were used (for the "
        "LAs of the return; spend only for the years it covers):\n\n"
    )
    section += "".join(f"- {statement(table)}\n" for table in tables)
    with open(readme, "a", encoding="utf-8") as handle:
        handle.write(section)


def _add_notes_to_readme(readme: Path, notes: tuple[Note, ...]) -> None:
    """The README says why each `x` is there (the same words as ``indicators_notes.csv``)."""
    lines = note_lines(notes)
    section = "\n## Figures that could not be computed\n\n"
    if lines:
        section += f"`{NOTES_FILE}` lists the same, one row per indicator and reason.\n\n"
        section += "".join(f"- {line}\n" for line in lines)
    else:
        section += "Every figure could be computed.\n"
    with open(readme, "a", encoding="utf-8") as handle:
        handle.write(section)


__all__ = [
    "INDICATORS",
    "INDICATOR_BY_NAME",
    "INTERNAL_FILE",
    "INTERNAL_README",
    "META_FILE",
    "OUTPUT_COLUMNS",
    "PUBLISHED_COLUMNS",
    "PUBLISHED_FILE",
    "README_FILE",
    "SPEC_FILE",
    "Indicator",
    "IndicatorResult",
    "audit_publication",
    "check_input",
    "compute",
    "compute_internal",
    "publish",
]
