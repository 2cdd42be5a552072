"""IT and facility power from what every GPU is doing; energy; the facility power cap.

A GPU draws power according to its utilization state (`STATE_UTILIZATION`), read off the GPU
profile's `power_curve` or, without one, a straight line from `idle_power_w` to `tdp_w`. A node
adds its overhead (CPU, NICs, fans, switches): `overhead_idle_power_w` when idle, rising to
`overhead_power_w` in proportion to its allocated GPUs. Nodes out for repair draw nothing.

Total IT power is kept incrementally: the all-idle baseline plus, per running job, a static
part (its GPUs' share of node overhead) and a dynamic part (GPU power above idle). Energy is
the integral of that step function, settled whenever it changes, so the recorded timeline
integrates exactly to the reported energy. Facility power is IT power x PUE.

A facility cap is enforced either by admission (a job starts only if the cluster stays under
the cap with it computing flat out) or by throttling: when demand exceeds the cap every job's
dynamic power and speed are scaled by the same factor f = (cap - static) / dynamic. Speed is
taken as linear in dynamic power, which is conservative: real DVFS saves power faster than it
loses speed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.engine.cluster import Cluster, Pool
from simulator.schema.gpu import GpuProfile
from simulator.schema.node import NodeProfile

STATE_UTILIZATION: dict[str, float] = {
    "idle": 0.0,
    "compute": 1.0,
    "communicate": 0.3,
    "stalled": 0.1,
}
"""Utilization used to read GPU power for each state. Compute is flat-out tensor work; a GPU
running only collectives keeps memory and some SMs busy (0.3); a stalled GPU (waiting on a
checkpoint, a restore or data) idles at full clocks with its memory resident (0.1).
Assumptions, chosen so a training step lands between the idle and TDP figures of the profile."""

MIN_THROTTLE = 0.01
"""Throttling never stops jobs outright."""


def gpu_power_w(gpu: GpuProfile, utilization: float) -> float:
    """GPU board power at `utilization` (0..1): the profile's curve, else linear idle->TDP."""
    if gpu.power_curve:
        us = [p.utilization for p in gpu.power_curve]
        ws = [p.power_w for p in gpu.power_curve]
        if us[0] > 0:
            us.insert(0, 0.0)
            ws.insert(0, gpu.idle_power_w)
        return float(np.interp(utilization, us, ws))
    return gpu.idle_power_w + utilization * (gpu.tdp_w - gpu.idle_power_w)


@dataclass(frozen=True)
class PoolPower:
    """Per-GPU power figures of one pool, watts."""

    gpu_idle_w: float
    state_dyn_w: dict[str, float]
    """GPU power above idle, per state"""
    overhead_idle_per_gpu_w: float
    overhead_busy_per_gpu_w: float
    node_idle_w: float
    node_peak_w: float

    @classmethod
    def of(cls, pool: Pool) -> PoolPower:
        """Figures for `pool`'s node and GPU profiles."""
        return cls.of_hardware(pool.node, pool.gpu)

    @classmethod
    def of_hardware(cls, node: NodeProfile, gpu: GpuProfile) -> PoolPower:
        """Figures for a node and its GPU (what the sweep's bounds read without a cluster)."""
        gpn = node.gpus_per_node
        idle = gpu_power_w(gpu, 0.0)
        dyn = {s: gpu_power_w(gpu, u) - idle for s, u in STATE_UTILIZATION.items()}
        return cls(
            gpu_idle_w=idle,
            state_dyn_w=dyn,
            overhead_idle_per_gpu_w=node.overhead_idle_power_w / gpn,
            overhead_busy_per_gpu_w=node.overhead_power_w / gpn,
            node_idle_w=gpn * idle + node.overhead_idle_power_w,
            node_peak_w=gpn * (idle + dyn["compute"]) + node.overhead_power_w,
        )


class Power:
    """Cluster power, energy, and the cap."""

    def __init__(
        self,
        cluster: Cluster,
        *,
        pue: float,
        cap_w: float | None,
        enforcement: str,
        clock: Callable[[], float],
    ) -> None:
        self.cluster = cluster
        self.pue = pue
        self.cap_w = cap_w
        self.throttling = cap_w is not None and enforcement == "throttle"
        self.admission = cap_w is not None and enforcement == "admission"
        self.clock = clock
        self.pools = [PoolPower.of(p) for p in cluster.pools]
        self.baseline_w = sum(
            pp.node_idle_w * p.count for pp, p in zip(self.pools, cluster.pools, strict=True)
        )
        self.static_w = 0.0
        """sum over running jobs of their overhead above the idle baseline"""
        self.dynamic_w = 0.0
        """sum over running jobs of GPU power above idle, unthrottled"""
        self.busy_gpus = 0
        self.throttle = 1.0
        self.energy_j = 0.0
        self.peak_it_w = self.baseline_w
        self._t = 0.0
        self.on_throttle: Callable[[float], Any] | None = None

    @property
    def it_w(self) -> float:
        """IT power now."""
        return self.baseline_w + self.static_w + self.throttle * self.dynamic_w

    def _settle(self) -> None:
        now = self.clock()
        if now > self._t:
            self.energy_j += self.it_w * (now - self._t)
            self._t = now

    def settle_job(self, job: Any) -> None:
        """Add a job's energy since its last change."""
        now = self.clock()
        job.energy_j += (job.static_w + job.base_w + self.throttle * job.dyn_w) * (
            now - job.power_t
        )
        job.power_t = now

    def set_job(self, job: Any, dyn_per_gpu_w: float, busy: bool) -> None:
        """A running job's GPUs now draw `dyn_per_gpu_w` above idle (unthrottled)."""
        self._settle()
        self.settle_job(job)
        g = job.num_gpus
        pp = self.pools[job.pool_index]
        if not job.powered:
            job.powered = True
            job.base_w = g * (pp.gpu_idle_w + pp.overhead_idle_per_gpu_w)
            job.static_w = g * (pp.overhead_busy_per_gpu_w - pp.overhead_idle_per_gpu_w)
            self.static_w += job.static_w
        self.dynamic_w += g * dyn_per_gpu_w - job.dyn_w
        job.dyn_w = g * dyn_per_gpu_w
        if busy != job.busy:
            self.busy_gpus += g if busy else -g
            job.busy = busy
        self._after_change()

    def clear_job(self, job: Any) -> None:
        """A job released its GPUs: they fall back to the idle baseline."""
        if not job.powered:
            return
        self._settle()
        self.settle_job(job)
        self.static_w -= job.static_w
        self.dynamic_w -= job.dyn_w
        if job.busy:
            self.busy_gpus -= job.num_gpus
        job.powered = job.busy = False
        job.static_w = job.dyn_w = job.base_w = 0.0
        self._after_change()

    def node_out(self, pool_index: int) -> None:
        """A node stops drawing power (out for repair)."""
        self._settle()
        self.baseline_w -= self.pools[pool_index].node_idle_w
        self._after_change()

    def node_back(self, pool_index: int) -> None:
        """A repaired node draws idle power again."""
        self._settle()
        self.baseline_w += self.pools[pool_index].node_idle_w
        self._after_change()

    def admits(self, pool_index: int, gpus: int) -> bool:
        """Admission control: would the cap hold with this job computing flat out?"""
        if not self.admission:
            return True
        pp = self.pools[pool_index]
        extra = gpus * (
            pp.overhead_busy_per_gpu_w - pp.overhead_idle_per_gpu_w + pp.state_dyn_w["compute"]
        )
        return self.baseline_w + self.static_w + self.dynamic_w + extra <= self.cap_w * (1 + 1e-12)

    def _after_change(self) -> None:
        if self.throttling:
            static = self.baseline_w + self.static_w
            if static + self.dynamic_w <= self.cap_w or self.dynamic_w <= 0:
                f = 1.0
            else:
                f = max(MIN_THROTTLE, (self.cap_w - static) / self.dynamic_w)
            if f != self.throttle and self.on_throttle is not None:
                self.on_throttle(f)  # settles jobs at the old factor, then calls set_throttle
            elif f != self.throttle:
                self.throttle = f
        it = self.it_w
        if it > self.peak_it_w:
            self.peak_it_w = it

    def set_throttle(self, f: float) -> None:
        """Switch to throttle factor `f` (callers settle job progress and energy first)."""
        self._settle()
        self.throttle = f
        it = self.it_w
        if it > self.peak_it_w:
            self.peak_it_w = it

    def finish(self) -> None:
        """Settle energy up to now (end of the run)."""
        self._settle()
