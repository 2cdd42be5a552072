"""Fit the parameters of simulator/perf/gemm.py to measured GEMM times.

The objective calls `gemm_time_s` itself (burst mode: the probe times short bursts), so the
fitted numbers are exactly what the simulator needs to reproduce the measurements, size effects
included. Fitted: the main-loop fraction of peak per measured dtype, the K half-efficiency
length, the launch overhead and the roofline exponent; for a device with no catalog profile
(a CPU) also the tile, chosen from a few candidates. The loss is robust (pseudo-Huber on the
log time ratio), so one stalled measurement does not drag the fit.
"""

from __future__ import annotations

import math

import numpy as np

from calibrate.optimize import minimize, robust_log_loss
from calibrate.split import fit_error, split
from simulator.perf.gemm import gemm_time_s
from simulator.schema.calibration import GemmFit, GemmPoint
from simulator.schema.gpu import GemmEfficiency, GpuProfile

CPU_TILES = ((16, 16), (64, 64), (128, 128))
COARSE_EVALS = 250
"""Evaluations spent on each tile candidate before the best one is refined."""
"""Tile candidates for devices whose tile the catalog does not know (CPU BLAS blocks)."""


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0


def with_gemm(base: GpuProfile, gemm: GemmEfficiency) -> GpuProfile:
    """`base` with another GEMM table (no re-validation: called thousands of times)."""
    return base.model_copy(update={"efficiency": base.efficiency.model_copy(update={"gemm": gemm})})


class _Model:
    """Parameter vector <-> GemmEfficiency, and the loss on a set of points."""

    def __init__(
        self, base: GpuProfile, dtypes: list[str], tile: tuple[int, int], start: dict[str, float]
    ) -> None:
        self.base, self.dtypes, self.tile, self.start = base, dtypes, tile, start

    def x0(self) -> np.ndarray:
        table = self.base.efficiency.gemm
        fracs = [_logit(self.start[d]) for d in self.dtypes]
        return np.array(
            fracs
            + [
                math.log(table.k_half_efficiency),
                math.log(table.launch_overhead_us + 0.5),
                math.log(max(table.roofline_exponent - 1, 0.05)),
            ]
        )

    def table(self, x: np.ndarray) -> GemmEfficiency:
        base = self.base.efficiency.gemm
        fractions = dict(base.max_fraction_of_peak)
        for dtype, z in zip(self.dtypes, x, strict=False):
            fractions[dtype] = max(_sigmoid(float(z)), 1e-9)  # type: ignore[index]
        k_half, launch, p = x[len(self.dtypes) :]
        return base.model_copy(
            update={
                "max_fraction_of_peak": fractions,
                "k_half_efficiency": float(np.clip(math.exp(k_half), 1e-3, 1e6)),
                "launch_overhead_us": float(max(math.exp(min(launch, 20.0)) - 0.5, 0.0)),
                "roofline_exponent": float(1 + np.clip(math.exp(p), 0, 50)),
                "tile_m": self.tile[0],
                "tile_n": self.tile[1],
            }
        )

    def predict(self, table: GemmEfficiency, points: list[GemmPoint]) -> list[float]:
        gpu = with_gemm(self.base, table)
        return [gemm_time_s(gpu, p.m, p.n, p.k, p.dtype, sustained=False).time_s for p in points]

    def loss(self, x: np.ndarray, points: list[GemmPoint]) -> float:
        predicted = self.predict(self.table(x), points)
        return robust_log_loss(predicted, [p.time_s for p in points])


def fit_gemm(
    points: list[GemmPoint], base: GpuProfile, *, fit_tile: bool = False, max_evals: int = 600
) -> GemmFit:
    """Fit `base`'s GEMM table to `points` (dtypes without a peak in `base` are ignored)."""
    usable = [p for p in points if base.peak_tflops.for_dtype(p.dtype) is not None]
    if len(usable) < 2:
        raise ValueError("need at least two GEMM points with a known peak to fit")
    dtypes = sorted({p.dtype for p in usable})
    train, held = split(usable, key=lambda p: (p.dtype, p.m * p.n * p.k, p.m, p.n))
    base_tile = (base.efficiency.gemm.tile_m, base.efficiency.gemm.tile_n)
    tiles = CPU_TILES if fit_tile else (base_tile,)
    # start each fraction at the best rate measured over the peak: far from the catalog's value
    # when the device is not the catalog GPU (a CPU overlaying a GPU id)
    start = {
        d: min(
            0.95,
            max(p.tflops for p in train if p.dtype == d)
            / float(base.peak_tflops.for_dtype(d) or 1.0),
        )
        for d in dtypes
    }
    candidates = []
    for tile in tiles:
        model = _Model(base, dtypes, tile, start)
        evals = COARSE_EVALS if len(tiles) > 1 else max_evals
        x, loss = minimize(
            lambda v, m=model: m.loss(v, train), model.x0(), restarts=0, max_evals=evals
        )
        candidates.append((loss, x, model))
    _, x, model = min(candidates, key=lambda c: c[0])
    x, _ = minimize(lambda v: model.loss(v, train), x, restarts=1, max_evals=max_evals)
    table = GemmEfficiency.model_validate(model.table(x).model_dump())
    train_pred, held_pred = model.predict(table, train), model.predict(table, held)
    error = fit_error(
        list(zip(train_pred, [p.time_s for p in train], strict=True)),
        list(zip(held_pred, [p.time_s for p in held], strict=True)),
    )
    peaks = {d: float(base.peak_tflops.for_dtype(d) or 0.0) for d in dtypes}
    return GemmFit(gpu_profile=base.id, peak_tflops=peaks, parameters=table, error=error)  # type: ignore[arg-type]
