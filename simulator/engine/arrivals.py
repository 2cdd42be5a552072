"""Where jobs come from: fixed training jobs, Poisson mixes, replayed traces, services.

Each source gets the Clock (time, its random stream) and a `JobSink` (job ids, `submit`) and
submits its jobs when they arrive. Stream sources
(synthetic, trace) schedule only their next arrival, so a 100,000-job trace holds one pending
arrival event at a time. Each synthetic source draws from its own random stream, so adding a
source never changes another's jobs.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from simulator.engine.jobs import OpaqueJob
from simulator.engine.traces import TraceJobs
from simulator.schema.scenario import SyntheticJobs

if TYPE_CHECKING:
    from simulator.engine.clock import Clock
    from simulator.engine.hosts import JobSink

MONTH_S = 365.25 / 12 * 86400.0
"""An average calendar month, seconds (growth rates and cost months use it)."""

LOGNORMAL_SIGMA = 1.0
"""Shape of lognormal job durations (the mean is the scenario's mean_duration_hours); about
the spread of GPU job run times in the Philly and Helios traces (assumption)."""


class SyntheticSource:
    """A Poisson stream of opaque jobs (`workloads.synthetic_jobs[i]`)."""

    def __init__(self, clock: Clock, sink: JobSink, spec: SyntheticJobs, index: int) -> None:
        self.clock = clock
        self.sink = sink
        self.spec = spec
        self.rng = clock.streams.get("arrivals", index)
        self.mean_gap_s = 3600.0 / spec.arrivals_per_hour
        self.mean_s = spec.mean_duration_hours * 3600.0
        self.count = 0
        self.gpus = np.asarray(spec.gpus_per_job, dtype=np.int64)
        self.growth_per_s = math.log1p(spec.growth_per_month) / MONTH_S

    def start(self) -> None:
        """Schedule the first arrival."""
        self.clock.at(self._gap_s(), self._arrive)

    def _gap_s(self) -> float:
        """Time to the next arrival; with growth, the arrival rate is r0 * exp(k t).

        Inverts the integrated rate: an exponential draw `gap` at the base rate is the same
        expected number of arrivals as the interval [t, t'] with (exp(k t') - exp(k t)) / k =
        gap, so a zero growth rate reproduces the plain Poisson stream draw for draw.
        """
        gap = float(self.rng.exponential(self.mean_gap_s))
        k = self.growth_per_s
        if k == 0:
            return gap
        now = self.clock.now
        inner = math.exp(k * now) + gap * k
        return math.log(inner) / k - now if inner > 0 else math.inf

    def _duration(self) -> float:
        kind = self.spec.duration
        if kind == "fixed":
            return self.mean_s
        if kind == "lognormal":
            mu = math.log(self.mean_s) - LOGNORMAL_SIGMA**2 / 2
            return float(self.rng.lognormal(mu, LOGNORMAL_SIGMA))
        return float(self.rng.exponential(self.mean_s))

    def _arrive(self) -> None:
        clock, sink, spec = self.clock, self.sink, self.spec
        gpus = int(self.gpus[self.rng.integers(len(self.gpus))])
        job = OpaqueJob(
            sink.next_job_id(),
            f"{spec.name}-{self.count}",
            work_s=self._duration(),
            source="synthetic",
            num_gpus=gpus,
            submit_s=clock.now,
            tenant=spec.tenant,
        )
        self.count += 1
        sink.submit(job)
        if spec.count is None or self.count < spec.count:
            clock.at(self._gap_s(), self._arrive)


class TraceSource:
    """Jobs replayed from a trace, in submission order."""

    def __init__(self, clock: Clock, sink: JobSink, jobs: TraceJobs, label: str) -> None:
        self.clock = clock
        self.sink = sink
        self.jobs = jobs
        self.label = label
        self.next = 0
        self.submit = jobs.submit_s.tolist()
        self.gpus = jobs.gpus.tolist()
        self.duration = jobs.duration_s.tolist()

    def start(self) -> None:
        """Schedule the first arrival."""
        if self.submit:
            self.clock.at(self.submit[0], self._arrive)

    def _arrive(self) -> None:
        clock, sink, i, n = self.clock, self.sink, self.next, len(self.submit)
        now = self.submit[i]
        while i < n and self.submit[i] <= now:
            sink.submit(
                OpaqueJob(
                    sink.next_job_id(),
                    self.jobs.names[i],
                    work_s=self.duration[i],
                    source="trace",
                    num_gpus=self.gpus[i],
                    submit_s=clock.now,
                    tenant=self.jobs.users[i] or "default",
                )
            )
            i += 1
        self.next = i
        if i < n:
            clock.at(max(0.0, self.submit[i] - clock.now), self._arrive)
