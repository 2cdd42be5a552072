"""A training job: steps in segments between events, checkpoints, restores and failures.

The job never steps one step at a time. While computing it advances at a constant rate
(steps per second = speed / step time) until the next *boundary*: a checkpoint step or the
last step. Anything that changes the rate (a dataset stream or fabric flow re-rated, the power
cap throttling) settles progress and re-plans the boundary; a failure or preemption cuts the
segment short. So a 54-day run costs a few events per checkpoint and per failure.

Life of a job:

    start -> [restore] -> compute -> (checkpoint -> compute)* -> done
                 ^                      |
                 +-- restart <- down <- failure (work since the last checkpoint is lost)

A blocking checkpoint stops compute while the write flow runs; an asynchronous one writes in
the background and commits when the flow ends (a failure before then loses it). A failure
costs detection + restart time (`failure_rates.DETECTION_S`, `RESTART_S`), the restore read,
and the lost work; a hardware cause sends the node for repair and the job continues on a spare
(or any free node), or goes back to the queue if there is none.

Every change of phase goes through `Job.enter`, which books the time since the last change
to the phase left: restore and down to restarting, a blocking write to checkpointing, compute
to computing (and, for what a failure throws away since the last committed checkpoint, to lost
work), waiting in the queue after a failure or preemption to waiting for capacity. The jobs
table's breakdown is that record, not a subtraction after the fact.

Speed below 1 comes from data loading (the dataset stream gets less than the job needs) and
from the fabric (cross-pod gradient traffic gets less than its demand); the slowest of the two
sets the pace, and GPUs idle ("stalled" power) for the rest.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from simulator.engine.failure_rates import DETECTION_S, RESTART_S
from simulator.engine.flows import Flow
from simulator.engine.jobs import DONE, Job, JobHost, StepTimes
from simulator.engine.step_time import Placement
from simulator.errors import Problem
from simulator.perf.transformer_flops import total_params
from simulator.schema.model import TransformerModel
from simulator.schema.scenario import TrainingJob as TrainingSpec

if TYPE_CHECKING:
    from simulator.engine.cluster import Pool
    from simulator.engine.storage import Storage, StorageTier

CHECKPOINT_BYTES_PER_PARAM = 14.0
"""16-bit weights plus fp32 master weights, momentum and variance (ZeRO accounting, less the
2 bytes of gradients that are not saved)."""

GRADIENT_BYTES_PER_PARAM = 2.0
"""Gradients are reduced in 16 bits."""

LORA_CHECKPOINT_FRACTION = 0.01
"""A LoRA checkpoint holds only the adapters: about 1% of the base model's state (assumption)."""


def attach_storage(job: TrainingJob, storage: Storage, file: str) -> list[Problem]:
    """Give `job` its checkpoint and dataset tiers; a problem for each role the cluster lacks."""
    spec, where = job.spec, job.where
    problems = []
    if spec.checkpoint.policy != "none":
        job.ckpt_tier = storage.for_role("checkpoint", spec.checkpoint.storage)
        if job.ckpt_tier is None:
            problems.append(
                Problem(
                    file,
                    f"{where}.checkpoint",
                    "checkpointing needs a storage tier with role checkpoint or both "
                    "in cluster.storage (or policy: none)",
                )
            )
    if spec.dataset_tb:
        job.data_tier = storage.for_role("dataset")
        if job.data_tier is None:
            problems.append(
                Problem(
                    file,
                    f"{where}.dataset_tb",
                    "streaming a dataset needs a storage tier with role dataset or both "
                    "in cluster.storage",
                )
            )
    return problems


def total_steps(spec: TrainingSpec) -> int:
    """Optimizer steps the job runs: `steps`, or `total_tokens` over tokens per step."""
    if spec.steps is not None:
        return spec.steps
    assert spec.total_tokens is not None
    return max(1, math.ceil(spec.total_tokens / (spec.global_batch * spec.seq_len)))


class TrainingJob(Job):
    """A training run in the simulated cluster."""

    kind = "training"

    def __init__(
        self, job_id: int, spec: TrainingSpec, model: TransformerModel, index: int, where: str
    ) -> None:
        super().__init__(
            job_id,
            spec.name,
            num_gpus=spec.num_gpus,
            submit_s=spec.submit_at_hours * 3600.0,
            tenant=spec.tenant,
            priority=spec.priority,
            pool=spec.pool,
        )
        self.spec = spec
        self.model = model
        self.index = index
        self.where = where
        self.total_steps = total_steps(spec)
        params = float(total_params(model))
        state_bytes = CHECKPOINT_BYTES_PER_PARAM * params
        self.ckpt_bytes = state_bytes * (LORA_CHECKPOINT_FRACTION if spec.mode == "lora" else 1.0)
        p = spec.parallelism
        model_parallel = p.tp * p.pp * p.cp
        dp = spec.num_gpus // model_parallel
        grad_per_gpu = GRADIENT_BYTES_PER_PARAM * params / (p.tp * p.pp)
        self.cross_pod_bytes_per_step = (
            model_parallel * 2.0 * (dp - 1) / dp * grad_per_gpu if dp > 1 else 0.0
        )
        """bytes each spanned pod's uplink carries per step: one ring edge per model-parallel
        rank leaves the pod, carrying what a ring all-reduce sends per GPU"""
        self.dataset_bytes = (spec.dataset_tb or 0.0) * 1e12
        self.ckpt_tier: StorageTier | None = None
        self.data_tier: StorageTier | None = None
        # per placement
        self.placement: Placement | None = None
        self.step_s = float("nan")
        self.compute_fraction = 1.0
        self.nominal_step_s = float("nan")
        self.ckpt_every = 0
        self.interval_s = float("inf")
        self.tokens_per_step = spec.global_batch * spec.seq_len
        self.ideal_step_s = float("nan")
        """a step's model FLOPs at the GPUs' peak dense rate (the perf model's own count):
        MFU is this over the step time achieved"""
        # progress (the phase, set through `enter`, starts as the base class's "pending")
        self.steps = 0.0
        self.committed = 0
        self.target = 0
        self.rate = 0.0
        self.seg_t = 0.0
        self.throttle = 1.0
        self.fail_token = 0
        self.flows: dict[str, Flow] = {}
        self.async_steps = -1
        self.held_ckpt_b = 0.0
        self.data_demand = 0.0
        self.data_held = False
        self.fail_rng: Any = None
        self.uplinks: list = []
        self.fabric_flow: Flow | None = None
        """this placement's cross-pod flow, paused for checkpoints and resumed, not rebuilt"""
        self.onprem_only = spec.onprem_only

    @property
    def tensor_parallel(self) -> int:
        return self.spec.parallelism.tp

    # ------------------------------------------------------------------ start / restart
    def claim_storage(self, host: JobHost) -> None:
        """Book the dataset on its tier for as long as the job is placed (once booked, kept)."""
        if self.data_tier is not None and not self.data_held:
            self.data_held = self.data_tier.reserve(self.dataset_bytes)
            if not self.data_held:
                host.recorder.event(
                    host.now,
                    "storage_full",
                    self.id,
                    self.name,
                    -1,
                    self.dataset_bytes,
                    self.data_tier.id,
                )

    def start(self, sim: JobHost) -> None:
        self.placement = sim.placement_of(self)
        self.fabric_flow = None
        if sim.fabric is not None and self.placement.pods > 1:
            self.uplinks = sim.fabric.uplinks_of(self.alloc, self.pods)
        st = sim.step_time_for(self, self.placement)
        self.step_s, self.compute_fraction = st.step_s, st.compute_fraction
        self.ideal_step_s = st.ideal_step_s
        if math.isnan(self.nominal_step_s):
            self.nominal_step_s = self.step_s
            if self.dataset_bytes:
                self.data_demand = self.dataset_bytes / (self.total_steps * self.step_s)
        self._plan_checkpoints(sim)
        self._arm_failure(sim)
        self.steps = float(self.committed)
        if self.committed > 0:
            self._restore(sim)
        else:
            self._compute(sim)

    def _plan_checkpoints(self, sim: JobHost) -> None:
        policy = self.spec.checkpoint.policy
        self.ckpt_every, self.interval_s = 0, float("inf")
        if policy == "none" or self.ckpt_tier is None:
            return
        if policy == "fixed":
            self.interval_s = self.spec.checkpoint.interval_minutes * 60.0  # type: ignore[operator]
        else:
            rate = sim.failure_rate_per_gpu_s * self.num_gpus
            if rate <= 0:
                return
            write_s = self.ckpt_tier.write_s(self.ckpt_bytes, len(self.alloc))
            self.interval_s = math.sqrt(2.0 * (1.0 / rate) * write_s)
        self.ckpt_every = max(1, round(self.interval_s / self.step_s))

    def _arm_failure(self, sim: JobHost) -> None:
        self.fail_token += 1
        rate = sim.failure_rate_per_gpu_s * self.num_gpus
        if rate > 0:
            sim.at(self.fail_rng.exponential(1.0 / rate), self._fail, sim, self.fail_token)

    # ------------------------------------------------------------------ phases
    def _restore(self, sim: JobHost) -> None:
        self.enter("restore", sim.now)
        sim.power.set_job(self, sim.power.pools[self.pool_index].state_dyn_w["stalled"], False)
        tier = self.ckpt_tier
        assert tier is not None
        self.token += 1
        token = self.token
        flow = Flow(
            [tier.read],
            cap=tier.client_read_bps * len(self.alloc),
            size=self.ckpt_bytes,
            on_done=lambda f: self._restored(sim, token),
            owner=self,
        )
        self.flows["restore"] = flow
        sim.storage.network.start(flow)

    def _restored(self, sim: JobHost, token: int) -> None:
        self.flows.pop("restore", None)
        if token != self.token:
            return
        sim.recorder.event(sim.now, "restore", self.id, self.name, -1, float(self.committed))
        self._compute(sim)

    def _compute(self, sim: JobHost) -> None:
        self.enter("compute", sim.now)
        self.seg_t = sim.now
        self.throttle = sim.power.throttle
        if self.data_demand > 0 and self.data_tier is not None and "data" not in self.flows:
            tier = self.data_tier
            self.flows["data"] = Flow(
                [tier.read],
                cap=min(self.data_demand, tier.client_read_bps * len(self.alloc)),
                on_rate=lambda f: self._rerated(sim),
                owner=self,
            )
            sim.storage.network.start(self.flows["data"])
        if (
            self.cross_pod_bytes_per_step > 0
            and sim.fabric is not None
            and "fabric" not in self.flows
            and self.placement is not None
            and self.placement.pods > 1
        ):
            if self.fabric_flow is None:
                self.fabric_flow = Flow(
                    self.uplinks,
                    cap=self.cross_pod_bytes_per_step / self.step_s,
                    on_rate=lambda f: self._rerated(sim),
                    owner=self,
                )
            self.flows["fabric"] = self.fabric_flow
            sim.fabric.network.start(self.fabric_flow)
        self._plan_segment(sim)

    def speed(self) -> float:
        """Fraction of full step rate data loading and the fabric allow."""
        s = 1.0
        data = self.flows.get("data")
        if data is not None and self.data_demand > 0:
            s = min(s, data.rate / self.data_demand)
        fabric = self.flows.get("fabric")
        if fabric is not None:
            s = min(s, fabric.rate * self.step_s / self.cross_pod_bytes_per_step)
        return s

    def _plan_segment(self, sim: JobHost) -> None:
        speed = self.speed()
        pp = sim.power.pools[self.pool_index]
        dyn = pp.state_dyn_w
        running = (
            self.compute_fraction * dyn["compute"]
            + (1 - self.compute_fraction) * dyn["communicate"]
        )
        sim.power.set_job(self, speed * running + (1 - speed) * dyn["stalled"], True)
        self.throttle = sim.power.throttle
        self.rate = speed * self.throttle / self.step_s
        k = self.ckpt_every
        nxt = (math.floor(self.steps + 1e-9) // k + 1) * k if k else self.total_steps
        self.target = min(nxt, self.total_steps)
        self.token += 1
        if self.rate > 0:
            sim.at((self.target - self.steps) / self.rate, self._boundary, sim, self.token)

    def settle(self, now: float) -> None:
        if self.phase == "compute":
            self.steps = min(self.target, self.steps + (now - self.seg_t) * self.rate)
            self.seg_t = now

    def apply_throttle(self, sim: JobHost, throttle: float) -> None:
        if self.phase == "compute":
            self._plan_segment(sim)

    def _rerated(self, sim: JobHost) -> None:
        if self.phase == "compute" and self.state == "running":
            self.settle(sim.now)
            self._plan_segment(sim)

    def _boundary(self, sim: JobHost, token: int) -> None:
        if token != self.token:
            return
        self.settle(sim.now)
        self.steps = float(self.target)
        if self.target >= self.total_steps:
            self._stop_flows(sim, ("data", "fabric", "write"))
            self.enter("done", sim.now)
            sim.finish_job(self)
            return
        self._checkpoint(sim)

    def _checkpoint(self, sim: JobHost) -> None:
        tier = self.ckpt_tier
        assert tier is not None
        asynchronous = self.spec.checkpoint.asynchronous
        if asynchronous and "write" in self.flows:
            sim.recorder.event(
                sim.now,
                "checkpoint_skipped",
                self.id,
                self.name,
                -1,
                self.steps,
                "previous write in flight",
            )
            self._plan_segment(sim)
            return
        if not tier.reserve(self.ckpt_bytes):
            sim.recorder.event(
                sim.now, "checkpoint_skipped", self.id, self.name, -1, self.steps, f"{tier.id} full"
            )
            self._plan_segment(sim)
            return
        snapshot = int(self.steps)
        mark_s = self.compute_wall_s(sim.now)  # the compute seconds this checkpoint saves
        self.token += 1
        token = self.token
        write = Flow(
            [tier.write],
            cap=tier.client_write_bps * len(self.alloc),
            size=self.ckpt_bytes,
            on_done=lambda f: self._written(sim, snapshot, mark_s, token, f),
            owner=self,
        )
        self.flows["write"] = write
        if asynchronous:
            self.async_steps = snapshot
            sim.storage.network.start(write)
            self._plan_segment(sim)
        else:
            self._stop_flows(sim, ("data", "fabric"))
            self.enter("checkpoint", sim.now)
            sim.power.set_job(self, sim.power.pools[self.pool_index].state_dyn_w["stalled"], False)
            sim.storage.network.start(write)

    def _written(self, sim: JobHost, snapshot: int, mark_s: float, token: int, flow: Flow) -> None:
        if self.flows.get("write") is flow:
            del self.flows["write"]
        tier = self.ckpt_tier
        assert tier is not None
        tier.free(self.held_ckpt_b)  # the previous checkpoint can go
        self.held_ckpt_b = self.ckpt_bytes
        self.committed = snapshot
        self.keep_work(mark_s)
        self.checkpoints += 1
        sim.recorder.event(sim.now, "checkpoint", self.id, self.name, -1, float(snapshot))
        if not self.spec.checkpoint.asynchronous and token == self.token:
            self._compute(sim)

    def _stop_flows(self, sim: JobHost, names: tuple[str, ...]) -> None:
        for name in names:
            flow = self.flows.pop(name, None)
            if flow is None:
                continue
            network = sim.fabric.network if name == "fabric" else sim.storage.network  # type: ignore[union-attr]
            network.stop(flow)
            if name == "write" and self.ckpt_tier is not None:
                self.ckpt_tier.free(self.ckpt_bytes)

    # ------------------------------------------------------------------ interruptions
    def _lose_work(self, sim: JobHost) -> float:
        """Back to the last committed checkpoint; returns the wall seconds of compute lost."""
        self.settle(sim.now)
        self._stop_flows(sim, ("data", "fabric", "write", "restore"))
        lost = self.discard_work(sim.now)
        self.steps = float(self.committed)
        self.token += 1
        return lost

    def _fail(self, sim: JobHost, token: int) -> None:
        if token != self.fail_token or self.state != "running":
            return
        self.fail_token += 1
        lost = self._lose_work(sim)
        cause = sim.draw_cause(self.fail_rng)
        node = self.alloc[int(self.fail_rng.integers(len(self.alloc)))][0]
        self.failures += 1
        sim.recorder.event(sim.now, "failure", self.id, self.name, node, lost, cause.name)
        self.enter("down", sim.now)  # detection, then restart: `restarting_s`
        sim.power.set_job(self, 0.0, False)
        if cause.takes_node_out:
            sim.node_failed(node, cause, self)
        sim.at(DETECTION_S + RESTART_S, self._restart, sim, self.token)

    def _restart(self, sim: JobHost, token: int) -> None:
        if token != self.token or self.state != "running":
            return
        if self.held_gpus < self.num_gpus and not sim.replace_lost_gpus(self):
            sim.requeue(self, "no replacement node")
            return
        self.start(sim)

    def stop(self, sim: JobHost, reason: str) -> float:
        self.fail_token += 1
        lost = self._lose_work(sim)
        self.enter("waiting", sim.now)
        return lost

    def finish_cleanup(self) -> None:
        """Free the job's checkpoint and dataset bookings once it is done."""
        if self.ckpt_tier is not None:
            self.ckpt_tier.free(self.held_ckpt_b)
        self.held_ckpt_b = 0.0
        if self.data_tier is not None and self.data_held:
            self.data_tier.free(self.dataset_bytes)
            self.data_held = False

    # ------------------------------------------------------------------ accounting
    def estimate_s(self) -> float:
        step = self.step_s if not math.isnan(self.step_s) else 0.0
        remaining = max(0.0, self.total_steps - self.steps) * step
        if self.ckpt_every and self.ckpt_tier is not None and self.alloc:
            writes = remaining / max(self.interval_s, 1e-9)
            remaining += writes * self.ckpt_tier.write_s(self.ckpt_bytes, len(self.alloc))
        return remaining

    def useful_s(self) -> float:
        done = self.total_steps if self.state == DONE else self.steps
        nominal = self.nominal_step_s if not math.isnan(self.nominal_step_s) else 0.0
        return done * nominal

    def cloud_run_s(self, pool: Pool, host: StepTimes) -> float:
        """All steps at the step time of the ideal placement on the pool's hardware."""
        ideal = Placement.packed(pool.name, self.num_gpus, pool.gpus_per_node, pool.nodes_per_pod)
        st = host.step_time_for(self, ideal)
        self.step_s = self.nominal_step_s = st.step_s
        self.ideal_step_s = st.ideal_step_s
        return self.total_steps * self.step_s

    def account_cloud(self, elapsed_s: float) -> None:
        self.steps = min(float(self.total_steps), elapsed_s / self.step_s)

    def extra_record(self) -> dict[str, Any]:
        return {
            "total_steps": self.total_steps,
            "steps_done": float(self.total_steps if self.state == DONE else self.steps),
            "step_time_s": self.nominal_step_s,
            "checkpoint_interval_s": self.interval_s,
            "tokens_per_step": self.tokens_per_step,
            "ideal_step_s": self.ideal_step_s,
            "deadline_s": (
                self.submit_s + self.spec.deadline_hours * 3600.0
                if self.spec.deadline_hours is not None
                else float("nan")
            ),
        }
