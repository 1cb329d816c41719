"""Comparing an LA with others: its statistical neighbours (and, later, their published figures)."""

from earlyhelp.compare.neighbours import (
    CHARACTERISTICS,
    NEIGHBOURS_PER_LA,
    neighbour_characteristics,
    neighbour_table,
    statistical_neighbours,
)

__all__ = [
    "CHARACTERISTICS",
    "NEIGHBOURS_PER_LA",
    "neighbour_characteristics",
    "neighbour_table",
    "statistical_neighbours",
]
