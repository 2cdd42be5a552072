"""Pricing sheets: a cloud provider's instance prices, or on-prem capex and running costs.

Prices are dated snapshots a user overrides; they are never constants in code.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from simulator.schema.base import AsOf, Profile, ProfileId, StrictModel
from simulator.units import Days, Seconds

BillingUnit = Literal["second", "minute", "hour", "day", "month"]
UNIT_S: dict[str, float] = {
    "second": 1.0,
    "minute": 60.0,
    "hour": 3600.0,
    "day": 86400.0,
    "month": 2629800.0,  # an average calendar month, as the cost calendar's (365.25 d / 12)
}
"""seconds in each billing unit"""


class BlockDurations(StrictModel):
    """Lengths a block may be booked for: multiples of `step_days` up to `up_to_days`.

    A list of these reads in order: AWS EC2 Capacity Blocks allow 1-14 days in 1-day steps,
    then up to 182 days in 7-day steps (`[{up_to_days: 14, step_days: 1}, {up_to_days: 182,
    step_days: 7}]` allows 1, 2, ..., 14, 21, 28, ..., 182 days).
    """

    up_to_days: Days = Field(gt=0, description="longest block in this range")
    step_days: Days = Field(gt=0, description="blocks in this range are multiples of this")


class Billing(StrictModel):
    """How a provider turns the time capacity is held into a bill.

    Per-use kinds (on-demand, spot) round each rental interval up to a whole `unit`, and to
    at least `minimum_s`; `rents` says whether an interval rents whole instances or single
    GPUs. Capacity blocks are booked for one of `block_durations`.
    """

    unit: BillingUnit = "second"
    rents: Literal["gpu", "instance"] = Field(
        default="instance", description="what one rental holds: whole instances or GPUs"
    )
    minimum_s: Seconds = Field(default=0.0, ge=0, description="least billed per rental")
    block_durations: list[BlockDurations] = Field(
        default_factory=lambda: [BlockDurations(up_to_days=36500.0, step_days=1.0)],
        min_length=1,
        description="capacity blocks: allowed lengths (default: whole days)",
    )
    source: str | None = Field(default=None, description="where the provider says so")
    as_of: AsOf | None = None

    @model_validator(mode="after")
    def _ranges_grow(self) -> Billing:
        ups = [r.up_to_days for r in self.block_durations]
        if ups != sorted(ups) or len(set(ups)) != len(ups):
            raise ValueError("block_durations must list ranges in increasing up_to_days")
        return self


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
    billing: Billing | None = Field(
        default=None, description="how this instance is billed; default: the sheet's billing"
    )

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
    billing: Billing = Field(
        default_factory=Billing,
        description="how the provider bills its instances unless an instance says otherwise",
    )
    instances: list[InstancePrice] = Field(min_length=1)
    storage_usd_per_gb_month: dict[str, float] = Field(
        default_factory=dict, description="per storage tier (object, parallel_fs, ...)"
    )
    egress_usd_per_gb: float = Field(ge=0)

    def billing_of(self, instance: InstancePrice) -> Billing:
        """The billing rules for `instance`: its own, else the sheet's."""
        return instance.billing if instance.billing is not None else self.billing


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
    purchase_lead_time_days: Days = Field(default=0.0, ge=0)
    resale_value_fraction_by_year: list[Annotated[float, Field(ge=0, le=1)]] = Field(
        default_factory=list,
        description="resale value of the servers (and spares) as a fraction of their price "
        "after year 1, 2, ... in service, interpolated from 1.0 at purchase and held at the "
        "last value after it; empty: straight-line book value over depreciation_years",
    )
    resale_source: str = Field(
        default="", description="where the resale curve comes from (or why there is none)"
    )

    @model_validator(mode="after")
    def _resale_declines(self) -> OnPremPricing:
        curve = [1.0, *self.resale_value_fraction_by_year]
        if any(b > a for a, b in zip(curve, curve[1:], strict=False)):
            raise ValueError("resale_value_fraction_by_year must not rise from year to year")
        return self

    def resale_fraction(self, age_years: float) -> float:
        """What the servers would sell for, as a fraction of their price, at `age_years`."""
        if not self.resale_value_fraction_by_year:
            return max(0.0, 1.0 - age_years / self.depreciation_years)
        curve = [1.0, *self.resale_value_fraction_by_year]
        year = min(max(age_years, 0.0), len(curve) - 1.0)
        whole = min(int(year), len(curve) - 2)
        return curve[whole] + (curve[whole + 1] - curve[whole]) * (year - whole)


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
