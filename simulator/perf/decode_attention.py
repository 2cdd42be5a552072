"""Cost of one decode step's attention: every cached token of every sequence is read once more.

A decode step's attention is memory-bound: each sequence's single query token scores all its
cached keys and sums all its cached values, so the kernel streams `batch * context` tokens of KV
cache from device memory and does about one FLOP per byte. How often each cached byte is
*requested* depends on the kernel, and with grouped-query attention (GQA: several query heads
share one KV head) that is the difference between engines:

- ``grouped`` kernels (TensorRT-LLM's XQA and its GQA-optimized masked MHA from v0.7.1,
  FlashInfer, FlashAttention's and vLLM's GQA-aware paged attention) load a KV head once and
  score all the query heads of its group against it: device memory and L2 each see the KV
  cache once.
- ``per_query_head`` kernels (TensorRT-LLM's masked multi-head attention before v0.7.1, whose
  release notes list "MMHA optimization for MQA and GQA"; vLLM's paged attention before it
  learned GQA, vLLM issue 1880) run one thread block per query head, and every block loads its
  group's KV head. The blocks of one group run side by side (the head index is the fastest
  grid dimension), so the repeats hit in L2: device memory still sees the KV cache once, but
  L2 serves it `query heads / KV heads` times. For Llama-2-70B (8 query heads per KV head) on an
  A100, that L2 traffic, not HBM, bounds the step.

Every requested element is also converted to fp32 before its multiply-add (the masked MHA
kernel accumulates in fp32, whatever the cache dtype), and NVIDIA SMs issue type conversions at
16 results per clock (CUDA C++ Programming Guide, "Throughput of Native Arithmetic
Instructions": conversions to and from 32-bit types, compute capability 8.x and 9.0). That rate
is per element, not per byte, so an fp8 cache halves the bytes but not the conversions: for a
per-query-head kernel on an H100 with an fp8 cache it, not L2, bounds the step. For a KV byte
read once it never binds on the catalog's GPUs (16 conversions per clock per SM outrun HBM).

The step's attention is therefore the slowest of four streams: KV bytes over achievable HBM
bandwidth, requested bytes over achievable L2 bandwidth, requested elements over the conversion
rate, and the attention FLOPs over the tensor cores' main-loop rate. For multi-head attention
(one query head per KV head) the two kernels coincide.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from simulator.schema.gpu import GpuProfile
from simulator.schema.model import TransformerModel
from simulator.schema.scenario import DecodeAttentionKernel

DECODE_ATTENTION_KERNELS: tuple[str, ...] = get_args(DecodeAttentionKernel)

CONVERSIONS_PER_CLOCK_PER_SM = 16
"""fp16/bf16/fp8 -> fp32 conversions an NVIDIA SM issues per clock (CUDA C++ Programming
Guide, arithmetic instruction throughput table, compute capability 8.x and 9.0)."""


@dataclass(frozen=True)
class DecodeAttentionCost:
    """One layer's decode attention on one GPU, and what bounds it."""

    seconds: float
    bound: Literal["hbm", "l2", "convert", "compute"]
    note: str | None = None
    """said when the model had to assume something (an L2 bandwidth the profile lacks)"""


def kv_requests_per_cached_byte(
    model: TransformerModel, tp: int, kernel: DecodeAttentionKernel
) -> float:
    """How many times the kernel requests each cached KV byte held by one GPU.

    With tensor parallelism a GPU holds `heads / tp` query heads and `max(1, kv_heads / tp)`
    KV heads (KV heads are replicated when tp exceeds them); a multi-head latent attention
    model (MLA) keeps one latent that every query head reads.
    """
    if kernel == "grouped":
        return 1.0
    query_heads = model.num_attention_heads / tp
    kv_heads = 1.0 if model.mla is not None else max(1.0, model.kv_heads / tp)
    return max(1.0, query_heads / kv_heads)


def l2_bytes_per_s(gpu: GpuProfile) -> float | None:
    """Achievable L2 bandwidth: the profile's peak at the profile's achievable memory fraction
    (no published measurement separates the two for L2), or None when the profile lacks it."""
    if gpu.l2_bandwidth_gb_per_s is None:
        return None
    return gpu.l2_bandwidth_gb_per_s * 1e9 * gpu.efficiency.memory_bandwidth_fraction


def conversions_per_s(gpu: GpuProfile) -> float | None:
    """Cached elements an NVIDIA GPU can convert to fp32 per second (None: not NVIDIA, or no
    boost clock in the profile)."""
    if gpu.vendor != "nvidia" or gpu.boost_clock_mhz is None:
        return None
    return CONVERSIONS_PER_CLOCK_PER_SM * gpu.sm_count * gpu.boost_clock_mhz * 1e6


def decode_attention_layer_cost(
    gpu: GpuProfile,
    *,
    kv_bytes: float,
    kv_bytes_per_element: float,
    flops: float,
    requests_per_byte: float,
    hbm_bytes_per_s: float,
    compute_flops_per_s: float,
) -> DecodeAttentionCost:
    """Seconds of one layer's decode attention reading `kv_bytes` of cache with `flops` of work.

    Args:
        kv_bytes: KV cache this GPU holds for the batch in this layer (read once from HBM).
        kv_bytes_per_element: the cache dtype's width (1 for fp8, 2 for 16-bit).
        flops: attention FLOPs on this GPU in this layer (scores and weighted sum).
        requests_per_byte: from `kv_requests_per_cached_byte`; above 1, the repeats are
            served by L2.
        hbm_bytes_per_s: achievable device-memory bandwidth.
        compute_flops_per_s: achievable attention FLOP rate.
    """
    costs: dict[str, float] = {
        "hbm": kv_bytes / hbm_bytes_per_s,
        "compute": flops / compute_flops_per_s,
    }
    note = None
    if requests_per_byte > 1.0:
        l2 = l2_bytes_per_s(gpu)
        if l2 is None:
            note = (
                f"GPU {gpu.id} has no l2_bandwidth_gb_per_s: the per-query-head attention "
                "kernel's repeated KV reads were not charged"
            )
        else:
            costs["l2"] = kv_bytes * requests_per_byte / l2
    convert = conversions_per_s(gpu)
    if convert is not None:
        costs["convert"] = kv_bytes / kv_bytes_per_element * requests_per_byte / convert
    bound = max(costs, key=lambda name: costs[name])
    return DecodeAttentionCost(costs[bound], bound, note)  # type: ignore[arg-type]
