"""Plausibility bounds for profile figures, with the unit slip a refused value most likely is.

`memory_gib: 81920` (MiB written as GiB), `memory_bandwidth_gb_per_s: 3.35` (TB/s written as
GB/s) or a peak of 1e300 TFLOP/s used to validate and give confident nonsense. Each bounded
field says what range real hardware spans, and a value outside it is refused with the reading
that would put it inside: a factor of 1024 or 1000 away, the usual slips of a unit prefix.

The ranges are wide on purpose (a laptop CPU measured by `infrasim calibrate` to the largest
accelerator announced), so they only catch values no device has.
"""

from __future__ import annotations

from collections.abc import Callable

from pydantic import AfterValidator

DECIMAL = (1e3, 1e6, 1e9, 1e12)
"""Decimal prefixes (k, M, G, T): rates in GB/s and TFLOP/s."""
BINARY = (1024.0, 1024.0**2, 1024.0**3)
"""Binary prefixes (Ki, Mi, Gi): sizes in GiB."""


def plausible(
    low: float, high: float, unit: str, factors: tuple[float, ...] = DECIMAL
) -> AfterValidator:
    """A validator refusing values outside [low, high] `unit`, naming the likely slip."""

    def check(value: float | None) -> float | None:
        if value is None or low <= value <= high:
            return value
        raise ValueError(slip_message(value, low, high, unit, factors))

    return AfterValidator(check)


def slip_message(
    value: float, low: float, high: float, unit: str, factors: tuple[float, ...] = DECIMAL
) -> str:
    """Why `value` is refused, and what it would be if a unit prefix slipped by `factors`."""
    text = f"{value:.4g} {unit} is outside what any device has ({low:g} to {high:g} {unit})"
    fix: Callable[[float], float] = (lambda f: value / f) if value > high else (lambda f: value * f)
    for factor in factors:
        if low <= fix(factor) <= high:
            way = "divided" if value > high else "multiplied"
            return f"{text}; a unit slip? {way} by {factor:g} it would be {fix(factor):.4g} {unit}"
    return text
