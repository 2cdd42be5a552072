"""Cloud burst (hybrid): a job that cannot start on the cluster within the wait limit runs in
the cloud instead.

The job leaves the scheduler's queue, is marked `burst` and runs for its own full-speed
duration (an opaque job its work; a training job its steps at the step time of its ideal
placement on its pool's hardware, i.e. the cloud instance is assumed to match the node). It
takes no cluster GPUs and no cluster power; its energy is estimated at the pool's full-compute
draw so cost and carbon models can account for it. Cloud-side failures are not simulated.
Jobs marked `onprem_only` (data residency) and serving replicas never burst: each job says
so through `Job.may_burst`, so the router never asks which kind a job is.
"""

from __future__ import annotations

from simulator.engine.clock import Clock
from simulator.engine.cluster import Pool
from simulator.engine.hosts import BurstHost
from simulator.engine.jobs import DONE, QUEUED, RUNNING, Job
from simulator.engine.power import PoolPower


class BurstRouter:
    """Watches queued jobs and sends those that wait past the limit to the cloud."""

    def __init__(self, clock: Clock, host: BurstHost, wait_limit_s: float) -> None:
        self.clock = clock
        self.host = host
        self.wait_limit_s = wait_limit_s
        self.inflight: dict[int, Job] = {}

    def on_submit(self, job: Job) -> None:
        """A job was queued: check on it when the wait limit passes (if it may burst)."""
        if job.may_burst:
            self.clock.at(self.wait_limit_s, self._check, job)

    def _check(self, job: Job) -> None:
        clock, host = self.clock, self.host
        if job.state != QUEUED or job.starts > 0 or not host.withdraw(job):
            return
        pool = host.pools_for(job)[0]
        duration_s = self._duration_s(job, pool)
        job.burst = True
        job.state = RUNNING
        job.pool_index = -1
        job.first_start_s = job.last_start_s = clock.now
        job.starts = 1
        job.enter("compute", clock.now)  # in the cloud: no failures or checkpoints simulated
        job.burst_w = job.num_gpus * _busy_w_per_gpu(PoolPower.of(pool))
        self.inflight[job.id] = job
        clock.recorder.event(clock.now, "burst", job.id, job.name, -1, duration_s, pool.name)
        clock.at(duration_s, self._finish, job, duration_s)
        host.request_schedule()

    def _duration_s(self, job: Job, pool: Pool) -> float:
        return job.cloud_run_s(pool, self.host)

    def _account(self, job: Job, elapsed_s: float) -> None:
        job.gpu_s = job.num_gpus * elapsed_s
        job.energy_j = job.burst_w * elapsed_s
        job.account_cloud(elapsed_s)

    def _finish(self, job: Job, duration_s: float) -> None:
        clock = self.clock
        self._account(job, duration_s)
        self.inflight.pop(job.id, None)
        job.state = DONE
        job.enter("done", clock.now)
        job.end_s = clock.now
        clock.recorder.event(clock.now, "end", job.id, job.name)

    def wrap_up(self) -> None:
        """Account for burst jobs still running at the horizon."""
        now = self.clock.now
        for job in self.inflight.values():
            self._account(job, now - job.first_start_s)


def _busy_w_per_gpu(pp: PoolPower) -> float:
    return pp.gpu_idle_w + pp.state_dyn_w["compute"] + pp.overhead_busy_per_gpu_w
