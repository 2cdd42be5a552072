"""Each fit recovers known parameters from data its own model generated, and reports the
error on points it did not see."""

from __future__ import annotations

import math

import pytest

from calibrate.fit_bandwidth import fit_bandwidth
from calibrate.fit_collectives import fit_one, group_for
from calibrate.fit_gemm import fit_gemm, with_gemm
from calibrate.fit_power import fit_power
from calibrate.split import split
from simulator.perf.collectives import bus_factor, collective_time_s
from simulator.perf.gemm import gemm_time_s
from simulator.schema.calibration import CollectivePoint, CopyPoint, GemmPoint, PowerSample

SHAPES = (
    [(s, s, s) for s in (256, 512, 1024, 2048, 4096, 8192)]
    + [(4096, 4096, k) for k in (64, 256, 1024, 16384)]
    + [(8192, 14336, 4096), (1024, 8192, 8192), (128, 8192, 8192), (16384, 4096, 4096)]
)


def test_split_is_deterministic_and_keeps_the_ends() -> None:
    train, held = split(list(range(10)), key=lambda x: x)
    assert held == [1, 5] and 0 in train and 9 in train
    assert split([3, 1, 2], key=lambda x: x) == ([1, 2, 3], [])


def test_gemm_fit_recovers_parameters_of_its_own_model(catalog) -> None:
    h100 = catalog.gpu("h100-sxm-80gb")
    truth = h100.efficiency.gemm.model_copy(
        update={
            "max_fraction_of_peak": {
                **h100.efficiency.gemm.max_fraction_of_peak,
                "bf16": 0.62,
                "fp16": 0.58,
            },
            "k_half_efficiency": 300.0,
            "launch_overhead_us": 9.0,
            "roofline_exponent": 2.0,
        }
    )
    true_gpu = with_gemm(h100, truth)
    points = []
    for dtype in ("bf16", "fp16"):
        for m, n, k in SHAPES:
            t = gemm_time_s(true_gpu, m, n, k, dtype, sustained=False).time_s
            points.append(
                GemmPoint(dtype=dtype, m=m, n=n, k=k, time_s=t, tflops=2 * m * n * k / t / 1e12)
            )
    fit = fit_gemm(points, h100, max_evals=1500)
    got = fit.parameters
    assert got.max_fraction_of_peak["bf16"] == pytest.approx(0.62, rel=0.03)
    assert got.max_fraction_of_peak["fp16"] == pytest.approx(0.58, rel=0.03)
    assert got.k_half_efficiency == pytest.approx(300.0, rel=0.15)
    assert got.launch_overhead_us == pytest.approx(9.0, rel=0.15)
    assert fit.error.held_out_points == 7
    assert fit.error.held_out_mean_abs_pct is not None and fit.error.held_out_mean_abs_pct < 2.0


def test_gemm_fit_error_is_large_when_data_disagree_with_the_model(catalog) -> None:
    """Noise the model cannot explain must show up in the held-out error, not vanish."""
    h100 = catalog.gpu("h100-sxm-80gb")
    points = []
    for i, (m, n, k) in enumerate(SHAPES):
        t = gemm_time_s(h100, m, n, k, "bf16", sustained=False).time_s * (3.0 if i % 2 else 1.0)
        points.append(
            GemmPoint(dtype="bf16", m=m, n=n, k=k, time_s=t, tflops=2 * m * n * k / t / 1e12)
        )
    fit = fit_gemm(points, h100)
    assert fit.error.held_out_max_abs_pct is not None and fit.error.held_out_max_abs_pct > 20


def test_collective_fit_recovers_alpha_and_bandwidth() -> None:
    ranks, truth = 4, group_for(4, launch_us=20.0, step_us=3.0, rate_gb_per_s=40.0, fill_mib=8)
    points = []
    for size in [2**e for e in range(3, 31, 2)]:
        t = collective_time_s("all_reduce", size, truth).time_s
        algbw = size / t / 1e9
        points.append(
            CollectivePoint(
                op="all_reduce",
                backend="test",
                num_ranks=ranks,
                size_bytes=size,
                time_s=t,
                algbw_gb_per_s=algbw,
                busbw_gb_per_s=algbw * bus_factor("all_reduce", ranks),
            )
        )
    fit = fit_one(points)
    true_alpha = collective_time_s("all_reduce", 1, truth).time_s * 1e6
    assert fit.alpha_us == pytest.approx(true_alpha, rel=0.05)
    assert fit.bus_bandwidth_gb_per_s == pytest.approx(40.0, rel=0.03)
    assert fit.error.held_out_points >= 3
    assert fit.error.held_out_mean_abs_pct is not None and fit.error.held_out_mean_abs_pct < 3


def test_bandwidth_fit_recovers_latency_and_rate() -> None:
    points = [
        CopyPoint(
            kind="device_copy",
            size_bytes=s,
            time_s=5e-6 + 2 * s / 2.5e12,
            gb_per_s=2 * s / (5e-6 + 2 * s / 2.5e12) / 1e9,
        )
        for s in [2**e for e in range(20, 31)]
    ]
    fit = fit_bandwidth(points)
    assert fit.bandwidth_gb_per_s == pytest.approx(2500, rel=1e-6)
    assert fit.latency_us == pytest.approx(5.0, rel=1e-4)
    assert fit.error.held_out_max_abs_pct is not None and fit.error.held_out_max_abs_pct < 1e-6


def test_power_fit_recovers_curve_and_holds_out_points() -> None:
    duties = [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    samples = [
        PowerSample(
            device_index=0,
            duty_cycle=u,
            duration_s=1.0,
            energy_j=1.0,
            power_w=90 + (690 - 90) * u**0.8,
        )
        for u in duties
    ]
    fit = fit_power(samples)
    assert fit.idle_w == pytest.approx(90, rel=0.02)
    assert fit.max_w == pytest.approx(690, rel=0.02)
    assert fit.exponent == pytest.approx(0.8, rel=0.05)
    assert fit.error is not None and fit.error.held_out_points == 1
    assert math.isfinite(fit.error.held_out_mean_abs_pct or 0.0)
