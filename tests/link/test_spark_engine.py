"""The Spark engine gives the same clusters as DuckDB on a 20,000-record sample."""

from __future__ import annotations

import pyarrow.parquet as pq
import pytest

from earlyhelp.synth.identities import make_identity_records, synthetic_people


@pytest.mark.spark
@pytest.mark.slow
def test_spark_and_duckdb_give_the_same_clusters(spark, tmp_path, secret):
    from earlyhelp.link import link

    people, la_records = synthetic_people(6900, seed=33)
    identifiers, _truth = make_identity_records(people, la_records, seed=34)
    assert 19_000 <= identifiers.num_rows <= 21_000
    (tmp_path / "identities").mkdir()
    pq.write_table(identifiers, tmp_path / "identities" / "person_identifiers.parquet")

    on_duckdb = link(tmp_path / "identities", tmp_path / "duckdb")
    # the model trained on DuckDB, scored on Spark: same parameters, so the same pairs and clusters
    on_spark = link(
        tmp_path / "identities", tmp_path / "spark", engine="spark", model=on_duckdb.model, spark_session=spark
    )

    def partition(path):
        frame = pq.read_table(path).to_pandas()
        frame["key"] = frame.source + "|" + frame.source_record_id
        return {frozenset(keys) for _, keys in frame.groupby("person_id").key}

    duck_clusters, spark_clusters = partition(on_duckdb.person_link), partition(on_spark.person_link)
    assert len(duck_clusters) < identifiers.num_rows / 2  # records really were linked
    assert spark_clusters == duck_clusters
    assert on_spark.pairs_scored == on_duckdb.pairs_scored
    # same clusters, same anchors, same secret: the same person_ids
    duck_ids = pq.read_table(on_duckdb.person_link).column("person_id").to_pylist()
    assert pq.read_table(on_spark.person_link).column("person_id").to_pylist() == duck_ids
