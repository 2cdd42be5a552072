"""A real quick probe on this machine's CPU (gloo, 2 ranks), end to end through the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from simulator.atomic_files import TEMPORARY_MARK
from simulator.calibration_overlay import load_calibration
from simulator.cli import app
from tests.calibrate.conftest import CpuRun

pytest.importorskip("torch")


@pytest.fixture(scope="module")
def cpu_calibration(cpu_run: CpuRun) -> Path:
    """The shared quick CPU run's file (conftest.cpu_run)."""
    assert "about" in cpu_run.output and "steps" in cpu_run.output  # the up-front estimate
    return cpu_run.path


def test_quick_run_writes_a_valid_versioned_file(cpu_calibration: Path) -> None:
    cal = load_calibration(cpu_calibration)
    assert cal.schema_version == 1 and cal.method.mode == "quick"
    assert cal.method.statistic == "lower quartile" and cal.method.timer == "time.thread_time_ns"
    assert cal.fingerprint.device_kind == "cpu" and cal.fingerprint.torch_version
    assert {p.dtype for p in cal.measurements.gemm} == {"fp32", "fp16"}
    assert {p.op for p in cal.measurements.collectives} == {"all_reduce", "all_to_all"}
    assert all(p.num_ranks == 2 and p.backend == "gloo" for p in cal.measurements.collectives)
    assert {p.op for p in cal.measurements.storage} == {"read", "write"}
    assert not list(cpu_calibration.parent.glob(f".*{TEMPORARY_MARK}*"))


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
    args = [
        "estimate",
        "gemm",
        "--gpu",
        cpu_id,
        "--m",
        "256",
        "--n",
        "256",
        "--k",
        "256",
        "--dtype",
        "fp32",
        "--burst",
        "--json",
    ]
    assert runner.invoke(app, args).exit_code == 2  # unknown without the overlay
    result = runner.invoke(app, [*args, "--calibration", str(cpu_calibration)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["gpu"] == cpu_id


def test_show_prints_fits_and_errors(cpu_calibration: Path, runner) -> None:
    result = runner.invoke(app, ["calibrate", "show", str(cpu_calibration)])
    assert result.exit_code == 0, result.output
    assert "held-out error mean" in result.output
    assert "all_reduce (gloo, 2 ranks): busbw" in result.output
    assert "adds device 'cpu-" in result.output


def test_quick_run_reports_its_time(cpu_run: CpuRun) -> None:
    """The estimate up front, and the time the run actually took, on screen and in the file."""
    shown = re.search(r"done in ([0-9.]+) s \(estimated ([0-9]+) s\)", cpu_run.output)
    assert shown is not None, cpu_run.output
    notes = load_calibration(cpu_run.path).method.notes
    assert any(n.startswith(f"run took {shown.group(1)} s") for n in notes)


def test_quick_plan_stays_within_the_ci_budget() -> None:
    """Guard the CI budget: the quick CPU plan stays small and its estimate short."""
    from calibrate.plan import estimate_seconds, make_plan

    plan = make_plan("cpu", True, cuda_dtypes=[], num_devices=0, ranks=None, storage=False)
    assert sum(len(s) for s in plan.gemm.values()) <= 16
    assert len(plan.collective_sizes) <= 7 and plan.ranks == 2
    assert estimate_seconds(plan, {"fp32": 20.0, "fp16": 1.0}, copy_gb_per_s=5.0) < 120


def test_cpu_loop_closes_without_power_figures(tmp_path: Path, runner) -> None:
    """Probe -> overlay -> estimate with no --power-w and no --gpu: the entry is written with
    placeholder watts (said so), and an estimate given the file runs on the calibrated CPU."""
    pytest.importorskip("torch")
    out = tmp_path / "cpu.json"
    args = ["calibrate", "run", "--device", "cpu", "--quick", "--threads", "1", "--ranks", "2"]
    result = runner.invoke(app, [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    reply = json.loads(result.output[result.output.index("{") :])
    assert reply["overlay"] is True and any("placeholders" in n for n in reply["notes"])
    cal = load_calibration(out)
    assert cal.overlay is not None and cal.overlay.device_profile is not None
    assert "power not calibrated" in cal.overlay.device_profile.name
    gemm = ["estimate", "gemm", "--m", "256", "--n", "256", "--k", "256", "--dtype", "fp32"]
    result = runner.invoke(app, [*gemm, "--burst", "--json", "--calibration", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["gpu"] == cal.overlay.device_profile.id


@pytest.mark.slow
def test_cpu_loop_predicts_fresh_points_on_a_quiet_machine(tmp_path: Path) -> None:
    """Probe -> overlay -> estimate against fresh, interleaved measurements (the benchmark's
    own code) within 25%: gated only when the machine is quiet (1-minute load below 1), since
    on a shared box the figure moves with the neighbours; otherwise skipped, saying why."""
    import os

    pytest.importorskip("torch")
    load = os.getloadavg()[0]
    if load >= 1:
        pytest.skip(f"load {load:.2f} >= 1: benchmarks/bench_calibrate_cpu.py reports it")
    from benchmarks import bench_calibrate_cpu as bench

    out = tmp_path / "cpu.json"
    bench.infrasim(
        "calibrate", "run", "--device", "cpu", "--quick", "--threads", str(bench.THREADS),
        "--ranks", str(bench.RANKS), "--out", str(out),
    )  # fmt: skip
    device = load_calibration(out).overlay.device_profile.id  # type: ignore[union-attr]
    predicted = {}
    for m, n, k in bench.GEMM_SHAPES:
        shape = ["--m", str(m), "--n", str(n), "--k", str(k), "--dtype", "fp32", "--burst"]
        predicted[f"gemm {m}x{n}x{k}"] = bench.estimate(out, device, "gemm", *shape)
    size = ["--op", "all_reduce", "--num-gpus", str(bench.RANKS)]
    predicted["all_reduce"] = bench.estimate(
        out, device, "collective", *size, "--size", str(bench.ALL_REDUCE_BYTES)
    )
    # minimum of N: a neighbour only ever slows a fresh measurement (a 2-rank gloo all-reduce
    # on two shared vCPUs most of all), so a figure outside the band is measured once more
    # and the faster of the two measurements counts
    fresh = bench.measure_fresh(3)
    errors = {name: predicted[name] / fresh[name] - 1 for name in predicted}
    if any(abs(e) >= bench.TOLERANCE for e in errors.values()):
        again = bench.measure_fresh(3)
        fresh = {name: min(fresh[name], again[name]) for name in fresh}
        errors = {name: predicted[name] / fresh[name] - 1 for name in predicted}
    print({name: f"{e:+.1%}" for name, e in errors.items()})
    assert all(abs(e) < bench.TOLERANCE for e in errors.values()), errors
