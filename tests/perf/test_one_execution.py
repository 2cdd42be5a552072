"""One training execution, one step time: `infrasim run`'s engine and `estimate training` agree.

A scenario's training job and the `estimate training` flags both validate into
`TrainingExecution` and reach the performance model through `perf.training.training_job`;
these tests hold that promise for each kind of job and each execution knob.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main

from simulator.cli.estimate import estimate_app, flag_name
from simulator.engine.core import Simulation
from simulator.engine.step_time import Placement
from simulator.estimates.model import ShapeRequest
from simulator.estimates.training import EXECUTION_KNOBS, TrainingRequest
from simulator.perf.training import TrainingJob, training_job
from simulator.scenario import load_scenario
from simulator.schema.execution import Parallelism, TrainingExecution
from simulator.schema.scenario import TrainingJob as ScenarioJob
from tests.conftest import write_yaml

app = typer.Typer()
app.add_typer(estimate_app, name="estimate")

NODE = "dgx-h100"
GPUS_PER_NODE = 8

CASES: dict[str, dict[str, Any]] = {
    "dense-7b-automatic-micro-batch": dict(
        model="llama2-7b",
        num_gpus=16,
        seq_len=4096,
        global_batch=64,
        parallelism=dict(tp=2, distributed_optimizer=True),
    ),
    "dense-70b-pp-vpp": dict(
        model="llama3-70b",
        num_gpus=64,
        seq_len=8192,
        global_batch=64,
        parallelism=dict(tp=8, pp=4, vpp=5, sequence_parallel=True, distributed_optimizer=True),
    ),
    "moe-ep": dict(
        model="mixtral-8x7b",
        num_gpus=64,
        seq_len=4096,
        global_batch=256,
        parallelism=dict(tp=2, ep=8, sequence_parallel=True),
    ),
    "fp8-sp": dict(
        model="llama3-8b",
        num_gpus=16,
        seq_len=8192,
        global_batch=64,
        precision="fp8",
        parallelism=dict(tp=4, sequence_parallel=True),
    ),
    "context-parallel": dict(
        model="llama3-8b",
        num_gpus=16,
        seq_len=32768,
        global_batch=16,
        parallelism=dict(tp=2, cp=4, sequence_parallel=True),
    ),
    "zero-3": dict(
        model="llama2-7b", num_gpus=16, seq_len=4096, global_batch=64, parallelism=dict(zero=3)
    ),
    "zero-1-dp-given": dict(
        model="llama2-7b",
        num_gpus=16,
        seq_len=4096,
        global_batch=64,
        parallelism=dict(tp=2, dp=8, zero=1),
    ),
    "full-recompute": dict(
        model="llama3-8b",
        num_gpus=8,
        seq_len=8192,
        global_batch=32,
        micro_batch=1,
        parallelism=dict(tp=2, distributed_optimizer=True, recompute="full"),
    ),
    "selective-recompute": dict(
        model="llama3-8b",
        num_gpus=8,
        seq_len=8192,
        global_batch=32,
        parallelism=dict(tp=4, distributed_optimizer=True, recompute="selective"),
    ),
    "unfused-attention": dict(
        model="llama2-7b",
        num_gpus=16,
        seq_len=2048,
        global_batch=64,
        attention="unfused",
        parallelism=dict(tp=2, distributed_optimizer=True),
    ),
    "tp-comm-overlap": dict(
        model="llama3-8b",
        num_gpus=16,
        seq_len=8192,
        global_batch=64,
        tp_comm_overlap=True,
        parallelism=dict(tp=4, sequence_parallel=True),
    ),
    "serial-grad-reduce": dict(
        model="llama3-8b",
        num_gpus=64,
        seq_len=8192,
        global_batch=128,
        overlap_grad_reduce=False,
        parallelism=dict(tp=2, sequence_parallel=True),
    ),
    "big-grad-buckets": dict(
        model="llama3-8b",
        num_gpus=64,
        seq_len=8192,
        global_batch=128,
        dp_bucket_params=4_000_000_000,
        parallelism=dict(tp=2, sequence_parallel=True),
    ),
    "lora": dict(
        model="llama3-8b", num_gpus=8, seq_len=4096, global_batch=32, mode="lora", lora_rank=16
    ),
    "fp16-full-finetune": dict(
        model="llama2-7b",
        num_gpus=16,
        seq_len=4096,
        global_batch=64,
        precision="fp16",
        mode="full_finetune",
        parallelism=dict(tp=2, distributed_optimizer=True),
    ),
}


def _scenario(tmp_path: Path, job: dict[str, Any]) -> Path:
    """A scenario holding just `job`, on enough DGX H100 nodes in one pod."""
    nodes = max(1, job["num_gpus"] // GPUS_PER_NODE)
    data = {
        "schema_version": 1,
        "name": "one execution",
        "seed": 1,
        "horizon_days": 1,
        "cluster": {
            "pools": [{"name": "main", "node": NODE, "count": nodes}],
            "fabric": {"nodes_per_pod": 32},
            "storage": [{"profile": "parallel-fs", "role": "both"}],
            "facility": "air-cooled-colo",
        },
        "workloads": {"training_jobs": [{"name": "job", "steps": 10, **job}]},
    }
    return write_yaml(tmp_path / "scenario.yaml", data)


def _engine_step_s(tmp_path: Path, job: dict[str, Any], catalog) -> float:
    """The step time `infrasim run` gives the job on its best placement."""
    loaded = load_scenario(_scenario(tmp_path, job), catalog)
    sim = Simulation(loaded)
    spec = loaded.scenario.workloads.training_jobs[0]
    where = Placement.packed("main", spec.num_gpus, GPUS_PER_NODE, nodes_per_pod=32)
    return sim.step_time_fn(spec, loaded.models[spec.name], where).step_s


def _flags(job: dict[str, Any]) -> list[str]:
    """The same job as `estimate training` flags, each under its field's name."""
    knobs = {k: v for k, v in job.items() if k != "parallelism"}
    knobs.update(job.get("parallelism", {}))
    args: list[str] = []
    for name, value in knobs.items():
        flag = flag_name(name)
        if isinstance(value, bool):
            args.append(flag if value else "--no-" + flag[2:])
        else:
            args += [flag, str(value)]
    return args


def _cli_step_s(runner, job: dict[str, Any]) -> float:
    result = runner.invoke(app, ["estimate", "training", "--node", NODE, *_flags(job), "--json"])
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["step_time_s"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_run_and_estimate_give_the_same_step_time(case, tmp_path, runner, catalog) -> None:
    job = CASES[case]
    engine = _engine_step_s(tmp_path, job, catalog)
    cli = _cli_step_s(runner, job)
    assert engine == pytest.approx(cli, rel=1e-3)


@pytest.mark.parametrize(
    ("case", "knob"),
    [
        ("unfused-attention", "attention"),
        ("tp-comm-overlap", "tp_comm_overlap"),
        ("serial-grad-reduce", "overlap_grad_reduce"),
        ("big-grad-buckets", "dp_bucket_params"),
    ],
)
def test_each_knob_case_is_not_vacuous(case, knob, runner) -> None:
    """Without its knob the case's step time moves: the agreement above covers the knob."""
    job = CASES[case]
    without = {k: v for k, v in job.items() if k != knob}
    assert _cli_step_s(runner, without) != pytest.approx(_cli_step_s(runner, job), rel=1e-3)


def test_explicit_micro_batch_one_is_kept(tmp_path, catalog) -> None:
    job = dict(model="llama2-7b", num_gpus=8, seq_len=4096, global_batch=64)
    automatic = load_scenario(_scenario(tmp_path, job), catalog)
    assert automatic.scenario.workloads.training_jobs[0].micro_batch is None
    explicit = load_scenario(_scenario(tmp_path, {**job, "micro_batch": 1}), catalog)
    assert explicit.scenario.workloads.training_jobs[0].micro_batch == 1


def _execution_knobs() -> set[str]:
    return {k for k in TrainingExecution.model_fields if k != "parallelism"} | set(
        Parallelism.model_fields
    )


def test_every_estimate_knob_is_a_scenario_key_under_its_flag_name() -> None:
    command = typer.main.get_command(app).commands["estimate"].commands["training"]  # type: ignore[attr-defined]
    flags = {opt for param in command.params for opt in param.opts}
    request = set(TrainingRequest.model_fields)
    assert _execution_knobs() == set(EXECUTION_KNOBS)
    for knob in _execution_knobs():
        assert flag_name(knob) in flags, knob
        assert knob in request, knob
        # a scenario's job takes it at the top level, or under parallelism: with the same name
        assert knob in ScenarioJob.model_fields or knob in Parallelism.model_fields, knob
    # and the request has no execution knob of its own beyond these and the hardware/model
    shape = set(ShapeRequest.model_fields)
    assert request - shape - _execution_knobs() == set()


def test_perf_job_defaults_are_the_executions(catalog) -> None:
    """Direct callers of the perf dataclass get what a scenario or the CLI would."""
    model = catalog.model("llama2-7b")
    built = training_job(TrainingExecution(num_gpus=8, seq_len=4096, global_batch=64), model)
    assert built == TrainingJob(model=model, num_gpus=8, seq_len=4096, global_batch=64)


def test_lora_rank_alone_means_lora() -> None:
    execution = TrainingExecution(num_gpus=8, seq_len=4096, global_batch=64, lora_rank=8)
    assert execution.mode == "lora"
