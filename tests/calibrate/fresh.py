"""Fresh CPU measurements for the issue's check, taken the way the probe takes its own.

Same timer (the compute thread's CPU time at one intra-op thread), warm-up, repeats, passes and
statistic as the quick plan, at a GEMM shape and an all-reduce size the fit never saw. The
whole measurement is done ROUNDS times, GEMM and all-reduce alternating, and the median round
is the answer: a neighbour busy through one round cannot decide the check alone.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

ROUNDS = 5
GEMM_SHAPES = ((448, 448, 448), (384, 768, 256))
"""Not in the quick sweep: a square between 384 and 512, and a transformer-like shape."""
ALL_REDUCE_BYTES = 2 * 2**20
"""Not in the quick sweep (1 KiB x 4^i): between 1 and 4 MiB, where bandwidth dominates."""


@dataclass(frozen=True)
class Fresh:
    """Median-of-rounds seconds per fresh point, and every round's figure (for messages)."""

    gemm_s: dict[tuple[int, int, int], float]
    all_reduce_s: float
    rounds: dict[str, list[float]]


def measure_fresh(threads: int, ranks: int) -> Fresh:
    """ROUNDS rounds of the quick plan's procedure at the held-out shape and size."""
    import torch

    from calibrate import collectives, gemm_sweep
    from calibrate.plan import make_plan
    from calibrate.timing import CpuTimer

    torch.set_num_threads(threads)
    plan = make_plan("cpu", True, cuda_dtypes=[], num_devices=0, ranks=ranks, storage=False)
    rounds: dict[str, list[float]] = {}
    for _ in range(ROUNDS):
        points = gemm_sweep.sweep(
            torch,
            CpuTimer(threads),
            "cpu",
            {"fp32": list(GEMM_SHAPES)},
            warmup=plan.warmup,
            repeats=plan.repeats,
            passes=plan.passes,
            tick=lambda _: None,
        )
        for p in points:
            rounds.setdefault(f"gemm {p.m}x{p.n}x{p.k}", []).append(p.time_s)
        (reduce,) = collectives.run_collectives(
            "gloo",
            plan.ranks,
            ("all_reduce",),
            [ALL_REDUCE_BYTES],
            warmup=plan.warmup,
            repeats=plan.collective_repeats,
            passes=plan.passes,
        )
        rounds.setdefault("all_reduce", []).append(reduce.time_s)
    gemm = {s: statistics.median(rounds[f"gemm {s[0]}x{s[1]}x{s[2]}"]) for s in GEMM_SHAPES}
    return Fresh(gemm_s=gemm, all_reduce_s=statistics.median(rounds["all_reduce"]), rounds=rounds)
