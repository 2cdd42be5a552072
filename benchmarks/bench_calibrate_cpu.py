"""How well a quick CPU calibration predicts points it never measured (issue 8's check).

    python benchmarks/bench_calibrate_cpu.py
    python benchmarks/bench_calibrate_cpu.py --rounds 7 --json-out figures.json

Runs `infrasim calibrate run --device cpu --quick` (one intra-op thread, two gloo ranks), then
measures GEMM shapes and an all-reduce size the quick sweep never saw, the probe's way (same
timer, warm-up, repeats, passes and statistic), `--rounds` times with GEMM and all-reduce
alternating, and takes the median round. `infrasim estimate --calibration` predicts the same
points; the figures are the prediction errors. Target: within 25%.

This was a unit test until it failed on a busy CI box (load 2.6 on 2 cores): it is a
measurement, and a measurement on a shared machine moves with the neighbours, so it is reported
here and never gates a build. The tests keep what cannot move: the same check on a machine
made of known curves (tests/calibrate/test_cpu_check.py). Needs torch (the `calibrate` extra).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.figures import figure, write_figures  # noqa: E402

THREADS, RANKS = 1, 2
TOLERANCE = 0.25
GEMM_SHAPES = ((448, 448, 448), (384, 768, 256))
"""Not in the quick sweep: a square between 384 and 512, and a transformer-like shape."""
ALL_REDUCE_BYTES = 2 * 2**20
"""Not in the quick sweep (1 KiB x 4^i): between 1 and 4 MiB, where bandwidth dominates."""


def infrasim(*args: str) -> str:
    """Run the installed CLI as a planner would; its standard output."""
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", *args], capture_output=True, text=True, cwd=ROOT
    )
    if proc.returncode != 0:
        sys.exit(f"infrasim {' '.join(args[:2])} failed: {proc.stderr.strip()[-400:]}")
    return proc.stdout


def measure_fresh(rounds: int) -> dict[str, float]:
    """Median over `rounds` of the quick plan's procedure at the held-out shapes and size."""
    import torch

    from calibrate import collectives, gemm_sweep
    from calibrate.plan import make_plan
    from calibrate.timing import CpuTimer

    torch.set_num_threads(THREADS)
    plan = make_plan("cpu", True, cuda_dtypes=[], num_devices=0, ranks=RANKS, storage=False)
    seen: dict[str, list[float]] = {}
    for _ in range(rounds):
        points = gemm_sweep.sweep(
            torch,
            CpuTimer(THREADS),
            "cpu",
            {"fp32": list(GEMM_SHAPES)},
            warmup=plan.warmup,
            repeats=plan.repeats,
            passes=plan.passes,
            tick=lambda _: None,
        )
        for p in points:
            seen.setdefault(f"gemm {p.m}x{p.n}x{p.k}", []).append(p.time_s)
        (reduce,) = collectives.run_collectives(
            "gloo",
            plan.ranks,
            ("all_reduce",),
            [ALL_REDUCE_BYTES],
            warmup=plan.warmup,
            repeats=plan.collective_repeats,
            passes=plan.passes,
        )
        seen.setdefault("all_reduce", []).append(reduce.time_s)
    return {name: statistics.median(times) for name, times in seen.items()}


def estimate(calibration: Path, device: str, *args: str) -> float:
    """Seconds `infrasim estimate` predicts with the calibration laid over the catalog."""
    out = infrasim("estimate", *args, "--gpu", device, "--json", "--calibration", str(calibration))
    return float(json.loads(out)["time_s"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="fresh measurement rounds")
    parser.add_argument("--json-out", type=Path, help="figures as JSON (figures.py)")
    args = parser.parse_args()
    from simulator.calibration_overlay import load_calibration

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cpu.json"
        start = time.perf_counter()
        infrasim(
            "calibrate", "run", "--device", "cpu", "--quick", "--threads", str(THREADS),
            "--ranks", str(RANKS), "--power-w", "10:65", "--out", str(path),
        )  # fmt: skip
        calibrate_s = time.perf_counter() - start
        fresh = measure_fresh(args.rounds)
        cal = load_calibration(path)
        if cal.overlay is None or cal.overlay.device_profile is None:
            sys.exit("the calibration file carries no device entry")
        device = cal.overlay.device_profile.id
        checks = []
        for m, n, k in GEMM_SHAPES:
            shape = ["--m", str(m), "--n", str(n), "--k", str(k), "--dtype", "fp32", "--burst"]
            checks.append(
                (
                    f"fresh {m}x{n}x{k} fp32 matmul",
                    estimate(path, device, "gemm", *shape),
                    fresh[f"gemm {m}x{n}x{k}"],
                )
            )
        size = ["--op", "all_reduce", "--num-gpus", str(RANKS), "--size", str(ALL_REDUCE_BYTES)]
        checks.append(
            (
                f"fresh {ALL_REDUCE_BYTES // 2**20} MiB gloo all-reduce, {RANKS} ranks",
                estimate(path, device, "collective", *size),
                fresh["all_reduce"],
            )
        )
    figures = [figure("quick CPU calibration run, wall", calibrate_s, "s")]
    for name, predicted, measured in checks:
        error = predicted / measured - 1
        print(f"{name}: predicted {predicted:.4g} s, measured {measured:.4g} s ({error:+.1%})")
        figures.append(
            figure(
                f"calibrated estimate of a {name}, error",
                100 * abs(error),
                "%",
                f"< {TOLERANCE:.0%}",
                abs(error) <= TOLERANCE,
            )
        )
    print(f"calibration took {calibrate_s:.1f} s")
    write_figures(args.json_out, figures)
    sys.exit(0 if all(f["met"] in (True, None) for f in figures) else 1)


if __name__ == "__main__":
    main()
