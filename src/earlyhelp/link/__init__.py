"""Linkage: one pseudonymous child across social care, early help, health, schools and police.

``link(identities, out)`` reads the identity-zone table ``person_identifiers``, links records
that share a valid NHS number (unless names and birth dates flatly disagree), scores the rest
with Splink 5 (DuckDB, or Spark for national scale), clusters under the source constraints,
and writes ``person_link`` with a persistent keyed ``person_id``, the updated analytic tables
and a linkage quality report. ``link_warehouse(warehouse, identity_warehouse, out)`` does the
same over an LA's two DuckDB warehouses (the portal's). See docs/link.md.

Names are imported on first use, so ``earlyhelp link --help`` does not load Splink.
"""

from __future__ import annotations

import importlib
from typing import Any

from earlyhelp.engine import ENGINES

_EXPORTS = {
    "LinkResult": "earlyhelp.link.pipeline",
    "link": "earlyhelp.link.pipeline",
    "link_warehouse": "earlyhelp.link.warehouse",
    "Training": "earlyhelp.link.model",
    "settings": "earlyhelp.link.model",
    "constrained_clusters": "earlyhelp.link.cluster",
    "attach_fragments": "earlyhelp.link.cluster",
    "flat_disagreement_sql": "earlyhelp.link.deterministic",
    "assign_person_ids": "earlyhelp.link.ids",
    "SOURCE_RULES": "earlyhelp.link.prepare",
    "SourceRule": "earlyhelp.link.prepare",
    "accuracy_against_truth": "earlyhelp.link.quality",
}

__all__ = ["ENGINES", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'earlyhelp.link' has no attribute {name!r}")
