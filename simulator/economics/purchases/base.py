"""What every purchase kind answers, so callers ask the kind instead of comparing its name.

A kind decides three things: which simulation its options are costed on (`world_key`, and
`world_scenario` for a world of its own), how an option's costs over the horizon follow from
that run's usage (`price`), and what the sweep's lower bounds may count for it. The registry
(`simulator.economics.purchases`) maps each name of `schema.scenario.PurchaseKind` to one
instance.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from simulator.economics.energy import EnergyCost
from simulator.economics.ledger import OptionCost
from simulator.economics.site import SiteFigures
from simulator.economics.usage import Usage
from simulator.scenario import LoadedScenario
from simulator.schema.scenario import PriceOption

BASE: tuple = ("base",)
"""The world key of the scenario as written; other keys start with the kind that made them."""


class Purchase(ABC):
    """One way of paying for capacity."""

    kind: ClassVar[str]
    """the scenario's `purchase` name"""

    lower_bound_counts_jobs: ClassVar[bool] = False
    """Whether each finished job's fewest GPU-seconds held (whole instances) at this kind's
    rate bound its compute from below (`simulator.sweep.cost_bounds`): true only for per-second
    billing on the scenario's own run."""

    def world_key(self, loaded: LoadedScenario, option: PriceOption, where: str) -> tuple:
        """A hashable name of the simulation `option` is costed on (default: as written)."""
        return BASE

    def world_scenario(self, loaded: LoadedScenario, key: tuple) -> LoadedScenario:
        """The scenario behind a world key this kind made (kinds that make none never get one)."""
        raise NotImplementedError(f"{self.kind} makes no world of its own")

    @abstractmethod
    def price(
        self,
        loaded: LoadedScenario,
        option: PriceOption,
        where: str,
        usage: Usage,
        energy: EnergyCost,
        site: SiteFigures,
    ) -> OptionCost:
        """All costs of `option` over the cost horizon, from the usage of its world's run."""
