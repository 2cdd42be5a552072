"""Schedulers: exact event logs for small cases (FIFO, EASY backfill, priority, fair share)."""

from __future__ import annotations

from simulator.engine import fixed_step_time
from simulator.results import simulate
from tests.engine.conftest import base_scenario, starts, trace_scenario, training_job

H = 3600


def h(seconds: float) -> float:
    """Hours, rounded as `starts` rounds them."""
    return round(seconds / H, 6)


def test_fifo_keeps_order(tmp_path, make) -> None:
    rows = [("A", "u", 6, 0, 10 * H), ("B", "u", 8, 1 * H, 1 * H), ("C", "u", 2, 2 * H, 5 * H)]
    res = simulate(make(trace_scenario(tmp_path, rows, scheduler={"kind": "fifo"})))
    assert starts(res) == [("A", 0.0), ("B", 10.0), ("C", 11.0)]


def test_backfill_small_job_jumps_ahead_without_delaying_head(tmp_path, make) -> None:
    rows = [
        ("A", "u", 6, 0, 10 * H),  # running
        ("B", "u", 8, 1 * H, 1 * H),  # head: reserved for t=10h
        ("C", "u", 2, 2 * H, 5 * H),  # ends at 7h < 10h: backfills
        ("D", "u", 2, 3 * H, 20 * H),  # would still hold 2 GPUs at 10h: must wait
    ]
    res = simulate(make(trace_scenario(tmp_path, rows, scheduler={"kind": "easy_backfill"})))
    assert starts(res) == [("A", 0.0), ("C", 2.0), ("B", 10.0), ("D", 11.0)]
    fifo = simulate(make(trace_scenario(tmp_path, rows, scheduler={"kind": "fifo"})))
    assert starts(fifo) == [("A", 0.0), ("B", 10.0), ("C", 11.0), ("D", 11.0)]
    assert res.summary["mean_wait_s"] < fifo.summary["mean_wait_s"]


def test_backfill_uses_gpus_the_head_leaves_spare(tmp_path, make) -> None:
    rows = [
        ("A", "u", 6, 0, 10 * H),
        ("B", "u", 6, 1 * H, 1 * H),  # head: at 10h it needs 6 of 8 GPUs
        ("D", "u", 2, 2 * H, 20 * H),  # long, but fits in the 2 GPUs B leaves: starts now
        ("E", "u", 2, 3 * H, 1 * H),  # nothing free now: waits
    ]
    res = simulate(make(trace_scenario(tmp_path, rows, scheduler={"kind": "easy_backfill"})))
    assert starts(res) == [("A", 0.0), ("D", 2.0), ("B", 10.0), ("E", 11.0)]


def test_backfill_estimates_padding_changes_decisions(tmp_path, make) -> None:
    rows = [("A", "u", 6, 0, 10 * H), ("B", "u", 8, 1 * H, 1 * H), ("C", "u", 2, 2 * H, 5 * H)]
    # estimates are padded x2: A is expected to run 20h, so the head's reservation is at 20h
    # and C (expected 10h, so until 12h) still backfills; B starts when A really ends
    policy = {"kind": "easy_backfill", "params": {"estimate_factor": 2.0}}
    res = simulate(make(trace_scenario(tmp_path, rows, scheduler=policy)))
    assert starts(res) == [("A", 0.0), ("C", 2.0), ("B", 10.0)]


def test_priority_preempts_lower_priority_job(make) -> None:
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
    ev = res.events[res.events["event"].isin(["start", "preempt", "end"])]
    log = [(e, j, t) for e, j, t in zip(ev["event"], ev["job"], ev["time_s"], strict=True)]
    assert log == [
        ("start", "low", 0.0),
        ("preempt", "low", 1800.0),
        ("start", "high", 1800.0),
        ("end", "high", 3600.0),
        ("start", "low", 3600.0),
        ("end", "low", 7200.0),
    ]
    preempt = res.events[res.events["event"] == "preempt"].iloc[0]
    assert preempt["value"] == 1800.0  # no checkpoint: all work so far is lost
    jobs = res.jobs.set_index("name")
    assert jobs.loc["low", "preemptions"] == 1
    assert jobs.loc["low", "lost_work_s"] == 1800.0


def test_priority_without_preemption_waits(make) -> None:
    data = base_scenario(
        nodes=1,
        workloads={
            "training_jobs": [
                training_job("low", steps=3600, priority=0),
                training_job("high", steps=1800, priority=5, submit_at_hours=0.5),
            ]
        },
        policies={
            "scheduler": {"kind": "priority", "params": {"preemption": False}},
            "failures": {"enabled": False},
        },
    )
    res = simulate(make(data), step_time=fixed_step_time(1.0))
    assert starts(res) == [("low", 0.0), ("high", 1.0)]


def test_priority_orders_queue_by_tenant_priority(tmp_path, make) -> None:
    rows = [
        ("A", "batch", 8, 0, 1 * H),
        ("B", "batch", 8, 60, 1 * H),
        ("C", "prod", 8, 120, 1 * H),
    ]
    policy = {"kind": "priority", "params": {"tenant_priorities": {"prod": 10}}}
    res = simulate(make(trace_scenario(tmp_path, rows, scheduler=policy)))
    # C outranks A: A is preempted at 120 s and restarts (from scratch) after C
    assert starts(res) == [("A", 0.0), ("C", h(120)), ("A", h(H + 120)), ("B", h(2 * H + 120))]


def test_fair_share_alternates_tenants(tmp_path, make) -> None:
    rows = [(f"a{i}", "a", 8, 0, 1 * H) for i in range(1, 5)]
    rows += [(f"b{i}", "b", 8, 60, 1 * H) for i in range(1, 3)]
    res = simulate(make(trace_scenario(tmp_path, rows, scheduler={"kind": "fair_share"})))
    assert [name for name, _ in starts(res)] == ["a1", "b1", "a2", "b2", "a3", "a4"]
    assert [t for _, t in starts(res)] == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]
    fifo = simulate(make(trace_scenario(tmp_path, rows, scheduler={"kind": "fifo"})))
    assert [name for name, _ in starts(fifo)] == ["a1", "a2", "a3", "a4", "b1", "b2"]


def test_fair_share_weights_and_quota(tmp_path, make) -> None:
    rows = [(f"a{i}", "a", 8, 0, 1 * H) for i in range(1, 4)]
    rows += [("b1", "b", 8, 60, 1 * H)]
    policy = {"kind": "fair_share", "params": {"quota_gpus": {"a": 8}}}
    res = simulate(make(trace_scenario(tmp_path, rows, nodes=2, scheduler=policy)))
    # a may hold 8 GPUs at once: a2 waits although a node is free; b1 takes it
    assert starts(res) == [("a1", 0.0), ("b1", h(60)), ("a2", 1.0), ("a3", 2.0)]
