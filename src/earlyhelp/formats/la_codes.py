"""DfE three-digit LA numbers <-> ONS LA codes.

The table (``schemas/la_codes.csv``) is derived from the ``old_la_code``/``new_la_code`` pairs of
Calum Webb (2024), "Investing in Prevention & Support" (doi 10.15131/shef.data.26348359; DfE and
ONS data, Open Government Licence) and the DfE "Characteristics of children in need" 2022
release; see ``schemas/SOURCES.md``.
"""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources


@cache
def _pairs() -> list[tuple[str, str, int]]:
    text = resources.files("earlyhelp.formats").joinpath("schemas/la_codes.csv").read_text("utf-8")
    return [(row["dfe_la_number"], row["la_code"], int(row["last_year"])) for row in csv.DictReader(text.splitlines())]


@cache
def dfe_to_ons() -> dict[str, str]:
    """DfE LA number (e.g. '805') -> ONS code (e.g. 'E06000001'); the latest pair wins."""
    chosen: dict[str, tuple[int, str]] = {}
    for number, code, year in _pairs():
        if number not in chosen or year >= chosen[number][0]:
            chosen[number] = (year, code)
    return {number: code for number, (_, code) in chosen.items()}


@cache
def ons_to_dfe() -> dict[str, str]:
    chosen: dict[str, tuple[int, str]] = {}
    for number, code, year in _pairs():
        if code not in chosen or year >= chosen[code][0]:
            chosen[code] = (year, number)
    return {code: number for code, (_, number) in chosen.items()}


def known_dfe_numbers() -> frozenset[str]:
    return frozenset(number for number, _, _ in _pairs())
