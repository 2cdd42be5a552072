"""Capacity plan: nodes that join the cluster on a date (`cluster.build_out`).

The cluster is built at its final size; nodes not yet delivered are held `ABSENT` (no GPUs to
place on, no power drawn) and commissioned when their order date plus lead time comes. Absent
nodes are taken from the end of their pool (skipping hot spares), so new nodes fill new racks
and pods, as a real expansion does.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from simulator.engine.cluster import SPARE

if TYPE_CHECKING:
    from simulator.engine.clock import Clock
    from simulator.engine.cluster import Cluster
    from simulator.engine.hosts import Reschedule
    from simulator.engine.power import Power
    from simulator.schema.scenario import Cluster as ClusterSpec


def added_nodes(spec: ClusterSpec) -> dict[str, int]:
    """Nodes each pool gains over the plan."""
    added: dict[str, int] = defaultdict(int)
    for step in spec.build_out:
        added[step.pool] += step.nodes
    return dict(added)


class BuildOut:
    """Holds planned nodes back, then brings them into service on their dates."""

    def __init__(
        self,
        clock: Clock,
        cluster: Cluster,
        power: Power,
        host: Reschedule,
        spec: ClusterSpec,
        horizon_s: float,
    ) -> None:
        self.clock = clock
        self.cluster = cluster
        self.power = power
        self.host = host
        pending: dict[str, list[int]] = {}
        for pool_name, count in added_nodes(spec).items():
            pool = cluster.pool_by_name[pool_name]
            nodes = [n for n in reversed(pool.nodes) if cluster.state[n] != SPARE][:count]
            for n in nodes:
                cluster.withdraw(n)
                power.node_out(pool.index)
            pending[pool_name] = sorted(nodes)
        power.peak_it_w = power.it_w
        for step in sorted(spec.build_out, key=lambda s: s.in_service_s):
            nodes, pending[step.pool] = (
                pending[step.pool][: step.nodes],
                pending[step.pool][step.nodes :],
            )
            if step.in_service_s < horizon_s:
                clock.at(step.in_service_s, self._commission, nodes)

    def _commission(self, nodes: list[int]) -> None:
        clock, cluster = self.clock, self.cluster
        for n in nodes:
            cluster.commission(n)
            self.power.node_back(cluster.pool_of[n])
            clock.recorder.event(clock.now, "node_added", -1, "", n)
        self.host.request_schedule()
