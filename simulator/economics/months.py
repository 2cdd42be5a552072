"""The cost calendar: months of the cost horizon, and spreading time series over them.

Costs are reported per month (an average calendar month, `MONTH_S`, the same month the
engine's growth rates use). A simulation usually covers less than the cost horizon; every
series is integrated month by month over the simulated window, and months (or parts of
months) past the window are filled at the window's average rate. So a 60-day simulation of a
workload is read as a representative period that recurs, and a capacity plan simulated over
the whole horizon is costed exactly as simulated.
"""

from __future__ import annotations

import math

import numpy as np

from simulator.engine.arrivals import MONTH_S

__all__ = ["MONTH_S", "Calendar"]

HOUR_S = 3600.0
DAY_S = 86400.0


class Calendar:
    """Month edges of a cost horizon and the simulated window inside it."""

    def __init__(self, horizon_months: float, simulated_s: float) -> None:
        self.months = max(1, math.ceil(horizon_months - 1e-9))
        self.horizon_s = horizon_months * MONTH_S
        self.simulated_s = simulated_s
        edges = np.arange(self.months + 1, dtype=float) * MONTH_S
        edges[-1] = self.horizon_s
        self.edges = edges

    def month_s(self) -> np.ndarray:
        """Length of each month in seconds (the last may be partial)."""
        return np.diff(self.edges)

    def overlap_s(self, start_s: float, end_s: float) -> np.ndarray:
        """Seconds of [start_s, end_s) falling in each month."""
        lo = np.maximum(self.edges[:-1], start_s)
        hi = np.minimum(self.edges[1:], end_s)
        return np.clip(hi - lo, 0.0, None)

    def unsimulated_s(self) -> np.ndarray:
        """Seconds of each month past the simulated window."""
        return self.overlap_s(self.simulated_s, math.inf)

    def intervals(self, start_s: np.ndarray, end_s: np.ndarray, weight: np.ndarray) -> np.ndarray:
        """Sum over intervals of weight x seconds inside each month (simulated time only)."""
        start_s = np.asarray(start_s, dtype=float)
        end_s = np.minimum(np.asarray(end_s, dtype=float), self.simulated_s)
        weight = np.asarray(weight, dtype=float)
        out = np.zeros(self.months)
        for m in range(self.months):
            lo, hi = self.edges[m], self.edges[m + 1]
            if lo >= self.simulated_s:
                break
            overlap = np.clip(np.minimum(end_s, hi) - np.maximum(start_s, lo), 0.0, None)
            out[m] = float((overlap * weight).sum())
        return out

    def extend(self, simulated: np.ndarray) -> np.ndarray:
        """Per-month amounts over the simulated window, filled past it at the average rate."""
        total = float(np.sum(simulated))
        rate = total / self.simulated_s if self.simulated_s > 0 else 0.0
        return np.asarray(simulated, dtype=float) + rate * self.unsimulated_s()


def cumulative_at(times_s: np.ndarray, level: np.ndarray, end_s: float, at_s: np.ndarray):
    """Integral of a step function (level[i] holds from times_s[i]) up to each of `at_s`.

    The integral of a step function is piecewise linear and continuous, so interpolating its
    values at the step times is exact.
    """
    times_s = np.asarray(times_s, dtype=float)
    level = np.asarray(level, dtype=float)
    if len(times_s) == 0:
        return np.zeros(len(at_s))
    knots = np.append(times_s, max(end_s, times_s[-1]))
    widths = np.diff(knots)
    integral = np.concatenate([[0.0], np.cumsum(level * widths)])
    clipped = np.clip(np.asarray(at_s, dtype=float), knots[0], knots[-1])
    return np.interp(clipped, knots, integral)
