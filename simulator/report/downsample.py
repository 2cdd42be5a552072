"""Bounded figures for unbounded runs: a 100,000-job trace must still give a small page.

Plotly embeds every point it draws, so each figure is reduced before it is built:

- `step_envelope`: a step function (a timeline column, each value holding until the next row)
  cut into equal time buckets; each bucket keeps its minimum and maximum (with the value
  carried in from the bucket before), in time order. Spikes and dips survive; at most
  `2 * buckets` points come out whatever the number of rows.
- `counts_per_bucket`: event times binned into at most `buckets` counts.
- `histogram` and `cdf`: a distribution as fixed bins or fixed quantiles, never raw samples.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MAX_BUCKETS = 500
"""Default buckets per timeline trace: 1,000 points at most (a minimum and a maximum per
bucket), about one per pixel of a full-width plot; more would only add page weight."""


def step_envelope(
    time_s: np.ndarray | pd.Series,
    values: np.ndarray | pd.Series,
    end_s: float | None = None,
    buckets: int = MAX_BUCKETS,
) -> tuple[np.ndarray, np.ndarray]:
    """Downsample a step function to at most `2 * buckets` points (min and max per bucket).

    Args:
        time_s: change times, ascending.
        values: the value holding from each time until the next.
        end_s: where the function ends (default: the last time).
        buckets: number of equal time buckets.

    Returns:
        (times, values), unchanged when already short enough; the last point is repeated at
        `end_s` so a step plot reaches the end of the run.
    """
    t = np.asarray(time_s, dtype=float)
    v = np.asarray(values, dtype=float)
    if len(t) == 0:
        return t, v
    end = float(t[-1]) if end_s is None else max(float(end_s), float(t[-1]))
    if len(t) <= 2 * buckets:
        if end > t[-1]:
            return np.append(t, end), np.append(v, v[-1])
        return t, v
    start = float(t[0])
    width = (end - start) / buckets if end > start else 1.0
    index = np.minimum(((t - start) / width).astype(np.int64), buckets - 1)
    # Each bucket also sees the value carried in from before it (the row before its first).
    first = np.searchsorted(index, np.arange(buckets), side="left")
    carried = np.clip(first - 1, 0, None)
    rows = np.concatenate([np.arange(len(t)), carried])
    bucket = np.concatenate([index, np.arange(buckets)])
    frame = pd.DataFrame({"bucket": bucket, "row": rows, "v": v[rows]})
    grouped = frame.groupby("bucket", sort=True)["v"]
    low = frame.loc[grouped.idxmin(), ["bucket", "row"]].to_numpy()
    high = frame.loc[grouped.idxmax(), ["bucket", "row"]].to_numpy()
    keep = np.concatenate([low, high])
    # Time of a point: its row's time, or the bucket start for a carried-in value.
    bucket_start = start + keep[:, 0] * width
    times = np.maximum(t[keep[:, 1]], bucket_start)
    order = np.lexsort((keep[:, 1], times))
    times, kept_rows = times[order], keep[order, 1]
    unique = np.ones(len(times), dtype=bool)
    unique[1:] = (np.diff(times) != 0) | (np.diff(kept_rows) != 0)
    times, out = times[unique], v[kept_rows[unique]]
    return np.append(times, end), np.append(out, out[-1])


def counts_per_bucket(
    time_s: np.ndarray | pd.Series, start_s: float, end_s: float, buckets: int = 200
) -> tuple[np.ndarray, np.ndarray, float]:
    """Event counts in equal time buckets: (bucket starts, counts, bucket width in s)."""
    end = max(end_s, start_s + 1.0)
    edges = np.linspace(start_s, end, buckets + 1)
    counts, _ = np.histogram(np.asarray(time_s, dtype=float), bins=edges)
    return edges[:-1], counts, float(edges[1] - edges[0])


def histogram(values: np.ndarray | pd.Series, bins: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """(bin centres, counts) of the finite values; empty arrays when there are none."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return np.array([]), np.array([])
    low, high = float(v.min()), float(v.max())
    if high <= low:
        high = low + 1.0
    counts, edges = np.histogram(v, bins=bins, range=(low, high))
    return (edges[:-1] + edges[1:]) / 2.0, counts


def cdf(values: np.ndarray | pd.Series, points: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """(value, cumulative fraction) at `points` evenly spaced fractions of the finite values."""
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) == 0:
        return np.array([]), np.array([])
    fractions = np.linspace(0.0, 1.0, min(points, len(v)) + 1)[1:]
    return np.quantile(v, fractions), fractions
