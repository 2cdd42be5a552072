"""Which simulation each price option is costed on.

Most options price the scenario as written. Two change what happens in the cluster, so they
get their own run (same seed, same everything else):
- spot: every pool runs on spot capacity, reclaimed at the sheet's interruption rate (or the
  option's `spot_interruptions_per_hour`), so lost work and restarts are simulated, not assumed;
- hybrid (owned with `burst`): jobs that wait past the burst limit run in the cloud.
"""

from __future__ import annotations

import dataclasses

from simulator.economics.cloud import instance_for_pool, sheet_of
from simulator.errors import InputError, Problem
from simulator.scenario import LoadedScenario
from simulator.schema.scenario import CloudBurst, PriceOption, SpotCapacity

BASE: tuple = ("base",)


def spot_rates(loaded: LoadedScenario, option: PriceOption, where: str) -> tuple[float, ...]:
    """Reclaims per node-hour for each pool under a spot option."""
    sheet = sheet_of(loaded, option.sheet)
    rates = []
    for pool in loaded.scenario.cluster.pools:
        inst = instance_for_pool(loaded, sheet, option.instance_type, pool.name, where)
        per_instance = option.spot_interruptions_per_hour
        if per_instance is None:
            per_instance = inst.spot_interruptions_per_hour
        if per_instance is None:
            raise InputError(
                [
                    Problem(
                        str(loaded.path),
                        f"{where}.spot_interruptions_per_hour",
                        f"sheet {option.sheet!r} gives no spot interruption rate for "
                        f"{inst.instance_type}; set one on the option",
                    )
                ]
            )
        gpn = loaded.pool_nodes[pool.name].gpus_per_node
        rates.append(per_instance * gpn / inst.gpus_per_instance)
    return tuple(rates)


def world_key(loaded: LoadedScenario, option: PriceOption, where: str) -> tuple:
    """A hashable name of the simulation `option` is costed on."""
    if option.purchase == "spot":
        return ("spot", spot_rates(loaded, option, where))
    if option.burst is not None:
        return ("burst", option.burst.wait_limit_hours)
    return BASE


def world_scenario(loaded: LoadedScenario, key: tuple) -> LoadedScenario:
    """The scenario for world `key` (the scenario itself for the base world)."""
    if key == BASE:
        return loaded
    scenario = loaded.scenario
    cluster = scenario.cluster
    if key[0] == "spot":
        pools = [
            pool.model_copy(
                update={
                    "spot": SpotCapacity(
                        interruptions_per_node_hour=rate,
                        reacquire_minutes=pool.spot.reacquire_minutes if pool.spot else 0.0,
                    )
                }
            )
            for pool, rate in zip(cluster.pools, key[1], strict=True)
        ]
        cluster = cluster.model_copy(update={"pools": pools})
    elif key[0] == "burst":
        cluster = cluster.model_copy(update={"burst": CloudBurst(wait_limit_hours=key[1])})
    return dataclasses.replace(loaded, scenario=scenario.model_copy(update={"cluster": cluster}))
