"""The training answers of a run: time-to-train, tokens/s, MFU, goodput and where time went.

Built from the jobs table alone (one row per job, the engine's own accounting), so a saved
run gives the same answers as a fresh one:

- the time breakdown is the engine's, booked at every change of a job's phase
  (`simulator.engine.jobs.Job.enter`): queued, computing (kept), checkpointing, restarting,
  lost work, waiting for capacity; they add up to submit -> finish (or -> the end of the run);
- tokens/s is tokens per step over the step time achieved while computing (the kept
  compute seconds over the steps done), so data-loading, fabric and power-cap slowdowns count
  but checkpoints, restarts and waits do not (those are goodput's);
- MFU is model FLOPs per token x tokens/s over GPUs x peak dense FLOP/s at the job's
  precision, which is `ideal_step_s` (the performance model's own FLOP count at peak) over
  that achieved step time;
- the deadline is `deadline_hours` after the job's submission, on the run's clock.

`over_seeds` adds the spread over several seeds (`infrasim run --seeds N`).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any, Final

import numpy as np
import pandas as pd

from simulator.schema.run_summary import TimeBreakdownHours, TrainingJobSummary

DAY_S = 86400.0

BREAKDOWN = {
    "queued": "queued_s",
    "computing": "computing_s",
    "checkpointing": "checkpointing_s",
    "restarting": "restarting_s",
    "lost_work": "lost_work_s",
    "waiting_for_capacity": "waiting_for_capacity_s",
}
"""TimeBreakdownHours field -> the jobs table's column (seconds)."""


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _date(start_date: str | None, day: float | None) -> str | None:
    if start_date is None or day is None:
        return None
    return (dt.date.fromisoformat(start_date) + dt.timedelta(days=day)).isoformat()


def training_job_summaries(
    jobs: pd.DataFrame, horizon_s: float, start_date: str | None = None
) -> list[TrainingJobSummary]:
    """One `TrainingJobSummary` per training job of the jobs table, in submission order."""
    training = jobs[jobs["kind"] == "training"] if len(jobs) else jobs
    out = []
    for row in training.to_dict("records"):
        out.append(_one(row, horizon_s, start_date))
    return out


def _one(row: dict[str, Any], horizon_s: float, start_date: str | None) -> TrainingJobSummary:
    finished = row["status"] == "completed"
    submit_s = float(row["submit_s"])
    finish_day = float(row["end_s"]) / DAY_S if finished else None
    total_steps = float(row["total_steps"] or 0)
    steps_done = _finite(row["steps_done"]) or 0.0
    computing_s = float(row["computing_s"])
    achieved_step_s = computing_s / steps_done if steps_done > 0 and computing_s > 0 else None
    tokens_per_s = mfu = None
    if achieved_step_s is not None:
        tokens_per_s = float(row["tokens_per_step"]) / achieved_step_s
        mfu = _finite(float(row["ideal_step_s"]) / achieved_step_s)
    deadline_s = _finite(row.get("deadline_s"))
    deadline_day = deadline_s / DAY_S if deadline_s is not None else None
    met: bool | None = None
    if deadline_s is not None:
        if finished:
            met = float(row["end_s"]) <= deadline_s + 1e-9
        elif horizon_s > deadline_s:
            met = False  # the run went past the deadline without the job finishing
    return TrainingJobSummary(
        name=str(row["name"]),
        status=str(row["status"]),
        num_gpus=int(row["num_gpus"]),
        submit_day=submit_s / DAY_S,
        start_day=_finite(float(row["start_s"]) / DAY_S),
        finish_day=finish_day,
        finish_date=_date(start_date, finish_day),
        time_to_train_days=(float(row["end_s"]) - submit_s) / DAY_S if finished else None,
        progress=min(1.0, steps_done / total_steps) if total_steps > 0 else 0.0,
        tokens_per_s=tokens_per_s,
        mfu=mfu,
        goodput=_finite(row["goodput"]),
        deadline_days=deadline_day,
        met_deadline=met,
        time_breakdown_h=TimeBreakdownHours(
            **{field: float(row[column]) / 3600.0 for field, column in BREAKDOWN.items()}
        ),
    )


QUANTILE_METHOD: Final = "inverted_cdf"
"""How `over_seeds` takes P50 and P90 (numpy.quantile): the smallest seed's time-to-train at
or below which at least that share of the seeds fall, an observed run and never an
interpolation between two. A seed that did not finish counts as longer than every seed that
did, so a P90 that lands on one is None (not reached within the run) rather than a flattering
figure over the seeds that happened to finish."""


def over_seeds(runs: Sequence[Sequence[TrainingJobSummary]]) -> list[TrainingJobSummary]:
    """The first run's jobs, with `seeds`, P50/P90 time-to-train and the deadline-miss share
    over all `runs` (one list per seed, jobs matched by name)."""
    first = runs[0]
    out = []
    for job in first:
        mine = [j for run in runs for j in run if j.name == job.name]
        days = np.array(
            [j.time_to_train_days if j.time_to_train_days is not None else np.inf for j in mine]
        )
        p50, p90 = np.quantile(days, [0.5, 0.9], method=QUANTILE_METHOD)
        decided = [j.met_deadline for j in mine if j.met_deadline is not None]
        miss = (
            sum(1 for met in decided if not met) / len(decided)
            if job.deadline_days is not None and decided
            else None
        )
        out.append(
            job.model_copy(
                update={
                    "seeds": len(mine),
                    "time_to_train_days_p50": _finite(p50),
                    "time_to_train_days_p90": _finite(p90),
                    "deadline_miss_probability": miss,
                }
            )
        )
    return out
