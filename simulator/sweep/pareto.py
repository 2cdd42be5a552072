"""Pareto front: the points no other point beats on every objective at once.

A planner trading cost against time-to-train wants the configurations where saving money
costs time and vice versa; everything else is strictly worse than something on the front.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def dominates(a: Sequence[float], b: Sequence[float]) -> bool:
    """True if `a` is no worse than `b` everywhere and better somewhere (all minimised)."""
    return all(x <= y for x, y in zip(a, b, strict=True)) and any(
        x < y for x, y in zip(a, b, strict=True)
    )


def pareto_mask(rows: Sequence[Sequence[float]], goals: Sequence[str]) -> list[bool]:
    """Which rows are on the front; `goals` holds 'minimize' or 'maximize' per column.

    Rows with a missing (NaN) objective are never on the front. Equal rows are all kept: two
    configurations with the same figures are equally good choices.
    """
    signs = [1.0 if g == "minimize" else -1.0 for g in goals]
    costs = [
        None
        if any(not math.isfinite(v) for v in row)
        else [s * v for s, v in zip(signs, row, strict=True)]
        for row in rows
    ]
    mask = []
    for i, row in enumerate(costs):
        if row is None:
            mask.append(False)
            continue
        mask.append(
            not any(
                other is not None and dominates(other, row)
                for j, other in enumerate(costs)
                if j != i
            )
        )
    return mask
