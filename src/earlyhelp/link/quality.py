"""The linkage quality report: JSON for machines, Markdown and HTML for people.

It holds only counts, shares, probabilities and record ids: never a name, date of birth,
postcode, NHS number or UPN. Borderline pairs are described by which comparison level each
field reached ("nickname or variant", "day and month swapped"), not by their values.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from earlyhelp.errors import DataError
from earlyhelp.link.deterministic import DeterministicSummary
from earlyhelp.link.prepare import LA_SOURCES
from earlyhelp.spec import find_tables
from earlyhelp.spec.files import SUFFIXES, columns_in_file, sql_literal
from earlyhelp.validate.folder import EHLDFolder

PROBABILITY_BINS = (0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.99, 0.999, 1.0000001)
BORDERLINE_PAIRS = 40
BORDERLINE_BELOW = 0.4  # pairs this far below the threshold are still shown for review


@dataclass
class QualityInputs:
    con: duckdb.DuckDBPyConnection
    out: Path
    threshold: float
    engine: str
    kind: str
    deterministic: DeterministicSummary
    constraint_rejections: int
    model: dict[str, Any]
    truth: Path | None  # a file holding TRUTH_COLUMNS (see truth_file)
    ids: dict[str, int]
    seconds: dict[str, float]
    analytic: Path | None = None
    attached_below_threshold: int = 0


@dataclass
class QualityReport:
    json: Path
    markdown: Path
    html: Path
    accuracy: dict[str, float] | None
    content: dict[str, Any]


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _record_facts(con: duckdb.DuckDBPyConnection) -> None:
    """Per record: its cluster, the cluster size and which sources the cluster holds."""
    con.execute("""
        CREATE OR REPLACE TEMP TABLE record_facts AS
        WITH clusters AS (
            SELECT c.cluster, count(*) AS size,
                   bool_or(r.source = 'health') AS has_health,
                   bool_or(r.source = 'education') AS has_education
            FROM record_cluster c JOIN link_records r USING (unique_id) GROUP BY c.cluster)
        SELECT r.unique_id, r.source, r.source_record_id, r.sex, r.dob, r.nhs_valid IS NOT NULL AS valid_nhs,
               r.forename_std IS NULL OR r.surname_std IS NULL OR r.dob IS NULL AS incomplete,
               c.cluster, k.size, k.has_health, k.has_education, l.method
        FROM link_records r JOIN record_cluster c USING (unique_id) JOIN clusters k USING (cluster)
        JOIN person_link l USING (source, source_record_id)
    """)


def _by_source(con) -> list[dict[str, Any]]:
    return _rows(
        con,
        """
        SELECT source, count(*) AS records,
               round(avg(valid_nhs::INT), 4) AS valid_nhs_share,
               round(avg((size > 1)::INT), 4) AS linked_share,
               round(avg((has_health AND source <> 'health')::INT) FILTER (WHERE source <> 'health'), 4)
                   AS linked_to_health_share,
               count(*) FILTER (WHERE method = 'nhs_number') AS by_nhs_number,
               count(*) FILTER (WHERE method = 'probabilistic' AND size > 1) AS by_probability
        FROM record_facts GROUP BY source ORDER BY source
    """,
    )


def _by_characteristic(con, analytic: Path | None) -> list[dict[str, Any]]:
    """Share of LA children's records linked to a health record, by group (linkage bias)."""
    la = ", ".join(f"'{s}'" for s in LA_SOURCES)
    groups = {
        "sex": "coalesce(sex, 'unknown')",
        "birth_years": "CASE WHEN dob IS NULL THEN 'unknown' ELSE "
        "(year(dob) // 5 * 5)::VARCHAR || '-' || (year(dob) // 5 * 5 + 4)::VARCHAR END",
        "nhs_number_on_record": "CASE WHEN valid_nhs THEN 'valid' ELSE 'missing or invalid' END",
        "name_and_birth_date": "CASE WHEN incomplete THEN 'something missing' ELSE 'complete' END",
    }
    rows: list[dict[str, Any]] = []
    for characteristic, expression in groups.items():
        for row in _rows(
            con,
            f"""
            SELECT {expression} AS "group", count(*) AS records,
                   round(avg(has_health::INT), 4) AS linked_to_health_share
            FROM record_facts WHERE source IN ({la}) GROUP BY ALL ORDER BY 1
        """,
        ):
            rows.append({"characteristic": characteristic, **row})
    if analytic is not None and "children" in find_tables(analytic):
        EHLDFolder(analytic).register(con, ["children"])
        for characteristic in ("ethnicity", "disabled", "idaci_decile"):
            for row in _rows(
                con,
                f"""
                SELECT coalesce(CAST(c.{characteristic} AS VARCHAR), 'unknown') AS "group",
                       count(*) AS records, round(avg(f.has_health::INT), 4) AS linked_to_health_share
                FROM children c JOIN record_facts f
                  ON f.source_record_id = c.child_id AND f.source IN ({la})
                GROUP BY ALL ORDER BY 1
            """,
            ):
                rows.append({"characteristic": characteristic, **row})
    return rows


def _distribution(con) -> list[dict[str, Any]]:
    edges = list(PROBABILITY_BINS)
    cases = " ".join(
        f"WHEN match_probability < {hi} THEN '{lo:g}-{min(hi, 1):g}'" for lo, hi in zip(edges[:-1], edges[1:])
    )
    return _rows(
        con,
        f"""
        SELECT CASE {cases} END AS probability, count(*) AS pairs
        FROM link_pairs GROUP BY ALL ORDER BY min(match_probability)
    """,
    )


def _level_weights(model: dict[str, Any]) -> dict[str, list[tuple[float, str]]]:
    """Per comparison: (match weight, label) of each level of a saved Splink model.

    Splink's predictions keep each comparison's weight (``mw_<name>``) but not its level, so
    the level is recovered from the weight: log2(m/u) is distinct for every level in practice.
    """
    import math

    weights: dict[str, list[tuple[float, str]]] = {}
    for comparison in model.get("comparisons", []):
        levels = []
        for level in comparison["comparison_levels"]:
            m, u = level.get("m_probability"), level.get("u_probability")
            if level.get("is_null_level"):
                levels.append((0.0, "missing"))
            elif m and u:
                levels.append((math.log2(m / u), level.get("label_for_charts", "")))
        weights[comparison["output_column_name"]] = levels
    return weights


def _level_of(weight: float | None, levels: list[tuple[float, str]]) -> str:
    if weight is None or not levels:
        return ""
    return min(levels, key=lambda level: abs(level[0] - weight))[1]


def _borderline(con, threshold: float, model: dict[str, Any]) -> list[dict[str, Any]]:
    levels = _level_weights(model)
    available = {r[0] for r in con.execute("DESCRIBE link_pairs").fetchall()}
    names = [name for name in levels if f"mw_{name}" in available]
    weight_sql = "".join(f", mw_{name}" for name in names)
    rows = _rows(
        con,
        f"""
        SELECT unique_id_l, unique_id_r, round(match_probability, 4) AS match_probability,
               round(match_weight, 2) AS match_weight{weight_sql}
        FROM link_pairs
        WHERE match_probability >= {max(0.0, threshold - BORDERLINE_BELOW)}
          AND match_probability < {threshold + (1 - threshold) / 2}
        ORDER BY abs(match_probability - {threshold}), unique_id_l, unique_id_r
        LIMIT {BORDERLINE_PAIRS}
    """,
    )
    pairs = []
    for row in rows:
        source_l, record_l = row["unique_id_l"].split("|", 1)
        source_r, record_r = row["unique_id_r"].split("|", 1)
        pair = {
            "record_1": f"{source_l} {record_l}",
            "record_2": f"{source_r} {record_r}",
            "match_probability": row["match_probability"],
            "match_weight": row["match_weight"],
        }
        for name in names:
            pair[name] = _level_of(row[f"mw_{name}"], levels[name])
        pairs.append(pair)
    return pairs


# What a truth table (synthetic England's truth/person_records) holds for accuracy.
TRUTH_COLUMNS = frozenset({"source", "source_record_id", "true_person_id"})


def truth_file(path: Path) -> Path | None:
    """The file at ``path`` (a file, or the first in a folder) that holds ``TRUTH_COLUMNS``."""
    files = [path] if path.is_file() else sorted(p for p in path.iterdir() if p.suffix.lower() in SUFFIXES)
    for file in files:
        try:
            if set(columns_in_file(file)) >= TRUTH_COLUMNS:
                return file
        except (DataError, OSError, pa.ArrowException):
            continue  # not a readable table: look at the next file
    return None


def _truth_table(con, file: Path) -> None:
    reader = "read_parquet" if file.suffix.lower() == ".parquet" else "read_csv_auto"
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE truth AS
        SELECT source::VARCHAR || '|' || source_record_id::VARCHAR AS unique_id,
               true_person_id::VARCHAR AS true_person_id
        FROM {reader}({sql_literal(file)})
    """)


def accuracy_against_truth(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    """Cluster-level accuracy of ``record_cluster`` against table ``truth``.

    Cluster: precision = share of clusters that hold one true person only; recall = share of
    true persons whose records are all in one cluster. Pairwise: the record pairs put in one
    cluster vs the pairs that are one true person (precision = true pairs found / pairs made).
    Exact: clusters identical to a true person.
    """
    row = _rows(
        con,
        """
        WITH joined AS (
            SELECT c.cluster, t.true_person_id FROM record_cluster c JOIN truth t USING (unique_id)),
        cells AS (SELECT cluster, true_person_id, count(*) AS n FROM joined GROUP BY ALL),
        predicted AS (SELECT cluster, count(*) AS n, count(DISTINCT true_person_id) AS people
                      FROM joined GROUP BY cluster),
        actual AS (SELECT true_person_id, count(*) AS n, count(DISTINCT cluster) AS clusters
                   FROM joined GROUP BY true_person_id)
        SELECT
            (SELECT sum(n * (n - 1) / 2) FROM cells) AS true_pairs_found,
            (SELECT sum(n * (n - 1) / 2) FROM predicted) AS pairs_made,
            (SELECT sum(n * (n - 1) / 2) FROM actual) AS true_pairs,
            (SELECT count(*) FROM predicted) AS clusters,
            (SELECT count(*) FROM actual) AS persons,
            (SELECT count(*) FROM predicted p JOIN cells c USING (cluster)
               JOIN actual a USING (true_person_id)
             WHERE p.people = 1 AND a.clusters = 1) AS exact_clusters,
            (SELECT count(*) FROM predicted WHERE people > 1) AS clusters_mixing_persons,
            (SELECT count(*) FROM actual WHERE clusters > 1) AS persons_split
    """,
    )[0]
    found, made, true = (float(row[k] or 0) for k in ("true_pairs_found", "pairs_made", "true_pairs"))
    precision = found / made if made else 1.0
    recall = found / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    exact = float(row["exact_clusters"])
    return {
        # a cluster is right when it holds one true person; a person is found when whole
        "cluster_precision": round(1 - row["clusters_mixing_persons"] / row["clusters"], 5) if row["clusters"] else 1.0,
        "cluster_recall": round(1 - row["persons_split"] / row["persons"], 5) if row["persons"] else 1.0,
        "pairwise_precision": round(precision, 5),
        "pairwise_recall": round(recall, 5),
        "pairwise_f1": round(f1, 5),
        "exact_cluster_precision": round(exact / row["clusters"], 5) if row["clusters"] else 1.0,
        "exact_cluster_recall": round(exact / row["persons"], 5) if row["persons"] else 1.0,
        "clusters": int(row["clusters"]),
        "true_persons": int(row["persons"]),
        "clusters_mixing_persons": int(row["clusters_mixing_persons"]),
        "persons_split": int(row["persons_split"]),
    }


def _model_summary(model: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for comparison in model.get("comparisons", []):
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            m, u = level.get("m_probability"), level.get("u_probability")
            rows.append(
                {
                    "comparison": comparison["output_column_name"],
                    "level": level.get("label_for_charts", ""),
                    "m_probability": None if m is None else round(m, 5),
                    "u_probability": None if u is None else float(f"{u:.3g}"),
                    "term_frequency_adjusted": bool(level.get("tf_adjustment_column")),
                }
            )
    return rows


def write_quality_report(inputs: QualityInputs) -> QualityReport:
    con = inputs.con
    _record_facts(con)
    totals = _rows(
        con,
        """
        SELECT count(*) AS records, count(DISTINCT cluster) AS persons,
               count(*) FILTER (WHERE method = 'nhs_number') AS linked_by_nhs_number,
               count(*) FILTER (WHERE method = 'probabilistic' AND size > 1) AS linked_by_probability,
               count(*) FILTER (WHERE size = 1) AS not_linked
        FROM record_facts
    """,
    )[0]
    accuracy = None
    if inputs.truth is not None:
        _truth_table(con, inputs.truth)
        accuracy = accuracy_against_truth(con)
    content: dict[str, Any] = {
        "run": {
            "engine": inputs.engine,
            "model": inputs.kind,
            "threshold": inputs.threshold,
            "pairs_scored_at_or_above": 0.01,
            "pairs_scored": con.execute("SELECT count(*) FROM link_pairs").fetchall()[0][0],
            "seconds": inputs.seconds,
        },
        "totals": totals,
        "deterministic_nhs_step": vars(inputs.deterministic),
        "links_refused_by_source_constraints": inputs.constraint_rejections,
        "pieces_attached_below_threshold": inputs.attached_below_threshold,
        "person_ids": inputs.ids,
        "by_source": _by_source(con),
        "linked_to_health_by_group": _by_characteristic(con, inputs.analytic),
        "match_probability_distribution": _distribution(con),
        "borderline_pairs": _borderline(con, inputs.threshold, inputs.model),
        "model": _model_summary(inputs.model),
        "accuracy": accuracy,
    }
    out = inputs.out
    json_path = out / "linkage_quality.json"
    json_path.write_text(json.dumps(content, indent=2, default=str), encoding="utf-8")
    md_path = out / "linkage_quality.md"
    md_path.write_text(_markdown(content), encoding="utf-8")
    html_path = out / "linkage_quality.html"
    html_path.write_text(_html(content), encoding="utf-8")
    return QualityReport(json_path, md_path, html_path, accuracy, content)


# ---------------------------------------------------------------------------- rendering
def _sections(content: dict[str, Any]) -> list[tuple[str, str, list[dict[str, Any]]]]:
    """(title, explanation, rows) for every table of the report, in reading order."""
    run = content["run"]
    overview = [{"figure": k.replace("_", " "), "value": v} for k, v in content["totals"].items()]
    overview += [
        {"figure": f"NHS step: {k.replace('_', ' ')}", "value": v} for k, v in content["deterministic_nhs_step"].items()
    ]
    overview.append(
        {"figure": "links refused by source constraints", "value": content["links_refused_by_source_constraints"]}
    )
    overview.append(
        {
            "figure": "pieces of a child joined below the threshold (mutual best, no rival)",
            "value": content["pieces_attached_below_threshold"],
        }
    )
    overview += [{"figure": f"person ids {k.replace('_', ' ')}", "value": v} for k, v in content["person_ids"].items()]
    overview.append({"figure": "pairs scored (probability at least 0.01)", "value": run["pairs_scored"]})
    sections = [
        ("Overview", f"Engine {run['engine']}, model {run['model']}, threshold {run['threshold']}.", overview),
    ]
    if content["accuracy"]:
        sections.append(
            (
                "Accuracy against truth",
                "Cluster precision: share of persons found that are one true person; cluster "
                "recall: share of true persons found whole. Pairwise: record pairs placed in "
                "one person vs pairs that truly are one person. Exact: clusters identical to "
                "a true person.",
                [{"measure": k.replace("_", " "), "value": v} for k, v in content["accuracy"].items()],
            )
        )
    sections += [
        ("Match rates by source", "Linked share: records joined to at least one other record.", content["by_source"]),
        (
            "Linked to a health record, by group (LA children's records)",
            "Lower rates for a group mean its outcomes are under-counted after linkage: check for bias.",
            content["linked_to_health_by_group"],
        ),
        ("Distribution of match probabilities (scored pairs)", "", content["match_probability_distribution"]),
        (
            "Borderline pairs for clerical review",
            "Values are masked: each field shows only how it compared.",
            content["borderline_pairs"],
        ),
        ("Model parameters", "m: share of true matches at this level; u: share of non-matches.", content["model"]),
    ]
    return sections


def _markdown(content: dict[str, Any]) -> str:
    lines = ["# Linkage quality report", ""]
    for title, explanation, rows in _sections(content):
        lines += [f"## {title}", ""]
        if explanation:
            lines += [explanation, ""]
        if not rows:
            lines += ["(none)", ""]
            continue
        header = list(rows[0].keys())
        lines.append("| " + " | ".join(h.replace("_", " ") for h in header) + " |")
        lines.append("|" + "---|" * len(header))
        for row in rows:
            lines.append("| " + " | ".join("" if row.get(h) is None else str(row.get(h)) for h in header) + " |")
        lines.append("")
    return "\n".join(lines)


def _html(content: dict[str, Any]) -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Linkage quality report</title>",
        "<style>body{font-family:sans-serif;max-width:70em;margin:2em auto;padding:0 1em}"
        "table{border-collapse:collapse;margin-bottom:1.5em}th,td{border:1px solid #bbb;"
        "padding:.25em .6em;text-align:left}th{background:#eee}</style></head><body>",
        "<h1>Linkage quality report</h1>",
    ]
    for title, explanation, rows in _sections(content):
        parts.append(f"<h2>{html.escape(title)}</h2>")
        if explanation:
            parts.append(f"<p>{html.escape(explanation)}</p>")
        if not rows:
            parts.append("<p>(none)</p>")
            continue
        header = list(rows[0].keys())
        parts.append(
            "<table><thead><tr>"
            + "".join(f"<th scope='col'>{html.escape(h.replace('_', ' '))}</th>" for h in header)
            + "</tr></thead><tbody>"
        )
        for row in rows:
            parts.append(
                "<tr>"
                + "".join(f"<td>{html.escape('' if row.get(h) is None else str(row.get(h)))}</td>" for h in header)
                + "</tr>"
            )
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)
