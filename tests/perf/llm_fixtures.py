"""Models and hardware for the training/inference tests, built in code (no catalog data needed).

The shipped GPU profiles are used as they are; nodes and fabrics are made here, so these tests
do not move when the catalog's node or interconnect files change.
"""

from __future__ import annotations

from simulator.catalog import Catalog
from simulator.perf.hardware import JobHardware
from simulator.perf.topology import group_from_profiles
from simulator.schema.interconnect import InterconnectProfile
from simulator.schema.model import MoeConfig, TransformerModel

TEST_FABRIC = InterconnectProfile(
    id="test-ib-ndr",
    name="test InfiniBand NDR",
    source="test fixture",
    as_of="2024-01",
    technology="infiniband",
    scope="scale_out",
    generation="NDR",
    bandwidth_gb_per_s=50,
    latency_us=5,
    topologies=["fat_tree"],
    default_topology="fat_tree",
)


def hardware(catalog: Catalog, gpu_id: str, num_gpus: int, gpus_per_node: int = 8) -> JobHardware:
    """`num_gpus` GPUs of `gpu_id`, `gpus_per_node` per NVLink node, one NDR NIC per GPU."""
    gpu = catalog.gpu(gpu_id)
    per_node = min(num_gpus, gpus_per_node)
    group = group_from_profiles(
        gpu,
        num_gpus=num_gpus,
        gpus_per_node=per_node,
        node_gpus=gpus_per_node,
        scale_out=TEST_FABRIC if num_gpus > gpus_per_node else None,
    )
    return JobHardware(gpu=gpu, job_group=group)


def gpt(layers: int, hidden: int, heads: int, vocab: int = 51200) -> TransformerModel:
    """A Megatron GPT shape: FFN 4h, GELU."""
    return TransformerModel(
        name=f"gpt {layers}x{hidden}",
        num_layers=layers,
        hidden_size=hidden,
        num_attention_heads=heads,
        ffn_hidden_size=4 * hidden,
        vocab_size=vocab,
    )


LLAMA2_7B = TransformerModel(
    name="llama-2-7b shape",
    num_layers=32,
    hidden_size=4096,
    num_attention_heads=32,
    ffn_hidden_size=11008,
    ffn_type="swiglu",
    vocab_size=32000,
)
LLAMA3_70B = TransformerModel(
    name="llama-3-70b shape",
    num_layers=80,
    hidden_size=8192,
    num_attention_heads=64,
    num_kv_heads=8,
    ffn_hidden_size=28672,
    ffn_type="swiglu",
    vocab_size=128256,
)
MIXTRAL_8X7B = TransformerModel(
    name="mixtral-8x7b shape",
    num_layers=32,
    hidden_size=4096,
    num_attention_heads=32,
    num_kv_heads=8,
    ffn_hidden_size=14336,
    ffn_type="swiglu",
    vocab_size=32000,
    moe=MoeConfig(num_experts=8, top_k=2, expert_ffn_hidden_size=14336),
)
