"""Timeline: the run's cluster-wide row after every event, kept only when something changed.

The clock calls `sample` after each event. Most events change nothing the timeline shows (a
training step, a stale token), so a row is written only when it differs from the last one:
the timeline stays small, and a step function of time reads it back exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulator.engine.clock import Clock
    from simulator.engine.cluster import Cluster
    from simulator.engine.lifecycle import Lifecycle
    from simulator.engine.power import Power


class Timeline:
    """Samples GPUs in use, queue, running jobs, down nodes, power and throttle."""

    def __init__(self, clock: Clock, cluster: Cluster, power: Power, jobs: Lifecycle) -> None:
        self.clock = clock
        self.cluster = cluster
        self.power = power
        self.jobs = jobs
        self._last: tuple | None = None

    def sample(self) -> None:
        """Append a timeline row if anything shown changed."""
        cluster, power = self.cluster, self.power
        free = cluster.free_gpus
        row = (
            cluster.allocated_gpus,
            power.busy_gpus,
            free,
            self.jobs.queued,
            len(self.jobs.running),
            cluster.down_nodes,
            1.0 - cluster.idle_node_gpus / free if free else 0.0,
            power.baseline_w + power.static_w + power.throttle * power.dynamic_w,
            power.throttle,
        )
        if row != self._last:
            self._last = row
            self.clock.recorder.sample((self.clock.now, *row))
