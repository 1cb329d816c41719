"""Inputs that would give false figures are refused or shown as x, with a message an analyst can act
on: which file, which line or column, what to do; exit 1 for data, 2 for usage; never a traceback,
never an exception's class name.

Every folder is hand-made here (``builder.Return``, or a file written by the test).
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
import sys

import duckdb
import pytest

from earlyhelp.indicators import compute_internal
from earlyhelp.indicators.definitions import MEASURES, RECORD_TABLES, SOURCES
from earlyhelp.validate.folder import EHLDFolder

from .builder import Return
from .conftest import Figures

LA1, LA2 = "E06000001", "E06000002"
YEAR = 201920


@pytest.fixture
def earlyhelp(monkeypatch, capsys):
    """Run ``earlyhelp ARGS`` through the console entry point; return (exit code, stderr)."""
    from earlyhelp.cli import run

    def invoke(*args) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["earlyhelp", *map(str, args)])
        with pytest.raises(SystemExit) as done:
            run()
        return done.value.code, capsys.readouterr().err

    return invoke


def _one_la_return() -> Return:
    r = Return()
    r.la(LA1, population={2019: 1000})
    r.referral(LA1, "C1", "2019-05-01")
    r.early_help(LA1, "C2", "2019-06-01")
    return r


def _assert_refused(code: int, err: str, out, *parts: str, exit_code: int = 1) -> None:
    assert code == exit_code, err
    for part in parts:
        assert part in err
    assert "Traceback" not in err and "Exception" not in err
    assert not out.exists(), "nothing may be written for refused data"


# ------------------------------------------------------------------ files that cannot be read


def test_a_semicolon_separated_file_is_refused_not_published_as_zeros(earlyhelp, tmp_path):
    folder = _one_la_return().write(tmp_path / "data")
    text = (folder / "referrals.csv").read_text()
    (folder / "referrals.csv").write_text(text.replace(",", ";"))
    code, err = earlyhelp("indicators", "--data", folder, "--out", tmp_path / "out")
    _assert_refused(
        code,
        err,
        tmp_path / "out",
        "Error: referrals.csv line 1:",
        "semicolons (;)",
        "Hint: Save the file as 'CSV UTF-8 (comma delimited)'",
    )


def test_a_renamed_date_column_is_refused(earlyhelp, tmp_path):
    folder = _one_la_return().write(tmp_path / "data")
    text = (folder / "referrals.csv").read_text()
    (folder / "referrals.csv").write_text(text.replace("referral_date", "Referral Date", 1))
    code, err = earlyhelp("indicators", "--data", folder, "--out", tmp_path / "out")
    _assert_refused(
        code,
        err,
        tmp_path / "out",
        "referrals.csv line 1, column referral_date: The required column referral_date "
        "is missing from referrals.csv. The header has 'Referral Date'",
    )


@pytest.mark.parametrize("misnamed", ["Referrals.csv", "referrals (1).csv"])
def test_a_misnamed_table_file_is_refused(earlyhelp, tmp_path, misnamed):
    folder = _one_la_return().write(tmp_path / "data")
    (folder / "referrals.csv").rename(folder / misnamed)
    code, err = earlyhelp("indicators", "--data", folder, "--out", tmp_path / "out")
    _assert_refused(
        code,
        err,
        tmp_path / "out",
        f"Error: {misnamed} is not named after a table",
        f"Hint: Rename {misnamed} to referrals.csv",
    )


def test_an_empty_file_is_a_data_error(earlyhelp, tmp_path):
    folder = _one_la_return().write(tmp_path / "data")
    (folder / "referrals.csv").write_text("")
    code, err = earlyhelp("indicators", "--data", folder, "--out", tmp_path / "out")
    _assert_refused(code, err, tmp_path / "out", "referrals.csv is empty: it has no header row.")


def test_a_utf16_file_is_a_data_error(earlyhelp, tmp_path):
    folder = _one_la_return().write(tmp_path / "data")
    text = (folder / "referrals.csv").read_text().replace(",", "\t")
    (folder / "referrals.csv").write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    code, err = earlyhelp("indicators", "--data", folder, "--out", tmp_path / "out")
    _assert_refused(code, err, tmp_path / "out", "Error: referrals.csv line 1:", "UTF-16")


def test_report_data_refuses_the_same_files(earlyhelp, tmp_path):
    folder = _one_la_return().write(tmp_path / "data")
    (folder / "referrals.csv").write_text((folder / "referrals.csv").read_text().replace(",", ";"))
    code, err = earlyhelp("report", "--data", folder, "--out", tmp_path / "out")
    _assert_refused(code, err, tmp_path / "out", "semicolons (;)")


def test_a_day_month_year_date_is_named_by_line_and_column_not_by_exception_class(earlyhelp, tmp_path):
    folder = _one_la_return().write(tmp_path / "data")
    # Line 2 is the one referral (C1, 2019-05-01); Excel wrote it day/month/year.
    text = (folder / "referrals.csv").read_text()
    (folder / "referrals.csv").write_text(text.replace("2019-05-01", "01/05/2019"))
    code, err = earlyhelp("indicators", "--data", folder, "--out", tmp_path / "out")
    _assert_refused(
        code,
        err,
        tmp_path / "out",
        # 01/05/2019 alone cannot say whether the day or the month comes first.
        "Error: referrals.csv line 2, column referral_date: Dates written day/month/year (1 value, the first "
        "one here) cannot be read for certain",
    )
    assert "(and" not in err  # the one bad value, no other


def test_a_windows_1252_line_is_named_not_reported_as_a_bad_code(earlyhelp, tmp_path):
    r = _one_la_return()
    r.referral(LA1, "C3", "2019-08-01", closed="2019-09-01", reason="RC8")  # line 3
    folder = r.write(tmp_path / "data")
    raw = (folder / "referrals.csv").read_bytes().replace(b"RC8", b"RC\xe98")  # e-acute, Windows-1252
    (folder / "referrals.csv").write_bytes(raw)
    code, err = earlyhelp("indicators", "--data", folder, "--out", tmp_path / "out")
    _assert_refused(
        code,
        err,
        tmp_path / "out",
        "Error: referrals.csv line 3: referrals.csv is not UTF-8 text from this line on",
        "CSV UTF-8 (comma delimited)",
    )


# ------------------------------------------------------------------ files that are not data


def test_data_given_a_file_is_a_usage_error_without_a_class_name(earlyhelp, tmp_path):
    (tmp_path / "afile.txt").write_text("")
    code, err = earlyhelp("indicators", "--data", tmp_path / "afile.txt", "--out", tmp_path / "out")
    _assert_refused(
        code,
        err,
        tmp_path / "out",
        f"Error: --data takes a folder, but {tmp_path / 'afile.txt'} is a file.",
        "use --warehouse FILE",
        exit_code=2,
    )


def test_a_warehouse_that_is_not_a_database_is_a_usage_error_without_a_class_name(earlyhelp, tmp_path):
    (tmp_path / "notes.txt").write_text("not a database, just some notes\n")
    code, err = earlyhelp("indicators", "--warehouse", tmp_path / "notes.txt", "--out", tmp_path / "out")
    _assert_refused(
        code,
        err,
        tmp_path / "out",
        f"Error: {tmp_path / 'notes.txt'} is neither an EHLD folder nor a DuckDB warehouse.",
        exit_code=2,
    )
    code, err = earlyhelp("report", "--data", tmp_path / "notes.txt", "--out", tmp_path / "out")
    _assert_refused(code, err, tmp_path / "out", "is neither an EHLD folder nor a DuckDB warehouse.", exit_code=2)


def test_a_warehouse_given_a_folder_is_a_usage_error(earlyhelp, tmp_path):
    code, err = earlyhelp("indicators", "--warehouse", tmp_path, "--out", tmp_path / "out")
    _assert_refused(code, err, tmp_path / "out", "--warehouse takes a file", "use --data DIR", exit_code=2)


# ------------------------------------------------------------------ tables not supplied are x


def _looked_after_only() -> Return:
    """What `earlyhelp ingest` makes of an SSDA903 return: looked-after episodes, no CIN or EH."""
    r = Return()
    r.la(LA1, population={2019: 1000})
    for start in ("2019-05-01", "2020-01-15"):  # two periods of care starting in 2019-20
        r.add("looked_after_episodes", la_code=LA1, child_id="L" + start, start_date=start)
    return r


def test_a_table_with_no_file_is_not_available_not_zero(tmp_path):
    figures = Figures(compute_internal(_looked_after_only().write(tmp_path / "data")))
    for area in (LA1, "England"):
        # No referrals file: the CIN and referral figures are unknown.
        assert figures[area, YEAR, "cin_children"] == ("x", "x", "x")
        assert figures[area, YEAR, "referrals"] == ("x", "x", "x")
        # No early help file: reach and the step-down figures, which look for EH, are unknown.
        assert figures[area, YEAR, "eh_reach_pct"] == ("x", "x", "x")
        assert figures[area, YEAR, "step_down_pct"] == ("x", "x", "x")
        # Looked-after episodes were supplied: 2 starts; 2 per 1,000 children = 20 per 10,000.
        assert figures[area, YEAR, "cla_started"] == ("2", "z", "2")
        assert figures[area, YEAR, "cla_start_rate_per_10k"] == ("2", "1000", "20")


def test_a_header_only_file_is_supplied_and_counts_zero(tmp_path):
    folder = _looked_after_only().write(tmp_path / "data")
    (folder / "early_help_episodes.csv").write_text(
        "la_code,child_id,episode_id,family_id,request_source,start_date,lead_agency,service_level\n"
    )
    figures = Figures(compute_internal(folder))
    assert figures[LA1, YEAR, "eh_children"] == ("0", "z", "0")
    assert figures[LA1, YEAR, "eh_reach_pct"] == ("0", "1000", "0")
    assert figures[LA1, YEAR, "cin_children"] == ("x", "x", "x")  # still no referrals file


def test_a_warehouse_uses_all_of_each_las_loads_to_tell_what_it_supplied(tmp_path):
    r = Return()
    r.la(LA1, population={2019: 1000})
    r.la(LA2, population={2019: 2000})
    r.early_help(LA1, "A1", "2019-06-01")
    r.referral(LA1, "A1", "2019-07-01")
    r.referral(LA2, "B1", "2019-07-01")
    r.referral(LA2, "B2", "2019-08-01")
    folder = r.write(tmp_path / "data")
    warehouse = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(warehouse))
    ehld = EHLDFolder(folder)
    for name in ehld.tables:
        con.execute(f'CREATE TABLE "{name}" AS {ehld.select_sql(name)}')
    # load_history as `earlyhelp load` writes it: loads accumulate, so LA1's earlier return with
    # EH supplied it; neither of LA2's had EH.
    con.execute(
        "CREATE TABLE load_history (la_code VARCHAR, loaded_at TIMESTAMPTZ, files VARCHAR, "
        "rows_per_table VARCHAR, checksum VARCHAR)"
    )
    everything = json.dumps(sorted(f"{name}.csv" for name in ehld.tables))
    no_eh = json.dumps(sorted(f"{name}.csv" for name in ehld.tables if name != "early_help_episodes"))
    history = [
        (LA1, dt.datetime(2024, 1, 1, tzinfo=dt.UTC), everything),
        (LA1, dt.datetime(2024, 2, 1, tzinfo=dt.UTC), no_eh),
        (LA2, dt.datetime(2024, 1, 1, tzinfo=dt.UTC), no_eh),
        (LA2, dt.datetime(2024, 2, 1, tzinfo=dt.UTC), no_eh),
    ]
    for la, loaded_at, files in history:
        con.execute("INSERT INTO load_history VALUES (?, ?, ?, '{}', 'x')", [la, loaded_at, files])
    con.close()

    figures = Figures(compute_internal(warehouse))
    assert figures[LA1, YEAR, "eh_children"] == ("1", "z", "1")
    assert figures[LA2, YEAR, "eh_children"] == ("x", "x", "x")
    assert figures["England", YEAR, "eh_children"] == ("x", "x", "x")  # one LA unknown
    assert figures[LA2, YEAR, "cin_children"] == ("2", "z", "2")
    assert figures["England", YEAR, "cin_children"] == ("3", "z", "3")


def test_every_record_table_a_source_reads_is_declared():
    """tables_needed() relies on records_from and also_reads: each record table a source's SQL
    names (itself, or through a source it builds on) must be declared on the source or on one of
    its measures, or an indicator would not turn x when that table is absent."""
    for source in SOURCES:
        words = set(re.findall(r"[a-z_0-9]+", source.sql))
        built_on = [other for other in SOURCES if other.name in words and other is not source]
        named = {t for t in RECORD_TABLES if t in words}
        named.update(t for other in built_on for t in other.records_from)
        declared = set(source.records_from)
        declared.update(t for m in MEASURES if m.source == source.name for t in m.also_reads)
        declared.update(t for other in built_on for t in other.records_from)
        assert named <= declared, (source.name, named - declared)
        assert set(source.records_from) <= named, source.name
