"""Shared figure pieces: one look for every chart, time axes in humane units, step traces.

Sections build plotly figures from already-reduced arrays (see `downsample`), so what a page
embeds is bounded by the number of sections, not by the size of the run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from simulator.report.downsample import MAX_BUCKETS, step_envelope
from simulator.report.escape import label

COLORS = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)


@dataclass(frozen=True)
class TimeAxis:
    """Seconds shown as hours for short runs and days for long ones."""

    scale: float
    title: str

    @classmethod
    def for_horizon(cls, horizon_s: float) -> TimeAxis:
        """Hours up to two days, days beyond."""
        if horizon_s <= 2 * 86400:
            return cls(1 / 3600.0, "time (hours)")
        return cls(1 / 86400.0, "time (days)")

    @property
    def unit(self) -> str:
        """The axis unit in the singular, for sentences ("from day 3.2")."""
        return "hour" if self.scale > 1 / 86400.0 else "day"


def figure(x_title: str, y_title: str, **layout: object) -> go.Figure:
    """An empty figure with the report's look and fixed sizing (no autosize surprises)."""
    settings: dict[str, object] = {
        "template": "plotly_white",
        "margin": {"l": 60, "r": 20, "t": 30, "b": 50},
        "legend": {"orientation": "h", "y": -0.2},
        "xaxis_title": label(x_title),
        "yaxis_title": label(y_title),
        "hovermode": "x unified",
    }
    settings.update(layout)
    fig = go.Figure()
    fig.update_layout(**settings)
    return fig


def add_step(
    fig: go.Figure,
    timeline: pd.DataFrame,
    column: str,
    name: str,
    axis: TimeAxis,
    end_s: float,
    color: str,
    scale: float = 1.0,
    buckets: int = MAX_BUCKETS,
    **trace: object,
) -> None:
    """Add `timeline[column]` as a downsampled step line."""
    t, v = step_envelope(timeline["time_s"], timeline[column], end_s, buckets)
    fig.add_trace(
        go.Scatter(
            x=np.round(t * axis.scale, 6),
            y=np.round(v * scale, 4),
            name=label(name),
            mode="lines",
            line={"shape": "hv", "color": color, "width": 1.5},
            **trace,
        )
    )


def add_level(fig: go.Figure, value: float, name: str, x0: float, x1: float, color: str) -> None:
    """A dashed horizontal line drawn as a trace (so it appears in the legend)."""
    fig.add_trace(
        go.Scatter(
            x=[x0, x1],
            y=[value, value],
            name=label(name),
            mode="lines",
            line={"color": color, "dash": "dash", "width": 1.5},
        )
    )


def constant_value(values: np.ndarray | pd.Series) -> float | None:
    """The one value a series holds throughout (None when it changes or is empty).

    A plot of a flat line says nothing a sentence could not ("the queue was empty all run"),
    so sections ask this before drawing one.
    """
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0 or not np.all(v == v[0]):
        return None
    return float(v[0])


def quantity(value: float, unit: str) -> str:
    """A value for a sentence: whole numbers without decimals, others to 3 significant digits."""
    shown = f"{value:,.0f}" if value == int(value) else f"{value:,.3g}"
    return f"{shown} {unit}".strip()
