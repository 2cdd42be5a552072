"""Time a callable the way GPU microbenchmarks do: warm up, flush caches, take the median.

On CUDA the clock is a pair of CUDA events around the work (host launch jitter does not count),
and before each repeat a buffer twice the L2 size is overwritten so every repeat starts with a
cold cache, as a kernel inside a training step would. On the CPU the clock is
`time.perf_counter_ns`. The median of the repeats is the statistic: robust to the odd slow
repeat (a context switch, a clock change) that a mean would absorb.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

L2_FLUSH_FACTOR = 2
"""Overwrite twice the L2 size: enough to evict everything the last repeat left behind."""


@dataclass(frozen=True)
class Timing:
    """Seconds per call: the median and the spread of `repeats` timed calls."""

    median_s: float
    min_s: float
    max_s: float
    repeats: int


def _summary(samples_s: list[float]) -> Timing:
    return Timing(
        median_s=statistics.median(samples_s),
        min_s=min(samples_s),
        max_s=max(samples_s),
        repeats=len(samples_s),
    )


class CpuTimer:
    """Wall clock on the host, nanosecond resolution."""

    name = "time.perf_counter_ns"
    l2_flush = False

    def sync(self) -> None:
        """Nothing to wait for on the host."""

    def samples(self, fn: Callable[[], Any], *, warmup: int, repeats: int) -> list[float]:
        """Seconds for each of `repeats` calls, after `warmup` untimed calls."""
        for _ in range(warmup):
            fn()
        out = []
        for _ in range(repeats):
            start = time.perf_counter_ns()
            fn()
            out.append((time.perf_counter_ns() - start) * 1e-9)
        return out

    def time(self, fn: Callable[[], Any], *, warmup: int, repeats: int) -> Timing:
        """Median and spread of `repeats` calls."""
        return _summary(self.samples(fn, warmup=warmup, repeats=repeats))


class CudaTimer:
    """CUDA events on the current stream, with an L2 flush before each repeat."""

    name = "cuda events"
    l2_flush = True

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
        """Median and spread of `repeats` calls."""
        return _summary(self.samples(fn, warmup=warmup, repeats=repeats))


def make_timer(torch: Any, device: str) -> CpuTimer | CudaTimer:
    """The timer for `device` ('cuda' uses the current CUDA device)."""
    if device == "cuda":
        return CudaTimer(torch, torch.device("cuda", torch.cuda.current_device()))
    return CpuTimer()
