"""Capacity over time: month by month, did the fleet keep up with demand?

For each simulated month: GPUs in service (the initial pools plus build-out arrivals), GPU-hours
used, jobs submitted, their waits (a job still queued at the end counts with the wait it had
so far, a lower bound), time-weighted queue length and burst jobs. A plan breaks in the
first month whose p95 wait exceeds `pricing.max_p95_wait_hours`. A scenario that serves adds
its requests per month, SLO attainment and p99 TTFT (`serving_capacity`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulator.economics.fleet import capacity_gpu_hours, cohorts
from simulator.economics.months import HOUR_S, MONTH_S, Calendar, cumulative_at
from simulator.economics.serving_capacity import serving_by_month
from simulator.results import Results
from simulator.scenario import LoadedScenario

COLUMNS = [
    "month",
    "gpus_in_service",
    "gpu_hours_used",
    "utilization",
    "jobs_submitted",
    "mean_wait_h",
    "p95_wait_h",
    "mean_queue_length",
    "burst_jobs",
]


def capacity_by_month(loaded: LoadedScenario, results: Results) -> pd.DataFrame:
    """One row per simulated month (the last may be partial); serving columns when it serves."""
    sim_s = results.summary.horizon_days * 86400.0
    cal = Calendar(sim_s / MONTH_S, sim_s)
    month_h = cal.month_s() / HOUR_S
    capacity = capacity_gpu_hours(cal, cohorts(loaded))
    tl = results.timeline
    edges = cal.edges
    times, alloc, queue = tl["time_s"], tl["allocated_gpus"], tl["queue_length"]
    used = np.diff(cumulative_at(times, alloc, sim_s, edges)) / HOUR_S
    queue_s = np.diff(cumulative_at(times, queue, sim_s, edges))
    jobs = results.jobs[results.jobs["status"] != "pending"]
    wait = jobs["wait_s"].where(jobs["wait_s"].notna(), sim_s - jobs["submit_s"]) / HOUR_S
    month = np.minimum((jobs["submit_s"] // MONTH_S).astype(int), cal.months - 1)
    burst = jobs["burst"].astype(bool) if "burst" in jobs else pd.Series(False, index=jobs.index)
    rows = []
    for m in range(cal.months):
        w = wait[month == m].to_numpy()
        rows.append(
            (
                m + 1,
                capacity[m] / month_h[m],
                used[m] + float(_burst_hours(results, edges[m], edges[m + 1])),
                used[m] / capacity[m] if capacity[m] > 0 else np.nan,
                len(w),
                float(w.mean()) if len(w) else np.nan,
                float(np.percentile(w, 95)) if len(w) else np.nan,
                queue_s[m] / cal.month_s()[m],
                int((burst & (month == m)).sum()),
            )
        )
    table = pd.DataFrame(rows, columns=COLUMNS)
    serving = serving_by_month(loaded, results, cal)
    return table if serving is None else pd.concat([table, serving], axis=1)


def _burst_hours(results: Results, lo: float, hi: float) -> float:
    jobs = results.jobs
    if "burst" not in jobs:
        return 0.0
    b = jobs[jobs["burst"].astype(bool)]
    end = b["end_s"].fillna(results.summary.horizon_days * 86400.0)
    overlap = (np.minimum(end, hi) - np.maximum(b["start_s"], lo)).clip(lower=0)
    return float((overlap * b["num_gpus"]).sum() / HOUR_S)


def breaks_at_month(table: pd.DataFrame, max_p95_wait_hours: float | None) -> int | None:
    """First month whose p95 wait exceeds the limit (None: never, or no limit set)."""
    if max_p95_wait_hours is None:
        return None
    over = table[table["p95_wait_h"] > max_p95_wait_hours]
    return int(over["month"].iloc[0]) if len(over) else None
