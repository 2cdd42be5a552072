"""Time of one matrix multiply on one GPU: a roofline with the size effects real kernels show.

A GEMM kernel cuts the M x N output into tiles, runs one thread block per tile on an SM, and
loops over K. What it achieves is the profile's main-loop efficiency (`max_fraction_of_peak`,
a burst at boost clock) reduced by what the shape costs:

- tile quantization: edge tiles compute padding (M=129 costs as much as M=256);
- wave quantization: tiles run in waves of `sm_count`; a last, partly empty wave idles SMs;
- split-K: when the tiles alone cannot fill the SMs, K is split (partial sums cost memory);
- per-tile fixed cost: prologue and epilogue, as K / (K + k_half_efficiency);
- sustained clock: back-to-back GEMMs hit the power limit and the clock settles below boost
  (`sustained_fraction`), which applies to compute only;
- memory: bytes moved (A, B read once, C written once) at the achievable bandwidth, combined
  with compute time as (t_c^p + t_m^p)^(1/p), since near the ridge neither unit is busy all the
  time;
- launch overhead, added once per kernel.

Every parameter comes from the GPU profile's efficiency table, so a calibration overlay (a
replaced `EfficiencyTable`) changes the answer. Equations: docs/perf-gemm-collectives.md.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from simulator.errors import InputError, Problem
from simulator.schema.gpu import DTYPE_BYTES, GpuProfile

SPLIT_K_PARTIAL_BYTES = 4
"""Split-K partial sums are fp32: each extra split writes and re-reads M x N x 4 bytes."""

MIN_OUTPUT_BYTES = 2
"""Narrow inputs (fp8, int8, fp4) still write a 16-bit (or wider) output."""


@dataclass(frozen=True)
class GemmEstimate:
    """What one (batched) GEMM costs.

    Attributes:
        time_s: wall time of the kernel, seconds (launch overhead included).
        tflops: achieved dense TFLOP/s, counting 2*M*N*K*batch FLOPs.
        efficiency: tflops / the GPU's dense peak for the dtype, in (0, 1].
        bound: 'compute' when arithmetic takes longer than memory traffic, else 'memory'.
        compute_time_s: time the arithmetic alone would take at the modelled efficiency.
        memory_time_s: time the bytes alone would take at achievable bandwidth.
        tile: (tile_m, tile_n, k_splits) the model picked (splits may be fractional with
            stream-K).
    """

    time_s: float
    tflops: float
    efficiency: float
    bound: Literal["compute", "memory"]
    compute_time_s: float
    memory_time_s: float
    tile: tuple[int, int, float]


def _where(gpu: GpuProfile) -> str:
    return f"gpu {gpu.id}"


def check_dtype(gpu: GpuProfile, dtype: str) -> tuple[float, float]:
    """Dense peak FLOP/s and main-loop fraction for `dtype`; InputError if the GPU lacks it."""
    if dtype not in DTYPE_BYTES:
        known = ", ".join(DTYPE_BYTES)
        raise InputError(
            [Problem(_where(gpu), "dtype", f"expected one of {known} (got {dtype!r})")]
        )
    peak_tflops = gpu.peak_tflops.for_dtype(dtype)
    if peak_tflops is None:
        supported = ", ".join(d for d in DTYPE_BYTES if gpu.peak_tflops.for_dtype(d) is not None)
        raise InputError(
            [
                Problem(
                    _where(gpu),
                    "dtype",
                    f"{gpu.name} has no {dtype} tensor path (supported: {supported})",
                )
            ]
        )
    fraction = gpu.efficiency.gemm.max_fraction_of_peak.get(dtype)  # type: ignore[call-overload]
    if fraction is None:
        raise InputError(
            [
                Problem(
                    _where(gpu),
                    f"efficiency.gemm.max_fraction_of_peak.{dtype}",
                    "missing: add it to the profile or a calibration overlay",
                )
            ]
        )
    return peak_tflops * 1e12, fraction


def _check_dims(gpu: GpuProfile, **dims: int) -> None:
    problems = [
        Problem(_where(gpu), name, f"expected a whole number >= 1 (got {value!r})")
        for name, value in dims.items()
        if isinstance(value, bool) or not isinstance(value, int) or value < 1
    ]
    if problems:
        raise InputError(problems)


def _tile_candidates(tile_m: int, tile_n: int) -> tuple[tuple[int, int], ...]:
    """The profile's tile, its transpose, and a half-width tile.

    BLAS heuristics choose among a few large tiles; the half-width one is what they fall back
    to when the full tile leaves SMs idle.
    """
    half = max(1, tile_n // 2)
    return tuple(dict.fromkeys(((tile_m, tile_n), (tile_n, tile_m), (tile_m, half))))


def _split_options(tiles: int, sms: int, k: int, min_k: int) -> tuple[int, ...]:
    """No split, and the split-K factor that fills the SMs (when the tiles alone cannot)."""
    if tiles >= sms:
        return (1,)
    fill = min(sms // tiles, k // min_k)
    return (1, fill) if fill > 1 else (1,)


def _schedules(
    tiles: int, sms: int, k: int, min_k: int, stream_k: bool
) -> tuple[tuple[float, float], ...]:
    """(wave efficiency, K splits) for each way the library may schedule `tiles` blocks.

    Classic kernels run whole tiles in waves of `sms`, optionally with an integer split-K.
    Stream-K kernels hand every SM the same share of tile x K iterations: no idle tail, and a
    tile shared by several SMs is summed through memory like split-K.
    """
    if stream_k:
        splits = max(1.0, min(sms / tiles, k / min_k))
        units = tiles * splits
        return ((min(1.0, units / sms), splits),)
    options = []
    for splits in _split_options(tiles, sms, k, min_k):
        units = tiles * splits
        options.append((units / (math.ceil(units / sms) * sms), float(splits)))
    return tuple(options)


def gemm_time_s(
    gpu: GpuProfile,
    m: int,
    n: int,
    k: int,
    dtype: str = "bf16",
    *,
    batch: int = 1,
    sustained: bool = True,
) -> GemmEstimate:
    """Estimate C[m, n] = A[m, k] @ B[k, n], `batch` times over independent operands.

    Args:
        gpu: the GPU profile; every model parameter comes from `gpu.efficiency`.
        m, n, k: output rows, output columns, reduction length.
        dtype: input data type ('bf16', 'fp16', 'fp8', 'tf32', 'fp32', ...).
        batch: independent GEMMs of the same shape in one kernel (e.g. attention heads).
        sustained: True for work that keeps the GPU saturated (training, serving): the clock
            settles at the power limit (`sustained_fraction`). False for an isolated burst,
            which is what best-shape benchmarks such as mamf-finder report.

    Returns:
        A GemmEstimate; `time_s` is the answer, the rest explains it.

    Raises:
        InputError: the GPU has no tensor path for `dtype`, no efficiency entry for it, or a
            dimension is not a whole number >= 1.
    """
    _check_dims(gpu, m=m, n=n, k=k, batch=batch)
    peak_flops, main_loop = check_dtype(gpu, dtype)
    table = gpu.efficiency.gemm
    clock = table.sustained_fraction if sustained else 1.0
    flops = 2.0 * m * n * k * batch
    in_bytes = DTYPE_BYTES[dtype]
    out_bytes = max(in_bytes, MIN_OUTPUT_BYTES)
    base_bytes = batch * ((m * k + k * n) * in_bytes + m * n * out_bytes)
    bytes_per_s = gpu.memory_bandwidth_gb_per_s * 1e9 * gpu.efficiency.memory_bandwidth_fraction
    p = table.roofline_exponent
    launch_s = table.launch_overhead_us * 1e-6
    sms = gpu.sm_count

    best: GemmEstimate | None = None
    for tile_m, tile_n in _tile_candidates(table.tile_m, table.tile_n):
        rows, cols = math.ceil(m / tile_m), math.ceil(n / tile_n)
        tiles = rows * cols * batch
        padding = (m * n) / (rows * tile_m * cols * tile_n)
        for wave_eff, splits in _schedules(tiles, sms, k, table.min_k_per_split, table.stream_k):
            k_per_block = k / splits
            k_eff = k_per_block / (k_per_block + table.k_half_efficiency)
            eff = main_loop * clock * wave_eff * k_eff * padding
            compute_s = flops / (peak_flops * eff)
            extra = (splits - 1) * batch * m * n * SPLIT_K_PARTIAL_BYTES * 2
            memory_s = (base_bytes + extra) / bytes_per_s
            time_s = (compute_s**p + memory_s**p) ** (1.0 / p) + launch_s
            if best is None or time_s < best.time_s:
                achieved = flops / time_s
                best = GemmEstimate(
                    time_s=time_s,
                    tflops=achieved / 1e12,
                    efficiency=achieved / peak_flops,
                    bound="compute" if compute_s >= memory_s else "memory",
                    compute_time_s=compute_s,
                    memory_time_s=memory_s,
                    tile=(tile_m, tile_n, round(splits, 2)),
                )
    assert best is not None  # at least one tile candidate always exists
    return best
