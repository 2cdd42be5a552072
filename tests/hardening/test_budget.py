"""Resource guards: impossible runs are refused before simulating, with an estimate and advice.

Each case asks for something no machine finishes (10^10 requests, 10^9 jobs, a 10^9-row
trace, 10^7 nodes failing) and must be refused in well under a second by the Simulation's
construction, naming the field and saying what to change, not grow until the OS kills it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from simulator.engine import Simulation, build
from simulator.engine.budget import (
    Limits,
    available_memory_bytes,
    check_budget,
    demands,
    limits_from_env,
)
from simulator.errors import InputError
from simulator.scenario import load_scenario
from tests.conftest import REPO, write_yaml
from tests.hardening.fuzz import small_scenario


def _refusal(loaded, monkeypatch) -> str:
    def built(*_args, **_kwargs):  # the refusal must come before the world is built
        raise AssertionError("refused only after building the cluster")

    monkeypatch.setattr(build, "build_cluster", built)
    with pytest.raises(InputError) as err:
        Simulation(loaded)
    text = str(err.value)
    assert "run refused before starting" in text and "INFRASIM_NO_LIMITS" in text
    return text


def _load(tmp_path: Path, data: dict, engine_catalog):
    return load_scenario(write_yaml(tmp_path / "s.yaml", data), engine_catalog)


def test_ten_billion_requests(catalog, monkeypatch) -> None:
    loaded = load_scenario(
        REPO / "scenarios/llama3-70b-serving-h200.yaml",
        catalog,
        ["horizon_days=116", "workloads.inference_services.0.traffic.requests_per_s=1000"],
    )
    text = _refusal(loaded, monkeypatch)
    assert "inference_services[0].traffic.requests_per_s" in text
    assert "GB of memory" in text and "num_requests" in text


def test_a_billion_synthetic_jobs(tmp_path: Path, engine_catalog, monkeypatch) -> None:
    data = small_scenario()
    data["horizon_days"] = 3650
    data["workloads"]["synthetic_jobs"][0].update({"arrivals_per_hour": 11_500, "count": None})
    text = _refusal(_load(tmp_path, data, engine_catalog), monkeypatch)
    assert "synthetic_jobs[0].arrivals_per_hour" in text and "set `count`" in text
    assert "events" in text


def test_a_billion_row_trace(tmp_path: Path, engine_catalog, monkeypatch) -> None:
    """A sparse 64 GB file: its size alone says it holds about 10^9 rows; it is never read."""
    trace = tmp_path / "huge.csv"
    with trace.open("wb") as f:
        f.truncate(64 * 10**9)
    data = small_scenario()
    data["workloads"]["job_traces"] = [{"format": "helios", "path": "huge.csv"}]
    text = _refusal(_load(tmp_path, data, engine_catalog), monkeypatch)
    assert "job_traces[0].path" in text and "max_jobs" in text


def test_ten_million_failing_nodes(tmp_path: Path, engine_catalog, monkeypatch) -> None:
    """On a 16 GB machine (pinned, so the test does not depend on the one running it)."""
    monkeypatch.setenv("INFRASIM_MAX_MEMORY_GB", "16")
    data = small_scenario()
    data["horizon_days"] = 365
    data["cluster"]["pools"] = [
        {"name": f"p{i}", "node": "enginetest-node", "count": 1_000_000} for i in range(10)
    ]
    text = _refusal(_load(tmp_path, data, engine_catalog), monkeypatch)
    assert "cluster.pools" in text and "GB of memory" in text


def test_limits_follow_memory_and_the_environment(
    tmp_path: Path, engine_catalog, monkeypatch
) -> None:
    data = small_scenario()
    data["workloads"]["synthetic_jobs"][0].update({"arrivals_per_hour": 1000, "count": None})
    loaded = _load(tmp_path, data, engine_catalog)
    horizon = 86400.0
    need = sum(d.memory_bytes for d in demands(loaded, horizon))
    check_budget(loaded, horizon, Limits(max_events=1e9, max_memory_bytes=need * 10))
    with pytest.raises(InputError, match="GB of memory"):
        check_budget(loaded, horizon, Limits(max_events=1e9, max_memory_bytes=need / 10))
    with pytest.raises(InputError, match="events"):
        check_budget(loaded, horizon, Limits(max_events=100, max_memory_bytes=1e15))
    check_budget(loaded, horizon, Limits(max_events=100, max_memory_bytes=1, enforced=False))

    monkeypatch.setenv("INFRASIM_MAX_EVENTS", "100")
    with pytest.raises(InputError, match="INFRASIM_MAX_EVENTS"):
        Simulation(loaded)
    monkeypatch.setenv("INFRASIM_NO_LIMITS", "1")
    Simulation(loaded)  # the explicit override lets it through
    monkeypatch.delenv("INFRASIM_NO_LIMITS")
    monkeypatch.setenv("INFRASIM_MAX_EVENTS", "many")
    with pytest.raises(InputError, match="INFRASIM_MAX_EVENTS"):
        limits_from_env()


def test_memory_limit_is_this_machines() -> None:
    free = available_memory_bytes()
    total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert 0 < free <= total


@pytest.mark.parametrize("path", sorted((REPO / "scenarios").glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_scenarios_are_within_budget(catalog, path: Path) -> None:
    loaded = load_scenario(path, catalog)
    check_budget(loaded, loaded.scenario.horizon_days * 86400.0)


def test_scenario_validate_applies_the_guard(runner, tmp_path: Path) -> None:
    from simulator.cli import app

    shipped = REPO / "scenarios/llama3-70b-serving-h200.yaml"
    result = runner.invoke(app, ["scenario", "validate", str(shipped)])
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(shipped.read_text())
    data["horizon_days"] = 116
    data["workloads"]["inference_services"][0]["traffic"]["requests_per_s"] = 1000
    data["workloads"]["inference_services"][0]["traffic"].pop("num_requests", None)
    path = write_yaml(tmp_path / "big.yaml", data)
    result = runner.invoke(app, ["scenario", "validate", str(path)])
    assert result.exit_code == 2
    assert "run refused before starting" in result.output
