"""The answers a run gives, read from its summary once, for the first screen and the compare page.

A planner opens the report to learn three things before any plot: how long (training) or how
fast (serving), what it costs on each basis and which option is cheapest, and how sure the
answer is. Every figure here comes from `summary.json` (the typed `RunSummary`), never from
re-tabulating the frames, so the page and the file cannot disagree.

Each block is optional: a summary without `training_jobs`, `serving`, `costs` or
`provenance` (an older file, a scenario without prices) gives no rows for it, and the page
says so in words rather than failing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from simulator.schema.run_summary import RunSummary, ServiceSummary, TrainingJobSummary

LATENCY_METRICS = (("ttft", "TTFT"), ("tpot", "TPOT"), ("e2e", "e2e"))
QUANTILES = ("p50", "p90", "p99")


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def usd(value: Any) -> str:
    """Dollars for a headline: $41.0M, $318k, $950."""
    number = _finite(value)
    if number is None:
        return "n/a"
    magnitude = abs(number)
    if magnitude >= 1e6:
        return f"${number / 1e6:,.2f}M"
    if magnitude >= 1e4:
        return f"${number / 1e3:,.0f}k"
    return f"${number:,.0f}"


def span(horizon_days: float) -> str:
    """A run's length for a sentence: '60 simulated days', '1 simulated hour'."""
    if horizon_days >= 2:
        return f"{horizon_days:g} simulated days"
    hours = horizon_days * 24.0
    return f"{hours:.3g} simulated hour{'' if hours == 1 else 's'}"


def days(value: Any) -> str:
    """Days with one decimal: '47.3 days'; 'n/a' when undefined."""
    number = _finite(value)
    return "n/a" if number is None else f"{number:,.1f} days"


def pct(value: Any) -> str:
    """A share as a percentage: '97.0%'."""
    number = _finite(value)
    return "n/a" if number is None else f"{number * 100:.1f}%"


def ms(value: Any) -> str:
    """Milliseconds, three significant figures at most: '312 ms', '4.21 ms'."""
    number = _finite(value)
    if number is None:
        return "n/a"
    return f"{number:,.0f} ms" if abs(number) >= 100 else f"{number:.3g} ms"


def training_jobs(summary: RunSummary) -> list[TrainingJobSummary]:
    """`summary.training_jobs`: empty for a serving-only run or a version-1 summary."""
    return list(summary.training_jobs)


def latency_ms(service: ServiceSummary, metric: str, quantile: str) -> float | None:
    """A service's latency in ms (`ttft_p50_ms`; version-1 seconds are migrated on read)."""
    return _finite(getattr(service, f"{metric}_{quantile}_ms"))


@dataclass(frozen=True)
class TrainingAnswer:
    """One training job's answer and its risk, as sentences and as numbers."""

    name: str
    finished: bool
    time_to_train_days: float | None
    p90_days: float | None
    answer: str
    risk: str
    breakdown: str


def training_answer(job: TrainingJobSummary, horizon_days: float) -> TrainingAnswer:
    """Time to train (finish day and date), P90 over seeds, and the deadline risk of `job`."""
    ttt = _finite(job.time_to_train_days)
    finish = _finite(job.finish_day)
    gpus = f"on {int(job.num_gpus):,} GPUs"
    if ttt is not None:
        when = f"day {finish:,.1f}" if finish is not None else "the end"
        if job.finish_date:
            when += f" ({job.finish_date})"
        answer = f"{job.name} trains in {days(ttt)} {gpus}, finishing on {when}."
    else:
        answer = (
            f"{job.name} does not finish within the {horizon_days:g}-day run {gpus} "
            f"({pct(job.progress)} of its steps done, status {job.status})."
        )
    seeds = job.seeds
    p90 = _finite(job.time_to_train_days_p90)
    if p90 is not None and seeds > 1:
        p50 = _finite(job.time_to_train_days_p50)
        spread = f"P90 time to train {days(p90)} over {seeds} seeds"
        spread += f" (P50 {days(p50)})" if p50 is not None else ""
    else:
        spread = "one seed, so no P90 (run several seeds for the spread)"
    deadline = _finite(job.deadline_days)
    if deadline is None:
        due = "no deadline set"
    else:
        miss = _finite(job.deadline_miss_probability)
        if miss is not None and seeds > 1:
            due = f"deadline day {deadline:g}: missed in {pct(miss)} of seeds"
        elif job.met_deadline is None:
            due = f"deadline day {deadline:g}: not decided within the run"
        else:
            due = f"deadline day {deadline:g}: {'met' if job.met_deadline else 'missed'}"
    return TrainingAnswer(
        breakdown=time_breakdown(job),
        name=str(job.name),
        finished=ttt is not None,
        time_to_train_days=ttt,
        p90_days=p90 if seeds > 1 else None,
        answer=answer,
        risk=f"{job.name}: {spread}; {due}.",
    )


BREAKDOWN = (
    ("computing", "computing"),
    ("checkpointing", "checkpointing"),
    ("restarting", "restarting"),
    ("lost_work", "lost work redone"),
    ("waiting_for_capacity", "waiting for capacity or repair"),
    ("queued", "queued"),
)


def time_breakdown(job: TrainingJobSummary) -> str:
    """Where a job's hours went, largest first, the parts that are zero left out."""
    hours = job.time_breakdown_h
    parts = [(getattr(hours, field), words) for field, words in BREAKDOWN]
    total = sum(h for h, _ in parts)
    shown = [f"{words} {h:,.1f} h" for h, words in sorted(parts, key=lambda p: -p[0]) if h > 0]
    if not shown:
        return f"{job.name}: no time booked yet."
    return f"{job.name}, {total:,.1f} hours from submission: " + ", ".join(shown) + "."


def serving_answer(name: str, service: ServiceSummary) -> str:
    """One sentence: TTFT, TPOT and e2e p50/p90/p99 in ms, and SLO attainment."""
    parts = []
    for metric, shown in LATENCY_METRICS:
        values = "/".join(ms(latency_ms(service, metric, q)).removesuffix(" ms") for q in QUANTILES)
        parts.append(f"{shown} {values} ms")
    slo = pct(service.slo_attainment)
    return f"{name}: p50/p90/p99 {'; '.join(parts)}; {slo} of requests within the SLO."


def cheapest_sentence(summary: RunSummary) -> str | None:
    """The cheapest option on each basis, with its figure (None when nothing was priced)."""
    costs = summary.costs
    if costs is None or not costs.options:
        return None
    pick = costs.cheapest
    cash, accrued, net = (costs.option(n) for n in (pick.cash, pick.accrued, pick.net_cash))
    if costs.mode == "project":
        span = "to finish the training once (project mode)"
    else:
        span = f"over {costs.horizon_months:g} months"
    if cash.name == accrued.name == net.name:
        return (
            f"Cheapest on every basis: {cash.name} (cash {usd(cash.cost_cash_usd)}, accrued "
            f"{usd(cash.cost_accrued_usd)}, net of resale {usd(cash.net_cash_usd)}), {span}."
        )
    return (
        f"Cheapest in cash: {cash.name} ({usd(cash.cost_cash_usd)}); accrued: {accrued.name} "
        f"({usd(accrued.cost_accrued_usd)}); net of resale: {net.name} "
        f"({usd(net.net_cash_usd)}), {span}."
    )


OPTION_COLUMNS = (
    ("option", "name"),
    ("purchase", "purchase"),
    ("billing", "billing"),
    ("cash (USD)", "cost_cash_usd"),
    ("accrued (USD)", "cost_accrued_usd"),
    ("resale value (USD)", "residual_value_usd"),
    ("net cash (USD)", "net_cash_usd"),
    ("unused commitment (USD)", "unused_commitment_usd"),
    ("USD/GPU-h cash", "usd_per_gpu_hour_cash"),
    ("USD/GPU-h accrued", "usd_per_gpu_hour_accrued"),
)
"""The per-option cost table: each money column names its basis."""


def option_rows(summary: RunSummary) -> list[dict[str, Any]]:
    """One row per price option (OPTION_COLUMNS), the cheapest on each basis marked."""
    costs = summary.costs
    if costs is None:
        return []
    pick = costs.cheapest
    rows = []
    for option in costs.options:
        row = {shown: getattr(option, field) for shown, field in OPTION_COLUMNS}
        marks = [
            basis
            for basis, name in (
                ("cash", pick.cash),
                ("accrued", pick.accrued),
                ("net", pick.net_cash),
            )
            if name == option.name
        ]
        row["cheapest"] = ", ".join(marks)
        rows.append(row)
    return rows


def answer_figures(summary: RunSummary) -> dict[str, Any]:
    """The answers as numbers, one key each (what the compare page lines up and diffs).

    Keys: `time to train (days): JOB`, `P90 time to train (days): JOB`,
    `SERVICE TTFT p90 (ms)` and the like, `SLO attainment: SERVICE`, `cheapest (cash)`,
    `cheapest (accrued)`, `cheapest (net of resale)`, `OPTION cash (USD)`, `OPTION accrued
    (USD)`. Text values (option names) are compared for equality only.
    """
    out: dict[str, Any] = {}
    for job in training_jobs(summary):
        answer = training_answer(job, summary.horizon_days)
        out[f"time to train (days): {answer.name}"] = answer.time_to_train_days
        if answer.p90_days is not None:
            out[f"P90 time to train (days): {answer.name}"] = answer.p90_days
    for name, service in sorted((summary.serving or {}).items()):
        for metric, shown in LATENCY_METRICS:
            for q in QUANTILES:
                out[f"{name} {shown} {q} (ms)"] = latency_ms(service, metric, q)
        out[f"SLO attainment: {name}"] = _finite(service.slo_attainment)
    costs = summary.costs
    if costs is not None and costs.options:
        out["cheapest (cash)"] = costs.cheapest.cash
        out["cheapest (accrued)"] = costs.cheapest.accrued
        out["cheapest (net of resale)"] = costs.cheapest.net_cash
        for option in costs.options:
            out[f"{option.name} cash (USD)"] = option.cost_cash_usd
            out[f"{option.name} accrued (USD)"] = option.cost_accrued_usd
    return out
