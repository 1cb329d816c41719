"""The files `earlyhelp whatif` writes: whatif.csv, whatif_backtest.csv, whatif.xlsx and whatif.md."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from earlyhelp import __version__
from earlyhelp.publish import round_half_away, round_to_ten
from earlyhelp.publish.workbook import WHOLE, Column, Sheet, write_tables_workbook
from earlyhelp.spec.periods import label
from earlyhelp.whatif.costs import CostTable
from earlyhelp.whatif.effects import Effects, RiskRatio
from earlyhelp.whatif.model import PRIOR_WEIGHT, Model
from earlyhelp.whatif.panel import AGE_GROUPS, DEPRIVATION_BANDS, STATES
from earlyhelp.whatif.simulate import Scenario

BACKTEST_PUBLISHED = ["measure", "year", "observed", "projected", "ci_lower", "ci_upper", "within_interval"]


def _ratio(ratio: RiskRatio) -> str:
    return f"{ratio.estimate:.2f} (95% CI {ratio.ci_lower:.2f} to {ratio.ci_upper:.2f}; {ratio.source})"


def _number(value: float, measure: str) -> str:
    if measure == "cost_pounds":
        return f"{'-' if value < 0 else ''}£{abs(value):,.0f}"
    return f"{value:,.0f}"


def method_paragraphs(
    effects: Effects, costs: CostTable, model: Model, replicates: int, years: int, seed: int, threshold: int
) -> list[tuple[str, str]]:
    """(heading, text): the method and assumptions, for whatif.md and the workbook's About sheet."""
    # Averages over the LAs, not each LA's figure: a per-LA share of few children could disclose.
    stepped = f"{model.step_down_share.mean():.0%} on average over the LAs"
    reach = f"{model.early_help_reach.mean():.1%} on average over the LAs"
    return [
        (
            "What this is",
            f"A microsimulation of children's journeys through early help and children's social care over {years} "
            f"financial years after the last year of the data, for the {len(model.la_codes)} LA(s) in the data together, "
            "under a baseline (early help as observed) and under scenarios that change early help use. Figures are "
            "projections from a model, not statistics of records.",
        ),
        (
            "States and journeys",
            "Each known child (first known at their first referral, early help, plan or care) is in one state per "
            f"financial year, the deepest involvement open in it: {', '.join(STATES)}. Children leave at 18; new "
            "children arrive each year (a Poisson number per LA at the observed rate per child in the population, "
            "drawn from the LA's observed new children).",
        ),
        (
            "Transition rates",
            "P(state next year | state this year) by LA, age group ("
            + ", ".join(name for *_, name in AGE_GROUPS)
            + "), primary need at first referral ('none' if never referred) and deprivation ("
            + ", ".join(DEPRIVATION_BANDS)
            + f"), estimated from consecutive child-years with hierarchical shrinkage ({PRIOR_WEIGHT:g} pseudo-children "
            "at each level: all LAs, LA, LA x age, LA x age x need, full stratum). Referrals, CIN plan, CP plan and care "
            "(RNE S) starts in a year are the observed means per child by LA, last year's and this year's state.",
        ),
        (
            "Scenarios and the effect of early help",
            "A scenario gives early help to children who would not have had it: step-down raises the share of "
            "assessments closed below the threshold (RC8/RC9) that are stepped down to early help, in each LA below the target (observed: "
            f"{stepped}); reach raises the children with early help in a year to a share of all children aged 0-17 "
            f"in each LA below it (observed: {reach}), giving the extra places at random to known children who are not in early "
            "help, a plan or care that year, and any left over to children not yet known. A helped child's next "
            "transition has its chance of any referral multiplied by the risk ratio for re-referral, and its chance "
            "of a CIN plan, CP plan or care by the risk ratio for escalation. Re-referral risk ratio: "
            f"{_ratio(effects.re_referral)}. Escalation risk ratio: {_ratio(effects.escalation)}. "
            + " ".join(effects.notes),
        ),
        (
            "Intervals",
            f"{replicates} Monte-Carlo replicates (seed {seed}). Each replicate draws the transition probabilities "
            "from their Dirichlet posterior and the rate of new children from its Gamma posterior, per observed "
            "year; for each projected year, one observed year whose rates every LA follows (a bootstrap of years, "
            "so year-to-year variation is in the interval); and each risk ratio from a normal distribution on the "
            "log scale matching its 95% CI (independently). It then simulates every scenario with "
            "the same parameters and random numbers (common random numbers). `change` is the mean over replicates of "
            "scenario minus baseline; ci_lower and ci_upper are its 2.5th and 97.5th percentiles, so they carry both "
            "simulation noise and the uncertainty of the effect and of the rates.",
        ),
        (
            "Costs",
            f"Pounds in {label(costs.base_year)} prices (earlyhelp's SPPI deflator): each child-year costs its "
            "state's unit costs, plus early help a scenario adds. Unit costs from "
            f"{costs.where}; each with its source below.",
        ),
        (
            "Assumptions and limits",
            "Rates are held at their average over the data years (no trend), and the population at its latest "
            "year. The risk ratios were estimated for step-down after a closed assessment (an average effect on "
            "the stepped-down children); applying them to other children reached by early help is an assumption. "
            "The effect acts on the year after the early help, once. Early help a scenario gives does not change a "
            "child's state that year. Unit costs are England averages (approximate).",
        ),
        (
            "Disclosure control",
            "The figures are for all the LAs in the data together (one LA's figures when the data holds one). "
            "Projected counts are rounded to the nearest 10 and pounds to the nearest 10,000; in the back-test, "
            f"observed counts from 1 to {threshold} are suppressed (c) and the others rounded to the nearest 10.",
        ),
    ]


def _summary_lines(table: pd.DataFrame, projections: pd.DataFrame, scenarios: list[Scenario]) -> list[str]:
    last = table["year"].max()
    lines = [
        f"## Change in {label(last)}, the last projected year",
        "",
        "| scenario | measure | baseline | projected | change (95% interval) | unit |",
        "|---|---|---|---|---|---|",
    ]
    for row in table[table["year"] == last].itertuples():
        lines.append(
            f"| {row.scenario} | {row.measure} | {_number(row.baseline, row.measure)} | "
            f"{_number(row.projected, row.measure)} | {_number(row.change, row.measure)} "
            f"({_number(row.ci_lower, row.measure)} to {_number(row.ci_upper, row.measure)}) | {row.unit} |"
        )
    lines += ["", "## Scenarios", ""]
    for scenario in scenarios:
        added = projections[(projections["scenario"] == scenario.name) & (projections["measure"] == "cost_pounds")]
        mean_added = float(added["extra_early_help"].mean()) if len(added) else 0.0
        rounded = round_to_ten(int(round_half_away(mean_added, 0)))
        extra = f" Early help added: about {rounded:,} child-years a year (nearest 10)." if rounded else ""
        lines.append(f"- `{scenario.name}`: {scenario.description}{extra}")
    return lines + [""]


def _backtest_lines(checked: pd.DataFrame) -> list[str]:
    if checked.empty:
        return []
    inside = int(checked["within_interval"].sum())
    lines = [
        "## Back-test: the baseline against the data",
        "",
        f"The baseline simulated from each LA's first year of data, against the counts observed in the later years: "
        f"{inside} of {len(checked)} observed counts are inside the baseline's 95% interval.",
        "",
        "| measure | year | observed | projected (95% interval) |",
        "|---|---|---|---|",
    ]
    for row in checked.itertuples():
        lines.append(
            f"| {row.measure} | {label(row.year)} | {row.observed} | {row.projected:,} ({row.ci_lower:,} to {row.ci_upper:,}) |"
        )
    return lines + [""]


def _cost_lines(costs: CostTable) -> list[str]:
    lines = [
        "## Unit costs",
        "",
        f"| cost | value | price year | in {label(costs.base_year)} prices | unit | approximate | source |",
        "|---|---|---|---|---|---|---|",
    ]
    for cost in costs.costs.values():
        lines.append(
            f"| {cost.name} | £{cost.value:,.0f} | {label(cost.price_year)} | £{cost.real_value:,.0f} | {cost.unit} | "
            f"{'yes' if cost.approximate else 'no'} | {cost.source} {cost.note} |"
        )
    lines += [
        "",
        "State costs per child-year: "
        + "; ".join(f"{s}: {' + '.join(n) or 'none'}" for s, n in costs.state_costs.items())
        + ".",
    ]
    return lines + [""]


def write_outputs(
    out: Path,
    table: pd.DataFrame,
    projections: pd.DataFrame,
    checked: pd.DataFrame,
    scenarios: list[Scenario],
    effects: Effects,
    costs: CostTable,
    model: Model,
    replicates: int,
    years: int,
    seed: int,
    threshold: int,
) -> list[Path]:
    paths = [out / name for name in ("whatif.csv", "whatif.xlsx", "whatif_backtest.csv", "whatif.md")]
    table.to_csv(paths[0], index=False)
    published_backtest = checked[BACKTEST_PUBLISHED] if not checked.empty else pd.DataFrame(columns=BACKTEST_PUBLISHED)
    published_backtest.to_csv(paths[2], index=False)
    paragraphs = method_paragraphs(effects, costs, model, replicates, years, seed, threshold)
    sheets = [
        Sheet(
            "Projections",
            table.assign(year=table["year"].map(label)),
            [
                Column("scenario", "Scenario", None, 16),
                Column("measure", "Measure", None, 14),
                Column("year", "Year", None, 9),
                Column("baseline", "Baseline", WHOLE),
                Column("projected", "Projected", WHOLE),
                Column("change", "Change", WHOLE, 12),
                Column("ci_lower", "Change, 95% lower", WHOLE),
                Column("ci_upper", "Change, 95% upper", WHOLE),
                Column("unit", "Unit", None, 30),
            ],
        ),
        Sheet(
            "Back-test",
            pd.DataFrame(
                {
                    "measure": published_backtest["measure"],
                    "year": published_backtest["year"].map(label),
                    "observed": published_backtest["observed"],
                    "projected": published_backtest["projected"],
                    "ci_lower": published_backtest["ci_lower"],
                    "ci_upper": published_backtest["ci_upper"],
                    "inside": published_backtest["within_interval"].map(lambda inside: "yes" if inside else "no"),
                }
            ),
            [
                Column("measure", "Measure", None, 14),
                Column("year", "Year", None, 9),
                Column("observed", "Observed", WHOLE, 12),
                Column("projected", "Projected", WHOLE, 12),
                Column("ci_lower", "95% lower", WHOLE, 12),
                Column("ci_upper", "95% upper", WHOLE, 12),
                Column("inside", "Inside the interval", None, 12),
            ],
        ),
        Sheet(
            "Unit costs",
            pd.DataFrame(
                [
                    {
                        "cost": c.name,
                        "value": c.value,
                        "price_year": label(c.price_year),
                        "real_value": round(c.real_value),
                        "unit": c.unit,
                        "approximate": "yes" if c.approximate else "no",
                        "source": f"{c.source} {c.note}",
                    }
                    for c in costs.costs.values()
                ]
            ),
            [
                Column("cost", "Cost", None, 24),
                Column("value", "Value", WHOLE, 12),
                Column("price_year", "Price year", None, 10),
                Column("real_value", f"In {label(costs.base_year)} prices", WHOLE),
                Column("unit", "Unit", None, 36),
                Column("approximate", "Approximate", None, 10),
                Column("source", "Source", None, 90),
            ],
        ),
    ]
    write_tables_workbook(
        paths[1],
        "What-if: early help scenarios",
        paragraphs + [("Source", f"earlyhelp {__version__} (`earlyhelp whatif`).")],
        sheets,
        "whatif",
    )
    text = ["# What-if: early help scenarios", ""]
    for heading, paragraph in paragraphs:
        text += [f"## {heading}", "", paragraph, ""]
    text += _summary_lines(table, projections, scenarios) + _backtest_lines(checked) + _cost_lines(costs)
    text += [
        "## Files",
        "",
        "- `whatif.csv`: scenario, measure, year, baseline, projected, change, ci_lower, ci_upper, unit (the interval is on the change).",
        "- `whatif_backtest.csv`: the baseline back-test above.",
        "- `whatif.xlsx`: the same tables, labelled, with this method on its About sheet.",
        "",
        f"Written by earlyhelp {__version__}; method in docs/whatif.md.",
    ]
    paths[3].write_text("\n".join(text) + "\n", encoding="utf-8")
    return paths
