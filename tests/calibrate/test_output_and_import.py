"""Atomic output, and fitting the collective model from nccl-tests logs (text and -J JSON)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from calibrate.fit_collectives import group_for
from calibrate.nccl_tests import ranks_from_ratio, read_nccl_tests
from calibrate.output import write_calibration
from simulator.calibration_overlay import load_calibration
from simulator.cli import app
from simulator.perf.collectives import bus_factor, collective_time_s
from tests.calibrate.conftest import h100_overlay_file

TRUTH = group_for(8, launch_us=15.0, step_us=2.0, rate_gb_per_s=370.0, fill_mib=32.0)
SIZES = [2**e for e in range(3, 34)]


def _rows() -> list[tuple[int, float, float, float]]:
    rows = []
    for size in SIZES:
        t_us = collective_time_s("all_reduce", size, TRUTH).time_s * 1e6
        algbw = size / t_us / 1e3
        rows.append((size, t_us, algbw, algbw * bus_factor("all_reduce", 8)))
    return rows


def _text_log() -> str:
    head = [
        "# nccl-tests version 2.15.0 nccl-headers=22305 nccl-library=22305",
        "# Collective test starting: all_reduce_perf",
        "# nThread 1 nGpus 8 minBytes 8 maxBytes 8589934592 step: 2(factor) warmup iters: 5 "
        "iters: 20 agg iters: 1 validation: 1 graph: 0",
        "#",
        "# Using devices",
    ]
    head += [
        f"#  Rank  {r} Group  0 Pid   1234 on     node01 device  {r} [0000:{r:02x}:00] "
        "NVIDIA H100 80GB HBM3"
        for r in range(8)
    ]
    head += [
        "#",
        "#       size         count      type   redop    root     time   algbw   busbw "
        "#wrong     time   algbw   busbw #wrong",
    ]
    body = [
        f"{s:12d}  {s // 4:12d}     float     sum      -1  {t:7.2f}  {a:6.2f}  {b:6.2f}      0"
        f"  {t:7.2f}  {a:6.2f}  {b:6.2f}      0"
        for s, t, a, b in _rows()
    ]
    return "\n".join(head + body + ["# Avg bus bandwidth    : 120.5", ""])


def _json_log() -> dict:
    return {
        "version": 2,
        "args": ["./build/all_reduce_perf", "-b", "8", "-e", "8G", "-f", "2", "-g", "8"],
        "nccl_version": 22305,
        "config": {
            "nthreads": 1,
            "ngpus": 8,
            "devices": [{"rank": 0, "device_info": "NVIDIA H100 80GB HBM3"}],
        },
        "results": [
            {
                "size": s,
                "count": s // 4,
                "type": "float",
                "redop": "sum",
                "root": "    -1",
                "out_of_place": {"time": t, "alg_bw": a, "bus_bw": b, "nwrong": 0},
            }
            for s, t, a, b in _rows()
        ],
    }


@pytest.mark.parametrize("kind", ["text", "json"])
def test_import_fits_the_collective_model(kind: str, tmp_path: Path, runner) -> None:
    log = tmp_path / f"log.{kind}"
    log.write_text(_text_log() if kind == "text" else json.dumps(_json_log()))
    (run,) = read_nccl_tests(log)
    assert run.gpu == "NVIDIA H100 80GB HBM3" and run.ranks == 8
    out = tmp_path / "cal.json"
    result = runner.invoke(app, ["calibrate", "import-nccl-tests", str(log), "--out", str(out)])
    assert result.exit_code == 0, result.output
    cal = load_calibration(out)
    (fit,) = cal.fits.collectives
    assert fit.op == "all_reduce" and fit.num_ranks == 8
    assert fit.bus_bandwidth_gb_per_s == pytest.approx(370, rel=0.03)
    assert fit.error.held_out_mean_abs_pct is not None and fit.error.held_out_mean_abs_pct < 5
    assert cal.overlay is not None and cal.overlay.target_gpu_id == "h100-sxm-80gb"
    assert cal.overlay.efficiency is not None
    assert cal.overlay.efficiency.collectives.launch_latency_us == fit.launch_latency_us


def test_import_without_op_or_rows_fails_clearly(tmp_path: Path, runner) -> None:
    log = tmp_path / "log.txt"
    log.write_text("just some text\n")
    result = runner.invoke(
        app, ["calibrate", "import-nccl-tests", str(log), "--out", str(tmp_path / "o.json")]
    )
    assert result.exit_code == 2 and f"{log}: results: no result rows found" in result.output


def test_ranks_from_bus_factor() -> None:
    assert ranks_from_ratio("all_reduce", 100.0, 175.0) == 8
    assert ranks_from_ratio("all_gather", 100.0, 75.0) == 4


def test_interrupted_write_leaves_no_file(tmp_path: Path, catalog, monkeypatch) -> None:
    cal = load_calibration(h100_overlay_file(tmp_path / "src.json", catalog, 0.5))
    target = tmp_path / "out" / "cal.json"

    def interrupted(fd: int) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_calibration(cal, target)
    assert list(target.parent.iterdir()) == []
    monkeypatch.undo()
    write_calibration(cal, target)
    assert load_calibration(target) == cal
