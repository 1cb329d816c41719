"""``check``: compare an EHLD folder with the published national figures it was calibrated to.

Every synthetic figure is computed in SQL straight from the files, through the engine layer and
with the definitions of ``docs/spec/indicators.md`` as :mod:`earlyhelp.journeys` and
:mod:`earlyhelp.spec.periods` write them (reporting year = financial year; distinct children per
LA summed over LAs): the check is independent of the simulation, not of the spec. Published figures that count England are scaled by the folder's share of England's
children, so a smaller scale can be compared too (only ``england`` is calibrated to pass).

How the published rows map onto EHLD fields:

* ``referrals_nfa`` ("referrals ending in no further action"): referrals in the year with
  ``referral_nfa`` true.
* ``referrals_not_in_need`` ("referrals assessed as not in need"): referrals in the year with
  ``referral_nfa`` false that were closed after assessment with ``closure_reason`` RC8 or RC9.
* ``cin_children``: the indicator ``cin_children`` (a referral with ``referral_nfa`` false open
  during the year).
* ``cp_plans_at_31_march`` / ``cla_at_31_march``: plans / care episodes started on or before 31
  March and not ended by then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from earlyhelp import journeys, reference
from earlyhelp.engine import Engine, create_engine
from earlyhelp.errors import DataError, UsageError
from earlyhelp.spec import codes, periods
from earlyhelp.validate.folder import check_ehld_folder


@dataclass(frozen=True)
class CheckRow:
    figure: str
    year: int  # time_period, e.g. 201920
    published: float
    synthetic: float | None
    ratio: float | None
    ok: bool
    tolerance: float
    note: str = ""


@dataclass
class CheckReport:
    rows: list[CheckRow] = field(default_factory=list)
    population_share: float = 1.0

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.rows)

    @property
    def failures(self) -> list[CheckRow]:
        return [row for row in self.rows if not row.ok]

    def to_text(self) -> str:
        lines = [f"{'figure':<34} {'year':>6} {'published':>12} {'synthetic':>12} {'ratio':>6} {'tol':>5}  ok"]
        for row in self.rows:
            synthetic = "-" if row.synthetic is None else f"{row.synthetic:,.1f}"
            ratio = "-" if row.ratio is None else f"{row.ratio:.3f}"
            lines.append(
                f"{row.figure:<34} {row.year:>6} {row.published:>12,.1f} {synthetic:>12} "
                f"{ratio:>6} {_tol(row.tolerance):>5}  {'yes' if row.ok else 'NO'}"
                + (f"  ({row.note})" if row.note else "")
            )
        if self.population_share < 0.999:
            lines.append(
                f"Published counts scaled by this folder's share of England's children "
                f"({self.population_share:.4f}); only the england scale is calibrated."
            )
        return "\n".join(lines)


# figure -> (kind, tolerance, note). kind "count" figures scale with the population share.
CALIBRATED = {
    "referrals": ("count", 0.05, ""),
    "re_referral_pct": ("pct", 0.05, ""),
    "referrals_nfa": ("count", 0.05, "referral_nfa true"),
    "referrals_not_in_need": ("count", 0.05, "assessed, closed RC8/RC9"),
    "cin_children": ("count", 0.05, "spec cin_children"),
    "cp_plans_at_31_march": ("count", 0.05, ""),
    "cla_started": ("count", 0.05, "reason_new_episode S"),
    "eh_children": ("count", 0.05, "Action for Children"),
}
# Published, but not calibrated (shown for context; never fail the check).
INFORMATIONAL = {
    "cin_at_31_march": "spec: non-NFA referral open on 31 March; DfE excludes not-in-need",
    "cla_at_31_march": "burn-in of three years builds up only part of the care stock",
}
# Issue-level targets without a yearly published series: (year, published, tolerance, note).
TARGETS = {
    "prevention_ratio": (201920, 2 / 3, 0.12, "about two in early help for every three in need"),
    "not_stepped_down_pct": (None, 85.0, 0.05, "closures after assessment without early help"),
    "missed_step_down_pct": (None, 25.0, 0.12, "re-referred within 12 months"),
    "eh_reach_la_max_pct": (201920, 15.4, 0.35, "highest LA reach"),
    "eh_reach_la_min_pct": (201920, 0.6, 1.0, "lowest LA reach (ok up to 1.2%)"),
}


# The tables the figures read: never person_identifiers.
_TABLES = ("returns", "population", "referrals", "cp_plans", "looked_after_episodes", "early_help_episodes")


def _value(engine: Engine, query: str) -> Any:
    """The first column of the first row of ``query``'s answer."""
    return engine.sql(query).column(0)[0].as_py()


def _number(value: Any) -> float | None:
    """A count or sum as a float (DuckDB's sums of integers arrive as decimals); None stays None."""
    return None if value is None else float(value)


def _years(engine: Engine) -> list[int]:
    first_day, last_day = engine.sql("SELECT min(period_start), max(period_end) FROM returns").to_pylist()[0].values()
    if first_day is None:
        raise DataError("The folder has no returns table, so its reporting years are unknown.")
    return periods.periods_between(periods.period_of(first_day), periods.period_of(last_day))


def _figures(engine: Engine, year: int) -> dict[str, float | None]:
    ys, ye = (periods.date_literal(day) for day in periods.bounds(year))
    in_year = periods.in_period_sql

    def one(query: str) -> float | None:
        return _number(_value(engine, query))

    f: dict[str, float | None] = {}
    f["referrals"] = one(f"SELECT count(*) FROM referrals WHERE {in_year('referral_date', year)}")
    re_referrals = journeys.re_referrals_sql(
        f"SELECT la_code, child_id, referral_date FROM referrals WHERE {in_year('referral_date', year)}", keep=()
    )
    f["re_referral_pct"] = one(
        f"SELECT 100.0 * count(*) FILTER (WHERE re_referral) / nullif(count(*), 0) FROM ({re_referrals})"
    )
    f["referrals_nfa"] = one(f"SELECT count(*) FROM referrals WHERE {in_year('referral_date', year)} AND referral_nfa")
    f["referrals_not_in_need"] = one(
        f"SELECT count(*) FROM referrals WHERE {in_year('referral_date', year)} "
        f"AND {journeys.is_closed_after_assessment()}"
    )
    cin_open = journeys.open_during("referral_date", "closure_date", ys, ye)
    f["cin_children"] = one(
        f"SELECT count(*) FROM (SELECT DISTINCT la_code, child_id FROM referrals "
        f"WHERE {journeys.is_cin_episode()} AND {cin_open})"
    )
    f["cp_plans_at_31_march"] = one(
        f"SELECT count(*) FROM cp_plans WHERE {journeys.still_open_after('start_date', 'end_date', ye)}"
    )
    f["cla_started"] = one(
        f"SELECT count(*) FROM looked_after_episodes "
        f"WHERE reason_new_episode = '{codes.STARTED_PERIOD_OF_CARE}' AND {in_year('start_date', year)}"
    )
    f["cin_at_31_march"] = one(
        f"SELECT count(DISTINCT (la_code, child_id)) FROM referrals "
        f"WHERE {journeys.is_cin_episode()} AND {journeys.still_open_after('referral_date', 'closure_date', ye)}"
    )
    f["cla_at_31_march"] = one(
        f"SELECT count(DISTINCT (la_code, child_id)) FROM looked_after_episodes "
        f"WHERE {journeys.still_open_after('start_date', 'end_date', ye)}"
    )
    eh_open = journeys.open_during("start_date", "end_date", ys, ye)
    f["eh_children"] = eh_children = one(
        f"SELECT count(*) FROM (SELECT DISTINCT la_code, child_id FROM early_help_episodes WHERE {eh_open})"
    )
    population = one(f"SELECT sum(children_0_17) FROM population WHERE year = {periods.start_year(year)}")
    cin_children = f["cin_children"]
    f["eh_reach_pct"] = 100.0 * eh_children / population if eh_children is not None and population else None
    f["prevention_ratio"] = eh_children / cin_children if eh_children is not None and cin_children else None
    step_downs = journeys.step_downs_sql(
        "SELECT la_code, child_id, referral_id, closure_date FROM referrals "
        f"WHERE {journeys.is_closed_after_assessment()} AND {in_year('closure_date', year)}",
        keep=(),
    )
    total, not_stepped, missed = (
        engine.sql(
            f"SELECT count(*), count(*) FILTER (WHERE NOT stepped_down), "
            f"count(*) FILTER (WHERE {journeys.MISSED_STEP_DOWN}) FROM ({step_downs})"
        )
        .to_pylist()[0]
        .values()
    )
    f["not_stepped_down_pct"] = 100.0 * not_stepped / total if total else None
    f["missed_step_down_pct"] = 100.0 * missed / not_stepped if not_stepped else None
    reach = engine.sql(f"""
        SELECT 100.0 * count(DISTINCT (e.la_code, e.child_id)) / max(p.children_0_17) AS reach
        FROM early_help_episodes e JOIN population p ON p.la_code = e.la_code AND p.year = {periods.start_year(year)}
        WHERE {journeys.open_during("e.start_date", "e.end_date", ys, ye)}
        GROUP BY e.la_code""").column("reach")
    values = [value for value in reach.to_pylist() if value is not None]
    f["eh_reach_la_max_pct"] = max(values) if values else None
    f["eh_reach_la_min_pct"] = min(values) if values else None
    return f


def check(path: Path | str) -> CheckReport:
    """Calibration table of the folder at ``path`` against the published national figures."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is not a folder of EHLD files.")
    check_ehld_folder(path)  # the same message and exit code as every other command
    with create_engine("duckdb") as engine:
        engine.register_ehld(path, tables=_TABLES)
        years = _years(engine)
        england = reference.population().groupby("year")["children_0_17"].sum()
        folder_pop = {
            row["year"]: _number(row["total"])
            for row in engine.sql("SELECT year, sum(children_0_17) AS total FROM population GROUP BY year").to_pylist()
        }
        published = reference.published_national()
        report = CheckReport()
        shares = []
        for year in years:
            start_year = periods.start_year(year)
            share = (folder_pop.get(start_year) or 0) / england[start_year] if start_year in england.index else 1.0
            shares.append(share)
            figures = _figures(engine, year)
            pub = published[published["time_period"] == year].set_index("figure")
            eh = _eh_published(published, year)
            for figure, (kind, tolerance, note) in CALIBRATED.items():
                if figure == "eh_children":
                    if eh is None:
                        continue
                    value, interpolated = eh
                elif figure in pub.index:
                    value, interpolated = float(pub.loc[figure, "value"]), False
                else:
                    continue
                expected = value * share if kind == "count" else value
                report.rows.append(
                    _row(
                        figure,
                        year,
                        expected,
                        figures[figure],
                        tolerance,
                        note + ("; interpolated" if interpolated else ""),
                    )
                )
            for figure, note in INFORMATIONAL.items():
                if figure in pub.index:
                    row = _row(
                        figure,
                        year,
                        float(pub.loc[figure, "value"]) * share,
                        figures[figure],
                        float("inf"),
                        "context only: " + note,
                    )
                    report.rows.append(row)
            for figure, (target_year, target, tolerance, note) in TARGETS.items():
                if target_year is None or target_year == year:
                    report.rows.append(_row(figure, year, target, figures[figure], tolerance, note))
        report.population_share = sum(shares) / len(shares) if shares else 1.0
        return report


def _tol(tolerance: float) -> str:
    return "-" if tolerance == float("inf") else f"{tolerance:.2f}"


def _eh_published(published: pd.DataFrame, year: int) -> tuple[float, bool] | None:
    """Action for Children: 3.1% (2015-16) rising to 4.3% (2019-20); counts in between are
    interpolated linearly and marked so (the second value: interpolated)."""
    eh = published[published["figure"] == "eh_children"].set_index("time_period")["value"]
    if year in eh.index:
        return float(eh.loc[year]), False
    years = sorted(eh.index)
    if len(years) >= 2 and years[0] < year < years[-1]:
        a, b = years[0], years[-1]
        t = (periods.start_year(year) - periods.start_year(a)) / (periods.start_year(b) - periods.start_year(a))
        return float(eh.loc[a] + t * (eh.loc[b] - eh.loc[a])), True
    return None


def _row(figure: str, year: int, published: float, synthetic: float | None, tolerance: float, note: str) -> CheckRow:
    if synthetic is None or not published:
        return CheckRow(figure, year, published, synthetic, None, False, tolerance, note)
    ratio = float(synthetic) / published
    return CheckRow(
        figure,
        year,
        round(published, 3),
        float(synthetic),
        round(ratio, 4),
        abs(ratio - 1) <= tolerance,
        tolerance,
        note,
    )


__all__ = ["CheckReport", "CheckRow", "check"]
