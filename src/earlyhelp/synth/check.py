"""``check``: compare an EHLD folder with the published national figures it was calibrated to.

Every synthetic figure is computed in DuckDB SQL straight from the files, with the definitions of
``shared/spec/indicators.md`` (reporting year = financial year; distinct children per LA summed
over LAs). Published figures that count England are scaled by the folder's share of England's
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

import duckdb

from earlyhelp import reference
from earlyhelp.errors import DataError, UsageError
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


def _years(con: duckdb.DuckDBPyConnection) -> list[int]:
    row = con.execute("SELECT min(period_start), max(period_end) FROM returns").fetchall()[0]
    if row[0] is None:
        raise DataError("The folder has no returns table, so its reporting years are unknown.")
    first, last = row[0].year, row[1].year - 1
    return [y * 100 + (y + 1) % 100 for y in range(first, last + 1)]


def _figures(con: duckdb.DuckDBPyConnection, year: int) -> dict[str, float | None]:
    start_year = year // 100
    ys, ye = f"DATE '{start_year}-04-01'", f"DATE '{start_year + 1}-03-31'"
    one = lambda sql: con.execute(sql).fetchall()[0][0]  # noqa: E731
    f: dict[str, float | None] = {}
    f["referrals"] = one(f"SELECT count(*) FROM referrals WHERE referral_date BETWEEN {ys} AND {ye}")
    f["re_referral_pct"] = one(f"""
        WITH r AS (SELECT referral_date, referral_date - lag(referral_date) OVER (
                PARTITION BY la_code, child_id ORDER BY referral_date) AS gap FROM referrals)
        SELECT 100.0 * count(*) FILTER (WHERE gap BETWEEN 1 AND 365) / nullif(count(*), 0)
        FROM r WHERE referral_date BETWEEN {ys} AND {ye}""")
    f["referrals_nfa"] = one(f"""SELECT count(*) FROM referrals
        WHERE referral_date BETWEEN {ys} AND {ye} AND referral_nfa""")
    f["referrals_not_in_need"] = one(f"""SELECT count(*) FROM referrals
        WHERE referral_date BETWEEN {ys} AND {ye} AND NOT referral_nfa
          AND closure_reason IN ('RC8', 'RC9')""")
    f["cin_children"] = one(f"""SELECT count(*) FROM (SELECT DISTINCT la_code, child_id
        FROM referrals WHERE NOT referral_nfa AND referral_date <= {ye}
          AND (closure_date IS NULL OR closure_date >= {ys}))""")
    f["cp_plans_at_31_march"] = one(f"""SELECT count(*) FROM cp_plans WHERE start_date <= {ye}
        AND (end_date IS NULL OR end_date > {ye})""")
    f["cla_started"] = one(f"""SELECT count(*) FROM looked_after_episodes
        WHERE reason_new_episode = 'S' AND start_date BETWEEN {ys} AND {ye}""")
    f["cin_at_31_march"] = one(f"""SELECT count(DISTINCT (la_code, child_id)) FROM referrals
        WHERE NOT referral_nfa AND referral_date <= {ye}
          AND (closure_date IS NULL OR closure_date > {ye})""")
    f["cla_at_31_march"] = one(f"""SELECT count(DISTINCT (la_code, child_id))
        FROM looked_after_episodes WHERE start_date <= {ye} AND (end_date IS NULL OR end_date > {ye})""")
    f["eh_children"] = one(f"""SELECT count(*) FROM (SELECT DISTINCT la_code, child_id
        FROM early_help_episodes WHERE start_date <= {ye} AND (end_date IS NULL OR end_date >= {ys}))""")
    population = one(f"SELECT sum(children_0_17) FROM population WHERE year = {start_year}")
    f["eh_reach_pct"] = 100.0 * f["eh_children"] / population if population else None
    f["prevention_ratio"] = f["eh_children"] / f["cin_children"] if f["cin_children"] else None
    closures = con.execute(f"""
        WITH closed AS (
            SELECT r.la_code, r.child_id, r.referral_id, r.closure_date FROM referrals r
            WHERE NOT r.referral_nfa AND r.closure_reason IN ('RC8', 'RC9')
              AND r.closure_date BETWEEN {ys} AND {ye}),
        stepped AS (
            SELECT DISTINCT c.referral_id, c.la_code FROM closed c JOIN early_help_episodes e
              ON e.la_code = c.la_code AND e.child_id = c.child_id
             AND e.start_date <= c.closure_date + 28
             AND (e.end_date IS NULL OR e.end_date >= c.closure_date)),
        flagged AS (
            SELECT c.*, s.referral_id IS NOT NULL AS stepped_down FROM closed c
            LEFT JOIN stepped s ON s.referral_id = c.referral_id AND s.la_code = c.la_code),
        missed AS (
            SELECT DISTINCT f.la_code, f.referral_id FROM flagged f JOIN referrals n
              ON n.la_code = f.la_code AND n.child_id = f.child_id
             AND n.referral_date BETWEEN f.closure_date + 1 AND f.closure_date + 365
            WHERE NOT f.stepped_down)
        SELECT count(*), count(*) FILTER (WHERE NOT stepped_down),
               (SELECT count(*) FROM missed) FROM flagged""").fetchall()[0]
    total, not_stepped, missed = closures
    f["not_stepped_down_pct"] = 100.0 * not_stepped / total if total else None
    f["missed_step_down_pct"] = 100.0 * missed / not_stepped if not_stepped else None
    reach = con.execute(f"""
        SELECT 100.0 * count(DISTINCT (e.la_code, e.child_id)) / max(p.children_0_17)
        FROM early_help_episodes e JOIN population p ON p.la_code = e.la_code AND p.year = {start_year}
        WHERE e.start_date <= {ye} AND (e.end_date IS NULL OR e.end_date >= {ys})
        GROUP BY e.la_code""").fetchall()
    values = [r[0] for r in reach]
    f["eh_reach_la_max_pct"] = max(values) if values else None
    f["eh_reach_la_min_pct"] = min(values) if values else None
    return f


def check(path: Path | str) -> CheckReport:
    """Calibration table of the folder at ``path`` against the published national figures."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise UsageError(f"{path} is not a folder of EHLD files.")
    folder = check_ehld_folder(path)  # the same message and exit code as every other command
    con = duckdb.connect()
    try:
        folder.register(con)
        years = _years(con)
        england = reference.population().groupby("year")["children_0_17"].sum()
        folder_pop = dict(con.execute("SELECT year, sum(children_0_17) FROM population GROUP BY year").fetchall())
        published = reference.published_national()
        report = CheckReport()
        shares = []
        figures_by_year = {}
        for year in years:
            start_year = year // 100
            share = folder_pop.get(start_year, 0) / england[start_year] if start_year in england.index else 1.0
            shares.append(share)
            figures = _figures(con, year)
            figures_by_year[year] = figures
            pub = published[published["time_period"] == year].set_index("figure")
            eh = _eh_published(published, year)
            for figure, (kind, tolerance, note) in CALIBRATED.items():
                if figure == "eh_children":
                    if eh is None:
                        continue
                    value, approximate = eh
                elif figure in pub.index:
                    value, approximate = float(pub.loc[figure, "value"]), bool(pub.loc[figure, "approximate"])
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
                        note + ("; interpolated" if approximate == "interp" else ""),
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
            for figure, (target_year, value, tolerance, note) in TARGETS.items():
                if target_year is None or target_year == year:
                    report.rows.append(_row(figure, year, value, figures[figure], tolerance, note))
        report.population_share = sum(shares) / len(shares) if shares else 1.0
        return report
    finally:
        con.close()


def _tol(tolerance: float) -> str:
    return "-" if tolerance == float("inf") else f"{tolerance:.2f}"


def _eh_published(published, year: int):
    """Action for Children: 3.1% (2015-16) rising to 4.3% (2019-20); counts in between are
    interpolated linearly and marked so."""
    eh = published[published["figure"] == "eh_children"].set_index("time_period")["value"]
    if year in eh.index:
        return float(eh.loc[year]), False
    years = sorted(eh.index)
    if len(years) >= 2 and years[0] < year < years[-1]:
        a, b = years[0], years[-1]
        t = (year // 100 - a // 100) / (b // 100 - a // 100)
        return float(eh.loc[a] + t * (eh.loc[b] - eh.loc[a])), "interp"
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
