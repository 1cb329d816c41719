"""The report: a self-contained static site of charts and tables from the published indicators.

``build_report(data, out)`` computes the indicators for an EHLD folder (or warehouse) with
``earlyhelp.indicators.compute`` and renders them; ``render_report(published_csv, out)`` renders
an ``indicators_published.csv`` that already exists. Only disclosure-controlled figures are read.
"""

from __future__ import annotations

from pathlib import Path

from earlyhelp.errors import EarlyhelpError
from earlyhelp.report.charts import CHARTS, Chart, Context, build_charts, context_for, headlines
from earlyhelp.report.funnel import limits as control_limits
from earlyhelp.report.published import PUBLISHED_COLUMNS, PUBLISHED_FILE, Published
from earlyhelp.report.render import render_report


def build_report(data: Path, out: Path, la: str | None = None) -> Path:
    """Compute the indicators for ``data`` into ``out/data`` and write ``out/index.html``."""
    try:
        from earlyhelp.indicators import compute
    except ImportError as error:  # the indicators stage is not installed
        raise EarlyhelpError(
            "The indicators stage is not available, so the report cannot compute figures.",
            hint="Pass an existing indicators folder instead: earlyhelp report --indicators DIR.",
        ) from error
    out = Path(out)
    indicators_dir = out / "data"
    indicators_dir.mkdir(parents=True, exist_ok=True)
    compute(Path(data), indicators_dir)
    return render_report(indicators_dir / PUBLISHED_FILE, out, la=la)


__all__ = [
    "CHARTS", "PUBLISHED_COLUMNS", "PUBLISHED_FILE", "Chart", "Context", "Published",
    "build_charts", "build_report", "context_for", "control_limits", "headlines", "render_report",
]
