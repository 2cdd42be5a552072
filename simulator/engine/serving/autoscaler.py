"""Scale a service's replicas with load, paying a cold start for each new one.

Every `interval_s` the autoscaler reads one metric over the scaled pool (the decode pool of a
disaggregated service): waiting requests per replica (`queue_depth`), the share of the last
interval the replicas spent iterating (`utilization`), or KV-cache use (`kv_utilization`).
Above `scale_up_at` it asks for one more replica (up to the maximum, counting those still
starting); below `scale_down_at` it drains the least loaded one (down to the minimum), which
gives its GPUs back once its last request finishes. One step per interval is the damping.

A new replica serves only after its cold start: the weights read from a storage tier
(`cold_start_s`) plus the engine's own start-up time.
"""

from __future__ import annotations

import math
from collections import deque
from typing import TYPE_CHECKING, Protocol

from simulator.schema.scenario import Autoscaling
from simulator.schema.storage import StorageProfile

if TYPE_CHECKING:
    from simulator.engine.clock import Timed
    from simulator.engine.serving.replica import Replica
    from simulator.engine.serving.sequence import Seq


class ScaledService(Protocol):
    """What the autoscaler may ask of its service (`ServiceRuntime` is one): how loaded the
    scaled role is, and to add or drain a replica. Declared here so that the autoscaler does
    not import the service that owns it."""

    clock: Timed
    scaled_role: str
    pending: dict[str, deque[Seq]]
    starting: dict[str, int]
    stop_when_done: bool

    def accepting(self, role: str) -> list[Replica]:
        """Replicas of `role` that take new requests."""
        ...

    def add_replica(self, role: str, warm: bool = False) -> None:
        """Ask the host for one more replica of `role`."""
        ...

    def drain(self, replica: Replica) -> None:
        """Stop routing to `replica`; it is released once empty."""
        ...

    def done(self) -> bool:
        """Every request of the stream has arrived and left."""
        ...


GB = 1e9


def cold_start_s(
    weights_bytes: float, nodes: int, storage: StorageProfile | None, startup_s: float
) -> float:
    """Seconds from GPUs granted to first request served: weight load plus start-up.

    The replica's `nodes` read their shards in parallel, each at the tier's per-client
    bandwidth, together capped by its aggregate read bandwidth; first-byte latency once.
    Without a tier only the start-up time counts.
    """
    if storage is None:
        return startup_s
    rate = min(storage.read_gb_per_s_per_client * nodes, storage.aggregate_read_gb_per_s) * GB
    return weights_bytes / rate + storage.latency_ms / 1000.0 + startup_s


class Autoscaler:
    """Periodic scaling decisions for one service."""

    def __init__(self, svc: ScaledService, params: Autoscaling, max_replicas: int) -> None:
        self.svc = svc
        self.params = params
        self.max_replicas = max_replicas
        self.min_replicas = params.min_replicas
        self.scale_ups = 0
        self.scale_downs = 0
        self._busy_before: dict[int, float] = {}

    def start(self) -> None:
        """Schedule the first check."""
        self.svc.clock.at(self.params.interval_s, self._tick)

    def metric(self) -> float:
        """The scaling metric now (infinite when no replica serves but requests wait)."""
        svc = self.svc
        role = svc.scaled_role
        replicas = svc.accepting(role)
        if not replicas:
            return math.inf if svc.pending[role] else 0.0
        kind = self.params.metric
        if kind == "queue_depth":
            waiting = sum(len(r.waiting) for r in replicas) + len(svc.pending[role])
            return waiting / len(replicas)
        if kind == "kv_utilization":
            used = sum(r.kv.used_blocks for r in replicas)
            return used / sum(r.kv.capacity_blocks for r in replicas)
        interval = self.params.interval_s
        fractions = []
        for r in replicas:
            before = self._busy_before.get(id(r), r.busy_s)
            fractions.append(min(1.0, (r.busy_s - before) / interval))
        return sum(fractions) / len(fractions)

    def _tick(self) -> None:
        svc = self.svc
        role = svc.scaled_role
        value = self.metric()
        replicas = svc.accepting(role)
        self._busy_before = {id(r): r.busy_s for r in replicas}
        total = len(replicas) + svc.starting[role]
        if value > self.params.scale_up_at and total < self.max_replicas:
            self.scale_ups += 1
            svc.add_replica(role)
        elif (
            value < self.params.scale_down_at
            and len(replicas) > self.min_replicas
            and svc.starting[role] == 0
        ):
            self.scale_downs += 1
            svc.drain(min(replicas, key=lambda r: (r.outstanding, -r.index)))
        if not (svc.stop_when_done and svc.done()):
            svc.clock.at(self.params.interval_s, self._tick)
