"""`infrasim calibrate show`: the fits, their held-out errors, and the catalog for contrast.

Comparisons are made against the catalog profile the overlay targets (for a device entry,
against nothing: the catalog has no such device). "achieved X% of spec" divides the best rate
measured at the largest square GEMM of each dtype by the catalog peak.
"""

from __future__ import annotations

from typing import Any

from simulator.catalog import Catalog
from simulator.perf.collectives import collective_time_s
from simulator.perf.topology import group_from_catalog
from simulator.schema.calibration import CalibrationFile, FitError
from simulator.schema.gpu import GpuProfile


def _error(error: FitError | None) -> str:
    if error is None:
        return "no held-out error (not fitted from measurements)"
    held = (
        f"held-out error mean {error.held_out_mean_abs_pct:.1f}%, max "
        f"{error.held_out_max_abs_pct:.1f}% over {error.held_out_points} points"
        if error.held_out_mean_abs_pct is not None
        else "no points held out (too few)"
    )
    return f"{held} (train {error.train_mean_abs_pct:.1f}% over {error.train_points})"


def _size(num_bytes: float) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if num_bytes >= scale:
            return f"{num_bytes / scale:.3g} {unit}"
    return f"{num_bytes:.0f} B"


def comparisons(cal: CalibrationFile, gpu: GpuProfile | None) -> list[dict[str, Any]]:
    """Measured versus catalog spec, one row per dtype / memory (empty without a profile)."""
    if gpu is None:
        return []
    rows = []
    by_dtype: dict[str, Any] = {}
    for p in cal.measurements.gemm:
        if p.m == p.n == p.k:
            best = by_dtype.get(p.dtype)
            if best is None or (p.m, p.tflops) > (best.m, best.tflops):
                by_dtype[p.dtype] = p
    for dtype, p in by_dtype.items():
        peak = gpu.peak_tflops.for_dtype(dtype)
        if peak:
            rows.append(
                {
                    "what": f"{dtype} GEMM {p.m}^3",
                    "measured": p.tflops,
                    "spec": peak,
                    "unit": "TFLOP/s",
                    "fraction": p.tflops / peak,
                }
            )
    copies = [p for p in cal.measurements.copies if p.kind == "device_copy"]
    if copies:
        best_copy = max(copies, key=lambda p: p.gb_per_s)
        rows.append(
            {
                "what": "memory copy",
                "measured": best_copy.gb_per_s,
                "spec": gpu.memory_bandwidth_gb_per_s,
                "unit": "GB/s",
                "fraction": best_copy.gb_per_s / gpu.memory_bandwidth_gb_per_s,
            }
        )
    return rows


def _target(cal: CalibrationFile, catalog: Catalog) -> GpuProfile | None:
    if cal.overlay is None or cal.overlay.target_gpu_id is None:
        return None
    return catalog.profiles["gpu"].get(cal.overlay.target_gpu_id)  # type: ignore[return-value]


def _gemm_lines(cal: CalibrationFile, gpu: GpuProfile | None) -> list[str]:
    fit = cal.fits.gemm
    if fit is None:
        return ["GEMM: not fitted"]
    params = fit.parameters
    base = gpu.efficiency.gemm if gpu is not None else None
    fracs = []
    for dtype in fit.peak_tflops:
        value = params.max_fraction_of_peak.get(dtype)  # type: ignore[call-overload]
        was = base.max_fraction_of_peak.get(dtype) if base else None  # type: ignore[call-overload]
        fracs.append(f"{dtype} {value:.3f}" + (f" (catalog {was:.3f})" if was else ""))
    lines = [
        f"GEMM model fitted against {fit.gpu_profile} (peaks "
        + ", ".join(f"{d} {v:.4g} TFLOP/s" for d, v in fit.peak_tflops.items())
        + ")",
        "  max fraction of peak: " + ", ".join(fracs),
        f"  tile {params.tile_m}x{params.tile_n}, k_half {params.k_half_efficiency:.3g}, "
        f"launch {params.launch_overhead_us:.3g} us, roofline p {params.roofline_exponent:.3g}, "
        f"sustained {params.sustained_fraction:.3g}",
        f"  {_error(fit.error)}",
    ]
    for row in comparisons(cal, gpu):
        lines.append(
            f"  achieved {row['fraction']:.0%} of spec {row['what']} "
            f"({row['measured']:.4g} of {row['spec']:.4g} {row['unit']})"
        )
    return lines


def _collective_lines(cal: CalibrationFile, gpu: GpuProfile | None, catalog: Catalog) -> list[str]:
    lines = []
    for fit in cal.fits.collectives:
        line = (
            f"{fit.op} ({fit.backend}, {fit.num_ranks} ranks): busbw "
            f"{fit.bus_bandwidth_gb_per_s:.4g} GB/s, alpha {fit.alpha_us:.3g} us, half "
            f"bandwidth at {_size(fit.half_bandwidth_bytes)}"
        )
        if fit.span == "inter_node":
            line += (
                f"; scale-out {fit.link_rate_gb_per_s:.3g} GB/s per GPU, "
                f"{fit.step_latency_us:.3g} us per hop"
            )
        sizes = [
            p.size_bytes
            for p in cal.measurements.collectives
            if p.op == fit.op and p.num_ranks == fit.num_ranks
        ]
        if gpu is not None and sizes:
            group = group_from_catalog(catalog, num_gpus=fit.num_ranks, gpu=gpu.id)
            model = collective_time_s(fit.op, max(sizes), group)
            line += f"; catalog model {model.busbw_gb_per_s:.4g} GB/s at {_size(max(sizes))}"
        lines += [line, f"  {_error(fit.error)}"]
        span = fit.span.replace("_", "-")
        if fit.nodes and fit.nodes > 1:
            span += f" over {fit.nodes} scale-up domains (recorded; not laid over the catalog)"
        lines.append(f"  span: {span}")
        if fit.source is not None:
            src = fit.source
            lines.append(
                f"  from {src.file} line {src.first_line} (sha256 {src.sha256[:12]}), NCCL "
                f"{src.nccl_version or 'version not in the log'}, imported {src.imported_at}"
            )
    return lines


def show_lines(cal: CalibrationFile, catalog: Catalog) -> list[str]:
    """Human summary of one calibration file."""
    fp, method = cal.fingerprint, cal.method
    gpu = _target(cal, catalog)
    names = sorted({d.name for d in fp.devices})
    lines = [
        f"calibration of {', '.join(names)} x{len(fp.devices)} on {fp.host} ({fp.created_at})",
        f"  method: {method.mode}, {method.timer}, {method.statistic} of {method.repeats} "
        f"after {method.warmup} warm-up, L2 flush {'on' if method.l2_flush else 'off'}",
        f"  software: torch {fp.torch_version}, CUDA {fp.cuda_version}, NCCL {fp.nccl_version}, "
        f"driver {fp.driver_version}; NVML: {fp.nvml}",
    ]
    overlay = cal.overlay
    if overlay is None:
        lines.append("overlay: none")
    elif overlay.device_profile is not None:
        lines.append(
            f"overlay: adds device {overlay.device_profile.id!r} (no catalog profile "
            "to compare with)"
        )
    else:
        lines.append(f"overlay: replaces the efficiency table of {overlay.target_gpu_id!r}")
    lines += _gemm_lines(cal, gpu)
    for fit in cal.fits.bandwidth:
        line = f"{fit.kind}: {fit.bandwidth_gb_per_s:.4g} GB/s, latency {fit.latency_us:.3g} us"
        if gpu is not None and fit.kind == "device_copy":
            line += (
                f" ({fit.bandwidth_gb_per_s / gpu.memory_bandwidth_gb_per_s:.0%} of spec "
                f"{gpu.memory_bandwidth_gb_per_s:.4g})"
            )
        lines += [line, f"  {_error(fit.error)}"]
    lines += _collective_lines(cal, gpu, catalog)
    if cal.fits.power is not None:
        p = cal.fits.power
        line = (
            f"power ({p.source}): idle {p.idle_w:.0f} W, max {p.max_w:.0f} W, exponent "
            f"{p.exponent:.2f}"
        )
        if gpu is not None:
            line += f"; catalog idle {gpu.idle_power_w:.0f} W, TDP {gpu.tdp_w:.0f} W"
        lines += [line, f"  {_error(p.error)}"]
    if cal.fits.storage is not None:
        s = cal.fits.storage
        lines.append(
            f"storage {s.path}: read {s.read_gb_per_s:.3g} GB/s, write {s.write_gb_per_s:.3g} GB/s"
        )
    lines += [f"note: {n}" for n in method.notes]
    return lines
