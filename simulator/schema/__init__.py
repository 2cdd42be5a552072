"""Pydantic models only: profiles, scenario, calibration, results summary."""

from simulator.schema.base import Profile, StrictModel
from simulator.schema.facility import FacilityProfile
from simulator.schema.gpu import DTYPE_BYTES, EfficiencyTable, GpuProfile
from simulator.schema.interconnect import InterconnectProfile
from simulator.schema.model import TransformerModel
from simulator.schema.node import NodeProfile
from simulator.schema.pricing import PricingProfile
from simulator.schema.storage import StorageProfile

PROFILE_KINDS: dict[str, type[Profile]] = {
    "gpu": GpuProfile,
    "node": NodeProfile,
    "interconnect": InterconnectProfile,
    "storage": StorageProfile,
    "facility": FacilityProfile,
    "pricing": PricingProfile,
}
"""Profile kind -> schema, in the order people read them."""

PROFILE_DIRS: dict[str, str] = {
    "gpu": "gpus",
    "node": "nodes",
    "interconnect": "interconnects",
    "storage": "storage",
    "facility": "facilities",
    "pricing": "pricing",
}
"""Profile kind -> directory name under a profiles root."""

__all__ = [
    "DTYPE_BYTES",
    "PROFILE_DIRS",
    "PROFILE_KINDS",
    "EfficiencyTable",
    "FacilityProfile",
    "GpuProfile",
    "InterconnectProfile",
    "NodeProfile",
    "PricingProfile",
    "Profile",
    "StorageProfile",
    "StrictModel",
    "TransformerModel",
]
