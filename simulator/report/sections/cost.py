"""Cost: accrued spend by category and month per option, and cumulative cost on both bases.

Rendered only when the economics layer has added its tables (`cost_monthly`: option, month,
days, basis, category, usd; `cost_cumulative`: option, month, days, cumulative_cash_usd,
cumulative_accrued_usd) and `summary["costs"]`; a scenario without price options shows none.
Every chart names its basis in its title.

Month buckets are not all a month long: the last one of a horizon (or of the simulated span)
can be a few days. A short bucket's spend is a small bar that reads as a dip, so partial
months are marked on the chart (their bar says how many days it covers) and the cumulative
curves are drawn against elapsed months (days / 30.44), so a short bucket adds a short step.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulator.report.escape import label
from simulator.report.figures import COLORS, figure
from simulator.report.page import Section
from simulator.results import Results
from simulator.schema.cost_summary import CostSummary

DAYS_PER_MONTH = 365.25 / 12.0
PARTIAL_BELOW_DAYS = DAYS_PER_MONTH - 0.5
"""A bucket shorter than this (half a day short of a mean month) is marked partial."""


def month_days(table: pd.DataFrame) -> pd.Series:
    """Each row's bucket length in days (a mean month when the table has no `days`)."""
    if "days" in table:
        return table["days"].astype(float)
    return pd.Series(DAYS_PER_MONTH, index=table.index)


def partial_months(table: pd.DataFrame) -> dict[int, float]:
    """Month -> days of every bucket shorter than a month."""
    days = month_days(table)
    short = table.loc[days < PARTIAL_BELOW_DAYS, "month"].astype(int)
    return {int(m): float(d) for m, d in zip(short, days[short.index], strict=True)}


def monthly(results: Results) -> list[Section]:
    """Stacked accrued spend per month by category, one panel per cost option."""
    table = results.tables.get("cost_monthly")
    if table is None or table.empty:
        return []
    if "basis" in table:
        table = table[table["basis"].astype(str) == "accrued"]
        if table.empty:
            return []
    options = list(dict.fromkeys(table["option"].astype(str)))
    categories = sorted(table["category"].astype(str).unique())
    partial = partial_months(table)
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
            if rows.empty or not np.any(rows["usd"].to_numpy(dtype=float) != 0):
                continue
            first = category not in in_legend
            in_legend.add(category)
            fig.add_trace(
                go.Bar(
                    x=rows["month"].tolist(),
                    y=np.round(rows["usd"].to_numpy(dtype=float), 2).tolist(),
                    name=label(category),
                    legendgroup=label(category),
                    showlegend=first,
                    marker={"color": COLORS[i % len(COLORS)]},
                    hovertemplate="month %{x}: $%{y:,.0f}<extra>" + label(category) + "</extra>",
                ),
                row=row,
                col=1,
            )
        fig.update_yaxes(title_text="USD", row=row, col=1)
    if not in_legend:
        sentence = "What each cost option accrues per month, by category."
        return [Section("Accrued cost by month", sentence, note="Every option accrued $0.")]
    for month, length in sorted(partial.items()):
        fig.add_vrect(
            x0=month - 0.5,
            x1=month + 0.5,
            fillcolor="#d9e2ec",
            opacity=0.5,
            line_width=0,
            layer="below",
            annotation_text=f"partial: {length:.1f} d",
            annotation_position="top left",
            annotation_font_size=10,
        )
    simulated = projected_from(results, int(table["month"].max()))
    if simulated is not None:
        fig.add_vline(
            x=simulated + 0.5,
            line_dash="dot",
            line_color="#52606d",
            annotation_text="projected →",
            annotation_position="top right",
            annotation_font_size=10,
        )
    fig.update_xaxes(title_text="month", row=len(options), col=1)
    fig.update_layout(
        barmode="stack",
        margin={"l": 60, "r": 20, "t": 40, "b": 50},
        legend={"orientation": "h", "y": -0.1},
    )
    sentence = (
        "What each cost option accrues per month (depreciation, amortised commitments and "
        "running costs), stacked by category."
    )
    notes = []
    if partial:
        shown = ", ".join(f"month {m} covers {d:.1f} days" for m, d in sorted(partial.items()))
        notes.append(f"Shaded months are partial buckets, so their bars are short: {shown}.")
    if simulated is not None:
        notes.append(
            f"Months 1-{simulated} were simulated; the dotted line marks where the months "
            "projected from them begin, so a quiet simulated month (a job that finished "
            "early) shows as a low bar before it, not as a bucketing error."
        )
    note = " ".join(notes)
    height = 140 + 220 * len(options)
    return [
        Section(
            "Accrued cost by category and month", sentence, figure=fig, note=note, height_px=height
        )
    ]


def projected_from(results: Results, months: int) -> int | None:
    """The last simulated month when later months are projected, else None."""
    costs = results.summary.costs
    if costs is None:
        return None
    simulated = int(np.ceil(costs.simulated_months - 1e-9))
    return simulated if 0 < simulated < months else None


def break_even_marks(costs: CostSummary | None, basis: str) -> list[tuple[str, float]]:
    """(label, month) of every owned-vs-rented pair that breaks even on `basis`."""
    if costs is None:
        return []
    return [
        (f"{b.owned} breaks even with {b.rented} ({b.basis})", float(b.month))
        for b in costs.break_even
        if b.basis == basis and b.month is not None
    ]


def _cumulative_column(table: pd.DataFrame, basis: str) -> str | None:
    for column in (f"cumulative_{basis}_usd", "cumulative_usd" if basis == "cash" else ""):
        if column and column in table:
            return column
    return None


def cumulative_figure(
    table: pd.DataFrame, column: str, marks: list[tuple[str, float]]
) -> go.Figure:
    """Cumulative USD per option against elapsed months, with break-even lines."""
    fig = figure("elapsed months", "cumulative cost (USD)")
    for i, option in enumerate(dict.fromkeys(table["option"].astype(str))):
        rows = table[table["option"].astype(str) == option].sort_values("month")
        elapsed = np.cumsum(month_days(rows).to_numpy()) / DAYS_PER_MONTH
        fig.add_trace(
            go.Scatter(
                x=np.round(np.concatenate([[0.0], elapsed]), 4).tolist(),
                y=np.round(np.concatenate([[0.0], rows[column].to_numpy(dtype=float)]), 2).tolist(),
                name=label(option),
                mode="lines",
                line={"color": COLORS[i % len(COLORS)], "width": 2},
            )
        )
    top = float(table[column].max())
    for name, month in marks:
        fig.add_trace(
            go.Scatter(
                x=[month, month],
                y=[0.0, top],
                name=label(f"{name}: month {month:g}"),
                mode="lines",
                line={"color": "#333333", "dash": "dot", "width": 1.5},
            )
        )
    return fig


def cumulative(results: Results) -> list[Section]:
    """Cumulative cost per option, one chart per basis, with the break-even months marked."""
    table = results.tables.get("cost_cumulative")
    if table is None or table.empty:
        return []
    out = []
    words = {
        "cash": "cash paid (capital when the hardware arrives, commitments for their whole term)",
        "accrued": "cost accrued (capital depreciated, commitments amortised)",
    }
    for basis in ("cash", "accrued"):
        column = _cumulative_column(table, basis)
        if column is None:
            continue
        marks = break_even_marks(results.summary.costs, basis)
        fig = cumulative_figure(table, column, marks)
        sentence = f"Cumulative {words[basis]} by each option" + (
            "; a dotted line marks where owning breaks even with renting on this basis."
            if marks
            else "; no owned option breaks even with a rented one within the horizon on this basis."
        )
        out.append(Section(f"Cumulative cost ({basis})", sentence, figure=fig))
    return out


def sections(results: Results) -> list[Section]:
    """The cost sections (none when the run priced no options)."""
    return monthly(results) + cumulative(results)
