"""Conservation laws every finished run must obey; a violation is a bug, never a warning.

A planning tool is trusted only if it never silently gives a wrong answer. These checks are
cheap (one pass over the tables) and run at the end of every `simulate()` and again before
`Results.save` (by then costs may have been attached). Each law is one small function that
returns the violations it found as text, so a test can corrupt a Results and see it caught.

The laws, with the tolerance each allows for floating-point sums:

- GPU-hours allocated on the cluster (not those of jobs burst to a cloud) never exceed GPUs x
  horizon, the summary's total is the jobs table's, and the timeline never allocates more GPUs
  than the cluster has;
- no job starts before it was submitted, and none ends before it started;
- the summary's IT energy equals the integral of the recorded power timeline;
- per price option, accrued cost categories add up to the option's accrued total and net cash
  is cash less residual value (when `summary["costs"]`);
- per service, requests arrived = completed + in flight + dropped (when `summary["serving"]`),
  and the `requests` table agrees when it holds every request;
- per submitted job, its time breakdown (queued, computing, checkpointing, restarting, lost
  work, waiting for capacity) adds up to submit -> finish, or -> the end of the run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from simulator.schema.run_summary import RunSummary


class RunTables(Protocol):
    """What the laws read of a finished run; `simulator.results.Results` is one.

    A protocol, not an import of Results: `results.py` checks these laws at the end of every
    `simulate()`, so the laws sit below the tables they check and no import cycle forms.
    """

    summary: RunSummary
    jobs: pd.DataFrame
    timeline: pd.DataFrame
    tables: dict[str, pd.DataFrame]


REL_TOL = 1e-6
"""Relative slack for sums computed two ways (float addition is not associative)."""


class InvariantViolation(RuntimeError):
    """A finished run broke a law that holds by construction: a bug in infrasim."""

    def __init__(self, violations: list[str]) -> None:
        self.violations = violations
        lines = "\n".join(f"  - {v}" for v in violations)
        super().__init__(
            "infrasim bug: the run broke an invariant, so its figures cannot be trusted "
            f"(please report this with the scenario and seed):\n{lines}"
        )


def _close(a: float, b: float, abs_tol: float = 1e-9) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=abs_tol)


def gpu_hours_within_capacity(results: RunTables) -> list[str]:
    """Allocated GPU-hours <= GPUs x horizon; allocated GPUs <= GPUs at every instant."""
    s = results.summary
    jobs = results.jobs
    out = []
    capacity_h = s.total_gpus * s.horizon_days * 24.0
    used_h = s.gpu_hours_allocated
    if len(jobs) and not _close(float(jobs["gpu_hours"].sum()), used_h, abs_tol=1e-6):
        out.append(f"gpu_hours_allocated {used_h:.9g} != the jobs table's sum")
    if len(jobs) and "burst" in jobs:  # jobs that burst ran on rented cloud GPUs, not these
        used_h = float(jobs.loc[~jobs["burst"].astype(bool), "gpu_hours"].sum())
    if used_h > capacity_h * (1 + REL_TOL) + 1e-9:
        out.append(
            f"GPU-hours on the cluster {used_h:.6g} exceed total_gpus x horizon "
            f"({capacity_h:.6g} h)"
        )
    tl = results.timeline
    if len(tl) and "allocated_gpus" in tl:
        peak = int(tl["allocated_gpus"].max())
        if peak > s.total_gpus:
            out.append(f"timeline allocates {peak} GPUs but the cluster has {s.total_gpus}")
    if len(jobs) and (jobs["gpu_hours"] < -1e-9).any():
        out.append(f"negative gpu_hours for jobs {_names(jobs, jobs['gpu_hours'] < -1e-9)}")
    return out


def job_times_ordered(results: RunTables) -> list[str]:
    """No job starts before its submission; no job ends before its start."""
    jobs = results.jobs
    if not len(jobs):
        return []
    out = []
    submit, start, end = jobs["submit_s"], jobs["start_s"], jobs["end_s"]
    early = start.notna() & (start < submit - 1e-9)
    if early.any():
        out.append(f"jobs start before submission: {_names(jobs, early)}")
    backwards = end.notna() & start.notna() & (end < start - 1e-9)
    if backwards.any():
        out.append(f"jobs end before they start: {_names(jobs, backwards)}")
    return out


def energy_matches_power(results: RunTables) -> list[str]:
    """Summary IT energy == integral of the timeline's IT power up to the horizon."""
    tl = results.timeline
    s = results.summary
    if not len(tl) or "it_kw" not in tl:
        return []
    horizon_s = s.horizon_days * 86400.0
    t = tl["time_s"].to_numpy(dtype=float)
    dt = np.diff(np.append(t, horizon_s))
    integral = float((tl["it_kw"].to_numpy(dtype=float) * dt).sum() / 3600.0)
    if (dt < 0).any():
        return ["timeline time_s goes backwards (or past the horizon)"]
    if not _close(integral, s.it_energy_kwh, abs_tol=1e-6):
        return [
            f"it_energy_kwh {s.it_energy_kwh:.9g} != integral of timeline it_kw {integral:.9g} kWh"
        ]
    return []


def costs_add_up(results: RunTables) -> list[str]:
    """Per price option: the categories sum to the total (when costs are attached)."""
    costs = results.summary.costs
    if costs is None:
        return []
    out = []
    for option in costs.options:
        summed = float(sum(option.by_category_accrued_usd.values()))
        if not _close(summed, option.cost_accrued_usd, abs_tol=0.01):
            out.append(
                f"costs.options[{option.name!r}]: accrued categories sum to {summed:.2f} USD "
                f"but cost_accrued_usd is {option.cost_accrued_usd:.2f}"
            )
        net = option.cost_cash_usd - option.residual_value_usd
        if not _close(net, option.net_cash_usd, abs_tol=0.01):
            out.append(
                f"costs.options[{option.name!r}]: net_cash_usd {option.net_cash_usd:.2f} != "
                f"cash {option.cost_cash_usd:.2f} - residual {option.residual_value_usd:.2f}"
            )
    return out


def requests_conserved(results: RunTables) -> list[str]:
    """Per service: arrived = completed + in flight + dropped; the table agrees with it."""
    serving = results.summary.serving
    if serving is None:
        return []
    table = results.tables.get("requests")
    out = []
    for name, fig in serving.items():
        arrived, done = fig.requests_arrived, fig.requests_completed
        flying, dropped = fig.requests_in_flight, fig.requests_dropped
        if arrived != done + flying + dropped:
            out.append(
                f"serving[{name!r}]: {arrived} requests arrived but {done} completed + "
                f"{flying} in flight + {dropped} dropped = {done + flying + dropped}"
            )
        if table is None or "service" not in table or "status" not in table:
            continue
        mine = table[table["service"] == name]
        if len(mine) != arrived:
            continue  # a sampled table: its rows are not every request
        for status, count in (("completed", done), ("dropped", dropped)):
            rows = int((mine["status"] == status).sum())
            if rows != count:
                out.append(
                    f"serving[{name!r}]: summary says {count} {status} but the requests "
                    f"table has {rows}"
                )
    return out


BREAKDOWN_TOL_S = 1e-6
"""Seconds of slack per job-day for the breakdown sum (each phase change adds one rounding)."""


def time_breakdown_adds_up(results: RunTables) -> list[str]:
    """Per submitted job: the breakdown columns sum to submit -> finish (or -> end of run)."""
    jobs = results.jobs
    columns = (
        "queued_s",
        "computing_s",
        "checkpointing_s",
        "restarting_s",
        "lost_work_s",
        "waiting_for_capacity_s",
    )
    if not len(jobs) or any(c not in jobs for c in columns):
        return []  # a run saved before the breakdown existed
    horizon_s = results.summary.horizon_days * 86400.0
    submitted = jobs[~jobs["status"].isin(["pending", "rejected"])]
    end = submitted["end_s"].where(submitted["status"] == "completed", horizon_s)
    span = (end - submitted["submit_s"]).to_numpy(dtype=float)
    parts = submitted[list(columns)].to_numpy(dtype=float)
    tol = BREAKDOWN_TOL_S * np.maximum(1.0, span / 86400.0) + REL_TOL * span
    out = []
    negative = (parts < -1e-6).any(axis=1)
    if negative.any():
        out.append(f"negative time in a job's breakdown: {_names(submitted, negative)}")
    off = np.abs(parts.sum(axis=1) - span) > tol
    if off.any():
        first = int(np.flatnonzero(off)[0])
        out.append(
            f"time breakdown does not add up to submit -> end for {_names(submitted, off)} "
            f"(first: {parts[first].sum():.6f} s against {span[first]:.6f} s)"
        )
    return out


LAWS: tuple[Callable[[RunTables], list[str]], ...] = (
    gpu_hours_within_capacity,
    job_times_ordered,
    energy_matches_power,
    costs_add_up,
    requests_conserved,
    time_breakdown_adds_up,
)


def violations(results: RunTables) -> list[str]:
    """Every broken law, as one line each (empty: the run is consistent)."""
    found: list[str] = []
    for law in LAWS:
        found += law(results)
    return found


def check_invariants(results: RunTables) -> None:
    """Raise InvariantViolation listing every broken law.

    Raises:
        InvariantViolation: the run is internally inconsistent (a bug).
    """
    found = violations(results)
    if found:
        raise InvariantViolation(found)


def _names(jobs: Any, mask: Any, limit: int = 5) -> str:
    names = [str(n) for n in jobs.loc[mask, "name"].head(limit)]
    more = int(mask.sum()) - len(names)
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")
