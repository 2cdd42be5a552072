"""EASY backfill (Lifka 1995): FIFO, plus later jobs that do not delay the head job.

When the head job does not fit, it gets a reservation: the earliest time enough GPUs will be
free if running jobs end at their estimated times (the *shadow* time). A later job may start
now if it fits now and either ends (by its estimate) before the shadow time, or leaves enough
room that the head still fits at the shadow time with it running. Only the head holds a
reservation, so backfilling never delays it, given the estimates.

Estimates are the true remaining run time times `estimate_factor` (users typically ask for
more than they use; 1.0 is a perfect oracle). Only `depth` jobs behind the head are examined
per pass, as production schedulers do (Slurm's bf_max_job_test).

At fleet scale (#21) the pass is cheap but starts exactly the jobs the plain pass would:
"does it fit" is asked of the free-GPU counts before any nodes are chosen; a size that did
not fit, or would leave the head short, is not searched again until capacity changes; a job
that would overrun the reservation is ruled out from the shadow's free-GPU total when that
is enough; and a pass is skipped outright when nothing it reads changed since a pass that
started nothing (see `schedule`). tests/engine/test_same_schedule.py holds it to the saved
output of the plain pass.
"""

from __future__ import annotations

import bisect
import math

from pydantic import Field

from simulator.engine.cluster import Pool
from simulator.engine.jobs import Job
from simulator.engine.scheduling.base import Scheduler, Shadow, register
from simulator.schema.base import StrictModel


class BackfillParams(StrictModel):
    """Parameters of EASY backfill."""

    depth: int = Field(default=100, gt=0, description="queued jobs examined behind the head")
    estimate_factor: float = Field(
        default=1.0, ge=1.0, description="run-time estimate = true remaining time x this"
    )


@register
class EasyBackfill(Scheduler):
    """FIFO with EASY backfilling."""

    kind = "easy_backfill"
    Params = BackfillParams

    def __init__(self, clock, cluster, host, params: BackfillParams) -> None:  # noqa: ANN001
        super().__init__(clock, cluster, host, params)
        self.by_end: list[tuple[float, int, Job]] = []
        self.end_of: dict[int, float] = {}
        self.idle_version = -1
        """`cluster.version` after the last pass that started nothing (-1: none yet)"""
        self.changed = True
        """the queue's examined window, the running set or admission changed since that pass"""

    def submit(self, job: Job) -> None:
        item = (*self.key(job), job)
        i = bisect.bisect(self.queue, item)
        self.queue.insert(i, item)
        if i <= self.params.depth:  # only the head and `depth` jobs behind it are examined
            self.changed = True

    def withdraw(self, job: Job) -> bool:
        self.changed = True
        return super().withdraw(job)

    def on_start(self, job: Job) -> None:
        self.changed = True
        end = self.clock.now + job.estimate_s() * self.params.estimate_factor
        self.end_of[job.id] = end
        bisect.insort(self.by_end, (end, job.id, job))

    def on_stop(self, job: Job) -> None:
        self.changed = True
        end = self.end_of.pop(job.id, None)
        if end is None:
            return
        i = bisect.bisect_left(self.by_end, (end, job.id))
        del self.by_end[i]

    def schedule(self) -> None:
        """One pass, skipped when nothing it reads changed since a pass that started nothing.

        Such a pass is a function of the free capacity, the running jobs' estimated ends, the
        examined part of the queue and the time; later in time with the rest unchanged the
        head's reservation is no nearer while every candidate's estimated end is later, so it
        would start nothing again. A pass the power cap refused a start in is never skipped
        after (admission changes with load, not capacity).
        """
        if not self.changed and self.cluster.version == self.idle_version:
            return
        self.changed = False
        started, refused = self._pass()
        if refused:
            self.changed = True
        elif not started:
            self.idle_version = self.cluster.version

    def _pass(self) -> tuple[int, bool]:
        """Start the head jobs that fit, then backfill; (jobs started, a start was refused)."""
        queue, host, cluster = self.queue, self.host, self.cluster
        first, refused = 0, False
        while first < len(queue):
            found = host.find_placement(queue[first][-1])
            if found is None:
                break
            if not host.start_on(queue[first][-1], *found):
                refused = True  # the power cap: the head waits, later jobs may still backfill
                break
            first += 1
        if first:
            del queue[:first]
        if len(queue) < 2:
            return first, refused
        head = queue[0][-1]
        shadow = None
        reservation = None
        started = []
        now = self.clock.now
        factor = self.params.estimate_factor
        # A placement depends only on the size, the pools and the free capacity, so a size that
        # did not fit, or did not fit beside the head, is not tried again until capacity (its
        # version) or the shadow changes: a pass costs O(sizes x starts), not O(depth) searches.
        pool_of: dict[tuple[int, str | None], tuple[int, Pool | None]] = {}
        short: dict[tuple[int, str | None], int] = {}  # sizes that would leave the head short
        for i in range(1, min(len(queue), self.params.depth + 1)):
            if cluster.free_gpus == 0:
                break
            job = queue[i][-1]
            gpus = job.num_gpus
            if gpus > cluster.free_gpus:
                continue
            size = (gpus, job.pool)
            known = pool_of.get(size)
            if known is not None and known[0] == cluster.version:
                pool = known[1]
            else:
                # counts first: the pool find_placement would use, without building nodes
                pool = next((p for p in host.pools_for(job) if cluster.fits(p, gpus)), None)
                pool_of[size] = (cluster.version, pool)
            if pool is None:
                continue
            if shadow is None:
                shadow, reservation = self._reserve(head)
            end = now + job.estimate_s() * factor
            beside = False
            if reservation is not None:
                res_time, res_pool = reservation
                if end > res_time and pool is res_pool:
                    if shadow.surely_short(res_pool, head.num_gpus + gpus):
                        continue  # running past the reservation, it would leave the head short
                    if short.get(size) == cluster.version:
                        continue
                    beside = True
            found = host.find_placement(job)
            assert found is not None and found[0] is pool
            allocation = found[1]
            if beside:
                shadow.take(pool, allocation)
                if not shadow.fits(res_pool, head.num_gpus):
                    shadow.release(pool, allocation)
                    short[size] = cluster.version
                    continue
            shadow.pin(allocation)
            if host.start_on(job, pool, allocation):
                started.append(i)
            else:
                refused = True
                short.clear()  # the shadow kept this job's GPUs: try every size again
        for i in reversed(started):
            del queue[i]
        return first + len(started), refused

    def _reserve(self, head: Job):  # noqa: ANN202
        """The shadow state and the head's (time, pool) reservation, or None if it never fits."""
        cluster, now = self.cluster, self.clock.now
        best: tuple[float, object, Shadow] | None = None
        for pool in self.host.pools_for(head):
            shadow = Shadow(cluster)
            when = math.inf
            if shadow.fits(pool, head.num_gpus):
                when = now
            else:
                for end, _, job in self.by_end:
                    if job.pool_index != pool.index:
                        continue
                    shadow.release(pool, job.alloc)
                    if shadow.fits(pool, head.num_gpus):
                        when = max(end, now)
                        break
            if when < math.inf and (best is None or when < best[0]):
                best = (when, pool, shadow)
        if best is None:
            return Shadow(cluster), None
        when, pool, shadow = best
        return shadow, (when, pool)
