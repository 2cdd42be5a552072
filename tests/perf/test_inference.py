"""Static-batch serving model: memory-bound decode, compute-bound prefill, TP, checks."""

from __future__ import annotations

import dataclasses

import pytest

from simulator.errors import InputError
from simulator.perf.decode_attention import decode_attention_layer_cost
from simulator.perf.inference import InferenceJob, estimate_inference
from simulator.perf.memory import inference_weight_bytes_per_gpu
from simulator.perf.transformer_flops import forward_flops_per_token
from tests.perf.llm_fixtures import LLAMA2_7B, LLAMA3_70B, MIXTRAL_8X7B, hardware


def _bandwidth(gpu) -> float:  # noqa: ANN001
    return gpu.memory_bandwidth_gb_per_s * 1e9 * gpu.efficiency.memory_bandwidth_fraction


@pytest.mark.parametrize("gpu_id", ["a100-sxm-80gb", "h100-sxm-80gb"])
def test_batch_1_decode_is_weight_bytes_over_bandwidth(catalog, gpu_id: str) -> None:
    hw = hardware(catalog, gpu_id, 1)
    job = InferenceJob(model=LLAMA2_7B, batch=1, input_len=128, output_len=128)
    est = estimate_inference(job, hw)
    floor = inference_weight_bytes_per_gpu(LLAMA2_7B, tp=1, pp=1, precision="fp16") / _bandwidth(
        hw.gpu
    )
    # weights stream once per token; kernel launches and the KV cache add a little
    assert floor < est.tpot_s < 1.35 * floor


def test_decode_turns_compute_bound_at_large_batch(catalog) -> None:
    hw = hardware(catalog, "h100-sxm-80gb", 1)
    job = InferenceJob(model=LLAMA2_7B, batch=1, input_len=128, output_len=128)
    one = estimate_inference(job, hw)
    big = estimate_inference(dataclasses.replace(job, batch=256), hw)
    assert big.tpot_s < 8 * one.tpot_s  # 256x the tokens for far less than 256x the time
    assert big.output_tokens_per_s > 30 * one.output_tokens_per_s
    # at large batch the step is bounded below by its FLOPs
    flops = 256 * forward_flops_per_token(LLAMA2_7B, 192)
    assert big.tpot_s > flops / (hw.gpu.peak_tflops.fp16 * 1e12)


def test_decode_grows_with_context(catalog) -> None:
    hw = hardware(catalog, "a100-sxm-80gb", 1)
    short = InferenceJob(model=LLAMA2_7B, batch=32, input_len=128, output_len=128)
    long = dataclasses.replace(short, input_len=4096)
    assert estimate_inference(long, hw).tpot_s > 1.5 * estimate_inference(short, hw).tpot_s


def test_ttft_is_the_prefill_and_compute_bound(catalog) -> None:
    hw = hardware(catalog, "h100-sxm-80gb", 1)
    job = InferenceJob(model=LLAMA2_7B, batch=8, input_len=2048, output_len=1)
    est = estimate_inference(job, hw)
    flops = 8 * 2048 * forward_flops_per_token(LLAMA2_7B, 2048)
    peak = hw.gpu.peak_tflops.fp16 * 1e12
    assert flops / peak < est.ttft_s < 2.0 * flops / peak
    assert est.e2e_latency_s == pytest.approx(est.ttft_s)
    assert est.tpot_s == 0


def test_latency_and_throughput_identities(catalog) -> None:
    hw = hardware(catalog, "h100-sxm-80gb", 8)
    job = InferenceJob(model=LLAMA3_70B, batch=64, input_len=1024, output_len=256, tp=4, num_gpus=8)
    est = estimate_inference(job, hw)
    assert est.replicas == 2
    assert est.e2e_latency_s == pytest.approx(est.ttft_s + 255 * est.tpot_s)
    assert est.output_tokens_per_s == pytest.approx(2 * 64 * 256 / est.e2e_latency_s)
    assert est.output_tokens_per_s_per_gpu == pytest.approx(est.output_tokens_per_s / 8)
    assert est.decode_breakdown["tp_comm"] > 0


def test_tensor_parallel_cuts_latency(catalog) -> None:
    hw = hardware(catalog, "h100-sxm-80gb", 8)
    job = InferenceJob(model=LLAMA3_70B, batch=1, input_len=512, output_len=64, tp=2)
    tp2 = estimate_inference(job, hw)
    tp8 = estimate_inference(dataclasses.replace(job, tp=8), hw)
    assert tp8.tpot_s < tp2.tpot_s
    assert tp8.ttft_s < tp2.ttft_s


def test_quantized_weights_decode_faster(catalog) -> None:
    hw = hardware(catalog, "h100-sxm-80gb", 1)
    job = InferenceJob(model=LLAMA2_7B, batch=1, input_len=128, output_len=128)
    fp16 = estimate_inference(job, hw).tpot_s
    fp8 = estimate_inference(dataclasses.replace(job, precision="fp8"), hw).tpot_s
    int4 = estimate_inference(dataclasses.replace(job, precision="int4"), hw).tpot_s
    assert int4 < fp8 < fp16


def test_memory_fit_and_max_batch(catalog) -> None:
    hw = hardware(catalog, "h100-sxm-80gb", 1)
    too_big = estimate_inference(
        InferenceJob(model=LLAMA3_70B, batch=1, input_len=128, output_len=128), hw
    )
    assert not too_big.fits_in_memory
    assert too_big.max_batch == 0
    job = InferenceJob(model=LLAMA2_7B, batch=8, input_len=2048, output_len=2048)
    ok = estimate_inference(job, hw)
    assert ok.fits_in_memory and ok.max_batch >= 8
    over = estimate_inference(dataclasses.replace(job, batch=ok.max_batch + 1), hw)
    assert not over.fits_in_memory


def test_moe_decode_reads_only_the_experts_it_uses(catalog) -> None:
    hw = hardware(catalog, "h100-sxm-80gb", 2)
    job = InferenceJob(model=MIXTRAL_8X7B, batch=1, input_len=128, output_len=64, tp=2)
    one = estimate_inference(job, hw).decode_breakdown["linear"]
    many = estimate_inference(dataclasses.replace(job, batch=64), hw).decode_breakdown["linear"]
    assert many > 1.5 * one  # batch 1 touches 2 of 8 experts per layer, batch 64 all of them


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tp": 3}, "tp"),
        ({"precision": "fp8"}, "precision"),
        ({"num_gpus": 3, "tp": 2}, "num_gpus"),
        ({"batch": 0}, "batch"),
        ({"output_len": 0}, "output_len"),
    ],
)
def test_impossible_configurations_name_the_field(catalog, change: dict, field: str) -> None:
    """Below the CLI a problem names the field; the CLI spells it as a flag."""
    job = InferenceJob(model=LLAMA2_7B, batch=1, input_len=128, output_len=128)
    job = dataclasses.replace(job, **change)
    hw = hardware(catalog, "a100-sxm-80gb", job.num_gpus or job.tp)
    with pytest.raises(InputError) as info:
        estimate_inference(job, hw)
    assert field in {p.field for p in info.value.problems}


def _decode_attention_s(catalog, model, gpu_id: str, tp: int, kernel: str) -> float:  # noqa: ANN001
    job = InferenceJob(
        model=model, batch=64, input_len=2048, output_len=256, tp=tp, decode_attention=kernel
    )
    return estimate_inference(job, hardware(catalog, gpu_id, tp)).decode_breakdown["attention"]


def test_per_query_head_decode_attention_is_bound_by_repeats_for_gqa(catalog) -> None:
    # Llama-3-70B at TP4: 16 query heads over 2 KV heads per GPU, each KV byte requested 8 times
    grouped = _decode_attention_s(catalog, LLAMA3_70B, "a100-sxm-80gb", 4, "grouped")
    per_head = _decode_attention_s(catalog, LLAMA3_70B, "a100-sxm-80gb", 4, "per_query_head")
    gpu = catalog.gpu("a100-sxm-80gb")
    hbm = gpu.memory_bandwidth_gb_per_s * gpu.efficiency.memory_bandwidth_fraction
    l2 = gpu.l2_bandwidth_gb_per_s * gpu.efficiency.memory_bandwidth_fraction
    convert_gb_per_s = 2 * 16 * gpu.sm_count * gpu.boost_clock_mhz / 1e3  # 16-bit elements
    # the grouped kernel streams the cache once from HBM; the per-head kernel pays the slower
    # of L2 and fp32 conversion for 8 requests of every element
    expected = 8 * max(1 / l2, 1 / convert_gb_per_s) / (1 / hbm)
    assert per_head / grouped == pytest.approx(expected, rel=0.05)


def test_fp8_cache_halves_bytes_but_not_conversions(catalog) -> None:
    gpu_args = dict(hbm_bytes_per_s=3e12, compute_flops_per_s=1e15, flops=0.0)
    gpu = catalog.gpu("h100-sxm-80gb")
    fp16 = decode_attention_layer_cost(
        gpu, kv_bytes=2e9, kv_bytes_per_element=2, requests_per_byte=8, **gpu_args
    )
    fp8 = decode_attention_layer_cost(
        gpu, kv_bytes=1e9, kv_bytes_per_element=1, requests_per_byte=8, **gpu_args
    )
    assert fp8.bound == "convert"
    assert fp8.seconds == pytest.approx(1e9 * 8 / (16 * gpu.sm_count * gpu.boost_clock_mhz * 1e6))
    # the same elements: an fp8 cache is no faster than a 16-bit one under the conversion
    # bound (the 16-bit cache may be slower still, bound by its doubled L2 bytes)
    assert fp16.seconds >= fp8.seconds
    once = decode_attention_layer_cost(
        gpu, kv_bytes=1e9, kv_bytes_per_element=1, requests_per_byte=1, **gpu_args
    )
    assert once.bound == "hbm"


def test_per_query_head_changes_nothing_for_multi_head_attention(catalog) -> None:
    grouped = _decode_attention_s(catalog, LLAMA2_7B, "a100-sxm-80gb", 1, "grouped")
    per_head = _decode_attention_s(catalog, LLAMA2_7B, "a100-sxm-80gb", 1, "per_query_head")
    assert per_head == pytest.approx(grouped)


def test_missing_l2_bandwidth_is_said_not_guessed(catalog) -> None:
    gpu = catalog.gpu("mi300x")
    assert gpu.l2_bandwidth_gb_per_s is None
    job = InferenceJob(
        model=LLAMA3_70B, batch=8, input_len=512, output_len=64, decode_attention="per_query_head"
    )
    est = estimate_inference(job, hardware(catalog, "mi300x", 1))
    assert any("l2_bandwidth_gb_per_s" in note for note in est.notes)
    grouped = estimate_inference(
        dataclasses.replace(job, decode_attention="grouped"), hardware(catalog, "mi300x", 1)
    )
    assert est.tpot_s == pytest.approx(grouped.tpot_s)


def test_unknown_decode_attention_kernel_is_refused(catalog) -> None:
    job = InferenceJob(
        model=LLAMA2_7B,
        batch=1,
        input_len=8,
        output_len=8,
        decode_attention="xqa",  # type: ignore[arg-type]
    )
    with pytest.raises(InputError, match="decode_attention"):
        estimate_inference(job, hardware(catalog, "a100-sxm-80gb", 1))
