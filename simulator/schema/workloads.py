"""The work a scenario's cluster runs: training jobs, inference services, traces, synthetic jobs.

A training job is a `TrainingExecution` (every execution knob, shared with `estimate
training`) plus lifecycle fields: when it arrives, its priority, checkpoints and deadline. An
inference service is a model, its traffic and its service level. Kept apart from the scenario
root (`schema/scenario.py`) so the workload shapes, which grow with each kind of work, do not
crowd the cluster, policy and price shapes.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt, model_validator

from simulator.schema.base import ProfileId, StrictModel
from simulator.schema.execution import DecodeAttentionKernel as DecodeAttentionKernel
from simulator.schema.execution import ServingExecution, TrainingExecution
from simulator.schema.model import TransformerModel
from simulator.units import (
    Hours,
    OptionalHours,
    OptionalMinutes,
    OptionalSeconds,
    OptionalTB,
    OptionalTokens,
    Seconds,
)


class Checkpointing(StrictModel):
    """When and where a job saves its state."""

    policy: Literal["none", "fixed", "young_daly"] = "young_daly"
    interval_minutes: OptionalMinutes = Field(default=None, gt=0)
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
    total_tokens: OptionalTokens = Field(default=None, gt=0)
    steps: int | None = Field(default=None, gt=0)
    submit_at_hours: Hours = Field(default=0.0, ge=0)
    deadline_hours: OptionalHours = Field(default=None, gt=0)
    priority: int = Field(default=0, ge=-999_999, le=999_999, description="higher goes first")
    tenant: str = "default"
    checkpoint: Checkpointing = Field(default_factory=Checkpointing)
    dataset_tb: OptionalTB = Field(default=None, gt=0, description="streamed once per epoch")
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

    ttft_s: OptionalSeconds = Field(default=None, gt=0)
    tpot_s: OptionalSeconds = Field(default=None, gt=0)


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
    interval_s: Seconds = Field(default=30.0, gt=0, description="how often the metric is checked")
    min_replicas: int = Field(default=1, gt=0)
    startup_s: Seconds = Field(
        default=0.0, ge=0, description="engine start time besides the weight load"
    )

    @model_validator(mode="after")
    def _thresholds_ordered(self) -> Autoscaling:
        if self.scale_down_at >= self.scale_up_at:
            raise ValueError("scale_down_at must be below scale_up_at")
        return self


class InferenceService(ServingExecution):
    """A model served to traffic by replicas: each replica's execution plus the service."""

    name: str = Field(min_length=1)
    model: ModelRef
    pool: str | None = None
    replicas: int = Field(
        default=1, gt=0, description="replicas at the start (the decode pool if disaggregated)"
    )
    max_replicas: int | None = Field(
        default=None, gt=0, description="autoscaling ceiling (default: replicas)"
    )
    traffic: Traffic
    slo: ServiceLevel = Field(default_factory=ServiceLevel)
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
    disaggregation: Disaggregation | None = Field(
        default=None, description="separate prefill and decode pools with KV transfer"
    )
    autoscaling: Autoscaling | None = Field(default=None, description="scale replicas with load")
    weights_storage: ProfileId | None = Field(
        default=None,
        description="storage profile id in the cluster that cold starts load weights from "
        "(default: the first tier)",
    )
    timeline_interval_s: Seconds = Field(
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
    mean_duration_hours: Hours = Field(gt=0)
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
