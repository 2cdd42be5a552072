"""EASY backfill (Lifka 1995): FIFO, plus later jobs that do not delay the head job.

When the head job does not fit, it gets a reservation: the earliest time enough GPUs will be
free if running jobs end at their estimated times (the *shadow* time). A later job may start
now if it fits now and either ends (by its estimate) before the shadow time, or leaves enough
room that the head still fits at the shadow time with it running. Only the head holds a
reservation, so backfilling never delays it, given the estimates.

Estimates are the true remaining run time times `estimate_factor` (users typically ask for
more than they use; 1.0 is a perfect oracle). Only `depth` jobs behind the head are examined
per pass, as production schedulers do (Slurm's bf_max_job_test).
"""

from __future__ import annotations

import bisect
import math

from pydantic import Field

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

    def on_start(self, job: Job) -> None:
        end = self.clock.now + job.estimate_s() * self.params.estimate_factor
        self.end_of[job.id] = end
        bisect.insort(self.by_end, (end, job.id, job))

    def on_stop(self, job: Job) -> None:
        end = self.end_of.pop(job.id, None)
        if end is None:
            return
        i = bisect.bisect_left(self.by_end, (end, job.id))
        del self.by_end[i]

    def schedule(self) -> None:
        self.start_in_order()
        queue = self.queue
        if len(queue) < 2:
            return
        host, cluster = self.host, self.cluster
        head = queue[0][-1]
        shadow = None
        reservation = None
        started = []
        now = self.clock.now
        for i in range(1, min(len(queue), self.params.depth + 1)):
            if cluster.free_gpus == 0:
                break
            job = queue[i][-1]
            if job.num_gpus > cluster.free_gpus:
                continue
            found = host.find_placement(job)
            if found is None:
                continue
            pool, allocation = found
            if shadow is None:
                shadow, reservation = self._reserve(head)
            end = now + job.estimate_s() * self.params.estimate_factor
            shadow.pin(allocation)
            if reservation is None:
                ok = True  # the head cannot be placed even when everything ends
            else:
                res_time, res_pool = reservation
                if end <= res_time or pool is not res_pool:
                    ok = True
                else:
                    shadow.take(pool, allocation)
                    ok = shadow.fits(res_pool, head.num_gpus)
                    if not ok:
                        shadow.release(pool, allocation)
            if ok and host.start_on(job, pool, allocation):
                started.append(i)
        for i in reversed(started):
            del queue[i]

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
