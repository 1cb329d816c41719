"""Writing the static site: ``index.html`` (stylesheet and charts inline), each chart as an SVG file and a PNG
(for pasting into documents), and the published CSV it was built from. Nothing on the page loads anything from the network."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import jinja2
from markupsafe import Markup

from earlyhelp import __version__
from earlyhelp.errors import DataError, UsageError
from earlyhelp.indicators.reasons import LA_SCOPE, NOTES_FILE, Note, read_notes
from earlyhelp.publish import PUBLISHED_FILE, page_notice
from earlyhelp.report.analyses import AnalysisFolders, AnalysisSection, build_analyses
from earlyhelp.report.catalogue import format_number, indicator
from earlyhelp.report.charts import Cell, Chart, build_charts, context_for, headlines, to_png
from earlyhelp.report.neighbours import NeighboursSection, neighbours_section
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


def _la_code(published: Published, la: str | None) -> str | None:
    """The LA's code in the published file: as given, or what a DfE number or name resolves to."""
    if la is None or any(area.code.upper() == la.strip().upper() for area in published.local_authorities()):
        return la
    from earlyhelp.reference import resolve_la

    return resolve_la(la)


def _reported_notes(notes: list[Note], area_shown: bool) -> list[str]:
    """The reasons the page gives: every LA-level one, and the England and regional ones in one
    sentence per reason (they repeat for every indicator)."""
    lines = [note.line() for note in notes if note.scope == LA_SCOPE]
    by_reason: dict[str, list[str]] = {}
    for note in notes:
        if note.scope != LA_SCOPE and area_shown:
            by_reason.setdefault(note.reason, [])
            if note.label not in by_reason[note.reason]:
                by_reason[note.reason].append(note.label)
    lines += [f"England and regions, {', '.join(labels)}: {reason}." for reason, labels in by_reason.items()]
    return lines


def check_not_empty(charts: list[Chart], section: NeighboursSection | None, reasons: list[str]) -> None:
    """A report with no chart is an error (exit 1) that says why, unless an empty one was asked for."""
    if any(chart.drawn for chart in charts) or (section is not None and section.drawn):
        return
    why = "\n".join(f"  {line}" for line in reasons[:20]) or "  every published figure is a symbol (c, x or z)"
    raise DataError(
        f"The report would have no chart: none of the published figures can be drawn.\n{why}",
        hint="Supply the returns the figures need (see indicators_notes.csv), or pass --allow-empty to write "
        "the report anyway.",
    )


def _write_chart(out: Path, chart_id: str, svg: str) -> None:
    (out / "charts" / f"{chart_id}.svg").write_text(svg, encoding="utf-8")
    (out / "charts" / f"{chart_id}.png").write_bytes(to_png(svg))


def _copy_sources(out: Path, sections: list[AnalysisSection]) -> dict[str, list[str]]:
    """Each analysis's input files into ``data/<section>/``; returns their links, per section."""
    links: dict[str, list[str]] = {}
    for section in sections:
        folder = out / "data" / section.id
        folder.mkdir(parents=True, exist_ok=True)
        for source in section.sources:
            shutil.copyfile(source, folder / source.name)
            links.setdefault(section.id, []).append(f"data/{section.id}/{source.name}")
    return links


def render_report(
    published_csv: Path,
    out: Path,
    la: str | None = None,
    allow_empty: bool = False,
    analyses: AnalysisFolders | None = None,
) -> Path:
    """Write the report site for ``published_csv`` (a file or a folder holding one) into ``out``.

    Returns ``out / "index.html"``. ``la`` is an LA (ONS code, DfE number or name) to report on it
    against its region, England and its statistical neighbours; without it the report is for
    England. ``analyses`` names the output folders of evaluate, thresholds, fund and whatif whose
    sections the report shows. A report with no chart is a :class:`DataError` unless ``allow_empty``.
    """
    published = Published.read(Path(published_csv))
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a folder.")
    ctx = context_for(published, _la_code(published, la))
    cards, headline_table = headlines(ctx)
    charts = build_charts(ctx)
    neighbours = neighbours_section(ctx)
    sections, missing = build_analyses(analyses, ctx.focus.code if ctx.is_la else None)
    notes_file = published.source.parent / NOTES_FILE
    reasons = _reported_notes(read_notes(notes_file), area_shown=True)
    if not allow_empty:
        check_not_empty(charts, neighbours, reasons)

    (out / "charts").mkdir(parents=True, exist_ok=True)
    (out / "data").mkdir(exist_ok=True)
    for chart in charts + [chart for section in sections for chart in section.charts]:
        if chart.svg is not None:
            _write_chart(out, chart.id, chart.svg)
    if neighbours is not None and neighbours.svg is not None:
        _write_chart(out, neighbours.id, neighbours.svg)
    # The site carries the exact file it shows, so readers can check and reuse the figures.
    for source in (published.source, published.meta_file, notes_file):
        copy = out / "data" / (PUBLISHED_FILE if source == published.source else source.name)
        if source.is_file() and source.resolve() != copy.resolve():
            shutil.copyfile(source, copy)
    analysis_files = _copy_sources(out, sections)

    periods = published.periods
    page = (
        _environment()
        .get_template("index.html")
        .render(
            ctx=ctx,
            cards=cards,
            headline_table=headline_table,
            charts=charts,
            neighbours=neighbours,
            analyses=sections,
            analysis_files=analysis_files,
            missing_analyses=missing,
            reasons=reasons,
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
