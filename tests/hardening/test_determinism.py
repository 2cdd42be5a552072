"""Same scenario, seed and version: byte-identical outputs, across separate processes.

Two `infrasim run` processes with different PYTHONHASHSEED values (which reorder every set
and dict of strings, and the address-based hashes of objects) must write the same bytes in
every output file: summary.json, each Parquet table, the report.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml

from tests.engine.conftest import PROFILES, helios_csv, training_job
from tests.hardening.fuzz import small_scenario


def _scenario(tmp_path: Path) -> Path:
    """Tenants under fair share, checkpoint and dataset flows, failures, a replayed trace."""
    data = small_scenario()
    data["horizon_days"] = 2
    data["cluster"]["pools"][0]["count"] = 4
    data["policies"]["scheduler"] = {"kind": "fair_share"}
    data["policies"]["failures"]["rate_multiplier"] = 5000
    data["workloads"]["training_jobs"] = [
        training_job(steps=20_000, num_gpus=16, checkpoint={"policy": "young_daly"},
                     dataset_tb=5, tenant="research")
    ]  # fmt: skip
    data["workloads"]["synthetic_jobs"][0]["tenant"] = "team-a"
    data["workloads"]["synthetic_jobs"].append(
        {"name": "b", "arrivals_per_hour": 3, "gpus_per_job": [2, 4], "mean_duration_hours": 2,
         "tenant": "team-b", "count": 30}
    )  # fmt: skip
    helios_csv(tmp_path / "trace.csv", [(f"t{i}", f"u{i % 3}", 1 + i % 8, 600 * i, 1800)
                                        for i in range(40)])  # fmt: skip
    data["workloads"]["job_traces"] = [{"format": "helios", "path": "trace.csv"}]
    path = tmp_path / "det.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def _run(scenario: Path, out: Path, hash_seed: str) -> None:
    env = {**os.environ, "PYTHONHASHSEED": hash_seed}
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "run", str(scenario), "--out", str(out),
         "--profiles", str(PROFILES)],
        capture_output=True, text=True, timeout=120, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def test_two_processes_write_identical_bytes(tmp_path: Path) -> None:
    scenario = _scenario(tmp_path)
    _run(scenario, tmp_path / "a", "1")
    _run(scenario, tmp_path / "b", "4242")
    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "b").iterdir())
    assert {"summary.json", "jobs.parquet", "events.parquet", "timeline.parquet"} <= set(names)
    a, b = tmp_path / "a", tmp_path / "b"
    assert [n for n in names if (a / n).read_bytes() != (b / n).read_bytes()] == []
    summary = (tmp_path / "a" / "summary.json").read_text()
    assert '"failures": 0' not in summary and '"checkpoints": 0' not in summary
