"""Headline figures as cards: what a planner quotes from the report."""

from __future__ import annotations

from typing import Any

from simulator.report.answers import usd
from simulator.report.escape import text
from simulator.report.page import Section
from simulator.results import Results


def _pct(value: Any) -> str:
    return "n/a" if value is None else f"{float(value) * 100:.1f}%"


def _num(value: Any, unit: str, scale: float = 1.0, digits: int = 1) -> str:
    return "n/a" if value is None else f"{float(value) * scale:,.{digits}f} {unit}"


def goodput(results: Results) -> float | None:
    """GPU-time-weighted goodput of the training jobs that started (None without any)."""
    jobs = results.jobs
    if jobs.empty or "kind" not in jobs:
        return None
    training = jobs[(jobs["kind"] == "training") & jobs["run_s"].notna() & (jobs["run_s"] > 0)]
    if training.empty:
        return None
    weight = training["num_gpus"].to_numpy(dtype=float)
    run = (training["run_s"].to_numpy(dtype=float) * weight).sum()
    useful = (training["useful_s"].to_numpy(dtype=float) * weight).sum()
    return float(useful / run) if run > 0 else None


def headline(results: Results) -> list[tuple[str, str]]:
    """(label, value) pairs for the summary cards, in display order."""
    s = results.summary
    cards: list[tuple[str, str]] = []
    costs = s.costs
    if costs is not None and costs.options:
        cash, accrued = costs.option(costs.cheapest.cash), costs.option(costs.cheapest.accrued)
        cards.append(("cheapest in cash", f"{usd(cash.cost_cash_usd)} ({cash.name})"))
        cards.append(("cheapest accrued", f"{usd(accrued.cost_accrued_usd)} ({accrued.name})"))
    cards += [
        ("facility energy", _num(s.facility_energy_kwh, "MWh", 1e-3)),
        ("carbon", _num(s.carbon_kg, "t CO2e", 1e-3)),
        ("GPUs allocated (time average)", _pct(s.gpu_utilization)),
        ("GPUs busy (time average)", _pct(s.busy_gpu_fraction)),
    ]
    good = goodput(results)
    if good is not None:
        cards.append(("training goodput", _pct(good)))
    for service, figures in sorted((s.serving or {}).items()):
        cards.append((f"SLO attainment ({service})", _pct(figures.slo_attainment)))
    cards += [
        ("jobs completed", f"{s.jobs_completed:,} of {s.jobs_submitted:,}"),
        ("p95 wait", _num(s.p95_wait_s, "h", 1 / 3600, 2)),
        ("failures", f"{s.failures:,}"),
        ("peak facility power", _num(s.peak_facility_kw, "kW")),
    ]
    return cards


def cards_html(cards: list[tuple[str, str]]) -> str:
    """Cards as escaped HTML."""
    items = "".join(
        f'<div class="card"><div class="v">{text(value)}</div><div class="k">{text(key)}</div>'
        "</div>"
        for key, value in cards
    )
    return f'<div class="cards">{items}</div>'


def sections(results: Results) -> list[Section]:
    """The summary cards."""
    s = results.summary
    sentence = (
        f"Headline figures of {s.total_gpus:,} GPUs over "
        f"{s.horizon_days:g} days: cost, energy, carbon, utilization, goodput "
        "and service levels."
    )
    return [Section("Run in figures", sentence, html=cards_html(headline(results)))]
