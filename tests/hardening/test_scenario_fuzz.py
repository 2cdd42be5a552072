"""Hostile scenarios through the real CLI: never a traceback, never a hang, always a message.

Each example takes the small valid scenario, breaks one field (wrong type, NaN, a huge or
negative number, unicode, a nested structure), and runs `infrasim scenario validate` or
`infrasim run`. The run either succeeds (the value was valid) or exits 2 with one line per
problem naming the file and the field (or one of its enclosing fields, where a cross-field
check reports it). `INFRASIM_MAX_EVENTS` is kept small so no accepted example runs long.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from simulator.cli import app
from tests.engine.conftest import PROFILES
from tests.hardening.fuzz import (
    FUZZ_CLI,
    ancestors,
    assert_clean_exit,
    hostile_values,
    leaf_paths,
    set_path,
    small_scenario,
    texts,
    watchdog,
)

PATHS = leaf_paths(small_scenario())


@pytest.fixture(autouse=True)
def _small_event_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("INFRASIM_MAX_EVENTS", "200000")


def _invoke(runner, *args: str):
    with watchdog():
        return runner.invoke(app, [*args, "--profiles", str(PROFILES)])


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def test_the_base_scenario_runs(runner, tmp_path: Path) -> None:
    """The fuzzing starts from a valid scenario (else every example would fail trivially)."""
    result = _invoke(runner, "run", str(_write(tmp_path, small_scenario())), "--json")
    assert result.exit_code == 0, result.output


@FUZZ_CLI
@given(path=st.sampled_from(PATHS), value=hostile_values)
def test_one_broken_field_is_named(runner, tmp_path: Path, path: tuple, value: object) -> None:
    data = small_scenario()
    set_path(data, path, value)
    file = _write(tmp_path, data)
    lines = assert_clean_exit(_invoke(runner, "scenario", "validate", str(file)), (str(file),))
    if lines:
        names = ancestors(path)
        located = any("line " in ln for ln in lines)  # YAML-level refusal: names the line
        assert located or any(n in ln for ln in lines for n in names), (path, lines)


@FUZZ_CLI
@given(path=st.sampled_from(PATHS), value=hostile_values)
def test_run_never_crashes(runner, tmp_path: Path, path: tuple, value: object) -> None:
    data = small_scenario()
    set_path(data, path, value)
    file = _write(tmp_path, data)
    assert_clean_exit(_invoke(runner, "run", str(file), "--json"), (str(file),))


@FUZZ_CLI
@given(path=st.sampled_from(PATHS), raw=texts)
def test_set_values_never_crash(runner, tmp_path: Path, path: tuple, raw: str) -> None:
    """`--set key=value` parses value as YAML: any text, for any field."""
    file = _write(tmp_path, small_scenario())
    key = ".".join(str(p) for p in path)
    result = _invoke(runner, "run", str(file), "--json", "--set", f"{key}={raw}")
    assert_clean_exit(result, (str(file), "--set"))


@FUZZ_CLI
@given(key=texts, raw=texts)
def test_set_keys_never_crash(runner, tmp_path: Path, key: str, raw: str) -> None:
    """Any key path, even nonsense or unicode digits like '²', ends in a message."""
    file = _write(tmp_path, small_scenario())
    result = _invoke(runner, "run", str(file), "--set", f"{key}={raw}")
    assert_clean_exit(result, (str(file), "--set"))


@FUZZ_CLI
@given(position=st.integers(min_value=0), garbage=texts)
def test_mangled_yaml_text(runner, tmp_path: Path, position: int, garbage: str) -> None:
    """Random text spliced into the file: YAML errors name the line, schema errors the field."""
    text = yaml.safe_dump(small_scenario(), sort_keys=False)
    cut = position % (len(text) + 1)
    file = tmp_path / "mangled.yaml"
    file.write_text(text[:cut] + garbage + text[cut:], encoding="utf-8")
    assert_clean_exit(_invoke(runner, "run", str(file)), (str(file),))


@settings(FUZZ_CLI, max_examples=15)
@given(seed=st.integers(min_value=-(2**80), max_value=2**80))
@example(seed=-1)
@example(seed=2**63)
@example(seed=2**63 - 1)
def test_any_seed(runner, tmp_path: Path, seed: int) -> None:
    """`--seed -1` used to end in numpy's ValueError traceback."""
    file = _write(tmp_path, small_scenario())
    result = _invoke(runner, "run", str(file), "--json", "--seed", str(seed))
    lines = assert_clean_exit(result, ("--seed",))
    assert bool(lines) == (not 0 <= seed < 2**63)
