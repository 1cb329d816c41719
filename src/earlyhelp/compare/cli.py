"""``earlyhelp neighbours``: an LA's statistical neighbours, with names and distances."""

from __future__ import annotations

import sys

import click

from earlyhelp.cli_options import la_option
from earlyhelp.compare.neighbours import NEIGHBOURS_PER_LA, statistical_neighbours
from earlyhelp.reference import local_authorities


@click.command()
@la_option("--la", "--la-code", "la_code", required=True, help="The LA.")
@click.option(
    "-k",
    "--count",
    type=click.IntRange(1, NEIGHBOURS_PER_LA),
    default=NEIGHBOURS_PER_LA,
    show_default=True,
    help="How many neighbours, nearest first.",
)
@click.option("--csv", "as_csv", is_flag=True, help="Write CSV to standard output instead of a table.")
def neighbours(la_code: str, count: int, as_csv: bool) -> None:
    """Print an LA's statistical neighbours: the LAs most like it on deprivation, child poverty,
    child population, ethnicity and children in need and in care rates (see docs/compare.md)."""
    table = statistical_neighbours(la_code, k=count)
    if as_csv:
        table.to_csv(sys.stdout, index=False, lineterminator="\n")
        return
    me = local_authorities().set_index("la_code").loc[la_code]
    click.echo(f"Statistical neighbours of {me['la_name']} ({la_code}, DfE {me['old_la_code']}, {me['region_name']})")
    name_width = max(len("Local authority"), *(len(name) for name in table["la_name"]))
    click.echo(f"{'Rank':>4}  {'Local authority':<{name_width}}  {'ONS code':<9}  {'Region':<24}  Distance")
    for row in table.itertuples(index=False):
        click.echo(
            f"{row.rank:>4}  {row.la_name:<{name_width}}  {row.la_code:<9}  {row.region_name:<24}  {row.distance:8.4f}"
        )
    click.echo("Distance: weighted Euclidean over standardised characteristics; smaller is more alike.")
