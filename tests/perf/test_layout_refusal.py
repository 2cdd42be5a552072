"""Impossible layouts are refused, with what they need and what `--layout auto` would pick.

`estimate training` (and a scenario) refuse a given layout that does not fit in GPU memory,
or whose degrees do not divide the GPU count; `--allow-oom` (`allow_oom: true`) keeps the
estimate for studies. A scenario's `parallelism: auto` is resolved once into the layout
`estimate training --layout auto` picks.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer

from simulator.cli.estimate import estimate_app
from simulator.engine.core import Simulation
from simulator.errors import InputError
from simulator.scenario import load_scenario
from tests.conftest import write_yaml

app = typer.Typer()
app.add_typer(estimate_app, name="estimate")

SEVENTY_B_ON_64 = [
    "estimate", "training", "--node", "dgx-h100", "--model", "llama3-70b",
    "--num-gpus", "64", "--seq-len", "8192", "--global-batch", "64",
]  # fmt: skip


def test_a_layout_that_does_not_fit_is_refused_with_one_message(runner) -> None:
    # tp 8 alone on 64 GPUs: 70.6B parameters x (2 + 2) bytes of 16-bit weights and gradients
    # / 8 = 35 GB, plus 12 bytes of optimizer state / 8 = 106 GB: far above 78 GiB usable
    result = runner.invoke(app, [*SEVENTY_B_ON_64, "--tp", "8"])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    needed = float(re.search(r"needs ([\d,.]+) GiB per GPU", lines[0])[1].replace(",", ""))
    assert needed > 70.6e9 * 16 / 8 / 2**30  # model states alone: 131.5 GiB
    assert "78.0 GiB usable" in lines[0]  # 80 GiB less the 2 GiB runtime reserve
    assert "--layout auto would pick tp" in lines[0]
    assert "--allow-oom" in lines[0]


def test_allow_oom_keeps_the_estimate_for_studies(runner) -> None:
    result = runner.invoke(app, [*SEVENTY_B_ON_64, "--tp", "8", "--allow-oom", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["fits_in_memory"] is False


def test_degrees_that_do_not_divide_say_what_auto_would_pick(runner) -> None:
    result = runner.invoke(app, [*SEVENTY_B_ON_64, "--tp", "3"])
    assert result.exit_code == 2
    assert "--tp" in result.stderr and "--layout auto would pick tp" in result.stderr
    assert "Traceback" not in result.stderr


def test_auto_refuses_given_degrees(runner) -> None:
    result = runner.invoke(app, [*SEVENTY_B_ON_64, "--layout", "auto", "--pp", "2"])
    assert result.exit_code == 2
    assert "--pp" in result.stderr


def test_auto_json_has_layout_and_alternatives(runner) -> None:
    result = runner.invoke(app, [*SEVENTY_B_ON_64, "--layout", "auto", "--json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["fits_in_memory"] is True
    lay = data["layout"]
    assert lay["tp"] * lay["pp"] * lay["cp"] * lay["dp"] == 64
    assert {"distributed_optimizer", "zero", "num_microbatches"} <= set(lay)
    assert 1 <= len(data["alternatives"]) <= 5
    first = data["alternatives"][0]
    assert set(first) == {"layout", "step_time_s", "memory_per_gpu_gib"}
    assert first["step_time_s"] >= data["step_time_s"]
    # 70.6B parameters' 16-bit weights and gradients on one GPU (tp1 pp1) are 263 GiB: refused
    reasons = {r["layout"]: r["reason"] for r in data["rejected"]}
    assert reasons["tp1 pp1 dp64"].startswith("memory")


def _scenario(tmp_path: Path, job: dict) -> Path:
    data = {
        "schema_version": 1,
        "name": "layout refusal",
        "seed": 1,
        "horizon_days": 1,
        "cluster": {
            "pools": [{"name": "main", "node": "dgx-h100", "count": 8}],
            "fabric": {"nodes_per_pod": 32},
            "storage": [{"profile": "parallel-fs", "role": "both"}],
            "facility": "air-cooled-colo",
        },
        "workloads": {
            "training_jobs": [
                {
                    "name": "job",
                    "model": "llama3-70b",
                    "num_gpus": 64,
                    "seq_len": 8192,
                    "global_batch": 64,
                    "steps": 10,
                    **job,
                }
            ]
        },
    }
    return write_yaml(tmp_path / "scenario.yaml", data)


def test_a_scenario_job_that_does_not_fit_is_refused_naming_its_field(tmp_path, catalog) -> None:
    loaded = load_scenario(_scenario(tmp_path, {"parallelism": {"tp": 8}}), catalog)
    with pytest.raises(InputError) as exc:
        Simulation(loaded)
    assert exc.value.problems[0].field == "workloads.training_jobs[0]"
    assert "does not fit in GPU memory" in exc.value.problems[0].message


def test_allow_oom_lets_a_scenario_job_run(tmp_path, catalog) -> None:
    path = _scenario(tmp_path, {"parallelism": {"tp": 8}, "allow_oom": True})
    Simulation(load_scenario(path, catalog))  # no InputError


def test_parallelism_auto_resolves_once_to_the_estimate_s_layout(tmp_path, catalog, runner) -> None:
    loaded = load_scenario(_scenario(tmp_path, {"parallelism": "auto"}), catalog)
    Simulation(loaded)
    job = loaded.scenario.workloads.training_jobs[0]
    assert job.layout == "given"  # resolved in place: everything after reads one layout
    cli = runner.invoke(app, [*SEVENTY_B_ON_64, "--layout", "auto", "--json"])
    lay = json.loads(cli.stdout)["layout"]
    p = job.parallelism
    assert (p.tp, p.pp, p.vpp, p.cp, p.dp, job.micro_batch) == (
        lay["tp"], lay["pp"], lay["vpp"], lay["cp"], lay["dp"], lay["micro_batch"],
    )  # fmt: skip
    assert (p.recompute, p.zero, p.distributed_optimizer) == (
        lay["recompute"], lay["zero"], lay["distributed_optimizer"],
    )  # fmt: skip
