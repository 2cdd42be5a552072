"""What each part of the engine may ask of the Simulation: small protocols, not the class.

A scheduler, the spot-reclaim process, the build-out plan, the burst router, a job source and
a running job each see only the few members they use, named here (and, for jobs, next to the
jobs in `simulator.engine.jobs`). The Simulation satisfies all of them structurally. So no
part imports the Simulation (which imports every part): the engine has no import cycle, and a
test can hand a part a small fake instead of building a whole run.
"""

from __future__ import annotations

from typing import Protocol

from simulator.engine.clock import Timed
from simulator.engine.cluster import Allocation, Cluster, Pool
from simulator.engine.jobs import Job, JobHost
from simulator.engine.power import Power
from simulator.engine.recorder import Recorder
from simulator.engine.rng import Streams

__all__ = ["BurstHost", "JobHost", "JobSink", "NodeEvents", "Queue", "SchedulerHost", "Timed"]


class SchedulerHost(Timed, Protocol):
    """What a scheduler may ask of the cluster: look, place, start, preempt."""

    cluster: Cluster

    def pools_for(self, job: Job) -> list[Pool]:
        """Pools the job may run in."""
        ...

    def find_placement(self, job: Job) -> tuple[Pool, Allocation] | None:
        """Where the job would go now, or None."""
        ...

    def start_on(self, job: Job, pool: Pool, allocation: Allocation) -> bool:
        """Start the job on an allocation found at this instant."""
        ...

    def try_start(self, job: Job) -> bool:
        """Place and start the job if it fits now."""
        ...

    def preempt(self, job: Job, reason: str) -> None:
        """Take a running job's GPUs; it waits again."""
        ...


class NodeEvents(Timed, Protocol):
    """Nodes coming and going (spot reclaims, build-out): what happens to jobs on them."""

    cluster: Cluster
    power: Power
    recorder: Recorder
    running: dict[int, Job]

    def preempt(self, job: Job, reason: str) -> None:
        """Take a running job's GPUs; it waits again."""
        ...

    def node_repaired(self, node: int) -> None:
        """`node` is back in service."""
        ...

    def request_schedule(self) -> None:
        """Run the scheduler once, after every other change at this instant."""
        ...


class JobSink(Timed, Protocol):
    """Where job sources (synthetic, trace, serving replicas) hand their jobs."""

    streams: Streams

    def next_job_id(self) -> int:
        """A fresh job id."""
        ...

    def submit(self, job: Job) -> None:
        """A job arrives and waits for the scheduler."""
        ...

    def finish_job(self, job: Job) -> None:
        """A job completed its work."""
        ...


class Queue(Protocol):
    """The scheduler's queue, seen from outside: a job may be taken out of it."""

    def withdraw(self, job: Job) -> bool:
        """Take a queued job out; False if it was not queued."""
        ...


class BurstHost(JobHost, Protocol):
    """What the burst router may ask: the queue, the pools, and the job-side questions."""

    queued: int

    @property
    def scheduler(self) -> Queue:
        """The scheduler, for taking a job out of its queue."""
        ...

    def pools_for(self, job: Job) -> list[Pool]:
        """Pools the job may run in."""
        ...

    def request_schedule(self) -> None:
        """Run the scheduler once, after every other change at this instant."""
        ...
