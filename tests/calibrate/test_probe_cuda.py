"""The CUDA path (NCCL, NVML, CUDA events): runs only where a GPU is present."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.calibration_overlay import load_calibration
from simulator.cli import app


@pytest.mark.gpu
def test_quick_cuda_run_overlays_the_matching_gpu(tmp_path: Path, runner) -> None:
    out = tmp_path / "gpu.json"
    result = runner.invoke(
        app, ["calibrate", "run", "--device", "cuda", "--quick", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    cal = load_calibration(out)
    assert cal.method.timer == "cuda events" and cal.method.l2_flush
    assert cal.fingerprint.devices[0].name and cal.fingerprint.cuda_version
    assert cal.fits.gemm is not None and cal.fits.gemm.error.held_out_points > 0
    assert any(f.kind == "host_to_device" for f in cal.fits.bandwidth)
    if cal.fingerprint.nvml == "available":
        assert cal.fits.power is not None and cal.fits.power.source == "nvml"
    if len(cal.fingerprint.devices) > 1:
        assert {f.op for f in cal.fits.collectives} >= {"all_reduce"}
    assert cal.overlay is not None
    shown = runner.invoke(app, ["calibrate", "show", str(out)])
    assert shown.exit_code == 0 and "held-out error" in shown.output
