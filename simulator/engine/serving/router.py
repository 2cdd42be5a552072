"""Which replica a request goes to: round robin, least outstanding requests, or KV-aware.

Round robin ignores load; least-outstanding balances request counts (what most proxies do);
KV-aware sends a request where the KV cache, counting what is already queued, is emptiest,
which matters when request lengths vary widely. Ties go to the lowest replica index, so runs
are reproducible. Each router is one small class in `ROUTERS`, keyed by the scenario's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from simulator.engine.serving.replica import Replica
from simulator.engine.serving.sequence import Seq


class Router(Protocol):
    """Picks one of the replicas accepting work (a non-empty list)."""

    def pick(self, replicas: Sequence[Replica], seq: Seq) -> Replica:
        """The replica `seq` goes to."""
        ...


class RoundRobin:
    """Each replica in turn."""

    def __init__(self) -> None:
        self.next = 0

    def pick(self, replicas: Sequence[Replica], seq: Seq) -> Replica:
        replica = replicas[self.next % len(replicas)]
        self.next += 1
        return replica


class LeastOutstanding:
    """The replica with the fewest requests waiting or running."""

    def pick(self, replicas: Sequence[Replica], seq: Seq) -> Replica:
        best = replicas[0]
        best_n = best.outstanding
        for replica in replicas:
            n = replica.outstanding
            if n < best_n:
                best, best_n = replica, n
        return best


class KvAware:
    """The replica whose KV cache, plus the blocks its queue will need, is least full."""

    def pick(self, replicas: Sequence[Replica], seq: Seq) -> Replica:
        best = replicas[0]
        best_load = float("inf")
        for replica in replicas:
            kv = replica.kv
            load = (kv.used_blocks + replica.queued_blocks) / kv.capacity_blocks
            if load < best_load:
                best, best_load = replica, load
        return best


ROUTERS: dict[str, type] = {
    "round_robin": RoundRobin,
    "least_outstanding": LeastOutstanding,
    "kv_aware": KvAware,
}
"""Routing policies by the name a scenario (`routing:`) gives."""
