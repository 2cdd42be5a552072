"""One class per purchase kind, and the registry that maps a price option's `purchase` to it.

Callers ask the kind (`purchase_of(option.purchase)`) which run to cost an option on and what
it costs, instead of comparing names. The names themselves live once, in
`simulator.schema.scenario.PurchaseKind` (the schema may not import economics); this module
checks at import that its classes cover exactly those names, and that the per-use kinds are
exactly the ones a burst may rent (`BurstPurchaseKind`).
"""

from __future__ import annotations

from typing import get_args

from simulator.economics.purchases.base import BASE, Purchase
from simulator.economics.purchases.capacity_block import CapacityBlock
from simulator.economics.purchases.colocation import Colocation
from simulator.economics.purchases.on_demand import OnDemand
from simulator.economics.purchases.owned import Owned
from simulator.economics.purchases.rented import PerUse, Rented
from simulator.economics.purchases.reserved import Reserved, Reserved1yr, Reserved3yr
from simulator.economics.purchases.spot import Spot
from simulator.schema.scenario import BurstPurchaseKind, PurchaseKind

__all__ = [
    "BASE",
    "PURCHASES",
    "CapacityBlock",
    "Colocation",
    "OnDemand",
    "Owned",
    "PerUse",
    "Purchase",
    "Rented",
    "Reserved",
    "Reserved1yr",
    "Reserved3yr",
    "Spot",
    "purchase_of",
]

_PER_USE: tuple[PerUse, ...] = (OnDemand(), Spot(), CapacityBlock())

_BURSTS: dict[str, PerUse] = {p.kind: p for p in _PER_USE}

PURCHASES: dict[str, Purchase] = {
    p.kind: p
    for p in (*_PER_USE, Reserved1yr(), Reserved3yr(), Owned(_BURSTS), Colocation(_BURSTS))
}
"""kind name -> the one instance that prices it"""

if set(PURCHASES) != set(get_args(PurchaseKind)):
    raise ImportError(
        f"purchase registry {sorted(PURCHASES)} != schema PurchaseKind "
        f"{sorted(get_args(PurchaseKind))}"
    )
if {p.kind for p in _PER_USE} != set(get_args(BurstPurchaseKind)):
    raise ImportError(
        f"per-use kinds {sorted(p.kind for p in _PER_USE)} != schema BurstPurchaseKind "
        f"{sorted(get_args(BurstPurchaseKind))}"
    )


def purchase_of(kind: str) -> Purchase:
    """The class instance for a validated `purchase` name."""
    return PURCHASES[kind]
