"""`earlyhelp indicators`: compute every indicator and write the publishable and internal files."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from earlyhelp.cli_options import (
    FOLDER_HINT,
    data_option,
    echo_files,
    engine_option,
    force_option,
    one_input,
    out_option,
    suppression_threshold_option,
    warehouse_input_option,
)
from earlyhelp.errors import UsageError
from earlyhelp.output_folder import staged_output
from earlyhelp.spec import periods

if TYPE_CHECKING:
    from earlyhelp.indicators import IndicatorResult


def _time_period(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if not periods.is_time_period(text):
        raise UsageError(f"--base-year {value!r} is not a financial year like 201920.")
    return int(text)


def _explain(result: IndicatorResult) -> None:
    """Say which reference tables came from the package, and why figures are x: every LA-level
    reason, and the England and regional ones in a line."""
    from earlyhelp.indicators.reasons import LA_SCOPE, NOTES_FILE
    from earlyhelp.reference.fill import statement

    if result.reference_added:
        click.echo("Reference tables added from the package (the return had none of its own):")
        for table in result.reference_added:
            click.echo(f"  {statement(table)}")

    local = [note for note in result.notes if note.scope == LA_SCOPE]
    if local:
        click.echo("Not computed (x), and why:")
        for note in local:
            click.echo(f"  {note.line()}")
    area = sorted({note.label for note in result.notes if note.scope != LA_SCOPE})
    if area:
        click.echo(
            f"England and regions: {len(area)} indicator(s) are x where the returns do not cover every LA of "
            f"the area and DfE publishes no figure; see {NOTES_FILE}."
        )
    stand_ins = sum(1 for source in result.published.column("source").to_pylist() if source == "published")
    if stand_ins:
        click.echo(f"England and regions: {stand_ins} figure(s) are DfE's published statistics (source = published).")


@click.command("indicators")
@data_option("EHLD folder (one CSV or Parquet file per table).")
@warehouse_input_option
@out_option(
    "Folder for indicators.csv and indicators_published.csv (publishable) and "
    "internal/indicators_unsuppressed.csv (not for publication)."
)
@engine_option("duckdb on one machine; spark (PySpark) for a cluster or national scale.")
@click.option(
    "--base-year",
    default=None,
    metavar="YYYYYY",
    help="Price base for real-terms spend, e.g. 201920 (default: latest deflator year).",
)
@suppression_threshold_option("Counts from 1 to this are suppressed (c) in the publishable files.")
@force_option("indicators")
def indicators(
    data: Path | None,
    warehouse: Path | None,
    out: Path,
    engine: str,
    base_year: str | None,
    suppression_threshold: int,
    force: bool,
) -> None:
    """Compute every outcomes-framework indicator for each LA, region and England."""
    from earlyhelp.indicators import compute

    source = one_input(data, warehouse)
    if data is not None and data.is_file():
        raise UsageError(
            f"--data takes a folder, but {data} is a file.",
            hint="Give the folder of an EHLD return; for a warehouse file written by "
            "`earlyhelp load`, use --warehouse FILE.",
        )
    if warehouse is not None and warehouse.is_dir():
        raise UsageError(f"--warehouse takes a file, but {warehouse} is a folder.", hint=FOLDER_HINT)
    base_period = _time_period(base_year)
    with staged_output(out, "indicators", force) as staging:
        result = compute(
            source, staging, engine=engine, base_year=base_period, suppression_threshold=suppression_threshold
        )
    rows = result.internal.num_rows
    click.echo(f"{rows} indicator rows computed with {result.engine} in {result.seconds:.1f} s.")
    if result.audit is not None:
        click.echo(
            f"Disclosure audit: {len(result.audit.intervals)} suppressed counts, none can be worked out "
            f"from the published figures ({result.audit.seconds:.1f} s)."
        )
    _explain(result)
    click.echo("Publishable (disclosure-controlled):")
    echo_files(result.publishable_files, staging, out)
    click.echo("Internal, NOT for publication (unsuppressed):")
    echo_files(result.internal_files, staging, out)
