"""`make demo`: the whole pipeline on synthetic England, ending with the report's location.

Synthetic data -> validation -> warehouse load -> linkage -> indicators -> evaluation ->
thresholds -> funding -> what-if (when this installation has `earlyhelp whatif`) -> report with
every analysis section. Each step uses the same public entry point as its `earlyhelp` subcommand,
so the demo is also a smoke test of the pipeline's seams.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from earlyhelp.errors import EarlyhelpError, UsageError

if TYPE_CHECKING:
    from collections.abc import Callable

    from earlyhelp.report import AnalysisFolders


def _step(title: str) -> float:
    print(f"\n== {title}", flush=True)
    return time.perf_counter()


def _done(started: float, what: str) -> None:
    print(f"   {what} ({time.perf_counter() - started:.1f} s)", flush=True)


# A demo folder says so, so that the next demo may replace it and nothing else ever is.
DEMO_MARKER = ".earlyhelp-demo"


def prepare_output_folder(out: Path) -> None:
    """Make ``out`` ready for a new demo: a new or empty folder, or one a previous demo wrote.

    Anything else is refused: the demo never deletes a folder it did not make.
    """
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} is a file, not a folder.", hint="Give --out a new folder.")
    if out.is_dir() and any(out.iterdir()):
        if not (out / DEMO_MARKER).is_file():
            raise UsageError(
                f"{out} already holds files that a previous demo did not write; the demo will not delete them.",
                hint="Give --out a new or empty folder.",
            )
        print(f"Replacing the previous demo in {out}.", flush=True)
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / DEMO_MARKER).write_text(
        "Written by `make demo` (python -m earlyhelp.demo). The next demo run into this folder replaces it.\n",
        encoding="utf-8",
    )


def run_demo(out: Path, scale: str = "tiny", seed: int = 2026, failed: list[str] | None = None) -> Path:
    """The whole pipeline into ``out``; returns the report's index.html. Analysis steps that fail
    are appended to ``failed`` (and their sections left out) rather than stopping the demo."""
    from earlyhelp.indicators import compute
    from earlyhelp.link import link
    from earlyhelp.report import render_report
    from earlyhelp.synth import generate
    from earlyhelp.validate import validate_paths
    from earlyhelp.warehouse import load_return

    prepare_output_folder(out)
    data = out / "synthetic-england"

    started = _step(f"Synthetic England ({scale} scale, seed {seed})")
    generate(data, scale=scale, seed=seed, fmt="parquet")
    _done(started, f"written to {data}")

    started = _step("Validating every table against the EHLD rules")
    report = validate_paths([data])
    if not report.ok:
        print(report.summary(), file=sys.stderr)
        raise EarlyhelpError("The synthetic data failed validation; see the summary above.")
    _done(started, "valid: no errors")

    started = _step("Linking identity records into pseudonymous person_ids")
    # The demo makes a throwaway key; real use sets EARLYHELP_LINK_SECRET from a secret store.
    os.environ.setdefault("EARLYHELP_LINK_SECRET", secrets.token_hex(32))
    linked = out / "linkage"
    result = link(data, linked, engine="duckdb", analytic=data, truth=data / "truth")
    accuracy = ""
    if result.accuracy:
        accuracy = (
            f"; against truth: pairwise precision {result.accuracy['pairwise_precision']:.3f},"
            f" recall {result.accuracy['pairwise_recall']:.3f}"
        )
    _done(started, f"{result.records:,} records -> {result.persons:,} people{accuracy}; quality report in {linked}")

    started = _step("Loading the analytic tables into a DuckDB warehouse")
    warehouse = out / "warehouse.duckdb"
    identity = out / "identity.duckdb"
    load_return([data], warehouse, identity_warehouse=identity)
    _done(started, f"analytic warehouse {warehouse}; identifiers kept apart in {identity}")

    started = _step("Computing every indicator (LA, region, England) with disclosure control")
    indicators_dir = out / "indicators"
    indicators = compute(warehouse, indicators_dir)
    _done(
        started,
        f"publishable (disclosure-controlled) indicators in {indicators.out}: "
        f"{', '.join(p.name for p in indicators.publishable_files)}; internal, "
        f"unsuppressed table (not for publication) in {indicators_dir / 'internal'}",
    )

    analyses = run_analyses(out, data, warehouse, [] if failed is None else failed)

    # A synthetic England smaller than England covers only some LAs, so its England and regional
    # figures are DfE's published ones and the England view has little to chart: the demo shows
    # what an LA analyst sees, the first LA against England, its region and its neighbours.
    focus = first_la(data)
    started = _step(f"Writing the report for {focus.name} ({focus.code}) with the analysis sections")
    index = render_report(indicators_dir, out / "report", la=focus.code, analyses=analyses)
    _done(started, f"report written; `earlyhelp report --indicators {indicators_dir} --out DIR` gives the all-LA view")
    return index


def run_analyses(out: Path, data: Path, warehouse: Path, failed: list[str]) -> AnalysisFolders:
    """evaluate, thresholds, fund and (when installed) whatif, each into its own folder of ``out``.

    A step that fails is named in ``failed`` and its section is left out (the report says so), so
    the demo still ends with a report; ``main`` then exits 1 naming the failed steps.
    """
    from earlyhelp.evaluate import evaluate
    from earlyhelp.funding import run as fund
    from earlyhelp.report import AnalysisFolders
    from earlyhelp.thresholds import run as thresholds

    # The folder, not the warehouse: synthetic England's truth/ gives the true effects beside the estimates.
    evaluation = _analysis_step(
        "Evaluating step-down to early help (naive, IPW and doubly robust)",
        "estimates, balance and charts",
        lambda folder: evaluate(data, folder),
        out / "evaluation",
        failed,
    )
    threshold_folder = _analysis_step(
        "Estimating each LA's threshold index",
        "threshold index, funnel figures and R²",
        lambda folder: thresholds(warehouse, folder),
        out / "thresholds",
        failed,
    )

    def funding_step(folder: Path) -> None:
        folder.mkdir()
        fund(folder)

    funding = _analysis_step(
        "Real-terms early intervention spend and a grant formula (real LA panel)",
        "headline figures and allocation",
        funding_step,
        out / "funding",
        failed,
    )
    whatif = _analysis_step(
        "Projecting what more early help would change (what-if)",
        "projections",
        lambda folder: run_whatif(folder, warehouse, evaluation),
        out / "whatif",
        failed,
    )
    return AnalysisFolders(evaluation, threshold_folder, funding, whatif)


def _analysis_step(
    title: str, what: str, action: Callable[[Path], object], folder: Path, failed: list[str]
) -> Path | None:
    """Run one analysis into ``folder``: the folder, or None when it failed or did not run."""
    started = _step(title)
    try:
        if action(folder) is False:
            return None
    except Exception as error:
        if os.environ.get("EARLYHELP_DEBUG"):
            raise
        # Like the command line: our own errors say what is wrong; anything else is named by its type
        # only (its text could quote a value from the data).
        reason = error.message if isinstance(error, EarlyhelpError) else type(error).__name__
        print(f"   FAILED ({reason}); the report will say this section is missing.", flush=True)
        failed.append(f"{title} ({reason})")
        return None
    _done(started, f"{what} in {folder}")
    return folder


def run_whatif(folder: Path, warehouse: Path, evaluation: Path | None) -> bool:
    """`earlyhelp whatif` through its command, when this installation has it (COMMANDS); False if not."""
    import importlib

    import click

    from earlyhelp.cli import COMMANDS

    if "whatif" not in COMMANDS:
        print("   `earlyhelp whatif` is not in this installation; the report says so.", flush=True)
        return False
    module_name, attribute = COMMANDS["whatif"][0].split(":")
    command: click.Command = getattr(importlib.import_module(module_name), attribute)
    options = {name for parameter in command.params for name in parameter.opts}
    args = ["--out", str(folder)]
    args += ["--warehouse", str(warehouse)] if "--warehouse" in options else []
    args += ["--evaluation", str(evaluation)] if "--evaluation" in options and evaluation is not None else []
    command.main(args, standalone_mode=False)
    return True


@dataclass(frozen=True)
class FocusLA:
    code: str
    name: str


def first_la(data: Path) -> FocusLA:
    """The first LA (by code) of a synthetic England folder."""
    import pyarrow.parquet as pq

    table = pq.read_table(data / "local_authorities.parquet", columns=["la_code", "la_name"]).sort_by("la_code")
    return FocusLA(str(table["la_code"][0]), str(table["la_name"][0]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("demo-output"))
    parser.add_argument("--scale", default="tiny", choices=["tiny", "la", "region", "england"])
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("-v", "--verbose", action="store_true", help="show library log messages")
    args = parser.parse_args(argv)
    if not args.verbose:
        # Splink warns about untrained m values on tiny data; the quality report says it plainly.
        logging.getLogger("splink").setLevel(logging.ERROR)
    failed: list[str] = []
    started = time.perf_counter()
    try:
        index = run_demo(args.out, args.scale, args.seed, failed)
    except EarlyhelpError as error:
        print(f"Error: {error.message}", file=sys.stderr)
        if error.hint:
            print(error.hint, file=sys.stderr)
        return error.exit_code
    print(f"\nThe report is at: {index.resolve()} (the whole demo took {time.perf_counter() - started:.0f} s)")
    print("Open it in any browser; it works offline.")
    if failed:
        print(f"\n{len(failed)} step(s) failed, so their sections are missing:", file=sys.stderr)
        for step in failed:
            print(f"  {step}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
