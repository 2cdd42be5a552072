"""Placement policies by `kind`: pack, spread, topology_aware (see each module)."""

from simulator.engine.placement import pack, spread, topology_aware  # noqa: F401  (register)
from simulator.engine.placement.base import PLACEMENTS, PlacementParams, PlacementPolicy, register

__all__ = ["PLACEMENTS", "PlacementParams", "PlacementPolicy", "register"]
