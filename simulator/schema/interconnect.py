"""Interconnect profile: a link technology and the topologies it is built into."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulator.schema.base import Profile
from simulator.units import GBps

CollectiveProtocol = Literal["ll", "ll128", "simple"]

Topology = Literal[
    "nvswitch",
    "full_mesh",
    "ring",
    "fat_tree",
    "rail_optimized_fat_tree",
    "dragonfly",
    "direct",
    "torus",
]


class InterconnectProfile(Profile):
    """A link (NVLink, PCIe, InfiniBand, RoCE, EFA, ...).

    `bandwidth_gb_per_s` is per port (or per GPU for scale-up links), one direction, in
    gigabytes per second: a 400 Gb/s NIC port is 50 GB/s.
    """

    kind: Literal["interconnect"] = "interconnect"
    technology: Literal[
        "nvlink", "pcie", "infiniband", "roce", "efa", "infinity_fabric", "ici", "neuronlink", "dcn"
    ]
    scope: Literal["scale_up", "scale_out", "host"]
    generation: str = Field(min_length=1)
    bandwidth_gb_per_s: GBps = Field(gt=0, description="per port or per GPU, one direction")
    latency_us: float = Field(gt=0, description="one-way small-message latency")
    achievable_fraction: float = Field(
        default=0.9, gt=0, le=1, description="achievable fraction of line rate for large messages"
    )
    topologies: list[Topology] = Field(min_length=1)
    default_topology: Topology
    default_oversubscription: float = Field(
        default=1.0, ge=1, description="leaf-to-spine oversubscription ratio (1 = non-blocking)"
    )
    switch_radix: int | None = Field(default=None, gt=0, description="ports per switch")
    supports_in_network_reduction: bool = Field(
        default=False, description="SHARP / NVLS: switches reduce data in the network"
    )
    collective_protocols: list[CollectiveProtocol] = Field(
        default_factory=lambda: ["ll", "ll128", "simple"],
        min_length=1,
        description="NCCL protocols the link carries safely: LL and LL128 need each 8- or "
        "128-byte write delivered in order (simulator/perf/nccl_protocols.py)",
    )
    fitted_to_cases: list[str] = Field(
        default_factory=list,
        description="ids of validation cases a figure here was chosen with in view; `infrasim "
        "validate` reports those cases as in-sample",
    )
    power_w_per_port: float | None = Field(default=None, ge=0, description="switch + optics")
    usd_per_port: float | None = Field(default=None, ge=0, description="switch + optics + cable")
