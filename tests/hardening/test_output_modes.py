"""Outputs are as readable as the umask allows: a team can share a results folder.

Every output is still written atomically (a temporary sibling, then a rename), but the sibling
is created the ordinary way, not by `tempfile` (0600 files, 0700 directories): under umask 022
every file is 0644 and every directory 0755, under 077 they are 0600 and 0700. The umask is
set for one test at a time and always put back (`umask` fixture).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from calibrate.output import write_calibration
from simulator.atomic_files import TEMPORARY_MARK, write_text_atomic
from simulator.calibration_overlay import load_calibration
from simulator.cli import app
from tests.calibrate.conftest import h100_overlay_file
from tests.conftest import write_yaml
from tests.engine.conftest import PROFILES
from tests.hardening.fuzz import small_scenario
from tests.sweep.conftest import BASE, SPEC


@pytest.fixture(params=[0o022, 0o077], ids=["umask022", "umask077"])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    """Run the test under `request.param`, restoring the process's umask afterwards."""
    old = os.umask(request.param)
    try:
        yield request.param
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _assert_modes(umask: int, *paths: Path) -> None:
    """Each path, and everything under a directory among them, has the umask's mode."""
    seen = []
    for top in paths:
        seen += [top, *sorted(top.rglob("*"))] if top.is_dir() else [top]
    wrong = {
        str(p): oct(_mode(p)) for p in seen if _mode(p) != (0o777 if p.is_dir() else 0o666) & ~umask
    }
    assert wrong == {}, f"expected {oct(0o666 & ~umask)} files, {oct(0o777 & ~umask)} dirs"
    leftovers = [p.name for top in paths for p in top.parent.iterdir() if TEMPORARY_MARK in p.name]
    assert leftovers == []


def _run(runner, tmp_path: Path, name: str) -> Path:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(yaml.safe_dump(small_scenario()))
    out = tmp_path / "shared" / name
    args = ["run", str(scenario), "--out", str(out), "--profiles", str(PROFILES)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


def test_run_directory_and_every_file_in_it(umask: int, runner, tmp_path: Path) -> None:
    out = _run(runner, tmp_path, "out")
    assert {"summary.json", "jobs.parquet", "report.html"} <= {p.name for p in out.iterdir()}
    _assert_modes(umask, out)
    out = _run(runner, tmp_path, "out")  # replacing earlier results: the same modes
    _assert_modes(umask, out)


def test_report_and_compare(umask: int, runner, tmp_path: Path) -> None:
    out = _run(runner, tmp_path, "a")
    (out / "report.html").unlink()
    result = runner.invoke(app, ["report", str(out)])
    assert result.exit_code == 0, result.output
    page = tmp_path / "shared" / "compare.html"
    result = runner.invoke(app, ["compare", str(out), str(out), "--out", str(page)])
    assert result.exit_code == 0, result.output
    _assert_modes(umask, out / "report.html", page)


def test_sweep_outputs(umask: int, runner, tmp_path: Path) -> None:
    write_yaml(tmp_path / "base.yaml", BASE)
    axes = [{"path": "cluster.pools[0].count", "values": [1, 2]}]
    spec = write_yaml(tmp_path / "spec.yaml", {**SPEC, "axes": axes})
    out = tmp_path / "sweep"
    args = ["sweep", str(spec), "--workers", "1", "--out", str(out), "--profiles", str(PROFILES)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"runs.jsonl", "points.parquet", "points.csv", "report.html"} <= names
    _assert_modes(umask, out)


def test_calibration_file(umask: int, tmp_path: Path, catalog) -> None:
    cal = load_calibration(h100_overlay_file(tmp_path / "src.json", catalog, 0.5))
    target = tmp_path / "shared" / "cal.json"
    write_calibration(cal, target)
    assert load_calibration(target) == cal
    _assert_modes(umask, target)


def test_a_replaced_private_file_gets_the_umask_mode(umask: int, tmp_path: Path) -> None:
    """The rename brings a new file: an earlier, stricter one does not pass its mode on."""
    path = tmp_path / "page.html"
    path.write_text("old")
    path.chmod(0o600)
    write_text_atomic(path, "new")
    assert path.read_text() == "new"
    _assert_modes(umask, path)
