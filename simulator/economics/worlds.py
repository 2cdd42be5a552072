"""Which simulation each price option is costed on.

Most options price the scenario as written (`BASE`). Kinds that change what happens in the
cluster get their own run (same seed, same everything else), named by a key that starts with
the kind: spot (every pool on reclaimable capacity, `purchases.spot`) and owned with a
`burst` (hybrid: jobs that wait past the burst limit run in the cloud, `purchases.owned`).
"""

from __future__ import annotations

from simulator.economics.purchases import BASE, purchase_of
from simulator.scenario import LoadedScenario
from simulator.schema.scenario import PriceOption

__all__ = ["BASE", "world_key", "world_scenario"]


def world_key(loaded: LoadedScenario, option: PriceOption, where: str) -> tuple:
    """A hashable name of the simulation `option` is costed on."""
    return purchase_of(option.purchase).world_key(loaded, option, where)


def world_scenario(loaded: LoadedScenario, key: tuple) -> LoadedScenario:
    """The scenario for world `key` (the scenario itself for the base world)."""
    if key == BASE:
        return loaded
    return purchase_of(key[0]).world_scenario(loaded, key)
