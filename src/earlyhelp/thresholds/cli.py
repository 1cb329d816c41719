"""`earlyhelp thresholds`: a case-mix-adjusted threshold index per LA and decision, and what explains LA variation."""

from __future__ import annotations

from pathlib import Path

import click

from earlyhelp.errors import UsageError
from earlyhelp.output_folder import moved_path, staged_output


@click.command("thresholds")
@click.option("--data", "data", type=click.Path(path_type=Path), default=None, help="EHLD folder (CSV or Parquet).")
@click.option(
    "--warehouse",
    type=click.Path(path_type=Path),
    default=None,
    help="A DuckDB warehouse written by `earlyhelp load` (instead of --data).",
)
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path),
    required=True,
    help="Folder for threshold_index.csv, the LA-level tables, the charts and thresholds.md.",
)
@click.option(
    "--suppression-threshold",
    type=click.IntRange(min=1),
    default=5,
    show_default=True,
    help="An LA's index for a decision is published only with at least this many events (and non-events).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Write into a folder that already holds files: replaces only the files an earlier "
    "`earlyhelp thresholds` wrote there, never anyone else's.",
)
def thresholds(data: Path | None, warehouse: Path | None, out: Path, suppression_threshold: int, force: bool) -> None:
    """Where LAs' decisions differ beyond the needs of the children referred: a threshold index per LA.

    \b
    Examples:
      earlyhelp thresholds --data synthetic/ --out thresholds/
      earlyhelp thresholds --warehouse warehouse.duckdb --out thresholds/ --force
    """
    from earlyhelp.thresholds import run

    if (data is None) == (warehouse is None):
        raise UsageError("Give exactly one of --data DIR or --warehouse FILE.")
    if data is not None and not data.is_dir():
        raise UsageError(
            f"--data takes a folder, but {data} is not one.", hint="For a warehouse file, use --warehouse FILE."
        )
    if warehouse is not None and not warehouse.is_file():
        raise UsageError(f"--warehouse takes a file, but {warehouse} is not one.", hint="For a folder, use --data DIR.")
    source = data if data is not None else warehouse
    assert source is not None  # exactly one of the two, checked above
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
    for path in result.files:
        click.echo(f"  {moved_path(path, staging, out)}")
