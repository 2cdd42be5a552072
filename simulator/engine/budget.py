"""Refuse, before simulating, a scenario the machine cannot finish: estimate events and memory.

A typo like `requests_per_s: 1e6` over a 10-year horizon asks for 3e14 requests; without a
guard the run would grow until the OS kills it, hours later and with no explanation. The
estimate here is deliberately simple (expected counts times per-item costs measured on the
engine, rounded up) and refuses only what is clearly out of reach, naming the field that asks
for the most, the estimate, and what to change. Arrivals and traces are expected counts;
failures assume every GPU busy (an upper bound, which matters only for absurd rates).
Memory adds BYTES_PER_EVENT for every event, since most leave an event or timeline row.

Limits: memory is the smaller of what the OS reports available and any cgroup (container)
limit, times MEMORY_SHARE; events are capped at DEFAULT_MAX_EVENTS (hours of engine time).
Raise or lower them with the environment: `INFRASIM_MAX_MEMORY_GB`, `INFRASIM_MAX_EVENTS`, or
switch the guard off with `INFRASIM_NO_LIMITS=1` (see README, "Safety").
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.engine.failure_rates import RATE_SETS
from simulator.errors import InputError, Problem

if TYPE_CHECKING:
    from simulator.engine.inputs import RunInputs
    from simulator.schema.scenario import LengthDistribution, Traffic

MEMORY_SHARE = 0.8
"""Fraction of available memory a run may plan to use (tables are built at the end)."""

DEFAULT_MAX_EVENTS = 1e9
"""About 10 hours at the engine's roughly 30,000 events per second on one core."""

ENGINE_EVENTS_PER_S = 30_000.0
"""For the time estimate in the message only (benchmarks/bench_engine.py measures it)."""

# Per-item costs, rounded up from the engine's records and tables (bytes) and events.
BYTES_PER_JOB = 3_000
"""job object, its event and timeline rows, its row in the jobs table"""
EVENTS_PER_JOB = 4.0
"""submit, start, end, and a scheduling pass (the trace benchmark measures about 3.6)"""
BYTES_PER_EVENT = 250
"""an event row and, usually, a timeline row"""
BYTES_PER_REQUEST = 200
"""per-request arrays while serving plus the `requests` table row"""
EVENTS_PER_REQUEST = 2.0
"""arrival and completion at least; batching adds iterations shared by many requests"""
BYTES_PER_NODE = 2_000
"""cluster, placement and power state of one node (about 400 B measured when built), plus its
share of the timeline and tables"""
EVENTS_PER_NODE = 3.0
"""building one node takes about 80 us, the engine time of two or three events"""
BYTES_PER_TRACE_BYTE = 8
"""pandas / json parsing a trace file holds several times the file in memory"""
MIN_BYTES_PER_TRACE_ROW = {"helios": 64, "philly": 200, "requests": 8}
"""the shortest plausible row of each trace format, so rows <= file size / this"""
TRAINING_EVENTS_PER_S = 1 / 600
"""a training job's checkpoints and segments: at most about one every ten minutes"""
EVENTS_PER_FAILURE = 4.0
"""failure, node down, node up, and a replacement or requeue"""


@dataclass(frozen=True)
class Demand:
    """What one scenario field asks of the engine."""

    field: str
    events: float
    memory_bytes: float
    advice: str


@dataclass(frozen=True)
class Limits:
    """What this machine (or the user, via the environment) allows one run."""

    max_events: float
    max_memory_bytes: float
    enforced: bool = True


def available_memory_bytes() -> float:
    """Memory available now: /proc/meminfo's MemAvailable or os.sysconf, under any cgroup cap."""
    candidates: list[float] = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                candidates.append(float(line.split()[1]) * 1024)
                break
    except (OSError, ValueError, IndexError):
        pass
    if not candidates:
        try:
            pages = os.sysconf("SC_AVPHYS_PAGES") or os.sysconf("SC_PHYS_PAGES")
            candidates.append(float(pages * os.sysconf("SC_PAGE_SIZE")))
        except (AttributeError, ValueError, OSError):
            candidates.append(8 * 2**30)  # no way to ask (e.g. Windows): assume a laptop
    for cap in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = Path(cap).read_text().strip()
        except OSError:
            continue
        if text.isdigit() and int(text) < 2**60:
            candidates.append(float(text))
    return min(candidates)


def _env_float(name: str) -> float | None:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise InputError([Problem(f"${name}", "", f"expected a number (got {raw!r})")]) from None
    if not value > 0 or not math.isfinite(value):
        raise InputError([Problem(f"${name}", "", f"expected a positive number (got {raw!r})")])
    return value


def limits_from_env() -> Limits:
    """The limits for this process: machine memory and defaults, overridden by the env."""
    enforced = os.environ.get("INFRASIM_NO_LIMITS", "").strip() not in ("1", "true", "yes")
    memory_gb = _env_float("INFRASIM_MAX_MEMORY_GB")
    events = _env_float("INFRASIM_MAX_EVENTS")
    return Limits(
        max_events=events if events is not None else DEFAULT_MAX_EVENTS,
        max_memory_bytes=(
            memory_gb * 1e9 if memory_gb is not None else available_memory_bytes() * MEMORY_SHARE
        ),
        enforced=enforced,
    )


def _expected_arrivals(per_s: float, horizon_s: float, growth_per_s: float = 0.0) -> float:
    """Expected Poisson arrivals over the horizon at rate per_s * exp(growth * t)."""
    if growth_per_s == 0:
        return per_s * horizon_s
    exponent = growth_per_s * horizon_s
    if exponent > 700:
        return math.inf
    return per_s * math.expm1(exponent) / growth_per_s


def _mean_length(dist: LengthDistribution | None) -> float:
    if dist is None:
        return 1.0
    if dist.kind == "fixed":
        return float(dist.value or 1)
    if dist.kind == "uniform":
        return ((dist.low or 1) + (dist.high or 1)) / 2.0
    if dist.kind == "lognormal":
        return float(dist.median or 1) * math.exp(min(float(dist.sigma or 0) ** 2 / 2, 50.0))
    return sum(dist.values) / len(dist.values) if dist.values else 1.0


def _trace_rows(loaded: RunInputs, named: str, fmt: str, field: str) -> tuple[float, float]:
    """(rows at most, bytes of the file) of a trace file, from its size alone."""
    try:
        size = float(loaded.resolve_path(named, field).stat().st_size)
    except OSError:
        return 0.0, 0.0  # the loader reports missing files; nothing to estimate
    return size / MIN_BYTES_PER_TRACE_ROW[fmt], size


def _requests(loaded: RunInputs, traffic: Traffic, where: str, horizon_s: float) -> Demand:
    cap = getattr(traffic, "num_requests", None)
    if traffic.arrivals == "trace" and traffic.trace_path:
        rows, size = _trace_rows(loaded, traffic.trace_path, "requests", f"{where}.trace_path")
        count = min(rows, cap) if cap else rows
        memory = count * BYTES_PER_REQUEST + size * BYTES_PER_TRACE_BYTE
        return Demand(
            f"{where}.trace_path",
            count * EVENTS_PER_REQUEST,
            memory,
            "replay a slice of the trace (fewer rows) or set traffic.num_requests",
        )
    growth = math.log1p(traffic.growth_per_month) / (365.25 / 12 * 86400.0)
    count = _expected_arrivals(traffic.requests_per_s or 0.0, horizon_s, growth)
    if cap:
        count = min(count, cap)
    # batching shares iterations; still every output token is produced in some iteration
    tokens = count * _mean_length(traffic.output_tokens)
    return Demand(
        f"{where}.requests_per_s",
        count * EVENTS_PER_REQUEST + tokens / 256.0,
        count * BYTES_PER_REQUEST,
        "simulate a shorter horizon or a sample of the traffic (a lower requests_per_s with "
        "more replicas per request rate, or traffic.num_requests), then scale the figures",
    )


def demands(loaded: RunInputs, horizon_s: float) -> list[Demand]:
    """Every field's estimated events and memory for a run of `horizon_s` seconds."""
    s = loaded.scenario
    w = s.workloads
    horizon_h = horizon_s / 3600.0
    out: list[Demand] = []
    for i, spec in enumerate(w.synthetic_jobs):
        growth = math.log1p(spec.growth_per_month) / (365.25 / 12 * 86400.0)
        jobs = _expected_arrivals(spec.arrivals_per_hour / 3600.0, horizon_s, growth)
        if spec.count is not None:
            jobs = min(jobs, spec.count)
        out.append(
            Demand(
                f"workloads.synthetic_jobs[{i}].arrivals_per_hour",
                jobs * EVENTS_PER_JOB,
                jobs * BYTES_PER_JOB,
                "set `count`, lower arrivals_per_hour, or shorten horizon_days",
            )
        )
    for i, trace in enumerate(w.job_traces):
        where = f"workloads.job_traces[{i}].path"
        rows, size = _trace_rows(loaded, trace.path, trace.format, where)
        jobs = min(rows, trace.max_jobs) if trace.max_jobs else rows
        out.append(
            Demand(
                where,
                jobs * EVENTS_PER_JOB,
                jobs * BYTES_PER_JOB + size * BYTES_PER_TRACE_BYTE,
                "set max_jobs, or replay a slice of the trace",
            )
        )
    for i, service in enumerate(w.inference_services):
        where = f"workloads.inference_services[{i}].traffic"
        out.append(_requests(loaded, service.traffic, where, horizon_s))
    if w.training_jobs:
        n = len(w.training_jobs)
        out.append(
            Demand(
                "workloads.training_jobs",
                n * horizon_s * TRAINING_EVENTS_PER_S,
                0.0,
                "shorten horizon_days",
            )
        )
    nodes = sum(p.count for p in s.cluster.pools) + sum(b.nodes for b in s.cluster.build_out)
    gpus = sum(
        p.count * loaded.world.pool_nodes[p.name].gpus_per_node
        for p in s.cluster.pools
        if p.name in loaded.world.pool_nodes
    )
    failures = s.policies.failures
    per_gpu_h = sum(c.per_gpu_hour for c in RATE_SETS[failures.rates]) * failures.rate_multiplier
    events = (per_gpu_h * gpus * horizon_h if failures.enabled else 0.0) * EVENTS_PER_FAILURE
    events += nodes * EVENTS_PER_NODE
    for pool in s.cluster.pools:
        if pool.spot is not None:
            events += pool.spot.interruptions_per_node_hour * pool.count * horizon_h * 2
    out.append(
        Demand(
            "cluster.pools",
            events,
            nodes * BYTES_PER_NODE,
            "model fewer, larger nodes, lower policies.failures.rate_multiplier, or "
            "shorten horizon_days",
        )
    )
    return out


def _gb(n: float) -> str:
    return f"{n / 1e9:.3g} GB" if math.isfinite(n) else "unbounded"


def check_budget(loaded: RunInputs, horizon_s: float, limits: Limits | None = None) -> None:
    """Refuse a run that needs more events or memory than allowed, before it starts.

    Raises:
        InputError: naming the field asking for the most, with the estimate and advice.
    """
    limits = limits or limits_from_env()
    if not limits.enforced:
        return
    found = demands(loaded, horizon_s)
    events = sum(d.events for d in found)
    memory = sum(d.memory_bytes for d in found) + events * BYTES_PER_EVENT
    over_events = not events <= limits.max_events
    over_memory = not memory <= limits.max_memory_bytes
    if not (over_events or over_memory):
        return
    key = (lambda d: d.events) if over_events else (lambda d: d.memory_bytes)
    worst = max(found, key=key)
    hours = events / ENGINE_EVENTS_PER_S / 3600.0
    what = []
    if over_events:
        what.append(
            f"about {events:.3g} events (~{hours:.3g} h of simulation; limit "
            f"{limits.max_events:.3g}, INFRASIM_MAX_EVENTS)"
        )
    if over_memory:
        what.append(
            f"about {_gb(memory)} of memory (limit {_gb(limits.max_memory_bytes)}, "
            "INFRASIM_MAX_MEMORY_GB)"
        )
    raise InputError(
        [
            Problem(
                str(loaded.path),
                worst.field,
                f"run refused before starting: it needs {' and '.join(what)}; "
                f"{worst.advice}. To run it anyway set INFRASIM_NO_LIMITS=1",
            )
        ]
    )
