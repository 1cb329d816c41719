"""The publication layer: the typed internal table, its text, and the notice at a threshold."""

from __future__ import annotations

import pyarrow as pa

from earlyhelp.indicators import INDICATORS, compute_internal
from earlyhelp.publish import (
    INTERNAL_SCHEMA,
    chart_notice,
    internal_text,
    page_notice,
    symbol_meanings,
    typed_from_text,
)
from earlyhelp.publish.conventions import DECIMAL_PLACES, meta_notice, readme_notice
from earlyhelp.publish.files import read_threshold, write_meta

ROW = {
    "time_period": "201920",
    "geographic_level": "Local authority",
    "region_code": "E12000001",
    "la_code": "E06000001",
    "breakdown": "Total",
}


def typed(indicator, numerator, denominator, value, status=None, pounds=None):
    return {
        **ROW,
        "indicator": indicator,
        "numerator": numerator,
        "denominator": denominator,
        "numerator_pounds": pounds,
        "value": value,
        "status": status,
    }


def test_the_typed_table_is_written_as_the_internal_file_always_was():
    table = pa.Table.from_pylist(
        [
            typed("referrals", 12, None, 12.0),  # a count: no denominator (z)
            typed("step_down_pct", 2, 3, 200 / 3),  # a rate: the nearest double, in full
            typed("step_down_pct", 3, 6, 50.0),  # a whole rate reads as an integer, as before
            typed("re_referral_pct", 0, 0, None, "z"),  # nothing to divide by
            typed("missed_step_down", None, None, None, "x"),  # follow-up not over
            typed("eh_reach_pct", 4, None, None, "x"),  # no population that year
            typed("ei_spend_per_child_real", None, 100, 20.0, pounds=2000.0),  # money stays a double
            typed("ei_spend_per_child_real", None, 100, None, "x"),  # no deflator
        ],
        schema=INTERNAL_SCHEMA,
    )
    text = [(r["numerator"], r["denominator"], r["value"]) for r in internal_text(table).to_pylist()]
    assert text == [
        ("12", "z", "12"),
        ("2", "3", "66.66666666666667"),
        ("3", "6", "50"),
        ("0", "0", "z"),
        ("x", "x", "x"),
        ("4", "x", "x"),
        ("2000.0", "100", "20.0"),
        ("x", "100", "x"),
    ]
    assert typed_from_text(internal_text(table).to_pylist()).equals(table)


def test_compute_internal_returns_numbers_and_a_status(casebook_folder):
    table = compute_internal(casebook_folder)
    assert table.schema.equals(INTERNAL_SCHEMA)
    rows = table.to_pylist()
    statuses = {r["status"] for r in rows}
    assert statuses <= {None, "x", "z"} and None in statuses and "x" in statuses
    for r in rows:
        if r["status"] is None:
            assert isinstance(r["value"], float), r
        else:
            assert r["value"] is None, r
    # Only the money indicator has a money numerator, and it never has a count numerator.
    money = {r["indicator"] for r in rows if r["numerator_pounds"] is not None}
    assert money == {"ei_spend_per_child_real"}
    assert all(r["numerator"] is None for r in rows if r["indicator"] == "ei_spend_per_child_real")


def test_every_notice_states_the_threshold_it_is_given():
    for notice in (chart_notice(10), page_notice(10), meta_notice(10), readme_notice(10)):
        assert "1 to 10" in notice and "1 to 5" not in notice
    assert "a count of 1 to 10," in symbol_meanings(10)["c"]
    assert "1 to 5" in chart_notice(5)


def test_the_threshold_is_read_back_from_the_metadata_written(tmp_path):
    write_meta(tmp_path / "indicators_published.meta.csv", 12)
    assert read_threshold(tmp_path / "indicators_published.csv") == 12


def test_every_indicator_has_a_unit_with_decimal_places_a_label_and_a_definition():
    for definition in INDICATORS:
        assert definition.unit in DECIMAL_PLACES
        assert definition.label and definition.definition.endswith("."), definition.name
        assert definition.higher_is in ("better", "worse", "neutral")
