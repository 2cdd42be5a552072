"""Renting: closed-form checks of on-demand, reserved, capacity-block and storage billing.

`econtest-cloud` bills per instance-second with no minimum (the default billing).
"""

from __future__ import annotations

import math

import pytest

from simulator.economics import price_scenario
from simulator.economics.months import MONTH_S
from simulator.errors import InputError
from simulator.results import simulate
from tests.economics.conftest import fixed_jobs, scenario


def _price(make, jobs: dict, options: list[dict], **pricing):
    loaded = make(
        scenario(
            workloads={"synthetic_jobs": [jobs]},
            pricing={"options": options, **pricing},
        )
    )
    results = simulate(loaded)
    report = price_scenario(loaded, results)
    return results, {c.name: c for c in report.options}


def test_on_demand_bills_whole_instances_shared_by_jobs_on_one_node(make):
    """Three 4-GPU jobs of 2 h arriving seconds apart: best fit puts two on node 0 and the
    third on node 1, so two instances are held for about 2 h: 2 x 2 h x $16 = $64 (plus the
    seconds between the first two arrivals). One instance per job would be $96."""
    results, costs = _price(
        make,
        fixed_jobs(3, gpus=4, hours=2, per_hour=1000),
        [{"name": "od", "sheet": "econtest-cloud"}],
    )
    assert (results.jobs["status"] == "completed").all()
    starts = results.events[results.events["event"] == "start"]
    assert sorted(starts["node"].value_counts().tolist()) == [1, 2]
    cost = costs["od"]
    assert cost.categories["compute"].sum() == pytest.approx(64.0, rel=2e-3)
    assert cost.delivered_gpu_hours == pytest.approx(3 * 2 * 4)
    # $2/GPU-h, raised by a third: 4 GPUs of the 8 paid for sat idle for one job's 2 h
    assert cost.per(cost.delivered_gpu_hours) == pytest.approx(64.0 / 24, rel=2e-3)
    assert cost.training_runs == {}


def test_reserved_costs_the_same_at_low_and_high_use(make):
    """Reserved capacity is paid every hour: 4 nodes x $8 x one month, at 10% or 90% use."""
    option = [{"name": "ri", "sheet": "econtest-cloud", "purchase": "reserved_1yr"}]
    hours = MONTH_S / 3600.0
    totals = []
    for count in (12, 110):  # one-node jobs of 24 h: about 10% and 90% of 4 nodes for a month
        results, report = _price(make, fixed_jobs(count, gpus=8, hours=24, per_hour=1), option)
        used = results.summary["gpu_utilization"]
        totals.append((used, report["ri"].accrued_usd))
    (low_use, low_usd), (high_use, high_usd) = totals
    assert low_use < 0.15 and high_use > 0.85
    assert low_usd == pytest.approx(high_usd) == pytest.approx(4 * 8.0 * hours)


def test_missing_capacity_block_price_is_an_error(make):
    """The test sheet sells no capacity blocks: asking for one fails, naming the option."""
    with pytest.raises(InputError, match="capacity_block"):
        _price(
            make,
            fixed_jobs(1, gpus=8, hours=30),
            [{"name": "cb", "sheet": "econtest-cloud", "purchase": "capacity_block"}],
        )


def test_capacity_block_arithmetic(make, econ_catalog):
    """Blocks of whole days (the sheet's default): a 30-h job books ceil(30 / 24) = 2 days
    x 24 h x $16/h = $768."""
    sheet = econ_catalog.profiles["pricing"]["econtest-cloud"]
    data = sheet.model_dump()
    data["cloud"]["instances"][0]["capacity_block_usd_per_hour"] = 16.0
    econ_catalog.profiles["pricing"]["econtest-cloud"] = type(sheet).model_validate(data)
    try:
        _, report = _price(
            make,
            fixed_jobs(1, gpus=8, hours=30),
            [{"name": "cb", "sheet": "econtest-cloud", "purchase": "capacity_block"}],
        )
    finally:
        econ_catalog.profiles["pricing"]["econtest-cloud"] = sheet
    assert report["cb"].cash_usd == pytest.approx(2 * 24 * 16.0)


def test_storage_and_egress(make):
    """Egress: 2 TB a month x 1000 GB x $0.05 = $100 per month."""
    _, report = _price(
        make,
        fixed_jobs(1, gpus=8, hours=1),
        [{"name": "od", "sheet": "econtest-cloud"}],
        egress_tb_per_month=2,
    )
    assert report["od"].categories["egress"].sum() == pytest.approx(100.0)


def test_missing_spot_rate_is_an_error_not_a_zero(make):
    with pytest.raises(InputError, match="spot_interruptions_per_hour"):
        _price(
            make,
            fixed_jobs(1, gpus=8, hours=1),
            [{"name": "spot", "sheet": "econtest-nospot", "purchase": "spot"}],
        )


def test_missing_reserved_price_is_an_error_at_load(make):
    with pytest.raises(InputError, match="no reserved_3yr price"):
        make(
            scenario(
                workloads={"synthetic_jobs": [fixed_jobs(1, 8, 1)]},
                pricing={
                    "options": [
                        {"name": "r3", "sheet": "econtest-cloud", "purchase": "reserved_3yr"}
                    ]
                },
            )
        )


def test_missing_storage_price_is_an_error(make):
    """A checkpointing job on parallel_fs storage, priced on a sheet with no storage prices."""
    from tests.engine.conftest import training_job

    loaded = make(
        scenario(
            days=1,
            workloads={"training_jobs": [training_job(dataset_tb=1)]},
            pricing={"options": [{"name": "od", "sheet": "econtest-nospot"}]},
        )
    )
    results = simulate(loaded)
    assert math.fsum(results.summary["storage_peak_used_tb"].values()) > 0
    with pytest.raises(InputError, match="no storage price for tier 'parallel_fs'"):
        price_scenario(loaded, results)
