"""Fit the simulator's collective model to measured collectives, one fit per op.

The model (simulator/perf/collectives.py) is alpha-beta with a pipeline ramp: a launch cost, a
per-step latency (alpha), a per-GPU link rate (beta = 1/rate) and the bytes the library keeps in
flight, which set how busbw grows with message size. The probe measures one group size at a
time, so launch and per-step latency are only told apart by the ramp's shape; `alpha_us` (their
sum for this group) is the well-determined number and is what `show` reports.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import replace

import numpy as np

from calibrate.optimize import minimize, robust_log_loss
from calibrate.split import fit_error, split
from simulator.perf.collectives import collective_time_s
from simulator.perf.topology import CollectiveGroup
from simulator.schema.calibration import CollectiveFit, CollectivePoint, FitError

_model = collective_time_s.__wrapped__  # type: ignore[attr-defined]
"""The uncached model: fitting tries thousands of groups that no one will ask for again."""


def group_for(
    ranks: int, launch_us: float, step_us: float, rate_gb_per_s: float, fill_mib: float
) -> CollectiveGroup:
    """All ranks in one scale-up domain (one node), with the given link parameters."""
    return CollectiveGroup(
        num_gpus=ranks,
        gpus_per_node=ranks,
        gpus_per_nvlink_domain=ranks,
        scale_up_gb_per_s=rate_gb_per_s,
        scale_up_latency_us=step_us,
        launch_latency_us=launch_us,
        pipeline_fill_mib=fill_mib,
    )


BOUNDS = ((0.0, 1e6), (1e-3, 1e5), (1e-6, 1e5), (1.0 / 16, 4096.0))
"""launch us, step us, link GB/s, fill MiB: beyond these the data cannot tell values apart."""


def _group(ranks: int, x: np.ndarray) -> CollectiveGroup:
    launch, step, rate, fill = (
        float(np.clip(math.exp(np.clip(v, -30, 30)), low, high))
        for v, (low, high) in zip(x, BOUNDS, strict=True)
    )
    return group_for(ranks, launch, step, rate, fill)


def _predict(op: str, group: CollectiveGroup, points: list[CollectivePoint]) -> list[float]:
    return [_model(op, p.size_bytes, group).time_s for p in points]


def _half_bandwidth_bytes(op: str, group: CollectiveGroup) -> float:
    """Message size at which busbw reaches half the large-message busbw (bisection)."""
    top = _model(op, 2.0**44, group).busbw_gb_per_s
    low, high = 0.0, 44.0
    for _ in range(60):
        mid = (low + high) / 2
        if _model(op, 2.0**mid, group).busbw_gb_per_s < top / 2:
            low = mid
        else:
            high = mid
    return 2.0**high


MAX_FIT_POINTS = 64
"""A series is thinned to at most this many sizes, spread evenly in log(size), before fitting:
the four-parameter model needs no more, and the fit then costs the same for 30 rows or 93k."""


def thin(points: list[CollectivePoint], most: int = MAX_FIT_POINTS) -> list[CollectivePoint]:
    """At most `most` points: per log-spaced size bin, the point of median size (O(n log n))."""
    ordered = sorted(points, key=lambda p: p.size_bytes)
    if len(ordered) <= most:
        return ordered
    low, high = math.log(ordered[0].size_bytes), math.log(ordered[-1].size_bytes)
    width = (high - low) / most or 1.0
    bins: dict[int, list[CollectivePoint]] = defaultdict(list)
    for p in ordered:
        bins[min(most - 1, int((math.log(p.size_bytes) - low) / width))].append(p)
    return [members[len(members) // 2] for _, members in sorted(bins.items())]


def fit_one(points: list[CollectivePoint]) -> CollectiveFit:
    """Fit one (op, backend, ranks) series; at least 3 sizes."""
    op, ranks, backend = points[0].op, points[0].num_ranks, points[0].backend
    if len(points) < 3:
        raise ValueError("need at least three message sizes to fit a collective")
    train, held = split(thin(points), key=lambda p: p.size_bytes)
    smallest = min(train, key=lambda p: p.size_bytes)
    largest = max(train, key=lambda p: p.size_bytes)
    alpha_us = smallest.time_s * 1e6
    x0 = np.log(
        [alpha_us / 2, max(alpha_us / (4 * ranks), 0.01), max(largest.busbw_gb_per_s, 1e-3), 4.0]
    )

    def loss(x: np.ndarray) -> float:
        return robust_log_loss(_predict(op, _group(ranks, x), train), [p.time_s for p in train])

    x, _ = minimize(loss, x0, restarts=1, max_evals=800)
    group = _group(ranks, x)
    error = _held_out_error(op, group, train, held)
    return CollectiveFit(
        op=op,
        backend=backend,
        num_ranks=ranks,
        launch_latency_us=group.launch_latency_us,
        step_latency_us=group.scale_up_latency_us,
        link_rate_gb_per_s=group.scale_up_gb_per_s,
        **_curve_figures(op, group),
        error=error,
    )


def _held_out_error(
    op: str, group: CollectiveGroup, train: list[CollectivePoint], held: list[CollectivePoint]
) -> FitError:
    """The fit's error on its training and held-out points."""
    return fit_error(
        list(zip(_predict(op, group, train), [p.time_s for p in train], strict=True)),
        list(zip(_predict(op, group, held), [p.time_s for p in held], strict=True)),
    )


def _curve_figures(op: str, group: CollectiveGroup) -> dict[str, float]:
    """The fitted curve's summary figures: bus bandwidth at a huge message, the pipeline
    fill, the latency of a 1-byte message and the size reaching half the bandwidth."""
    return {
        "bus_bandwidth_gb_per_s": _model(op, 2.0**44, group).busbw_gb_per_s,
        "pipeline_fill_mib": group.pipeline_fill_mib,
        "alpha_us": _model(op, 1.0, group).time_s * 1e6,
        "half_bandwidth_bytes": _half_bandwidth_bytes(op, group),
    }


def fit_scale_out(points: list[CollectivePoint], base: CollectiveGroup) -> CollectiveFit:
    """Fit only the scale-out terms of a group that spans domains (at least 3 sizes).

    `base` is the catalog's group for this shape: its intra-domain links, protocols and launch
    cost stay as they are; the fabric's per-GPU rate and per-hop latency are fitted (with no
    oversubscription: what the fabric delivered is the rate). The fit's link rate and step
    latency are those two figures, so the intra-domain terms are never refitted from a log
    that crossed the network."""
    op = points[0].op
    if len(points) < 3:
        raise ValueError("need at least three message sizes to fit a collective")
    train, held = split(thin(points), key=lambda p: p.size_bytes)

    def group(x: np.ndarray) -> CollectiveGroup:
        rate, latency = (float(math.exp(np.clip(v, -20, 20))) for v in x)
        return replace(
            base, scale_out_gb_per_s=rate, scale_out_latency_us=latency, oversubscription=1.0
        )

    def loss(x: np.ndarray) -> float:
        return robust_log_loss(_predict(op, group(x), train), [p.time_s for p in train])

    x0 = np.log([base.scale_out_gb_per_s or 25.0, base.scale_out_latency_us or 5.0])
    x, _ = minimize(loss, x0, restarts=1, max_evals=400)
    fitted = group(x)
    error = _held_out_error(op, fitted, train, held)
    assert fitted.scale_out_gb_per_s is not None and fitted.scale_out_latency_us is not None
    return CollectiveFit(
        op=op,
        backend=points[0].backend,
        num_ranks=points[0].num_ranks,
        launch_latency_us=fitted.launch_latency_us,
        step_latency_us=fitted.scale_out_latency_us,
        link_rate_gb_per_s=fitted.scale_out_gb_per_s,
        **_curve_figures(op, fitted),
        error=error,
        span="inter_node",
        nodes=fitted.num_domains,
    )


def fit_collectives(points: list[CollectivePoint]) -> list[CollectiveFit]:
    """One fit per (op, backend, ranks) with at least three sizes."""
    series: dict[tuple[str, str, int], list[CollectivePoint]] = defaultdict(list)
    for point in points:
        series[(point.op, point.backend, point.num_ranks)].append(point)
    return [fit_one(s) for s in series.values() if len({p.size_bytes for p in s}) >= 3]
