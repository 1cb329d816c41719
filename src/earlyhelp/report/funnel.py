"""Control limits for funnel plots (Spiegelhalter 2005, "Funnel plots for comparing institutional
performance", Statistics in Medicine 24:1185-1202).

An LA's figure is compared with England's: if every LA had England's underlying rate, 95% of them
would fall inside the inner funnel and 99.8% inside the outer one, purely by chance. The funnel
narrows as the LA gets bigger because chance matters less for large numbers.

* Reach (a proportion of children): binomial. Limits are
  ``p0 +/- z * sqrt(p0 * (1 - p0) / n)`` with ``n`` the child population.
* Prevention ratio (children in early help per child in need, can exceed 1): the early help count
  is treated as Poisson with mean ``r0 * n`` where ``n`` is the number of children in need, so the
  ratio's limits are ``r0 +/- z * sqrt(r0 / n)``.

These are the normal approximations Spiegelhalter gives; with LA denominators in the thousands
they agree with the exact limits to well within the published rounding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

# Two-sided standard normal quantiles: 95% -> 1.96, 99.8% -> 3.09.
Z_95 = 1.959963984540054
Z_998 = 3.090232306167813

Model = Literal["binomial", "poisson"]


@dataclass(frozen=True)
class Limits:
    denominator: float
    lower_998: float
    lower_95: float
    upper_95: float
    upper_998: float


def limits(target: float, denominator: float, model: Model, *, scale: float = 1.0) -> Limits:
    """Control limits at one denominator, in the units of ``target`` (``scale`` 100 for percent).

    ``target`` is England's figure in published units (e.g. 4.3 for 4.3% with scale 100).
    """
    if denominator <= 0:
        raise ValueError("a funnel plot needs a positive denominator")
    rate = target / scale
    if model == "binomial":
        spread = math.sqrt(max(rate * (1 - rate), 0.0) / denominator)
    else:
        spread = math.sqrt(max(rate, 0.0) / denominator)

    def at(z: float) -> float:
        return rate + z * spread

    floor = 0.0
    ceiling = 1.0 if model == "binomial" else math.inf
    return Limits(
        denominator=denominator,
        lower_998=max(at(-Z_998), floor) * scale,
        lower_95=max(at(-Z_95), floor) * scale,
        upper_95=min(at(Z_95), ceiling) * scale,
        upper_998=min(at(Z_998), ceiling) * scale,
    )


def funnel(
    target: float, smallest: float, largest: float, model: Model, *, scale: float = 1.0, points: int = 80
) -> list[Limits]:
    """Limits along a log-spaced grid of denominators spanning the LAs plotted."""
    low = max(smallest * 0.8, 1.0)
    high = max(largest * 1.1, low * 1.01)
    step = (math.log(high) - math.log(low)) / (points - 1)
    return [limits(target, math.exp(math.log(low) + i * step), model, scale=scale) for i in range(points)]


def position(value: float, bounds: Limits) -> str:
    """Where a figure sits against the limits at its own denominator, in words."""
    if value > bounds.upper_998:
        return "Above the 99.8% limit"
    if value > bounds.upper_95:
        return "Above the 95% limit"
    if value < bounds.lower_998:
        return "Below the 99.8% limit"
    if value < bounds.lower_95:
        return "Below the 95% limit"
    return "Within the 95% limits"
