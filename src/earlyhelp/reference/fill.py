"""The package's reference tables, for a return that lacks them.

A CIN census, an SSDA903 or an SSD return carries no population, LA names, deprivation, spend
or deflators, so no rate could be computed from it. ``earlyhelp ingest`` adds the package's
tables to the EHLD folder it writes, ``earlyhelp load`` to the warehouse, and ``earlyhelp
indicators`` uses them for a folder or warehouse without them; each says so, with
:func:`statement`. A return's own reference table always wins.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from earlyhelp import reference
from earlyhelp.spec import TABLES

# What each table is, as the statement names it; the package holds them for England's 151 LAs.
SOURCES = {
    "local_authorities": "ONS codes and names of the LA and its region",
    "population": "ONS mid-year estimates of children aged 0 to 17, 2010 to 2022",
    "deprivation": "IDACI scores of the English Indices of Deprivation 2019",
    "spend": "DfE section 251 outturn, gross spend by line",
    "deflators": "ONS services producer price index, 2021-22 = 100",
}
PACKAGE_TABLES = tuple(SOURCES)


def statement(table: str) -> str:
    """The sentence an output gives for a table taken from the package."""
    return f"{table}: from the package ({SOURCES[table]}; Webb 2024, Open Government Licence v3.0)"


def package_table(table: str, la_codes: Iterable[str], time_periods: Iterable[int] | None = None) -> pa.Table:
    """The package's rows of ``table`` for ``la_codes`` (every row of a table without la_code),
    in the spec's columns and types. ``time_periods`` limits spend to the years a return covers:
    spend figures of other years would be published as the LA's own."""
    frame = getattr(reference, table)()
    spec = TABLES[table]
    if spec.has_la_code:
        frame = frame[frame["la_code"].isin(sorted(set(la_codes)))]
    if table == "spend" and time_periods is not None:
        frame = frame[frame["time_period"].isin(sorted(set(time_periods)))]
    frame = frame[list(spec.column_names)].reset_index(drop=True)
    return pa.Table.from_pandas(frame, preserve_index=False)
