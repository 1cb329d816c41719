"""``earlyhelp report``: write the static report site."""

from __future__ import annotations

from pathlib import Path

import click

from earlyhelp.cli_options import data_option, force_option, la_option, out_option, path_option
from earlyhelp.errors import UsageError
from earlyhelp.output_folder import moved_path, staged_output


@click.command("report")
@data_option("EHLD folder (or warehouse) to compute the indicators from.")
@path_option(
    "--indicators",
    "indicators",
    help="Folder (or file) with an existing indicators_published.csv: skip computing.",
)
@out_option("Folder to write the site into (index.html, charts, data).")
@la_option(
    "--la",
    "--la-code",
    "la",
    unlisted_codes=True,
    help="An LA to report on against its region, England and its statistical neighbours (default: England).",
)
@click.option(
    "--allow-empty",
    is_flag=True,
    help="Write the report even when no chart can be drawn (otherwise that is an error, exit 1, saying why).",
)
@path_option(
    "--evaluation", "evaluation", help="The --out folder of `earlyhelp evaluate`: adds the evaluation section."
)
@path_option(
    "--thresholds", "thresholds", help="The --out folder of `earlyhelp thresholds`: adds the thresholds section."
)
@path_option("--funding", "funding", help="The --out folder of `earlyhelp fund`: adds the funding section.")
@path_option("--whatif", "whatif", help="The --out folder of `earlyhelp whatif`: adds the what-if section.")
@force_option("report")
def report(
    data: Path | None,
    indicators: Path | None,
    out: Path,
    la: str | None,
    allow_empty: bool,
    evaluation: Path | None,
    thresholds: Path | None,
    funding: Path | None,
    whatif: Path | None,
    force: bool,
) -> None:
    """Write the report: charts and tables of the published indicators, as a static site.

    Works offline: open OUT/index.html in any browser, or serve the folder from any web server.
    The analysis sections appear for the folders given (--evaluation, --thresholds, --funding,
    --whatif); the page lists the ones not given.
    """
    from earlyhelp.report import AnalysisFolders, build_report, render_report

    analyses = AnalysisFolders(evaluation, thresholds, funding, whatif)
    if (data is None) == (indicators is None):
        raise UsageError(
            "Give exactly one of --data DIR (compute the indicators) or --indicators DIR "
            "(use an existing indicators_published.csv)."
        )
    if data is not None and not data.exists():
        raise UsageError(f"{data} does not exist.")
    with staged_output(out, "report", force) as staging:
        if data is not None:
            index = build_report(data, staging, la=la, allow_empty=allow_empty, analyses=analyses)
        else:
            assert indicators is not None  # exactly one of the two, checked above
            index = render_report(indicators, staging, la=la, allow_empty=allow_empty, analyses=analyses)
    click.echo(f"Report written to {moved_path(index, staging, out)}")
