"""Accuracy measures on a partition small enough to count by hand."""

from __future__ import annotations

import duckdb

from earlyhelp.link import accuracy_against_truth


def test_accuracy_counts_worked_by_hand():
    con = duckdb.connect()
    # truth: person X = a, b, c; person Y = d, e; person Z = f
    con.execute(
        "CREATE TABLE truth AS SELECT * FROM (VALUES ('a','X'),('b','X'),('c','X'),('d','Y'),"
        "('e','Y'),('f','Z')) t(unique_id, true_person_id)"
    )
    # found: {a, b} {c} {d, e, f}
    con.execute(
        "CREATE TABLE record_cluster AS SELECT * FROM (VALUES ('a',1),('b',1),('c',2),('d',3),"
        "('e',3),('f',3)) t(unique_id, cluster)"
    )
    accuracy = accuracy_against_truth(con)
    # pairs made: {a,b}=1 + {d,e,f}=3 -> 4; true pairs: X=3 + Y=1 -> 4; found together: ab, de -> 2
    assert accuracy["pairwise_precision"] == 0.5
    assert accuracy["pairwise_recall"] == 0.5
    assert accuracy["pairwise_f1"] == 0.5
    # clusters holding one person: {a,b}, {c} -> 2 of 3; persons found whole: Y? no (with f), Z? no,
    # X split -> Y and Z are each in one cluster (not split): 2 of 3 persons not split
    assert accuracy["cluster_precision"] == round(2 / 3, 5)
    assert accuracy["cluster_recall"] == round(2 / 3, 5)
    # exact: no cluster equals a true person ({d,e,f} mixes Y and Z; X is split)
    assert accuracy["exact_cluster_precision"] == 0.0
    assert accuracy["clusters_mixing_persons"] == 1 and accuracy["persons_split"] == 1
