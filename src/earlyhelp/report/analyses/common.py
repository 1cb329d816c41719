"""What the analysis sections share: the section itself, reading another command's output files,
and writing figures for reading.

An analysis section shows the files another command wrote (``earlyhelp evaluate``, ``thresholds``,
``fund``, ``whatif``). Those files are already fit to publish (each command applies its own
disclosure control), so the report only reads, formats and draws them; it recomputes nothing but
differences, percentage changes and funnel limits, each named where it is shown.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import altair as alt
import pandas as pd

from earlyhelp import reference
from earlyhelp.errors import DataError
from earlyhelp.report.charts import GREY, Cell, Chart, DataTable, to_svg


@dataclass
class AnalysisSection:
    """One analysis on the page: plain-English paragraphs, charts (each with its table), further
    tables, notes, and the files it was read from (copied into the site's ``data/<id>/``)."""

    id: str
    title: str
    paragraphs: list[str]
    charts: list[Chart] = field(default_factory=list)
    tables: list[tuple[str, DataTable]] = field(default_factory=list)  # after the charts: (id, table)
    lead_tables: list[tuple[str, DataTable]] = field(default_factory=list)  # before them
    notes: list[str] = field(default_factory=list)
    sources: list[Path] = field(default_factory=list)

    @property
    def drawn(self) -> bool:
        return any(chart.drawn for chart in self.charts)


@dataclass(frozen=True)
class MissingAnalysis:
    """An analysis the report was not given: what it would show and how to add it."""

    id: str
    title: str
    how: str


def read_table(folder: Path, name: str, columns: Iterable[str], command: str) -> pd.DataFrame:
    """``folder/name`` as text (published cells stay as written), with ``columns`` required."""
    path = folder / name
    if not path.is_file():
        raise DataError(
            f"{folder} has no {name}, so it is not the output of `earlyhelp {command}`.",
            hint=f"Give the --out folder of `earlyhelp {command}`.",
        )
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as error:
        raise DataError(
            f"{path} cannot be read as CSV ({type(error).__name__}).",
            hint=f"Run `earlyhelp {command}` again.",
        ) from None
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise DataError(
            f"{path} is not the {name} `earlyhelp {command}` writes: missing column(s) {', '.join(missing)}.",
            hint=f"Run `earlyhelp {command}` again with this version of earlyhelp.",
        )
    return frame


def optional_table(folder: Path, name: str, columns: Iterable[str], command: str) -> pd.DataFrame | None:
    return read_table(folder, name, columns, command) if (folder / name).is_file() else None


def number(text: object) -> float | None:
    """A cell as a number; blank, a symbol (``c``) or anything else that is not a finite number is None."""
    try:
        value = float(str(text).replace(",", ""))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def fixed(value: float | None, digits: int) -> str:
    """``-16.12`` -> ``-16.1`` (``digits`` 1); a true minus sign is left to the browser's font: plain ``-``."""
    if value is None:
        return ""
    shown = f"{value:,.{digits}f}"
    return "0" + shown[2:] if shown.startswith("-0") and float(shown.replace(",", "")) == 0 else shown


def pounds(value: float | None) -> str:
    """Whole pounds for an LA, millions and billions for England: ``£1.97bn``, ``£8.2m``, ``£512``."""
    if value is None:
        return ""
    sign = "-" if value < 0 else ""
    size = abs(value)
    if size >= 1e9:
        return f"{sign}£{size / 1e9:.2f}bn"
    if size >= 1e6:
        return f"{sign}£{size / 1e6:.1f}m"
    return f"{sign}£{size:,.0f}"


def interval(
    estimate: float | None, low: float | None, high: float | None, digits: int, scale: float = 1, named: bool = False
) -> str:
    """``-16.1 (-35.4 to 3.2)``, or ``-16.1 (95% CI -35.4 to 3.2)`` when ``named``; blank without an estimate."""
    if estimate is None:
        return ""
    text = fixed(estimate * scale, digits)
    if low is not None and high is not None:
        text += f" ({'95% CI ' if named else ''}{fixed(low * scale, digits)} to {fixed(high * scale, digits)})"
    return text


def la_names() -> dict[str, str]:
    return reference.local_authorities().set_index("la_code")["la_name"].to_dict()


def text_cell(text: str) -> Cell:
    return Cell(text)


def header(text: str) -> Cell:
    return Cell(text, row_header=True)


def drawn(chart: Chart) -> Chart:
    """Render ``chart.spec`` to its accessible SVG (title and a description read out)."""
    if chart.spec is not None:
        chart.svg = to_svg(chart.spec, chart.id, chart.title, chart.summary or chart.description)
    return chart


def table(caption: str, columns: list[str], rows: list[list[Cell]]) -> DataTable:
    return DataTable(caption=caption, columns=columns, rows=rows)


def interval_dots(
    frame: pd.DataFrame,
    y: alt.Y,
    colour: alt.Color,
    shape: alt.Shape,
    *,
    value: str,
    low: str,
    high: str,
    x_title: str,
    zero_colour: str = GREY,
    interval_colour: str | None = None,
    size: int = 90,
) -> list[alt.Chart]:
    """The layers of a dot plot of estimates with intervals against a dashed line at zero: one row
    per ``y``, its interval ``low`` to ``high`` as a line (in the dots' colours unless
    ``interval_colour`` is given) and its ``value`` as a dot."""
    return [
        alt.Chart(pd.DataFrame({"zero": [0.0]})).mark_rule(color=zero_colour, strokeDash=[4, 3]).encode(x="zero:Q"),
        alt.Chart(frame)
        .mark_rule(color=interval_colour or alt.Undefined, strokeWidth=2)
        .encode(
            x=alt.X(f"{low}:Q", title=x_title),
            x2=f"{high}:Q",
            y=y,
            color=colour if interval_colour is None else alt.Undefined,
        ),
        alt.Chart(frame)
        .mark_point(filled=True, size=size, opacity=1)
        .encode(x=f"{value}:Q", y=y, color=colour, shape=shape),
    ]


__all__ = [
    "AnalysisSection",
    "MissingAnalysis",
    "drawn",
    "fixed",
    "header",
    "interval",
    "interval_dots",
    "la_names",
    "number",
    "optional_table",
    "pounds",
    "read_table",
    "table",
    "text_cell",
]
