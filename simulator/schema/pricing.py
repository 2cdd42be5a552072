"""Pricing sheets: a cloud provider's instance prices, or on-prem capex and running costs.

Prices are dated snapshots a user overrides; they are never constants in code.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.schema.base import Profile, ProfileId, StrictModel


class InstancePrice(StrictModel):
    """Prices of one cloud instance type, per instance-hour."""

    instance_type: str = Field(min_length=1)
    node: ProfileId = Field(description="id of the node profile the instance matches")
    gpus_per_instance: int = Field(gt=0)
    on_demand_usd_per_hour: float | None = Field(default=None, gt=0)
    reserved_1yr_usd_per_hour: float | None = Field(default=None, gt=0)
    reserved_3yr_usd_per_hour: float | None = Field(default=None, gt=0)
    spot_usd_per_hour: float | None = Field(default=None, gt=0)
    spot_interruptions_per_hour: float | None = Field(
        default=None, ge=0, description="mean rate at which a spot instance is reclaimed"
    )
    capacity_block_usd_per_hour: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _some_price(self) -> InstancePrice:
        prices = (
            self.on_demand_usd_per_hour,
            self.reserved_1yr_usd_per_hour,
            self.reserved_3yr_usd_per_hour,
            self.spot_usd_per_hour,
            self.capacity_block_usd_per_hour,
        )
        if all(p is None for p in prices):
            raise ValueError("an instance needs at least one price")
        return self

    def usd_per_gpu_hour(self, option: str) -> float | None:
        """Price per GPU-hour for `option` (on_demand, reserved_1yr, ...), None if not sold."""
        per_instance = getattr(self, f"{option}_usd_per_hour")
        return None if per_instance is None else per_instance / self.gpus_per_instance


class CloudPricing(StrictModel):
    """What a cloud provider charges."""

    provider: str = Field(min_length=1)
    region: str | None = None
    instances: list[InstancePrice] = Field(min_length=1)
    storage_usd_per_gb_month: dict[str, float] = Field(
        default_factory=dict, description="per storage tier (object, parallel_fs, ...)"
    )
    egress_usd_per_gb: float = Field(ge=0)


class CapexLine(StrictModel):
    """One capital expense, priced per unit of something the cluster has."""

    item: str = Field(min_length=1)
    usd: float = Field(ge=0)
    per: Literal["node", "gpu", "rack", "switch_port", "kw_it", "tb_storage", "cluster"]
    category: Literal["servers", "fabric", "storage", "facility", "other"] | None = Field(
        default=None,
        description="cost category; default by `per` (node and gpu: servers, switch_port: "
        "fabric, rack and kw_it: facility, tb_storage: storage, cluster: other). A node "
        "profile's purchase_price_usd replaces the servers lines",
    )

    @property
    def cost_category(self) -> str:
        """The category this line is booked under."""
        if self.category is not None:
            return self.category
        return {
            "node": "servers",
            "gpu": "servers",
            "switch_port": "fabric",
            "rack": "facility",
            "kw_it": "facility",
            "tb_storage": "storage",
            "cluster": "other",
        }[self.per]


class OnPremPricing(StrictModel):
    """Capital and running costs of owning the hardware."""

    capex: list[CapexLine] = Field(min_length=1)
    depreciation_years: float = Field(gt=0)
    cost_of_capital_per_year: float = Field(default=0.0, ge=0, lt=1)
    maintenance_fraction_of_capex_per_year: float = Field(ge=0, lt=1)
    staff_usd_per_year: float = Field(ge=0, description="one operations engineer, loaded")
    gpus_per_staff: float = Field(gt=0, description="GPUs one engineer runs")
    spares_fraction: float = Field(default=0.0, ge=0, lt=1)
    purchase_lead_time_days: float = Field(default=0.0, ge=0)


class PricingProfile(Profile):
    """A price sheet: exactly one of `cloud` or `onprem`, matching `sheet`."""

    kind: Literal["pricing"] = "pricing"
    sheet: Literal["cloud", "onprem"]
    currency: Literal["USD"] = "USD"
    cloud: CloudPricing | None = None
    onprem: OnPremPricing | None = None

    @model_validator(mode="after")
    def _one_section(self) -> PricingProfile:
        if self.sheet == "cloud" and (self.cloud is None or self.onprem is not None):
            raise ValueError("a cloud sheet needs a `cloud` section and no `onprem` section")
        if self.sheet == "onprem" and (self.onprem is None or self.cloud is not None):
            raise ValueError("an onprem sheet needs an `onprem` section and no `cloud` section")
        return self
