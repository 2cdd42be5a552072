"""`infrasim plan` on a small serving goal: fewest replicas meeting the SLO, priced per month.

One 8B model on one node type, two tp degrees, two seeds, a 2-minute window: a few seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.plan import plan_goal, plan_json
from simulator.plan.serving import LADDER

GOAL = """
name: small serve
serve:
  model: llama3-8b
  traffic: {rate_rps: 5, input_tokens: 512, output_tokens: 128}
  slo: {ttft_s: 1s, tpot_s: 50ms}
  horizon: 12mo
  window: 120s
options: {nodes: [dgx-h100], providers: [runpod], purchases: [on_demand], seeds: 2}
"""


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory):
    d = tmp_path_factory.mktemp("serve")
    goal = d / "goal.yaml"
    goal.write_text(GOAL)
    return plan_goal(goal, d / "out", workers=1)


def test_plans_meet_the_slo_every_seed(outcome) -> None:
    assert outcome.answer
    for p in outcome.answer:
        assert p["ttft_p90_ms"] <= 1000.0
        assert p["tpot_p90_ms"] <= 50.0
        assert p["replicas"] in LADDER


def test_monthly_cash_is_gpus_hours_price(outcome) -> None:
    # runpod rents single GPUs on demand: replicas x tp GPUs, every hour of the month
    price = 21.52 / 8  # runpod's 8x H100 SXM, USD per GPU-hour
    for p in outcome.answer:
        usd = p["num_gpus"] * price * 730.5  # hours in an average month (365.25 d / 12)
        assert p["cost_cash_usd_per_month"] == pytest.approx(usd, rel=0.01)


def test_json_keys_and_order(outcome) -> None:
    data = plan_json(outcome)
    assert data["kind"] == "serve"
    keys = {
        "replicas",
        "tp",
        "ttft_p90_ms",
        "tpot_p90_ms",
        "slo_attainment",
        "cost_cash_usd_per_month",
        "purchase",
        "provider",
        "node",
        "gpu",
        "num_gpus",
    }
    assert keys <= set(data["plans"][0])
    cost = [p["cost_cash_usd_per_month"] for p in data["plans"]]
    assert cost == sorted(cost)


def test_tight_slo_has_no_answer(tmp_path: Path) -> None:
    goal = tmp_path / "tight.yaml"
    tight = GOAL.replace("tpot_s: 50ms", "tpot_s: 0.1ms")
    goal.write_text(tight.replace("window: 120s", "window: 120s\n  max_replicas: 2"))
    outcome = plan_goal(goal, tmp_path / "out", workers=1)
    assert outcome.answer == []
    assert outcome.bound_by == "slo"
    assert all("misses the SLO" in r["reason"] for r in outcome.rejected)
