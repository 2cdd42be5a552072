"""Runs of the planner's finalists through the sweep's store and backends.

Each finalist's scenario file is hashed into the run key (`sweep.store.run_key`), as a sweep
hashes its base scenario, so a plan rerun with `--out` reuses every run whose scenario,
settings and seed are unchanged, and a changed goal reruns only what it changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulator.plan.space import Family
from simulator.sweep.backends import Backend
from simulator.sweep.store import RunStore, run_key
from simulator.sweep.worker import RunTask

Progress = Callable[[int, int], Any]
"""progress(finished runs, total runs)"""


@dataclass
class Finalist:
    """A simulated family: its scenario and its runs (one record per seed)."""

    index: int
    family: Family
    scenario: Path
    sha256: str
    spares: int
    records: list[dict[str, Any]] = field(default_factory=list)


class Runner:
    """Runs tasks through a backend into the store; counts what it ran and reused."""

    def __init__(self, store: RunStore, backend: Backend, progress: Progress | None) -> None:
        self.store, self.backend, self.progress = store, backend, progress
        self.ran = self.reused = 0

    def run(self, tasks: Sequence[RunTask]) -> list[dict[str, Any]]:
        """The records of `tasks`, in task order (stored ones reused)."""
        todo = list({t.key: t for t in tasks if t.key not in self.store}.values())
        self.reused += len(tasks) - len(todo)
        done = len(tasks) - len(todo)
        if self.progress is not None:
            self.progress(done, len(tasks))
        for record in self.backend.run(todo):
            self.store.append(record)
            done += 1
            if self.progress is not None:
                self.progress(done, len(tasks))
        self.ran += len(todo)
        out = []
        for t in tasks:
            stored = self.store.get(t.key)
            assert stored is not None
            out.append(dict(stored, point=t.point, replication=t.replication))
        return out


def task(
    fin: Finalist, seed: int, replication: int, settings: tuple[str, ...], dirs: tuple[str, ...]
) -> RunTask:
    """One run of a finalist's scenario with `settings` applied."""
    return RunTask(
        key=run_key(fin.sha256, settings, seed, dirs),
        point=fin.index,
        replication=replication,
        seed=seed,
        base=str(fin.scenario),
        settings=settings,
        profile_dirs=dirs,
    )
