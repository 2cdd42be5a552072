"""One static batch of LLM inference, prefill then decode (`infrasim estimate inference`,
`simulator.estimate_inference`).

The replica's knobs (tp, pp, precision, KV dtype, decode kernel) are `ServingExecution`
fields: `cli/options.py` makes them the command's flags and `estimates/fields.py`
`InferenceRequest`'s optional fields, so their names, choices, limits and defaults are the
scenario's inference service's.
The batch and lengths are this command's own. The compute function is
`simulator.perf.inference`'s, reached through `inference_job`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError, create_model

from simulator.catalog import Catalog
from simulator.errors import InputError, error_message
from simulator.estimates.fields import flag_name, limited_optional_fields, problems_as_flags
from simulator.estimates.model import ShapeRequest, request_hardware, request_model
from simulator.perf.inference import estimate_inference, inference_job
from simulator.perf.parallelism import option_problem
from simulator.schema.execution import ServingExecution

BATCHING_KNOBS = ("routing", "max_num_seqs", "max_batched_tokens")
"""`ServingExecution` knobs of a request stream (`estimate serving`), not of a static batch."""
REPLICA_KNOBS = tuple(k for k in ServingExecution.model_fields if k not in BATCHING_KNOBS)
"""`estimate inference`'s execution flags: the replica's split, numerics and kernels."""


def serving_execution(req: ShapeRequest) -> ServingExecution:
    """The `ServingExecution` knobs `req` was given (the rest: their defaults); errors name
    the flags."""
    given = req.model_dump(include=set(ServingExecution.model_fields), exclude_none=True)
    try:
        return ServingExecution.model_validate(given)
    except ValidationError as exc:
        raise InputError(
            [
                option_problem(flag_name(str(e["loc"][-1])) if e["loc"] else "", error_message(e))
                for e in exc.errors()
            ]
        ) from None


class BatchRequest(ShapeRequest):
    """Base of `InferenceRequest`: the static batch."""

    batch: int = Field(ge=1)
    input_len: int = Field(ge=1)
    output_len: int = Field(ge=1)


InferenceRequest = create_model(  # type: ignore[call-overload]
    "InferenceRequest",
    __base__=BatchRequest,
    __module__=__name__,
    __doc__="""One static batch (`infrasim estimate inference`): hardware, model and batch
    flags plus the replica's `ServingExecution` knobs (None: not given, its default applies).""",
    **limited_optional_fields(ServingExecution, include=REPLICA_KNOBS),
)


def compute_inference(req: BatchRequest, catalog: Catalog) -> dict[str, Any]:
    """TTFT, time per output token, end-to-end latency, throughput and memory for one batch."""
    execution = serving_execution(req)
    model = request_model(req, catalog)
    num_gpus = req.num_gpus or execution.gpus_per_replica
    job = inference_job(
        execution,
        model,
        batch=req.batch,
        input_len=req.input_len,
        output_len=req.output_len,
        num_gpus=num_gpus,
    )
    hardware = request_hardware(req, catalog, num_gpus)
    with problems_as_flags():
        result = estimate_inference(job, hardware).as_dict()
    return {"model": model.id or model.name, "gpu": hardware.gpu.id, "num_gpus": num_gpus, **result}
