"""The labelled workbooks of the analyses (``earlyhelp.publish.workbook``; thresholds.xlsx and the
funnel figures the report's thresholds section draws), opened as Excel would (openpyxl)."""

from __future__ import annotations

import openpyxl
import pandas as pd

from earlyhelp.publish.workbook import POUNDS, Column, Sheet, write_tables_workbook
from earlyhelp.thresholds.model import DecisionFit
from earlyhelp.thresholds.workbook import funnel_table


def test_a_sheet_per_table_numbers_as_numbers_and_symbols_as_text(tmp_path):
    frame = pd.DataFrame({"la_code": ["E06000001", "E06000002"], "amount": [1200.0, "c"]})
    sheet = Sheet("Grant", frame, [Column("la_code", "LA code"), Column("amount", "Allocation", POUNDS)])
    path = write_tables_workbook(tmp_path / "a.xlsx", "Grant", [("Method", "A formula.")], [sheet], "fund")
    workbook = openpyxl.load_workbook(path)
    assert workbook.sheetnames == ["About", "Grant"]
    rows = list(workbook["Grant"].iter_rows(values_only=True))
    assert rows == [("LA code", "Allocation"), ("E06000001", 1200), ("E06000002", "c")]
    assert workbook["Grant"]["B2"].number_format == POUNDS
    about = " ".join(str(v) for row in workbook["About"].iter_rows(values_only=True) for v in row if v)
    assert "Method A formula." in about and "Grant (2 rows)" in about
    # The same tables give the same bytes (a fixed created date), so outputs can be hashed.
    again = write_tables_workbook(tmp_path / "b.xlsx", "Grant", [("Method", "A formula.")], [sheet], "fund")
    assert path.read_bytes() == again.read_bytes()


def test_funnel_figures_are_the_adjusted_rate_in_percent():
    table = pd.DataFrame(
        {"la_code": ["E06000001", "E06000002"], "trials": [400, 100], "observed": [0.3, 0.1], "expected": [0.2, 0.25]}
    )
    fit = DecisionFit("nfa", table, tau=0.1, england_rate=0.2)
    funnel = funnel_table({"nfa": fit})
    # Adjusted = observed / expected x England: 0.3 / 0.2 x 20% = 30%; 0.1 / 0.25 x 20% = 8%.
    assert funnel.to_dict("records") == [
        {
            "la_code": "E06000001",
            "decision": "nfa",
            "at_risk": 400,
            "observed_pct": 30.0,
            "expected_pct": 20.0,
            "adjusted_pct": 30.0,
            "england_pct": 20.0,
        },
        {
            "la_code": "E06000002",
            "decision": "nfa",
            "at_risk": 100,
            "observed_pct": 10.0,
            "expected_pct": 25.0,
            "adjusted_pct": 8.0,
            "england_pct": 20.0,
        },
    ]
