"""Topology-aware: tensor parallelism inside an NVLink domain, data parallelism inside a pod.

Whole nodes keep every TP group (up to a node, or up to a multi-node NVLink domain taken
contiguously) on NVLink. A multi-node job goes to the single pod with the fewest idle nodes
that still holds it (best fit, so big pods stay whole for big jobs); if no pod can, it takes
the pods with the most idle nodes first, spanning as few as possible. Inside a pod it takes
the lowest-numbered nodes, which keeps multi-node NVLink domains together.
"""

from __future__ import annotations

from simulator.engine.cluster import Cluster, Pool
from simulator.engine.placement.base import PlacementPolicy, register, remainder_node


@register
class TopologyAware(PlacementPolicy):
    """Best fit for small jobs; fewest pods, best-fit pod for multi-node jobs."""

    kind = "topology_aware"

    def whole_nodes(self, cluster: Cluster, pool: Pool, count: int, rest: int) -> list[int]:
        full = count - (1 if rest else 0)
        idle = pool.buckets[pool.gpus_per_node]
        pod_full = pool.pod_full
        fitting = [p for p, n in pod_full.items() if n >= max(full, 1)]
        if fitting:
            pods = [min(fitting, key=lambda p: (pod_full[p], p))]
        else:
            pods, have = [], 0
            for pod in sorted(pod_full, key=lambda p: (-pod_full[p], p)):
                if have >= full:
                    break
                if pod_full[pod]:
                    pods.append(pod)
                    have += pod_full[pod]
        chosen = set(pods)
        candidates = sorted(
            (n for n in idle if cluster.pod_of[n] in chosen),
            key=lambda n: (pods.index(cluster.pod_of[n]), n),
        )
        nodes = candidates[:full]
        if rest:
            in_pods = {
                n for n in range(pool.first, pool.first + pool.count) if cluster.pod_of[n] in chosen
            }
            nodes.append(remainder_node(pool, rest, set(nodes), prefer=in_pods))
        return nodes
