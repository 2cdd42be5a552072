"""Parts of the engine run on a Clock and a small fake host, without a Simulation."""

from __future__ import annotations

from types import SimpleNamespace

from simulator.engine.arrivals import SyntheticSource
from simulator.engine.burst import BurstRouter
from simulator.engine.clock import Clock
from simulator.engine.jobs import Job, OpaqueJob
from simulator.engine.serving.cluster_host import ClusterHost, ReplicaJob
from simulator.schema.workloads import SyntheticJobs


class Sink:
    """A JobSink that keeps what it is handed."""

    def __init__(self) -> None:
        self.jobs: list[Job] = []
        self.finished: list[Job] = []

    def next_job_id(self) -> int:
        return 100 + len(self.jobs)

    def submit(self, job: Job) -> None:
        self.jobs.append(job)

    def finish_job(self, job: Job) -> None:
        self.finished.append(job)


def test_a_synthetic_source_needs_only_a_clock_and_a_sink() -> None:
    spec = SyntheticJobs(
        name="mix", arrivals_per_hour=60, gpus_per_job=[1, 8], mean_duration_hours=1, count=5
    )
    clock, sink = Clock(7), Sink()
    SyntheticSource(clock, sink, spec, 0).start()
    clock.run(until=86400.0)
    assert [j.id for j in sink.jobs] == [100, 101, 102, 103, 104]
    assert [j.name for j in sink.jobs] == [f"mix-{k}" for k in range(5)]
    submits = [j.submit_s for j in sink.jobs]
    assert submits == sorted(submits) and submits[0] > 0
    assert {j.num_gpus for j in sink.jobs} <= {1, 8}


def test_the_burst_router_watches_only_jobs_that_may_burst() -> None:
    clock, sink = Clock(1), Sink()
    svc = SimpleNamespace(name="chat", gpus_per_replica=2, spec=SimpleNamespace(pool=None))
    replica = ReplicaJob(clock, sink, svc, "both", warm=True)
    batch = OpaqueJob(1, "batch", work_s=60.0, source="trace", num_gpus=8, submit_s=0.0)
    resident = OpaqueJob(2, "resident", work_s=60.0, source="trace", num_gpus=8, submit_s=0.0)
    resident.onprem_only = True
    assert (replica.may_burst, batch.may_burst, resident.may_burst) == (False, True, False)

    withdrawn: list[Job] = []
    host = SimpleNamespace(withdraw=lambda job: withdrawn.append(job) or False)
    router = BurstRouter(clock, host, wait_limit_s=3600.0)
    for job in (replica, batch, resident):
        job.state = "queued"
        router.on_submit(job)
    clock.run(until=7200.0)
    assert withdrawn == [batch]  # only the batch job was looked at when its wait ran out


def test_a_cluster_host_submits_replicas_to_its_sink() -> None:
    clock, sink = Clock(1), Sink()
    host = ClusterHost(clock, sink)
    svc = SimpleNamespace(
        name="chat", gpus_per_replica=4, spec=SimpleNamespace(pool="h100"), starting={"both": 0}
    )
    host.provision(svc, "both", warm=True)
    (job,) = sink.jobs
    assert (job.id, job.name, job.num_gpus, job.pool) == (100, "chat/both", 4, "h100")
    assert svc.starting["both"] == 1
    assert host.gpu_seconds(svc) == 0.0
