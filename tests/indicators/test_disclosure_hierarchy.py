"""Disclosure control across the geography (LA -> region -> England) and rates with their
denominators, checked by the linear-programming audit. Every figure below is worked out by hand
in the comments: what a reader can recover before complementary suppression, and after."""

from __future__ import annotations

import pyarrow as pa
import pytest

from earlyhelp.errors import DataError
from earlyhelp.indicators import audit_publication, compute, publish
from earlyhelp.indicators.definitions import ADDITIVE_RELATIONS, INDICATOR_BY_NAME
from earlyhelp.publish import PUBLISHED_COLUMNS, Publication, typed_from_text
from earlyhelp.publish.audit import audit, required_width

REGION = "E12000001"
LAS = ("E06000001", "E06000002", "E06000003")
AREAS = {
    **{la: {"la_name": la, "region_code": REGION, "region_name": "North East", "old_la_code": ""} for la in LAS},
    REGION: {"region_name": "North East"},
}


def internal_row(level, la, indicator, numerator, denominator="z", value=None):
    return {
        "time_period": "201617",
        "geographic_level": level,
        "region_code": "" if level == "National" else REGION,
        "la_code": la,
        "indicator": indicator,
        "breakdown": "Total",
        "numerator": str(numerator),
        "denominator": str(denominator),
        "value": str(numerator if value is None else value),
    }


def counts(indicator, la_counts):
    """One count indicator in three LAs, their region and England (all the same here)."""
    total = sum(la_counts)
    rows = [internal_row("Local authority", la, indicator, n) for la, n in zip(LAS, la_counts)]
    rows += [internal_row("Regional", "", indicator, total), internal_row("National", "", indicator, total)]
    return rows


def re_referrals(numerators, denominators):
    """``referrals`` and ``re_referral_pct`` in three LAs, their region and England."""
    rows = counts("referrals", denominators)
    for la, n, d in zip(LAS, numerators, denominators):
        rows.append(internal_row("Local authority", la, "re_referral_pct", n, d, 100 * n / d))
    n, d = sum(numerators), sum(denominators)
    rows.append(internal_row("Regional", "", "re_referral_pct", n, d, 100 * n / d))
    rows.append(internal_row("National", "", "re_referral_pct", n, d, 100 * n / d))
    return rows


def published_rows(table):
    return {(r["geographic_level"], r["new_la_code"], r["indicator"]): r for r in table.to_pylist()}


def as_published(rows):
    """A hand-made published table: text rows in the spec's columns -> EES columns."""
    out = []
    for r in rows:
        full = dict.fromkeys(PUBLISHED_COLUMNS, "")
        full.update({k: v for k, v in r.items() if k in PUBLISHED_COLUMNS})
        full["new_la_code"] = r["la_code"]
        out.append(full)
    return pa.Table.from_pylist(out)


def intervals(table, threshold=5):
    result = audit(table, INDICATOR_BY_NAME, threshold, ADDITIVE_RELATIONS)
    return {(i.quantity[1], i.quantity[3], i.quantity[5]): (i.lower, i.upper) for i in result.intervals}, result


def test_required_width_is_what_c_itself_says():
    assert required_width(5) == 4  # c stands for one of 1, 2, 3, 4, 5
    assert required_width(10) == 9
    assert required_width(1) == 1  # never a single value


def test_one_suppressed_la_is_recovered_from_the_rounded_region_before():
    # LAs 3, 20, 40: the region (63) is published as 60, so 55 <= region <= 64 and the first LA
    # is between 55 - 60 and 64 - 60, and at least 1 (a c is never 0): 1 to 4, narrower than the
    # 1 to 5 that c stands for. The same from England.
    rows = counts("referrals", (3, 20, 40))
    for r in rows:
        if r["geographic_level"] != "Local authority":
            r["numerator"] = r["value"] = "60"
    rows[0]["numerator"] = rows[0]["value"] = "c"
    found, result = intervals(as_published(rows))
    assert found[("Local authority", LAS[0], "referrals")] == pytest.approx((1, 4))
    assert len(result.recoverable) == 1


def test_complementary_suppression_hides_the_next_smallest_la():
    # After: the 20 is suppressed too. The two hidden LAs add up to 55 - 40 .. 64 - 40, so each is
    # between 1 and 24 - 1 = 23.
    table = publish(typed_from_text(counts("referrals", (3, 20, 40))), 5, AREAS).published
    shown = published_rows(table)
    assert [shown["Local authority", la, "referrals"]["numerator"] for la in LAS] == ["c", "c", "40"]
    assert shown["Regional", "", "referrals"]["numerator"] == "60"
    found, result = intervals(table)
    assert found[("Local authority", LAS[0], "referrals")] == pytest.approx((1, 23))
    assert found[("Local authority", LAS[1], "referrals")] == pytest.approx((1, 23))
    assert result.recoverable == []


def test_two_small_suppressed_counts_are_not_enough():
    # 1 and 2 are both c, but they add up to 63 - 60 = 3 (region 60 means 55..64, so 0..4 with 60
    # published): each is 1 to 3. Rule: two hidden parts summing to s leave each a range of s - 2;
    # 3 - 2 < 5, so the 60 is suppressed too, and then each lies between 1 and 64 - 2 = 62.
    table = publish(typed_from_text(counts("referrals", (1, 2, 60))), 5, AREAS).published
    shown = published_rows(table)
    assert [shown["Local authority", la, "referrals"]["numerator"] for la in LAS] == ["c", "c", "c"]
    found, result = intervals(table)
    assert found[("Local authority", LAS[0], "referrals")] == pytest.approx((1, 62))
    assert result.recoverable == []


def test_a_national_rate_with_its_exact_denominator_gives_the_numerator_before():
    # The probe's route: re-referrals 3, 12, 20 of referrals 50, 60, 89. The LA denominators are
    # published exactly, so England's is 199; England's 17.6% says 17.55 <= 100 n / 199 <= 17.65,
    # n between 34.92 and 35.12 (and at least 35, as 40 is its rounding), and the first LA is
    # n - 12 - 20: 3 to 3.12, i.e. 3.
    internal = typed_from_text(re_referrals((3, 12, 20), (50, 60, 89)))
    leaky = [dict(r) for r in publish(internal, 5, AREAS).published.to_pylist()]
    for r in leaky:  # undo the complementary suppression: only the primary c stays
        if r["new_la_code"] == LAS[1] and r["indicator"] == "re_referral_pct":
            r.update(numerator="12", value="20.0")
    national = next(r for r in leaky if r["geographic_level"] == "National" and r["indicator"] == "re_referral_pct")
    assert (national["numerator"], national["denominator"], national["value"]) == ("40", "200", "17.6")
    found, result = intervals(pa.Table.from_pylist(leaky))
    lower, upper = found[("Local authority", LAS[0], "re_referrals")]
    assert (lower, upper) == pytest.approx((3, 0.1765 * 199 - 32))
    assert len(result.recoverable) == 1


def test_the_rate_route_is_closed_after():
    # After: the 12 is suppressed too (the smallest other LA), in every row that shows it. The two
    # hidden LAs add up to 34.92 .. 35.12 minus 20, so each is between 1 and 14.12.
    table = publish(typed_from_text(re_referrals((3, 12, 20), (50, 60, 89))), 5, AREAS).published
    shown = published_rows(table)
    assert [shown["Local authority", la, "re_referral_pct"]["numerator"] for la in LAS] == ["c", "c", "20"]
    assert [shown["Local authority", la, "re_referral_pct"]["value"] for la in LAS] == ["c", "c", "22.5"]
    assert [shown["Local authority", la, "referrals"]["numerator"] for la in LAS] == ["50", "60", "89"]
    found, result = intervals(table)
    assert found[("Local authority", LAS[0], "re_referrals")] == pytest.approx((1, 0.1765 * 199 - 21))
    assert result.recoverable == []


def test_a_suppressed_total_with_its_parts_published_is_protected_by_a_part():
    # England's figure is suppressed (a breakdown-style complement) yet its LAs are published: the
    # sum gives it back. Here a region of one LA (5) is c, so England = 5 + 30 + 40 would give the
    # region's LA back by subtraction unless a second LA goes too.
    table = publish(typed_from_text(counts("cla_started", (5, 30, 40))), 5, AREAS).published
    shown = published_rows(table)
    assert [shown["Local authority", la, "cla_started"]["numerator"] for la in LAS] == ["c", "c", "40"]
    assert intervals(table)[1].recoverable == []


def test_the_audit_refuses_a_leaky_publication():
    internal = typed_from_text(counts("referrals", (3, 20, 40)))
    good = publish(internal, 5, AREAS)
    leaky = [dict(r) for r in good.published.to_pylist()]
    for r in leaky:
        if r["new_la_code"] == LAS[1]:
            r.update(numerator="20", value="20")
    publication = Publication(internal, pa.Table.from_pylist(leaky), good.spec_published, 5)
    with pytest.raises(DataError, match="Disclosure audit failed: 1 suppressed count") as caught:
        audit_publication(publication)
    assert caught.value.exit_code == 1
    assert audit_publication(good).recoverable == []


def test_a_count_hidden_for_one_sum_is_c_in_every_row_that_shows_it():
    # Referrals 3, 20, 40: the 20 is suppressed as the 3's complement in the regional sum, so it
    # is c also as re_referral_pct's denominator, and that row's value with it; its numerator (8)
    # stays, as re-referrals 0 + 8 + 10 have no c.
    table = publish(typed_from_text(re_referrals((0, 8, 10), (3, 20, 40))), 5, AREAS).published
    shown = published_rows(table)
    second = shown["Local authority", LAS[1], "re_referral_pct"]
    assert (second["numerator"], second["denominator"], second["value"]) == ("8", "c", "c")
    assert shown["Local authority", LAS[1], "referrals"]["numerator"] == "c"
    assert intervals(table)[1].recoverable == []


def test_earlyhelp_indicators_exits_1_and_writes_nothing_when_the_audit_fails(
    tmp_path, casebook_folder, monkeypatch, capsys
):
    import earlyhelp.publish.disclosure as disclosure
    from earlyhelp.cli import run

    monkeypatch.setattr(disclosure, "_secondary", lambda *args: None)  # primary suppression only
    out = tmp_path / "out"
    monkeypatch.setattr("sys.argv", ["earlyhelp", "indicators", "--data", str(casebook_folder), "--out", str(out)])
    with pytest.raises(SystemExit) as exited:
        run()
    assert exited.value.code == 1
    assert "Disclosure audit failed" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_suppressed_count_is_recoverable_on_tiny_synthetic_england(tmp_path, seed):
    from earlyhelp.synth import generate

    data = tmp_path / "data"
    generate(data, scale="tiny", seed=seed)
    internal = compute(data, None).internal
    for threshold in (5, 10):
        publication = publish(internal, threshold)
        result = audit(publication.published, INDICATOR_BY_NAME, threshold, ADDITIVE_RELATIONS)
        assert len(result.intervals) > 100  # tiny England has many small counts
        assert [i.describe() for i in result.recoverable] == []
