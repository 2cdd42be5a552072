"""Spot capacity: the provider reclaims nodes at random, like a failure nobody repairs.

A pool marked `spot` loses nodes as a Poisson process of `interruptions_per_node_hour` per
node in service (drawn over all of the pool's nodes and thinned to those in service, so nodes
added later or out for repair are handled without re-arming the clock). Every job on a
reclaimed node is preempted: a training job falls back to its last checkpoint and restores on
restart, an opaque job starts over; both requeue in their original place. The node itself is
replaced after `reacquire_minutes` (0: a new instance at once).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator.engine.cluster import DOWN, Pool

if TYPE_CHECKING:
    from simulator.engine.hosts import NodeEvents
    from simulator.engine.rng import Streams
    from simulator.schema.scenario import NodePool as PoolSpec

RECLAIMABLE = (0, 2)
"""Node states a reclaim can hit: in service (UP) or held as a spare (SPARE)."""


class SpotReclaims:
    """One reclaim process per spot pool."""

    def __init__(self, sim: NodeEvents, streams: Streams, specs: list[PoolSpec]) -> None:
        self.sim = sim
        self.reclaims = 0
        for spec, pool in zip(specs, sim.cluster.pools, strict=True):
            spot = spec.spot
            if spot is None or spot.interruptions_per_node_hour <= 0:
                continue
            rate_per_s = spot.interruptions_per_node_hour * pool.count / 3600.0
            rng = streams.get("spot", pool.index)
            reacquire_s = spot.reacquire_minutes * 60.0
            sim.at(
                rng.exponential(1.0 / rate_per_s), self._reclaim, pool, rng, rate_per_s, reacquire_s
            )

    def _reclaim(self, pool: Pool, rng, rate_per_s: float, reacquire_s: float) -> None:  # noqa: ANN001
        sim = self.sim
        sim.at(rng.exponential(1.0 / rate_per_s), self._reclaim, pool, rng, rate_per_s, reacquire_s)
        node = pool.first + int(rng.integers(pool.count))
        if sim.cluster.state[node] not in RECLAIMABLE:
            return
        self.reclaims += 1
        sim.recorder.event(sim.now, "spot_reclaim", -1, "", node)
        for job in [j for j in sim.running.values() if any(n == node for n, _ in j.alloc)]:
            sim.preempt(job, f"spot node {node} reclaimed")
        if reacquire_s > 0 and sim.cluster.state[node] != DOWN:
            sim.cluster.take_down(node)
            sim.power.node_out(pool.index)
            sim.at(reacquire_s, sim.node_repaired, node)
