"""Time of one transformer layer's forward pass on one GPU, from GEMMs, bytes and collectives.

The per-GPU shapes after the parallel split are timed with the GEMM model (`gemm_time_s`):
column-parallel linears split their outputs by `tp`, row-parallel linears their inputs, routed
experts run as a grouped GEMM over the local experts, and the attention core (scores `QK^T`
and context `AV`) as batched GEMMs over the local heads across the full `s x s` score matrix.
(Causal flash attention does half those FLOPs at roughly half a dense GEMM's efficiency, so
the time is similar.) Work that moves bytes rather than FLOPs - norms, residual adds,
activation functions, dropout, an unfused softmax - costs bytes over the achievable memory
bandwidth plus one launch per kernel. Collectives come from `collective_time_s`.

Backward passes are timed on their own shapes (input gradient `dY W^T`, weight gradient
`X^T dY`); elementwise backward work moves about twice the forward bytes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from simulator.perf.gemm import GemmEstimate, gemm_time_s
from simulator.perf.transformer_flops import LayerKind, Linear, attention_dims
from simulator.schema.gpu import GpuProfile
from simulator.schema.model import TransformerModel

AttentionKernel = Literal["flash", "unfused"]

ELEMENTWISE_BACKWARD_FACTOR = 2.0
"""Backward elementwise kernels read the saved input and the incoming gradient and write the
outgoing gradient: about twice the forward bytes."""

ELEMENTWISE_KERNELS_PER_LAYER = 6
"""Memory-bound kernels per layer forward after the usual fusions (two norms, two fused
bias-dropout-residual adds, the activation function, rotary or bias add)."""

UNFUSED_SOFTMAX_BYTES_PER_SCORE = 9.0
"""Unfused attention (Megatron's fused scale-mask-softmax plus dropout): read scores and write
probabilities (2 + 2 bytes), dropout reads them and writes output and a 1-byte mask (2 + 2 + 1)."""


class GemmTimer:
    """`gemm_time_s` with a memo: one estimate evaluates the same shapes many times."""

    def __init__(self, gpu: GpuProfile) -> None:
        self.gpu = gpu
        self._memo: dict[tuple[int, int, int, str, int], GemmEstimate] = {}

    def __call__(self, m: float, n: float, k: float, dtype: str, batch: float = 1) -> float:
        """Seconds for `batch` GEMMs of m x n x k (dimensions rounded up to whole numbers)."""
        return self.estimate(m, n, k, dtype, batch).time_s

    def estimate(self, m: float, n: float, k: float, dtype: str, batch: float = 1) -> GemmEstimate:
        """The full GemmEstimate (memoized)."""
        key = (_whole(m), _whole(n), _whole(k), dtype, _whole(batch))
        hit = self._memo.get(key)
        if hit is None:
            hit = gemm_time_s(self.gpu, key[0], key[1], key[2], dtype, batch=key[4])
            self._memo[key] = hit
        return hit

    @property
    def memory_bytes_per_s(self) -> float:
        """Achievable device-memory bandwidth."""
        gpu = self.gpu
        return gpu.memory_bandwidth_gb_per_s * 1e9 * gpu.efficiency.memory_bandwidth_fraction

    @property
    def launch_s(self) -> float:
        """Fixed cost of one kernel launch."""
        return self.gpu.efficiency.gemm.launch_overhead_us * 1e-6

    def memory_bound_s(self, num_bytes: float, kernels: int = 1) -> float:
        """Seconds to stream `num_bytes` through `kernels` memory-bound kernels."""
        return num_bytes / self.memory_bytes_per_s + kernels * self.launch_s


def main_loop_fraction(gpu: GpuProfile, dtype: str) -> float:
    """The profile's GEMM main-loop fraction of peak for `dtype` (checked to exist upstream)."""
    fractions = {str(k): v for k, v in gpu.efficiency.gemm.max_fraction_of_peak.items()}
    return fractions[dtype]


def _whole(x: float) -> int:
    return max(1, math.ceil(x - 1e-9))


@dataclass(frozen=True)
class LayerShape:
    """What the per-GPU shapes depend on."""

    tokens: float
    """tokens of this micro-batch on this GPU (micro_batch * seq_len / cp)"""
    batch: int
    """sequences in the micro-batch"""
    query_len: float
    """query positions per sequence on this GPU (seq_len / cp)"""
    kv_len: float
    """key positions each query attends to"""
    tp: int = 1
    ep: int = 1
    sequence_parallel: bool = False
    linear_dtype: str = "bf16"
    attention_dtype: str = "bf16"
    attention_kernel: AttentionKernel = "flash"
    dropout: bool = True


def linear_gemm_dims(
    lin: Linear, shape: LayerShape, num_experts: int = 1
) -> tuple[float, float, float, float]:
    """(m, n, k, batch) of a linear's forward GEMM on one GPU."""
    tp = shape.tp
    if lin.expert:
        local = max(1.0, lin.copies / shape.ep)
        routed = shape.tokens * shape.ep  # tokens of the expert-parallel group
        # experts that receive at least one token (all of them, unless the batch is tiny)
        touched = local * (1.0 - (1.0 - lin.tokens_per_token / lin.copies) ** routed)
        touched = max(1.0, touched)
        m = shape.tokens * lin.tokens_per_token / touched
        return m, lin.out_features / tp, lin.in_features, touched
    m = shape.tokens * lin.tokens_per_token
    if lin.split == "column":
        return m, lin.out_features / tp, lin.in_features, 1
    if lin.split == "row":
        return m, lin.out_features, lin.in_features / tp, 1
    return m, lin.out_features, lin.in_features, 1


@dataclass(frozen=True)
class PassTimes:
    """Seconds of one layer, one micro-batch, on one GPU (communication excluded)."""

    linear_fwd_s: float
    linear_bwd_s: float
    attention_fwd_s: float
    attention_bwd_s: float
    elementwise_fwd_s: float
    elementwise_bwd_s: float
    softmax_fwd_s: float
    softmax_bwd_s: float

    @property
    def forward_s(self) -> float:
        """Whole forward pass."""
        return (
            self.linear_fwd_s + self.attention_fwd_s + self.elementwise_fwd_s + self.softmax_fwd_s
        )

    @property
    def backward_s(self) -> float:
        """Whole backward pass."""
        return (
            self.linear_bwd_s + self.attention_bwd_s + self.elementwise_bwd_s + self.softmax_bwd_s
        )

    @property
    def attention_core_fwd_s(self) -> float:
        """What selective recomputation repeats: the attention core and its softmax."""
        return self.attention_fwd_s + self.softmax_fwd_s


def layer_times(
    timer: GemmTimer,
    model: TransformerModel,
    kind: LayerKind,
    shape: LayerShape,
    *,
    frozen_weights: bool = False,
) -> PassTimes:
    """Forward and backward compute time of one layer of `kind` for one micro-batch.

    `frozen_weights` (LoRA) skips the weight-gradient GEMMs: a frozen base still needs the
    input gradient to reach earlier layers.
    """
    lin_fwd = lin_bwd = 0.0
    for lin in kind.linears:
        m, n, k, b = linear_gemm_dims(lin, shape)
        lin_fwd += timer(m, n, k, shape.linear_dtype, b)
        lin_bwd += timer(m, k, n, shape.linear_dtype, b)  # input gradient dY W^T
        if not frozen_weights:
            lin_bwd += timer(k, n, m, shape.linear_dtype, b)  # weight gradient X^T dY
    qk_dim, v_dim = attention_dims(model)
    heads = shape.batch * model.num_attention_heads / shape.tp
    scores = timer(shape.query_len, shape.kv_len, qk_dim, shape.attention_dtype, heads)
    context = timer(shape.query_len, v_dim, shape.kv_len, shape.attention_dtype, heads)
    attn_fwd = scores + context
    attn_bwd = 2.0 * attn_fwd
    elem_bytes = elementwise_bytes_per_token(model, kind, shape) * shape.tokens
    elem_fwd = timer.memory_bound_s(elem_bytes, ELEMENTWISE_KERNELS_PER_LAYER)
    elem_bwd = timer.memory_bound_s(
        ELEMENTWISE_BACKWARD_FACTOR * elem_bytes, ELEMENTWISE_KERNELS_PER_LAYER
    )
    soft_fwd = soft_bwd = 0.0
    if shape.attention_kernel == "unfused":
        scores_per_gpu = heads * shape.query_len * shape.kv_len
        soft_bytes = UNFUSED_SOFTMAX_BYTES_PER_SCORE * scores_per_gpu
        soft_fwd = timer.memory_bound_s(soft_bytes, 2)
        soft_bwd = timer.memory_bound_s(ELEMENTWISE_BACKWARD_FACTOR * soft_bytes, 2)
    return PassTimes(lin_fwd, lin_bwd, attn_fwd, attn_bwd, elem_fwd, elem_bwd, soft_fwd, soft_bwd)


def elementwise_bytes_per_token(
    model: TransformerModel, kind: LayerKind, shape: LayerShape
) -> float:
    """Bytes the memory-bound kernels of one layer move per token, forward (16-bit values).

    Two norms (read and write h), two residual adds (read 2h, write h, plus read/write and a
    1-byte mask when there is dropout), and the activation function over the FFN width
    (GELU: read and write f; SwiGLU: read 2f, write f), per routed copy for experts.
    Sequence parallelism runs the norms and residual adds on 1/tp of the tokens.
    """
    h = model.hidden_size
    per_residual = 2.0 * (3 * h + (2 * h + 0.5 * h if shape.dropout else 0.0))
    replicated = 2.0 * 2 * (2 * h) + per_residual
    if shape.sequence_parallel:
        replicated /= shape.tp
    act_values = 3.0 if model.ffn_type == "swiglu" else 2.0
    act = 0.0
    for lin in kind.linears:
        if lin.name.endswith("_down"):
            act += 2.0 * act_values * lin.in_features * lin.tokens_per_token / shape.tp
    return replicated + act


def lm_head_times(
    timer: GemmTimer, model: TransformerModel, shape: LayerShape, *, frozen: bool = False
) -> tuple[float, float]:
    """(forward, backward) seconds of the LM head and the vocab-parallel cross-entropy loss."""
    h, vocab = model.hidden_size, model.vocab_size
    m, n = shape.tokens, vocab / shape.tp
    fwd = timer(m, n, h, shape.attention_dtype)
    bwd = timer(m, h, n, shape.attention_dtype)
    if not frozen:
        bwd += timer(h, n, m, shape.attention_dtype)
    # loss: fp32 logits written, read for max and sum-exp, gradient written (4 passes x 4 B)
    loss_bytes = 16.0 * m * n
    fwd += timer.memory_bound_s(loss_bytes / 2, 2) + timer.memory_bound_s(4.0 * h * m, 1)
    bwd += timer.memory_bound_s(loss_bytes / 2, 1)
    return fwd, bwd
