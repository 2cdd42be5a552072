"""A job that can never start is refused before anything runs, by `run` and by `validate`.

Too many GPUs for its pool, nodes the placement policy holds back as hot spares, build-out
nodes that arrive only after the horizon, or too little GPU memory: each ends in one line
naming the job, what it needs and what the cluster can give, exit 2, no traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from simulator.catalog import Catalog
from simulator.cli import app
from simulator.engine import Simulation
from simulator.results import simulate
from simulator.scenario import load_scenario, pool_capacities
from tests.conftest import REPO, write_yaml
from tests.engine.conftest import PROFILES, TINY_MODEL, base_scenario, training_job

PRETRAIN = REPO / "scenarios" / "llama3-70b-pretrain-h100.yaml"
SPARES_8 = "policies.placement.params.spare_nodes_per_pool=8"
COMMANDS = (["run"], ["scenario", "validate"])


def _invoke(runner, command: list[str], *args: str):
    return runner.invoke(app, [*command, *args, "--profiles", str(PROFILES)])


def _refused(result) -> str:
    """The one error line of a refusal (exit 2, no traceback)."""
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    return lines[0]


def _write(tmp_path: Path, data: dict) -> str:
    return str(write_yaml(tmp_path / "s.yaml", data))


# ------------------------------------------------------------------ hot spares
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_spares_leave_too_few_nodes(runner, tmp_path: Path, command: list[str]) -> None:
    """The issue's case: 132 nodes less 8 spares is 124, and the job needs 128."""
    out = tmp_path / "out"
    args = [str(PRETRAIN), "--set", SPARES_8]
    if command == ["run"]:
        args += ["--out", str(out)]
    line = _refused(runner.invoke(app, [*command, *args]))
    assert f"{PRETRAIN}: workloads.training_jobs[0]: " in line
    assert "training job 'llama3-70b-pretrain' can never start" in line
    assert "needs 1024 GPUs but its pool has 1056, of which 992 usable" in line
    assert "132 nodes of 8 GPUs, 8 of them held back as hot spares" in line
    assert "spare_nodes_per_pool" in line and "the job needs 128 nodes" in line
    assert not out.exists()


def test_spares_that_leave_enough_nodes_are_fine(runner) -> None:
    """132 - 4 = 128 nodes, exactly what the shipped scenario's job needs."""
    result = runner.invoke(app, ["scenario", "validate", str(PRETRAIN)])
    assert result.exit_code == 0, result.output


def test_a_job_of_exactly_the_usable_nodes_starts(tmp_path: Path) -> None:
    """The check and the engine agree at the edge: 3 nodes less 1 spare hold a 16-GPU job."""
    data = base_scenario(nodes=3, workloads={"training_jobs": [training_job(num_gpus=16)]})
    data["policies"]["placement"] = {"kind": "pack", "params": {"spare_nodes_per_pool": 1}}
    catalog = Catalog.load([PROFILES], include_env=False)
    loaded = load_scenario(write_yaml(tmp_path / "s.yaml", data), catalog)
    results = simulate(loaded)
    assert results.jobs["start_s"].iloc[0] == 0.0
    assert results.summary["jobs_completed"] == 1


@pytest.mark.parametrize(
    ("nodes", "spares", "build_out", "horizon_days"),
    [
        (3, 0, [], 1),
        (3, 1, [], 1),
        (3, 5, [], 1),  # never the last node
        (1, 4, [], 1),
        (2, 1, [{"pool": "main", "nodes": 2, "order_at_days": 0.5}], 1),
        (2, 1, [{"pool": "main", "nodes": 2, "order_at_days": 3}], 1),  # after the horizon
    ],
)
def test_usable_nodes_are_the_engines(
    tmp_path: Path, nodes: int, spares: int, build_out: list, horizon_days: float
) -> None:
    """The loader's count of usable nodes is what the engine's cluster hands out."""
    data = base_scenario(nodes=nodes, workloads={"training_jobs": [training_job(num_gpus=8)]})
    data["horizon_days"] = horizon_days
    data["cluster"]["build_out"] = build_out
    data["policies"]["placement"] = {"kind": "pack", "params": {"spare_nodes_per_pool": spares}}
    loaded = load_scenario(write_yaml(tmp_path / "s.yaml", data), Catalog.load([PROFILES]))
    (capacity,) = pool_capacities(loaded)
    sim = Simulation(loaded)
    pool = sim.cluster.pools[0]
    assert capacity.nodes == pool.count and capacity.spares == pool.spares_target
    sim.run()  # let the build-out arrive; then count the nodes new work may land on
    up = [n for n in pool.nodes if sim.cluster.state[n] == 0]
    assert capacity.usable_gpus == len(up) * pool.gpus_per_node


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_more_gpus_than_the_usable_nodes(runner, tmp_path: Path, command: list[str]) -> None:
    data = base_scenario(nodes=3, workloads={"training_jobs": [training_job(num_gpus=24)]})
    data["policies"]["placement"] = {"kind": "pack", "params": {"spare_nodes_per_pool": 1}}
    line = _refused(_invoke(runner, command, _write(tmp_path, data)))
    assert "training job 'train' can never start: needs 24 GPUs" in line
    assert "but its pool has 24, of which 16 usable" in line
    assert "the job needs 3 nodes" in line


# ------------------------------------------------------------------ the cluster's size
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_more_gpus_than_the_cluster_has(runner, tmp_path: Path, command: list[str]) -> None:
    data = base_scenario(nodes=2, workloads={"training_jobs": [training_job(num_gpus=32)]})
    line = _refused(_invoke(runner, command, _write(tmp_path, data)))
    assert "workloads.training_jobs[0]: training job 'train' can never start" in line
    assert (
        "needs 32 GPUs but its pool has 16 (pool 'main': 2 nodes of 8 GPUs; the job needs 4 nodes)"
        in line
    )


def test_a_job_runs_inside_one_pool(runner, tmp_path: Path) -> None:
    """Two pools of 16 GPUs do not make room for a 24-GPU job that may use either."""
    data = base_scenario(nodes=2, workloads={"training_jobs": [training_job(num_gpus=24)]})
    data["cluster"]["pools"].append({"name": "more", "node": "enginetest-node", "count": 2})
    line = _refused(_invoke(runner, ["scenario", "validate"], _write(tmp_path, data)))
    assert "needs 24 GPUs but its largest pool has 16 (a job runs inside one pool;" in line


def test_build_out_after_the_horizon_does_not_count(runner, tmp_path: Path) -> None:
    data = base_scenario(nodes=1, workloads={"training_jobs": [training_job(num_gpus=16)]})
    data["cluster"]["build_out"] = [{"pool": "main", "nodes": 1, "order_at_days": 2}]
    line = _refused(_invoke(runner, ["run"], _write(tmp_path, data)))
    assert "needs 16 GPUs but its pool has 16, of which 8 usable" in line
    assert "1 entering service only after the horizon (cluster.build_out)" in line
    data["cluster"]["build_out"][0]["order_at_days"] = 0.25  # arrives in time: it waits, then runs
    result = _invoke(runner, ["run"], _write(tmp_path, data), "--json")
    assert result.exit_code == 0, result.output


def test_a_job_that_may_burst_starts_in_the_cloud(runner, tmp_path: Path) -> None:
    """With cluster.burst a job the spares crowd out runs in the cloud; `onprem_only` cannot."""
    data = base_scenario(nodes=2, workloads={"training_jobs": [training_job(num_gpus=16)]})
    data["policies"]["placement"] = {"kind": "pack", "params": {"spare_nodes_per_pool": 1}}
    data["cluster"]["burst"] = {"wait_limit_hours": 1}
    result = _invoke(runner, ["run"], _write(tmp_path, data), "--json")
    assert result.exit_code == 0, result.output
    data["workloads"]["training_jobs"][0]["onprem_only"] = True
    line = _refused(_invoke(runner, ["scenario", "validate"], _write(tmp_path, data)))
    assert "needs 16 GPUs but its pool has 16, of which 8 usable" in line


def test_a_service_replica_too_big(runner, tmp_path: Path) -> None:
    data = yaml.safe_load((REPO / "scenarios/llama3-70b-serving-h200.yaml").read_text())
    data["workloads"]["inference_services"][0]["tp"] = 64
    path = write_yaml(tmp_path / "svc.yaml", data)
    line = _refused(runner.invoke(app, ["scenario", "validate", str(path)]))
    name = data["workloads"]["inference_services"][0]["name"]
    assert f"workloads.inference_services[0]: a replica of service {name!r} can never start" in line
    assert "needs 64 GPUs" in line


def test_a_synthetic_job_size_too_big(runner, tmp_path: Path) -> None:
    mix = {"name": "mix", "arrivals_per_hour": 1, "gpus_per_job": [8, 24], "mean_duration_hours": 1}
    data = base_scenario(nodes=3, workloads={"synthetic_jobs": [mix]})
    data["policies"]["placement"] = {"kind": "pack", "params": {"spare_nodes_per_pool": 1}}
    line = _refused(_invoke(runner, ["run"], _write(tmp_path, data)))
    assert "workloads.synthetic_jobs[0].gpus_per_job[1]: a 24-GPU job of 'mix'" in line
    assert "can never start: needs 24 GPUs" in line
    assert "its pool has 24, of which 16 usable" in line


# ------------------------------------------------------------------ GPU memory
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_job_too_big_for_gpu_memory(runner, tmp_path: Path, command: list[str]) -> None:
    huge = {**TINY_MODEL, "name": "huge", "num_layers": 200, "hidden_size": 12288}
    huge.update(num_attention_heads=96, ffn_hidden_size=49152)
    job = training_job(name="too-big", model=huge)
    data = base_scenario(nodes=2, workloads={"training_jobs": [job]})
    line = _refused(_invoke(runner, command, _write(tmp_path, data)))
    assert "workloads.training_jobs[0]: " in line
    assert "training job 'too-big' can never start" in line
    assert "on 8 GPUs it needs" in line and "GiB per GPU but a GPU of pool 'main' has" in line
    assert "GiB usable" in line


# ------------------------------------------------------------------ a real process
def test_a_real_process_exits_2_without_a_traceback(tmp_path: Path) -> None:
    command = ["run", str(PRETRAIN), "--set", SPARES_8, "--out", str(tmp_path / "out")]
    result = subprocess.run(
        [sys.executable, "-m", "simulator", *command],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert "training job 'llama3-70b-pretrain' can never start" in result.stderr
    assert not (tmp_path / "out").exists()
