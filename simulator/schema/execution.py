"""How a job runs: every execution knob once, with one default and one description.

A scenario's training job (`schema/workloads.py`, which adds only lifecycle fields) and
`infrasim estimate training` (whose flags are these field names with dashes) both validate
into `TrainingExecution`, and the performance model reads it through one builder
(`simulator.perf.training.training_job`). So the same job gives the same step time through
`infrasim run` and `infrasim estimate training`: there is no second default to drift.

Serving is the same: a scenario's inference service extends `ServingExecution` with its
lifecycle and traffic, `infrasim estimate serving` and `estimate inference` take its fields as
flags, and the performance model reads a replica through one adapter
(`simulator.perf.serving_iteration.replica_shape`, `simulator.perf.inference.inference_job`).
Serving precision used to default to bf16 in the scenario and fp16 in the commands; it is bf16
everywhere now.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from simulator.schema.base import StrictModel

Precision = Literal["bf16", "fp16", "fp8"]
Mode = Literal["pretrain", "full_finetune", "lora"]
RecomputeChoice = Literal["auto", "none", "selective", "full"]
AttentionKernel = Literal["flash", "unfused"]
ZeroStage = Literal[0, 1, 2, 3]
ServingPrecision = Literal["fp16", "bf16", "fp8", "int8", "int4"]
KvDtype = Literal["fp16", "bf16", "fp8", "int8"]
DecodeAttentionKernel = Literal["grouped", "per_query_head"]
"""How an engine's decode-attention kernel reads GQA's shared KV heads
(simulator/perf/decode_attention.py)."""
Routing = Literal["round_robin", "least_outstanding", "kv_aware"]
LayoutMode = Literal["given", "auto"]
"""`given`: the parallelism as written; `auto`: searched (simulator/perf/auto_layout.py)."""


class Parallelism(StrictModel):
    """How a training job splits over its GPUs."""

    tp: int = Field(default=1, gt=0, description="tensor-parallel degree")
    pp: int = Field(default=1, gt=0, description="pipeline stages")
    vpp: int = Field(
        default=1, gt=0, description="virtual pipeline stages per GPU (interleaved 1F1B)"
    )
    cp: int = Field(default=1, gt=0, description="context-parallel degree")
    ep: int = Field(default=1, gt=0, description="expert-parallel degree")
    dp: int | None = Field(
        default=None, gt=0, description="data-parallel degree; derived from num_gpus when absent"
    )
    sequence_parallel: bool = Field(default=False, description="Megatron sequence parallelism")
    zero: ZeroStage = Field(default=0, description="ZeRO stage")
    distributed_optimizer: bool = Field(
        default=False, description="shard optimizer state over data-parallel ranks"
    )
    recompute: RecomputeChoice = Field(
        default="auto", description="activation recomputation; auto: the least that fits"
    )


def _parallelism_or_auto(schema: dict[str, Any]) -> None:
    """The JSON schema of `parallelism`: the degrees, or the word `auto` (`layout: auto`)."""
    ref = schema.pop("$ref", None)
    if ref is not None:
        schema["anyOf"] = [{"$ref": ref}, {"const": "auto", "type": "string"}]


class TrainingExecution(StrictModel):
    """What one training job runs and how: size, batch, split, numerics and overlap knobs."""

    num_gpus: int = Field(gt=0, description="GPUs in the job")
    seq_len: int = Field(gt=0, description="tokens per sequence")
    global_batch: int = Field(gt=0, description="sequences per step")
    micro_batch: int | None = Field(
        default=None,
        gt=0,
        description="sequences per micro-batch; automatic when absent (1 with pipeline "
        "parallelism, else the fastest divisor of the per-replica batch that fits in memory)",
    )
    parallelism: Parallelism = Field(
        default_factory=Parallelism, json_schema_extra=_parallelism_or_auto
    )
    layout: LayoutMode = Field(
        default="given",
        description="auto: search tp/pp/vpp/cp/ep/dp, micro-batch, sequence parallelism, "
        "optimizer sharding and recomputation for the fastest layout that fits (a scenario may "
        "write `parallelism: auto`); given: the parallelism as written",
    )
    allow_oom: bool = Field(
        default=False,
        description="estimate a layout that does not fit in GPU memory instead of refusing it "
        "(for studies)",
    )
    precision: Precision = Field(default="bf16", description="GEMM precision")
    mode: Mode = Field(
        default="pretrain",
        description="what is trained: pretrain, full_finetune or lora (lora when only lora_rank "
        "is given)",
    )
    lora_rank: int | None = Field(
        default=None, gt=0, description="LoRA adapter rank (frozen base, adapters on attention)"
    )
    attention: AttentionKernel = Field(
        default="flash",
        description="attention kernels; 'unfused' materializes the s x s scores (pre-2022 "
        "frameworks): more memory traffic and activation memory",
    )
    tp_comm_overlap: bool = Field(
        default=False,
        description="overlap sequence-parallel all-gathers and reduce-scatters with the "
        "linear GEMMs (Transformer Engine userbuffers)",
    )
    overlap_grad_reduce: bool = Field(
        default=True,
        description="reduce gradients bucket by bucket during the last micro-batch's backward, "
        "as Megatron-core does; off: after the backward pass",
    )
    dp_bucket_params: int | None = Field(
        default=None,
        gt=0,
        description="gradient bucket size in parameters; Megatron-core's max(40M, 1M x dp) "
        "when absent",
    )

    @model_validator(mode="before")
    @classmethod
    def _lora_when_rank_given(cls, data: Any) -> Any:
        """A rank without a mode means LoRA (what `--lora-rank` alone has always meant)."""
        if isinstance(data, dict) and data.get("mode") is None and data.get("lora_rank"):
            return {**data, "mode": "lora"}
        return data

    @model_validator(mode="before")
    @classmethod
    def _parallelism_auto(cls, data: Any) -> Any:
        """`parallelism: auto` (how a scenario says it) is `layout: auto` with no degrees."""
        if isinstance(data, dict) and data.get("parallelism") == "auto":
            if data.get("layout", "auto") != "auto":
                raise ValueError("`parallelism: auto` contradicts `layout: given`")
            return {**{k: v for k, v in data.items() if k != "parallelism"}, "layout": "auto"}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> TrainingExecution:
        if self.mode == "lora" and self.lora_rank is None:
            raise ValueError("mode lora needs lora_rank")
        p = self.parallelism
        # with layout auto, `zero` is no degree but the highest ZeRO stage the search may use
        searched = p.model_fields_set - {"zero"}
        if self.layout == "auto" and (searched or self.micro_batch is not None):
            given = sorted(searched) + (["micro_batch"] if self.micro_batch else [])
            raise ValueError(
                "layout auto searches the parallelism and micro-batch itself: give none of "
                + ", ".join(given)
            )
        model_parallel = p.tp * p.pp * p.cp
        if self.num_gpus % model_parallel:
            raise ValueError(
                f"num_gpus ({self.num_gpus}) must be a multiple of tp*pp*cp ({model_parallel})"
            )
        if p.dp is not None and p.dp * model_parallel != self.num_gpus:
            raise ValueError(
                f"tp*pp*cp*dp = {p.dp * model_parallel} but num_gpus is {self.num_gpus}"
            )
        return self


class ServingExecution(StrictModel):
    """How one serving replica runs: its split, numerics, kernels and batching limits.

    `infrasim estimate serving` takes every field as a flag (`estimate inference`, a static
    batch, the split, numerics and kernels); a scenario's `InferenceService` adds lifecycle
    and traffic. One default each, so a service and the command it is checked with agree.
    """

    tp: int = Field(default=1, gt=0, description="tensor-parallel degree")
    pp: int = Field(default=1, gt=0, description="pipeline stages")
    precision: ServingPrecision = Field(
        default="bf16",
        description="weight and GEMM precision (int8 and int4: weight-only, 16-bit math)",
    )
    kv_dtype: KvDtype | None = Field(
        default=None, description="KV-cache dtype (default fp8 with fp8, else 16-bit)"
    )
    decode_attention: DecodeAttentionKernel = Field(
        default="grouped",
        description="how the engine's decode-attention kernel reads GQA's shared KV heads: once "
        "per group (XQA, FlashInfer, FlashAttention) or once per query head (TensorRT-LLM "
        "before 0.7.1; the repeats are served by L2)",
    )
    routing: Routing = Field(
        default="least_outstanding", description="how the router picks a replica per request"
    )
    max_num_seqs: int = Field(
        default=256, gt=0, description="sequences a replica runs at once (vLLM's default)"
    )
    max_batched_tokens: int = Field(
        default=8192,
        gt=0,
        description="chunked-prefill token budget per iteration (vLLM V1's default for online "
        "serving)",
    )

    @property
    def gpus_per_replica(self) -> int:
        """GPUs one replica holds (tp * pp)."""
        return self.tp * self.pp
