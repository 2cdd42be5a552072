"""Services inside a scenario run: replicas are cluster jobs next to training."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.engine import fixed_step_time
from simulator.errors import InputError
from simulator.results import Results, simulate
from tests.conftest import REPO, write_yaml


def _scenario(tmp_path: Path, **service) -> Path:  # noqa: ANN003
    svc = {
        "name": "chat",
        "model": "llama3-8b",
        "precision": "bf16",
        "tp": 2,
        "replicas": 2,
        "max_batched_tokens": 512,
        "timeline_interval_s": 10,
        "traffic": {
            "arrivals": "poisson",
            "requests_per_s": 8,
            "input_tokens": {"kind": "uniform", "low": 64, "high": 256},
            "output_tokens": {"kind": "fixed", "value": 32},
        },
        "slo": {"ttft_s": 0.5, "tpot_s": 0.05},
        **service,
    }
    return write_yaml(
        tmp_path / "s.yaml",
        {
            "schema_version": 1,
            "name": "shared pool",
            "seed": 3,
            "horizon_days": 0.005,
            "cluster": {
                "pools": [{"name": "h100", "node": "dgx-h100", "count": 1}],
                "storage": [{"profile": "parallel-fs", "role": "both"}],
                "facility": "liquid-cooled-hyperscale",
            },
            "workloads": {
                "inference_services": [svc],
                "training_jobs": [
                    {
                        "name": "ft",
                        "model": "llama3-8b",
                        "num_gpus": 4,
                        "seq_len": 2048,
                        "global_batch": 16,
                        "steps": 100000,
                        "checkpoint": {"policy": "none"},
                    }
                ],
            },
            "policies": {"failures": {"enabled": False}},
        },
    )


def test_service_and_training_share_the_pool(tmp_path: Path) -> None:
    results = simulate(_scenario(tmp_path), step_time=fixed_step_time(1.0))
    jobs = results.jobs
    serving = jobs[jobs["kind"] == "serving"]
    assert len(serving) == 2 and (serving["num_gpus"] == 2).all()
    assert (jobs[jobs["kind"] == "training"]["status"] == "running").all()
    fig = results.summary["serving"]["chat"]
    assert fig["requests_arrived"] == pytest.approx(8 * 432, rel=0.1)
    assert fig["requests_arrived"] == (
        fig["requests_completed"] + fig["requests_in_flight"] + fig["requests_dropped"]
    )
    assert fig["gpu_hours"] == pytest.approx(4 * 432 / 3600, rel=1e-6)
    requests = results.tables["requests"]
    assert len(requests) == fig["requests_arrived"]
    assert (requests["status"] == "completed").sum() == fig["requests_completed"]
    timeline = results.tables["serving_timeline"]
    assert timeline["kv_utilization"].between(0, 1).all()
    assert timeline["replicas"].max() == 2


def test_autoscaled_replicas_wait_for_free_gpus(tmp_path: Path) -> None:
    path = _scenario(
        tmp_path,
        replicas=1,
        max_replicas=4,
        max_num_seqs=16,
        autoscaling={"scale_up_at": 1, "scale_down_at": 0.01, "interval_s": 5, "min_replicas": 1},
        traffic={
            "arrivals": "poisson",
            "requests_per_s": 20,
            "input_tokens": {"kind": "fixed", "value": 256},
            "output_tokens": {"kind": "fixed", "value": 256},
        },
    )
    results = simulate(path, step_time=fixed_step_time(1.0))
    fig = results.summary["serving"]["chat"]
    # 8 GPUs: training holds 4, so at most two 2-GPU replicas serve; the rest wait queued
    assert fig["replicas_peak"] == 2
    assert fig["scale_ups"] >= 2
    assert results.timeline["allocated_gpus"].max() == 8


def test_saved_results_hold_the_serving_tables(tmp_path: Path) -> None:
    results = simulate(_scenario(tmp_path), step_time=fixed_step_time(1.0))
    out = results.save(tmp_path / "out")
    back = Results.load(out)
    assert {"requests", "serving_timeline"} <= set(back.tables)
    assert back.summary["serving"]["chat"]["requests_completed"] > 0


def test_bad_service_field_is_named(tmp_path: Path) -> None:
    path = _scenario(tmp_path, model="llama3-70b", tp=1)
    with pytest.raises(InputError) as err:
        simulate(path, step_time=fixed_step_time(1.0))
    assert "workloads.inference_services[0].tp" in str(err.value)


def test_shipped_serving_scenario_runs(tmp_path: Path) -> None:
    results = simulate(
        REPO / "scenarios/llama3-70b-serving-h200.yaml", settings=["horizon_days=0.001"]
    )
    fig = results.summary["serving"]["chat-70b"]
    assert fig["requests_completed"] > 1000
    assert fig["ttft_p50_ms"] < 1000.0
