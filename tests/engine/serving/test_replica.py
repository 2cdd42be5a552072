"""Continuous batching against closed forms: a lone request, KV capacity, preemption."""

from __future__ import annotations

import pytest

from simulator.engine.serving import simulate_service
from simulator.perf.inference import InferenceJob, _Server
from tests.engine.serving.conftest import make_spec, run_runtime, stream


def _perf(llama8b, h100, inp: int, out: int) -> tuple[float, float]:  # noqa: ANN001
    server = _Server(InferenceJob(llama8b, 1, inp, out, "bf16", 1, 1), h100)
    ttft = sum(server.prefill(1, inp).values())
    tpot = sum(server.decode_step(1, inp + out / 2.0).values())
    return ttft, tpot


@pytest.mark.parametrize(("inp", "out"), [(300, 40), (97, 2), (511, 17)])
def test_lone_request_is_prefill_then_decode_steps(llama8b, h100, inp, out) -> None:  # noqa: ANN001
    run = simulate_service(make_spec(), llama8b, h100, stream=stream([0.0], inp, out))
    ttft, tpot = _perf(llama8b, h100, inp, out)
    row = run.requests
    assert row["ttft_s"][0] == pytest.approx(ttft, rel=1e-12)
    assert row["tpot_s"][0] == pytest.approx(tpot, rel=1e-9)
    assert row["e2e_s"][0] == pytest.approx(ttft + (out - 1) * tpot, rel=1e-9)


def test_chunked_prefill_splits_a_long_prompt(llama8b, h100) -> None:  # noqa: ANN001
    whole = simulate_service(
        make_spec(max_batched_tokens=4096), llama8b, h100, stream=stream([0.0], 2000, 4)
    )
    chunked = simulate_service(make_spec(), llama8b, h100, stream=stream([0.0], 2000, 4))
    assert chunked.runtime.pools["both"][0].iterations == 4 + 3  # 4 chunks of <= 512, 3 decodes
    assert whole.runtime.pools["both"][0].iterations == 1 + 3
    # four smaller passes cost more than one big one, but not wildly more
    assert 1.0 < chunked.summary["ttft_s_p50"] / whole.summary["ttft_s_p50"] < 1.5


def test_simultaneous_requests_batch_together(llama8b, h100) -> None:  # noqa: ANN001
    spec = make_spec(
        max_batched_tokens=4096,
        traffic={"arrivals": "closed_loop", "concurrency": 16, "num_requests": 16},
    )
    run = simulate_service(spec, llama8b, h100, seed=3)
    assert (run.requests["arrival_s"] == 0.0).all()
    assert run.summary["requests_completed"] == 16
    # all decode in one batch: they finish together
    assert run.requests["finish_s"].max() == run.requests["finish_s"].min()
    lone, _ = _perf(llama8b, h100, 256, 64)
    assert run.summary["ttft_s_p99"] > lone  # the batch's prefill is longer than one prompt


def test_closed_loop_keeps_concurrency(llama8b, h100) -> None:  # noqa: ANN001
    spec = make_spec(traffic={"arrivals": "closed_loop", "concurrency": 4, "num_requests": 40})
    run = simulate_service(spec, llama8b, h100)
    assert run.summary["mean_requests_in_system"] == pytest.approx(4.0, rel=0.01)
    assert run.summary["requests_completed"] == 40


@pytest.mark.parametrize("mode", ["recompute", "swap"])
def test_kv_cache_never_overflows_and_preempts(costs, mode) -> None:  # noqa: ANN001
    spec = make_spec(preemption=mode, max_num_seqs=64)
    n = 60
    requests = stream([0.01 * i for i in range(n)], [100 + 7 * i for i in range(n)], 300)
    runtime = run_runtime(spec, costs, requests, kv_tokens=4000)
    replica = runtime.pools["both"][0]
    assert runtime.preemptions > 0
    assert replica.kv.peak_blocks <= replica.kv.capacity_blocks
    assert replica.kv.used_blocks == 0
    arrived, done, flying, dropped = runtime.conservation()
    assert (arrived, done, flying, dropped) == (n, n, 0, 0)


def test_preempted_requests_lose_no_tokens(costs) -> None:  # noqa: ANN001
    spec = make_spec()
    requests = stream([0.0] * 30, 200, 200)
    tight = run_runtime(spec, costs, requests, kv_tokens=3000)
    roomy = run_runtime(spec, costs, requests, kv_tokens=10**6)
    assert tight.preemptions > 0 and roomy.preemptions == 0
    assert tight.completed == roomy.completed == 30
    # recomputation costs time
    assert max(tight.finish_s) > max(roomy.finish_s)


def test_request_larger_than_the_cache_is_dropped(costs) -> None:  # noqa: ANN001
    runtime = run_runtime(make_spec(), costs, stream([0.0, 0.1], [5000, 100], 10), kv_tokens=2048)
    assert runtime.conservation() == (2, 1, 0, 1)


def test_prefix_cache_hits_shorten_ttft(llama8b, h100) -> None:  # noqa: ANN001
    cold = simulate_service(make_spec(), llama8b, h100, stream=stream([0.0], 500, 8))
    warm = simulate_service(
        make_spec(prefix_cache_hit_rate=0.5), llama8b, h100, stream=stream([0.0], 500, 8)
    )
    assert warm.summary["ttft_s_p50"] < 0.9 * cold.summary["ttft_s_p50"]
    # 240 of the 500 prompt tokens (15 whole blocks) are cached: 260 computed over 500
    it = warm.runtime.iteration
    expected = it.token_s(260) + it.lm_head_s(1) + it.prefill_attention_s(260, 500)
    assert warm.summary["ttft_s_p50"] == pytest.approx(expected, rel=1e-12)
