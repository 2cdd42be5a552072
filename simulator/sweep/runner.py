"""Run a sweep: plan runs (point x seed), skip the stored ones, execute the rest, tabulate.

Replication r of every point uses seed `first + r`: all points see the same random streams
(common random numbers), so differences between points come from the configuration, not from
luck, and intervals on differences are tighter than on independent seeds.

Notebook use::

    from simulator.sweep import load_sweep, run_sweep
    sweep = load_sweep("scenarios/sweeps/pretrain-gpus-vs-checkpointing.yaml")
    outcome = run_sweep(sweep, "out/sweep", workers=2)
    outcome.table
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.catalog import env_profile_dirs
from simulator.sweep.backends import Backend, make_backend
from simulator.sweep.spec import LoadedSweep, Point
from simulator.sweep.store import RunStore, run_key
from simulator.sweep.table import build_table, check_figures
from simulator.sweep.worker import RunTask

Progress = Callable[[int, int], Any]
"""progress(finished runs, total runs), called at the start and after every run."""


@dataclass
class SweepOutcome:
    """What a sweep produced: its table and how much work it did."""

    sweep: LoadedSweep
    table: pd.DataFrame
    out: Path
    ran: int
    """runs simulated by this call"""
    reused: int
    """runs found in the store from an earlier call"""
    files: dict[str, Path] = field(default_factory=dict)


def plan(
    sweep: LoadedSweep, points: Sequence[Point], profile_dirs: tuple[str, ...]
) -> list[RunTask]:
    """One task per point and replication, in point order."""
    base = str(sweep.base_path)
    tasks = []
    for point in points:
        for r in range(sweep.spec.replications):
            seed = sweep.seed + r
            tasks.append(
                RunTask(
                    key=run_key(sweep.base_sha256, point.settings, seed, profile_dirs),
                    point=point.index,
                    replication=r,
                    seed=seed,
                    base=base,
                    settings=point.settings,
                    profile_dirs=profile_dirs,
                )
            )
    return tasks


def execute(
    sweep: LoadedSweep,
    tasks: Sequence[RunTask],
    store: RunStore,
    backend: Backend,
    progress: Progress | None = None,
) -> tuple[dict[int, list[dict[str, Any]]], int, int]:
    """Run the tasks not yet stored; returns (records by point, runs done now, runs reused).

    Each record is stored (fsynced) the moment it arrives, before progress is reported, so an
    interruption at any point loses only runs still in flight.
    """
    todo = list({t.key: t for t in reversed(tasks) if t.key not in store}.values())[::-1]
    reused = len(tasks) - len(todo)
    done = reused
    if progress is not None:
        progress(done, len(tasks))
    checked = False
    known = {k for rec in store.records.values() for k in rec.get("figures", {})}
    if known:
        check_figures(sweep, known, final=False)
        checked = True
    for record in backend.run(todo):
        store.append(record)
        done += 1
        if not checked and record["status"] == "ok":
            check_figures(sweep, set(record["figures"]), final=False)
            checked = True
        if progress is not None:
            progress(done, len(tasks))
    by_point: dict[int, list[dict[str, Any]]] = {}
    for task in tasks:
        stored = store.get(task.key)
        assert stored is not None  # every task was stored above
        record = dict(stored, point=task.point, replication=task.replication)
        by_point.setdefault(task.point, []).append(record)
    return by_point, len(todo), reused


def resolve_dirs(profile_dirs: Sequence[str | Path] | None) -> tuple[str, ...]:
    """Absolute profile directories for the workers (None: those $INFRASIM_PROFILES names)."""
    dirs = env_profile_dirs() if profile_dirs is None else profile_dirs
    return tuple(str(Path(d).resolve()) for d in dirs)


def final_check(sweep: LoadedSweep, records: dict[int, list[dict[str, Any]]]) -> None:
    """Refuse figures that no finished run reports (once any run finished)."""
    known = {k for runs in records.values() for r in runs for k in r["figures"]}
    if known:
        check_figures(sweep, known, final=True)


def run_sweep(
    sweep: LoadedSweep,
    out: str | Path,
    *,
    backend: str = "local",
    workers: int | None = None,
    address: str | None = None,
    profile_dirs: Sequence[str | Path] | None = None,
    progress: Progress | None = None,
    write: bool = True,
) -> SweepOutcome:
    """Simulate every point of `sweep` (resuming from `out`), tabulate, write the outputs.

    Args:
        sweep: from `load_sweep`.
        out: directory for `runs.jsonl` (the resumable store), the tables and the page.
        backend: 'local' (process pool) or 'ray'.
        workers: processes (local) or CPUs of a Ray instance started here; default all cores.
        address: a running Ray cluster to connect to.
        profile_dirs: profile directories beyond the built-in ones; None: $INFRASIM_PROFILES's
            (resolved here and passed to the workers, whose environment may differ).
        progress: called with (finished runs, total runs).
        write: write the Parquet/CSV tables and the HTML page (see `outputs`).

    Raises:
        InputError: bad backend settings, an unusable `out`, or figures no run reports.
    """
    from simulator.sweep.outputs import write_outputs

    dirs = resolve_dirs(profile_dirs)
    store = RunStore(out)
    tasks = plan(sweep, sweep.points, dirs)
    runner = make_backend(backend, workers=workers, address=address)
    try:
        records, ran, reused = execute(sweep, tasks, store, runner, progress)
    finally:
        runner.close()
    final_check(sweep, records)
    table = build_table(sweep, records)
    outcome = SweepOutcome(sweep=sweep, table=table, out=Path(out), ran=ran, reused=reused)
    if write:
        outcome.files = write_outputs(outcome.table, sweep, Path(out))
    return outcome
