"""The time breakdown of a job: the engine books every phase, and the parts add up.

Hand-worked cases on the tiny test model with a fixed step time, so each figure is a sum of
step times, checkpoint writes and the failure constants.
"""

from __future__ import annotations

import pytest

from simulator.engine import fixed_step_time
from simulator.engine.failure_rates import DETECTION_S, LLAMA3_CAUSES, RESTART_S, repair_s
from simulator.engine.training import CHECKPOINT_BYTES_PER_PARAM
from simulator.invariants import time_breakdown_adds_up
from simulator.perf.transformer_flops import total_params
from simulator.results import simulate
from simulator.schema.model import TransformerModel
from tests.engine.conftest import TINY_MODEL, base_scenario, training_job

PARTS = (
    "queued_s",
    "computing_s",
    "checkpointing_s",
    "restarting_s",
    "lost_work_s",
    "waiting_for_capacity_s",
)
WRITE_S = CHECKPOINT_BYTES_PER_PARAM * total_params(TransformerModel(**TINY_MODEL)) / 5e9
"""One checkpoint write of the tiny model: 8 GPUs on one node at 5 GB/s per client, capped by
the tier's aggregate 50 GB/s (enginetest-fs), so 5 GB/s x 1 node."""


def _job(res, name: str):  # noqa: ANN001, ANN202
    return res.jobs.set_index("name").loc[name]


def test_a_job_that_waits_for_another_books_its_wait_as_queued(make) -> None:
    data = base_scenario(
        nodes=1,
        workloads={"training_jobs": [training_job("first"), training_job("second")]},
    )
    res = simulate(make(data), step_time=fixed_step_time(10.0, mfu=0.4))
    first, second = _job(res, "first"), _job(res, "second")
    # 100 steps at 10 s each; the second starts when the first frees the node at 1,000 s
    assert first["computing_s"] == pytest.approx(1000.0)
    assert first["queued_s"] == 0.0
    assert second["queued_s"] == pytest.approx(1000.0)
    assert second["computing_s"] == pytest.approx(1000.0)
    assert second["end_s"] == pytest.approx(2000.0)
    for part in ("checkpointing_s", "restarting_s", "lost_work_s", "waiting_for_capacity_s"):
        assert first[part] == 0.0 and second[part] == 0.0
    answers = {j.name: j for j in res.summary.training_jobs}
    # tokens/s: 64 x 2,048 tokens per 10 s step; MFU as the step-time function gave it
    assert answers["second"].tokens_per_s == pytest.approx(64 * 2048 / 10.0)
    assert answers["second"].mfu == pytest.approx(0.4)
    assert answers["second"].time_to_train_days == pytest.approx(2000.0 / 86400.0)
    assert answers["second"].time_breakdown_h.queued == pytest.approx(1000.0 / 3600.0)


def test_blocking_checkpoints_are_booked_as_checkpointing(make) -> None:
    # a checkpoint every 25 steps (250 s): after steps 25, 50 and 75; the last step finishes
    checkpoint = {"policy": "fixed", "interval_minutes": 250 / 60}
    data = base_scenario(
        nodes=1, workloads={"training_jobs": [training_job(checkpoint=checkpoint)]}
    )
    res = simulate(make(data), step_time=fixed_step_time(10.0))
    job = res.jobs.iloc[0]
    assert job["checkpoints"] == 3
    assert job["checkpointing_s"] == pytest.approx(3 * WRITE_S)
    assert job["computing_s"] == pytest.approx(1000.0)
    assert job["end_s"] == pytest.approx(1000.0 + 3 * WRITE_S)
    assert sum(job[p] for p in PARTS) == pytest.approx(job["end_s"] - job["submit_s"])


def _failing_on_one_node(make, seed: int):  # noqa: ANN001, ANN202
    """One 8-GPU job filling a one-node cluster: a node that fails leaves no spare."""
    data = base_scenario(
        nodes=1,
        horizon_days=30,
        seed=seed,
        workloads={"training_jobs": [training_job(steps=1800)]},
        policies={"failures": {"enabled": True, "rate_multiplier": 5000}},
    )
    return simulate(make(data), step_time=fixed_step_time(1.0))


def test_a_failed_node_with_no_spare_is_waited_for_as_capacity(make) -> None:
    res = _failing_on_one_node(make, seed=2)
    job = res.jobs.iloc[0]
    failures = res.events[res.events["event"] == "failure"]
    takes_out = {c.name: c for c in LLAMA3_CAUSES if c.takes_node_out}
    hardware = [takes_out[c] for c in failures["detail"] if c in takes_out]
    assert job["status"] == "completed"
    assert len(hardware) >= 1, "the seed must give a failure that takes the node out"
    # hand-worked: each hardware failure takes the only node out for its repair time; the
    # job is declared dead after DETECTION_S, restarts after RESTART_S, finds no node and
    # waits in the queue until the repair ends, then starts again at once
    assert job["waiting_for_capacity_s"] == pytest.approx(
        sum(repair_s(c) - DETECTION_S - RESTART_S for c in hardware)
    )
    # seed 2: one HBM failure, 72 h of repair: 259,200 - 600 - 600 = 258,000 s of waiting
    assert [c.component for c in hardware] == ["hbm"]
    assert job["waiting_for_capacity_s"] == pytest.approx(258_000.0)
    # no checkpoints: each failure costs detection + restart (no restore to read) and
    # everything computed since the job last (re)started
    assert job["restarting_s"] == pytest.approx(len(failures) * (DETECTION_S + RESTART_S))
    assert job["lost_work_s"] == pytest.approx(failures["value"].sum())
    assert job["computing_s"] == pytest.approx(1800.0)
    assert job["queued_s"] == 0.0
    total = sum(job[p] for p in PARTS)
    assert total == pytest.approx(job["end_s"] - job["submit_s"], rel=1e-12)
    answer = res.summary.training_jobs[0]
    assert answer.time_breakdown_h.waiting_for_capacity == pytest.approx(
        job["waiting_for_capacity_s"] / 3600.0
    )
    # goodput hides all of it: 1,800 useful seconds over the whole run
    assert answer.goodput == pytest.approx(1800.0 / job["run_s"])


def test_an_unfinished_job_adds_up_to_the_end_of_the_run(make) -> None:
    data = base_scenario(
        nodes=1,
        horizon_days=0.01,  # 864 s
        workloads={"training_jobs": [training_job(steps=1000)]},
    )
    res = simulate(make(data), step_time=fixed_step_time(1.0))
    job = res.jobs.iloc[0]
    assert job["status"] == "running"
    assert job["computing_s"] == pytest.approx(864.0)
    answer = res.summary.training_jobs[0]
    assert answer.time_to_train_days is None and answer.finish_day is None
    assert answer.progress == pytest.approx(0.864)


def test_the_invariant_catches_a_breakdown_that_does_not_add_up(make) -> None:
    data = base_scenario(nodes=1, workloads={"training_jobs": [training_job()]})
    res = simulate(make(data), step_time=fixed_step_time(10.0))
    assert time_breakdown_adds_up(res) == []
    res.jobs.loc[0, "computing_s"] += 60.0
    (found,) = time_breakdown_adds_up(res)
    assert "does not add up" in found and "train" in found


def test_a_preempted_job_waits_for_capacity_and_loses_its_work(make) -> None:
    data = base_scenario(
        nodes=1,
        workloads={
            "training_jobs": [
                training_job("low", steps=3600, priority=0),
                training_job("high", steps=1800, priority=5, submit_at_hours=0.5),
            ]
        },
        policies={"scheduler": {"kind": "priority"}, "failures": {"enabled": False}},
    )
    res = simulate(make(data), step_time=fixed_step_time(1.0))
    low, high = _job(res, "low"), _job(res, "high")
    # low: computes 0-1,800 s (lost: no checkpoint), waits while high runs 1,800-3,600 s,
    # then computes its 3,600 steps again, finishing at 7,200 s
    assert low["lost_work_s"] == pytest.approx(1800.0)
    assert low["waiting_for_capacity_s"] == pytest.approx(1800.0)
    assert low["computing_s"] == pytest.approx(3600.0)
    assert low["queued_s"] == 0.0 and low["restarting_s"] == 0.0
    assert high["queued_s"] == 0.0 and high["computing_s"] == pytest.approx(1800.0)
