"""When owning pays off, on each cost basis: the month cumulative curves cross, and the
utilization at which owning beats renting.

Break-even month on a basis: the first month from which cumulative owned cost on that basis
stays at most the cumulative rented cost on it to the end of the horizon (None: owning is not
ahead at the end). A month where owning is briefly ahead and then falls behind again (rented
costs front-loaded by a job that runs early, flat owned accruals) is no break-even. On the
cash basis owning pays its capital when the nodes arrive, so it starts far behind and catches
up; on the accrued basis capital is depreciated, so the curves are straight-ish lines.
Curves of unequal length (project mode: each option runs until its own jobs finish) are
compared with the shorter one flat after its end: a finished project costs nothing more.

Utilization: each option's total on a basis splits into a fixed part and a part proportional
to the GPU-hours used (`OptionCost.variable_usd`, the same on both bases: per-use compute,
electricity above idle). With both as straight lines in utilization u (GPU-hours used over
the owned fleet's GPU-hours), owning costs F_o + V_o u / u_o and renting F_c + V_c u / u_c,
where u_o, u_c are the utilizations their simulations delivered. They cross at
u* = (F_o - F_c) / (V_c / u_c - V_o / u_o). Above u* owning is cheaper; u* = 0 means owning
is cheaper at any use, None that it never is; u* > 1 means only at more than full use.
"""

from __future__ import annotations

import numpy as np

from simulator.economics.ledger import OptionCost
from simulator.schema.cost_summary import CostBasis


def break_even_month(owned_usd: np.ndarray, rented_usd: np.ndarray) -> int | None:
    """First month (1-based) from which cumulative owned USD <= cumulative rented USD holds
    through the last month."""
    months = max(len(owned_usd), len(rented_usd))
    owned = np.cumsum(np.pad(np.asarray(owned_usd, float), (0, months - len(owned_usd))))
    rented = np.cumsum(np.pad(np.asarray(rented_usd, float), (0, months - len(rented_usd))))
    behind = np.nonzero(owned > rented + 1e-6)[0]
    if len(behind) == 0:
        return 1
    last_behind = int(behind[-1])
    return last_behind + 2 if last_behind + 1 < months else None


def beat_utilization(
    owned: OptionCost, rented: OptionCost, basis: CostBasis = "accrued"
) -> float | None:
    """Utilization of the owned fleet above which owning costs less than `rented` on `basis`."""
    capacity = owned.capacity_gpu_hours
    if capacity <= 0:
        return None
    u_owned = owned.delivered_gpu_hours / capacity
    u_rented = rented.delivered_gpu_hours / capacity
    slope_owned = owned.variable_usd / u_owned if u_owned > 0 else 0.0
    slope_rented = rented.variable_usd / u_rented if u_rented > 0 else 0.0
    fixed_owned = owned.total(basis) - owned.variable_usd
    fixed_rented = rented.total(basis) - rented.variable_usd
    gap = slope_rented - slope_owned
    if gap <= 0:
        return 0.0 if fixed_owned <= fixed_rented else None
    return max(0.0, (fixed_owned - fixed_rented) / gap)
