"""Turn fits into the file's overlay: a new efficiency table for a catalog GPU, or a device
entry for hardware the catalog lacks.

Target, in order: the GPU id the user named (`--gpu-id`), the catalog GPU whose name matches
the measured device, else a new entry built from the measurements alone (a CPU, an unknown GPU).
In an entry, "peak" means the best rate measured (so the fitted fractions are relative to it),
memory and link bandwidths are the fitted ones with achievable fraction 1, and the host link of
a CPU is its memory copy bandwidth. Power figures come from NVML or the user's
`--power-w IDLE:MAX`; without them the entry carries placeholder watts, says so in its name,
source and the file's notes, and still serves every time estimate.
"""

from __future__ import annotations

import re
from typing import Any

from simulator.calibration_overlay import match_gpu
from simulator.schema.calibration import (
    BandwidthFit,
    CalibrationFile,
    CollectiveFit,
    Fingerprint,
    Fits,
    Overlay,
    PowerFit,
)
from simulator.schema.gpu import (
    CollectiveEfficiency,
    EfficiencyTable,
    GemmEfficiency,
    GpuProfile,
    PowerPoint,
)

CURVE_POINTS = 11


def pick_target(
    fingerprint: Fingerprint, gpus: dict[str, GpuProfile], gpu_id: str | None
) -> str | None:
    """The catalog GPU to overlay, or None for a new device entry."""
    if gpu_id is not None:
        return gpu_id
    if fingerprint.device_kind == "cuda":
        return match_gpu(fingerprint.devices[0].name, gpus)
    return None


def _bandwidth(fits: list[BandwidthFit], kind: str) -> float | None:
    return next((f.bandwidth_gb_per_s for f in fits if f.kind == kind), None)


def _all_reduce(fits: list[CollectiveFit]) -> CollectiveFit | None:
    return next((f for f in fits if f.op == "all_reduce"), None)


def _collective_table(base: CollectiveEfficiency, fit: CollectiveFit | None) -> Any:
    """`base` with the fitted latencies and fill, marked `generic`: the fit ran the model with
    one generic protocol (fit_collectives.group_for), for gloo and NCCL alike, so estimates use
    what was fitted (its step latency included) rather than lay NCCL's protocol costs and the
    catalog link's latency on top of it."""
    if fit is None:
        return base
    update: dict[str, Any] = {
        "launch_latency_us": fit.launch_latency_us,
        "scale_up_step_latency_us": fit.step_latency_us,
        "pipeline_fill_mib": fit.pipeline_fill_mib,
        "library": "generic",
    }
    return base.model_copy(update=update)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40] or "device"


def entry_id(fingerprint: Fingerprint, gpus: dict[str, GpuProfile]) -> str:
    """`cpu-<model>` or `<gpu name>-calibrated`, never an id the catalog already has."""
    name = _slug(fingerprint.devices[0].name)
    base = f"cpu-{name}" if fingerprint.device_kind == "cpu" else f"{name}-calibrated"
    return base if base not in gpus else f"{base}-{_slug(fingerprint.host)}"


def entry_data(
    fingerprint: Fingerprint,
    fits: Fits,
    peaks: dict[str, float],
    power: PowerFit | None,
    gpus: dict[str, GpuProfile],
) -> dict[str, Any] | str:
    """A device entry as plain data, or why one cannot be built."""
    device = fingerprint.devices[0]
    memory_bw = _bandwidth(fits.bandwidth, "device_copy")
    missing = [d for d in ("fp32", "fp16") if d not in peaks]
    if missing or memory_bw is None or device.memory_bytes is None:
        return f"no device entry: not measured: {', '.join(missing) or 'memory'}"
    host_bw = _bandwidth(fits.bandwidth, "host_to_device") or memory_bw
    all_reduce = _all_reduce(fits.collectives)
    date = fingerprint.created_at[:10]
    source = f"infrasim calibrate run on {fingerprint.host}, {fingerprint.created_at}"
    data: dict[str, Any] = {
        "id": entry_id(fingerprint, gpus),
        "kind": "gpu",
        "name": f"{device.name} (calibrated on {fingerprint.host})",
        "source": source,
        "as_of": date,
        "vendor": "other" if fingerprint.device_kind == "cpu" else "nvidia",
        "architecture": fingerprint.device_kind,
        "peak_tflops": peaks,
        "memory_gib": device.memory_bytes / 2**30,
        "memory_bandwidth_gb_per_s": memory_bw,
        "sm_count": device.multiprocessors or fingerprint.cpu_threads,
        # Without power figures these are placeholders: fits.py marks the entry as such.
        "tdp_w": power.max_w if power else 2.0,
        "idle_power_w": power.idle_w if power else 1.0,
        "host_link_bandwidth_gb_per_s": host_bw,
        "scale_up_bandwidth_gb_per_s": 2 * all_reduce.link_rate_gb_per_s if all_reduce else None,
        "efficiency": {
            "source": source,
            "as_of": date,
            "gemm": GemmEfficiency(max_fraction_of_peak={"fp32": 1.0}).model_dump(),
            "memory_bandwidth_fraction": 1.0,
            "scale_up_bandwidth_fraction": 1.0,
            "collectives": _collective_table(CollectiveEfficiency(), all_reduce).model_dump(),
        },
    }
    if power is not None and power.source != "user":
        data["power_curve"] = [p.model_dump() for p in power_curve(power)]
    return data


def power_curve(power: PowerFit) -> list[PowerPoint]:
    """The fitted curve sampled at 0, 0.1, ..., 1."""
    from calibrate.fit_power import power_at

    return [
        PowerPoint(
            utilization=i / (CURVE_POINTS - 1), power_w=power_at(power, i / (CURVE_POINTS - 1))
        )
        for i in range(CURVE_POINTS)
    ]


def target_base(gpu: GpuProfile, fits: Fits, notes: list[str]) -> GpuProfile:
    """The catalog GPU with its memory fraction set to what was measured (the GEMM fit's base)."""
    measured = _bandwidth(fits.bandwidth, "device_copy")
    if measured is None:
        return gpu
    fraction = measured / gpu.memory_bandwidth_gb_per_s
    if fraction > 1:
        notes.append(
            f"measured memory bandwidth {measured:.0f} GB/s exceeds {gpu.id}'s spec; "
            "fraction capped at 1"
        )
    table = gpu.efficiency.model_copy(update={"memory_bandwidth_fraction": min(1.0, fraction)})
    return gpu.model_copy(update={"efficiency": table})


def target_overlay(gpu: GpuProfile, cal: CalibrationFile, notes: list[str]) -> Overlay:
    """Replacement efficiency table (and power curve) for catalog GPU `gpu`."""
    fits = cal.fits
    base = target_base(gpu, fits, notes)
    table = base.efficiency
    updates: dict[str, Any] = {
        "source": f"infrasim calibrate on {cal.fingerprint.host}, {cal.fingerprint.created_at}",
        "as_of": cal.fingerprint.created_at[:10],
        "fitted_to_cases": [],
    }
    if fits.gemm is not None:
        updates["gemm"] = fits.gemm.parameters
    all_reduce = _all_reduce(fits.collectives)
    if all_reduce is not None:
        updates["collectives"] = _collective_table(table.collectives, all_reduce)
        link = gpu.scale_up_bandwidth_per_direction_gb_per_s() or gpu.host_link_bandwidth_gb_per_s
        fraction = all_reduce.link_rate_gb_per_s / link
        if fraction > 1:
            notes.append(f"measured link rate exceeds {gpu.id}'s scale-up spec; capped at 1")
        updates["scale_up_bandwidth_fraction"] = min(1.0, fraction)
    efficiency = EfficiencyTable.model_validate(
        {
            **table.model_dump(),
            **{k: v.model_dump() if hasattr(v, "model_dump") else v for k, v in updates.items()},
        }
    )
    curve = idle = None
    power = fits.power
    if power is not None and power.source != "user":
        curve = power_curve(power)
        idle = power.idle_w if power.idle_w < gpu.tdp_w else None
    return Overlay(
        target_gpu_id=gpu.id, efficiency=efficiency, power_curve=curve, idle_power_w=idle
    )
