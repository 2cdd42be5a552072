"""Turning held capacity into what a provider bills: rental intervals, rounding, blocks.

Providers do not bill GPU-hours; they bill rentals. A rental is whole instances (or single
GPUs, where a provider rents those) from the moment it is taken to the moment it is given
back, rounded up to the billing unit and to the minimum (`schema.pricing.Billing`).

- Jobs that shared a node share one instance (two TP-4 replicas on an 8-GPU node are one
  8-GPU instance): per node, the instances held at a moment are the GPUs held there, rounded
  up to whole instances, and each instance is one rental for as long as it stays held
  (instance k is held while at least k are needed, so a rental lasts as long as it can).
- A job on several nodes, or burst to a cloud, holds its own instances (`node` -1).
- Capacity blocks are booked per busy span (`book_blocks`), not per job.

Everything here is a pure function of tables and numbers, so tests can work the arithmetic
by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulator.schema.pricing import UNIT_S, Billing

DAY_S = 86400.0
NO_LIMIT_DAYS = 3650.0
"""a longest block of ten years or more reads as no limit (the schema's default is 100 years)"""
_TOL = 1e-9


def billed_s(duration_s: np.ndarray | float, billing: Billing) -> np.ndarray:
    """Seconds billed for rentals of `duration_s`: up to a whole unit, at least the minimum.

    A rental of no time is no rental and bills nothing.
    """
    d = np.asarray(duration_s, dtype=float)
    unit = UNIT_S[billing.unit]
    rounded = np.ceil(d / unit - _TOL) * unit
    return np.where(d > 0, np.maximum(rounded, billing.minimum_s), 0.0)


def _runs(times: np.ndarray, on: np.ndarray) -> list[tuple[float, float]]:
    """Maximal [start, end) intervals where `on[i]` holds from times[i] to times[i+1] (the
    last value holds to the last time given)."""
    flags = np.asarray(on, dtype=np.int8)
    if not flags.any():
        return []
    edges = np.diff(np.concatenate([[0], flags, [0]]))
    starts = np.flatnonzero(edges == 1)
    ends = np.flatnonzero(edges == -1)
    t = np.append(np.asarray(times, dtype=float), float(times[-1]))
    return list(zip(t[starts].tolist(), t[ends].tolist(), strict=True))


def _step(starts: np.ndarray, ends: np.ndarray, amounts: np.ndarray):
    """(times, level after each time) of a sum of intervals; equal times net out first."""
    times = np.concatenate([starts, ends])
    deltas = np.concatenate([amounts, -amounts])
    unique, where = np.unique(times, return_inverse=True)
    return unique, np.round(np.cumsum(np.bincount(where, weights=deltas)), 9)


def _share(holdings: pd.DataFrame) -> np.ndarray:
    if "share" not in holdings:
        return np.ones(len(holdings))
    return holdings["share"].to_numpy(float)


def instance_rentals(
    holdings: pd.DataFrame, gpus_per_instance: int, *, whole: bool = False
) -> pd.DataFrame:
    """One row per rental: `start_s`, `end_s`, `count` (instances rented together).

    `holdings` (`Usage.holdings` rows of one pool): who held how many GPUs on which node. A
    job on no named node rents its GPUs in whole instances for the `share` of the time it
    held them all; `whole` counts them for all of it (what a booking must cover).
    """
    rows: list[tuple[float, float, float]] = []
    own = holdings[holdings["node"] < 0]
    share = np.ones(len(own)) if whole else _share(own)
    for r, part in zip(own.itertuples(index=False), share, strict=True):
        count = float(math.ceil(r.gpus / gpus_per_instance - _TOL)) * part
        rows.append((r.start_s, r.end_s, count))
    shared = holdings[(holdings["node"] >= 0) & (holdings["end_s"] > holdings["start_s"])]
    for _, on_node in shared.groupby("node"):
        times, gpus = _step(
            on_node["start_s"].to_numpy(float),
            on_node["end_s"].to_numpy(float),
            on_node["gpus"].to_numpy(float),
        )
        level = np.ceil(gpus / gpus_per_instance - _TOL)
        for k in range(1, int(level.max(initial=0)) + 1):
            rows.extend((a, b, 1.0) for a, b in _runs(times, level >= k))
    return pd.DataFrame(rows, columns=["start_s", "end_s", "count"], dtype=float)


def gpu_rentals(holdings: pd.DataFrame) -> pd.DataFrame:
    """Rentals of single GPUs: each holding rents its GPUs for as long as it holds them."""
    return pd.DataFrame(
        {
            "start_s": holdings["start_s"].to_numpy(float),
            "end_s": holdings["end_s"].to_numpy(float),
            "count": holdings["gpus"].to_numpy(float) * _share(holdings),
        }
    )


def rentals(holdings: pd.DataFrame, gpus_per_instance: int, billing: Billing) -> pd.DataFrame:
    """Rentals of what `billing` rents, with `units_s` (count x billed seconds) per rental."""
    if billing.rents == "gpu":
        out = gpu_rentals(holdings)
    else:
        out = instance_rentals(holdings, gpus_per_instance)
    out["units_s"] = out["count"] * billed_s(out["end_s"] - out["start_s"], billing)
    return out


def standalone_units_s(holdings: pd.DataFrame, gpus_per_instance: int, billing: Billing):
    """Billed unit-seconds of each holding as if it rented alone (what one job would pay)."""
    d = (holdings["end_s"] - holdings["start_s"]).to_numpy(float)
    gpus = holdings["gpus"].to_numpy(float)
    count = gpus if billing.rents == "gpu" else np.ceil(gpus / gpus_per_instance - _TOL)
    return count * _share(holdings) * billed_s(d, billing)


def unit_gpus(billing: Billing, gpus_per_instance: int) -> int:
    """GPUs in one billed unit: one GPU, or one instance."""
    return 1 if billing.rents == "gpu" else gpus_per_instance


def instance_gpus_held(holdings: pd.DataFrame, gpus_per_instance_by_pool: dict[str, int]):
    """(times, level): GPUs in the instances held over all pools, packed per node (jobs
    sharing a node share its instances), as a step function of time: what a reservation's
    hour-by-hour netting compares with the contracted GPUs."""
    starts, ends, gpus = [], [], []
    for pool, on_pool in holdings.groupby("pool"):
        per_instance = gpus_per_instance_by_pool[str(pool)]
        r = instance_rentals(on_pool, per_instance)
        r = r[r["end_s"] > r["start_s"]]
        starts.append(r["start_s"].to_numpy(float))
        ends.append(r["end_s"].to_numpy(float))
        gpus.append(r["count"].to_numpy(float) * per_instance)
    if not starts or not sum(len(x) for x in starts):
        return np.array([0.0]), np.array([0.0])
    return _step(np.concatenate(starts), np.concatenate(ends), np.concatenate(gpus))


def instances_held(holdings: pd.DataFrame, gpus_per_instance: int):
    """(times, level): instances held, packed per node, as a step function of time."""
    r = instance_rentals(holdings, gpus_per_instance, whole=True)
    r = r[r["end_s"] > r["start_s"]]
    if r.empty:
        return np.array([0.0]), np.array([0.0])
    return _step(r["start_s"].to_numpy(), r["end_s"].to_numpy(), r["count"].to_numpy())


# ------------------------------------------------------------------ capacity blocks


def block_days(span_days: float, billing: Billing) -> list[float]:
    """The blocks (lengths in days) that cover `span_days` most tightly.

    Each range of `billing.block_durations` allows multiples of its step above the previous
    range's end; a span longer than the longest block takes longest blocks, then one more for
    the rest. E.g. AWS (1-14 d by 1 d, to 182 d by 7 d): 3 d -> [3]; 10 d -> [10];
    20 d -> [21]; 200 d -> [182, 21].
    """
    if span_days <= _TOL:
        return []
    longest = billing.block_durations[-1].up_to_days
    whole = int(math.floor(span_days / longest + _TOL)) if span_days > longest else 0
    rest = span_days - whole * longest
    blocks = [longest] * whole
    if rest > _TOL:
        low = 0.0
        for r in billing.block_durations:
            if rest <= r.up_to_days + _TOL:
                length = max(math.ceil(rest / r.step_days - _TOL), 1) * r.step_days
                while length <= low + _TOL:  # the range starts above the previous one
                    length += r.step_days
                blocks.append(min(length, r.up_to_days))
                break
            low = r.up_to_days
    return blocks


@dataclass(frozen=True)
class Block:
    """One capacity block booked: `instances` from `start_s` for `length_s`."""

    start_s: float
    length_s: float
    instances: float


def busy_spans(times: np.ndarray, level: np.ndarray) -> list[tuple[float, float, float]]:
    """(start, end, peak instances) of each stretch in which any instance is held."""
    spans = []
    for a, b in _runs(times, level > 0):
        inside = (times >= a) & (times < b)
        spans.append((a, b, float(level[inside].max())))
    return spans


def tile(
    spans: list[tuple[float, float, float]], window_s: float, horizon_s: float
) -> list[tuple[float, float, float]]:
    """The window's spans repeated to the horizon (the cost calendar reads the simulated window
    as a period that recurs); a span running to the window's end joins the next window's
    first span if that one starts at 0, so a fleet busy throughout is one span."""
    if not spans or window_s <= 0:
        return []
    if len(spans) == 1 and spans[0][0] <= _TOL and spans[0][1] >= window_s - _TOL:
        return [(0.0, horizon_s, spans[0][2])]
    out: list[tuple[float, float, float]] = []
    for k in range(math.ceil(horizon_s / window_s - _TOL)):
        shift = k * window_s
        for a, b, peak in spans:
            a, b = a + shift, min(b + shift, horizon_s)
            if a >= horizon_s:
                break
            if out and abs(out[-1][1] - a) <= _TOL:  # touching: one stretch of use
                pa, _, pp = out[-1]
                out[-1] = (pa, b, max(pp, peak))
            else:
                out.append((a, b, peak))
    return out


def book_blocks(spans: list[tuple[float, float, float]], billing: Billing) -> list[Block]:
    """Blocks covering each span at its peak, one booking for neighbouring spans when that
    costs no more than booking them apart (instance-days compared)."""

    def cost(a: float, b: float, peak: float) -> float:
        return peak * sum(block_days((b - a) / DAY_S, billing))

    merged: list[tuple[float, float, float]] = []
    for a, b, peak in spans:
        if merged:
            pa, pb, pp = merged[-1]
            together = cost(pa, b, max(pp, peak))
            if together <= cost(pa, pb, pp) + cost(a, b, peak) + _TOL:
                merged[-1] = (pa, b, max(pp, peak))
                continue
        merged.append((a, b, peak))
    blocks = []
    for a, b, peak in merged:
        start = a
        for days in block_days((b - a) / DAY_S, billing):
            blocks.append(Block(start, days * DAY_S, peak))
            start += days * DAY_S
    return blocks


# ------------------------------------------------------------------ words


def _days(value: float) -> str:
    return f"{value:g} d"


def describe_per_use(billing: Billing) -> str:
    """Words for a per-use billing: "per instance-second, 60 s minimum"."""
    what = "GPU" if billing.rents == "gpu" else "instance"
    words = f"per {what}-{billing.unit}"
    if billing.minimum_s > 0:
        words += f", {billing.minimum_s:g} s minimum"
    return words


def describe_blocks(billing: Billing) -> str:
    """Words for capacity blocks: "instance blocks 1-14 d by 1 d, to 182 d by 7 d, prepaid"."""
    parts, low = [], 0.0
    for r in billing.block_durations:
        if low == 0 and r.up_to_days >= NO_LIMIT_DAYS:
            parts.append(f"of any length by {_days(r.step_days)}")
        elif low == 0:
            parts.append(f"{_days(r.step_days)}-{_days(r.up_to_days)} by {_days(r.step_days)}")
        else:
            parts.append(f"to {_days(r.up_to_days)} by {_days(r.step_days)}")
        low = r.up_to_days
    return "instance blocks " + ", ".join(parts) + ", prepaid"
