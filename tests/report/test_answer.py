"""The first screen answers the scenario's question: time to train, latencies, cost, risk."""

from __future__ import annotations

import re

from simulator.report import render_comparison, render_report
from simulator.report.answers import answer_figures, training_answer
from tests.report.conftest import synthetic_results, training_job
from tests.summaries import cost_option, cost_summary, run_summary


def _answer_box(html: str) -> str:
    start = html.index('<div class="answer" id="answer">')
    return re.sub(r"<[^>]+>", "", html[start : html.index("</div>", start)])


def test_training_answer_gives_time_to_train_finish_day_and_date() -> None:
    job = training_job(time_to_train_days=13.34, finish_day=13.84, submit_day=0.5)
    answer = training_answer(job, horizon_days=30.0)
    assert answer.answer == (
        "pretrain trains in 13.3 days on 1,024 GPUs, finishing on day 13.8 (2027-01-22)."
    )
    assert answer.risk == (
        "pretrain: one seed, so no P90 (run several seeds for the spread); no deadline set."
    )


def test_time_breakdown_lists_where_the_hours_went_largest_first() -> None:
    """12 + 480 + 5 + 3 + 6 + 4 = 510 hours from submission (the fixture's breakdown)."""
    assert training_answer(training_job(), 30.0).breakdown == (
        "pretrain, 510.0 hours from submission: computing 480.0 h, queued 12.0 h, "
        "lost work redone 6.0 h, checkpointing 5.0 h, waiting for capacity or repair 4.0 h, "
        "restarting 3.0 h."
    )


def test_risk_is_the_p90_over_seeds_and_the_deadline_miss_probability() -> None:
    job = training_job(
        seeds=5,
        time_to_train_days_p50=13.1,
        time_to_train_days_p90=15.9,
        deadline_days=15.0,
        met_deadline=True,
        deadline_miss_probability=0.2,
    )
    assert training_answer(job, 30.0).risk == (
        "pretrain: P90 time to train 15.9 days over 5 seeds (P50 13.1 days); "
        "deadline day 15: missed in 20.0% of seeds."
    )
    one_seed = training_job(deadline_days=15.0, met_deadline=False)
    assert training_answer(one_seed, 30.0).risk.endswith("deadline day 15: missed.")


def test_a_job_that_does_not_finish_says_how_far_it_got() -> None:
    job = training_job(
        status="running", finish_day=None, finish_date=None, time_to_train_days=None, progress=0.72
    )
    answer = training_answer(job, 30.0)
    assert not answer.finished
    assert answer.answer == (
        "pretrain does not finish within the 30-day run on 1,024 GPUs "
        "(72.0% of its steps done, status running)."
    )


def test_first_screen_holds_question_answer_cost_and_risk_before_any_plot() -> None:
    results = synthetic_results(name="plan", costs=True, serving=True)
    html = render_report(results)
    box = _answer_box(html)
    assert "Question plan: Train it once; how long, what cost?" in box
    assert "pretrain trains in 21.2 days on 1,024 GPUs" in box
    assert (
        "chat: p50/p90/p99 TTFT 300/610/900 ms; TPOT 30/41/52 ms; e2e 6,100/9,900/15,000 ms; "
        "97.0% of requests within the SLO." in box
    )
    assert "chat: 3.0% of requests miss the SLO; 1 request in 100 waits over 900 ms" in box
    assert html.index('id="answer"') < html.index('id="options"') < html.index('class="plot"')


def test_cheapest_on_each_basis_is_the_summary_verdict_with_its_own_figure() -> None:
    """Owning costs $45M in cash but $5.57M accrued: the two verdicts differ, and net of
    $43.5M resale owning is cheapest again. The page says each, with its basis's figure."""
    aws = cost_option(
        name="aws", purchase="on_demand", cost_cash_usd=6.0e6, cost_accrued_usd=6.0e6,
        net_cash_usd=6.0e6,
    )  # fmt: skip
    own = cost_option(
        name="own", purchase="owned", cost_cash_usd=45.0e6, cost_accrued_usd=5.57e6,
        residual_value_usd=43.5e6, net_cash_usd=1.5e6,
    )  # fmt: skip
    costs = cost_summary(
        horizon_months=4.0,
        options=[aws, own],
        cheapest={"cash": "aws", "accrued": "own", "net_cash": "own"},
        break_even=[],
    )
    results = synthetic_results(name="own or rent")
    results.summary = results.summary.with_costs(costs)
    box = _answer_box(render_report(results))
    assert (
        "Cheapest in cash: aws ($6.00M); accrued: own ($5.57M); net of resale: own ($1.50M), "
        "over 4 months." in box
    )
    figures = answer_figures(results.summary)
    assert (figures["cheapest (cash)"], figures["cheapest (accrued)"]) == ("aws", "own")
    assert figures["own cash (USD)"] == 45.0e6 and figures["own accrued (USD)"] == 5.57e6


def test_title_is_the_scenario_as_run_with_its_overrides() -> None:
    results = synthetic_results(name="Llama on 128 nodes", overrides=["cluster.pools.0.count=64"])
    html = render_report(results)
    assert (
        "<h1>infrasim report: Llama on 128 nodes (with --set cluster.pools.0.count=64)</h1>" in html
    )
    assert "Changed with --set cluster.pools.0.count=64" in _answer_box(html)


def test_a_summary_without_optional_blocks_still_gives_a_first_screen() -> None:
    results = synthetic_results(name="bare", training=[])
    results.summary = run_summary(
        scenario="bare", horizon_days=2.0, total_gpus=16, jobs_submitted=4, jobs_completed=3
    )
    results.tables.pop("assumptions")
    html = render_report(results)
    box = _answer_box(html)
    assert "Question bare" in box
    assert "3 of 4 jobs completed in 2 simulated days on 16 GPUs." in box
    assert "no price options in this scenario." in box
    assert "saved without the per-value sheet" in html


def test_compare_leads_with_the_answers_and_their_differences_from_the_first_run() -> None:
    slow = synthetic_results(
        name="h100", costs=True, training=[training_job(time_to_train_days=20.0)]
    )
    fast = synthetic_results(
        name="b200", costs=True, training=[training_job(time_to_train_days=12.5)]
    )
    html = render_comparison([("h100", slow), ("b200", fast)])
    titles = re.findall(r"<h2>(.*?)</h2>", html)
    assert titles[0] == "The answers"
    table = html[html.index('id="answers"') : html.index("</table>", html.index('id="answers"'))]
    row = table[table.index("time to train (days): pretrain") :].split("</tr>")[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
    assert cells == ["20.0 days", "12.5 days", "-7.50 days (-37.5%)"]  # after the label
    assert '<td class="better">-7.50 days (-37.5%)</td>' in row
    assert "<th>1: h100</th><th>2: b200</th><th>2 - 1</th>" in table
    assert html.index('id="answers"') < html.index('class="plot"')
