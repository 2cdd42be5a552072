"""Which measured points a fit may see, and how its error is reported on the rest.

The split is deterministic: points sorted by size, every fourth held out starting with the
second, so held-out points lie inside the measured range (interpolation, which is what a
planner asks of the model) and the same data always gives the same split.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from simulator.schema.calibration import FitError

HELD_OUT_RULE = (
    "points sorted by size (per fit); every 4th point starting with the 2nd is held out "
    "(never the smallest or the largest); errors are |predicted/measured - 1|"
)
T = TypeVar("T")


def split(points: Sequence[T], key: Callable[[T], object]) -> tuple[list[T], list[T]]:
    """(train, held_out) per HELD_OUT_RULE; with fewer than 4 points nothing is held out."""
    ordered = sorted(points, key=key)  # type: ignore[arg-type]
    if len(ordered) < 4:
        return ordered, []
    held_at = {i for i in range(len(ordered)) if i % 4 == 1 and i != len(ordered) - 1}
    held = [p for i, p in enumerate(ordered) if i in held_at]
    train = [p for i, p in enumerate(ordered) if i not in held_at]
    return train, held


def _abs_pct(pairs: list[tuple[float, float]]) -> list[float]:
    return [abs(pred / meas - 1) * 100 for pred, meas in pairs]


def fit_error(train: list[tuple[float, float]], held: list[tuple[float, float]]) -> FitError:
    """FitError from (predicted, measured) pairs on the train and held-out points."""
    train_pct, held_pct = _abs_pct(train), _abs_pct(held)
    return FitError(
        train_points=len(train),
        held_out_points=len(held),
        train_mean_abs_pct=sum(train_pct) / len(train_pct),
        held_out_mean_abs_pct=sum(held_pct) / len(held_pct) if held_pct else None,
        held_out_max_abs_pct=max(held_pct) if held_pct else None,
    )
