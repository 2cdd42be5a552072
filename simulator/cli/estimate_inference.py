"""`infrasim estimate inference`: one static batch of LLM inference (prefill, then decode).

The request model's fields are the flags (underscores for dashes), validated the same way from
flags or from `--input` lines; the compute function is `simulator.perf.inference`'s.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import typer
from pydantic import Field

from simulator.catalog import Catalog
from simulator.cli.common import guarded
from simulator.cli.estimate import estimate_app, run_estimate
from simulator.cli.estimate_model import (
    HARDWARE_OPTIONS,
    RUN_OPTIONS,
    SHAPE_OPTIONS,
    Pp,
    ShapeRequest,
    Tp,
    request_hardware,
    request_model,
)
from simulator.cli.options import option, with_options
from simulator.perf.decode_attention import DecodeAttentionKernel
from simulator.perf.inference import InferenceJob, estimate_inference


class InferenceRequest(ShapeRequest):
    """One static batch (`infrasim estimate inference`)."""

    tp: int = Field(default=1, ge=1)
    pp: int = Field(default=1, ge=1)
    precision: Literal["fp16", "bf16", "fp8", "int8", "int4"] = "fp16"
    batch: int = Field(ge=1)
    input_len: int = Field(ge=1)
    output_len: int = Field(ge=1)
    kv_dtype: Literal["fp16", "bf16", "fp8", "int8"] | None = None
    decode_attention: DecodeAttentionKernel = "grouped"


def compute_inference(req: InferenceRequest, catalog: Catalog) -> dict[str, Any]:
    """TTFT, time per output token, end-to-end latency, throughput and memory for one batch."""
    model = request_model(req, catalog)
    num_gpus = req.num_gpus or req.tp * req.pp
    job = InferenceJob(
        model=model,
        batch=req.batch,
        input_len=req.input_len,
        output_len=req.output_len,
        precision=req.precision,
        tp=req.tp,
        pp=req.pp,
        num_gpus=num_gpus,
        kv_dtype=req.kv_dtype,
        decode_attention=req.decode_attention,
    )
    hardware = request_hardware(req, catalog, num_gpus)
    result = estimate_inference(job, hardware).as_dict()
    return {"model": model.id or model.name, "gpu": hardware.gpu.id, "num_gpus": num_gpus, **result}


# ---------------------------------------------------------------------------- options


ServingGpusOpt = Annotated[
    int | None,
    typer.Option(
        "--num-gpus", help="GPUs (default tp*pp; more serve as replicas).", show_default=False
    ),
]
ServingPrecisionOpt = Annotated[
    str | None,
    typer.Option(
        "--precision",
        help="fp16 (default), bf16, fp8, int8 or int4 (weight-only).",
        show_default=False,
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
KvDtypeOpt = Annotated[
    str | None,
    typer.Option(
        "--kv-dtype", help="KV-cache dtype (default fp8 with fp8, else 16-bit).", show_default=False
    ),
]
DecodeAttentionOpt = Annotated[
    str | None,
    typer.Option(
        "--decode-attention",
        help="grouped (default: the engine loads each GQA KV head once per group, as XQA, "
        "FlashInfer and FlashAttention do) or per_query_head (once per query head, as "
        "TensorRT-LLM before 0.7.1 did; the repeats are served by L2).",
        show_default=False,
    ),
]


@estimate_app.command("inference")
@guarded
@with_options(
    [
        *HARDWARE_OPTIONS,
        option("num_gpus", ServingGpusOpt),
        *SHAPE_OPTIONS,
        option("tp", Tp),
        option("pp", Pp),
        option("precision", ServingPrecisionOpt),
        option("batch", BatchOpt),
        option("input_len", InputLenOpt),
        option("output_len", OutputLenOpt),
        option("kv_dtype", KvDtypeOpt),
        option("decode_attention", DecodeAttentionOpt),
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
