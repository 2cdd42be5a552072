"""Search: analytical pruning is sound, survivors are simulated, the cheapest feasible wins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator.errors import InputError
from simulator.results import simulate
from simulator.scenario import load_scenario
from simulator.sweep import load_sweep, search
from simulator.sweep.worker import time_to_train
from tests.sweep.conftest import PROFILES

DIRS = [str(PROFILES)]
DEADLINE_H = 0.9

AXES = [
    {
        "name": "gpus",
        "zip": [
            {"path": "cluster.pools[0].count", "values": [1, 2, 4]},
            {"path": "workloads.training_jobs[0].num_gpus", "values": [8, 16, 32]},
        ],
    },
    {"path": "workloads.training_jobs[0].checkpoint.policy", "values": ["young_daly", "none"]},
]


@pytest.fixture
def spec(write_spec) -> Path:
    return write_spec(
        axes=AXES,
        replications=2,
        constraints=[{"metric": "time_to_train_h", "max": DEADLINE_H, "name": "deadline"}],
        objectives=[{"metric": "total_gpus"}, {"metric": "time_to_train_h"}],
        metrics=[],
    )


def test_search_prunes_soundly_and_picks_the_cheapest(spec, sweep_catalog, tmp_path) -> None:
    sweep = load_sweep(spec, sweep_catalog)
    outcome = search(sweep, tmp_path / "out", workers=2, profile_dirs=DIRS)
    table = outcome.table
    pruned = table[table["status"] == "pruned"]
    assert list(pruned["point"]) == [0, 1]  # 8 GPUs cannot train in 0.9 h even in the best case
    assert all("analytical bound" in e for e in pruned["error"])
    assert outcome.pruned == 2 and outcome.ran == 8  # 4 survivors x 2 seeds, nothing else
    # the bound is a lower bound: no simulated survivor beat it
    ok = table[table["status"] == "ok"]
    assert (ok["time_to_train_h_bound"] <= ok["time_to_train_h_mean"] + 1e-9).all()
    # and pruning was right: simulating a pruned point misses the deadline
    point = sweep.points[0]
    results = simulate(load_scenario(sweep.base_path, sweep_catalog, list(point.settings)), seed=1)
    hours = time_to_train(results)["time_to_train_h"]
    assert hours is None or hours > DEADLINE_H
    # the answer: fewest GPUs among points meeting the deadline on average
    feasible = table[table["feasible"]]
    assert not feasible.empty
    assert outcome.best is not None
    assert outcome.best["total_gpus_mean"] == feasible["total_gpus_mean"].min()
    assert outcome.best["deadline_mean"] <= DEADLINE_H
    assert outcome.best["point"] in set(outcome.front["point"])
    saved = json.loads((tmp_path / "out" / "search.json").read_text())
    assert saved["best"]["point"] == outcome.best["point"] and saved["pruned"] == 2


def test_search_needs_an_objective(write_spec, sweep_catalog, tmp_path) -> None:
    sweep = load_sweep(write_spec(objectives=[]), sweep_catalog)
    with pytest.raises(InputError) as excinfo:
        search(sweep, tmp_path / "out", profile_dirs=DIRS)
    assert excinfo.value.problems[0].field == "objectives"


def test_search_cli_json(runner, spec, tmp_path) -> None:
    from simulator.cli import app

    out = tmp_path / "cli"
    args = ["search", str(spec), "--workers", "2", "--out", str(out), "--json"]
    result = runner.invoke(app, [*args, "--profiles", str(PROFILES)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["pruned"] == 2 and answer["best"]["cluster.pools[0].count"] in (2, 4)
    html = (out / "report.html").read_text()
    assert "<h2>Pareto front</h2>" in html and "Sensitivity to cluster.pools[0].count" in html


def test_unknown_metric_is_refused_after_the_first_run(write_spec, sweep_catalog, tmp_path) -> None:
    from simulator.sweep import run_sweep

    sweep = load_sweep(
        write_spec(objectives=[{"metric": "costs.options.aws.total_usd"}]), sweep_catalog
    )
    with pytest.raises(InputError) as excinfo:
        run_sweep(sweep, tmp_path / "out", workers=1, profile_dirs=DIRS)
    problem = excinfo.value.problems[0]
    assert problem.field == "objectives[0].metric" and "no run reports" in problem.message
