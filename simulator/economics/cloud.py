"""Renting: on-demand, spot and capacity blocks billed per use; reserved capacity billed always.

- On-demand and spot bill each job's GPU-hours at instance granularity: a 4-GPU job on an
  8-GPU p5 pays for 8 GPUs (per-second billing, no packing of jobs into shared instances).
  Spot runs come from a simulation in which the engine reclaims spot nodes, so lost work and
  restarts are billed too.
- Capacity blocks book whole instances for whole days, from a job's first start for as many
  days as it ran (failures and restarts included).
- Reserved (1 or 3 years) pays for its instances every hour of every month, used or not: by
  default instances for every node in service (renewed at term end), or the listed
  `reserved_contracts`; GPU-hours beyond the contracted ones in a month go on-demand.
- Storage is billed on the peak the run used per tier, every month; local NVMe comes with
  the instances. Egress is `pricing.egress_tb_per_month` at the sheet's rate.
A price the option needs but the sheet lacks is an InputError naming the option, never a zero.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulator.economics.fleet import cohorts
from simulator.economics.ledger import OptionCost
from simulator.economics.months import HOUR_S, MONTH_S, cumulative_at
from simulator.economics.usage import Usage
from simulator.errors import InputError, Problem
from simulator.scenario import LoadedScenario, resolve_profile
from simulator.schema.pricing import InstancePrice, PricingProfile
from simulator.schema.scenario import PriceOption

DAY_S = 86400.0
TB_GB = 1000.0


def sheet_of(loaded: LoadedScenario, sheet_id: str) -> PricingProfile:
    """The pricing profile `sheet_id` (the loader has checked it exists)."""
    return loaded.catalog.profiles["pricing"][sheet_id]  # type: ignore[return-value]


def _problem(loaded: LoadedScenario, where: str, message: str) -> InputError:
    return InputError([Problem(str(loaded.path), where, message)])


def instance_for_pool(
    loaded: LoadedScenario, sheet: PricingProfile, instance_type: str | None, pool: str, where: str
) -> InstancePrice:
    """The instance that rents `pool`'s nodes: the named type, else the sheet's instance for
    the same node profile, else one with the same GPU."""
    instances = sheet.cloud.instances  # type: ignore[union-attr]
    if instance_type is not None:
        return next(x for x in instances if x.instance_type == instance_type)
    node = loaded.pool_nodes[pool]
    same_node = [x for x in instances if x.node == node.id]
    if same_node:
        return same_node[0]
    nodes = loaded.catalog.profiles["node"]
    same_gpu = [
        x for x in instances if x.node in nodes and getattr(nodes[x.node], "gpu", None) == node.gpu
    ]
    if same_gpu:
        return same_gpu[0]
    raise _problem(
        loaded,
        f"{where}.instance_type",
        f"sheet {sheet.id!r} has no instance with pool {pool!r}'s node ({node.id}) or GPU "
        f"({node.gpu}); name one with instance_type",
    )


def usd_per_gpu_hour(
    loaded: LoadedScenario, instance: InstancePrice, purchase: str, sheet: str, where: str
) -> float:
    """The instance's price per GPU-hour for `purchase`, or an InputError if not sold so."""
    rate = instance.usd_per_gpu_hour(purchase)
    if rate is None:
        raise _problem(
            loaded,
            f"{where}.purchase",
            f"sheet {sheet!r} has no {purchase} price for {instance.instance_type}",
        )
    return rate


def pool_instances(
    loaded: LoadedScenario, sheet: PricingProfile, instance_type: str | None, where: str
) -> dict[str, InstancePrice]:
    """The instance renting each pool."""
    return {
        p.name: instance_for_pool(loaded, sheet, instance_type, p.name, where)
        for p in loaded.scenario.cluster.pools
    }


def per_use_compute(
    loaded: LoadedScenario,
    usage: Usage,
    sheet: PricingProfile,
    purchase: str,
    instance_type: str | None,
    where: str,
    jobs_mask: pd.Series | None = None,
) -> tuple[np.ndarray, pd.Series]:
    """USD per month, and USD per job over the simulated run, of renting per use.

    `jobs_mask` (over `usage.jobs`) selects the jobs rented (default all).
    """
    instances = pool_instances(loaded, sheet, instance_type, where)
    jobs = usage.jobs if jobs_mask is None else usage.jobs[jobs_mask]
    jobs = jobs[jobs["gpu_hours"] > 0]
    if jobs.empty:
        return np.zeros(usage.calendar.months), pd.Series(dtype=float)
    used = {p: instances[p] for p in jobs["pool"].unique()}  # only pools that ran jobs are priced
    gpi = _by_pool(jobs, {p: x.gpus_per_instance for p, x in used.items()})
    rate = _by_pool(
        jobs, {p: usd_per_gpu_hour(loaded, x, purchase, sheet.id, where) for p, x in used.items()}
    )
    billed_gpus = np.ceil(jobs["num_gpus"] / gpi) * gpi
    if purchase == "capacity_block":
        run_s = np.where(
            jobs["run_s"].notna(), jobs["run_s"], usage.calendar.simulated_s - jobs["start_s"]
        )
        block_s = np.maximum(1.0, np.ceil(np.asarray(run_s) / DAY_S)) * DAY_S
        usd_per_s = billed_gpus * rate / HOUR_S
        per_job = pd.Series(usd_per_s.to_numpy() * block_s, index=jobs["name"].to_numpy())
        start = jobs["start_s"].to_numpy()
        by_month = usage.calendar.intervals(start, start + block_s, usd_per_s.to_numpy())
        return usage.calendar.extend(by_month), per_job
    factor = (billed_gpus / jobs["num_gpus"]) * rate
    per_job = pd.Series((jobs["gpu_hours"] * factor).to_numpy(), index=jobs["name"].to_numpy())
    held = usage.intervals
    scale = held["job_id"].map(pd.Series(factor.to_numpy(), index=jobs["job_id"].to_numpy()))
    mask = scale.notna()
    return usage.gpu_hours_by_month(mask, scale[mask]), per_job


def _by_pool(jobs: pd.DataFrame, value: dict[str, float]) -> pd.Series:
    """A number per job from its pool, as floats even when no job held GPUs.

    Mapping an empty text column keeps its dtype (`str` under pandas 3, `object` before), and
    arithmetic on that fails or silently yields objects; the cast makes both versions agree.
    """
    return jobs["pool"].map(value).astype("float64")


def _billed_step(
    usage: Usage, instances: dict[str, InstancePrice]
) -> tuple[np.ndarray, np.ndarray]:
    """GPUs held, rounded up to whole instances, as a step function of simulated time."""
    jobs = usage.jobs[usage.jobs["gpu_hours"] > 0]
    gpi = _by_pool(jobs, {p: x.gpus_per_instance for p, x in instances.items()})
    factor = np.ceil(jobs["num_gpus"] / gpi) * gpi / jobs["num_gpus"]
    scale = usage.intervals["job_id"].map(
        pd.Series(factor.to_numpy(), index=jobs["job_id"].to_numpy())
    )
    mask = scale.notna()
    return usage.held_step(mask, scale[mask])


def _hourly(times: np.ndarray, level: np.ndarray, sim_s: float) -> np.ndarray:
    edges = np.append(np.arange(0.0, sim_s, HOUR_S), sim_s)
    return np.diff(cumulative_at(times, level, sim_s, edges)) / HOUR_S


def _by_month_of_hour(usage: Usage, hourly: np.ndarray) -> np.ndarray:
    cal = usage.calendar
    month = (np.arange(len(hourly)) * HOUR_S // MONTH_S).astype(int)
    keep = month < cal.months
    return cal.extend(np.bincount(month[keep], weights=hourly[keep], minlength=cal.months))


def reserved_compute(
    loaded: LoadedScenario,
    usage: Usage,
    sheet: PricingProfile,
    option: PriceOption,
    where: str,
) -> tuple[np.ndarray, np.ndarray, float]:
    """Reserved USD per month, on-demand overflow USD per month, and contracted GPU-hours.

    Overflow is netted hour by hour (as reservation discounts apply per clock-hour): in each
    simulated hour, GPU-hours held beyond the contracted ones go on demand.
    """
    cal = usage.calendar
    instances = pool_instances(loaded, sheet, option.instance_type, where)
    first = instances[loaded.scenario.cluster.pools[0].name]
    term_months = 12.0 if option.purchase == "reserved_1yr" else 36.0
    steps: list[tuple[float, float, float]] = []  # (start_s, end_s, GPUs) contracted
    usd = np.zeros(cal.months)
    if option.reserved_contracts:
        rate = usd_per_gpu_hour(loaded, first, option.purchase, sheet.id, where)
        for contract in option.reserved_contracts:
            start = contract.start_month * MONTH_S
            end = start + (contract.months or term_months) * MONTH_S
            gpus = contract.instances * first.gpus_per_instance
            steps.append((start, end, gpus))
            usd += cal.overlap_s(start, end) / HOUR_S * gpus * rate
    else:
        gpus_by_pool: dict[str, int] = {}
        for c in cohorts(loaded):
            inst = instances[c.pool]
            rate = usd_per_gpu_hour(loaded, inst, option.purchase, sheet.id, where)
            before = math.ceil(gpus_by_pool.get(c.pool, 0) / inst.gpus_per_instance)
            gpus_by_pool[c.pool] = gpus_by_pool.get(c.pool, 0) + c.gpus
            after = math.ceil(gpus_by_pool[c.pool] / inst.gpus_per_instance)
            gpus = (after - before) * inst.gpus_per_instance
            steps.append((c.start_s, math.inf, gpus))
            usd += cal.overlap_s(c.start_s, math.inf) / HOUR_S * gpus * rate
    contracted_gpu_h = sum(g * cal.overlap_s(a, b).sum() / HOUR_S for a, b, g in steps)
    sim_s = cal.simulated_s
    used = _hourly(*_billed_step(usage, instances), sim_s)
    r_times = np.array([0.0] + [a for a, _, _ in steps] + [b for _, b, _ in steps if b < sim_s])
    r_delta = np.array([0.0] + [g for _, _, g in steps] + [-g for _, b, g in steps if b < sim_s])
    order = np.argsort(r_times, kind="stable")
    reserved = _hourly(r_times[order], np.cumsum(r_delta[order]), sim_s)
    overflow_gpu_h = _by_month_of_hour(usage, np.clip(used - reserved, 0.0, None))
    overflow = np.zeros(cal.months)
    if np.any(overflow_gpu_h > 1e-6):
        where_od = f"{where} (GPU-hours beyond the reserved contracts)"
        overflow = overflow_gpu_h * usd_per_gpu_hour(loaded, first, "on_demand", sheet.id, where_od)
    return usd, overflow, float(contracted_gpu_h)


def storage_usd(
    loaded: LoadedScenario, usage: Usage, sheet: PricingProfile, summary: dict, where: str
) -> np.ndarray:
    """Cloud storage per month: each tier's peak use at the sheet's price for that tier."""
    prices = sheet.cloud.storage_usd_per_gb_month  # type: ignore[union-attr]
    peak_tb = summary.get("storage_peak_used_tb") or {}
    months = usage.calendar.month_s() / MONTH_S
    usd = np.zeros(usage.calendar.months)
    for i, tier in enumerate(loaded.scenario.cluster.storage):
        profile = resolve_profile(
            loaded.catalog, "storage", tier.profile, str(loaded.path), f"cluster.storage[{i}]"
        )
        tb = float(peak_tb.get(profile.id, 0.0) or 0.0)
        if profile.tier == "local_nvme" or tb <= 0:  # type: ignore[attr-defined]
            continue
        price = prices.get(profile.tier)  # type: ignore[attr-defined]
        if price is None:
            raise InputError(
                [
                    Problem(
                        str(loaded.path),
                        f"{where}.sheet",
                        f"sheet {sheet.id!r} has no storage price for tier "
                        f"{profile.tier!r} (cluster.storage[{i}]; has: "  # type: ignore[attr-defined]
                        f"{', '.join(sorted(prices)) or 'none'})",
                    )
                ]
            )
        usd += tb * TB_GB * price * months
    return usd


def egress_usd(loaded: LoadedScenario, usage: Usage, sheet: PricingProfile) -> np.ndarray:
    """Data leaving the cloud each month at the sheet's egress rate."""
    tb = loaded.scenario.pricing.egress_tb_per_month
    rate = sheet.cloud.egress_usd_per_gb  # type: ignore[union-attr]
    return tb * TB_GB * rate * usage.calendar.month_s() / MONTH_S


def price_cloud(
    loaded: LoadedScenario, option: PriceOption, where: str, usage: Usage, summary: dict
) -> OptionCost:
    """All costs of renting the workload under `option` over the cost horizon."""
    sheet = sheet_of(loaded, option.sheet)
    cost = OptionCost(option.name, option.sheet, option.purchase, usage.calendar.months)
    if option.purchase.startswith("reserved"):
        reserved, overflow, contracted = reserved_compute(loaded, usage, sheet, option, where)
        cost.add("compute", reserved)
        cost.add("compute_overflow", overflow, variable=True)
        cost.capacity_gpu_hours = contracted
    else:
        compute, per_job = per_use_compute(
            loaded, usage, sheet, option.purchase, option.instance_type, where
        )
        cost.add("compute", compute, variable=True)
        training = usage.jobs[usage.jobs["kind"] == "training"]["name"]
        cost.training_runs = {n: float(per_job[n]) for n in training if n in per_job.index}
    cost.add("storage", storage_usd(loaded, usage, sheet, summary, where))
    cost.add("egress", egress_usd(loaded, usage, sheet))
    cost.delivered_gpu_hours = usage.delivered_gpu_hours()
    cost.goodput_gpu_hours = usage.goodput_gpu_hours()
    return cost
