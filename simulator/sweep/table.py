"""The sweep table: one row per point, mean and 95% interval of each figure, feasibility, front.

Built only from stored run records, sorted by point and replication, so the same runs give the
same table byte for byte whichever backend, worker count or completion order produced them.

Columns: `point`, one per swept field, `status` (ok / invalid / pruned), `error`,
`replications` (runs that finished), then `<figure>_mean` and `<figure>_ci95` (half-width of
the Student t interval) for every objective, constraint and listed metric, then `feasible`
(every constraint met by the mean) and `pareto` (feasible and not dominated on the objectives).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from simulator.errors import InputError, Problem
from simulator.sweep.pareto import pareto_mask
from simulator.sweep.paths import setting
from simulator.sweep.spec import LoadedSweep
from simulator.sweep.stats import mean_ci

DEFAULT_METRICS = ("time_to_train_h", "it_energy_kwh", "peak_facility_kw", "mean_wait_s")
"""Tabulated when a spec names no figure at all (those of them the runs produce)."""


@dataclass(frozen=True)
class Figure:
    """A summary figure the table reports, and the spec field that asked for it."""

    column: str
    metric: str
    where: str
    goal: str | None = None
    min: float | None = None
    max: float | None = None


def figures_of(sweep: LoadedSweep) -> list[Figure]:
    """Objectives, then constraints, then further metrics; one column each."""
    spec = sweep.spec
    figures = [
        Figure(o.name or o.metric, o.metric, f"objectives[{i}].metric", goal=o.goal)
        for i, o in enumerate(spec.objectives)
    ]
    figures += [
        Figure(c.name or c.metric, c.metric, f"constraints[{i}].metric", min=c.min, max=c.max)
        for i, c in enumerate(spec.constraints)
    ]
    figures += [Figure(m, m, f"metrics[{i}]") for i, m in enumerate(spec.metrics)]
    if not figures:
        figures = [Figure(m, m, "metrics") for m in DEFAULT_METRICS]
    merged: dict[str, Figure] = {}
    for f in figures:
        if f.column not in merged:
            merged[f.column] = f
            continue
        m = merged[f.column]
        merged[f.column] = Figure(
            m.column,
            m.metric,
            m.where,
            goal=m.goal or f.goal,
            min=_tighter(m.min, f.min, max),
            max=_tighter(m.max, f.max, min),
        )
    return list(merged.values())


def _tighter(a: float | None, b: float | None, pick: Any) -> float | None:
    return b if a is None else a if b is None else pick(a, b)


def check_figures(sweep: LoadedSweep, known: set[str], *, final: bool) -> None:
    """Raise InputError for figures no run produces (early: only for unknown top-level keys).

    Early (after the first run) only a figure whose first segment no summary has is refused,
    since deeper keys (`time_to_train_h.<job>`) may exist only at other points; at the end a
    figure no run produced is refused.
    """
    tops = {k.split(".", 1)[0] for k in known}
    problems = []
    for f in figures_of(sweep):
        if f.where == "metrics" or f.metric in known:
            continue
        if final or f.metric.split(".", 1)[0] not in tops:
            near = sorted(k for k in known if k.startswith(f.metric.split(".", 1)[0]))
            hint = ", ".join((near or sorted(tops))[:12])
            problems.append(
                Problem(str(sweep.path), f.where, f"no run reports {f.metric!r} (have: {hint})")
            )
    if problems:
        raise InputError(problems)


def _column_values(values: list[Any]) -> list[Any]:
    """Parquet needs one type per column: keep numbers or strings, else write values as YAML."""
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in values):
        return values
    if all(isinstance(v, str) for v in values) or all(isinstance(v, bool) for v in values):
        return values
    return [setting(["v"], v).removeprefix("v=") for v in values]


def build_table(
    sweep: LoadedSweep,
    records: dict[int, list[dict[str, Any]]],
    skipped: dict[int, tuple[str, str]] | None = None,
) -> pd.DataFrame:
    """The table of every point from its run records.

    `skipped` maps points that were not simulated to (status, why): 'pruned' by a search's
    bounds, or 'invalid' when the scenario rules reject them.
    """
    skipped = skipped or {}
    figures = figures_of(sweep)
    rows = []
    for point in sweep.points:
        runs = sorted(records.get(point.index, []), key=lambda r: r["replication"])
        bad = [r for r in runs if r["status"] != "ok"]
        ok = [r for r in runs if r["status"] == "ok"]
        if point.index in skipped:
            status, error = skipped[point.index]
        elif bad:
            status, error = "invalid", bad[0]["error"]
        else:
            status, error = "ok", ""
        row: dict[str, Any] = {"point": point.index, **point.values}
        row.update(status=status, error=error, replications=len(ok))
        for f in figures:
            values = [r["figures"].get(f.metric) for r in ok] if status == "ok" else []
            mean, half = mean_ci(values)
            row[f"{f.column}_mean"] = mean
            row[f"{f.column}_ci95"] = half
        row["feasible"] = status == "ok" and all(
            _meets(row[f"{f.column}_mean"], f) for f in figures
        )
        rows.append(row)
    table = pd.DataFrame(rows)
    for column in sweep.axis_columns:
        table[column] = _column_values(table[column].tolist())
    objectives = [f for f in figures if f.goal is not None]
    if objectives and len(table):
        values = [
            [row[f"{f.column}_mean"] if row["feasible"] else math.nan for f in objectives]
            for row in rows
        ]
        table["pareto"] = pareto_mask(values, [str(f.goal) for f in objectives])
    else:
        table["pareto"] = False
    return table


def _meets(value: float, f: Figure) -> bool:
    if f.min is None and f.max is None:
        return True
    if not math.isfinite(value):
        return False
    if f.max is not None and value > f.max:
        return False
    return not (f.min is not None and value < f.min)
