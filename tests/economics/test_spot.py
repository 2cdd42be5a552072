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
    spot, od = report.summary["options"]["spot"], report.summary["options"]["od"]
    assert od["usd_per_goodput_gpu_hour"] == pytest.approx(od["usd_per_gpu_hour"])
    assert spot["usd_per_gpu_hour"] == pytest.approx(4.0 / 8)
    theory = (math.exp(RATE_PER_NODE_HOUR * WORK_H) - 1) / (RATE_PER_NODE_HOUR * WORK_H)
    measured = spot["usd_per_goodput_gpu_hour"] / spot["usd_per_gpu_hour"]
    assert measured == pytest.approx(theory, rel=0.06)
    assert spot["delivered_gpu_hours"] > od["delivered_gpu_hours"]


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
