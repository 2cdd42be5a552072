"""Request-rate growth (`traffic.growth_per_month`): the serving half of the demand forecast.

A rate r0 (1 + g)^(t / month) = r0 exp(k t) has, in month m, a Poisson count with mean
r0 (exp(k (m + 1) M) - exp(k m M)) / k. Counts are checked within 4 standard deviations
(sqrt(mean) for Poisson; cv sqrt(mean) for a gamma renewal stream, whose count variance is
about cv^2 times its mean): a correct generator fails such a check with probability below
1e-4 per month for any seed, while an ungrown stream misses months 2 and 3 by more than 40
standard deviations. The seed is fixed, so the test is deterministic.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from simulator.engine.arrivals import MONTH_S
from simulator.engine.serving.arrivals import expected_arrivals, request_stream
from simulator.errors import InputError
from simulator.schema.scenario import Traffic

RATE_PER_S = 0.01
"""About 26,000 requests in the first month: a tight relative bound (4 sigma is 2.5%)."""

MONTHS = 3
SIGMAS = 4.0


def _traffic(arrivals: str = "poisson", growth: float = 0.5, **extra: float) -> Traffic:
    return Traffic.model_validate(
        {
            "arrivals": arrivals,
            "requests_per_s": RATE_PER_S,
            "growth_per_month": growth,
            "input_tokens": {"kind": "fixed", "value": 8},
            "output_tokens": {"kind": "fixed", "value": 8},
            **extra,
        }
    )


def _monthly_counts(traffic: Traffic, seed: int = 7) -> np.ndarray:
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))
    stream = request_stream(traffic, rng, MONTHS * MONTH_S)
    assert np.all(np.diff(stream.arrival_s) >= 0)
    return np.bincount((stream.arrival_s // MONTH_S).astype(int), minlength=MONTHS)


def _expected(growth: float) -> np.ndarray:
    k = math.log1p(growth) / MONTH_S
    if k == 0:
        return np.full(MONTHS, RATE_PER_S * MONTH_S)
    return np.array(
        [
            RATE_PER_S * (math.exp(k * (m + 1) * MONTH_S) - math.exp(k * m * MONTH_S)) / k
            for m in range(MONTHS)
        ]
    )


@pytest.mark.parametrize("growth", [0.5, 0.0, -0.4])
def test_poisson_counts_per_month_follow_the_grown_rate(growth: float) -> None:
    counts = _monthly_counts(_traffic(growth=growth))
    mean = _expected(growth)
    assert np.all(np.abs(counts - mean) <= SIGMAS * np.sqrt(mean)), (counts, mean)


def test_the_check_can_fail_a_stream_that_does_not_grow() -> None:
    flat = _monthly_counts(_traffic(growth=0.0))
    mean = _expected(0.5)
    assert np.all(np.abs(flat - mean)[1:] > 40 * np.sqrt(mean[1:]))


def test_gamma_stream_grows_and_keeps_its_burstiness() -> None:
    cv = 2.0
    counts = _monthly_counts(_traffic("gamma", burstiness_cv=cv))
    mean = _expected(0.5)
    assert np.all(np.abs(counts - mean) <= SIGMAS * cv * np.sqrt(mean)), (counts, mean)


def test_diurnal_stream_grows_and_keeps_its_day() -> None:
    """The daily cosine integrates to zero over whole days; a month is 30.44 days, so add the
    most the fractional day can contribute (amplitude x peak rate x day / pi)."""
    ratio = 3.0
    traffic = _traffic("diurnal", diurnal_peak_to_trough=ratio)
    counts = _monthly_counts(traffic)
    mean = _expected(0.5)
    amplitude = (ratio - 1) / (ratio + 1)
    peak_rate = RATE_PER_S * 1.5**MONTHS
    slack = SIGMAS * np.sqrt(mean) + amplitude * peak_rate * 86400.0 / math.pi
    assert np.all(np.abs(counts - mean) <= slack), (counts, mean)
    # the peak hour still carries more than the trough hour, late in the run as early
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(3)))
    times = request_stream(traffic, rng, MONTHS * MONTH_S).arrival_s
    late = times[times > 2 * MONTH_S]
    hour = (late % 86400.0) // 3600.0
    assert (hour == 14).sum() > 2 * (hour == 2).sum()


def test_zero_growth_draws_the_same_stream_as_before() -> None:
    """g = 0 is the plain stream draw for draw (a scenario gains growth without reshuffling)."""
    base = _traffic(growth=0.0)
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(5)))
    times = request_stream(base, rng, 1e5).arrival_s
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(5)))
    gaps = rng.exponential(1.0 / RATE_PER_S, size=len(times))
    np.testing.assert_array_equal(times, np.cumsum(gaps))


def test_expected_arrivals_integrates_the_rate() -> None:
    assert expected_arrivals(_traffic(growth=0.5), MONTH_S) == pytest.approx(_expected(0.5)[0])
    assert expected_arrivals(_traffic(growth=0.0), 10.0) == pytest.approx(RATE_PER_S * 10.0)
    assert math.isinf(expected_arrivals(_traffic(growth=1e9), 3650 * 86400.0))


def test_a_steep_forecast_is_refused_before_drawing() -> None:
    rng = np.random.Generator(np.random.PCG64(0))
    with pytest.raises(InputError, match="requests_per_s"):
        request_stream(_traffic(growth=1e9), rng, 3650 * 86400.0)


@pytest.mark.parametrize("arrivals", ["closed_loop", "trace"])
def test_growth_needs_an_open_loop_rate(arrivals: str) -> None:
    data = {
        "arrivals": arrivals,
        "growth_per_month": 0.1,
        "concurrency": 4,
        "num_requests": 4,
        "trace_path": "t.csv",
        "input_tokens": {"kind": "fixed", "value": 8},
        "output_tokens": {"kind": "fixed", "value": 8},
    }
    with pytest.raises(ValueError, match="growth_per_month does not apply"):
        Traffic.model_validate(data)
