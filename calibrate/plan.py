"""What a probe run measures: shapes, sizes, repeats, for quick and full runs on CPU or CUDA.

Quick runs exist for CI and for a first look (seconds on a CPU, about a minute on a GPU); full
runs sweep bytes to GiB and small to large GEMMs. Everything the probe will do is decided here,
up front, so the time estimate printed before the run covers all of it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

KIB, MIB, GIB = 2**10, 2**20, 2**30
QUICK_OPS = ("all_reduce", "all_to_all")
ALL_OPS = ("all_reduce", "all_gather", "reduce_scatter", "all_to_all", "broadcast")


CPU_PASSES = 3
"""A CPU's repeats are taken in this many interleaved passes over all shapes and sizes, so a
neighbour's burst of load lands on every point alike (gemm_sweep.sweep). A GPU runs one pass:
CUDA events time the device, which host neighbours do not slow, and a full GPU sweep's operands
are too big to keep or re-create per pass."""


OPS_PER_REPEAT = 8
"""Back-to-back collective calls per timed repeat (calibrate/collectives.py; nccl-tests runs 20
by default on GPUs; 8 keeps a quick CPU run short while averaging over several calls)."""


CPU_COLLECTIVE_REPEATS = 15
"""gloo ranks time the wall clock (they wait on each other, so CPU time would miss the wait)
and two ranks on a small shared box need both their cores free at once: each repeat averages
several back-to-back calls (collectives.OPS_PER_REPEAT), and the lower quartile of 15 such
repeats is taken. Each call costs milliseconds."""


@dataclass(frozen=True)
class Plan:
    """One probe run, decided before it starts."""

    device: str
    mode: str
    warmup: int
    repeats: int
    passes: int
    collective_repeats: int
    gemm: dict[str, list[tuple[int, int, int]]]
    copy_sizes: list[int]
    host_copy_sizes: list[int]
    collective_ops: tuple[str, ...]
    collective_sizes: list[int]
    ranks: int
    power_duties: list[float]
    power_seconds: float
    storage_bytes: int
    notes: list[str] = field(default_factory=list)


def _geometric(low: int, high: int, factor: int) -> list[int]:
    sizes, size = [], low
    while size <= high:
        sizes.append(size)
        size *= factor
    return sizes


def _cpu_gemm(quick: bool) -> dict[str, list[tuple[int, int, int]]]:
    """Square, K-sweep and transformer-like shapes, scaled to what a CPU does in seconds."""
    if quick:
        fp32 = [(s, s, s) for s in (64, 128, 256, 384, 512, 768)]
        fp32 += [(256, 256, 64), (256, 256, 1024), (128, 512, 256), (512, 128, 512)]
        fp16 = [(s, s, s) for s in (32, 64, 128, 192)] + [(64, 64, 256), (128, 64, 128)]
        return {"fp32": fp32, "fp16": fp16}
    fp32 = [(s, s, s) for s in (64, 128, 256, 512, 768, 1024, 1536, 2048)]
    fp32 += [(512, 512, k) for k in (32, 128, 2048, 4096)]
    fp32 += [(2048, 1024, 256), (1024, 4096, 1024), (256, 2048, 2048)]
    small = [(s, s, s) for s in (32, 64, 128, 256, 384)] + [(128, 128, 1024), (256, 64, 256)]
    return {"fp32": fp32, "bf16": small, "fp16": small}


def _cuda_gemm(quick: bool, dtypes: list[str]) -> dict[str, list[tuple[int, int, int]]]:
    """Squares 256..16384, K sweeps, and LLM projections (tokens x hidden x ffn)."""
    if quick:
        main = [(s, s, s) for s in (512, 1024, 2048, 4096, 8192)]
        main += [(4096, 4096, k) for k in (256, 1024, 16384)]
        main += [(8192, 14336, 4096), (8192, 4096, 14336), (1024, 8192, 8192)]
        return {d: main if d in ("bf16", "fp16") else main[:5] for d in dtypes}
    main = [(s, s, s) for s in (256, 512, 1024, 2048, 3072, 4096, 6144, 8192, 12288, 16384)]
    main += [(8192, 8192, k) for k in (128, 512, 2048, 32768)]
    main += [(m, 8192, 8192) for m in (64, 192, 1000, 2304)]
    for tokens in (2048, 8192, 16384):
        main += [(tokens, 3 * 4096, 4096), (tokens, 4096, 4096), (tokens, 28672, 8192)]
        main += [(tokens, 8192, 28672)]
    return {d: main for d in dtypes}


def make_plan(
    device: str,
    quick: bool,
    *,
    cuda_dtypes: list[str],
    num_devices: int,
    ranks: int | None,
    storage: bool,
) -> Plan:
    """The plan for `device` ('cpu' or 'cuda') in quick or full mode."""
    mode = "quick" if quick else "full"
    notes: list[str] = []
    if device == "cuda":
        gemm = _cuda_gemm(quick, cuda_dtypes)
        copy_sizes = _geometric(MIB, 256 * MIB if quick else 2 * GIB, 4)
        host_sizes = _geometric(MIB, 64 * MIB if quick else GIB, 4)
        coll_sizes = _geometric(8, 64 * MIB if quick else 4 * GIB, 8 if quick else 4)
        world = num_devices
        if world < 2:
            notes.append("one CUDA device: no collectives to measure")
        duties = [0.0, 1 / 3, 2 / 3, 1.0] if quick else [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
        seconds = 1.0 if quick else 2.0
    else:
        gemm = _cpu_gemm(quick)
        # above any last-level cache, so the copies measure DRAM, not cache
        copy_sizes = [16 * MIB, 32 * MIB, 64 * MIB, 128 * MIB]
        if not quick:
            copy_sizes += [256 * MIB, 512 * MIB]
        host_sizes = []
        coll_sizes = _geometric(KIB, 4 * MIB, 4) if quick else _geometric(8, 256 * MIB, 4)
        default_ranks = 2 if quick else min(4, max(2, os.cpu_count() or 2))
        world = ranks if ranks is not None else default_ranks
        duties, seconds = [], 0.0
    return Plan(
        device=device,
        mode=mode,
        warmup=2 if quick else 5,
        repeats=(15 if device == "cpu" else 5) if quick else 15,
        passes=CPU_PASSES if device == "cpu" else 1,
        collective_repeats=CPU_COLLECTIVE_REPEATS if device == "cpu" else (5 if quick else 15),
        gemm=gemm,
        copy_sizes=copy_sizes,
        host_copy_sizes=host_sizes,
        collective_ops=QUICK_OPS if quick else ALL_OPS,
        collective_sizes=coll_sizes,
        ranks=world,
        power_duties=duties,
        power_seconds=seconds,
        storage_bytes=(64 * MIB if quick else GIB) if storage else 0,
        notes=notes,
    )


SPAWN_ESTIMATE_S = 3.0
"""Guess for starting the collective worker processes (importing torch in each)."""


def estimate_seconds(plan: Plan, gflops: dict[str, float], copy_gb_per_s: float) -> float:
    """Rough wall time of `plan`, from rates a tiny pre-probe measured (printed up front)."""
    calls = plan.passes * plan.warmup + plan.repeats
    total = 0.0
    for dtype, shapes in plan.gemm.items():
        rate = gflops.get(dtype, min(gflops.values())) * 1e9
        total += sum(calls * 2 * m * n * k / rate for m, n, k in shapes)
    bytes_per_s = copy_gb_per_s * 1e9
    total += sum(calls * 2 * s / bytes_per_s for s in plan.copy_sizes + plan.host_copy_sizes)
    if plan.ranks >= 2:
        coll_calls = plan.passes * plan.warmup + plan.collective_repeats * OPS_PER_REPEAT
        per_op = sum(coll_calls * (50e-6 + 2 * s / bytes_per_s) for s in plan.collective_sizes)
        total += SPAWN_ESTIMATE_S + per_op * len(plan.collective_ops)
    total += len(plan.power_duties) * plan.power_seconds
    total += 2 * plan.storage_bytes / 1e9
    return total
