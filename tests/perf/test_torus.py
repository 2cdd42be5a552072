"""Torus collectives (TPU ICI, trn2 NeuronLink) and TPU multislice over DCN, hand-worked."""

from __future__ import annotations

import math

import pytest

from simulator.errors import InputError
from simulator.perf.collectives import (
    collective_time_s,
    torus_all_to_all,
    torus_reduce_scatter,
)
from simulator.perf.topology import CollectiveGroup, group_from_catalog, sub_torus


def test_equal_dimensions_reach_the_chips_injection_bandwidth() -> None:
    # 4x4 closed torus, 100 GB/s links, 1.6 GB buffer. Shard of 0.8 GB per dimension:
    # first dimension 3/4 x 0.8 / 2 rings = 0.3 GB per link, second 3/4 x 0.2 / 2 = 0.075 GB;
    # each dimension carries 0.375 GB -> 3.75 ms = 15/16 x 1.6 GB / (4 links x 100 GB/s).
    cost = torus_reduce_scatter(((4, True), (4, True)), 100e9, 1e-6, 1.6e9)
    assert cost.transfer == pytest.approx(3.75e-3)
    assert cost.latency == pytest.approx(6e-6)  # 3 + 3 steps
    assert cost.passes == pytest.approx(15 / 16)


def test_an_open_line_embeds_one_ring_only() -> None:
    # a line of 4 without wrap-around: every link carries all of the 3/4 that moves
    cost = torus_reduce_scatter(((4, False),), 1e9, 1e-6, 1e9)
    assert cost.transfer == pytest.approx(0.75)
    closed = torus_reduce_scatter(((4, True),), 1e9, 1e-6, 1e9)
    assert closed.transfer == pytest.approx(0.375)  # two rings, half each way


def test_unequal_dimensions_are_set_by_the_busiest() -> None:
    # 8 (closed) x 2 (open), 1 byte per second links, 1 byte: shard 0.5.
    # shard 0: dim 0 7/8 x 0.5 / 2 = 0.21875, then dim 1 1/2 x 0.0625 = 0.03125
    # shard 1: dim 1 1/2 x 0.5 = 0.25, then dim 0 7/8 x 0.25 / 2 = 0.109375
    # dim 0 carries 0.328125, dim 1 0.28125
    cost = torus_reduce_scatter(((8, True), (2, False)), 1.0, 0.0, 1.0)
    assert cost.transfer == pytest.approx(0.328125)


def test_all_to_all_is_bisection_bound_on_a_large_torus() -> None:
    # 16x16 closed: the cut through dimension 0 has 16 rows x 2 links each way; 256 x s / 4
    # bytes cross it: s x 16 / (4 x 2 x link) = 2 s / link; injection would be 255/256 s / 4.
    cost = torus_all_to_all(((16, True), (16, True)), 1.0, 0.0, 1.0)
    assert cost.transfer == pytest.approx(2.0)
    small = torus_all_to_all(((2, False),), 1.0, 0.0, 1.0)
    # 2 chips: bisection 1 x 2 / 4 = 0.5; injection (1/2) / 2 = 0.25 -> 0.5
    assert small.transfer == pytest.approx(0.5)


@pytest.mark.parametrize(
    ("shape", "chips", "wrap", "expected"),
    [
        ((16, 16), 16, True, ((16, True),)),
        ((16, 16), 4, True, ((4, False),)),
        ((16, 16), 256, True, ((16, True), (16, True))),
        ((4, 4, 4), 64, True, ((4, True), (4, True), (4, True))),
        ((2, 4), 8, False, ((2, False), (4, False))),
        ((16, 16), 1, True, ()),
    ],
)
def test_sub_torus_fills_dimensions_in_order(shape, chips, wrap, expected) -> None:  # noqa: ANN001
    assert sub_torus(shape, chips, wrap) == expected


def _torus_group(**overrides) -> CollectiveGroup:  # noqa: ANN003
    base = dict(
        num_gpus=16,
        gpus_per_node=16,
        gpus_per_nvlink_domain=16,
        scale_up_gb_per_s=400.0,
        scale_up_latency_us=1.0,
        launch_latency_us=0.0,
        torus_shape=(4, 4),
    )
    return CollectiveGroup(**{**base, **overrides})


def test_auto_uses_the_torus_and_reports_nccl_busbw() -> None:
    # 4x4 closed, 400 GB/s per chip -> 100 GB/s per link. all-reduce of 16 GB:
    # 2 x 15/16 x 16e9 / 400e9 = 75 ms of transfer, 12 steps x 1 us of latency, and the
    # pipeline fill min(2 sqrt(L W), W x 32 MiB / (16 GB x 15/8)).
    group = _torus_group()
    est = collective_time_s("all_reduce", 16e9, group)
    transfer, latency = 0.075, 12e-6
    fill = transfer * 32 * 2**20 / (16e9 * 15 / 8)
    expected = latency + transfer + min(2 * math.sqrt(latency * transfer), fill)
    assert est.algorithm == "torus"
    assert est.time_s == pytest.approx(expected)
    assert est.busbw_gb_per_s == pytest.approx(16e9 / expected / 1e9 * 2 * 15 / 16)


def test_multislice_adds_the_dcn_stage() -> None:
    # two 4x4 slices, 1 GB/s of DCN per chip: each chip all-reduces its 1/16 share across
    # 2 slices, 2 x 1/2 x 16e9 / 16 / 1e9 = 1 s, far slower than the 75 ms on ICI
    group = _torus_group(
        num_gpus=32, scale_out_gb_per_s=1.0, scale_out_latency_us=10.0, pipeline_fill_mib=1e-3
    )
    est = collective_time_s("all_reduce", 16e9, group)
    assert est.algorithm == "torus"
    assert est.time_s == pytest.approx(1.0, rel=0.01)


def test_a_switched_domain_has_no_torus_algorithm() -> None:
    group = _torus_group(torus_shape=())
    with pytest.raises(InputError, match="not a torus"):
        collective_time_s("all_reduce", 1e6, group, algorithm="torus")


def test_a_v6e_pod_all_reduce_runs_near_googles_per_chip_figure(catalog) -> None:  # noqa: ANN001
    # Cloud TPU v6e: all-reduce bandwidth 102.4 TB/s per 256-chip pod = 400 GB/s per chip;
    # at large sizes the model's busbw approaches that times the achievable fraction
    group = group_from_catalog(catalog, node="tpu-v6e-256", num_gpus=256)
    est = collective_time_s("all_reduce", 4 * 2**30, group)
    fraction = catalog.gpu("tpu-v6e").efficiency.scale_up_bandwidth_fraction
    assert est.algorithm == "torus"
    assert 0.95 * 400 * fraction < est.busbw_gb_per_s <= 400 * fraction
