"""Run the definitions on an engine and assemble the internal long table.

The engine counts records per LA and year (``MEASURES``) and pools records for medians; this module
then forms every LA, regional and national row from those integers, marks figures whose follow-up
window the data cannot cover yet as ``x``, and computes the unrounded values: the typed internal
table of :mod:`earlyhelp.publish.internal` (numbers and a status, no text).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pyarrow as pa

from earlyhelp.console import steps
from earlyhelp.engine import Engine
from earlyhelp.errors import DataError, UsageError
from earlyhelp.indicators import reasons as why
from earlyhelp.indicators.comparators import AreaComparator, Geography, published_area_figure, reference_geography
from earlyhelp.indicators.definitions import (
    INDICATORS,
    INPUT_TABLES,
    MEASURES,
    RECORD_TABLES,
    SOURCES,
    Indicator,
    input_columns,
    tables_needed,
)
from earlyhelp.publish import internal_table as typed_table
from earlyhelp.publish.conventions import (
    LEVEL_ORDER,
    LOCAL,
    NATIONAL,
    NOT_APPLICABLE,
    NOT_AVAILABLE,
    RATE_SCALES,
    REGIONAL,
    TOTAL,
)
from earlyhelp.spec import periods

Number = int | float | Fraction | Decimal


@dataclass(frozen=True)
class Area:
    level: str
    region_code: str
    la_code: str


@dataclass
class Inputs:
    """Everything the engine returns, as plain Python: small (thousands of entries)."""

    returns: dict[str, tuple[dt.date, dt.date, dt.date]]  # la -> period_start, period_end, extract
    region_of: dict[str, str]
    la_years: dict[str, set[int]]
    measures: dict[str, dict[tuple[str, int, str], int]]
    population: dict[tuple[str, int], int]
    spend: dict[tuple[str, int], Decimal]
    deflators: dict[int, float]
    base_year: int | None
    medians: dict[str, dict[tuple[str, str, int], tuple[int, int]]]  # (level, area, tp) -> n, median
    # la -> the record tables its return supplied (default: all, when the data cannot tell)
    supplied: dict[str, frozenset[str]] = field(default_factory=dict)
    # Reference tables the data lacked for some LA, taken from the package (reference.fill).
    reference_added: list[str] = field(default_factory=list)

    def supplies(self, la: str, tables: frozenset[str]) -> bool:
        return tables <= self.supplied.get(la, frozenset(RECORD_TABLES))

    @property
    def regions(self) -> dict[str, list[str]]:
        members: dict[str, list[str]] = defaultdict(list)
        for la in sorted(self.returns):
            if self.region_of.get(la):
                members[self.region_of[la]].append(la)
        return dict(members)


def _rows(table: pa.Table) -> list[dict[str, Any]]:
    return table.to_pylist()


def _la_years_table(returns: dict[str, tuple[dt.date, dt.date, dt.date]]) -> tuple[pa.Table, dict[str, set[int]]]:
    rows: list[dict[str, Any]] = []
    la_years: dict[str, set[int]] = {}
    for la, (period_start, period_end, _extract) in sorted(returns.items()):
        years = periods.periods_between(periods.period_of(period_start), periods.period_of(period_end))
        for period in years:
            start, end = periods.bounds(period)
            rows.append(
                {
                    "la_code": la,
                    "time_period": period,
                    "start_year": periods.start_year(period),
                    "year_start": start,
                    "year_end": end,
                }
            )
        la_years[la] = set(years)
    schema = pa.schema(
        [
            ("la_code", pa.string()),
            ("time_period", pa.int64()),
            ("start_year", pa.int64()),
            ("year_start", pa.date32()),
            ("year_end", pa.date32()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema), la_years


def measure_queries() -> list[tuple[list[str], str]]:
    """One aggregate query per source (and breakdown), each giving several measures as columns.

    Grouping the measures by source means one scan and one aggregation per record set, which is
    what costs on both engines (Spark schedules every aggregation as its own stage).
    """
    by_source: dict[str, list] = defaultdict(list)
    for measure in MEASURES:
        by_source[measure.source].append(measure)
    queries = []
    for source, measures in by_source.items():
        columns = ", ".join(f"CAST({m.expression} AS BIGINT) AS {m.name}" for m in measures)
        queries.append(
            (
                [m.name for m in measures],
                f"SELECT la_code, time_period, '{TOTAL}' AS breakdown, {columns} "
                f"FROM {source} GROUP BY la_code, time_period",
            )
        )
        for dimension in sorted({d for m in measures for d in m.breakdowns}):
            split = [m for m in measures if dimension in m.breakdowns]
            columns = ", ".join(f"CAST({m.expression} AS BIGINT) AS {m.name}" for m in split)
            queries.append(
                (
                    [m.name for m in split],
                    f"SELECT la_code, time_period, '{dimension}:' || {dimension} AS breakdown, "
                    f"{columns} FROM {source} GROUP BY la_code, time_period, {dimension}",
                )
            )
    return queries


def _median_query(source: str, column: str) -> str:
    # Lower median, pooled over the area's records: row 2k-1 of 2k-1 or row k of 2k.
    return f"""
    WITH records AS (
        SELECT s.la_code, COALESCE(a.region_code, '') AS region_code, s.time_period,
               s.{column} AS v
        FROM {source} s LEFT JOIN local_authorities a ON a.la_code = s.la_code
    ),
    tagged AS (
        SELECT '{LOCAL}' AS level, la_code AS area, time_period, v FROM records
        UNION ALL SELECT '{REGIONAL}', region_code, time_period, v FROM records WHERE region_code <> ''
        UNION ALL SELECT '{NATIONAL}', '', time_period, v FROM records
    ),
    ranked AS (
        SELECT level, area, time_period, v,
               row_number() OVER (PARTITION BY level, area, time_period ORDER BY v) AS rn,
               count(*) OVER (PARTITION BY level, area, time_period) AS n
        FROM tagged
    )
    SELECT level, area, time_period, n, v FROM ranked WHERE 2 * rn = n OR 2 * rn = n + 1
    """


def supplied_tables(data: Path | str, las: list[str]) -> dict[str, frozenset[str]]:
    """Per LA, the record tables its return supplied: a table with no file was not supplied.

    A folder is one return: its files say which tables it holds, for every LA in it (a header-only
    file is supplied and means "no records"). A warehouse keeps every table for every LA, so
    there the LA's ``load_history`` rows say which files its returns had, together (returns
    accumulate by period and source). A warehouse without that history cannot tell, and every
    table counts as supplied.
    """
    path = Path(data)
    if path.is_dir():
        from earlyhelp.validate.folder import EHLDFolder

        present = frozenset(EHLDFolder(path).tables) & frozenset(RECORD_TABLES)
        return {la: present for la in las}
    from earlyhelp.warehouse import loaded_return_tables

    return {la: tables & frozenset(RECORD_TABLES) for la, tables in loaded_return_tables(path).items()}


def gather(engine: Engine, data: Path | str, base_year: int | None = None) -> Inputs:
    """Register the data on ``engine`` and run every query the indicators need."""
    from earlyhelp.validate.folder import EHLDFolder

    folder = EHLDFolder(data) if Path(data).is_dir() else None
    if folder is not None:
        folder.check(list(INPUT_TABLES))  # file and header problems, in their own words
    try:
        columns: dict[str, Iterable[str]] = dict(input_columns())
        engine.register_ehld(data, list(INPUT_TABLES), columns)
    except DataError:
        # A value did not convert. The database names only the column; the validator names the
        # line and says why (a day/month/year date, a line that is not UTF-8, ...).
        explained = folder.diagnose(list(INPUT_TABLES)) if folder is not None else None
        if explained is not None:
            raise explained from None
        raise
    returns: dict[str, tuple[dt.date, dt.date, dt.date]] = {}
    for row in _rows(engine.sql("SELECT la_code, period_start, period_end, extract_date FROM returns")):
        if row["la_code"] in returns:
            raise DataError(f"The returns table has two rows for LA {row['la_code']}; it needs one.")
        if None in (row["la_code"], row["period_start"], row["period_end"], row["extract_date"]):
            raise DataError(
                "A returns row lacks la_code, period_start, period_end or extract_date.",
                hint="Run `earlyhelp validate`: it names the row.",
            )
        returns[row["la_code"]] = (row["period_start"], row["period_end"], row["extract_date"])
    if not returns:
        raise DataError(
            "The data has no `returns` rows, so the years it covers are unknown.",
            hint="Each LA's return needs a row in returns.csv (period_start, period_end, extract_date).",
        )
    reference_added = _fill_reference(engine, returns)
    region_of = {
        row["la_code"]: row["region_code"] or ""
        for row in _rows(engine.sql("SELECT la_code, region_code FROM local_authorities"))
    }
    deflators = {
        int(row["time_period"]): float(row["index"])
        for row in _rows(engine.sql('SELECT time_period, "index" FROM deflators'))
        if row["index"] is not None
    }
    if base_year is not None and deflators and base_year not in deflators:
        raise UsageError(
            f"--base-year {base_year} is not a time_period of the deflators table.",
            hint=f"Choose one of {min(deflators)} to {max(deflators)}.",
        )
    chosen_base = base_year if base_year is not None else (max(deflators) if deflators else None)

    la_years_table, la_years = _la_years_table(returns)
    engine.register("_la_years", la_years_table)

    median_indicators = [i for i in INDICATORS if i.median_of]
    queries = measure_queries()
    with steps("Computing indicators", len(SOURCES) + len(queries) + len(median_indicators) + 2) as advance:
        for source in SOURCES:
            engine.materialize(source.name, source.sql)
            advance(source.name)
        measures: dict[str, dict[tuple[str, int, str], int]] = defaultdict(dict)
        for names, query in queries:
            for row in _rows(engine.sql(query)):
                if row["la_code"] not in returns:
                    continue
                key = (row["la_code"], int(row["time_period"]), row["breakdown"])
                for name in names:
                    measures[name][key] = int(row[name] or 0)
            advance("counts")
        population = {
            (row["la_code"], int(row["time_period"])): int(row["children_0_17"])
            for row in _rows(
                engine.sql(
                    "SELECT y.la_code, y.time_period, p.children_0_17 FROM _la_years y "
                    "JOIN population p ON p.la_code = y.la_code AND p.year = y.start_year "
                    "WHERE p.children_0_17 IS NOT NULL"
                )
            )
        }
        advance("population")
        spend: dict[tuple[str, int], Decimal] = {}
        for row in _rows(
            engine.sql(
                "SELECT s.la_code, s.time_period, p.children_0_17, "
                "SUM(CASE WHEN s.early_intervention THEN CAST(s.gross_spend AS DECIMAL(18, 2)) "
                "ELSE CAST(0 AS DECIMAL(18, 2)) END) AS ei_spend "
                "FROM spend s JOIN population p ON p.la_code = s.la_code "
                f"AND p.year = {periods.start_year_sql('s.time_period')} "
                "WHERE p.children_0_17 IS NOT NULL "
                "GROUP BY s.la_code, s.time_period, p.children_0_17"
            )
        ):
            if row["la_code"] in returns:
                la_year = (row["la_code"], int(row["time_period"]))
                spend[la_year] = Decimal(row["ei_spend"] or 0)
                population[la_year] = int(row["children_0_17"])
        advance("spend")
        medians: dict[str, dict[tuple[str, str, int], tuple[int, int]]] = {}
        for indicator in median_indicators:
            assert indicator.median_of is not None  # the list holds only indicators with one
            source_name, column = indicator.median_of
            medians[indicator.name] = {
                (row["level"], row["area"], int(row["time_period"])): (int(row["n"]), int(row["v"]))
                for row in _rows(engine.sql(_median_query(source_name, column)))
            }
            advance(indicator.name)
    return Inputs(
        returns,
        region_of,
        la_years,
        dict(measures),
        population,
        spend,
        deflators,
        chosen_base,
        medians,
        supplied_tables(data, sorted(returns)),
        reference_added,
    )


def _fill_reference(engine: Engine, returns: dict[str, tuple[dt.date, dt.date, dt.date]]) -> list[str]:
    """For a reference table the data has no row of, the package's rows for the LAs of the
    returns (spend only for the years they cover); the tables added, each stated in the log.
    A table the data has is the data's own: package rows are never mixed into it."""
    import logging

    from earlyhelp.reference.fill import PACKAGE_TABLES, package_table, statement

    years = {
        year
        for start, end, _extract in returns.values()
        for year in periods.periods_between(periods.period_of(start), periods.period_of(end))
    }
    added = []
    for name in (table for table in PACKAGE_TABLES if table in INPUT_TABLES):
        if _rows(engine.sql(f"SELECT 1 AS any_row FROM {name} LIMIT 1")):
            continue
        package = package_table(name, returns, years)
        if package.num_rows:
            empty = engine.sql(f"SELECT * FROM {name} LIMIT 0")
            engine.register(name, package.select(empty.column_names).cast(empty.schema))
            added.append(name)
            logging.getLogger(__name__).warning("%s: the data has none", statement(name))
    return added


# ----------------------------------------------------------------------------- assembly


def year_wholly_covered(returns: tuple[dt.date, dt.date, dt.date], period: int) -> bool:
    """Whether the LA's return covers the whole financial year (1 April to 31 March).

    A year the return covers only in part (a return ending 30 September, or starting in June)
    would give a count of part of a year that reads as a whole year's, low figure.
    """
    period_start, period_end, _extract_date = returns
    year_start, year_end = periods.bounds(period)
    return period_start <= year_start and period_end >= year_end


def _window_missed(indicator: Indicator, returns: tuple[dt.date, dt.date, dt.date], period: int) -> str | None:
    """Why the data cannot cover the indicator's follow-up or look-back window, or None when it can."""
    period_start, _period_end, extract_date = returns
    year_start, year_end = periods.bounds(period)
    if indicator.follow_up_days and extract_date < year_end + dt.timedelta(days=indicator.follow_up_days):
        return why.follow_up(indicator.follow_up_days)
    if indicator.look_back_days and period_start > year_start - dt.timedelta(days=indicator.look_back_days):
        return why.look_back(indicator.look_back_days)
    return None


@dataclass
class Figure:
    """One row's figures before they are typed. A figure that is not there is None, and
    ``status`` says why: x (not available) or z (not applicable)."""

    numerator: Number | None
    denominator: Number | None
    value: Number | None
    status: str | None = None


NOT_AVAILABLE_FIGURE = Figure(None, None, None, NOT_AVAILABLE)


def _figure(indicator: Indicator, numerator: Number, denominator: Number | None, extra: Any = None) -> Figure:
    """The figure with its unrounded value; a value that cannot be formed is not applicable."""
    value = _value(indicator, numerator, denominator, extra)
    return Figure(numerator, denominator, value, NOT_APPLICABLE if value is None else None)


def _value(indicator: Indicator, numerator: Number, denominator: Number | None, extra: Any) -> Number | None:
    unit = indicator.unit
    if unit == "count":
        return numerator
    if unit == "median_days":
        return extra if numerator else None
    if unit == "mean_points":
        return Fraction(int(extra), int(numerator)) if numerator else None
    if not denominator:
        return None
    if unit == "pounds":
        return float(numerator) / float(denominator)
    return Fraction(RATE_SCALES[unit] * int(numerator), int(denominator))


class Assembler:
    """Every row of the internal table; England and regions only where the returns cover them
    (:mod:`.comparators`), DfE's published rows (``comparators``) and the reasons for every ``x``
    (``reasons``) beside them."""

    def __init__(self, inputs: Inputs, geography: Geography | None = None):
        self.inputs = inputs
        self.geography = geography if geography is not None else reference_geography()
        self.all_las = sorted(inputs.returns)
        # An LA's region from the data, else from the package's list (a CIN census names none).
        self.region_of = {la: inputs.region_of.get(la) or self.geography.region_of(la) for la in self.all_las}
        members: dict[str, list[str]] = defaultdict(list)
        for la in self.all_las:
            if self.region_of[la]:
                members[self.region_of[la]].append(la)
        self.regions = dict(members)
        self.in_england = self.geography.knows_any(self.all_las)
        self.reasons = why.Reasons()
        self.comparators: list[AreaComparator] = []

    def _not_available(self, indicator: Indicator, period: int, reason: str) -> Figure:
        self.reasons.add(indicator.name, period, reason)
        return NOT_AVAILABLE_FIGURE

    # The LA-level figure, or None when the LA has no such row.
    def la_figure(self, indicator: Indicator, la: str, period: int, breakdown: str) -> Figure | None:
        inputs = self.inputs
        if indicator.unit == "pounds":
            return self._spend_figure(la, period)
        if period not in inputs.la_years.get(la, ()):
            return None
        # A table the return did not supply is unknown, not empty: counting it would publish 0.
        needed = tables_needed(indicator)
        if not inputs.supplies(la, needed):
            missing = needed - inputs.supplied.get(la, frozenset(RECORD_TABLES))
            return self._not_available(indicator, period, why.missing_tables(missing))
        # Every record-based indicator counts events or episodes over the whole year, so a year
        # the return covers in part is not available. Spend comes from its own table (above).
        if not year_wholly_covered(inputs.returns[la], period):
            return self._not_available(indicator, period, why.PART_YEAR)
        window = _window_missed(indicator, inputs.returns[la], period)
        if window is not None:
            return self._not_available(indicator, period, window)
        numerator = inputs.measures.get(indicator.numerator, {}).get((la, period, breakdown), 0)
        denominator: int | None = None
        if indicator.denominator == "population":
            if (la, period) not in inputs.population:
                self.reasons.add(indicator.name, period, why.NO_POPULATION)
                return Figure(numerator, None, None, NOT_AVAILABLE)
            denominator = inputs.population[(la, period)]
        elif indicator.denominator is not None:
            denominator = inputs.measures.get(indicator.denominator, {}).get((la, period, breakdown), 0)
        extra = None
        if indicator.median_of:
            extra = inputs.medians[indicator.name].get((LOCAL, la, period), (0, None))[1]
        elif indicator.unit == "mean_points":
            extra = inputs.measures.get("goals_score_change", {}).get((la, period, breakdown), 0)
        return _figure(indicator, numerator, denominator, extra)

    def _spend_figure(self, la: str, period: int) -> Figure | None:
        inputs = self.inputs
        if (la, period) not in inputs.spend:
            return None
        population = inputs.population[(la, period)]
        if inputs.base_year is None or period not in inputs.deflators:
            self.reasons.add("ei_spend_per_child_real", period, why.NO_DEFLATOR)
            return Figure(None, population, None, NOT_AVAILABLE)
        real = float(inputs.spend[(la, period)]) * inputs.deflators[inputs.base_year] / inputs.deflators[period]
        if not population:
            return Figure(real, population, None, NOT_APPLICABLE)
        return Figure(real, population, real / population)

    def area_figure(
        self, indicator: Indicator, level: str, members: list[str], area: str, period: int, breakdown: str
    ) -> Figure | None:
        """Sums of the members' unrounded figures; `x` unless every member is available."""
        found = [self.la_figure(indicator, la, period, breakdown) for la in members]
        figures = [f for f in found if f is not None]
        if indicator.unit == "pounds":
            # Spend: the LAs with spend and population that year (LA reorganisations come and go).
            if not figures:
                return None
        elif not figures:
            return None
        elif len(figures) < len(found):
            return NOT_AVAILABLE_FIGURE
        if any(f.status == NOT_AVAILABLE for f in figures):
            return NOT_AVAILABLE_FIGURE
        numerator = sum(f.numerator or 0 for f in figures)
        denominator = None if indicator.denominator is None else sum(f.denominator or 0 for f in figures)
        extra = None
        if indicator.median_of:
            extra = self.inputs.medians[indicator.name].get((level, area, period), (0, None))[1]
        elif indicator.unit == "mean_points":
            extra = sum(
                self.inputs.measures.get("goals_score_change", {}).get((la, period, breakdown), 0) for la in members
            )
        return _figure(indicator, numerator, denominator, extra)

    def periods(self, indicator: Indicator) -> list[int]:
        if indicator.unit == "pounds":
            return sorted({period for _la, period in self.inputs.spend})
        return sorted({p for years in self.inputs.la_years.values() for p in years})

    def _covered(self, indicator: Indicator, period: int) -> set[str]:
        """The LAs the data has figures from for the year (spend: every LA in the data)."""
        if indicator.unit == "pounds":  # spend is not bound to the years of the returns
            return set(self.all_las)
        return {la for la in self.all_las if period in self.inputs.la_years.get(la, ())}

    def _published_instead(self, indicator: Indicator, area: Area, period: int, breakdown: str) -> bool:
        """For an area the returns do not wholly cover: keep DfE's published figure aside (never
        summed or suppressed here) and say whether there is one."""
        if not self.in_england or breakdown != TOTAL:
            return False
        published = published_area_figure(period, area.level, area.region_code, indicator.name)
        if published is None:
            return False
        numerator, denominator, value, release = published
        self.comparators.append(
            AreaComparator(period, area.level, area.region_code, indicator.name, numerator, denominator, value, release)
        )
        return True

    def rows(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        areas: list[tuple[Area, list[str]]] = [(Area(NATIONAL, "", ""), self.all_las)]
        areas += [(Area(REGIONAL, region, ""), las) for region, las in sorted(self.regions.items())]
        for indicator in INDICATORS:
            breakdowns = [TOTAL] + [
                f"{dimension}:{value}"
                for dimension in indicator.breakdowns
                for value in indicator.breakdown_values[dimension]
            ]
            for period in self.periods(indicator):
                expected = self.geography.members(period, self.region_of)
                covered = self._covered(indicator, period)
                for breakdown in breakdowns:
                    for area, members in areas:
                        code = area.region_code
                        figure = self.area_figure(indicator, area.level, members, code, period, breakdown)
                        if figure is None:
                            continue
                        if not expected.get(code, set()) <= covered:
                            if self._published_instead(indicator, area, period, breakdown):
                                continue  # DfE's row stands in for it
                            self.reasons.add(indicator.name, period, why.AREA_NOT_COVERED, why.AREA_SCOPE)
                            figure = NOT_AVAILABLE_FIGURE
                        out.append(_row(period, area, indicator, breakdown, figure))
                    for la in self.all_las:
                        figure = self.la_figure(indicator, la, period, breakdown)
                        if figure is not None:
                            area = Area(LOCAL, self.region_of.get(la, ""), la)
                            out.append(_row(period, area, indicator, breakdown, figure))
            if indicator.unit == "pounds" and not self.periods(indicator):
                for period in sorted({p for years in self.inputs.la_years.values() for p in years}):
                    self.reasons.add(indicator.name, period, why.NO_SPEND)
        return out


def _row(period: int, area: Area, indicator: Indicator, breakdown: str, figure: Figure) -> dict[str, Any]:
    """A row of the typed internal table (:data:`earlyhelp.publish.INTERNAL_SCHEMA`)."""
    money = indicator.unit == "pounds"
    numerator = figure.numerator
    return {
        "time_period": str(period),
        "geographic_level": area.level,
        "region_code": area.region_code,
        "la_code": area.la_code,
        "indicator": indicator.name,
        "breakdown": breakdown,
        "numerator": None if money or numerator is None else int(numerator),
        "denominator": None if figure.denominator is None else int(figure.denominator),
        "numerator_pounds": float(numerator) if money and numerator is not None else None,
        # Exact fractions become the nearest double here, and only here.
        "value": None if figure.value is None else float(figure.value),
        "status": figure.status,
    }


def sort_key(row: dict[str, Any]) -> tuple:
    order = {name: i for i, name in enumerate(i.name for i in INDICATORS)}
    return (
        row["time_period"],
        LEVEL_ORDER[row["geographic_level"]],
        row["region_code"],
        row["la_code"],
        order[row["indicator"]],
        row["breakdown"] != TOTAL,
        row["breakdown"],
    )


def internal_table(rows: list[dict[str, Any]]) -> pa.Table:
    """The typed internal table, rows in the published order."""
    return typed_table(sorted(rows, key=sort_key))
