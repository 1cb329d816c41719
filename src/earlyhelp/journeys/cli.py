"""`earlyhelp journeys`: timelines, transitions and time to re-referral and escalation."""

from __future__ import annotations

from pathlib import Path

import click

from earlyhelp.cli_options import (
    data_or_warehouse,
    echo_files,
    engine_option,
    existing_input,
    force_option,
    out_option,
    suppression_threshold_option,
)
from earlyhelp.output_folder import staged_output


@click.command("journeys")
@data_or_warehouse("EHLD folder to follow children's journeys in.")
@out_option("Folder for transitions.csv, km.csv, the charts, and internal/ (the confidential timelines).")
@engine_option("Engine that runs the queries.")
@suppression_threshold_option("Counts from 1 to this are suppressed (c) in the published tables.")
@force_option("journeys")
def journeys(
    data: Path | None, warehouse: Path | None, out: Path, engine: str, suppression_threshold: int, force: bool
) -> None:
    """Follow children through early help and social care: transitions and time to re-referral.

    Example: earlyhelp journeys --data synthetic --out journeys
    """
    from earlyhelp.errors import UsageError
    from earlyhelp.journeys.run import journeys as run_journeys

    if suppression_threshold < 1:
        raise UsageError("--suppression-threshold must be at least 1 (the spec's default is 5).")
    source = existing_input(data, warehouse)
    with staged_output(out, "journeys", force) as staging:
        result = run_journeys(source, staging, engine=engine, threshold=suppression_threshold)
    click.echo(
        f"Followed {result.timeline_rows:,} events with {result.engine} in {result.seconds:.1f} s "
        "(the timelines are confidential: internal/):"
    )
    echo_files(result.files, staging, out)
