"""Calibration test helpers: skip `gpu` tests without CUDA; a synthetic calibration file; one
real quick CPU probe run, shared by the tests that read its file."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from simulator.catalog import Catalog

CPU_THREADS, CPU_RANKS = 1, 2


@dataclass(frozen=True)
class CpuRun:
    """A quick CPU calibration file and what the probe printed."""

    path: Path
    output: str


@pytest.fixture(scope="session")
def cpu_run(tmp_path_factory: pytest.TempPathFactory) -> CpuRun:
    """`calibrate run --device cpu --quick`: a few seconds on an idle machine, shared by all.

    Its figures are measurements, so tests read its structure, never its speed: how well it
    predicts fresh points is benchmarks/bench_calibrate_cpu.py."""
    pytest.importorskip("torch")
    from typer.testing import CliRunner

    from simulator.cli import app

    out = tmp_path_factory.mktemp("cal") / "cpu.json"
    storage = tmp_path_factory.mktemp("disk")
    result = CliRunner().invoke(
        app,
        [
            "calibrate",
            "run",
            "--device",
            "cpu",
            "--quick",
            "--threads",
            str(CPU_THREADS),
            "--ranks",
            str(CPU_RANKS),
            "--power-w",
            "10:65",
            "--storage",
            str(storage),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    return CpuRun(path=out, output=result.output)


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked `gpu` need a CUDA device; skip them (with the reason) without one."""
    if _has_cuda():
        return
    skip = pytest.mark.skip(reason="needs a CUDA GPU (torch.cuda.is_available() is False)")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)


def h100_overlay_file(path: Path, catalog: Catalog, bf16_fraction: float) -> Path:
    """A minimal valid calibration file whose overlay retunes the H100's bf16 fraction."""
    gpu = catalog.gpu("h100-sxm-80gb")
    table = gpu.efficiency.model_dump()
    table["gemm"]["max_fraction_of_peak"]["bf16"] = bf16_fraction
    data: dict[str, Any] = {
        "schema_version": 1,
        "fingerprint": {
            "device_kind": "cuda",
            "devices": [{"index": 0, "name": "NVIDIA H100 80GB HBM3"}],
            "host": "test",
            "os": "test",
            "python_version": "3.11",
            "infrasim_version": "0.1.0",
            "nvml": "not used",
            "created_at": "2025-01-01T00:00:00+00:00",
        },
        "method": {
            "mode": "quick",
            "timer": "cuda events",
            "warmup": 2,
            "repeats": 5,
            "l2_flush": True,
            "held_out_rule": "test",
        },
        "measurements": {},
        "fits": {},
        "overlay": {"target_gpu_id": "h100-sxm-80gb", "efficiency": table},
    }
    path.write_text(json.dumps(data))
    return path
