"""indicators.xlsx: the published figures as a labelled workbook, opened as Excel would (openpyxl).

The figures are the report fixture's hand-worked counts (tests/report/fixture.py), published by
``earlyhelp.indicators.publish`` and written by ``Publication.write`` with no area names, so the
names in the workbook come from the shipped reference list.
"""

from __future__ import annotations

import csv
from decimal import Decimal

import openpyxl
import pytest

from earlyhelp.indicators import INDICATORS, publish
from earlyhelp.publish import SYMBOLS, XLSX_FILE, internal_text, typed_from_text
from earlyhelp.publish.xlsx import OTHER_TOPIC, TOPICS, write_workbook
from report import fixture

FIGURES = ("Numerator", "Denominator", "Value")


@pytest.fixture(scope="module")
def publications():
    internal = typed_from_text(fixture.internal_rows())
    return {threshold: publish(internal, threshold, {}) for threshold in (5, 10)}


@pytest.fixture(scope="module")
def folders(publications, tmp_path_factory):
    folders = {}
    for threshold, publication in publications.items():
        folders[threshold] = tmp_path_factory.mktemp(f"published-{threshold}")
        publication.write(folders[threshold])
    return folders


@pytest.fixture(scope="module")
def workbook(folders):
    return openpyxl.load_workbook(folders[5] / XLSX_FILE)


def _records(workbook):
    """(indicator code, year, level, area code, breakdown text) -> {column heading: cell}."""
    records = {}
    for sheet in workbook.worksheets[1:]:
        rows = sheet.iter_rows()
        headings = [cell.value for cell in next(rows)]
        for row in rows:
            cells = dict(zip(headings, row))
            area = cells["LA code"].value or cells["Region code"].value or "England"
            key = (cells["Indicator code"].value, cells["Year"].value, area, cells["Breakdown"].value)
            assert key not in records, f"{key} is written twice"
            records[key] = cells
    return records


def _about_text(workbook):
    return " ".join(str(cell) for row in workbook["About"].iter_rows(values_only=True) for cell in row if cell)


def test_an_about_sheet_then_one_sheet_per_topic_with_figures(workbook):
    # The fixture has no child protection or care figures, so that topic has no sheet.
    assert workbook.sheetnames == [
        "About",
        "Reach and prevention",
        "Referrals and assessments",
        "Step-down",
        "After early help",
        "Family goals",
        "Spend",
    ]


def test_every_indicator_has_a_topic_sheet_of_its_own():
    listed = [name for _, names in TOPICS for name in names]
    assert sorted(listed) == sorted(indicator.name for indicator in INDICATORS)
    assert OTHER_TOPIC not in [topic for topic, _ in TOPICS]


def test_hand_worked_figures_are_numbers_in_the_format_of_their_unit(workbook, folders):
    records = _records(workbook)
    # 517,000 / 706,830 = 0.7314 -> 0.73, as in indicators.csv.
    with open(folders[5] / "indicators.csv", newline="", encoding="utf-8") as handle:
        in_csv = {
            (r["indicator"], r["time_period"], r["la_code"] or r["region_code"] or "England", r["breakdown"]): r
            for r in csv.DictReader(handle)
        }
    assert in_csv["prevention_ratio", "201920", "England", "Total"]["value"] == "0.73"
    ratio = records["prevention_ratio", "2019-20", "England", "Total"]
    assert ratio["Value"].value == 0.73 and ratio["Value"].number_format == "#,##0.00"
    assert ratio["Numerator"].value == 517000 and ratio["Numerator"].number_format == "#,##0"
    assert ratio["Indicator"].value == "Prevention ratio" and ratio["Unit"].value == "ratio"
    # Hartlepool's reach: 1,230 / 20,500 = 6.0%, kept as 6 (not 0.06) and shown with a % sign.
    reach = records["eh_reach_pct", "2019-20", "E06000001", "Total"]
    assert reach["Value"].value == 6 and reach["Value"].number_format == '#,##0.0"%"'
    assert reach["Denominator"].value == 20500
    # £218 a child in England, and the real-terms spend in pounds.
    spend = records["ei_spend_per_child_real", "2019-20", "England", "Total"]
    assert spend["Value"].value == 218 and spend["Value"].number_format == '"£"#,##0'
    assert spend["Numerator"].value == 2621068500 and spend["Numerator"].number_format == '"£"#,##0'
    # Family goals by heading: a readable breakdown.
    goals = records["family_goals_met_pct", "2019-20", "E06000001", "Outcome heading: education"]
    assert (goals["Numerator"].value, goals["Denominator"].value, goals["Value"].value) == (60, 100, 60)


def test_symbols_stay_text_and_every_figure_is_the_published_one(workbook, publications):
    records = _records(workbook)
    published = {
        (r["indicator"], r["time_period"], r["new_la_code"] or r["region_code"] or "England", r["breakdown"]): r
        for r in publications[5].published.to_pylist()
    }
    assert len(records) == len(published)
    symbols_seen = set()
    for (indicator, year, area, breakdown), cells in records.items():
        # 2019-20 is 201920; "Outcome heading: domestic abuse" is outcome_heading:domestic_abuse.
        period = year[:4] + year[5:]
        code = "Total" if breakdown == "Total" else "outcome_heading:" + breakdown.split(": ")[1].replace(" ", "_")
        row = published[indicator, period, area, code]
        for heading, field in zip(FIGURES, ("numerator", "denominator", "value")):
            text, cell = row[field], cells[heading].value
            if text in SYMBOLS:
                assert cell == text and cells[heading].data_type == "s"
                symbols_seen.add(text)
            else:
                assert isinstance(cell, int | float) and Decimal(str(cell)) == Decimal(text), (indicator, area, field)
    assert {"c", "x", "z"} <= symbols_seen


def test_no_suppressed_figure_reaches_the_workbook(workbook, publications):
    records = _records(workbook)
    internal = {
        (r["indicator"], r["time_period"], r["la_code"] or r["region_code"] or "England", r["breakdown"]): r
        for r in internal_text(publications[5].internal).to_pylist()
    }
    # City of London's 4 children in early help, and Hartlepool's housing goals (3 of 4) with
    # health's 12 of 30 suppressed beside them: the true figures are in the internal table only.
    city = records["eh_children", "2019-20", "E09000001", "Total"]
    assert internal["eh_children", "201920", "E09000001", "Total"]["numerator"] == "4"
    assert city["Numerator"].value == "c" and city["Value"].value == "c"
    for heading in ("Housing", "Health"):
        goals = records["family_goals_met_pct", "2019-20", "E06000001", f"Outcome heading: {heading.lower()}"]
        assert [goals[h].value for h in FIGURES] == ["c", "c", "c"]
    true_health = internal["family_goals_met_pct", "201920", "E06000001", "outcome_heading:health"]
    assert (true_health["numerator"], true_health["denominator"]) == ("12", "30")
    # The internal table never becomes a sheet, and no suppressed cell holds a number.
    assert not any("internal" in name.lower() or "unsuppressed" in name.lower() for name in workbook.sheetnames)
    suppressed = 0
    for cells in records.values():
        for heading in FIGURES:
            if cells[heading].value == "c":
                suppressed += 1
    assert suppressed >= 9


def test_the_about_sheet_states_the_threshold_applied_and_the_symbols(folders):
    for threshold, other in ((5, 10), (10, 5)):
        text = _about_text(openpyxl.load_workbook(folders[threshold] / XLSX_FILE))
        assert f"1 to {threshold}" in text and f"1 to {other}" not in text
        assert "rounded to the nearest 10" in text
        for symbol in ("c", "x", "z", "low"):
            assert f" {symbol} " in f" {text} "
        assert "2010-11 to 2019-20" in text


def test_names_are_beside_codes_and_years_read_as_financial_years(workbook):
    records = _records(workbook)
    hartlepool = records["eh_reach_pct", "2019-20", "E06000001", "Total"]
    assert hartlepool["LA name"].value == "Hartlepool"
    assert hartlepool["Region name"].value == "North East"
    assert hartlepool["LA number (DfE)"].value == "805"
    assert records["eh_children", "2019-20", "E12000007", "Total"]["Region name"].value == "London"
    # England's row has no region or LA: blank cells (not empty text, which Excel counts as a value).
    england = records["eh_children", "2019-20", "England", "Total"]
    assert england["Geographic level"].value == "National"
    assert [england[h].value for h in ("Region code", "Region name", "LA code", "LA name")] == [None] * 4


def test_each_topic_sheet_is_a_filterable_table_with_a_frozen_header(workbook):
    for sheet in workbook.worksheets[1:]:
        assert sheet.freeze_panes == "A2"
        (table,) = sheet.tables.values()
        assert table.ref == f"A1:N{sheet.max_row}"
        assert table.autoFilter is not None and table.tableStyleInfo.name == "TableStyleMedium2"
        assert sheet.column_dimensions["A"].width > 20


def test_the_workbook_is_the_same_bytes_every_time(publications, tmp_path):
    publication = publications[5]
    paths = [tmp_path / "first.xlsx", tmp_path / "second.xlsx"]
    for path in paths:
        write_workbook(path, publication.published, publication.threshold, publication.definitions)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert openpyxl.load_workbook(paths[0]).properties.created.year == 1980
