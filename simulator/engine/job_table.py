"""The jobs table: what every job did, as plain columns for `simulator.results`.

Kind-specific columns come from each job's `extra_record()`, so this file does not ask which
kind a job is; a job that never started has NaN times and zero useful work.
"""

from __future__ import annotations

from typing import Any

from simulator.engine.cluster import Cluster
from simulator.engine.jobs import BREAKDOWN_COLUMNS, DONE, PENDING, QUEUED, RUNNING, Job

REJECTED = "rejected"
"""A job larger than every pool it may use: refused at submission."""


def job_columns(jobs: list[Job], cluster: Cluster, now: float) -> dict[str, list[Any]]:
    """One column per field, one row per job (in id order), as `simulator.results` reads it."""
    status_names = {
        DONE: "completed",
        RUNNING: "running",
        QUEUED: "queued",
        PENDING: "pending",
        REJECTED: "rejected",
    }
    cols: dict[str, list[Any]] = {
        k: []
        for k in (
            "job_id",
            "name",
            "kind",
            "tenant",
            "priority",
            "pool",
            "num_gpus",
            "status",
            "submit_s",
            "start_s",
            "end_s",
            "wait_s",
            "run_s",
            "gpu_hours",
            "useful_s",
            "goodput",
            "failures",
            "preemptions",
            "checkpoints",
            "energy_kwh",
            "first_nodes",
            "first_pods",
            "total_steps",
            "steps_done",
            "step_time_s",
            "checkpoint_interval_s",
            "tokens_per_step",
            "ideal_step_s",
            "deadline_s",
            "burst",
            *BREAKDOWN_COLUMNS,
        )
    }
    nan = float("nan")
    for job in jobs:
        started = job.starts > 0
        end = job.end_s if job.state == DONE else (now if started else nan)
        run_s = end - job.first_start_s if started else nan
        useful = job.useful_s() if started else 0.0
        extra = job.extra_record()
        pool = cluster.pools[job.pool_index].name if job.pool_index >= 0 else job.pool
        row = {
            "job_id": job.id,
            "name": job.name,
            "kind": job.kind,
            "tenant": job.tenant,
            "priority": job.priority,
            "pool": pool or "",
            "num_gpus": job.num_gpus,
            "status": status_names.get(job.state, job.state),
            "submit_s": job.submit_s,
            "start_s": job.first_start_s,
            "end_s": job.end_s,
            "wait_s": job.first_start_s - job.submit_s if started else nan,
            "run_s": run_s,
            "gpu_hours": job.gpu_s / 3600.0,
            "useful_s": useful,
            "goodput": useful / run_s if started and run_s > 0 else nan,
            "failures": job.failures,
            "preemptions": job.preemptions,
            "checkpoints": job.checkpoints,
            "energy_kwh": job.energy_j / 3.6e6,
            "first_nodes": job.first_nodes,
            "first_pods": job.first_pods,
            "total_steps": extra.get("total_steps", 0),
            "steps_done": extra.get("steps_done", nan),
            "step_time_s": extra.get("step_time_s", nan),
            "checkpoint_interval_s": extra.get("checkpoint_interval_s", nan),
            "tokens_per_step": extra.get("tokens_per_step", 0),
            "ideal_step_s": extra.get("ideal_step_s", nan),
            "deadline_s": extra.get("deadline_s", nan),
            "burst": job.burst,
            # wall-clock time by phase, submit -> finish (or -> now, the end of the run)
            **job.time_breakdown_s(job.end_s if job.state == DONE else now),
        }
        for key, value in row.items():
            cols[key].append(value)
    return cols
