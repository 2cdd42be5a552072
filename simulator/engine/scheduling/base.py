"""Schedulers: which queued job starts next, and when a running one makes way.

A scheduler is a small class registered by `kind` with a pydantic `Params` model (checked
against `policies.scheduler.params`). The Simulation hands it submitted and requeued jobs,
tells it when jobs start and stop, and calls `schedule()` once after every batch of
simultaneous changes. A scheduler gets the clock (`now`), the cluster (to look at free GPUs)
and a `SchedulerHost`: it starts jobs with `host.try_start(job)` (or places first with
`host.find_placement` and commits with `host.start_on`) and may `host.preempt(job)`.
"""

from __future__ import annotations

import bisect
from typing import TYPE_CHECKING, Any, ClassVar

from simulator.engine.cluster import Allocation, Cluster, Pool, fits_counts
from simulator.schema.base import StrictModel

if TYPE_CHECKING:
    from simulator.engine.clock import Timed
    from simulator.engine.hosts import SchedulerHost
    from simulator.engine.jobs import Job


class SchedulerParams(StrictModel):
    """No parameters."""


class Scheduler:
    """Base class: one queue ordered by `key(job)`."""

    kind: ClassVar[str] = ""
    Params: ClassVar[type[StrictModel]] = SchedulerParams

    def __init__(self, clock: Timed, cluster: Cluster, host: SchedulerHost, params: Any) -> None:
        self.clock = clock
        self.cluster = cluster
        self.host = host
        self.params = params
        self.queue: list[tuple] = []

    def key(self, job: Job) -> tuple:
        """Queue order (smaller first); default first come, first served."""
        return (job.submit_s, job.id)

    def submit(self, job: Job) -> None:
        """A job arrives."""
        bisect.insort(self.queue, (*self.key(job), job))

    def requeue(self, job: Job) -> None:
        """A job that lost its GPUs waits again, in its original place."""
        self.submit(job)

    def __len__(self) -> int:
        return len(self.queue)

    def withdraw(self, job: Job) -> bool:
        """Take a queued job out of the queue (it bursts to the cloud); False if not queued."""
        for i, item in enumerate(self.queue):
            if item[-1] is job:
                del self.queue[i]
                return True
        return False

    def on_start(self, job: Job) -> None:
        """A job got its GPUs."""

    def on_stop(self, job: Job) -> None:
        """A job released its GPUs (finished, preempted or failed)."""

    def schedule(self) -> None:
        """Start what may start now."""
        raise NotImplementedError

    def start_in_order(self) -> int:
        """Start jobs from the front of the queue until one does not fit; how many started."""
        queue, try_start = self.queue, self.host.try_start
        i = 0
        while i < len(queue) and try_start(queue[i][-1]):
            i += 1
        if i:
            del queue[:i]
        return i


class Shadow:
    """The cluster as it will be when running jobs end at their estimated times.

    Free-GPU histograms per pool plus the per-node free counts that differ from now; used to
    ask "would this job still fit if those jobs had ended, and these had started". The total
    free GPUs of each histogram are kept too, so a scheduler can rule a job out from counts
    alone (`surely_short`) before building an allocation.
    """

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.counts: dict[int, list[int]] = {}
        self.overlay: dict[int, int] = {}
        self.free_total: dict[int, int] = {}
        self.exact = True
        """False once a histogram entry went negative (a node not counted now, e.g. held back by
        its rack's power, changed): totals then no longer bound what fits"""

    def pool_counts(self, pool: Pool) -> list[int]:
        """Histogram of `pool` in this future state (copied from now on first use)."""
        counts = self.counts.get(pool.index)
        if counts is None:
            counts = self.counts[pool.index] = self.cluster.counts(pool)
            self.free_total[pool.index] = sum(k * c for k, c in enumerate(counts))
        return counts

    def surely_short(self, pool: Pool, gpus: int) -> bool:
        """True if `gpus` cannot fit in `pool` in this state (fewer free GPUs in all)."""
        self.pool_counts(pool)
        return self.exact and self.free_total[pool.index] < gpus

    def free_of(self, n: int) -> int:
        """Free GPUs of node `n` in this state."""
        return self.overlay.get(n, self.cluster.free[n])

    def release(self, pool: Pool, allocation: Allocation) -> None:
        """GPUs of `allocation` become free."""
        counts = self.pool_counts(pool)
        for n, gpus in allocation:
            f = self.free_of(n)
            if f > 0:
                counts[f] -= 1
                if counts[f] < 0:
                    self.exact = False
            counts[f + gpus] += 1
            self.overlay[n] = f + gpus
            self.free_total[pool.index] += gpus

    def take(self, pool: Pool, allocation: Allocation) -> None:
        """GPUs of `allocation` are in use."""
        counts = self.pool_counts(pool)
        for n, gpus in allocation:
            f = self.free_of(n)
            counts[f] -= 1
            if counts[f] < 0:
                self.exact = False
            if f - gpus > 0:
                counts[f - gpus] += 1
            self.overlay[n] = f - gpus
            self.free_total[pool.index] -= gpus

    def pin(self, allocation: Allocation) -> None:
        """Remember the current free counts of nodes about to change now."""
        for n, _ in allocation:
            if n not in self.overlay:
                self.overlay[n] = self.cluster.free[n]

    def fits(self, pool: Pool, gpus: int) -> bool:
        """Whether `gpus` fit in `pool` in this state."""
        return fits_counts(self.pool_counts(pool), pool.gpus_per_node, gpus)


SCHEDULERS: dict[str, type[Scheduler]] = {}


def register(cls: type[Scheduler]) -> type[Scheduler]:
    """Class decorator: make a scheduler available as `policies.scheduler.kind`."""
    SCHEDULERS[cls.kind] = cls
    return cls
