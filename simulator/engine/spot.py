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
    from simulator.engine.clock import Clock
    from simulator.engine.cluster import Cluster
    from simulator.engine.hosts import NodeEvents
    from simulator.engine.power import Power
    from simulator.schema.scenario import NodePool as PoolSpec

RECLAIMABLE = (0, 2)
"""Node states a reclaim can hit: in service (UP) or held as a spare (SPARE)."""


class SpotReclaims:
    """One reclaim process per spot pool."""

    def __init__(
        self,
        clock: Clock,
        cluster: Cluster,
        power: Power,
        host: NodeEvents,
        specs: list[PoolSpec],
    ) -> None:
        self.clock = clock
        self.cluster = cluster
        self.power = power
        self.host = host
        self.reclaims = 0
        for spec, pool in zip(specs, cluster.pools, strict=True):
            spot = spec.spot
            if spot is None or spot.interruptions_per_node_hour <= 0:
                continue
            rate_per_s = spot.interruptions_per_node_hour * pool.count / 3600.0
            rng = clock.streams.get("spot", pool.index)
            reacquire_s = spot.reacquire_minutes * 60.0
            clock.at(
                rng.exponential(1.0 / rate_per_s), self._reclaim, pool, rng, rate_per_s, reacquire_s
            )

    def _reclaim(self, pool: Pool, rng, rate_per_s: float, reacquire_s: float) -> None:  # noqa: ANN001
        clock, cluster, host = self.clock, self.cluster, self.host
        clock.at(
            rng.exponential(1.0 / rate_per_s), self._reclaim, pool, rng, rate_per_s, reacquire_s
        )
        node = pool.first + int(rng.integers(pool.count))
        if cluster.state[node] not in RECLAIMABLE:
            return
        self.reclaims += 1
        clock.recorder.event(clock.now, "spot_reclaim", -1, "", node)
        for job in [j for j in host.running.values() if any(n == node for n, _ in j.alloc)]:
            host.preempt(job, f"spot node {node} reclaimed")
        if reacquire_s > 0 and cluster.state[node] != DOWN:
            cluster.take_down(node)
            self.power.node_out(pool.index)
            clock.at(reacquire_s, host.node_repaired, node)
