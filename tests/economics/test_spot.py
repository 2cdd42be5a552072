"""Spot: the engine's reclaims raise cost per useful GPU-hour as restart theory says.

A job of W hours that starts over whenever its node is reclaimed (a Poisson process of rate
lambda) runs on average (exp(lambda W) - 1) / lambda hours, so each useful GPU-hour costs
(exp(lambda W) - 1) / (lambda W) GPU-hours of spot time.
"""

from __future__ import annotations

import math

import pytest

from simulator.economics import price_scenario
from simulator.results import simulate
from tests.economics.conftest import fixed_jobs, scenario

RATE_PER_NODE_HOUR = 0.5  # econtest-cloud's spot_interruptions_per_hour (one node per instance)
WORK_H = 1.0


def test_spot_reclaims_raise_cost_per_useful_gpu_hour(make):
    loaded = make(
        scenario(
            days=15,
            workloads={"synthetic_jobs": [fixed_jobs(300, gpus=8, hours=WORK_H, per_hour=2)]},
            pricing={
                "options": [
                    {"name": "spot", "sheet": "econtest-cloud", "purchase": "spot"},
                    {"name": "od", "sheet": "econtest-cloud"},
                ]
            },
        )
    )
    base = simulate(loaded)
    report = price_scenario(loaded, base)
    costs = {c.name: c for c in report.options}
    spot, od = costs["spot"], costs["od"]
    assert od.per(od.goodput_gpu_hours) == pytest.approx(od.per(od.delivered_gpu_hours))
    # $4 per instance-hour / 8 GPUs; per-second billing rounds each rental up to a whole
    # second (under 1 s of some 1,400 s on average: below 0.1%)
    assert spot.per(spot.delivered_gpu_hours) == pytest.approx(4.0 / 8, rel=1e-3)
    theory = (math.exp(RATE_PER_NODE_HOUR * WORK_H) - 1) / (RATE_PER_NODE_HOUR * WORK_H)
    measured = spot.per(spot.goodput_gpu_hours) / spot.per(spot.delivered_gpu_hours)
    assert measured == pytest.approx(theory, rel=0.06)
    assert spot.delivered_gpu_hours > od.delivered_gpu_hours


def test_spot_pool_preempts_and_restarts(make):
    """Reclaims preempt running jobs, which requeue and finish; nothing is lost for good."""
    data = scenario(
        days=5, workloads={"synthetic_jobs": [fixed_jobs(40, gpus=8, hours=2, per_hour=1)]}
    )
    data["cluster"]["pools"][0]["spot"] = {
        "interruptions_per_node_hour": 0.3,
        "reacquire_minutes": 30,
    }
    results = simulate(make(data))
    events = results.events["event"].value_counts()
    assert events["spot_reclaim"] > 0 and events["preempt"] > 0
    assert events.get("node_up", 0) > 0  # reclaimed nodes come back after reacquire_minutes
    assert (results.jobs["status"] == "completed").all()
    assert results.summary["preemptions"] == int(results.jobs["preemptions"].sum())
