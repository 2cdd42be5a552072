"""Below the CLI, problems name fields (`parallelism.tp`, `num_gpus`), never flags (`--tp`).

A flag in the performance model leaks into every other caller's error: a scenario's training
job used to say `workloads.training_jobs[0]: --tp: ...`, naming a flag the scenario has not.
The CLI spells fields as its flags when it prints (`simulator.cli.options.as_flag`).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from simulator.cli import app
from tests.conftest import write_yaml
from tests.engine.conftest import PROFILES, base_scenario, training_job

PERF = Path(__file__).resolve().parents[2] / "simulator" / "perf"


def _flag_literals(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    return [
        f"{path.name}:{node.lineno}: {node.value!r}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and node.value.startswith("--")
    ]


def test_no_string_in_the_performance_model_starts_with_a_flag_dash() -> None:
    sources = sorted(PERF.rglob("*.py"))
    assert sources
    found = [hit for path in sources for hit in _flag_literals(path)]
    assert not found, "perf names fields, not flags:\n" + "\n".join(found)


def _refusal(runner, tmp_path: Path, job: dict) -> str:
    data = base_scenario(workloads={"training_jobs": [job]})
    path = write_yaml(tmp_path / "s.yaml", data)
    result = runner.invoke(app, ["scenario", "validate", str(path), "--profiles", str(PROFILES)])
    assert result.exit_code == 2, result.output
    [line] = result.stderr.strip().splitlines()
    assert line.startswith(f"error: {path}: workloads.training_jobs[0]"), line
    return line


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"parallelism": {"tp": 32}, "num_gpus": 32}, "parallelism.tp", "16 attention heads"),
        ({"parallelism": {"pp": 2, "zero": 2}}, "parallelism.zero", "`parallelism.pp` 1"),
        ({"parallelism": {"vpp": 2}}, "parallelism.vpp", "need `parallelism.pp`"),
        ({"parallelism": {"ep": 2}}, "parallelism.ep", "needs a MoE model"),
        ({"micro_batch": 3}, "global_batch", "not a multiple of micro_batch*dp"),
    ],
)
def test_a_scenario_with_a_bad_layout_names_the_scenario_field(
    runner, tmp_path: Path, changes: dict, field: str, words: str
) -> None:
    line = _refusal(runner, tmp_path, training_job(**changes))
    assert f"workloads.training_jobs[0].{field}: " in line and words in line
    assert " --" not in line, line
