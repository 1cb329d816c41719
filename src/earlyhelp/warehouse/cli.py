"""``earlyhelp load PATH... --warehouse FILE``: validate a return, then load it all or nothing."""

from __future__ import annotations

import json
from pathlib import Path

import click

from earlyhelp.cli_options import path_option
from earlyhelp.validate.cli import SHOWN_PER_RULE, render_text
from earlyhelp.warehouse.load import ReturnRejected, load_return


@click.command(name="load")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@path_option("--warehouse", required=True, help="The DuckDB warehouse file (created if it does not exist).")
@path_option(
    "--identity-warehouse", default=None, help="A separate DuckDB file for person_identifiers (identity zone)."
)
@click.option("--skip-identity", is_flag=True, help="Leave person_identifiers out instead of loading it anywhere.")
@click.option("--json", "as_json", is_flag=True, help="Print what was loaded as JSON.")
def load(
    paths: tuple[Path, ...], warehouse: Path, identity_warehouse: Path | None, skip_identity: bool, as_json: bool
) -> None:
    """Validate EHLD files and load them into a DuckDB warehouse.

    All or nothing: a return with any error changes nothing. Returns accumulate: a return
    replaces only its LA's rows of its own period (a CIN census its year), in the tables it
    brings; every load is recorded in the load_history table. Identifiers
    (person_identifiers) never go into the analytic warehouse: name a separate
    --identity-warehouse, or --skip-identity.

    \b
    Example:
      earlyhelp load my_return/ --warehouse warehouse.duckdb --identity-warehouse identity.duckdb
    """
    try:
        result = load_return(
            list(paths),
            warehouse,
            identity_warehouse=identity_warehouse,
            skip_identity=skip_identity,
            on_repaired=lambda note: click.echo(f"Repaired: {note}", err=True),
        )
    except ReturnRejected as rejected:
        if as_json:
            click.echo(rejected.report.to_json())
        else:
            click.echo(render_text(rejected.report, SHOWN_PER_RULE))
            click.echo()
        raise
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=2))
        return
    total = sum(result.rows.values())
    click.echo(
        f"Loaded {total:,} rows for {', '.join(result.la_codes)} into {result.warehouse} "
        f"(checksum {result.checksum[:12]})."
    )
    for table, count in result.rows.items():
        click.echo(f"  {table:<24} {count:>10,}")
    for la_code, (start, end) in sorted(result.covers.items()):
        click.echo(f"The warehouse now covers {la_code} from {start:%Y-%m-%d} to {end:%Y-%m-%d}.")
    if result.identity_warehouse:
        click.echo(f"Identifiers: {result.identity_rows:,} rows into {result.identity_warehouse}.")
    if result.skipped_identity:
        click.echo("Identifiers (person_identifiers) were left out, as asked.")
    if result.report is not None and result.report.warning_count:
        click.echo(f"{result.report.warning_count:,} validation warning(s); run `earlyhelp validate` to see them.")
