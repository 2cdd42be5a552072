"""Downsampling keeps figures bounded and keeps the extremes a planner looks for."""

from __future__ import annotations

import numpy as np
import pytest

from simulator.report.downsample import cdf, counts_per_bucket, histogram, step_envelope


def test_short_series_pass_through_and_reach_the_end() -> None:
    t, v = step_envelope(np.array([0.0, 5.0, 7.0]), np.array([1.0, 3.0, 2.0]), end_s=10.0)
    assert t.tolist() == [0.0, 5.0, 7.0, 10.0]
    assert v.tolist() == [1.0, 3.0, 2.0, 2.0]


@pytest.mark.parametrize("rows", [5_000, 200_000])
def test_long_series_are_bounded_and_keep_every_bucket_extreme(rows: int) -> None:
    rng = np.random.default_rng(1)
    t = np.sort(rng.uniform(0, 1e6, rows))
    v = rng.normal(size=rows)
    v[rows // 3] = 50.0  # a one-row spike
    v[rows // 2] = -50.0  # a one-row dip
    buckets = 100
    ts, vs = step_envelope(t, v, end_s=1e6, buckets=buckets)
    assert len(ts) <= 2 * buckets + 1
    assert np.all(np.diff(ts) >= 0)
    assert vs.max() == 50.0 and vs.min() == -50.0
    # Every bucket's max and min over its rows is present at a time inside that bucket.
    width = 1e6 / buckets
    for b in (0, 37, buckets - 1):
        inside = (t >= b * width) & (t < (b + 1) * width)
        kept = (ts >= b * width) & (ts < (b + 1) * width)
        assert v[inside].max() <= vs[kept].max()
        assert v[inside].min() >= vs[kept].min()
    assert ts[-1] == 1e6


def test_value_carried_into_an_empty_bucket_is_kept() -> None:
    t = np.concatenate([np.linspace(0, 10, 300), [90.0]])
    v = np.concatenate([np.zeros(299), [7.0], [1.0]])
    ts, vs = step_envelope(t, v, end_s=100.0, buckets=10)
    # Between t=10 and t=90 the function holds 7; buckets there must show it.
    middle = (ts >= 20) & (ts < 90)
    assert middle.any() and set(vs[middle]) == {7.0}


def test_counts_histogram_and_cdf_are_bounded_and_lossless_in_totals() -> None:
    times = np.random.default_rng(2).uniform(0, 1000, 100_000)
    starts, counts, width = counts_per_bucket(times, 0.0, 1000.0, buckets=50)
    assert len(counts) == 50 and counts.sum() == 100_000 and width == 20.0
    centres, hist = histogram(times, bins=40)
    assert len(hist) == 40 and hist.sum() == 100_000
    x, y = cdf(np.append(times, np.nan), points=200)
    assert len(x) == 200 and y[-1] == 1.0 and x[-1] == times.max()
    assert histogram(np.array([np.nan]))[0].size == 0 and cdf(np.array([]))[0].size == 0
