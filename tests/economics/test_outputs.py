"""Per-run and per-token outputs, and reserved contracts that start and end."""

from __future__ import annotations

import pytest

from simulator.economics import price_scenario
from simulator.economics.months import MONTH_S
from simulator.results import simulate
from tests.economics.conftest import fixed_jobs, scenario
from tests.engine.conftest import training_job
from tests.summaries import service_summary


def test_training_run_cost_and_tokens_served(make):
    loaded = make(
        scenario(
            days=1,
            workloads={"training_jobs": [training_job("run", num_gpus=4, steps=2000)]},
            pricing={"options": [{"name": "od", "sheet": "econtest-cloud"}]},
        )
    )
    results = simulate(loaded)
    gpu_hours = float(results.jobs.loc[0, "gpu_hours"])
    assert gpu_hours > 0
    # the serving engine reports GPU-hours per million output tokens per service
    serving = {"chat": service_summary(gpu_hours_per_million_output_tokens=3.0)}
    results.summary = results.summary.model_copy(update={"serving": serving})
    cost = price_scenario(loaded, results).summary.option("od")
    # 4 -> 8 GPUs at $2/GPU-h; per instance-second billing rounds the held span up to a
    # whole second (at most $16/h x 1 s more)
    assert cost["training_runs_usd"]["run"] == pytest.approx(gpu_hours * 2 * 2.0, abs=16 / 3600)
    assert cost["usd_per_million_output_tokens"]["chat"] == pytest.approx(
        3.0 * cost["usd_per_gpu_hour_accrued"]
    )


def test_without_serving_there_is_no_token_cost(make):
    loaded = make(
        scenario(
            days=1,
            workloads={"synthetic_jobs": [fixed_jobs(1, 8, 1)]},
            pricing={"options": [{"name": "od", "sheet": "econtest-cloud"}]},
        )
    )
    cost = price_scenario(loaded, simulate(loaded)).summary.option("od")
    assert cost["usd_per_million_output_tokens"] == {}


def test_reserved_contract_ends_and_overflow_goes_on_demand(make):
    """Two instances (16 GPUs) reserved for the first half month (365.25 h) at $1/GPU-h; an
    8-GPU job of 500 h pays $2/GPU-h on demand once the contract ends (netted per clock-hour,
    so to within a GPU-hour or two)."""
    loaded = make(
        scenario(
            workloads={"synthetic_jobs": [fixed_jobs(1, gpus=8, hours=500, per_hour=100)]},
            pricing={
                "options": [
                    {
                        "name": "ri",
                        "sheet": "econtest-cloud",
                        "purchase": "reserved_1yr",
                        "reserved_contracts": [{"instances": 2, "months": 0.5}],
                    }
                ]
            },
        )
    )
    results = simulate(loaded)
    cost = price_scenario(loaded, results).summary.option("ri")
    reserved_gpu_h = 2 * 8 * 0.5 * MONTH_S / 3600
    assert cost["by_category_accrued_usd"]["compute"] == pytest.approx(reserved_gpu_h * 1.0)
    overflow_gpu_h = 8 * (500.0 - 0.5 * MONTH_S / 3600)
    assert cost["by_category_accrued_usd"]["compute_overflow"] == pytest.approx(
        overflow_gpu_h * 2.0, abs=2 * 8 * 2.0
    )
