"""Lifecycle: where a job may go and every step of its life on the cluster.

A job is submitted, waits in the scheduler's queue, starts on an allocation, and then
finishes, is preempted, is killed with a failed node, or gives its GPUs back and waits again.
Each of those steps touches the same few things in the same order (the cluster's allocation,
the power model, the scheduler, the running set, the recorder), so they live together here,
one owner of `jobs`, `running` and the queue count, instead of spread over the Simulation.

The Simulation owns one Lifecycle and hands it, as their host, to the parts that only need
job steps: the scheduler (`SchedulerHost`), job sources and serving (`JobSink`), capacity
build-out (`Reschedule`). Running jobs are still handed `job_host` (the Simulation: a
`JobHost`), since they also need power, storage, failures and step times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.engine.job_table import REJECTED
from simulator.engine.jobs import DONE, QUEUED, RUNNING, Job

if TYPE_CHECKING:
    from simulator.engine.burst import BurstRouter
    from simulator.engine.clock import Clock
    from simulator.engine.cluster import Allocation, Cluster, Pool
    from simulator.engine.jobs import JobHost
    from simulator.engine.placement import PlacementPolicy
    from simulator.engine.power import Power
    from simulator.engine.scheduling import Scheduler


class Lifecycle:
    """The jobs of one run and the steps that move them between queued, running and done."""

    def __init__(
        self,
        clock: Clock,
        cluster: Cluster,
        power: Power,
        placement_policy: PlacementPolicy,
        job_host: JobHost,
    ) -> None:
        self.clock = clock
        self.recorder = clock.recorder
        self.cluster = cluster
        self.power = power
        self.placement_policy = placement_policy
        self.job_host = job_host
        """what running jobs are handed on start and stop"""
        self.jobs: list[Job] = []
        self.running: dict[int, Job] = {}
        self.queued = 0
        """jobs waiting in the scheduler's queue"""
        self.next_id = 0
        """the next job id handed out (the Simulation sets it once the scenario's jobs exist)"""
        self.scheduler: Scheduler | None = None
        self.burst: BurstRouter | None = None
        self._schedule_pending = False
        self._largest: dict[str | None, int] = {}
        """GPUs of the largest pool a job naming this pool (None: any) may use"""

    def attach(self, scheduler: Scheduler, burst: BurstRouter | None) -> None:
        """The scheduler and burst router, built after this (they take it as their host)."""
        self.scheduler = scheduler
        self.burst = burst

    def _sched(self) -> Scheduler:
        assert self.scheduler is not None, "attach() a scheduler before the run starts"
        return self.scheduler

    # ------------------------------------------------------------------ scheduling
    def next_job_id(self) -> int:
        """A fresh job id (ids follow submission order, so runs stay reproducible)."""
        self.next_id += 1
        return self.next_id - 1

    def request_schedule(self) -> None:
        """Run the scheduler once, after every other change at this instant."""
        if not self._schedule_pending:
            self._schedule_pending = True
            self.clock.at(0.0, self._schedule)

    def _schedule(self) -> None:
        self._schedule_pending = False
        self._sched().schedule()

    # ------------------------------------------------------------------ placement
    def pools_for(self, job: Job) -> list[Pool]:
        """Pools the job may run in (its named pool, else all), largest first not assumed."""
        if job.pool is not None:
            return [self.cluster.pool_by_name[job.pool]]
        return self.cluster.pools

    def find_placement(self, job: Job) -> tuple[Pool, Allocation] | None:
        """Where the job would go now, or None (nothing is taken)."""
        cluster = self.cluster
        for pool in self.pools_for(job):
            if cluster.fits(pool, job.num_gpus):
                return pool, self.placement_policy.place(cluster, pool, job.num_gpus)
        return None

    # ------------------------------------------------------------------ steps
    def submit(self, job: Job) -> None:
        """A job arrives and waits for the scheduler."""
        now = self.clock.now
        self.recorder.event(now, "submit", job.id, job.name)
        if job.id >= len(self.jobs):
            self.jobs.append(job)
        largest = self._largest.get(job.pool)
        if largest is None:  # pools never change size: one look per pool name, not per job
            largest = self._largest[job.pool] = max(
                (p.total_gpus for p in self.pools_for(job)), default=-1
            )
        if job.num_gpus > largest:
            job.state = REJECTED
            job.enter(REJECTED, now)
            self.recorder.event(
                now, "reject", job.id, job.name, -1, job.num_gpus, "larger than its pool"
            )
            return
        job.state = QUEUED
        job.enter("queued", now)
        self.queued += 1
        self._sched().submit(job)
        if self.burst is not None:
            self.burst.on_submit(job)
        self.request_schedule()

    def withdraw(self, job: Job) -> bool:
        """Take a queued job out of the scheduler's queue (it bursts); False if not queued."""
        if not self._sched().withdraw(job):
            return False
        self.queued -= 1
        return True

    def try_start(self, job: Job) -> bool:
        """Place and start `job` if it fits now (and the power cap admits it)."""
        found = self.find_placement(job)
        if found is None:
            return False
        return self.start_on(job, *found)

    def start_on(self, job: Job, pool: Pool, allocation: Allocation) -> bool:
        """Start `job` on `allocation` (from `find_placement` at this instant)."""
        if not self.power.admits(pool.index, job.num_gpus):
            return False
        now = self.clock.now
        self.cluster.allocate(allocation)
        self.queued -= 1
        job.alloc = allocation
        job.held_gpus = sum(g for _, g in allocation)
        job.pods = None
        job.pool_index = pool.index
        job.state = RUNNING
        job.alloc_t = now
        job.power_t = now
        if job.starts == 0:
            job.first_start_s = now
            job.first_nodes = len(allocation)
            job.first_pods = self.cluster.pods_of(allocation)
        job.starts += 1
        job.last_start_s = now
        self.running[job.id] = job
        self.recorder.event(
            now, "start", job.id, job.name, allocation[0][0], len(allocation), pool.name
        )
        self._sched().on_start(job)
        job.claim_storage(self.job_host)
        job.start(self.job_host)
        return True

    def settle_gpu_s(self, job: Job) -> None:
        """Book the GPU-seconds `job` held since its allocation last changed."""
        now = self.clock.now
        job.gpu_s += job.held_gpus * (now - job.alloc_t)
        job.alloc_t = now

    def _release(self, job: Job) -> None:
        self.settle_gpu_s(job)
        self.cluster.release(job.alloc)
        self.power.clear_job(job)
        self._sched().on_stop(job)
        self.running.pop(job.id, None)
        job.alloc = []
        job.held_gpus = 0
        job.pods = None
        self.request_schedule()

    def finish_job(self, job: Job) -> None:
        """A job completed its work."""
        self._release(job)
        job.state = DONE
        job.enter("done", self.clock.now)
        job.end_s = self.clock.now
        job.finish_cleanup()
        self.recorder.event(self.clock.now, "end", job.id, job.name)

    def interrupt(self, job: Job, kind: str, reason: str) -> None:
        """Stop a running job (its lost work booked), free its GPUs, and queue it again.

        From now until it is placed again it waits for capacity (`waiting_for_capacity_s`):
        a started job kept from its work, not a new job in the queue.
        """
        lost = job.stop(self.job_host, reason)
        self._release(job)
        job.state = QUEUED
        job.enter("waiting", self.clock.now)
        self.queued += 1
        self.recorder.event(self.clock.now, kind, job.id, job.name, -1, lost, reason)
        self._sched().requeue(job)

    def preempt(self, job: Job, reason: str) -> None:
        """The scheduler takes a running job's GPUs; it waits again."""
        job.preemptions += 1
        self.interrupt(job, "preempt", reason)

    def requeue(self, job: Job, reason: str) -> None:
        """A failed job that found no replacement node gives up its GPUs and waits again
        (for repaired or spare nodes: `waiting_for_capacity_s`)."""
        self._release(job)
        job.state = QUEUED
        job.enter("waiting", self.clock.now)
        self.queued += 1
        self.recorder.event(self.clock.now, "requeue", job.id, job.name, -1, 0.0, reason)
        self._sched().requeue(job)
