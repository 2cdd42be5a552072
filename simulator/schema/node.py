"""Node profile: a server (or a rack-scale system) built around one GPU type."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from simulator.schema.base import Profile, ProfileId, StrictModel
from simulator.schema.gpu import HardwareNames
from simulator.units import TB, OptionalGBps


class NicGroup(StrictModel):
    """NICs of one kind in a node, referencing an interconnect profile."""

    interconnect: ProfileId = Field(description="id of an interconnect profile")
    count: int = Field(gt=0)
    role: Literal["compute", "storage", "management"] = "compute"


class NodeProfile(Profile):
    """A server, or a rack-scale system treated as one node (e.g. GB200 NVL72)."""

    kind: Literal["node"] = "node"
    gpu: ProfileId = Field(description="id of a GPU profile")
    gpus_per_node: int = Field(gt=0)
    gpus_per_nvlink_domain: int = Field(
        gt=0, description="GPUs that share one scale-up domain (8 for HGX, 72 for NVL72)"
    )
    scale_up: ProfileId | None = Field(
        default=None, description="id of the scale-up interconnect profile (NVLink, ...)"
    )
    nics: list[NicGroup] = Field(min_length=1)
    cpu_model: str | None = None
    host_memory_gib: float | None = Field(default=None, gt=0)
    local_nvme_tb: TB = Field(ge=0, description="local NVMe capacity")
    local_nvme_read_gb_per_s: OptionalGBps = Field(default=None, gt=0)
    overhead_power_w: float = Field(
        ge=0, description="CPU, NICs, fans, NVSwitches, drives at load: node power minus GPUs"
    )
    overhead_idle_power_w: float = Field(ge=0, description="same as overhead_power_w, at idle")
    max_power_w: float = Field(gt=0, description="nameplate maximum node power")
    rack_units: float = Field(gt=0, description="height in rack units (a full rack is about 48)")
    torus_shape: list[int] | None = Field(
        default=None,
        min_length=1,
        max_length=3,
        description="chips along each dimension of the scale-up torus (TPU ICI 16x16, trn2 4x4); "
        "None for switched scale-up (NVLink) or all-to-all (xGMI, Gaudi RoCE)",
    )
    torus_wraparound: bool = Field(
        default=True,
        description="the torus closes each dimension (wrap-around links); False for a mesh",
    )
    chips_per_host: int | None = Field(
        default=None, gt=0, description="accelerators per host VM when a node spans hosts (TPU)"
    )
    purchase_price_usd: float | None = Field(default=None, gt=0, description="None if not public")
    price_source: str | None = None
    matches: HardwareNames = Field(
        default_factory=list,
        description="names published cases use for this system (see schema.gpu.HardwareNames)",
    )

    @model_validator(mode="after")
    def _domain_fits(self) -> NodeProfile:
        if self.gpus_per_node % self.gpus_per_nvlink_domain and (
            self.gpus_per_nvlink_domain % self.gpus_per_node
        ):
            raise ValueError(
                "gpus_per_nvlink_domain must divide gpus_per_node or be a multiple of it"
            )
        if self.overhead_idle_power_w > self.overhead_power_w:
            raise ValueError("overhead_idle_power_w must not exceed overhead_power_w")
        if self.torus_shape is not None and math.prod(self.torus_shape) != (
            self.gpus_per_nvlink_domain
        ):
            raise ValueError("torus_shape must multiply out to gpus_per_nvlink_domain")
        if self.purchase_price_usd is not None and not self.price_source:
            raise ValueError("price_source is required when purchase_price_usd is given")
        return self
