"""One service on its own replicas, without a cluster: the engine behind `estimate serving`.

The replicas' GPUs are simply there (an `UnlimitedHost`; autoscaled ones still pay their cold
start), and the run lasts until every request has finished. The same `ServiceRuntime` and
`Replica` run inside scenario simulations, where the cluster scheduler provides the GPUs.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from typing import Any

import numpy as np

from simulator.engine.serving.arrivals import RequestStream, request_stream
from simulator.engine.serving.autoscaler import cold_start_s
from simulator.engine.serving.costs import service_costs
from simulator.engine.serving.metrics import request_columns, service_summary
from simulator.engine.serving.replica import Replica
from simulator.engine.serving.service import ServiceRuntime
from simulator.perf.hardware import JobHardware
from simulator.schema.model import TransformerModel
from simulator.schema.scenario import InferenceService
from simulator.schema.storage import StorageProfile


class HeapClock:
    """A bare event loop: `at(delay, fn, *args)` on a binary heap, run until it is empty.

    A standalone service needs nothing of SimPy but ordered callbacks, and a heap of tuples
    costs a few microseconds less per event, which is most of a million-request run. Ties
    run in scheduling order, as in SimPy.
    """

    def __init__(self) -> None:
        self._now = 0.0
        self._queue: list[tuple[float, int, Any, tuple]] = []
        self._count = 0
        self._cancelled: set[int] = set()

    @property
    def now(self) -> float:
        """Simulated seconds."""
        return self._now

    def at(self, delay: float, fn: Any, *args: Any) -> int:
        """Call `fn(*args)` after `delay` seconds; a handle for `cancel`."""
        self._count += 1
        heapq.heappush(self._queue, (self._now + delay, self._count, fn, args))
        return self._count

    def cancel(self, handle: int) -> None:
        """Drop a pending call (a handle from `at` that has not run yet)."""
        self._cancelled.add(handle)

    def run(self) -> None:
        """Process events until none is left."""
        queue, pop, cancelled = self._queue, heapq.heappop, self._cancelled
        while queue:
            t, count, fn, args = pop(queue)
            self._now = t
            if cancelled and count in cancelled:
                cancelled.discard(count)
                continue
            fn(*args)


class UnlimitedHost:
    """GPUs on demand; counts the GPU-seconds each replica holds them."""

    def __init__(self, clock: HeapClock) -> None:
        self.clock = clock
        self.held_since: dict[int, float] = {}
        self.gpu_s = 0.0
        self._next = 0

    def provision(self, svc: ServiceRuntime, role: str, warm: bool) -> None:
        key = self._next
        self._next += 1
        self.held_since[key] = self.clock.now
        delay = 0.0 if warm else svc.cold_start_s
        if warm:
            svc.replica_ready(role, key)
        else:
            self.clock.at(delay, svc.replica_ready, role, key)

    def release(self, replica: Replica) -> None:
        since = self.held_since.pop(replica.handle)
        self.gpu_s += (self.clock.now - since) * replica.svc.gpus_per_replica

    def gpu_seconds(self, svc: ServiceRuntime, until: float | None = None) -> float:
        now = self.clock.now if until is None else until
        live = sum(max(0.0, now - t) for t in self.held_since.values())
        return self.gpu_s + live * svc.gpus_per_replica


@dataclass
class ServingRun:
    """A finished standalone run: the summary, per-request columns and the timeline."""

    summary: dict[str, Any]
    requests: dict[str, Any]
    timeline: list[tuple]
    runtime: ServiceRuntime


def simulate_service(
    spec: InferenceService,
    model: TransformerModel,
    hardware: JobHardware,
    *,
    stream: RequestStream | None = None,
    seed: int = 0,
    storage: StorageProfile | None = None,
    horizon_s: float = float("inf"),
) -> ServingRun:
    """Serve `spec`'s traffic (or `stream`) on `spec.replicas` replicas until all finish.

    Args:
        spec: the service (traffic, placement, batching, routing, autoscaling, SLOs).
        model: the resolved transformer.
        hardware: one replica's GPUs and links (`simulator.perf.hardware.job_hardware`).
        stream: requests to serve instead of drawing `spec.traffic`.
        seed: seeds the traffic draw.
        storage: the tier autoscaled replicas load weights from (none: no load time).
        horizon_s: arrivals stop here (the run still finishes every arrived request).

    Raises:
        InputError: the service cannot run on the hardware, or its traffic is unreadable.
    """
    costs = service_costs(spec, model, hardware)
    if stream is None:
        rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
        stream = request_stream(spec.traffic, rng, horizon_s)
    clock = HeapClock()
    host = UnlimitedHost(clock)
    nodes = -(-(spec.tp * spec.pp) // hardware.gpus_per_node)
    startup = spec.autoscaling.startup_s if spec.autoscaling else 0.0
    runtime = ServiceRuntime(
        spec,
        iteration=costs.iteration,
        kv_tokens=costs.kv_tokens,
        stream=stream,
        clock=clock,
        host=host,
        kv_transfer_s_per_token=costs.kv_transfer_s_per_token,
        swap_s_per_token=costs.swap_s_per_token,
        cold_start_s=cold_start_s(costs.weights_bytes, nodes, storage, startup),
    )
    runtime.start()
    clock.run()
    runtime.settle(clock.now)
    columns = request_columns(runtime)
    summary = service_summary(
        runtime,
        columns,
        duration_s=runtime.end_s,
        gpu_seconds=host.gpu_seconds(runtime, runtime.end_s),
    )
    return ServingRun(summary, columns, runtime.timeline, runtime)
