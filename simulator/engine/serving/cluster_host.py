"""Serving replicas as cluster jobs: training and serving share the same GPUs.

Each replica is a job of `tp * pp` GPUs submitted to the cluster's scheduler at a high
priority, placed by the placement policy, drawing power and counting GPU-hours like any job.
Once placed it loads its weights (the cold start; replicas present at the start of the run
are warm) and then serves. If the cluster takes its GPUs (a node failure under it, a
preemption) its requests go back to the router and the job waits to be placed again; a
drained replica finishes its job, which frees the GPUs for whoever waits.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from simulator.engine.jobs import OpaqueJob
from simulator.engine.serving.replica import Replica

if TYPE_CHECKING:
    from simulator.engine.clock import Timed
    from simulator.engine.hosts import JobSink
    from simulator.engine.jobs import JobHost
    from simulator.engine.serving.service import ServiceRuntime

SERVING_PRIORITY = 1_000_000
"""Replicas outrank every batch job: a service's latency cannot wait in a training queue."""


class ReplicaJob(OpaqueJob):
    """The GPUs of one serving replica, held until the service lets them go."""

    def __init__(
        self, clock: Timed, sink: JobSink, svc: ServiceRuntime, role: str, warm: bool
    ) -> None:
        super().__init__(
            sink.next_job_id(),
            f"{svc.name}/{role}",
            work_s=math.inf,
            source="serving",
            num_gpus=svc.gpus_per_replica,
            submit_s=clock.now,
            pool=svc.spec.pool,
            priority=SERVING_PRIORITY,
            resumable=True,
        )
        self.svc = svc
        self.role = role
        self.warm = warm
        self.replica: Replica | None = None
        self.serve_token = 0

    @property
    def may_burst(self) -> bool:
        """Never: a replica serves the cluster's traffic, so it waits for the cluster's GPUs."""
        return False

    def start(self, sim: JobHost) -> None:
        super().start(sim)
        self.serve_token += 1
        delay = 0.0 if (self.warm and self.starts == 1) else self.svc.cold_start_s
        sim.at(delay, self._ready, self.serve_token)

    def _ready(self, token: int) -> None:
        if token != self.serve_token or self.alloc == []:
            return
        self.replica = self.svc.replica_ready(self.role, self)

    def stop(self, sim: JobHost, reason: str) -> float:
        self.serve_token += 1
        if self.replica is not None:  # it was serving; it comes back when placed again
            self.svc.replica_lost(self.replica)
            self.replica = None
            self.svc.starting[self.role] += 1
        return super().stop(sim, reason)

    def useful_s(self) -> float:
        """Seconds the replica held its GPUs (serving or loading weights)."""
        return self.gpu_s / self.num_gpus

    def extra_record(self) -> dict[str, Any]:
        return {"role": self.role}


class ClusterHost:
    """Provision replicas as cluster jobs, through the run's `JobSink`."""

    def __init__(self, clock: Timed, sink: JobSink) -> None:
        self.clock = clock
        self.sink = sink
        self.jobs: dict[str, list[ReplicaJob]] = {}

    def provision(self, svc: ServiceRuntime, role: str, warm: bool) -> None:
        job = ReplicaJob(self.clock, self.sink, svc, role, warm)
        self.jobs.setdefault(svc.name, []).append(job)
        if warm:
            svc.starting[role] += 1
        self.sink.submit(job)

    def release(self, replica: Replica) -> None:
        job: ReplicaJob = replica.handle
        job.replica = None
        self.sink.finish_job(job)

    def gpu_seconds(self, svc: ServiceRuntime) -> float:
        now = self.clock.now
        total = 0.0
        for job in self.jobs.get(svc.name, []):
            held = job.gpu_s
            if job.alloc:
                held += sum(g for _, g in job.alloc) * (now - job.alloc_t)
            total += held
        return total
