"""Scenario loading: schema errors and catalog-level errors name the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simulator.errors import InputError
from simulator.scenario import load_scenario
from tests.conftest import REPO, write_yaml

BASE = REPO / "scenarios" / "llama3-70b-pretrain-h100.yaml"


def _scenario(**changes) -> dict:
    data = yaml.safe_load(BASE.read_text())
    data.update(changes)
    return data


def _problems(tmp_path: Path, data: dict, catalog, settings=None) -> list[str]:
    path = write_yaml(tmp_path / "s.yaml", data)
    with pytest.raises(InputError) as info:
        load_scenario(path, catalog, settings)
    return [str(p) for p in info.value.problems]


def test_shipped_scenario_resolves(catalog) -> None:
    loaded = load_scenario(BASE, catalog)
    assert loaded.total_gpus == 132 * 8  # 128 nodes for the job, 4 hot spares
    assert loaded.models["llama3-70b-pretrain"].num_layers == 80


def test_wrong_type(tmp_path: Path, catalog) -> None:
    (problem,) = _problems(tmp_path, _scenario(seed="seven"), catalog)
    assert problem.endswith("s.yaml: seed: expected a whole number (got 'seven')")


def test_missing_field(tmp_path: Path, catalog) -> None:
    data = _scenario()
    del data["horizon_days"]
    (problem,) = _problems(tmp_path, data, catalog)
    assert "horizon_days: required field is missing" in problem


def test_unknown_key(tmp_path: Path, catalog) -> None:
    data = _scenario()
    data["cluster"]["pools"][0]["nodes"] = 4
    (problem,) = _problems(tmp_path, data, catalog)
    assert "cluster.pools[0].nodes: unknown key" in problem


def test_wrong_schema_version(tmp_path: Path, catalog) -> None:
    (problem,) = _problems(tmp_path, _scenario(schema_version=9), catalog)
    assert "schema_version" in problem and "1" in problem


def test_dangling_ids(tmp_path: Path, catalog) -> None:
    data = _scenario()
    data["cluster"]["pools"][0]["node"] = "dgx-h900"
    data["workloads"]["training_jobs"][0]["model"] = "llama9"
    data["pricing"]["options"][0]["sheet"] = "nocloud"
    problems = _problems(tmp_path, data, catalog)
    assert any("cluster.pools[0].node: unknown node id 'dgx-h900'" in p for p in problems)
    unknown_model = "workloads.training_jobs[0].model: unknown model preset 'llama9'"
    assert any(unknown_model in p for p in problems)
    assert any("pricing.options[0].sheet: unknown pricing id 'nocloud'" in p for p in problems)


def test_override_is_revalidated(tmp_path: Path, catalog) -> None:
    data = _scenario()
    data["cluster"]["pools"][0]["node"] = {"id": "dgx-h100", "overrides": {"max_power_w": -1}}
    (problem,) = _problems(tmp_path, data, catalog)
    assert "cluster.pools[0].node.overrides.max_power_w" in problem


def test_override_applies(tmp_path: Path, catalog) -> None:
    data = _scenario()
    data["cluster"]["pools"][0]["node"] = {"id": "dgx-h100", "overrides": {"max_power_w": 11000}}
    loaded = load_scenario(write_yaml(tmp_path / "s.yaml", data), catalog)
    assert loaded.pool_nodes["h100"].max_power_w == 11000
    assert catalog.node("dgx-h100").max_power_w != 11000


def test_job_larger_than_pool(tmp_path: Path, catalog) -> None:
    data = _scenario()
    data["cluster"]["pools"][0]["count"] = 64
    (problem,) = _problems(tmp_path, data, catalog)
    assert "needs 1024 GPUs but its pool has 512" in problem


def test_parallelism_must_multiply_out(tmp_path: Path, catalog) -> None:
    data = _scenario()
    data["workloads"]["training_jobs"][0]["parallelism"]["dp"] = 16
    (problem,) = _problems(tmp_path, data, catalog)
    assert "workloads.training_jobs[0]" in problem and "tp*pp*cp*dp = 512" in problem


def test_missing_trace_file(tmp_path: Path, catalog) -> None:
    data = _scenario()
    data["workloads"]["job_traces"] = [{"format": "helios", "path": "nope.csv"}]
    (problem,) = _problems(tmp_path, data, catalog)
    assert "workloads.job_traces[0].path: trace file not found: nope.csv" in problem


def test_price_option_must_exist_in_sheet(tmp_path: Path, catalog) -> None:
    data = _scenario()
    data["pricing"]["options"][0]["instance_type"] = "p9.huge"
    (problem,) = _problems(tmp_path, data, catalog)
    assert "pricing.options[0].instance_type: 'p9.huge' not in sheet 'aws'" in problem


def test_set_overrides_fields(tmp_path: Path, catalog) -> None:
    path = write_yaml(tmp_path / "s.yaml", _scenario())
    loaded = load_scenario(path, catalog, ["seed=3", "cluster.pools.0.count=256"])
    assert loaded.scenario.seed == 3 and loaded.total_gpus == 2048
    (problem,) = _problems(tmp_path, _scenario(), catalog, ["horizon_days=-2"])
    assert "horizon_days" in problem
