"""A sweep spec's `base:` follows the path rule of every file a scenario names."""

from __future__ import annotations

import copy

import pytest

from simulator.errors import InputError
from simulator.sweep import load_sweep
from tests.conftest import write_yaml
from tests.sweep.conftest import SPEC


def test_a_base_outside_the_specs_folder_is_refused(tmp_path, sweep_catalog) -> None:
    spec = copy.deepcopy(SPEC)
    spec["base"] = "../../etc/passwd"
    path = write_yaml(tmp_path / "sweeps" / "spec.yaml", spec)
    with pytest.raises(InputError) as err:
        load_sweep(path, sweep_catalog)
    (problem,) = err.value.problems
    assert problem.field == "base" and "stay inside" in problem.message


def test_a_bare_name_is_a_shipped_scenario(tmp_path, sweep_catalog) -> None:
    spec = {
        "schema_version": 1,
        "name": "by name",
        "base": "llama3-70b-pretrain-h100",
        "axes": [{"path": "seed", "values": [1, 2]}],
        "objectives": [{"metric": "total_gpus"}],
    }
    loaded = load_sweep(write_yaml(tmp_path / "spec.yaml", spec), sweep_catalog)
    assert loaded.base_path.name == "llama3-70b-pretrain-h100.yaml"
    assert len(loaded.points) == 2
