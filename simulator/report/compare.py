"""Several runs side by side (e.g. the same plan on H100, H200 and B200) in one page.

Each run keeps its colour across every chart; figures are shared-axis overlays, and the
headline table puts the runs in columns so a planner reads across.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from simulator.report.downsample import cdf
from simulator.report.escape import label
from simulator.report.figures import COLORS, TimeAxis, add_step, figure
from simulator.report.page import Section, render_page
from simulator.report.sections.cluster import horizon_s
from simulator.report.sections.summary import headline
from simulator.results import Results


def unique_labels(labels: list[str]) -> list[str]:
    """The labels, with `(2)`, `(3)`... appended to repeats so every run is told apart."""
    seen: dict[str, int] = {}
    out = []
    for name in labels:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def headline_table(runs: list[tuple[str, Results]]) -> pd.DataFrame:
    """Headline figures with one column per run (rows in first-seen order)."""
    values: dict[str, dict[str, str]] = {}
    for name, results in runs:
        for key, value in headline(results):
            values.setdefault(key, {})[name] = value
    rows = [{"figure": key, **{n: per.get(n, "") for n, _ in runs}} for key, per in values.items()]
    return pd.DataFrame(rows, columns=["figure"] + [n for n, _ in runs])


def _timeline_overlay(
    runs: list[tuple[str, Results]], column: str, y_title: str, per_gpu: bool = False
) -> go.Figure | None:
    horizons = [horizon_s(r) for _, r in runs]
    axis = TimeAxis.for_horizon(max(horizons, default=0.0))
    fig = figure(axis.title, y_title)
    drawn = False
    for i, ((name, results), end) in enumerate(zip(runs, horizons, strict=True)):
        tl = results.timeline
        if tl.empty or column not in tl:
            continue
        total = float(results.summary.total_gpus)
        scale = 1.0 / total if per_gpu and total else 1.0
        add_step(fig, tl, column, name, axis, end, COLORS[i % len(COLORS)], scale=scale)
        drawn = True
    return fig if drawn else None


def _cdf_overlay(curves: list[tuple[str, np.ndarray, str]], x_title: str) -> go.Figure | None:
    fig = figure(x_title, "fraction", hovermode="closest")
    drawn = False
    for name, values, color in curves:
        x, y = cdf(values)
        if len(x) == 0:
            continue
        fig.add_trace(go.Scatter(x=x, y=y, name=label(name), mode="lines", line={"color": color}))
        drawn = True
    return fig if drawn else None


def comparison_sections(runs: list[tuple[str, Results]]) -> list[Section]:
    """The comparison page's sections for `(label, results)` pairs (labels already unique)."""
    color = {name: COLORS[i % len(COLORS)] for i, (name, _) in enumerate(runs)}
    out = [
        Section(
            "Headline figures",
            "The summary figures of every run, one column per run.",
            table=headline_table(runs),
        )
    ]
    overlays = [
        (
            "busy_gpus",
            "fraction of GPUs busy",
            True,
            "GPU busy fraction",
            "Fraction of each cluster's GPUs computing over time.",
        ),
        (
            "queue_length",
            "jobs waiting",
            False,
            "Queue length",
            "Jobs waiting for GPUs over time in each run.",
        ),
        (
            "facility_kw",
            "facility kW",
            False,
            "Facility power",
            "Facility power (IT times PUE) over time in each run.",
        ),
    ]
    for column, y_title, per_gpu, title, sentence in overlays:
        fig = _timeline_overlay(runs, column, y_title, per_gpu)
        if fig is not None:
            out.append(Section(title, sentence, figure=fig))
    waits = [
        (name, r.jobs["wait_s"].to_numpy(dtype=float) / 3600.0, color[name])
        for name, r in runs
        if "wait_s" in r.jobs
    ]
    fig = _cdf_overlay(waits, "wait before first start (hours)")
    if fig is not None:
        out.append(Section("Wait times", "Distribution of job waits in each run.", figure=fig))
    out += _cost(runs, color)
    out += _latency(runs, color)
    out += _inputs(runs)
    return out


def _cost(runs: list[tuple[str, Results]], color: dict[str, str]) -> list[Section]:
    fig = figure("month", "cumulative cost (USD)")
    drawn = False
    for name, results in runs:
        table = results.tables.get("cost_cumulative")
        if table is None or table.empty:
            continue
        for j, option in enumerate(sorted(table["option"].astype(str).unique())):
            rows = table[table["option"].astype(str) == option].sort_values("month")
            fig.add_trace(
                go.Scatter(
                    x=rows["month"],
                    y=rows["cumulative_usd"],
                    name=label(f"{name}: {option}"),
                    mode="lines",
                    line={"color": color[name], "dash": ("solid", "dash", "dot", "dashdot")[j % 4]},
                )
            )
            drawn = True
    if not drawn:
        return []
    sentence = "Cumulative cost of every run's options (one colour per run, one dash per option)."
    return [Section("Cumulative cost", sentence, figure=fig)]


def _latency(runs: list[tuple[str, Results]], color: dict[str, str]) -> list[Section]:
    curves = []
    for name, results in runs:
        requests = results.tables.get("requests")
        if requests is None or requests.empty or "ttft_s" not in requests:
            continue
        curves.append((name, requests["ttft_s"].to_numpy(dtype=float), color[name]))
    fig = _cdf_overlay(curves, "time to first token (s)")
    if fig is None:
        return []
    sentence = "Distribution of time to first token over all requests of each run."
    return [Section("Serving latency", sentence, figure=fig)]


def _inputs(runs: list[tuple[str, Results]]) -> list[Section]:
    frames = []
    for name, results in runs:
        table = results.tables.get("inputs")
        if table is not None and not table.empty:
            frames.append(
                pd.concat([pd.Series(name, index=table.index, name="run"), table], axis=1)
            )
    if not frames:
        return []
    sentence = "Every profile each run used, with its source and date."
    return [
        Section("Inputs and their sources", sentence, table=pd.concat(frames, ignore_index=True))
    ]


def render_comparison(runs: list[tuple[str, Results]]) -> str:
    """One page setting several runs side by side; labels are made unique."""
    names = unique_labels([name for name, _ in runs])
    runs = list(zip(names, [r for _, r in runs], strict=True))
    title = "infrasim comparison: " + " vs ".join(names)
    subtitle = f"{len(runs)} runs side by side."
    return render_page(title, comparison_sections(runs), subtitle)
