"""Linkage: one pseudonymous child across social care, early help, health, schools and police.

``link(identities, out)`` reads the identity-zone table ``person_identifiers``, links records
that share a valid NHS number (unless names or birth dates flatly disagree), scores the rest
with Splink 5 (DuckDB, or Spark for national scale), clusters under the source constraints,
and writes ``person_link`` with a persistent keyed ``person_id``, the updated analytic tables
and a linkage quality report. See docs/link.md.
"""

from earlyhelp.link.cluster import constrained_clusters
from earlyhelp.link.deterministic import flat_disagreement_sql
from earlyhelp.link.ids import assign_person_ids
from earlyhelp.link.model import Training, settings
from earlyhelp.link.pipeline import ENGINES, LinkResult, link
from earlyhelp.link.prepare import SOURCE_RULES, SourceRule
from earlyhelp.link.quality import accuracy_against_truth

__all__ = [
    "ENGINES", "LinkResult", "SOURCE_RULES", "SourceRule", "Training", "accuracy_against_truth",
    "assign_person_ids", "constrained_clusters", "flat_disagreement_sql", "link", "settings",
]
