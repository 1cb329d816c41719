"""Every disclosure notice in a report states the threshold its indicators were published at,
learnt from the metadata `earlyhelp indicators` writes beside the published file."""

from __future__ import annotations

import re
import shutil

import pytest

from earlyhelp.errors import DataError
from earlyhelp.publish.files import write_meta
from earlyhelp.report import Published, render_report
from earlyhelp.report.catalogue import indicator

from . import fixture


def _folder(tmp_path, threshold):
    folder = tmp_path / "indicators"
    fixture.write(folder)
    if threshold is not None:
        write_meta(folder / "indicators_published.meta.csv", threshold)
    return folder


def test_a_report_from_threshold_10_indicators_says_1_to_10_wherever_it_names_the_threshold(tmp_path):
    index = render_report(_folder(tmp_path, 10), tmp_path / "site")
    page = index.read_text(encoding="utf-8")
    stated = re.findall(r"(?:count|counts) (?:of|from) 1 to (\d+)", page)
    # The symbol key, the <abbr> titles, the note under each chart and the About paragraph.
    assert len(stated) > 10
    assert set(stated) == {"10"}
    assert "any count from 1 to 10 is" in page
    assert "Disclosure control: counts of 1 to 10, and any figure worked out from one" in page
    # The site carries the metadata it learnt the threshold from.
    assert "counts from 1 to 10 " in (tmp_path / "site" / "data" / "indicators_published.meta.csv").read_text()


def test_the_threshold_comes_from_the_metadata_or_is_the_default_without_it(tmp_path):
    assert Published.read(_folder(tmp_path / "a", 7)).threshold == 7
    assert Published.read(_folder(tmp_path / "b", None)).threshold == 5


def test_metadata_that_states_no_threshold_is_refused_not_guessed(tmp_path):
    folder = _folder(tmp_path, 10)
    meta = folder / "indicators_published.meta.csv"
    meta.write_text(meta.read_text().replace("counts from 1 to 10 and", "small counts and"))
    with pytest.raises(DataError, match="suppression threshold"):
        Published.read(folder)


def test_a_published_file_read_on_its_own_uses_the_metadata_beside_it(tmp_path):
    folder = _folder(tmp_path, 9)
    alone = tmp_path / "copy"
    alone.mkdir()
    shutil.copy(folder / "indicators_published.csv", alone / "indicators_published.csv")
    assert Published.read(folder / "indicators_published.csv").threshold == 9
    assert Published.read(alone / "indicators_published.csv").threshold == 5


def test_an_unknown_indicator_is_an_error_not_a_count():
    assert indicator("cin_rate_per_10k").unit == "per_10k"
    assert indicator("cin_rate_per_10k").label == "Children in need rate"
    with pytest.raises(DataError, match="no_such_indicator"):
        indicator("no_such_indicator")
