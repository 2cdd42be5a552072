"""A request stream through continuously batched replicas (`infrasim estimate serving`,
`simulator.estimate_serving`).

Same hardware, placement and model flags as `estimate inference`, then the traffic: how many
requests, how long, and either an open-loop Poisson rate (`--request-rate`) or closed-loop
clients (`--concurrency`; equal to `--num-requests`, all requests arrive at once: an offline
throughput benchmark). The simulation is `simulator.engine.serving.simulate_service`.
`--calibration FILE` lays a measured profile over the catalog, as for every other estimate.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, ValidationError, create_model

from simulator.catalog import Catalog
from simulator.engine.serving import simulate_service
from simulator.errors import InputError, Problem, error_message
from simulator.estimates.fields import limited_optional_fields, problems_as_flags
from simulator.estimates.inference import serving_execution
from simulator.estimates.model import ShapeRequest, request_hardware, request_model
from simulator.perf.parallelism import OPTIONS, option_problem
from simulator.schema.execution import ServingExecution
from simulator.schema.scenario import InferenceService

SUMMARY_KEYS = (
    "output_tokens_per_s",
    "requests_per_s",
    "ttft_s_p50",
    "ttft_s_p90",
    "ttft_s_p99",
    "tpot_s_p50",
    "tpot_s_p90",
    "tpot_s_p99",
    "e2e_s_p50",
    "e2e_s_p90",
    "e2e_s_p99",
    "slo_attainment",
    "goodput_requests_per_s",
    "requests_completed",
    "requests_dropped",
    "preemptions",
    "kv_utilization_mean",
    "kv_utilization_peak",
    "mean_batch_size",
    "duration_s",
    "gpu_hours",
    "gpu_hours_per_million_tokens",
)
"""What the command prints, in order (the first nine are the issue's contract)."""


class StreamRequest(ShapeRequest):
    """Base of `ServingRequest`: the request stream, its targets and the replica count."""

    num_requests: int = Field(ge=1, le=10_000_000)
    input_len: int = Field(ge=1)
    output_len: int = Field(ge=1)
    request_rate: float | None = Field(default=None, gt=0, description="Poisson requests/s")
    concurrency: int | None = Field(default=None, ge=1, description="closed-loop clients")
    replicas: int | None = Field(default=None, ge=1)
    ttft_slo: float | None = Field(default=None, gt=0)
    tpot_slo: float | None = Field(default=None, gt=0)
    seed: int = Field(default=0, ge=0)


ServingRequest = create_model(  # type: ignore[call-overload]
    "ServingRequest",
    __base__=StreamRequest,
    __module__=__name__,
    __doc__="""A stream of identical requests served by `replicas` replicas, each tp x pp GPUs:
    the stream's fields plus every `ServingExecution` knob (None: not given, its default
    applies; the scenario's inference service has the same knobs and defaults).""",
    **limited_optional_fields(ServingExecution, include=ServingExecution.model_fields),
)


def _replicas(req: StreamRequest, per_replica: int) -> int:
    if req.num_gpus is None:
        return req.replicas or 1
    if req.num_gpus % per_replica:
        raise InputError(
            [
                option_problem(
                    "--num-gpus", f"{req.num_gpus} is not a multiple of tp*pp = {per_replica}"
                )
            ]
        )
    replicas = req.num_gpus // per_replica
    if req.replicas is not None and req.replicas != replicas:
        raise InputError(
            [
                option_problem(
                    "--replicas",
                    f"{req.replicas} replicas of tp*pp = {per_replica} GPUs is not "
                    f"--num-gpus {req.num_gpus}",
                )
            ]
        )
    return replicas


def compute_serving(req: StreamRequest, catalog: Catalog) -> dict[str, Any]:
    """Latency percentiles, throughput and SLO attainment of the simulated stream."""
    if (req.request_rate is None) == (req.concurrency is None):
        raise InputError(
            [option_problem("--request-rate", "give --request-rate or --concurrency (one of them)")]
        )
    execution = serving_execution(req)
    per_replica = execution.gpus_per_replica
    model = request_model(req, catalog)
    replicas = _replicas(req, per_replica)
    hardware = request_hardware(req, catalog, per_replica)
    traffic: dict[str, Any] = {
        "num_requests": req.num_requests,
        "input_tokens": {"kind": "fixed", "value": req.input_len},
        "output_tokens": {"kind": "fixed", "value": req.output_len},
    }
    if req.concurrency is not None:
        traffic.update(arrivals="closed_loop", concurrency=min(req.concurrency, req.num_requests))
    else:
        traffic.update(arrivals="poisson", requests_per_s=req.request_rate)
    try:
        spec = InferenceService.model_validate(
            dict(
                execution.model_dump(),
                name="estimate",
                model=model,
                replicas=replicas,
                traffic=traffic,
                slo={"ttft_s": req.ttft_slo, "tpot_s": req.tpot_slo},
                timeline_interval_s=1.0,
            )
        )
    except ValidationError as exc:
        raise InputError(
            [Problem(OPTIONS, "(request)", error_message(e)) for e in exc.errors()]
        ) from None
    with problems_as_flags():
        run = simulate_service(spec, model, hardware, seed=req.seed)
    if run.summary["requests_dropped"] == req.num_requests:
        raise InputError(
            [
                option_problem(
                    "--input-len",
                    f"a request of {req.input_len} + {req.output_len} tokens does not fit the "
                    f"KV cache of one replica ({run.runtime.kv_blocks * spec.kv_block_tokens} "
                    "tokens): use more tp/pp, a lower precision, or shorter requests",
                )
            ]
        )
    return {
        "model": model.id or model.name,
        "gpu": hardware.gpu.id,
        "num_gpus": replicas * per_replica,
        "replicas": replicas,
        "kv_cache_tokens_per_replica": run.runtime.kv_blocks * spec.kv_block_tokens,
        **{key: run.summary[key] for key in SUMMARY_KEYS},
    }
