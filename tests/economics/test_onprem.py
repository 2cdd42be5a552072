"""Owning: a fixed cluster at simulated use and round prices gives the arithmetic, to the cent."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from simulator.economics import price_scenario
from simulator.results import simulate
from simulator.schema.pricing import OnPremPricing
from tests.economics.conftest import fixed_jobs, patched_profile, scenario

OWN = [{"name": "own", "sheet": "econtest-owned", "purchase": "owned"}]
NODE_KW = 10.2  # enginetest-node max_power_w


def _run(make, facility: str = "enginetest-hall", jobs: int = 20):
    loaded = make(
        scenario(
            workloads={"synthetic_jobs": [fixed_jobs(jobs, gpus=8, hours=24)]},
            pricing={"options": OWN},
            cluster={
                "pools": [{"name": "main", "node": "enginetest-node", "count": 4}],
                "fabric": {"nodes_per_pod": 4},
                "storage": [{"profile": "enginetest-fs", "role": "both"}],
                "facility": facility,
            },
        )
    )
    results = simulate(loaded)
    return results, price_scenario(loaded, results)


def test_owned_hall_cost_per_gpu_hour_to_the_cent(make):
    """One month of a 4-node owned cluster (hall built) on both bases.

    capex = servers 4 x $100k + fabric 4 x $10k + hall $1,000/kW x 4 x 10.2 kW = $480,800.
    Accrued: one month of a one-year straight line of each capital line, maintenance 12%/yr
    of capex for a month, staff 32 GPUs / 32 per engineer x $120k / 12, electricity.
    Cash: the whole capex in month 1 (the nodes arrive at t = 0) + the same running costs.
    Residual (no resale curve on the sheet: straight-line book value): servers $400k x
    (1 - 1/12) = $366,666.67; net cash = cash - residual.
    """
    results, report = _run(make)
    s = results.summary
    capex = 4 * 100_000 + 4 * 10_000 + 1_000 * 4 * NODE_KW  # servers, fabric, hall build-out
    expected = {
        "servers": 400_000 / 12,  # one month of a one-year straight line
        "fabric": 40_000 / 12,
        "facility": 1_000 * 4 * NODE_KW / 12,
        "maintenance": 0.12 * capex / 12,
        "staff": 32 / 32 * 120_000 / 12,
        "electricity": s["facility_energy_kwh"] * 0.1,
    }
    cost = report.summary.option("own")
    for category, usd in expected.items():
        assert cost["by_category_accrued_usd"][category] == pytest.approx(usd, abs=0.005), category
    assert set(cost["by_category_accrued_usd"]) == set(expected)
    assert cost.cost_accrued_usd == pytest.approx(sum(expected.values()))
    per_gpu_hour = sum(expected.values()) / s["gpu_hours_allocated"]
    assert round(cost["usd_per_gpu_hour_accrued"], 2) == round(per_gpu_hour, 2)
    cash = capex + expected["maintenance"] + expected["staff"] + expected["electricity"]
    assert cost.cost_cash_usd == pytest.approx(cash, abs=0.01)
    assert cost.usd_per_gpu_hour_cash == pytest.approx(cash / s["gpu_hours_allocated"])
    assert cost.residual_value_usd == pytest.approx(400_000 * (1 - 1 / 12))
    assert cost.net_cash_usd == pytest.approx(cash - 400_000 * (1 - 1 / 12), abs=0.01)
    assert cost.unused_commitment_usd == 0.0
    cumulative = report.tables["cost_cumulative"]
    assert cumulative["cumulative_cash_usd"].iloc[0] == pytest.approx(cash, abs=0.01)
    assert cumulative["cumulative_accrued_usd"].iloc[0] == pytest.approx(sum(expected.values()))
    cash_rows = report.tables["cost_monthly"].query("basis == 'cash'")
    assert cash_rows.set_index("category")["usd"]["capital"] == pytest.approx(capex)


def test_residual_value_follows_the_resale_curve(make, econ_catalog):
    """A resale curve [0.6, 0.3] (fraction of the server price after years 1, 2), three
    months: age 0.25 years, fraction 1 - 0.4 x 0.25 = 0.9, residual 0.9 x $400k = $360,000.
    Fabric and the hall are worth nothing at resale."""

    def curve(data):
        data["onprem"]["resale_value_fraction_by_year"] = [0.6, 0.3]
        data["onprem"]["resale_source"] = "test"

    with patched_profile(econ_catalog, "pricing", "econtest-owned", curve):
        loaded = make(
            scenario(
                workloads={"synthetic_jobs": [fixed_jobs(4, gpus=8, hours=24)]},
                pricing={"options": OWN, "horizon_months": 3},
            )
        )
        report = price_scenario(loaded, simulate(loaded))
    own = report.summary.option("own")
    assert own.residual_value_usd == pytest.approx(0.9 * 400_000)
    assert own.net_cash_usd == pytest.approx(own.cost_cash_usd - 360_000)


def test_cost_of_capital_on_book_value(make, econ_catalog):
    def rate(data):
        data["onprem"]["cost_of_capital_per_year"] = 0.1

    with patched_profile(econ_catalog, "pricing", "econtest-owned", rate):
        _, report = _run(make)
    capex = 4 * 110_000 + 1_000 * 4 * NODE_KW
    year = 1 / 12  # one month, in years, of a one-year life
    expected = capex * 0.1 * (year - year**2 / 2)
    by = report.summary.option("own")["by_category_accrued_usd"]
    assert by["cost_of_capital"] == pytest.approx(expected, rel=1e-9)


def test_costs_conserve(make):
    """On each basis categories add up to its total; the cumulative curves end there."""
    _, report = _run(make)
    monthly = report.tables["cost_monthly"]
    options = report.tables["cost_options"].set_index("name")
    curve = report.tables["cost_cumulative"]
    for name, row in options.iterrows():
        for basis, total in (("accrued", row["cost_accrued_usd"]), ("cash", row["cost_cash_usd"])):
            rows = monthly[(monthly["option"] == name) & (monthly["basis"] == basis)]
            assert rows["usd"].sum() == pytest.approx(total)
            last = curve[curve["option"] == name][f"cumulative_{basis}_usd"].iloc[-1]
            assert last == pytest.approx(total)
        by = report.summary.option(name).by_category_accrued_usd
        assert sum(by.values()) == pytest.approx(row["cost_accrued_usd"])
        assert (monthly["days"] > 0).all()


def test_reserved_and_owned_compare_over_a_longer_horizon(make):
    """Three months priced from a one-month run: every month repeats the simulated one."""
    loaded = make(
        scenario(
            workloads={"synthetic_jobs": [fixed_jobs(20, gpus=8, hours=24)]},
            pricing={"options": OWN, "horizon_months": 3},
        )
    )
    results = simulate(loaded)
    report = price_scenario(loaded, results)
    monthly = report.tables["cost_monthly"]
    electricity = monthly.query("category == 'electricity' and basis == 'accrued'")["usd"]
    electricity = electricity.to_numpy()
    assert len(electricity) == 3
    assert electricity == pytest.approx([results.summary["facility_energy_kwh"] * 0.1] * 3)


def test_resale_curve_interpolates_and_never_rises():
    """[0.6, 0.3]: 1.0 new, 0.8 at half a year, 0.45 at 1.5 years, held at 0.3 after year 2;
    no curve: straight-line book value over the 5-year life (0.9 at half a year, 0 at 6)."""
    base = {
        "capex": [{"item": "server", "usd": 1, "per": "node"}],
        "depreciation_years": 5,
        "maintenance_fraction_of_capex_per_year": 0,
        "staff_usd_per_year": 0,
        "gpus_per_staff": 1,
    }
    sheet = OnPremPricing.model_validate({**base, "resale_value_fraction_by_year": [0.6, 0.3]})
    ages = (0.0, 0.5, 1.5, 2.0, 4.0)
    assert [sheet.resale_fraction(a) for a in ages] == pytest.approx([1, 0.8, 0.45, 0.3, 0.3])
    book = OnPremPricing.model_validate(base)
    assert [book.resale_fraction(a) for a in (0.5, 6.0)] == pytest.approx([0.9, 0.0])
    with pytest.raises(ValidationError, match="must not rise"):
        OnPremPricing.model_validate({**base, "resale_value_fraction_by_year": [0.5, 0.6]})
