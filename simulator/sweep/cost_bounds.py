"""Lower bounds on what each price option costs at a point, without simulating it.

A budget constraint is as common as a deadline, and a grid holds many points whose fleet alone
costs more than the budget. The economics package prices a run; here it prices the cheapest run
the point could have, so the bound and the real figure come from the same code and cannot drift:

- **Owned** (and the owned side of hybrid): capital, capital charge, maintenance, staff and
  colocation follow the fleet, not the workload; electricity is at least the fleet's idle floor
  (nodes in service from the start, at their lowest possible draw) every simulated hour, times
  PUE and that hour's price. The floor holds only when no node can leave service (failures off,
  no spot pools: a node out for repair or reclaimed draws nothing); otherwise it is zero.
  `price_onprem` on that idle-floor usage is the bound; burst compute only adds to it.
- **Reserved**: the contracted instances over the horizon plus egress (the kind's
  `Rented.bill` on an empty usage); overflow on demand and storage only add to it.
- **On demand** (the kinds whose `lower_bound_counts_jobs` is set): egress, plus for each
  training job known to finish its fewest GPU-hours (steps x best-case step time, on the
  cheapest pool it may use; its own GPUs, since packed jobs share instances) at the price,
  scaled as the cost calendar scales a simulated window to the horizon. A job that never
  starts costs nothing, so a job's share counts only when the caller passes it in
  `finished`: a search does so for jobs whose time-to-train a constraint caps, since a run
  leaving such a job unfinished is infeasible whatever it costs.
- **Spot and capacity blocks**: egress only (spot is costed on a run of its own in which nodes
  are reclaimed, and nothing says that run finishes; blocks are clipped to the window).

Figures: `costs.options.<option>.cost_accrued_usd` and `.cost_cash_usd` (and version 1's name
`.total_usd`, the accrued one) for every option, and
`costs.options.<option>.training_runs_usd.<job>` for on-demand options and finished jobs.
An option the economics package cannot price here (a missing price) gets no bound: the
simulated run reports the problem.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

import numpy as np
import pandas as pd

from simulator.economics.cloud import pool_instances, sheet_of, usd_per_gpu_hour
from simulator.economics.compare import horizon_months_of
from simulator.economics.energy import energy_cost
from simulator.economics.ledger import OptionCost
from simulator.economics.months import HOUR_S, Calendar
from simulator.economics.purchases import Owned, purchase_of
from simulator.economics.site import FacilityFigures
from simulator.economics.usage import Usage
from simulator.engine.build_out import added_nodes
from simulator.engine.power import PoolPower
from simulator.errors import InputError
from simulator.scenario import LoadedScenario, pool_capacities
from simulator.schema.scenario import PriceOption

SLACK = 1e-9
"""Relative shave off every bound: the real figure sums the same terms in another order."""

JOB_COLUMNS = {
    "job_id": int,
    "name": str,  # pandas' own text dtype (`str` under pandas 3, object before), as a run's
    "kind": str,
    "pool": str,
    "num_gpus": int,
    "burst": bool,
    "gpu_hours": float,
    "useful_gpu_hours": float,
    "energy_kwh": float,
    "start_s": float,
    "run_s": float,
}
INTERVAL_COLUMNS = {"job_id": int, "start_s": float, "end_s": float, "gpus_weight": float}


def idle_floor_kw(loaded: LoadedScenario) -> float:
    """Least IT power the cluster can draw at any moment, kW (0 if nodes can leave service).

    The engine's idle baseline, summed in its order: every node built draws idle power, less
    the build-out nodes withdrawn until their in-service date (`engine.build_out`).
    """
    s = loaded.scenario
    if s.policies.failures.enabled or any(p.spot is not None for p in s.cluster.pools):
        return 0.0
    hardware = loaded.world.pools
    power = {name: PoolPower.of_hardware(hw.node, hw.gpu) for name, hw in hardware.items()}
    capacity = {c.name: c for c in pool_capacities(loaded)}
    floor_w = sum(power[name].node_idle_w * capacity[name].nodes for name in hardware)
    for name, added in added_nodes(s.cluster).items():
        c = capacity[name]
        for _ in range(min(added, c.nodes - c.spares)):
            floor_w -= power[name].node_idle_w
    for name, pp in power.items():
        # a running job may draw below idle only if the profiles say so; allow for it
        below = min(0.0, *pp.state_dyn_w.values())
        below += min(0.0, pp.overhead_busy_per_gpu_w - pp.overhead_idle_per_gpu_w)
        floor_w += below * capacity[name].nodes * capacity[name].gpus_per_node
    return max(0.0, floor_w) / 1000.0


def floor_usage(calendar: Calendar, floor_kw: float) -> Usage:
    """A run in which no job ran and the cluster drew `floor_kw` throughout."""
    sim_s = calendar.simulated_s
    hours = np.arange(0.0, sim_s + HOUR_S, HOUR_S)  # the hours `Usage.of` integrates over
    hours[-1] = sim_s
    by_month = floor_kw * np.diff(np.minimum(calendar.edges, sim_s)) / HOUR_S
    return Usage(
        calendar=calendar,
        jobs=pd.DataFrame({k: pd.Series(dtype=t) for k, t in JOB_COLUMNS.items()}),
        intervals=pd.DataFrame({k: pd.Series(dtype=t) for k, t in INTERVAL_COLUMNS.items()}),
        it_kwh_by_month=calendar.extend(by_month),
        it_kwh_by_hour=floor_kw * np.diff(hours) / HOUR_S,
    )


def _job_floors(
    loaded: LoadedScenario,
    option: PriceOption,
    where: str,
    calendar: Calendar,
    job_floor_s: Mapping[str, Mapping[str, float]],
) -> tuple[float, dict[str, float]]:
    """(least compute USD over the horizon, least USD per training run) of the given jobs."""
    sheet = sheet_of(loaded, option.sheet)
    instances = pool_instances(loaded, sheet, option.instance_type, where)
    sim_s, horizon_s = calendar.simulated_s, calendar.horizon_s
    past_horizon_s = max(0.0, sim_s - horizon_s)  # held time the calendar drops
    stretch = max(1.0, horizon_s / sim_s)  # the calendar repeats the window to the horizon
    total, runs = 0.0, {}
    for name, by_pool in job_floor_s.items():
        job = next(j for j in loaded.scenario.workloads.training_jobs if j.name == name)
        run_usd, window_usd = math.inf, math.inf
        for pool, floor_s in by_pool.items():
            inst = instances[pool]
            # the job's own GPUs, not whole instances: jobs packed onto shared instances, or a
            # sheet renting single GPUs, may pay for no more than these
            usd_per_s = job.num_gpus * usd_per_gpu_hour(
                loaded, inst, option.purchase, sheet.id, where
            )
            usd_per_s /= HOUR_S
            run_usd = min(run_usd, usd_per_s * floor_s)
            window_usd = min(window_usd, usd_per_s * max(0.0, floor_s - past_horizon_s) * stretch)
        if math.isfinite(run_usd):
            runs[name] = run_usd
            total += window_usd
    return total, runs


def option_bounds(
    loaded: LoadedScenario,
    option: PriceOption,
    where: str,
    job_floor_s: Mapping[str, Mapping[str, float]],
) -> dict[str, float]:
    """Least value of each cost figure of one option (figure name under the option -> USD)."""
    calendar = Calendar(horizon_months_of(loaded), loaded.scenario.horizon_days * 86400.0)
    facility = loaded.world.facility
    site = FacilityFigures(  # no run yet: the facility's figures, no storage used
        pue=facility.pue,
        electricity_usd_per_kwh=facility.electricity_usd_per_kwh,
        carbon_g_per_kwh=facility.carbon_g_per_kwh,
    )
    if loaded.scenario.pricing.mode == "project":  # each option's horizon is its own run's
        return {}
    purchase = purchase_of(option.purchase)
    if isinstance(purchase, Owned):  # owned or colocation
        usage = floor_usage(calendar, idle_floor_kw(loaded))
        energy = energy_cost(loaded, usage, site, None)
        return _bases(purchase.price_fleet(loaded, option, where, usage, energy))
    floor = purchase.bill(loaded, option, where, floor_usage(calendar, 0.0), site)
    if not purchase.lower_bound_counts_jobs or loaded.scenario.cluster.burst is not None:
        return _bases(floor)
    compute, runs = _job_floors(loaded, option, where, calendar, job_floor_s)
    out = _bases(floor, compute)
    out.update({f"training_runs_usd.{name}": usd for name, usd in runs.items()})
    return out


def _bases(cost: OptionCost, extra_usd: float = 0.0) -> dict[str, float]:
    """The bound on both bases (and version 1's `total_usd`, the accrued one)."""
    accrued = cost.accrued_usd + extra_usd
    return {
        "cost_accrued_usd": accrued,
        "cost_cash_usd": cost.cash_usd + extra_usd,
        "total_usd": accrued,
    }


def cost_bounds(
    loaded: LoadedScenario,
    job_floor_s: Mapping[str, Mapping[str, float]],
    finished: Collection[str],
) -> dict[str, float]:
    """Least value of every option's cost figures, keyed as the sweep's figures are.

    Args:
        job_floor_s: training job -> pool it may use -> fewest seconds it holds its GPUs there.
        finished: training jobs every run that matters finishes (see the module docstring).
    """
    floors = {name: by_pool for name, by_pool in job_floor_s.items() if name in finished}
    out: dict[str, float] = {}
    for i, option in enumerate(loaded.scenario.pricing.options):
        try:
            figures = option_bounds(loaded, option, f"pricing.options[{i}]", floors)
        except InputError:
            continue
        for key, usd in figures.items():
            out[f"costs.options.{option.name}.{key}"] = max(0.0, usd * (1.0 - SLACK))
    return out
