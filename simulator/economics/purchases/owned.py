"""Owned: capital and running costs of the simulated fleet (`simulator.economics.onprem`),
in a hall built for it (`Colocation`, a subclass, rents the hall instead).

With a `burst` the option is hybrid: it is costed on a run of its own in which jobs that wait
past `burst.wait_limit_hours` run in the cloud, and those jobs are billed on the burst sheet by
their per-use kind (`hybrid`). Without one, a run that still sent jobs to the cloud
(`cluster.burst`) cannot be priced: nothing says what the cloud charges.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import ClassVar

from simulator.economics.energy import EnergyCost
from simulator.economics.ledger import OptionCost
from simulator.economics.onprem import price_onprem
from simulator.economics.purchases.base import BASE, Purchase
from simulator.economics.purchases.hybrid import price_hybrid
from simulator.economics.purchases.rented import PerUse
from simulator.economics.site import SiteFigures
from simulator.economics.usage import Usage
from simulator.errors import InputError, Problem
from simulator.scenario import LoadedScenario
from simulator.schema.scenario import CloudBurst, PriceOption


class Owned(Purchase):
    """Bought outright in a hall built for it, optionally bursting to a cloud."""

    kind = "owned"
    colocated: ClassVar[bool] = False
    """whether the hall is rented per kW-month (`Colocation`) instead of built"""

    def __init__(self, bursts: Mapping[str, PerUse]) -> None:
        self.bursts = dict(bursts)
        """the kinds burst jobs may rent, by name (the registry passes its per-use kinds)"""

    def world_key(self, loaded: LoadedScenario, option: PriceOption, where: str) -> tuple:
        if option.burst is None:
            return BASE
        return (self.kind, option.burst.wait_limit_hours)

    def world_scenario(self, loaded: LoadedScenario, key: tuple) -> LoadedScenario:
        scenario = loaded.scenario
        burst = CloudBurst(wait_limit_hours=key[1])
        cluster = scenario.cluster.model_copy(update={"burst": burst})
        return dataclasses.replace(
            loaded, scenario=scenario.model_copy(update={"cluster": cluster})
        )

    def price(
        self,
        loaded: LoadedScenario,
        option: PriceOption,
        where: str,
        usage: Usage,
        energy: EnergyCost,
        site: SiteFigures,
    ) -> OptionCost:
        if option.burst is not None:
            burst_kind = self.bursts[option.burst.purchase]
            return price_hybrid(
                loaded,
                option,
                where,
                usage,
                energy,
                site.pue,
                burst_kind,
                colocated=self.colocated,
            )
        _no_burst_jobs(loaded, where, usage)
        return self.price_fleet(loaded, option, where, usage, energy)

    def price_fleet(
        self,
        loaded: LoadedScenario,
        option: PriceOption,
        where: str,
        usage: Usage,
        energy: EnergyCost,
    ) -> OptionCost:
        """The owned fleet alone (no burst jobs): what a sweep's cost bound prices too."""
        return price_onprem(loaded, option, where, usage, energy, colocated=self.colocated)


def _no_burst_jobs(loaded: LoadedScenario, where: str, usage: Usage) -> None:
    if usage.jobs["burst"].astype(bool).any():
        raise InputError(
            [
                Problem(
                    str(loaded.path),
                    f"{where}.burst",
                    "cluster.burst sends jobs to the cloud; an owned option needs a burst "
                    "sheet to price them",
                )
            ]
        )
