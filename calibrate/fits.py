"""All fits for one set of measurements, then the overlay built from them.

Shared by the probe and by `import-nccl-tests`: what was measured decides what is fitted, and
each fit that cannot be made (too few points) is skipped with a note instead of failing the run.
"""

from __future__ import annotations

from calibrate import overlay_build
from calibrate.fit_bandwidth import fit_bandwidth
from calibrate.fit_collectives import fit_collectives
from calibrate.fit_gemm import fit_gemm
from calibrate.fit_power import fit_power
from simulator.errors import InputError, Problem
from simulator.schema.calibration import (
    CalibrationFile,
    Fingerprint,
    Fits,
    Measurements,
    Overlay,
    PowerFit,
    StorageSummary,
)
from simulator.schema.gpu import GpuProfile

POWER_GEMM_SHAPE = (8192, 8192, 8192)


def _bandwidth_fits(measurements: Measurements, notes: list[str]) -> list:
    fits = []
    for kind in ("device_copy", "host_to_device", "device_to_host"):
        points = [p for p in measurements.copies if p.kind == kind]
        if len(points) >= 2:
            fits.append(fit_bandwidth(points))
        elif points:
            notes.append(f"{kind}: one size only, not fitted")
    return fits


def _storage(measurements: Measurements) -> StorageSummary | None:
    by_op = {p.op: p for p in measurements.storage}
    if "read" not in by_op or "write" not in by_op:
        return None
    return StorageSummary(
        path=by_op["read"].path,
        read_gb_per_s=by_op["read"].gb_per_s,
        write_gb_per_s=by_op["write"].gb_per_s,
    )


def _power(
    measurements: Measurements, user: tuple[float, float] | None, notes: list[str]
) -> PowerFit | None:
    if len(measurements.power) >= 3:
        return fit_power(measurements.power)
    if measurements.power:
        notes.append("power: fewer than three duty cycles, not fitted")
    if user is not None:
        idle, peak = user
        return PowerFit(idle_w=idle, max_w=peak, exponent=1.0, source="user")
    return None


def _sustained_fraction(measurements: Measurements) -> float | None:
    """Full-duty power-run GEMM rate over the burst rate of the same shape and dtype."""
    full = [s for s in measurements.power if s.duty_cycle > 0.95 and s.achieved_tflops]
    burst = [
        p
        for p in measurements.gemm
        if (p.m, p.n, p.k) == POWER_GEMM_SHAPE and p.dtype in ("bf16", "fp16")
    ]
    if not full or not burst:
        return None
    best_burst = max(p.tflops for p in burst)
    return min(1.0, max(s.achieved_tflops or 0.0 for s in full) / best_burst)


def _peaks(measurements: Measurements) -> dict[str, float]:
    peaks: dict[str, float] = {}
    for p in measurements.gemm:
        peaks[p.dtype] = max(peaks.get(p.dtype, 0.0), p.tflops)
    return peaks


def fit_and_overlay(
    fingerprint: Fingerprint,
    measurements: Measurements,
    gpus: dict[str, GpuProfile],
    *,
    gpu_id: str | None,
    user_power: tuple[float, float] | None,
    notes: list[str],
) -> tuple[Fits, Overlay | None]:
    """Every fit the measurements allow, and the overlay (None, with a note, when impossible)."""
    if gpu_id is not None and gpu_id not in gpus:
        known = ", ".join(sorted(gpus))
        raise InputError(
            [Problem("calibrate", "--gpu-id", f"unknown gpu id {gpu_id!r} (known: {known})")]
        )
    fits = Fits(
        bandwidth=_bandwidth_fits(measurements, notes),
        collectives=fit_collectives(measurements.collectives),
        power=_power(measurements, user_power, notes),
        storage=_storage(measurements),
    )
    target = overlay_build.pick_target(fingerprint, gpus, gpu_id)
    entry: dict | str | None = None
    if target is not None:
        base = overlay_build.target_base(gpus[target], fits, notes)
    else:
        entry = overlay_build.entry_data(fingerprint, fits, _peaks(measurements), fits.power, gpus)
        base = GpuProfile.model_validate(entry) if isinstance(entry, dict) else None
        if isinstance(entry, str):
            notes.append(entry)
    if base is not None and len(measurements.gemm) >= 2:
        gemm = fit_gemm(measurements.gemm, base, fit_tile=target is None)
        sustained = _sustained_fraction(measurements)
        if sustained is not None:
            gemm = gemm.model_copy(
                update={
                    "parameters": gemm.parameters.model_copy(
                        update={"sustained_fraction": sustained}
                    )
                }
            )
        fits = fits.model_copy(update={"gemm": gemm})
    elif not measurements.gemm:
        notes.append("no GEMM measurements: efficiency.gemm keeps the catalog's table")
    return fits, _overlay(fingerprint, measurements, fits, gpus, target, entry, notes)


def _overlay(
    fingerprint: Fingerprint,
    measurements: Measurements,
    fits: Fits,
    gpus: dict[str, GpuProfile],
    target: str | None,
    entry: dict | str | None,
    notes: list[str],
) -> Overlay | None:
    if target is not None:
        draft = CalibrationFile.model_construct(fingerprint=fingerprint, fits=fits)
        return overlay_build.target_overlay(gpus[target], draft, notes)
    if not isinstance(entry, dict):
        return None
    if fits.power is None:
        # The entry is still usable for time estimates (the model reads no power); its power
        # figures are entry_data's placeholders, named as such so no energy figure hides it.
        entry["name"] = f"{entry['name']} (power not calibrated)"
        entry["source"] = f"{entry['source']}; power not measured (placeholder watts)"
        notes.append(
            "power not measured (no NVML, no --power-w): the device entry's watts are "
            f"placeholders ({entry['idle_power_w']:g} W idle, {entry['tdp_w']:g} W max), so "
            "energy and power figures from it mean nothing; re-run with --power-w IDLE:MAX"
        )
    if fits.gemm is not None:
        entry["efficiency"]["gemm"] = fits.gemm.parameters.model_dump()
    return Overlay(device_profile=GpuProfile.model_validate(entry))
