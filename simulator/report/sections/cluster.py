"""How the cluster was used: GPUs over time, the queue, waits, jobs, failures and checkpoints."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulator.report.downsample import counts_per_bucket, histogram
from simulator.report.escape import label
from simulator.report.figures import (
    COLORS,
    TimeAxis,
    add_level,
    add_step,
    constant_value,
    figure,
    quantity,
)
from simulator.report.page import Section
from simulator.results import Results

GANTT_MAX_JOBS = 200
"""Runs with more jobs than this get no Gantt chart: one bar per job would not be readable."""

EVENT_KINDS = ("failure", "node_down", "requeue", "restore", "preempt", "kill", "checkpoint")
BUCKETS = 200
"""Time buckets of the failures and checkpoints chart."""


def horizon_s(results: Results) -> float:
    """The run's simulated length in seconds."""
    return results.summary.horizon_days * 86400.0


def gpu_timeline(results: Results) -> list[Section]:
    """Allocated and busy GPUs against the cluster's size."""
    tl = results.timeline
    if tl.empty:
        return []
    end = horizon_s(results)
    axis = TimeAxis.for_horizon(end)
    title = "GPU allocation and busy time"
    allocated, busy = constant_value(tl["allocated_gpus"]), constant_value(tl["busy_gpus"])
    if allocated is not None and busy is not None:
        sentence = (
            f"{quantity(allocated, 'GPUs')} were allocated and {quantity(busy, '')} busy all "
            f"run, of {results.summary.total_gpus:,}."
        )
        return [Section(title, sentence)]
    fig = figure(axis.title, "GPUs")
    add_step(fig, tl, "allocated_gpus", "allocated", axis, end, COLORS[0])
    add_step(fig, tl, "busy_gpus", "busy (computing)", axis, end, COLORS[2])
    total = results.summary.total_gpus
    if total:
        add_level(fig, float(total), "cluster size", 0.0, end * axis.scale, COLORS[7])
    sentence = (
        "GPUs allocated to jobs and GPUs actually computing over time; the gap is time lost to "
        "checkpoints, restarts and idle allocations."
    )
    return [Section(title, sentence, figure=fig)]


def queue(results: Results) -> list[Section]:
    """Queue length over time, and the distribution of waits before a job first starts."""
    out: list[Section] = []
    tl = results.timeline
    end = horizon_s(results)
    axis = TimeAxis.for_horizon(end)
    if not tl.empty and "queue_length" in tl:
        flat = constant_value(tl["queue_length"])
        if flat == 0:
            out.append(Section("Queue length", "The queue was empty all run: no job waited."))
        elif flat is not None:
            sentence = f"The queue held {quantity(flat, 'jobs')} all run."
            out.append(Section("Queue length", sentence))
        else:
            fig = figure(axis.title, "jobs waiting")
            add_step(fig, tl, "queue_length", "queue length", axis, end, COLORS[1])
            sentence = "Jobs waiting for GPUs over time."
            out.append(Section("Queue length", sentence, figure=fig))
    waits = results.jobs["wait_s"].to_numpy(dtype=float) if "wait_s" in results.jobs else []
    hours = np.asarray(waits, dtype=float) / 3600.0
    hours = hours[np.isfinite(hours)]
    centres, counts = histogram(hours, bins=50)
    title = "Wait-time distribution"
    if len(hours) and int(np.count_nonzero(counts)) <= 1:
        out.append(Section(title, _one_wait(hours)))
    elif len(counts):
        fig = figure("wait before first start (hours)", "jobs", hovermode="closest")
        fig.add_trace(go.Bar(x=centres, y=counts, name="jobs", marker={"color": COLORS[1]}))
        sentence = "How long jobs waited between submission and first start, as a histogram."
        out.append(Section(title, sentence, figure=fig))
    return out


def _one_wait(hours: np.ndarray) -> str:
    """The sentence for waits that fill one histogram bar."""
    low, high = float(hours.min()), float(hours.max())
    if len(hours) == 1:
        return f"The only job waited {quantity(low, 'hours')} before its first start."
    if low == high:
        return f"All {len(hours):,} jobs waited {quantity(low, 'hours')} before their first start."
    return (
        f"All {len(hours):,} jobs waited between {quantity(low, 'hours')} and "
        f"{quantity(high, 'hours')} before their first start."
    )


def gantt(results: Results) -> list[Section]:
    """One bar per job from first start to end, for runs small enough to read."""
    jobs = results.jobs
    if jobs.empty or "start_s" not in jobs:
        return []
    started = jobs[jobs["start_s"].notna()]
    if started.empty:
        return []
    end = horizon_s(results)
    axis = TimeAxis.for_horizon(end)
    title = "Job timeline (Gantt)"
    if len(started) == 1:
        job = started.iloc[0]
        stop_s = end if job["end_s"] != job["end_s"] else float(job["end_s"])
        sentence = (
            f"One job ran: {job['name']} on {int(job['num_gpus']):,} GPUs from "
            f"{axis.unit} "
            f"{float(job['start_s']) * axis.scale:,.2f} to {stop_s * axis.scale:,.2f} "
            f"({job['status']})."
        )
        return [Section(title, sentence)]
    if len(started) > GANTT_MAX_JOBS:
        sentence = "One bar per job from first start to end."
        note = (
            f"Not drawn: {len(started):,} jobs started, more than the {GANTT_MAX_JOBS} a "
            "readable chart holds; see the queue and GPU timelines instead."
        )
        return [Section(title, sentence, note=note)]
    started = started.sort_values(["start_s", "job_id"], kind="stable")
    stop = started["end_s"].fillna(end).to_numpy(dtype=float)
    start = started["start_s"].to_numpy(dtype=float)
    names = [label(f"{n} (#{i})") for n, i in zip(started["name"], started["job_id"], strict=True)]
    colors = {"completed": COLORS[2], "running": COLORS[0]}
    fig = figure(axis.title, "", hovermode="closest", showlegend=False)
    fig.add_trace(
        go.Bar(
            y=names,
            x=(stop - start) * axis.scale,
            base=start * axis.scale,
            orientation="h",
            marker={"color": [colors.get(str(s), COLORS[3]) for s in started["status"]]},
            customdata=np.stack([started["num_gpus"].to_numpy(), started["status"]], axis=1),
            hovertemplate="%{y}: %{customdata[0]} GPUs, %{customdata[1]}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    height = int(min(900, max(300, 24 * len(started) + 100)))
    sentence = (
        "One bar per job from first start to end (green completed, blue still running, red "
        "otherwise)."
    )
    return [Section(title, sentence, figure=fig, height_px=height)]


def failures(results: Results) -> list[Section]:
    """Failure-type events (top) and checkpoints (bottom), counted per time bucket."""
    events = results.events
    title = "Failures and checkpoints"
    end = horizon_s(results)
    axis = TimeAxis.for_horizon(end)
    fig = make_subplots(
        rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.08, row_heights=[0.5, 0.5]
    )
    width = 0.0
    shown = 0
    for i, kind in enumerate(EVENT_KINDS):
        times = events.loc[events["event"] == kind, "time_s"].to_numpy(dtype=float)
        if len(times) == 0:
            continue
        starts, counts, width = counts_per_bucket(times, 0.0, end, BUCKETS)
        keep = counts > 0
        fig.add_trace(
            go.Bar(
                x=(starts[keep] + width / 2) * axis.scale,
                y=counts[keep],
                width=width * axis.scale,
                name=label(f"{kind} ({len(times):,})"),
                marker={"color": COLORS[(i + 3) % len(COLORS)]},
            ),
            row=2 if kind == "checkpoint" else 1,
            col=1,
        )
        shown += 1
    if not shown:
        sentence = "Failures, preemptions and checkpoints over time."
        note = "None happened in this run (no failures, preemptions or checkpoints)."
        return [Section(title, sentence, note=note)]
    fig.update_layout(
        template="plotly_white",
        barmode="stack",
        margin={"l": 60, "r": 20, "t": 30, "b": 50},
        legend={"orientation": "h", "y": -0.2},
    )
    fig.update_xaxes(range=[0.0, end * axis.scale])
    fig.update_xaxes(title_text=axis.title, row=2, col=1)
    fig.update_yaxes(title_text="failures etc.", row=1, col=1)
    fig.update_yaxes(title_text="checkpoints", row=2, col=1)
    bucket = f"{width / 3600:,.2f} hours" if width < 86400 else f"{width / 86400:,.2f} days"
    sentence = (
        f"Failures, node repairs, requeues, restores and preemptions (top) and checkpoints "
        f"(bottom) over time, counted per {bucket}; the legend gives each total."
    )
    return [Section(title, sentence, figure=fig, height_px=480)]


def sections(results: Results) -> list[Section]:
    """The cluster-use sections, in reading order."""
    return gpu_timeline(results) + queue(results) + gantt(results) + failures(results)
