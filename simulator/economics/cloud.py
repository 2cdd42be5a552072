"""Cloud sheets: the instance that rents each pool, its prices, and storage and egress bills.

What every rented purchase kind (`simulator.economics.purchases`) looks up the same way.
- The instance renting a pool is the option's `instance_type`, else the sheet's instance for
  the pool's node profile, else one with the same GPU.
- Storage is billed on the peak the run used per tier, every month; local NVMe comes with
  the instances. Egress is `pricing.egress_tb_per_month` at the sheet's rate.
A price the option needs but the sheet lacks is an InputError naming the option, never a zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.economics.months import MONTH_S
from simulator.economics.site import SiteFigures
from simulator.economics.usage import Usage
from simulator.errors import InputError, Problem
from simulator.scenario import LoadedScenario
from simulator.schema.pricing import InstancePrice, PricingProfile

TB_GB = 1000.0


def sheet_of(loaded: LoadedScenario, sheet_id: str) -> PricingProfile:
    """The pricing profile `sheet_id` (the loader has checked it exists)."""
    return loaded.world.price_sheets[sheet_id]


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
    node_gpus = loaded.world.sheet_node_gpus
    same_gpu = [x for x in instances if node_gpus.get(x.node) == node.gpu]
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


def by_pool(jobs: pd.DataFrame, value: dict[str, float]) -> pd.Series:
    """A number per job from its pool, as floats even when no job held GPUs.

    Mapping an empty text column keeps its dtype (`str` under pandas 3, `object` before), and
    arithmetic on that fails or silently yields objects; the cast makes both versions agree.
    """
    return jobs["pool"].map(value).astype("float64")


def storage_usd(
    loaded: LoadedScenario, usage: Usage, sheet: PricingProfile, site: SiteFigures, where: str
) -> np.ndarray:
    """Cloud storage per month: each tier's peak use at the sheet's price for that tier."""
    prices = sheet.cloud.storage_usd_per_gb_month  # type: ignore[union-attr]
    peak_tb = site.storage_peak_used_tb
    months = usage.calendar.month_s() / MONTH_S
    usd = np.zeros(usage.calendar.months)
    for i, tier in enumerate(loaded.world.storage):
        profile = tier.profile
        tb = float(peak_tb.get(profile.id, 0.0) or 0.0)
        if profile.tier == "local_nvme" or tb <= 0:
            continue
        price = prices.get(profile.tier)
        if price is None:
            raise InputError(
                [
                    Problem(
                        str(loaded.path),
                        f"{where}.sheet",
                        f"sheet {sheet.id!r} has no storage price for tier "
                        f"{profile.tier!r} (cluster.storage[{i}]; has: "
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
