"""Inference services inside a scenario run: built from `workloads.inference_services`.

Each service's replicas are cluster jobs (`cluster_host`), its traffic is drawn from the
`arrivals` random stream (one index per service, after the synthetic job sources), its
weights load from the named storage tier, and its records join the run's `meta["serving"]`
for `simulator.results` to tabulate.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from simulator.engine.serving.arrivals import request_stream
from simulator.engine.serving.autoscaler import cold_start_s
from simulator.engine.serving.cluster_host import ClusterHost
from simulator.engine.serving.costs import service_costs
from simulator.engine.serving.metrics import request_columns, service_summary
from simulator.engine.serving.service import ServiceRuntime
from simulator.errors import InputError, Problem
from simulator.perf.hardware import JobHardware
from simulator.perf.topology import group_from_profiles

if TYPE_CHECKING:
    from simulator.engine.clock import Clock
    from simulator.engine.cluster import Cluster
    from simulator.engine.hosts import JobSink
    from simulator.engine.inputs import RunInputs
    from simulator.engine.step_time import PoolHardware
    from simulator.engine.storage import Storage


ARRIVAL_STREAM_OFFSET = 1_000_000
"""Services draw from `arrivals` streams at this index and up, clear of job sources."""


def _hardware(hw: PoolHardware, gpus: int) -> JobHardware:
    node_gpus = hw.node.gpus_per_node
    group = group_from_profiles(
        hw.gpu,
        num_gpus=max(gpus, 2),
        gpus_per_node=min(max(gpus, 2), node_gpus),
        gpus_per_nvlink_domain=hw.node.gpus_per_nvlink_domain,
        scale_up=hw.scale_up,
        scale_out=hw.scale_out,
        nics_per_node=hw.nics_per_node,
        node_gpus=node_gpus,
        oversubscription=hw.oversubscription,
    )
    return JobHardware(gpu=hw.gpu, job_group=group.subgroup(gpus), node_id=hw.node.id)


def build_services(
    clock: Clock,
    sink: JobSink,
    inputs: RunInputs,
    *,
    cluster: Cluster,
    storage: Storage,
    pool_hardware: dict[str, PoolHardware],
    horizon_s: float,
    problems: list[Problem],
) -> list[ServiceRuntime]:
    """One runtime per inference service; problems are appended (nothing raised).

    Replicas are jobs handed to `sink`; the services' traffic draws from `clock`'s streams.
    """
    services = []
    host = ClusterHost(clock, sink)
    file = str(inputs.path)
    for i, spec in enumerate(inputs.scenario.workloads.inference_services):
        where = f"workloads.inference_services[{i}]"
        pool = cluster.pool_by_name[spec.pool] if spec.pool else cluster.pools[0]
        gpus = spec.tp * spec.pp
        if gpus > pool.total_gpus:
            problems.append(
                Problem(
                    file,
                    f"{where}.tp",
                    f"a replica needs {gpus} GPUs; pool {pool.name} has {pool.total_gpus}",
                )
            )
            continue
        tier = None
        if storage.tiers:
            tier = storage.for_role("dataset", spec.weights_storage)
            if tier is None and spec.weights_storage is not None:
                problems.append(
                    Problem(
                        file,
                        f"{where}.weights_storage",
                        f"{spec.weights_storage!r} is not a storage tier of the cluster",
                    )
                )
                continue
        try:
            model = inputs.world.models[spec.name]
            costs = service_costs(
                spec, model, _hardware(pool_hardware[pool.name], gpus), file=file, where=where
            )
            stream = request_stream(
                spec.traffic,
                clock.streams.get("arrivals", ARRIVAL_STREAM_OFFSET + i),
                horizon_s,
                trace_path=(
                    inputs.resolve_path(spec.traffic.trace_path, f"{where}.traffic.trace_path")
                    if spec.traffic.trace_path
                    else None
                ),
                where=f"{where}.traffic",
                file=file,
            )
        except InputError as exc:
            problems += exc.problems
            continue
        startup = spec.autoscaling.startup_s if spec.autoscaling else 0.0
        nodes = math.ceil(gpus / pool.gpus_per_node)
        services.append(
            ServiceRuntime(
                spec,
                iteration=costs.iteration,
                kv_tokens=costs.kv_tokens,
                stream=stream,
                clock=clock,
                host=host,
                kv_transfer_s_per_token=costs.kv_transfer_s_per_token,
                swap_s_per_token=costs.swap_s_per_token,
                cold_start_s=cold_start_s(
                    costs.weights_bytes, nodes, tier.profile if tier else None, startup
                ),
                stop_when_done=False,
            )
        )
    return services


def serving_records(services: list[ServiceRuntime], now: float) -> dict[str, Any]:
    """Per service: summary, request columns and timeline rows, for `simulator.results`."""
    out = {}
    for svc in services:
        svc.settle(now)
        columns = request_columns(svc)
        out[svc.name] = {
            "summary": service_summary(
                svc, columns, duration_s=now, gpu_seconds=svc.host.gpu_seconds(svc)
            ),
            "requests": columns,
            "timeline": svc.timeline,
        }
    return out
