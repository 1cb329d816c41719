"""`earlyhelp thresholds`: a case-mix-adjusted threshold index per LA and decision, and what explains LA variation."""

from __future__ import annotations

from pathlib import Path

import click

from earlyhelp.cli_options import (
    data_option,
    echo_files,
    existing_input,
    force_option,
    out_option,
    suppression_threshold_option,
    warehouse_input_option,
)
from earlyhelp.output_folder import staged_output


@click.command("thresholds")
@data_option("EHLD folder (CSV or Parquet).")
@warehouse_input_option
@out_option("Folder for threshold_index.csv, the LA-level tables, the charts and thresholds.md.")
@suppression_threshold_option(
    "An LA's index for a decision is published only with at least this many events (and non-events).",
    click.IntRange(min=1),
)
@force_option("thresholds")
def thresholds(data: Path | None, warehouse: Path | None, out: Path, suppression_threshold: int, force: bool) -> None:
    """Where LAs' decisions differ beyond the needs of the children referred: a threshold index per LA.

    \b
    Examples:
      earlyhelp thresholds --data synthetic/ --out thresholds/
      earlyhelp thresholds --warehouse warehouse.duckdb --out thresholds/ --force
    """
    from earlyhelp.thresholds import run

    source = existing_input(data, warehouse, folder_hint="For a folder, use --data DIR.")
    with staged_output(out, "thresholds", force) as staging:
        result = run(source, staging, suppression_threshold)
    decisions = result.index["decision"].nunique()
    click.echo(
        f"Threshold index for {result.index['la_code'].nunique()} LAs and {decisions} decisions from "
        f"{result.referrals:,} referrals ({result.window.label}) in {result.seconds:.1f} s."
    )
    for row in result.r_squared.itertuples():
        click.echo(f"  R² {row.source}, {row.measure} ~ {row.model}: {row.r_squared:.2f} ({row.n_las} LAs)")
    click.echo("Files (LA figures from fewer events than the threshold are not published):")
    echo_files(result.files, staging, out)
