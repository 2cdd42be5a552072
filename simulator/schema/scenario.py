"""Scenario: a cluster, the work it runs, the policies it runs them under, and price options.

Profiles are referenced by id, optionally with inline `overrides` (`node: {id: dgx-h100,
overrides: {purchase_price_usd: 290000}}`). Policies are `{kind: ..., params: {...}}` so the
engine's registries can add schedulers or placements without changing this schema.
`schema_version` lets later releases migrate old files rather than misread them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, PositiveInt, model_validator

from simulator.schema.base import ProfileId, StrictModel
from simulator.schema.execution import TrainingExecution
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


class SpotCapacity(StrictModel):
    """The pool runs on spot instances that the provider may reclaim at any time."""

    interruptions_per_node_hour: float = Field(
        ge=0, description="mean rate at which one node (instance) is reclaimed"
    )
    reacquire_minutes: float = Field(
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
    order_at_days: float = Field(ge=0, description="simulated day the purchase is ordered")
    lead_time_days: float = Field(default=0.0, ge=0, description="order to in-service")

    @property
    def in_service_s(self) -> float:
        """When the nodes join the cluster, in simulated seconds."""
        return (self.order_at_days + self.lead_time_days) * 86400.0


class CloudBurst(StrictModel):
    """Jobs that cannot start on the cluster within the wait limit run in the cloud instead."""

    wait_limit_hours: float = Field(ge=0, description="queue wait before a job bursts")


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


class TrainingJob(TrainingExecution):
    """A training (or fine-tuning) run: its execution (`TrainingExecution`) plus its lifecycle."""

    name: str = Field(min_length=1)
    model: ModelRef = Field(description="a preset id from scenarios/models, or an inline shape")
    pool: str | None = Field(default=None, description="node pool name; any pool when absent")
    total_tokens: float | None = Field(default=None, gt=0)
    steps: int | None = Field(default=None, gt=0)
    submit_at_hours: float = Field(default=0.0, ge=0)
    deadline_hours: float | None = Field(default=None, gt=0)
    priority: int = Field(default=0, ge=-999_999, le=999_999, description="higher goes first")
    tenant: str = "default"
    checkpoint: Checkpointing = Field(default_factory=Checkpointing)
    dataset_tb: float | None = Field(default=None, gt=0, description="streamed once per epoch")
    onprem_only: bool = Field(default=False, description="data residency: never bursts to cloud")

    @model_validator(mode="after")
    def _length_given(self) -> TrainingJob:
        if (self.total_tokens is None) == (self.steps is None):
            raise ValueError("give exactly one of total_tokens or steps")
        return self


class LengthDistribution(StrictModel):
    """Token counts of requests."""

    kind: Literal["fixed", "uniform", "lognormal", "empirical"] = "fixed"
    value: int | None = Field(default=None, gt=0)
    low: int | None = Field(default=None, gt=0)
    high: int | None = Field(default=None, gt=0)
    median: float | None = Field(default=None, gt=0)
    sigma: float | None = Field(default=None, gt=0)
    values: list[PositiveInt] = Field(default_factory=list)

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

    arrivals: Literal["poisson", "gamma", "diurnal", "trace", "closed_loop"] = "poisson"
    requests_per_s: float | None = Field(default=None, gt=0)
    concurrency: int | None = Field(
        default=None,
        gt=0,
        description="closed_loop: clients each sending its next request when the last one "
        "finishes (concurrency = num_requests: all arrive at once, an offline benchmark)",
    )
    burstiness_cv: float | None = Field(default=None, gt=0, description="gamma: inter-arrival CV")
    diurnal_peak_to_trough: float | None = Field(default=None, ge=1)
    trace_path: str | None = Field(
        default=None,
        description="CSV with a header arrival_s,input_tokens,output_tokens (relative to the "
        "scenario file)",
    )
    diurnal_peak_hour: float = Field(
        default=14.0, ge=0, lt=24, description="diurnal: hour of day of the peak rate"
    )
    num_requests: int | None = Field(
        default=None, gt=0, description="stop after this many arrivals (default: the horizon)"
    )
    input_tokens: LengthDistribution | None = None
    output_tokens: LengthDistribution | None = None
    growth_per_month: float = Field(
        default=0.0,
        gt=-1,
        description="demand forecast: the request rate grows by this share each month, "
        "compounding (poisson, gamma and diurnal arrivals)",
    )

    @model_validator(mode="after")
    def _source_given(self) -> Traffic:
        if self.growth_per_month and self.arrivals in ("trace", "closed_loop"):
            raise ValueError(f"growth_per_month does not apply to {self.arrivals} arrivals")
        if self.arrivals == "trace":
            if not self.trace_path:
                raise ValueError("trace arrivals need trace_path")
        elif self.arrivals == "closed_loop":
            if self.concurrency is None or self.num_requests is None:
                raise ValueError("closed_loop arrivals need concurrency and num_requests")
            if self.input_tokens is None or self.output_tokens is None:
                raise ValueError("give input_tokens and output_tokens distributions")
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


class Disaggregation(StrictModel):
    """Prefill on its own replicas; the KV cache then moves over the fabric to a decode replica
    (DistServe, Splitwise): prompts no longer stall decoding, at the cost of the transfer."""

    prefill_replicas: int = Field(gt=0, description="replicas that only prefill")


class Autoscaling(StrictModel):
    """Add or remove replicas as load changes; new replicas first load their weights."""

    metric: Literal["queue_depth", "utilization", "kv_utilization"] = Field(
        default="queue_depth",
        description="waiting requests per replica, busy-time fraction, or KV-cache use",
    )
    scale_up_at: float = Field(gt=0, description="add a replica when the metric exceeds this")
    scale_down_at: float = Field(
        ge=0, description="remove one (after draining) when the metric is below this"
    )
    interval_s: float = Field(default=30.0, gt=0, description="how often the metric is checked")
    min_replicas: int = Field(default=1, gt=0)
    startup_s: float = Field(
        default=0.0, ge=0, description="engine start time besides the weight load"
    )

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Autoscaling:
        if self.scale_down_at >= self.scale_up_at:
            raise ValueError("scale_down_at must be below scale_up_at")
        return self


DecodeAttentionKernel = Literal["grouped", "per_query_head"]
"""How an engine's decode-attention kernel reads GQA's shared KV heads
(simulator/perf/decode_attention.py)."""


class InferenceService(StrictModel):
    """A model served to traffic by replicas."""

    name: str = Field(min_length=1)
    model: ModelRef
    pool: str | None = None
    precision: Literal["fp16", "bf16", "fp8", "int8", "int4"] = "bf16"
    tp: int = Field(default=1, gt=0)
    pp: int = Field(default=1, gt=0)
    replicas: int = Field(
        default=1, gt=0, description="replicas at the start (the decode pool if disaggregated)"
    )
    max_replicas: int | None = Field(
        default=None, gt=0, description="autoscaling ceiling (default: replicas)"
    )
    traffic: Traffic
    slo: ServiceLevel = Field(default_factory=ServiceLevel)
    routing: Literal["round_robin", "least_outstanding", "kv_aware"] = Field(
        default="least_outstanding", description="how the router picks a replica per request"
    )
    max_num_seqs: int = Field(
        default=256, gt=0, description="sequences a replica runs at once (vLLM's default 256)"
    )
    max_batched_tokens: int = Field(
        default=8192,
        gt=0,
        description="chunked-prefill token budget per iteration (vLLM V1's default for online "
        "serving, 8192)",
    )
    kv_block_tokens: int = Field(
        default=16, gt=0, description="tokens per KV-cache block (vLLM's default 16)"
    )
    preemption: Literal["recompute", "swap"] = Field(
        default="recompute",
        description="when the KV cache runs out: drop the newest sequence's blocks and "
        "recompute them later, or swap them to host memory",
    )
    prefix_cache_hit_rate: float = Field(
        default=0.0,
        ge=0,
        lt=1,
        description="share of each prompt found in the prefix cache (whole blocks skip prefill)",
    )
    kv_dtype: Literal["fp16", "bf16", "fp8", "int8"] | None = Field(
        default=None, description="KV-cache dtype (default fp8 with fp8, else 16-bit)"
    )
    decode_attention: DecodeAttentionKernel = Field(
        default="grouped",
        description="how the engine's decode-attention kernel reads GQA's shared KV heads: once "
        "per group (XQA, FlashInfer, FlashAttention) or once per query head (TensorRT-LLM "
        "before 0.7.1)",
    )
    disaggregation: Disaggregation | None = Field(
        default=None, description="separate prefill and decode pools with KV transfer"
    )
    autoscaling: Autoscaling | None = Field(default=None, description="scale replicas with load")
    weights_storage: ProfileId | None = Field(
        default=None,
        description="storage profile id in the cluster that cold starts load weights from "
        "(default: the first tier)",
    )
    timeline_interval_s: float = Field(
        default=60.0, gt=0, description="spacing of serving_timeline samples"
    )

    @model_validator(mode="after")
    def _replica_bounds(self) -> InferenceService:
        if self.max_replicas is not None and self.max_replicas < self.replicas:
            raise ValueError(
                f"max_replicas ({self.max_replicas}) is below replicas ({self.replicas})"
            )
        if self.autoscaling is not None and self.autoscaling.min_replicas > self.replicas:
            raise ValueError(
                f"autoscaling.min_replicas ({self.autoscaling.min_replicas}) is above "
                f"replicas ({self.replicas})"
            )
        return self


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
    gpus_per_job: list[PositiveInt] = Field(min_length=1, description="drawn uniformly")
    mean_duration_hours: float = Field(gt=0)
    duration: Literal["exponential", "lognormal", "fixed"] = "exponential"
    tenant: str = "default"
    count: int | None = Field(default=None, gt=0, description="stop after this many arrivals")
    growth_per_month: float = Field(
        default=0.0, gt=-1, description="demand forecast: arrival rate grows by this each month"
    )


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


class ReservedContract(StrictModel):
    """A reserved (committed) block of instances, paid for whether used or not."""

    instances: int = Field(gt=0)
    start_month: float = Field(default=0.0, ge=0, description="months after the start")
    months: float | None = Field(default=None, gt=0, description="defaults to the term")


PurchaseKind = Literal[
    "on_demand", "reserved_1yr", "reserved_3yr", "spot", "capacity_block", "owned"
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
    wait_limit_hours: float = Field(ge=0, description="queue wait before a job bursts")


class PriceOption(StrictModel):
    """One way of paying for the cluster, to compare against the others."""

    name: str = Field(min_length=1)
    sheet: ProfileId = Field(description="id of a pricing profile")
    purchase: PurchaseKind = "on_demand"
    instance_type: str | None = None
    burst: BurstOption | None = Field(
        default=None, description="owned only: hybrid, bursting overflow jobs to a cloud"
    )
    reserved_contracts: list[ReservedContract] = Field(
        default_factory=list,
        description="reserved only; default: instances for every node in service, renewed",
    )
    spot_interruptions_per_hour: float | None = Field(
        default=None, ge=0, description="spot only: per instance; overrides the sheet's"
    )

    @model_validator(mode="after")
    def _fields_fit_purchase(self) -> PriceOption:
        if self.burst is not None and self.purchase != "owned":
            raise ValueError("burst is for owned (hybrid) options")
        if self.reserved_contracts and not self.purchase.startswith("reserved"):
            raise ValueError("reserved_contracts are for reserved_1yr/reserved_3yr options")
        return self


class Pricing(StrictModel):
    """Cost options to evaluate."""

    options: list[PriceOption] = Field(default_factory=list)
    horizon_months: float | None = Field(default=None, gt=0)
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
    max_p95_wait_hours: float | None = Field(
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
