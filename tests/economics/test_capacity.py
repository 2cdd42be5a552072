"""Capacity over time: build-out dates, demand growth, and when the queue breaks."""

from __future__ import annotations

import math

import pytest

from simulator.economics import price_scenario
from simulator.economics.months import MONTH_S
from simulator.results import simulate
from tests.economics.conftest import fixed_jobs, scenario

OWN = [{"name": "own", "sheet": "econtest-owned", "purchase": "owned"}]


def test_nodes_join_on_their_date(make):
    """2 nodes now, 2 more ordered on day 1 with a 1-day lead: a 32-GPU job starts on day 2."""
    data = scenario(
        nodes=2,
        days=4,
        workloads={"synthetic_jobs": [fixed_jobs(1, gpus=32, hours=1, per_hour=100)]},
        pricing={"options": OWN},
    )
    data["cluster"]["build_out"] = [
        {"pool": "main", "nodes": 2, "order_at_days": 1, "lead_time_days": 1}
    ]
    loaded = make(data)
    results = simulate(loaded)
    job = results.jobs.iloc[0]
    assert job["status"] == "completed"
    assert job["start_s"] == pytest.approx(2 * 86400.0)
    added = results.events[results.events["event"] == "node_added"]
    assert len(added) == 2 and (added["time_s"] == 2 * 86400.0).all()
    assert results.timeline.loc[results.timeline["time_s"] < 2 * 86400, "free_gpus"].max() == 16
    # the added nodes depreciate from day 2: one-year life, months of the horizon
    report = price_scenario(loaded, results)
    servers = report.summary.option("own")["by_category_accrued_usd"]["servers"]
    year_s = 12 * MONTH_S
    horizon_s = 4 * 86400.0
    expected = 2 * 100_000 * horizon_s / year_s + 2 * 100_000 * (horizon_s - 2 * 86400) / year_s
    assert servers == pytest.approx(expected)


def test_demand_growth_matches_the_integrated_rate(make):
    """Arrivals at r0 (1+g)^(t/month): expected count r0 (exp(kT) - 1) / k over T."""
    rate_per_hour, growth = 20.0, 1.0
    jobs = fixed_jobs(100_000, gpus=1, hours=0.01, per_hour=rate_per_hour)
    jobs["growth_per_month"] = growth
    days = 30.0
    results = simulate(make(scenario(days=days, workloads={"synthetic_jobs": [jobs]})))
    k = math.log1p(growth) / MONTH_S
    expected = rate_per_hour / 3600.0 * math.expm1(k * days * 86400.0) / k
    assert results.summary["jobs_submitted"] == pytest.approx(expected, rel=0.03)
    flat = expected / (rate_per_hour * days * 24)
    assert flat > 1.3  # growth really added work


def test_queue_breaks_when_demand_outgrows_the_fleet(make):
    """Demand doubling monthly on a fixed fleet: the p95 wait limit breaks in a later month."""
    jobs = fixed_jobs(100_000, gpus=8, hours=4, per_hour=0.2)
    jobs["growth_per_month"] = 1.0
    loaded = make(
        scenario(
            nodes=4,
            days=3 * MONTH_S / 86400.0,
            workloads={"synthetic_jobs": [jobs]},
            pricing={"options": OWN, "max_p95_wait_hours": 2},
        )
    )
    results = simulate(loaded)
    report = price_scenario(loaded, results)
    table = report.tables["capacity_monthly"]
    assert table["month"].tolist() == [1, 2, 3]
    assert table["jobs_submitted"].is_monotonic_increasing
    breaks = report.summary["capacity"]["breaks_at_month"]
    assert breaks is not None and breaks > 1
    assert table.loc[table["month"] == breaks, "p95_wait_h"].iloc[0] > 2
