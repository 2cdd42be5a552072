"""Memory footprint: closed forms from the ZeRO and Korthikanti et al. papers."""

from __future__ import annotations

import pytest

from simulator.perf.memory import (
    GIB,
    StageParams,
    inference_memory,
    inference_weight_bytes_per_gpu,
    interleave_factor,
    kv_cache_bytes_per_token_per_gpu,
    layer_activation_bytes_per_token,
    max_inference_batch,
    model_state_bytes,
    stage_params,
    training_memory,
    usable_memory_bytes,
)
from simulator.perf.parallelism import ParallelLayout
from simulator.perf.transformer_flops import kv_cache_bytes_per_token, layer_kinds, total_params
from simulator.schema.model import MlaConfig, TransformerModel
from tests.perf.llm_fixtures import LLAMA3_70B, gpt

GPT_175B = gpt(96, 12288, 96)


def test_gpt3_has_175b_parameters() -> None:
    assert total_params(GPT_175B) == pytest.approx(175e9, rel=0.01)
    # 12 l h^2 (+ norms) + embedding and untied LM head, V h each
    expected = 12 * 96 * 12288**2 + 2 * 51200 * 12288
    assert total_params(GPT_175B) == pytest.approx(expected, rel=0.001)


def test_adam_mixed_precision_is_16_bytes_per_param_at_zero_0() -> None:
    params = StageParams(dense=1e9, expert=0.0)
    w, g, o = model_state_bytes(params, ParallelLayout(dp=8))
    assert (w, g, o) == (2e9, 2e9, 12e9)
    assert (w + g + o) / 1e9 == 16


@pytest.mark.parametrize(
    ("zero", "expected"),
    [
        (0, (2.0, 2.0, 12.0)),
        (1, (2.0, 2.0, 12.0 / 8)),
        (2, (2.0, 2.0 / 8, 12.0 / 8)),
        (3, (2.0 / 8, 2.0 / 8, 12.0 / 8)),
    ],
)
def test_zero_stages_divide_by_data_parallel(zero: int, expected: tuple) -> None:
    w, g, o = model_state_bytes(StageParams(1.0, 0.0), ParallelLayout(dp=8), zero=zero)
    assert (w, g, o) == pytest.approx(expected)


def test_distributed_optimizer_is_zero_1_over_dp_times_cp() -> None:
    layout = ParallelLayout(dp=4, cp=2)
    assert model_state_bytes(StageParams(1.0, 0.0), layout, distributed_optimizer=True) == (
        pytest.approx((2.0, 2.0, 12.0 / 8))
    )


def test_expert_optimizer_state_shards_over_expert_data_parallel() -> None:
    layout = ParallelLayout(dp=8, ep=4)  # each expert replicated on 8 / 4 = 2 ranks
    _, _, optimizer = model_state_bytes(StageParams(0.0, 1.0), layout, zero=1)
    assert optimizer == pytest.approx(12.0 / 2)


def test_lora_has_no_base_gradients_or_optimizer_state() -> None:
    params = StageParams(dense=7e9, expert=0.0, trainable_lora=10e6)
    w, g, o = model_state_bytes(params, ParallelLayout(), mode="lora")
    assert w == pytest.approx(2 * (7e9 + 10e6))
    assert g == pytest.approx(2 * 10e6)
    assert o == pytest.approx(12 * 10e6)


def _per_layer(model: TransformerModel, s: int, b: int, t: int, sp: bool, recompute: str) -> float:
    kind = layer_kinds(model)[0]
    per_token = layer_activation_bytes_per_token(
        model,
        kind,
        seq_len=s,
        tp=t,
        sequence_parallel=sp,
        recompute=recompute,  # type: ignore[arg-type]
        attention_kernel="unfused",
    )
    return per_token * s * b


def test_korthikanti_activation_formulas() -> None:
    model = gpt(24, 2048, 16)
    s, b, h, a = 2048, 2, 2048, 16
    sbh = s * b * h
    # no parallelism: s b h (34 + 5 a s / h)
    assert _per_layer(model, s, b, 1, False, "none") == pytest.approx(sbh * (34 + 5 * a * s / h))
    # tensor parallel t: s b h (10 + 24/t + 5 a s/(h t))
    t = 8
    expected = sbh * (10 + 24 / t + 5 * a * s / (h * t))
    assert _per_layer(model, s, b, t, False, "none") == pytest.approx(expected)
    # sequence parallel divides everything by t
    assert _per_layer(model, s, b, t, True, "none") == pytest.approx(sbh / t * (34 + 5 * a * s / h))
    # selective recomputation drops the 5 a s / h term
    assert _per_layer(model, s, b, t, True, "selective") == pytest.approx(sbh / t * 34)
    assert _per_layer(model, s, b, 1, False, "selective") == pytest.approx(sbh * 34)
    # full recomputation keeps the layer input: 2 s b h (/ t with sequence parallel)
    assert _per_layer(model, s, b, 1, False, "full") == pytest.approx(2 * sbh)
    assert _per_layer(model, s, b, t, True, "full") == pytest.approx(2 * sbh / t)


def test_flash_attention_never_stores_the_score_matrix() -> None:
    model = gpt(24, 2048, 16)
    kind = layer_kinds(model)[0]
    kwargs = dict(seq_len=4096, tp=1, sequence_parallel=False)
    flash = layer_activation_bytes_per_token(
        model, kind, recompute="none", attention_kernel="flash", **kwargs
    )
    selective = layer_activation_bytes_per_token(
        model, kind, recompute="selective", attention_kernel="unfused", **kwargs
    )
    assert flash == selective


def test_pipeline_first_stage_holds_a_whole_model_of_activations() -> None:
    model = gpt(32, 4096, 32, vocab=8)  # tiny vocab: logits out of the way
    s, b = 2048, 1
    per_layer = _per_layer(model, s, b, 1, False, "selective")
    for pp in (1, 2, 4):
        layout = ParallelLayout(pp=pp, dp=1)
        mem = training_memory(
            model, layout, seq_len=s, micro_batch=b, num_microbatches=16, recompute="selective"
        )
        assert mem.stage == 0 or pp == 1
        assert mem.activations_bytes == pytest.approx(32 * per_layer)
    # fewer micro-batches than stages: only those are in flight
    mem = training_memory(
        model,
        ParallelLayout(pp=4),
        seq_len=s,
        micro_batch=b,
        num_microbatches=2,
        recompute="selective",
    )
    assert mem.activations_bytes <= 2 * 8 * per_layer * 1.0001


def test_interleaved_schedule_factor() -> None:
    assert interleave_factor(ParallelLayout(pp=4, vpp=1)) == 1
    assert interleave_factor(ParallelLayout(pp=4, vpp=2)) == pytest.approx(1 + 3 / 8)


def test_last_stage_carries_the_lm_head_and_logits() -> None:
    params = stage_params(LLAMA3_70B, ParallelLayout(pp=4))
    head = LLAMA3_70B.vocab_size * LLAMA3_70B.hidden_size
    assert params[-1].dense - params[1].dense == pytest.approx(head + LLAMA3_70B.hidden_size)
    assert params[0].dense - params[1].dense == pytest.approx(head)


def test_kv_cache_bytes_per_token() -> None:
    # 2 * layers * kv_heads * head_dim * bytes
    assert kv_cache_bytes_per_token(LLAMA3_70B, 2) == 2 * 80 * 8 * 128 * 2
    per_gpu = kv_cache_bytes_per_token_per_gpu(LLAMA3_70B, tp=4, pp=1, kv_dtype="fp16")
    assert per_gpu == 2 * 80 * 2 * 128 * 2
    # more TP ranks than KV heads: each rank keeps one head
    per_gpu = kv_cache_bytes_per_token_per_gpu(LLAMA3_70B, tp=16, pp=2, kv_dtype="fp8")
    assert per_gpu == 2 * 40 * 1 * 128 * 1


def test_mla_caches_the_compressed_latent() -> None:
    model = TransformerModel(
        name="mla",
        num_layers=61,
        hidden_size=7168,
        num_attention_heads=128,
        ffn_hidden_size=18432,
        ffn_type="swiglu",
        vocab_size=129280,
        mla=MlaConfig(
            q_lora_rank=1536,
            kv_lora_rank=512,
            qk_rope_head_dim=64,
            qk_nope_head_dim=128,
            v_head_dim=128,
        ),
    )
    assert kv_cache_bytes_per_token(model, 2) == 61 * (512 + 64) * 2


def test_quantized_weights_shrink_by_dtype() -> None:
    fp16 = inference_weight_bytes_per_gpu(LLAMA3_70B, tp=1, pp=1, precision="fp16")
    int4 = inference_weight_bytes_per_gpu(LLAMA3_70B, tp=1, pp=1, precision="int4")
    fp8 = inference_weight_bytes_per_gpu(LLAMA3_70B, tp=1, pp=1, precision="fp8")
    embeddings = 2 * 2 * LLAMA3_70B.vocab_size * LLAMA3_70B.hidden_size  # stay 16-bit
    assert fp16 == pytest.approx(2 * total_params(LLAMA3_70B), rel=1e-6)
    assert (fp8 - embeddings) == pytest.approx((fp16 - embeddings) / 2, rel=0.001)
    assert (int4 - embeddings) == pytest.approx((fp16 - embeddings) / 4, rel=0.001)


def test_max_batch_is_the_largest_that_fits(catalog) -> None:
    gpu = catalog.gpu("h100-sxm-80gb")
    kwargs = dict(tp=2, pp=1, precision="fp16", input_len=2048, output_len=512)
    best = max_inference_batch(LLAMA3_70B, gpu, **kwargs)
    assert best > 0
    limit = usable_memory_bytes(gpu)
    assert inference_memory(LLAMA3_70B, batch=best, **kwargs).total_bytes <= limit
    assert inference_memory(LLAMA3_70B, batch=best + 1, **kwargs).total_bytes > limit
    # a model larger than the GPU has no batch that fits
    assert max_inference_batch(LLAMA3_70B, gpu, **{**kwargs, "tp": 1}) == 0
    assert usable_memory_bytes(gpu) < gpu.memory_gib * GIB
