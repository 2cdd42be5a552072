"""The model and hardware half of the LLM estimates: shape flags, presets and the job's GPUs.

`estimate training`, `estimate inference` and `estimate serving` all name a transformer (a
preset, or a shape from flags) and the GPUs it runs on the same way; this module is that one
way, so a shape flag means the same thing, with the same defaults and errors, in each command.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import Field, ValidationError

from simulator.catalog import Catalog
from simulator.errors import InputError, Problem, error_message
from simulator.estimates.fields import problems_as_flags
from simulator.estimates.request import EstimateRequest
from simulator.perf.hardware import JobHardware, job_hardware
from simulator.perf.parallelism import OPTIONS, option_problem
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


class ShapeRequest(EstimateRequest):
    """Hardware and model fields the LLM commands share."""

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


def _default_ffn(hidden: int, ffn_type: str) -> int:
    """4h for GELU; 8h/3 rounded up to a multiple of 256 for SwiGLU (the Llama convention)."""
    if ffn_type == "swiglu":
        return 256 * math.ceil(8 * hidden / 3 / 256)
    return 4 * hidden


def request_model(req: ShapeRequest, catalog: Catalog) -> TransformerModel:
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


def request_hardware(req: ShapeRequest, catalog: Catalog, num_gpus: int) -> JobHardware:
    """The job's GPUs, node and fabric from --gpu/--node, --gpus-per-node and --fabric."""
    with problems_as_flags():
        return job_hardware(
            catalog,
            num_gpus=num_gpus,
            gpu=req.gpu,
            node=req.node,
            gpus_per_node=req.gpus_per_node,
            fabric=req.fabric,
        )
