"""``earlyhelp.link.link``: identity records in, pseudonymous ``person_link`` and report out.

Steps (each its own module): standardise (``prepare``), link on valid NHS numbers
(``deterministic``), score the remaining pairs with Splink 5 on DuckDB or Spark (``model``),
cluster under the source constraints (``cluster``), give each person a persistent keyed id
(``ids``), write ``person_link``, update the analytic tables (``analytic``) and write the
linkage quality report (``quality``).

Identifiers stay inside the DuckDB connection of this run: only record ids, pseudonymous
person ids and aggregate figures are written out.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from earlyhelp.console import steps
from earlyhelp.engine import ENGINES, EngineConfig
from earlyhelp.engine.connect import duckdb_connection
from earlyhelp.engine.connect import spark_session as new_spark_session
from earlyhelp.errors import DataError, UsageError
from earlyhelp.link import model as link_model
from earlyhelp.link.analytic import PARTNER_TABLE_SOURCE, update_analytic_tables
from earlyhelp.link.cluster import attach_fragments, constrained_clusters
from earlyhelp.link.deterministic import DeterministicSummary, link_by_nhs_number
from earlyhelp.link.ids import assign_person_ids
from earlyhelp.link.io import in_order, read_person_link, write_table
from earlyhelp.link.prepare import prepare_records
from earlyhelp.link.quality import TRUTH_COLUMNS, QualityInputs, truth_file, write_quality_report
from earlyhelp.privacy import link_secret
from earlyhelp.spec import codes, find_tables
from earlyhelp.validate.folder import EHLDFolder

MODEL_FILE = "link_model.json"
DEFAULT_TRAINING = link_model.Training()
# Pairs scored below this are not kept (they are not links and not borderline).
KEEP_PAIRS_FROM = 0.01
# Below the threshold, two pieces of a child that are each other's only plausible partner are
# still joined (cluster.attach_fragments) when their best pair is at least this likely.
ATTACH_FROM = 0.02


@dataclass
class LinkResult:
    out: Path
    records: int
    persons: int
    person_link: Path
    report_json: Path
    report_markdown: Path
    report_html: Path
    model: Path
    deterministic: DeterministicSummary
    pairs_scored: int
    ids: dict[str, int]
    accuracy: dict[str, float] | None
    seconds: dict[str, float] = field(default_factory=dict)
    analytic_updates: dict[str, int] = field(default_factory=dict)


def _check_analytic(analytic: Path | None) -> None:
    if analytic is None:
        return
    if not Path(analytic).is_dir():
        raise UsageError(
            f"--analytic {analytic} is not a folder.",
            hint="Point --analytic at the EHLD folder whose children and partner tables get person_id.",
        )
    if not ({"children", *PARTNER_TABLE_SOURCE} & set(find_tables(Path(analytic)))):
        raise UsageError(
            f"--analytic {analytic} holds no children or partner outcome table "
            f"({', '.join(['children', *PARTNER_TABLE_SOURCE])}).",
            hint="Point --analytic at the EHLD folder, or leave it out.",
        )


def _check_arguments(identities: Path, engine: str, threshold: float, model: Path | None) -> None:
    if engine not in ENGINES:
        raise UsageError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}.")
    if not (0 < threshold < 1) or math.isnan(threshold):
        raise UsageError(f"--threshold must be a probability between 0 and 1 (exclusive), not {threshold}.")
    if not Path(identities).is_dir():
        raise UsageError(f"--identities {identities} is not a folder.")
    if model is not None and not Path(model).is_file():
        raise UsageError(f"--model {model} does not exist.", hint="Omit --model to train a new model.")


def _load_identities(con: duckdb.DuckDBPyConnection, identities: Path) -> None:
    folder = EHLDFolder(identities)
    if "person_identifiers" not in folder:
        raise UsageError(
            f"{identities} holds no person_identifiers table (person_identifiers.csv or .parquet).",
            hint="Point --identities at the identity-zone folder.",
        )
    try:
        folder.register(con, ["person_identifiers"])
        con.execute("CREATE TEMP TABLE identity_records AS SELECT * FROM person_identifiers")
    except duckdb.Error:
        # DuckDB quotes the offending value; never repeat identity-zone content.
        raise DataError(
            f"person_identifiers in {identities} could not be read with the spec's types.",
            hint="Run `earlyhelp validate` on the folder to see which row and column is wrong.",
        ) from None
    bad_source = con.execute(
        "SELECT count(*) FROM identity_records WHERE source IS NULL OR source NOT IN "
        f"({', '.join(repr(s) for s in codes.SOURCES)})"
    ).fetchall()[0][0]
    if bad_source:
        raise DataError(
            f"{bad_source} person_identifiers rows have a missing or unknown source "
            f"(allowed: {', '.join(codes.SOURCES)})."
        )
    missing_id = con.execute("SELECT count(*) FROM identity_records WHERE source_record_id IS NULL").fetchall()[0][0]
    if missing_id:
        raise DataError(f"{missing_id} person_identifiers rows have no source_record_id.")
    duplicates = con.sql("""
        SELECT source, count(*) FROM (
            SELECT source, source_record_id FROM identity_records
            GROUP BY ALL HAVING count(*) > 1) GROUP BY source ORDER BY source
    """).fetchall()
    if duplicates:
        detail = ", ".join(f"{n} in {s}" for s, n in duplicates)
        raise DataError(f"source_record_id must be unique within its source; repeated ids: {detail}.")
    if con.execute("SELECT count(*) FROM identity_records").fetchall()[0][0] == 0:
        raise DataError(f"person_identifiers in {identities} has no rows.")


def _find_truth(identities: Path, truth: Path | None) -> Path | None:
    """The truth file for accuracy: in ``--truth`` (which must hold one), else in truth/ in or
    beside the identities folder when there is one."""
    if truth is not None:
        path = Path(truth)
        if not path.exists():
            raise UsageError(f"--truth {truth} does not exist.")
        found = truth_file(path)
        if found is None:
            raise UsageError(
                f"--truth {truth} holds no CSV or Parquet file with the columns {', '.join(sorted(TRUTH_COLUMNS))}.",
                hint="Synthetic England writes it as truth/person_records; leave --truth out otherwise.",
            )
        return found
    for candidate in (Path(identities) / "truth", Path(identities).parent / "truth"):
        if candidate.is_dir():
            return truth_file(candidate)
    return None


def _score_pairs(
    con: duckdb.DuckDBPyConnection,
    engine: str,
    model: Path | None,
    settings: Any,
    training: link_model.Training,
    model_out: Path,
    spark_session: Any,
    config: EngineConfig,
    seconds: dict[str, float],
    scratch: Path,
) -> dict[str, Any]:
    """Train (or load) the Splink model, score blocked pairs into table ``link_pairs``.

    Spark reads the records from, and writes the scored pairs to, Parquet in ``scratch`` (the
    run's private temporary folder, deleted at the end), so nothing passes through pandas.
    """
    from splink import Linker

    columns = ", ".join(link_model.SPLINK_COLUMNS)
    con.execute(f"CREATE OR REPLACE TEMP TABLE splink_input AS SELECT {columns} FROM link_records")
    if engine == "duckdb":
        from splink import DuckDBAPI

        records = DuckDBAPI(connection=con).register("splink_input", table_name="splink_records")
    else:
        from splink import SparkAPI
        from splink.backends.spark import similarity_jar_location

        spark = spark_session or new_spark_session(config)
        # Splink's Jaro-Winkler and friends live in its jar; a session made without it gets it here.
        spark.sql(f"ADD JAR '{similarity_jar_location()}'")
        records_path = scratch / "splink_input.parquet"
        con.execute(f"COPY splink_input TO '{records_path}' (FORMAT parquet)")
        frame = spark.read.parquet(str(records_path))
        records = SparkAPI(spark_session=spark, break_lineage_method="persist").register(
            frame, table_name="splink_records"
        )
    linker = Linker(records, settings, log_level=None)
    started = time.perf_counter()
    if model is None:
        n_records = con.execute("SELECT count(*) FROM splink_input").fetchall()[0][0]
        link_model.train(linker, n_records, training)
    link_model.save_model(linker, model_out)
    seconds["splink_training"] = round(time.perf_counter() - started, 2)
    predictions = linker.inference.predict(threshold_match_probability=KEEP_PAIRS_FROM)
    if engine == "duckdb":
        pairs = predictions.as_duckdbpyrelation()
    else:
        pairs_path = scratch / "splink_pairs"
        predictions.as_spark_dataframe().write.mode("overwrite").parquet(str(pairs_path))
        pairs = con.sql(f"SELECT * FROM read_parquet('{pairs_path}/*.parquet')")
    con.register("splink_pairs_view", pairs)
    con.execute("""
        CREATE OR REPLACE TEMP TABLE link_pairs AS
        SELECT unique_id_l, unique_id_r, match_probability, match_weight,
               * EXCLUDE (unique_id_l, unique_id_r, match_probability, match_weight)
        FROM splink_pairs_view
    """)
    con.unregister("splink_pairs_view")
    return link_model.load_model_dict(model_out)


def _model_settings(model: Path | None, kind: link_model.ModelKind):
    if model is None:
        return link_model.settings(kind)
    try:
        return link_model.settings(kind, trained=link_model.load_model_dict(model))
    except (ValueError, KeyError, TypeError) as error:
        raise UsageError(
            f"--model {model} is not a model saved by earlyhelp link ({error}).",
            hint="Use the link_model.json written to --out by an earlier run, or omit --model.",
        ) from None


def link(
    identities: Path,
    out: Path,
    engine: str = "duckdb",
    threshold: float = 0.9,
    model: Path | None = None,
    *,
    analytic: Path | None = None,
    previous: Path | None = None,
    truth: Path | None = None,
    output_format: str = "parquet",
    kind: link_model.ModelKind = "earlyhelp",
    training: link_model.Training = DEFAULT_TRAINING,
    spark_session: Any = None,
    config: EngineConfig | None = None,
    secret: str | None = None,
) -> LinkResult:
    """Link the identity records in ``identities`` into persons; write outputs to ``out``.

    ``previous``: an earlier ``person_link`` (file or folder) whose person_ids are carried
    forward; by default the one already in ``out``. ``analytic``: an EHLD folder whose
    ``children`` and partner outcome tables get their ``person_id`` rewritten in place.
    ``truth``: folder with (source, source_record_id, true_person_id); by default ``truth/``
    in or beside ``identities``. ``config`` sizes DuckDB and a local Spark session (default:
    from the environment); ``spark_session`` is an existing one (a cluster's) for Splink on Spark.
    ``secret``: the person_id key, when the caller holds it (default: ``EARLYHELP_LINK_SECRET``).
    """
    identities, out = Path(identities), Path(out)
    _check_arguments(identities, engine, threshold, model)
    _check_analytic(analytic)
    if output_format not in ("parquet", "csv"):
        raise UsageError(f"--format must be parquet or csv, not {output_format!r}.")
    secret_key = link_secret(secret)  # fail before any work when the secret is missing
    settings = _model_settings(model, kind)  # and when the model file is not ours
    out.mkdir(parents=True, exist_ok=True)
    previous = (
        previous
        if previous is not None
        else next((p for p in (out / "person_link.parquet", out / "person_link.csv") if p.exists()), None)
    )
    previous_link = read_person_link(previous) if previous is not None else None
    truth_path = _find_truth(identities, truth)
    seconds: dict[str, float] = {}
    started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        seconds[name] = round(now - started, 2)
        started = now

    config = config or EngineConfig.from_env()
    spill = Path(tempfile.mkdtemp(prefix="earlyhelp-link-", dir=config.temp_dir))
    con = duckdb_connection(config=config, stage="link", spill=spill, keep_insertion_order=False)
    try:
        with steps("Linking", 6) as advance:
            _load_identities(con, identities)
            n_records = prepare_records(con, "identity_records")
            con.execute("DROP TABLE identity_records")
            lap("prepare")
            advance("deterministic NHS step")
            if kind == "baseline":  # plain Splink: no deterministic step, every NHS number as given
                con.execute("ALTER TABLE link_records ADD COLUMN nhs_det VARCHAR")
                valid = con.execute("SELECT count(nhs_valid) FROM link_records").fetchall()[0][0]
                summary = DeterministicSummary(int(valid), 0, 0, 0)
            else:
                summary = link_by_nhs_number(con)
            lap("deterministic")
            advance("Splink model and scoring")
            model_out = out / MODEL_FILE
            model_dict = _score_pairs(
                con, engine, model, settings, training, model_out, spark_session, config, seconds, spill
            )
            pairs_scored = con.execute("SELECT count(*) FROM link_pairs").fetchall()[0][0]
            lap("splink")
            advance("clustering")
            labels, best_p, best_w, rejected, attached = _cluster(con, threshold, kind)
            lap("cluster")
            advance("persistent person ids")
            keys = in_order(con, "SELECT i, unique_id FROM link_records", "i")
            record_keys = keys.column("unique_id").to_numpy(zero_copy_only=False).astype(object)
            previous_ids = _previous_ids(record_keys, previous_link) if previous_link is not None else None
            person_ids, id_counts = assign_person_ids(record_keys, labels, secret_key, previous_ids)
            person_link = _person_link_table(con, person_ids, best_p, best_w, labels)
            con.register("person_link_arrow", person_link)
            con.execute("CREATE TEMP TABLE person_link AS SELECT * FROM person_link_arrow")
            con.unregister("person_link_arrow")
            link_path = write_table(person_link, out, "person_link", output_format)
            for stale in (out / f"person_link.{'csv' if output_format == 'parquet' else 'parquet'}",):
                stale.unlink(missing_ok=True)
            lap("person_ids")
            advance("analytic tables")
            analytic_updates = (
                update_analytic_tables(con, Path(analytic), previous_link) if analytic is not None else {}
            )
            lap("analytic")
            advance("quality report")
            report = write_quality_report(
                QualityInputs(
                    con=con,
                    out=out,
                    threshold=threshold,
                    engine=engine,
                    kind=kind,
                    deterministic=summary,
                    constraint_rejections=rejected,
                    model=model_dict,
                    truth=truth_path,
                    ids=id_counts,
                    seconds=seconds,
                    analytic=Path(analytic) if analytic else None,
                    attached_below_threshold=attached,
                )
            )
            lap("report")
        n_persons = int(labels.max()) + 1 if len(labels) else 0
        return LinkResult(
            out=out,
            records=n_records,
            persons=n_persons,
            person_link=link_path,
            report_json=report.json,
            report_markdown=report.markdown,
            report_html=report.html,
            model=model_out,
            deterministic=summary,
            pairs_scored=int(pairs_scored),
            ids=id_counts,
            accuracy=report.accuracy,
            seconds=seconds,
            analytic_updates=analytic_updates,
        )
    finally:
        con.close()
        shutil.rmtree(spill, ignore_errors=True)


def _cluster(con: duckdb.DuckDBPyConnection, threshold: float, kind: link_model.ModelKind):
    """Arrays for :func:`constrained_clusters`, in record order; returns its result."""
    records = in_order(
        con,
        """
        WITH det AS (SELECT nhs_det, (row_number() OVER (ORDER BY nhs_det) - 1)::BIGINT AS code
                     FROM (SELECT DISTINCT nhs_det FROM link_records WHERE nhs_det IS NOT NULL)),
             con AS (SELECT constraint_group, (row_number() OVER (ORDER BY constraint_group) - 1)::BIGINT AS code
                     FROM (SELECT DISTINCT constraint_group FROM link_records WHERE constraint_group IS NOT NULL))
        SELECT r.i, coalesce(det.code, -1) AS det, coalesce(con.code, -1) AS constraint_code
        FROM link_records r
        LEFT JOIN det USING (nhs_det)
        LEFT JOIN con USING (constraint_group)
    """,
        "i",
    )
    det = records.column("det").to_numpy().astype(np.int64)
    constraint = records.column("constraint_code").to_numpy().astype(np.int64)
    if kind == "baseline":
        constraint[:] = -1  # plain Splink: connected components, no source constraints
    edges = con.sql(f"""
        SELECT l.i AS a, r.i AS b, p.match_probability AS p, p.match_weight AS w
        FROM link_pairs p
        JOIN link_records l ON l.unique_id = p.unique_id_l
        JOIN link_records r ON r.unique_id = p.unique_id_r
        WHERE p.match_probability >= {min(float(threshold), ATTACH_FROM)}
    """).to_arrow_table()
    a, b = edges.column("a").to_numpy(), edges.column("b").to_numpy()
    p, w = edges.column("p").to_numpy(), edges.column("w").to_numpy()
    accepted = p >= float(threshold)
    result = constrained_clusters(len(det), det, constraint, a[accepted], b[accepted], p[accepted], w[accepted])
    label, best_p, attached = result.label, result.best_probability, 0
    if kind != "baseline":
        fragments = attach_fragments(label, constraint, best_p, a, b, p, floor=ATTACH_FROM)
        label, best_p, attached = fragments.label, fragments.best_probability, fragments.attached
    con.register("cluster_arrow", pa.table({"i": np.arange(len(det)), "cluster": label}))
    con.sql("""
        CREATE OR REPLACE TEMP TABLE record_cluster AS
        SELECT r.unique_id, c.cluster FROM link_records r JOIN cluster_arrow c USING (i)
    """)
    con.unregister("cluster_arrow")
    return label, best_p, result.best_weight, result.rejected_by_constraint, attached


def _previous_ids(record_keys: np.ndarray, previous_link: pa.Table) -> np.ndarray:
    keys = pc.binary_join_element_wise(previous_link.column("source"), previous_link.column("source_record_id"), "|")
    mapping = dict(zip(keys.to_pylist(), previous_link.column("person_id").to_pylist()))
    return np.array([mapping.get(k) for k in record_keys], dtype=object)


def _person_link_table(con, person_ids, best_p, best_w, labels) -> pa.Table:
    base = in_order(con, "SELECT i, source, source_record_id, nhs_det IS NOT NULL AS by_nhs FROM link_records", "i")
    by_nhs = base.column("by_nhs").to_numpy(zero_copy_only=False)
    sizes = np.bincount(labels)[labels] if len(labels) else np.zeros(0, np.int64)
    probability = np.where(by_nhs, 1.0, best_p)
    weight = np.where(by_nhs, np.nan, best_w)
    alone = sizes == 1
    probability[alone], weight[alone] = np.nan, np.nan
    return pa.table(
        {
            "source": base.column("source"),
            "source_record_id": base.column("source_record_id"),
            "person_id": pa.array(person_ids, pa.string()),
            "match_weight": pa.array(weight, pa.float64(), mask=np.isnan(weight)),
            "match_probability": pa.array(probability, pa.float64(), mask=np.isnan(probability)),
            "method": pa.array(np.where(by_nhs, "nhs_number", "probabilistic"), pa.string()),
        }
    )
