"""`infrasim calibrate import-nccl-tests`: a calibration file from an nccl-tests log.

The fingerprint describes the log (device name, rank count), not the machine importing it;
what the log does not say stays empty. The collective model is fitted exactly as for the
probe's own measurements, and overlays the matching catalog GPU's collective parameters.
"""

from __future__ import annotations

import datetime
import platform
import re
from pathlib import Path

from calibrate.fits import fit_and_overlay
from calibrate.nccl_tests import read_nccl_tests
from calibrate.split import HELD_OUT_RULE
from simulator import __version__
from simulator.schema.calibration import (
    CALIBRATION_SCHEMA_VERSION,
    CalibrationFile,
    DeviceInfo,
    Fingerprint,
    Measurements,
    Method,
)
from simulator.schema.gpu import GpuProfile

_ITERS = re.compile(r"warmup iters:\s*(\d+)\s+iters:\s*(\d+)")


def _iterations(path: Path) -> tuple[int, int]:
    match = _ITERS.search(path.read_text(encoding="utf-8", errors="replace"))
    return (int(match.group(1)), int(match.group(2))) if match else (0, 1)


def import_log(
    path: Path, gpus: dict[str, GpuProfile], *, op: str | None, gpu_id: str | None
) -> CalibrationFile:
    """Parse, fit and build the overlay for one log."""
    points, device_name = read_nccl_tests(path, op)
    stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    fingerprint = Fingerprint(
        device_kind="cuda",
        devices=[DeviceInfo(index=0, name=device_name)],
        host=f"(nccl-tests log {path.name})",
        os="(not in the log)",
        python_version=platform.python_version(),
        infrasim_version=__version__,
        nvml="not used: imported from an nccl-tests log",
        created_at=stamp,
    )
    notes = [f"imported from {path} ({points[0].num_ranks} ranks, {points[0].op})"]
    measurements = Measurements(collectives=points)
    fits, overlay = fit_and_overlay(
        fingerprint, measurements, gpus, gpu_id=gpu_id, user_power=None, notes=notes
    )
    warmup, iters = _iterations(path)
    method = Method(
        mode="imported",
        timer="nccl-tests (CUDA events)",
        warmup=warmup,
        repeats=max(iters, 1),
        statistic="mean",
        l2_flush=False,
        held_out_rule=HELD_OUT_RULE,
        notes=notes,
    )
    return CalibrationFile(
        schema_version=CALIBRATION_SCHEMA_VERSION,
        fingerprint=fingerprint,
        method=method,
        measurements=measurements,
        fits=fits,
        overlay=overlay,
    )
