"""End to end: person_link, accuracy against truth, the report, and the model file."""

from __future__ import annotations

import json

import pyarrow.parquet as pq

from earlyhelp.spec import codes, table


def test_person_link_has_one_row_per_record_and_the_spec_columns(linked, identity_zone):
    person_link = pq.read_table(linked.person_link)
    assert person_link.column_names == list(table("person_link").column_names)
    assert person_link.num_rows == identity_zone["identifiers"].num_rows
    frame = person_link.to_pandas()
    assert not frame.duplicated(["source", "source_record_id"]).any()
    assert set(frame.method) <= set(codes.LINK_METHOD)
    assert frame.person_id.str.match(r"^P[0-9a-f]{20}$").all()
    by_nhs = frame[frame.method == "nhs_number"]
    assert (by_nhs.match_probability == 1.0).all()
    probabilistic = frame[(frame.method == "probabilistic") & frame.match_probability.notna()]
    # At or above the 0.9 threshold, except pieces of a child joined below it because they are
    # each other's only plausible partner (at least 0.02, and counted in the report).
    below = probabilistic[probabilistic.match_probability < 0.9]
    assert (below.match_probability >= 0.02).all()
    report = json.loads(linked.report_json.read_text())
    # Each attached piece joins one child (two pieces may join the same child, hence <=).
    assert below.person_id.nunique() <= report["pieces_attached_below_threshold"]
    assert (len(below) > 0) == (report["pieces_attached_below_threshold"] > 0)
    assert len(below) <= 0.01 * len(probabilistic)


def test_accuracy_against_truth_on_a_small_england(linked, identity_zone):
    frame = (
        pq.read_table(linked.person_link)
        .to_pandas()
        .merge(identity_zone["truth"].to_pandas(), on=["source", "source_record_id"])
    )

    # Count pairs by hand from the two partitions.
    def pairs(sizes):
        return int((sizes * (sizes - 1) // 2).sum())

    together = pairs(frame.groupby(["person_id", "true_person_id"]).size())
    made = pairs(frame.groupby("person_id").size())
    true = pairs(frame.groupby("true_person_id").size())
    assert together / made >= 0.995
    assert together / true >= 0.98
    assert linked.accuracy["pairwise_precision"] == round(together / made, 5)
    assert linked.accuracy["pairwise_recall"] == round(together / true, 5)


def test_every_source_is_linked_to_health_for_most_children(linked):
    report = json.loads(linked.report_json.read_text())
    by_source = {row["source"]: row for row in report["by_source"]}
    assert set(by_source) == {"la_csc", "la_early_help", "health", "education", "police", "housing"}
    assert by_source["la_csc"]["linked_to_health_share"] > 0.9
    groups = {(r["characteristic"], r["group"]) for r in report["linked_to_health_by_group"]}
    assert ("sex", "F") in groups and ("nhs_number_on_record", "missing or invalid") in groups
    assert sum(r["pairs"] for r in report["match_probability_distribution"]) == report["run"]["pairs_scored"]


def test_borderline_pairs_show_levels_not_values(linked):
    report = json.loads(linked.report_json.read_text())
    assert report["borderline_pairs"], "a few thousand records always leave some borderline pairs"
    pair = report["borderline_pairs"][0]
    assert {"record_1", "record_2", "match_probability", "forename", "dob", "nhs_number"} <= set(pair)
    labels = {r["level"] for r in report["model"]}
    assert pair["forename"] in labels | {"missing"}


def test_model_is_saved_as_json_and_can_be_reused(linked, identity_zone, tmp_path, secret):
    from earlyhelp.link import link

    model = json.loads(linked.model.read_text())
    assert model["link_type"] == "dedupe_only"
    names = [c["output_column_name"] for c in model["comparisons"]]
    assert names == ["forename", "surname", "dob", "postcode", "nhs_number", "upn", "sex", "la"]
    again = link(identity_zone["root"] / "identities", tmp_path, model=linked.model)
    first = pq.read_table(linked.person_link).column("person_id").to_pylist()
    assert pq.read_table(again.person_link).column("person_id").to_pylist() == first
