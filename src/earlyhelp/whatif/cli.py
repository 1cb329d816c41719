"""`earlyhelp whatif`: project referrals, CIN, CP and care starts and their cost under early help scenarios."""

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
    path_option,
    suppression_threshold_option,
)
from earlyhelp.output_folder import staged_output


@click.command("whatif")
@data_or_warehouse("EHLD folder to estimate the journeys on.")
@path_option(
    "--evaluation",
    default=None,
    help="Folder `earlyhelp evaluate` wrote (its estimates.csv); without it, documented default effects.",
)
@click.option(
    "--scenario",
    "scenarios",
    multiple=True,
    help="A built-in (baseline, step_down_40, reach_6pct) or a scenario TOML file; repeat for several. Default: every built-in.",
)
@path_option(
    "--unit-costs", default=None, help="A unit cost TOML file (default: the cited table shipped with earlyhelp)."
)
@click.option("--years", type=click.IntRange(1, 20), default=5, show_default=True, help="Financial years to project.")
@click.option(
    "--replicates", type=click.IntRange(2, 100_000), default=200, show_default=True, help="Monte-Carlo replicates."
)
@click.option(
    "--seed", type=int, default=2026, show_default=True, help="Random seed (the same seed gives the same figures)."
)
@engine_option("Engine that builds the child-year panel.")
@suppression_threshold_option("Observed counts from 1 to this are suppressed in the back-test.")
@out_option("Folder for whatif.csv, whatif.xlsx, whatif_backtest.csv and whatif.md.")
@force_option("whatif")
def whatif(
    data: Path | None,
    warehouse: Path | None,
    evaluation: Path | None,
    scenarios: tuple[str, ...],
    unit_costs: Path | None,
    years: int,
    replicates: int,
    seed: int,
    engine: str,
    suppression_threshold: int,
    out: Path,
    force: bool,
) -> None:
    """Project the effect of more early help on referrals, CIN, CP and care starts and their cost.

    Example: earlyhelp whatif --data synthetic --evaluation evaluation --out whatif
    """
    from earlyhelp.whatif.run import run_whatif

    source = existing_input(data, warehouse)
    with staged_output(out, "whatif", force) as staging:
        result = run_whatif(
            source,
            staging,
            evaluation=evaluation,
            scenarios=scenarios,
            unit_costs=unit_costs,
            years=years,
            replicates=replicates,
            seed=seed,
            engine=engine,
            threshold=suppression_threshold,
        )
    click.echo(f"Simulated {len(result.scenarios)} scenarios x {replicates} replicates in {result.seconds:.1f} s:")
    for note in result.effects.notes:
        click.echo(f"  note: {note}")
    echo_files(result.files, staging, out)
