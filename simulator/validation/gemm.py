"""Kind 'gemm': a published matmul (best-shape TFLOP/s or one layer's kernel time)."""

from __future__ import annotations

from simulator.catalog import Catalog
from simulator.perf.gemm import gemm_time_s
from simulator.validation.hardware import gpu_for_hardware
from simulator.validation.measured import time_entry
from simulator.validation.outcome import Prediction, Skip

_DTYPES = {
    "bf16": "bf16",
    "bfloat16": "bf16",
    "fp16": "fp16",
    "float16": "fp16",
    "half": "fp16",
    "fp32": "fp32",
    "float32": "fp32",
    "tf32": "tf32",
    "fp8": "fp8",
    "float8_e4m3fn": "fp8",
    "fp8_e4m3fn": "fp8",
    "float8_e5m2": "fp8",
    "fp8_e5m2": "fp8",
    "int8": "int8",
}
"""dtype spellings of the benchmarks (torch names included) -> the profile's dtype keys"""


def _dtype(config: dict) -> str | Skip:
    raw = str(config.get("dtype", "bf16")).lower()
    return _DTYPES.get(raw) or Skip(f"dtype {raw!r} is not modelled")


def _is_mamf(case: dict) -> bool:
    text = f"{case.get('id', '')} {case.get('source', '')}".lower()
    return "mamf" in text or "maximum achievable matmul" in text


def evaluate_gemm_case(case: dict, catalog: Catalog) -> Prediction | Skip:
    """A published matmul: best-shape TFLOP/s (mamf-finder) or a layer's kernel time.

    mamf-finder times torch.mm(A[M, N], B[N, K]), so its 'MxNxK' has N as the reduction
    length; its rows are short bursts at boost clock (sustained=False). Layer profiles (e.g.
    Vidur's nn.Linear: M tokens, N outputs, K inputs) come from back-to-back runs and are
    modelled sustained.
    """
    mapped = gpu_for_hardware(str(case.get("hardware", "")), catalog)
    if isinstance(mapped, Skip):
        return mapped
    gpu_id, note = mapped
    config = case.get("config", {})
    dtype = _dtype(config)
    if isinstance(dtype, Skip):
        return dtype
    try:
        big_m, big_n, big_k = int(config["M"]), int(config["N"]), int(config["K"])
    except (KeyError, TypeError, ValueError):
        return Skip("config lacks integer M, N, K")
    batch = int(config.get("batch", 1))
    mamf = _is_mamf(case)
    m, n, k = (big_m, big_k, big_n) if mamf else (big_m, big_n, big_k)
    estimate = gemm_time_s(catalog.gpu(gpu_id), m, n, k, dtype, batch=batch, sustained=not mamf)
    measured = case.get("measured", {})
    timed = time_entry(measured, ("time_median", "time", "time_mean"))
    if timed is not None and not mamf:
        name, unit, scale = timed
        return Prediction(estimate.time_s / scale, unit, name, gpu=gpu_id, note=note)
    for name in ("tflops", "tflops_derived"):
        if name in measured:
            unit = measured[name].get("unit", "TFLOP/s")
            return Prediction(estimate.tflops, unit, name, gpu=gpu_id, note=note)
    return Skip("no measured time or TFLOP/s to compare with")
