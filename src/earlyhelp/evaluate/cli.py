"""`earlyhelp evaluate`: step-down to early help vs closure with no early help."""

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
)
from earlyhelp.output_folder import staged_output


@click.command("evaluate")
@data_or_warehouse("EHLD folder (synthetic England's truth/ is read when present).")
@out_option("Folder for estimates.csv, balance.csv, evaluation.md, forest.svg and km.svg.")
@engine_option("Engine that builds the cohort.")
@force_option("evaluate", "Replace the files an earlier `earlyhelp evaluate` wrote in --out (never anyone else's).")
def evaluate(data: Path | None, warehouse: Path | None, out: Path, engine: str, force: bool) -> None:
    """Estimate the effect of step-down to early help on re-referral and escalation.

    Example: earlyhelp evaluate --data synthetic --out evaluation
    """
    from earlyhelp.evaluate.run import evaluate as run_evaluation

    source = existing_input(data, warehouse)
    with staged_output(out, "evaluate", force) as staging:
        result = run_evaluation(source, staging, engine=engine)
    click.echo(f"Evaluated step-down with {result.engine} in {result.seconds:.1f} s:")
    echo_files(result.files, staging, out)
