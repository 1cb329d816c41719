"""Which file `report --indicators` reads when given one of the other files `indicators` writes."""

from __future__ import annotations

import shutil

import pytest

from earlyhelp.errors import UsageError
from earlyhelp.report import Published, render_report

from . import fixture

# The spec-layout file `earlyhelp indicators` writes beside indicators_published.csv.
SPEC_LAYOUT = (
    "time_period,geographic_level,region_code,la_code,indicator,breakdown,numerator,"
    "denominator,value\n201920,National,,,referrals,Total,640,z,640\n"
)


def test_indicators_csv_is_read_through_the_published_file_beside_it(tmp_path):
    published = fixture.write(tmp_path / "ind")
    (tmp_path / "ind" / "indicators.csv").write_text(SPEC_LAYOUT)
    read = Published.read(tmp_path / "ind" / "indicators.csv")
    assert read.source == published
    assert len(read.rows) == len(fixture.rows())


def test_report_of_indicators_csv_shows_the_published_file(tmp_path):
    published = fixture.write(tmp_path / "ind")
    (tmp_path / "ind" / "indicators.csv").write_text(SPEC_LAYOUT)
    index = render_report(tmp_path / "ind" / "indicators.csv", tmp_path / "site")
    assert index == tmp_path / "site" / "index.html" and index.is_file()
    assert (tmp_path / "site" / "data" / "indicators_published.csv").read_bytes() == published.read_bytes()


def test_indicators_csv_alone_says_which_file_is_needed(tmp_path):
    (tmp_path / "indicators.csv").write_text(SPEC_LAYOUT)
    with pytest.raises(UsageError) as raised:
        Published.read(tmp_path / "indicators.csv")
    assert raised.value.exit_code == 2
    assert raised.value.message == (
        "indicators.csv holds the published figures in the spec's columns; the report reads "
        "indicators_published.csv, which `earlyhelp indicators` writes beside it, but there is no "
        f"indicators_published.csv in {tmp_path}."
    )
    assert "Copy indicators_published.csv" in raised.value.hint


def test_the_internal_unsuppressed_table_is_refused(tmp_path):
    published = fixture.write(tmp_path / "ind")
    (tmp_path / "ind" / "internal").mkdir()
    internal = tmp_path / "ind" / "internal" / "indicators_unsuppressed.csv"
    shutil.copyfile(published, internal)  # even with the published columns, never read
    with pytest.raises(UsageError, match="internal, unsuppressed table, which must not be published"):
        Published.read(internal)
