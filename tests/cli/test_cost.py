"""`infrasim cost compare` and the costs `infrasim run` adds, through CliRunner and a process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from simulator.cli import app
from simulator.cli.cost import parse_horizon_months
from simulator.errors import InputError
from tests.conftest import write_yaml
from tests.economics.conftest import PROFILES, fixed_jobs, scenario
from tests.engine.conftest import PROFILES as ENGINE_PROFILES
from tests.engine.conftest import training_job

OPTIONS = [
    {"name": "od", "sheet": "econtest-cloud"},
    {"name": "ri", "sheet": "econtest-cloud", "purchase": "reserved_1yr"},
    {"name": "own", "sheet": "econtest-owned", "purchase": "owned"},
    {
        "name": "hybrid",
        "sheet": "econtest-owned",
        "purchase": "owned",
        "burst": {"sheet": "econtest-cloud", "wait_limit_hours": 1},
    },
]
PROFILE_ARGS = ["--profiles", str(ENGINE_PROFILES), "--profiles", str(PROFILES)]


@pytest.fixture
def scenario_file(tmp_path):
    data = scenario(
        nodes=2,
        days=7,
        workloads={"synthetic_jobs": [fixed_jobs(30, gpus=8, hours=10, per_hour=0.5)]},
        pricing={"options": OPTIONS, "horizon_months": 12},
    )
    return write_yaml(tmp_path / "s.yaml", data)


def test_compare_json(runner, scenario_file):
    result = runner.invoke(
        app, ["cost", "compare", str(scenario_file), "--horizon", "24mo", "--json", *PROFILE_ARGS]
    )
    assert result.exit_code == 0, result.output
    costs = json.loads(result.stdout)
    assert costs["schema_version"] == 2 and costs["mode"] == "horizon"
    assert costs["horizon_months"] == 24
    options = {o["name"]: o for o in costs["options"]}  # a list (version 1: a mapping)
    assert list(options) == ["od", "ri", "own", "hybrid"]
    for o in options.values():
        assert o["net_cash_usd"] == pytest.approx(o["cost_cash_usd"] - o["residual_value_usd"])
    # nothing rented is owned; the test sheet's one-year life is written off in 24 months
    assert options["od"]["residual_value_usd"] == options["own"]["residual_value_usd"] == 0.0
    assert options["hybrid"]["burst_jobs"] > 0
    pairs = {(b["owned"], b["rented"], b["basis"]) for b in costs["break_even"]}
    owned, rented = ("own", "hybrid"), ("od", "ri")
    assert pairs == {(o, r, b) for o in owned for r in rented for b in ("cash", "accrued")}
    cheapest = costs["cheapest"]
    for basis, field in (("cash", "cost_cash_usd"), ("accrued", "cost_accrued_usd")):
        assert cheapest[basis] == min(options, key=lambda n: options[n][field])
    # the figures carry their provenance: which prices, of which date, on which scenario
    provenance = costs["provenance"]
    assert isinstance(provenance["seed"], int)
    assert len(provenance["scenario_sha256"]) == 64
    assert {p["sheet"] for p in provenance["prices"]} >= {o["sheet"] for o in options.values()}


def test_compare_table(runner, scenario_file):
    result = runner.invoke(app, ["cost", "compare", str(scenario_file), *PROFILE_ARGS])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for header in ("cash", "accrued", "residual", "net cash", "unused commitment"):
        assert header in out
    assert "own vs od over 12 months, cash basis: " in out
    assert "own vs od over 12 months, accrued basis: " in out
    assert "cheapest: cash " in out and ", net of resale " in out


def test_compare_project_mode(runner, tmp_path):
    """`--project`: each option until its training job finishes; an unfinished one exits 2."""
    job = training_job(steps=20_000)
    data = scenario(
        nodes=1,
        days=2,
        workloads={"training_jobs": [job]},
        pricing={"options": OPTIONS[:3]},
    )
    path = write_yaml(tmp_path / "p.yaml", data)
    result = runner.invoke(
        app, ["cost", "compare", str(path), "--project", "--json", *PROFILE_ARGS]
    )
    assert result.exit_code == 0, result.output
    costs = json.loads(result.stdout)
    assert costs["mode"] == "project" and costs["horizon_months"] < 2 / 30
    human = runner.invoke(app, ["cost", "compare", str(path), "--project", *PROFILE_ARGS])
    assert "to finish the training jobs" in human.stdout
    data["workloads"]["training_jobs"][0]["steps"] = 20_000_000  # far past the 2 days
    long = write_yaml(tmp_path / "long.yaml", data)
    failed = runner.invoke(app, ["cost", "compare", str(long), "--project", *PROFILE_ARGS])
    assert failed.exit_code == 2 and "did not finish" in failed.output


def test_run_includes_costs_and_saves_tables(runner, scenario_file, tmp_path):
    out = tmp_path / "out"
    result = runner.invoke(
        app, ["run", str(scenario_file), "--json", "--out", str(out), *PROFILE_ARGS]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert [o["name"] for o in summary["costs"]["options"]] == ["od", "ri", "own", "hybrid"]
    for name in ("cost_options", "cost_monthly", "cost_cumulative", "capacity_monthly"):
        assert (out / f"{name}.parquet").is_file()


def test_bad_horizon_and_missing_price_exit_2(runner, scenario_file, tmp_path):
    result = runner.invoke(
        app, ["cost", "compare", str(scenario_file), "--horizon", "soon", *PROFILE_ARGS]
    )
    assert result.exit_code == 2 and "--horizon" in result.output
    bad = write_yaml(
        tmp_path / "bad.yaml",
        scenario(
            workloads={"synthetic_jobs": [fixed_jobs(1, 8, 1)]},
            pricing={"options": [{"name": "s", "sheet": "econtest-nospot", "purchase": "spot"}]},
        ),
    )
    result = runner.invoke(app, ["cost", "compare", str(bad), *PROFILE_ARGS])
    assert result.exit_code == 2
    assert "spot_interruptions_per_hour" in result.output
    assert "Traceback" not in result.output


def test_parse_horizon():
    assert parse_horizon_months("36mo") == 36
    assert parse_horizon_months("3y") == 36
    assert parse_horizon_months("18") == 18
    with pytest.raises(InputError):
        parse_horizon_months("0mo")


def test_compare_in_a_subprocess(scenario_file):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "simulator",
            "cost",
            "compare",
            str(scenario_file),
            "--json",
            *PROFILE_ARGS,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["cheapest"]["cash"] in {"od", "ri", "own", "hybrid"}
