"""time = latency + bytes / bandwidth, fitted to copies (device, host links) by least squares
on relative error, so a 1 KiB point counts as much as a 1 GiB one."""

from __future__ import annotations

import numpy as np

from calibrate.split import fit_error, split
from simulator.schema.calibration import BandwidthFit, CopyPoint


def _moved(point: CopyPoint) -> float:
    return 2.0 * point.size_bytes if point.kind == "device_copy" else float(point.size_bytes)


def _solve(points: list[CopyPoint]) -> tuple[float, float]:
    """(latency_s, seconds per byte) minimizing sum((pred - t)/t)^2, both >= 0."""
    t = np.array([p.time_s for p in points])
    b = np.array([_moved(p) for p in points])
    design = np.stack([np.ones_like(t), b], axis=1) / t[:, None]
    coef, *_ = np.linalg.lstsq(design, np.ones_like(t), rcond=None)
    latency, per_byte = float(coef[0]), float(coef[1])
    if latency < 0 or per_byte <= 0:  # refit without latency: a pure bandwidth line
        latency = 0.0
        per_byte = float(np.sum(b / t) / np.sum((b / t) ** 2))
    return latency, per_byte


def fit_bandwidth(points: list[CopyPoint]) -> BandwidthFit:
    """One kind of copy (all points the same kind)."""
    kinds = {p.kind for p in points}
    if len(kinds) != 1 or len(points) < 2:
        raise ValueError("fit one kind of copy at a time, from at least two sizes")
    train, held = split(points, key=lambda p: p.size_bytes)
    latency, per_byte = _solve(train)

    def pairs(subset: list[CopyPoint]) -> list[tuple[float, float]]:
        return [(latency + per_byte * _moved(p), p.time_s) for p in subset]

    return BandwidthFit(
        kind=points[0].kind,
        latency_us=latency * 1e6,
        bandwidth_gb_per_s=1.0 / per_byte / 1e9,
        error=fit_error(pairs(train), pairs(held)),
    )
