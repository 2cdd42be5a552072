"""Search: the best configuration meeting the constraints, and the Pareto front.

Three steps:

1. Bound every point analytically (`bounds`, `cost_bounds`): a point whose best case already
   breaks a constraint (its time-to-train lower bound exceeds the deadline, its GPU count the
   budget of GPUs, its cheapest possible bill the budget) is pruned, with the reason in the
   table; a point the engine rejects is invalid. Cost bounds count a training job's GPU-hours
   only when a constraint caps that job's time-to-train (`must_finish`): a run that leaves it
   unfinished is then infeasible anyway, so "it finishes" may be assumed.
2. Simulate the survivors, N seeds each, through the same resumable store and backends as a
   sweep (a search after a sweep of the same grid reuses its runs).
3. Among points whose means meet every constraint, the best on the first objective (ties: the
   next objectives, then the lower point number) is the answer; the Pareto front is taken over
   all objectives.

Pruning uses constraints only, never the objective: a point pruned for being dearer than the
best found could still be faster, and the front must hold it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.atomic_files import write_text_atomic
from simulator.errors import InputError, Problem
from simulator.results import plain
from simulator.scenario import LoadedScenario, load_scenario
from simulator.sweep.backends import make_backend
from simulator.sweep.bounds import Bounds, analytical_bounds
from simulator.sweep.outputs import write_outputs
from simulator.sweep.runner import Progress, execute, final_check, plan, resolve_dirs
from simulator.sweep.spec import LoadedSweep
from simulator.sweep.store import RunStore
from simulator.sweep.table import Figure, build_table, figures_of
from simulator.sweep.worker import catalog_for

SEARCH_FILE = "search.json"


@dataclass
class SearchOutcome:
    """The answer, the front, and the table of every point (pruned ones included)."""

    sweep: LoadedSweep
    table: pd.DataFrame
    out: Path
    best: dict[str, Any] | None
    """the best feasible row (point, swept fields, figures), or None if nothing is feasible"""
    front: pd.DataFrame
    pruned: int
    ran: int
    reused: int
    files: dict[str, Path] = field(default_factory=dict)


def prune_reason(bounds: Bounds, figures: Sequence[Figure]) -> str | None:
    """Why the bounds alone show the point breaks a constraint, or None."""
    for f in figures:
        if f.metric not in bounds:
            continue
        low, high = bounds[f.metric]
        if f.max is not None and low > f.max:
            return f"{f.column} >= {low:.4g} (analytical bound) > max {f.max:g}"
        if f.min is not None and high < f.min:
            return f"{f.column} <= {high:.4g} (analytical bound) < min {f.min:g}"
    return None


def must_finish(loaded: LoadedScenario, figures: Sequence[Figure]) -> set[str]:
    """Training jobs a feasible point must finish in every run.

    A job left unfinished has no time-to-train, so the mean over seeds is n/a and any
    constraint on it (min or max) fails: the point is infeasible whatever else it costs.
    """
    jobs = {j.name for j in loaded.scenario.workloads.training_jobs}
    out: set[str] = set()
    for f in figures:
        if f.min is None and f.max is None:
            continue
        if f.metric == "time_to_train_h":
            out |= jobs
        elif f.metric.startswith("time_to_train_h.") and f.metric[16:] in jobs:
            out.add(f.metric[16:])
    return out


def screen(
    sweep: LoadedSweep, profile_dirs: tuple[str, ...]
) -> tuple[dict[int, tuple[str, str]], dict[int, Bounds]]:
    """Bound every point: (points not to simulate -> (status, why), bounds per point)."""
    catalog = catalog_for(profile_dirs)
    figures = figures_of(sweep)
    skipped: dict[int, tuple[str, str]] = {}
    bounds: dict[int, Bounds] = {}
    for point in sweep.points:
        try:
            loaded = load_scenario(sweep.base_path, catalog, list(point.settings))
            bounds[point.index] = analytical_bounds(loaded, must_finish(loaded, figures))
        except InputError as exc:
            skipped[point.index] = ("invalid", "; ".join(str(p) for p in exc.problems))
            continue
        reason = prune_reason(bounds[point.index], figures)
        if reason is not None:
            skipped[point.index] = ("pruned", reason)
    return skipped, bounds


def best_row(table: pd.DataFrame, figures: Sequence[Figure]) -> dict[str, Any] | None:
    """The feasible row best on the first objective, then the next, then by point number."""
    objectives = [f for f in figures if f.goal is not None]
    feasible = table[table["feasible"]]
    columns = [f"{f.column}_mean" for f in objectives]
    feasible = feasible.dropna(subset=columns)
    if feasible.empty:
        return None
    ranked = feasible.sort_values(
        [*columns, "point"], ascending=[f.goal == "minimize" for f in objectives] + [True]
    )
    return plain(ranked.iloc[0].to_dict())


def search(
    sweep: LoadedSweep,
    out: str | Path,
    *,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    profile_dirs: Sequence[str | Path] | None = None,
    progress: Progress | None = None,
    write: bool = True,
) -> SearchOutcome:
    """Prune, simulate the survivors, pick the best feasible point; see the module docstring.

    Arguments as for `run_sweep`. Writes `search.json` (best point, front, counts) beside the
    tables and the page.

    Raises:
        InputError: the spec has no objective, or as `run_sweep`.
    """
    figures = figures_of(sweep)
    if not sweep.spec.objectives:
        raise InputError(
            [Problem(str(sweep.path), "objectives", "search needs at least one objective")]
        )
    dirs = resolve_dirs(profile_dirs)
    store = RunStore(out)
    skipped, bounds = screen(sweep, dirs)
    survivors = [p for p in sweep.points if p.index not in skipped]
    tasks = plan(sweep, survivors, dirs)
    runner = make_backend(backend, workers=workers, address=address)
    try:
        records, ran, reused = execute(sweep, tasks, store, runner, progress)
    finally:
        runner.close()
    final_check(sweep, records)
    table = build_table(sweep, records, skipped)
    for f in figures:
        if any(f.metric in b for b in bounds.values()):
            table[f"{f.column}_bound"] = [
                bounds.get(i, {}).get(f.metric, (math.nan, math.nan))[0] for i in table["point"]
            ]
    front = table[table["pareto"]].reset_index(drop=True)
    outcome = SearchOutcome(
        sweep=sweep,
        table=table,
        out=Path(out),
        best=best_row(table, figures),
        front=front,
        pruned=sum(1 for status, _ in skipped.values() if status == "pruned"),
        ran=ran,
        reused=reused,
    )
    if write:
        outcome.files = write_outputs(
            table, sweep, Path(out), f"infrasim search: {sweep.spec.name}"
        )
        summary = {
            "name": sweep.spec.name,
            "points": len(table),
            "pruned": outcome.pruned,
            "invalid": int((table["status"] == "invalid").sum()),
            "simulated": int((table["status"] == "ok").sum()),
            "feasible": int(table["feasible"].sum()),
            "best": outcome.best,
            "front": [plain(r) for r in front.to_dict("records")],
        }
        text = json.dumps(summary, indent=2, allow_nan=False) + "\n"
        outcome.files["json"] = write_text_atomic(Path(out) / SEARCH_FILE, text)
    return outcome
