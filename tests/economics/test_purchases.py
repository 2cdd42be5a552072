"""Purchase kinds: the registry covers the schema's names, and each class bills as the sheet says.

Figures are worked by hand from the round-number test sheets: `econtest-cloud` sells an
8-GPU instance at $16/h on demand ($2/GPU-h), $8/h reserved for a year ($1/GPU-h), $4/h spot
($0.5/GPU-h); the tests add $6/h for three years ($0.75/GPU-h) and $16/h for capacity blocks.
`econtest-owned` buys a node for $100,000 of servers and $10,000 of fabric, depreciated over
one year, and one $120,000-a-year engineer per 32 GPUs.
"""

from __future__ import annotations

from typing import get_args

import pytest

from simulator.economics import price_scenario
from simulator.economics.months import MONTH_S
from simulator.economics.purchases import PURCHASES, PerUse, Rented, purchase_of
from simulator.results import simulate
from simulator.schema.pricing import InstancePrice
from simulator.schema.scenario import BurstPurchaseKind, PurchaseKind
from tests.economics.conftest import fixed_jobs, patched_profile, scenario

HOURS_PER_YEAR = 12 * MONTH_S / 3600.0
SIM_DAYS = 2.0
HORIZON_MONTHS = SIM_DAYS * 86400.0 / MONTH_S  # the cost horizon is the simulated window


def _more_prices(data: dict) -> None:
    data["cloud"]["instances"][0]["reserved_3yr_usd_per_hour"] = 6.0
    data["cloud"]["instances"][0]["capacity_block_usd_per_hour"] = 16.0


@pytest.fixture
def cloud_prices(econ_catalog):
    with patched_profile(econ_catalog, "pricing", "econtest-cloud", _more_prices):
        yield


def test_registry_covers_every_schema_kind_once():
    assert set(PURCHASES) == set(get_args(PurchaseKind))
    assert all(p.kind == name for name, p in PURCHASES.items())
    per_use = {name for name, p in PURCHASES.items() if isinstance(p, PerUse)}
    assert per_use == set(get_args(BurstPurchaseKind))
    rented = {name for name, p in PURCHASES.items() if isinstance(p, Rented)}
    assert rented == set(get_args(PurchaseKind)) - {"owned", "colocation"}
    for name in rented:  # each rented kind has its price column on the sheet
        assert f"{name}_usd_per_hour" in InstancePrice.model_fields
    assert [name for name, p in PURCHASES.items() if p.lower_bound_counts_jobs] == ["on_demand"]
    assert purchase_of("reserved_1yr").term_months == 12.0  # type: ignore[attr-defined]
    assert purchase_of("reserved_3yr").term_months == 36.0  # type: ignore[attr-defined]


def _report(make, jobs: dict, options: list[dict], nodes: int = 2, **pricing):
    loaded = make(
        scenario(
            nodes=nodes,
            days=SIM_DAYS,
            workloads={"synthetic_jobs": [jobs]},
            pricing={"options": options, "horizon_months": HORIZON_MONTHS, **pricing},
        )
    )
    results = simulate(loaded)
    return results, price_scenario(loaded, results)


def test_each_kind_bills_one_4_gpu_job_of_30_hours(make, cloud_prices):
    """Two 8-GPU nodes for 48 h; one 4-GPU job runs 30 h (per-use kinds pay for 8 GPUs)."""
    sheet = "econtest-cloud"
    options = [
        {"name": "od", "sheet": sheet, "purchase": "on_demand"},
        {"name": "spot", "sheet": sheet, "purchase": "spot", "spot_interruptions_per_hour": 0},
        {"name": "cb", "sheet": sheet, "purchase": "capacity_block"},
        {"name": "r1", "sheet": sheet, "purchase": "reserved_1yr"},
        {"name": "r3", "sheet": sheet, "purchase": "reserved_3yr"},
        {"name": "own", "sheet": "econtest-owned", "purchase": "owned"},
    ]
    results, report = _report(make, fixed_jobs(1, gpus=4, hours=30, per_hour=100), options)
    assert results.jobs["status"].tolist() == ["completed"]
    costs = {o.name: o for o in report.summary.options}
    compute = {name: costs[name]["by_category_accrued_usd"].get("compute") for name in costs}
    assert compute["od"] == pytest.approx(8 * 30 * 2.0, abs=0.01)  # $480
    assert compute["spot"] == pytest.approx(8 * 30 * 0.5, abs=0.01)  # $120, never reclaimed
    # two whole days of one instance from the job's start, clipped to the simulated window
    start_s = float(results.jobs.loc[0, "start_s"])
    assert 0 < start_s < 600
    assert compute["cb"] == pytest.approx(16.0 * (2 * 86400 - start_s) / 3600)
    assert compute["r1"] == pytest.approx(2 * 48 * 8.0)  # both nodes' instances, every hour
    assert compute["r3"] == pytest.approx(2 * 48 * 6.0)
    assert compute["own"] is None
    assert "compute_overflow" not in costs["r1"]["by_category_accrued_usd"]
    own = costs["own"]["by_category_accrued_usd"]
    assert own["servers"] == pytest.approx(2 * 100_000 * 48 / HOURS_PER_YEAR)
    assert own["fabric"] == pytest.approx(2 * 10_000 * 48 / HOURS_PER_YEAR)
    assert own["staff"] == pytest.approx(16 / 32 * 120_000 * 48 / HOURS_PER_YEAR)
    pairs = {(b.owned, b.rented, b.basis) for b in report.summary.break_even}
    rented = {"od", "spot", "cb", "r1", "r3"}  # owned against every rented kind, both bases
    assert pairs == {("own", r, basis) for r in rented for basis in ("cash", "accrued")}


@pytest.mark.parametrize(
    ("term", "rate", "months"), [("reserved_1yr", 1.0, 12.0), ("reserved_3yr", 0.75, 24.0)]
)
def test_reserved_contract_lasts_its_term(make, cloud_prices, term, rate, months):
    """A contract without `months` lasts the term: a year, or three years cut at a 24-month
    horizon; one 8-GPU instance at the term's rate."""
    loaded = make(
        scenario(
            nodes=1,
            workloads={"synthetic_jobs": [fixed_jobs(1, gpus=4, hours=10, per_hour=100)]},
            pricing={
                "horizon_months": 24,
                "options": [
                    {
                        "name": "ri",
                        "sheet": "econtest-cloud",
                        "purchase": term,
                        "reserved_contracts": [{"instances": 1}],
                    }
                ],
            },
        )
    )
    cost = price_scenario(loaded, simulate(loaded)).summary.option("ri")
    usd = 8 * rate * months * MONTH_S / 3600.0
    assert cost["by_category_accrued_usd"]["compute"] == pytest.approx(usd)
    assert "compute_overflow" not in cost["by_category_accrued_usd"]


@pytest.mark.parametrize(
    ("burst", "usd"),
    [
        ("on_demand", 2 * 2 * 8 * 2.0),  # two 2-h jobs of 8 GPUs at $2/GPU-h
        ("spot", 2 * 2 * 8 * 0.5),
        ("capacity_block", 2 * 24 * 16.0),  # each job books one instance for a whole day
    ],
)
def test_hybrid_bills_burst_jobs_by_the_burst_kind(make, cloud_prices, burst, usd):
    """One node; three 8-GPU 2-h jobs at once: the first runs, two burst after a 1-h wait."""
    option = {
        "name": "hybrid",
        "sheet": "econtest-owned",
        "purchase": "owned",
        "burst": {"sheet": "econtest-cloud", "purchase": burst, "wait_limit_hours": 1},
    }
    _, report = _report(make, fixed_jobs(3, gpus=8, hours=2, per_hour=1000), [option], nodes=1)
    hybrid = report.summary.option("hybrid")
    assert hybrid["burst_jobs"] == 2
    assert hybrid["by_category_accrued_usd"]["burst_compute"] == pytest.approx(usd)
    assert hybrid["by_category_accrued_usd"]["servers"] == pytest.approx(
        100_000 * 48 / HOURS_PER_YEAR
    )
