"""Sweep scaling: the same 200-point sweep on 1 and on 2 local worker processes.

    python benchmarks/bench_sweep.py                 # 200 points, workers 1 then 2
    python benchmarks/bench_sweep.py --points 40 --workers 1 2 4

Target: 2 workers take close to half the time of 1 (the runs are independent, so only pool
start-up and the driver's bookkeeping are serial). Each configuration starts from an empty
output directory, so nothing is reused from the store; the tables of all worker counts must be
identical, which this script checks. The pool's forkserver is warmed up first (it imports the
simulator once per driver process), so each timing holds the pool's own start-up and the runs.
Not a test: it prints figures.

The base scenario uses built-in profiles: 2 to 5 DGX H100 nodes, one 16-GPU Llama 3 8B run and
a Poisson stream of batch jobs whose rate is the second axis, with failures, over 20 days.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.figures import figure, write_figures  # noqa: E402
from simulator.sweep import load_sweep, run_sweep  # noqa: E402

BASE = {
    "schema_version": 1,
    "name": "sweep benchmark",
    "seed": 3,
    "horizon_days": 20,
    "cluster": {
        "pools": [{"name": "h100", "node": "dgx-h100", "count": 4}],
        "storage": [{"profile": "parallel-fs", "capacity_tb": 500, "role": "both"}],
        "facility": "air-cooled-colo",
    },
    "workloads": {
        "training_jobs": [
            {
                "name": "finetune",
                "model": "llama3-8b",
                "num_gpus": 16,
                "parallelism": {"tp": 8, "distributed_optimizer": True},
                "seq_len": 4096,
                "global_batch": 64,
                "total_tokens": 2.0e9,
                "checkpoint": {"policy": "young_daly", "storage": "parallel-fs"},
            }
        ],
        "synthetic_jobs": [
            {
                "name": "batch",
                "arrivals_per_hour": 2,
                "gpus_per_job": [1, 2, 4, 8],
                "mean_duration_hours": 2,
            }
        ],
    },
    "policies": {"failures": {"enabled": True, "rate_multiplier": 20}},
}


def spec(points: int) -> dict:
    """Four cluster sizes x points/4 arrival rates."""
    per_size = max(1, points // 4)
    return {
        "schema_version": 1,
        "name": "sweep benchmark",
        "base": "base.yaml",
        "axes": [
            {"path": "cluster.pools[0].count", "values": [2, 3, 4, 5]},
            {
                "path": "workloads.synthetic_jobs[0].arrivals_per_hour",
                "range": {"start": 0.5, "stop": 0.5 + 0.1 * (per_size - 1), "num": per_size},
            },
        ],
        "objectives": [{"metric": "total_gpus"}, {"metric": "mean_wait_s"}],
        "metrics": ["it_energy_kwh", "time_to_train_h"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=200)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--json-out", type=Path, help="figures as JSON (figures.py)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "base.yaml").write_text(yaml.safe_dump(BASE, sort_keys=False))
        (root / "spec.yaml").write_text(yaml.safe_dump(spec(args.points), sort_keys=False))
        sweep = load_sweep(root / "spec.yaml")
        load = os.getloadavg()[0]
        cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        print(
            f"{len(sweep.points)} points x 1 seed; {platform.processor() or platform.machine()}, "
            f"{cores} usable cores, load average {load:.2f} at start"
        )
        # start the forkserver (it imports the simulator once) outside the timings
        warm = load_sweep(root / "spec.yaml")
        warm.points = warm.points[:1]
        run_sweep(warm, root / "warm-up", workers=1, write=False)
        times, tables = {}, {}
        for workers in args.workers:
            start = time.perf_counter()
            outcome = run_sweep(sweep, root / f"out-{workers}", workers=workers, write=False)
            times[workers] = time.perf_counter() - start
            tables[workers] = outcome.table.to_csv(index=False)
            assert outcome.ran == len(sweep.points)
            bad = outcome.table[outcome.table["status"] != "ok"]
            assert bad.empty, f"points did not run: {bad['error'].iloc[0]}"
            print(
                f"  {workers} worker(s): {times[workers]:6.1f} s "
                f"({times[workers] / len(sweep.points) * 1000:.0f} ms per point)"
            )
        first = args.workers[0]
        for workers in args.workers[1:]:
            print(
                f"  speed-up {first} -> {workers} workers: {times[first] / times[workers]:.2f}x "
                f"(time ratio {times[workers] / times[first]:.2f}); "
                f"tables identical: {tables[workers] == tables[first]}"
            )
        figures = [
            figure(f"sweep of {len(sweep.points)} points, {w} worker(s)", t, "s")
            for w, t in times.items()
        ]
        if 1 in times and 2 in times:
            ratio = times[2] / times[1]
            figures.append(
                figure(
                    f"sweep time ratio 2 workers / 1 (load {load:.1f} at start)",
                    ratio,
                    "x",
                    "about 0.5",
                    ratio <= 0.6,
                )
            )
        write_figures(args.json_out, figures)


if __name__ == "__main__":
    main()
