"""A small valid EHLD return shipped with the package: one LA, 40 children, made-up identities.

``path()`` is the folder; ``earlyhelp validate`` passes on it (``make demo`` uses synthetic England). It is
written by :mod:`earlyhelp.sample.make` (deterministic; every identity is fake: NHS numbers in the
999 test range, ZZ99 pseudo-postcodes, invented names).
"""

from __future__ import annotations

from pathlib import Path

LA_CODE = "E06000001"


def path() -> Path:
    """The folder holding the sample return's CSV files, one per table."""
    return Path(__file__).parent / "data"


__all__ = ["LA_CODE", "path"]
