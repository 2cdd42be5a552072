"""Priority with preemption: higher priority first; running lower-priority jobs make way.

Jobs are ordered by priority (the job's own plus its tenant's, from `tenant_priorities`), then
arrival. When the best waiting job does not fit, the scheduler looks for running jobs of lower
priority, cheapest first (lowest priority, then most recently started, so the least work is
thrown away), and preempts the fewest of them that make it fit. A job that cannot be made to
fit blocks the queue: lower priorities never pass it.

Preempted training jobs go back to their last checkpoint; opaque jobs start over.
"""

from __future__ import annotations

from pydantic import Field

from simulator.engine.jobs import Job
from simulator.engine.scheduling.base import Scheduler, Shadow, register
from simulator.schema.base import StrictModel


class PriorityParams(StrictModel):
    """Parameters of the priority scheduler."""

    preemption: bool = Field(default=True, description="preempt lower-priority running jobs")
    tenant_priorities: dict[str, int] = Field(
        default_factory=dict, description="added to the priority of every job of a tenant"
    )


@register
class PriorityPreemptive(Scheduler):
    """Strict priority order with optional preemption."""

    kind = "priority"
    Params = PriorityParams

    def __init__(self, clock, cluster, host, params: PriorityParams) -> None:  # noqa: ANN001
        super().__init__(clock, cluster, host, params)
        self.running: dict[int, Job] = {}

    def priority(self, job: Job) -> int:
        """Effective priority."""
        return job.priority + self.params.tenant_priorities.get(job.tenant, 0)

    def key(self, job: Job) -> tuple:
        return (-self.priority(job), job.submit_s, job.id)

    def on_start(self, job: Job) -> None:
        self.running[job.id] = job

    def on_stop(self, job: Job) -> None:
        self.running.pop(job.id, None)

    def schedule(self) -> None:
        while True:
            self.start_in_order()
            if not self.queue or not self.params.preemption:
                return
            head = self.queue[0][-1]
            victims = self._victims(head)
            if not victims:
                return
            for victim in victims:
                self.host.preempt(victim, f"preempted by {head.name}")
            # the victims are queued behind the head; loop to start it

    def _victims(self, job: Job) -> list[Job]:
        mine = self.priority(job)
        candidates = sorted(
            (j for j in self.running.values() if self.priority(j) < mine),
            key=lambda j: (self.priority(j), -j.last_start_s, -j.id),
        )
        for pool in self.host.pools_for(job):
            shadow = Shadow(self.cluster)
            chosen = []
            for victim in candidates:
                if victim.pool_index != pool.index:
                    continue
                shadow.release(pool, victim.alloc)
                chosen.append(victim)
                if shadow.fits(pool, job.num_gpus):
                    return chosen
        return []
