"""The one place the engine asks the performance model how long a training step takes.

The engine describes a placement (`Placement`: pool, GPUs per node, pods spanned, whether
tensor-parallel groups stay inside an NVLink domain) and gets a `StepTime` back. The default
`PerfStepTime` builds the hardware description for that placement and calls
`simulator.perf.training.estimate_training`, memoised in an LRU cache keyed on (model,
parallelism, batch, GPU, node, fabric, placement shape): a job that restarts on an equivalent
placement costs a dictionary lookup.

Tests and studies may pass any callable with the same signature to `Simulation(step_time=...)`
(e.g. `fixed_step_time(10.0)`), which keeps engine tests independent of the performance model.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING

from simulator.errors import InputError, Problem
from simulator.perf.hardware import JobHardware
from simulator.perf.memory import GIB, usable_memory_bytes
from simulator.perf.topology import group_from_profiles
from simulator.perf.training import TrainingJob as PerfJob
from simulator.perf.training import estimate_training, training_job
from simulator.schema.gpu import GpuProfile
from simulator.schema.interconnect import InterconnectProfile
from simulator.schema.model import TransformerModel
from simulator.schema.node import NodeProfile
from simulator.schema.scenario import TrainingJob

if TYPE_CHECKING:
    from simulator.engine.cluster import Cluster

COMPUTE_KEYS = ("compute", "optimizer")
"""Step-time breakdown entries during which the GPU computes; the rest is communication or
pipeline bubble (used to set GPU power while a job runs)."""


@dataclass(frozen=True)
class Placement:
    """What the step-time model needs to know about where a job landed."""

    pool: str
    num_gpus: int
    gpus_per_node: int
    nodes: int
    pods: int
    tp_in_domain: bool = True

    @classmethod
    def packed(cls, pool: str, num_gpus: int, gpus_per_node: int, nodes_per_pod: int) -> Placement:
        """The best placement a pool allows: whole nodes filled first, pods filled in turn.

        What a job's step time is checked against before it runs, and what a job that bursts
        to the cloud is assumed to get there.
        """
        nodes = math.ceil(num_gpus / gpus_per_node)
        return cls(
            pool=pool,
            num_gpus=num_gpus,
            gpus_per_node=min(num_gpus, gpus_per_node),
            nodes=nodes,
            pods=math.ceil(nodes / nodes_per_pod),
        )


@dataclass(frozen=True)
class StepTime:
    """One training step on one placement."""

    step_s: float
    compute_fraction: float = 1.0
    """share of the step the GPUs spend computing (the rest: communicating or waiting)"""
    fits_in_memory: bool = True
    memory_per_gpu_gib: float | None = None
    """what the job holds on its busiest GPU (the least it can, when it does not fit)"""
    usable_memory_gib: float | None = None
    """what one GPU of the placement offers a job (its memory less the runtime's reserve)"""
    ideal_step_s: float = math.nan
    """the step's model FLOPs at the GPUs' peak dense FLOP/s for the job's precision (the
    performance model's FLOP count): MFU = ideal_step_s / the step time achieved"""


StepTimeFn = Callable[[TrainingJob, TransformerModel, Placement], StepTime]
"""(job spec, resolved model, placement) -> StepTime."""


def fixed_step_time(
    step_s: float, compute_fraction: float = 1.0, mfu: float = math.nan
) -> StepTimeFn:
    """A step-time function that ignores the hardware (for tests and what-ifs); `mfu` is the
    model FLOP utilisation of that step (NaN: unknown)."""

    def step_time(job: TrainingJob, model: TransformerModel, where: Placement) -> StepTime:
        return StepTime(step_s=step_s, compute_fraction=compute_fraction, ideal_step_s=mfu * step_s)

    return step_time


@dataclass(frozen=True)
class PoolHardware:
    """A pool's node, GPU and links, as the performance model reads them."""

    node: NodeProfile
    gpu: GpuProfile
    scale_up: InterconnectProfile | None
    scale_out: InterconnectProfile | None
    nics_per_node: int
    oversubscription: float


class PerfStepTime:
    """Step times from `simulator.perf.training`, cached per (job shape, hardware, placement)."""

    def __init__(self, pools: dict[str, PoolHardware], cache_size: int = 1024) -> None:
        self.pools = pools
        self._estimate = functools.lru_cache(maxsize=cache_size)(self._uncached)

    def __call__(self, job: TrainingJob, model: TransformerModel, where: Placement) -> StepTime:
        perf_job = training_job(job, model)
        return self._estimate(
            perf_job, where.pool, where.gpus_per_node, where.pods > 1, where.tp_in_domain
        )

    def _uncached(
        self, perf_job: PerfJob, pool: str, gpus_per_node: int, multi_pod: bool, tp_in_domain: bool
    ) -> StepTime:
        hw = self.pools[pool]
        node_gpus = hw.node.gpus_per_node
        domain = (
            hw.node.gpus_per_nvlink_domain
            if tp_in_domain
            else min(hw.node.gpus_per_nvlink_domain, node_gpus)
        )
        group = group_from_profiles(
            hw.gpu,
            num_gpus=perf_job.num_gpus,
            gpus_per_node=min(gpus_per_node, node_gpus),
            gpus_per_nvlink_domain=domain,
            scale_up=hw.scale_up,
            scale_out=hw.scale_out,
            nics_per_node=hw.nics_per_node,
            node_gpus=node_gpus,
            oversubscription=hw.oversubscription if multi_pod else 1.0,
        )
        estimate = estimate_training(perf_job, JobHardware(hw.gpu, group, hw.node.id))
        total = sum(estimate.breakdown.values()) or estimate.step_time_s
        compute = sum(estimate.breakdown.get(k, 0.0) for k in COMPUTE_KEYS)
        return StepTime(
            step_s=estimate.step_time_s,
            compute_fraction=min(1.0, compute / total) if total > 0 else 1.0,
            fits_in_memory=estimate.fits_in_memory,
            memory_per_gpu_gib=estimate.memory_per_gpu_gib,
            usable_memory_gib=usable_memory_bytes(hw.gpu) / GIB,
            ideal_step_s=estimate.mfu * estimate.step_time_s,
        )


def checked_step_time(
    fn: StepTimeFn,
    job: TrainingJob,
    model: TransformerModel,
    where: Placement,
    file: str,
    field: str,
) -> StepTime:
    """Call `fn`, turning performance-model errors into problems naming the scenario field."""
    try:
        result = fn(job, model, where)
    except InputError as exc:
        raise InputError(
            [
                Problem(file, f"{field}.{p.field}" if p.field else field, p.message)
                for p in exc.problems
            ]
        ) from None
    if not result.step_s > 0:
        raise InputError([Problem(file, field, f"step time must be > 0 (got {result.step_s})")])
    if not result.fits_in_memory and not job.allow_oom:
        raise InputError([Problem(file, field, _memory_message(job, where, result))])
    return result


def _memory_message(job: TrainingJob, where: Placement, result: StepTime) -> str:
    """Why the job can never start for want of GPU memory, with the figures when known."""
    pool = f"a GPU of pool {where.pool!r}"
    if result.memory_per_gpu_gib is not None and result.usable_memory_gib is not None:
        short = (
            f"{result.memory_per_gpu_gib:,.1f} GiB per GPU but {pool} has "
            f"{result.usable_memory_gib:,.1f} GiB usable"
        )
    else:
        short = f"more memory than {pool} has"
    return (
        f"does not fit in GPU memory, so training job {job.name!r} can never start: on "
        f"{job.num_gpus} GPUs it needs {short} (with the recomputation asked for; auto tries "
        "up to full); use more GPUs, more model parallelism or more recomputation, "
        "`parallelism: auto`, or `allow_oom: true` to simulate it anyway"
    )


def placement_shape(
    cluster: Cluster,
    pool_index: int,
    alloc: list[tuple[int, int]],
    num_gpus: int,
    tp: int,
    pods: int | None = None,
    sizes: Iterable[int] | None = None,
) -> Placement:
    """The placement shape of GPUs `alloc` (node, GPUs) in `cluster`, for the step-time model.

    `tp` is the job's tensor-parallel group size: its groups stay in one NVLink domain unless
    one straddles two nodes of different domains. `pods` and `sizes` (the distinct GPU counts
    per node), when the caller keeps them, save walks over the allocation.
    """
    pool = cluster.pools[pool_index]
    domain_of = cluster.domain_of
    in_domain = True
    rank = 0
    sizes = set(map(itemgetter(1), alloc)) if sizes is None else set(sizes)
    # with every node holding whole TP groups no group can straddle: skip the walk
    if any(g % tp for g in sizes):
        for (n, g), (m, _) in zip(alloc, alloc[1:], strict=False):
            rank += g
            # a TP group straddles nodes n and m unless a group boundary falls between them
            if rank % tp and domain_of[n] != domain_of[m]:
                in_domain = False
                break
    return Placement(
        pool=pool.name,
        num_gpus=num_gpus,
        gpus_per_node=max(sizes),
        nodes=len(alloc),
        pods=cluster.pods_of(alloc) if pods is None else pods,
        tp_in_domain=in_domain,
    )
