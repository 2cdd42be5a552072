"""Topology-aware: tensor parallelism inside an NVLink domain, data parallelism inside a pod.

Whole nodes keep every TP group (up to a node, or up to a multi-node NVLink domain taken
contiguously) on NVLink. A multi-node job goes to the single pod with the fewest idle nodes
that still holds it (best fit, so big pods stay whole for big jobs); if no pod can, it takes
the pods with the most idle nodes first, spanning as few as possible. Inside a pod it takes
the lowest-numbered nodes, which keeps multi-node NVLink domains together.
"""

from __future__ import annotations

from simulator.engine.cluster import Cluster, Pool
from simulator.engine.placement.base import PlacementPolicy, register


@register
class TopologyAware(PlacementPolicy):
    """Best fit for small jobs; fewest pods, best-fit pod for multi-node jobs."""

    kind = "topology_aware"

    def whole_nodes(self, cluster: Cluster, pool: Pool, count: int, rest: int) -> list[int]:
        full = count - (1 if rest else 0)
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
        nodes: list[int] = []
        for pod in pods:  # the pods' own idle nodes, lowest first: O(nodes of the chosen pods)
            if len(nodes) >= full:
                break
            nodes += sorted(pool.pod_idle[pod])[: full - len(nodes)]
        if rest:
            nodes.append(remainder_in_pods(cluster, pool, rest, set(nodes), chosen))
        return nodes


def remainder_in_pods(
    cluster: Cluster, pool: Pool, rest: int, taken: set[int], pods: set[int]
) -> int:
    """`remainder_node` preferring nodes of `pods`: best fit, the chosen pods' nodes first."""
    pod_of = cluster.pod_of
    for k in range(rest, pool.gpus_per_node + 1):
        best = near = None
        for n in pool.buckets[k]:
            if n in taken:
                continue
            if best is None or n < best:
                best = n
            if pod_of[n] in pods and (near is None or n < near):
                near = n
        if best is not None:
            return near if near is not None else best
    raise LookupError("no node fits (check Cluster.fits first)")
