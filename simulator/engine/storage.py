"""Storage tiers: shared read and write bandwidth, per-client limits, capacity.

Each tier is two links of a `FlowNetwork` (aggregate read, aggregate write). A job's
checkpoint write, restore or dataset stream is a flow on one of them, capped by the tier's
per-client bandwidth times the job's node count; concurrent jobs share the aggregate max-min
fairly. Capacity is booked when a checkpoint write starts (the previous checkpoint is kept
until the new one commits) and when a job starts streaming its dataset.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.engine.flows import FlowNetwork
from simulator.schema.storage import StorageProfile

if TYPE_CHECKING:
    from simulator.engine.clock import Timed

GB = 1e9
TB = 1e12


class StorageTier:
    """One tier of the cluster's storage."""

    def __init__(
        self, network: FlowNetwork, profile: StorageProfile, capacity_tb: float | None, role: str
    ) -> None:
        self.id = profile.id
        self.profile = profile
        self.role = role
        self.read = network.link(f"{profile.id}:read", profile.aggregate_read_gb_per_s * GB)
        self.write = network.link(f"{profile.id}:write", profile.aggregate_write_gb_per_s * GB)
        self.client_read_bps = profile.read_gb_per_s_per_client * GB
        self.client_write_bps = profile.write_gb_per_s_per_client * GB
        self.capacity_b = (capacity_tb or profile.capacity_tb) * TB
        self.used_b = 0.0
        self.peak_used_b = 0.0

    def reserve(self, size_b: float) -> bool:
        """Book `size_b` bytes; False (nothing booked) if the tier would overflow."""
        if self.used_b + size_b > self.capacity_b:
            return False
        self.used_b += size_b
        self.peak_used_b = max(self.peak_used_b, self.used_b)
        return True

    def free(self, size_b: float) -> None:
        """Give back booked bytes."""
        self.used_b = max(0.0, self.used_b - size_b)

    def write_s(self, size_b: float, clients: int) -> float:
        """Uncontended time to write `size_b` from `clients` nodes."""
        return size_b / min(self.write.capacity, self.client_write_bps * clients)

    def read_s(self, size_b: float, clients: int) -> float:
        """Uncontended time to read `size_b` into `clients` nodes."""
        return size_b / min(self.read.capacity, self.client_read_bps * clients)


class Storage:
    """The cluster's tiers on one flow network."""

    def __init__(self, sim: Timed, tiers: list[tuple[StorageProfile, float | None, str]]) -> None:
        self.network = FlowNetwork(sim, "storage")
        self.tiers = [StorageTier(self.network, p, cap, role) for p, cap, role in tiers]
        self.by_id = {t.id: t for t in self.tiers}

    def for_role(self, role: str, explicit: str | None = None) -> StorageTier | None:
        """The tier named `explicit`, else the first whose role is `role` or `both`."""
        if explicit is not None:
            return self.by_id.get(explicit)
        for tier in self.tiers:
            if tier.role in (role, "both"):
                return tier
        return None
