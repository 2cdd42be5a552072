"""Time and memory of one training step of a dense or mixture-of-experts transformer.

One micro-batch on one pipeline stage costs its layers' forward, backward and recomputed
forward (GEMM-level, see `layer_cost`), plus the collectives that sit on the critical path:
tensor-parallel all-reduces (2 forward + 2 backward per layer, repeated by full recomputation;
all-gather + reduce-scatter with sequence parallelism), MoE all-to-all dispatch and combine, and
whatever context-parallel KV exchange the attention core cannot hide. A step is then

    m * t_stage_max                     steady 1F1B (the slowest stage sets the pace)
  + (p - 1) / v * t_stage_mean          pipeline fill and drain: bubble (p-1)/(v m) of ideal
  + 2 (v m + p - 1) * t_p2p             activations and gradients between stages
  + dp exposed                          gradient reduction not hidden behind the last
                                        micro-batch's backward (at least the last bucket)
  + optimizer                           Adam streams its state through memory once

Costs are computed once per layer kind and multiplied by layer counts: no loop runs over
micro-batches or layers, so a 1T-parameter job on thousands of GPUs takes milliseconds.

Reported FLOP rates follow Narayanan et al. 2021: model FLOPs are 3 x forward (attention and LM
head included, no recomputation; LoRA: forward + input gradient, as the frozen base has no
weight gradient), hardware FLOPs add the recomputed forward work.

The job and estimate dataclasses live in `training_job.py` and the per-stage costs in
`training_step.py`; this module checks the job and searches micro-batch and recomputation
over them. Their names are re-exported here, the import path everyone uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from simulator.errors import InputError, Problem
from simulator.perf.hardware import JobHardware
from simulator.perf.layer_cost import GemmTimer
from simulator.perf.memory import (
    Recompute,
    TrainingMemory,
    usable_memory_bytes,
)
from simulator.perf.parallelism import (
    ParallelLayout,
    check_batch,
    option_problem,
    resolve_layout,
)
from simulator.perf.training_job import TrainingEstimate, TrainingJob, training_job
from simulator.perf.training_step import (
    ADAM_STEP_BYTES_PER_PARAM,
    DP_BUCKET_MIN_PARAMS,
    EMBEDDING_BYTES_PER_TOKEN_FACTOR,
    GRAD_COMM_BYTES,
    RECOMPUTE_ORDER,
    StageCost,
    StepModel,
    exposed_bucketed_s,
    micro_batch_candidates,
    step_memory,
)
from simulator.perf.transformer_flops import (
    forward_flops_per_token,
    recompute_flops_per_token,
    training_model_flops_per_token,
)
from simulator.schema.gpu import GpuProfile


def check_precision(gpu: GpuProfile, precision: str, field: str = "precision") -> None:
    """InputError naming `field` when the GPU has no tensor path (or efficiency) for it."""
    if gpu.peak_tflops.for_dtype(precision) is None or (
        precision not in gpu.efficiency.gemm.max_fraction_of_peak
    ):
        supported = [
            d
            for d in ("fp16", "bf16", "fp8")
            if gpu.peak_tflops.for_dtype(d) is not None
            and d in gpu.efficiency.gemm.max_fraction_of_peak
        ]
        raise InputError(
            [
                option_problem(
                    field,
                    f"{gpu.name} does not support {precision} "
                    f"(supported: {', '.join(supported) or 'none'})",
                )
            ]
        )


_LAYOUT_FIELDS = ("tp", "pp", "vpp", "cp", "ep", "dp")
"""Layout fields that a `TrainingExecution` nests under `parallelism`."""
_QUOTED_LAYOUT_FIELD = re.compile(r"`(" + "|".join(_LAYOUT_FIELDS) + r")`")


def _execution_path(field: str) -> str:
    """`tp` -> `parallelism.tp`; `num_gpus`, `global_batch` stay where they are."""
    return f"parallelism.{field}" if field in _LAYOUT_FIELDS else field


@contextmanager
def _execution_paths() -> Iterator[None]:
    """Re-raise the layout checks' problems (`tp`) at the execution's paths (`parallelism.tp`),
    as a scenario's training job and `TrainingExecution` spell them."""
    try:
        yield
    except InputError as exc:
        raise InputError(
            [
                Problem(
                    p.file,
                    _execution_path(p.field),
                    _QUOTED_LAYOUT_FIELD.sub(lambda m: f"`{_execution_path(m[1])}`", p.message),
                )
                for p in exc.problems
            ]
        ) from None


def _check_job(job: TrainingJob) -> None:
    problems = []
    if job.zero not in (0, 1, 2, 3):
        problems.append(
            option_problem("parallelism.zero", f"expected 0, 1, 2 or 3 (got {job.zero})")
        )
    if job.zero >= 2 and job.pp > 1:
        problems.append(
            option_problem(
                "parallelism.zero",
                "ZeRO-2/3 shard gradients per micro-batch and cannot be combined with "
                "pipeline parallelism; use `parallelism.zero` 1 or `parallelism.pp` 1",
            )
        )
    if job.mode == "lora" and not job.lora_rank:
        problems.append(option_problem("lora_rank", "LoRA needs a rank >= 1"))
    if job.lora_rank is not None and job.lora_rank < 1:
        problems.append(option_problem("lora_rank", f"must be at least 1 (got {job.lora_rank})"))
    if problems:
        raise InputError(problems)


def estimate_training(
    job: TrainingJob, hardware: JobHardware, timer: GemmTimer | None = None
) -> TrainingEstimate:
    """Estimate one training step of `job` on `hardware`.

    `timer`: a GEMM timer for `hardware.gpu` to reuse (its memo), for callers that cost many
    layouts on one GPU (`simulator.perf.auto_layout`); the result is the same without it.

    Raises:
        InputError: an impossible layout, batch split, precision or option, naming its field
            as the execution spells it (`parallelism.tp`, `global_batch`).
    """
    _check_job(job)
    check_precision(hardware.gpu, job.precision)
    if job.num_gpus != hardware.job_group.num_gpus:
        raise InputError([option_problem("num_gpus", "does not match the hardware group")])
    with _execution_paths():
        layout = resolve_layout(
            job.model,
            job.num_gpus,
            tp=job.tp,
            pp=job.pp,
            cp=job.cp,
            ep=job.ep,
            vpp=job.vpp,
            dp=job.dp,
            sequence_parallel=job.sequence_parallel,
        )
    limit = usable_memory_bytes(hardware.gpu)
    model = StepModel(job, hardware, layout, timer)
    recompute_options = RECOMPUTE_ORDER if job.recompute == "auto" else (job.recompute,)
    best: tuple[float, int, int, Recompute, dict, TrainingMemory] | None = None
    fallback: tuple[float, int, int, Recompute, dict, TrainingMemory] | None = None
    for micro_batch in micro_batch_candidates(job, layout):
        with _execution_paths():
            m = check_batch(layout, job.global_batch, micro_batch, job.seq_len)
        chosen: tuple[Recompute, TrainingMemory] | None = None
        for recompute in recompute_options:
            mem = step_memory(job, layout, micro_batch, m, recompute)
            if mem.total_bytes <= limit:
                chosen = (recompute, mem)
                break
        if chosen is None:
            if fallback is None:
                recompute = recompute_options[-1]
                mem = step_memory(job, layout, micro_batch, m, recompute)
                breakdown = model.step(micro_batch, m, recompute)
                fallback = (sum(breakdown.values()), micro_batch, m, recompute, breakdown, mem)
            continue
        recompute, mem = chosen
        breakdown = model.step(micro_batch, m, recompute)
        step = sum(breakdown.values())
        if best is None or step < best[0] * (1 - 1e-9):
            best = (step, micro_batch, m, recompute, breakdown, mem)
    fits = best is not None
    picked = best if best is not None else fallback
    assert picked is not None
    step, micro_batch, m, recompute, breakdown, mem = picked
    return _summarize(job, hardware, layout, step, micro_batch, m, recompute, breakdown, mem, fits)


def _summarize(
    job: TrainingJob,
    hardware: JobHardware,
    layout: ParallelLayout,
    step: float,
    micro_batch: int,
    m: int,
    recompute: Recompute,
    breakdown: dict,
    mem: TrainingMemory,
    fits: bool,
) -> TrainingEstimate:
    tokens = job.global_batch * job.seq_len
    if job.mode == "lora":
        per_token = 2.0 * forward_flops_per_token(job.model, job.seq_len)
    else:
        per_token = training_model_flops_per_token(job.model, job.seq_len)
    hw_per_token = per_token + recompute_flops_per_token(job.model, job.seq_len, recompute)
    gpus = job.num_gpus
    model_tflops = tokens * per_token / step / gpus / 1e12
    hardware_tflops = tokens * hw_per_token / step / gpus / 1e12
    peak = hardware.gpu.peak_tflops.for_dtype(job.precision) or 1.0
    notes = []
    if not fits and job.recompute in ("auto", "full"):
        notes.append("does not fit in GPU memory even with full recomputation")
    elif not fits:
        notes.append(f"does not fit in GPU memory with recompute '{recompute}'")
    if job.micro_batch is None:
        notes.append(f"micro-batch {micro_batch} chosen automatically")
    if job.recompute == "auto":
        notes.append(f"recompute '{recompute}' chosen automatically")
    return TrainingEstimate(
        step_time_s=step,
        tokens_per_s=tokens / step,
        model_tflops_per_gpu=model_tflops,
        hardware_tflops_per_gpu=hardware_tflops,
        mfu=model_tflops / peak,
        memory_per_gpu_gib=mem.total_gib,
        fits_in_memory=fits,
        breakdown=breakdown,
        memory=mem,
        layout=layout,
        micro_batch=micro_batch,
        num_microbatches=m,
        recompute=recompute,
        notes=notes,
    )


__all__ = [
    "ADAM_STEP_BYTES_PER_PARAM",
    "DP_BUCKET_MIN_PARAMS",
    "EMBEDDING_BYTES_PER_TOKEN_FACTOR",
    "GRAD_COMM_BYTES",
    "RECOMPUTE_ORDER",
    "StageCost",
    "StepModel",
    "TrainingEstimate",
    "TrainingJob",
    "check_precision",
    "estimate_training",
    "exposed_bucketed_s",
    "training_job",
]
