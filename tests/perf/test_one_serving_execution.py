"""One serving execution, one latency: `infrasim run`'s engine and `estimate serving` agree.

A scenario's inference service is a `ServingExecution` plus its traffic and lifecycle, and
`estimate serving`'s execution flags are the same fields; both reach the performance model
through `perf.serving_iteration.replica_shape`. A scenario holding just one service and the
command given the same knobs serve the same closed-loop batch (every request arrives at once,
so no arrival draw differs) and give the same TTFT and TPOT.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main

from simulator.cli.estimate import estimate_app
from simulator.cli.estimate_serving import ServingRequest
from simulator.cli.options import flag_name
from simulator.perf.inference import InferenceJob
from simulator.perf.serving_iteration import ReplicaShape, replica_shape
from simulator.results import simulate
from simulator.schema.execution import ServingExecution
from simulator.schema.scenario import InferenceService
from tests.conftest import write_yaml

app = typer.Typer()
app.add_typer(estimate_app, name="estimate")

NODE = "dgx-h100"

CASES: dict[str, dict[str, Any]] = {
    "defaults": {},
    "tp2-fp8": dict(tp=2, precision="fp8"),
    "per-query-head-kv-fp8": dict(decode_attention="per_query_head", kv_dtype="fp8"),
    "small-batches": dict(max_num_seqs=8, max_batched_tokens=1024, routing="round_robin"),
    "int4-weight-only": dict(precision="int4", tp=2, pp=2),
}
"""Replica knobs by case: each a `ServingExecution` field under its own name."""

REQUESTS = 32
INPUT_LEN = 512
OUTPUT_LEN = 64


def _scenario(tmp_path: Path, knobs: dict[str, Any]) -> Path:
    """A scenario holding just one service of `knobs`, closed loop, all requests at once."""
    service = {
        "name": "svc",
        "model": "llama3-8b",
        **knobs,
        "traffic": {
            "arrivals": "closed_loop",
            "concurrency": REQUESTS,
            "num_requests": REQUESTS,
            "input_tokens": {"kind": "fixed", "value": INPUT_LEN},
            "output_tokens": {"kind": "fixed", "value": OUTPUT_LEN},
        },
    }
    data = {
        "schema_version": 1,
        "name": "one serving execution",
        "seed": 1,
        "horizon_days": 1,
        "cluster": {
            "pools": [{"name": "main", "node": NODE, "count": 1}],
            "storage": [{"profile": "parallel-fs", "role": "both"}],
            "facility": "air-cooled-colo",
        },
        "workloads": {"inference_services": [service]},
    }
    return write_yaml(tmp_path / "scenario.yaml", data)


def _engine(tmp_path: Path, knobs: dict[str, Any], catalog) -> dict[str, float]:
    service = simulate(_scenario(tmp_path, knobs), catalog=catalog).summary["serving"]["svc"]
    # summary.json names latencies in ms; `estimate serving --json` keeps its seconds keys
    return {"ttft_s_p50": service["ttft_p50_ms"] / 1e3, "tpot_s_p50": service["tpot_p50_ms"] / 1e3}


def _cli(runner, knobs: dict[str, Any]) -> dict[str, float]:
    args = [arg for name, value in knobs.items() for arg in (flag_name(name), str(value))]
    result = runner.invoke(
        app,
        [
            "estimate",
            "serving",
            "--node",
            NODE,
            "--model",
            "llama3-8b",
            "--num-requests",
            str(REQUESTS),
            "--concurrency",
            str(REQUESTS),
            "--input-len",
            str(INPUT_LEN),
            "--output-len",
            str(OUTPUT_LEN),
            *args,
            "--json",
        ],
    )
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    return {key: out[key] for key in ("ttft_s_p50", "tpot_s_p50")}


@pytest.mark.parametrize("case", sorted(CASES))
def test_run_and_estimate_give_the_same_ttft_and_tpot(case, tmp_path, runner, catalog) -> None:
    knobs = CASES[case]
    engine = _engine(tmp_path, knobs, catalog)
    cli = _cli(runner, knobs)
    assert engine["ttft_s_p50"] > 0 and engine["tpot_s_p50"] > 0
    assert engine == pytest.approx(cli, rel=1e-3)


def test_the_cases_are_not_vacuous(runner) -> None:
    """Each case's knobs move the figures: the agreement above covers them."""
    base = _cli(runner, {})
    for case, knobs in CASES.items():
        if knobs:
            assert _cli(runner, knobs) != pytest.approx(base, rel=1e-3), case


def test_every_execution_knob_is_a_flag_a_request_key_and_a_scenario_key() -> None:
    command = typer.main.get_command(app).commands["estimate"].commands["serving"]  # type: ignore[attr-defined]
    flags = {opt for param in command.params for opt in param.opts}
    for knob in ServingExecution.model_fields:
        assert flag_name(knob) in flags, knob
        assert knob in ServingRequest.model_fields, knob
        # declared once: the service inherits the field, default and description unchanged
        assert repr(InferenceService.model_fields[knob]) == repr(
            ServingExecution.model_fields[knob]
        ), knob


def test_one_precision_default_everywhere(catalog) -> None:
    """The perf dataclasses' defaults are the execution's, so a direct caller meets them too."""
    model = catalog.model("llama3-8b")
    assert ServingExecution().precision == "bf16"
    assert replica_shape(ServingExecution(), model) == ReplicaShape(model=model)
    assert InferenceJob(model, 1, 1, 1).precision == ServingExecution().precision
    service = InferenceService.model_validate(
        {
            "name": "svc",
            "model": "llama3-8b",
            "traffic": {
                "requests_per_s": 1,
                "input_tokens": {"value": 1},
                "output_tokens": {"value": 1},
            },
        }
    )
    assert service.precision == ServingExecution().precision
