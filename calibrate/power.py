"""GPU power versus utilization from NVML's energy counter, at several duty cycles.

Instantaneous power readings are averaged over an unknown window and lag the load; the total
energy counter does not, so each point is (energy after - energy before) / elapsed over a run
of >= 1 s. A duty cycle d keeps the GPU busy with back-to-back GEMMs for d of every 100 ms and
idle for the rest; the busy fraction actually achieved is what the point records. The full-duty
run also gives the sustained GEMM rate (clock settled at the power limit), which sets
`sustained_fraction` in the overlay.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from calibrate import nvml as nvml_api
from simulator.schema.calibration import PowerSample

PERIOD_S = 0.1
POWER_GEMM = 8192
"""Square bf16/fp16 GEMM used as the load: large enough to be compute bound on any GPU."""


def _load(torch: Any, dtype: Any) -> tuple[Callable[[], Any], float]:
    a = torch.randn((POWER_GEMM, POWER_GEMM), device="cuda", dtype=dtype)
    b = torch.randn((POWER_GEMM, POWER_GEMM), device="cuda", dtype=dtype)
    c = torch.empty_like(a)
    return (lambda: torch.matmul(a, b, out=c)), 2.0 * POWER_GEMM**3


def duty_cycle_run(
    torch: Any, nvml: Any, duty: float, seconds: float, dtype: Any, index: int = 0
) -> PowerSample | None:
    """Average power over `seconds` at `duty`; None when the energy counter is unreadable."""
    fn, flops = _load(torch, dtype)
    fn()
    torch.cuda.synchronize()
    before = nvml_api.energy_mj(nvml, index)
    if before is None:
        return None
    start = time.perf_counter()
    busy_s, kernels = 0.0, 0
    while (now := time.perf_counter()) - start < seconds:
        period_end = now + PERIOD_S
        busy_until = now + duty * PERIOD_S
        while time.perf_counter() < busy_until:
            fn()
            torch.cuda.synchronize()
            kernels += 1
        busy_s += time.perf_counter() - now
        idle = period_end - time.perf_counter()
        if idle > 0:
            time.sleep(idle)
    elapsed = time.perf_counter() - start
    after = nvml_api.energy_mj(nvml, index)
    reading = nvml_api.state(nvml, index)
    energy_j = (after - before) / 1000 if after is not None else 0.0
    return PowerSample(
        device_index=index,
        duty_cycle=min(1.0, busy_s / elapsed),
        duration_s=elapsed,
        energy_j=energy_j,
        power_w=max(energy_j / elapsed, 1e-3),
        achieved_tflops=kernels * flops / busy_s / 1e12 if busy_s > 0 else 0.0,
        sm_clock_mhz=reading["sm_clock_mhz"],
        memory_clock_mhz=reading["memory_clock_mhz"],
        temperature_c=reading["temperature_c"],
        throttle_reasons=reading["throttle_reasons"],
    )


def power_sweep(
    torch: Any,
    nvml: Any,
    duties: list[float],
    seconds: float,
    dtype_name: str,
    tick: Callable[[str], None],
) -> list[PowerSample]:
    """One sample per duty cycle on device 0 (stops early if the counter is unreadable)."""
    dtype = torch.bfloat16 if dtype_name == "bf16" else torch.float16
    samples = []
    for duty in duties:
        tick(f"power at {duty:.0%} duty")
        sample = duty_cycle_run(torch, nvml, duty, seconds, dtype)
        if sample is None:
            break
        samples.append(sample)
    return samples
