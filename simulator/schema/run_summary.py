"""RunSummary: a run's headline figures, typed once (what `summary.json` holds).

The summary used to be a dict read by string in a dozen modules; a renamed key broke a
reader silently. Every figure is declared here once, with its unit in its name, and a
summary file with a key this model does not know is refused (`StrictModel`), so a typo or a
file from another tool never passes as a run.

Figures that a run cannot define (a percentile of no samples, a ratio over zero) are NaN in
the engine and `None` here, as `summary.json` has always written them (`null`).

`summary["key"]` and `summary.get("key")` still read a figure as `summary.json` holds it
(nested models as plain dicts): sweep specs and notebooks name figures by those keys, and
the keys are the file's; code inside infrasim reads attributes.

Version 2 (`summary_version: 2`) added the per-job training answers (`training_jobs`), the
`start_date`, and named serving latencies in milliseconds (`ttft_p50_ms`, ...; version 1 had
seconds, `ttft_s_p50`) with `goodput_rps` for `goodput_requests_per_s`. A version-1 file
still loads: `migrate_v1` rewrites it on read (`simulator.results.load_summary`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from simulator.schema.cost_summary import (  # noqa: F401  (re-exported: older imports)
    CapacitySummary,
    CostOptionSummary,
    CostSummary,
)
from simulator.schema.provenance import Provenance
from simulator.schema.summary_base import Figure, SummaryModel  # noqa: F401

SUMMARY_VERSION = 2
"""The `summary.json` format this release writes (see the module docstring)."""

LATENCIES = ("ttft", "tpot", "e2e")
LATENCY_STATS = ("p50", "p90", "p99", "mean")

SERVICE_RENAMES_V1 = {
    **{f"{m}_s_{q}": f"{m}_{q}_ms" for m in LATENCIES for q in LATENCY_STATS},
    "goodput_requests_per_s": "goodput_rps",
}
"""Version-1 serving names (seconds) -> version-2 names (milliseconds). The engine's serving
figures (`simulator.engine.serving.metrics`) still carry the version-1 names, in seconds."""


def service_figures_v2(figures: dict[str, Any]) -> dict[str, Any]:
    """Serving figures named as version 1 (and the engine) name them, renamed and in ms."""
    out = {}
    for key, value in figures.items():
        new = SERVICE_RENAMES_V1.get(key, key)
        in_s = key != new and new.endswith("_ms") and value is not None
        out[new] = value * 1000.0 if in_s else value
    out.setdefault("replicas_mean", None)  # version 1 did not record it
    return out


class ServiceSummary(SummaryModel):
    """One inference service's figures (`summary["serving"][name]`); latencies in ms."""

    output_tokens_per_s: Figure
    requests_per_s: Figure
    ttft_p50_ms: Figure
    ttft_p90_ms: Figure
    ttft_p99_ms: Figure
    ttft_mean_ms: Figure
    tpot_p50_ms: Figure
    tpot_p90_ms: Figure
    tpot_p99_ms: Figure
    tpot_mean_ms: Figure
    e2e_p50_ms: Figure
    e2e_p90_ms: Figure
    e2e_p99_ms: Figure
    e2e_mean_ms: Figure
    slo_attainment: Figure = Field(description="share of judged requests meeting the SLO")
    goodput_rps: Figure = Field(description="completed requests per second that met the SLO")
    requests_arrived: int
    requests_completed: int
    requests_in_flight: int
    requests_dropped: int
    preemptions: int
    kv_transfers: int
    kv_utilization_mean: Figure
    kv_utilization_peak: Figure
    mean_batch_size: Figure
    mean_requests_in_system: Figure
    replicas_peak: int
    replicas_mean: Figure = Field(
        description="replicas held on average (GPU time over GPUs per replica; loading counts)"
    )
    scale_ups: int
    scale_downs: int
    duration_s: float
    gpu_hours: float
    gpu_hours_per_million_tokens: Figure
    gpu_hours_per_million_output_tokens: Figure


class TimeBreakdownHours(SummaryModel):
    """Where a training job's time went, in hours: the parts add up to its submit -> finish
    (or -> the end of the run), as the engine booked them at each change of phase."""

    queued: float = Field(description="before its first start")
    computing: float = Field(description="computing steps that were kept")
    checkpointing: float = Field(description="blocked writing checkpoints")
    restarting: float = Field(
        description="failure detection, restart, and restoring from a checkpoint"
    )
    lost_work: float = Field(description="computing redone after a failure or preemption")
    waiting_for_capacity: float = Field(
        description="started, then waiting for repaired or spare nodes (or GPUs preempted)"
    )


class TrainingJobSummary(SummaryModel):
    """One training job's answers (`summary["training_jobs"]`): days count from the run's
    start (day 0), so `finish_day` 13.3 is 13.3 days in, `finish_date` when the scenario
    gives a `start_date`."""

    name: str
    status: str = Field(description="completed | running | queued | pending | rejected")
    num_gpus: int
    submit_day: float
    start_day: Figure
    finish_day: Figure
    finish_date: str | None = Field(description="ISO date, when the scenario has start_date")
    time_to_train_days: Figure = Field(description="finish - submit; None if not finished")
    progress: float = Field(description="share of its steps done")
    tokens_per_s: Figure = Field(description="tokens per step over step time while computing")
    mfu: Figure = Field(
        description="model FLOPs x tokens/s over GPUs x peak dense FLOP/s at its precision"
    )
    goodput: Figure = Field(description="useful work over time since its first start")
    deadline_days: Figure = Field(description="run day it is due: submit + deadline_hours")
    met_deadline: bool | None = Field(description="None: no deadline, or not decided")
    time_breakdown_h: TimeBreakdownHours
    seeds: int = Field(default=1, description="runs (seeds) the percentiles are over")
    time_to_train_days_p50: Figure = None
    time_to_train_days_p90: Figure = None
    deadline_miss_probability: Figure = Field(
        default=None, description="share of seeds that missed the deadline"
    )


class RunSummary(SummaryModel):
    """Headline figures of one simulation run, in the order `summary.json` writes them."""

    summary_version: int = SUMMARY_VERSION
    scenario: str
    seed: int
    start_date: str | None = Field(default=None, description="ISO date of day 0, if given")
    horizon_days: float
    total_gpus: int
    nodes: int
    nodes_per_rack: int | None
    active_nodes_per_rack_cap: int | None
    scheduler: str
    placement: str
    jobs_submitted: int
    jobs_completed: int
    jobs_running: int
    jobs_queued: int
    jobs_rejected: int
    mean_wait_s: Figure
    p50_wait_s: Figure
    p95_wait_s: Figure
    max_wait_s: Figure
    gpu_hours_allocated: float
    gpu_utilization: Figure
    busy_gpu_fraction: Figure
    mean_queue_length: Figure
    max_queue_length: int
    mean_fragmentation: Figure
    failures: int
    checkpoints: int
    preemptions: int
    node_repairs: int
    lost_work_hours: float
    training_goodput: dict[str, Figure] = Field(description="training job -> goodput")
    training_jobs: list[TrainingJobSummary] = Field(
        default_factory=list, description="per training job, in submission order"
    )
    it_energy_kwh: float
    facility_energy_kwh: float
    carbon_kg: float
    mean_it_kw: float
    peak_it_kw: float
    peak_facility_kw: float
    idle_it_kw: float
    pue: float
    power_cap_kw: float | None
    power_enforcement: str | None
    min_throttle: float
    electricity_usd_per_kwh: float
    carbon_g_per_kwh: float
    facility: str
    storage_peak_used_tb: dict[str, float] = Field(description="storage tier -> peak TB used")
    failure_rate_per_gpu_hour: float
    trace_jobs_skipped: int
    inference_services: list[str]
    events_processed: int
    serving: dict[str, ServiceSummary] | None = None
    """Per inference service, when the scenario has any."""
    costs: CostSummary | None = None
    """Priced options, once `economics.attach_costs` has priced the run."""
    provenance: Provenance | None = None
    """What the run was built from (simulator/provenance.py); None in older summaries."""

    def _absent(self) -> set[str]:
        optional = ("serving", "costs", "provenance")
        return {name for name in optional if getattr(self, name) is None}

    def with_costs(self, costs: CostSummary) -> RunSummary:
        """This summary with its `costs` block set (the model is frozen)."""
        return self.model_copy(update={"costs": costs})


def migrate_v1(data: dict[str, Any]) -> dict[str, Any]:
    """A version-1 summary.json, as version 2 holds it: serving latencies renamed and in ms.

    Version 1 wrote no per-job training answers (`training_jobs` stays empty: rerun the
    scenario for them), no start date and no mean replica count (None).
    """
    if not isinstance(data, dict) or "summary_version" in data:
        return data
    out = dict(data, summary_version=SUMMARY_VERSION)
    serving = data.get("serving")
    if isinstance(serving, dict):
        out["serving"] = {
            name: service_figures_v2(figures) if isinstance(figures, dict) else figures
            for name, figures in serving.items()
        }
    return out
