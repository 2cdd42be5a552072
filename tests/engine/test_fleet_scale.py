"""The fleet-scale shortcuts (#21) answer what the slow paths answered, with less work."""

from __future__ import annotations

import random

import pytest

from simulator.engine.clock import Clock
from simulator.engine.cluster import Cluster, holds
from simulator.engine.flows import Flow, Link, max_min_rates
from simulator.engine.scheduling.base import Shadow
from simulator.engine.serving.standalone import HeapClock


@pytest.fixture
def cluster(engine_catalog) -> Cluster:
    node = engine_catalog.node("enginetest-node")
    gpu = engine_catalog.gpu("h100-sxm-80gb")
    # 20 nodes of 8 GPUs in pods of 3: [0-2] [3-5] ... [18-19]
    return Cluster([("p", node, gpu, 20)], nodes_per_pod=3, nodes_per_rack=4, rack_cap=4)


def test_pod_list_matches_the_pods_of_every_node(cluster) -> None:
    rng = random.Random(3)
    for _ in range(200):
        nodes = sorted(rng.sample(range(20), rng.randint(1, 20)))
        alloc = [(n, rng.randint(1, 8)) for n in nodes]
        assert cluster.pod_list(alloc) == sorted({n // 3 for n in nodes})
        assert cluster.pods_of(alloc) == len({n // 3 for n in nodes})
    assert cluster.pod_list([]) == []


def test_holds_finds_a_node_by_binary_search() -> None:
    alloc = [(2, 8), (5, 3), (9, 8)]
    assert [n for n in range(11) if holds(alloc, n)] == [2, 5, 9]


def test_per_pod_idle_nodes_follow_allocations(cluster) -> None:
    pool = cluster.pools[0]
    cluster.allocate([(0, 8), (1, 3), (4, 8)])
    assert pool.pod_idle[0] == {2} and pool.pod_idle[1] == {3, 5}
    cluster.release([(1, 3)])
    assert pool.pod_idle[0] == {1, 2}
    assert sum(len(s) for s in pool.pod_idle.values()) == len(pool.buckets[8]) == 18


def test_capacity_version_moves_with_free_gpus_only(cluster) -> None:
    before = cluster.version
    assert not cluster.fits(cluster.pools[0], 161)
    assert cluster.version == before  # asking changes nothing
    cluster.allocate([(0, 1)])
    assert cluster.version > before


def test_shadow_rules_out_from_totals_only_what_cannot_fit(cluster) -> None:
    pool = cluster.pools[0]
    cluster.allocate([(n, 8) for n in range(18)])  # 16 GPUs left, on nodes 18 and 19
    shadow = Shadow(cluster)
    assert shadow.surely_short(pool, 17) and not shadow.surely_short(pool, 16)
    shadow.release(pool, [(0, 8)])
    assert not shadow.surely_short(pool, 24) and shadow.fits(pool, 24)
    shadow.take(pool, [(18, 5)])
    assert shadow.surely_short(pool, 20) and not shadow.fits(pool, 20)


def test_a_lone_flow_gets_its_cap_or_its_narrowest_link() -> None:
    a, b, c = Link("a", 10.0), Link("b", 4.0), Link("c", 7.0)
    assert max_min_rates([f := Flow([a, b, c], cap=5.0)]) == {f: 4.0}
    assert max_min_rates([f := Flow([a, c], cap=5.0)]) == {f: 5.0}
    assert max_min_rates([f := Flow([c, c])]) == {f: 3.5}  # a link crossed twice: half each
    with pytest.raises(ValueError):
        max_min_rates([Flow([])])


def test_a_cancelled_call_neither_runs_nor_counts() -> None:
    clock, seen = Clock(1), []
    clock.at(1.0, seen.append, "a")
    handle = clock.at(2.0, seen.append, "b")
    clock.at(3.0, seen.append, "c")
    clock.cancel(handle)
    clock.cancel(None)  # an infinite delay's handle
    clock.run(10.0)
    assert seen == ["a", "c"] and clock.events_processed == 2


def test_the_heap_clock_cancels_too() -> None:
    clock, seen = HeapClock(), []
    clock.at(1.0, seen.append, 1)
    clock.cancel(clock.at(0.5, seen.append, 2))
    clock.at(0.5, seen.append, 3)
    clock.run()
    assert seen == [3, 1]
