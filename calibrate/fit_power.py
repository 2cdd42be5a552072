"""power = idle + (max - idle) x utilization ** exponent, fitted to duty-cycle samples.

An exponent below 1 means power rises fast at low load (clocks ramp before the tensor cores
fill), above 1 that it rises late. The fitted curve becomes the profile's `power_curve`.
"""

from __future__ import annotations

import math

import numpy as np

from calibrate.optimize import minimize, robust_log_loss
from calibrate.split import fit_error, split
from simulator.schema.calibration import PowerFit, PowerSample


def power_at(fit: PowerFit, utilization: float) -> float:
    """Fitted power at `utilization` in [0, 1]."""
    return fit.idle_w + (fit.max_w - fit.idle_w) * utilization**fit.exponent


def fit_power(samples: list[PowerSample]) -> PowerFit:
    """Fit to >= 3 samples (held-out error when >= 4)."""
    if len(samples) < 3:
        raise ValueError("need power at three or more duty cycles to fit a curve")
    train, held = split(samples, key=lambda s: s.duty_cycle)

    def curve(x: np.ndarray, u: float) -> float:
        idle, span, exponent = math.exp(x[0]), math.exp(x[1]), math.exp(x[2])
        return idle + span * u**exponent

    def loss(x: np.ndarray) -> float:
        return robust_log_loss([curve(x, s.duty_cycle) for s in train], [s.power_w for s in train])

    low = min(train, key=lambda s: s.duty_cycle).power_w
    high = max(train, key=lambda s: s.duty_cycle).power_w
    x, _ = minimize(loss, np.log([low, max(high - low, 1.0), 1.0]))
    fit = PowerFit(
        idle_w=math.exp(x[0]),
        max_w=math.exp(x[0]) + math.exp(x[1]),
        exponent=math.exp(x[2]),
        source="nvml",
    )
    error = fit_error(
        [(power_at(fit, s.duty_cycle), s.power_w) for s in train],
        [(power_at(fit, s.duty_cycle), s.power_w) for s in held],
    )
    return fit.model_copy(update={"error": error})
