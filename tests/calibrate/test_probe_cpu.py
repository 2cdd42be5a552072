"""A real quick probe on this machine's CPU (gloo, 2 ranks), end to end through the CLI."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from simulator.calibration_overlay import load_calibration
from simulator.cli import app

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def cpu_calibration(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One quick CPU run shared by the tests below (a few seconds on an idle machine)."""
    from typer.testing import CliRunner

    out = tmp_path_factory.mktemp("cal") / "cpu.json"
    storage = tmp_path_factory.mktemp("disk")
    result = CliRunner().invoke(
        app,
        ["calibrate", "run", "--device", "cpu", "--quick", "--threads", "1", "--ranks", "2",
         "--power-w", "10:65", "--storage", str(storage), "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    assert "about" in result.output and "steps" in result.output  # the up-front estimate
    return out


def test_quick_run_writes_a_valid_versioned_file(cpu_calibration: Path) -> None:
    cal = load_calibration(cpu_calibration)
    assert cal.schema_version == 1 and cal.method.mode == "quick"
    assert cal.method.statistic == "median" and cal.method.timer == "time.perf_counter_ns"
    assert cal.fingerprint.device_kind == "cpu" and cal.fingerprint.torch_version
    assert {p.dtype for p in cal.measurements.gemm} == {"fp32", "fp16"}
    assert {p.op for p in cal.measurements.collectives} == {"all_reduce", "all_to_all"}
    assert all(p.num_ranks == 2 and p.backend == "gloo" for p in cal.measurements.collectives)
    assert {p.op for p in cal.measurements.storage} == {"read", "write"}
    assert not list(cpu_calibration.parent.glob(".*.tmp"))


def test_every_fit_reports_held_out_error(cpu_calibration: Path) -> None:
    fits = load_calibration(cpu_calibration).fits
    assert fits.gemm is not None and fits.gemm.error.held_out_points > 0
    assert fits.gemm.error.held_out_mean_abs_pct is not None
    assert [f.kind for f in fits.bandwidth] == ["device_copy"]
    assert fits.bandwidth[0].error.held_out_points == 1
    ops = {f.op: f for f in fits.collectives}
    assert set(ops) == {"all_reduce", "all_to_all"}
    assert all(f.error.held_out_mean_abs_pct is not None for f in ops.values())


def test_busbw_follows_nccl_tests_definition(cpu_calibration: Path) -> None:
    for p in load_calibration(cpu_calibration).measurements.collectives:
        assert p.algbw_gb_per_s == pytest.approx(p.size_bytes / p.time_s / 1e9)
        factor = 1.0 if p.op == "all_reduce" else 0.5  # 2(n-1)/n and (n-1)/n at n = 2
        assert p.busbw_gb_per_s == pytest.approx(p.algbw_gb_per_s * factor)


def test_cpu_entry_is_usable_by_estimates(cpu_calibration: Path, runner) -> None:
    cal = load_calibration(cpu_calibration)
    assert cal.overlay is not None and cal.overlay.device_profile is not None
    cpu_id = cal.overlay.device_profile.id
    args = ["estimate", "gemm", "--gpu", cpu_id, "--m", "256", "--n", "256", "--k", "256",
            "--dtype", "fp32", "--burst", "--json"]
    assert runner.invoke(app, args).exit_code == 2  # unknown without the overlay
    result = runner.invoke(app, [*args, "--calibration", str(cpu_calibration)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["gpu"] == cpu_id


def _cpu_is_shared() -> bool:
    return os.getloadavg()[0] > (os.cpu_count() or 1)


@pytest.mark.skipif(_cpu_is_shared(), reason="CPU busy with other work (load above CPU count): "
                    "a timing comparison would measure the neighbours, not the model")
def test_estimate_predicts_a_fresh_cpu_matmul(cpu_calibration: Path, runner) -> None:
    """The issue's check: the calibrated model against a matmul timed after the probe.

    Timing noise on a shared CPU is real, so the fresh measurement is the best of three
    medians; the model has to land within 25% of it (the issue's tolerance) or the test fails.
    """
    import torch

    from calibrate.gemm_sweep import time_gemm
    from calibrate.timing import CpuTimer

    cal = load_calibration(cpu_calibration)
    assert cal.overlay is not None and cal.overlay.device_profile is not None
    torch.set_num_threads(1)
    shape = (384, 384, 384)
    fresh = min(
        time_gemm(torch, CpuTimer(), "cpu", "fp32", shape, warmup=2, repeats=9).time_s
        for _ in range(3)
    )
    result = runner.invoke(
        app,
        ["estimate", "gemm", "--gpu", cal.overlay.device_profile.id, "--m", "384", "--n", "384",
         "--k", "384", "--dtype", "fp32", "--burst", "--json",
         "--calibration", str(cpu_calibration)],
    )
    predicted = json.loads(result.output)["time_s"]
    assert predicted == pytest.approx(fresh, rel=0.25)


def test_show_prints_fits_and_errors(cpu_calibration: Path, runner) -> None:
    result = runner.invoke(app, ["calibrate", "show", str(cpu_calibration)])
    assert result.exit_code == 0, result.output
    assert "held-out error mean" in result.output
    assert "all_reduce (gloo, 2 ranks): busbw" in result.output
    assert "adds device 'cpu-" in result.output


def test_quick_plan_stays_within_the_ci_budget() -> None:
    """Guard the CI budget: the quick CPU plan stays small and its estimate short."""
    from calibrate.plan import estimate_seconds, make_plan

    plan = make_plan("cpu", True, cuda_dtypes=[], num_devices=0, ranks=None, storage=False)
    assert sum(len(s) for s in plan.gemm.values()) <= 16
    assert len(plan.collective_sizes) <= 6 and plan.ranks == 2
    assert estimate_seconds(plan, {"fp32": 20.0, "fp16": 1.0}, copy_gb_per_s=5.0) < 120
