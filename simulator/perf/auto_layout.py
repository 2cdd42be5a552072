"""The automatic parallel layout: the fastest split of a training job that fits in GPU memory.

    auto_layout(model: TransformerModel, hardware: JobHardware, num_gpus: int, seq_len: int,
                global_batch: int, precision: str, base: TrainingExecution | None = None,
                *, max_alternatives: int = 5) -> LayoutChoice      # InputError: nothing fits

`hardware` is what `estimate_training` takes (`simulator.perf.hardware.job_hardware`, as
`estimate training` resolves `--node`/`--gpu`/`--fabric`); `base` carries the knobs that are
not searched (mode, LoRA rank, attention kernel, overlap flags); its size, batch and precision
are replaced by the arguments. `LayoutChoice.best.execution` is a concrete `TrainingExecution`
(every degree, the micro-batch and the recomputation explicit): passing it back through
`estimate_training(training_job(execution, model), hardware)` gives `best.step_time_s` again,
because every candidate is costed by exactly that call.

What is searched, and why it stays fast (a 405B model on 16,384 GPUs in well under a second):

- tp over the divisors of the GPU count inside the scale-up (NVLink) domain, cp over divisors
  of the sequence, pp over divisors of what is left (at most one layer per stage), dp the rest;
  vpp up to `MAX_VPP` (uneven stages allowed, as the step model costs them); ep (MoE
  only) over the experts' divisors that divide dp * cp with tp * ep inside the domain;
  sequence parallelism on or off
  with tp > 1; the optimizer unsharded, distributed (ZeRO-1), or ZeRO-2/3 without pipelining.
- Divisibility first: a split the model, the GPU count or the batch rejects costs nothing.
- A memory floor next: the least the split can need (micro-batch 1, full recomputation, the
  most sharding it allows) is one memory evaluation; over the GPU's usable memory, the split
  is rejected before any step is costed.
- Then bound and evaluate: every (split, micro-batch) gets a step-time floor (its compute
  with no recomputation and no communication, stretched by the 1F1B bubble it cannot avoid;
  `_Search.step_floor_s`), costed once per tp x cp x ep x micro-batch shape. Splits are costed
  in order of that floor, and the search stops when the floor passes the slowest of the best
  `1 + max_alternatives` found: nothing left can enter the answer.
- Recomputation is not a loop: for a given split and micro-batch, the least recomputation
  that fits is the fastest (each level only adds work), which is what `recompute: auto` picks.
- Micro-batches grow until the split no longer fits even with full recomputation.

Ties (step times within 1e-9 relative) go to the layout needing less memory.
"""

from __future__ import annotations

import heapq
import math
from dataclasses import dataclass

from simulator.errors import InputError, Problem
from simulator.perf.hardware import JobHardware
from simulator.perf.layer_cost import GemmTimer
from simulator.perf.layout_search import (
    LOOSE_FLOOR,
    LayoutCandidate,
    LayoutSearch,
    describe_layout,
    describe_split,
    divisors,
    layout_dict,
)
from simulator.perf.memory import (
    GIB,
    usable_memory_bytes,
)
from simulator.perf.parallelism import (
    OPTIONS,
    ParallelLayout,
)
from simulator.perf.training import (
    TrainingEstimate,
    check_precision,
)
from simulator.perf.transformer_flops import forward_flops_per_token
from simulator.schema.execution import Parallelism, TrainingExecution
from simulator.schema.model import TransformerModel


@dataclass(frozen=True)
class LayoutChoice:
    """The fastest layout that fits, the next best, and why obvious others were rejected."""

    best: LayoutCandidate
    alternatives: list[LayoutCandidate]
    rejected: list[tuple[str, str]]
    """(layout, reason), the simplest layouts first: memory, divisibility or domain size"""
    evaluated: int = 0
    """step-time evaluations the search made (for the benchmark)"""


_LOOSE, _TIGHT, _FITS = 0, 1, 2
"""How far a queued (split, micro-batch) has been bounded: FLOPs only; step floor without
recomputation; memory checked and step floor with the least recomputation that fits."""


def _best(search: LayoutSearch, want: int) -> tuple[list[LayoutCandidate], float | None]:
    """The `want` fastest fitting candidates, and the least memory a rejected split needed.

    Each (split, micro-batch) enters the queue with a loose floor (its FLOPs at half the
    GEMMs' best rate, stretched by the bubble); popped, it gets its step floor without
    recomputation (`step_floor_s`) and goes back; popped again, its memory (over the limit
    even with full recomputation and the most sharding: rejected) and the step floor with the
    least recomputation that fits; popped a third time, it is evaluated. Each bound only
    rises, and the first time one passes the slowest of the `want` kept, nothing left can
    enter the answer.
    """
    b = search.base
    gpu = search.hardware.gpu
    rate = (gpu.peak_tflops.for_dtype(b.precision) or 1.0) * 1e12
    rate *= gpu.efficiency.gemm.max_fraction_of_peak.get(b.precision, 1.0)
    flops_per_seq = 2.0 * forward_flops_per_token(search.model, b.seq_len) * b.seq_len
    queue: list[tuple[float, int, int, ParallelLayout, int, int]] = []
    smallest_mb: dict[int, int] = {}
    too_big_mb: dict[int, int] = {}  # split -> the smallest micro-batch found not to fit
    splits = search.splits()
    for order, layout in enumerate(splits):
        per_replica = b.global_batch // layout.dp
        per_gpu_s = LOOSE_FLOOR * flops_per_seq / (layout.model_parallel * rate)
        for mb in divisors(per_replica):
            m = per_replica // mb
            if layout.vpp > 1 and m % layout.pp:
                continue
            smallest_mb.setdefault(order, mb)
            loose = (m + (layout.pp - 1) / layout.vpp) * mb * per_gpu_s
            queue.append((loose, order, _LOOSE, layout, mb, m))
    heapq.heapify(queue)
    kept: list[LayoutCandidate] = []  # best first, at most `want`
    least_gib: float | None = None
    while queue:
        floor, order, stage, layout, mb, m = heapq.heappop(queue)
        if len(kept) >= want and floor > kept[-1].step_time_s:
            break
        if mb >= too_big_mb.get(order, math.inf):
            continue  # a smaller micro-batch of this split did not fit: this one cannot
        if stage == _LOOSE:  # the step floor without recomputation
            tight = max(floor, search.step_floor_s(layout, mb, m, "none"))
            heapq.heappush(queue, (tight, order, _TIGHT, layout, mb, m))
        elif stage == _TIGHT:  # memory: the least recomputation it could fit with
            floor_b = search.memory_floor_bytes(layout, mb, m)
            if floor_b > search.limit_bytes:
                too_big_mb[order] = mb
                if smallest_mb[order] == mb:
                    least_gib = min(least_gib or math.inf, floor_b / GIB)
                    search.reject(
                        layout.model_parallel,
                        describe_split(layout),
                        f"memory: needs at least {floor_b / GIB:,.1f} GiB per GPU (micro-batch "
                        f"{mb}, full recomputation, sharded optimizer) of "
                        f"{search.limit_bytes / GIB:,.1f} GiB usable",
                    )
                continue
            recompute = search.least_recompute(layout, mb, m)
            if recompute != "none":
                floor = max(floor, search.step_floor_s(layout, mb, m, recompute))
            heapq.heappush(queue, (floor, order, _FITS, layout, mb, m))
        else:
            _evaluate_options(search, layout, mb, kept, want)
    for order, layout in enumerate(splits):  # the plain splits never reached: say why not
        plain = layout.vpp == 1 and layout.cp == 1 and layout.sequence_parallel == (layout.tp > 1)
        if not plain or order in too_big_mb:
            continue
        states = search.states_floor_bytes(layout)
        if states > search.limit_bytes:
            search.reject(
                layout.model_parallel,
                describe_split(layout),
                f"memory: weights, gradients and optimizer state alone need {states / GIB:,.1f} "
                f"GiB per GPU (sharded optimizer) of {search.limit_bytes / GIB:,.1f} GiB usable",
            )
    return kept, least_gib


def _evaluate_options(
    search: LayoutSearch, layout: ParallelLayout, mb: int, kept: list[LayoutCandidate], want: int
) -> None:
    """Cost the sharding options of one (split, micro-batch), keeping the best in `kept`.

    ZeRO-3 is always costed; the others go from most to least sharded, and each one's step
    less its data-parallel traffic and optimizer bounds the next (which needs more memory, so
    at least as much recomputation, with the same compute and pipeline costs).
    """
    rest_floor = -math.inf
    for opt in search.optimizer_options(layout):
        chained = opt[0] != 3
        if chained and rest_floor == math.inf:
            break  # the more sharded option did not fit: a less sharded one cannot
        if chained and len(kept) >= want and rest_floor > kept[-1].step_time_s:
            break
        cand, floor_after = search.evaluate(layout, mb, opt)
        if chained:
            rest_floor = floor_after
        if cand is None:
            continue
        kept.append(cand)
        kept.sort(key=_sort_key)
        del kept[want:]


def _sort_key(c: LayoutCandidate) -> tuple[float, float]:
    return (c.step_time_s, c.memory_per_gpu_gib)


def auto_layout(
    model: TransformerModel,
    hardware: JobHardware,
    num_gpus: int,
    seq_len: int,
    global_batch: int,
    precision: str,
    base: TrainingExecution | None = None,
    *,
    max_alternatives: int = 5,
) -> LayoutChoice:
    """The fastest layout of `model` on `num_gpus` GPUs of `hardware` that fits in memory.

    Raises:
        InputError: the GPU lacks the precision, or no layout fits (the message says what the
            least memory-hungry split needs against what the GPU has).
    """
    check_precision(hardware.gpu, precision)
    update = {
        "num_gpus": num_gpus,
        "seq_len": seq_len,
        "global_batch": global_batch,
        "precision": precision,
        "parallelism": Parallelism(),
        "micro_batch": None,
        "layout": "given",
    }
    base = (base or TrainingExecution(**update)).model_copy(update=update)  # type: ignore[arg-type]
    search = LayoutSearch(
        model, hardware, base, usable_memory_bytes(hardware.gpu), GemmTimer(hardware.gpu)
    )
    kept, least_gib = _best(search, 1 + max_alternatives)
    if not kept:
        need = f"at least {least_gib:,.1f} GiB per GPU" if least_gib else "more memory"
        raise InputError(
            [
                Problem(
                    OPTIONS,
                    "num_gpus",
                    f"no layout of {model.id or model.name} on {num_gpus} {hardware.gpu.name} "
                    f"fits: the least memory-hungry split needs {need}, the GPU has "
                    f"{search.limit_bytes / GIB:,.1f} GiB usable; use more GPUs or a smaller "
                    "batch or sequence",
                )
            ]
        )
    rejected = [(what, why) for _, what, why in sorted(search.rejected, key=lambda r: r[0])]
    return LayoutChoice(kept[0], kept[1:], _unique(rejected), search.evaluated)


def auto_hint(model: TransformerModel, hardware: JobHardware, execution: TrainingExecution) -> str:
    """What the automatic layout would pick for `execution`'s size, batch and precision."""
    try:
        choice = auto_layout(
            model,
            hardware,
            execution.num_gpus,
            execution.seq_len,
            execution.global_batch,
            execution.precision,
            base=execution,
        )
    except InputError:
        return "nothing: no layout of this job fits on these GPUs"
    best = choice.best
    return (
        f"{best.describe()} ({best.step_time_s:,.3g} s per step, "
        f"{best.memory_per_gpu_gib:,.1f} GiB per GPU)"
    )


def memory_refusal(estimate: TrainingEstimate, hardware: JobHardware, hint: str) -> str:
    """The one message refusing a layout that does not fit: its need, the GPU's, the way out.

    Field names are quoted (`` `layout` ``) so the CLI prints them as its flags.
    """
    usable = usable_memory_bytes(hardware.gpu) / GIB
    return (
        f"does not fit in GPU memory: the layout needs {estimate.memory_per_gpu_gib:,.1f} GiB "
        f"per GPU (recompute {estimate.recompute}) but a {hardware.gpu.name} has "
        f"{usable:,.1f} GiB usable; `layout` auto would pick {hint}; `allow_oom` estimates "
        "it anyway"
    )


def _unique(items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    seen: set[str] = set()
    out = []
    for what, why in items:
        if what not in seen:
            seen.add(what)
            out.append((what, why))
    return out


__all__ = [
    "LayoutCandidate",
    "LayoutChoice",
    "auto_hint",
    "auto_layout",
    "describe_layout",
    "layout_dict",
    "memory_refusal",
]
