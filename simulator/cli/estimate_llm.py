"""`infrasim estimate training` and `infrasim estimate inference`: one LLM job, or a batch.

Both commands follow `simulator/cli/estimate.py`: a pydantic request model whose fields are the
flags (underscores for dashes), validated the same way from flags or from `--input` lines, and
a compute function over the library (`simulator.perf.training`, `simulator.perf.inference`).
Importing this module registers the commands on `estimate_app`.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

import typer
from pydantic import Field, ValidationError

from simulator.catalog import Catalog
from simulator.cli.common import CalibrationOption, JsonOption, ProfilesOption, guarded
from simulator.cli.estimate import (
    EstimateRequest,
    GpuOption,
    InputOption,
    NodeOption,
    estimate_app,
    flag_name,
    run_estimate,
)
from simulator.errors import InputError, Problem, error_message
from simulator.perf.decode_attention import DecodeAttentionKernel
from simulator.perf.hardware import JobHardware, job_hardware
from simulator.perf.inference import InferenceJob, estimate_inference
from simulator.perf.parallelism import OPTIONS, option_problem
from simulator.perf.training import estimate_training, training_job
from simulator.schema.execution import (
    AttentionKernel,
    Mode,
    Parallelism,
    Precision,
    RecomputeChoice,
    TrainingExecution,
    ZeroStage,
)
from simulator.schema.model import MoeConfig, TransformerModel

DEFAULT_VOCAB = 51200
"""Vocabulary when neither --model nor --vocab gives one (GPT-2's, padded as in Megatron-LM)."""

_SHAPE_FLAGS = {
    "layers": "num_layers",
    "hidden": "hidden_size",
    "heads": "num_attention_heads",
    "kv_heads": "num_kv_heads",
    "ffn_hidden": "ffn_hidden_size",
    "ffn_type": "ffn_type",
    "vocab": "vocab_size",
}
_FIELD_FLAGS = {field: f"--{flag.replace('_', '-')}" for flag, field in _SHAPE_FLAGS.items()}
_FIELD_FLAGS.update(
    num_experts="--experts", top_k="--top-k", expert_ffn_hidden_size="--moe-ffn-hidden"
)


class _ShapeRequest(EstimateRequest):
    """Hardware and model fields both commands share."""

    num_gpus: int | None = Field(default=None, ge=1, description="GPUs in the job")
    gpus_per_node: int | None = Field(default=None, ge=1)
    fabric: str | None = Field(default=None, description="scale-out interconnect id")
    model: str | None = Field(default=None, description="transformer preset id")
    layers: int | None = Field(default=None, ge=1)
    hidden: int | None = Field(default=None, ge=1)
    heads: int | None = Field(default=None, ge=1)
    kv_heads: int | None = Field(default=None, ge=1)
    ffn_hidden: int | None = Field(default=None, ge=1)
    ffn_type: Literal["gelu", "swiglu"] | None = None
    vocab: int | None = Field(default=None, ge=1)
    experts: int | None = Field(default=None, ge=2)
    top_k: int | None = Field(default=None, ge=1)
    moe_ffn_hidden: int | None = Field(default=None, ge=1)


class TrainingRequest(_ShapeRequest):
    """One training step (`infrasim estimate training`): hardware and model flags, plus every
    `TrainingExecution` knob flat, under its own name (None: not given).

    Only the knobs given reach `execution()`, so the defaults, limits and cross-field rules
    are `TrainingExecution`'s alone: a scenario's training job and this command cannot drift.
    """

    seq_len: int | None = None
    global_batch: int | None = None
    micro_batch: int | None = None
    tp: int | None = None
    pp: int | None = None
    vpp: int | None = None
    cp: int | None = None
    ep: int | None = None
    dp: int | None = None
    sequence_parallel: bool | None = None
    zero: ZeroStage | None = None
    distributed_optimizer: bool | None = None
    recompute: RecomputeChoice | None = None
    precision: Precision | None = None
    mode: Mode | None = None
    lora_rank: int | None = None
    attention: AttentionKernel | None = None
    tp_comm_overlap: bool | None = None
    overlap_grad_reduce: bool | None = None
    dp_bucket_params: int | None = None

    def execution(self) -> TrainingExecution:
        """The knobs given, validated as a `TrainingExecution`; errors name the flags."""
        given = self.model_dump(include=set(EXECUTION_KNOBS), exclude_none=True)
        data: dict[str, Any] = {k: v for k, v in given.items() if k not in PARALLELISM_KNOBS}
        data["parallelism"] = {k: v for k, v in given.items() if k in PARALLELISM_KNOBS}
        try:
            return TrainingExecution.model_validate(data)
        except ValidationError as exc:
            raise InputError([_knob_problem(error) for error in exc.errors()]) from None


PARALLELISM_KNOBS = tuple(Parallelism.model_fields)
EXECUTION_KNOBS = (
    *(k for k in TrainingExecution.model_fields if k != "parallelism"),
    *PARALLELISM_KNOBS,
)
"""`estimate training`'s execution flags: `TrainingExecution`'s fields, parallelism flattened."""

_KNOB_WORD = re.compile(r"\b(" + "|".join(sorted(EXECUTION_KNOBS, key=len, reverse=True)) + r")\b")


def _knob_problem(error: Any) -> Problem:
    """A `TrainingExecution` error as the command line spells it (`--tp`, not parallelism.tp)."""
    loc = [str(part) for part in error.get("loc", ())]
    message = error_message(error)
    if loc:
        return option_problem(flag_name(loc[-1]), message)
    # a cross-field rule names the fields in its message: name the flags instead
    return Problem(OPTIONS, "", _KNOB_WORD.sub(lambda m: flag_name(m.group(1)), message))


class InferenceRequest(_ShapeRequest):
    """One static batch (`infrasim estimate inference`)."""

    tp: int = Field(default=1, ge=1)
    pp: int = Field(default=1, ge=1)
    precision: Literal["fp16", "bf16", "fp8", "int8", "int4"] = "fp16"
    batch: int = Field(ge=1)
    input_len: int = Field(ge=1)
    output_len: int = Field(ge=1)
    kv_dtype: Literal["fp16", "bf16", "fp8", "int8"] | None = None
    decode_attention: DecodeAttentionKernel = "grouped"


def _default_ffn(hidden: int, ffn_type: str) -> int:
    """4h for GELU; 8h/3 rounded up to a multiple of 256 for SwiGLU (the Llama convention)."""
    if ffn_type == "swiglu":
        return 256 * math.ceil(8 * hidden / 3 / 256)
    return 4 * hidden


def request_model(req: _ShapeRequest, catalog: Catalog) -> TransformerModel:
    """The preset named by --model, or a model built from the shape flags (not both)."""
    shape = {flag: getattr(req, flag) for flag in _SHAPE_FLAGS if getattr(req, flag) is not None}
    moe = {
        k: v
        for k, v in (
            ("experts", req.experts),
            ("top_k", req.top_k),
            ("moe_ffn_hidden", req.moe_ffn_hidden),
        )
        if v is not None
    }
    if req.model is not None:
        if shape or moe:
            given = ", ".join(f"--{k.replace('_', '-')}" for k in [*shape, *moe])
            raise InputError(
                [
                    option_problem(
                        "--model", f"use a preset or shape flags, not both (also given: {given})"
                    )
                ]
            )
        return catalog.model(req.model)
    missing = [f"--{k}" for k in ("layers", "hidden", "heads") if k not in shape]
    if missing:
        raise InputError(
            [
                option_problem(
                    missing[0], "name a preset with --model or give --layers, --hidden and --heads"
                )
            ]
        )
    ffn_type = shape.get("ffn_type", "gelu")
    data: dict[str, Any] = {_SHAPE_FLAGS[k]: v for k, v in shape.items()}
    data.setdefault("ffn_hidden_size", _default_ffn(shape["hidden"], ffn_type))
    data.setdefault("vocab_size", DEFAULT_VOCAB)
    name = f"custom {shape['layers']}L x {shape['hidden']}"
    if moe:
        if "experts" not in moe or "top_k" not in moe:
            raise InputError(
                [option_problem("--experts", "a MoE model needs --experts and --top-k")]
            )
        try:
            data["moe"] = MoeConfig(
                num_experts=moe["experts"],
                top_k=moe["top_k"],
                expert_ffn_hidden_size=moe.get("moe_ffn_hidden", data["ffn_hidden_size"]),
            )
        except ValidationError as exc:
            raise InputError(_flag_problems(exc)) from None
    try:
        return TransformerModel(name=name, **data)
    except ValidationError as exc:
        raise InputError(_flag_problems(exc)) from None


def _flag_problems(exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        loc = [str(p) for p in error.get("loc", ())]
        flag = next((_FIELD_FLAGS[p] for p in loc if p in _FIELD_FLAGS), "--heads")
        problems.append(Problem(OPTIONS, flag, error_message(error)))
    return problems


def _hardware(req: _ShapeRequest, catalog: Catalog, num_gpus: int) -> JobHardware:
    return job_hardware(
        catalog,
        num_gpus=num_gpus,
        gpu=req.gpu,
        node=req.node,
        gpus_per_node=req.gpus_per_node,
        fabric=req.fabric,
    )


def compute_training(req: TrainingRequest, catalog: Catalog) -> dict[str, Any]:
    """Step time, throughput, FLOP rates, MFU, memory and a breakdown for one training step."""
    execution = req.execution()
    model = request_model(req, catalog)
    job = training_job(execution, model)
    hardware = _hardware(req, catalog, execution.num_gpus)
    result = estimate_training(job, hardware).as_dict()
    return {
        "model": model.id or model.name,
        "gpu": hardware.gpu.id,
        "num_gpus": execution.num_gpus,
        **result,
    }


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
    hardware = _hardware(req, catalog, num_gpus)
    result = estimate_inference(job, hardware).as_dict()
    return {"model": model.id or model.name, "gpu": hardware.gpu.id, "num_gpus": num_gpus, **result}


# ---------------------------------------------------------------------------- options


NumGpus = Annotated[
    int | None, typer.Option("--num-gpus", help="GPUs in the job.", show_default=False)
]
GpusPerNode = Annotated[
    int | None,
    typer.Option("--gpus-per-node", help="GPUs per node (with --gpu).", show_default=False),
]
Fabric = Annotated[
    str | None,
    typer.Option("--fabric", help="Scale-out interconnect id (with --gpu).", show_default=False),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model", help="Transformer preset id (or give the shape flags).", show_default=False
    ),
]
Layers = Annotated[
    int | None, typer.Option("--layers", help="Transformer layers.", show_default=False)
]
Hidden = Annotated[int | None, typer.Option("--hidden", help="Hidden size.", show_default=False)]
Heads = Annotated[int | None, typer.Option("--heads", help="Attention heads.", show_default=False)]
KvHeads = Annotated[
    int | None,
    typer.Option(
        "--kv-heads", help="Key/value heads (GQA; default = --heads).", show_default=False
    ),
]
FfnHidden = Annotated[
    int | None,
    typer.Option(
        "--ffn-hidden", help="FFN width (default 4h GELU, 8h/3 SwiGLU).", show_default=False
    ),
]
FfnType = Annotated[
    str | None,
    typer.Option("--ffn-type", help="gelu or swiglu (default gelu).", show_default=False),
]
Vocab = Annotated[
    int | None,
    typer.Option("--vocab", help=f"Vocabulary size (default {DEFAULT_VOCAB}).", show_default=False),
]
Experts = Annotated[
    int | None, typer.Option("--experts", help="MoE experts per layer.", show_default=False)
]
TopK = Annotated[int | None, typer.Option("--top-k", help="Experts per token.", show_default=False)]
MoeFfn = Annotated[
    int | None,
    typer.Option(
        "--moe-ffn-hidden", help="Expert FFN width (default --ffn-hidden).", show_default=False
    ),
]
Tp = Annotated[
    int | None, typer.Option("--tp", help="Tensor-parallel degree (default 1).", show_default=False)
]
Pp = Annotated[
    int | None, typer.Option("--pp", help="Pipeline stages (default 1).", show_default=False)
]
SeqLenOpt = Annotated[
    int | None, typer.Option("--seq-len", help="Sequence length (tokens).", show_default=False)
]
GlobalBatchOpt = Annotated[
    int | None, typer.Option("--global-batch", help="Sequences per step.", show_default=False)
]
MicroBatchOpt = Annotated[
    int | None,
    typer.Option(
        "--micro-batch", help="Sequences per micro-batch (default: automatic).", show_default=False
    ),
]
VppOpt = Annotated[
    int | None,
    typer.Option(
        "--vpp", help="Virtual stages per pipeline rank (interleaved 1F1B).", show_default=False
    ),
]
CpOpt = Annotated[
    int | None, typer.Option("--cp", help="Context-parallel degree.", show_default=False)
]
EpOpt = Annotated[
    int | None, typer.Option("--ep", help="Expert-parallel degree.", show_default=False)
]
DpOpt = Annotated[
    int | None,
    typer.Option(
        "--dp", help="Data-parallel degree (default: derived from --num-gpus).", show_default=False
    ),
]
RecomputeOpt = Annotated[
    str | None,
    typer.Option(
        "--recompute", help="auto (least that fits), none, selective, full.", show_default=False
    ),
]
ZeroOpt = Annotated[int | None, typer.Option("--zero", help="ZeRO stage 0-3.", show_default=False)]
PrecisionOpt = Annotated[
    str | None, typer.Option("--precision", help="bf16 (default), fp16 or fp8.", show_default=False)
]
ModeOpt = Annotated[
    str | None,
    typer.Option(
        "--mode",
        help="pretrain, full_finetune or lora (default: lora with --lora-rank).",
        show_default=False,
    ),
]
LoraRankOpt = Annotated[
    int | None,
    typer.Option(
        "--lora-rank", help="LoRA rank (frozen base, adapters on attention).", show_default=False
    ),
]
AttentionOpt = Annotated[
    str | None,
    typer.Option(
        "--attention", help="flash (default) or unfused attention kernels.", show_default=False
    ),
]
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


@estimate_app.command("training")
@guarded
def training(
    gpu: GpuOption = None,
    node: NodeOption = None,
    num_gpus: NumGpus = None,
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
    seq_len: SeqLenOpt = None,
    global_batch: GlobalBatchOpt = None,
    micro_batch: MicroBatchOpt = None,
    tp: Tp = None,
    pp: Pp = None,
    vpp: VppOpt = None,
    cp: CpOpt = None,
    ep: EpOpt = None,
    dp: DpOpt = None,
    sequence_parallel: Annotated[
        bool | None,
        typer.Option(
            "--sequence-parallel/--no-sequence-parallel",
            help="Megatron sequence parallelism.",
            show_default=False,
        ),
    ] = None,
    recompute: RecomputeOpt = None,
    zero: ZeroOpt = None,
    distributed_optimizer: Annotated[
        bool | None,
        typer.Option(
            "--distributed-optimizer/--no-distributed-optimizer",
            help="Shard optimizer state over data-parallel ranks.",
            show_default=False,
        ),
    ] = None,
    precision: PrecisionOpt = None,
    mode: ModeOpt = None,
    lora_rank: LoraRankOpt = None,
    attention: AttentionOpt = None,
    tp_comm_overlap: Annotated[
        bool | None,
        typer.Option(
            "--tp-comm-overlap/--no-tp-comm-overlap",
            help="Overlap sequence-parallel communication with GEMMs (Transformer Engine).",
            show_default=False,
        ),
    ] = None,
    overlap_grad_reduce: Annotated[
        bool | None,
        typer.Option(
            "--overlap-grad-reduce/--no-overlap-grad-reduce",
            help="Reduce gradients bucket by bucket during the backward (default) or after it.",
            show_default=False,
        ),
    ] = None,
    dp_bucket_params: Annotated[
        int | None,
        typer.Option(
            "--dp-bucket-params",
            help="Gradient bucket size in parameters (default max(40M, 1M x dp)).",
            show_default=False,
        ),
    ] = None,
    input: InputOption = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
    calibration: CalibrationOption = None,
) -> None:
    """One training step: step_time_s, tokens_per_s, TFLOP/s per GPU, MFU, memory, breakdown."""
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
        seq_len=seq_len,
        global_batch=global_batch,
        micro_batch=micro_batch,
        tp=tp,
        pp=pp,
        vpp=vpp,
        cp=cp,
        ep=ep,
        dp=dp,
        sequence_parallel=sequence_parallel,
        recompute=recompute,
        zero=zero,
        distributed_optimizer=distributed_optimizer,
        precision=precision,
        mode=mode,
        lora_rank=lora_rank,
        attention=attention,
        tp_comm_overlap=tp_comm_overlap,
        overlap_grad_reduce=overlap_grad_reduce,
        dp_bucket_params=dp_bucket_params,
    )
    run_estimate(
        TrainingRequest,
        compute_training,
        flags=flags,
        input_file=input,
        json_=json_,
        profiles=profiles,
        calibration=calibration,
    )


@estimate_app.command("inference")
@guarded
def inference(
    gpu: GpuOption = None,
    node: NodeOption = None,
    num_gpus: ServingGpusOpt = None,
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
    batch: BatchOpt = None,
    input_len: InputLenOpt = None,
    output_len: OutputLenOpt = None,
    kv_dtype: KvDtypeOpt = None,
    decode_attention: DecodeAttentionOpt = None,
    input: InputOption = None,
    json_: JsonOption = False,
    profiles: ProfilesOption = None,
    calibration: CalibrationOption = None,
) -> None:
    """One static batch: ttft_s, tpot_s, e2e_latency_s, output_tokens_per_s, memory, max_batch."""
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
        batch=batch,
        input_len=input_len,
        output_len=output_len,
        kv_dtype=kv_dtype,
        decode_attention=decode_attention,
    )
    run_estimate(
        InferenceRequest,
        compute_inference,
        flags=flags,
        input_file=input,
        json_=json_,
        profiles=profiles,
        calibration=calibration,
    )
