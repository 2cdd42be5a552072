"""Training jobs: exact run times, checkpoints, data-loading stalls, storage and fabric sharing."""

from __future__ import annotations

import math

import pytest

from simulator.engine import fixed_step_time
from simulator.engine.training import CHECKPOINT_BYTES_PER_PARAM
from simulator.perf.transformer_flops import total_params
from simulator.results import simulate
from simulator.schema.model import TransformerModel
from tests.engine.conftest import TINY_MODEL, base_scenario, training_job

CKPT_BYTES = CHECKPOINT_BYTES_PER_PARAM * total_params(TransformerModel(**TINY_MODEL))
WRITE_BPS = 5e9  # enginetest-fs: 5 GB/s per client (one node), 50 GB/s aggregate


def one_job(make, nodes: int = 1, **job):
    data = base_scenario(nodes=nodes, workloads={"training_jobs": [training_job(**job)]})
    return make(data)


def end_of(res, name: str = "train") -> float:
    return float(res.jobs.set_index("name").loc[name, "end_s"])


def test_single_job_takes_steps_times_step_time(make) -> None:
    res = simulate(one_job(make), step_time=fixed_step_time(10.0))
    assert end_of(res) == pytest.approx(100 * 10.0, rel=1e-12)
    job = res.jobs.iloc[0]
    assert job["goodput"] == pytest.approx(1.0)
    assert job["gpu_hours"] == pytest.approx(8 * 1000 / 3600)
    assert res.summary["checkpoints"] == 0


def test_single_job_with_the_performance_model(make) -> None:
    res = simulate(one_job(make, steps=50))
    job = res.jobs.iloc[0]
    assert job["step_time_s"] > 0
    assert job["end_s"] == pytest.approx(50 * job["step_time_s"], rel=1e-9)


def test_blocking_checkpoints_add_their_write_time(make) -> None:
    ckpt = {"policy": "fixed", "interval_minutes": 200 / 60, "storage": "enginetest-fs"}
    res = simulate(one_job(make, checkpoint=ckpt), step_time=fixed_step_time(10.0))
    write_s = CKPT_BYTES / WRITE_BPS
    # a checkpoint every 20 steps, none after the last: steps 20, 40, 60, 80
    assert end_of(res) == pytest.approx(1000 + 4 * write_s, rel=1e-9)
    ev = res.events[res.events["event"] == "checkpoint"]
    assert list(ev["value"]) == [20, 40, 60, 80]
    expected = [200 * k + (k - 1) * write_s + write_s for k in range(1, 5)]
    assert list(ev["time_s"]) == pytest.approx(expected, rel=1e-9)


def test_async_checkpoints_do_not_block(make) -> None:
    ckpt = {"policy": "fixed", "interval_minutes": 200 / 60, "asynchronous": True}
    res = simulate(one_job(make, checkpoint=ckpt), step_time=fixed_step_time(10.0))
    assert end_of(res) == pytest.approx(1000.0, rel=1e-12)
    assert res.summary["checkpoints"] == 4


def test_young_daly_interval(make) -> None:
    data = base_scenario(
        nodes=4,
        horizon_days=1,
        workloads={"training_jobs": [training_job(steps=100, checkpoint={"policy": "young_daly"})]},
        policies={"failures": {"enabled": True, "rate_multiplier": 1000}},
    )
    res = simulate(make(data), step_time=fixed_step_time(1.0))
    per_gpu_s = res.summary["failure_rate_per_gpu_hour"] / 3600
    mtbf = 1 / (per_gpu_s * 8)
    write_s = CKPT_BYTES / WRITE_BPS
    assert res.jobs.iloc[0]["checkpoint_interval_s"] == pytest.approx(
        math.sqrt(2 * mtbf * write_s), rel=1e-12
    )


def test_young_daly_without_failures_never_checkpoints(make) -> None:
    res = simulate(
        one_job(make, checkpoint={"policy": "young_daly"}), step_time=fixed_step_time(10.0)
    )
    assert res.summary["checkpoints"] == 0
    assert end_of(res) == pytest.approx(1000.0)


def test_data_loading_stall_when_storage_cannot_feed_the_job(make) -> None:
    # 20 TB over a 1000 s run is 20 GB/s, but one node reads at most 10 GB/s: half speed
    res = simulate(one_job(make, dataset_tb=20), step_time=fixed_step_time(10.0))
    assert end_of(res) == pytest.approx(2000.0, rel=1e-9)
    assert res.jobs.iloc[0]["goodput"] == pytest.approx(0.5)
    # 5 TB is 5 GB/s: no stall
    res = simulate(one_job(make, dataset_tb=5), step_time=fixed_step_time(10.0))
    assert end_of(res) == pytest.approx(1000.0, rel=1e-9)


def test_jobs_share_storage_bandwidth_max_min_fairly(make) -> None:
    # each job (8 nodes, 80 GB/s of client bandwidth) streams 60 GB/s: alone it runs at full
    # speed; together they ask 120 GB/s of a 100 GB/s tier and each gets 50 (5/6 speed)
    jobs = [training_job(n, num_gpus=64, dataset_tb=60) for n in ("a", "b")]
    data = base_scenario(nodes=16, workloads={"training_jobs": jobs})
    data["cluster"]["fabric"]["nodes_per_pod"] = 16
    res = simulate(make(data), step_time=fixed_step_time(10.0))
    assert end_of(res, "a") == pytest.approx(1200.0, rel=1e-9)
    assert end_of(res, "b") == pytest.approx(1200.0, rel=1e-9)
    alone = base_scenario(nodes=16, workloads={"training_jobs": jobs[:1]})
    res = simulate(make(alone), step_time=fixed_step_time(10.0))
    assert end_of(res, "a") == pytest.approx(1000.0, rel=1e-9)


def _fabric_case(make, oversubscription: float):
    # 3 pods of 2 nodes; two 3-node jobs (tp 8, dp 3) both cross pod 1's uplink
    jobs = [training_job(n, num_gpus=24, steps=10_000, parallelism={"tp": 8}) for n in ("a", "b")]
    data = base_scenario(nodes=6, workloads={"training_jobs": jobs})
    data["cluster"]["fabric"] = {"nodes_per_pod": 2, "oversubscription": oversubscription}
    return simulate(make(data), step_time=fixed_step_time(0.01))


def test_jobs_crossing_an_oversubscribed_spine_slow_each_other(make) -> None:
    params = total_params(TransformerModel(**TINY_MODEL))
    per_step = 8 * 2 * (2 / 3) * 2 * params / 8  # bytes over each spanned pod uplink
    demand = per_step / 0.01
    uplink = 2 * 8 * 50e9 * 0.9  # two nodes of 8 x 50 GB/s NICs, 90% achievable
    fast = _fabric_case(make, 1.0)
    assert 2 * demand < uplink
    assert end_of(fast, "a") == pytest.approx(100.0, rel=1e-9)
    assert list(fast.jobs["first_pods"]) == [2, 2]
    slow = _fabric_case(make, 2.0)
    assert demand < uplink / 2 < 2 * demand
    speed = (uplink / 2 / 2) / demand  # pod 1's uplink split evenly
    assert end_of(slow, "a") == pytest.approx(100.0 / speed, rel=1e-9)
    assert end_of(slow, "b") == pytest.approx(100.0 / speed, rel=1e-9)


def test_total_tokens_sets_the_step_count(make) -> None:
    job = training_job(total_tokens=64 * 2048 * 10.5)
    del job["steps"]
    data = base_scenario(nodes=1, workloads={"training_jobs": [job]})
    res = simulate(make(data), step_time=fixed_step_time(1.0))
    assert res.jobs.iloc[0]["total_steps"] == 11
    assert end_of(res) == pytest.approx(11.0)
