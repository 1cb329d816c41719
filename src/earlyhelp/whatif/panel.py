"""The child-year panel the what-if model is estimated on: one row per known child and financial year.

A child is *known* from the financial year of their first recorded involvement (a referral, early
help, a plan or care) until the year they turn 18. Each child-year gets a **state**, the deepest
involvement open at any time in the year (see :data:`STATES`), and its **events**: referrals,
CIN plan, CP plan, period-of-care (RNE S) and early help starts in the year. The SQL runs on the
engine layer and takes its windows from :mod:`earlyhelp.journeys` (open during a year, closed
after assessment, stepped down within 28 days), so it agrees with the indicators.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from earlyhelp.engine import Engine
from earlyhelp.errors import DataError
from earlyhelp.journeys import is_closed_after_assessment, open_during, step_downs_sql
from earlyhelp.spec import codes
from earlyhelp.spec.periods import (
    next_period,
    period_end,
    period_of,
    period_start,
    periods_between,
    start_year,
    time_period,
)

# In order of depth: a child-year's state is the deepest one open in the year.
STATES: tuple[str, ...] = (
    "none",  # known, nothing open this year
    "early_help",  # early help open, no social care
    "referred",  # a referral or an episode of need, no plan, not closed after assessment
    "closed_stepped_down",  # an assessment closed below the threshold (RC8/RC9), stepped down to early help
    "closed_no_early_help",  # an assessment closed below the threshold, no early help: step-down candidates
    "cin_plan",
    "cp_plan",
    "looked_after",
)
STATE_INDEX = {name: i for i, name in enumerate(STATES)}
# Where the child came from before a year: a known state, or first known this year.
ENTRY = len(STATES)
# Counted per child-year; the first four are the published measures.
EVENTS: tuple[str, ...] = ("referrals", "cin_starts", "cp_starts", "care_starts", "eh_starts")
AGE_GROUPS: tuple[tuple[int, int, str], ...] = ((0, 4, "0-4"), (5, 9, "5-9"), (10, 15, "10-15"), (16, 17, "16-17"))
DEPRIVATION_BANDS = ("most deprived (IDACI deciles 1-3)", "middle (4-7)", "least deprived (8-10)", "not known")
NO_NEED = "none"
OLDEST = 17
TABLES = (
    "children",
    "referrals",
    "early_help_episodes",
    "cin_plans",
    "cp_plans",
    "looked_after_episodes",
    "returns",
    "population",
)


def age_group(age: np.ndarray) -> np.ndarray:
    """The index of each age's group in :data:`AGE_GROUPS` (a child not yet born counts as 0-4)."""
    return np.searchsorted(np.array([high for _, high, _ in AGE_GROUPS]), np.clip(age, 0, OLDEST))


def deprivation_band(decile: pd.Series) -> np.ndarray:
    values = pd.to_numeric(decile, errors="coerce")
    band = np.where(values <= 3, 0, np.where(values <= 7, 1, 2))
    return np.where(values.isna(), 3, band).astype(np.int64)


def _activity_sql() -> str:
    """Every involvement as an interval with its kind, for joining to the years it is open in."""
    closures = f"""SELECT r.la_code, r.child_id, r.referral_id, r.closure_date FROM referrals r
        WHERE {is_closed_after_assessment("r")} AND r.closure_date IS NOT NULL"""
    return f"""
    SELECT la_code, child_id, 'referral' AS kind, referral_date AS start_date, referral_date AS end_date FROM referrals
    UNION ALL SELECT la_code, child_id, 'in_need', referral_date, closure_date FROM referrals WHERE NOT referral_nfa
    UNION ALL SELECT la_code, child_id, 'cin_plan', start_date, end_date FROM cin_plans
    UNION ALL SELECT la_code, child_id, 'cp_plan', start_date, end_date FROM cp_plans
    UNION ALL SELECT la_code, child_id,
        CASE WHEN reason_new_episode = '{codes.STARTED_PERIOD_OF_CARE}' THEN 'care_start' ELSE 'care' END,
        start_date, end_date FROM looked_after_episodes
    UNION ALL SELECT la_code, child_id, 'early_help', start_date, end_date FROM early_help_episodes
    UNION ALL SELECT c.la_code, c.child_id,
        CASE WHEN c.stepped_down THEN 'closed_stepped_down' ELSE 'closed_no_early_help' END,
        c.closure_date, c.closure_date
    FROM ({step_downs_sql(closures, keep=("c.la_code", "c.child_id", "c.closure_date"))}) c"""


def _child_years_sql() -> str:
    started = "x.start_date BETWEEN y.first_day AND y.last_day"
    return f"""
WITH activity AS ({_activity_sql()})
SELECT y.la_code, x.child_id, y.time_period,
    count(CASE WHEN x.kind = 'referral' AND {started} THEN 1 END) AS referrals,
    count(CASE WHEN x.kind = 'cin_plan' AND {started} THEN 1 END) AS cin_starts,
    count(CASE WHEN x.kind = 'cp_plan' AND {started} THEN 1 END) AS cp_starts,
    count(CASE WHEN x.kind = 'care_start' AND {started} THEN 1 END) AS care_starts,
    count(CASE WHEN x.kind = 'early_help' AND {started} THEN 1 END) AS eh_starts,
    bool_or(x.kind IN ('care', 'care_start')) AS looked_after,
    bool_or(x.kind = 'cp_plan') AS cp_plan,
    bool_or(x.kind = 'cin_plan') AS cin_plan,
    bool_or(x.kind = 'closed_no_early_help') AS closed_no_early_help,
    bool_or(x.kind = 'closed_stepped_down') AS closed_stepped_down,
    bool_or(x.kind IN ('referral', 'in_need')) AS referred,
    bool_or(x.kind = 'early_help') AS early_help
FROM _whatif_years y JOIN activity x ON x.la_code = y.la_code
    AND {open_during("x.start_date", "x.end_date", "y.first_day", "y.last_day")}
GROUP BY y.la_code, x.child_id, y.time_period"""


def _first_known_sql() -> str:
    return f"""SELECT la_code, child_id, min(start_date) AS first_day
    FROM ({_activity_sql()}) GROUP BY la_code, child_id"""


def _children_sql() -> str:
    return """SELECT c.la_code, c.child_id, c.birth_month, c.idaci_decile, n.primary_need
    FROM children c LEFT JOIN (
        SELECT la_code, child_id, arg_min(primary_need, referral_date) AS primary_need
        FROM referrals WHERE primary_need IS NOT NULL GROUP BY la_code, child_id
    ) n ON n.la_code = c.la_code AND n.child_id = c.child_id"""


def return_years(returns: pd.DataFrame) -> pd.DataFrame:
    """la_code, time_period, first_day, last_day: every financial year each LA's return covers in full."""
    rows = []
    for record in returns.itertuples(index=False):
        first = period_of(record.period_start)
        if record.period_start > period_start(first):
            first = next_period(first)
        last = period_of(record.period_end)
        if record.period_end < period_end(last):
            last = time_period(start_year(last) - 1)
        for period in periods_between(first, last) if last >= first else []:
            rows.append((record.la_code, period, period_start(period), period_end(period)))
    return pd.DataFrame(rows, columns=["la_code", "time_period", "first_day", "last_day"])


def build_panel(engine: Engine, data: Path | str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The child-year panel (one row per known child and year, with state, events and strata) and
    the population (la_code, time_period, children) of the years the returns cover."""
    engine.register_ehld(data, list(TABLES))
    returns = engine.sql("SELECT la_code, period_start, period_end FROM returns").to_pandas()
    years = return_years(returns)
    if len(years) == 0 or years.groupby("la_code").size().max() < 2:
        raise DataError(
            "The what-if model needs at least two full financial years of data for an LA "
            "(returns' period_start to period_end): there are none."
        )
    engine.register("_whatif_years", years)
    involved = engine.sql(_child_years_sql()).to_pandas()
    first_known = engine.sql(_first_known_sql()).to_pandas()
    children = engine.sql(_children_sql()).to_pandas()
    population = engine.sql("SELECT la_code, year, children_0_17 FROM population").to_pandas()
    return _assemble(years, involved, first_known, children), _population(years, population)


def _population(years: pd.DataFrame, population: pd.DataFrame) -> pd.DataFrame:
    # A financial year's children are the mid-year estimate of the year it starts in.
    population = population.assign(time_period=[time_period(int(year)) for year in population["year"]])
    merged = years[["la_code", "time_period"]].merge(population, on=["la_code", "time_period"], how="left")
    merged["children"] = merged.groupby("la_code")["children_0_17"].transform(lambda s: s.ffill().bfill())
    if merged["children"].isna().any():
        raise DataError("The what-if model needs the population table (children aged 0-17) for every LA in the data.")
    return merged[["la_code", "time_period", "children"]].astype({"children": "int64"})


def _assemble(
    years: pd.DataFrame, involved: pd.DataFrame, first_known: pd.DataFrame, children: pd.DataFrame
) -> pd.DataFrame:
    """Every known child in every year of their LA's return, with state, events and strata."""
    first_known = first_known.dropna(subset=["first_day"])
    first_known["entry_period"] = [period_of(day) for day in first_known["first_day"]]
    base = first_known.merge(years[["la_code", "time_period"]], on="la_code")
    base = base[base["time_period"] >= base["entry_period"]]
    base = base.merge(children, on=["la_code", "child_id"], how="left")
    birth = pd.to_datetime(base["birth_month"].astype("string") + "-01", errors="coerce")
    years_started = base["time_period"] // 100
    # Age on 1 April, for a child born mid-month: not yet had this year's birthday if born April or later.
    # A child with no birth month (rare; validate warns) is placed mid-childhood, in the 5-9 group.
    base["age"] = (years_started - birth.dt.year - (birth.dt.month >= 4)).fillna(8).astype(np.int64)
    base = base[base["age"] <= OLDEST]
    panel = base.merge(involved, on=["la_code", "child_id", "time_period"], how="left")
    for name in EVENTS:
        panel[name] = panel[name].fillna(0).astype(np.int64)
    state = np.zeros(len(panel), dtype=np.int64)
    for name in STATES[1:]:  # deeper states are later in STATES and overwrite shallower ones
        state = np.where(panel[name].fillna(False).astype(bool), STATE_INDEX[name], state)
    panel["state"] = state
    panel["entered"] = panel["time_period"] == panel["entry_period"]
    panel["early_help_open"] = panel["early_help"].fillna(False).astype(bool)
    panel["age_group"] = age_group(panel["age"].to_numpy())
    panel["deprivation"] = deprivation_band(panel["idaci_decile"])
    panel["primary_need"] = panel["primary_need"].fillna(NO_NEED).astype("string")
    columns = ["la_code", "child_id", "time_period", "age", "age_group", "primary_need", "deprivation", "state"]
    return panel[columns + ["entered", "early_help_open", *EVENTS]].sort_values(
        ["la_code", "child_id", "time_period"], ignore_index=True
    )
