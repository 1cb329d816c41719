"""Clusters: deterministic NHS groups, grown by scored pairs, never breaking a source constraint.

Start from the groups the deterministic step formed; then take the scored pairs at or above the
threshold from the most to the least likely and join the two records' clusters unless the
joined cluster would hold two records of a duplicate-free source (two health records, two
records of one LA). Strongest evidence wins a conflict, as in Splink's single-best-links
clustering, but the deterministic groups are respected and it runs in one pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Clusters:
    label: np.ndarray          # cluster number of each record (0..n_clusters-1)
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
