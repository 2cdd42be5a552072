"""Time a callable the way GPU microbenchmarks do: warm up, flush caches, take the median.

On CUDA the clock is a pair of CUDA events around the work (host launch jitter does not count),
and before each repeat a buffer twice the L2 size is overwritten so every repeat starts with a
cold cache, as a kernel inside a training step would. The median of the repeats is the
statistic: robust to the odd slow repeat (a clock change) that a mean would absorb.

On the CPU the clock is the compute thread's CPU time with one intra-op thread (CpuTimer says
why), else the wall clock, and the statistic is the lower quartile. A host thread shares its
core with whatever else runs there: on a busy 2-core CI box wall-clock repeats fall into two
clusters, the machine's own speed and about 3x slower when a neighbour holds the core, and the
slow cluster can be more than half of a run, which moves the median from one cluster to the
other between runs. The lower quartile stays on the machine's own speed while a quarter of the
repeats ran undisturbed (`timeit` reports its best run for the same reason), and, unlike the
minimum, one lucky repeat does not set it. CUDA events time the device, which
host neighbours do not slow, so the GPU keeps the median.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

L2_FLUSH_FACTOR = 2
"""Overwrite twice the L2 size: enough to evict everything the last repeat left behind."""


CPU_STATISTIC = "lower quartile"
GPU_STATISTIC = "median"


def lower_quartile(samples_s: list[float]) -> float:
    """The 25th percentile (inclusive method: always within the samples' range)."""
    if len(samples_s) < 2:
        return samples_s[0]
    return statistics.quantiles(samples_s, n=4, method="inclusive")[0]


def statistic(name: str, samples_s: list[float]) -> float:
    """`name` (CPU_STATISTIC or GPU_STATISTIC) of the samples."""
    return lower_quartile(samples_s) if name == CPU_STATISTIC else statistics.median(samples_s)


@dataclass(frozen=True)
class Timing:
    """Seconds per call: the timer's statistic (`time_s`) and the spread of the repeats."""

    time_s: float
    median_s: float
    min_s: float
    max_s: float
    repeats: int


def summary(name: str, samples_s: list[float]) -> Timing:
    """Timing of `samples_s` under statistic `name`."""
    return Timing(
        time_s=statistic(name, samples_s),
        median_s=statistics.median(samples_s),
        min_s=min(samples_s),
        max_s=max(samples_s),
        repeats=len(samples_s),
    )


class CpuTimer:
    """Host clock, nanosecond resolution: the compute thread's CPU time when torch runs one
    intra-op thread, else the wall clock.

    With one thread the work runs on the calling thread, so its CPU time is the wall time it
    takes with the core to itself (equal to the wall clock on an idle machine) and leaves out
    the slices the scheduler hands to a neighbour. With more threads the work is spread over
    OpenMP workers this clock cannot see, so the wall clock is used and neighbours count.
    """

    l2_flush = False
    statistic = CPU_STATISTIC

    def __init__(self, threads: int = 1) -> None:
        self._clock = time.thread_time_ns if threads == 1 else time.perf_counter_ns
        self.name = "time.thread_time_ns" if threads == 1 else "time.perf_counter_ns"

    def sync(self) -> None:
        """Nothing to wait for on the host."""

    def samples(self, fn: Callable[[], Any], *, warmup: int, repeats: int) -> list[float]:
        """Seconds for each of `repeats` calls, after `warmup` untimed calls."""
        clock = self._clock
        for _ in range(warmup):
            fn()
        out = []
        for _ in range(repeats):
            start = clock()
            fn()
            out.append((clock() - start) * 1e-9)
        return out

    def time(self, fn: Callable[[], Any], *, warmup: int, repeats: int) -> Timing:
        """The statistic and spread of `repeats` calls."""
        return summary(self.statistic, self.samples(fn, warmup=warmup, repeats=repeats))


class CudaTimer:
    """CUDA events on the current stream, with an L2 flush before each repeat."""

    name = "cuda events"
    l2_flush = True
    statistic = GPU_STATISTIC

    def __init__(self, torch: Any, device: Any) -> None:
        self.torch = torch
        self.device = device
        props = torch.cuda.get_device_properties(device)
        l2_bytes = int(getattr(props, "L2_cache_size", 0) or 64 * 2**20)
        self._flush = torch.empty(
            L2_FLUSH_FACTOR * l2_bytes // 4, dtype=torch.float32, device=device
        )

    def sync(self) -> None:
        """Wait for the device."""
        self.torch.cuda.synchronize(self.device)

    def samples(self, fn: Callable[[], Any], *, warmup: int, repeats: int) -> list[float]:
        """Seconds for each of `repeats` calls, each preceded by an (untimed) L2 flush."""
        cuda = self.torch.cuda
        for _ in range(warmup):
            fn()
        starts = [cuda.Event(enable_timing=True) for _ in range(repeats)]
        ends = [cuda.Event(enable_timing=True) for _ in range(repeats)]
        for start, end in zip(starts, ends, strict=True):
            self._flush.zero_()
            start.record()
            fn()
            end.record()
        self.sync()
        return [s.elapsed_time(e) * 1e-3 for s, e in zip(starts, ends, strict=True)]

    def time(self, fn: Callable[[], Any], *, warmup: int, repeats: int) -> Timing:
        """The statistic and spread of `repeats` calls."""
        return summary(self.statistic, self.samples(fn, warmup=warmup, repeats=repeats))


def make_timer(torch: Any, device: str) -> CpuTimer | CudaTimer:
    """The timer for `device` ('cuda' uses the current CUDA device)."""
    if device == "cuda":
        return CudaTimer(torch, torch.device("cuda", torch.cuda.current_device()))
    return CpuTimer(torch.get_num_threads())
