"""`infrasim estimate serving`: a request stream through continuously batched replicas.

Same hardware, placement and model flags as `estimate inference`, then the traffic: how many
requests, how long, and either an open-loop Poisson rate (`--request-rate`) or closed-loop
clients (`--concurrency`; equal to `--num-requests`, all requests arrive at once: an offline
throughput benchmark). The simulation is `simulator.engine.serving.simulate_service`.
`--calibration FILE` lays a measured profile over the catalog, as for every other estimate.
The request model and `compute_serving` live in `simulator.estimates.serving`, shared with
`simulator.estimate_serving`. Importing this module registers the command on `estimate_app`.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from simulator.cli.common import guarded
from simulator.cli.estimate import estimate_app, run_estimate
from simulator.cli.estimate_model import HARDWARE_OPTIONS, RUN_OPTIONS, SHAPE_OPTIONS
from simulator.cli.options import model_options, option, with_options
from simulator.estimates.serving import SUMMARY_KEYS as SUMMARY_KEYS
from simulator.estimates.serving import ServingRequest, compute_serving
from simulator.schema.execution import ServingExecution

# ---------------------------------------------------------------------------- options


def _option(name: str, kind: type, help_: str) -> Any:
    """A stream flag (its own, not an execution knob), `--name-with-dashes`."""
    flag = "--" + name.replace("_", "-")
    typed = Annotated[kind | None, typer.Option(flag, help=help_, show_default=False)]
    return option(name, typed)


STREAM_OPTIONS = (
    _option("num_requests", int, "Requests to serve."),
    _option("input_len", int, "Prompt tokens per request."),
    _option("output_len", int, "Generated tokens per request."),
    _option("request_rate", float, "Poisson arrivals per second."),
    _option(
        "concurrency",
        int,
        "Closed-loop clients (= --num-requests: all at once, offline throughput).",
    ),
    _option("replicas", int, "Replicas (default from --num-gpus, else 1)."),
    _option("ttft_slo", float, "Time-to-first-token target, seconds."),
    _option("tpot_slo", float, "Time-per-output-token target, seconds."),
)
EXECUTION_OPTIONS = model_options(ServingExecution)
"""Every `ServingExecution` knob: tp, pp, precision, kv_dtype, decode_attention, then routing,
max_num_seqs and max_batched_tokens (after the stream, where `--help` has always listed them)."""
_REPLICA = len(ServingExecution.model_fields) - 3


@estimate_app.command("serving")
@guarded
@with_options(
    [
        *HARDWARE_OPTIONS,
        _option("num_gpus", int, "GPUs in all (replicas x tp x pp)."),
        *SHAPE_OPTIONS,
        *EXECUTION_OPTIONS[:_REPLICA],
        *STREAM_OPTIONS,
        *EXECUTION_OPTIONS[_REPLICA:],
        _option("seed", int, "Seed of the arrival draw."),
        *RUN_OPTIONS,
    ]
)
def serving(**flags: Any) -> None:
    """Serve a request stream: TTFT, TPOT and e2e percentiles, throughput, SLO attainment."""
    run_estimate(
        ServingRequest,
        compute_serving,
        input_file=flags.pop("input"),
        json_=flags.pop("json_"),
        profiles=flags.pop("profiles"),
        calibration=flags.pop("calibration"),
        flags=flags,
    )
