"""Statistical neighbours: for every LA, the ten LAs most like it before the years we report on.

In the spirit of DfE's children's services statistical neighbour benchmarking tool (NFER, 2007): a
Euclidean distance over standardised socio-economic characteristics, the ten nearest LAs being the
neighbours. The characteristics, years, weights and the differences from DfE's model are in
docs/compare.md. The tables are derived by ``scripts/derive_reference.py`` from the Webb (2024)
panel (see :data:`earlyhelp.reference.SOURCE_CITATION`) and shipped in the package.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

import pandas as pd

from earlyhelp.reference import local_authorities, resolve_la

NEIGHBOURS_PER_LA = 10

# Characteristic -> weight in the distance (see scripts/derive_reference.py for the panel columns).
CHARACTERISTICS: dict[str, float] = {
    "idaci_2019": 1.0,
    "child_poverty_pct": 1.0,
    "log_children_0_16": 1.0,
    "cin_rate_per_10k": 1.0,
    "cla_rate_per_10k": 1.0,
    "children_not_white_pct": 1.0,
}


@cache
def _read(name: str) -> pd.DataFrame:
    with resources.files("earlyhelp.reference").joinpath("data", f"{name}.csv").open("rb") as f:
        return pd.read_csv(f, dtype={"la_code": "string", "neighbour_la_code": "string"})


def neighbour_table() -> pd.DataFrame:
    """Every LA's neighbours: la_code, rank (1 = nearest), neighbour_la_code, distance."""
    return _read("statistical_neighbours").copy()


def neighbour_characteristics() -> pd.DataFrame:
    """la_code, each characteristic of :data:`CHARACTERISTICS` as measured, and ``z_<name>`` its
    z-score across the 151 LAs; the distance is computed from the z-scores."""
    return _read("neighbour_characteristics").copy()


def statistical_neighbours(la: str, k: int = NEIGHBOURS_PER_LA) -> pd.DataFrame:
    """The ``k`` nearest LAs of ``la`` (an ONS code, DfE LA number or name; see
    :func:`earlyhelp.reference.resolve_la`), nearest first: rank, la_code, la_name, region_name,
    distance."""
    if not 1 <= k <= NEIGHBOURS_PER_LA:
        raise ValueError(f"k must be from 1 to {NEIGHBOURS_PER_LA}, the neighbours shipped per LA; got {k}.")
    la_code = resolve_la(la)
    table = neighbour_table()
    mine = table[table["la_code"] == la_code].sort_values("rank").head(k)
    names = local_authorities()[["la_code", "la_name", "region_name"]]
    named = mine.merge(names, left_on="neighbour_la_code", right_on="la_code", suffixes=("_of", ""))
    return named[["rank", "la_code", "la_name", "region_name", "distance"]].reset_index(drop=True)
