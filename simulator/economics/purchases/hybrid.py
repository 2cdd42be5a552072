"""Hybrid: an owned base plus cloud burst for the jobs the base could not start in time.

The simulation behind a hybrid option routes every job that waited past the option's
`burst.wait_limit_hours` to the cloud (`simulator.engine.burst`; `onprem_only` jobs never
go). The owned side is priced exactly as `onprem` prices it (its fleet, its simulated
energy); each burst job is billed on the burst sheet by the burst's per-use kind, at instance
granularity, like a cloud option. Burst energy and carbon use the job's estimated draw at the
facility's PUE and grid intensity (the cloud's own figures are not known).
"""

from __future__ import annotations

from simulator.economics.cloud import sheet_of
from simulator.economics.energy import EnergyCost
from simulator.economics.ledger import OptionCost
from simulator.economics.onprem import price_onprem
from simulator.economics.purchases.rented import PerUse
from simulator.economics.usage import Usage
from simulator.scenario import LoadedScenario
from simulator.schema.scenario import PriceOption


def price_hybrid(
    loaded: LoadedScenario,
    option: PriceOption,
    where: str,
    usage: Usage,
    energy: EnergyCost,
    pue: float,
    burst_kind: PerUse,
    *,
    colocated: bool,
) -> OptionCost:
    """Owned fleet plus burst jobs billed on the burst sheet as `burst_kind` bills them
    (on both bases alike: burst jobs are paid as they run)."""
    burst = option.burst
    assert burst is not None  # Owned routes only hybrid options here
    cost = price_onprem(loaded, option, where, usage, energy, colocated=colocated)
    mask = usage.jobs["burst"].astype(bool)
    compute, per_job = burst_kind.compute(
        loaded,
        usage,
        sheet_of(loaded, burst.sheet),
        burst.instance_type,
        f"{where}.burst",
        mask,
    )
    cost.add("burst_compute", compute, variable=True)
    cost.billing += f"; burst jobs {burst_kind.kind} on {burst.sheet}"
    cost.burst_jobs = int(mask.sum())
    burst_ids = usage.jobs.loc[mask, "job_id"]
    burst_kwh = usage.jobs_kwh(usage.intervals["job_id"].isin(burst_ids)) * pue
    cost.energy_kwh += burst_kwh
    cost.carbon_kg += burst_kwh * energy.mean_g_per_kwh / 1000.0
    training = usage.jobs[mask & (usage.jobs["kind"] == "training")]["name"]
    cost.training_runs = {n: float(per_job[n]) for n in training if n in per_job.index}
    cost.notes.append(f"{cost.burst_jobs} jobs burst to {burst.sheet} ({burst.purchase})")
    return cost
