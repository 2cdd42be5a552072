"""`infrasim plan` on a small training goal: the answer agrees with its own parts.

Two node types x two counts x two on-demand sheets, two seeds: a few seconds. Each check is
against hand-worked arithmetic on the plan's own figures, not against the planner's code.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from simulator.catalog import Catalog
from simulator.cli import app
from simulator.errors import InputError
from simulator.estimates.training import TrainingRequest, compute_training
from simulator.plan import load_goal, plan_goal, plan_json

GOAL = """
name: small
train: {model: llama3-8b, tokens: 20B, seq_len: 4096, deadline: 10d}
options:
  nodes: [dgx-h100, dgx-a100]
  node_counts: [2, 4]
  providers: [lambda, runpod]
  purchases: [on_demand]
  seeds: 2
  finalists: 4
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("plan")
    goal = d / "goal.yaml"
    goal.write_text(GOAL)
    return plan_goal(goal, d / "out", workers=1)


def test_units_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "g.yaml"
    path.write_text(GOAL)
    goal = load_goal(path)
    assert goal.train is not None
    assert goal.train.tokens == 20e9
    assert goal.train.deadline == 10.0
    assert goal.train.global_batch_sequences == 1024  # 4M / 4096 = 976.6 -> 2**10
    assert goal.options.seeds == 2


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("train: {model: llama3-8b, tokens: 2X, seq_len: 4096, deadline: 10d}", "train.tokens"),
        ("train: {model: llama3-8b, tokens: 2T, seq_len: 4096, deadline: 10m}", "train.deadline"),
        ("train: {model: llama3-8b, tokens: 2T, seq_len: 4096}", "train.deadline"),
        ("options: {seeds: 2}", ""),
        (
            "train: {model: llama3-8b, tokens: 2T, seq_len: 4096, deadline: 1d, colour: red}",
            "train.colour",
        ),
    ],
)
def test_bad_goal_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_goal(path)
    problem = info.value.problems[0]
    assert problem.file.endswith("bad.yaml")
    assert problem.field.startswith(field)


def test_bad_goal_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("train: {model: llama3-8b, tokens: lots, seq_len: 4096, deadline: 1d}")
    result = CliRunner().invoke(app, ["plan", str(path)])
    assert result.exit_code == 2
    assert "train.tokens" in result.output


def test_time_to_train_is_tokens_over_throughput_and_goodput(outcome) -> None:
    assert outcome.answer
    for p in outcome.answer:
        days = 20e9 / (p["tokens_per_s"] * p["goodput"]) / 86400.0
        # tokens/s is while computing, goodput the computing share: the two give the time
        # from start to finish; 1% covers the partial last step and the seeds' spread
        assert p["time_to_train_days_p50"] == pytest.approx(days, rel=0.01)


def test_on_demand_cash_is_gpus_hours_price(outcome) -> None:
    for p in outcome.answer:
        hours = [d * 24.0 for d in p["time_to_train_days_seeds"]]
        usd = sum(p["num_gpus"] * h * p["usd_per_gpu_hour"] for h in hours) / len(hours)
        # project mode bills the job's GPUs while the job holds them, plus checkpoint storage
        assert p["cost_cash_usd"] == pytest.approx(usd, rel=0.02)
        assert p["cost_cash_usd"] >= usd * (1 - 1e-9)


def test_layout_through_estimate_training_gives_step_time(outcome) -> None:
    catalog = Catalog.load([])
    for p in outcome.answer:
        lay = p["layout"]
        req = TrainingRequest(
            model="llama3-8b",
            node=p["node"],
            num_gpus=p["num_gpus"],
            seq_len=4096,
            global_batch=p["global_batch"],
            micro_batch=lay["micro_batch"],
            tp=lay["tp"],
            pp=lay["pp"],
            vpp=lay["vpp"],
            cp=lay["cp"],
            ep=lay["ep"],
            dp=lay["dp"],
            sequence_parallel=lay["sequence_parallel"],
            recompute=lay["recompute"],
            distributed_optimizer=lay["distributed_optimizer"],
            zero=lay["zero"],
        )
        assert compute_training(req, catalog)["step_time_s"] == pytest.approx(p["step_time_s"])


def test_ranked_cheapest_first_and_keys(outcome) -> None:
    data = plan_json(outcome)
    cash = [p["cost_cash_usd"] for p in data["plans"]]
    assert cash == sorted(cash)
    keys = {
        "node",
        "gpu",
        "num_gpus",
        "layout",
        "step_time_s",
        "tokens_per_s",
        "goodput",
        "time_to_train_days_p50",
        "time_to_train_days_p90",
        "p_miss_deadline",
        "purchase",
        "provider",
        "cost_cash_usd",
        "cost_accrued_usd",
        "energy_mwh",
        "co2e_t",
    }
    assert keys <= set(data["plans"][0])
    assert {"plans", "rejected"} <= set(data)
    assert {r["perturbation"] for r in data["sensitivity"]} >= {
        "failure rate x0.5",
        "failure rate x2",
        "checkpoint bandwidth x0.5",
        "price +20%",
        "efficiency -10%",
    }


def test_no_answer_exits_4_and_same_bytes(tmp_path: Path) -> None:
    path = tmp_path / "tight.yaml"
    path.write_text(GOAL.replace("deadline: 10d", "deadline: 0.2d"))
    runner = CliRunner()
    first = runner.invoke(app, ["plan", str(path), "--json", "--no-sensitivity"])
    again = runner.invoke(app, ["plan", str(path), "--json", "--no-sensitivity"])
    assert first.exit_code == 4, first.output
    assert first.stdout == again.stdout
    data = json.loads(first.stdout)
    assert data["plans"] == []
    assert data["bound_by"] == "deadline"
    assert data["nearest"]["fastest"]["num_gpus"] == 32


def test_page_is_small_offline_and_stable(outcome) -> None:
    from simulator.report.plan_page import render_plan_page

    data = plan_json(outcome)
    page = render_plan_page(data, "top-plan-run/report.html")
    assert len(page.encode()) <= 1_500_000
    assert 'href="top-plan-run/report.html"' in page
    assert 'src="http' not in page  # plotly is embedded, nothing is fetched
    assert page == render_plan_page(data, "top-plan-run/report.html")
