"""Closed form: Poisson arrivals of one-GPU jobs with exponential run times under FIFO are an
M/M/c queue, whose mean wait is given by the Erlang C formula."""

from __future__ import annotations

import math

import pytest

from simulator.results import simulate
from tests.engine.conftest import base_scenario


def erlang_c_wait(c: int, arrival_rate: float, service_rate: float) -> float:
    """Mean time in queue of M/M/c (Erlang C)."""
    a = arrival_rate / service_rate
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * service_rate - arrival_rate)


@pytest.mark.slow
def test_mm_c_mean_wait_matches_erlang_c(make) -> None:
    c, rho, jobs = 2, 0.5, 40_000  # two GPUs (one 2-GPU node), half loaded
    mean_hours = 1.0
    arrivals_per_hour = rho * c / mean_hours
    data = base_scenario(
        nodes=1,
        horizon_days=jobs / arrivals_per_hour / 24 * 1.1,
        workloads={
            "synthetic_jobs": [
                {
                    "name": "mmc",
                    "arrivals_per_hour": arrivals_per_hour,
                    "gpus_per_job": [1],
                    "mean_duration_hours": mean_hours,
                    "count": jobs,
                }
            ]
        },
        policies={"scheduler": {"kind": "fifo"}, "failures": {"enabled": False}},
    )
    data["cluster"]["pools"][0]["node"] = "enginetest-node2"
    res = simulate(make(data), seed=3)
    assert res.summary["jobs_completed"] == jobs
    # The drawn run times and gaps match the requested rates ...
    run_h = res.jobs["run_s"].mean() / 3600
    gap_h = res.jobs["submit_s"].diff().mean() / 3600
    assert run_h == pytest.approx(mean_hours, rel=0.02)
    assert gap_h == pytest.approx(1 / arrivals_per_hour, rel=0.02)
    # ... and the queue behaves as M/M/c at the rates actually drawn (the wait's sampling
    # error over 40,000 correlated jobs is a few percent; the realised rates remove the
    # part of it that comes from the drawn load, which Erlang C amplifies).
    expected_s = erlang_c_wait(c, 1 / gap_h, 1 / run_h) * 3600
    assert res.summary["mean_wait_s"] == pytest.approx(expected_s, rel=0.04)
