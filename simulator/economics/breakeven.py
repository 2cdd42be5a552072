"""When owning pays off: the month cumulative cash curves cross, and the utilization at which
owning beats renting.

Break-even compares cash: owning pays its capital when the nodes arrive and its running costs
monthly; renting pays monthly. The break-even month is the first month whose cumulative owned
cost is at most the cumulative rented cost (None: not within the horizon).

Utilization: each option's horizon total splits into a fixed part and a part proportional to
the GPU-hours used (`OptionCost.variable_usd`). With both as straight lines in utilization u
(GPU-hours used over the owned fleet's GPU-hours), owning costs F_o + V_o u / u_o and renting
F_c + V_c u / u_c, where u_o, u_c are the utilizations their simulations delivered. They cross
at u* = (F_o - F_c) / (V_c / u_c - V_o / u_o). Above u* owning is cheaper; u* = 0 means owning
is cheaper at any use, None that it never is; u* > 1 means only at more than full use.
"""

from __future__ import annotations

import numpy as np

from simulator.economics.ledger import OptionCost


def break_even_month(owned_cash: np.ndarray, rented_cash: np.ndarray) -> int | None:
    """First month (1-based) in which cumulative owned cash <= cumulative rented cash."""
    owned = np.cumsum(owned_cash)
    rented = np.cumsum(rented_cash)
    hits = np.nonzero(owned <= rented + 1e-6)[0]
    return int(hits[0]) + 1 if len(hits) else None


def beat_utilization(owned: OptionCost, rented: OptionCost) -> float | None:
    """Utilization of the owned fleet above which owning costs less than `rented`."""
    capacity = owned.capacity_gpu_hours
    if capacity <= 0:
        return None
    u_owned = owned.delivered_gpu_hours / capacity
    u_rented = rented.delivered_gpu_hours / capacity
    slope_owned = owned.variable_usd / u_owned if u_owned > 0 else 0.0
    slope_rented = rented.variable_usd / u_rented if u_rented > 0 else 0.0
    fixed_owned = owned.total_usd - owned.variable_usd
    fixed_rented = rented.total_usd - rented.variable_usd
    gap = slope_rented - slope_owned
    if gap <= 0:
        return 0.0 if fixed_owned <= fixed_rented else None
    return max(0.0, (fixed_owned - fixed_rented) / gap)
