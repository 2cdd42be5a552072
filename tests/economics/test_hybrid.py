"""Hybrid: overflow jobs burst to the cloud after the wait limit; residency jobs never do."""

from __future__ import annotations

import pytest

from simulator.economics import price_scenario
from simulator.errors import InputError
from simulator.results import simulate
from tests.economics.conftest import fixed_jobs, scenario
from tests.engine.conftest import training_job

HYBRID = {
    "name": "hybrid",
    "sheet": "econtest-owned",
    "purchase": "owned",
    "burst": {"sheet": "econtest-cloud", "wait_limit_hours": 1},
}


def test_overflow_jobs_burst_and_are_billed_in_the_cloud(make):
    """One node; three 8-GPU 2-h jobs at once: the first runs, the other two burst after 1 h."""
    data = scenario(
        nodes=1,
        days=1,
        workloads={"synthetic_jobs": [fixed_jobs(3, gpus=8, hours=2, per_hour=1000)]},
        pricing={"options": [HYBRID]},
    )
    data["cluster"]["burst"] = {"wait_limit_hours": 1}
    loaded = make(data)
    results = simulate(loaded)
    jobs = results.jobs
    assert jobs["burst"].tolist() == [False, True, True]
    assert (jobs["status"] == "completed").all()
    assert jobs.loc[jobs["burst"], "wait_s"].tolist() == pytest.approx([3600.0, 3600.0])
    assert jobs.loc[jobs["burst"], "gpu_hours"].tolist() == pytest.approx([16.0, 16.0])
    assert results.timeline["allocated_gpus"].max() == 8  # bursts never occupy the cluster
    report = price_scenario(loaded, results)
    hybrid = report.summary.option("hybrid")
    assert hybrid["burst_jobs"] == 2
    assert hybrid["by_category_accrued_usd"]["burst_compute"] == pytest.approx(2 * 16 * 2.0)
    # both bases: burst jobs are paid as they run, so cash and accrued differ only by the
    # owned node's capital ($100k server + $10k fabric + $1,000/kW x 10.2 kW hall = $120,200
    # paid on day 1, against one day of its one-year depreciation accrued)
    by = hybrid.by_category_accrued_usd
    depreciated = by["servers"] + by["fabric"] + by["facility"]
    assert depreciated == pytest.approx(120_200 * 86400 / (365.25 * 86400))
    assert hybrid.cost_cash_usd - hybrid.cost_accrued_usd == pytest.approx(120_200 - depreciated)
    assert hybrid.residual_value_usd == pytest.approx(100_000 * (1 - 1 / 365.25))


def test_hybrid_option_simulates_its_own_burst_world(make):
    """The scenario has no burst; the hybrid option's world does, the owned option's does not."""
    loaded = make(
        scenario(
            nodes=1,
            days=1,
            workloads={"synthetic_jobs": [fixed_jobs(3, gpus=8, hours=2, per_hour=1000)]},
            pricing={
                "options": [HYBRID, {"name": "own", "sheet": "econtest-owned", "purchase": "owned"}]
            },
        )
    )
    results = simulate(loaded)
    assert not results.jobs["burst"].any()
    report = price_scenario(loaded, results)
    assert report.summary.option("hybrid")["burst_jobs"] == 2
    assert report.summary.option("own")["burst_jobs"] == 0
    assert report.summary.break_even == []  # both owned: no rented option to set against


def test_onprem_only_jobs_never_burst(make):
    data = scenario(
        nodes=1,
        days=1,
        workloads={
            "training_jobs": [
                training_job("a", steps=20000, onprem_only=True),
                training_job("b", steps=20000, onprem_only=True),
                training_job("c", steps=20000),
            ]
        },
    )
    data["cluster"]["burst"] = {"wait_limit_hours": 0.01}
    results = simulate(make(data))
    burst = dict(zip(results.jobs["name"], results.jobs["burst"], strict=True))
    assert burst == {"a": False, "b": False, "c": True}


def test_owned_option_cannot_price_bursts_without_a_sheet(make):
    data = scenario(
        nodes=1,
        days=1,
        workloads={"synthetic_jobs": [fixed_jobs(3, gpus=8, hours=2, per_hour=1000)]},
        pricing={"options": [{"name": "own", "sheet": "econtest-owned", "purchase": "owned"}]},
    )
    data["cluster"]["burst"] = {"wait_limit_hours": 1}
    loaded = make(data)
    with pytest.raises(InputError, match="burst sheet"):
        price_scenario(loaded, simulate(loaded))
