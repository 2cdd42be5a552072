"""Engine test helpers: a catalog with small test profiles, scenarios built from dicts."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from simulator.catalog import Catalog
from simulator.scenario import LoadedScenario, load_scenario
from tests.conftest import write_yaml

PROFILES = Path(__file__).parent / "profiles"

TINY_MODEL = {
    "name": "tiny-1b",
    "num_layers": 16,
    "hidden_size": 2048,
    "num_attention_heads": 16,
    "ffn_hidden_size": 8192,
    "vocab_size": 32000,
}


def base_scenario(nodes: int = 4, **changes: Any) -> dict:
    """A small valid scenario dict (one pool of 8-GPU test nodes, one FIFO queue)."""
    data: dict[str, Any] = {
        "schema_version": 1,
        "name": "engine test",
        "seed": 1,
        "horizon_days": 1,
        "cluster": {
            "pools": [{"name": "main", "node": "enginetest-node", "count": nodes}],
            "fabric": {"nodes_per_pod": 4},
            "storage": [{"profile": "enginetest-fs", "role": "both"}],
            "facility": "enginetest-hall",
        },
        "workloads": {},
        "policies": {"failures": {"enabled": False}},
    }
    data.update(copy.deepcopy(changes))
    return data


def training_job(name: str = "train", **changes: Any) -> dict:
    """A training job dict on the tiny model."""
    job: dict[str, Any] = {
        "name": name,
        "model": dict(TINY_MODEL),
        "num_gpus": 8,
        "seq_len": 2048,
        "global_batch": 64,
        "steps": 100,
        "checkpoint": {"policy": "none"},
    }
    job.update(changes)
    return job


@pytest.fixture(scope="session")
def engine_catalog() -> Catalog:
    """Built-in profiles plus the engine test profiles."""
    return Catalog.load([PROFILES], include_env=False)


@pytest.fixture
def make(tmp_path: Path, engine_catalog: Catalog):
    """make(data) -> LoadedScenario written to a temp file."""
    counter = {"n": 0}

    def _make(data: dict, settings: list[str] | None = None) -> LoadedScenario:
        counter["n"] += 1
        path = write_yaml(tmp_path / f"s{counter['n']}.yaml", data)
        return load_scenario(path, engine_catalog, settings)

    return _make


def helios_csv(path: Path, rows: list[tuple]) -> Path:
    """Write a Helios cluster_log.csv; rows are (job_id, user, gpus, submit_s, duration_s)."""
    import datetime as dt

    base = dt.datetime(2020, 4, 1)
    lines = ["job_id,user,gpu_num,cpu_num,node_num,state,submit_time,start_time,end_time"]
    for job_id, user, gpus, submit, duration in rows:
        t_submit = base + dt.timedelta(seconds=submit)
        t_start = t_submit + dt.timedelta(seconds=30)  # the trace's own queueing is ignored
        t_end = t_start + dt.timedelta(seconds=duration)
        fmt = "%Y-%m-%d %H:%M:%S"
        lines.append(
            f"{job_id},{user},{gpus},{4 * gpus},{max(1, gpus // 8)},COMPLETED,"
            f"{t_submit.strftime(fmt)},{t_start.strftime(fmt)},{t_end.strftime(fmt)}"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def trace_scenario(tmp_path: Path, rows: list[tuple], nodes: int = 1, **policies: Any) -> dict:
    """A scenario replaying `rows` (see helios_csv) on `nodes` 8-GPU nodes."""
    helios_csv(tmp_path / "trace.csv", rows)
    data = base_scenario(
        nodes=nodes,
        horizon_days=2,
        workloads={"job_traces": [{"format": "helios", "path": "trace.csv"}]},
    )
    data["policies"].update(policies)
    return data


def starts(results) -> list[tuple[str, float]]:
    """(job name, start time in hours) for every start event, in order."""
    ev = results.events[results.events["event"] == "start"]
    return [(j, round(t / 3600, 6)) for j, t in zip(ev["job"], ev["time_s"], strict=True)]
