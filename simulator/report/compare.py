"""Several runs side by side (e.g. the same plan on H100, H200 and B200) in one page.

The page leads with the answers (time to train and its P90, serving latencies, the cheapest
option on each basis and every option's cash and accrued cost), one column per run and, after
each run but the first, its difference from the first run, so the conclusion is on the first
screen. The headline figures and the overlays (each run keeps its colour) follow.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from simulator.report import answers
from simulator.report.downsample import cdf
from simulator.report.escape import label
from simulator.report.figures import COLORS, TimeAxis, add_step, constant_value, figure
from simulator.report.page import Section, render_page
from simulator.report.sections.cluster import horizon_s
from simulator.report.sections.cost import DAYS_PER_MONTH, month_days
from simulator.report.sections.summary import headline
from simulator.report.tables import html_table
from simulator.results import Results


def unique_labels(labels: list[str]) -> list[str]:
    """The labels, with `(2)`, `(3)`... appended to repeats so every run is told apart."""
    seen: dict[str, int] = {}
    out = []
    for name in labels:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _shown(key: str, value: object) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if key.endswith("(ms)"):
        return answers.ms(value)
    if key.endswith("(USD)"):
        return answers.usd(value)
    if key.startswith("SLO attainment"):
        return answers.pct(value)
    if "(days)" in key:
        return answers.days(value)
    return f"{value:,.4g}"


def _difference(key: str, value: object, first: object) -> tuple[str, str]:
    """(the difference from the first run, 'better'/'worse'/'') for one answer."""
    if value is None or first is None:
        return "", ""
    if isinstance(value, str) or isinstance(first, str):
        return ("same", "") if value == first else ("differs", "")
    delta = float(value) - float(first)  # type: ignore[arg-type]
    if delta == 0:
        return "same", ""
    relative = f" ({delta / float(first):+.1%})" if float(first) else ""  # type: ignore[arg-type]
    if key.endswith("(USD)"):
        shown = ("+" if delta > 0 else "-") + answers.usd(abs(delta))
    elif key.endswith("(ms)"):
        shown = f"{delta:+,.3g} ms"
    elif key.startswith("SLO attainment"):
        shown = f"{delta * 100:+.1f} points"
    else:
        shown = f"{delta:+,.2f} days" if "(days)" in key else f"{delta:+,.4g}"
    higher_is_better = key.startswith("SLO attainment")
    good = (delta > 0) == higher_is_better
    return shown + relative, "better" if good else "worse"


def answers_table(runs: list[tuple[str, Results]]) -> tuple[pd.DataFrame, dict]:
    """The answers of every run side by side, with each run's difference from the first.

    Runs are numbered in their column headers (`1: h100`, `2: b200`), and each difference
    column says which two it subtracts (`2 - 1`), so the header stays short however long the
    run labels are. Returns the table and the CSS class of each difference cell
    (better/worse than run 1).
    """
    figures = [answers.answer_figures(r.summary) for _, r in runs]
    keys = list(dict.fromkeys(k for f in figures for k in f))
    names = [f"{i}: {name}" for i, (name, _) in enumerate(runs, start=1)]
    columns = ["answer", names[0]]
    for i, name in enumerate(names[1:], start=2):
        columns += [name, f"{i} - 1"]
    rows, classes = [], {}
    for position, key in enumerate(keys):
        first = figures[0].get(key)
        row = {"answer": key, names[0]: _shown(key, first)}
        for i, (name, values) in enumerate(zip(names[1:], figures[1:], strict=True), start=2):
            value = values.get(key)
            row[name] = _shown(key, value)
            diff, css = _difference(key, value, first)
            row[f"{i} - 1"] = diff
            if css:
                classes[(position, f"{i} - 1")] = css
        rows.append(row)
    return pd.DataFrame(rows, columns=columns), classes


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
    table, classes = answers_table(runs)
    if table.empty:
        lead = Section(
            "The answers",
            "None of these runs has a training job, a service or a price option to answer for.",
        )
    else:
        lead = Section(
            "The answers",
            f"Time to train, serving latencies and cost on each basis for every run (numbered "
            f"in the headers), and each run's difference from run 1, {runs[0][0]} (green: "
            "better, red: worse).",
            html=html_table(table, cell_classes=classes, table_id="answers"),
        )
    out = [
        lead,
        Section(
            "Headline figures",
            "The summary figures of every run, one column per run.",
            table=headline_table(runs),
        ),
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
        flat = [
            constant_value(r.timeline[column])
            for _, r in runs
            if not r.timeline.empty and column in r.timeline
        ]
        if column == "queue_length" and flat and all(v == 0 for v in flat):
            out.append(Section(title, "The queue was empty all run in every run."))
            continue
        fig = _timeline_overlay(runs, column, y_title, per_gpu)
        if fig is not None:
            out.append(Section(title, sentence, figure=fig))
    waits = [
        (name, r.jobs["wait_s"].to_numpy(dtype=float) / 3600.0, color[name])
        for name, r in runs
        if "wait_s" in r.jobs
    ]
    if waits and all(constant_value(w) is not None for _, w, _ in waits):
        said = "; ".join(f"{n}: {float(w[0]):,.3g} h" for n, w, _ in waits if len(w))
        out.append(Section("Wait times", f"Every job in each run waited the same time: {said}."))
    else:
        fig = _cdf_overlay(waits, "wait before first start (hours)")
        if fig is not None:
            out.append(Section("Wait times", "Distribution of job waits in each run.", figure=fig))
    out += _cost(runs, color)
    out += _latency(runs, color)
    out += _inputs(runs)
    return out


def _cost(runs: list[tuple[str, Results]], color: dict[str, str]) -> list[Section]:
    out = []
    for basis in ("cash", "accrued"):
        column = f"cumulative_{basis}_usd"
        fig = figure("elapsed months", f"cumulative cost, {basis} (USD)")
        drawn = False
        for name, results in runs:
            table = results.tables.get("cost_cumulative")
            if table is None or table.empty or column not in table:
                continue
            for j, option in enumerate(dict.fromkeys(table["option"].astype(str))):
                rows = table[table["option"].astype(str) == option].sort_values("month")
                elapsed = np.cumsum(month_days(rows).to_numpy()) / DAYS_PER_MONTH
                fig.add_trace(
                    go.Scatter(
                        x=np.round(elapsed, 4).tolist(),
                        y=np.round(rows[column].to_numpy(dtype=float), 2).tolist(),
                        name=label(f"{name}: {option}"),
                        mode="lines",
                        line={"color": color[name], "dash": DASHES[j % len(DASHES)]},
                    )
                )
                drawn = True
        if drawn:
            sentence = (
                f"Cumulative cost on the {basis} basis of every run's options (one colour per "
                "run, one dash per option)."
            )
            out.append(Section(f"Cumulative cost ({basis})", sentence, figure=fig))
    return out


DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


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
