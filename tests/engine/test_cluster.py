"""Cluster bookkeeping and placement policies."""

from __future__ import annotations

import pytest

from simulator.engine.cluster import DOWN, SPARE, Cluster
from simulator.engine.placement import PLACEMENTS, PlacementParams


@pytest.fixture
def cluster(engine_catalog) -> Cluster:
    node = engine_catalog.node("enginetest-node")
    gpu = engine_catalog.gpu("h100-sxm-80gb")
    # 8 nodes of 8 GPUs; pods of 3 nodes: [0,1,2] [3,4,5] [6,7]
    return Cluster([("p", node, gpu, 8)], nodes_per_pod=3, nodes_per_rack=4, rack_cap=4)


def policy(kind: str):
    return PLACEMENTS[kind](PlacementParams())


def test_counts_and_fits(cluster) -> None:
    pool = cluster.pools[0]
    assert cluster.free_gpus == 64 and cluster.fits(pool, 64) and not cluster.fits(pool, 65)
    cluster.allocate([(0, 3)])
    assert cluster.counts(pool)[5] == 1 and cluster.counts(pool)[8] == 7
    assert cluster.fits(pool, 61)  # 7 whole nodes + 5 on node 0
    assert not cluster.fits(pool, 62)
    assert cluster.fragmentation() == pytest.approx(5 / 61)
    cluster.release([(0, 3)])
    assert cluster.fragmentation() == 0 and cluster.allocated_gpus == 0


def test_pack_fills_partly_used_nodes_first(cluster) -> None:
    pool = cluster.pools[0]
    cluster.allocate([(3, 6)])
    assert policy("pack").place(cluster, pool, 2) == [(3, 2)]
    assert policy("spread").place(cluster, pool, 2) == [(0, 2)]
    assert policy("pack").place(cluster, pool, 24) == [(0, 8), (1, 8), (2, 8)]


def test_topology_aware_keeps_a_job_inside_one_pod(cluster) -> None:
    pool = cluster.pools[0]
    cluster.allocate([(0, 8)])  # pod 0 now has 2 idle nodes, pod 1 has 3, pod 2 has 2
    # pack takes the lowest nodes (1, 2, 3: two pods); topology-aware takes pod 1 whole
    assert policy("pack").place(cluster, pool, 24) == [(1, 8), (2, 8), (3, 8)]
    assert policy("topology_aware").place(cluster, pool, 24) == [(3, 8), (4, 8), (5, 8)]
    # 16 GPUs: best-fit pod is one with exactly two idle nodes (pod 0), not the full pod 1
    assert policy("topology_aware").place(cluster, pool, 16) == [(1, 8), (2, 8)]
    # 40 GPUs span pods: fewest pods, fullest first
    alloc = policy("topology_aware").place(cluster, pool, 40)
    assert len(alloc) == 5 and cluster.pods_of(alloc) == 2


def test_spread_round_robins_pods(cluster) -> None:
    pool = cluster.pools[0]
    alloc = policy("spread").place(cluster, pool, 24)
    assert cluster.pods_of(alloc) == 3


def test_remainder_goes_to_a_partly_free_node(cluster) -> None:
    pool = cluster.pools[0]
    cluster.allocate([(7, 4)])
    assert policy("pack").place(cluster, pool, 20) == [(0, 8), (1, 8), (7, 4)]


def test_rack_cap_strands_idle_nodes(engine_catalog) -> None:
    node = engine_catalog.node("enginetest-node")
    gpu = engine_catalog.gpu("h100-sxm-80gb")
    cluster = Cluster([("p", node, gpu, 4)], nodes_per_pod=4, nodes_per_rack=4, rack_cap=2)
    pool = cluster.pools[0]
    cluster.allocate([(0, 1)])
    cluster.allocate([(1, 1)])
    # two nodes active: the other two may not start, but the active ones still take work
    assert not cluster.fits(pool, 8)
    assert cluster.fits(pool, 7)
    assert cluster.free_gpus == 14
    cluster.release([(1, 1)])
    assert cluster.fits(pool, 8) and cluster.free_gpus == 31


def test_spares_and_repairs(engine_catalog) -> None:
    node = engine_catalog.node("enginetest-node")
    gpu = engine_catalog.gpu("h100-sxm-80gb")
    cluster = Cluster(
        [("p", node, gpu, 4)], nodes_per_pod=4, nodes_per_rack=4, rack_cap=4, spares_per_pool=1
    )
    pool = cluster.pools[0]
    assert cluster.state[3] == SPARE and cluster.free_gpus == 24
    cluster.take_down(0)
    assert cluster.state[0] == DOWN and cluster.free_gpus == 16 and cluster.down_nodes == 1
    assert cluster.take_spare(pool, 8, near=1) == 3
    cluster.bring_up(0)  # the pool is short of its spare: node 0 becomes the spare
    assert cluster.state[0] == SPARE and cluster.free_gpus == 24
