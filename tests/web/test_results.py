"""The dashboard's figures, from a published file and DfE figures planted by hand."""

from __future__ import annotations

import csv

from earlyhelp.publish.conventions import PUBLISHED_COLUMNS
from earlyhelp.web import results

LA = "E06000001"


def write_published(path, rows) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=PUBLISHED_COLUMNS)
        writer.writeheader()
        for level, region, la, period, indicator, value in rows:
            row = dict.fromkeys(PUBLISHED_COLUMNS, "")
            row |= {"time_period": period, "geographic_level": level, "region_code": region, "new_la_code": la}
            row |= {"indicator": indicator, "breakdown": "Total", "value": value, "la_name": "Planted LA" if la else ""}
            writer.writerow(row)


def test_la_beside_its_region_england_and_neighbours(tmp_path, monkeypatch):
    published = tmp_path / "indicators_published.csv"
    write_published(
        published,
        [
            ("Local authority", "R1", LA, "202021", "re_referral_pct", "20.0"),
            ("Local authority", "R1", LA, "202122", "re_referral_pct", "25.0"),
            ("Local authority", "R1", LA, "202122", "cin_children", "150"),
            ("Local authority", "R2", "E06000099", "202122", "re_referral_pct", "99.9"),  # another LA
            ("Regional", "R1", "", "202122", "re_referral_pct", "22.1"),
            ("Regional", "R2", "", "202122", "re_referral_pct", "77.7"),  # another region
            ("National", "", "", "202122", "re_referral_pct", "21.5"),
        ],
    )
    # Three neighbours, one without a published figure: the median of 10.0 and 30.0 is 20.0.
    monkeypatch.setattr(results, "_neighbours", lambda la: ("N1", "N2", "N3"))
    dfe = {
        (202122, "N1", "re_referral_pct"): "10.0",
        (202122, "N2", "re_referral_pct"): "x",
        (202122, "N3", "re_referral_pct"): "30.0",
    }
    dfe |= {(202122, "N1", "cin_children"): "1000"}
    monkeypatch.setattr(results, "_dfe_la_figures", lambda: dfe)

    board = results.read_dashboard(published, LA)
    assert board is not None and board.year == "202122" and board.year_label == "2021-22"
    rows = {row.indicator: row for row in board.rows}
    assert set(rows) == {"re_referral_pct", "cin_children"}
    pct = rows["re_referral_pct"]
    assert (pct.la, pct.region, pct.england, pct.neighbours_median, pct.neighbours_count) == (
        "25.0",
        "22.1",
        "21.5",
        "20.0",
        2,
    )
    assert pct.trend == (("2020-21", "20.0"), ("2021-22", "25.0"))
    # A count is not compared with neighbours of other sizes: z (not applicable).
    count = rows["cin_children"]
    assert (count.la, count.region, count.england, count.neighbours_median) == ("150", "x", "x", "z")

    earlier = results.read_dashboard(published, LA, "202021")
    assert earlier is not None and {row.indicator: row.la for row in earlier.rows} == {"re_referral_pct": "20.0"}
    assert results.read_dashboard(published, "E06000002") is None
    assert results.read_dashboard(tmp_path / "missing.csv", LA) is None


def test_problem_csv_cells_are_never_formulas():
    from earlyhelp.web.app import spreadsheet_safe

    assert [spreadsheet_safe(c) for c in ("=1+1", "+44", "-3", "@SUM(A1)", "plain", 7)] == [
        "'=1+1",
        "'+44",
        "'-3",
        "'@SUM(A1)",
        "plain",
        7,
    ]


def test_a_dashboard_is_built_once_per_version_however_many_ask_at_once(tmp_path, monkeypatch):
    import os
    import threading

    published = tmp_path / "indicators_published.csv"
    write_published(published, [("Local authority", "R1", LA, "202122", "re_referral_pct", "25.0")])
    monkeypatch.setattr(results, "_neighbours", lambda la: ())
    monkeypatch.setattr(results, "_dfe_la_figures", lambda: {})
    builds = []
    build = results._dashboard

    def counted(*args):
        builds.append(args)
        return build(*args)

    monkeypatch.setattr(results, "_dashboard", counted)
    start = threading.Barrier(20)
    seen = []

    def visitor():
        start.wait()
        seen.append(results.read_dashboard(published, LA).rows[0].la)

    threads = [threading.Thread(target=visitor) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["25.0"] * 20 and len(builds) == 1
    # A new load replaces the file: the next visitor sees the new figure (built once more).
    replacement = tmp_path / "new.csv"
    write_published(replacement, [("Local authority", "R1", LA, "202122", "re_referral_pct", "30.0")])
    os.utime(replacement, ns=(published.stat().st_mtime_ns + 10**9,) * 2)
    os.replace(replacement, published)
    assert results.read_dashboard(published, LA).rows[0].la == "30.0"
    assert results.read_dashboard(published, LA).rows[0].la == "30.0" and len(builds) == 2
