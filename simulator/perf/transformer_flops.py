"""Parameter, FLOP and byte counts of a decoder-only transformer, per layer and per token.

Every other performance model starts here, so the counts are kept as plain closed forms that a
reader can check against the papers:

- dense GPT layer: 12 h^2 matmul parameters (4 h^2 attention, 8 h^2 FFN with f = 4h), forward
  FLOPs per token 24 h^2 + 4 s h (Narayanan et al. 2021, Eq. 3 without recomputation);
- grouped-query attention shrinks the K and V projections to `kv_heads * head_dim` columns;
- SwiGLU has three FFN matrices (gate, up, down) instead of two;
- mixture-of-experts layers run `top_k` routed experts plus the shared experts per token;
- multi-head latent attention (MLA) follows the DeepSeek-V2/V3 projection chain.

Attention FLOPs count the full `s x s` score matrix (no causal halving), the convention of
Narayanan et al. that published "model FLOPs" use. Counts are per token unless a name says
otherwise; multiply by tokens, never loop over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from simulator.schema.model import TransformerModel

Split = Literal["column", "row", "replicated"]
"""How tensor parallelism splits a linear layer: by output columns, by input rows, or not."""


@dataclass(frozen=True)
class Linear:
    """One weight matrix of a layer, `in_features x out_features`, before any parallel split.

    `tokens_per_token` is how many times each token passes through it (top_k for a routed
    expert); `copies` is how many such matrices the layer holds (num_experts for routed experts).
    """

    name: str
    in_features: int
    out_features: int
    split: Split
    tokens_per_token: float = 1.0
    copies: int = 1
    expert: bool = False

    @property
    def params(self) -> int:
        """Weights held, all copies."""
        return self.in_features * self.out_features * self.copies

    @property
    def active_params(self) -> float:
        """Weights a token multiplies by (forward FLOPs per token = 2 x this)."""
        return self.in_features * self.out_features * self.tokens_per_token


@dataclass(frozen=True)
class LayerKind:
    """The linears of one kind of layer (dense or MoE) and how many layers are of that kind."""

    name: Literal["dense", "moe"]
    count: int
    linears: tuple[Linear, ...]

    @property
    def params(self) -> int:
        """Matmul weights of one layer."""
        return sum(lin.params for lin in self.linears)

    @property
    def active_params(self) -> float:
        """Matmul weights one token meets in one layer."""
        return sum(lin.active_params for lin in self.linears)


def attention_linears(model: TransformerModel) -> tuple[Linear, ...]:
    """Attention projections: fused QKV and output (or the MLA chain)."""
    h, a, d = model.hidden_size, model.num_attention_heads, model.head_size
    if model.mla is not None:
        m = model.mla
        qk_dim = m.qk_nope_head_dim + m.qk_rope_head_dim
        return (
            Linear("q_down", h, m.q_lora_rank, "replicated"),
            Linear("q_up", m.q_lora_rank, a * qk_dim, "column"),
            Linear("kv_down", h, m.kv_lora_rank + m.qk_rope_head_dim, "replicated"),
            Linear("kv_up", m.kv_lora_rank, a * (m.qk_nope_head_dim + m.v_head_dim), "column"),
            Linear("attn_out", a * m.v_head_dim, h, "row"),
        )
    return (
        Linear("qkv", h, (a + 2 * model.kv_heads) * d, "column"),
        Linear("attn_out", a * d, h, "row"),
    )


def ffn_linears(
    model: TransformerModel,
    ffn_hidden: int,
    *,
    tokens: float = 1.0,
    copies: int = 1,
    expert: bool = False,
    prefix: str = "ffn",
) -> tuple[Linear, ...]:
    """Up (and gate, fused) and down projections of one FFN of width `ffn_hidden`."""
    h = model.hidden_size
    up_width = 2 * ffn_hidden if model.ffn_type == "swiglu" else ffn_hidden
    return (
        Linear(f"{prefix}_up", h, up_width, "column", tokens, copies, expert),
        Linear(f"{prefix}_down", ffn_hidden, h, "row", tokens, copies, expert),
    )


def layer_kinds(model: TransformerModel) -> tuple[LayerKind, ...]:
    """Dense and MoE layer kinds with their counts (MoE models may lead with dense layers)."""
    attn = attention_linears(model)
    dense = LayerKind("dense", model.num_layers, attn + ffn_linears(model, model.ffn_hidden_size))
    if model.moe is None:
        return (dense,)
    moe = model.moe
    n_dense = min(moe.first_dense_layers, model.num_layers)
    linears = attn + (Linear("router", model.hidden_size, moe.num_experts, "replicated"),)
    linears += ffn_linears(
        model,
        moe.expert_ffn_hidden_size,
        tokens=moe.top_k,
        copies=moe.num_experts,
        expert=True,
        prefix="expert",
    )
    if moe.num_shared_experts:
        linears += ffn_linears(
            model, moe.expert_ffn_hidden_size * moe.num_shared_experts, prefix="shared"
        )
    kinds = [LayerKind("moe", model.num_layers - n_dense, linears)]
    if n_dense:
        kinds.insert(0, LayerKind("dense", n_dense, dense.linears))
    return tuple(k for k in kinds if k.count)


def norm_params_per_layer(model: TransformerModel) -> int:
    """Two norms per layer: LayerNorm (weight + bias) for GELU models, RMSNorm for SwiGLU."""
    per_norm = model.hidden_size * (1 if model.ffn_type == "swiglu" else 2)
    return 2 * per_norm


def embedding_params(model: TransformerModel) -> int:
    """Input embedding table."""
    return model.vocab_size * model.hidden_size


def lm_head_params(model: TransformerModel) -> int:
    """Output projection (zero extra weights when tied to the embedding)."""
    return 0 if model.tied_embeddings else model.vocab_size * model.hidden_size


@lru_cache(maxsize=256)
def total_params(model: TransformerModel) -> int:
    """All weights: layers, norms, embedding and LM head."""
    layers = sum(k.count * (k.params + norm_params_per_layer(model)) for k in layer_kinds(model))
    return layers + embedding_params(model) + lm_head_params(model) + model.hidden_size


@lru_cache(maxsize=256)
def active_params(model: TransformerModel) -> float:
    """Weights one token meets (MoE: routed top_k plus shared experts), embeddings included."""
    layers = sum(
        k.count * (k.active_params + norm_params_per_layer(model)) for k in layer_kinds(model)
    )
    return layers + embedding_params(model) + lm_head_params(model) + model.hidden_size


def attention_dims(model: TransformerModel) -> tuple[int, int]:
    """(query-key dimension, value dimension) per head."""
    if model.mla is not None:
        m = model.mla
        return m.qk_nope_head_dim + m.qk_rope_head_dim, m.v_head_dim
    return model.head_size, model.head_size


def attention_core_flops_per_token(model: TransformerModel, context_len: float) -> float:
    """Forward FLOPs of scores (QK^T) and context (AV) for one query token, one layer."""
    qk, v = attention_dims(model)
    return 2.0 * model.num_attention_heads * (qk + v) * context_len


def layer_forward_flops_per_token(model: TransformerModel, context_len: float) -> float:
    """Forward FLOPs per token summed over all layers (matmuls and attention core)."""
    matmul = sum(2.0 * k.count * k.active_params for k in layer_kinds(model))
    core = model.num_layers * attention_core_flops_per_token(model, context_len)
    return matmul + core


def lm_head_flops_per_token(model: TransformerModel) -> float:
    """Forward FLOPs of the output projection (logits) per token."""
    return 2.0 * model.hidden_size * model.vocab_size


def forward_flops_per_token(model: TransformerModel, context_len: float) -> float:
    """Forward FLOPs per token: all layers plus the LM head."""
    return layer_forward_flops_per_token(model, context_len) + lm_head_flops_per_token(model)


def training_model_flops_per_token(model: TransformerModel, seq_len: int) -> float:
    """Model FLOPs per trained token: 3 x forward (Narayanan et al. 2021), no recomputation.

    For a dense GPT this is 72 l h^2 (1 + s/(6h) + V/(12 l h)), about 6 N + 12 l h s.
    """
    return 3.0 * forward_flops_per_token(model, seq_len)


def recompute_flops_per_token(
    model: TransformerModel, seq_len: int, recompute: Literal["none", "selective", "full"]
) -> float:
    """Extra forward FLOPs per token that activation recomputation adds.

    Full recomputation repeats every layer's forward pass (not the LM head), as in Eq. 3 of
    Narayanan et al.; selective recomputation repeats only the attention core (Korthikanti et
    al. 2022).
    """
    if recompute == "full":
        return layer_forward_flops_per_token(model, seq_len)
    if recompute == "selective":
        return model.num_layers * attention_core_flops_per_token(model, seq_len)
    return 0.0


def megatron_eq3_flops(batch: int, seq_len: int, layers: int, hidden: int, vocab: int) -> float:
    """Narayanan et al. 2021 Eq. 3: FLOPs per iteration with full recomputation (GPT shape)."""
    return (
        96.0
        * batch
        * seq_len
        * layers
        * hidden**2
        * (1 + seq_len / (6 * hidden) + vocab / (16 * layers * hidden))
    )


def kv_cache_bytes_per_token(model: TransformerModel, dtype_bytes: float) -> float:
    """KV-cache bytes per token, all layers, one copy (no tensor-parallel split).

    Grouped-query attention: 2 * layers * kv_heads * head_dim * bytes. MLA caches the compressed
    latent plus the shared rotary key: layers * (kv_lora_rank + qk_rope_head_dim) * bytes.
    """
    if model.mla is not None:
        width = model.mla.kv_lora_rank + model.mla.qk_rope_head_dim
        return model.num_layers * width * dtype_bytes
    return 2.0 * model.num_layers * model.kv_heads * model.head_size * dtype_bytes
