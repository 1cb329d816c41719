"""Synthetic England at the tiny scale: valid EHLD, deterministic, journeys with known truth."""

from __future__ import annotations

import json
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from earlyhelp.spec import TABLES
from earlyhelp.synth import StepDownEffect, generate, settings_for
from earlyhelp.validate import validate_paths

from .helpers import connect, one


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("tiny")
    generate(out, scale="tiny", seed=0)
    return out


@pytest.fixture(scope="module")
def con(tiny):
    connection = connect(tiny, truth=("person_records", "children", "step_down", "spend_effect"))
    yield connection
    connection.close()


def test_every_table_is_written_and_validates(tiny):
    names = {p.stem for p in tiny.glob("*.parquet")}
    assert names == set(TABLES) - {"person_link"}  # person_link is written by `earlyhelp link`
    report = validate_paths(tiny)
    assert report.error_count == 0, report.findings[:5]
    # The only warnings: the identity faults planted for linkage (mistyped NHS numbers and UPNs).
    assert {f.rule_id for f in report.findings} <= {"value-nhs-number-check-digit", "value-upn-check-letter"}


def test_csv_output_validates_too(tmp_path):
    generate(tmp_path, scale="tiny", seed=3, fmt="csv")
    assert (tmp_path / "referrals.csv").read_text().splitlines()[0].startswith("la_code,child_id")
    assert validate_paths(tmp_path).error_count == 0


def test_same_seed_same_bytes_other_seed_other_data(tiny, tmp_path):
    again = tmp_path / "again"
    generate(again, scale="tiny", seed=0)
    for file in sorted(tiny.rglob("*.*")):
        twin = again / file.relative_to(tiny)
        assert twin.read_bytes() == file.read_bytes(), file.name
    other = tmp_path / "other"
    generate(other, scale="tiny", seed=1)
    assert (other / "referrals.parquet").read_bytes() != (tiny / "referrals.parquet").read_bytes()


def test_tiny_is_a_few_thousand_children_in_three_real_las(con):
    las = {r[0] for r in con.execute("SELECT la_code FROM local_authorities").fetchall()}
    assert las == {"E06000001", "E06000017", "E08000029"}
    population = one(con, "SELECT sum(children_0_17) FROM population WHERE year = 2019")[0]
    assert 2_000 < population < 10_000
    children = one(con, "SELECT count(*) FROM children")[0]
    assert 500 < children < population


def test_returns_bound_the_years_with_follow_up(con):
    rows = con.execute("SELECT period_start, period_end, extract_date FROM returns").fetchall()
    assert len(rows) == 3
    for start, end, extract in rows:
        assert start == date(2015, 4, 1)
        assert end == date(2020, 3, 31)
        assert extract >= end + timedelta(days=365 + 28)
    # Burn-in: there are referrals before the period, so children can be open on 1 April 2015.
    assert one(con, "SELECT count(*) FROM referrals WHERE referral_date < DATE '2015-04-01'")[0] > 0


def test_reference_tables_cover_the_whole_panel(con):
    years = [r[0] for r in con.execute("SELECT DISTINCT year FROM population ORDER BY 1").fetchall()]
    assert years == list(range(2010, 2023))
    periods = {r[0] for r in con.execute("SELECT DISTINCT time_period FROM spend").fetchall()}
    assert 201011 in periods and 201920 in periods
    assert one(con, "SELECT count(*) FROM deflators")[0] == 13


def test_ids_are_la_prefixed_and_families_are_shared(con):
    bad = one(con, "SELECT count(*) FROM children WHERE NOT starts_with(child_id, la_code || '-')")
    assert bad[0] == 0
    # Whole-family early help: some episodes' families hold more than one child.
    multi = one(
        con,
        """SELECT count(*) FROM (SELECT la_code, family_id FROM early_help_episodes
                        GROUP BY 1, 2 HAVING count(DISTINCT child_id) > 1)""",
    )[0]
    assert multi > 0
    # Every child with a record has exactly one children row.
    orphans = one(
        con,
        """SELECT count(*) FROM (SELECT la_code, child_id FROM referrals UNION
                          SELECT la_code, child_id FROM early_help_episodes) r
                          ANTI JOIN children c USING (la_code, child_id)""",
    )[0]
    assert orphans == 0


def test_journeys_follow_the_census_rules(con):
    # NFA referrals close on the day with RC8 and have no assessment.
    assert (
        one(
            con,
            """SELECT count(*) FROM referrals WHERE referral_nfa
                       AND (closure_date <> referral_date OR closure_reason <> 'RC8')""",
        )[0]
        == 0
    )
    assert (
        one(
            con,
            """SELECT count(*) FROM assessments a JOIN referrals r
                       USING (la_code, referral_id) WHERE r.referral_nfa""",
        )[0]
        == 0
    )
    # Step-downs: RC9 closures are followed by early help within 28 days (unless that would be
    # after the extract date).
    rc9, followed = one(
        con,
        """
        SELECT count(*), count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM early_help_episodes e WHERE e.la_code = r.la_code
              AND e.child_id = r.child_id AND e.start_date BETWEEN r.closure_date
              AND r.closure_date + 28))
        FROM referrals r JOIN returns USING (la_code)
        WHERE closure_reason = 'RC9' AND r.closure_date + 28 <= extract_date""",
    )
    assert rc9 > 0 and followed == rc9
    # Re-referrals exist, and some children come into care with an S episode first.
    assert (
        one(
            con,
            """SELECT count(*) FROM (SELECT la_code, child_id FROM referrals
                       GROUP BY 1, 2 HAVING count(*) > 1)""",
        )[0]
        > 0
    )
    assert (
        one(
            con,
            """SELECT count(*) FROM looked_after_episodes
                       WHERE reason_new_episode = 'S'""",
        )[0]
        > 0
    )


def test_truth_names_the_person_behind_every_identity_record(con):
    records, with_truth = one(
        con,
        """SELECT count(*), count(t.true_person_id)
        FROM person_identifiers p LEFT JOIN truth_person_records t
        USING (source, source_record_id)""",
    )
    assert records == with_truth
    sources = {r[0] for r in con.execute("SELECT DISTINCT source FROM person_identifiers").fetchall()}
    assert {"la_csc", "la_early_help", "health", "education", "police"} <= sources
    # Each analytic child has its identity record (source_record_id = child_id).
    assert (
        one(
            con,
            """SELECT count(*) FROM children c ANTI JOIN person_identifiers p
                       ON p.source IN ('la_csc', 'la_early_help')
                      AND p.source_record_id = c.child_id""",
        )[0]
        == 0
    )
    # Some true people moved LA: two LA records, one person.
    assert (
        one(
            con,
            """SELECT count(*) FROM (SELECT true_person_id FROM truth_children
                       GROUP BY 1 HAVING count(DISTINCT la_code) > 1)""",
        )[0]
        > 0
    )


def test_partner_outcomes_carry_the_partner_record_id(con):
    for table, source in (
        ("school_attendance", "education"),
        ("health_events", "health"),
        ("police_notifications", "police"),
    ):
        rows, unmatched = one(
            con,
            f"""SELECT count(*), count(*) FILTER (WHERE p.source IS NULL)
            FROM {table} t LEFT JOIN person_identifiers p
              ON p.source = '{source}' AND p.source_record_id = t.person_id""",
        )
        assert rows > 0 and unmatched == 0, table


def test_effects_json_records_the_planted_effects(tiny, con):
    effects = json.loads((tiny / "truth" / "effects.json").read_text())
    assert effects["step_down"]["re_referral_rr_12m"] == 0.70
    assert effects["spend"]["extra_starts_per_100k_16_17_per_10_pounds_cut"] == 1.9
    assert effects["seed"] == 0 and effects["scale"] == "tiny"
    # Heterogeneity worked out by hand: N4 (benefit 1.5) in deciles 8-10 (benefit 1.3):
    # 1 - (1 - 0.70) x 1.5 x 1.3 = 0.415; N1 (0.6) in deciles 1-3 (0.7): 1 - 0.3 x 0.42 = 0.874.
    rows = con.execute("""SELECT DISTINCT primary_need, idaci_decile, re_referral_rr_12m
        FROM truth_step_down WHERE (primary_need = 'N4' AND idaci_decile >= 8)
           OR (primary_need = 'N1' AND idaci_decile <= 3)""").fetchall()
    assert rows
    for need, _decile, rr in rows:
        assert rr == pytest.approx(0.415 if need == "N4" else 0.874, abs=1e-6)


def _re_referred_within_a_year_after_step_down(folder) -> tuple[int, int]:
    """(step-downs, of which re-referred within 365 days of closure), from the EHLD tables."""
    connection = connect(folder)
    step_down = folder / "truth" / "step_down.parquet"
    result = connection.execute(f"""
        WITH stepped AS (
            SELECT r.child_id, r.referral_id, r.closure_date FROM referrals r
            JOIN read_parquet('{step_down}') t USING (referral_id) WHERE t.stepped_down)
        SELECT count(*), count(*) FILTER (WHERE EXISTS (
            SELECT 1 FROM referrals later WHERE later.child_id = s.child_id
              AND later.referral_date > s.closure_date
              AND later.referral_date <= s.closure_date + INTERVAL 365 DAY))
        FROM stepped s""").fetchall()[0]
    connection.close()
    return result


@pytest.mark.slow
def test_a_changed_effect_is_planted_and_recorded(tmp_path):
    # The same seed with step-down making re-referral 5 times less likely than without the
    # effect (before the need/deprivation modifiers): the re-referrals seen in the data, not just
    # the recorded setting, must fall. One full-size LA gives about 1,300 step-downs (tiny ~60).
    outcomes = {}
    for rr in (1.0, 0.2):
        settings = settings_for("la", seed=0).with_changes(
            step_down=StepDownEffect(re_referral_rr_12m=rr, re_referral_rr_24m=rr, escalation_rr=1.0)
        )
        folder = tmp_path / f"rr{rr}"
        generate(folder, settings=settings)
        effects = json.loads((folder / "truth" / "effects.json").read_text())
        assert effects["step_down"]["re_referral_rr_12m"] == rr
        outcomes[rr] = _re_referred_within_a_year_after_step_down(folder)
    (steps_without, again_without), (steps_with, again_with) = outcomes[1.0], outcomes[0.2]
    assert steps_without > 1000 and steps_with > 1000
    assert again_with / steps_with < 0.6 * (again_without / steps_without)


def test_regions_made_in_parallel_parts_are_unique_and_deterministic(tmp_path, monkeypatch):
    module = sys.modules["earlyhelp.synth.generate"]
    monkeypatch.setattr(module, "FORCE_REGION_PARTS", True)  # tiny's three LAs: three parts
    generate(tmp_path, scale="tiny", seed=0)
    assert validate_paths(tmp_path).error_count == 0
    connection = connect(tmp_path)
    # A true NHS number (health records hold it nearly always) never belongs to two people.
    # Two worker processes or one: the same bytes.
    monkeypatch.setattr(module, "WORKERS", 1)
    sequential = tmp_path / "sequential"
    generate(sequential, scale="tiny", seed=0)
    for name in (
        "person_identifiers.parquet",
        "school_attendance.parquet",
        "referrals.parquet",
        "truth/person_records.parquet",
        "truth/effects.json",
        "episode_postcodes.parquet",
        "looked_after_episodes.parquet",
        "children.parquet",
    ):
        assert (sequential / name).read_bytes() == (tmp_path / name).read_bytes(), name
    # Health records also carry a planted fault: now and then a sibling's number (same family,
    # so the same surname in the synthetic population). Those are not clashes between regions.
    clash = one(
        connection,
        f"""SELECT count(*) FROM (
        SELECT p.nhs_number FROM person_identifiers p
        JOIN read_parquet('{tmp_path / "truth" / "person_records.parquet"}') t
        USING (source, source_record_id) WHERE p.source = 'health' AND p.nhs_number IS NOT NULL
        GROUP BY 1 HAVING count(DISTINCT t.true_person_id) > 1
                      AND count(DISTINCT p.surname) > 1)""",
    )[0]
    assert clash == 0
    connection.close()


def test_a_rerun_takes_away_the_old_ssda903_sidecar_of_an_earlier_synthetic_england(tmp_path):
    """Synthetic England wrote postcodes to ssda903/ before issue #16; a rerun must not leave them."""
    old = tmp_path / "syn"
    (old / "truth").mkdir(parents=True)
    (old / "truth" / "effects.json").write_text("{}")
    (old / "ssda903").mkdir()
    for name in ("episodes.parquet", "header.parquet"):
        (old / "ssda903" / name).write_bytes(b"old")
    generate(old, scale="tiny", seed=0)
    assert not (old / "ssda903").exists()
    assert (old / "episode_postcodes.parquet").is_file()
