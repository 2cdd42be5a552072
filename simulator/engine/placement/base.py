"""Placement policies: which nodes a gang-allocated job gets.

A job gets all its GPUs at once or none. Up to one node's worth of GPUs it lands on a single
node; beyond that it takes whole nodes (plus one partial node for a remainder). A policy is a
small class registered by `kind`, with a pydantic `Params` model checked against
`policies.placement.params`; it is only asked when `Cluster.fits` says the job fits, and it
must return an allocation then.
"""

from __future__ import annotations

import heapq
from typing import ClassVar

from simulator.engine.cluster import Allocation, Cluster, Pool
from simulator.schema.placement import PlacementParams


class PlacementPolicy:
    """Base class: choose nodes for a job that fits."""

    kind: ClassVar[str] = ""
    Params: ClassVar[type[PlacementParams]] = PlacementParams

    def __init__(self, params: PlacementParams) -> None:
        self.params = params

    def place(self, cluster: Cluster, pool: Pool, gpus: int) -> Allocation:
        """Nodes and GPU counts for a `gpus`-GPU job in `pool` (which fits)."""
        gpn = pool.gpus_per_node
        if gpus <= gpn:
            return [(self.single_node(cluster, pool, gpus), gpus)]
        full, rest = divmod(gpus, gpn)
        nodes = self.whole_nodes(cluster, pool, full + (1 if rest else 0), rest)
        return nodes_to_allocation(pool, nodes, rest)

    def single_node(self, cluster: Cluster, pool: Pool, gpus: int) -> int:
        """The node for a job of at most one node (default: best fit, lowest index)."""
        return best_fit(pool, gpus)

    def whole_nodes(self, cluster: Cluster, pool: Pool, count: int, rest: int) -> list[int]:
        """`count` nodes for a multi-node job; the last may be partial when `rest` > 0."""
        raise NotImplementedError


def best_fit(pool: Pool, gpus: int) -> int:
    """The lowest-index node among those with the fewest free GPUs that still hold `gpus`."""
    for k in range(gpus, pool.gpus_per_node + 1):
        bucket = pool.buckets[k]
        if bucket:
            return min(bucket)
    raise LookupError("no node fits (check Cluster.fits first)")


def worst_fit(pool: Pool, gpus: int) -> int:
    """The lowest-index node among those with the most free GPUs."""
    for k in range(pool.gpus_per_node, gpus - 1, -1):
        bucket = pool.buckets[k]
        if bucket:
            return min(bucket)
    raise LookupError("no node fits (check Cluster.fits first)")


def remainder_node(pool: Pool, rest: int, taken: set[int], prefer: set[int] | None = None) -> int:
    """A node for the last `rest` GPUs: best fit among partly free nodes, else a whole one."""
    for k in range(rest, pool.gpus_per_node + 1):
        candidates = [n for n in pool.buckets[k] if n not in taken]
        if candidates:
            if prefer:
                near = [n for n in candidates if n in prefer]
                if near:
                    return min(near)
            return min(candidates)
    raise LookupError("no node fits (check Cluster.fits first)")


def nodes_to_allocation(pool: Pool, nodes: list[int], rest: int) -> Allocation:
    """Allocation giving every node all its GPUs except the last one `rest` (if > 0)."""
    gpn = pool.gpus_per_node
    allocation = [(n, gpn) for n in nodes]
    if rest:
        allocation[-1] = (nodes[-1], rest)
    allocation.sort()
    return allocation


def lowest(nodes: set[int] | list[int], count: int) -> list[int]:
    """The `count` lowest node indices."""
    return heapq.nsmallest(count, nodes)


PLACEMENTS: dict[str, type[PlacementPolicy]] = {}


def register(cls: type[PlacementPolicy]) -> type[PlacementPolicy]:
    """Class decorator: make a policy available as `policies.placement.kind`."""
    PLACEMENTS[cls.kind] = cls
    return cls
