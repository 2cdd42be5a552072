"""Storage tier profile: bandwidth per client and in aggregate, latency, capacity, price."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from simulator.schema.base import Profile
from simulator.units import TB, GBps


class StorageProfile(Profile):
    """One storage tier (local NVMe, parallel file system, object store, archive)."""

    kind: Literal["storage"] = "storage"
    tier: Literal["local_nvme", "parallel_fs", "object", "archive"]
    read_gb_per_s_per_client: GBps = Field(gt=0)
    write_gb_per_s_per_client: GBps = Field(gt=0)
    aggregate_read_gb_per_s: GBps = Field(gt=0)
    aggregate_write_gb_per_s: GBps = Field(gt=0)
    latency_ms: float = Field(gt=0, description="first-byte latency")
    capacity_tb: TB = Field(gt=0, description="default capacity; scenarios override")
    usd_per_gb_month: float = Field(ge=0)
    retrieval_usd_per_gb: float = Field(default=0.0, ge=0)
