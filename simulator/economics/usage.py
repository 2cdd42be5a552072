"""What a run used, in the shapes cost models need: GPU-hours by month per job group, goodput,
on-prem energy by month and by hour.

Jobs hold GPUs in intervals (start or burst, until end, preempt, kill or requeue); a job's
GPU-hours are spread over months in proportion to those intervals, scaled so each job's total
equals its `gpu_hours` in the jobs table exactly (a node lost mid-run changes the GPU count
for a while, which the events do not state but `gpu_hours` accounts for).

Billing by instance needs to know which jobs shared a node: `holdings` says, per interval, the
node a single-node job (a serving replica, a small job) held, following the engine's `start`,
`node_down` and `replace` events. A job over several nodes holds whole nodes (plus one part
node the events do not name), so it is recorded on no node (`node` -1), as is a burst job.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulator.economics.months import HOUR_S, Calendar, cumulative_at
from simulator.results import Results

OPEN_EVENTS = ("start", "burst")
CLOSE_EVENTS = ("end", "preempt", "kill", "requeue")


def held_intervals(results: Results, horizon_s: float) -> pd.DataFrame:
    """One row per interval a job held GPUs (on the cluster or, for bursts, in the cloud)."""
    ev = results.events
    opens = ev[ev["event"].isin(OPEN_EVENTS)][["job_id", "time_s", "event", "node", "value"]]
    opens = opens.copy()
    closes = ev[ev["event"].isin(CLOSE_EVENTS)][["job_id", "time_s"]].copy()
    opens["k"] = opens.groupby("job_id").cumcount()
    closes["k"] = closes.groupby("job_id").cumcount()
    merged = opens.merge(closes, on=["job_id", "k"], how="left", suffixes=("_start", "_end"))
    merged["time_s_end"] = merged["time_s_end"].fillna(horizon_s)
    # the node a single-node interval starts on; -1 for several nodes or the cloud (burst)
    one_node = (merged["event"] == "start") & (merged["value"] == 1)
    merged["node"] = np.where(one_node, merged["node"], -1).astype("int64")
    return merged.rename(columns={"time_s_start": "start_s", "time_s_end": "end_s"})[
        ["job_id", "start_s", "end_s", "node"]
    ]


HOLDING_COLUMNS = {
    "job_id": "int64",
    "pool": "object",
    "node": "int64",
    "start_s": "float64",
    "end_s": "float64",
    "gpus": "float64",
    "share": "float64",
}


def empty_holdings() -> pd.DataFrame:
    """A holdings table with no rows (a run in which nothing ran)."""
    return pd.DataFrame({k: pd.Series(dtype=t) for k, t in HOLDING_COLUMNS.items()})


def node_holdings(results: Results, held: pd.DataFrame) -> pd.DataFrame:
    """Who held GPUs on which node when: one row per (job, node, stretch of time).

    `held` is `held_intervals` with the jobs' `pool`, `num_gpus` and `gpus_weight` merged in.
    A single-node interval moves to the node in a `replace` event after its node went down
    (`node_down`). `share` is the part of the interval a job on no named node held all its
    GPUs (its GPU-hours over num_gpus x the time: a node lost and not yet replaced is not
    held); 1 on a named node, where the stretches say exactly what was held.
    """
    ev = results.events
    moves = ev[ev["event"].isin(("node_down", "replace")) & (ev["job_id"] >= 0)]
    rows = []
    moved_jobs = set(moves["job_id"].unique())
    for r in held.itertuples(index=False):
        if r.node < 0:
            share = min(1.0, r.gpus_weight / r.num_gpus) if r.num_gpus > 0 else 0.0
            rows.append((r.job_id, r.pool, r.node, r.start_s, r.end_s, r.num_gpus, share))
            continue
        if r.job_id not in moved_jobs:
            rows.append((r.job_id, r.pool, r.node, r.start_s, r.end_s, r.num_gpus, 1.0))
            continue
        node, since = r.node, r.start_s
        mine = moves[
            (moves["job_id"] == r.job_id)
            & (moves["time_s"] >= r.start_s)
            & (moves["time_s"] < r.end_s)
        ]
        for m in mine.itertuples(index=False):
            if m.event == "node_down" and m.node == node:
                rows.append((r.job_id, r.pool, node, since, m.time_s, r.num_gpus, 1.0))
                node = -2  # holding nothing until a replacement
            elif m.event == "replace" and node == -2:
                node, since = int(m.node), m.time_s
        if node != -2:
            rows.append((r.job_id, r.pool, node, since, r.end_s, r.num_gpus, 1.0))
    frame = pd.DataFrame(rows, columns=list(HOLDING_COLUMNS))
    return frame.astype(HOLDING_COLUMNS) if len(frame) else empty_holdings()


@dataclass
class Usage:
    """One run's usage, ready to price."""

    calendar: Calendar
    jobs: pd.DataFrame
    """jobs table plus `useful_gpu_hours` and `pool` filled for every job that ran"""
    intervals: pd.DataFrame
    """held intervals with `gpus_weight` (average GPUs held) and the job's columns"""
    it_kwh_by_month: np.ndarray
    """on-prem IT energy per month of the cost horizon (extended past the simulation)"""
    it_kwh_by_hour: np.ndarray
    """on-prem IT energy per simulated hour"""
    holdings: pd.DataFrame = field(default_factory=empty_holdings)
    """GPUs each job held on each node over time (`node_holdings`), for billing instances"""

    @classmethod
    def of(cls, results: Results, calendar: Calendar, first_pool: str) -> Usage:
        """Tabulate `results` over `calendar` (`first_pool` names the pool of pool-less jobs)."""
        sim_s = calendar.simulated_s
        jobs = results.jobs.copy()
        jobs["pool"] = jobs["pool"].replace("", first_pool)
        if "burst" not in jobs:
            jobs["burst"] = False
        useful = jobs["num_gpus"] * jobs["useful_s"] / HOUR_S
        jobs["useful_gpu_hours"] = useful.where(np.isfinite(useful), jobs["gpu_hours"])
        jobs["useful_gpu_hours"] = np.minimum(jobs["useful_gpu_hours"], jobs["gpu_hours"])
        held = held_intervals(results, sim_s)
        held["len_s"] = (held["end_s"].clip(upper=sim_s) - held["start_s"]).clip(lower=0)
        span = held.groupby("job_id")["len_s"].sum()
        cols = ["job_id", "pool", "num_gpus", "burst", "gpu_hours", "kind", "name"]
        held = held.merge(jobs[cols], on="job_id", how="left")
        total = held["job_id"].map(span)
        held["gpus_weight"] = np.where(total > 0, held["gpu_hours"] * HOUR_S / total, 0.0)
        holdings = node_holdings(results, held)
        holdings["end_s"] = holdings["end_s"].clip(upper=sim_s)
        tl = results.timeline
        times = tl["time_s"].to_numpy()
        kw = tl["it_kw"].to_numpy()
        by_month = np.diff(cumulative_at(times, kw, sim_s, np.minimum(calendar.edges, sim_s)))
        hours = np.arange(0.0, sim_s + HOUR_S, HOUR_S)
        hours[-1] = sim_s
        by_hour = np.diff(cumulative_at(times, kw, sim_s, hours)) / HOUR_S
        return cls(
            calendar=calendar,
            jobs=jobs,
            intervals=held,
            it_kwh_by_month=calendar.extend(by_month / HOUR_S),
            it_kwh_by_hour=by_hour,
            holdings=holdings,
        )

    def gpu_hours_by_month(self, mask: pd.Series | None = None, scale: pd.Series | None = None):
        """GPU-hours per month of the selected intervals, times an optional per-row factor."""
        held = self.intervals if mask is None else self.intervals[mask]
        weight = held["gpus_weight"] if scale is None else held["gpus_weight"] * scale
        simulated = self.calendar.intervals(held["start_s"], held["end_s"], weight) / HOUR_S
        return self.calendar.extend(simulated)

    def held_step(self, mask: pd.Series, scale: pd.Series) -> tuple[np.ndarray, np.ndarray]:
        """(times, level): GPUs held (times `scale`) as a step function of simulated time."""
        held = self.intervals[mask]
        weight = (held["gpus_weight"] * scale).to_numpy()
        times = np.concatenate([held["start_s"].to_numpy(), held["end_s"].to_numpy(), [0.0]])
        deltas = np.concatenate([weight, -weight, [0.0]])
        order = np.argsort(times, kind="stable")
        times, level = times[order], np.cumsum(deltas[order])
        last = np.append(times[1:] != times[:-1], True)  # keep the level after each instant
        return times[last], level[last]

    def jobs_kwh(self, mask: pd.Series | None = None) -> float:
        """IT energy of the (selected) jobs over the cost horizon: each job's simulated energy
        follows its GPU-hours month by month (`gpu_hours_by_month`), so a horizon shorter than
        the run (project mode) keeps only what fell inside it, and a longer one repeats the
        window, as every other cost does."""
        held = self.intervals if mask is None else self.intervals[mask]
        per_gpu_hour = self.jobs.set_index("job_id")["energy_kwh"] / self.jobs.set_index("job_id")[
            "gpu_hours"
        ].where(lambda h: h > 0)
        scale = held["job_id"].map(per_gpu_hour).fillna(0.0)
        return float(self.gpu_hours_by_month(mask, scale).sum())

    def delivered_gpu_hours(self) -> float:
        """GPU-hours the workload held over the cost horizon."""
        return float(self.gpu_hours_by_month().sum())

    def goodput_fraction(self) -> float:
        """Share of held GPU-hours that did kept (useful) work in the simulated run."""
        held = float(self.jobs["gpu_hours"].sum())
        return float(self.jobs["useful_gpu_hours"].sum()) / held if held > 0 else 0.0

    def goodput_gpu_hours(self) -> float:
        """GPU-hours of kept work over the cost horizon."""
        return self.delivered_gpu_hours() * self.goodput_fraction()
