"""Failures: the Llama 3 rate table, lost work against theory, repairs and spares."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.engine import fixed_step_time
from simulator.engine.failure_rates import (
    DETECTION_S,
    LLAMA3_CAUSES,
    LLAMA3_GPU_HOURS,
    RESTART_S,
    per_gpu_hour_by_component,
)
from simulator.results import simulate
from tests.engine.conftest import base_scenario, training_job


def test_llama3_table_reproduces_the_paper() -> None:
    assert sum(c.count for c in LLAMA3_CAUSES) == 419
    assert LLAMA3_GPU_HOURS == 16_384 * 54 * 24
    rates = per_gpu_hour_by_component()
    total = sum(rates.values())
    assert total * LLAMA3_GPU_HOURS == pytest.approx(419)
    # one interruption about every three hours on 16,384 GPUs
    assert 1 / (total * 16_384) == pytest.approx(3.09, abs=0.01)
    assert rates["gpu"] > rates["hbm"] > rates["software"] > rates["switch"]


def _failing_job(make, checkpoint: dict, steps: int = 10_000_000, nodes: int = 256):
    data = base_scenario(
        nodes=nodes,
        horizon_days=60,
        workloads={"training_jobs": [training_job(steps=steps, checkpoint=checkpoint)]},
        policies={"failures": {"enabled": True, "rate_multiplier": 10_000}},
    )
    return simulate(make(data), step_time=fixed_step_time(1.0))


def test_without_checkpoints_every_failure_loses_everything_since_the_restart(make) -> None:
    res = _failing_job(make, {"policy": "none"})
    ev = res.events
    failures = ev[ev["event"] == "failure"]
    assert len(failures) > 1000
    rate = res.summary["failure_rate_per_gpu_hour"] * 8 / 3600  # this job's failures per second
    # the job restarts from step 0 after detection + restart; compute time since then is lost
    starts = [0.0] + list(failures["time_s"].iloc[:-1] + DETECTION_S + RESTART_S)
    since_restart = failures["time_s"].to_numpy() - np.array(starts)
    lost = failures["value"].to_numpy()
    assert lost == pytest.approx(since_restart, rel=1e-9, abs=1e-6)
    # exponential time to failure: mean loss 1/rate
    assert lost.mean() == pytest.approx(1 / rate, rel=0.05)
    assert res.jobs.iloc[0]["checkpoints"] == 0


def test_with_checkpoints_a_failure_loses_half_an_interval_on_average(make) -> None:
    interval = 100.0
    res = _failing_job(make, {"policy": "fixed", "interval_minutes": interval / 60})
    failures = res.events[res.events["event"] == "failure"]
    assert len(failures) > 1000
    lost = failures["value"].to_numpy()
    assert lost.max() <= interval + 1e-6
    assert lost.mean() == pytest.approx(interval / 2, rel=0.05)
    job = res.jobs.iloc[0]
    assert job["lost_work_s"] == pytest.approx(lost.sum())
    assert job["checkpoints"] > 10 * len(failures)
    assert 0 < job["goodput"] < 1


def test_goodput_accounts_for_every_lost_second(make) -> None:
    res = _failing_job(make, {"policy": "fixed", "interval_minutes": 1}, steps=200_000)
    job = res.jobs.iloc[0]
    assert job["status"] == "completed"
    assert job["useful_s"] == pytest.approx(200_000)
    ev = res.events
    failures = int((ev["event"] == "failure").sum())
    checkpoints = int((ev["event"] == "checkpoint").sum())
    restores = ev[ev["event"] == "restore"]
    write_s = ckpt_write_s(res)
    # wall time = useful + lost + checkpoint writes + downtime + restore reads (no queueing)
    expected = (
        200_000
        + job["lost_work_s"]
        + checkpoints * write_s
        + failures * (DETECTION_S + RESTART_S)
        + len(restores) * write_s / 2  # reads at 10 GB/s, writes at 5 GB/s
    )
    aborted = job["run_s"] - expected  # writes and restores cut short by a failure
    assert 0 <= aborted < failures * write_s
    assert job["goodput"] == pytest.approx(200_000 / job["run_s"])


def ckpt_write_s(res) -> float:
    from simulator.engine.training import CHECKPOINT_BYTES_PER_PARAM
    from simulator.perf.transformer_flops import total_params
    from simulator.schema.model import TransformerModel
    from tests.engine.conftest import TINY_MODEL

    return CHECKPOINT_BYTES_PER_PARAM * total_params(TransformerModel(**TINY_MODEL)) / 5e9


def test_hardware_failures_send_nodes_for_repair_and_use_spares(make) -> None:
    data = base_scenario(
        nodes=6,
        horizon_days=20,
        workloads={"training_jobs": [training_job(num_gpus=32, steps=10_000_000)]},
        policies={
            "failures": {"enabled": True, "rate_multiplier": 2000},
            "placement": {"kind": "topology_aware", "params": {"spare_nodes_per_pool": 1}},
        },
    )
    res = simulate(make(data), step_time=fixed_step_time(1.0))
    ev = res.events
    downs = ev[ev["event"] == "node_down"]
    assert len(downs) > 5
    assert (ev["event"] == "node_up").sum() > 0
    replaced = ev[ev["event"] == "replace"]
    assert len(replaced) > 0
    # the first replacement is the spare (the pool's last node, 5)
    assert replaced.iloc[0]["node"] == 5
    # with repairs taking days, the job eventually runs out of nodes and waits in the queue
    assert (ev["event"] == "requeue").sum() > 0
    assert res.summary["node_repairs"] == len(downs)
    assert res.timeline["down_nodes"].max() >= 1


def test_failures_disabled_means_none(make) -> None:
    data = base_scenario(
        nodes=1,
        workloads={"training_jobs": [training_job(steps=1000)]},
        policies={"failures": {"enabled": False, "rate_multiplier": 10_000}},
    )
    res = simulate(make(data), step_time=fixed_step_time(1.0))
    assert res.summary["failures"] == 0
