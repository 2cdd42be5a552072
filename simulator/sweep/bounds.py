"""Analytical bounds on a point's figures, computed in milliseconds without simulating it.

A search grid is mostly hopeless configurations (too few GPUs to meet the deadline); the
performance model rules them out before the simulator spends seconds on each.

`time_to_train_h.<job>` is at least its steps times the step time on the best placement the
job could get (packed on the fewest nodes of one pod, tensor-parallel groups inside an NVLink
domain, on the fastest pool it may use): the simulation only adds to that (queueing, failures
and lost work, checkpoint stalls, power throttling, data and fabric contention, none of which
speeds a step up). `time_to_train_h` (the slowest job) is at least the largest of them.
`total_gpus` is known exactly. Cost figures (`costs.options.<option>...`) are bounded from the
same per-pool step times by `cost_bounds`.
"""

from __future__ import annotations

import math
from collections.abc import Collection

from simulator.engine.build import pool_hardware
from simulator.engine.step_time import PerfStepTime, Placement, StepTimeFn, checked_step_time
from simulator.engine.training import total_steps
from simulator.perf.scenario_layout import resolve_scenario_layouts
from simulator.scenario import LoadedScenario
from simulator.sweep.cost_bounds import cost_bounds

Bounds = dict[str, tuple[float, float]]
"""figure -> (lowest, highest) value the figure can take at this point."""


def training_floor_by_pool(
    step_time: StepTimeFn, loaded: LoadedScenario, index: int
) -> dict[str, float]:
    """Fewest seconds training job `index` computes (holding its GPUs) on each pool it fits.

    Raises:
        InputError: the job cannot run on a pool it may use (e.g. it does not fit in memory).
    """
    job = loaded.scenario.workloads.training_jobs[index]
    model = loaded.models[job.name]
    floors: dict[str, float] = {}
    for pool in loaded.scenario.cluster.pools:
        if job.pool not in (None, pool.name):
            continue
        per_node = loaded.pool_nodes[pool.name].gpus_per_node
        if job.num_gpus > pool.count * per_node:
            continue
        where = Placement(
            pool=pool.name,
            num_gpus=job.num_gpus,
            gpus_per_node=min(job.num_gpus, per_node),
            nodes=math.ceil(job.num_gpus / per_node),
            pods=1,
            tp_in_domain=True,
        )
        step = checked_step_time(
            step_time,
            job,
            model,
            where,
            str(loaded.path),
            f"workloads.training_jobs[{index}]",
        )
        floors[pool.name] = total_steps(job) * step.step_s
    return floors


def analytical_bounds(loaded: LoadedScenario, finished: Collection[str] = ()) -> Bounds:
    """Bounds on the figures the performance model can speak for at this point.

    `finished` names training jobs whose GPU-hours the cost bounds may count (see
    `cost_bounds`): only jobs every run that matters finishes.

    No Simulation is built: the step times come from the World's pool hardware, as the
    engine's own would. A point the engine rejects for other reasons is simulated (and marked
    invalid) by the worker.

    Raises:
        InputError: a job cannot run on a pool it may use (e.g. it does not fit in memory).
    """
    resolve_scenario_layouts(loaded.scenario, loaded.world, str(loaded.path))
    hardware, _ = pool_hardware(loaded.world, loaded.scenario.cluster.fabric.oversubscription)
    step_time = PerfStepTime(hardware)  # what the engine would time steps with
    inf = math.inf
    bounds: Bounds = {"total_gpus": (float(loaded.total_gpus), float(loaded.total_gpus))}
    lows = []
    floors = {}
    for index, job in enumerate(loaded.scenario.workloads.training_jobs):
        floors[job.name] = training_floor_by_pool(step_time, loaded, index)
        low_h = min(floors[job.name].values(), default=inf) / 3600.0
        bounds[f"time_to_train_h.{job.name}"] = (low_h, inf)
        lows.append(low_h)
    if lows:
        bounds["time_to_train_h"] = (max(lows), inf)
    for figure, usd in cost_bounds(loaded, floors, finished).items():
        bounds[figure] = (usd, inf)
    return bounds
