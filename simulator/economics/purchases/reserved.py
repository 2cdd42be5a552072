"""Reserved (1 or 3 years): instances paid for every hour of every month, used or not.

By default the option reserves instances for every node in service (renewed at term end), or
the listed `reserved_contracts` (each lasting its `months`, else the term). GPU-hours beyond
the contracted ones go on demand, netted hour by hour (as reservation discounts apply per
clock-hour): in each simulated hour, GPU-hours held beyond the contracted ones are overflow.
The two terms differ only in their length and their price on the sheet.

Bases: accrued, each contract is amortised over its term, so the horizon carries the hours
of it that fall inside the horizon; cash, a contract signed inside the horizon is owed for
its whole term (a default reservation for the term running at the horizon's end): the
months past the horizon are booked in its last month, never prorated away. The committed
cash that no job used (idle reserved hours, the term past the horizon) is
`unused_commitment_usd`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from simulator.economics.billing import instance_gpus_held
from simulator.economics.cloud import pool_instances, usd_per_gpu_hour
from simulator.economics.fleet import cohorts
from simulator.economics.ledger import OptionCost
from simulator.economics.months import HOUR_S, MONTH_S, cumulative_at
from simulator.economics.purchases.on_demand import OnDemand
from simulator.economics.purchases.rented import Rented
from simulator.economics.usage import Usage
from simulator.scenario import LoadedScenario
from simulator.schema.pricing import PricingProfile
from simulator.schema.scenario import PriceOption


class Reserved(Rented):
    """Committed capacity for a term; what the two reserved kinds share."""

    term_months: ClassVar[float]
    """how long a contract lasts unless it says otherwise"""

    def book_compute(
        self,
        cost: OptionCost,
        loaded: LoadedScenario,
        usage: Usage,
        sheet: PricingProfile,
        option: PriceOption,
        where: str,
    ) -> None:
        c = self.compute(loaded, usage, sheet, option, where)
        cost.add("compute", c.reserved_usd)
        cost.add("compute_overflow", c.overflow_usd, variable=True)
        cost.capacity_gpu_hours = c.contracted_gpu_hours
        owed = np.zeros(cost.months)
        owed[-1] = c.owed_after_horizon_usd
        cost.add_cash("compute_term_past_horizon", owed)
        committed = float(c.reserved_usd.sum()) + c.owed_after_horizon_usd
        used_share = c.used_gpu_hours / c.contracted_gpu_hours if c.contracted_gpu_hours else 0.0
        cost.unused_commitment_usd = committed - float(c.reserved_usd.sum()) * used_share
        term = f"{self.term_months:g}-month"
        cost.billing = f"reserved instance-hours, {term} term paid in full"
        if c.owed_after_horizon_usd > 0:
            cost.notes.append(
                f"cash includes ${c.owed_after_horizon_usd:,.0f} of the {term} term past the "
                "horizon, booked in its last month"
            )

    def compute(
        self,
        loaded: LoadedScenario,
        usage: Usage,
        sheet: PricingProfile,
        option: PriceOption,
        where: str,
    ) -> ReservedCompute:
        """Reserved and overflow USD per month, the term owed past the horizon, GPU-hours."""
        cal = usage.calendar
        instances = pool_instances(loaded, sheet, option.instance_type, where)
        first = instances[loaded.scenario.cluster.pools[0].name]
        steps: list[tuple[float, float, float]] = []  # (start_s, end_s, GPUs) contracted
        usd = np.zeros(cal.months)
        owed = 0.0
        term_s = self.term_months * MONTH_S
        if option.reserved_contracts:
            rate = usd_per_gpu_hour(loaded, first, self.kind, sheet.id, where)
            for contract in option.reserved_contracts:
                start = contract.start_month * MONTH_S
                end = start + (contract.months or self.term_months) * MONTH_S
                gpus = contract.instances * first.gpus_per_instance
                steps.append((start, end, gpus))
                usd += cal.overlap_s(start, end) / HOUR_S * gpus * rate
                if start < cal.horizon_s:
                    owed += max(0.0, end - max(start, cal.horizon_s)) / HOUR_S * gpus * rate
        else:
            gpus_by_pool: dict[str, int] = {}
            for c in cohorts(loaded):
                inst = instances[c.pool]
                rate = usd_per_gpu_hour(loaded, inst, self.kind, sheet.id, where)
                before = math.ceil(gpus_by_pool.get(c.pool, 0) / inst.gpus_per_instance)
                gpus_by_pool[c.pool] = gpus_by_pool.get(c.pool, 0) + c.gpus
                after = math.ceil(gpus_by_pool[c.pool] / inst.gpus_per_instance)
                gpus = (after - before) * inst.gpus_per_instance
                steps.append((c.start_s, math.inf, gpus))
                usd += cal.overlap_s(c.start_s, math.inf) / HOUR_S * gpus * rate
                if c.start_s < cal.horizon_s:  # the term running at the horizon's end
                    terms = max(1, math.ceil((cal.horizon_s - c.start_s) / term_s - 1e-9))
                    term_end = c.start_s + terms * term_s
                    owed += (term_end - cal.horizon_s) / HOUR_S * gpus * rate
        contracted_gpu_h = sum(g * cal.overlap_s(a, b).sum() / HOUR_S for a, b, g in steps)
        sim_s = cal.simulated_s
        per_instance = {p: x.gpus_per_instance for p, x in instances.items()}
        used = _hourly(*instance_gpus_held(usage.holdings, per_instance), sim_s)
        r_times = np.array([0.0] + [a for a, _, _ in steps] + [b for _, b, _ in steps if b < sim_s])
        r_delta = np.array(
            [0.0] + [g for _, _, g in steps] + [-g for _, b, g in steps if b < sim_s]
        )
        order = np.argsort(r_times, kind="stable")
        reserved = _hourly(r_times[order], np.cumsum(r_delta[order]), sim_s)
        overflow_gpu_h = _by_month_of_hour(usage, np.clip(used - reserved, 0.0, None))
        used_gpu_h = float(_by_month_of_hour(usage, np.minimum(used, reserved)).sum())
        overflow = np.zeros(cal.months)
        if np.any(overflow_gpu_h > 1e-6):
            where_od = f"{where} (GPU-hours beyond the reserved contracts)"
            od_rate = usd_per_gpu_hour(loaded, first, OnDemand.kind, sheet.id, where_od)
            overflow = overflow_gpu_h * od_rate
        return ReservedCompute(usd, overflow, owed, float(contracted_gpu_h), used_gpu_h)


@dataclass(frozen=True)
class ReservedCompute:
    """What a reservation costs and delivers over the horizon."""

    reserved_usd: np.ndarray
    """reserved instance-hours inside the horizon, USD per month"""
    overflow_usd: np.ndarray
    """GPU-hours beyond the contracts, on demand, USD per month"""
    owed_after_horizon_usd: float
    """the terms signed inside the horizon that run past it"""
    contracted_gpu_hours: float
    """contracted GPU-hours inside the horizon"""
    used_gpu_hours: float
    """of those, GPU-hours jobs held"""


class Reserved1yr(Reserved):
    """A one-year commitment."""

    kind = "reserved_1yr"
    term_months = 12.0


class Reserved3yr(Reserved):
    """A three-year commitment."""

    kind = "reserved_3yr"
    term_months = 36.0


def _hourly(times: np.ndarray, level: np.ndarray, sim_s: float) -> np.ndarray:
    edges = np.append(np.arange(0.0, sim_s, HOUR_S), sim_s)
    return np.diff(cumulative_at(times, level, sim_s, edges)) / HOUR_S


def _by_month_of_hour(usage: Usage, hourly: np.ndarray) -> np.ndarray:
    cal = usage.calendar
    month = (np.arange(len(hourly)) * HOUR_S // MONTH_S).astype(int)
    keep = (month < cal.months) & (np.arange(len(hourly)) * HOUR_S < cal.horizon_s)
    return cal.extend(np.bincount(month[keep], weights=hourly[keep], minlength=cal.months))
