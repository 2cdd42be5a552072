"""Replication statistics: the mean of a figure over seeds and its 95% confidence interval.

A single run hides randomness (failures, arrivals), so each point runs N seeds and reports
mean +- t(0.975, N-1) * s / sqrt(N), the Student t interval for a mean from a small sample with
unknown variance. The t quantile is scipy's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy.stats import t as student_t

CONFIDENCE = 0.95


def t_quantile(p: float, df: float) -> float:
    """The t value below which a fraction `p` (0.5 <= p < 1) of Student's t lies."""
    if not 0.5 <= p < 1.0 or df <= 0:
        raise ValueError(f"t_quantile needs 0.5 <= p < 1 and df > 0 (got p={p}, df={df})")
    return float(student_t.ppf(p, df))


def mean_ci(values: Sequence[float | None], confidence: float = CONFIDENCE) -> tuple[float, float]:
    """(mean, half-width of the two-sided Student t interval) over replications.

    A missing value (a job that never finished, a figure a run did not produce) makes both NaN:
    averaging only the runs that happened to finish would flatter the point. One replication
    gives a mean but no interval (NaN half-width).
    """
    if not values or any(v is None or not math.isfinite(v) for v in values):
        return math.nan, math.nan
    xs = [float(v) for v in values]  # type: ignore[arg-type]
    n = len(xs)
    mean = math.fsum(xs) / n
    if n < 2:
        return mean, math.nan
    var = math.fsum((x - mean) ** 2 for x in xs) / (n - 1)
    half = t_quantile(0.5 + confidence / 2.0, n - 1) * math.sqrt(var / n)
    return mean, half
