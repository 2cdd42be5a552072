"""Every price option of a scenario, side by side: the one entry point callers use.

`price_scenario(loaded, results)` prices each option in `pricing.options` over the cost
horizon, simulating the extra worlds spot and hybrid options need (see `worlds`), and returns
the tables and summary that `infrasim run` attaches to its results:

- `cost_options`: one row per option (totals, cost per GPU-hour delivered and per goodput
  GPU-hour, energy, carbon, fixed and variable parts);
- `cost_monthly`: (option, month, category, usd), accrued; categories add up to each
  option's total, months to the horizon;
- `cost_cumulative`: (option, month, cumulative_usd) cash curves (capital paid on arrival)
  plus `accrued_usd`, the running sum of `cost_monthly`;
- `capacity_monthly`: the capacity-plan view of the scenario as written (see `capacity`);
- summary `costs`: per option figures, `break_even_month` and `beat_utilization` for every
  owned option against every rented one, the cheapest option, and capacity-plan verdicts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from simulator.economics.breakeven import beat_utilization, break_even_month
from simulator.economics.capacity import breaks_at_month, capacity_by_month
from simulator.economics.energy import energy_cost, read_carbon_trace
from simulator.economics.ledger import OptionCost
from simulator.economics.months import MONTH_S, Calendar
from simulator.economics.purchases import Rented, purchase_of
from simulator.economics.serving_capacity import slo_breaks_at_month
from simulator.economics.usage import Usage
from simulator.economics.worlds import BASE, world_key, world_scenario
from simulator.invariants import check_invariants
from simulator.results import Results, plain, simulate
from simulator.scenario import LoadedScenario
from simulator.schema.run_summary import CostSummary, RunSummary

OPTION_COLUMNS = [
    "option",
    "sheet",
    "purchase",
    "total_usd",
    "usd_per_gpu_hour",
    "usd_per_goodput_gpu_hour",
    "delivered_gpu_hours",
    "goodput_gpu_hours",
    "fixed_usd",
    "variable_usd",
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
    simulate_fn: Callable[..., Results] = simulate,
) -> CostReport:
    """Price every option the scenario lists against `results` (and the worlds it needs).

    Raises:
        InputError: an option needs a price, rate or sheet section that is missing.
    """
    options = loaded.scenario.pricing.options
    report = CostReport()
    if not options:
        return report
    months = horizon_months_of(loaded, horizon_months)
    sim_s = results.summary.horizon_days * 86400.0
    calendar = Calendar(months, sim_s)
    first_pool = loaded.scenario.cluster.pools[0].name
    trace = read_carbon_trace(loaded)
    seed = results.summary.seed
    worlds: dict[tuple, tuple[Results, Usage]] = {}
    serving_usd: dict[str, dict[str, float]] = {}

    def world(key: tuple) -> tuple[Results, Usage]:
        if key not in worlds:
            res = results if key == BASE else simulate_fn(world_scenario(loaded, key), seed=seed)
            worlds[key] = (res, Usage.of(res, calendar, first_pool))
        return worlds[key]

    for i, option in enumerate(options):
        where = f"pricing.options[{i}]"
        res, usage = world(world_key(loaded, option, where))
        summary = res.summary
        energy = energy_cost(loaded, usage, summary, trace)
        cost = purchase_of(option.purchase).price(loaded, option, where, usage, energy, summary)
        rate = cost.per(cost.delivered_gpu_hours)
        runs = usage.jobs[(usage.jobs["kind"] == "training") & (usage.jobs["gpu_hours"] > 0)]
        loaded_runs = {r.name: r.gpu_hours * rate for r in runs.itertuples() if rate is not None}
        cost.training_runs = {**loaded_runs, **cost.training_runs}
        report.options.append(cost)
        serving_usd[cost.name] = _serving(summary, rate)
    _assemble(loaded, results, report, calendar, serving_usd)
    return report


def _option_summary(cost: OptionCost, serving: dict[str, float]) -> dict[str, Any]:
    return {
        "sheet": cost.sheet,
        "purchase": cost.purchase,
        "total_usd": cost.total_usd,
        "usd_per_gpu_hour": cost.per(cost.delivered_gpu_hours),
        "usd_per_goodput_gpu_hour": cost.per(cost.goodput_gpu_hours),
        "delivered_gpu_hours": cost.delivered_gpu_hours,
        "goodput_gpu_hours": cost.goodput_gpu_hours,
        "energy_mwh": cost.energy_kwh / 1000.0,
        "carbon_t": cost.carbon_kg / 1000.0,
        "by_category_usd": {k: float(v.sum()) for k, v in cost.categories.items() if v.any()},
        "training_runs_usd": cost.training_runs,
        "usd_per_million_output_tokens": serving,
        "burst_jobs": cost.burst_jobs,
        "notes": cost.notes,
    }


def _assemble(
    loaded: LoadedScenario,
    results: Results,
    report: CostReport,
    calendar: Calendar,
    serving: dict[str, dict[str, float]],
) -> None:
    rows = []
    for c in report.options:
        rows.append(
            (
                c.name,
                c.sheet,
                c.purchase,
                c.total_usd,
                c.per(c.delivered_gpu_hours),
                c.per(c.goodput_gpu_hours),
                c.delivered_gpu_hours,
                c.goodput_gpu_hours,
                c.total_usd - c.variable_usd,
                c.variable_usd,
                c.energy_kwh / 1000.0,
                c.carbon_kg / 1000.0,
                c.burst_jobs,
            )
        )
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
    summary = {
        "horizon_months": calendar.horizon_s / MONTH_S,
        "simulated_months": calendar.simulated_s / MONTH_S,
        "options": {c.name: _option_summary(c, serving.get(c.name, {})) for c in report.options},
        "break_even_month": {
            o.name: {r.name: break_even_month(o.cash_usd, r.cash_usd) for r in rented}
            for o in owned
        },
        "beat_utilization": {
            o.name: {r.name: beat_utilization(o, r) for r in rented} for o in owned
        },
        "cheapest": min(report.options, key=lambda c: c.total_usd).name,
        "capacity": {
            "max_p95_wait_hours": limit,
            "breaks_at_month": breaks_at_month(capacity, limit),
            "min_slo_attainment": min_slo,
            "slo_breaks_at_month": slo_breaks_at_month(capacity, min_slo),
        },
        "notes": [
            "accrued totals spread capital over its depreciation life; cumulative curves and "
            "break-even are cash (capital paid when the nodes arrive, no capital charge)",
            "months past the simulated window repeat its average use and energy",
        ],
    }
    report.summary = CostSummary.model_validate(plain(summary))  # NaN figures become None


def _stacked(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames one under another, empty ones left out (pandas 2 and 3 disagree on whether
    an empty frame's columns take part in choosing the result's column types)."""
    kept = [f for f in frames if len(f)]
    return pd.concat(kept, ignore_index=True) if kept else frames[0]


def attach_costs(
    loaded: LoadedScenario, results: Results, horizon_months: float | None = None
) -> None:
    """Price the scenario's options and add the cost tables and `summary['costs']` to
    `results`; then check the run's invariants again, now that costs must add up too.

    What `infrasim run`, `infrasim cost compare` and every sweep run call.
    """
    report = price_scenario(loaded, results, horizon_months=horizon_months)
    if report.summary is not None:
        results.tables.update(report.tables)
        results.summary = results.summary.with_costs(report.summary)
    check_invariants(results)
