"""`earlyhelp ingest` and `earlyhelp export`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

import click

from earlyhelp.cli_options import la_option
from earlyhelp.errors import UsageError

if TYPE_CHECKING:  # pragma: no cover
    from earlyhelp.formats.api import ExportTarget


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"{param.opts[0]} must be a date written YYYY-MM-DD, not {value!r}.") from None


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="New folder for the EHLD tables.")
@la_option(
    "--la-code",
    "--la",
    "la_code",
    unlisted_codes=True,
    help="The LA (needed for SSDA903 and SSD files, which do not say; overrides the CIN census header).",
)
@click.option(
    "--extract-date",
    default=None,
    callback=_date,
    help="Date the files were extracted (YYYY-MM-DD), not before any event date in "
    "them; bounds follow-up windows. Default: the census reference date, else the "
    "latest event date read.",
)
@click.option(
    "--skip-invalid",
    is_flag=True,
    help="Leave out every child with a problem (all of its rows; the problems are "
    "listed in ingest_issues.tsv, each with its line and the child's LAchildID) instead of stopping.",
)
def ingest(
    paths: tuple[Path, ...], out: Path, la_code: str | None, extract_date: dt.date | None, skip_invalid: bool
) -> None:
    """Read CIN census XML, SSDA903 (CSVs or XML), SSD extracts (or EHLD tables) into an EHLD folder.

    The format is detected from the files themselves. Identifiers (UPN, names, full dates of
    birth, postcodes, SSDA903's HOME_POST, PL_POST and MC_DOB) go only to the identity-zone
    tables person_identifiers and episode_postcodes (`load` puts them in the identity
    warehouse); analytic tables get the birth month. Values read that no EHLD column holds
    are counted (never quoted) in ingest_not_placed.tsv beside the tables.
    """
    from earlyhelp.formats.api import ingest_report

    report = ingest_report(list(paths), out, la_code=la_code, extract_date=extract_date, skip_invalid=skip_invalid)
    click.echo(report.summary())


@click.command()
@click.option(
    "--data",
    "data",
    required=True,
    multiple=True,
    type=click.Path(path_type=Path),
    help="EHLD folder(s) to export (repeat for several).",
)
@click.option(
    "--to", "target", required=True, type=click.Choice(["cin-xml", "ssda903"]), help="The DfE format to write."
)
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder for the files.")
@click.option(
    "--year",
    type=int,
    default=None,
    help="Collection year, named by the 31 March it ends on (2025 = 2024-25); it must "
    "not end after the LA's extract_date. Default: the latest year whose 31 March "
    "the LA's returns.period_end reaches.",
)
@la_option("--la-code", "--la", "la_code", unlisted_codes=True, help="Export only this LA.")
@click.option(
    "--schema-year",
    type=click.Choice(["2024", "2025", "2026"]),
    default="2026",
    show_default=True,
    help="CIN census schema generation: 2024 writes GenderCurrent, 2025+ writes Sex.",
)
@click.option(
    "--lea",
    default=None,
    help="DfE three-digit LA number, when earlyhelp does not know it (one LA only; "
    "a warning is printed when it differs from earlyhelp's table).",
)
@click.option(
    "--approximate-birth-dates",
    is_flag=True,
    help="When person_identifiers has no date of birth, write the 1st of the birth month.",
)
def export(
    data: tuple[Path, ...],
    target: ExportTarget,  # one of click.Choice's
    out: Path,
    year: int | None,
    la_code: str | None,
    schema_year: str,
    lea: str | None,
    approximate_birth_dates: bool,
) -> None:
    """Write EHLD data as CIN census XML or SSDA903 files a local authority could submit."""
    from earlyhelp.formats.api import export_report

    options: dict = {"year": year, "la_code": la_code, "approximate_birth_dates": approximate_birth_dates}
    if target == "cin-xml":
        options |= {"schema_year": int(schema_year), "lea": lea}
    click.echo(export_report(list(data), target, out, **options).summary())
