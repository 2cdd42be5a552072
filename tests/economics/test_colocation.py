"""Colocation against owning: the same servers, the hall rented per kW-month or built."""

from __future__ import annotations

import pytest

from simulator.economics import price_scenario
from simulator.errors import InputError
from simulator.results import simulate
from tests.economics.conftest import fixed_jobs, scenario

NODE_KW = 10.2  # enginetest-node max_power_w
OPTIONS = [
    {"name": "own", "sheet": "econtest-owned", "purchase": "owned"},
    {"name": "colo", "sheet": "econtest-owned", "purchase": "colocation"},
]


def _report(make, facility: str):
    loaded = make(
        scenario(
            workloads={"synthetic_jobs": [fixed_jobs(8, gpus=8, hours=24)]},
            pricing={"options": OPTIONS, "horizon_months": 2},
            cluster={
                "pools": [{"name": "main", "node": "enginetest-node", "count": 4}],
                "fabric": {"nodes_per_pod": 4},
                "facility": facility,
            },
        )
    )
    return price_scenario(loaded, simulate(loaded))


def test_colocation_rents_the_hall_owned_builds_it(make):
    """4 nodes x 10.2 kW = 40.8 kW, two months.

    owned: hall build-out $1,000/kW x 40.8 kW = $40,800 of capital; accrued 2/12 of it
    ($6,800), cash all of it in month 1; no colocation rent.
    colocation: no build-out; rent $100/kW-month x 40.8 kW x 2 months = $8,160 on both bases
    (paid monthly as accrued), and its capital is $40,800 less (maintenance, 12%/yr of
    capital, $40,800 x 0.12 x 2/12 = $816 less).
    Servers, fabric, staff and electricity are the same for both.
    """
    report = _report(make, "econtest-colo")
    own, colo = report.summary.option("own"), report.summary.option("colo")
    assert own.by_category_accrued_usd["facility"] == pytest.approx(40_800 * 2 / 12)
    assert "colocation" not in own.by_category_accrued_usd
    assert "facility" not in colo.by_category_accrued_usd
    assert colo.by_category_accrued_usd["colocation"] == pytest.approx(100 * 4 * NODE_KW * 2)
    maintenance_gap = 40_800 * 0.12 * 2 / 12
    assert own.by_category_accrued_usd["maintenance"] - colo.by_category_accrued_usd[
        "maintenance"
    ] == pytest.approx(maintenance_gap)
    assert own.cost_cash_usd - colo.cost_cash_usd == pytest.approx(40_800 + maintenance_gap - 8_160)
    assert own.cost_accrued_usd - colo.cost_accrued_usd == pytest.approx(
        6_800 + maintenance_gap - 8_160
    )
    assert own.residual_value_usd == colo.residual_value_usd  # the same servers
    assert "rented" in colo.billing and "built" in own.billing


def test_colocation_needs_a_hall_rent(make):
    """A facility without `colocation_usd_per_kw_month` cannot be colocated in: an InputError
    naming the option, not a free hall."""
    with pytest.raises(InputError) as err:
        _report(make, "enginetest-hall")
    assert err.value.problems[0].field == "pricing.options[1].purchase"
