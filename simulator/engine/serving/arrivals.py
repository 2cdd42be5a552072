"""When requests arrive and how long they are: Poisson, gamma (bursty), diurnal, or a trace.

The whole stream is drawn up front with numpy (a million arrivals in milliseconds) and then
fed to the simulation one instant at a time, so the event queue holds one pending arrival.

- Poisson: exponential gaps at `requests_per_s`.
- Gamma: gaps with the same mean and a coefficient of variation `burstiness_cv` (shape
  1/cv^2); cv > 1 is burstier than Poisson, cv < 1 smoother.
- Diurnal: a non-homogeneous Poisson process whose rate follows a day-long cosine with the
  given peak-to-trough ratio around the mean `requests_per_s` (peak at `diurnal_peak_hour`),
  drawn by thinning (Lewis and Shedler 1979).
- Trace: a CSV with a header naming `arrival_s`, `input_tokens`, `output_tokens` columns.
- Closed loop: `num_requests` ready at time 0, issued by `concurrency` clients, each sending
  its next request when its last one finishes (the service enforces the limit).

Demand growth (`growth_per_month` g, the capacity plan's forecast) multiplies the rate by
(1 + g)^(t / month) = exp(k t). Arrivals are drawn at the base rate in "operational time" s and
mapped to t = log(1 + k s) / k, the inverse of the integrated rate, so the expected count in
[0, T] is r0 (exp(k T) - 1) / k; a gamma stream keeps its burstiness in operational time, and
a diurnal stream thins the grown candidates by the daily cosine, so its day keeps 24 hours.
With g = 0 every stream is drawn exactly as without growth.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simulator.engine.arrivals import MONTH_S
from simulator.engine.serving.lengths import sample_lengths
from simulator.errors import InputError, Problem, os_reason
from simulator.schema.scenario import Traffic

MAX_REQUESTS = 50_000_000
"""Largest stream a run draws (about 1.2 GB of per-request state); more is a planning error."""

_BLOCK = 65536
_TRACE_COLUMNS = ("arrival_s", "input_tokens", "output_tokens")


@dataclass(frozen=True)
class RequestStream:
    """Arrival times (sorted, seconds) and token counts of every request of a run."""

    arrival_s: np.ndarray
    input_tokens: np.ndarray
    output_tokens: np.ndarray

    def __len__(self) -> int:
        return len(self.arrival_s)


def _gaps(traffic: Traffic, rng: np.random.Generator, n: int) -> np.ndarray:
    mean_gap = 1.0 / traffic.requests_per_s  # type: ignore[operator]
    if traffic.arrivals == "gamma" and traffic.burstiness_cv is not None:
        shape = 1.0 / traffic.burstiness_cv**2
        return rng.gamma(shape, mean_gap / shape, size=n)
    return rng.exponential(mean_gap, size=n)


def growth_per_s(traffic: Traffic) -> float:
    """k of the grown rate r0 exp(k t): (1 + growth_per_month) per month."""
    return math.log1p(traffic.growth_per_month) / MONTH_S


def grown_times(operational_s: np.ndarray, k: float) -> np.ndarray:
    """Times of a stream drawn at the base rate, moved onto the rate r0 exp(k t).

    The base stream's integrated rate is r0 s, the grown one's r0 (exp(k t) - 1) / k; equal
    counts give t = log1p(k s) / k. A shrinking demand (k < 0) has only r0 / |k| arrivals in
    all; operational times past that never happen (infinity).
    """
    if k == 0.0:
        return operational_s
    inner = k * operational_s
    out = np.full(len(operational_s), math.inf)
    ok = inner > -1.0
    out[ok] = np.log1p(inner[ok]) / k
    return out


def expected_arrivals(traffic: Traffic, horizon_s: float) -> float:
    """Mean arrivals before `horizon_s` of an open-loop stream (growth included)."""
    k = growth_per_s(traffic)
    try:
        span = horizon_s if k == 0.0 else math.expm1(k * horizon_s) / k
    except OverflowError:  # growth so steep the count has no float: more than any run draws
        span = math.inf
    return traffic.requests_per_s * span  # type: ignore[operator]


def _renewal_times(
    traffic: Traffic, rng: np.random.Generator, horizon_s: float, limit: int
) -> np.ndarray:
    chunks, last, total = [], 0.0, 0
    k = growth_per_s(traffic)
    while total < limit:
        operational = last + np.cumsum(_gaps(traffic, rng, min(_BLOCK, limit - total)))
        times = grown_times(operational, k)
        keep = times[times < horizon_s]
        chunks.append(keep)
        total += len(keep)
        if len(keep) < len(times):
            break
        last = float(operational[-1])
    return np.concatenate(chunks) if chunks else np.empty(0)


def diurnal_rate(traffic: Traffic, t_s: np.ndarray) -> np.ndarray:
    """Requests per second at times `t_s` (mean `requests_per_s` over a day)."""
    ratio = traffic.diurnal_peak_to_trough or 1.0
    amplitude = (ratio - 1.0) / (ratio + 1.0)
    phase = 2.0 * math.pi * (t_s / 86400.0 - traffic.diurnal_peak_hour / 24.0)
    return traffic.requests_per_s * (1.0 + amplitude * np.cos(phase))  # type: ignore[operator]


def _diurnal_times(
    traffic: Traffic, rng: np.random.Generator, horizon_s: float, limit: int
) -> np.ndarray:
    ratio = traffic.diurnal_peak_to_trough or 1.0
    peak = traffic.requests_per_s * (1.0 + (ratio - 1.0) / (ratio + 1.0))  # type: ignore[operator]
    chunks, last, total = [], 0.0, 0
    k = growth_per_s(traffic)
    while total < limit:
        operational = last + np.cumsum(rng.exponential(1.0 / peak, size=_BLOCK))
        candidates = grown_times(operational, k)
        finite = np.where(np.isfinite(candidates), candidates, 0.0)  # never-times: dropped below
        accept = rng.random(_BLOCK) * peak < diurnal_rate(traffic, finite)
        times = candidates[accept & (candidates < horizon_s)][: limit - total]
        chunks.append(times)
        total += len(times)
        if candidates[-1] >= horizon_s:
            break
        last = float(operational[-1])
    return np.concatenate(chunks) if chunks else np.empty(0)


def read_request_trace(path: Path, where: str) -> RequestStream:
    """A request trace: CSV with columns arrival_s, input_tokens, output_tokens.

    Raises:
        InputError: unreadable file, missing columns, or a bad value (naming its line).
    """
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as exc:
        raise InputError([Problem(str(path), where, f"cannot read ({os_reason(exc)})")]) from None
    rows: list[tuple[float, int, int]] = []
    with handle:
        reader = csv.DictReader(handle)
        missing = [c for c in _TRACE_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise InputError(
                [Problem(str(path), where, f"the header lacks column(s) {', '.join(missing)}")]
            )
        for line, row in enumerate(reader, start=2):
            try:
                t = float(row["arrival_s"])
                i, o = int(row["input_tokens"]), int(row["output_tokens"])
            except (TypeError, ValueError):
                raise InputError(
                    [Problem(f"{path} line {line}", where, "expected numbers in every column")]
                ) from None
            if not (math.isfinite(t) and t >= 0 and 1 <= i <= 2**31 and 1 <= o <= 2**31):
                raise InputError(
                    [
                        Problem(
                            f"{path} line {line}",
                            where,
                            "arrival_s must be >= 0 and token counts >= 1 (at most 2**31)",
                        )
                    ]
                )
            rows.append((t, i, o))
    if not rows:
        raise InputError([Problem(str(path), where, "the trace holds no requests")])
    data = np.asarray(rows, dtype=np.float64)
    order = np.argsort(data[:, 0], kind="stable")
    data = data[order]
    return RequestStream(data[:, 0], data[:, 1].astype(np.int64), data[:, 2].astype(np.int64))


def request_stream(
    traffic: Traffic,
    rng: np.random.Generator,
    horizon_s: float,
    *,
    trace_path: Path | None = None,
    where: str = "traffic",
    file: str = "",
) -> RequestStream:
    """Every request arriving before `horizon_s` (and at most `traffic.num_requests`).

    Raises:
        InputError: a trace that cannot be read, or a stream too large to simulate.
    """
    limit = traffic.num_requests or MAX_REQUESTS
    if traffic.arrivals == "trace":
        assert trace_path is not None
        stream = read_request_trace(trace_path, f"{where}.trace_path")
        keep = stream.arrival_s < horizon_s
        n = min(int(keep.sum()), limit)
        return RequestStream(
            stream.arrival_s[:n], stream.input_tokens[:n], stream.output_tokens[:n]
        )
    if traffic.arrivals == "closed_loop":  # all ready at once; the clients pace them
        n = min(limit, MAX_REQUESTS)
        assert traffic.input_tokens is not None and traffic.output_tokens is not None
        return RequestStream(
            np.zeros(n),
            sample_lengths(traffic.input_tokens, rng, n),
            sample_lengths(traffic.output_tokens, rng, n),
        )
    expected = expected_arrivals(traffic, horizon_s)
    if traffic.num_requests is None and expected > MAX_REQUESTS:
        raise InputError(
            [
                Problem(
                    file,
                    f"{where}.requests_per_s",
                    f"about {expected:,.0f} requests before the horizon, more than "
                    f"{MAX_REQUESTS:,} a run simulates: shorten the horizon or set num_requests",
                )
            ]
        )
    if traffic.arrivals == "diurnal":
        times = _diurnal_times(traffic, rng, horizon_s, limit)
    else:
        times = _renewal_times(traffic, rng, horizon_s, limit)
    n = len(times)
    assert traffic.input_tokens is not None and traffic.output_tokens is not None
    return RequestStream(
        times,
        sample_lengths(traffic.input_tokens, rng, n),
        sample_lengths(traffic.output_tokens, rng, n),
    )
