"""check() computes the spec's definitions: a hand-made folder with hand-worked answers."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from earlyhelp.synth.check import CheckRow, _row, check


def _write(folder: Path, name: str, header: list[str], rows: list[list[object]]) -> None:
    with open(folder / f"{name}.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    la = "E06000001"
    _write(
        tmp_path,
        "returns",
        ["la_code", "period_start", "period_end", "extract_date"],
        [[la, "2019-04-01", "2020-03-31", "2021-06-30"]],
    )
    _write(tmp_path, "population", ["la_code", "year", "children_0_17"], [[la, 2019, 1000]])
    _write(
        tmp_path,
        "children",
        ["la_code", "child_id", "birth_month", "sex"],
        [[la, f"{la}-C{i}", "2010-01", "F"] for i in range(1, 6)],
    )
    ref = [
        "la_code",
        "child_id",
        "referral_id",
        "referral_date",
        "referral_source",
        "primary_need",
        "referral_nfa",
        "closure_date",
        "closure_reason",
    ]
    _write(
        tmp_path,
        "referrals",
        ref,
        [
            # C1: referred 2019-05-01, closed after assessment (RC8) 2019-06-01, no early help,
            # re-referred 2019-12-01 (214 days after the first referral: a re-referral; and
            # 183 days after closure: a missed step-down).
            [la, f"{la}-C1", "R1", "2019-05-01", "6", "N1", "false", "2019-06-01", "RC8"],
            [la, f"{la}-C1", "R2", "2019-12-01", "6", "N1", "true", "2019-12-01", "RC8"],
            # C2: NFA on 2019-07-01; next referral 2020-07-01 is 366 days later (not a re-referral,
            # and outside the year anyway).
            [la, f"{la}-C2", "R3", "2019-07-01", "2A", "N5", "true", "2019-07-01", "RC8"],
            # C3: closed RC9 and stepped down (early help starts 20 days after closure).
            [la, f"{la}-C3", "R4", "2019-08-01", "2A", "N4", "false", "2019-09-01", "RC9"],
            # C4: open episode of need since 2018 (a child in need in 2019-20, not a referral in it).
            [la, f"{la}-C4", "R5", "2018-10-01", "6", "N1", "false", "", ""],
        ],
    )
    _write(
        tmp_path,
        "early_help_episodes",
        [
            "la_code",
            "child_id",
            "family_id",
            "episode_id",
            "start_date",
            "end_date",
            "request_source",
            "lead_agency",
            "service_level",
        ],
        [
            [
                la,
                f"{la}-C3",
                "F3",
                "E1",
                "2019-09-21",
                "2020-01-10",
                "csc_step_down",
                "la_family_support",
                "targeted_early_help",
            ],
            [la, f"{la}-C5", "F5", "E2", "2018-01-01", "2019-04-01", "school", "school", "targeted_early_help"],
        ],
    )
    _write(
        tmp_path,
        "cp_plans",
        ["la_code", "child_id", "referral_id", "start_date", "end_date", "initial_category"],
        [
            [la, f"{la}-C4", "R5", "2019-01-01", "2020-03-31", "NEG"],  # ended on 31 March
            [la, f"{la}-C4", "R5", "2020-03-31", "", "NEG"],
        ],
    )  # open at 31 March
    _write(
        tmp_path,
        "looked_after_episodes",
        ["la_code", "child_id", "start_date", "reason_new_episode", "legal_status", "category_of_need", "placement"],
        [[la, f"{la}-C4", "2019-05-05", "S", "C2", "N1", "U1"], [la, f"{la}-C4", "2019-06-05", "P", "C2", "N1", "U1"]],
    )
    return tmp_path


def test_figures_follow_the_spec_definitions(folder):
    report = check(folder)
    got = {row.figure: row.synthetic for row in report.rows if row.year == 201920}
    assert got["referrals"] == 4
    assert got["re_referral_pct"] == pytest.approx(25.0)  # R2 of R1..R4
    assert got["referrals_nfa"] == 2
    assert got["referrals_not_in_need"] == 2  # R1 (RC8) and R4 (RC9)
    assert got["cin_children"] == 3  # C1, C3, C4 (NFA-only C2 is not in need)
    assert got["cp_plans_at_31_march"] == 1
    assert got["cla_started"] == 1
    assert got["eh_children"] == 2  # C3, and C5 whose episode ended on 1 April 2019
    assert got["prevention_ratio"] == pytest.approx(2 / 3)
    assert got["not_stepped_down_pct"] == pytest.approx(50.0)
    assert got["missed_step_down_pct"] == pytest.approx(100.0)
    assert got["eh_reach_la_max_pct"] == pytest.approx(0.2)


def test_ratio_and_tolerance():
    assert _row("x", 201920, 100.0, 104.9, 0.05, "").ok
    assert not _row("x", 201920, 100.0, 94.9, 0.05, "").ok
    assert _row("x", 201920, 100.0, 95.0, 0.05, "").ratio == pytest.approx(0.95)
    assert not _row("x", 201920, 100.0, None, 0.05, "").ok
    assert isinstance(_row("x", 201920, 1.0, 1.0, 0.05, ""), CheckRow)
