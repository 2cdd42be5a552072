"""Sweep test helpers: a tiny base scenario (engine test profiles) and specs written from dicts.

Runs take tens of milliseconds: one 8-GPU training job of a 1B model for about an hour, a
Poisson stream of small batch jobs (so seeds matter), and failures at a high multiplier.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from simulator.catalog import Catalog
from tests.conftest import write_yaml
from tests.engine.conftest import PROFILES, TINY_MODEL

BASE: dict[str, Any] = {
    "schema_version": 1,
    "name": "sweep test",
    "seed": 1,
    "horizon_days": 1,
    "cluster": {
        "pools": [{"name": "main", "node": "enginetest-node", "count": 2}],
        "fabric": {"nodes_per_pod": 4},
        "storage": [{"profile": "enginetest-fs", "role": "both"}],
        "facility": "enginetest-hall",
    },
    "workloads": {
        "training_jobs": [
            {
                "name": "train",
                "model": dict(TINY_MODEL),
                "num_gpus": 8,
                "seq_len": 2048,
                "global_batch": 64,
                "steps": 20000,
                "checkpoint": {"policy": "young_daly"},
            }
        ],
        "synthetic_jobs": [
            {
                "name": "batch",
                "arrivals_per_hour": 3,
                "gpus_per_job": [1, 2, 4],
                "mean_duration_hours": 0.5,
            }
        ],
    },
    "policies": {"failures": {"enabled": True, "rate_multiplier": 300}},
}

SPEC: dict[str, Any] = {
    "schema_version": 1,
    "name": "sweep test",
    "base": "base.yaml",
    "axes": [
        {"path": "cluster.pools[0].count", "values": [1, 2, 3]},
        {"path": "workloads.synthetic_jobs[0].arrivals_per_hour", "values": [2, 4]},
    ],
    "objectives": [{"metric": "total_gpus"}, {"metric": "mean_wait_s"}],
    "metrics": ["it_energy_kwh", "time_to_train_h.train"],
}


def base_data(**changes: Any) -> dict[str, Any]:
    """A copy of the base scenario with top-level keys replaced."""
    data = copy.deepcopy(BASE)
    data.update(copy.deepcopy(changes))
    return data


@pytest.fixture(scope="session")
def sweep_catalog() -> Catalog:
    """Built-in profiles plus the engine test profiles."""
    return Catalog.load([PROFILES], include_env=False)


@pytest.fixture
def write_spec(tmp_path: Path):
    """write_spec(scenario=..., **spec changes) -> path of a spec beside its base scenario."""

    def _write(scenario: dict[str, Any] | None = None, **changes: Any) -> Path:
        write_yaml(tmp_path / "base.yaml", scenario or BASE)
        spec = copy.deepcopy(SPEC)
        spec.update(copy.deepcopy(changes))
        return write_yaml(tmp_path / "spec.yaml", spec)

    return _write


def table_bytes(table) -> bytes:
    """The table as CSV bytes, for exact equality across backends and restarts."""
    return table.to_csv(index=False).encode()
