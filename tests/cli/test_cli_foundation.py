"""The profiles and scenario commands, through CliRunner and once through a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from simulator.cli import app
from tests.conftest import REPO, write_yaml


def test_version(runner) -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.stdout.startswith("infrasim ")


def test_help_lists_the_nouns(runner) -> None:
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for noun in ("profiles", "scenario"):
        assert noun in result.stdout


def test_profiles_list_shows_every_kind(runner) -> None:
    result = runner.invoke(app, ["profiles", "list"])
    assert result.exit_code == 0
    kinds = ("gpu", "node", "interconnect", "storage", "facility", "pricing", "model")
    for heading in (f"{kind} (" for kind in kinds):
        assert heading in result.stdout
    assert "h100-sxm-80gb" in result.stdout


def test_profiles_list_json_filters_by_kind(runner) -> None:
    result = runner.invoke(app, ["profiles", "list", "--kind", "gpu", "--json"])
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert {r["kind"] for r in rows} == {"gpu"}
    assert "b200-sxm-180gb" in {r["id"] for r in rows}


def test_profiles_list_rejects_unknown_kind(runner) -> None:
    result = runner.invoke(app, ["profiles", "list", "--kind", "gpus"])
    assert result.exit_code == 2
    assert "--kind: gpus: expected one of" in result.stderr


def test_profiles_show(runner) -> None:
    result = runner.invoke(app, ["profiles", "show", "h100-sxm-80gb"])
    assert result.exit_code == 0
    assert "memory_bandwidth_gb_per_s: 3350" in result.stdout
    assert "source:" in result.stdout
    data = json.loads(runner.invoke(app, ["profiles", "show", "llama3-70b", "--json"]).stdout)
    assert data["num_layers"] == 80


def test_profiles_show_unknown_id(runner) -> None:
    result = runner.invoke(app, ["profiles", "show", "h900"])
    assert result.exit_code == 2
    assert "no profile or model named 'h900'" in result.stderr
    assert "Traceback" not in result.output


def test_profiles_validate_passes_on_shipped_files(runner) -> None:
    assert runner.invoke(app, ["profiles", "validate"]).exit_code == 0
    result = runner.invoke(app, ["profiles", "validate", str(REPO / "hardware_profiles")])
    assert result.exit_code == 0, result.output


def test_profiles_validate_reports_each_error_on_its_own_line(
    runner, tmp_path: Path, h100_data
) -> None:
    h100_data["id"] = "broken"
    h100_data["tdp_w"] = -700
    h100_data["memory_gb"] = 80
    path = write_yaml(tmp_path / "gpus" / "broken.yaml", h100_data)
    result = runner.invoke(app, ["profiles", "validate", str(path)])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2
    assert all(line.startswith(f"error: {path}: ") for line in lines)
    assert "Traceback" not in result.output


def test_profiles_validate_catches_dangling_reference(runner, tmp_path: Path, catalog) -> None:
    node = catalog.node("dgx-h100").model_dump(mode="json", exclude_none=True)
    node.update(id="odd-node", gpu="h999")
    path = write_yaml(tmp_path / "nodes" / "odd-node.yaml", node)
    result = runner.invoke(app, ["profiles", "validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}: gpu: unknown gpu id 'h999'" in result.stderr


def test_scenario_validate_ok(runner) -> None:
    files = sorted(str(p) for p in (REPO / "scenarios").glob("*.yaml"))
    result = runner.invoke(app, ["scenario", "validate", *files])
    assert result.exit_code == 0, result.output
    assert result.stdout.count("ok: ") == len(files)


def test_scenario_validate_reports_problems(runner, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("schema_version: 1\nname: x\nhorizon_days: -1\n")
    result = runner.invoke(app, ["scenario", "validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}: horizon_days: " in result.stderr
    assert f"{path}: cluster: required field is missing" in result.stderr


def test_real_subprocess_runs_the_console_entry(tmp_path: Path) -> None:
    """Run from another directory, as a user would, through a real interpreter."""
    result = subprocess.run(
        [sys.executable, "-m", "simulator", "profiles", "list", "--kind", "node", "--json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 0, result.stderr
    assert "dgx-h100" in {row["id"] for row in json.loads(result.stdout)}
    bad = subprocess.run(
        [sys.executable, "-m", "simulator", "scenario", "validate", "missing.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
    )
    assert bad.returncode == 2
    assert bad.stderr.strip() == "error: missing.yaml: cannot read file (no such file or directory)"
