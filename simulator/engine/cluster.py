"""Nodes grouped in NVLink domains, racks and fabric pods, and which GPUs are free.

Nodes are numbered pool by pool; racks, pods and NVLink domains are runs of consecutive nodes
of one pool. Free GPUs are kept in a histogram per pool (`buckets[k]` holds the eligible nodes
with exactly k free GPUs), so "does a g-GPU job fit" costs O(GPUs per node) however large the
cluster, and placement policies pick nodes from the buckets.

A node is *eligible* for new work when it is up, not held as a spare, and either already runs
something or its rack still has power headroom: the facility's kW per rack caps how many nodes
of a rack may be active at once (`rack_cap`). Dense racks therefore leave idle nodes stranded,
which shows up as fragmentation.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

from simulator.schema.gpu import GpuProfile
from simulator.schema.node import NodeProfile
from simulator.schema.placement import hot_spares

UP, DOWN, SPARE, ABSENT = 0, 1, 2, 3
"""Node states: in service, out for repair, held as a hot spare, not yet delivered."""

Allocation = list[tuple[int, int]]
"""(node, GPUs on that node) pairs, nodes in ascending order."""


@dataclass
class Pool:
    """Identical nodes of one type, with their free-GPU histogram."""

    name: str
    index: int
    node: NodeProfile
    gpu: GpuProfile
    gpus_per_node: int
    first: int
    count: int
    nodes_per_pod: int
    nodes_per_domain: int
    spares_target: int
    buckets: list[set[int]] = field(default_factory=list)
    pod_full: dict[int, int] = field(default_factory=dict)
    pod_idle: dict[int, set[int]] = field(default_factory=dict)
    """eligible idle nodes per pod (kept with `buckets[gpus_per_node]`)"""
    spares: set[int] = field(default_factory=set)
    eligible_free_gpus: int = 0

    @property
    def nodes(self) -> range:
        """Global indices of the pool's nodes."""
        return range(self.first, self.first + self.count)

    @property
    def total_gpus(self) -> int:
        """GPUs in the pool."""
        return self.count * self.gpus_per_node


def holds(allocation: Allocation, node: int) -> bool:
    """Whether `allocation` (sorted by node) has GPUs on `node`: a binary search."""
    i = bisect.bisect_left(allocation, (node, -1))
    return i < len(allocation) and allocation[i][0] == node


def fits_counts(counts: list[int], gpn: int, gpus: int) -> bool:
    """Whether `gpus` fit given counts[k] = nodes with k free GPUs (whole nodes past one node)."""
    # plain loops: this is the hottest function of a trace replay (faster than any())
    if gpus <= gpn:
        for k in range(gpus, gpn + 1):  # noqa: SIM110
            if counts[k] > 0:
                return True
        return False
    full, rest = divmod(gpus, gpn)
    have = counts[gpn]
    if have < full:
        return False
    if rest == 0 or have > full:
        return True
    for k in range(rest, gpn):  # noqa: SIM110
        if counts[k] > 0:
            return True
    return False


class Cluster:
    """All nodes, their state and free GPUs."""

    def __init__(
        self,
        pools: list[tuple[str, NodeProfile, GpuProfile, int]],
        *,
        nodes_per_pod: int,
        nodes_per_rack: int,
        rack_cap: int,
        spares_per_pool: int = 0,
    ) -> None:
        """Build the node table.

        Args:
            pools: (name, node profile, GPU profile, node count) per pool.
            nodes_per_pod: nodes under one leaf group of the scale-out fabric.
            nodes_per_rack: nodes mounted in one rack.
            rack_cap: nodes of one rack that may be active at once (power per rack).
            spares_per_pool: nodes of each pool held back as hot spares for failed nodes.
        """
        self.pools: list[Pool] = []
        self.pool_by_name: dict[str, Pool] = {}
        self.free: list[int] = []
        self.state: list[int] = []
        self.pool_of: list[int] = []
        self.rack_of: list[int] = []
        self.pod_of: list[int] = []
        self.domain_of: list[int] = []
        self.bucket_of: list[int] = []
        self.rack_nodes: list[list[int]] = []
        self.rack_active: list[int] = []
        self.rack_cap = rack_cap
        self.nodes_per_rack = nodes_per_rack
        self.num_pods = 0
        self.down_nodes = 0
        self.allocated_gpus = 0
        self.free_gpus = 0
        """free GPUs on eligible nodes"""
        self.idle_node_gpus = 0
        """free GPUs on eligible nodes that are entirely idle"""
        self.version = 0
        """bumped whenever free capacity changes (schedulers skip passes when it has not)"""
        first = pod = domain = 0
        for index, (name, node, gpu, count) in enumerate(pools):
            gpn = node.gpus_per_node
            per_domain = max(1, node.gpus_per_nvlink_domain // gpn)
            spares = hot_spares(spares_per_pool, count)
            pool = Pool(
                name=name,
                index=index,
                node=node,
                gpu=gpu,
                gpus_per_node=gpn,
                first=first,
                count=count,
                nodes_per_pod=nodes_per_pod,
                nodes_per_domain=per_domain,
                spares_target=spares,
                buckets=[set() for _ in range(gpn + 1)],
            )
            for local in range(count):
                n = first + local
                self.free.append(gpn)
                self.state.append(UP)
                self.pool_of.append(index)
                self.pod_of.append(pod + local // nodes_per_pod)
                self.domain_of.append(domain + local // per_domain)
                self.bucket_of.append(0)
                if local % nodes_per_rack == 0:
                    self.rack_nodes.append([])
                    self.rack_active.append(0)
                self.rack_of.append(len(self.rack_nodes) - 1)
                self.rack_nodes[-1].append(n)
            for p in range(pod, pod + math.ceil(count / nodes_per_pod)):
                pool.pod_full[p] = 0
                pool.pod_idle[p] = set()
            pod += math.ceil(count / nodes_per_pod)
            domain += math.ceil(count / per_domain)
            # spares are the pool's last nodes
            for n in range(first + count - spares, first + count):
                self.state[n] = SPARE
                pool.spares.add(n)
            self.pools.append(pool)
            self.pool_by_name[name] = pool
            for n in pool.nodes:
                self._bucket(n)
            first += count
        self.num_pods = pod
        self.num_nodes = first
        self.pod_end = [0] * pod
        """one past each pod's last node (pods are runs of consecutive nodes)"""
        for n, p in enumerate(self.pod_of):
            self.pod_end[p] = n + 1
        self.total_gpus = sum(p.total_gpus for p in self.pools)

    # ------------------------------------------------------------------ histogram upkeep
    def _eligible(self, n: int) -> bool:
        if self.state[n] != UP:
            return False
        pool = self.pools[self.pool_of[n]]
        if self.free[n] < pool.gpus_per_node:
            return True
        return self.rack_active[self.rack_of[n]] < self.rack_cap

    def _bucket(self, n: int) -> None:
        k = self.free[n]
        if k == 0 or self.bucket_of[n] or not self._eligible(n):
            return
        pool = self.pools[self.pool_of[n]]
        pool.buckets[k].add(n)
        pool.eligible_free_gpus += k
        self.free_gpus += k
        self.bucket_of[n] = k
        self.version += 1
        if k == pool.gpus_per_node:
            pod = self.pod_of[n]
            pool.pod_full[pod] += 1
            pool.pod_idle[pod].add(n)
            self.idle_node_gpus += k

    def _unbucket(self, n: int) -> None:
        k = self.bucket_of[n]
        if not k:
            return
        pool = self.pools[self.pool_of[n]]
        pool.buckets[k].discard(n)
        pool.eligible_free_gpus -= k
        self.free_gpus -= k
        self.bucket_of[n] = 0
        self.version += 1
        if k == pool.gpus_per_node:
            pod = self.pod_of[n]
            pool.pod_full[pod] -= 1
            pool.pod_idle[pod].discard(n)
            self.idle_node_gpus -= k

    def _activate(self, n: int) -> None:
        rack = self.rack_of[n]
        self.rack_active[rack] += 1
        if self.rack_active[rack] == self.rack_cap:
            for other in self.rack_nodes[rack]:
                if other != n and self.bucket_of[other] and self._idle(other):
                    self._unbucket(other)

    def _deactivate(self, n: int) -> None:
        rack = self.rack_of[n]
        was_full = self.rack_active[rack] == self.rack_cap
        self.rack_active[rack] -= 1
        if was_full:
            for other in self.rack_nodes[rack]:
                if other != n and self._idle(other):
                    self._bucket(other)

    def _idle(self, n: int) -> bool:
        return self.free[n] == self.pools[self.pool_of[n]].gpus_per_node

    # ------------------------------------------------------------------ queries
    def fits(self, pool: Pool, gpus: int) -> bool:
        """Whether a job of `gpus` GPUs can be placed in `pool` now."""
        if gpus > pool.eligible_free_gpus:
            return False
        buckets, gpn = pool.buckets, pool.gpus_per_node
        if gpus <= gpn:
            for k in range(gpus, gpn + 1):  # noqa: SIM110  (hot path)
                if buckets[k]:
                    return True
            return False
        full, rest = divmod(gpus, gpn)
        have = len(buckets[gpn])
        if have < full:
            return False
        if rest == 0 or have > full:
            return True
        for k in range(rest, gpn):  # noqa: SIM110
            if buckets[k]:
                return True
        return False

    def counts(self, pool: Pool) -> list[int]:
        """counts[k]: eligible nodes of `pool` with exactly k free GPUs."""
        return [len(b) for b in pool.buckets]

    def fragmentation(self) -> float:
        """Share of free GPUs stranded on partly used nodes (0: all free GPUs are on idle nodes)."""
        free = self.free_gpus
        return 1.0 - self.idle_node_gpus / free if free else 0.0

    def pods_of(self, allocation: Allocation) -> int:
        """Fabric pods an allocation spans."""
        return len(self.pod_list(allocation))

    def pod_list(self, allocation: Allocation) -> list[int]:
        """The pods an allocation (sorted by node) spans, ascending: one binary search per pod.

        Pods are runs of consecutive nodes, so the allocation's nodes of one pod are adjacent;
        skipping to the next pod's first node costs O(pods x log nodes), not O(nodes).
        """
        pods: list[int] = []
        pod_of, pod_end = self.pod_of, self.pod_end
        i, size = 0, len(allocation)
        while i < size:
            pod = pod_of[allocation[i][0]]
            pods.append(pod)
            i = bisect.bisect_left(allocation, (pod_end[pod], -1), i + 1)
        return pods

    # ------------------------------------------------------------------ changes
    def allocate(self, allocation: Allocation) -> None:
        """Take the GPUs of `allocation`."""
        free = self.free
        self.version += 1
        for n, gpus in allocation:
            self._unbucket(n)
            idle = self._idle(n)
            free[n] -= gpus
            if idle and self.state[n] == UP:
                self._activate(n)
            self._bucket(n)
            self.allocated_gpus += gpus

    def release(self, allocation: Allocation) -> None:
        """Give back the GPUs of `allocation` (nodes that went down are skipped)."""
        free = self.free
        self.version += 1
        for n, gpus in allocation:
            self._unbucket(n)
            free[n] += gpus
            self.allocated_gpus -= gpus
            if self._idle(n) and self.state[n] == UP:
                self._deactivate(n)
            self._bucket(n)

    def take_down(self, n: int) -> None:
        """Send an empty node (its jobs already released) for repair."""
        self._unbucket(n)
        if self.state[n] == SPARE:
            self.pools[self.pool_of[n]].spares.discard(n)
        self.state[n] = DOWN
        self.down_nodes += 1

    def bring_up(self, n: int) -> None:
        """A repaired node returns: as a spare if the pool is short of spares, else in service."""
        pool = self.pools[self.pool_of[n]]
        self.down_nodes -= 1
        if len(pool.spares) < pool.spares_target:
            self.state[n] = SPARE
            pool.spares.add(n)
        else:
            self.state[n] = UP
            self._bucket(n)

    def withdraw(self, n: int) -> None:
        """Hold an idle node out of the cluster until it is delivered (capacity plans)."""
        self._unbucket(n)
        self.state[n] = ABSENT

    def commission(self, n: int) -> None:
        """A delivered node enters service."""
        self.state[n] = UP
        self._bucket(n)

    def take_spare(self, pool: Pool, gpus: int, near: int | None = None) -> int | None:
        """A node for a job that lost one: a hot spare, else an eligible node with room.

        Prefers the pod of node `near` so a replacement keeps the job's traffic local.
        """
        pod = self.pod_of[near] if near is not None else -1
        if pool.spares:
            n = min(pool.spares, key=lambda m: (self.pod_of[m] != pod, m))
            pool.spares.discard(n)
            self.state[n] = UP
            self._bucket(n)
            return n
        for k in range(gpus, pool.gpus_per_node + 1):
            bucket = pool.buckets[k]
            if bucket:
                return min(bucket, key=lambda m: (self.pod_of[m] != pod, m))
        return None
