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

A list of named blocks (`costs.options`, a list since cost summary version 2) flattens by
name, so `costs.options.<option>.cost_cash_usd` names a figure as before; version 1's names
(`costs.options.<option>.total_usd` and the other `V1_FIGURE_NAMES`) are kept as aliases of
the accrued figures they meant (`with_v1_cost_names`); summary version 1's serving names
(`serving.<service>.ttft_s_p99`, seconds) likewise alias the version-2 figures in ms
(`with_v1_serving_names`). The `provenance` block (version, hashes, dates) is no figure and is
left out.
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
from simulator.schema.cost_summary import V1_FIGURE_NAMES
from simulator.schema.run_summary import SERVICE_RENAMES_V1

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
        elif isinstance(value, list) and value and all(_named(v) for v in value):
            # a list of named blocks (costs.options) reads as a mapping by name
            flat.update(flatten({v["name"]: v for v in value}, name + "."))
        elif isinstance(value, bool):
            flat[name] = float(value)
        elif isinstance(value, int | float):
            flat[name] = float(value) if math.isfinite(value) else None
        elif value is None:
            flat[name] = None
    return flat


def _named(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("name"), str)


def with_v1_cost_names(figures: dict[str, float | None]) -> dict[str, float | None]:
    """`figures` plus each option's version-1 figure names (`costs.options.NAME.total_usd`,
    the accrued total), so sweep specs written for version 1 keep resolving."""
    out = dict(figures)
    for key, value in figures.items():
        if not key.startswith("costs.options."):
            continue
        head, _, rest = key.rpartition(".")
        for old, new in V1_FIGURE_NAMES.items():
            if rest == new:
                out[f"{head}.{old}"] = value
            elif f".{new}." in key:
                out[key.replace(f".{new}.", f".{old}.")] = value
    return out


def with_v1_serving_names(figures: dict[str, float | None]) -> dict[str, float | None]:
    """`figures` plus each service's version-1 names (`serving.NAME.ttft_s_p99`, in seconds),
    so sweep specs written for summary version 1 keep resolving."""
    out = dict(figures)
    for key, value in figures.items():
        if not key.startswith("serving."):
            continue
        head, _, rest = key.rpartition(".")
        for old, new in SERVICE_RENAMES_V1.items():
            if rest == new:
                in_ms = new.endswith("_ms") and value is not None
                out[f"{head}.{old}"] = value / 1000.0 if in_ms else value
    return out


def time_to_train(results: Results) -> dict[str, float | None]:
    """Hours from submission to completion per training job, and the slowest of them; and
    each job's checkpoint interval in minutes (`checkpoint_interval_min.<job>`)."""
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
    for row in training.itertuples():  # the interval Young/Daly chose (planners report it)
        interval_s = getattr(row, "checkpoint_interval_s", math.nan)
        figures[f"checkpoint_interval_min.{row.name}"] = (
            interval_s / 60.0 if math.isfinite(interval_s) else None
        )
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
        summary = results.summary.to_dict()
        summary.pop("provenance", None)
        figures = with_v1_serving_names(with_v1_cost_names(flatten(summary)))
        figures.update(time_to_train(results))
        record.update(status="ok", error=None, figures=figures)
    record["elapsed_s"] = time.perf_counter() - started
    return record
