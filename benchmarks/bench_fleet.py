"""The engine at fleet scale (#21): four workloads with fixed-seed inputs, time and peak memory.

    python benchmarks/bench_fleet.py                   # A-D at full size (minutes)
    python benchmarks/bench_fleet.py --scale 0.1       # a tenth of the jobs / days / requests
    python benchmarks/bench_fleet.py --only B C --scale 0.2

A: 1,000,000 trace jobs (86% of 1-8 GPUs, a tail to 1,024; log-normal durations) on 16,384
   GPUs at offered load 0.8, EASY backfill            target <= 60 s, <= 1.5 GB peak
B: 100,000 trace jobs on 4,096 GPUs at offered load 1.2, EASY backfill      target <= 10 s
C: one 405B job on 98,304 GPUs for 365 days, failures, Young/Daly checkpoints  target <= 10 s
D: 1,000,000 serving requests on 16 TP-4 H200 replicas                      target <= 20 s

`--scale` shrinks the jobs (A, B), the simulated days (C) and the requests (D); the cluster
stays full size, so the per-event cost is what is compared. `--nodes` sets C's cluster size
(cost should grow with events, not nodes: compare 12,288 with 1,536).

Each workload runs in its own child process, so its peak resident memory
(`resource.getrusage`, which includes the interpreter and libraries) is its own. CPU seconds
(`time.process_time`) are the figure to compare on a shared machine; wall seconds and the
1-minute load average are printed next to them. Bare SimPy's events/s is measured in the same
run. Not a test: it prints figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.bench_engine import (  # noqa: E402
    bare_simpy_rate,
    catalog,
    hardware,
    training_scenario,
)

TARGETS = {"A": (60.0, 1500.0), "B": (10.0, None), "C": (10.0, None), "D": (20.0, None)}


def fleet_trace(path: Path, jobs: int, gpus: int, load: float, seed: int) -> float:
    """A Helios-format trace: 86% of jobs on 1-8 GPUs, a tail to 1,024; log-normal durations.

    Returns the span of the submissions in seconds (chosen so the offered load is `load`).
    """
    rng = np.random.default_rng(seed)
    sizes = np.array([1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024])
    weights = np.array([0.50, 0.12, 0.10, 0.14, 0.05, 0.04, 0.025, 0.015, 0.006, 0.003, 0.001])
    size = rng.choice(sizes, size=jobs, p=weights / weights.sum())
    duration = np.round(np.maximum(60.0, rng.lognormal(np.log(1800.0), 1.5, size=jobs)))
    span = float((size * duration).sum()) / (gpus * load)
    submit = np.sort(np.round(rng.uniform(0, span, size=jobs)))
    base = pd.Timestamp("2020-04-01")
    start = (base + pd.to_timedelta(submit, unit="s")).strftime("%Y-%m-%d %H:%M:%S")
    end = (base + pd.to_timedelta(submit + duration, unit="s")).strftime("%Y-%m-%d %H:%M:%S")
    frame = pd.DataFrame(
        {
            "job_id": [f"j{i}" for i in range(jobs)],
            "user": [f"u{i % 97}" for i in range(jobs)],
            "gpu_num": size,
            "cpu_num": size * 6,
            "node_num": np.maximum(1, size // 8),
            "state": "COMPLETED",
            "submit_time": start,
            "start_time": start,
            "end_time": end,
        }
    )
    frame.to_csv(path, index=False)
    return span


def trace_workload(directory: Path, hw: dict, jobs: int, nodes: int, load: float) -> dict:
    span = fleet_trace(directory / "trace.csv", jobs, nodes * 8, load, seed=21)
    return {
        "schema_version": 1,
        "name": "fleet trace",
        "seed": 1,
        "horizon_days": round(span * 1.2 / 86400 + 2),
        "cluster": {
            "pools": [{"name": "main", "node": hw["node"], "count": nodes}],
            "fabric": {"nodes_per_pod": 32},
            "facility": hw["facility"],
        },
        "workloads": {"job_traces": [{"format": "helios", "path": "trace.csv"}]},
        "policies": {"scheduler": {"kind": "easy_backfill"}, "failures": {"enabled": False}},
    }


def training_workload(hw: dict, days: float, nodes: int) -> dict:
    """Workload C: the engine benchmark's 405B job on `nodes` nodes for `days`; failure rates
    scale with 12,288 / nodes, so a smaller cluster sees the same failure count."""
    return training_scenario(
        hw,
        name="405B on a fleet for a year",
        days=days,
        nodes=nodes,
        steps=100_000_000,
        capacity_tb=1_000_000,
        rate_multiplier=12288 / nodes,
    )


def serving_workload(requests: int, rate_per_s: float = 60.0) -> dict:
    shipped = yaml.safe_load((ROOT / "scenarios" / "llama3-70b-serving-h200.yaml").read_text())
    service = shipped["workloads"]["inference_services"][0]
    service.update(replicas=16, max_replicas=16)
    service.pop("autoscaling", None)
    service["traffic"]["requests_per_s"] = rate_per_s
    shipped["cluster"]["pools"][0]["count"] = 8
    shipped["horizon_days"] = requests / rate_per_s / 86400
    shipped.pop("pricing", None)
    return shipped


def child(name: str, scale: float, nodes: int) -> dict:
    """Build and run one workload in this process; its figures."""
    from simulator.engine import Simulation
    from simulator.results import Results
    from simulator.scenario import load_scenario

    cat = catalog()
    hw = hardware(cat)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        if name == "A":
            data = trace_workload(directory, hw, round(1_000_000 * scale), 2048, 0.8)
        elif name == "B":
            data = trace_workload(directory, hw, round(100_000 * scale), 512, 1.2)
        elif name == "C":
            data = training_workload(hw, 365 * scale, nodes)
        else:
            data = serving_workload(round(1_000_000 * scale))
        path = directory / "scenario.yaml"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
        c0, w0 = time.process_time(), time.perf_counter()
        sim = Simulation(load_scenario(path, cat))
        c1, w1 = time.process_time(), time.perf_counter()
        record = sim.run()
        c2, w2 = time.process_time(), time.perf_counter()
        results = Results.from_record(record)
        c3, w3 = time.process_time(), time.perf_counter()
    summary = results.summary
    return {
        "workload": name,
        "build_cpu_s": c1 - c0,
        "run_cpu_s": c2 - c1,
        "run_wall_s": w2 - w1,
        "tables_cpu_s": c3 - c2,
        "total_cpu_s": c3 - c0,
        "total_wall_s": w3 - w0,
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "events": sim.events_processed,
        "events_per_cpu_s": sim.events_processed / max(c2 - c1, 1e-9),
        "jobs_completed": summary.get("jobs_completed"),
        "failures": summary.get("failures"),
        "checkpoints": summary.get("checkpoints"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list("ABCD"), default=list("ABCD"))
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of full size")
    parser.add_argument("--nodes", type=int, default=12288, help="C's cluster size (nodes)")
    parser.add_argument("--json-out", type=Path, help="all figures as JSON")
    parser.add_argument("--child", choices=list("ABCD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.scale, args.nodes)))
        return
    bare = bare_simpy_rate()
    print(f"bare SimPy: {bare:,.0f} timeouts/s (load {os.getloadavg()[0]:.2f})")
    figures = []
    for name in args.only:
        cmd = [sys.executable, __file__, "--child", name, "--scale", str(args.scale)]
        cmd += ["--nodes", str(args.nodes)]
        load = os.getloadavg()[0]
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        r.update(scale=args.scale, load_1min=load, bare_simpy_per_s=bare)
        figures.append(r)
        secs, mb = TARGETS[name]
        target = f"target <= {secs:g} s" + (f", <= {mb:g} MB" if mb else "")
        if args.scale != 1.0:
            target += " at full size"
        extra = ""
        if r["failures"]:
            extra = f", {r['failures']:,} failures, {r['checkpoints']:,} checkpoints"
        print(
            f"{name} (scale {args.scale:g}): {r['total_cpu_s']:.2f} CPU s "
            f"(build {r['build_cpu_s']:.2f}, run {r['run_cpu_s']:.2f}, tables "
            f"{r['tables_cpu_s']:.2f}), {r['total_wall_s']:.2f} s wall, peak "
            f"{r['peak_mb']:.0f} MB, {r['events']:,} events at "
            f"{r['events_per_cpu_s']:,.0f}/CPU s ({r['events_per_cpu_s'] / bare:.3f} x bare "
            f"SimPy){extra}; load {load:.2f}  [{target}]"
        )
    if args.json_out:
        args.json_out.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
