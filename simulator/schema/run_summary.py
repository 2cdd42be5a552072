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
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from simulator.schema.base import StrictModel

Figure = float | None
"""A float figure, None where the run leaves it undefined (NaN: no samples, zero time)."""


class SummaryModel(StrictModel):
    """A summary block: read by attribute, or by key in its `summary.json` form."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON-ready dict, keys in declaration order; absent optional blocks left out."""
        return self.model_dump(exclude_none=False, exclude=self._absent())

    def _absent(self) -> set[str]:
        """Optional blocks that are None: `summary.json` leaves their keys out."""
        return set()

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def get(self, key: str, default: Any = None) -> Any:
        """`summary.get("key")`: the figure in its `summary.json` form, or `default`."""
        return self.to_dict().get(key, default)

    def __contains__(self, key: object) -> bool:
        return key in self.to_dict()


class ServiceSummary(SummaryModel):
    """One inference service's figures (`summary["serving"][name]`)."""

    output_tokens_per_s: Figure
    requests_per_s: Figure
    ttft_s_p50: Figure
    ttft_s_p90: Figure
    ttft_s_p99: Figure
    ttft_s_mean: Figure
    tpot_s_p50: Figure
    tpot_s_p90: Figure
    tpot_s_p99: Figure
    tpot_s_mean: Figure
    e2e_s_p50: Figure
    e2e_s_p90: Figure
    e2e_s_p99: Figure
    e2e_s_mean: Figure
    slo_attainment: Figure = Field(description="share of judged requests meeting the SLO")
    goodput_requests_per_s: Figure
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
    scale_ups: int
    scale_downs: int
    duration_s: float
    gpu_hours: float
    gpu_hours_per_million_tokens: Figure
    gpu_hours_per_million_output_tokens: Figure


class CostOptionSummary(SummaryModel):
    """One price option's figures (`summary["costs"]["options"][name]`)."""

    sheet: str
    purchase: str
    total_usd: float
    usd_per_gpu_hour: Figure
    usd_per_goodput_gpu_hour: Figure
    delivered_gpu_hours: float
    goodput_gpu_hours: float
    energy_mwh: float
    carbon_t: float
    by_category_usd: dict[str, float]
    training_runs_usd: dict[str, float]
    usd_per_million_output_tokens: dict[str, Figure]
    burst_jobs: int
    notes: list[str]


class CapacitySummary(SummaryModel):
    """When the owned fleet stops meeting the scenario's wait and SLO limits."""

    max_p95_wait_hours: Figure
    breaks_at_month: int | None
    min_slo_attainment: Figure
    slo_breaks_at_month: int | None


class CostSummary(SummaryModel):
    """The priced options of a run (`summary["costs"]`), when the scenario lists any."""

    horizon_months: float
    simulated_months: float
    options: dict[str, CostOptionSummary]
    break_even_month: dict[str, dict[str, int | None]] = Field(
        description="owned option -> rented option -> first month owning is cheaper in cash"
    )
    beat_utilization: dict[str, dict[str, Figure]]
    cheapest: str
    capacity: CapacitySummary
    notes: list[str]


class RunSummary(SummaryModel):
    """Headline figures of one simulation run, in the order `summary.json` writes them."""

    scenario: str
    seed: int
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

    def _absent(self) -> set[str]:
        return {name for name in ("serving", "costs") if getattr(self, name) is None}

    def with_costs(self, costs: CostSummary) -> RunSummary:
        """This summary with its `costs` block set (the model is frozen)."""
        return self.model_copy(update={"costs": costs})
