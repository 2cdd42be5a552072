"""`--json` on every command that prints results, saying what was written or validated.

A script must not scrape sentences: each command below prints one JSON document on stdout
(nothing else), and `--help` of every command renders (a stale option name would fail here).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer

from simulator.cli import app
from tests.conftest import write_yaml
from tests.engine.conftest import PROFILES, base_scenario, training_job

REPO = Path(__file__).resolve().parents[2]

PRINTS_RESULTS = [
    "run",
    "report",
    "compare",
    "validate",
    "sweep",
    "search",
    "cost compare",
    "profiles list",
    "profiles show",
    "profiles validate",
    "scenario list",
    "scenario validate",
]
"""Commands whose output is an answer a program may read (`scenario schema` prints JSON
already, `calibrate` has its own helper)."""


def _commands(group: Any, prefix: str = "") -> dict[str, Any]:
    """Every leaf command by its words (`profiles list`), from typer's click tree."""
    found: dict[str, Any] = {}
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):  # a group
            found.update(_commands(command, f"{path} "))
        else:
            found[path] = command
    return found


COMMANDS = _commands(typer.main.get_command(app))


@pytest.mark.parametrize("name", PRINTS_RESULTS)
def test_result_commands_take_json(name: str) -> None:
    options = {o for p in COMMANDS[name].params for o in getattr(p, "opts", [])}
    assert "--json" in options


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_help_renders(runner, name: str) -> None:
    result = runner.invoke(app, [*name.split(), "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output and COMMANDS[name].help


def _saved_run(runner, tmp_path: Path, nodes: int) -> Path:
    data = base_scenario(nodes=nodes, workloads={"training_jobs": [training_job(steps=50)]})
    scenario = write_yaml(tmp_path / f"{nodes}.yaml", data)
    out = tmp_path / f"run{nodes}"
    result = runner.invoke(app, ["run", str(scenario), "--out", str(out), "--profiles", PROFILES])
    assert result.exit_code == 0, result.output
    return out


def test_report_and_compare_say_what_they_wrote(runner, tmp_path: Path) -> None:
    runs = [_saved_run(runner, tmp_path, nodes) for nodes in (2, 4)]
    result = runner.invoke(app, ["report", str(runs[0]), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    page = runs[0] / "report.html"
    assert report == {"written": str(page), "bytes": page.stat().st_size, "runs": [str(runs[0])]}

    page = tmp_path / "cmp.html"
    result = runner.invoke(app, ["compare", *map(str, runs), "--out", str(page), "--json"])
    assert result.exit_code == 0, result.output
    compared = json.loads(result.stdout)
    assert compared["written"] == str(page) and compared["runs"] == [str(r) for r in runs]
    assert compared["bytes"] == page.stat().st_size > 0


def test_profiles_validate_lists_the_files(runner, tmp_path: Path) -> None:
    folder = PROFILES / "storage"
    result = runner.invoke(app, ["profiles", "validate", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "valid": True,
        "files": [str(p) for p in sorted(folder.glob("*.yaml"))],
    }
    whole = json.loads(runner.invoke(app, ["profiles", "validate", "--json"]).stdout)
    assert whole["valid"] and whole["profiles"] > 0
    assert str(REPO / "hardware_profiles" / "gpus" / "h100-sxm-80gb.yaml") in whole["files"]

    bad = write_yaml(tmp_path / "x.yaml", {"id": "x", "kind": "gpu"})
    result = runner.invoke(app, ["profiles", "validate", str(bad), "--json"])
    assert result.exit_code == 2 and result.stdout == ""  # problems: stderr lines, as always
    assert "x.yaml" in result.stderr
