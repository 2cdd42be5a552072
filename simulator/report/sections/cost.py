"""Cost: spend by category and month per option, and cumulative cost with the break-even.

Rendered only when the economics layer has added its tables (`cost_options`, `cost_monthly`,
`cost_cumulative`) and `summary["costs"]`; a scenario without price options shows none.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulator.report.escape import label
from simulator.report.figures import COLORS, figure
from simulator.report.page import Section
from simulator.results import Results
from simulator.schema.run_summary import CostSummary

OPTION_COLUMNS = (
    "option",
    "sheet",
    "purchase",
    "total_usd",
    "fixed_usd",
    "variable_usd",
    "usd_per_gpu_hour",
    "usd_per_goodput_gpu_hour",
    "energy_mwh",
    "carbon_t",
)


def monthly(results: Results) -> list[Section]:
    """Stacked monthly spend by category, one panel per cost option."""
    table = results.tables.get("cost_monthly")
    if table is None or table.empty:
        return []
    options = sorted(table["option"].astype(str).unique())
    categories = sorted(table["category"].astype(str).unique())
    fig = make_subplots(
        rows=len(options),
        cols=1,
        shared_xaxes=True,
        subplot_titles=[label(o) for o in options],
        vertical_spacing=min(0.08, 0.3 / len(options)),
    )
    in_legend: set[str] = set()
    for row, option in enumerate(options, start=1):
        part = table[table["option"].astype(str) == option]
        for i, category in enumerate(categories):
            rows = part[part["category"].astype(str) == category].sort_values("month")
            if rows.empty:
                continue
            first = category not in in_legend
            in_legend.add(category)
            fig.add_trace(
                go.Bar(
                    x=rows["month"],
                    y=rows["usd"],
                    name=label(category),
                    legendgroup=label(category),
                    showlegend=first,
                    marker={"color": COLORS[i % len(COLORS)]},
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(title_text="USD", row=row, col=1)
    fig.update_xaxes(title_text="month", row=len(options), col=1)
    fig.update_layout(
        template="plotly_white",
        barmode="stack",
        margin={"l": 60, "r": 20, "t": 40, "b": 50},
        legend={"orientation": "h", "y": -0.1},
    )
    sentence = (
        "What each cost option spends per month, stacked by category (compute, power, "
        "facility, storage, network and the like)."
    )
    height = 140 + 220 * len(options)
    return [Section("Cost by category and month", sentence, figure=fig, height_px=height)]


def _break_even(costs: CostSummary | None) -> list[tuple[str, float]]:
    """(label, month) pairs from `summary.costs.break_even_month`
    (`{owned option: {rented option: month or None}}`); pairs that never break even are
    left out."""
    if costs is None:
        return []
    return [
        (f"{owned} breaks even with {rented}", float(month))
        for owned, inner in sorted(costs.break_even_month.items())
        for rented, month in sorted(inner.items())
        if month is not None
    ]


def cumulative(results: Results) -> list[Section]:
    """Cumulative cost per option (cloud, on-prem, hybrid) with the break-even marked."""
    table = results.tables.get("cost_cumulative")
    if table is None or table.empty:
        return []
    fig = figure("month", "cumulative cost (USD)")
    options = sorted(table["option"].astype(str).unique())
    for i, option in enumerate(options):
        rows = table[table["option"].astype(str) == option].sort_values("month")
        fig.add_trace(
            go.Scatter(
                x=rows["month"],
                y=rows["cumulative_usd"],
                name=label(option),
                mode="lines",
                line={"color": COLORS[i % len(COLORS)], "width": 2},
            )
        )
    top = float(table["cumulative_usd"].max())
    marks = _break_even(results.summary.costs)
    for name, month in marks:
        fig.add_trace(
            go.Scatter(
                x=[month, month],
                y=[0.0, top],
                name=label(f"{name} (month {month:g})"),
                mode="lines",
                line={"color": "#333333", "dash": "dot", "width": 1.5},
            )
        )
    sentence = "Cumulative cash spent by each option month by month (capital paid when nodes "
    sentence += "arrive)" + (
        "; a dotted line marks where owning breaks even with renting."
        if marks
        else "; no option breaks even with another within the horizon."
    )
    options_table = results.tables.get("cost_options")
    shown = None
    if options_table is not None and not options_table.empty:
        columns = [c for c in OPTION_COLUMNS if c in options_table.columns]
        shown = options_table[columns].sort_values("option", kind="stable")
    return [Section("Cumulative cost and break-even", sentence, figure=fig, table=shown)]


def sections(results: Results) -> list[Section]:
    """The cost sections (none when the run priced no options)."""
    return monthly(results) + cumulative(results)
