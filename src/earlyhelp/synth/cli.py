"""`earlyhelp synth`: write a calibrated synthetic England, or --check one against the published figures."""

from __future__ import annotations

import time
from pathlib import Path

import click

from earlyhelp.errors import DataError, UsageError
from earlyhelp.synth.settings import SCALES


@click.command(name="synth")
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the EHLD tables (and truth/) into.",
)
@click.option(
    "--scale",
    type=click.Choice(list(SCALES)),
    default="tiny",
    show_default=True,
    help="tiny: 3 small LAs at 5% (tests, demo); la: one LA; region: the North East; england: every LA at full size.",
)
@click.option(
    "--years", default="201516:201920", show_default=True, help="First and last financial year, e.g. 201516:201920."
)
@click.option("--seed", type=int, default=0, show_default=True, help="Same seed, same bytes.")
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option(
    "--check",
    "check_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Instead of writing, compare this folder with the published national figures "
    "(exit 1 when any figure is off by more than its tolerance).",
)
@click.option(
    "--no-identity-faults",
    is_flag=True,
    help="Identity records with every identifier present and right (no typos, swaps, "
    "missing values or out-of-date postcodes), e.g. to test DfE returns.",
)
@click.option(
    "--threshold-sigma",
    type=click.FloatRange(min=0.0),
    default=0.0,
    show_default=True,
    help="Plant LA threshold differences: each LA's log-odds shift (spread by this SD) on its NFA, "
    "not-in-need, CIN plan and CP plan decisions, recorded in truth/thresholds.csv. 0 plants none.",
)
@click.option(
    "--effects",
    "effects_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Planted effects from a JSON or TOML file shaped like truth/effects.json (step_down, "
    "step_down_selection, spend, service_types, partner_outcomes, thresholds); what it leaves out stays default.",
)
@click.option(
    "--force", is_flag=True, help="Write into a folder that holds other files (its EHLD tables are replaced)."
)
def synth(
    out: Path | None,
    scale: str,
    years: str,
    seed: int,
    fmt: str,
    check_dir: Path | None,
    no_identity_faults: bool,
    threshold_sigma: float,
    effects_file: Path | None,
    force: bool,
) -> None:
    """Write every EHLD table of a synthetic population calibrated to real England, plus truth/.

    \b
    Examples:
      earlyhelp synth --out synthetic --scale tiny
      earlyhelp synth --out england --scale england --years 201516:201920 --seed 1
      earlyhelp synth --check england
      earlyhelp synth --out clean --no-identity-faults
      earlyhelp synth --out stronger --scale region --effects benchmarks/effects/stronger_reversed.json
    """
    if check_dir is not None:
        if out is not None:
            raise UsageError("Give either --out (to write) or --check (to compare), not both.")
        from earlyhelp.synth.check import check

        report = check(check_dir)
        click.echo(report.to_text())
        if not report.ok:
            names = sorted({f"{row.figure} {row.year}" for row in report.failures})
            raise DataError(
                f"{len(report.failures)} figure(s) are outside their tolerance: "
                + ", ".join(names[:6])
                + (" ..." if len(names) > 6 else "")
            )
        click.echo("All figures within tolerance.")
        return
    if out is None:
        raise UsageError("Say where to write with --out DIR (or compare a folder with --check DIR).")
    from earlyhelp.synth.generate import generate, settings_for
    from earlyhelp.synth.settings import NO_IDENTITY_FAULTS, ThresholdEffect

    settings = settings_for(scale, years, seed)
    if no_identity_faults:
        settings = settings.with_changes(identity_faults=NO_IDENTITY_FAULTS)
    if effects_file is not None:
        from earlyhelp.synth.effects_file import apply_effects, read_effects

        document = read_effects(effects_file)
        if threshold_sigma > 0 and ({"thresholds", "threshold"} & set(document)):
            raise UsageError("Give LA thresholds either with --threshold-sigma or in the --effects file, not both.")
        settings = apply_effects(settings, document, source=f"--effects {effects_file.name}")
    if threshold_sigma > 0:
        settings = settings.with_changes(threshold=ThresholdEffect(la_sigma=threshold_sigma))
    started = time.perf_counter()
    generate(out, fmt=fmt, settings=settings, replace_existing=force)
    click.echo(
        f"Wrote synthetic {scale} ({years}, seed {seed}) to {out} "
        f"in {time.perf_counter() - started:.1f} s; truth in {out / 'truth'}."
    )
