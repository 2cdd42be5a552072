"""Small scenarios whose full output was saved before the engine's fleet-scale rework (#21).

The rework must not change what a run produces for a given seed, so each scenario here is
run and its jobs, events, timeline and serving tables are compared exactly with the copy
saved in tests/data/engine_golden/ (see its README). Traces are generated here from a fixed
seed, so the inputs cannot drift either.

    python -m tests.engine.golden --write   # re-save (only when results are meant to move)
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from simulator.catalog import Catalog
from simulator.engine import Simulation
from simulator.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
PROFILES = ROOT / "tests" / "engine" / "profiles"
GOLDEN = ROOT / "tests" / "data" / "engine_golden"

TINY_MODEL = {
    "name": "tiny-1b",
    "num_layers": 16,
    "hidden_size": 2048,
    "num_attention_heads": 16,
    "ffn_hidden_size": 8192,
    "vocab_size": 32000,
}


def helios_csv(path: Path, jobs: int, gpus: int, load: float, seed: int) -> float:
    """A Helios-format trace with a Helios-like size mix (tail to 64 GPUs); its span in s."""
    rng = np.random.default_rng(seed)
    sizes = np.array([1, 2, 4, 8, 16, 32, 64])
    weights = np.array([0.62, 0.10, 0.09, 0.12, 0.04, 0.02, 0.01])
    size = rng.choice(sizes, size=jobs, p=weights / weights.sum())
    duration = np.maximum(60.0, rng.lognormal(np.log(1800.0), 1.5, size=jobs))
    span = float((size * duration).sum()) / (gpus * load)
    submit = np.sort(rng.uniform(0, span, size=jobs))
    base = dt.datetime(2020, 4, 1)
    fmt = "%Y-%m-%d %H:%M:%S"
    lines = ["job_id,user,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time"]
    for i in range(jobs):
        s = base + dt.timedelta(seconds=float(submit[i]))
        e = s + dt.timedelta(seconds=float(round(duration[i])))
        lines.append(
            f"j{i},u{i % 17},{size[i]},{size[i] * 6},{max(1, size[i] // 8)},"
            f"COMPLETED,{s.strftime(fmt)},{s.strftime(fmt)},{e.strftime(fmt)}"
        )
    path.write_text("\n".join(lines) + "\n")
    return span


def _cluster(nodes: int, per_pod: int) -> dict:
    return {
        "pools": [{"name": "main", "node": "enginetest-node", "count": nodes}],
        "fabric": {"nodes_per_pod": per_pod},
        "storage": [{"profile": "enginetest-fs", "role": "both"}],
        "facility": "enginetest-hall",
    }


def trace_backfill(directory: Path) -> dict:
    """2,000 trace jobs on 32 8-GPU nodes at offered load 1.2, EASY backfill, topology-aware."""
    span = helios_csv(directory / "trace.csv", 2000, 256, 1.2, seed=3)
    return {
        "schema_version": 1,
        "name": "golden trace backfill",
        "seed": 5,
        "horizon_days": math.ceil(span * 1.5 / 86400),
        "cluster": _cluster(32, 8),
        "workloads": {"job_traces": [{"format": "helios", "path": "trace.csv"}]},
        "policies": {"scheduler": {"kind": "easy_backfill"}, "failures": {"enabled": False}},
    }


def trace_backfill_pack(directory: Path) -> dict:
    """The same kind of trace, pack placement, over-estimated run times, shallow depth."""
    span = helios_csv(directory / "trace.csv", 1500, 192, 1.0, seed=4)
    return {
        "schema_version": 1,
        "name": "golden trace backfill pack",
        "seed": 6,
        "horizon_days": math.ceil(span * 1.5 / 86400),
        "cluster": _cluster(24, 4),
        "workloads": {"job_traces": [{"format": "helios", "path": "trace.csv"}]},
        "policies": {
            "scheduler": {
                "kind": "easy_backfill",
                "params": {"depth": 20, "estimate_factor": 1.7},
            },
            "placement": {"kind": "pack"},
            "failures": {"enabled": False},
        },
    }


def training_failures(directory: Path) -> dict:
    """A 256-GPU training job over 8 pods with failures, spares and Young/Daly checkpoints,
    next to a small trace that shares the cluster."""
    helios_csv(directory / "trace.csv", 300, 64, 0.5, seed=5)
    return {
        "schema_version": 1,
        "name": "golden training failures",
        "seed": 7,
        "horizon_days": 20,
        "cluster": _cluster(44, 4),
        "workloads": {
            "training_jobs": [
                {
                    "name": "big",
                    "model": dict(TINY_MODEL),
                    "num_gpus": 256,
                    "seq_len": 2048,
                    "global_batch": 512,
                    "steps": 10_000_000,
                    "checkpoint": {"policy": "young_daly"},
                }
            ],
            "job_traces": [{"format": "helios", "path": "trace.csv", "max_jobs": 300}],
        },
        "policies": {
            "scheduler": {"kind": "easy_backfill"},
            "placement": {"kind": "topology_aware", "params": {"spare_nodes_per_pool": 2}},
            "failures": {"enabled": True, "rates": "llama3", "rate_multiplier": 30.0},
        },
    }


def serving(directory: Path) -> str:
    """The shipped serving scenario, cut to about 3 simulated minutes (a path, not a dict)."""
    return str(ROOT / "scenarios" / "llama3-70b-serving-h200.yaml")


SCENARIOS = {
    "trace_backfill": trace_backfill,
    "trace_backfill_pack": trace_backfill_pack,
    "training_failures": training_failures,
    "serving": serving,
}
SETTINGS = {"serving": ["horizon_days=0.002"]}


def _plain(value: Any) -> Any:
    """Tuples to lists and numpy scalars to Python, so JSON round trips compare equal."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    return value


def run_scenario(name: str) -> dict:
    """Run one golden scenario; its tables as plain JSON-ready lists."""
    catalog = Catalog.load([PROFILES], include_env=False)
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        data = SCENARIOS[name](directory)
        if isinstance(data, str):
            path = Path(data)
        else:
            path = directory / "scenario.yaml"
            path.write_text(yaml.safe_dump(data, sort_keys=False))
        loaded = load_scenario(path, catalog, SETTINGS.get(name))
        record = Simulation(loaded).run()
    return _plain(
        {
            "jobs": record.jobs,
            "events": record.events,
            "timeline": record.timeline,
            "serving": record.meta.get("serving", {}),
        }
    )


def load_golden(name: str) -> dict:
    """The saved tables of one scenario."""
    return json.loads(gzip.decompress((GOLDEN / f"{name}.json.gz").read_bytes()))


def same(a: Any, b: Any) -> bool:
    """Exact equality, NaN equal to NaN."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def main() -> None:
    parser = argparse.ArgumentParser(description="re-save the golden engine outputs")
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args()
    GOLDEN.mkdir(parents=True, exist_ok=True)
    for name in SCENARIOS:
        tables = run_scenario(name)
        print(name, {k: len(v) for k, v in tables.items()})
        if args.write:
            text = json.dumps(tables, separators=(",", ":"))
            (GOLDEN / f"{name}.json.gz").write_bytes(gzip.compress(text.encode(), mtime=0))


if __name__ == "__main__":
    main()
