"""`infrasim estimate serving`: a request stream through continuously batched replicas.

Same hardware, placement and model flags as `estimate inference`, then the traffic: how many
requests, how long, and either an open-loop Poisson rate (`--request-rate`) or closed-loop
clients (`--concurrency`; equal to `--num-requests`, all requests arrive at once: an offline
throughput benchmark). The simulation is `simulator.engine.serving.simulate_service`.
`--calibration FILE` lays a measured profile over the catalog, as for every other estimate.
Importing this module registers the command on `estimate_app`.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer
from pydantic import Field, ValidationError

from simulator.catalog import Catalog
from simulator.cli.common import CalibrationOption, JsonOption, ProfilesOption, guarded
from simulator.cli.estimate import GpuOption, InputOption, NodeOption, estimate_app, run_estimate
from simulator.cli.estimate_inference import DecodeAttentionOpt, KvDtypeOpt, ServingPrecisionOpt
from simulator.cli.estimate_model import (
    Experts,
    Fabric,
    FfnHidden,
    FfnType,
    GpusPerNode,
    Heads,
    Hidden,
    KvHeads,
    Layers,
    ModelOpt,
    MoeFfn,
    Pp,
    ShapeRequest,
    TopK,
    Tp,
    Vocab,
    request_hardware,
    request_model,
)
from simulator.engine.serving import simulate_service
from simulator.errors import InputError, Problem, error_message
from simulator.perf.decode_attention import DecodeAttentionKernel
from simulator.perf.parallelism import OPTIONS, option_problem
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


class ServingRequest(ShapeRequest):
    """A stream of identical requests served by `replicas` replicas, each tp x pp GPUs."""

    tp: int = Field(default=1, ge=1)
    pp: int = Field(default=1, ge=1)
    precision: Literal["fp16", "bf16", "fp8", "int8", "int4"] = "fp16"
    kv_dtype: Literal["fp16", "bf16", "fp8", "int8"] | None = None
    decode_attention: DecodeAttentionKernel = "grouped"
    num_requests: int = Field(ge=1, le=10_000_000)
    input_len: int = Field(ge=1)
    output_len: int = Field(ge=1)
    request_rate: float | None = Field(default=None, gt=0, description="Poisson requests/s")
    concurrency: int | None = Field(default=None, ge=1, description="closed-loop clients")
    replicas: int | None = Field(default=None, ge=1)
    ttft_slo: float | None = Field(default=None, gt=0)
    tpot_slo: float | None = Field(default=None, gt=0)
    routing: Literal["round_robin", "least_outstanding", "kv_aware"] = "least_outstanding"
    max_num_seqs: int = Field(default=256, ge=1)
    max_batched_tokens: int = Field(default=8192, ge=1)
    seed: int = Field(default=0, ge=0)


def _replicas(req: ServingRequest) -> int:
    per_replica = req.tp * req.pp
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


def compute_serving(req: ServingRequest, catalog: Catalog) -> dict[str, Any]:
    """Latency percentiles, throughput and SLO attainment of the simulated stream."""
    if (req.request_rate is None) == (req.concurrency is None):
        raise InputError(
            [option_problem("--request-rate", "give --request-rate or --concurrency (one of them)")]
        )
    model = request_model(req, catalog)
    replicas = _replicas(req)
    hardware = request_hardware(req, catalog, req.tp * req.pp)
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
                name="estimate",
                model=model,
                precision=req.precision,
                kv_dtype=req.kv_dtype,
                decode_attention=req.decode_attention,
                tp=req.tp,
                pp=req.pp,
                replicas=replicas,
                traffic=traffic,
                slo={"ttft_s": req.ttft_slo, "tpot_s": req.tpot_slo},
                routing=req.routing,
                max_num_seqs=req.max_num_seqs,
                max_batched_tokens=req.max_batched_tokens,
                timeline_interval_s=1.0,
            )
        )
    except ValidationError as exc:
        raise InputError(
            [Problem(OPTIONS, "(request)", error_message(e)) for e in exc.errors()]
        ) from None
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
        "num_gpus": replicas * req.tp * req.pp,
        "replicas": replicas,
        "kv_cache_tokens_per_replica": run.runtime.kv_blocks * spec.kv_block_tokens,
        **{key: run.summary[key] for key in SUMMARY_KEYS},
    }


@estimate_app.command("serving")
@guarded
def serving(
    gpu: GpuOption = None,
    node: NodeOption = None,
    num_gpus: Annotated[
        int | None,
        typer.Option("--num-gpus", help="GPUs in all (replicas x tp x pp).", show_default=False),
    ] = None,
    gpus_per_node: GpusPerNode = None,
    fabric: Fabric = None,
    model: ModelOpt = None,
    layers: Layers = None,
    hidden: Hidden = None,
    heads: Heads = None,
    kv_heads: KvHeads = None,
    ffn_hidden: FfnHidden = None,
    ffn_type: FfnType = None,
    vocab: Vocab = None,
    experts: Experts = None,
    top_k: TopK = None,
    moe_ffn_hidden: MoeFfn = None,
    tp: Tp = None,
    pp: Pp = None,
    precision: ServingPrecisionOpt = None,
    kv_dtype: KvDtypeOpt = None,
    decode_attention: DecodeAttentionOpt = None,
    num_requests: Annotated[
        int | None, typer.Option("--num-requests", help="Requests to serve.", show_default=False)
    ] = None,
    input_len: Annotated[
        int | None,
        typer.Option("--input-len", help="Prompt tokens per request.", show_default=False),
    ] = None,
    output_len: Annotated[
        int | None,
        typer.Option("--output-len", help="Generated tokens per request.", show_default=False),
    ] = None,
    request_rate: Annotated[
        float | None,
        typer.Option("--request-rate", help="Poisson arrivals per second.", show_default=False),
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(
            "--concurrency",
            help="Closed-loop clients (= --num-requests: all at once, offline throughput).",
            show_default=False,
        ),
    ] = None,
    replicas: Annotated[
        int | None,
        typer.Option(
            "--replicas", help="Replicas (default from --num-gpus, else 1).", show_default=False
        ),
    ] = None,
    ttft_slo: Annotated[
        float | None,
        typer.Option("--ttft-slo", help="Time-to-first-token target, seconds.", show_default=False),
    ] = None,
    tpot_slo: Annotated[
        float | None,
        typer.Option(
            "--tpot-slo", help="Time-per-output-token target, seconds.", show_default=False
        ),
    ] = None,
    routing: Annotated[
        str | None,
        typer.Option(
            "--routing",
            help="round_robin, least_outstanding (default) or kv_aware.",
            show_default=False,
        ),
    ] = None,
    max_num_seqs: Annotated[
        int | None,
        typer.Option(
            "--max-num-seqs", help="Sequences per replica (default 256).", show_default=False
        ),
    ] = None,
    max_batched_tokens: Annotated[
        int | None,
        typer.Option(
            "--max-batched-tokens",
            help="Chunked-prefill token budget per iteration (default 8192).",
            show_default=False,
        ),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Seed of the arrival draw.", show_default=False)
    ] = None,
    input: InputOption = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
    calibration: CalibrationOption = None,
) -> None:
    """Serve a request stream: TTFT, TPOT and e2e percentiles, throughput, SLO attainment."""
    flags = dict(
        gpu=gpu,
        node=node,
        num_gpus=num_gpus,
        gpus_per_node=gpus_per_node,
        fabric=fabric,
        model=model,
        layers=layers,
        hidden=hidden,
        heads=heads,
        kv_heads=kv_heads,
        ffn_hidden=ffn_hidden,
        ffn_type=ffn_type,
        vocab=vocab,
        experts=experts,
        top_k=top_k,
        moe_ffn_hidden=moe_ffn_hidden,
        tp=tp,
        pp=pp,
        precision=precision,
        kv_dtype=kv_dtype,
        decode_attention=decode_attention,
        num_requests=num_requests,
        input_len=input_len,
        output_len=output_len,
        request_rate=request_rate,
        concurrency=concurrency,
        replicas=replicas,
        ttft_slo=ttft_slo,
        tpot_slo=tpot_slo,
        routing=routing,
        max_num_seqs=max_num_seqs,
        max_batched_tokens=max_batched_tokens,
        seed=seed,
    )
    run_estimate(
        ServingRequest,
        compute_serving,
        flags=flags,
        input_file=input,
        json_=json_,
        profiles=profiles,
        calibration=calibration,
    )
