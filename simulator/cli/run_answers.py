"""What `infrasim run` prints: the run's headline, then the answers people ran it for.

Training: per job, time-to-train (or how far it got), tokens/s, MFU, goodput, and where its
time went in hours (a rich table). Serving: per service, TTFT/TPOT/e2e p50/p90/p99 in ms, SLO
attainment, goodput requests/s and replicas (peak, mean). Costs come after, from
`simulator.cli.cost`. Everything is rendered to plain lines (no colour), so a pipe, a log and
a test read the same text the terminal shows.
"""

from __future__ import annotations

import io
import shutil
import sys
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from simulator.schema.run_summary import RunSummary, ServiceSummary, TrainingJobSummary

MAX_TRAINING_ROWS = 20
"""Training jobs listed one by one; a scenario with more names the rest in summary.json."""

MAX_PRICE_OPTIONS = 4
"""Priced options named per service on the $/M-tokens line (the cheapest first)."""

BREAKDOWN_HEADERS = (
    ("computing", "computing"),
    ("checkpointing", "checkpointing"),
    ("restarting", "restarting"),
    ("lost_work", "lost work"),
    ("waiting_for_capacity", "waiting for capacity"),
    ("queued", "queued"),
)
"""TimeBreakdownHours field -> column header, in the order the table shows them."""


def fmt(value: Any, unit: str = "", scale: float = 1.0, digits: int = 1) -> str:
    """`value x scale` with thousands separators and `unit`; "n/a" for an undefined figure."""
    if value is None:
        return "n/a"
    return f"{value * scale:,.{digits}f}{unit}"


def render(*items: Any, width: int | None = None) -> list[str]:
    """Rich renderables as plain text lines, at the terminal's width (120 when not one)."""
    if width is None:
        width = shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else 120
    out = io.StringIO()
    console = Console(file=out, width=width, color_system=None, highlight=False)
    for item in items:
        console.print(item)
    return [line.rstrip() for line in out.getvalue().splitlines()]


def _table() -> Table:
    """A borderless table: a rule under the header, no blank edge lines."""
    return Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False)


def time_to_train(job: TrainingJobSummary) -> str:
    """'trained in 13.3 days, finishes day 13.3 (2027-01-15)', or how far it got."""
    if job.time_to_train_days is None:
        if job.status in ("queued", "pending") and job.start_day is None:
            return "not started by the end of the run"
        if job.status == "rejected":
            return "rejected: larger than every pool it may use"
        return f"not finished: {job.progress:.0%} of steps done at the end of the run"
    date = f" ({job.finish_date})" if job.finish_date else ""
    return (
        f"trained in {job.time_to_train_days:,.1f} days, finishes day {job.finish_day:,.1f}{date}"
    )


def _spread(job: TrainingJobSummary) -> str | None:
    if job.seeds <= 1:
        return None
    p50, p90 = job.time_to_train_days_p50, job.time_to_train_days_p90
    text = (
        f"    over {job.seeds} seeds: time-to-train P50 "
        f"{fmt(p50, ' days') if p50 is not None else 'not reached'}, P90 "
        f"{fmt(p90, ' days') if p90 is not None else 'not reached'}"
    )
    if job.deadline_miss_probability is not None:
        text += f"; deadline (day {job.deadline_days:,.1f}) missed in "
        text += f"{job.deadline_miss_probability:.0%} of seeds"
    return text


def _deadline(job: TrainingJobSummary) -> str:
    if job.deadline_days is None or job.seeds > 1:
        return ""
    verdict = {True: "met", False: "missed", None: "not decided in the run"}[job.met_deadline]
    return f"; deadline day {job.deadline_days:,.1f} {verdict}"


def training_lines(jobs: list[TrainingJobSummary]) -> list[str]:
    """One line per training job, its spread over seeds, then the time breakdown table."""
    if not jobs:
        return []
    shown = jobs[:MAX_TRAINING_ROWS]
    lines = ["training:"]
    for job in shown:
        lines.append(
            f"  {job.name}: {time_to_train(job)}; {fmt(job.tokens_per_s, digits=0)} tokens/s, "
            f"MFU {fmt(job.mfu, '%', 100)}, goodput {fmt(job.goodput, '%', 100)}"
            f"{_deadline(job)}"
        )
        spread = _spread(job)
        if spread:
            lines.append(spread)
    lines.append("  where the time went, hours (submission to finish, or to the end of the run):")
    table = _table()
    table.add_column("job")
    for _, header in BREAKDOWN_HEADERS:
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("total", justify="right", no_wrap=True)
    for job in shown:
        b = job.time_breakdown_h
        parts = [getattr(b, field) for field, _ in BREAKDOWN_HEADERS]
        table.add_row(job.name, *(fmt(h) for h in parts), fmt(sum(parts)))
    lines += ["    " + line for line in render(table)]
    if len(jobs) > len(shown):
        lines.append(f"  ... and {len(jobs) - len(shown)} more training jobs in summary.json")
    return lines


def _three(fig: ServiceSummary, metric: str) -> str:
    values = [getattr(fig, f"{metric}_{q}_ms") for q in ("p50", "p90", "p99")]
    digits = 0 if all(v is None or v >= 100 for v in values) else 1
    return " / ".join(fmt(v, digits=digits) for v in values)


def _usd_per_million_tokens(s: RunSummary, service: str) -> str | None:
    """'$/M output tokens (accrued): a 1.20, b 2.30' over the priced options, cheapest first."""
    if s.costs is None:
        return None
    prices = [
        (usd, o.name)
        for o in s.costs.options
        if (usd := o.usd_per_million_output_tokens.get(service)) is not None
    ]
    if not prices:
        return None
    shown = ", ".join(f"{name} ${usd:,.2f}" for usd, name in sorted(prices)[:MAX_PRICE_OPTIONS])
    more = f" (+{len(prices) - MAX_PRICE_OPTIONS} more)" if len(prices) > MAX_PRICE_OPTIONS else ""
    return f"  {service}: $ per million output tokens, accrued: {shown}{more}"


def serving_lines(s: RunSummary) -> list[str]:
    """A table of each service's latencies (ms), SLO attainment, goodput and replicas, then
    its price per million output tokens under each priced option."""
    serving = s.serving
    if not serving:
        return []
    table = _table()
    table.add_column("service")
    for header in ("TTFT", "TPOT", "e2e", "SLO met", "goodput req/s", "replicas"):
        table.add_column(header, justify="right", no_wrap=True)
    for name, fig in sorted(serving.items()):
        table.add_row(
            name,
            _three(fig, "ttft"),
            _three(fig, "tpot"),
            _three(fig, "e2e"),
            fmt(fig.slo_attainment, "%", 100),
            fmt(fig.goodput_rps, digits=2),
            f"{fig.replicas_peak} peak, {fmt(fig.replicas_mean)} mean",
        )
    lines = ["serving (latencies in ms: p50 / p90 / p99):"]
    lines += ["    " + line for line in render(table)]
    for name in sorted(serving):
        price = _usd_per_million_tokens(s, name)
        if price:
            lines.append(price)
    return lines


def headline_lines(s: RunSummary) -> list[str]:
    """The run in six lines: jobs, waits, GPUs, interruptions, energy."""
    return [
        f"{s.scenario}: {s.total_gpus:,} GPUs over {s.horizon_days:g} days (seed {s.seed})",
        f"  jobs: {s.jobs_submitted:,} submitted, {s.jobs_completed:,} completed, "
        f"{s.jobs_running:,} running, {s.jobs_queued:,} queued at the end",
        f"  wait: mean {fmt(s.mean_wait_s, ' h', 1 / 3600, 2)}, "
        f"p95 {fmt(s.p95_wait_s, ' h', 1 / 3600, 2)}",
        f"  GPUs: {fmt(s.gpu_utilization, '%', 100)} allocated, "
        f"{fmt(s.busy_gpu_fraction, '%', 100)} busy, "
        f"fragmentation {fmt(s.mean_fragmentation, '%', 100)}",
        f"  failures {s.failures:,}, checkpoints {s.checkpoints:,}, "
        f"preemptions {s.preemptions:,}, lost work {fmt(s.lost_work_hours, ' h')}",
        f"  energy: {fmt(s.it_energy_kwh, ' MWh', 1e-3, 2)} IT, "
        f"{fmt(s.facility_energy_kwh, ' MWh', 1e-3, 2)} facility, "
        f"{fmt(s.carbon_kg, ' t CO2e', 1e-3, 2)}; peak {fmt(s.peak_facility_kw, ' kW')}",
    ]


def answer_lines(s: RunSummary) -> list[str]:
    """The run's title, then the answers (training, serving), then the cluster's six lines
    (costs are added by the caller): the question's answer comes first."""
    title, *cluster = headline_lines(s)
    answers = training_lines(s.training_jobs) + serving_lines(s)
    return [title, *answers, "cluster:", *cluster]
