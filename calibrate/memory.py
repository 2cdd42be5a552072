"""Memory bandwidth: device copies (read + write), and host <-> device copies on CUDA.

A device copy reads and writes every byte, so it moves 2 x size: the convention STREAM and the
GEMM model's memory term both use. Host copies use pinned host memory, as training input
pipelines and offload do; pageable memory would measure the bounce buffer instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from calibrate.timing import CpuTimer, CudaTimer
from simulator.schema.calibration import CopyPoint


def _point(kind: str, size: int, moved: int, time_s: float) -> CopyPoint:
    return CopyPoint(
        kind=kind,  # type: ignore[arg-type]
        size_bytes=size,
        time_s=time_s,
        gb_per_s=moved / time_s / 1e9,
    )


def device_copies(
    torch: Any,
    timer: CpuTimer | CudaTimer,
    device: str,
    sizes: list[int],
    *,
    warmup: int,
    repeats: int,
    tick: Callable[[str], None],
) -> list[CopyPoint]:
    """dst.copy_(src) for each size; bandwidth counts the read and the write."""
    points = []
    for size in sizes:
        tick(f"memory copy {size / 2**20:g} MiB")
        src = torch.ones(size, dtype=torch.uint8, device=device)
        dst = torch.empty_like(src)
        timing = timer.time(lambda s=src, d=dst: d.copy_(s), warmup=warmup, repeats=repeats)
        points.append(_point("device_copy", size, 2 * size, timing.time_s))
    return points


def host_copies(
    torch: Any,
    timer: CudaTimer,
    sizes: list[int],
    *,
    warmup: int,
    repeats: int,
    tick: Callable[[str], None],
) -> list[CopyPoint]:
    """Pinned host -> device and device -> host, each size (PCIe or C2C)."""
    points = []
    for size in sizes:
        tick(f"host copies {size / 2**20:g} MiB")
        host = torch.ones(size, dtype=torch.uint8).pin_memory()
        dev = torch.empty(size, dtype=torch.uint8, device="cuda")
        h2d = timer.time(
            lambda h=host, d=dev: d.copy_(h, non_blocking=True), warmup=warmup, repeats=repeats
        )
        d2h = timer.time(
            lambda h=host, d=dev: h.copy_(d, non_blocking=True), warmup=warmup, repeats=repeats
        )
        points.append(_point("host_to_device", size, size, h2d.time_s))
        points.append(_point("device_to_host", size, size, d2h.time_s))
    return points
