"""The Simulation: owns the SimPy environment, the random streams and the recorder.

Building a Simulation builds everything a run needs from a scenario and its World (`RunInputs`:
a `LoadedScenario` is one; no catalog is read here): cluster, policies from their registries,
storage, fabric, power, failure rates, job sources. It raises `InputError` naming the scenario
field for anything the schema alone could not catch. Each part gets the Clock, the objects it
reads and a narrow host protocol (`simulator.engine.hosts`) for what only the run can do.
`run()` then drives the clock to the horizon and returns a `RunRecord` of plain lists that
`simulator.results` turns into tables.

Events are SimPy timeouts with a plain callback (`at`), not processes: a job holds at most a
couple of pending events, stale ones are ignored through tokens, and scheduling runs once per
instant after all simultaneous changes (`request_schedule`). After every event the timeline
gets a row if anything it shows changed.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any

from simulator.engine import build, failure_rates
from simulator.engine.arrivals import SyntheticSource, TraceSource
from simulator.engine.budget import check_budget
from simulator.engine.build_out import BuildOut
from simulator.engine.burst import BurstRouter
from simulator.engine.clock import Clock
from simulator.engine.cluster import Pool, holds
from simulator.engine.fabric import Fabric
from simulator.engine.inputs import RunInputs
from simulator.engine.job_table import job_columns
from simulator.engine.jobs import Job
from simulator.engine.lifecycle import Lifecycle
from simulator.engine.placement import PLACEMENTS, PlacementPolicy
from simulator.engine.power import Power
from simulator.engine.recorder import RunRecord
from simulator.engine.run_meta import run_meta
from simulator.engine.scheduling import SCHEDULERS, Scheduler
from simulator.engine.serving.in_cluster import build_services, serving_records
from simulator.engine.spot import SpotReclaims
from simulator.engine.step_time import (
    PerfStepTime,
    Placement,
    StepTime,
    StepTimeFn,
    checked_step_time,
    placement_shape,
)
from simulator.engine.storage import Storage
from simulator.engine.timeline import Timeline
from simulator.engine.traces import read_trace
from simulator.engine.training import TrainingJob, attach_storage
from simulator.errors import InputError, Problem
from simulator.perf.scenario_layout import resolve_scenario_layouts
from simulator.schema.facility import FacilityProfile
from simulator.schema.scenario import PolicyRef


def _uncount(counts: dict[int, int], key: int, n: int) -> None:
    """Take `n` off `counts[key]`, dropping the key at zero."""
    counts[key] -= n
    if not counts[key]:
        del counts[key]


class Simulation:
    """One run of one scenario."""

    def __init__(
        self,
        loaded: RunInputs,
        *,
        seed: int | None = None,
        step_time: StepTimeFn | None = None,
    ) -> None:
        """Resolve the scenario into a runnable world.

        Args:
            loaded: a scenario and its World (`simulator.load_scenario` returns one); only
                its `scenario`, `world`, `path` and `resolve_path` are read.
            seed: overrides the scenario's seed.
            step_time: training step-time function (default: the performance model, see
                `simulator.engine.step_time`); tests pass `fixed_step_time(...)`.

        Raises:
            InputError: policies, parameters or workloads the engine cannot run, each naming
                its scenario field.
        """
        self.loaded = loaded
        s = self.scenario = loaded.scenario
        world = self.world = loaded.world
        self.file = str(loaded.path)
        resolve_scenario_layouts(s, world, self.file)  # `parallelism: auto`, once, in place
        self.seed = s.seed if seed is None else int(seed)
        if not 0 <= self.seed < 2**63:  # the scenario schema's range; numpy needs >= 0
            raise InputError([Problem("--seed", "", f"expected 0 to 2**63-1 (got {self.seed})")])
        self.clock = Clock(self.seed)
        self.env = self.clock.env
        self.streams = self.clock.streams
        self.recorder = self.clock.recorder
        self.horizon_s = s.horizon_days * 86400.0
        check_budget(loaded, self.horizon_s)  # refuse what cannot finish, before building it
        self.trace_skipped = 0
        self.facility: FacilityProfile = world.facility
        self.placement_policy: PlacementPolicy = self._policy(
            PLACEMENTS, s.policies.placement, "policies.placement"
        )
        self.cluster = build.build_cluster(s.cluster, world, self.placement_policy)
        cap_kw = s.policies.power.cap_kw or self.facility.power_cap_kw
        self.power = Power(
            self.cluster,
            pue=self.facility.pue,
            cap_w=cap_kw * 1000.0 if cap_kw else None,
            enforcement=s.policies.power.enforcement,
            clock=lambda: self.env.now,
        )
        self.power.on_throttle = self._throttle_changed
        jobs = self.lifecycle = Lifecycle(
            self.clock, self.cluster, self.power, self.placement_policy, self
        )
        self.jobs, self.running = jobs.jobs, jobs.running  # the lifecycle's, shared
        self.build_out = BuildOut(
            self.clock, self.cluster, self.power, jobs, s.cluster, self.horizon_s
        )
        if cap_kw and cap_kw * 1000.0 <= self.power.baseline_w:
            field = "policies.power.cap_kw" if s.policies.power.cap_kw else "cluster.facility"
            raise InputError(
                [
                    Problem(
                        self.file,
                        field,
                        f"power cap {cap_kw:g} kW is below the cluster's idle IT power "
                        f"({self.power.baseline_w / 1000:.1f} kW)",
                    )
                ]
            )
        tiers = [(tier.profile, tier.capacity_tb, tier.role) for tier in world.storage]
        self.storage = Storage(self.clock, tiers)
        self.pool_hardware, nic_bps = build.pool_hardware(world, s.cluster.fabric.oversubscription)
        self.fabric: Fabric | None = (
            Fabric(self.clock, self.cluster, nic_bps, s.cluster.fabric.oversubscription)
            if self.cluster.num_pods > 1
            else None
        )
        self.step_time_fn: StepTimeFn = step_time or PerfStepTime(self.pool_hardware)
        self._failure_model = build.FailureModel(s.policies.failures)
        self.failure_causes = self._failure_model.causes
        self.failure_rate_per_gpu_s = self._failure_model.rate_per_gpu_s
        self.scheduler: Scheduler = self._policy(
            SCHEDULERS, s.policies.scheduler, "policies.scheduler", self.clock, self.cluster, jobs
        )
        burst = s.cluster.burst
        self.burst = (
            BurstRouter(self.clock, self, burst.wait_limit_hours * 3600.0) if burst else None
        )
        jobs.attach(self.scheduler, self.burst)
        self.spot = SpotReclaims(self.clock, self.cluster, self.power, self, s.cluster.pools)
        self._sources: list[Any] = []
        self._build_workloads()
        self.timeline = Timeline(self.clock, self.cluster, self.power, jobs)
        self.clock.after_event = self.timeline.sample

    # ------------------------------------------------------------------ building
    def _policy(self, registry: dict, ref: PolicyRef, where: str, *extra: Any) -> Any:
        return build.policy(registry, ref, where, self.file, *extra)

    def _build_workloads(self) -> None:
        s = self.scenario
        file = self.file
        problems: list[Problem] = []
        # serving replicas are cluster jobs, submitted once job ids are handed out (below)
        self.services = build_services(
            self.clock,
            self.lifecycle,
            self.loaded,
            cluster=self.cluster,
            storage=self.storage,
            pool_hardware=self.pool_hardware,
            horizon_s=self.horizon_s,
            problems=problems,
        )
        for i, spec in enumerate(s.workloads.training_jobs):
            where = f"workloads.training_jobs[{i}]"
            job = TrainingJob(len(self.jobs), spec, self.world.models[spec.name], i, where)
            job.fail_rng = self.streams.get("failures", i)
            problems += attach_storage(job, self.storage, file)
            pools = self.pools_for(job)
            if pools and not problems:
                pool = pools[0]
                ideal = Placement.packed(
                    pool.name, job.num_gpus, pool.gpus_per_node, pool.nodes_per_pod
                )
                try:
                    self.step_time_for(job, ideal)
                except InputError as exc:
                    problems += exc.problems
            self.jobs.append(job)
            if job.submit_s < self.horizon_s:
                self.at(job.submit_s, self.lifecycle.submit, job)
        # jobs too big to ever start were refused by the loader (scenario.never_startable)
        for i, mix in enumerate(s.workloads.synthetic_jobs):
            self._sources.append(SyntheticSource(self.clock, self.lifecycle, mix, i))
        for i, trace in enumerate(s.workloads.job_traces):
            try:
                jobs = read_trace(
                    trace.format,
                    self.loaded.resolve_path(trace.path),
                    trace.max_jobs,
                    trace.time_scale,
                )
            except InputError as exc:
                problems += [
                    Problem(self.file, f"workloads.job_traces[{i}].path", str(p))
                    for p in exc.problems
                ]
                continue
            self.trace_skipped += jobs.skipped
            self._sources.append(TraceSource(self.clock, self.lifecycle, jobs, f"trace{i}"))
        if problems:
            raise InputError(problems)
        self.lifecycle.next_id = len(self.jobs)
        for service in self.services:
            self.at(0.0, service.start)
        for source in self._sources:
            source.start()

    # ------------------------------------------------------------------ clock
    @property
    def now(self) -> float:
        """Simulated seconds since the start."""
        return self.env.now

    @property
    def events_processed(self) -> int:
        """Events run so far (the clock counts them)."""
        return self.clock.events_processed

    def at(self, delay: float, fn: Callable[..., Any], *args: Any) -> None:
        """Call `fn(*args)` after `delay` simulated seconds."""
        self.clock.at(delay, fn, *args)

    # ------------------------------------------------------------------ placement
    def placement_of(self, job: Job) -> Placement:
        """The placement shape of a running job, for the step-time model."""
        if job.pods is None:  # counted once per start, then kept as nodes fail and return
            pod_of = self.cluster.pod_of
            pods: dict[int, int] = {}
            sizes: dict[int, int] = {}
            for n, g in job.alloc:
                pods[pod_of[n]] = pods.get(pod_of[n], 0) + 1
                sizes[g] = sizes.get(g, 0) + 1
            job.pods, job.sizes = pods, sizes
        return placement_shape(
            self.cluster,
            job.pool_index,
            job.alloc,
            job.num_gpus,
            job.tensor_parallel,
            pods=len(job.pods),
            sizes=job.sizes.keys(),
        )

    def step_time_for(self, job: TrainingJob, where: Placement) -> StepTime:
        """Step time of `job` on `where` (InputError names the job's scenario field)."""
        return checked_step_time(
            self.step_time_fn, job.spec, job.model, where, self.file, job.where
        )

    # ------------------------------------------------------------------ job steps (JobHost)
    def request_schedule(self) -> None:
        """Run the scheduler once, after every other change at this instant."""
        self.lifecycle.request_schedule()

    def pools_for(self, job: Job) -> list[Pool]:
        """Pools the job may run in (its named pool, else all)."""
        return self.lifecycle.pools_for(job)

    def withdraw(self, job: Job) -> bool:
        """Take a queued job out of the scheduler's queue (it bursts); False if not queued."""
        return self.lifecycle.withdraw(job)

    def preempt(self, job: Job, reason: str) -> None:
        """Take a running job's GPUs; it waits again."""
        self.lifecycle.preempt(job, reason)

    def finish_job(self, job: Job) -> None:
        """A job completed its work."""
        self.lifecycle.finish_job(job)

    def requeue(self, job: Job, reason: str) -> None:
        """A failed job that found no replacement node gives up its GPUs and waits again."""
        self.lifecycle.requeue(job, reason)

    # ------------------------------------------------------------------ failures
    def node_failed(self, node: int, cause: failure_rates.Cause, job: Job) -> None:
        """A hardware failure on `node` while `job` ran there: the node goes for repair."""
        cluster = self.cluster
        self.lifecycle.settle_gpu_s(job)
        alloc = job.alloc  # sorted by node: find the failed node's entries, not scan them all
        i = bisect.bisect_left(alloc, (node, -1))
        j = bisect.bisect_left(alloc, (node + 1, -1), i)
        mine = alloc[i:j]
        cluster.release(mine)
        if mine:
            job.alloc = alloc[:i] + alloc[j:]
            job.held_gpus -= sum(g for _, g in mine)
            if job.pods is not None:
                _uncount(job.pods, cluster.pod_of[node], len(mine))
                for _, g in mine:
                    _uncount(job.sizes, g, 1)
        for other in [j for j in self.running.values() if j is not job]:
            if holds(other.alloc, node):
                self.lifecycle.interrupt(other, "kill", f"node {node} failed ({cause.name})")
        cluster.take_down(node)
        pool = cluster.pool_of[node]
        self.power.node_out(pool)
        self.recorder.event(self.now, "node_down", job.id, job.name, node, float("nan"), cause.name)
        self.at(failure_rates.repair_s(cause), self.node_repaired, node)
        self.request_schedule()

    def node_repaired(self, node: int) -> None:
        """`node` is back in service (repaired, or a reclaimed spot node re-acquired)."""
        self.cluster.bring_up(node)
        self.power.node_back(self.cluster.pool_of[node])
        self.recorder.event(self.now, "node_up", -1, "", node)
        self.request_schedule()

    def replace_lost_gpus(self, job: Job) -> bool:
        """Give a job that lost a node a spare (or any node with room); False if none."""
        missing = job.num_gpus - job.held_gpus
        pool = self.cluster.pools[job.pool_index]
        near = job.alloc[0][0] if job.alloc else None
        node = self.cluster.take_spare(pool, missing, near)
        if node is None:
            return False
        self.lifecycle.settle_gpu_s(job)
        self.cluster.allocate([(node, missing)])
        bisect.insort(job.alloc, (node, missing))
        job.held_gpus += missing
        if job.pods is not None:
            pod = self.cluster.pod_of[node]
            job.pods[pod] = job.pods.get(pod, 0) + 1
            job.sizes[missing] = job.sizes.get(missing, 0) + 1
        self.recorder.event(self.now, "replace", job.id, job.name, node, missing)
        return True

    def draw_cause(self, rng: Any) -> failure_rates.Cause:
        """A failure cause, in proportion to the rate set's counts."""
        return self._failure_model.draw(rng)

    def _throttle_changed(self, throttle: float) -> None:
        now = self.now
        for job in self.running.values():
            job.settle(now)
            self.power.settle_job(job)
        self.power.set_throttle(throttle)
        for job in list(self.running.values()):
            job.apply_throttle(self, throttle)

    # ------------------------------------------------------------------ run
    def run(self, progress: Callable[[float, float], Any] | None = None) -> RunRecord:
        """Simulate up to the horizon; `progress(now_s, horizon_s)` is called as time passes."""
        self.timeline.sample()
        horizon = self.horizon_s
        if progress is None:
            self.env.run(until=horizon)
        else:
            steps = 200
            for k in range(1, steps + 1):
                self.env.run(until=horizon * k / steps)
                progress(self.env.now, horizon)
        return self._wrap_up()

    def _wrap_up(self) -> RunRecord:
        now = self.now
        for job in self.running.values():
            job.settle(now)
            self.power.settle_job(job)
            self.lifecycle.settle_gpu_s(job)
        if self.burst is not None:
            self.burst.wrap_up()
        self.power.finish()
        return RunRecord(
            jobs=job_columns(self.jobs, self.cluster, now),
            events=self.recorder.events,
            timeline=self.recorder.timeline,
            meta={
                **run_meta(
                    self.scenario,
                    seed=self.seed,
                    horizon_s=self.horizon_s,
                    cluster=self.cluster,
                    facility=self.facility,
                    power=self.power,
                    storage=self.storage,
                    failure_rate_per_gpu_s=self.failure_rate_per_gpu_s,
                    trace_skipped=self.trace_skipped,
                    events_processed=self.clock.events_processed,
                ),
                "serving": serving_records(self.services, now),
            },
        )
