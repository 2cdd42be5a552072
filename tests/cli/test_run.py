"""`infrasim run`: summary, saved tables, overrides, and no partial output on failure."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from simulator.cli import app
from simulator.results import Results
from tests.conftest import write_yaml
from tests.engine.conftest import PROFILES, base_scenario, training_job


def _scenario(tmp_path: Path, **changes) -> Path:
    data = base_scenario(nodes=2, workloads={"training_jobs": [training_job(steps=50)]}, **changes)
    return write_yaml(tmp_path / "s.yaml", data)


def _run(runner, *args: str):
    return runner.invoke(app, ["run", *args, "--profiles", str(PROFILES)])


def test_json_summary_matches_the_saved_results(runner, tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    out = tmp_path / "out"
    result = _run(runner, str(path), "--json", "--out", str(out))
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["jobs_completed"] == 1
    loaded = Results.load(out)
    assert loaded.summary.to_dict() == json.loads((out / "summary.json").read_text())
    assert loaded.summary["jobs_completed"] == 1
    assert len(loaded.jobs) == 1 and loaded.jobs["status"].iloc[0] == "completed"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_seed_and_set_override_the_scenario(runner, tmp_path: Path) -> None:
    path = _scenario(tmp_path)
    result = _run(runner, str(path), "--json", "--seed", "5", "--set", "horizon_days=2")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["seed"] == 5
    assert summary["horizon_days"] == 2


def test_human_summary_names_the_job(runner, tmp_path: Path) -> None:
    result = _run(runner, str(_scenario(tmp_path)))
    assert result.exit_code == 0, result.output
    assert "engine test" in result.stdout and "train: goodput" in result.stdout


def test_bad_field_is_one_line_and_exit_2(runner, tmp_path: Path) -> None:
    path = _scenario(tmp_path, horizon_days=-1)
    out = tmp_path / "out"
    result = _run(runner, str(path), "--out", str(out))
    assert result.exit_code == 2
    assert "horizon_days" in result.output and "Traceback" not in result.output
    assert not out.exists()


def test_out_refuses_a_directory_of_other_files(runner, tmp_path: Path) -> None:
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    result = _run(runner, str(_scenario(tmp_path)), "--out", str(out))
    assert result.exit_code == 2 and "--out" in result.output
    assert (out / "notes.txt").read_text() == "keep me"


def test_failed_write_keeps_the_previous_results(runner, tmp_path: Path, monkeypatch) -> None:
    path = _scenario(tmp_path)
    out = tmp_path / "out"
    assert _run(runner, str(path), "--out", str(out)).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    calls = {"n": 0}
    real = pd.DataFrame.to_parquet

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise OSError("disk full")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", flaky)
    result = _run(runner, str(path), "--out", str(out), "--seed", "9")
    assert result.exit_code == 1
    assert "disk full" in result.output and "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "s.yaml"]
