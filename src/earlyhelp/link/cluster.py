"""Clusters: deterministic NHS groups, grown by scored pairs, never breaking a source constraint.

Start from the groups the deterministic step formed; then take the scored pairs at or above the
threshold from the most to the least likely and join the two records' clusters unless the
joined cluster would hold two records of a duplicate-free source (two health records, two
records of one LA). Strongest evidence wins a conflict, as in Splink's single-best-links
clustering, but the deterministic groups are respected and it runs in one pass.

Then ``attach_fragments`` joins pieces of one child that the threshold left apart, when the two
pieces are each other's only plausible partner (see its docstring).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Clusters:
    label: np.ndarray  # cluster number of each record (0..n_clusters-1)
    best_probability: np.ndarray  # best accepted pair probability per record (nan: none)
    best_weight: np.ndarray
    rejected_by_constraint: int


def constrained_clusters(
    n_records: int,
    deterministic_group: np.ndarray,
    constraint_group: np.ndarray,
    edge_left: np.ndarray,
    edge_right: np.ndarray,
    edge_probability: np.ndarray,
    edge_weight: np.ndarray,
) -> Clusters:
    """Cluster records 0..n-1.

    ``deterministic_group``: group number per record (-1: none); records sharing one start in one
    cluster. ``constraint_group``: per record, -1 when any number of such records may share a
    person, else the group of which a cluster may hold at most one. Edges must already be at or
    above the threshold; they are taken in order of decreasing probability (ties by record).
    """
    parent = np.arange(n_records)
    # Deterministic groups: every member points at the group's first record.
    grouped = np.flatnonzero(deterministic_group >= 0)
    if len(grouped):
        order = grouped[np.argsort(deterministic_group[grouped], kind="stable")]
        groups = deterministic_group[order]
        first = np.r_[True, groups[1:] != groups[:-1]]
        root_of_group = order[first][np.cumsum(first) - 1]
        parent[order] = root_of_group
    parent_list = parent.tolist()

    def find(x: int) -> int:
        root = x
        while parent_list[root] != root:
            root = parent_list[root]
        while parent_list[x] != root:
            parent_list[x], x = root, parent_list[x]
        return root

    # Constraint keys of a cluster, built only for clusters an edge touches.
    keys: dict[int, set[int]] = {}
    members_of_root: dict[int, list[int]] | None = None

    def cluster_keys(root: int) -> set[int]:
        nonlocal members_of_root
        found = keys.get(root)
        if found is not None:
            return found
        if members_of_root is None:
            members_of_root = {}
            for record in grouped.tolist():
                members_of_root.setdefault(parent_list[record], []).append(record)
        members = members_of_root.get(root, [root])
        found = {int(constraint_group[m]) for m in members if constraint_group[m] >= 0}
        keys[root] = found
        return found

    order = np.lexsort((edge_right, edge_left, -edge_probability))
    left, right = edge_left[order].tolist(), edge_right[order].tolist()
    best_probability = np.full(n_records, np.nan)
    best_weight = np.full(n_records, np.nan)
    accepted = np.zeros(len(order), dtype=bool)
    rejected = 0
    for i, (a, b) in enumerate(zip(left, right)):
        root_a, root_b = find(a), find(b)
        if root_a == root_b:
            accepted[i] = True
            continue
        keys_a, keys_b = cluster_keys(root_a), cluster_keys(root_b)
        if not keys_a.isdisjoint(keys_b):
            rejected += 1
            continue
        if len(keys_a) < len(keys_b):
            root_a, root_b, keys_a, keys_b = root_b, root_a, keys_b, keys_a
        parent_list[root_b] = root_a
        keys_a |= keys_b
        keys.pop(root_b, None)
        accepted[i] = True

    # Best accepted evidence per record (edges sorted best first, so first write wins).
    probability, weight = edge_probability[order][accepted], edge_weight[order][accepted]
    for side in (edge_left[order][accepted], edge_right[order][accepted]):
        records, first = np.unique(side, return_index=True)  # first = best, edges sorted best first
        better = np.isnan(best_probability[records]) | (best_probability[records] < probability[first])
        best_probability[records[better]] = probability[first][better]
        best_weight[records[better]] = weight[first][better]

    roots = np.fromiter((find(x) for x in range(n_records)), dtype=np.int64, count=n_records)
    _, label = np.unique(roots, return_inverse=True)
    return Clusters(label, best_probability, best_weight, rejected)


@dataclass(frozen=True)
class Attached:
    label: np.ndarray
    best_probability: np.ndarray  # updated for the records of attached clusters
    attached: int  # clusters joined to another by this pass


def attach_fragments(
    label: np.ndarray,
    constraint_group: np.ndarray,
    best_probability: np.ndarray,
    edge_left: np.ndarray,
    edge_right: np.ndarray,
    edge_probability: np.ndarray,
    floor: float,
    margin: float = 2.0,
    rounds: int = 3,
) -> Attached:
    """Join clusters that are each other's only plausible partner, below the threshold.

    A child's records that the threshold leaves in pieces (a record with no date of birth, a
    surname change, a moved postcode: each pair is weak on its own, and common names make it
    weaker) are joined when the two pieces are *mutual best candidates*: each piece's strongest
    link (at least ``floor``) goes to the other, that link is at least ``margin`` times as likely
    as either piece's next-best link to any third cluster, and the joined cluster still holds at
    most one record of each duplicate-free source. A sibling or twin competes with the true
    piece, so an ambiguous piece stays alone. ``edge_*``: scored pairs (those below ``floor``
    are ignored).
    """
    label = label.copy()
    best_probability = best_probability.copy()
    strong_enough = edge_probability >= floor
    edge_left, edge_right = edge_left[strong_enough], edge_right[strong_enough]
    edge_probability = edge_probability[strong_enough]
    attached_total = 0
    for _ in range(rounds):
        la, lb = label[edge_left], label[edge_right]
        between = la != lb
        if not between.any():
            break
        x, y, p = la[between], lb[between], edge_probability[between]
        # every cluster pair in both directions, best pair probability first
        c = np.r_[x, y]
        other = np.r_[y, x]
        prob = np.r_[p, p]
        order = np.lexsort((other, -prob, c))
        c, other, prob = c[order], other[order], prob[order]
        first = np.r_[True, c[1:] != c[:-1]]
        best_of = dict(zip(c[first].tolist(), zip(other[first].tolist(), prob[first].tolist())))
        # next-best probability towards a *different* cluster than the best one
        best_other = np.repeat(other[first], np.diff(np.r_[np.flatnonzero(first), len(c)]))
        rival = other != best_other
        rival_c, rival_p = c[rival], prob[rival]
        rival_first = np.r_[True, rival_c[1:] != rival_c[:-1]] if len(rival_c) else np.zeros(0, bool)
        second_of = dict(zip(rival_c[rival_first].tolist(), rival_p[rival_first].tolist()))
        pairs = [
            (a, b, pab)
            for a, (b, pab) in best_of.items()
            if a < b
            and best_of.get(b, (None,))[0] == a
            and pab >= margin * second_of.get(a, 0.0)
            and pab >= margin * second_of.get(b, 0.0)
        ]
        if not pairs:
            break
        # source constraints over the members of both clusters
        members_order = np.argsort(label, kind="stable")
        sorted_labels = label[members_order]
        merged = 0
        for a, b, pab in pairs:
            in_a = members_order[np.searchsorted(sorted_labels, a) : np.searchsorted(sorted_labels, a, "right")]
            in_b = members_order[np.searchsorted(sorted_labels, b) : np.searchsorted(sorted_labels, b, "right")]
            keys = constraint_group[np.r_[in_a, in_b]]
            keys = keys[keys >= 0]
            if len(np.unique(keys)) != len(keys):
                continue
            for part in (in_a, in_b):  # records that had no accepted link get the one that joined them
                best_probability[part[np.isnan(best_probability[part])]] = pab
            label[in_b] = a
            merged += 1
        attached_total += merged
        if not merged:
            break
    _, label = np.unique(label, return_inverse=True)
    return Attached(label, best_probability, attached_total)
