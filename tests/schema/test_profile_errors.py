"""Bad profiles fail with one readable problem per error, naming file and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.catalog import Catalog
from simulator.errors import InputError
from tests.conftest import write_yaml


def _load_user_dir(root: Path) -> Catalog:
    return Catalog.load([root], include_env=False)


def _problems(root: Path) -> list[str]:
    with pytest.raises(InputError) as info:
        _load_user_dir(root)
    return [str(p) for p in info.value.problems]


def test_a_valid_user_profile_loads(tmp_path: Path, h100_data: dict) -> None:
    h100_data["id"] = "my-gpu"
    write_yaml(tmp_path / "gpus" / "my-gpu.yaml", h100_data)
    catalog = _load_user_dir(tmp_path)
    assert catalog.gpu("my-gpu").memory_gib == 80


def test_wrong_type_names_file_and_field(tmp_path: Path, h100_data: dict) -> None:
    h100_data["id"] = "bad"
    h100_data["memory_gib"] = "lots"
    path = write_yaml(tmp_path / "gpus" / "bad.yaml", h100_data)
    (problem,) = _problems(tmp_path)
    assert problem.startswith(f"{path}: memory_gib: ")
    assert "number" in problem


def test_missing_field(tmp_path: Path, h100_data: dict) -> None:
    h100_data["id"] = "bad"
    del h100_data["tdp_w"]
    write_yaml(tmp_path / "gpus" / "bad.yaml", h100_data)
    (problem,) = _problems(tmp_path)
    assert "tdp_w: required field is missing" in problem


def test_unknown_key(tmp_path: Path, h100_data: dict) -> None:
    h100_data["id"] = "bad"
    h100_data["memory_gb"] = 80
    write_yaml(tmp_path / "gpus" / "bad.yaml", h100_data)
    (problem,) = _problems(tmp_path)
    assert "memory_gb: unknown key" in problem


def test_negative_bandwidth(tmp_path: Path, h100_data: dict) -> None:
    h100_data["id"] = "bad"
    h100_data["memory_bandwidth_gb_per_s"] = -5
    write_yaml(tmp_path / "gpus" / "bad.yaml", h100_data)
    (problem,) = _problems(tmp_path)
    assert "memory_bandwidth_gb_per_s" in problem and "greater than 0" in problem


def test_nested_field_path(tmp_path: Path, h100_data: dict) -> None:
    h100_data["id"] = "bad"
    h100_data["peak_tflops"]["bf16"] = 0
    write_yaml(tmp_path / "gpus" / "bad.yaml", h100_data)
    (problem,) = _problems(tmp_path)
    assert "peak_tflops.bf16" in problem


def test_id_must_match_file_name(tmp_path: Path, h100_data: dict) -> None:
    write_yaml(tmp_path / "gpus" / "other-name.yaml", h100_data)
    (problem,) = _problems(tmp_path)
    assert "id: must equal the file name 'other-name'" in problem


def test_duplicate_id_with_builtin_is_rejected(tmp_path: Path, h100_data: dict) -> None:
    write_yaml(tmp_path / "gpus" / "h100-sxm-80gb.yaml", h100_data)
    (problem,) = _problems(tmp_path)
    assert "duplicate gpu id 'h100-sxm-80gb'" in problem


def test_dangling_reference(tmp_path: Path) -> None:
    node = {
        "id": "my-node",
        "kind": "node",
        "name": "n",
        "source": "test",
        "as_of": "2025-01",
        "gpu": "no-such-gpu",
        "gpus_per_node": 8,
        "gpus_per_nvlink_domain": 8,
        "nics": [{"interconnect": "no-such-nic", "count": 8}],
        "local_nvme_tb": 1,
        "overhead_power_w": 1000,
        "overhead_idle_power_w": 500,
        "max_power_w": 10000,
        "rack_units": 8,
    }
    path = write_yaml(tmp_path / "nodes" / "my-node.yaml", node)
    problems = _problems(tmp_path)
    assert f"{path}: gpu: unknown gpu id 'no-such-gpu'" in problems[0]
    assert "nics[0].interconnect: unknown interconnect id 'no-such-nic'" in problems[1]


def test_every_error_in_a_file_is_reported(tmp_path: Path, h100_data: dict) -> None:
    h100_data["id"] = "bad"
    h100_data["tdp_w"] = "hot"
    h100_data["sm_count"] = -1
    h100_data["colour"] = "green"
    write_yaml(tmp_path / "gpus" / "bad.yaml", h100_data)
    problems = _problems(tmp_path)
    assert len(problems) == 3


def test_invalid_yaml_reports_line(tmp_path: Path) -> None:
    bad = tmp_path / "gpus" / "broken.yaml"
    bad.parent.mkdir()
    bad.write_text("id: broken\nname: [unclosed\n")
    (problem,) = _problems(tmp_path)
    assert problem.startswith(f"{bad}: line ")


def test_yaml_aliases_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "gpus" / "bomb.yaml"
    bad.parent.mkdir()
    bad.write_text("a: &x [1, 2]\nb: [*x, *x]\n")
    (problem,) = _problems(tmp_path)
    assert "aliases" in problem


def test_yaml_python_tags_do_not_execute(tmp_path: Path) -> None:
    bad = tmp_path / "gpus" / "evil.yaml"
    bad.parent.mkdir()
    bad.write_text("id: !!python/object/apply:os.system ['echo pwned']\n")
    (problem,) = _problems(tmp_path)
    assert "not valid YAML" in problem


def test_env_variable_adds_directories(tmp_path: Path, h100_data: dict, monkeypatch) -> None:
    h100_data["id"] = "env-gpu"
    write_yaml(tmp_path / "gpus" / "env-gpu.yaml", h100_data)
    monkeypatch.setenv("INFRASIM_PROFILES", str(tmp_path))
    assert "env-gpu" in Catalog.load().profiles["gpu"]


def test_calibration_overlay_table_changes_are_validated(h100_data: dict, tmp_path: Path) -> None:
    h100_data["id"] = "bad"
    h100_data["efficiency"]["gemm"]["max_fraction_of_peak"]["bf16"] = 1.5
    write_yaml(tmp_path / "gpus" / "bad.yaml", h100_data)
    (problem,) = _problems(tmp_path)
    assert "efficiency.gemm" in problem and "(0, 1]" in problem
