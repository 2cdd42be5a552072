"""Cost bounds: no simulated run costs less than its bound, and a budget prunes only losers."""

from __future__ import annotations

import itertools
import math
from pathlib import Path

import pytest

from simulator.catalog import Catalog
from simulator.economics import price_scenario
from simulator.results import simulate
from simulator.scenario import load_scenario
from simulator.sweep import load_sweep, search
from simulator.sweep.bounds import analytical_bounds
from simulator.sweep.worker import flatten, time_to_train, with_v1_cost_names
from tests.conftest import write_yaml
from tests.economics.conftest import PROFILES as ECON_PROFILES
from tests.sweep.conftest import PROFILES, base_data

DIRS = [str(PROFILES), str(ECON_PROFILES)]
OPTIONS = [
    {"name": "owned", "sheet": "econtest-owned", "purchase": "owned"},
    {
        "name": "hybrid",
        "sheet": "econtest-owned",
        "purchase": "owned",
        "burst": {"sheet": "econtest-cloud", "wait_limit_hours": 0.5},
    },
    {"name": "reserved", "sheet": "econtest-cloud", "purchase": "reserved_1yr"},
    {"name": "ondemand", "sheet": "econtest-cloud", "purchase": "on_demand"},
    {"name": "spot", "sheet": "econtest-cloud", "purchase": "spot"},
]
PRICING = {
    "options": OPTIONS,
    "egress_tb_per_month": 1.0,
    # dearer by day than by night, so the energy floor must be priced hour by hour
    "time_of_use_usd_per_kwh": [0.05] * 8 + [0.2] * 12 + [0.1] * 4,
}
GRID = {
    "gpus": [
        ["cluster.pools.0.count=1", "workloads.training_jobs.0.num_gpus=8"],
        ["cluster.pools.0.count=2", "workloads.training_jobs.0.num_gpus=16"],
    ],
    "failures": [["policies.failures.enabled=false"], ["policies.failures.enabled=true"]],
    # the cost horizon shorter than, equal to (default) and longer than the simulated day
    "horizon": [["pricing.horizon_months=0.01"], [], ["pricing.horizon_months=12"]],
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return Catalog.load([PROFILES, ECON_PROFILES], include_env=False)


@pytest.fixture
def base(tmp_path: Path) -> Path:
    return write_yaml(tmp_path / "base.yaml", base_data(pricing=PRICING))


def test_no_simulated_run_costs_less_than_its_bound(base, catalog) -> None:
    checked = 0
    for combo in itertools.product(*GRID.values()):
        settings = [s for group in combo for s in group]
        loaded = load_scenario(base, catalog, settings)
        bounds = analytical_bounds(loaded, finished={"train"})
        costs = [k for k in bounds if k.startswith("costs.")]
        # cash, accrued (and version 1's total_usd) per option, and the on-demand training run
        assert len(costs) == 3 * len(OPTIONS) + 1
        for seed in (1, 2):
            results = simulate(loaded, seed=seed)
            assert time_to_train(results)["time_to_train_h.train"] is not None  # finished
            report = price_scenario(loaded, results)
            figures = with_v1_cost_names(flatten({"costs": report.summary.to_dict()}))
            for key in costs:
                assert figures[key] >= bounds[key][0], (settings, seed, key)
                checked += 1
        owned = bounds["costs.options.owned.total_usd"][0]
        egress_only = bounds["costs.options.spot.total_usd"][0]
        assert owned > 0 and egress_only > 0
        # the job's GPU-hours count: the run always, the total unless the horizon ends
        # before the simulated day does (the job may then run after it, unbilled)
        assert bounds["costs.options.ondemand.training_runs_usd.train"][0] > 0
        cut_short = "pricing.horizon_months=0.01" in settings
        assert (bounds["costs.options.ondemand.total_usd"][0] > egress_only) != cut_short
    assert checked == 12 * 2 * (3 * len(OPTIONS) + 1)


def test_energy_floor_only_without_failures(base, catalog) -> None:
    """Nodes out for repair draw nothing, so with failures on the floor must drop to zero."""
    owned, electricity = {}, {}
    for failures in ("false", "true"):
        loaded = load_scenario(base, catalog, [f"policies.failures.enabled={failures}"])
        owned[failures] = analytical_bounds(loaded)["costs.options.owned.total_usd"][0]
        actual = with_v1_cost_names(
            flatten({"costs": price_scenario(loaded, simulate(loaded, seed=1)).summary.to_dict()})
        )
        electricity[failures] = actual["costs.options.owned.by_category_usd.electricity"]
    floor = owned["false"] - owned["true"]  # the fixed part is the same; only energy differs
    # the floor is real (most of the bill: the tiny job leaves the nodes idle) and never more
    assert electricity["false"] >= floor > 0.5 * electricity["false"]


def test_unfinished_jobs_count_only_when_a_constraint_needs_them(base, catalog) -> None:
    loaded = load_scenario(base, catalog)
    assumed = analytical_bounds(loaded, finished={"train"})
    unassumed = analytical_bounds(loaded)
    key = "costs.options.ondemand.total_usd"
    assert unassumed[key][0] < assumed[key][0]
    assert "costs.options.ondemand.training_runs_usd.train" not in unassumed


def test_budget_prunes_only_points_over_it(tmp_path, catalog) -> None:
    write_yaml(tmp_path / "base.yaml", base_data(pricing=PRICING))
    one_node = load_scenario(tmp_path / "base.yaml", catalog, GRID["gpus"][0])
    budget = 1.5 * analytical_bounds(one_node)["costs.options.owned.total_usd"][0]
    spec = write_yaml(
        tmp_path / "spec.yaml",
        {
            "schema_version": 1,
            "name": "budget",
            "base": "base.yaml",
            "replications": 2,
            "axes": [
                {
                    "name": "gpus",
                    "zip": [
                        {"path": "cluster.pools[0].count", "values": [1, 2]},
                        {"path": "workloads.training_jobs[0].num_gpus", "values": [8, 16]},
                    ],
                },
                {"path": "policies.failures.enabled", "values": [False, True]},
            ],
            "constraints": [
                {"metric": "costs.options.owned.total_usd", "max": budget, "name": "budget"}
            ],
            "objectives": [{"metric": "time_to_train_h"}],
        },
    )
    sweep = load_sweep(spec, catalog)
    outcome = search(sweep, tmp_path / "out", workers=1, profile_dirs=DIRS)
    table = outcome.table
    pruned = table[table["status"] == "pruned"]
    assert list(pruned["point"]) == [2, 3]  # two owned nodes cost more than the budget
    assert all("budget >=" in e and "analytical bound" in e for e in pruned["error"])
    ok = table[table["status"] == "ok"]
    assert len(ok) == 2 and ok["feasible"].all()
    assert (ok["budget_bound"] <= ok["budget_mean"]).all()
    assert outcome.best is not None and outcome.best["point"] in (0, 1)
    # and pruning was right: the pruned points, simulated, do cost more than the budget
    for point in (sweep.points[2], sweep.points[3]):
        loaded = load_scenario(sweep.base_path, catalog, list(point.settings))
        report = price_scenario(loaded, simulate(loaded, seed=1))
        assert report.summary.option("owned").cost_accrued_usd > budget
        assert not math.isnan(table.loc[point.index, "budget_bound"])
