"""Constrained clustering and persistent ids, on small graphs worked out by hand."""

from __future__ import annotations

import numpy as np

from earlyhelp.link import assign_person_ids, constrained_clusters
from earlyhelp.privacy import keyed_hash

NONE = -1


def _cluster(n, det, constraint, edges):
    a = np.array([e[0] for e in edges], dtype=np.int64)
    b = np.array([e[1] for e in edges], dtype=np.int64)
    p = np.array([e[2] for e in edges], dtype=float)
    return constrained_clusters(n, np.array(det), np.array(constraint), a, b, p, np.log2(p / (1 - p)))


def test_deterministic_groups_start_together():
    result = _cluster(4, [0, 0, NONE, 1], [NONE] * 4, [])
    assert result.label[0] == result.label[1]
    assert len(set(result.label.tolist())) == 3


def test_constraint_refuses_a_second_health_record_and_keeps_the_stronger_link():
    # records: 0 = la, 1 = health, 2 = health (a twin's), constraint 5 = "health"
    # edges: 0-1 (0.99) then 0-2 (0.95): the second would put two health records together.
    result = _cluster(3, [NONE] * 3, [NONE, 5, 5], [(0, 2, 0.95), (0, 1, 0.99)])
    assert result.label[0] == result.label[1] != result.label[2]
    assert result.rejected_by_constraint == 1
    assert result.best_probability[0] == 0.99 and np.isnan(result.best_probability[2])


def test_constraint_applies_to_whole_clusters_not_just_the_pair():
    # 0,1 linked deterministically (0 is health=7); 2 is another health record linked to 3;
    # edge 1-3 would join {0,1} and {2,3}: two health records, so refused.
    result = _cluster(4, [0, 0, NONE, NONE], [7, NONE, 7, NONE], [(2, 3, 0.99), (1, 3, 0.97)])
    assert result.label[0] == result.label[1]
    assert result.label[2] == result.label[3]
    assert result.label[0] != result.label[2]


def test_unconstrained_sources_chain_like_connected_components():
    result = _cluster(3, [NONE] * 3, [NONE] * 3, [(0, 1, 0.95), (1, 2, 0.93)])
    assert len(set(result.label.tolist())) == 1


def test_new_ids_are_keyed_hashes_of_the_lowest_record_key():
    secret = b"s" * 16
    keys = np.array(["health|H2", "health|H1", "la_csc|C9"], dtype=object)
    ids, counts = assign_person_ids(keys, np.array([0, 0, 1]), secret)
    assert ids[0] == ids[1] == keyed_hash("health|H1", secret, prefix="P", length=20)
    assert ids[2] == keyed_hash("la_csc|C9", secret, prefix="P", length=20)
    assert counts == {"carried_forward": 0, "new": 2}


def test_previous_ids_are_carried_forward_even_when_a_new_record_becomes_the_anchor():
    secret = b"s" * 16
    # before: A1, A2 were person "old-a". Now a new record A0 (lower key) joins them.
    keys = np.array(["a|0", "a|1", "a|2"], dtype=object)
    previous = np.array([None, "old-a", "old-a"], dtype=object)
    ids, counts = assign_person_ids(keys, np.array([0, 0, 0]), secret, previous)
    assert set(ids.tolist()) == {"old-a"}
    assert counts["carried_forward"] == 1


def test_a_split_gives_the_old_id_to_the_larger_part_and_a_fresh_id_to_the_rest():
    secret = b"s" * 16
    keys = np.array(["r|1", "r|2", "r|3"], dtype=object)
    previous = np.array(["old", "old", "old"], dtype=object)
    ids, _ = assign_person_ids(keys, np.array([0, 0, 1]), secret, previous)
    assert ids[0] == ids[1] == "old"
    assert ids[2] != "old" and ids[2] == keyed_hash("r|3", secret, prefix="P", length=20)


def test_a_merge_keeps_the_id_held_by_more_records():
    secret = b"s" * 16
    keys = np.array(["r|1", "r|2", "r|3"], dtype=object)
    previous = np.array(["x", "y", "y"], dtype=object)
    ids, _ = assign_person_ids(keys, np.array([0, 0, 0]), secret, previous)
    assert set(ids.tolist()) == {"y"}


def _attach(label, constraint, best, edges, floor=0.02, margin=2.0):
    from earlyhelp.link import attach_fragments

    a = np.array([e[0] for e in edges], dtype=np.int64)
    b = np.array([e[1] for e in edges], dtype=np.int64)
    p = np.array([e[2] for e in edges], dtype=float)
    return attach_fragments(
        np.array(label), np.array(constraint), np.array(best, dtype=float), a, b, p, floor=floor, margin=margin
    )


def test_a_piece_whose_only_plausible_partner_is_one_cluster_joins_it():
    # {0,1} linked (best 0.99 each); 2 alone, linked to 0 at 0.3 and to nothing else.
    result = _attach([0, 0, 1], [NONE] * 3, [0.99, 0.99, np.nan], [(0, 2, 0.3), (0, 1, 0.99)])
    assert result.label.tolist() == [0, 0, 0]
    assert result.attached == 1
    assert result.best_probability.tolist() == [0.99, 0.99, 0.3]


def test_a_piece_with_two_similar_candidates_stays_alone():
    # 2 is a twin's record: 0.3 to cluster {0} and 0.2 to cluster {1}; 0.3 < 2 x 0.2.
    result = _attach([0, 1, 2], [NONE] * 3, [np.nan] * 3, [(0, 2, 0.3), (1, 2, 0.2)])
    assert len(set(result.label.tolist())) == 3
    assert result.attached == 0


def test_attaching_never_puts_two_records_of_a_duplicate_free_source_together():
    # 0 and 2 are both health records (constraint 7): the mutual best link 1-2 is refused.
    result = _attach([0, 0, 1], [7, NONE, 7], [0.99, 0.99, np.nan], [(1, 2, 0.5)])
    assert result.label[2] != result.label[0]


def test_pairs_below_the_floor_never_attach():
    result = _attach([0, 1], [NONE, NONE], [np.nan, np.nan], [(0, 1, 0.01)])
    assert result.label[0] != result.label[1]
