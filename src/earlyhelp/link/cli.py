"""``earlyhelp link``: the command-line face of :func:`earlyhelp.link.link`."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import click

from earlyhelp.cli_options import engine_option, out_option, path_option

if TYPE_CHECKING:
    from earlyhelp.engine import EngineName


@click.command(name="link")
@path_option("--identities", required=True, help="Identity-zone folder holding person_identifiers (CSV or Parquet).")
@out_option("Folder for person_link, the trained model and the quality report.")
@engine_option("Splink backend: DuckDB on this machine, or Spark for national scale.")
@click.option(
    "--threshold",
    type=float,
    default=0.9,
    show_default=True,
    help="Match probability at or above which two records are the same person.",
)
@path_option(
    "--model", default=None, help="Reuse a trained model (link_model.json from an earlier run) instead of training."
)
@path_option(
    "--analytic",
    default=None,
    help="EHLD analytic folder whose children and partner tables get person_id (rewritten in place).",
)
@path_option(
    "--previous",
    default=None,
    help="Earlier person_link whose person_ids are kept (default: the one already in --out).",
)
@path_option(
    "--truth",
    default=None,
    help="Folder with true_person_id per record, for precision and recall (default: truth/ "
    "in or beside --identities, when present).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["parquet", "csv"]),
    default="parquet",
    show_default=True,
    help="File format of person_link.",
)
def link(
    identities: Path,
    out: Path,
    engine: EngineName,  # engine_option admits only these
    threshold: float,
    model: Path | None,
    analytic: Path | None,
    previous: Path | None,
    truth: Path | None,
    output_format: Literal["parquet", "csv"],
) -> None:
    """Link identity records into one pseudonymous person_id per child.

    Needs the environment variable EARLYHELP_LINK_SECRET (the key of the person_id hash).
    """
    from earlyhelp.link.pipeline import link as run_link

    if not logging.getLogger().isEnabledFor(logging.INFO):
        # Splink's training notes (levels not observed, defaults used) are for the model's
        # author, not the analyst running a link; -v shows them.
        logging.getLogger("splink").setLevel(logging.ERROR)

    result = run_link(
        identities,
        out,
        engine=engine,
        threshold=threshold,
        model=model,
        analytic=analytic,
        previous=previous,
        truth=truth,
        output_format=output_format,
    )
    click.echo(
        f"Linked {result.records:,} records into {result.persons:,} persons "
        f"({result.deterministic.records_linked:,} records by NHS number)."
    )
    click.echo(f"person_link: {result.person_link}")
    click.echo(f"Quality report: {result.report_markdown} (also .json, .html)")
    if result.accuracy:
        a = result.accuracy
        click.echo(
            f"Against truth: precision {a['pairwise_precision']:.4f}, recall "
            f"{a['pairwise_recall']:.4f}, F1 {a['pairwise_f1']:.4f}."
        )
    for table, rows in result.analytic_updates.items():
        if not table.endswith("_unresolved"):
            click.echo(
                f"{table}: person_id set on {rows:,} rows "
                f"({result.analytic_updates.get(table + '_unresolved', 0):,} without a linked record)."
            )
