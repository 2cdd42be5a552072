"""A sweep's page: its Pareto front and how each swept field moves each figure.

The sweep package owns the table (one row per point: swept fields, `<figure>_mean`,
`<figure>_ci95`, `status`, `feasible`, `pareto`) and passes it here with the names of its
columns; this module only draws (the report package is the one place plotly is imported) and
hands the sections to `render_page`, so the page is as offline, escaped and reproducible as a
run's report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulator.report.escape import label
from simulator.report.figures import COLORS, figure
from simulator.report.page import Section, render_page

MAX_SENSITIVITY_FIGURES = 4
"""Figures drawn per axis in the sensitivity plots (objectives first): more get unreadable."""


@dataclass(frozen=True)
class SweepFigure:
    """A figure the sweep tabulated: its column stem and, for objectives, the goal."""

    column: str
    goal: str | None = None


def _hover(table: pd.DataFrame, axes: Sequence[str]) -> list[str]:
    texts = []
    for _, row in table.iterrows():
        parts = [f"point {int(row['point'])}"] + [f"{a} = {row[a]}" for a in axes]
        texts.append(label("<br>".join(parts)).replace("&lt;br&gt;", "<br>"))
    return texts


def _error(table: pd.DataFrame, column: str) -> dict[str, Any]:
    ci = table[f"{column}_ci95"]
    if ci.notna().any():
        return {"type": "data", "array": ci.fillna(0.0).tolist(), "visible": True}
    return {"visible": False}


def pareto_section(
    table: pd.DataFrame, axes: Sequence[str], objectives: Sequence[SweepFigure]
) -> list[Section]:
    """Scatter of the first two objectives: front, other feasible points, infeasible points."""
    if len(objectives) < 2:
        return []
    x, y = objectives[0].column, objectives[1].column
    ok = table[table["status"] == "ok"]
    fig = figure(f"{x} ({objectives[0].goal})", f"{y} ({objectives[1].goal})", hovermode="closest")
    groups = (
        ("infeasible", ok[~ok["feasible"]], "#b0b7bf"),
        ("feasible", ok[ok["feasible"] & ~ok["pareto"]], COLORS[0]),
        ("Pareto front", ok[ok["pareto"]].sort_values([f"{x}_mean", f"{y}_mean"]), COLORS[3]),
    )
    for name, part, color in groups:
        if part.empty:
            continue
        front = name == "Pareto front"
        fig.add_trace(
            go.Scatter(
                x=part[f"{x}_mean"].tolist(),
                y=part[f"{y}_mean"].tolist(),
                error_x=_error(part, x),
                error_y=_error(part, y),
                mode="lines+markers" if front else "markers",
                line={"shape": "hv", "color": color} if front else None,
                marker={"color": color, "size": 9 if front else 7},
                name=name,
                text=_hover(part, axes),
                hovertemplate="%{text}<br>%{x:.4g}, %{y:.4g}<extra></extra>",
            )
        )
    front = table[table["pareto"]][["point", *axes, f"{x}_mean", f"{y}_mean"]]
    return [
        Section(
            "Pareto front",
            f"Mean {x} against mean {y} per configuration, with 95% intervals; the front holds "
            "the feasible points no other feasible point beats on both.",
            figure=fig,
            table=front.reset_index(drop=True),
        )
    ]


def sensitivity_sections(
    table: pd.DataFrame, axes: Sequence[Sequence[str]], figures: Sequence[SweepFigure]
) -> list[Section]:
    """Per axis: each figure against the axis's values, every point plus the average.

    `axes` holds each axis's columns; a zipped axis is drawn against its first column (its
    other columns move with it).
    """
    shown = list(figures)[:MAX_SENSITIVITY_FIGURES]
    ok = table[table["status"] == "ok"]
    if ok.empty or not shown:
        return []
    flat = [c for group in axes for c in group]
    sections = []
    for group in axes:
        axis = group[0]
        fig = make_subplots(
            rows=1, cols=len(shown), subplot_titles=[label(f.column) for f in shown]
        )
        order = list(dict.fromkeys(table[axis].tolist()))
        categorical = not all(isinstance(v, int | float) for v in order)
        for col, f in enumerate(shown, start=1):
            xs = ok[axis].astype(str) if categorical else ok[axis]
            fig.add_trace(
                go.Scatter(
                    x=xs.tolist(),
                    y=ok[f"{f.column}_mean"].tolist(),
                    error_y=_error(ok, f.column),
                    mode="markers",
                    marker={"color": COLORS[0], "size": 6, "opacity": 0.6},
                    name="points",
                    legendgroup="points",
                    showlegend=col == 1,
                    text=_hover(ok, flat),
                    hovertemplate="%{text}<br>%{y:.4g}<extra></extra>",
                ),
                row=1,
                col=col,
            )
            means = ok.groupby(axis, sort=False)[f"{f.column}_mean"].mean()
            keys = [v for v in order if v in means.index]
            fig.add_trace(
                go.Scatter(
                    x=[str(v) for v in keys] if categorical else keys,
                    y=[float(means[v]) for v in keys],
                    mode="lines+markers",
                    line={"color": COLORS[1]},
                    name="average over the other axes",
                    legendgroup="average",
                    showlegend=col == 1,
                ),
                row=1,
                col=col,
            )
            if categorical:
                fig.update_xaxes(type="category", row=1, col=col)
        fig.update_layout(
            template="plotly_white",
            margin={"l": 60, "r": 20, "t": 40, "b": 50},
            legend={"orientation": "h", "y": -0.2},
            hovermode="closest",
        )
        fig.update_xaxes(title_text=label(axis), automargin=True)
        together = f" (with {', '.join(group[1:])})" if len(group) > 1 else ""
        sections.append(
            Section(
                f"Sensitivity to {axis}{together}",
                f"Each figure's mean (95% interval) at every point, against {axis}; the line "
                "averages over the other axes.",
                figure=fig,
                height_px=380,
            )
        )
    return sections


def render_sweep_page(
    title: str,
    table: pd.DataFrame,
    axes: Sequence[Sequence[str]],
    figures: Sequence[SweepFigure],
    subtitle: str = "",
) -> str:
    """The sweep's self-contained HTML page: front, sensitivity, and the whole table.

    Args:
        title: page title.
        table: the sweep table (see the module docstring for its columns).
        axes: the table columns of each axis (several for a zipped axis), in axis order.
        figures: the figures tabulated, objectives carrying their goal.
        subtitle: a line under the title.
    """
    flat = [c for group in axes for c in group]
    objectives = [f for f in figures if f.goal is not None]
    counts = table["status"].value_counts()
    summary = (
        f"{len(table):,} points: {int(counts.get('ok', 0)):,} simulated, "
        f"{int(counts.get('invalid', 0)):,} invalid, {int(counts.get('pruned', 0)):,} pruned; "
        f"{int(table['feasible'].sum()):,} meet every constraint, "
        f"{int(table['pareto'].sum()):,} on the front."
    )
    sections = [
        Section("Summary", summary),
        *pareto_section(table, flat, objectives),
        *sensitivity_sections(table, axes, sorted(figures, key=lambda f: f.goal is None)),
        Section(
            "All points",
            "Every configuration: swept fields, status, mean and 95% half-width of each figure.",
            table=table,
        ),
    ]
    return render_page(title, sections, subtitle)
