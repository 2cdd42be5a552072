"""Cash and accrued, side by side: a commitment longer than the horizon, and the issue's
4-month own-vs-rent case on the shipped pre-training scenario."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.catalog import Catalog
from simulator.economics import price_scenario
from simulator.economics.months import MONTH_S
from simulator.results import simulate
from simulator.scenario import load_scenario
from simulator.schema.cost_summary import CostSummary
from tests.economics.conftest import fixed_jobs, scenario

SHIPPED = Path(__file__).parents[2] / "scenarios" / "llama3-70b-pretrain-h100.yaml"
HOURS_PER_MONTH = MONTH_S / 3600.0  # 730.5


def test_a_12_month_reservation_over_a_4_month_horizon(make):
    """One 8-GPU instance reserved for the 1-year term at $8/instance-hour ($1/GPU-h); a
    4-month horizon priced from a one-month run in which one 8-GPU job holds it 100 h.

    accrued: the term amortised, the horizon's share = 8 x 4 x 730.5 h x $1 = $23,376;
    cash: the whole term = 8 x 12 x 730.5 x $1 = $70,128, of which the 8 months past the
    horizon ($46,752) are booked in month 4;
    used: 800 GPU-h in the simulated month, repeated over 4 months = 3,200 GPU-h = $3,200;
    unused commitment = $70,128 - $3,200 = $66,928 (shown, never prorated away).
    Storage and egress are the same on both bases.
    """
    loaded = make(
        scenario(
            nodes=1,
            workloads={"synthetic_jobs": [fixed_jobs(1, gpus=8, hours=100, per_hour=100)]},
            pricing={
                "horizon_months": 4,
                "options": [
                    {
                        "name": "ri",
                        "sheet": "econtest-cloud",
                        "purchase": "reserved_1yr",
                        "reserved_contracts": [{"instances": 1}],
                    }
                ],
            },
        )
    )
    results = simulate(loaded)
    assert float(results.jobs.loc[0, "gpu_hours"]) == pytest.approx(800.0)
    report = price_scenario(loaded, results)
    ri = report.summary.option("ri")
    assert ri.by_category_accrued_usd["compute"] == pytest.approx(8 * 4 * HOURS_PER_MONTH)
    past = 8 * 8 * HOURS_PER_MONTH
    assert ri.cost_cash_usd - ri.cost_accrued_usd == pytest.approx(past)
    assert ri.unused_commitment_usd == pytest.approx(8 * 12 * HOURS_PER_MONTH - 3_200.0)
    assert ri.residual_value_usd == 0.0 and ri.net_cash_usd == ri.cost_cash_usd
    cash = report.tables["cost_monthly"].query("basis == 'cash'")
    term = cash[(cash["category"] == "compute_term_past_horizon") & (cash["usd"] != 0)]
    assert term["month"].tolist() == [4] and term["usd"].iloc[0] == pytest.approx(past)
    assert "12-month term paid in full" in ri.billing


@pytest.fixture(scope="module")
def four_months():
    """The shipped pre-training scenario priced over 4 months (`cost compare --horizon 4mo`)."""
    loaded = load_scenario(SHIPPED, Catalog.load([]))
    return loaded, price_scenario(loaded, simulate(loaded), horizon_months=4)


def test_owning_for_4_months_pays_the_capex_in_cash(four_months):
    """132 HGX H100 nodes (1,056 GPUs) in a rented hall (`purchase: colocation`).

    capex = servers 132 x $310,000 = $40.92M + fabric 132 x $33,980 = $4.485M
    + storage 2,000 TB x $400 = $0.8M = $46.205M (no hall: it is rented).
    cash >= that (> $45M): it is paid in month 1;
    accrued capital = 4 months of a 5-year straight line = $46.205M x 4/60 = $3.080M;
    residual = servers at the sheet's resale curve, 1 - 0.38 x 4/12 = 0.8733 of $40.92M
    = $35.74M.
    """
    _, report = four_months
    own = report.summary.option("own-hgx-h100")
    capex = 132 * 310_000 + 132 * 33_980 + 2_000 * 400
    assert own.purchase == "colocation"
    assert own.cost_cash_usd >= 132 * (310_000 + 33_980) > 45e6
    assert own.cost_cash_usd >= capex
    capital = ("servers", "fabric", "storage", "facility", "spares", "other")
    depreciation = sum(own.by_category_accrued_usd.get(k, 0.0) for k in capital)
    assert depreciation == pytest.approx(capex * 4 / 60)
    assert own.cost_accrued_usd < own.cost_cash_usd / 5
    assert own.residual_value_usd == pytest.approx(132 * 310_000 * (1 - 0.38 * 4 / 12))
    assert own.net_cash_usd == pytest.approx(own.cost_cash_usd - own.residual_value_usd)


def test_4_month_verdicts_each_right_for_their_basis(four_months):
    """The cheapest option on each basis is the one with the least total on that basis; a
    1-year reservation costs its 12 months in cash and 4 of them accrued."""
    _, report = four_months
    s = report.summary
    by = {o.name: o for o in s.options}
    assert s.cheapest.cash == min(by, key=lambda n: by[n].cost_cash_usd)
    assert s.cheapest.accrued == min(by, key=lambda n: by[n].cost_accrued_usd)
    assert s.cheapest.net_cash == min(by, key=lambda n: by[n].net_cash_usd)
    assert s.cheapest.cash != "own-hgx-h100"  # $45M of servers never win in 4 months' cash
    reserved = by["aws-p5-reserved-1yr"]
    compute = reserved.by_category_accrued_usd["compute"]
    assert reserved.cost_cash_usd - reserved.cost_accrued_usd == pytest.approx(compute * 8 / 4)
    assert reserved.unused_commitment_usd > compute * 8 / 4  # the 8 months past, at least
    for b in s.break_even:
        assert b.basis in ("cash", "accrued")
    pairs = [(b.owned, b.rented) for b in s.break_even if b.basis == "cash"]
    assert pairs == [(b.owned, b.rented) for b in s.break_even if b.basis == "accrued"]


def test_a_version_1_cost_block_loads_as_version_2():
    """The committed v1 run (tests/data/formats/run-v1): options keyed by name, one accrued
    total, one cheapest name, break-even mappings. Read as version 2: a list by name, the
    one total on both bases (nothing owned resold, nothing committed unused recorded), the
    one cheapest on every basis, its cash break-even month kept."""
    path = Path(__file__).parents[1] / "data" / "formats" / "run-v1" / "summary.json"
    old = json.loads(path.read_text())["costs"]
    costs = CostSummary.model_validate(old)
    assert costs.schema_version == 2 and costs.mode == "horizon"
    assert [o.name for o in costs.options] == list(old["options"])
    own = costs.option("own-hgx-h200")
    total = old["options"]["own-hgx-h200"]["total_usd"]
    assert own.cost_cash_usd == own.cost_accrued_usd == own.net_cash_usd == total
    assert own.by_category_accrued_usd == old["options"]["own-hgx-h200"]["by_category_usd"]
    assert costs.cheapest.cash == costs.cheapest.accrued == old["cheapest"]
    (b,) = costs.break_even
    assert (b.owned, b.rented, b.basis, b.month) == ("own-hgx-h200", "runpod-h200", "cash", None)
    assert b.beat_utilization == old["beat_utilization"]["own-hgx-h200"]["runpod-h200"]
