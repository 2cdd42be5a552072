"""Scenario: a cluster, the work it runs, the policies it runs them under, and price options.

Profiles are referenced by id, optionally with inline `overrides` (`node: {id: dgx-h100,
overrides: {purchase_price_usd: 290000}}`). Policies are `{kind: ..., params: {...}}` so the
engine's registries can add schedulers or placements without changing this schema.
`schema_version` lets later releases migrate old files rather than misread them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from simulator.schema.base import ProfileId, StrictModel
from simulator.schema.model import TransformerModel

SCHEMA_VERSION = 1


class ProfileOverride(StrictModel):
    """A profile id with fields replaced for this scenario only."""

    id: ProfileId
    overrides: dict[str, Any] = Field(default_factory=dict)


ProfileRef = ProfileId | ProfileOverride


def ref_id(ref: ProfileRef) -> str:
    """The profile id a reference names."""
    return ref if isinstance(ref, str) else ref.id


class NodePool(StrictModel):
    """Identical nodes of one type."""

    name: str = Field(min_length=1)
    node: ProfileRef
    count: int = Field(gt=0, le=1_000_000)


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
    capacity_tb: float | None = Field(default=None, gt=0, description="overrides the profile's")
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

    @model_validator(mode="after")
    def _unique_pool_names(self) -> Cluster:
        names = [p.name for p in self.pools]
        if len(names) != len(set(names)):
            raise ValueError("pool names must be unique")
        return self


class Parallelism(StrictModel):
    """How a training job splits over its GPUs."""

    tp: int = Field(default=1, gt=0)
    pp: int = Field(default=1, gt=0)
    vpp: int = Field(default=1, gt=0, description="virtual pipeline stages per GPU")
    cp: int = Field(default=1, gt=0)
    ep: int = Field(default=1, gt=0)
    dp: int | None = Field(default=None, gt=0, description="derived from num_gpus when absent")
    sequence_parallel: bool = False
    zero: Literal[0, 1, 2, 3] = 0
    distributed_optimizer: bool = False
    recompute: Literal["auto", "none", "selective", "full"] = "auto"


class Checkpointing(StrictModel):
    """When and where a job saves its state."""

    policy: Literal["none", "fixed", "young_daly"] = "young_daly"
    interval_minutes: float | None = Field(default=None, gt=0)
    storage: ProfileId | None = Field(default=None, description="storage profile id in the cluster")
    asynchronous: bool = False

    @model_validator(mode="after")
    def _interval_given(self) -> Checkpointing:
        if self.policy == "fixed" and self.interval_minutes is None:
            raise ValueError("a fixed checkpoint policy needs interval_minutes")
        return self


ModelRef = ProfileId | TransformerModel


class TrainingJob(StrictModel):
    """A training (or fine-tuning) run."""

    name: str = Field(min_length=1)
    model: ModelRef = Field(description="a preset id from scenarios/models, or an inline shape")
    pool: str | None = Field(default=None, description="node pool name; any pool when absent")
    num_gpus: int = Field(gt=0)
    parallelism: Parallelism = Field(default_factory=Parallelism)
    seq_len: int = Field(gt=0)
    global_batch: int = Field(gt=0, description="sequences per step")
    micro_batch: int = Field(default=1, gt=0)
    precision: Literal["bf16", "fp16", "fp8"] = "bf16"
    mode: Literal["pretrain", "full_finetune", "lora"] = "pretrain"
    lora_rank: int | None = Field(default=None, gt=0)
    total_tokens: float | None = Field(default=None, gt=0)
    steps: int | None = Field(default=None, gt=0)
    submit_at_hours: float = Field(default=0.0, ge=0)
    deadline_hours: float | None = Field(default=None, gt=0)
    priority: int = 0
    tenant: str = "default"
    checkpoint: Checkpointing = Field(default_factory=Checkpointing)
    dataset_tb: float | None = Field(default=None, gt=0, description="streamed once per epoch")
    onprem_only: bool = Field(default=False, description="data residency: never bursts to cloud")

    @model_validator(mode="after")
    def _length_given(self) -> TrainingJob:
        if (self.total_tokens is None) == (self.steps is None):
            raise ValueError("give exactly one of total_tokens or steps")
        if self.mode == "lora" and self.lora_rank is None:
            raise ValueError("mode lora needs lora_rank")
        p = self.parallelism
        model_parallel = p.tp * p.pp * p.cp
        if self.num_gpus % model_parallel:
            raise ValueError(
                f"num_gpus ({self.num_gpus}) must be a multiple of tp*pp*cp ({model_parallel})"
            )
        if p.dp is not None and p.dp * model_parallel != self.num_gpus:
            raise ValueError(
                f"tp*pp*cp*dp = {p.dp * model_parallel} but num_gpus is {self.num_gpus}"
            )
        return self


class LengthDistribution(StrictModel):
    """Token counts of requests."""

    kind: Literal["fixed", "uniform", "lognormal", "empirical"] = "fixed"
    value: int | None = Field(default=None, gt=0)
    low: int | None = Field(default=None, gt=0)
    high: int | None = Field(default=None, gt=0)
    median: float | None = Field(default=None, gt=0)
    sigma: float | None = Field(default=None, gt=0)
    values: list[int] = Field(default_factory=list)

    @model_validator(mode="after")
    def _params_for_kind(self) -> LengthDistribution:
        needed = {
            "fixed": ("value",),
            "uniform": ("low", "high"),
            "lognormal": ("median", "sigma"),
            "empirical": (),
        }[self.kind]
        missing = [name for name in needed if getattr(self, name) is None]
        if missing:
            raise ValueError(f"a {self.kind} length needs {', '.join(missing)}")
        if self.kind == "empirical" and not self.values:
            raise ValueError("an empirical length needs values")
        if self.kind == "uniform" and self.low > self.high:  # type: ignore[operator]
            raise ValueError("low must not exceed high")
        return self


class Traffic(StrictModel):
    """Arriving requests."""

    arrivals: Literal["poisson", "gamma", "diurnal", "trace"] = "poisson"
    requests_per_s: float | None = Field(default=None, gt=0)
    burstiness_cv: float | None = Field(default=None, gt=0, description="gamma: inter-arrival CV")
    diurnal_peak_to_trough: float | None = Field(default=None, ge=1)
    trace_path: str | None = Field(default=None, description="CSV: arrival_s,input,output")
    input_tokens: LengthDistribution | None = None
    output_tokens: LengthDistribution | None = None

    @model_validator(mode="after")
    def _source_given(self) -> Traffic:
        if self.arrivals == "trace":
            if not self.trace_path:
                raise ValueError("trace arrivals need trace_path")
        else:
            if self.requests_per_s is None:
                raise ValueError(f"{self.arrivals} arrivals need requests_per_s")
            if self.input_tokens is None or self.output_tokens is None:
                raise ValueError("give input_tokens and output_tokens distributions")
        return self


class ServiceLevel(StrictModel):
    """Latency targets of a service."""

    ttft_s: float | None = Field(default=None, gt=0)
    tpot_s: float | None = Field(default=None, gt=0)


class InferenceService(StrictModel):
    """A model served to traffic by replicas."""

    name: str = Field(min_length=1)
    model: ModelRef
    pool: str | None = None
    precision: Literal["fp16", "bf16", "fp8", "int8", "int4"] = "bf16"
    tp: int = Field(default=1, gt=0)
    pp: int = Field(default=1, gt=0)
    replicas: int = Field(default=1, gt=0)
    max_replicas: int | None = Field(default=None, gt=0)
    traffic: Traffic
    slo: ServiceLevel = Field(default_factory=ServiceLevel)


class JobTrace(StrictModel):
    """Jobs replayed from a public trace format."""

    format: Literal["philly", "helios"]
    path: str = Field(min_length=1, description="relative to the scenario file")
    max_jobs: int | None = Field(default=None, gt=0)
    time_scale: float = Field(default=1.0, gt=0, description="multiplies trace times")


class SyntheticJobs(StrictModel):
    """A Poisson stream of generic GPU jobs (for queueing studies)."""

    name: str = Field(min_length=1)
    arrivals_per_hour: float = Field(gt=0)
    gpus_per_job: list[int] = Field(min_length=1, description="drawn uniformly")
    mean_duration_hours: float = Field(gt=0)
    duration: Literal["exponential", "lognormal", "fixed"] = "exponential"
    tenant: str = "default"
    count: int | None = Field(default=None, gt=0, description="stop after this many arrivals")


class Workloads(StrictModel):
    """Everything the cluster runs."""

    training_jobs: list[TrainingJob] = Field(default_factory=list)
    inference_services: list[InferenceService] = Field(default_factory=list)
    job_traces: list[JobTrace] = Field(default_factory=list)
    synthetic_jobs: list[SyntheticJobs] = Field(default_factory=list)

    @model_validator(mode="after")
    def _something_to_do(self) -> Workloads:
        if not (
            self.training_jobs or self.inference_services or self.job_traces or self.synthetic_jobs
        ):
            raise ValueError("a scenario needs at least one workload")
        names = [j.name for j in self.training_jobs] + [s.name for s in self.inference_services]
        if len(names) != len(set(names)):
            raise ValueError("workload names must be unique")
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


class PriceOption(StrictModel):
    """One way of paying for the cluster, to compare against the others."""

    name: str = Field(min_length=1)
    sheet: ProfileId = Field(description="id of a pricing profile")
    purchase: Literal[
        "on_demand", "reserved_1yr", "reserved_3yr", "spot", "capacity_block", "owned"
    ] = "on_demand"
    instance_type: str | None = None


class Pricing(StrictModel):
    """Cost options to evaluate."""

    options: list[PriceOption] = Field(default_factory=list)
    horizon_months: float | None = Field(default=None, gt=0)


class Scenario(StrictModel):
    """One runnable what-if."""

    schema_version: Literal[1] = Field(description="scenario file format version")
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    seed: int = Field(default=0, ge=0, lt=2**63)
    horizon_days: float = Field(gt=0, le=3650)
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
