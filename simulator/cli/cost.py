"""`infrasim cost compare SCENARIO`: every price option side by side on both cost bases
(cash and accrued), with residual value, break-even per basis and the cheapest per basis.

Also `cost_lines`, the human-readable summary both `cost compare` and `run` print.
`--json` prints the `CostSummary` (`simulator.schema.cost_summary`, schema_version 2).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
from rich.table import Table

from simulator.cli.common import (
    JsonOption,
    ProfilesOption,
    SeedOption,
    SettingsOption,
    guarded,
    load_catalog,
    option_quantity,
    print_json,
    print_warnings,
)
from simulator.economics import attach_costs
from simulator.economics.months import MONTH_S
from simulator.errors import InputError, Problem
from simulator.provenance import provenance_warnings
from simulator.results import simulate
from simulator.scenario import load_scenario
from simulator.schema.cost_summary import BreakEven, CostSummary
from simulator.units import MONTHS

cost_app = typer.Typer(help="Cost, energy and carbon of a scenario's price options.")


def parse_horizon_months(text: str) -> float:
    """'36mo', '36', '3y', '90d' -> months, as `pricing.horizon_months` reads them."""
    return option_quantity("--horizon", text, MONTHS)


def _money(usd: float | None) -> str:
    if usd is None:
        return "n/a"
    if abs(usd) >= 1e6:
        return f"${usd / 1e6:,.2f}M"
    return f"${usd:,.2f}"


def _rate(usd: float | None) -> str:
    return "n/a" if usd is None else f"{usd:.2f}"


def cost_table(costs: CostSummary) -> Table:
    """Every option on both bases, side by side (a rich table)."""
    span = (
        "each option until its training jobs finish"
        if costs.mode == "project"
        else f"over {costs.horizon_months:g} months"
    )
    table = Table(
        title=f"costs {span} (simulated {_simulated(costs.simulated_months)})",
        box=box.SIMPLE,
        title_justify="left",
    )
    for header, justify in (
        ("option", "left"),
        ("purchase", "left"),
        ("billing", "left"),
        ("cash", "right"),
        ("accrued", "right"),
        ("residual", "right"),
        ("net cash", "right"),
        ("unused commitment", "right"),
        ("$/GPU-h cash", "right"),
        ("$/GPU-h accrued", "right"),
    ):
        table.add_column(  # names and figures whole; only the billing words wrap
            header,
            justify=justify,  # type: ignore[arg-type]
            no_wrap=header != "billing",
            min_width=26 if header == "billing" else None,
            overflow="fold",
        )
    for o in costs.options:
        table.add_row(
            o.name,
            o.purchase,
            o.billing or "-",
            _money(o.cost_cash_usd),
            _money(o.cost_accrued_usd),
            _money(o.residual_value_usd),
            _money(o.net_cash_usd),
            _money(o.unused_commitment_usd),
            _rate(o.usd_per_gpu_hour_cash),
            _rate(o.usd_per_gpu_hour_accrued),
        )
    return table


def break_even_line(costs: CostSummary, b: BreakEven) -> str:
    """'own vs rent over 36 months, cash basis: break-even month 18; owning wins above 62%
    utilization' (project mode: 'to finish the training jobs')."""
    span = (
        "to finish the training jobs"
        if costs.mode == "project"
        else (f"over {costs.horizon_months:g} months")
    )
    when = f"break-even month {b.month}" if b.month is not None else "no break-even within it"
    u = b.beat_utilization
    if u is None:
        beat = "owning never wins"
    elif u > 1:
        beat = f"owning would win only above full use ({u:.0%} utilization)"
    else:
        beat = f"owning wins above {u:.0%} utilization"
    return f"{b.owned} vs {b.rented} {span}, {b.basis} basis: {when}; {beat}"


def _simulated(months: float) -> str:
    """The simulated window in a unit that shows it (a one-hour serving run is not 0.0 months)."""
    days = months * MONTH_S / 86400.0
    if days >= 60:
        return f"{months:.1f} months"
    if days >= 2:
        return f"{days:.1f} days"
    return f"{days * 24:.1f} hours"


def cost_lines(costs: CostSummary | None, width: int = 180) -> list[str]:
    """The side-by-side cost table, break-even lines, cheapest per basis and capacity-plan
    verdicts, as plain text lines (none when nothing is priced)."""
    if costs is None:
        return []
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, highlight=False).print(cost_table(costs))
    lines = [line.rstrip() for line in out.getvalue().splitlines()]
    if costs.mode == "project":  # each option's own span
        lines += [
            f"    {o.name}: {note.removeprefix('project: ')}"
            for o in costs.options
            for note in o.notes
            if note.startswith("project: ")
        ]
    lines += [f"    {break_even_line(costs, b)}" for b in costs.break_even]
    c = costs.cheapest
    lines.append(f"    cheapest: cash {c.cash}, accrued {c.accrued}, net of resale {c.net_cash}")
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
    scenario: Annotated[
        Path,
        typer.Argument(
            help="Scenario YAML file, or a shipped scenario's name (`infrasim scenario list`).",
            show_default=False,
        ),
    ],
    horizon: Annotated[
        str | None,
        typer.Option(
            "--horizon",
            help="Cost horizon, e.g. 36mo or 3y (default: pricing.horizon_months).",
            show_default=False,
        ),
    ] = None,
    project: Annotated[
        bool,
        typer.Option(
            "--project",
            help="Project mode: cost each option until the training jobs finish in its own "
            "simulated world (buy, train once, resell), not a standing cluster over a horizon "
            "(default: pricing.mode).",
        ),
    ] = False,
    seed: SeedOption = None,
    settings: SettingsOption = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
) -> None:
    """Simulate the scenario and price every option it lists on both cost bases (cash and
    accrued), with residual value, break-even per basis, energy and carbon."""
    months = parse_horizon_months(horizon) if horizon is not None else None
    loaded = load_scenario(scenario, load_catalog(profiles), settings or [])
    if not loaded.scenario.pricing.options:
        raise InputError([Problem(str(scenario), "pricing.options", "lists no price options")])
    results = simulate(loaded, seed=seed)
    attach_costs(loaded, results, months, "project" if project else None)
    s = results.summary
    print_warnings(provenance_warnings(s))
    if json_:
        # the cost summary, plus the run's provenance (version, lock and scenario hashes,
        # the as_of of every price used) so the figures can be traced back
        costs = s.costs.to_dict() if s.costs is not None else {}
        provenance = s.provenance.to_dict() if s.provenance is not None else None
        print_json({**costs, "provenance": provenance})
    else:
        typer.echo(f"{s.scenario}: {s.total_gpus:,} GPUs")
        typer.echo("\n".join(cost_lines(s.costs)))
