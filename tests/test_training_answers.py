"""The answers of a run: training jobs' time-to-train, tokens/s, MFU and time breakdown, the
spread over seeds, and what `infrasim run` prints for the shipped scenarios."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from simulator.cli import app
from simulator.schema.run_summary import TimeBreakdownHours, TrainingJobSummary
from simulator.training_answers import over_seeds, training_job_summaries

REPO = Path(__file__).resolve().parents[1]
PRETRAIN = REPO / "scenarios" / "llama3-70b-pretrain-h100.yaml"
SERVING = REPO / "scenarios" / "llama3-70b-serving-h200.yaml"
DAY = 86400.0


def _row(**changes: object) -> dict:
    """A training job's row of the jobs table: 1,000 steps of 1M tokens, done in 10 days."""
    row = {
        "name": "pretrain",
        "kind": "training",
        "status": "completed",
        "num_gpus": 1024,
        "submit_s": 1 * DAY,
        "start_s": 2 * DAY,
        "end_s": 11 * DAY,
        "goodput": 0.9,
        "total_steps": 1000,
        "steps_done": 1000.0,
        "tokens_per_step": 1_000_000,
        "ideal_step_s": 400.0,
        "deadline_s": 12 * DAY,
        "queued_s": 1 * DAY,
        "computing_s": 1000 * 500.0,  # 500 s per step achieved
        "checkpointing_s": 0.1 * DAY,
        "restarting_s": 0.2 * DAY,
        "lost_work_s": 0.3 * DAY,
        "waiting_for_capacity_s": 10 * DAY - 1000 * 500.0 - 1.6 * DAY,
    }
    row.update(changes)
    return row


def test_a_finished_job_answers_in_days_tokens_and_mfu() -> None:
    (job,) = training_job_summaries(pd.DataFrame([_row()]), 30 * DAY, "2027-01-01")
    assert job.time_to_train_days == pytest.approx(10.0)  # submitted day 1, finished day 11
    assert job.finish_day == pytest.approx(11.0) and job.start_day == pytest.approx(2.0)
    assert job.finish_date == "2027-01-12"
    assert job.tokens_per_s == pytest.approx(1_000_000 / 500.0)  # tokens per achieved step
    assert job.mfu == pytest.approx(400.0 / 500.0)  # peak-rate step over achieved step
    assert job.deadline_days == pytest.approx(12.0) and job.met_deadline is True
    b = job.time_breakdown_h
    assert b.queued == pytest.approx(24.0) and b.lost_work == pytest.approx(7.2)
    total = b.queued + b.computing + b.checkpointing + b.restarting + b.lost_work
    assert total + b.waiting_for_capacity == pytest.approx(10 * 24.0)


def test_an_unfinished_job_says_how_far_it_got_and_when_a_deadline_is_decided() -> None:
    row = _row(status="running", end_s=math.nan, steps_done=740.0)
    (past,) = training_job_summaries(pd.DataFrame([row]), 30 * DAY)
    assert past.time_to_train_days is None and past.finish_date is None
    assert past.progress == pytest.approx(0.74)
    assert past.met_deadline is False  # the run went past day 12 without it finishing
    (early,) = training_job_summaries(pd.DataFrame([row]), 5 * DAY)
    assert early.met_deadline is None  # the run ended before the deadline: not decided


def _job(days: float | None, met: bool | None = None) -> TrainingJobSummary:
    zero = TimeBreakdownHours(
        queued=0, computing=0, checkpointing=0, restarting=0, lost_work=0, waiting_for_capacity=0
    )
    return TrainingJobSummary(
        name="pretrain",
        status="completed" if days is not None else "running",
        num_gpus=8,
        submit_day=0.0,
        start_day=0.0,
        finish_day=days,
        finish_date=None,
        time_to_train_days=days,
        progress=1.0 if days is not None else 0.5,
        tokens_per_s=None,
        mfu=None,
        goodput=None,
        deadline_days=12.0,
        met_deadline=met,
        time_breakdown_h=zero,
    )


def test_percentiles_over_seeds_are_observed_runs() -> None:
    runs = [[_job(d, d <= 12)] for d in (10.0, 14.0, 11.0, 13.0, 12.0)]
    (job,) = over_seeds(runs)
    assert job.seeds == 5
    assert job.time_to_train_days == 10.0  # the first seed's own figure stays
    # sorted 10, 11, 12, 13, 14: P50 the 3rd (12), P90 the 5th (14): never interpolated
    assert job.time_to_train_days_p50 == 12.0 and job.time_to_train_days_p90 == 14.0
    assert job.deadline_miss_probability == pytest.approx(2 / 5)


def test_a_seed_that_did_not_finish_counts_as_the_longest() -> None:
    runs = [[_job(10.0, True)], [_job(None, None)], [_job(11.0, True)]]
    (job,) = over_seeds(runs)
    assert job.time_to_train_days_p50 == 11.0
    assert job.time_to_train_days_p90 is None  # lands on the unfinished seed: not reached
    assert job.deadline_miss_probability == 0.0  # the undecided seed is left out


def test_the_shipped_pretraining_scenario_prints_time_to_train(runner, tmp_path: Path) -> None:
    out = tmp_path / "pretrain"
    result = runner.invoke(app, ["run", str(PRETRAIN), "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = result.stdout
    line = next(x for x in text.splitlines() if x.startswith("  llama3-70b-pretrain: "))
    assert "trained in " in line and " days, finishes day " in line
    assert "tokens/s" in line and "MFU" in line
    assert "waiting for capacity" in text and "lost work" in text
    summary = json.loads((out / "summary.json").read_text())
    assert summary["summary_version"] == 2
    (job,) = summary["training_jobs"]
    for key in ("name", "time_to_train_days", "finish_day", "tokens_per_s", "mfu", "goodput"):
        assert job[key] is not None, key
    breakdown = job["time_breakdown_h"]
    assert set(breakdown) == {
        "computing",
        "checkpointing",
        "restarting",
        "lost_work",
        "waiting_for_capacity",
        "queued",
    }
    # the parts are the job's submission -> finish, in hours
    span_h = (job["finish_day"] - job["submit_day"]) * 24.0
    assert sum(breakdown.values()) == pytest.approx(span_h, rel=1e-9)
    assert job["time_to_train_days"] == pytest.approx(job["finish_day"] - job["submit_day"])
    assert 0 < job["mfu"] < 1 and 0 < job["goodput"] <= 1


def test_the_shipped_serving_scenario_prints_latencies_in_ms(runner, tmp_path: Path) -> None:
    out = tmp_path / "serving"
    args = ["run", str(SERVING), "--set", "horizon_days=0.005", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert "latencies in ms: p50 / p90 / p99" in text
    for header in ("TTFT", "TPOT", "e2e", "SLO met", "goodput req/s", "replicas"):
        assert header in text
    service = json.loads((out / "summary.json").read_text())["serving"]["chat-70b"]
    row = next(x for x in text.splitlines() if x.strip().startswith("chat-70b "))
    assert f"{service['replicas_peak']} peak" in row
    for metric in ("ttft", "tpot", "e2e"):
        p50, p90, p99 = (service[f"{metric}_{q}_ms"] for q in ("p50", "p90", "p99"))
        assert 0 < p50 <= p90 <= p99
    # milliseconds, not seconds: a 70B decode step on H200 takes tens of ms
    assert 1 < service["tpot_p50_ms"] < 1000
    assert 0 <= service["slo_attainment"] <= 1 and service["goodput_rps"] >= 0
    assert service["replicas_mean"] > 0
