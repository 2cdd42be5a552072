"""The Python API in `simulator/__init__.py`: the same figures as the matching commands."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import simulator
from simulator.cli import app
from simulator.errors import InputError
from simulator.results import plain

REPO = Path(__file__).resolve().parents[1]
PRETRAIN = REPO / "scenarios" / "llama3-70b-pretrain-h100.yaml"
SHORT = ["horizon_days=2"]

TRAINING = dict(
    model="llama3-8b", node="dgx-h100", num_gpus=16, tp=2, pp=1, seq_len=4096, global_batch=64
)
INFERENCE = dict(model="llama3-8b", node="dgx-h100", tp=1, batch=8, input_len=512, output_len=64)
SERVING = dict(
    model="llama3-8b",
    node="dgx-h100",
    precision="bf16",
    num_requests=50,
    input_len=200,
    output_len=20,
    request_rate=5.0,
    max_batched_tokens=512,
    ttft_slo=1.0,
    tpot_slo=0.1,
)


def _flags(request: dict[str, Any]) -> list[str]:
    return [a for k, v in request.items() for a in (f"--{k.replace('_', '-')}", str(v))]


def _cli(runner, *args: str) -> dict[str, Any]:  # noqa: ANN001
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_all_names_resolve() -> None:
    for name in simulator.__all__:
        assert getattr(simulator, name) is not None
    with pytest.raises(AttributeError):
        _ = simulator.no_such_name


def test_simulate_takes_a_path_or_a_loaded_scenario() -> None:
    by_path = simulator.simulate(PRETRAIN, seed=3, settings=SHORT)
    loaded = simulator.load_scenario(PRETRAIN, settings=SHORT)
    by_loaded = simulator.simulate(loaded, seed=3)
    assert isinstance(by_path, simulator.Results)
    assert by_path.summary == by_loaded.summary
    assert by_path.summary["seed"] == 3 and by_path.summary["horizon_days"] == 2


def test_simulate_refuses_load_options_with_a_loaded_scenario() -> None:
    loaded = simulator.load_scenario(PRETRAIN, settings=SHORT)
    with pytest.raises(ValueError, match="loading a scenario path"):
        simulator.simulate(loaded, settings=["seed=1"])


def test_simulate_matches_infrasim_run(runner) -> None:  # noqa: ANN001
    summary = simulator.simulate(str(PRETRAIN), seed=5, settings=SHORT).summary
    cli = _cli(runner, "run", str(PRETRAIN), "--seed", "5", "--set", SHORT[0])
    assert cli["jobs_completed"] == summary["jobs_completed"]
    assert cli["training_goodput"] == pytest.approx(summary["training_goodput"])
    assert cli["it_energy_kwh"] == pytest.approx(summary["it_energy_kwh"])


def test_estimate_training_matches_the_command(runner) -> None:  # noqa: ANN001
    api = simulator.estimate_training(**TRAINING)
    assert plain(api) == _cli(runner, "estimate", "training", *_flags(TRAINING))
    assert api["step_time_s"] > 0


def test_estimate_inference_matches_the_command(runner) -> None:  # noqa: ANN001
    api = simulator.estimate_inference(**INFERENCE)
    assert plain(api) == _cli(runner, "estimate", "inference", *_flags(INFERENCE))


def test_estimate_serving_matches_the_command(runner) -> None:  # noqa: ANN001
    api = simulator.estimate_serving(**SERVING)
    assert plain(api) == _cli(runner, "estimate", "serving", *_flags(SERVING))  # NaN: null
    assert 0 <= api["slo_attainment"] <= 1


def test_bad_request_names_the_field() -> None:
    with pytest.raises(InputError) as caught:
        simulator.estimate_inference(**{**INFERENCE, "batch": 0})
    assert [p.field for p in caught.value.problems] == ["batch"]
    with pytest.raises(InputError):
        simulator.estimate_inference(**INFERENCE, no_such_flag=1)
