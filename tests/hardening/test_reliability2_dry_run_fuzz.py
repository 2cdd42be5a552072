"""Random mutations of the shipped scenarios and a shipped GPU profile: a clean answer always.

Issue 22's property: `run --dry-run` and `profiles validate` fed a shipped file with one field
broken (a hostile value, or a careless one: the number off by a unit prefix, x1000, x1024,
/1000) end with exit 0, or exit 2 and one line per problem naming the file (and the field or
its line); never a traceback or a hang. The dry run resolves everything a run would (profiles,
layouts, paths) and simulates nothing, so each example takes a fraction of a second.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from simulator.cli import app
from tests.conftest import REPO
from tests.hardening.fuzz import (
    FUZZ_CLI,
    ancestors,
    assert_clean_exit,
    hostile_values,
    leaf_paths,
    set_path,
    watchdog,
)

SCENARIOS = sorted((REPO / "scenarios").glob("*.yaml"))
SHIPPED = {path.name: yaml.safe_load(path.read_text()) for path in SCENARIOS}
SCENARIO_PATHS = [(name, p) for name, data in SHIPPED.items() for p in leaf_paths(data)]
GPU = REPO / "hardware_profiles" / "gpus" / "h100-sxm-80gb.yaml"
GPU_DATA = dict(yaml.safe_load(GPU.read_text()), id="fuzz-gpu")
GPU_PATHS = [p for p in leaf_paths(GPU_DATA) if p != ("id",)]

SLIPS = st.sampled_from([1e3, 1e6, 1024.0, 1e-3, 1e-6, 1e300, 1e-300, -1.0])
"""A unit prefix too many or too few, or a sign: what a careless hand does to a number."""


def _get(data: object, path: tuple) -> object:
    for part in path:
        data = data[part]  # type: ignore[index]
    return data


def _mutated(data: object, path: tuple, value: object, slip: float, careless: bool) -> object:
    import copy

    data = copy.deepcopy(data)
    current = _get(data, path)
    is_number = isinstance(current, int | float) and not isinstance(current, bool)
    set_path(data, path, current * slip if careless and is_number else value)
    return data


def _check(lines: list[str], file: Path, path: tuple) -> None:
    """Every problem names the file; one names the broken field, an enclosing one, or a line."""
    if not lines:
        return
    names = ancestors(path)
    for line in lines:
        assert str(file) in line, f"names no file: {line!r}"
    located = any("line " in ln for ln in lines)
    assert located or any(n in ln for ln in lines for n in names), (path, lines)


@FUZZ_CLI
@given(
    where=st.sampled_from(SCENARIO_PATHS),
    value=hostile_values,
    slip=SLIPS,
    careless=st.booleans(),
)
def test_dry_run_of_a_mutated_shipped_scenario(
    runner, tmp_path: Path, where: tuple, value: object, slip: float, careless: bool
) -> None:
    name, path = where
    file = tmp_path / name
    data = _mutated(SHIPPED[name], path, value, slip, careless)
    file.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    with watchdog():
        result = runner.invoke(app, ["run", str(file), "--dry-run"])
    lines = assert_clean_exit(result, (str(file),))
    if result.exit_code == 0:
        assert "nothing simulated" in result.stdout
    _check(lines, file, path)


@FUZZ_CLI
@given(path=st.sampled_from(GPU_PATHS), value=hostile_values, slip=SLIPS, careless=st.booleans())
def test_profiles_validate_of_a_mutated_gpu(
    runner, tmp_path: Path, path: tuple, value: object, slip: float, careless: bool
) -> None:
    file = tmp_path / "gpus" / "fuzz-gpu.yaml"
    file.parent.mkdir(exist_ok=True)
    data = _mutated(GPU_DATA, path, value, slip, careless)
    file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with watchdog():
        result = runner.invoke(app, ["profiles", "validate", str(file)])
    lines = assert_clean_exit(result, (str(file),))
    _check(lines, file, path)


def test_slips_of_the_headline_figures_are_refused(runner, tmp_path: Path) -> None:
    """The careless cases issue 22 found accepted: each is refused now, naming its field."""
    for path, slip in [
        (("memory_gib",), 1024.0),
        (("memory_bandwidth_gb_per_s",), 1e-3),
        (("peak_tflops", "bf16"), 1e300),
        (("peak_tflops", "bf16"), 1e-300),
    ]:
        file = tmp_path / "gpus" / "fuzz-gpu.yaml"
        file.parent.mkdir(exist_ok=True)
        data = _mutated(GPU_DATA, path, None, slip, careless=True)
        file.write_text(yaml.safe_dump(data))
        result = runner.invoke(app, ["profiles", "validate", str(file)])
        assert result.exit_code == 2, (path, result.output)
        assert path[-1] in result.output
