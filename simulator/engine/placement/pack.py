"""Pack: fill nodes in order, so large free blocks stay free for large jobs."""

from __future__ import annotations

from simulator.engine.cluster import Cluster, Pool
from simulator.engine.placement.base import PlacementPolicy, lowest, register, remainder_node


@register
class Pack(PlacementPolicy):
    """Best fit for small jobs; the lowest-numbered idle nodes for multi-node jobs."""

    kind = "pack"

    def whole_nodes(self, cluster: Cluster, pool: Pool, count: int, rest: int) -> list[int]:
        full = count - (1 if rest else 0)
        nodes = lowest(pool.buckets[pool.gpus_per_node], full)
        if rest:
            nodes.append(remainder_node(pool, rest, set(nodes)))
        return nodes
