"""Jobs: what every job shares (queueing, allocation, accounting) and opaque jobs.

An opaque job (from a trace or a synthetic mix) is a block of GPU work whose length is given;
it runs at full speed unless the power cap throttles it, and is one pending event while it
runs. Training jobs (`simulator.engine.training`) add steps, checkpoints and failures.

Pending events are never cancelled: each job carries a `token`, bumped whenever its plans
change, and an event whose token is stale does nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from simulator.engine.fabric import Fabric
from simulator.engine.failure_rates import Cause
from simulator.engine.power import Power
from simulator.engine.recorder import Recorder
from simulator.engine.step_time import Placement, StepTime
from simulator.engine.storage import Storage

PENDING, QUEUED, RUNNING, DONE = "pending", "queued", "running", "done"

PHASE_BUCKET = {
    "queued": "queued_s",
    "waiting": "waiting_for_capacity_s",
    "compute": "compute_s",
    "checkpoint": "checkpointing_s",
    "restore": "restarting_s",
    "down": "restarting_s",
}
"""Where the wall-clock time of each phase of a job goes (`Job.enter`). A phase not listed
(pending: not submitted yet; done; rejected) books nothing. `compute_s` is every second spent
computing; the part later redone after a failure is `lost_work_s`, the rest is kept."""

BREAKDOWN_COLUMNS = (
    "queued_s",
    "computing_s",
    "checkpointing_s",
    "restarting_s",
    "lost_work_s",
    "waiting_for_capacity_s",
)
"""The jobs table's time breakdown: together they are the job's submit -> finish (or -> the
end of the run), within float rounding (`simulator.invariants.time_breakdown_adds_up`)."""


class StepTimes(Protocol):
    """Step times of training jobs (what a job bursting to the cloud is timed with)."""

    def step_time_for(self, job: Any, where: Placement) -> StepTime:
        """A training job's step time on `where`."""
        ...


class JobHost(StepTimes, Protocol):
    """What a running job may ask of the simulation that placed it.

    Declared here, next to the jobs that use it, so that jobs depend on this contract and not
    on the Simulation class (which imports them): the engine has no import cycle.
    """

    power: Power
    recorder: Recorder
    storage: Storage
    fabric: Fabric | None
    failure_rate_per_gpu_s: float

    @property
    def now(self) -> float:
        """Simulated seconds."""
        ...

    def at(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call `fn(*args)` after `delay` seconds."""
        ...

    def finish_job(self, job: Job) -> None:
        """The job completed its work: release its GPUs."""
        ...

    def requeue(self, job: Job, reason: str) -> None:
        """The job gives up its GPUs and waits again."""
        ...

    def placement_of(self, job: Job) -> Placement:
        """The placement shape of the running job."""
        ...

    def draw_cause(self, rng: Any) -> Cause:
        """A failure cause, in proportion to the rate set's counts."""
        ...

    def node_failed(self, node: int, cause: Cause, job: Job) -> None:
        """A hardware failure on `node` under `job`."""
        ...

    def replace_lost_gpus(self, job: Job) -> bool:
        """Give a job that lost a node a spare; False if none."""
        ...


class Job:
    """Queueing, allocation and accounting fields every job has."""

    kind = "job"

    def __init__(
        self,
        job_id: int,
        name: str,
        *,
        num_gpus: int,
        submit_s: float,
        tenant: str = "default",
        priority: int = 0,
        pool: str | None = None,
    ) -> None:
        self.id = job_id
        self.name = name
        self.num_gpus = num_gpus
        self.submit_s = submit_s
        self.tenant = tenant
        self.priority = priority
        self.pool = pool
        self.state = PENDING
        self.alloc: list[tuple[int, int]] = []
        self.held_gpus = 0
        """GPUs in `alloc`, kept with it (a failure touches one node, not the whole sum)"""
        self.pods: dict[int, int] | None = None
        """`alloc` entries per fabric pod, kept across failures (None: count on next use)"""
        self.sizes: dict[int, int] = {}
        """`alloc` entries per GPU count, kept with `pods`"""
        self.pool_index = -1
        self.token = 0
        self.first_start_s = float("nan")
        self.last_start_s = float("nan")
        self.end_s = float("nan")
        self.est_end_s = float("inf")
        self.starts = 0
        self.preemptions = 0
        self.failures = 0
        self.checkpoints = 0
        self.lost_work_s = 0.0
        """wall-clock seconds spent computing work that an interruption then threw away"""
        # time accounting (`enter`): the phase the job is in, since when, and seconds booked
        self.phase = "pending"
        self.phase_t = 0.0
        self.spent_s = dict.fromkeys(PHASE_BUCKET.values(), 0.0)
        self.kept_mark_s = 0.0
        """compute seconds (of `compute_wall_s`) up to the work last made safe: a checkpoint
        committed, or all of it for a job that resumes where it stopped"""
        self.gpu_s = 0.0
        self.alloc_t = 0.0
        self.first_nodes = 0
        self.first_pods = 0
        self.burst = False
        """ran in the cloud instead (simulator.engine.burst)"""
        self.burst_w = 0.0
        # power accounting (kept by simulator.engine.power)
        self.energy_j = 0.0
        self.power_t = 0.0
        self.powered = False
        self.busy = False
        self.base_w = 0.0
        self.static_w = 0.0
        self.dyn_w = 0.0

    # -- time accounting: every phase change goes through `enter`, so the breakdown is the
    #    mechanism's own record, not a subtraction after the fact
    def enter(self, phase: str, now: float) -> None:
        """Book the time since the last phase change to the phase left, and enter `phase`."""
        bucket = PHASE_BUCKET.get(self.phase)
        if bucket is not None:
            self.spent_s[bucket] += now - self.phase_t
        self.phase = phase
        self.phase_t = now

    def compute_wall_s(self, now: float) -> float:
        """Seconds spent computing so far (kept and lost alike), the open phase included."""
        open_s = now - self.phase_t if self.phase == "compute" else 0.0
        return self.spent_s["compute_s"] + open_s

    def keep_work(self, mark_s: float) -> None:
        """The work done up to compute second `mark_s` is safe (a checkpoint committed)."""
        self.kept_mark_s = mark_s

    def discard_work(self, now: float) -> float:
        """An interruption throws away the work since the last safe point; returns its wall
        seconds (booked as lost work)."""
        done = self.compute_wall_s(now)
        lost = max(0.0, done - self.kept_mark_s)
        self.lost_work_s += lost
        self.kept_mark_s = done
        return lost

    def time_breakdown_s(self, now: float) -> dict[str, float]:
        """Submit -> `now` split as `BREAKDOWN_COLUMNS` (the open phase counted up to `now`)."""
        spent = dict(self.spent_s)
        bucket = PHASE_BUCKET.get(self.phase)
        if bucket is not None:
            spent[bucket] += now - self.phase_t
        return {
            "queued_s": spent["queued_s"],
            "computing_s": spent["compute_s"] - self.lost_work_s,
            "checkpointing_s": spent["checkpointing_s"],
            "restarting_s": spent["restarting_s"],
            "lost_work_s": self.lost_work_s,
            "waiting_for_capacity_s": spent["waiting_for_capacity_s"],
        }

    # -- the Job protocol: hooks the Simulation (and the burst router) call; a kind of job
    #    overrides what differs, so the engine never asks which kind a job is
    onprem_only = False
    """True: the job may not burst to the cloud (data residency)."""

    @property
    def may_burst(self) -> bool:
        """Whether the job may run in the cloud once it waited past the burst limit."""
        return not self.onprem_only

    @property
    def tensor_parallel(self) -> int:
        """GPUs per tensor-parallel group (1: the job has no TP groups to keep in a domain)."""
        return 1

    def start(self, sim: JobHost) -> None:
        """The job got its GPUs (`self.alloc`) and begins (or resumes) work."""
        raise NotImplementedError

    def stop(self, sim: JobHost, reason: str) -> float:
        """The job loses its GPUs before finishing; returns the wall seconds of work lost
        (already booked in `lost_work_s` through `discard_work`)."""
        raise NotImplementedError

    def settle(self, now: float) -> None:
        """Bring progress up to `now` at the current rate (before a rate change)."""

    def apply_throttle(self, sim: JobHost, throttle: float) -> None:
        """Re-plan the next event at the new throttle factor (progress already settled)."""

    def estimate_s(self) -> float:
        """Expected remaining run time at full speed (what a backfill scheduler plans with)."""
        raise NotImplementedError

    def useful_s(self) -> float:
        """Work seconds done and kept (for goodput)."""
        raise NotImplementedError

    def extra_record(self) -> dict[str, Any]:
        """Kind-specific columns for the jobs table."""
        return {}

    def claim_storage(self, host: JobHost) -> None:
        """Book storage the job needs while placed (called once per placement, before start)."""

    def finish_cleanup(self) -> None:
        """Let go of what the job holds besides GPUs, once it is done."""

    def cloud_run_s(self, pool: Any, host: StepTimes) -> float:
        """How long the job runs in the cloud at full speed (it bursts from `pool`)."""
        return self.estimate_s()

    def account_cloud(self, elapsed_s: float) -> None:
        """Progress after `elapsed_s` seconds in the cloud."""
        raise NotImplementedError


class OpaqueJob(Job):
    """A job that needs `work_s` seconds of its GPUs (trace and synthetic jobs).

    Preempted or killed, it starts over unless `resumable` (traces carry no checkpoint
    information, so by default the work is lost).
    """

    kind = "opaque"

    def __init__(
        self,
        job_id: int,
        name: str,
        *,
        work_s: float,
        source: str,
        resumable: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(job_id, name, **kwargs)
        self.kind = source
        self.work_s = work_s
        self.remaining_s = work_s
        self.resumable = resumable
        self.rate = 1.0
        self.seg_t = 0.0
        self.done_s = 0.0

    def start(self, sim: JobHost) -> None:
        self.enter("compute", sim.now)
        self.seg_t = sim.now
        self.rate = sim.power.throttle
        sim.power.set_job(self, sim.power.pools[self.pool_index].state_dyn_w["compute"], True)
        self.reschedule(sim)

    def reschedule(self, sim: JobHost) -> None:
        self.token += 1
        sim.at(self.remaining_s / self.rate, self._finish, sim, self.token)

    def _finish(self, sim: JobHost, token: int) -> None:
        if token != self.token:
            return
        self.remaining_s = 0.0
        self.done_s = self.work_s
        sim.finish_job(self)

    def settle(self, now: float) -> None:
        if now > self.seg_t:
            self.remaining_s = max(0.0, self.remaining_s - (now - self.seg_t) * self.rate)
        self.seg_t = now

    def apply_throttle(self, sim: JobHost, throttle: float) -> None:
        """Run at `throttle` x full speed from now on (progress already settled)."""
        self.rate = throttle
        self.reschedule(sim)

    def stop(self, sim: JobHost, reason: str) -> float:
        self.settle(sim.now)
        self.token += 1
        if self.resumable:
            self.keep_work(self.compute_wall_s(sim.now))
            return 0.0
        self.remaining_s = self.work_s
        return self.discard_work(sim.now)

    def estimate_s(self) -> float:
        return self.remaining_s

    def useful_s(self) -> float:
        return self.work_s - self.remaining_s if self.state != DONE else self.work_s

    def account_cloud(self, elapsed_s: float) -> None:
        self.remaining_s = max(0.0, self.remaining_s - elapsed_s)
