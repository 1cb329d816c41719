"""The allocation's inputs for one year, from the reference data shipped in the package."""

from __future__ import annotations

import pandas as pd

from earlyhelp import reference
from earlyhelp.errors import UsageError
from earlyhelp.funding.spend import children_year, ei_by_la

# Counts at 31 March from the activity table behind each interventions key of the formula.
INTERVENTION_COUNTS = {"cin": "cin_at_31_march", "cp": "cp_plans_at_31_march", "cla": "cla_at_31_march"}


def allocation_inputs(data_year: int) -> pd.DataFrame:
    """la_code, children, idaci, children_low_income, cin, cp, cla, current_spend (cash early
    intervention spend of data_year).

    A count the panel lacks for ``data_year`` is the LA's latest earlier count (a handful of LAs in
    2021-22); the fill is documented in docs/funding.md. children_low_income is missing (NaN) before
    2014-15, the first year of the DWP series.
    """
    spend = ei_by_la(reference.spend(), reference.deflators(), reference.population(), base_year=data_year)
    years = sorted(spend["time_period"].unique())
    if data_year not in years:
        raise UsageError(
            f"`data_year` {data_year} is not in the shipped spend data.",
            hint=f"Choose one of {years[0]} to {years[-1]}.",
        )
    current = spend[spend["time_period"] == data_year].set_index("la_code")["ei_spend_cash"]
    population = reference.population()
    children = population[population["year"] == children_year(data_year)].set_index("la_code")["children_0_17"]
    idaci = reference.deprivation().set_index("la_code")["idaci_score"]
    activity = reference.activity()
    activity = activity[activity["time_period"] <= data_year].sort_values(["la_code", "time_period"])
    latest = activity.groupby("la_code")[list(INTERVENTION_COUNTS.values())].last()  # last non-missing
    poverty = reference.child_poverty()
    poverty = poverty[poverty["time_period"] <= data_year].sort_values(["la_code", "time_period"])
    low_income = poverty.groupby("la_code")["children_low_income"].last()
    table = pd.DataFrame({"children": children, "idaci": idaci, "children_low_income": low_income})
    for key, column in INTERVENTION_COUNTS.items():
        table[key] = latest[column]
    table["current_spend"] = current
    table = table.reindex(reference.local_authorities()["la_code"])
    needed = table.drop(columns="children_low_income")
    if needed.isna().any().any():
        missing = needed.columns[needed.isna().any()].tolist()
        raise UsageError(f"The shipped data lacks {', '.join(missing)} for some LAs in {data_year}.")
    return table.rename_axis("la_code").reset_index()
