"""Issue 8's CPU check: a quick calibration predicts a fresh matmul and a fresh gloo all-reduce.

The calibration and the fresh points come from conftest.cpu_run, back to back; the fresh
points are held out (shapes and sizes the quick sweep never measured) and measured the probe's
way (tests/calibrate/fresh.py). The estimates go through the CLI with `--calibration`, as a
planner would make them. Tolerance: the issue's 25%, never skipped for load (the probe's CPU
timer and statistic are what make the check hold on a shared machine: calibrate/timing.py).
"""

from __future__ import annotations

import json
import re

import pytest

from simulator.calibration_overlay import load_calibration
from simulator.cli import app
from tests.calibrate.conftest import CPU_RANKS, CpuRun
from tests.calibrate.fresh import ALL_REDUCE_BYTES, GEMM_SHAPES

pytest.importorskip("torch")
TOLERANCE = 0.25


def _device_id(run: CpuRun) -> str:
    cal = load_calibration(run.path)
    assert cal.overlay is not None and cal.overlay.device_profile is not None
    return cal.overlay.device_profile.id


def _estimate(runner, run: CpuRun, args: list[str]) -> float:
    result = runner.invoke(
        app, ["estimate", *args, "--gpu", _device_id(run), "--json", "--calibration", str(run.path)]
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["time_s"]


@pytest.mark.parametrize("shape", GEMM_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_estimate_predicts_a_fresh_cpu_matmul(
    cpu_run: CpuRun, runner, shape: tuple[int, int, int]
) -> None:
    m, n, k = shape
    predicted = _estimate(
        runner,
        cpu_run,
        ["gemm", "--m", str(m), "--n", str(n), "--k", str(k), "--dtype", "fp32", "--burst"],
    )
    fresh = cpu_run.fresh.gemm_s[shape]
    assert predicted == pytest.approx(fresh, rel=TOLERANCE), cpu_run.fresh.rounds


def test_estimate_predicts_a_fresh_gloo_all_reduce(cpu_run: CpuRun, runner) -> None:
    predicted = _estimate(
        runner,
        cpu_run,
        [
            "collective",
            "--op",
            "all_reduce",
            "--num-gpus",
            str(CPU_RANKS),
            "--size",
            str(ALL_REDUCE_BYTES),
        ],
    )
    assert predicted == pytest.approx(cpu_run.fresh.all_reduce_s, rel=TOLERANCE), (
        cpu_run.fresh.rounds
    )


def test_fresh_points_are_held_out(cpu_run: CpuRun) -> None:
    """The check would be a train-set error if the sweep had measured these points."""
    measured = load_calibration(cpu_run.path).measurements
    assert not {(p.m, p.n, p.k) for p in measured.gemm} & set(GEMM_SHAPES)
    assert ALL_REDUCE_BYTES not in {p.size_bytes for p in measured.collectives}


def test_quick_run_reports_its_time(cpu_run: CpuRun) -> None:
    """The estimate up front, and the time the run actually took, on screen and in the file."""
    shown = re.search(r"done in ([0-9.]+) s \(estimated ([0-9]+) s\)", cpu_run.output)
    assert shown is not None, cpu_run.output
    notes = load_calibration(cpu_run.path).method.notes
    assert any(n.startswith(f"run took {shown.group(1)} s") for n in notes)
