"""Scenario: a cluster, the work it runs, the policies it runs them under, and price options.

Profiles are referenced by id, optionally with inline `overrides` (`node: {id: dgx-h100,
overrides: {purchase_price_usd: 290000}}`). Policies are `{kind: ..., params: {...}}` so the
engine's registries can add schedulers or placements without changing this schema.
`schema_version` lets later releases migrate old files rather than misread them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, get_args

from pydantic import Field, model_validator

from simulator.schema.base import ProfileId, StrictModel
from simulator.schema.pricing import Billing

# the workload shapes live in schema/workloads.py; re-exported here for old import paths
from simulator.schema.workloads import (
    Autoscaling,
    Checkpointing,
    DecodeAttentionKernel,
    Disaggregation,
    InferenceService,
    JobTrace,
    LengthDistribution,
    ModelRef,
    ServiceLevel,
    SyntheticJobs,
    Traffic,
    TrainingJob,
    Workloads,
)
from simulator.units import Days, Hours, Minutes, Months, OptionalHours, OptionalMonths, OptionalTB

SCHEMA_VERSION = 1


class ProfileOverride(StrictModel):
    """A profile id with fields replaced for this scenario only."""

    id: ProfileId
    overrides: dict[str, Any] = Field(default_factory=dict)


ProfileRef = ProfileId | ProfileOverride


def ref_id(ref: ProfileRef) -> str:
    """The profile id a reference names."""
    return ref if isinstance(ref, str) else ref.id


class SpotCapacity(StrictModel):
    """The pool runs on spot instances that the provider may reclaim at any time."""

    interruptions_per_node_hour: float = Field(
        ge=0, description="mean rate at which one node (instance) is reclaimed"
    )
    reacquire_minutes: Minutes = Field(
        default=0.0, ge=0, description="time until a reclaimed node is replaced"
    )


class NodePool(StrictModel):
    """Identical nodes of one type."""

    name: str = Field(min_length=1)
    node: ProfileRef
    count: int = Field(gt=0, le=1_000_000)
    spot: SpotCapacity | None = Field(
        default=None, description="spot capacity: the engine reclaims nodes at random"
    )


class NodeAddition(StrictModel):
    """Nodes bought for a pool: ordered on a day, in service after the purchase lead time."""

    pool: str = Field(min_length=1)
    nodes: int = Field(gt=0, le=1_000_000)
    order_at_days: Days = Field(ge=0, description="simulated day the purchase is ordered")
    lead_time_days: Days = Field(default=0.0, ge=0, description="order to in-service")

    @property
    def in_service_s(self) -> float:
        """When the nodes join the cluster, in simulated seconds."""
        return (self.order_at_days + self.lead_time_days) * 86400.0


class CloudBurst(StrictModel):
    """Jobs that cannot start on the cluster within the wait limit run in the cloud instead."""

    wait_limit_hours: Hours = Field(ge=0, description="queue wait before a job bursts")


class Fabric(StrictModel):
    """The scale-out network joining the nodes."""

    interconnect: ProfileRef | None = Field(
        default=None, description="defaults to the nodes' compute NIC type"
    )
    topology: Literal["fat_tree", "rail_optimized_fat_tree", "dragonfly"] = (
        "rail_optimized_fat_tree"
    )
    oversubscription: float = Field(default=1.0, ge=1, description="leaf-to-spine ratio")
    nodes_per_pod: int = Field(default=32, gt=0, description="nodes under one leaf group")


class StorageTier(StrictModel):
    """A storage tier the cluster uses."""

    profile: ProfileRef
    capacity_tb: OptionalTB = Field(default=None, gt=0, description="overrides the profile's")
    role: Literal["checkpoint", "dataset", "both", "archive"] = "both"


class Cluster(StrictModel):
    """Hardware: node pools, fabric, storage tiers, facility."""

    pools: list[NodePool] = Field(min_length=1)
    fabric: Fabric = Field(default_factory=Fabric)
    nodes_per_rack: int | None = Field(
        default=None, gt=0, description="defaults to what the facility's kW per rack allows"
    )
    storage: list[StorageTier] = Field(default_factory=list)
    facility: ProfileRef
    build_out: list[NodeAddition] = Field(
        default_factory=list, description="capacity plan: nodes added to pools over time"
    )
    burst: CloudBurst | None = Field(
        default=None, description="route jobs that wait too long to the cloud (hybrid)"
    )

    @model_validator(mode="after")
    def _unique_pool_names(self) -> Cluster:
        names = [p.name for p in self.pools]
        if len(names) != len(set(names)):
            raise ValueError("pool names must be unique")
        for step in self.build_out:
            if step.pool not in names:
                raise ValueError(f"build_out: pool {step.pool!r} is not one of {sorted(names)}")
        return self


class PolicyRef(StrictModel):
    """A policy chosen by registry name, with its parameters (checked by the engine)."""

    kind: str = Field(min_length=1)
    params: dict[str, Any] = Field(default_factory=dict)


class Failures(StrictModel):
    """Failure injection."""

    enabled: bool = True
    rates: Literal["llama3"] = "llama3"
    rate_multiplier: float = Field(default=1.0, ge=0)


class PowerPolicy(StrictModel):
    """How a facility power cap is enforced."""

    enforcement: Literal["throttle", "admission"] = "throttle"
    cap_kw: float | None = Field(default=None, gt=0, description="overrides the facility's")


class Policies(StrictModel):
    """Scheduling, placement, failures and power policies."""

    scheduler: PolicyRef = Field(default_factory=lambda: PolicyRef(kind="fifo"))
    placement: PolicyRef = Field(default_factory=lambda: PolicyRef(kind="topology_aware"))
    failures: Failures = Field(default_factory=Failures)
    power: PowerPolicy = Field(default_factory=PowerPolicy)


class ReservedContract(StrictModel):
    """A reserved (committed) block of instances, paid for whether used or not."""

    instances: int = Field(gt=0)
    start_month: Months = Field(default=0.0, ge=0, description="months after the start")
    months: OptionalMonths = Field(default=None, gt=0, description="defaults to the term")


PurchaseKind = Literal[
    "on_demand", "reserved_1yr", "reserved_3yr", "spot", "capacity_block", "owned", "colocation"
]
"""Every way of paying for capacity: the one list of names. Each has one class in
`simulator.economics.purchases`, whose registry checks at import that it covers exactly these."""

BurstPurchaseKind = Literal["on_demand", "spot", "capacity_block"]
"""The kinds billed per use, which a hybrid option's burst jobs may rent (the registry checks
that these are exactly its per-use kinds)."""


class BurstOption(StrictModel):
    """Where a hybrid option's overflow jobs run, and after how long a wait."""

    sheet: ProfileId = Field(description="id of a cloud pricing profile")
    purchase: BurstPurchaseKind = "on_demand"
    instance_type: str | None = None
    wait_limit_hours: Hours = Field(ge=0, description="queue wait before a job bursts")


class PriceOption(StrictModel):
    """One way of paying for the cluster, to compare against the others."""

    name: str = Field(min_length=1)
    sheet: ProfileId = Field(description="id of a pricing profile")
    purchase: PurchaseKind = "on_demand"
    instance_type: str | None = None
    burst: BurstOption | None = Field(
        default=None,
        description="owned and colocation only: hybrid, bursting overflow jobs to a cloud",
    )
    reserved_contracts: list[ReservedContract] = Field(
        default_factory=list,
        description="reserved only; default: instances for every node in service, renewed",
    )
    spot_interruptions_per_hour: float | None = Field(
        default=None, ge=0, description="spot only: per instance; overrides the sheet's"
    )
    billing: Billing | None = Field(
        default=None,
        description="how the provider bills this option; overrides the sheet's (per-use "
        "kinds and capacity blocks)",
    )

    @model_validator(mode="after")
    def _fields_fit_purchase(self) -> PriceOption:
        if self.burst is not None and self.purchase not in ("owned", "colocation"):
            raise ValueError("burst is for owned or colocation (hybrid) options")
        if self.reserved_contracts and not self.purchase.startswith("reserved"):
            raise ValueError("reserved_contracts are for reserved_1yr/reserved_3yr options")
        if self.billing is not None and self.purchase not in get_args(BurstPurchaseKind):
            raise ValueError("billing is for on_demand, spot and capacity_block options")
        return self


class Pricing(StrictModel):
    """Cost options to evaluate."""

    options: list[PriceOption] = Field(default_factory=list)
    horizon_months: OptionalMonths = Field(default=None, gt=0)
    mode: Literal["horizon", "project"] = Field(
        default="horizon",
        description="horizon: a standing cluster over horizon_months; project: the cost to "
        "finish the training jobs once, each option over its own time to finish",
    )
    egress_tb_per_month: float = Field(
        default=0.0, ge=0, description="data leaving a cloud each month (models, results)"
    )
    time_of_use_usd_per_kwh: list[float] | None = Field(
        default=None,
        min_length=24,
        max_length=24,
        description="electricity price per hour of the day (00-23); replaces the facility's",
    )
    carbon_trace_path: str | None = Field(
        default=None, description="CSV hour,g_per_kwh (hours from the start, repeats)"
    )
    max_p95_wait_hours: OptionalHours = Field(
        default=None, gt=0, description="capacity plan: a month whose p95 wait exceeds this breaks"
    )
    min_slo_attainment: float | None = Field(
        default=None,
        gt=0,
        le=1,
        description="capacity plan: a month whose requests meet their services' SLOs less "
        "often than this breaks",
    )


class Scenario(StrictModel):
    """One runnable what-if."""

    schema_version: Literal[1] = Field(description="scenario file format version")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    seed: int = Field(default=0, ge=0, lt=2**63)
    start_date: dt.date | None = Field(
        default=None,
        description="calendar date of day 0 (ISO, e.g. 2027-01-01): finish dates in the answers",
    )
    horizon_days: Days = Field(gt=0, le=3650)
    cluster: Cluster
    workloads: Workloads
    policies: Policies = Field(default_factory=Policies)
    pricing: Pricing = Field(default_factory=Pricing)
    calibration: str | None = Field(default=None, description="calibration file overlay path")

    @model_validator(mode="after")
    def _pools_exist(self) -> Scenario:
        pools = {p.name for p in self.cluster.pools}
        for job in [*self.workloads.training_jobs, *self.workloads.inference_services]:
            if job.pool is not None and job.pool not in pools:
                raise ValueError(f"{job.name}: pool {job.pool!r} is not one of {sorted(pools)}")
        return self

    @model_validator(mode="after")
    def _slo_limit_has_targets(self) -> Scenario:
        targets = [
            s
            for s in self.workloads.inference_services
            if s.slo.ttft_s is not None or s.slo.tpot_s is not None
        ]
        if self.pricing.min_slo_attainment is not None and not targets:
            raise ValueError(
                "pricing.min_slo_attainment needs an inference service with slo.ttft_s or "
                "slo.tpot_s"
            )
        return self


__all__ = [
    "SCHEMA_VERSION",
    "Autoscaling",
    "BurstOption",
    "BurstPurchaseKind",
    "Checkpointing",
    "CloudBurst",
    "Cluster",
    "DecodeAttentionKernel",
    "Disaggregation",
    "Fabric",
    "Failures",
    "InferenceService",
    "JobTrace",
    "LengthDistribution",
    "ModelRef",
    "NodeAddition",
    "NodePool",
    "Policies",
    "PolicyRef",
    "PowerPolicy",
    "PriceOption",
    "Pricing",
    "ProfileOverride",
    "ProfileRef",
    "PurchaseKind",
    "ReservedContract",
    "Scenario",
    "ServiceLevel",
    "SpotCapacity",
    "StorageTier",
    "SyntheticJobs",
    "Traffic",
    "TrainingJob",
    "Workloads",
    "ref_id",
]
