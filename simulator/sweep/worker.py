"""One unit of sweep work: simulate one point with one seed, return its figures as plain data.

This runs inside pool processes and Ray workers, so the task carries everything as plain,
picklable values (absolute paths, `--set` strings, explicit profile directories: a worker's
environment and working directory may differ from the driver's) and the result is a plain
dict that goes straight into the store. The catalog is loaded once per worker process.

Figures are the run's summary (with `costs` when the scenario lists price options, priced as
`infrasim run` prices them) flattened to dotted keys (numbers only), plus what the summary
lacks but planners ask for: `time_to_train_h.<job>` (submission to completion, hours, from the
jobs table) and `time_to_train_h` (the slowest training job). A job that did not finish within
the horizon has no time-to-train (None), never a flattering partial figure.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from simulator.catalog import Catalog
from simulator.economics import attach_costs
from simulator.errors import InputError
from simulator.results import Results, simulate
from simulator.scenario import load_scenario

_CATALOGS: dict[tuple[str, ...], Catalog] = {}


@dataclass(frozen=True)
class RunTask:
    """Simulate `base` with `settings` applied and `seed`; `key` identifies the run."""

    key: str
    point: int
    replication: int
    seed: int
    base: str
    settings: tuple[str, ...]
    profile_dirs: tuple[str, ...]


def catalog_for(profile_dirs: tuple[str, ...]) -> Catalog:
    """The built-in catalog plus `profile_dirs`, loaded once per process."""
    if profile_dirs not in _CATALOGS:
        _CATALOGS[profile_dirs] = Catalog.load(list(profile_dirs), include_env=False)
    return _CATALOGS[profile_dirs]


def flatten(summary: dict[str, Any], prefix: str = "") -> dict[str, float | None]:
    """Numeric figures of a nested summary under dotted keys (`training_goodput.pretrain`)."""
    flat: dict[str, float | None] = {}
    for key, value in summary.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "."))
        elif isinstance(value, bool):
            flat[name] = float(value)
        elif isinstance(value, int | float):
            flat[name] = float(value) if math.isfinite(value) else None
        elif value is None:
            flat[name] = None
    return flat


def time_to_train(results: Results) -> dict[str, float | None]:
    """Hours from submission to completion per training job, and the slowest of them."""
    jobs = results.jobs
    training = jobs[jobs["kind"] == "training"]
    if training.empty:
        return {}
    figures: dict[str, float | None] = {}
    for row in training.itertuples():
        done = row.status == "completed" and math.isfinite(row.end_s)
        figures[f"time_to_train_h.{row.name}"] = (
            (row.end_s - row.submit_s) / 3600.0 if done else None
        )
    values = list(figures.values())
    figures["time_to_train_h"] = None if None in values else max(values)  # type: ignore[type-var]
    return figures


def run_task(task: RunTask) -> dict[str, Any]:
    """Simulate one run; a point the scenario rules reject is recorded, not raised.

    Only InputError counts as an invalid point (e.g. a GPU count the job's parallelism does
    not divide, a model that does not fit); anything else is a bug and propagates.
    """
    started = time.perf_counter()
    record: dict[str, Any] = {
        "key": task.key,
        "point": task.point,
        "replication": task.replication,
        "seed": task.seed,
    }
    try:
        loaded = load_scenario(task.base, catalog_for(task.profile_dirs), list(task.settings))
        results = simulate(loaded, seed=task.seed)
        attach_costs(loaded, results)
    except InputError as exc:
        record.update(status="invalid", error="; ".join(str(p) for p in exc.problems), figures={})
    else:
        figures = flatten(results.summary.to_dict())
        figures.update(time_to_train(results))
        record.update(status="ok", error=None, figures=figures)
    record["elapsed_s"] = time.perf_counter() - started
    return record
