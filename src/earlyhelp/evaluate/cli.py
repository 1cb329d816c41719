"""`earlyhelp evaluate`: step-down to early help vs closure with no early help."""

from __future__ import annotations

from pathlib import Path

import click

from earlyhelp.errors import UsageError
from earlyhelp.output_folder import moved_path, staged_output


@click.command("evaluate")
@click.option(
    "--data",
    "data",
    type=click.Path(path_type=Path),
    default=None,
    help="EHLD folder (synthetic England's truth/ is read when present).",
)
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
    help="Folder for estimates.csv, balance.csv, evaluation.md, forest.svg and km.svg.",
)
@click.option(
    "--engine",
    type=click.Choice(["duckdb", "spark"]),
    default="duckdb",
    show_default=True,
    help="Engine that builds the cohort.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Replace the files an earlier `earlyhelp evaluate` wrote in --out (never anyone else's).",
)
def evaluate(data: Path | None, warehouse: Path | None, out: Path, engine: str, force: bool) -> None:
    """Estimate the effect of step-down to early help on re-referral and escalation.

    Example: earlyhelp evaluate --data synthetic --out evaluation
    """
    from earlyhelp.evaluate.run import evaluate as run_evaluation

    if (data is None) == (warehouse is None):
        raise UsageError("Give exactly one of --data DIR or --warehouse FILE.")
    if data is not None and not data.is_dir():
        raise UsageError(
            f"--data takes a folder, but {data} is not one.", hint="For a warehouse file, use --warehouse FILE."
        )
    if warehouse is not None and not warehouse.is_file():
        raise UsageError(
            f"--warehouse takes a file, but {warehouse} is not one.", hint="For a folder of EHLD files, use --data DIR."
        )
    source = data if data is not None else warehouse
    assert source is not None  # exactly one, checked above
    with staged_output(out, "evaluate", force) as staging:
        result = run_evaluation(source, staging, engine=engine)
    click.echo(f"Evaluated step-down with {result.engine} in {result.seconds:.1f} s:")
    for path in result.files:
        click.echo(f"  {moved_path(path, staging, out)}")
