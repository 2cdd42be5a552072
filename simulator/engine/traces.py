"""Read public GPU-cluster job traces into submit times, GPU counts and run times.

Two formats:

- Microsoft Philly (`cluster_job_log`, ATC'19, github.com/msr-fiddle/philly-traces): a JSON
  list of jobs, each with `jobid`, `user`, `status`, `submitted_time` and `attempts`; every
  attempt has `start_time`, `end_time` and `detail`, a list of machines `{ip, gpus: [...]}`.
  A job's GPU count is that of its last attempt; its run time is the sum of its attempts'
  durations (time between attempts is the trace's queueing, which the simulation redoes).
- SenseTime Helios (`cluster_log.csv`, SC'21, github.com/S-Lab-System-Group/HeliosData):
  columns job_id, user, gpu_num, cpu_num, node_num, state, submit_time, start_time, end_time,
  times as datetime strings. Run time is end - start.

Jobs without GPUs, without a finished attempt or with a non-positive run time are skipped and
counted, each under its reason with its line numbers (`skip_reasons`); a trace that leaves no
job to run (empty, or every row skipped) is an InputError saying why, not a run of 0 jobs.
Times become seconds after the first kept submission, multiplied by `time_scale`.
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from simulator.errors import InputError, Problem

MAX_TRACE_GPUS = 2**31
"""Larger GPU counts in a trace row are corrupt data, not jobs."""

HELIOS_COLUMNS = (
    "job_id",
    "user",
    "gpu_num",
    "cpu_num",
    "node_num",
    "state",
    "submit_time",
    "start_time",
    "end_time",
)


@dataclass
class TraceJobs:
    """Jobs of a trace, sorted by submission, as parallel arrays."""

    names: list[str]
    users: list[str]
    submit_s: np.ndarray
    gpus: np.ndarray
    duration_s: np.ndarray
    skipped: int
    skip_reasons: dict[str, list[int]] = field(default_factory=dict)
    """why rows were skipped -> their line numbers (CSV: file lines; JSON: list positions)"""

    def __len__(self) -> int:
        return len(self.names)

    def skip_text(self) -> str:
        """Each reason with its count and first line numbers, most frequent first."""
        return "; ".join(
            f"{len(lines):,} {reason} (first at {', '.join(map(str, lines[:3]))})"
            for reason, lines in sorted(self.skip_reasons.items(), key=lambda kv: -len(kv[1]))
        )


def _finish(
    frame: pd.DataFrame,
    skipped: int,
    max_jobs: int | None,
    time_scale: float,
    reasons: dict[str, list[int]] | None = None,
) -> TraceJobs:
    reasons = reasons or {}
    frame = frame.sort_values("submit", kind="stable")
    if max_jobs is not None:
        frame = frame.iloc[:max_jobs]
    if len(frame):
        t0 = frame["submit"].iloc[0]
        submit = (frame["submit"] - t0).dt.total_seconds().to_numpy(dtype=float) * time_scale
    else:
        submit = np.zeros(0)
    return TraceJobs(
        names=[str(x) for x in frame["name"]],
        users=[str(x) for x in frame["user"]],
        submit_s=submit,
        gpus=frame["gpus"].to_numpy(dtype=np.int64),
        duration_s=frame["duration"].to_numpy(dtype=float) * time_scale,
        skipped=skipped,
        skip_reasons=reasons,
    )


def read_helios(path: Path, max_jobs: int | None = None, time_scale: float = 1.0) -> TraceJobs:
    """Read a Helios `cluster_log.csv`."""
    try:
        # utf-8-sig: spreadsheets save CSV with a byte-order mark, which would otherwise
        # stick to the first column's name ("\ufeffjob_id")
        raw = pd.read_csv(path, dtype={"job_id": str, "user": str}, encoding="utf-8-sig")
    except pd.errors.EmptyDataError:
        raise InputError([Problem(str(path), "(file)", "the trace is empty (no header)")]) from None
    except (OSError, ValueError) as exc:
        raise InputError([Problem(str(path), "(file)", f"cannot read CSV: {exc}")]) from None
    missing = [c for c in HELIOS_COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(
            [Problem(str(path), "(header)", f"missing Helios columns: {', '.join(missing)}")]
        )
    with warnings.catch_warnings():  # pandas warns per odd cell; bad rows are counted instead
        warnings.simplefilter("ignore")
        submit = pd.to_datetime(raw["submit_time"], errors="coerce")
        start = pd.to_datetime(raw["start_time"], errors="coerce")
        end = pd.to_datetime(raw["end_time"], errors="coerce")
    counts = pd.to_numeric(raw["gpu_num"], errors="coerce")
    # a GPU count is a whole number a cluster could have; anything else (2.5, inf, 1e30)
    # is a bad row, skipped and counted like the others, never cast into a wrong integer
    whole = counts.notna() & np.isfinite(counts) & (counts == counts.round())
    gpus = counts.where(whole & (counts > 0) & (counts <= MAX_TRACE_GPUS), 0).astype(np.int64)
    duration = (end - start).dt.total_seconds()
    keep = submit.notna() & duration.notna() & (duration > 0) & (gpus > 0)
    checks = [
        ("without a readable submit_time", submit.isna()),
        ("without readable start_time/end_time", duration.isna()),
        ("with a run time of 0 s or less", duration.notna() & (duration <= 0)),
        ("without a whole GPU count in 1..2^31 (gpu_num)", gpus <= 0),
    ]
    reasons: dict[str, list[int]] = {}
    claimed = pd.Series(False, index=raw.index)
    for reason, bad in checks:  # each skipped row under its first reason
        rows = bad & ~claimed & ~keep
        claimed |= rows
        if rows.any():
            reasons[f"rows {reason}"] = [int(i) + 2 for i in raw.index[rows]]  # +header, 1-based
    frame = pd.DataFrame(
        {
            "name": raw["job_id"],
            "user": raw["user"].fillna(""),
            "submit": submit,
            "gpus": gpus,
            "duration": duration,
        }
    )[keep]
    return _finish(frame, int((~keep).sum()), max_jobs, time_scale, reasons)


def _time(value: object) -> pd.Timestamp | None:
    if not isinstance(value, str) or value in ("", "None"):
        return None  # Philly writes times as text; anything else is not a time
    stamp = pd.to_datetime(value, errors="coerce")
    return None if pd.isna(stamp) else stamp


def _shape_problem(path: Path, where: str, expected: str) -> InputError:
    return InputError([Problem(str(path), where, f"expected {expected}")])


def read_philly(path: Path, max_jobs: int | None = None, time_scale: float = 1.0) -> TraceJobs:
    """Read a Philly `cluster_job_log` JSON file."""
    try:
        data = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise InputError([Problem(str(path), "(file)", f"cannot read JSON: {exc}")]) from None
    if not isinstance(data, list):
        raise InputError([Problem(str(path), "(document)", "expected a JSON list of jobs")])
    rows = []
    skipped = 0
    reasons: dict[str, list[int]] = {}
    for i, job in enumerate(data):
        if not isinstance(job, dict) or "attempts" not in job or "submitted_time" not in job:
            raise InputError(
                [Problem(str(path), f"[{i}]", "expected a job with submitted_time and attempts")]
            )
        submit = _time(job.get("submitted_time"))
        duration = 0.0
        gpus = 0
        attempts = job.get("attempts") or []
        if not isinstance(attempts, list):
            raise _shape_problem(path, f"[{i}].attempts", "a list of attempts")
        for j, attempt in enumerate(attempts):
            detail = (attempt.get("detail") or []) if isinstance(attempt, dict) else None
            if not isinstance(detail, list) or not all(
                isinstance(m, dict) and isinstance(m.get("gpus") or [], list) for m in detail
            ):
                raise _shape_problem(
                    path, f"[{i}].attempts[{j}]", "start_time, end_time and detail: [{ip, gpus}]"
                )
            start, end = _time(attempt.get("start_time")), _time(attempt.get("end_time"))
            if start is None or end is None:
                continue
            duration += (end - start).total_seconds()
            used = sum(len(m.get("gpus") or []) for m in detail)
            if used:
                gpus = used
        if submit is None or duration <= 0 or gpus <= 0:
            skipped += 1
            reason = (
                "jobs without a readable submitted_time"
                if submit is None
                else "jobs without a finished attempt"
                if duration <= 0
                else "jobs without GPUs"
            )
            reasons.setdefault(reason, []).append(i)
            continue
        rows.append((str(job.get("jobid", i)), str(job.get("user", "")), submit, gpus, duration))
    frame = pd.DataFrame(rows, columns=["name", "user", "submit", "gpus", "duration"])
    if len(frame):
        frame["submit"] = pd.to_datetime(frame["submit"])
    return _finish(frame, skipped, max_jobs, time_scale, reasons)


READERS = {"philly": read_philly, "helios": read_helios}


def read_trace(
    fmt: str, path: Path, max_jobs: int | None = None, time_scale: float = 1.0
) -> TraceJobs:
    """Read a trace of format `fmt` ('philly' or 'helios') for a run.

    Raises:
        InputError: the file cannot be read, or leaves no job to run (empty, or every row
            skipped: a run of 0 jobs that exits 0 would look like an answer); the message
            gives each skip reason with its count and first line numbers.
    """
    jobs = READERS[fmt](path, max_jobs, time_scale)
    if not len(jobs):
        why = f"all {jobs.skipped:,} rows were skipped" if jobs.skipped else "it holds no jobs"
        detail = f": {jobs.skip_text()}" if jobs.skip_reasons else ""
        raise InputError([Problem(str(path), "(rows)", f"no job to run: {why}{detail}")])
    return jobs
