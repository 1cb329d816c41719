"""Synthetic England: a calibrated population of children's journeys with known truth.

Public API::

    from earlyhelp.synth import generate, check
    generate(Path("out"), scale="tiny", years=(201516, 201920), seed=0, fmt="parquet")
    report = check(Path("out"))   # CheckReport: rows of figure, year, published, synthetic, ratio, ok

Settings are data (:class:`SynthSettings`, :class:`StepDownEffect`, :class:`SpendEffect`,
:class:`Behaviour`); pass ``settings=`` to :func:`generate` to change a planted effect.
"""

from earlyhelp.synth.check import CheckReport, CheckRow, check
from earlyhelp.synth.generate import FORMATS, generate, settings_for
from earlyhelp.synth.settings import (
    NO_IDENTITY_FAULTS,
    SCALES,
    Behaviour,
    Scale,
    SpendEffect,
    StepDownEffect,
    SynthSettings,
    parse_years,
)

__all__ = [
    "FORMATS",
    "NO_IDENTITY_FAULTS",
    "SCALES",
    "Behaviour",
    "CheckReport",
    "CheckRow",
    "Scale",
    "SpendEffect",
    "StepDownEffect",
    "SynthSettings",
    "check",
    "generate",
    "parse_years",
    "settings_for",
]
