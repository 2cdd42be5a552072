"""Serving: latency distributions per service and batch size over time.

Rendered only when the run served traffic (`tables["requests"]`, `tables["serving_timeline"]`,
`summary["serving"]`). Latency CDFs are drawn from fixed quantiles, never raw requests, so a
run with millions of requests embeds the same few hundred points per curve.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulator.report.downsample import cdf
from simulator.report.escape import label
from simulator.report.figures import COLORS, TimeAxis, add_step, constant_value, figure, quantity
from simulator.report.page import Section
from simulator.report.sections.cluster import horizon_s
from simulator.results import Results

LATENCIES = (
    ("ttft_s", "time to first token (s)"),
    ("tpot_s", "time per output token (s)"),
    ("e2e_s", "end-to-end latency (s)"),
)


def latency(results: Results) -> list[Section]:
    """CDFs of TTFT, TPOT and end-to-end latency, one curve per service."""
    requests = results.tables.get("requests")
    if requests is None or requests.empty:
        return []
    metrics = [(c, t) for c, t in LATENCIES if c in requests.columns]
    if not metrics:
        return []
    services = sorted(requests["service"].astype(str).unique()) if "service" in requests else [""]
    fig = make_subplots(rows=1, cols=len(metrics), subplot_titles=[t for _, t in metrics])
    for i, service in enumerate(services):
        part = requests if service == "" else requests[requests["service"].astype(str) == service]
        for col, (column, _) in enumerate(metrics, start=1):
            x, y = cdf(part[column])
            fig.add_trace(
                go.Scatter(
                    x=x,
                    y=y,
                    name=label(service or "all requests"),
                    legendgroup=label(service),
                    showlegend=col == 1,
                    mode="lines",
                    line={"color": COLORS[i % len(COLORS)], "width": 2},
                ),
                row=1,
                col=col,
            )
    fig.update_yaxes(title_text="fraction of requests", row=1, col=1, range=[0, 1])
    fig.update_layout(
        template="plotly_white",
        margin={"l": 60, "r": 20, "t": 40, "b": 50},
        legend={"orientation": "h", "y": -0.2},
    )
    sentence = (
        "Cumulative distributions of request latency per service: the fraction of requests "
        "served within each time."
    )
    return [Section("Serving latency", sentence, figure=fig, table=service_table(results))]


def _flatten(prefix: str, value: Any, out: dict[str, Any]) -> None:
    if isinstance(value, dict):
        for key in sorted(value):
            _flatten(f"{prefix}.{key}" if prefix else str(key), value[key], out)
    elif not isinstance(value, list):
        out[prefix] = value


def service_table(results: Results) -> pd.DataFrame | None:
    """`summary.serving` flattened: one row per figure, one column per service (a row per
    service would be some forty columns wide); None when nothing was served."""
    serving = results.summary.serving
    if not serving:
        return None
    columns: dict[str, dict[str, Any]] = {}
    for service in sorted(serving):
        values: dict[str, Any] = {}
        _flatten("", serving[service].to_dict(), values)
        columns[service] = values
    figures = list(dict.fromkeys(k for values in columns.values() for k in values))
    rows = [{"figure": f, **{s: v.get(f) for s, v in columns.items()}} for f in figures]
    return pd.DataFrame(rows, columns=["figure", *columns])


def timeline(results: Results) -> list[Section]:
    """Batch size (and replicas, queue, KV-cache use when recorded) over time per service."""
    tl = results.tables.get("serving_timeline")
    if tl is None or tl.empty or "time_s" not in tl:
        return []
    end = horizon_s(results)
    axis = TimeAxis.for_horizon(end)
    services = sorted(tl["service"].astype(str).unique()) if "service" in tl else [""]
    out = []
    panels = [
        (
            ("batch_size", "running"),
            "Batch size over time",
            "requests in the running batch",
            "Requests batched together on the service's replicas over time, per service.",
            "The running batch held {v} requests all run.",
        ),
        (
            ("replicas",),
            "Replicas over time",
            "replicas",
            "Serving replicas of each service over time (autoscaling when enabled).",
            "The service ran {v} replicas all run (no scaling).",
        ),
        (
            ("queue",),
            "Serving queue over time",
            "requests waiting",
            "Requests waiting for a replica over time, per service.",
            "{v} requests waited for a replica all run.",
        ),
        (
            ("kv_utilization",),
            "KV-cache use over time",
            "fraction of KV cache",
            "Fraction of the KV cache in use over time, per service.",
            "The KV cache stayed at {v} of its capacity all run.",
        ),
    ]
    for candidates, title, y_title, sentence, flat_sentence in panels:
        column = next((c for c in candidates if c in tl), None)
        if column is None:
            continue
        flat = constant_value(tl[column])
        if flat is not None:  # one flat line per service: a sentence says it
            if column == "queue" and flat == 0:
                out.append(Section(title, "The serving queue was empty all run."))
            else:
                out.append(Section(title, flat_sentence.format(v=quantity(flat, ""))))
            continue
        fig = figure(axis.title, y_title)
        for i, service in enumerate(services):
            part = tl if service == "" else tl[tl["service"].astype(str) == service]
            part = part.sort_values("time_s", kind="stable")
            add_step(fig, part, column, service or column, axis, end, COLORS[i % len(COLORS)])
        out.append(Section(title, sentence, figure=fig))
    return out


def sections(results: Results) -> list[Section]:
    """The serving sections (none when nothing was served)."""
    return latency(results) + timeline(results)
