"""Transformer model shape (presets live in scenarios/models/)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simulator.schema.base import AsOf, ProfileId, StrictModel


class MoeConfig(StrictModel):
    """Mixture-of-experts feed-forward layers."""

    num_experts: int = Field(gt=1)
    top_k: int = Field(gt=0)
    expert_ffn_hidden_size: int = Field(gt=0)
    num_shared_experts: int = Field(default=0, ge=0)
    first_dense_layers: int = Field(default=0, ge=0, description="leading layers with dense FFN")

    @model_validator(mode="after")
    def _top_k_fits(self) -> MoeConfig:
        if self.top_k > self.num_experts:
            raise ValueError("top_k must not exceed num_experts")
        return self


class MlaConfig(StrictModel):
    """Multi-head latent attention (DeepSeek-V2/V3): compressed KV cache."""

    q_lora_rank: int = Field(gt=0)
    kv_lora_rank: int = Field(gt=0)
    qk_rope_head_dim: int = Field(gt=0)
    qk_nope_head_dim: int = Field(gt=0)
    v_head_dim: int = Field(gt=0)


class TransformerModel(StrictModel):
    """Shape of a decoder-only transformer."""

    id: ProfileId | None = None
    name: str = Field(min_length=1)
    source: str | None = None
    as_of: AsOf | None = None
    num_layers: int = Field(gt=0)
    hidden_size: int = Field(gt=0)
    num_attention_heads: int = Field(gt=0)
    num_kv_heads: int | None = Field(default=None, gt=0, description="GQA groups; None = MHA")
    head_dim: int | None = Field(default=None, gt=0, description="None = hidden / heads")
    ffn_hidden_size: int = Field(gt=0)
    ffn_type: Literal["gelu", "swiglu"] = "gelu"
    vocab_size: int = Field(gt=0)
    max_seq_len: int | None = Field(default=None, gt=0)
    tied_embeddings: bool = False
    moe: MoeConfig | None = None
    mla: MlaConfig | None = None

    @model_validator(mode="after")
    def _heads_consistent(self) -> TransformerModel:
        if self.num_kv_heads is not None and self.num_attention_heads % self.num_kv_heads:
            raise ValueError("num_attention_heads must be a multiple of num_kv_heads")
        if self.head_dim is None and self.hidden_size % self.num_attention_heads:
            raise ValueError("hidden_size must be a multiple of num_attention_heads")
        return self

    @property
    def kv_heads(self) -> int:
        """Key/value heads (equal to attention heads for multi-head attention)."""
        return self.num_kv_heads or self.num_attention_heads

    @property
    def head_size(self) -> int:
        """Per-head dimension."""
        return self.head_dim or self.hidden_size // self.num_attention_heads
