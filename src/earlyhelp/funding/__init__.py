"""`earlyhelp fund`: early intervention spend in real terms, the published headline figures beside the
computed ones, and a transparent, configurable allocation of a national early help grant.

Everything comes from the reference data shipped in the package (:mod:`earlyhelp.reference`) and the
formula file; method and sources: docs/funding.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from earlyhelp import reference
from earlyhelp.funding import allocate as allocation
from earlyhelp.funding import report, spend, workbook
from earlyhelp.funding.formula import read_formula
from earlyhelp.funding.inputs import allocation_inputs

__all__ = ["FundingResult", "run"]


@dataclass(frozen=True)
class FundingResult:
    files: list[Path]
    headlines: list[spend.Headline]
    pot: int


def run(out: Path, formula: Path | None = None) -> FundingResult:
    """Write the funding files into ``out`` (which must exist) from the shipped data and ``formula``
    (the shipped default when None)."""
    grant, formula_text = read_formula(formula)
    quintiles = spend.deprivation_quintiles(reference.deprivation())
    names = reference.local_authorities().set_index("la_code")["la_name"]

    by_la = spend.shipped_ei_by_la()
    by_quintile = spend.ei_by_quintile(by_la, quintiles)
    headlines = spend.headlines(by_la, quintiles)
    restore = spend.restore_cost_by_la(by_la, spend.FIRST_YEAR, spend.COMPARISON_YEAR)

    inputs = allocation_inputs(grant.data_year)
    detail = allocation.allocate(inputs, grant)
    detail = detail.merge(
        inputs[["la_code", "children", "idaci", "children_low_income", "cin", "cp", "cla"]], on="la_code"
    )
    detail.insert(1, "la_name", detail["la_code"].map(names))
    detail["deprivation_quintile"] = detail["la_code"].map(quintiles)
    sensitivity = allocation.sensitivity(inputs, grant)
    svg, title, summary = report.allocation_chart(detail, grant)

    outputs = {
        "funding_summary.csv": spend.headline_frame(headlines),
        "ei_spend_by_la.csv": by_la.assign(deprivation_quintile=by_la["la_code"].map(quintiles)),
        "ei_spend_by_quintile.csv": by_quintile,
        "restore_cost_by_la.csv": restore.rename(
            columns={
                "per_child_start": "ei_real_per_child_201011",
                "children_end": "children_0_17_2019",
                "spend_end": "ei_spend_real_201920",
                "restore_cost": "restore_cost_pounds",
            }
        ),
        "allocation.csv": detail[["la_code", "share", "amount", "current_spend", "change"]],
        "allocation_detail.csv": detail,
        "allocation_sensitivity.csv": sensitivity,
    }
    files = []
    for name, frame in outputs.items():
        path = out / name
        frame.to_csv(path, index=False, lineterminator="\n")
        files.append(path)
    text_files = {
        "formula.toml": formula_text,
        "funding_allocation.svg": svg,
        "funding.md": report.funding_markdown(
            headlines, by_quintile, restore, detail, sensitivity, grant, "funding_allocation.svg", title, summary
        ),
    }
    for name, text in text_files.items():
        path = out / name
        path.write_text(text, encoding="utf-8")
        files.append(path)
    files.append(workbook.write(out, outputs, names.to_dict(), grant.pot))
    return FundingResult(files, headlines, grant.pot)
