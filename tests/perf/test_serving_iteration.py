"""The continuous-batching iteration model reduces to the static-batch model exactly."""

from __future__ import annotations

import pytest

from simulator.perf.inference import InferenceJob, _Server
from simulator.perf.memory import inference_memory, usable_memory_bytes
from simulator.perf.serving_iteration import IterationModel, ReplicaShape, kv_capacity
from tests.perf.llm_fixtures import LLAMA3_70B, MIXTRAL_8X7B, hardware


@pytest.mark.parametrize(
    ("model", "tp", "precision"), [(LLAMA3_70B, 4, "fp8"), (MIXTRAL_8X7B, 2, "bf16")]
)
def test_pure_passes_equal_prefill_and_decode(catalog, model, tp, precision) -> None:  # noqa: ANN001
    hw = hardware(catalog, "h100-sxm-80gb", tp)
    it = IterationModel(ReplicaShape(model, precision, tp), hw)
    server = _Server(InferenceJob(model, 1, 1, 1, precision, tp, 1), hw)
    for prompt in (1, 37, 1000, 4096):
        prefill = sum(server.prefill(1, prompt).values())
        mine = it.token_s(prompt) + it.lm_head_s(1) + it.prefill_attention_s(prompt, prompt)
        assert mine == pytest.approx(prefill, rel=1e-12)
    for batch, context in ((1, 100), (8, 1500.5), (200, 3000)):
        step = sum(server.decode_step(batch, context).values())
        mine = it.token_s(batch) + it.lm_head_s(batch) + it.decode_attention_s(batch * context)
        assert mine == pytest.approx(step, rel=1e-9)


def test_decode_run_is_the_sum_of_its_iterations(catalog) -> None:  # noqa: ANN001
    it = IterationModel(ReplicaShape(LLAMA3_70B, "fp8", 4), hardware(catalog, "h200-sxm-141gb", 4))
    batch, ctx = 12, 12 * 700
    steps = [
        it.token_s(batch) + it.lm_head_s(batch) + it.decode_attention_s(ctx + batch * (i + 1))
        for i in range(50)
    ]
    assert it.decode_run_s(batch, ctx, 50) == pytest.approx(sum(steps), rel=1e-12)
    for k in (0, 1, 7, 49):
        elapsed = sum(steps[:k])
        assert it.decode_iterations_within(batch, ctx, elapsed + 1e-12) == k
        assert it.decode_iterations_within(batch, ctx, elapsed + 0.5 * steps[k]) == k


def test_kv_capacity_fills_what_weights_leave(catalog) -> None:  # noqa: ANN001
    hw = hardware(catalog, "h100-sxm-80gb", 2)
    shape = ReplicaShape(LLAMA3_70B, "fp8", 2)
    cap = kv_capacity(shape, hw, max_batched_tokens=2048, max_num_seqs=1)
    used = cap.weights_bytes_per_gpu + cap.workspace_bytes_per_gpu
    used += cap.tokens * cap.kv_bytes_per_token_per_gpu
    assert used <= usable_memory_bytes(hw.gpu) < used + cap.kv_bytes_per_token_per_gpu
    mem = inference_memory(
        LLAMA3_70B, tp=2, pp=1, precision="fp8", batch=1, input_len=2048, output_len=0
    )
    assert cap.weights_bytes_per_gpu == mem.weights_bytes
    # 70B in fp8 on one 80 GB GPU: the weights alone nearly fill it
    one = kv_capacity(
        ReplicaShape(LLAMA3_70B, "fp8", 1),
        hardware(catalog, "h100-sxm-80gb", 1),
        max_batched_tokens=2048,
        max_num_seqs=1,
    )
    assert one.tokens < cap.tokens / 4


def test_per_query_head_kernel_carries_into_the_iteration_model(catalog) -> None:  # noqa: ANN001
    hw = hardware(catalog, "a100-sxm-80gb", 4)
    grouped = IterationModel(ReplicaShape(LLAMA3_70B, "fp16", 4), hw)
    per_head = IterationModel(
        ReplicaShape(LLAMA3_70B, "fp16", 4, decode_attention="per_query_head"), hw
    )
    assert per_head.decode_attention_per_token_s > 2 * grouped.decode_attention_per_token_s
    assert per_head.token_s(64) == pytest.approx(grouped.token_s(64))
