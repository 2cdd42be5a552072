"""Same scenario and seed: identical results; another seed: different ones."""

from __future__ import annotations

import pandas as pd

from simulator.engine import fixed_step_time
from simulator.results import simulate
from tests.engine.conftest import base_scenario, training_job


def _scenario() -> dict:
    return base_scenario(
        nodes=4,
        horizon_days=3,
        workloads={
            "training_jobs": [
                training_job(steps=50_000, checkpoint={"policy": "young_daly"}, num_gpus=16)
            ],
            "synthetic_jobs": [
                {
                    "name": "mix",
                    "arrivals_per_hour": 4,
                    "gpus_per_job": [1, 2, 4, 8],
                    "mean_duration_hours": 2,
                    "duration": "lognormal",
                }
            ],
        },
        policies={
            "scheduler": {"kind": "easy_backfill"},
            "failures": {"enabled": True, "rate_multiplier": 2000},
        },
    )


def test_same_seed_same_results(make) -> None:
    loaded = make(_scenario())
    a = simulate(loaded, step_time=fixed_step_time(1.0))
    b = simulate(loaded, step_time=fixed_step_time(1.0))
    assert a.summary == b.summary
    pd.testing.assert_frame_equal(a.jobs, b.jobs)
    pd.testing.assert_frame_equal(a.events, b.events)
    pd.testing.assert_frame_equal(a.timeline, b.timeline)
    assert a.summary["failures"] > 0


def test_different_seed_different_results(make) -> None:
    loaded = make(_scenario())
    a = simulate(loaded, step_time=fixed_step_time(1.0))
    b = simulate(loaded, seed=12345, step_time=fixed_step_time(1.0))
    assert b.summary["seed"] == 12345
    assert a.summary != b.summary
    assert a.summary["mean_wait_s"] != b.summary["mean_wait_s"]


def test_scenario_seed_is_used(make) -> None:
    data = _scenario()
    data["seed"] = 12345
    a = simulate(make(data), step_time=fixed_step_time(1.0))
    b = simulate(make(_scenario()), seed=12345, step_time=fixed_step_time(1.0))
    # the provenance differs, rightly: it hashes the two scenarios, which differ in `seed`
    without = {"provenance": None}
    assert a.summary.model_copy(update=without) == b.summary.model_copy(update=without)
    assert a.summary.provenance.seed == b.summary.provenance.seed == 12345


def test_adding_a_source_leaves_failure_times_alone(make) -> None:
    data = _scenario()
    data["workloads"]["synthetic_jobs"] = []
    alone = simulate(make(data), step_time=fixed_step_time(1.0))
    data["workloads"]["synthetic_jobs"] = [
        {"name": "other", "arrivals_per_hour": 1, "gpus_per_job": [1], "mean_duration_hours": 1}
    ]
    data["cluster"]["pools"][0]["count"] = 8
    mixed = simulate(make(data), step_time=fixed_step_time(1.0))

    def first_failure(res) -> float:
        ev = res.events
        return float(ev[ev["event"] == "failure"]["time_s"].iloc[0])

    assert first_failure(alone) == first_failure(mixed)
