"""`infrasim cost compare SCENARIO`: every price option side by side, with break-even.

Also `cost_lines`, the human-readable summary both commands print.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from simulator.cli.common import (
    JsonOption,
    ProfilesOption,
    SeedOption,
    SettingsOption,
    guarded,
    load_catalog,
    print_json,
)
from simulator.economics import attach_costs
from simulator.errors import InputError, Problem
from simulator.results import simulate
from simulator.scenario import load_scenario
from simulator.schema.run_summary import CostSummary

cost_app = typer.Typer(help="Cost, energy and carbon of a scenario's price options.")

_HORIZON = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(mo|m|months?|y|yr|years?)?\s*$")


def parse_horizon_months(text: str) -> float:
    """'36mo', '36', '3y' -> months."""
    match = _HORIZON.match(text)
    if not match or float(match.group(1)) <= 0:
        raise InputError([Problem("--horizon", text, "expected months like 36mo or years like 3y")])
    value = float(match.group(1))
    unit = (match.group(2) or "mo").lower()
    return value * 12.0 if unit.startswith("y") else value


def _money(usd: float | None) -> str:
    if usd is None:
        return "n/a"
    if abs(usd) >= 1e6:
        return f"${usd / 1e6:,.2f}M"
    return f"${usd:,.2f}"


def cost_lines(costs: CostSummary | None) -> list[str]:
    """The side-by-side cost table and break-even verdicts, as text lines (none unpriced)."""
    if costs is None:
        return []
    lines = [
        f"  costs over {costs.horizon_months:g} months (simulated {costs.simulated_months:.1f}):",
        f"    {'option':<22} {'purchase':<14} {'total':>11} {'$/GPU-h':>8} {'$/goodput-h':>11} "
        f"{'MWh':>9} {'tCO2e':>8}",
    ]
    for name, o in costs.options.items():
        per_h = o.usd_per_gpu_hour
        per_good = o.usd_per_goodput_gpu_hour
        lines.append(
            f"    {name:<22} {o.purchase:<14} {_money(o.total_usd):>11} "
            f"{(f'{per_h:.2f}' if per_h is not None else 'n/a'):>8} "
            f"{(f'{per_good:.2f}' if per_good is not None else 'n/a'):>11} "
            f"{o.energy_mwh:>9,.0f} {o.carbon_t:>8,.0f}"
        )
    for owned, against in costs.break_even_month.items():
        for rented, month in against.items():
            u = costs.beat_utilization[owned][rented]
            when = f"month {month}" if month is not None else "not within the horizon"
            beat = "never" if u is None else f"{u:.0%}"
            lines.append(
                f"    {owned} vs {rented}: break-even {when}; owning wins above {beat} utilization"
            )
    lines.append(f"    cheapest: {costs.cheapest}")
    cap = costs.capacity
    if cap.max_p95_wait_hours is not None:
        month = cap.breaks_at_month
        verdict = f"breaks in month {month}" if month else "holds"
        lines.append(f"    capacity plan (p95 wait <= {cap.max_p95_wait_hours:g} h): {verdict}")
    if cap.min_slo_attainment is not None:
        month = cap.slo_breaks_at_month
        verdict = f"breaks in month {month}" if month else "holds"
        lines.append(
            f"    serving plan (SLO attainment >= {cap.min_slo_attainment:.0%}): {verdict}"
        )
    return lines


@cost_app.command("compare")
@guarded
def compare_command(
    scenario: Annotated[Path, typer.Argument(help="Scenario YAML file.", show_default=False)],
    horizon: Annotated[
        str | None,
        typer.Option(
            "--horizon",
            help="Cost horizon, e.g. 36mo or 3y (default: pricing.horizon_months).",
            show_default=False,
        ),
    ] = None,
    seed: SeedOption = None,
    settings: SettingsOption = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
) -> None:
    """Simulate the scenario and price every option it lists: totals, break-even, carbon."""
    months = parse_horizon_months(horizon) if horizon is not None else None
    loaded = load_scenario(scenario, load_catalog(profiles), settings or [])
    if not loaded.scenario.pricing.options:
        raise InputError([Problem(str(scenario), "pricing.options", "lists no price options")])
    results = simulate(loaded, seed=seed)
    attach_costs(loaded, results, months)
    s = results.summary
    if json_:
        print_json(s.costs.to_dict() if s.costs is not None else None)
    else:
        typer.echo(f"{s.scenario}: {s.total_gpus:,} GPUs")
        typer.echo("\n".join(cost_lines(s.costs)))
