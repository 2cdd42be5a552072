"""Regression tests for the scenario bugs the fuzzing found, and the file-path rule.

Each test names the input that used to crash, hang or slip through, so the fix stays fixed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simulator.cli import app
from simulator.errors import InputError
from simulator.scenario import load_scenario, scenario_file_path
from tests.engine.conftest import PROFILES
from tests.hardening.fuzz import small_scenario, watchdog
from tests.hardening.test_yaml_input import BILLION_LAUGHS


def _write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _run(runner, file: Path, *args: str):
    with watchdog():
        return runner.invoke(app, ["run", str(file), "--profiles", str(PROFILES), *args])


@pytest.mark.parametrize(
    ("setting", "field"),
    [
        # an infinite arrival rate scheduled every arrival at t=0: the run never ended
        ("workloads.synthetic_jobs.0.arrivals_per_hour=.inf", "arrivals_per_hour"),
        ("workloads.synthetic_jobs.0.mean_duration_hours=.inf", "mean_duration_hours"),
        ("horizon_days=.nan", "horizon_days"),
        # zero- and negative-GPU jobs were accepted and "ran" on nothing
        ("workloads.synthetic_jobs.0.gpus_per_job=[0]", "gpus_per_job[0]"),
        ("workloads.synthetic_jobs.0.gpus_per_job=[-8]", "gpus_per_job[0]"),
        # 10**23 GPUs overflowed numpy int64 in the job source: a traceback
        ("workloads.synthetic_jobs.0.gpus_per_job=[100000000000000000000000]", "--set"),
        # a priority beyond int64 crashed writing jobs.parquet after the whole run
        ("workloads.training_jobs.0.priority=100000000000", "priority"),
        # int('²') raised ValueError: str.isdigit() accepts superscripts
        ("cluster.pools.².count=1", "cluster.pools.²"),
        ("name=!!binary aGVsbG8=", "--set name"),
    ],
)
def test_hostile_setting_is_named(runner, tmp_path: Path, setting: str, field: str) -> None:
    file = _write(tmp_path / "s.yaml", small_scenario())
    result = _run(runner, file, "--set", setting)
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert field in result.stderr, result.stderr


def test_too_long_path_is_an_input_error_not_an_os_error(runner, tmp_path: Path) -> None:
    """ENAMETOOLONG used to surface as an I/O failure (exit 1) naming no field."""
    file = _write(tmp_path / "s.yaml", small_scenario())
    result = _run(runner, file, "--set", "calibration=" + "a" * 5000)
    assert result.exit_code == 2 and "calibration: path is too long" in result.stderr


# ------------------------------------------------------------------ the file-path rule
@pytest.mark.parametrize(
    "named",
    ["../secret.csv", "traces/../../secret.csv", "..", "a/../../b"],
)
def test_relative_paths_may_not_climb_out(tmp_path: Path, named: str) -> None:
    with pytest.raises(InputError, match="stay inside the scenario's directory"):
        scenario_file_path(tmp_path / "s.yaml", named, "workloads.job_traces[0].path")


@pytest.mark.parametrize("named", ["trace.csv", "traces/a.csv", "traces/../b.csv", "./c.csv"])
def test_relative_paths_inside_resolve_against_the_scenario(tmp_path: Path, named: str) -> None:
    assert scenario_file_path(tmp_path / "s.yaml", named) == tmp_path / named


def test_absolute_paths_are_taken_as_written(tmp_path: Path) -> None:
    assert scenario_file_path(tmp_path / "s.yaml", "/data/trace.csv") == Path("/data/trace.csv")


@pytest.mark.parametrize("named", ["", "a\0b", "x" * 300, "a/" * 2100, "\udcff\ud800"])
def test_unusable_names_are_refused(tmp_path: Path, named: str) -> None:
    with pytest.raises(InputError, match="calibration"):
        scenario_file_path(tmp_path / "s.yaml", named, "calibration")


def test_a_trace_outside_the_scenario_dir_is_refused_by_the_loader(
    tmp_path: Path, engine_catalog
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("job_id,user\n1,s3cr3t-token\n")
    data = small_scenario()
    data["workloads"]["job_traces"] = [{"format": "helios", "path": "../secret.csv"}]
    file = _write(tmp_path / "scenarios" / "s.yaml", data)
    with pytest.raises(InputError) as err:
        load_scenario(file, engine_catalog)
    assert "workloads.job_traces[0].path" in str(err.value)
    assert "s3cr3t-token" not in str(err.value)


def test_a_symlink_inside_the_scenario_dir_is_followed(tmp_path: Path, engine_catalog) -> None:
    """Links are the reader's own doing, not the scenario author's."""
    from tests.engine.conftest import helios_csv

    real = helios_csv(tmp_path / "elsewhere" / "trace.csv", [("j1", "u", 8, 0, 600)])
    (tmp_path / "scen").mkdir()
    os.symlink(real, tmp_path / "scen" / "trace.csv")
    data = small_scenario()
    data["workloads"]["job_traces"] = [{"format": "helios", "path": "trace.csv"}]
    loaded = load_scenario(_write(tmp_path / "scen" / "s.yaml", data), engine_catalog)
    assert loaded.resolve_path("trace.csv").is_file()


# ------------------------------------------------------------------ the real process
BOMBS = {
    "laughs.yaml": (BILLION_LAUGHS, "aliases"),
    "deep.yaml": ("[" * 200_000 + "]" * 200_000, "nested more than 100 levels deep at line 1"),
    "code.yaml": ("id: !!python/object/apply:os.system ['touch PWNED']", "is not accepted"),
}


def test_the_installed_command_refuses_bombs(tmp_path: Path) -> None:
    """Through a real process: exit 2, one line per file, no traceback, no side effect."""
    for name, (content, _) in BOMBS.items():
        (tmp_path / name).write_text(content)
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "profiles", "validate", *sorted(BOMBS)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == len(BOMBS), lines
    for line, name in zip(lines, sorted(BOMBS), strict=True):
        assert line.startswith(f"error: {name}: ") and BOMBS[name][1] in line, line
    assert not (tmp_path / "PWNED").exists()
