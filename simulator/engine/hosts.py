"""What each part of the engine may ask of the Simulation: small protocols, not the class.

A part gets the Clock (time, random streams, recorder), the specific objects it reads
(cluster, power) and, for what only the run can do (start a job, preempt one, hand out job
ids), one of the protocols here: a few methods, no state. The Simulation satisfies them
structurally. So no part imports the Simulation (which imports every part): the engine has no
import cycle, and a test can hand a part a small fake instead of building a whole run. Running
jobs see `JobHost`, declared next to them in `simulator.engine.jobs`.
"""

from __future__ import annotations

from typing import Protocol

from simulator.engine.cluster import Allocation, Pool
from simulator.engine.jobs import Job, JobHost, StepTimes

__all__ = ["BurstHost", "JobHost", "JobSink", "NodeEvents", "Reschedule", "SchedulerHost"]


class Reschedule(Protocol):
    """Ask for a scheduling pass (once per instant, after every other change)."""

    def request_schedule(self) -> None:
        """Run the scheduler once, after every other change at this instant."""
        ...


class SchedulerHost(Protocol):
    """What a scheduler may ask of the run: where a job may go, start it, preempt one."""

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


class NodeEvents(Reschedule, Protocol):
    """Nodes going away and coming back (spot reclaims): what happens to the jobs on them."""

    running: dict[int, Job]

    def preempt(self, job: Job, reason: str) -> None:
        """Take a running job's GPUs; it waits again."""
        ...

    def node_repaired(self, node: int) -> None:
        """`node` is back in service."""
        ...


class JobSink(Protocol):
    """Where job sources (synthetic, trace, serving replicas) hand their jobs."""

    def next_job_id(self) -> int:
        """A fresh job id."""
        ...

    def submit(self, job: Job) -> None:
        """A job arrives and waits for the scheduler."""
        ...

    def finish_job(self, job: Job) -> None:
        """A job completed its work."""
        ...


class BurstHost(Reschedule, StepTimes, Protocol):
    """What the burst router may ask: take a job out of the queue, its pools, step times."""

    def withdraw(self, job: Job) -> bool:
        """Take a queued job out of the scheduler's queue; False if it was not queued."""
        ...

    def pools_for(self, job: Job) -> list[Pool]:
        """Pools the job may run in."""
        ...
