"""`infrasim estimate inference`: one static batch of LLM inference (prefill, then decode).

The replica's knobs (tp, pp, precision, KV dtype, decode kernel) are `ServingExecution`
fields: `cli/options.py` makes them this command's flags and `InferenceRequest`'s optional
fields, so their names, choices, limits and defaults are the scenario's inference service's.
The request model and `compute_inference` live in `simulator.estimates.inference`, shared
with `simulator.estimate_inference`; this module adds only the typer options and printing.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from simulator.cli.common import guarded
from simulator.cli.estimate import estimate_app, run_estimate
from simulator.cli.estimate_model import HARDWARE_OPTIONS, RUN_OPTIONS, SHAPE_OPTIONS
from simulator.cli.options import model_options, option, with_options
from simulator.estimates.inference import BATCHING_KNOBS, InferenceRequest, compute_inference
from simulator.schema.execution import ServingExecution

# ---------------------------------------------------------------------------- options


ServingGpusOpt = Annotated[
    int | None,
    typer.Option(
        "--num-gpus", help="GPUs (default tp*pp; more serve as replicas).", show_default=False
    ),
]
BatchOpt = Annotated[
    int | None, typer.Option("--batch", help="Sequences in the static batch.", show_default=False)
]
InputLenOpt = Annotated[
    int | None, typer.Option("--input-len", help="Prompt tokens per sequence.", show_default=False)
]
OutputLenOpt = Annotated[
    int | None,
    typer.Option("--output-len", help="Generated tokens per sequence.", show_default=False),
]

REPLICA_OPTIONS = model_options(ServingExecution, exclude=BATCHING_KNOBS)
"""The replica knobs as options, in `ServingExecution`'s order (tp, pp, precision, ...)."""


@estimate_app.command("inference")
@guarded
@with_options(
    [
        *HARDWARE_OPTIONS,
        option("num_gpus", ServingGpusOpt),
        *SHAPE_OPTIONS,
        *REPLICA_OPTIONS[:3],  # tp, pp, precision
        option("batch", BatchOpt),
        option("input_len", InputLenOpt),
        option("output_len", OutputLenOpt),
        *REPLICA_OPTIONS[3:],  # kv_dtype, decode_attention
        *RUN_OPTIONS,
    ]
)
def inference(**flags: Any) -> None:
    """One static batch: ttft_s, tpot_s, e2e_latency_s, output_tokens_per_s, memory, max_batch."""
    run_estimate(
        InferenceRequest,
        compute_inference,
        input_file=flags.pop("input"),
        json_=flags.pop("json_"),
        profiles=flags.pop("profiles"),
        calibration=flags.pop("calibration"),
        flags=flags,
    )
