"""The GEMM model: roofline limits, size effects, dtype support, and that data drives it."""

from __future__ import annotations

import math

import pytest

from simulator.errors import InputError
from simulator.perf.gemm import gemm_time_s
from simulator.schema.gpu import GpuProfile


def with_gemm(gpu: GpuProfile, **changes) -> GpuProfile:
    """A copy of `gpu` whose efficiency.gemm table has `changes` (a calibration overlay)."""
    gemm = gpu.efficiency.gemm.model_copy(update=changes)
    return gpu.model_copy(update={"efficiency": gpu.efficiency.model_copy(update={"gemm": gemm})})


@pytest.fixture(scope="module")
def h100(catalog) -> GpuProfile:
    return catalog.gpu("h100-sxm-80gb")


@pytest.fixture(scope="module")
def a100(catalog) -> GpuProfile:
    return catalog.gpu("a100-sxm-80gb")


def test_large_gemm_is_compute_bound_near_the_table(h100) -> None:
    est = gemm_time_s(h100, 8192, 8192, 8192, "bf16", sustained=False)
    table = h100.efficiency.gemm.max_fraction_of_peak["bf16"]
    assert est.bound == "compute"
    assert 0.9 * table < est.efficiency <= table
    assert est.tflops == pytest.approx(2 * 8192**3 / est.time_s / 1e12)


def test_time_never_beats_either_roof(h100) -> None:
    peak = h100.peak_tflops.bf16 * 1e12
    bandwidth = h100.memory_bandwidth_gb_per_s * 1e9
    for m, n, k in [(1, 8192, 8192), (128, 4096, 4096), (4096, 4096, 4096), (16, 16, 16)]:
        est = gemm_time_s(h100, m, n, k, "bf16")
        assert est.time_s >= 2 * m * n * k / peak
        assert est.time_s >= 2 * (m * k + k * n + m * n) / bandwidth
        assert 0 < est.efficiency <= 1


def test_skinny_gemm_is_memory_bound(h100) -> None:
    est = gemm_time_s(h100, 1, 8192, 8192, "bf16")
    assert est.bound == "memory"
    assert est.efficiency < 0.05


def test_bigger_problems_run_closer_to_peak(a100) -> None:
    effs = [gemm_time_s(a100, m, 4096, 4096, "fp16").efficiency for m in (16, 128, 1024, 8192)]
    assert effs == sorted(effs)


def test_wave_quantization_costs_a_second_wave(a100) -> None:
    """One tile more than fits in a wave costs almost a whole wave (no stream-K on A100)."""
    gemm = a100.efficiency.gemm
    assert not gemm.stream_k
    tiles_per_wave = a100.sm_count
    # Output exactly one wave of 128 x 256 tiles, then one tile more.
    m, n = gemm.tile_m, gemm.tile_n * tiles_per_wave
    one_wave = gemm_time_s(a100, m, n, 65536, "fp16", sustained=False)
    overflow = gemm_time_s(a100, m, n + gemm.tile_n, 65536, "fp16", sustained=False)
    assert overflow.efficiency < 0.9 * one_wave.efficiency


def test_stream_k_removes_the_tail_wave(a100) -> None:
    gemm = a100.efficiency.gemm
    m, n = gemm.tile_m, gemm.tile_n * (a100.sm_count + 1)
    classic = gemm_time_s(a100, m, n, 65536, "fp16")
    streamed = gemm_time_s(with_gemm(a100, stream_k=True), m, n, 65536, "fp16")
    assert streamed.time_s < classic.time_s


def test_k_loop_fixed_cost_hurts_short_k(a100) -> None:
    short = gemm_time_s(a100, 4096, 4096, 256, "fp16", sustained=False)
    long = gemm_time_s(a100, 4096, 4096, 16384, "fp16", sustained=False)
    assert short.efficiency < long.efficiency


def test_launch_overhead_floors_tiny_gemms(h100) -> None:
    est = gemm_time_s(h100, 16, 16, 16, "bf16")
    assert est.time_s >= h100.efficiency.gemm.launch_overhead_us * 1e-6


def test_batched_gemm_costs_about_batch_times_one(h100) -> None:
    one = gemm_time_s(h100, 2048, 2048, 128, "bf16")
    many = gemm_time_s(h100, 2048, 2048, 128, "bf16", batch=32)
    assert 8 * one.time_s < many.time_s < 32 * one.time_s  # one launch, same bytes per GEMM
    assert many.tflops == pytest.approx(2 * 2048 * 2048 * 128 * 32 / many.time_s / 1e12)


def test_sustained_is_slower_than_burst_when_compute_bound(h100) -> None:
    burst = gemm_time_s(h100, 8192, 8192, 8192, "bf16", sustained=False)
    sustained = gemm_time_s(h100, 8192, 8192, 8192, "bf16")
    ratio = h100.efficiency.gemm.sustained_fraction
    assert sustained.time_s == pytest.approx(burst.time_s / ratio, rel=0.03)


def test_fp8_is_faster_than_bf16_on_hopper(h100) -> None:
    bf16 = gemm_time_s(h100, 8192, 8192, 8192, "bf16")
    fp8 = gemm_time_s(h100, 8192, 8192, 8192, "fp8")
    assert fp8.time_s < 0.75 * bf16.time_s


@pytest.mark.parametrize(("gpu_id", "dtype"), [("a100-sxm-80gb", "fp8"), ("v100-sxm-32gb", "bf16")])
def test_unsupported_dtype_is_an_input_error(catalog, gpu_id: str, dtype: str) -> None:
    with pytest.raises(InputError) as err:
        gemm_time_s(catalog.gpu(gpu_id), 1024, 1024, 1024, dtype)
    problem = err.value.problems[0]
    assert problem.field == "dtype" and dtype in problem.message


def test_unknown_dtype_and_bad_dimensions_are_input_errors(h100) -> None:
    with pytest.raises(InputError, match="expected one of"):
        gemm_time_s(h100, 8, 8, 8, "fp7")
    with pytest.raises(InputError) as err:
        gemm_time_s(h100, 0, 8, 2.5, "bf16")  # type: ignore[arg-type]
    assert {p.field for p in err.value.problems} == {"m", "k"}


def test_missing_efficiency_entry_is_an_input_error(h100) -> None:
    stripped = with_gemm(h100, max_fraction_of_peak={"bf16": 0.8})
    with pytest.raises(InputError, match="max_fraction_of_peak.fp8"):
        gemm_time_s(stripped, 1024, 1024, 1024, "fp8")


def test_calibration_overlay_changes_the_answer(h100) -> None:
    """A replaced efficiency table is all it takes: no constant hides in the code."""
    base = gemm_time_s(h100, 4096, 4096, 4096, "bf16")
    slower = with_gemm(h100, max_fraction_of_peak={"bf16": 0.5})
    assert gemm_time_s(slower, 4096, 4096, 4096, "bf16").time_s > 1.3 * base.time_s
    for change in (
        {"sustained_fraction": 0.5},
        {"k_half_efficiency": 4096.0},
        {"launch_overhead_us": 500.0},
        {"tile_m": 512, "tile_n": 512},
    ):
        changed = gemm_time_s(with_gemm(h100, **change), 4096, 4096, 4096, "bf16")
        assert changed.time_s > base.time_s, change
    memory = h100.efficiency.model_copy(update={"memory_bandwidth_fraction": 0.2})
    skinny = gemm_time_s(h100, 1, 8192, 8192, "bf16")
    assert gemm_time_s(
        h100.model_copy(update={"efficiency": memory}), 1, 8192, 8192, "bf16"
    ).time_s > (2 * skinny.time_s)


def test_every_shipped_gpu_estimates_its_dtypes(catalog) -> None:
    for gpu in catalog.profiles["gpu"].values():
        for dtype in gpu.efficiency.gemm.max_fraction_of_peak:
            if gpu.peak_tflops.for_dtype(dtype) is None:
                continue
            est = gemm_time_s(gpu, 4096, 4096, 4096, dtype)
            assert math.isfinite(est.time_s) and 0 < est.efficiency <= 1, (gpu.id, dtype)
