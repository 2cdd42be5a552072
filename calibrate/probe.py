"""One probe run: plan, measure, fit, write. The only module that strings the others together.

Measurements that cannot be taken here (no second device for collectives, no NVML for power)
are skipped with a line saying so and a note in the file; the run goes on. The output is
written once, at the end, atomically: an interrupted probe leaves no file behind.
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calibrate import collectives, gemm_sweep, memory, power, storage
from calibrate import nvml as nvml_api
from calibrate import plan as plan_mod
from calibrate.fingerprint import fingerprint
from calibrate.fits import fit_and_overlay
from calibrate.output import write_calibration
from calibrate.progress import Progress
from calibrate.split import HELD_OUT_RULE
from calibrate.timing import make_timer
from calibrate.torch_env import import_torch, resolve_device
from simulator.schema.calibration import (
    CALIBRATION_SCHEMA_VERSION,
    CalibrationFile,
    Measurements,
    Method,
)
from simulator.schema.gpu import GpuProfile


@dataclass(frozen=True)
class ProbeOptions:
    """What `infrasim calibrate run` was asked to do."""

    device: str = "auto"
    quick: bool = False
    out: Path = Path("calibration.json")
    storage: Path | None = None
    gpu_id: str | None = None
    ranks: int | None = None
    power_w: tuple[float, float] | None = None
    threads: int | None = None


def _steps(plan: plan_mod.Plan) -> int:
    return (
        plan.passes * sum(len(s) for s in plan.gemm.values())
        + len(plan.copy_sizes)
        + len(plan.host_copy_sizes)
        + (1 if plan.ranks >= 2 else 0)
        + len(plan.power_duties)
        + (1 if plan.storage_bytes else 0)
        + 1
    )


def _measure(
    torch: Any,
    plan: plan_mod.Plan,
    opts: ProbeOptions,
    timer: Any,
    nvml: Any,
    progress: Progress,
    notes: list[str],
) -> Measurements:
    w, r = plan.warmup, plan.repeats
    gemm = gemm_sweep.sweep(
        torch, timer, plan.device, plan.gemm, warmup=w, repeats=r, passes=plan.passes, tick=progress
    )
    copies = memory.device_copies(
        torch, timer, plan.device, plan.copy_sizes, warmup=w, repeats=r, tick=progress
    )
    if plan.host_copy_sizes:
        copies += memory.host_copies(
            torch, timer, plan.host_copy_sizes, warmup=w, repeats=r, tick=progress
        )
    coll = []
    if plan.ranks >= 2:
        backend = "nccl" if plan.device == "cuda" else "gloo"
        progress(f"collectives: {backend}, {plan.ranks} ranks, {len(plan.collective_ops)} ops")
        try:
            coll = collectives.run_collectives(
                backend,
                plan.ranks,
                plan.collective_ops,
                plan.collective_sizes,
                warmup=w,
                repeats=plan.collective_repeats,
                passes=plan.passes,
            )
        except Exception as exc:  # a worker's failure arrives as ProcessRaisedException
            notes.append(f"collectives failed, skipped: {str(exc).strip().splitlines()[-1]}")
            progress.announce(f"collectives skipped: {notes[-1]}")
    samples = []
    if plan.power_duties:
        if nvml is None:
            progress.announce("NVML absent: no power measurements (continuing)")
        else:
            dtype = "bf16" if "bf16" in plan.gemm else "fp16"
            samples = power.power_sweep(
                torch, nvml, plan.power_duties, plan.power_seconds, dtype, tick=progress
            )
            if len(samples) < len(plan.power_duties):
                notes.append("NVML energy counter unreadable: power not measured")
    disk = []
    if opts.storage is not None:
        progress(f"storage {opts.storage}")
        disk = storage.storage_throughput(opts.storage, plan.storage_bytes)
    return Measurements(gemm=gemm, copies=copies, collectives=coll, power=samples, storage=disk)


def run_probe(opts: ProbeOptions, gpus: dict[str, GpuProfile], progress: Progress) -> Path:
    """Measure this machine, fit, write `opts.out`; returns the path written."""
    began = time.monotonic()
    torch = import_torch()
    device = resolve_device(opts.device)
    nvml, nvml_status = nvml_api.load() if device == "cuda" else (None, "not used on CPU")
    notes: list[str] = []
    if device == "cuda" and nvml is None:
        notes.append(nvml_status)
        progress.announce(f"{nvml_status}: continuing without power, clocks and UUIDs")
    if opts.threads is not None:
        torch.set_num_threads(opts.threads)
    timer = make_timer(torch, device)
    dtypes = gemm_sweep.cuda_dtypes(torch) if device == "cuda" else []
    plan = plan_mod.make_plan(
        device,
        opts.quick,
        cuda_dtypes=dtypes,
        num_devices=torch.cuda.device_count() if device == "cuda" else 0,
        ranks=opts.ranks,
        storage=opts.storage is not None,
    )
    notes += plan.notes
    rates = gemm_sweep.quick_rates_gflops(torch, timer, device, list(plan.gemm))
    copy_rate = memory.device_copies(
        torch, timer, device, [16 * 2**20], warmup=1, repeats=2, tick=lambda _: None
    )[0].gb_per_s
    progress.restart(_steps(plan))
    estimate = plan_mod.estimate_seconds(plan, rates, copy_rate)
    progress.announce(
        f"calibrating {device} ({plan.mode}): {progress.total} steps, about {estimate:.0f} s"
    )
    if plan.passes > 1:
        notes.append(
            f"repeats taken in {plan.passes} interleaved passes over all GEMM shapes "
            "and collective sizes, each pass after its own warm-up"
        )
    if plan.collective_repeats != plan.repeats and plan.ranks >= 2:
        notes.append(f"collectives: {plan.collective_repeats} repeats per size, wall clock")
    measurements = _measure(torch, plan, opts, timer, nvml, progress, notes)
    progress("fitting")
    print_ = fingerprint(torch, device, nvml, nvml_status)
    fits, overlay = fit_and_overlay(
        print_, measurements, gpus, gpu_id=opts.gpu_id, user_power=opts.power_w, notes=notes
    )
    took = time.monotonic() - began
    notes.append(f"run took {took:.1f} s, fitting included (estimated {estimate:.0f} s up front)")
    method = Method(
        mode=plan.mode,  # type: ignore[arg-type]
        timer=timer.name,
        warmup=plan.warmup,
        repeats=plan.repeats,
        statistic=timer.statistic,  # type: ignore[arg-type]
        l2_flush=timer.l2_flush,
        held_out_rule=HELD_OUT_RULE,
        notes=notes,
    )
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    calibration = CalibrationFile(
        schema_version=CALIBRATION_SCHEMA_VERSION,
        fingerprint=print_.model_copy(update={"created_at": stamp}),
        method=method,
        measurements=measurements,
        fits=fits,
        overlay=overlay,
    )
    progress.close()
    written = write_calibration(calibration, opts.out)
    progress.announce(f"done in {took:.1f} s (estimated {estimate:.0f} s)")
    return written
