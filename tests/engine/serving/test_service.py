"""A service under load: conservation, Little's law, saturation, routing, determinism."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.engine.serving import simulate_service
from simulator.engine.serving.autoscaler import cold_start_s
from simulator.perf.inference import InferenceJob, _Server
from tests.engine.serving.conftest import make_spec, stream


def _run(llama8b, h100, seed: int = 0, **overrides):  # noqa: ANN001, ANN202
    return simulate_service(make_spec(**overrides), llama8b, h100, seed=seed)


def test_conservation_and_littles_law(llama8b, h100) -> None:  # noqa: ANN001
    run = _run(llama8b, h100, traffic={"requests_per_s": 60.0, "num_requests": 400})
    rt = run.runtime
    arrived, done, flying, dropped = rt.conservation()
    assert arrived == done + flying + dropped == 400
    # sample-path Little's law: the integral of requests in system is the sum of latencies
    assert rt.area == pytest.approx(float(np.nansum(run.requests["e2e_s"])), rel=1e-9)
    assert run.summary["mean_requests_in_system"] == pytest.approx(
        run.summary["requests_per_s"] * run.summary["e2e_s_mean"], rel=1e-6
    )


def test_low_load_latency_is_the_lone_request(llama8b, h100) -> None:  # noqa: ANN001
    run = _run(llama8b, h100, traffic={"requests_per_s": 0.05, "num_requests": 30})
    server = _Server(InferenceJob(llama8b, 1, 256, 64, "bf16", 1, 1), h100)
    prefill = sum(server.prefill(1, 256).values())
    tpot = sum(server.decode_step(1, 256 + 32).values())
    assert run.summary["ttft_s_p50"] == pytest.approx(prefill, rel=1e-9)
    assert run.summary["tpot_s_p50"] == pytest.approx(tpot, rel=1e-6)


def test_throughput_saturates_and_p99_grows(llama8b, h100) -> None:  # noqa: ANN001
    def at(rate: float):  # noqa: ANN202
        return _run(llama8b, h100, traffic={"requests_per_s": rate, "num_requests": 600}).summary

    light, heavy, heavier = at(20.0), at(2000.0), at(20000.0)
    assert heavy["output_tokens_per_s"] > 2 * light["output_tokens_per_s"]
    assert heavier["output_tokens_per_s"] == pytest.approx(heavy["output_tokens_per_s"], rel=0.1)
    assert light["e2e_s_p99"] < heavy["e2e_s_p99"] < heavier["e2e_s_p99"]
    assert heavy["mean_batch_size"] == pytest.approx(64, rel=0.1)  # max_num_seqs binds


def test_more_replicas_lower_p99_under_load(llama8b, h100) -> None:  # noqa: ANN001
    traffic = {"requests_per_s": 150.0, "num_requests": 600}
    one = _run(llama8b, h100, replicas=1, traffic=traffic).summary
    four = _run(llama8b, h100, replicas=4, traffic=traffic).summary
    assert four["e2e_s_p99"] < 0.5 * one["e2e_s_p99"]
    assert four["ttft_s_p99"] < one["ttft_s_p99"]


def test_same_seed_same_run_other_seed_other_run(llama8b, h100) -> None:  # noqa: ANN001
    traffic = {
        "requests_per_s": 30.0,
        "num_requests": 200,
        "input_tokens": {"kind": "lognormal", "median": 200, "sigma": 0.5},
    }
    a = _run(llama8b, h100, seed=7, replicas=2, traffic=traffic)
    b = _run(llama8b, h100, seed=7, replicas=2, traffic=traffic)
    c = _run(llama8b, h100, seed=8, replicas=2, traffic=traffic)
    assert a.summary == b.summary
    assert np.array_equal(a.requests["finish_s"], b.requests["finish_s"])
    assert a.summary["e2e_s_p50"] != c.summary["e2e_s_p50"]


@pytest.mark.parametrize("routing", ["round_robin", "least_outstanding", "kv_aware"])
def test_routers_spread_work(llama8b, h100, routing) -> None:  # noqa: ANN001
    run = _run(
        llama8b,
        h100,
        replicas=3,
        routing=routing,
        traffic={"requests_per_s": 30.0, "num_requests": 300},
    )
    counts = np.bincount(run.requests["replica"], minlength=3)
    assert counts.sum() == 300
    if routing == "round_robin":
        assert counts.tolist() == [100, 100, 100]
    assert counts.min() > 50


def test_disaggregated_prefill_hands_kv_to_decode(llama8b, h100, costs) -> None:  # noqa: ANN001
    spec = make_spec(disaggregation={"prefill_replicas": 1})
    run = simulate_service(spec, llama8b, h100, stream=stream([0.0], 256, 64))
    server = _Server(InferenceJob(llama8b, 1, 256, 64, "bf16", 1, 1), h100)
    prefill = sum(server.prefill(1, 256).values())
    tpot = sum(server.decode_step(1, 256 + 32).values())
    transfer = 256 * costs.kv_transfer_s_per_token
    assert transfer > 0
    assert run.summary["kv_transfers"] == 1
    assert run.requests["ttft_s"][0] == pytest.approx(prefill, rel=1e-12)
    assert run.requests["e2e_s"][0] == pytest.approx(prefill + transfer + 63 * tpot, rel=1e-9)


def test_autoscaler_adds_replicas_after_cold_start(llama8b, h100, catalog, costs) -> None:  # noqa: ANN001
    storage = catalog.storage("parallel-fs")
    spec = make_spec(
        replicas=1,
        max_replicas=4,
        autoscaling={
            "metric": "queue_depth",
            "scale_up_at": 2,
            "scale_down_at": 0.1,
            "interval_s": 2.0,
            "startup_s": 5.0,
        },
        traffic={"requests_per_s": 400.0, "num_requests": 3000},
    )
    run = simulate_service(spec, llama8b, h100, storage=storage)
    s = run.summary
    assert s["scale_ups"] >= 1 and s["replicas_peak"] > 1
    assert run.runtime.cold_start_s == pytest.approx(
        cold_start_s(costs.weights_bytes, 1, storage, 5.0)
    )
    # no replica serves before a cold start has passed
    started = sorted(r.handle for r in run.runtime.pools["both"] + run.runtime.retired)
    assert started[0] == 0
    # GPU time counts the scaled replicas, so it exceeds one replica's
    assert s["gpu_hours"] > s["duration_s"] / 3600.0
    assert run.runtime.conservation()[0] == s["requests_completed"]


def test_cold_start_is_weights_over_storage_bandwidth(catalog) -> None:  # noqa: ANN001
    tier = catalog.storage("object-s3")
    t = cold_start_s(140e9, 2, tier, 30.0)
    rate = min(2 * tier.read_gb_per_s_per_client, tier.aggregate_read_gb_per_s) * 1e9
    assert t == pytest.approx(140e9 / rate + tier.latency_ms / 1000 + 30.0)
    assert cold_start_s(140e9, 2, None, 30.0) == 30.0
