"""Every price option of a scenario, side by side, on both cost bases: the one entry point
callers use.

`price_scenario(loaded, results)` prices each option in `pricing.options`, simulating the
extra worlds spot and hybrid options need (see `worlds`), and returns the tables and summary
that `infrasim run` attaches to its results. Every figure names its basis, cash or accrued
(`simulator.schema.cost_summary`):

- `cost_options`: one row per option, the scalar figures of `CostOptionSummary` (both bases,
  residual value, net cash, unused commitment) plus the option's own `horizon_months`;
- `cost_monthly`: (option, month, days, basis, category, usd); on each basis categories add
  up to that basis's total; `days` is the month bucket's length (the last may be partial);
- `cost_cumulative`: (option, month, days, cumulative_cash_usd, cumulative_accrued_usd);
- `capacity_monthly`: the capacity-plan view of the scenario as written (see `capacity`);
- summary `costs`: per option figures, the cheapest option per basis, break-even month and
  beat utilization for every owned option against every rented one on each basis, and
  capacity-plan verdicts.

Modes (`pricing.mode`, `cost compare --project`): `horizon` prices a standing cluster over
the cost horizon; `project` answers "train this once": each option's horizon is the time its
own world takes to finish the scenario's training jobs (a spot or burst world finishes at
another time than the scenario as written). Owned hardware is bought, used for that span and
valued at resale at its end (net cash); reservations still pay their whole term. A training
job that does not finish within the simulated horizon under some option is an InputError
naming it (lengthen `horizon_days`): a project cost of an unfinished project would flatter.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from simulator.economics.breakeven import beat_utilization, break_even_month
from simulator.economics.capacity import breaks_at_month, capacity_by_month
from simulator.economics.energy import energy_cost, read_carbon_trace
from simulator.economics.ledger import OptionCost
from simulator.economics.months import DAY_S, MONTH_S, Calendar
from simulator.economics.purchases import Rented, purchase_of
from simulator.economics.serving_capacity import slo_breaks_at_month
from simulator.economics.usage import Usage
from simulator.economics.worlds import BASE, world_key, world_scenario
from simulator.errors import InputError, Problem
from simulator.invariants import check_invariants
from simulator.results import Results, plain, simulate
from simulator.scenario import LoadedScenario
from simulator.schema.cost_summary import CostBasis, CostSummary
from simulator.schema.run_summary import RunSummary

BASES: tuple[CostBasis, ...] = ("cash", "accrued")
Mode = Literal["horizon", "project"]

OPTION_COLUMNS = [
    "name",
    "sheet",
    "purchase",
    "billing",
    "horizon_months",
    "cost_cash_usd",
    "cost_accrued_usd",
    "residual_value_usd",
    "net_cash_usd",
    "unused_commitment_usd",
    "usd_per_gpu_hour_cash",
    "usd_per_gpu_hour_accrued",
    "usd_per_goodput_gpu_hour_cash",
    "usd_per_goodput_gpu_hour_accrued",
    "delivered_gpu_hours",
    "goodput_gpu_hours",
    "energy_mwh",
    "carbon_t",
    "burst_jobs",
]


@dataclass
class CostReport:
    """Priced options, their tables and the summary block (None when nothing is priced)."""

    options: list[OptionCost] = field(default_factory=list)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    summary: CostSummary | None = None


def horizon_months_of(loaded: LoadedScenario, override: float | None = None) -> float:
    """The cost horizon: the override, else `pricing.horizon_months`, else the simulation's."""
    if override is not None:
        return override
    given = loaded.scenario.pricing.horizon_months
    return given if given is not None else loaded.scenario.horizon_days * 86400.0 / MONTH_S


def project_months(loaded: LoadedScenario, results: Results, option: str, where: str) -> float:
    """Months from the start until the last training job of `results` finishes.

    Raises:
        InputError: the scenario has no training job, or one did not finish in the run.
    """
    jobs = results.jobs
    training = jobs[jobs["kind"] == "training"]
    if training.empty:
        raise InputError(
            [Problem(str(loaded.path), "pricing.mode", "project mode needs a training job")]
        )
    unfinished = training[training["status"] != "completed"]
    if len(unfinished):
        names = ", ".join(sorted(unfinished["name"].astype(str)))
        days = results.summary.horizon_days
        raise InputError(
            [
                Problem(
                    str(loaded.path),
                    where,
                    f"project mode: under option {option!r} training job(s) {names} did not "
                    f"finish within the simulated {days:g} days; lengthen horizon_days",
                )
            ]
        )
    return float(training["end_s"].max()) / MONTH_S


def _serving(summary: RunSummary, usd_per_gpu_hour: float | None) -> dict[str, float]:
    """USD per million output tokens per service, from the serving summary when present."""
    out: dict[str, float] = {}
    if summary.serving is None or usd_per_gpu_hour is None:
        return out
    for name, s in summary.serving.items():
        per_m = s.gpu_hours_per_million_output_tokens
        if per_m is not None and np.isfinite(per_m):
            out[name] = float(per_m) * usd_per_gpu_hour
    return out


def price_scenario(
    loaded: LoadedScenario,
    results: Results,
    *,
    horizon_months: float | None = None,
    mode: Mode | None = None,
    simulate_fn: Callable[..., Results] = simulate,
) -> CostReport:
    """Price every option the scenario lists against `results` (and the worlds it needs).

    `mode` overrides `pricing.mode`; `horizon_months` overrides the horizon (horizon mode).

    Raises:
        InputError: an option needs a price, rate or sheet section that is missing; project
            mode with a horizon, or with a training job that does not finish.
    """
    options = loaded.scenario.pricing.options
    report = CostReport()
    if not options:
        return report
    mode = mode or loaded.scenario.pricing.mode
    if mode == "project" and horizon_months is not None:
        raise InputError(
            [
                Problem(
                    "--horizon",
                    f"{horizon_months:g} months",
                    "project mode costs each option until its training jobs finish; "
                    "give no horizon",
                )
            ]
        )
    months = horizon_months_of(loaded, horizon_months)
    sim_s = results.summary.horizon_days * DAY_S
    first_pool = loaded.scenario.cluster.pools[0].name
    trace = read_carbon_trace(loaded)
    seed = results.summary.seed
    worlds: dict[tuple, Results] = {}
    usages: dict[tuple, Usage] = {}
    serving_usd: dict[str, dict[str, float]] = {}

    def world(key: tuple) -> Results:
        if key not in worlds:
            worlds[key] = (
                results if key == BASE else simulate_fn(world_scenario(loaded, key), seed=seed)
            )
        return worlds[key]

    for i, option in enumerate(options):
        where = f"pricing.options[{i}]"
        key = world_key(loaded, option, where)
        res = world(key)
        span = project_months(loaded, res, option.name, where) if mode == "project" else months
        if (key, span) not in usages:
            usages[(key, span)] = Usage.of(res, Calendar(span, sim_s), first_pool)
        usage = usages[(key, span)]
        summary = res.summary
        energy = energy_cost(loaded, usage, summary, trace)
        cost = purchase_of(option.purchase).price(loaded, option, where, usage, energy, summary)
        if cost.month_days is None:
            cost.month_days = usage.calendar.month_s() / DAY_S
        if mode == "project":
            cost.notes.append(f"project: its training jobs finish after {span:.2f} months")
        rate = cost.per(cost.delivered_gpu_hours, "accrued")
        runs = usage.jobs[(usage.jobs["kind"] == "training") & (usage.jobs["gpu_hours"] > 0)]
        loaded_runs = {r.name: r.gpu_hours * rate for r in runs.itertuples() if rate is not None}
        cost.training_runs = {**loaded_runs, **cost.training_runs}
        report.options.append(cost)
        serving_usd[cost.name] = _serving(summary, rate)
    spans = [u.calendar for u in usages.values()]
    horizon = max(c.horizon_s for c in spans) / MONTH_S if mode == "project" else months
    _assemble(loaded, results, report, mode, horizon, sim_s, serving_usd)
    return report


def option_figures(cost: OptionCost, serving: dict[str, float]) -> dict[str, Any]:
    """`CostOptionSummary` fields of one priced option."""
    return {
        "name": cost.name,
        "sheet": cost.sheet,
        "purchase": cost.purchase,
        "billing": cost.billing,
        "cost_cash_usd": cost.cash_usd,
        "cost_accrued_usd": cost.accrued_usd,
        "residual_value_usd": cost.residual_value_usd,
        "net_cash_usd": cost.net_cash_usd,
        "unused_commitment_usd": cost.unused_commitment_usd,
        "usd_per_gpu_hour_cash": cost.per(cost.delivered_gpu_hours, "cash"),
        "usd_per_gpu_hour_accrued": cost.per(cost.delivered_gpu_hours, "accrued"),
        "usd_per_goodput_gpu_hour_cash": cost.per(cost.goodput_gpu_hours, "cash"),
        "usd_per_goodput_gpu_hour_accrued": cost.per(cost.goodput_gpu_hours, "accrued"),
        "delivered_gpu_hours": cost.delivered_gpu_hours,
        "goodput_gpu_hours": cost.goodput_gpu_hours,
        "energy_mwh": cost.energy_kwh / 1000.0,
        "carbon_t": cost.carbon_kg / 1000.0,
        "by_category_accrued_usd": {
            k: float(v.sum()) for k, v in cost.categories.items() if v.any()
        },
        "training_runs_usd": cost.training_runs,
        "usd_per_million_output_tokens": serving,
        "burst_jobs": cost.burst_jobs,
        "notes": cost.notes,
    }


def _assemble(
    loaded: LoadedScenario,
    results: Results,
    report: CostReport,
    mode: Mode,
    horizon_months: float,
    sim_s: float,
    serving: dict[str, dict[str, float]],
) -> None:
    figures = [option_figures(c, serving.get(c.name, {})) for c in report.options]
    rows = [
        {**{k: f[k] for k in OPTION_COLUMNS if k in f}, "horizon_months": c.horizon_months}
        for c, f in zip(report.options, figures, strict=True)
    ]
    rented = [c for c in report.options if isinstance(purchase_of(c.purchase), Rented)]
    owned = [c for c in report.options if c not in rented]
    capacity = capacity_by_month(loaded, results)
    limit = loaded.scenario.pricing.max_p95_wait_hours
    min_slo = loaded.scenario.pricing.min_slo_attainment
    report.tables = {
        "cost_options": pd.DataFrame(rows, columns=OPTION_COLUMNS),
        "cost_monthly": _stacked([c.monthly_frame() for c in report.options]),
        "cost_cumulative": _stacked([c.cumulative_frame() for c in report.options]),
        "capacity_monthly": capacity,
    }
    break_even = [
        {
            "owned": o.name,
            "rented": r.name,
            "basis": basis,
            "month": break_even_month(o.series(basis), r.series(basis)),
            "beat_utilization": beat_utilization(o, r, basis),
        }
        for o in owned
        for r in rented
        for basis in BASES
    ]
    summary = {
        "mode": mode,
        "horizon_months": horizon_months,
        "simulated_months": sim_s / MONTH_S,
        "options": figures,
        "cheapest": {
            "cash": min(report.options, key=lambda c: c.cash_usd).name,
            "accrued": min(report.options, key=lambda c: c.accrued_usd).name,
            "net_cash": min(report.options, key=lambda c: c.net_cash_usd).name,
        },
        "break_even": break_even,
        "capacity": {
            "max_p95_wait_hours": limit,
            "breaks_at_month": breaks_at_month(capacity, limit),
            "min_slo_attainment": min_slo,
            "slo_breaks_at_month": slo_breaks_at_month(capacity, min_slo),
        },
        "notes": _notes(mode),
    }
    report.summary = CostSummary.model_validate(plain(summary))  # NaN figures become None


def _notes(mode: Mode) -> list[str]:
    notes = [
        "cash: capital when the nodes arrive, running costs monthly, commitments for their "
        "whole term (the part past the horizon in its last month); accrued: capital "
        "depreciated with its capital charge, commitments amortised over their term",
        "net cash: cash less the resale value of owned hardware at the horizon's end",
        "months past the simulated window repeat its average use and energy",
    ]
    if mode == "project":
        notes.append(
            "project mode: each option is costed until its own world finishes the training "
            "jobs; horizon_months is the longest of those spans"
        )
    return notes


def _stacked(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames one under another, empty ones left out (pandas 2 and 3 disagree on whether
    an empty frame's columns take part in choosing the result's column types)."""
    kept = [f for f in frames if len(f)]
    return pd.concat(kept, ignore_index=True) if kept else frames[0]


def attach_costs(
    loaded: LoadedScenario,
    results: Results,
    horizon_months: float | None = None,
    mode: Mode | None = None,
) -> None:
    """Price the scenario's options and add the cost tables and `summary['costs']` to
    `results`; then check the run's invariants again, now that costs must add up too.

    What `infrasim run`, `infrasim cost compare` and every sweep run call.
    """
    report = price_scenario(loaded, results, horizon_months=horizon_months, mode=mode)
    if report.summary is not None:
        results.tables.update(report.tables)
        results.summary = results.summary.with_costs(report.summary)
    check_invariants(results)
