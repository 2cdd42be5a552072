"""Results: the one hand-off from a simulation to reports, cost models and notebooks.

`simulate(scenario)` runs the engine and returns `Results`: three pandas frames and a summary.

- `jobs`: one row per job: submit, start, end and wait times, GPU-hours, goodput (useful work
  over time since first start: the effective training time ratio for training jobs),
  failures, preemptions, checkpoints, energy (IT kWh, facility kWh, carbon kg), and where its
  time went as the engine booked it (`queued_s`, `computing_s`, `checkpointing_s`,
  `restarting_s`, `lost_work_s`, `waiting_for_capacity_s`: together submit -> finish, or ->
  the end of the run).
- `events`: one row per thing that happened (submit, start, end, failure, checkpoint,
  restore, preempt, kill, requeue, node_down, node_up, replace, ...), in order.
- `timeline`: the cluster's state after every change (allocated and busy GPUs, free GPUs,
  queue length, fragmentation, IT and facility kW, throttle); each row holds until the next.
- `summary`: a `RunSummary` (simulator/schema/run_summary.py) of headline figures, with the
  training answers per job (`training_jobs`, simulator/training_answers.py) and the serving
  figures per service; its `to_dict()` is `summary.json` and what `infrasim run --json` prints.

`Results.save(dir)` writes `jobs.parquet`, `events.parquet`, `timeline.parquet` and
`summary.json` atomically (into a temporary sibling directory, then renamed into place), so
a failed run or write never leaves partial output; `Results.load(dir)` reads them back.

Example (notebook)::

    import simulator
    scenario = simulator.load_scenario("scenarios/shared-cluster-backfill.yaml")
    results = simulator.simulate(scenario, seed=1)
    results.summary.mean_wait_s, results.jobs.head()
    results.save("out/backfill")
"""

from __future__ import annotations

import json
import math
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from simulator.atomic_files import temporary_directory
from simulator.catalog import Catalog
from simulator.engine import RunRecord, Simulation, StepTimeFn
from simulator.engine.recorder import EVENT_COLUMNS, TIMELINE_COLUMNS
from simulator.errors import InputError, Problem, problems_from_validation
from simulator.invariants import check_invariants
from simulator.provenance import build_provenance
from simulator.scenario import LoadedScenario, load_scenario
from simulator.schema.run_summary import (
    SUMMARY_VERSION,
    RunSummary,
    migrate_v1,
    service_figures_v2,
)
from simulator.training_answers import training_job_summaries

FILES = ("jobs.parquet", "events.parquet", "timeline.parquet", "summary.json")


def plain(value: Any) -> Any:
    """JSON-ready: numpy arrays and scalars to Python, NaN and infinities to None, keys to str.

    The one converter for everything infrasim writes or prints as JSON (summary.json, `--json`,
    report data, sweep records).
    """
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return plain(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


@dataclass
class Results:
    """Tables and summary of one simulation run."""

    jobs: pd.DataFrame
    events: pd.DataFrame
    timeline: pd.DataFrame
    summary: RunSummary
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    """Further tables by name (e.g. serving `requests`, cost `cost_monthly`), each saved as
    `<name>.parquet` beside the core three; layers above the engine add theirs here."""

    # ------------------------------------------------------------------ building
    @classmethod
    def from_record(cls, record: RunRecord) -> Results:
        """Tabulate an engine RunRecord."""
        meta = record.meta
        jobs = pd.DataFrame(record.jobs)
        pue = meta["pue"]
        jobs["facility_energy_kwh"] = jobs["energy_kwh"] * pue
        jobs["carbon_kg"] = jobs["facility_energy_kwh"] * meta["carbon_g_per_kwh"] / 1000.0
        events = pd.DataFrame.from_records(record.events, columns=list(EVENT_COLUMNS))
        events["job_id"] = events["job_id"].astype("int64")
        events["node"] = events["node"].astype("int64")
        events["value"] = events["value"].astype("float64")
        raw = pd.DataFrame.from_records(record.timeline, columns=list(TIMELINE_COLUMNS))
        timeline = raw.drop(columns=["it_power_w"])
        timeline["it_kw"] = raw["it_power_w"] / 1000.0
        timeline["facility_kw"] = timeline["it_kw"] * pue
        summary = _summarize(jobs, events, timeline, meta)
        serving = meta.get("serving") or {}
        tables = _serving_tables(serving)
        if serving:
            summary["serving"] = plain(
                {name: service_figures_v2(rec["summary"]) for name, rec in serving.items()}
            )
        summary["training_jobs"] = training_job_summaries(
            jobs, meta["horizon_s"], meta.get("start_date")
        )
        return cls(
            jobs=jobs,
            events=events,
            timeline=timeline,
            summary=RunSummary.model_validate(summary),
            tables=tables,
        )

    # ------------------------------------------------------------------ files
    def save(self, out: str | Path, extra_files: dict[str, str] | None = None) -> Path:
        """Write the tables and summary under `out`, atomically; returns the directory.

        An existing `out` is replaced only if it holds earlier results (a summary.json).
        `extra_files` (file name to text, e.g. a rendered `report.html`) are written inside
        the same atomic step, so they appear together with the tables or not at all.

        Raises:
            InputError: `out` is a file, or a non-empty directory that holds no results.
        """
        out = Path(out)
        refuse_non_results(out)
        parent = out.parent
        parent.mkdir(parents=True, exist_ok=True)
        tmp = temporary_directory(out)  # 0o777 less the umask, not mkdtemp's 0o700
        old: Path | None = None
        try:
            self.jobs.to_parquet(tmp / "jobs.parquet", index=False)
            self.events.to_parquet(tmp / "events.parquet", index=False)
            self.timeline.to_parquet(tmp / "timeline.parquet", index=False)
            for name, table in sorted(self.tables.items()):
                table.to_parquet(tmp / f"{name}.parquet", index=False)
            (tmp / "summary.json").write_text(
                json.dumps(self.summary.to_dict(), indent=2, allow_nan=False) + "\n"
            )
            for name, content in sorted((extra_files or {}).items()):
                if Path(name).name != name or name in FILES or name.endswith(".parquet"):
                    raise ValueError(f"extra file name {name!r} is not a plain new file name")
                (tmp / name).write_text(content, encoding="utf-8")
            if out.exists():
                old = parent / f".{out.name}.old-{uuid.uuid4().hex}"
                out.rename(old)
            tmp.rename(out)
        except BaseException:
            # Ctrl-C (or a failure) between the two renames must not leave the earlier
            # results under a hidden name: put them back.
            if old is not None and old.exists() and not out.exists():
                old.rename(out)
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        return out

    @classmethod
    def load(cls, directory: str | Path) -> Results:
        """Read results written by `save`.

        Raises:
            InputError: a file is missing, or summary.json is not a run summary (each problem
                naming the file and key).
        """
        directory = Path(directory)
        missing = [f for f in FILES if not (directory / f).is_file()]
        if missing:
            raise InputError(
                [
                    Problem(
                        str(directory),
                        "",
                        f"not a results directory (missing {', '.join(missing)})",
                    )
                ]
            )
        summary = load_summary(directory / "summary.json")
        return cls(
            jobs=read_table(directory / "jobs.parquet"),
            events=read_table(directory / "events.parquet"),
            timeline=read_table(directory / "timeline.parquet"),
            summary=summary,
            tables={
                path.stem: read_table(path)
                for path in sorted(directory.glob("*.parquet"))
                if path.name not in FILES
            },
        )


def read_table(path: Path) -> pd.DataFrame:
    """One saved Parquet table; a truncated or foreign file is an InputError naming it.

    Raises:
        InputError: `path` is not a readable Parquet table.
    """
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise InputError(
            [Problem(str(path), "", f"not a readable Parquet table (damaged?): {reason}")]
        ) from None


def refuse_non_results(out: Path) -> None:
    """Refuse an `--out` that `save` would not replace: a file, or a folder of other things.

    Called by `save`, and by `infrasim run` before simulating, so the refusal comes first.

    Raises:
        InputError: `out` is a file, or a non-empty directory that holds no results.
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise InputError([Problem(str(out), "--out", "exists and is not a directory")])
    if any(out.iterdir()) and not (out / "summary.json").is_file():
        raise InputError(
            [
                Problem(
                    str(out),
                    "--out",
                    "directory is not empty and holds no infrasim results; "
                    "choose a new or empty directory",
                )
            ]
        )


def load_summary(path: Path) -> RunSummary:
    """Read a summary.json; a key RunSummary does not know is refused, naming the file.

    A version-1 file (no `summary_version`) is migrated on read (`migrate_v1`): serving
    latencies renamed and converted to milliseconds.

    Raises:
        InputError: not JSON, or not a run summary.
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError([Problem(str(path), "", f"not JSON: {exc.msg}")]) from None
    except UnicodeDecodeError:
        raise InputError([Problem(str(path), "", "not UTF-8 text (damaged?)")]) from None
    except RecursionError:
        raise InputError([Problem(str(path), "", "nested too deeply")]) from None
    if not isinstance(data, dict):
        kind = type(data).__name__
        raise InputError([Problem(str(path), "", f"expected a mapping of figures, got a {kind}")])
    version = data.get("summary_version", 1)
    if isinstance(version, int) and version > SUMMARY_VERSION:
        raise InputError(
            [
                Problem(
                    str(path),
                    "summary_version",
                    f"version {version} is newer than this release reads "
                    f"(1 to {SUMMARY_VERSION}); upgrade infrasim",
                )
            ]
        )
    try:
        return RunSummary.model_validate(migrate_v1(data))
    except ValidationError as exc:
        raise InputError(problems_from_validation(exc, path)) from None


SERVING_TIMELINE_COLUMNS = (
    "time_s",
    "service",
    "replicas",
    "replicas_starting",
    "batch_size",
    "queue_length",
    "kv_utilization",
)
"""One row per service per `timeline_interval_s`: replicas serving and starting, sequences
running (the batch), requests waiting, and the share of the KV cache in use."""


def _serving_tables(serving: dict[str, Any]) -> dict[str, pd.DataFrame]:
    """`requests` (one row per arrived request) and `serving_timeline`, all services."""
    if not serving:
        return {}
    requests = pd.concat(
        [pd.DataFrame(rec["requests"]) for rec in serving.values()], ignore_index=True
    )
    rows = [row for rec in serving.values() for row in rec["timeline"]]
    timeline = pd.DataFrame.from_records(rows, columns=list(SERVING_TIMELINE_COLUMNS))
    return {"requests": requests, "serving_timeline": timeline}


def _time_weighted(timeline: pd.DataFrame, column: str, horizon_s: float) -> float:
    t = timeline["time_s"].to_numpy()
    if len(t) == 0:
        return float("nan")
    dt = np.diff(np.append(t, horizon_s))
    total = dt.sum()
    return float((timeline[column].to_numpy() * dt).sum() / total) if total > 0 else float("nan")


def integrate_kwh(timeline: pd.DataFrame, column: str, horizon_s: float) -> float:
    """Energy in kWh of a kW column of the timeline (a step function) up to the horizon."""
    t = timeline["time_s"].to_numpy()
    dt = np.diff(np.append(t, horizon_s))
    return float((timeline[column].to_numpy() * dt).sum() / 3600.0)


def _summarize(
    jobs: pd.DataFrame, events: pd.DataFrame, timeline: pd.DataFrame, meta: dict[str, Any]
) -> dict[str, Any]:
    horizon = meta["horizon_s"]
    total_gpus = meta["total_gpus"]
    started = jobs[jobs["start_s"].notna()]
    waits = started["wait_s"].to_numpy()
    counts = events["event"].value_counts()
    training = jobs[jobs["kind"] == "training"]
    it_kwh = meta["it_energy_kwh"]
    facility_kwh = it_kwh * meta["pue"]
    gpu_hours = float(jobs["gpu_hours"].sum())

    def pct(q: float) -> float:
        return float(np.percentile(waits, q)) if len(waits) else float("nan")

    summary: dict[str, Any] = {
        "summary_version": SUMMARY_VERSION,
        "scenario": meta["scenario"],
        "seed": meta["seed"],
        "start_date": meta.get("start_date"),
        "horizon_days": horizon / 86400.0,
        "total_gpus": total_gpus,
        "nodes": meta["nodes"],
        "nodes_per_rack": meta.get("nodes_per_rack"),
        "active_nodes_per_rack_cap": meta.get("active_nodes_per_rack_cap"),
        "scheduler": meta["scheduler"],
        "placement": meta["placement"],
        "jobs_submitted": int((jobs["status"] != "pending").sum()),
        "jobs_completed": int((jobs["status"] == "completed").sum()),
        "jobs_running": int((jobs["status"] == "running").sum()),
        "jobs_queued": int((jobs["status"] == "queued").sum()),
        "jobs_rejected": int((jobs["status"] == "rejected").sum()),
        "mean_wait_s": float(waits.mean()) if len(waits) else float("nan"),
        "p50_wait_s": pct(50),
        "p95_wait_s": pct(95),
        "max_wait_s": float(waits.max()) if len(waits) else float("nan"),
        "gpu_hours_allocated": gpu_hours,
        "gpu_utilization": gpu_hours / (total_gpus * horizon / 3600.0),
        "busy_gpu_fraction": _time_weighted(timeline, "busy_gpus", horizon) / total_gpus,
        "mean_queue_length": _time_weighted(timeline, "queue_length", horizon),
        "max_queue_length": int(timeline["queue_length"].max()) if len(timeline) else 0,
        "mean_fragmentation": _time_weighted(timeline, "fragmentation", horizon),
        "failures": int(counts.get("failure", 0)),
        "checkpoints": int(counts.get("checkpoint", 0)),
        "preemptions": int(counts.get("preempt", 0)),
        "node_repairs": int(counts.get("node_down", 0)),
        "lost_work_hours": float(training["lost_work_s"].sum() / 3600.0),
        "training_goodput": {
            str(r.name): (None if pd.isna(r.goodput) else float(r.goodput))
            for r in training.itertuples()
        },
        "it_energy_kwh": it_kwh,
        "facility_energy_kwh": facility_kwh,
        "carbon_kg": facility_kwh * meta["carbon_g_per_kwh"] / 1000.0,
        "mean_it_kw": it_kwh / (horizon / 3600.0),
        "peak_it_kw": meta["peak_it_kw"],
        "peak_facility_kw": meta["peak_it_kw"] * meta["pue"],
        "idle_it_kw": meta["idle_it_kw"],
        "pue": meta["pue"],
        "power_cap_kw": meta["power_cap_kw"],
        "power_enforcement": meta["power_enforcement"],
        "min_throttle": float(timeline["throttle"].min()) if len(timeline) else 1.0,
        "electricity_usd_per_kwh": meta["electricity_usd_per_kwh"],
        "carbon_g_per_kwh": meta["carbon_g_per_kwh"],
        "facility": meta["facility"],
        "storage_peak_used_tb": meta["storage_peak_used_tb"],
        "failure_rate_per_gpu_hour": meta["failure_rate_per_gpu_hour"],
        "trace_jobs_skipped": meta["trace_jobs_skipped"],
        "inference_services": meta["services"],
        "events_processed": meta["events_processed"],
    }
    return plain(summary)


def simulate(
    scenario: LoadedScenario | str | Path,
    *,
    seed: int | None = None,
    step_time: StepTimeFn | None = None,
    progress: Callable[[float, float], Any] | None = None,
    catalog: Catalog | None = None,
    settings: list[str] | None = None,
) -> Results:
    """Run a scenario and tabulate the run.

    Args:
        scenario: a `LoadedScenario`, or the path of a scenario file.
        seed: overrides the scenario's seed (same scenario and seed: identical results).
        step_time: training step-time function (default: the performance model).
        progress: called as `progress(simulated_s, horizon_s)` while the run advances.
        catalog: profiles to resolve a scenario path against (default: built-in + env).
        settings: `key.path=value` overrides applied when loading a scenario path.

    Raises:
        InputError: the scenario cannot be run, each problem naming its file and field.
    """
    if not isinstance(scenario, LoadedScenario):
        scenario = load_scenario(scenario, catalog, settings)
    record = Simulation(scenario, seed=seed, step_time=step_time).run(progress)
    results = Results.from_record(record)
    check_invariants(results)  # a broken conservation law is a bug: refuse, loudly
    provenance = build_provenance(scenario, results.summary.seed)
    results.summary = results.summary.model_copy(update={"provenance": provenance})
    return results
