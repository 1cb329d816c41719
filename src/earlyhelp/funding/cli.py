"""`earlyhelp fund`: early intervention spend, headline figures and a national grant allocation."""

from __future__ import annotations

from pathlib import Path

import click

from earlyhelp.cli_options import echo_files, force_option, out_option
from earlyhelp.output_folder import staged_output


@click.command("fund")
@out_option("Folder for funding_summary.csv, allocation.csv, funding.md and the other funding files.")
@click.option(
    "--formula",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Grant formula file (TOML; keys in docs/funding.md). Default: the shipped formula.",
)
@force_option("fund")
def fund(out: Path, formula: Path | None, force: bool) -> None:
    """Early intervention spend in real terms from the shipped LA panel, the published headline figures
    beside the computed ones, and a national early help grant shared by a formula."""
    from earlyhelp.funding import run

    with staged_output(out, "fund", force) as staging:
        result = run(staging, formula)
    for row in result.headlines:
        published = "" if row.published_value is None else f" (published {row.published_value:,.4g})"
        click.echo(f"{row.measure}: {row.value:,.4g}{published}")
    click.echo(
        f"Allocated £{result.pot:,} in whole pounds. Files (LA aggregates of public spend, no suppression needed):"
    )
    echo_files(result.files, staging, out)
