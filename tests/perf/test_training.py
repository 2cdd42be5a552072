"""Training step model: FLOP accounting, pipeline bubble, memory choices, impossible configs."""

from __future__ import annotations

import dataclasses

import pytest

from simulator.errors import InputError
from simulator.perf.training import TrainingJob, estimate_training
from simulator.perf.transformer_flops import (
    embedding_params,
    megatron_eq3_flops,
    recompute_flops_per_token,
    total_params,
    training_model_flops_per_token,
)
from tests.perf.llm_fixtures import LLAMA3_70B, MIXTRAL_8X7B, gpt, hardware


def _fields(error: InputError) -> set[str]:
    return {p.field for p in error.problems}


def test_model_flops_per_token_is_6n_plus_attention() -> None:
    layers, h, s, v = 24, 2048, 2048, 51200
    model = gpt(layers, h, 16, vocab=v)
    per_token = training_model_flops_per_token(model, s)
    # Narayanan et al.: 72 l h^2 (1 + s/(6h) + V/(12 l h)) per token
    expected = 72 * layers * h**2 * (1 + s / (6 * h) + v / (12 * layers * h))
    assert per_token == pytest.approx(expected)
    # ~ 6 N + 12 l h s, N without the embedding lookup (norm weights do no matmuls)
    n = total_params(model) - embedding_params(model)
    assert per_token == pytest.approx(6 * n + 12 * layers * h * s, rel=2e-3)


def test_full_recompute_hardware_flops_match_megatron_eq3() -> None:
    layers, h, s, v, batch = 40, 6144, 2048, 51200, 1024
    model = gpt(layers, h, 48, vocab=v)
    hw_per_token = training_model_flops_per_token(model, s) + recompute_flops_per_token(
        model, s, "full"
    )
    assert hw_per_token * batch * s == pytest.approx(megatron_eq3_flops(batch, s, layers, h, v))


def test_pipeline_bubble_fraction(catalog) -> None:
    model = gpt(32, 4096, 32, vocab=8)  # negligible LM head: balanced stages
    hw = hardware(catalog, "h100-sxm-80gb", 32)
    base = TrainingJob(
        model=model,
        num_gpus=32,
        seq_len=2048,
        global_batch=32,
        micro_batch=1,
        tp=8,
        pp=4,
        recompute="full",
    )
    for vpp in (1, 2):
        est = estimate_training(dataclasses.replace(base, vpp=vpp), hw)
        b = est.breakdown
        m = est.num_microbatches
        assert m == 32
        ideal = b["compute"] + b["tp_comm"]
        assert b["pp_bubble"] / ideal == pytest.approx(3 / (vpp * m), rel=0.01)


def test_breakdown_adds_up_and_rates_are_consistent(catalog) -> None:
    hw = hardware(catalog, "h100-sxm-80gb", 64)
    job = TrainingJob(
        model=LLAMA3_70B,
        num_gpus=64,
        seq_len=4096,
        global_batch=128,
        tp=8,
        pp=4,
        sequence_parallel=True,
        distributed_optimizer=True,
    )
    est = estimate_training(job, hw)
    assert sum(est.breakdown.values()) == pytest.approx(est.step_time_s)
    assert est.tokens_per_s == pytest.approx(128 * 4096 / est.step_time_s)
    assert est.hardware_tflops_per_gpu >= est.model_tflops_per_gpu
    assert est.mfu == pytest.approx(est.model_tflops_per_gpu / 989.4, rel=1e-3)
    assert 0.25 < est.mfu < 0.7  # Llama-class dense training on H100 reports 35-55%
    assert est.fits_in_memory


def test_more_data_parallel_gpus_give_more_tokens_per_second(catalog) -> None:
    model = gpt(24, 2048, 16)
    rates = []
    for dp in (1, 4, 16):
        n = 8 * dp
        job = TrainingJob(
            model=model, num_gpus=n, seq_len=2048, global_batch=8 * dp, micro_batch=1, tp=8
        )
        rates.append(estimate_training(job, hardware(catalog, "h100-sxm-80gb", n)).tokens_per_s)
    assert rates[0] < rates[1] < rates[2]
    assert rates[2] < 16 * rates[0] * 1.0001  # no better than linear


def test_fp8_is_faster_than_bf16_on_h100_for_large_models(catalog) -> None:
    hw = hardware(catalog, "h100-sxm-80gb", 64)
    job = TrainingJob(
        model=LLAMA3_70B,
        num_gpus=64,
        seq_len=8192,
        global_batch=64,
        micro_batch=1,
        tp=8,
        pp=4,
        sequence_parallel=True,
        distributed_optimizer=True,
    )
    bf16 = estimate_training(job, hw)
    fp8 = estimate_training(dataclasses.replace(job, precision="fp8"), hw)
    assert fp8.step_time_s < 0.9 * bf16.step_time_s


def test_lora_trains_faster_with_less_memory(catalog) -> None:
    hw = hardware(catalog, "a100-sxm-80gb", 8)
    job = TrainingJob(
        model=gpt(32, 4096, 32), num_gpus=8, seq_len=2048, global_batch=64, micro_batch=1, tp=8
    )
    full = estimate_training(job, hw)
    lora = estimate_training(dataclasses.replace(job, mode="lora", lora_rank=16), hw)
    assert lora.step_time_s < full.step_time_s
    assert lora.memory.optimizer_bytes < 0.01 * full.memory.optimizer_bytes
    assert lora.memory.gradients_bytes < 0.01 * full.memory.gradients_bytes
    # frozen base: forward + input gradient, 2/3 of full training's model FLOPs per token
    ratio = (lora.model_tflops_per_gpu * lora.step_time_s) / (
        full.model_tflops_per_gpu * full.step_time_s
    )
    assert ratio == pytest.approx(2 / 3)


def test_recompute_auto_picks_the_least_that_fits(catalog) -> None:
    small = TrainingJob(
        model=gpt(12, 768, 12), num_gpus=1, seq_len=1024, global_batch=8, micro_batch=8
    )
    hw1 = hardware(catalog, "h100-sxm-80gb", 1)
    assert estimate_training(small, hw1).recompute == "none"
    tight = TrainingJob(
        model=gpt(40, 6144, 48),
        num_gpus=8,
        seq_len=4096,
        global_batch=64,
        micro_batch=2,
        tp=8,
        attention="unfused",
    )
    est = estimate_training(tight, hardware(catalog, "a100-sxm-80gb", 8))
    assert est.recompute in ("selective", "full")
    assert est.fits_in_memory
    forced = estimate_training(
        dataclasses.replace(tight, recompute="none"), hardware(catalog, "a100-sxm-80gb", 8)
    )
    assert not forced.fits_in_memory


def test_too_big_a_model_does_not_fit(catalog) -> None:
    job = TrainingJob(model=gpt(128, 25600, 160), num_gpus=8, seq_len=2048, global_batch=8, tp=8)
    est = estimate_training(job, hardware(catalog, "a100-sxm-80gb", 8))
    assert not est.fits_in_memory
    assert est.memory_per_gpu_gib > 80
    assert est.step_time_s > 0


def test_sequence_parallel_and_context_parallel_save_activation_memory(catalog) -> None:
    hw = hardware(catalog, "h100-sxm-80gb", 16)
    job = TrainingJob(
        model=LLAMA3_70B,
        num_gpus=16,
        seq_len=16384,
        global_batch=16,
        micro_batch=1,
        tp=8,
        pp=2,
        recompute="selective",
    )
    plain = estimate_training(job, hw)
    sp = estimate_training(dataclasses.replace(job, sequence_parallel=True), hw)
    cp = estimate_training(dataclasses.replace(job, sequence_parallel=True, tp=4, cp=2), hw)
    assert sp.memory.activations_bytes < plain.memory.activations_bytes
    assert cp.memory.activations_bytes < plain.memory.activations_bytes
    assert cp.breakdown["cp_comm_exposed"] >= 0


def test_moe_expert_parallel_pays_all_to_all(catalog) -> None:
    hw = hardware(catalog, "h100-sxm-80gb", 64)
    job = TrainingJob(
        model=MIXTRAL_8X7B,
        num_gpus=64,
        seq_len=4096,
        global_batch=256,
        micro_batch=1,
        tp=2,
        pp=4,
        ep=8,
        sequence_parallel=True,
        distributed_optimizer=True,
    )
    est = estimate_training(job, hw)
    assert est.breakdown["moe_all_to_all"] > 0
    # model FLOPs count the 2 routed experts, not all 8
    dense_equivalent = training_model_flops_per_token(MIXTRAL_8X7B, 4096)
    assert dense_equivalent < 6 * total_params(MIXTRAL_8X7B) / 2


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"tp": 7}, "parallelism.tp"),
        ({"dp": 3}, "parallelism.dp"),
        ({"global_batch": 63}, "global_batch"),
        ({"num_gpus": 12}, "num_gpus"),
        ({"precision": "fp8"}, "precision"),
        ({"ep": 2}, "parallelism.ep"),
        ({"zero": 3, "pp": 2}, "parallelism.zero"),
        ({"mode": "lora"}, "lora_rank"),
        ({"cp": 3}, "num_gpus"),
        ({"vpp": 2}, "parallelism.vpp"),
        ({"tp": 1, "cp": 3, "num_gpus": 3}, "parallelism.cp"),
    ],
)
def test_impossible_configurations_name_the_field(catalog, change: dict, field: str) -> None:
    """Problems name the execution's field path (as a scenario's training job spells it), not a
    flag: the CLI spells them as flags when it prints."""
    job = TrainingJob(
        model=gpt(24, 2048, 16), num_gpus=16, seq_len=2048, global_batch=64, micro_batch=1, tp=8
    )
    job = dataclasses.replace(job, **change)
    hw = hardware(catalog, "a100-sxm-80gb", job.num_gpus)
    with pytest.raises(InputError) as info:
        estimate_training(job, hw)
    assert field in _fields(info.value)
    assert not any(p.field.startswith("--") or " --" in p.message for p in info.value.problems)


def test_a_field_a_layout_message_quotes_is_the_execution_path(catalog) -> None:
    job = TrainingJob(model=gpt(24, 2048, 16), num_gpus=8, seq_len=2048, global_batch=64, vpp=2)
    with pytest.raises(InputError) as info:
        estimate_training(job, hardware(catalog, "a100-sxm-80gb", job.num_gpus))
    [problem] = info.value.problems
    assert problem.field == "parallelism.vpp"
    assert "`parallelism.pp`" in problem.message


def test_uneven_pipeline_stages_are_allowed(catalog) -> None:
    job = TrainingJob(
        model=gpt(30, 2048, 16),
        num_gpus=32,
        seq_len=2048,
        global_batch=64,
        micro_batch=1,
        tp=8,
        pp=4,
    )
    est = estimate_training(job, hardware(catalog, "h100-sxm-80gb", 32))
    assert est.step_time_s > 0


def test_tp_comm_overlap_hides_sequence_parallel_traffic(catalog) -> None:
    hw = hardware(catalog, "h100-sxm-80gb", 64)
    job = TrainingJob(
        model=LLAMA3_70B,
        num_gpus=64,
        seq_len=4096,
        global_batch=128,
        micro_batch=1,
        tp=8,
        pp=4,
        sequence_parallel=True,
    )
    plain = estimate_training(job, hw)
    overlapped = estimate_training(dataclasses.replace(job, tp_comm_overlap=True), hw)
    assert overlapped.breakdown["tp_comm"] < plain.breakdown["tp_comm"]
    assert overlapped.breakdown["compute"] == pytest.approx(plain.breakdown["compute"])


def test_bucketed_gradient_reduction_closed_forms() -> None:
    """Buckets ready evenly over the backward, reduced one at a time on one stream."""
    from simulator.perf.training import exposed_bucketed_s

    # fabric faster than the backward: only the last bucket outlasts the window
    assert exposed_bucketed_s(100.0, 25.0, 1.0, lambda n: 0.01 * n / 25) == pytest.approx(0.01)
    # fabric slower: the stream falls behind; exposed = first ready + 4 buckets - window
    assert exposed_bucketed_s(100.0, 25.0, 1.0, lambda n: 0.5 * n / 25) == pytest.approx(
        0.25 + 4 * 0.5 - 1.0
    )
    # a partial last bucket is ready only at the end of the window
    assert exposed_bucketed_s(110.0, 25.0, 1.0, lambda n: 0.01 * n / 25) == pytest.approx(
        0.01 * 10 / 25
    )
    # one bucket larger than the gradients: nothing overlaps
    assert exposed_bucketed_s(10.0, 25.0, 1.0, lambda n: 0.3) == pytest.approx(0.3)


def test_serial_gradient_reduction_exposes_more_and_bucket_size_matters(catalog) -> None:
    """Reducing after the backward (pre-2023 Megatron-LM) exposes the whole all-reduce;
    with overlap, smaller buckets start earlier and hide more of it."""
    job = TrainingJob(model=gpt(24, 2048, 16), num_gpus=64, seq_len=2048, global_batch=64)
    hw = hardware(catalog, "a100-sxm-80gb", 64)
    overlapped = estimate_training(job, hw).breakdown["dp_comm_exposed"]
    serial = estimate_training(dataclasses.replace(job, overlap_grad_reduce=False), hw)
    big = estimate_training(dataclasses.replace(job, dp_bucket_params=10**9), hw)
    assert 0 < overlapped < serial.breakdown["dp_comm_exposed"]
    assert overlapped < big.breakdown["dp_comm_exposed"]
