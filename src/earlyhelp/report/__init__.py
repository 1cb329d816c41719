"""The report: a self-contained static site of charts and tables from the published indicators.

``build_report(data, out)`` computes the indicators for an EHLD folder (or warehouse) with
``earlyhelp.indicators.compute`` and renders them; ``render_report(published_csv, out)`` renders
an ``indicators_published.csv`` that already exists. Only disclosure-controlled figures are read.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from earlyhelp.errors import EarlyhelpError
from earlyhelp.report.analyses import AnalysisFolders
from earlyhelp.report.charts import CHARTS, Chart, Context, build_charts, context_for, headlines
from earlyhelp.report.funnel import limits as control_limits
from earlyhelp.report.published import PUBLISHED_COLUMNS, PUBLISHED_FILE, Published
from earlyhelp.report.render import render_report


def build_report(
    data: Path,
    out: Path,
    la: str | None = None,
    allow_empty: bool = False,
    analyses: AnalysisFolders | None = None,
) -> Path:
    """Compute the indicators for ``data`` and write ``out/index.html``.

    ``out/data`` receives only the published (disclosure-controlled) CSV and its metadata: the
    other files ``compute`` writes (the spec-layout ``indicators.csv`` and the internal,
    unsuppressed ``internal/indicators_unsuppressed.csv``) are left in a temporary folder and
    deleted, because everything under ``out`` is meant to be publishable.
    """
    try:
        from earlyhelp.indicators import compute
    except ImportError as error:  # the indicators stage is not installed
        raise EarlyhelpError(
            "The indicators stage is not available, so the report cannot compute figures.",
            hint="Pass an existing indicators folder instead: earlyhelp report --indicators DIR.",
        ) from error
    with tempfile.TemporaryDirectory(prefix="earlyhelp-indicators-") as scratch:
        compute(Path(data), Path(scratch))
        return render_report(
            Path(scratch) / PUBLISHED_FILE, Path(out), la=la, allow_empty=allow_empty, analyses=analyses
        )


__all__ = [
    "CHARTS",
    "PUBLISHED_COLUMNS",
    "PUBLISHED_FILE",
    "AnalysisFolders",
    "Chart",
    "Context",
    "Published",
    "build_charts",
    "build_report",
    "context_for",
    "control_limits",
    "headlines",
    "render_report",
]
