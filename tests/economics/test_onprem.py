"""Owning: a fixed cluster at simulated use and round prices gives the arithmetic, to the cent."""

from __future__ import annotations

import pytest

from simulator.economics import price_scenario
from simulator.results import simulate
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
    cost = report.summary["options"]["own"]
    for category, usd in expected.items():
        assert cost["by_category_usd"][category] == pytest.approx(usd, abs=0.005), category
    assert set(cost["by_category_usd"]) == set(expected)
    per_gpu_hour = sum(expected.values()) / s["gpu_hours_allocated"]
    assert round(cost["usd_per_gpu_hour"], 2) == round(per_gpu_hour, 2)
    cumulative = report.tables["cost_cumulative"]
    cash = capex + expected["maintenance"] + expected["staff"] + expected["electricity"]
    assert cumulative["cumulative_usd"].iloc[0] == pytest.approx(cash, abs=0.01)


def test_colocation_replaces_build_out_never_both(make):
    _, report = _run(make, facility="econtest-colo")
    by = report.summary["options"]["own"]["by_category_usd"]
    assert "facility" not in by  # the kW build-out line is skipped in a rented hall
    assert by["colocation"] == pytest.approx(4 * NODE_KW * 100.0)


def test_cost_of_capital_on_book_value(make, econ_catalog):
    def rate(data):
        data["onprem"]["cost_of_capital_per_year"] = 0.1

    with patched_profile(econ_catalog, "pricing", "econtest-owned", rate):
        _, report = _run(make)
    capex = 4 * 110_000 + 1_000 * 4 * NODE_KW
    year = 1 / 12  # one month, in years, of a one-year life
    expected = capex * 0.1 * (year - year**2 / 2)
    by = report.summary["options"]["own"]["by_category_usd"]
    assert by["cost_of_capital"] == pytest.approx(expected, rel=1e-9)


def test_costs_conserve(make):
    """Categories add up to the total; months add up to the horizon; accrued curve ends there."""
    _, report = _run(make)
    monthly = report.tables["cost_monthly"]
    options = report.tables["cost_options"].set_index("option")
    for name, total in options["total_usd"].items():
        rows = monthly[monthly["option"] == name]
        assert rows["usd"].sum() == pytest.approx(total)
        assert rows.groupby("month")["usd"].sum().sum() == pytest.approx(total)
        by = report.summary["options"][name]["by_category_usd"]
        assert sum(by.values()) == pytest.approx(total)
        curve = report.tables["cost_cumulative"]
        assert curve[curve["option"] == name]["accrued_usd"].iloc[-1] == pytest.approx(total)


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
    electricity = monthly[monthly["category"] == "electricity"]["usd"].to_numpy()
    assert len(electricity) == 3
    assert electricity == pytest.approx([results.summary["facility_energy_kwh"] * 0.1] * 3)
