"""Renting: closed-form checks of on-demand, reserved, capacity-block and storage billing."""

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
    return results, price_scenario(loaded, results)


def test_on_demand_bills_whole_instances(make):
    """Three 4-GPU jobs of 2 h each pay for an 8-GPU instance: 3 x 2 h x 8 x $2 = $96."""
    results, report = _price(
        make, fixed_jobs(3, gpus=4, hours=2), [{"name": "od", "sheet": "econtest-cloud"}]
    )
    assert (results.jobs["status"] == "completed").all()
    cost = report.summary["options"]["od"]
    assert cost["by_category_usd"]["compute"] == pytest.approx(96.0, abs=0.005)
    assert cost["delivered_gpu_hours"] == pytest.approx(3 * 2 * 4)
    assert cost["usd_per_gpu_hour"] == pytest.approx(
        4.0, abs=0.005
    )  # $2/GPU-h, doubled by rounding
    assert cost["training_runs_usd"] == {}


def test_reserved_costs_the_same_at_low_and_high_use(make):
    """Reserved capacity is paid every hour: 4 nodes x $8 x one month, at 10% or 90% use."""
    option = [{"name": "ri", "sheet": "econtest-cloud", "purchase": "reserved_1yr"}]
    hours = MONTH_S / 3600.0
    totals = []
    for count in (12, 110):  # one-node jobs of 24 h: about 10% and 90% of 4 nodes for a month
        results, report = _price(make, fixed_jobs(count, gpus=8, hours=24, per_hour=1), option)
        used = results.summary["gpu_utilization"]
        totals.append((used, report.summary["options"]["ri"]["total_usd"]))
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
    """Blocks: ceil(30 h / 24 h) = 2 days x 24 h x $16/h = $768 for one 8-GPU job."""
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
    assert report.summary["options"]["cb"]["total_usd"] == pytest.approx(2 * 24 * 16.0)


def test_storage_and_egress(make):
    """Egress: 2 TB a month x 1000 GB x $0.05 = $100 per month."""
    _, report = _price(
        make,
        fixed_jobs(1, gpus=8, hours=1),
        [{"name": "od", "sheet": "econtest-cloud"}],
        egress_tb_per_month=2,
    )
    assert report.summary["options"]["od"]["by_category_usd"]["egress"] == pytest.approx(100.0)


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
