"""Serving capacity over time: a growing request rate on fixed replicas breaks its SLOs.

One replica on one test node serves long generations one at a time (max_num_seqs 1, 50,000
answer tokens: minutes each), so a few thousand requests a month load it like a busy
service while three simulated months run in seconds. The rate starts at 30% of what the
replica can serve and doubles every month: 30-60% in month 1, 60-120% in month 2, 120-240%
in month 3. The TTFT target is a multiple of the one-request service time, so it holds at
light load and fails once the queue grows without bound.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from simulator.cli.cost import cost_lines
from simulator.economics import price_scenario
from simulator.economics.months import MONTH_S, Calendar
from simulator.economics.serving_capacity import SERVING_COLUMNS, serving_by_month
from simulator.errors import InputError
from simulator.results import simulate
from simulator.scenario import load_scenario
from tests.conftest import write_yaml
from tests.economics.conftest import fixed_jobs, scenario

OWN = [{"name": "own", "sheet": "econtest-owned", "purchase": "owned"}]
START_LOAD = 0.3
TTFT_SLO_SERVICE_TIMES = 8.0
MIN_ATTAINMENT = 0.9


def _service(traffic: dict, ttft_s: float | None = None) -> dict:
    return {
        "name": "chat",
        "model": "llama3-8b",
        "precision": "bf16",
        "replicas": 1,
        "max_num_seqs": 1,
        "max_batched_tokens": 2048,
        "timeline_interval_s": 86400,
        "traffic": {
            "arrivals": "poisson",
            "input_tokens": {"kind": "fixed", "value": 512},
            "output_tokens": {"kind": "fixed", "value": 50_000},
            **traffic,
        },
        "slo": {"ttft_s": ttft_s} if ttft_s else {},
    }


def _plan(service: dict, **pricing) -> dict:  # noqa: ANN003
    return scenario(
        nodes=1,
        days=3 * MONTH_S / 86400.0,
        workloads={"inference_services": [service]},
        pricing={"options": OWN, **pricing},
    )


@pytest.fixture(scope="module")
def service_time_s(tmp_path_factory, econ_catalog) -> float:
    """Seconds one request holds the replica (prefill + 50,000 decode steps), simulated."""
    data = _plan(_service({"requests_per_s": 1.0, "num_requests": 1}))
    path = write_yaml(tmp_path_factory.mktemp("one") / "s.yaml", data)
    results = simulate(load_scenario(path, econ_catalog))
    return results.summary["serving"]["chat"]["e2e_p50_ms"] / 1000.0


def _run(path: Path, catalog, service_time_s: float, growth: float):  # noqa: ANN001, ANN202
    rate = START_LOAD / service_time_s
    service = _service(
        {"requests_per_s": rate, "growth_per_month": growth},
        ttft_s=TTFT_SLO_SERVICE_TIMES * service_time_s,
    )
    data = _plan(service, min_slo_attainment=MIN_ATTAINMENT)
    loaded = load_scenario(write_yaml(path, data), catalog)
    results = simulate(loaded)
    return results, price_scenario(loaded, results)


@pytest.fixture(scope="module")
def grown(tmp_path_factory, econ_catalog, service_time_s):  # noqa: ANN001, ANN201
    """The plan with demand doubling monthly: (results, cost report)."""
    path = tmp_path_factory.mktemp("grown") / "s.yaml"
    return _run(path, econ_catalog, service_time_s, growth=1.0)


def test_slos_break_in_the_month_demand_outgrows_the_replica(grown) -> None:
    results, report = grown
    table = report.tables["capacity_monthly"]
    assert table["month"].tolist() == [1, 2, 3]
    assert set(SERVING_COLUMNS) <= set(table.columns)
    requests = results.tables["requests"]
    month = (requests["arrival_s"] // MONTH_S).astype(int)
    assert table["requests_arrived"].tolist() == [int((month == m).sum()) for m in range(3)]
    assert table["requests_arrived"].is_monotonic_increasing
    assert table["slo_attainment"].is_monotonic_decreasing
    assert table["ttft_p99_s"].is_monotonic_increasing
    capacity = report.summary["capacity"]
    breaks = capacity["slo_breaks_at_month"]
    assert capacity["min_slo_attainment"] == MIN_ATTAINMENT
    assert breaks is not None and breaks > 1, table[SERVING_COLUMNS]
    assert table.loc[table["month"] == breaks, "slo_attainment"].iloc[0] < MIN_ATTAINMENT
    assert table.loc[table["month"] < breaks, "slo_attainment"].min() >= MIN_ATTAINMENT
    # past saturation almost nothing meets the target
    assert table["slo_attainment"].iloc[-1] < 0.1


def test_the_same_plan_holds_without_growth(tmp_path, econ_catalog, service_time_s) -> None:
    _, report = _run(tmp_path / "s.yaml", econ_catalog, service_time_s, growth=0.0)
    table = report.tables["capacity_monthly"]
    assert report.summary["capacity"]["slo_breaks_at_month"] is None
    assert np.all(table["slo_attainment"] >= MIN_ATTAINMENT)
    rate = table["requests_per_s"].to_numpy()
    assert rate == pytest.approx(START_LOAD / service_time_s, rel=0.1)


def test_training_only_plans_have_no_serving_columns(make) -> None:
    jobs = fixed_jobs(3, gpus=8, hours=1)
    loaded = make(scenario(days=1, workloads={"synthetic_jobs": [jobs]}, pricing={"options": OWN}))
    table = price_scenario(loaded, simulate(loaded)).tables["capacity_monthly"]
    assert not set(SERVING_COLUMNS) & set(table.columns)


def test_an_slo_limit_needs_an_slo(make) -> None:
    data = _plan(_service({"requests_per_s": 0.01}), min_slo_attainment=0.9)
    with pytest.raises(InputError, match="min_slo_attainment needs"):
        make(data)


def test_cost_compare_prints_the_serving_verdict(grown) -> None:
    _, report = grown
    month = report.summary["capacity"]["slo_breaks_at_month"]
    lines = cost_lines(report.summary)
    assert f"    serving plan (SLO attainment >= 90%): breaks in month {month}" in lines


def test_requests_left_waiting_count_once_past_their_target() -> None:
    """Month 1: met, dropped (a miss), in flight past the 10 s TTFT target (a miss), in
    flight within it (not yet judged), not yet sent by its client (not counted)."""
    service = SimpleNamespace(name="chat", slo=SimpleNamespace(ttft_s=10.0, tpot_s=None))
    loaded = SimpleNamespace(
        scenario=SimpleNamespace(workloads=SimpleNamespace(inference_services=[service]))
    )
    end_s = 1000.0
    requests = pd.DataFrame(
        {
            "service": ["chat"] * 5,
            "arrival_s": [0.0, 1.0, 900.0, 995.0, 0.0],
            "ttft_s": [2.0, np.nan, np.nan, np.nan, np.nan],
            "status": ["completed", "dropped", "in_flight", "in_flight", "not_issued"],
            "slo_met": [True, False, False, False, False],
        }
    )
    results = SimpleNamespace(tables={"requests": requests})
    table = serving_by_month(loaded, results, Calendar(end_s / MONTH_S, end_s))
    row = table.iloc[0]
    assert row["requests_arrived"] == 4
    assert row["slo_attainment"] == pytest.approx(1 / 3)
    waits = [2.0, 100.0, 5.0]  # the dropped request never gets a first token
    assert row["ttft_p99_s"] == pytest.approx(np.percentile(waits, 99))
