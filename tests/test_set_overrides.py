"""`--set`: one parser for `run`, `scenario validate` and sweep axes, with both index styles.

The README writes list items as `cluster.pools[0].count`; older commands as
`cluster.pools.0.count`. Both must reach the same field, from every command, and an index
past the end of a list must say so rather than surface as an unknown key.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.cli import app
from simulator.errors import InputError
from simulator.scenario import apply_settings, parse_path
from simulator.sweep import paths
from tests.conftest import REPO, write_yaml
from tests.engine.conftest import PROFILES, base_scenario, training_job

PRETRAIN = REPO / "scenarios" / "llama3-70b-pretrain-h100.yaml"
COMMANDS = (["run", "--json"], ["scenario", "validate", "--json"])


def _small(tmp_path: Path) -> str:
    data = base_scenario(nodes=2, workloads={"training_jobs": [training_job(steps=20)]})
    return str(write_yaml(tmp_path / "s.yaml", data))


def _invoke(runner, command: list[str], file: str, *settings: str):
    args = [a for s in settings for a in ("--set", s)]
    return runner.invoke(app, [*command, file, *args, "--profiles", str(PROFILES)])


# ------------------------------------------------------------------ the parser
@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("cluster.pools[0].count", ["cluster", "pools", 0, "count"]),
        ("cluster.pools.0.count", ["cluster", "pools", 0, "count"]),
        ("a[1][2].b", ["a", 1, 2, "b"]),
        ("seed", ["seed"]),
        ("cluster.pools.².count", ["cluster", "pools", "²", "count"]),  # not an ASCII index
    ],
)
def test_both_index_styles_parse_alike(text: str, parts: list) -> None:
    assert parse_path(text) == parts


@pytest.mark.parametrize("text", ["", "a..b", "a[0", "a]0[", "a[x]", "[0]", "a[" + "9" * 40 + "]"])
def test_malformed_paths(text: str) -> None:
    assert parse_path(text) is None


def test_sweeps_use_the_same_parser() -> None:
    assert paths.parse_path is parse_path


def test_apply_settings_reaches_nested_list_items() -> None:
    data = {"a": [{"b": [1, 2]}, {"b": [3]}]}
    apply_settings(data, ["a[0].b[1]=20", "a.1.b.0=30"], "t.yaml")
    assert data == {"a": [{"b": [1, 20]}, {"b": [30]}]}


def test_an_index_out_of_range_says_so() -> None:
    with pytest.raises(InputError) as info:
        apply_settings({"cluster": {"pools": [{"count": 1}]}}, ["cluster.pools[5].count=2"], "f")
    (problem,) = info.value.problems
    assert (problem.file, problem.field) == ("f", "cluster.pools[5].count")
    assert problem.message == "index 5 out of range: cluster.pools has 1 item"


# ------------------------------------------------------------------ through the CLI
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:-1]))
@pytest.mark.parametrize("key", ["cluster.pools[0].count", "cluster.pools.0.count"])
def test_every_command_takes_both_styles(runner, tmp_path: Path, command, key: str) -> None:
    result = _invoke(runner, command, _small(tmp_path), f"{key}=3")
    assert result.exit_code == 0, result.output
    gpus = "gpus" if command[0] == "scenario" else "total_gpus"
    assert f'"{gpus}": 24' in result.stdout  # 3 nodes of 8


def test_validate_takes_the_readme_example(runner) -> None:
    result = runner.invoke(
        app, ["scenario", "validate", str(PRETRAIN), "--set", "cluster.pools[0].count=140"]
    )
    assert result.exit_code == 0, result.output
    assert "1120 GPUs" in result.stdout


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:-1]))
def test_out_of_range_through_the_cli(runner, tmp_path: Path, command) -> None:
    file = _small(tmp_path)
    result = _invoke(runner, command, file, "cluster.pools[5].count=1")
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.stderr.strip() == (
        f"error: {file}: cluster.pools[5].count: index 5 out of range: cluster.pools has 1 item"
    )


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:-1]))
def test_malformed_key_through_the_cli(runner, tmp_path: Path, command) -> None:
    file = _small(tmp_path)
    result = _invoke(runner, command, file, "cluster.pools[x].count=1")
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {file}: cluster.pools[x].count: malformed key")


def test_a_name_where_a_list_wants_an_index(runner, tmp_path: Path) -> None:
    file = _small(tmp_path)
    result = _invoke(runner, ["scenario", "validate"], file, "cluster.pools.main.count=1")
    assert result.exit_code == 2
    assert "cluster.pools is a list: expected an index, got 'main'" in result.stderr


def test_validate_reports_what_the_setting_breaks(runner, tmp_path: Path) -> None:
    """A setting that makes the scenario invalid is refused by validate as by run."""
    file = _small(tmp_path)
    for command in (["scenario", "validate"], ["run"]):
        result = _invoke(runner, command, file, "workloads.training_jobs[0].num_gpus=64")
        assert result.exit_code == 2, result.output
        assert "training job 'train' can never start: needs 64 GPUs" in result.stderr
