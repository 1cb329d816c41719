"""Persistent pseudonymous person ids.

Splink's cluster ids change from run to run, so they are never published. A cluster's
``person_id`` is, in order of preference:

1. the ``person_id`` its records held in the previous ``person_link`` (carried forward). When a
   previous person was split, the part with more of its records keeps the id; when two were
   merged, the id held by more records survives (the link itself changed, so one id has to go);
2. otherwise a keyed HMAC (``earlyhelp.privacy.keyed_hash``, secret from
   ``EARLYHELP_LINK_SECRET``) of the cluster's anchor record: the lowest (source,
   source_record_id). The same records and secret give the same id on any machine.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from earlyhelp.privacy import keyed_hash

PERSON_ID_PREFIX = "P"
PERSON_ID_LENGTH = 20


def assign_person_ids(
    record_keys: np.ndarray,
    cluster_label: np.ndarray,
    secret: bytes,
    previous_ids: np.ndarray | None = None,
) -> tuple[np.ndarray, dict[str, int]]:
    """``person_id`` per record, and counts of how each id was decided.

    ``record_keys``: "source|source_record_id" per record. ``previous_ids``: the person_id each
    record held in the previous run (None or empty string for records new to this run).
    """
    n_clusters = int(cluster_label.max()) + 1 if len(cluster_label) else 0
    chosen: dict[int, str] = {}
    if previous_ids is not None:
        held = pd.DataFrame({"cluster": cluster_label, "old": previous_ids})
        held = held[held.old.notna() & (held.old != "")]
        votes = held.groupby(["cluster", "old"]).size().rename("records").reset_index()
        votes = votes.sort_values(["records", "cluster", "old"], ascending=[False, True, True])
        taken: set[str] = set()
        for cluster, old in zip(votes.cluster.tolist(), votes.old.tolist()):
            if cluster in chosen or old in taken:
                continue
            chosen[cluster] = old
            taken.add(old)
    carried = len(chosen)

    # Anchor: the lowest record key of each cluster.
    order = np.lexsort((record_keys, cluster_label))
    first = np.r_[True, cluster_label[order][1:] != cluster_label[order][:-1]] if len(order) else np.zeros(0, bool)
    anchors = dict(zip(cluster_label[order][first].tolist(), record_keys[order][first].tolist()))
    used = set(chosen.values())
    new = 0
    for cluster in range(n_clusters):
        if cluster in chosen:
            continue
        anchor, attempt = anchors[cluster], 0
        person_id = keyed_hash(anchor, secret, prefix=PERSON_ID_PREFIX, length=PERSON_ID_LENGTH)
        while person_id in used:  # the anchor's id is still held by the previous person
            attempt += 1
            person_id = keyed_hash(f"{anchor}#{attempt}", secret, prefix=PERSON_ID_PREFIX, length=PERSON_ID_LENGTH)
        chosen[cluster] = person_id
        used.add(person_id)
        new += 1
    ids = np.array([chosen[c] for c in range(n_clusters)], dtype=object)
    return ids[cluster_label], {"carried_forward": carried, "new": new}
