"""The collective model: closed forms, nccl-tests conventions, placement, algorithm choice."""

from __future__ import annotations

import math
import timeit

import pytest

from simulator.errors import InputError
from simulator.perf.collectives import bus_factor, collective_time_s
from simulator.perf.topology import CollectiveGroup, group_from_profiles
from simulator.schema.interconnect import InterconnectProfile

GIB = 2**30


def link(id_: str, scope: str, bandwidth: float, latency: float, **extra) -> InterconnectProfile:
    """An interconnect profile built in code (the shipped ones live in hardware_profiles/)."""
    technology = {"scale_up": "nvlink", "scale_out": "infiniband"}[scope]
    return InterconnectProfile(
        id=id_,
        name=id_,
        source="test fixture",
        as_of="2025-01",
        technology=technology,
        scope=scope,
        generation="x",
        bandwidth_gb_per_s=bandwidth,
        latency_us=latency,
        topologies=["nvswitch" if scope == "scale_up" else "fat_tree"],
        default_topology="nvswitch" if scope == "scale_up" else "fat_tree",
        **extra,
    )


NVLINK4 = link("nvlink4", "scale_up", 450, 1.0, supports_in_network_reduction=True)
NVLINK3 = link("nvlink3", "scale_up", 300, 1.0)
NDR = link("ndr", "scale_out", 50, 5.0, achievable_fraction=0.9)
SLOW_NIC = link("slow", "scale_out", 12.5, 20.0, achievable_fraction=0.9)  # 100 Gb/s


def simple_group(n: int = 8, up: float = 100.0, latency: float = 1.0, **extra) -> CollectiveGroup:
    """One NVLink domain with round numbers."""
    return CollectiveGroup(
        num_gpus=n,
        gpus_per_node=n,
        gpus_per_nvlink_domain=n,
        scale_up_gb_per_s=up,
        scale_up_latency_us=latency,
        launch_latency_us=0.0,
        **extra,
    )


def test_ring_all_reduce_approaches_the_closed_form() -> None:
    """Large messages: 2(n-1)/n x S / B, and the overhead shrinks as S grows."""
    group = simple_group(8, up=100.0)
    previous_overhead = math.inf
    for size in (GIB, 8 * GIB, 64 * GIB):
        ideal = 2 * 7 / 8 * size / 100e9
        time_s = collective_time_s("all_reduce", size, group, "ring").time_s
        overhead = time_s / ideal - 1
        assert 0 < overhead < previous_overhead
        previous_overhead = overhead
    assert previous_overhead < 0.01


def test_pipeline_fill_drains_once_whatever_the_group_size() -> None:
    """Past the fill, a ring all-reduce pays fill_bytes / link rate once, not once per pass:
    the same extra time on 2 and 8 GPUs although 8 GPUs make 2x7/8 passes over each link."""
    fill_mib = 1.0
    size = GIB
    for n in (2, 4, 8):
        group = simple_group(n, up=100.0, latency=2.0, pipeline_fill_mib=fill_mib)
        latency = 2 * (n - 1) * 2.0e-6
        transfer = 2 * (n - 1) / n * size / 100e9
        extra = collective_time_s("all_reduce", size, group, "ring").time_s - latency - transfer
        assert extra == pytest.approx(fill_mib * 2**20 / 100e9, rel=1e-6)


def test_small_messages_cost_the_step_latency() -> None:
    """A tiny ring all-reduce pays 2(n-1) steps of alpha plus the launch."""
    for n in (2, 4, 8):
        group = CollectiveGroup(n, n, n, 100.0, 2.0, launch_latency_us=5.0)
        est = collective_time_s("all_reduce", 8, group, "ring")
        assert est.time_s == pytest.approx((5.0 + 2 * (n - 1) * 2.0) * 1e-6, rel=0.01)


def test_nccl_tests_conventions() -> None:
    group = simple_group(8)
    for op, factor in [
        ("all_reduce", 2 * 7 / 8),
        ("all_gather", 7 / 8),
        ("reduce_scatter", 7 / 8),
        ("all_to_all", 7 / 8),
        ("broadcast", 1.0),
    ]:
        est = collective_time_s(op, GIB, group)
        assert est.algbw_gb_per_s == pytest.approx(GIB / est.time_s / 1e9)
        assert est.busbw_gb_per_s == pytest.approx(est.algbw_gb_per_s * factor)
        assert bus_factor(op, 8) == pytest.approx(factor)


def test_busbw_plateaus_near_link_bandwidth() -> None:
    """Whatever the group size, a ring's busbw approaches the per-GPU link rate."""
    for n in (2, 4, 8):
        est = collective_time_s("all_reduce", 64 * GIB, simple_group(n, up=100.0), "ring")
        assert 95 < est.busbw_gb_per_s <= 100


def test_bigger_messages_take_longer_and_move_faster() -> None:
    group = simple_group(8)
    sizes = [2**p for p in range(3, 35, 2)]
    estimates = [collective_time_s("all_reduce", s, group) for s in sizes]
    times = [e.time_s for e in estimates]
    algbws = [e.algbw_gb_per_s for e in estimates]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert algbws == sorted(algbws)
    assert algbws[-1] < 100 / (2 * 7 / 8)  # never above the closed-form plateau


def test_latency_grows_with_group_size() -> None:
    times = [collective_time_s("all_reduce", 1024, simple_group(n)).time_s for n in (2, 4, 8, 16)]
    assert times == sorted(times) and len(set(times)) == 4


def test_crossing_nodes_is_slower_than_staying_inside(catalog) -> None:
    h100 = catalog.gpu("h100-sxm-80gb")
    inside = group_from_profiles(h100, num_gpus=8, scale_up=NVLINK4, scale_out=NDR)
    across = group_from_profiles(
        h100, num_gpus=16, gpus_per_node=8, scale_up=NVLINK4, scale_out=NDR
    )
    spread = group_from_profiles(
        h100, num_gpus=8, gpus_per_node=1, node_gpus=8, scale_up=NVLINK4, scale_out=NDR
    )
    for size in (4096, 64 * 2**20, GIB):
        t_inside = collective_time_s("all_reduce", size, inside).time_s
        assert collective_time_s("all_reduce", size, across).time_s > t_inside
        assert collective_time_s("all_reduce", size, spread).time_s > t_inside


def test_hierarchical_all_reduce_is_limited_by_the_nics(catalog) -> None:
    """2 nodes x 8 GPUs, slow NICs: inter-node all-reduce of S/8 per GPU at its NIC dominates."""
    h100 = catalog.gpu("h100-sxm-80gb")
    group = group_from_profiles(
        h100, num_gpus=16, gpus_per_node=8, scale_up=NVLINK4, scale_out=SLOW_NIC
    )
    nic_gb_per_s = 12.5 * 0.9
    est = collective_time_s("all_reduce", 64 * GIB, group, "hierarchical")
    ideal_s = 2 * (2 - 1) / 2 * (64 * GIB / 8) / (nic_gb_per_s * 1e9)
    assert est.time_s == pytest.approx(ideal_s, rel=0.02)
    ring = collective_time_s("all_reduce", 64 * GIB, group, "ring")
    assert ring.busbw_gb_per_s < 8 * nic_gb_per_s  # a flat ring gets the node's NICs at most
    assert collective_time_s("all_reduce", 64 * GIB, group).algorithm != "ring"


def test_sharp_halves_inter_node_all_reduce_traffic(catalog) -> None:
    h100 = catalog.gpu("h100-sxm-80gb")
    sharp = SLOW_NIC.model_copy(update={"supports_in_network_reduction": True})
    plain = group_from_profiles(
        h100, num_gpus=64, gpus_per_node=8, scale_up=NVLINK4, scale_out=SLOW_NIC
    )
    reduced = group_from_profiles(
        h100, num_gpus=64, gpus_per_node=8, scale_up=NVLINK4, scale_out=sharp
    )
    t_plain = collective_time_s("all_reduce", 16 * GIB, plain, "hierarchical").time_s
    t_sharp = collective_time_s("all_reduce", 16 * GIB, reduced, "hierarchical").time_s
    assert t_sharp == pytest.approx(t_plain * 8 / (2 * 7), rel=0.05)


def test_nvls_only_where_the_switch_reduces(catalog) -> None:
    h100, a100 = catalog.gpu("h100-sxm-80gb"), catalog.gpu("a100-sxm-80gb")
    with_nvls = group_from_profiles(h100, num_gpus=8, scale_up=NVLINK4)
    without = group_from_profiles(a100, num_gpus=8, scale_up=NVLINK3)
    est = collective_time_s("all_reduce", 8 * GIB, with_nvls)
    assert est.algorithm == "nvls"
    assert (
        est.busbw_gb_per_s
        > collective_time_s("all_reduce", 8 * GIB, with_nvls, "ring").busbw_gb_per_s
    )
    with pytest.raises(InputError, match="does not reduce in the network"):
        collective_time_s("all_reduce", GIB, without, "nvls")
    with pytest.raises(InputError, match="modelled with"):
        collective_time_s("all_gather", GIB, with_nvls, "nvls")


def test_published_single_node_bus_bandwidths(catalog) -> None:
    """figures.md: 8xH100 ~480 GB/s NVLS, ~370 ring; 8xH200 ~475; 8xA100 200-250 (large)."""
    cases = [
        ("h100-sxm-80gb", NVLINK4, "nvls", 480),
        ("h100-sxm-80gb", NVLINK4, "ring", 370),
        ("h200-sxm-141gb", NVLINK4, "auto", 475),
        ("a100-sxm-80gb", NVLINK3, "auto", 225),
    ]
    for gpu_id, scale_up, algorithm, busbw in cases:
        group = group_from_profiles(catalog.gpu(gpu_id), num_gpus=8, scale_up=scale_up)
        est = collective_time_s("all_reduce", 8 * GIB, group, algorithm)
        assert est.busbw_gb_per_s == pytest.approx(busbw, rel=0.05), (gpu_id, algorithm)


def test_gathers_move_half_an_all_reduce() -> None:
    group = simple_group(8)
    all_reduce = collective_time_s("all_reduce", 64 * GIB, group, "ring").time_s
    for op in ("all_gather", "reduce_scatter"):
        assert collective_time_s(op, 64 * GIB, group).time_s == pytest.approx(
            all_reduce / 2, rel=0.02
        )


def test_all_to_all_across_nodes_is_bound_by_the_nics(catalog) -> None:
    h100 = catalog.gpu("h100-sxm-80gb")
    group = group_from_profiles(h100, num_gpus=16, gpus_per_node=8, scale_up=NVLINK4, scale_out=NDR)
    est = collective_time_s("all_to_all", 16 * GIB, group)
    off_node_bytes = 16 * GIB * 8 / 16
    assert est.time_s == pytest.approx(off_node_bytes / (50 * 0.9e9), rel=0.03)


def test_send_recv_uses_nvlink_inside_and_the_nic_across(catalog) -> None:
    h100 = catalog.gpu("h100-sxm-80gb")
    node = group_from_profiles(h100, num_gpus=16, gpus_per_node=8, scale_up=NVLINK4, scale_out=NDR)
    inside = collective_time_s("send_recv", GIB, node.subgroup(2))
    across = collective_time_s("send_recv", GIB, node.subgroup(2, gpus_per_node=1))
    assert inside.algbw_gb_per_s == pytest.approx(
        450 * h100.efficiency.scale_up_bandwidth_fraction, rel=0.05
    )
    assert across.algbw_gb_per_s == pytest.approx(50 * 0.9, rel=0.05)


def test_oversubscription_slows_cross_node_traffic(catalog) -> None:
    h100 = catalog.gpu("h100-sxm-80gb")
    flat = group_from_profiles(h100, num_gpus=32, gpus_per_node=8, scale_up=NVLINK4, scale_out=NDR)
    tapered = group_from_profiles(
        h100, num_gpus=32, gpus_per_node=8, scale_up=NVLINK4, scale_out=NDR, oversubscription=2.0
    )
    size = 8 * GIB
    assert (
        collective_time_s("all_to_all", size, tapered).time_s
        > 1.8 * collective_time_s("all_to_all", size, flat).time_s
    )


def test_nvl72_domain_spans_nodes(catalog) -> None:
    gb200 = catalog.gpu("gb200")
    nvlink5 = link("nvlink5", "scale_up", 900, 1.0, supports_in_network_reduction=True)
    group = group_from_profiles(
        gb200,
        num_gpus=64,
        gpus_per_node=4,
        gpus_per_nvlink_domain=72,
        node_gpus=4,
        scale_up=nvlink5,
        scale_out=NDR,
    )
    assert group.domain_size == 64 and group.num_domains == 1


def test_trivial_groups_and_bad_input() -> None:
    assert collective_time_s("all_reduce", GIB, simple_group(1)).time_s == 0
    assert collective_time_s("all_reduce", 0, simple_group(8)).time_s == 0
    with pytest.raises(InputError, match="op"):
        collective_time_s("allreduce", GIB, simple_group(8))
    with pytest.raises(InputError, match="size_bytes"):
        collective_time_s("all_reduce", -1, simple_group(8))
    with pytest.raises(InputError, match="hierarchical is not available"):
        collective_time_s("all_reduce", GIB, simple_group(8), "hierarchical")
    with pytest.raises(InputError, match="no scale-out fabric"):
        CollectiveGroup(16, 8, 8, 100.0, 1.0)
    with pytest.raises(InputError) as err:
        CollectiveGroup(0, 8, 8, -1.0, 1.0)
    assert {p.field for p in err.value.problems} == {"num_gpus", "scale_up_gb_per_s"}


def test_more_gpus_per_node_than_the_node_has(catalog) -> None:
    with pytest.raises(InputError, match="the node has 8"):
        group_from_profiles(
            catalog.gpu("h100-sxm-80gb"), num_gpus=16, gpus_per_node=16, node_gpus=8
        )


def test_fast_enough_to_call_per_layer(catalog) -> None:
    """Pure arithmetic: thousands of calls are cheap (loose bound, not a benchmark)."""
    group = group_from_profiles(
        catalog.gpu("h100-sxm-80gb"), num_gpus=64, gpus_per_node=8, scale_up=NVLINK4, scale_out=NDR
    )
    seconds = timeit.timeit(lambda: collective_time_s("all_reduce", 2**26, group), number=2000)
    assert seconds < 2.0


def test_default_node_is_the_vendor_reference_system(catalog) -> None:
    """Naming only a GPU puts it on the DGX/HGX baseboard, never on a cloud instance's fabric,
    whatever the ids sort to (aws-p4de < dgx-a100 alphabetically)."""
    from simulator.perf.topology import default_node

    assert default_node(catalog, "a100-sxm-80gb").id == "dgx-a100"
    assert default_node(catalog, "h100-sxm-80gb").id == "dgx-h100"
    assert default_node(catalog, "h200-sxm-141gb").id == "dgx-h200"  # dgx before hgx, aws
    assert default_node(catalog, "mi300x").id == "mi300x-platform"  # no reference: the only one
    assert default_node(catalog, "no-such-gpu") is None


def test_efa_p4d_runs_simple_only_and_pays_its_latency(catalog) -> None:
    """EFA v1 carries only NCCL's Simple protocol; its per-message latency, from the profile,
    makes a small 2-node all-reduce several times slower than over InfiniBand."""
    from simulator.perf.topology import group_from_catalog

    efa = group_from_catalog(catalog, num_gpus=16, gpus_per_node=8, node="aws-p4de")
    ib = group_from_catalog(catalog, num_gpus=16, gpus_per_node=8, node="dgx-a100")
    assert efa.scale_out_protocols == ("simple",)
    small_efa = collective_time_s("all_reduce", 1024, efa)
    small_ib = collective_time_s("all_reduce", 1024, ib)
    assert small_efa.protocol == "simple" and small_ib.protocol == "ll"
    assert small_efa.time_s > 3 * small_ib.time_s
    inside = group_from_catalog(catalog, num_gpus=8, gpus_per_node=8, node="aws-p4de")
    assert collective_time_s("all_reduce", 1024, inside).protocol == "ll"  # NVLink only


def test_protocol_follows_message_size(catalog) -> None:
    """NCCL's trade-off: LL for tiny messages, LL128 in between, Simple for the largest."""
    from simulator.perf.topology import group_from_catalog

    group = group_from_catalog(catalog, num_gpus=8, gpus_per_node=8, node="dgx-a100")
    protocols = [collective_time_s("all_reduce", s, group).protocol for s in (1024, 2**22, 2**33)]
    assert protocols == ["ll", "ll128", "simple"]


def test_per_step_latency_grows_with_ring_length(catalog) -> None:
    """Small-message ring time rises by 2 per-step latencies per added GPU (2(n-1) steps)."""
    from simulator.perf.topology import group_from_catalog

    times = []
    for n in (2, 4, 8):
        group = group_from_catalog(catalog, num_gpus=n, gpus_per_node=n, node="dgx-a100")
        times.append(collective_time_s("all_reduce", 8, group, "ring").time_s)
    step_s = (times[2] - times[1]) / (2 * (8 - 4))
    assert step_s == pytest.approx((times[1] - times[0]) / (2 * (4 - 2)), rel=0.05)
    assert 0.3e-6 < step_s < 1.0e-6  # NCCL's LL NVLink step, 0.6 us
