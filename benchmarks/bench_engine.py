"""Engine speed: a Llama-3-scale training run, a 100,000-job trace replay, events per second.

    python benchmarks/bench_engine.py            # all three
    python benchmarks/bench_engine.py --only trace --jobs 20000

Targets (one core): the 16,384-GPU, 54-day training job with Llama-3-like failures and
Young/Daly checkpoints under 5 s; a 4,096-GPU cluster replaying 100,000 trace jobs with EASY
backfill under 60 s; engine events per second at least half of bare SimPy timeouts measured
in the same process. Not a test: it prints figures.

Profiles: the built-in catalog when it has a DGX H100 node, parallel file system and a
facility; otherwise the small test profiles in tests/engine/profiles.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import simpy
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.figures import figure, write_figures  # noqa: E402
from simulator.catalog import Catalog  # noqa: E402
from simulator.engine import Simulation  # noqa: E402
from simulator.results import Results  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402

LLAMA3_405B = {
    "name": "llama3-405b-like",
    "num_layers": 126,
    "hidden_size": 16384,
    "num_attention_heads": 128,
    "num_kv_heads": 8,
    "ffn_hidden_size": 53248,
    "ffn_type": "swiglu",
    "vocab_size": 128256,
}


def hardware(catalog: Catalog) -> dict[str, str]:
    """Profile ids to use: built-in ones if present, else the engine test fixtures."""
    built_in = {"node": "dgx-h100", "storage": "parallel-fs", "facility": "air-cooled-colo"}
    if all(i in catalog.profiles[k] for k, i in built_in.items()):
        return built_in
    return {"node": "enginetest-node", "storage": "enginetest-fs", "facility": "enginetest-hall"}


def catalog() -> Catalog:
    """Built-in profiles plus the engine test fixtures."""
    return Catalog.load([ROOT / "tests" / "engine" / "profiles"], include_env=False)


def write(directory: Path, name: str, data: dict) -> Path:
    path = directory / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def bare_simpy_rate(n: int = 300_000) -> float:
    """Timeouts per second of a bare SimPy process loop."""
    env = simpy.Environment()

    def proc(env: simpy.Environment):  # noqa: ANN202
        for _ in range(n):
            yield env.timeout(1.0)

    env.process(proc(env))
    t = time.perf_counter()
    env.run()
    return n / (time.perf_counter() - t)


def timed_run(loaded) -> tuple[float, float, Simulation, Results]:  # noqa: ANN001
    t0 = time.perf_counter()
    sim = Simulation(loaded)
    record = sim.run()
    t1 = time.perf_counter()
    results = Results.from_record(record)
    t2 = time.perf_counter()
    return t1 - t0, t2 - t1, sim, results


def training_scenario(
    hw: dict,
    *,
    name: str,
    days: float,
    nodes: int,
    steps: int,
    capacity_tb: float,
    rate_multiplier: float = 1.0,
) -> dict:
    """One Llama-3-405B-like job (tp 8, pp 16) on `nodes` DGX-class nodes plus one hot spare
    per 32, Llama 3 failure rates (times `rate_multiplier`), Young/Daly checkpoints: the
    scenario this benchmark and `bench_fleet.py`'s workload C share."""
    gpus = nodes * 8
    failures: dict = {"enabled": True, "rates": "llama3"}
    if rate_multiplier != 1.0:
        failures["rate_multiplier"] = rate_multiplier
    return {
        "schema_version": 1,
        "name": name,
        "seed": 1,
        "horizon_days": days,
        "cluster": {
            "pools": [{"name": "h100", "node": hw["node"], "count": nodes + nodes // 32}],
            "fabric": {"nodes_per_pod": 32},
            "storage": [{"profile": hw["storage"], "role": "both", "capacity_tb": capacity_tb}],
            "facility": hw["facility"],
        },
        "workloads": {
            "training_jobs": [
                {
                    "name": "llama3-405b",
                    "model": LLAMA3_405B,
                    "num_gpus": gpus,
                    "parallelism": {
                        "tp": 8,
                        "pp": 16,
                        "vpp": 1,
                        "sequence_parallel": True,
                        "distributed_optimizer": True,
                    },
                    "seq_len": 8192,
                    "global_batch": gpus // 8,
                    "steps": steps,
                    "checkpoint": {"policy": "young_daly"},
                }
            ]
        },
        "policies": {
            "scheduler": {"kind": "fifo"},
            "placement": {
                "kind": "topology_aware",
                "params": {"spare_nodes_per_pool": nodes // 32},
            },
            "failures": failures,
        },
    }


def bench_training(directory: Path, cat: Catalog) -> dict:
    data = training_scenario(
        hardware(cat),
        name="16k-GPU pre-training, 54 days",
        days=54,
        nodes=2048,
        steps=10_000_000,
        capacity_tb=100_000,
    )
    loaded = load_scenario(write(directory, "train.yaml", data), cat)
    run_s, table_s, sim, res = timed_run(loaded)
    job = res.jobs.iloc[0]
    return {
        "wall_s": run_s,
        "tabulate_s": table_s,
        "events": sim.events_processed,
        "failures": res.summary["failures"],
        "checkpoints": res.summary["checkpoints"],
        "step_time_s": float(job["step_time_s"]),
        "checkpoint_interval_min": float(job["checkpoint_interval_s"]) / 60,
        "goodput": float(job["goodput"]),
    }


def helios_trace(path: Path, jobs: int, gpus: int, load: float, seed: int = 7) -> float:
    """A synthetic trace in Helios cluster_log.csv format with a Helios-like job mix; returns
    the span of its submissions in seconds."""
    rng = np.random.default_rng(seed)
    sizes = np.array([1, 2, 4, 8, 16, 32, 64])
    weights = np.array([0.62, 0.10, 0.09, 0.12, 0.04, 0.02, 0.01])
    size = rng.choice(sizes, size=jobs, p=weights / weights.sum())
    duration = np.maximum(60.0, rng.lognormal(np.log(1800.0), 1.5, size=jobs))
    work = float((size * duration).sum())
    span = work / (gpus * load)  # seconds over which jobs arrive for the given load
    submit = np.sort(rng.uniform(0, span, size=jobs))
    base = dt.datetime(2020, 4, 1)
    lines = ["job_id,user,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time"]
    fmt = "%Y-%m-%d %H:%M:%S"
    for i in range(jobs):
        s = base + dt.timedelta(seconds=float(submit[i]))
        e = s + dt.timedelta(seconds=float(round(duration[i])))
        lines.append(
            f"j{i},u{rng.integers(40)},{size[i]},{size[i] * 6},{max(1, size[i] // 8)},"
            f"COMPLETED,{s.strftime(fmt)},{s.strftime(fmt)},{e.strftime(fmt)}"
        )
    path.write_text("\n".join(lines) + "\n")
    return float(span)


def trace_scenario(directory: Path, cat: Catalog, jobs: int, load: float, name: str) -> Path:
    """A 4,096-GPU cluster replaying a synthetic Helios trace with EASY backfill (written)."""
    hw = hardware(cat)
    span_s = helios_trace(directory / "cluster_log.csv", jobs, 4096, load)
    data = {
        "schema_version": 1,
        "name": name,
        "seed": 1,
        # the submissions' span plus room for the queue to drain, so utilization is over
        # the busy period rather than a mostly empty decade
        "horizon_days": round(span_s * 1.2 / 86400 + 2),
        "cluster": {
            "pools": [{"name": "main", "node": hw["node"], "count": 512}],
            "fabric": {"nodes_per_pod": 32},
            "facility": hw["facility"],
        },
        "workloads": {"job_traces": [{"format": "helios", "path": "cluster_log.csv"}]},
        "policies": {"scheduler": {"kind": "easy_backfill"}, "failures": {"enabled": False}},
    }
    return write(directory, "trace.yaml", data)


def bench_trace(directory: Path, cat: Catalog, jobs: int, load: float) -> dict:
    path = trace_scenario(directory, cat, jobs, load, "4k-GPU trace replay")
    t = time.perf_counter()
    loaded = load_scenario(path, cat)
    sim = Simulation(loaded)
    read_s = time.perf_counter() - t
    t = time.perf_counter()
    record = sim.run()
    run_s = time.perf_counter() - t
    t = time.perf_counter()
    res = Results.from_record(record)
    table_s = time.perf_counter() - t
    return {
        "read_trace_s": read_s,
        "wall_s": run_s,
        "tabulate_s": table_s,
        "events": sim.events_processed,
        "events_per_s": sim.events_processed / run_s,
        "jobs_completed": res.summary["jobs_completed"],
        "mean_wait_h": res.summary["mean_wait_s"] / 3600,
        "gpu_utilization": res.summary["gpu_utilization"],
        "simulated_days": float(res.jobs["end_s"].max() / 86400),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["training", "trace", "events"])
    parser.add_argument("--jobs", type=int, default=100_000)
    parser.add_argument("--load", type=float, default=0.9, help="offered load of the trace")
    parser.add_argument("--json-out", type=Path, help="figures as JSON (figures.py)")
    args = parser.parse_args()
    figures: list[dict] = []
    cat = catalog()
    print(f"profiles: {hardware(cat)}")
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        if args.only in (None, "training"):
            r = bench_training(directory, cat)
            print(
                f"training 16,384 GPUs x 54 days: {r['wall_s']:.2f} s wall "
                f"(+{r['tabulate_s']:.2f} s tables), {r['events']:,} events, "
                f"{r['failures']} failures, {r['checkpoints']:,} checkpoints every "
                f"{r['checkpoint_interval_min']:.1f} min, step {r['step_time_s']:.2f} s, "
                f"goodput {r['goodput']:.1%}  [target < 5 s]"
            )
            figures.append(
                figure("training 16,384 GPUs x 54 days, wall", r["wall_s"], "s", "< 5 s",
                       r["wall_s"] < 5)
            )  # fmt: skip
        trace = None
        if args.only in (None, "trace", "events"):
            trace = bench_trace(directory, cat, args.jobs, args.load)
            print(
                f"trace replay {args.jobs:,} jobs on 4,096 GPUs (EASY backfill, load "
                f"{args.load}): {trace['wall_s']:.2f} s wall (+{trace['read_trace_s']:.2f} s "
                f"reading, +{trace['tabulate_s']:.2f} s tables), {trace['events']:,} events, "
                f"{trace['jobs_completed']:,} completed over {trace['simulated_days']:.0f} days, "
                f"mean wait {trace['mean_wait_h']:.2f} h, utilization "
                f"{trace['gpu_utilization']:.1%}  [target < 60 s]"
            )
            figures.append(
                figure(f"trace replay {args.jobs:,} jobs on 4,096 GPUs, wall", trace["wall_s"],
                       "s", "< 60 s", trace["wall_s"] < 60)
            )  # fmt: skip
        if trace is not None:
            bare = bare_simpy_rate()
            print(
                f"events/s: engine {trace['events_per_s']:,.0f}, bare SimPy timeouts "
                f"{bare:,.0f}: ratio {trace['events_per_s'] / bare:.2f}  [aim > 0.5]"
            )
            ratio = trace["events_per_s"] / bare
            figures.append(figure("engine events/s", trace["events_per_s"], "events/s"))
            figures.append(
                figure("engine events/s over bare SimPy timeouts", ratio, "x", "> 0.5", ratio > 0.5)
            )
    write_figures(args.json_out, figures)


if __name__ == "__main__":
    main()
