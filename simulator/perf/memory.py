"""GPU memory footprint of training and inference, and the largest batch that fits.

Training (per GPU, on the pipeline stage that needs the most):

- model states with Adam in mixed precision: 2 bytes of 16-bit weights, 2 of gradients and 12
  of optimizer state (fp32 master weights, momentum, variance) per parameter, 16 in all (ZeRO,
  Rajbhandari et al. 2020). ZeRO-1 or Megatron's distributed optimizer shards the 12 over the
  data-parallel (x context-parallel) ranks, ZeRO-2 also the gradients, ZeRO-3 / FSDP also the
  weights. LoRA freezes the base: 16-bit weights only, adapters carry the full 16 bytes.
- activations per layer and micro-batch (Korthikanti et al. 2022, "Reducing Activation
  Recomputation in Large Transformer Models"): `s b h (34 + 5 a s / h)` bytes for a GPT layer
  without parallelism, `s b h (10 + 24/t + 5 a s/(h t))` with tensor parallelism, everything
  divided by t with sequence parallelism; selective recomputation drops the `5 a s / h` softmax
  term; full recomputation keeps only each layer's input (`2 s b h`, divided by t with sequence
  parallelism) plus one layer's working set. The same accounting, term by term, covers grouped-
  query attention, SwiGLU and MoE layers. 1F1B keeps `pp - stage` micro-batches in flight
  (the first stage holds a whole model's worth of layers); the interleaved schedule multiplies
  that by `1 + (p - 1)/(p v)`.

Inference: weights at the serving precision (embeddings and norms stay 16-bit), the KV cache
(`2 layers kv_heads head_dim` values per token, or the MLA latent), and a prefill workspace.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from simulator.perf.parallelism import ParallelLayout, stage_layer_counts
from simulator.perf.transformer_flops import (
    LayerKind,
    Linear,
    attention_dims,
    attention_linears,
    embedding_params,
    kv_cache_bytes_per_token,
    layer_kinds,
    lm_head_params,
    norm_params_per_layer,
)
from simulator.schema.gpu import DTYPE_BYTES, GpuProfile
from simulator.schema.model import TransformerModel

Recompute = Literal["none", "selective", "full"]
Mode = Literal["pretrain", "full_finetune", "lora"]

GIB = 2**30

WEIGHT_BYTES_PER_PARAM = 2.0
"""16-bit working weights (bf16/fp16; fp8 training keeps 16-bit weights and casts per GEMM)."""
GRADIENT_BYTES_PER_PARAM = 2.0
"""16-bit gradients, as in the ZeRO paper's 16 bytes/param accounting."""
OPTIMIZER_BYTES_PER_PARAM = 12.0
"""Adam in mixed precision: fp32 master weights, momentum and variance."""
ACTIVATION_BYTES = 2.0
"""16-bit activations (Korthikanti et al. count fp16 activations and 1-byte dropout masks)."""
LOGIT_BYTES = 4.0
"""The cross-entropy loss holds fp32 logits for the last stage's micro-batch."""

RESERVED_MEMORY_GIB = 2.0
"""GPU memory no model state can use: the CUDA context (about 0.5 GiB), cuBLAS and NCCL
workspaces and allocator slack. Published serving runs fill 80 GiB parts to about 77 GiB
(e.g. TensorRT-LLM's Llama-2-7B batch 60 x 2176 tokens on one A100 80GB)."""

LORA_TARGETS = ("qkv", "attn_out", "q_up", "kv_up", "q_down", "kv_down")
"""Linears that get LoRA adapters: the attention projections (NeMo's default target)."""


def usable_memory_bytes(gpu: GpuProfile) -> float:
    """Bytes of the GPU a job can use (see RESERVED_MEMORY_GIB)."""
    return max(0.0, gpu.memory_gib - RESERVED_MEMORY_GIB) * GIB


# --------------------------------------------------------------------------- parameters


def linear_params_per_rank(lin: Linear, tp: int, ep: int = 1) -> float:
    """Weights of one linear (all its copies) held by one rank."""
    params = float(lin.params)
    if lin.expert:
        return params / (ep * tp)
    return params if lin.split == "replicated" else params / tp


def layer_params_per_rank(
    model: TransformerModel, kind: LayerKind, tp: int, ep: int
) -> tuple[float, float]:
    """(non-expert, expert) weights of one layer on one rank, norms included."""
    dense = float(norm_params_per_layer(model))
    expert = 0.0
    for lin in kind.linears:
        if lin.expert:
            expert += linear_params_per_rank(lin, tp, ep)
        else:
            dense += linear_params_per_rank(lin, tp)
    return dense, expert


def lora_params_per_layer_rank(model: TransformerModel, rank: int, tp: int) -> float:
    """LoRA adapter weights of one layer on one rank: r (in + out) per targeted linear."""
    return sum(
        rank * (lin.in_features + lin.out_features) / tp
        for lin in attention_linears(model)
        if lin.name in LORA_TARGETS
    )


@dataclass(frozen=True)
class StageParams:
    """Parameters one rank of a pipeline stage holds."""

    dense: float
    """shardable over dp * cp ranks (attention, dense FFN, norms, embeddings)"""
    expert: float
    """shardable over the expert-data-parallel ranks"""
    trainable_lora: float = 0.0

    @property
    def total(self) -> float:
        """All weights on the rank."""
        return self.dense + self.expert + self.trainable_lora


def stage_params(
    model: TransformerModel, layout: ParallelLayout, lora_rank: int | None = None
) -> list[StageParams]:
    """Per-rank parameters of every pipeline stage (embedding on the first, head on the last)."""
    kinds = {k.name: k for k in layer_kinds(model)}
    per_layer: dict[str, tuple[float, float]] = {
        name: layer_params_per_rank(model, kind, layout.tp, layout.ep)
        for name, kind in kinds.items()
    }
    lora_layer = lora_params_per_layer_rank(model, lora_rank, layout.tp) if lora_rank else 0.0
    emb = embedding_params(model) / layout.tp
    head = (lm_head_params(model) or embedding_params(model)) / layout.tp
    result = []
    counts = stage_layer_counts(model, layout)
    for i, (n_dense, n_moe) in enumerate(counts):
        dense = expert = 0.0
        for name, n in (("dense", n_dense), ("moe", n_moe)):
            if n:
                d, e = per_layer[name]
                dense += n * d
                expert += n * e
        if i == 0:
            dense += emb
        if i == layout.pp - 1:
            dense += model.hidden_size + (
                head if (layout.pp > 1 or not model.tied_embeddings) else 0.0
            )
        result.append(StageParams(dense, expert, lora_layer * (n_dense + n_moe)))
    return result


# --------------------------------------------------------------------------- activations


def layer_activation_bytes_per_token(
    model: TransformerModel,
    kind: LayerKind,
    *,
    seq_len: int,
    tp: int,
    sequence_parallel: bool,
    recompute: Recompute,
    attention_kernel: str = "unfused",
) -> float:
    """Activation bytes one layer stores for one token of a micro-batch (16-bit, with masks).

    For a GPT layer this is Korthikanti et al.'s `h (34 + 5 a s / h)` split as
    `10 h + 24 h / t + 5 a s / t` (sequence parallelism divides the first term by t too).
    The `5 a s` softmax term exists only for unfused attention without recomputation: flash
    attention never stores the score matrix (it recomputes it, as selective recomputation does).
    """
    h = model.hidden_size
    if recompute == "full":
        return ACTIVATION_BYTES * h / (tp if sequence_parallel else 1)
    qk_dim, v_dim = attention_dims(model)
    heads = model.num_attention_heads / tp
    kv_heads = max(model.kv_heads / tp, 1.0)
    # replicated across tensor-parallel ranks unless sequence parallel:
    # two norm inputs (4h), QKV and FFN inputs (4h), two dropout masks (2h, 1 byte each)
    unsplit = 10.0 * h
    # split by tensor parallelism: Q, K, V, out-projection input, FFN intermediates
    split = ACTIVATION_BYTES * (heads * qk_dim + kv_heads * (qk_dim + v_dim) + heads * v_dim)
    split += _ffn_activation_bytes(model, kind, tp)
    if recompute == "none" and attention_kernel == "unfused":
        # scores (2), softmax output (2) and dropout mask (1) per query-key pair
        split += 5.0 * heads * seq_len
    if sequence_parallel:
        unsplit /= tp
    return unsplit + split


def _ffn_activation_bytes(model: TransformerModel, kind: LayerKind, tp: int) -> float:
    """FFN intermediates per token: GELU input and output (4f), or SwiGLU gate, up, output (6f).

    Routed experts store these `top_k` times, plus the dispatched copy of the token input.
    """
    per_width = 6.0 if model.ffn_type == "swiglu" else 4.0
    total = 0.0
    for lin in kind.linears:
        if not lin.name.endswith("_down"):
            continue
        total += lin.tokens_per_token * per_width * lin.in_features / tp
        if lin.expert:
            total += lin.tokens_per_token * ACTIVATION_BYTES * model.hidden_size
    return total


def interleave_factor(layout: ParallelLayout) -> float:
    """Extra in-flight activations of the interleaved schedule: 1 + (p - 1)/(p v)."""
    if layout.vpp <= 1:
        return 1.0
    return 1.0 + (layout.pp - 1) / (layout.pp * layout.vpp)


@dataclass(frozen=True)
class TrainingMemory:
    """Bytes per GPU on the stage that needs the most."""

    weights_bytes: float
    gradients_bytes: float
    optimizer_bytes: float
    activations_bytes: float
    other_bytes: float
    """logits of the loss, ZeRO-3 gathered weights"""
    stage: int

    @property
    def total_bytes(self) -> float:
        """Everything."""
        return (
            self.weights_bytes
            + self.gradients_bytes
            + self.optimizer_bytes
            + self.activations_bytes
            + self.other_bytes
        )

    @property
    def total_gib(self) -> float:
        """Everything, in GiB."""
        return self.total_bytes / GIB

    def as_dict(self) -> dict[str, float]:
        """GiB per category, for reports."""
        return {
            "weights_gib": self.weights_bytes / GIB,
            "gradients_gib": self.gradients_bytes / GIB,
            "optimizer_gib": self.optimizer_bytes / GIB,
            "activations_gib": self.activations_bytes / GIB,
            "other_gib": self.other_bytes / GIB,
            "total_gib": self.total_gib,
        }


def model_state_bytes(
    params: StageParams,
    layout: ParallelLayout,
    *,
    zero: int = 0,
    distributed_optimizer: bool = False,
    mode: Mode = "pretrain",
) -> tuple[float, float, float]:
    """(weights, gradients, optimizer) bytes per rank for the stage's parameters."""
    shard_dense = layout.optimizer_shard
    shard_expert = layout.expert_data_parallel
    if mode == "lora":
        frozen = params.dense + params.expert
        trainable, shard = params.trainable_lora, shard_dense
        weights = WEIGHT_BYTES_PER_PARAM * (frozen / (shard if zero >= 3 else 1))
        weights += WEIGHT_BYTES_PER_PARAM * trainable / (shard if zero >= 3 else 1)
        grads = GRADIENT_BYTES_PER_PARAM * trainable / (shard if zero >= 2 else 1)
        opt_shard = shard if (zero >= 1 or distributed_optimizer) else 1
        return weights, grads, OPTIMIZER_BYTES_PER_PARAM * trainable / opt_shard

    def sharded(per_param: float, active: bool) -> float:
        if not active:
            return per_param * (params.dense + params.expert)
        return per_param * (params.dense / shard_dense + params.expert / shard_expert)

    weights = sharded(WEIGHT_BYTES_PER_PARAM, zero >= 3)
    grads = sharded(GRADIENT_BYTES_PER_PARAM, zero >= 2)
    optimizer = sharded(OPTIMIZER_BYTES_PER_PARAM, zero >= 1 or distributed_optimizer)
    return weights, grads, optimizer


def training_memory(
    model: TransformerModel,
    layout: ParallelLayout,
    *,
    seq_len: int,
    micro_batch: int,
    num_microbatches: int,
    recompute: Recompute,
    zero: int = 0,
    distributed_optimizer: bool = False,
    mode: Mode = "pretrain",
    lora_rank: int | None = None,
    attention_kernel: str = "unfused",
) -> TrainingMemory:
    """Peak memory per GPU over the pipeline stages (see the module docstring)."""
    kinds = {k.name: k for k in layer_kinds(model)}
    tokens = micro_batch * seq_len / layout.cp
    per_token = {
        name: layer_activation_bytes_per_token(
            model,
            kind,
            seq_len=seq_len,
            tp=layout.tp,
            sequence_parallel=layout.sequence_parallel,
            recompute=recompute,
            attention_kernel=attention_kernel,
        )
        for name, kind in kinds.items()
    }
    working_layer = 0.0
    if recompute == "full":
        working_layer = tokens * max(
            layer_activation_bytes_per_token(
                model,
                kind,
                seq_len=seq_len,
                tp=layout.tp,
                sequence_parallel=layout.sequence_parallel,
                recompute="none",
                attention_kernel=attention_kernel,
            )
            for kind in kinds.values()
        )
    params = stage_params(model, layout, lora_rank if mode == "lora" else None)
    counts = stage_layer_counts(model, layout)
    best: TrainingMemory | None = None
    for i, (stage, (n_dense, n_moe)) in enumerate(zip(params, counts, strict=True)):
        in_flight = float(min(layout.pp - i, num_microbatches))
        if i == 0:
            in_flight *= interleave_factor(layout)
        layer_bytes = tokens * (
            n_dense * per_token.get("dense", 0.0) + n_moe * per_token.get("moe", 0.0)
        )
        activations = in_flight * layer_bytes + working_layer
        other = 0.0
        if i == layout.pp - 1:
            other += LOGIT_BYTES * tokens * model.vocab_size / layout.tp
        weights, grads, optimizer = model_state_bytes(
            stage, layout, zero=zero, distributed_optimizer=distributed_optimizer, mode=mode
        )
        if zero >= 3:
            other += 2 * WEIGHT_BYTES_PER_PARAM * stage.total / max(1, n_dense + n_moe)
        candidate = TrainingMemory(weights, grads, optimizer, activations, other, i)
        if best is None or candidate.total_bytes > best.total_bytes:
            best = candidate
    assert best is not None
    return best


# --------------------------------------------------------------------------- inference

WeightDtype = Literal["fp16", "bf16", "fp8", "int8", "int4"]
WEIGHT_DTYPE_BYTES: dict[str, float] = {"fp16": 2, "bf16": 2, "fp8": 1, "int8": 1, "int4": 0.5}
"""Bytes per weight at each serving precision (int4 group scales are neglected)."""


def default_kv_dtype(precision: str) -> str:
    """KV-cache dtype when not given: fp8 with fp8 serving, else 16-bit."""
    return "fp8" if precision == "fp8" else ("bf16" if precision == "bf16" else "fp16")


def kv_heads_per_rank(model: TransformerModel, tp: int) -> float:
    """KV heads a tensor-parallel rank caches (replicated when tp exceeds the KV heads)."""
    return max(model.kv_heads / tp, 1.0)


def kv_cache_bytes_per_token_per_gpu(
    model: TransformerModel, *, tp: int, pp: int, kv_dtype: str
) -> float:
    """KV-cache bytes one GPU holds per token of context (its layers and KV heads)."""
    full = kv_cache_bytes_per_token(model, DTYPE_BYTES[kv_dtype])
    if model.mla is None:
        full *= kv_heads_per_rank(model, tp) / model.kv_heads
    return full / pp


def inference_weight_bytes_per_gpu(
    model: TransformerModel, *, tp: int, pp: int, precision: str
) -> float:
    """Weights on the heaviest GPU: layer linears at `precision`, the rest 16-bit."""
    layout = ParallelLayout(tp=tp, pp=pp, ep=1)
    per_weight = WEIGHT_DTYPE_BYTES[precision]
    kinds = {k.name: k for k in layer_kinds(model)}
    linear = {
        name: sum(linear_params_per_rank(lin, tp) for lin in kind.linears)
        for name, kind in kinds.items()
    }
    heaviest = 0.0
    for i, (n_dense, n_moe) in enumerate(stage_layer_counts(model, layout)):
        total = per_weight * (n_dense * linear.get("dense", 0.0) + n_moe * linear.get("moe", 0.0))
        total += 2.0 * (n_dense + n_moe) * norm_params_per_layer(model)
        if i == 0:
            total += 2.0 * embedding_params(model) / tp
        if i == pp - 1:
            total += 2.0 * (lm_head_params(model) or embedding_params(model)) / tp
        heaviest = max(heaviest, total)
    return heaviest


def prefill_workspace_bytes_per_token(model: TransformerModel, tp: int) -> float:
    """Live 16-bit activations per prompt token during prefill: residual, norm output, and
    the widest intermediate (fused QKV or FFN up-projection) of one layer."""
    widest = max(
        lin.out_features * lin.tokens_per_token / tp
        for kind in layer_kinds(model)
        for lin in kind.linears
        if lin.split == "column"
    )
    return ACTIVATION_BYTES * (2.0 * model.hidden_size + widest)


@dataclass(frozen=True)
class InferenceMemory:
    """Bytes per GPU while serving a static batch."""

    weights_bytes: float
    kv_cache_bytes: float
    workspace_bytes: float

    @property
    def total_bytes(self) -> float:
        """Everything."""
        return self.weights_bytes + self.kv_cache_bytes + self.workspace_bytes

    @property
    def total_gib(self) -> float:
        """Everything, in GiB."""
        return self.total_bytes / GIB


def inference_memory(
    model: TransformerModel,
    *,
    tp: int,
    pp: int,
    precision: str,
    batch: int,
    input_len: int,
    output_len: int,
    kv_dtype: str | None = None,
) -> InferenceMemory:
    """Memory per GPU for `batch` sequences of `input_len + output_len` tokens."""
    kv_dtype = kv_dtype or default_kv_dtype(precision)
    weights = inference_weight_bytes_per_gpu(model, tp=tp, pp=pp, precision=precision)
    per_token = kv_cache_bytes_per_token_per_gpu(model, tp=tp, pp=pp, kv_dtype=kv_dtype)
    kv = per_token * batch * (input_len + output_len)
    workspace = prefill_workspace_bytes_per_token(model, tp) * batch * input_len
    workspace += LOGIT_BYTES * batch * model.vocab_size / tp
    return InferenceMemory(weights, kv, workspace)


def max_inference_batch(
    model: TransformerModel,
    gpu: GpuProfile,
    *,
    tp: int,
    pp: int,
    precision: str,
    input_len: int,
    output_len: int,
    kv_dtype: str | None = None,
) -> int:
    """Largest static batch whose weights, KV cache and workspace fit (0 if none does)."""
    empty = inference_memory(
        model,
        tp=tp,
        pp=pp,
        precision=precision,
        batch=0,
        input_len=input_len,
        output_len=output_len,
        kv_dtype=kv_dtype,
    )
    one = inference_memory(
        model,
        tp=tp,
        pp=pp,
        precision=precision,
        batch=1,
        input_len=input_len,
        output_len=output_len,
        kv_dtype=kv_dtype,
    )
    per_sequence = one.total_bytes - empty.total_bytes
    free = usable_memory_bytes(gpu) - empty.total_bytes
    if free < per_sequence:
        return 0
    return int(math.floor(free / per_sequence))
