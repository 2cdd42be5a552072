"""Time C = A @ B over the plan's shapes and dtypes on one device.

Operands are random (zeros would let some hardware skip work), allocated once per shape and
pass, and the output is preallocated so the timed call is the kernel and nothing else. tf32 is fp32
inputs with TF32 tensor cores allowed; plain fp32 runs with them disallowed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from calibrate.timing import CpuTimer, CudaTimer, summary
from calibrate.torch_env import torch_dtype
from simulator.schema.calibration import GemmPoint


def cuda_dtypes(torch: Any) -> list[str]:
    """Dtypes this GPU runs through torch.matmul (fp8 needs scaled kernels: not measured)."""
    dtypes = ["fp16", "fp32", "tf32"]
    if torch.cuda.is_bf16_supported():
        dtypes.insert(0, "bf16")
    return dtypes


def _tf32(torch: Any, device: str, on: bool) -> None:
    if device == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = on


def _samples(
    torch: Any,
    timer: CpuTimer | CudaTimer,
    device: str,
    dtype: str,
    shape: tuple[int, int, int],
    *,
    warmup: int,
    repeats: int,
) -> list[float]:
    """Seconds of `repeats` timed calls of one shape, after `warmup` untimed ones."""
    m, n, k = shape
    dev = torch.device(device)
    kind = torch_dtype(torch, dtype)
    gen = torch.Generator(device=dev).manual_seed(m * 31 + n * 7 + k)
    a = torch.randn((m, k), generator=gen, device=dev, dtype=torch.float32).to(kind)
    b = torch.randn((k, n), generator=gen, device=dev, dtype=torch.float32).to(kind)
    c = torch.empty((m, n), device=dev, dtype=kind)
    previous = torch.backends.cuda.matmul.allow_tf32 if device == "cuda" else False
    _tf32(torch, device, dtype == "tf32")
    try:
        return timer.samples(lambda: torch.matmul(a, b, out=c), warmup=warmup, repeats=repeats)
    finally:
        _tf32(torch, device, previous)


def _point(dtype: str, shape: tuple[int, int, int], time_s: float) -> GemmPoint:
    m, n, k = shape
    return GemmPoint(
        dtype=dtype,  # type: ignore[arg-type]
        m=m,
        n=n,
        k=k,
        time_s=time_s,
        tflops=2.0 * m * n * k / time_s / 1e12,
    )


def time_gemm(
    torch: Any,
    timer: CpuTimer | CudaTimer,
    device: str,
    dtype: str,
    shape: tuple[int, int, int],
    *,
    warmup: int,
    repeats: int,
) -> GemmPoint:
    """One shape, the timer's statistic over `repeats` timed calls."""
    samples = _samples(torch, timer, device, dtype, shape, warmup=warmup, repeats=repeats)
    return _point(dtype, shape, summary(timer.statistic, samples).time_s)


def sweep(
    torch: Any,
    timer: CpuTimer | CudaTimer,
    device: str,
    shapes: dict[str, list[tuple[int, int, int]]],
    *,
    warmup: int,
    repeats: int,
    tick: Callable[[str], None],
    passes: int = 1,
) -> list[GemmPoint]:
    """Every (dtype, shape) of the plan; `tick` is called once per shape and pass.

    With `passes` > 1 the sweep runs over all shapes that many times, each pass taking its
    share of the repeats (after its own warm-up), and each point's statistic is taken over the
    pooled repeats. A neighbour that loads the machine for a few seconds then slows every
    shape alike instead of a few shapes in a row, so it cannot bend the fitted size curve.
    """
    per_pass = math.ceil(repeats / passes)
    pooled: dict[tuple[str, tuple[int, int, int]], list[float]] = {}
    for index in range(passes):
        for dtype, dtype_shapes in shapes.items():
            for shape in dtype_shapes:
                where = f" (pass {index + 1}/{passes})" if passes > 1 else ""
                tick(f"gemm {dtype} {shape[0]}x{shape[1]}x{shape[2]}{where}")
                pooled.setdefault((dtype, shape), []).extend(
                    _samples(torch, timer, device, dtype, shape, warmup=warmup, repeats=per_pass)
                )
    return [
        _point(dtype, shape, summary(timer.statistic, samples).time_s)
        for (dtype, shape), samples in pooled.items()
    ]


def quick_rates_gflops(
    torch: Any, timer: CpuTimer | CudaTimer, device: str, dtypes: list[str]
) -> dict[str, float]:
    """A tiny pre-probe (one mid-size GEMM per dtype) for the up-front time estimate."""
    size = 1024 if device == "cuda" else 256
    return {
        d: time_gemm(torch, timer, device, d, (size, size, size), warmup=2, repeats=3).tflops * 1e3
        for d in dtypes
    }
