"""Shipped scenarios by name: `infrasim scenario validate llama3-70b-serving-h200` from anywhere.

After `pip install` the scenarios sit inside the package (simulator/_data/scenarios); the last
test builds the wheel, unpacks it and runs the command from another directory against it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from simulator.cli import app
from simulator.paths import scenario_path, shipped_scenarios, shipped_sweeps, sweep_path
from simulator.yaml_io import read_yaml

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = REPO / "scenarios"


def test_a_bare_name_finds_the_shipped_file(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    shipped = SCENARIOS / "llama3-70b-pretrain-h100.yaml"
    assert scenario_path("llama3-70b-pretrain-h100") == shipped
    assert scenario_path("llama3-70b-pretrain-h100.yaml") == shipped
    assert sweep_path("llama3-70b-gpus-vs-checkpointing") == (
        SCENARIOS / "sweeps" / "llama3-70b-gpus-vs-checkpointing.yaml"
    )
    # a path with a folder, or a name that is nothing shipped, stays what was given
    assert scenario_path("mine/llama3-70b-pretrain-h100") == Path("mine/llama3-70b-pretrain-h100")
    assert scenario_path("nope") == Path("nope")


def test_a_file_in_the_working_directory_wins(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "llama3-70b-pretrain-h100.yaml").write_text("mine")
    assert scenario_path("llama3-70b-pretrain-h100.yaml") == Path("llama3-70b-pretrain-h100.yaml")


def test_list_shows_every_shipped_file_with_its_title(runner) -> None:
    result = runner.invoke(app, ["scenario", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["kind"], r["name"]) for r in rows] == [
        *(("scenario", p.stem) for p in sorted(SCENARIOS.glob("*.yaml"))),
        *(("sweep", p.stem) for p in sorted((SCENARIOS / "sweeps").glob("*.yaml"))),
    ]
    for row in rows:
        assert row["title"] == read_yaml(row["file"])["name"]
    text = runner.invoke(app, ["scenario", "list"]).stdout
    assert all(r["name"] in text for r in rows)
    assert len(shipped_scenarios()) == 2 and len(shipped_sweeps()) == 1


def test_validate_by_name_from_another_directory(runner, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["scenario", "validate", "llama3-70b-serving-h200", "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["file"] == str(SCENARIOS / "llama3-70b-serving-h200.yaml")
    missing = runner.invoke(app, ["scenario", "validate", "no-such-scenario"])
    assert missing.exit_code == 2 and "no-such-scenario" in missing.stderr


@pytest.mark.slow
def test_the_wheel_ships_the_scenarios_and_finds_them(tmp_path: Path) -> None:
    pytest.importorskip("hatchling")  # the build backend: in the lock, so CI has it
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + [str(REPO), "-w", str(tmp_path / "dist")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("infrasim-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        archive.extractall(site)
    data = "simulator/_data/scenarios/"
    for path in [*SCENARIOS.glob("*.yaml"), *SCENARIOS.glob("*/*.yaml")]:
        assert data + str(path.relative_to(SCENARIOS)) in names

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    command = [sys.executable, "-m", "simulator", "scenario", "validate"]
    check = subprocess.run(
        [*command, "llama3-70b-serving-h200", "--json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr
    (row,) = json.loads(check.stdout)
    assert row["file"] == str(site / data / "llama3-70b-serving-h200.yaml")
