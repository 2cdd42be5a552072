"""`infrasim run`: summary, saved tables, overrides, and no partial output on failure."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

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


def test_human_summary_answers_time_to_train_and_where_the_time_went(
    runner, tmp_path: Path
) -> None:
    result = _run(runner, str(_scenario(tmp_path, start_date="2027-01-01")))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "engine test" in out
    line = next(x for x in out.splitlines() if x.startswith("  train: "))
    # 50 short steps: trained on day 0 of a run that starts on 2027-01-01
    assert "trained in 0.0 days, finishes day 0.0 (2027-01-01)" in line
    assert "tokens/s" in line and "MFU" in line and "goodput" in line
    for part in ("computing", "checkpointing", "restarting", "lost work", "waiting for capacity"):
        assert part in out


def test_seeds_give_the_spread_of_time_to_train(runner, tmp_path: Path) -> None:
    # two nodes, a job on one: a second hardware failure before the first node is back
    # leaves it waiting days for a repair in some seeds and not in others
    job = training_job(
        steps=100_000,
        deadline_hours=6,
        checkpoint={"policy": "fixed", "interval_minutes": 10},
    )
    data = base_scenario(
        nodes=2,
        horizon_days=5,
        workloads={"training_jobs": [job]},
        policies={"failures": {"enabled": True, "rate_multiplier": 2000}},
    )
    path = write_yaml(tmp_path / "s.yaml", data)
    out = tmp_path / "out"
    result = _run(runner, str(path), "--json", "--seeds", "3", "--out", str(out))
    assert result.exit_code == 0, result.output
    (spread,) = json.loads(result.stdout)["training_jobs"]
    single = []
    for seed in (1, 2, 3):  # the scenario's seed and the two after it, one run each
        run = json.loads(_run(runner, str(path), "--json", "--seed", str(seed)).stdout)
        single.append(run["training_jobs"][0])
    days = sorted(j["time_to_train_days"] for j in single)
    assert days[-1] > 2 * days[0], "the seeds must differ for the spread to mean anything"
    assert spread["seeds"] == 3
    # of three runs the P50 is the middle one and the P90 the longest (observed runs)
    assert spread["time_to_train_days_p50"] == pytest.approx(days[1])
    assert spread["time_to_train_days_p90"] == pytest.approx(days[2])
    assert spread["time_to_train_days_p50"] <= spread["time_to_train_days_p90"]
    missed = sum(not j["met_deadline"] for j in single)
    assert spread["deadline_miss_probability"] == pytest.approx(missed / 3)
    # the tables and the other figures are the first seed's
    assert spread["time_to_train_days"] == single[0]["time_to_train_days"]
    saved = Results.load(out).summary
    assert saved.seed == 1 and saved.training_jobs[0].seeds == 3
    assert single[0]["seeds"] == 1 and single[0]["time_to_train_days_p90"] is None


def test_seeds_below_one_are_refused(runner, tmp_path: Path) -> None:
    result = _run(runner, str(_scenario(tmp_path)), "--seeds", "0")
    assert result.exit_code == 2 and "--seeds" in result.output


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
