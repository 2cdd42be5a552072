"""Spread: put work where there is the most room, balancing load across nodes and pods."""

from __future__ import annotations

from simulator.engine.cluster import Cluster, Pool
from simulator.engine.placement.base import PlacementPolicy, register, remainder_node, worst_fit


@register
class Spread(PlacementPolicy):
    """Worst fit for small jobs; multi-node jobs take idle nodes round-robin over pods."""

    kind = "spread"

    def single_node(self, cluster: Cluster, pool: Pool, gpus: int) -> int:
        return worst_fit(pool, gpus)

    def whole_nodes(self, cluster: Cluster, pool: Pool, count: int, rest: int) -> list[int]:
        full = count - (1 if rest else 0)
        by_pod: dict[int, list[int]] = {}
        for n in sorted(pool.buckets[pool.gpus_per_node]):
            by_pod.setdefault(cluster.pod_of[n], []).append(n)
        # pods with the most idle nodes first, then round-robin
        order = sorted(by_pod, key=lambda p: (-len(by_pod[p]), p))
        nodes: list[int] = []
        depth = 0
        while len(nodes) < full:
            for pod in order:
                if depth < len(by_pod[pod]) and len(nodes) < full:
                    nodes.append(by_pod[pod][depth])
            depth += 1
        if rest:
            nodes.append(remainder_node(pool, rest, set(nodes)))
        return nodes
