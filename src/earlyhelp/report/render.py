"""Writing the static site: ``index.html`` (stylesheet and charts inline), each chart as an SVG file and a PNG
(for pasting into documents), and the published CSV it was built from. Nothing on the page loads anything from the network."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from earlyhelp import __version__
from earlyhelp.errors import UsageError
from earlyhelp.publish import PUBLISHED_FILE, page_notice
from earlyhelp.report.catalogue import format_number, indicator
from earlyhelp.report.charts import Cell, build_charts, context_for, headlines, to_png
from earlyhelp.report.published import Published
from earlyhelp.spec.periods import label as period_label


def _unit_text(cell: Cell) -> Markup:
    """A published cell with its unit, e.g. ``4.3%``, for the headline cards.

    Word units (``per 10,000``, ``days``) go in a smaller span so a big figure stays on one line.
    """
    if cell.source is None:
        return Markup.escape(cell.text)
    unit = indicator(cell.source.indicator).unit
    text = format_number(cell.source.cell(cell.field or "value"), unit)
    number = format_number(cell.source.cell(cell.field or "value"), unit, with_unit=False)
    if text.startswith(number + " ") and text != number:
        return Markup('{}<span class="unit">{}</span>').format(number, text[len(number) :])
    return Markup.escape(text)


def _environment() -> jinja2.Environment:
    templates = resources.files("earlyhelp.report") / "templates"
    environment = jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: (templates / name).read_text(encoding="utf-8")),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.globals["unit_text"] = _unit_text
    return environment


def render_report(published_csv: Path, out: Path, la: str | None = None) -> Path:
    """Write the report site for ``published_csv`` (a file or a folder holding one) into ``out``.

    Returns ``out / "index.html"``. ``la`` is an LA's ONS code to report on it against its
    region and England; without it the report is for England.
    """
    published = Published.read(Path(published_csv))
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder.")
    ctx = context_for(published, la)
    cards, headline_table = headlines(ctx)
    charts = build_charts(ctx)

    (out / "charts").mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    for chart in charts:
        if chart.svg is not None:
            (out / "charts" / f"{chart.id}.svg").write_text(chart.svg, encoding="utf-8")
            (out / "charts" / f"{chart.id}.png").write_bytes(to_png(chart.svg))
    # The site carries the exact file it shows, so readers can check and reuse the figures.
    for source in (published.source, published.meta_file):
        copy = out / "data" / (PUBLISHED_FILE if source == published.source else source.name)
        if source.is_file() and source.resolve() != copy.resolve():
            shutil.copyfile(source, copy)

    periods = published.periods
    page = (
        _environment()
        .get_template("index.html")
        .render(
            ctx=ctx,
            cards=cards,
            headline_table=headline_table,
            charts=charts,
            symbols=published.symbols,
            # Our own wording around a number (no markup); kept unescaped as the page always had it.
            disclosure_notice=Markup(page_notice(published.threshold)),
            version=__version__,
            # Inline, so index.html alone still looks right when emailed or opened from anywhere.
            css=(resources.files("earlyhelp.report") / "static" / "report.css").read_text(encoding="utf-8"),
            data_href=f"data/{PUBLISHED_FILE}",
            source_name=PUBLISHED_FILE,
            first_period=period_label(periods[0]),
            latest_period=period_label(periods[-1]),
        )
    )
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
