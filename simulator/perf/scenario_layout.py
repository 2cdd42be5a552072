"""A scenario's `parallelism: auto` training jobs, given their concrete layout once.

The search (`auto_layout`) runs on the hardware the job would get at best: its pool (the first
pool with enough GPUs when it names none), packed on the fewest nodes, as the engine's
`PerfStepTime` builds it for `Placement.packed`. The job is then replaced by the same job with
that layout written out (`layout: given`), so the engine, the sweep's bounds, the report and a
later `estimate training` all read one concrete layout, and a placement the job lands on later
(a degraded one after a failure) changes its step time, never its layout.

The scenario loader sits below the performance model (`lint-imports`), so it cannot call the
search itself; the Simulation and the sweep's bounds call `resolve_scenario_layouts` before
they read a job. It is idempotent: a resolved job says `layout: given`.
"""

from __future__ import annotations

import math

from simulator.errors import InputError, Problem
from simulator.perf.auto_layout import auto_layout
from simulator.perf.hardware import JobHardware
from simulator.perf.topology import group_from_profiles
from simulator.schema.scenario import Scenario
from simulator.world import World


def _pool_for(scenario: Scenario, world: World, job_pool: str | None, num_gpus: int) -> str | None:
    for pool in scenario.cluster.pools:
        if job_pool not in (None, pool.name) or pool.name not in world.pools:
            continue
        if pool.count * world.pools[pool.name].node.gpus_per_node >= num_gpus:
            return pool.name
    return None


def packed_hardware(scenario: Scenario, world: World, pool: str, num_gpus: int) -> JobHardware:
    """The hardware of `num_gpus` GPUs of `pool` packed on the fewest nodes (one pod if they
    fit in one), as the engine's step-time model sees that placement."""
    hw = world.pools[pool]
    node_gpus = hw.node.gpus_per_node
    nodes = math.ceil(num_gpus / node_gpus)
    multi_pod = nodes > scenario.cluster.fabric.nodes_per_pod
    group = group_from_profiles(
        hw.gpu,
        num_gpus=num_gpus,
        gpus_per_node=min(num_gpus, node_gpus),
        gpus_per_nvlink_domain=hw.node.gpus_per_nvlink_domain,
        scale_up=hw.scale_up,
        scale_out=hw.scale_out,
        nics_per_node=hw.nics_per_node,
        node_gpus=node_gpus,
        oversubscription=scenario.cluster.fabric.oversubscription if multi_pod else 1.0,
    )
    return JobHardware(hw.gpu, group, hw.node.id)


def resolve_scenario_layouts(scenario: Scenario, world: World, file: str) -> None:
    """Write the automatic layout into every `layout: auto` training job of `scenario`.

    Raises:
        InputError: a job fits no pool, or no layout of it fits in memory, naming its field.
    """
    jobs = scenario.workloads.training_jobs
    problems = []
    for i, job in enumerate(jobs):
        if job.layout != "auto":
            continue
        where = f"workloads.training_jobs[{i}].parallelism"
        pool = _pool_for(scenario, world, job.pool, job.num_gpus)
        if pool is None:
            continue  # the loader already says the job can never start
        hardware = packed_hardware(scenario, world, pool, job.num_gpus)
        try:
            choice = auto_layout(
                world.models[job.name],
                hardware,
                job.num_gpus,
                job.seq_len,
                job.global_batch,
                job.precision,
                base=job,
            )
        except InputError as exc:
            problems += [Problem(file, where, p.message) for p in exc.problems]
            continue
        best = choice.best.execution
        jobs[i] = job.model_copy(
            update={
                "parallelism": best.parallelism,
                "micro_batch": best.micro_batch,
                "layout": "given",
            }
        )
    if problems:
        raise InputError(problems)
