"""A run in which no job ever held GPUs still prices every option (pandas 2 and 3 alike).

Pricing such a run used to divide by an empty pool column: under pandas 3 (text columns are
`str`) that raised a TypeError; under pandas 2 the same code went through `object` columns.
"""

from __future__ import annotations

import pytest

from simulator.economics import price_scenario
from simulator.results import simulate
from tests.economics.conftest import scenario
from tests.engine.conftest import training_job

OPTIONS = [
    {"name": "od", "sheet": "econtest-cloud", "purchase": "on_demand"},
    {"name": "res", "sheet": "econtest-cloud", "purchase": "reserved_1yr"},
    {"name": "spot", "sheet": "econtest-cloud", "purchase": "spot"},
    {"name": "own", "sheet": "econtest-owned", "purchase": "owned"},
]


def _idle(make):
    """One job that arrives only after the horizon: nothing ever runs."""
    job = training_job(steps=10, submit_at_hours=10_000)
    loaded = make(
        scenario(nodes=2, days=2, workloads={"training_jobs": [job]}, pricing={"options": OPTIONS})
    )
    results = simulate(loaded)
    assert (results.jobs["gpu_hours"] == 0).all()
    return results, price_scenario(loaded, results)


def test_nothing_used_costs_nothing_per_use(make) -> None:
    _, report = _idle(make)
    od, spot = report.summary.option("od"), report.summary.option("spot")
    for option in (od, spot):
        assert option.cost_accrued_usd == option.cost_cash_usd == 0.0
        assert option.unused_commitment_usd == 0.0  # pay-per-use commits nothing
    assert od.usd_per_gpu_hour_accrued is None and od.usd_per_gpu_hour_cash is None


def test_capacity_paid_for_is_billed_even_unused(make) -> None:
    """Reserved instances and owned nodes are paid for every hour, used or not."""
    _, report = _idle(make)
    reserved = report.summary.option("res")
    assert reserved["by_category_accrued_usd"]["compute"] > 0
    assert "compute_overflow" not in reserved["by_category_accrued_usd"]
    assert report.summary.option("own")["cost_accrued_usd"] > 0


def test_monthly_table_keeps_its_column_types(make) -> None:
    """Options that cost nothing add no rows, and cannot turn `month` into objects."""
    _, report = _idle(make)
    monthly = report.tables["cost_monthly"]
    assert set(monthly["option"]) == {"res", "own"}
    assert monthly["month"].dtype == "int64" and monthly["usd"].dtype == "float64"
    assert report.tables["cost_cumulative"]["month"].dtype == "int64"


@pytest.mark.parametrize("purchase", ["on_demand", "reserved_1yr", "spot"])
def test_each_rented_option_alone(make, purchase: str) -> None:
    job = training_job(steps=10, submit_at_hours=10_000)
    option = {"name": "x", "sheet": "econtest-cloud", "purchase": purchase}
    loaded = make(
        scenario(nodes=1, days=1, workloads={"training_jobs": [job]}, pricing={"options": [option]})
    )
    results = simulate(loaded)
    report = price_scenario(loaded, results)
    assert report.summary.cheapest.model_dump() == {"cash": "x", "accrued": "x", "net_cash": "x"}
    assert report.tables["cost_monthly"]["month"].dtype == "int64"
