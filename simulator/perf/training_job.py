"""What the performance model trains and what it reports: `TrainingJob` and `TrainingEstimate`.

`TrainingJob` is the flat, hashable view of a `TrainingExecution` and its model (hashable so
the engine can cache step times by job shape); `training_job` is the one adapter from the
schema. Kept apart from the step model so callers that only build or read jobs need not read
how a step is costed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simulator.perf.layer_cost import (
    AttentionKernel,
)
from simulator.perf.memory import (
    Mode,
    Recompute,
    TrainingMemory,
)
from simulator.perf.parallelism import (
    ParallelLayout,
)
from simulator.schema.execution import Precision, RecomputeChoice, TrainingExecution
from simulator.schema.model import TransformerModel


@dataclass(frozen=True)
class TrainingJob:
    """What to train, how it is split and batched (everything but the hardware).

    The performance model's flat, hashable view of a `TrainingExecution` and its model; the
    engine, `estimate training` and the validation harness all build it with `training_job`,
    so its defaults (kept equal to the execution's by a test) matter only to direct callers.
    """

    model: TransformerModel
    num_gpus: int
    seq_len: int
    global_batch: int
    micro_batch: int | None = None
    """None: 1 with pipeline parallelism, else the fastest divisor of the per-replica batch
    that fits in memory"""
    tp: int = 1
    pp: int = 1
    vpp: int = 1
    cp: int = 1
    ep: int = 1
    dp: int | None = None
    sequence_parallel: bool = False
    recompute: RecomputeChoice = "auto"
    zero: int = 0
    distributed_optimizer: bool = False
    precision: Precision = "bf16"
    mode: Mode = "pretrain"
    lora_rank: int | None = None
    attention: AttentionKernel = "flash"
    """'unfused' materializes the s x s scores (pre-2022 frameworks such as Megatron-LM's
    fused softmax): more memory traffic and the 5as/h activation term"""
    tp_comm_overlap: bool = False
    """split the sequence-parallel all-gathers and reduce-scatters into chunks pipelined with
    the linear GEMMs (Transformer Engine userbuffers): only what outlasts the GEMMs is exposed"""
    overlap_grad_reduce: bool = True
    """reduce gradients bucket by bucket during the last micro-batch's backward (Megatron-core
    `overlap_grad_reduce`, PyTorch DDP/FSDP); False reduces after the backward pass"""
    dp_bucket_params: int | None = None
    """gradient bucket size in parameters; None: Megatron-core's max(40M, 1M x dp)"""


def training_job(execution: TrainingExecution, model: TransformerModel) -> TrainingJob:
    """The performance model's inputs for one execution of `model`: the one adapter.

    A scenario's training job is a `TrainingExecution`, and so is what `estimate training`
    parses its flags into, so both reach `estimate_training` through here.
    """
    p = execution.parallelism
    return TrainingJob(
        model=model,
        num_gpus=execution.num_gpus,
        seq_len=execution.seq_len,
        global_batch=execution.global_batch,
        micro_batch=execution.micro_batch,
        tp=p.tp,
        pp=p.pp,
        vpp=p.vpp,
        cp=p.cp,
        ep=p.ep,
        dp=p.dp,
        sequence_parallel=p.sequence_parallel,
        recompute=p.recompute,
        zero=p.zero,
        distributed_optimizer=p.distributed_optimizer,
        precision=execution.precision,
        mode=execution.mode,
        lora_rank=execution.lora_rank,
        attention=execution.attention,
        tp_comm_overlap=execution.tp_comm_overlap,
        overlap_grad_reduce=execution.overlap_grad_reduce,
        dp_bucket_params=execution.dp_bucket_params,
    )


@dataclass(frozen=True)
class TrainingEstimate:
    """One training step, per GPU where it says so."""

    step_time_s: float
    tokens_per_s: float
    model_tflops_per_gpu: float
    hardware_tflops_per_gpu: float
    mfu: float
    memory_per_gpu_gib: float
    fits_in_memory: bool
    breakdown: dict[str, float]
    memory: TrainingMemory
    layout: ParallelLayout
    micro_batch: int
    num_microbatches: int
    recompute: Recompute
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON output (seconds, GiB, TFLOP/s)."""
        lay = self.layout
        return {
            "step_time_s": self.step_time_s,
            "tokens_per_s": self.tokens_per_s,
            "model_tflops_per_gpu": self.model_tflops_per_gpu,
            "hardware_tflops_per_gpu": self.hardware_tflops_per_gpu,
            "mfu": self.mfu,
            "memory_per_gpu_gib": self.memory_per_gpu_gib,
            "fits_in_memory": self.fits_in_memory,
            "breakdown": dict(self.breakdown),
            "memory": self.memory.as_dict(),
            "layout": {
                "tp": lay.tp,
                "pp": lay.pp,
                "vpp": lay.vpp,
                "cp": lay.cp,
                "ep": lay.ep,
                "dp": lay.dp,
                "sequence_parallel": lay.sequence_parallel,
                "micro_batch": self.micro_batch,
                "num_microbatches": self.num_microbatches,
                "recompute": self.recompute,
            },
            "notes": list(self.notes),
        }
