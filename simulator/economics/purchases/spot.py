"""Spot: billed per use like on-demand, but costed on a run of its own in which the engine
reclaims spot nodes, so lost work and restarts are simulated (and billed), not assumed.

Every pool runs on spot capacity, reclaimed at the sheet's interruption rate (or the option's
`spot_interruptions_per_hour`); the run keeps the scenario's seed and everything else.
"""

from __future__ import annotations

import dataclasses

from simulator.economics.cloud import instance_for_pool, sheet_of
from simulator.economics.purchases.rented import PerUse
from simulator.errors import InputError, Problem
from simulator.scenario import LoadedScenario
from simulator.schema.scenario import PriceOption, SpotCapacity


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


class Spot(PerUse):
    """Per-use billing on a run with reclaimed nodes."""

    kind = "spot"

    def world_key(self, loaded: LoadedScenario, option: PriceOption, where: str) -> tuple:
        return (self.kind, spot_rates(loaded, option, where))

    def world_scenario(self, loaded: LoadedScenario, key: tuple) -> LoadedScenario:
        scenario = loaded.scenario
        cluster = scenario.cluster
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
        return dataclasses.replace(
            loaded, scenario=scenario.model_copy(update={"cluster": cluster})
        )
