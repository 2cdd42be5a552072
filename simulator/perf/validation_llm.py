"""Evaluators for published training and inference figures (kinds 'training', 'inference').

Each case is mapped onto the models with no per-case tuning: the hardware text picks GPU and
node profiles, the config picks the model (a preset by name, overridden by any shape fields the
case states) and the parallel layout; the measured quantity decides what is compared, like with
like:

- a measured step time is compared with the step time;
- TFLOP/s whose notes say recomputation is counted (Megatron-LM's Eq. 3) are compared with
  hardware FLOPs (recomputed forward included), otherwise with model FLOPs; MFU with MFU;
- serving throughput per GPU or per system as the source's table states (TensorRT-LLM's
  performance overview heads its columns "Throughput (out tok/s/GPU)"); first-token latency
  with the prefill time.

Software of the era is an input like precision: sources before 2022 predate FlashAttention,
so their attention materializes the score matrix (unfused); the activation recomputation is
what the source states (full for Megatron-LM's published runs). A TensorRT-LLM engine before
0.7.1 decodes GQA models with a kernel that reads each KV head once per query head
(`decode_attention.py`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from simulator.catalog import Catalog
from simulator.errors import InputError, problems_from_validation
from simulator.perf.decode_attention import DecodeAttentionKernel
from simulator.perf.hardware import JobHardware, job_hardware
from simulator.perf.inference import InferenceJob, estimate_inference
from simulator.perf.training import estimate_training, training_job
from simulator.perf.validation import (
    Prediction,
    Skip,
    gpu_for_hardware,
    node_for_hardware,
)
from simulator.schema.execution import TrainingExecution
from simulator.schema.model import TransformerModel

LEGACY_SOFTWARE_LAST_YEAR = 2021
"""Sources up to this year predate FlashAttention (Dao et al., 2022)."""

SERIAL_GRAD_REDUCE_LAST_YEAR = 2022
"""Sources up to this year ran Megatron-LM's own DDP ('local', the default), which reduces all
gradients after the backward pass (megatron/training.py: `allreduce_gradients()` after
`forward_backward_func`); overlapping bucket reduction with the backward came with
Megatron-core's `--overlap-grad-reduce` (2023)."""

GQA_DECODE_KERNEL_SINCE = {"tensorrt-llm": (0, 7, 1)}
"""First release of each engine whose decode kernel loads a GQA KV head once for its whole
group: TensorRT-LLM 0.7.1's release notes list "MMHA optimization for MQA and GQA" (the XQA
kernels followed). Engines not listed are assumed to have one."""

_ENGINE_VERSION = re.compile(
    rf"({'|'.join(map(re.escape, GQA_DECODE_KERNEL_SINCE))})\s*v?(\d+)\.(\d+)(?:\.(\d+))?",
    re.IGNORECASE,
)

_TIME_SCALE = {"s": 1.0, "ms": 1e-3, "us": 1e-6}
_SHAPE_FIELDS = {
    "num_layers": "num_layers",
    "hidden_size": "hidden_size",
    "num_attention_heads": "num_attention_heads",
    "num_kv_heads": "num_kv_heads",
    "ffn_hidden_size": "ffn_hidden_size",
    "vocab_size": "vocab_size",
    "head_dim": "head_dim",
}


# ---------------------------------------------------------------------------- mapping helpers


def _normalize(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def find_preset(name: str, catalog: Catalog) -> TransformerModel | None:
    """The preset whose id or name matches a case's model name (ignoring case and spacing).

    'Llama 2 70B' matches llama2-70b, 'GPT-J 6B' gpt-j-6b; a name that contains a preset id
    whole ('Falcon 180B base') matches too, the longest id winning.
    """
    wanted = _normalize(name)
    if not wanted:
        return None
    best: tuple[int, TransformerModel] | None = None
    for model_id, model in catalog.models.items():
        for key in {_normalize(model_id), _normalize(model.name)}:
            matches = key and (key == wanted or (len(key) >= 4 and key in wanted))
            if matches and (best is None or len(key) > best[0]):
                best = (len(key), model)
    return best[1] if best else None


def _int(config: dict, *names: str) -> int | None:
    for name in names:
        value = config.get(name)
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float) and value > 0:
            return int(value)
    return None


def _shape_overrides(config: dict) -> dict[str, int]:
    return {
        field: int(config[key])
        for key, field in _SHAPE_FIELDS.items()
        if isinstance(config.get(key), int | float) and not isinstance(config.get(key), bool)
    }


def case_model(case: dict, catalog: Catalog, *, gpt_default: bool) -> TransformerModel | Skip:
    """The transformer a case describes: a preset by name with the case's shape fields on top,
    or (for training configs) the shape itself: FFN 4h, GELU and tied embeddings unless the
    config says `ffn_type` / `tied_embeddings`, experts when it gives `num_experts`."""
    config = case.get("config", {})
    name = str(config.get("model", ""))
    overrides = _shape_overrides(config)
    preset = find_preset(name, catalog)
    if preset is not None:
        try:
            return preset.model_copy(update=overrides) if overrides else preset
        except ValueError as exc:  # pragma: no cover - inconsistent case fields
            return Skip(f"case shape conflicts with preset {preset.id}: {exc}")
    needed = ("num_layers", "hidden_size", "num_attention_heads", "vocab_size")
    if gpt_default and all(k in overrides for k in needed):
        h = overrides["hidden_size"]
        try:
            fields: dict[str, Any] = {"ffn_hidden_size": 4 * h, **overrides}
            fields["ffn_type"] = str(config.get("ffn_type", "gelu"))
            fields["tied_embeddings"] = bool(config.get("tied_embeddings", True))
            experts = _int(config, "num_experts")
            if experts:
                fields["moe"] = {
                    "num_experts": experts,
                    "top_k": _int(config, "top_k") or 1,
                    "expert_ffn_hidden_size": _int(config, "moe_ffn_hidden_size")
                    or fields["ffn_hidden_size"],
                }
            return TransformerModel.model_validate({"name": name or "GPT", **fields})
        except ValueError as exc:
            return Skip(f"model shape is not valid: {exc}")
    return Skip(f"no model preset matches {name!r} and the config lacks a full shape")


def _precision(config: dict, allowed: tuple[str, ...]) -> str:
    text = str(config.get("precision", "")).lower()
    for dtype in ("fp8", "int4", "int8"):
        if dtype in text and dtype in allowed:
            return dtype
    if "fp16" in text or "float16" in text:
        return "fp16"
    return "bf16"


def _num_gpus(case: dict) -> int | None:
    found = _int(case.get("config", {}), "num_gpus")
    if found:
        return found
    match = re.match(r"\s*(\d+)\s*x", str(case.get("hardware", "")))
    return int(match.group(1)) if match else None


def _years(case: dict) -> list[int]:
    text = (
        f"{case.get('source', '')} {case.get('id', '')} {case.get('config', {}).get('model', '')}"
    )
    years = [int(y) for y in re.findall(r"\b(20[12]\d)\b", text)]
    years += [2000 + int(y) for y in re.findall(r"\bSC(\d\d)\b", text)]
    years += [2000 + int(y) for y in re.findall(r"arXiv:(\d\d)\d\d\.", text)]
    return years


def serial_grad_reduce(case: dict) -> bool:
    """Whether the source's framework reduced gradients only after the backward pass."""
    years = _years(case)
    return bool(years) and max(years) <= SERIAL_GRAD_REDUCE_LAST_YEAR


def legacy_software(case: dict) -> bool:
    """Whether the source predates FlashAttention."""
    years = _years(case)
    return bool(years) and max(years) <= LEGACY_SOFTWARE_LAST_YEAR


_NVSWITCH_V100 = re.compile(r"DGX-?2", re.IGNORECASE)


def decode_attention_kernel(config: dict) -> DecodeAttentionKernel:
    """The decode-attention kernel the case's engine (name and version) ran."""
    match = _ENGINE_VERSION.search(str(config.get("engine", "")))
    if match is None:
        return "grouped"
    name = match.group(1).lower()
    version = tuple(int(part or 0) for part in match.groups()[1:])
    return "per_query_head" if version < GQA_DECODE_KERNEL_SINCE[name] else "grouped"


def case_hardware(case: dict, catalog: Catalog, num_gpus: int) -> tuple[JobHardware, str] | Skip:
    """GPU and node profiles for the case's hardware text, placed for `num_gpus` GPUs.

    A node profile is used when the text names one the catalog has (DGX A100, p4de, ...);
    A100s from 2020 DGX systems (memory not stated) are the 40 GB part when the catalog has
    it; a DGX-2 is 16 V100s on one NVSwitch (no node profile: a node-less group).
    """
    hardware = str(case.get("hardware", ""))
    mapped = gpu_for_hardware(hardware, catalog)
    if isinstance(mapped, Skip):
        return mapped
    gpu_id, note = mapped
    if (
        gpu_id == "a100-sxm-80gb"
        and "80" not in hardware
        and "2020" in hardware
        and "a100-sxm-40gb" in catalog.profiles["gpu"]
    ):
        gpu_id, note = "a100-sxm-40gb", "2020 DGX A100: the 40 GB part"
    node_id = node_for_hardware(hardware, catalog)
    notes = [note] if note else []
    try:
        if node_id is not None and catalog.node(node_id).gpu == gpu_id:
            return job_hardware(catalog, num_gpus=num_gpus, node=node_id), _join(
                [f"node {node_id}", *notes]
            )
        if node_id is not None:
            node = catalog.node(node_id)
            nic, _ = catalog.scale_out_nic(node)
            hw = job_hardware(
                catalog,
                num_gpus=num_gpus,
                gpu=gpu_id,
                gpus_per_node=min(num_gpus, node.gpus_per_node),
                fabric=nic.id,
            )
            return hw, _join([f"gpu {gpu_id} in {node_id}'s layout", *notes])
        per_node = 16 if _NVSWITCH_V100.search(hardware) else 8
        if num_gpus > per_node:
            return Skip("multi-node case whose node has no profile in the catalog")
        hw = job_hardware(catalog, num_gpus=num_gpus, gpu=gpu_id, gpus_per_node=num_gpus)
        return hw, _join([f"gpu {gpu_id}, {num_gpus} GPUs on one scale-up domain", *notes])
    except InputError as exc:
        return Skip("; ".join(str(p) for p in exc.problems))


def _join(parts: list[str]) -> str:
    return "; ".join(p for p in parts if p)


def _time_entry(measured: dict, *names: str) -> tuple[str, float, str] | None:
    for name in names:
        entry = measured.get(name)
        if isinstance(entry, dict):
            unit = str(entry.get("unit", "")).strip()
            if unit in _TIME_SCALE:
                return name, _TIME_SCALE[unit], unit
    return None


# ---------------------------------------------------------------------------- training

_MEGATRON_CORE_RECIPES = re.compile(r"nemo|megatron[- ]bridge|megatron[- ]core", re.IGNORECASE)
"""Frameworks whose published recipes run Megatron-core with its distributed optimizer and,
under tensor parallelism, sequence parallelism with the tensor-parallel communication
overlapped with the GEMMs (Megatron-Bridge / NeMo 2 performance recipes set
`use_distributed_optimizer=True`, `sequence_parallel=True` whenever TP > 1, and
`tp_comm_overlap=True` with per-shape Transformer Engine userbuffer configs, e.g. NeMo's
`userbuffers_fp8_h100_h8192_tp4_mbs1_seqlen8192`)."""


def _flag(config: dict, key: str, default: bool) -> bool:
    value = config.get(key)
    return default if value is None else bool(value)


def _recompute(config: dict, notes: str, legacy: bool) -> str:
    for key in ("recompute", "activation_recompute", "recompute_granularity"):
        value = str(config.get(key, "")).lower()
        if value in ("none", "selective", "full"):
            return value
    text = f"{config.get('schedule', '')} {notes}".lower()
    if "selective" in text:
        return "selective"
    if re.search(r"recomput\w* (on|full)|includes the activation-recomputation|checkpoint", text):
        return "full"
    return "full" if legacy else "auto"


def evaluate_training_case(case: dict, catalog: Catalog) -> Prediction | Skip:
    """A published training step: step time, TFLOP/s per GPU (model or hardware) or MFU."""
    config = case.get("config", {})
    notes = str(case.get("notes", ""))
    legacy = legacy_software(case)
    model = case_model(case, catalog, gpt_default=True)
    if isinstance(model, Skip):
        return model
    num_gpus = _num_gpus(case)
    seq_len = _int(config, "seq_len", "seq_length", "sequence_length")
    global_batch = _int(config, "global_batch_size", "global_batch")
    if not (num_gpus and seq_len and global_batch):
        return Skip("config lacks num_gpus, seq_len or global_batch_size")
    built = case_hardware(case, catalog, num_gpus)
    if isinstance(built, Skip):
        return built
    hardware, where = built
    if re.search(r"fp4", str(config.get("precision", "")), re.IGNORECASE):
        return Skip("FP4 training (NVFP4/MXFP4) is not modelled")
    tp = _int(config, "tensor_parallel", "tp") or 1
    megatron_core = bool(_MEGATRON_CORE_RECIPES.search(str(config.get("framework", ""))))
    execution = {
        "num_gpus": num_gpus,
        "seq_len": seq_len,
        "global_batch": global_batch,
        "micro_batch": _int(config, "micro_batch_size", "micro_batch"),
        "parallelism": {
            "tp": tp,
            "pp": _int(config, "pipeline_parallel", "pp") or 1,
            "vpp": _int(config, "virtual_pipeline_parallel", "virtual_pipeline", "vpp") or 1,
            "cp": _int(config, "context_parallel", "cp") or 1,
            "ep": _int(config, "expert_parallel", "ep") or 1,
            "dp": _int(config, "data_parallel", "dp"),
            "sequence_parallel": _flag(config, "sequence_parallel", megatron_core and tp > 1),
            "recompute": _recompute(config, notes, legacy),
            "distributed_optimizer": _flag(config, "distributed_optimizer", megatron_core),
            "zero": 3 if _int(config, "fsdp") else 0,
        },
        "precision": _precision(config, ("fp8",)),
        "attention": "unfused" if legacy else "flash",
        "tp_comm_overlap": _flag(config, "tp_comm_overlap", megatron_core and tp > 1),
        "overlap_grad_reduce": not serial_grad_reduce(case),
    }
    try:
        job = training_job(TrainingExecution.model_validate(execution), model)
    except ValidationError as exc:
        return Skip("; ".join(str(p) for p in problems_from_validation(exc, "config")))
    try:
        est = estimate_training(job, hardware)
    except InputError as exc:
        return Skip("; ".join(str(p) for p in exc.problems))
    note = _join(
        [
            where,
            f"mb {est.micro_batch}, recompute {est.recompute}",
            "pre-2022 software: unfused attention" if legacy else "",
            "gradients reduced after the backward" if not job.overlap_grad_reduce else "",
        ]
    )
    measured = case.get("measured", {})
    gpu_id = hardware.gpu.id
    timed = _time_entry(measured, "iteration_time", "step_time", "time_per_step")
    if timed is not None:
        name, scale, unit = timed
        return Prediction(est.step_time_s / scale, unit, name, gpu=gpu_id, note=note)
    tokens = measured.get("tokens_per_s_per_gpu")
    if isinstance(tokens, dict):
        # tokens/s needs no FLOP-counting convention, so it is preferred when published
        unit = str(tokens.get("unit", "tokens/s per GPU"))
        value = est.tokens_per_s / num_gpus
        return Prediction(value, unit, "tokens_per_s_per_gpu", gpu=gpu_id, note=note)
    for name in ("tflops_per_gpu", "model_tflops_per_gpu", "hardware_tflops_per_gpu"):
        if name in measured:
            counts_recompute = name == "hardware_tflops_per_gpu" or bool(
                re.search(r"includ\w*[^.]*recomput", notes, re.IGNORECASE)
            )
            value = est.hardware_tflops_per_gpu if counts_recompute else est.model_tflops_per_gpu
            kind = "hardware FLOPs (recompute counted)" if counts_recompute else "model FLOPs"
            unit = str(measured[name].get("unit", "TFLOP/s per GPU"))
            return Prediction(value, unit, name, gpu=gpu_id, note=_join([note, kind]))
    for name in ("mfu", "mfu_pct"):
        if name in measured:
            unit = str(measured[name].get("unit", ""))
            scale = 100.0 if "%" in unit or name.endswith("pct") else 1.0
            return Prediction(est.mfu * scale, unit, name, gpu=gpu_id, note=note)
    if "tokens_per_s" in measured:
        unit = str(measured["tokens_per_s"].get("unit", ""))
        per_gpu = "gpu" in unit.lower()
        value = est.tokens_per_s / (num_gpus if per_gpu else 1)
        return Prediction(value, unit, "tokens_per_s", gpu=gpu_id, note=note)
    return Skip("no measured step time, TFLOP/s, MFU or tokens/s to compare with")


# ---------------------------------------------------------------------------- inference


def _throughput_per_gpu(case: dict, unit: str) -> bool:
    """Whether a serving throughput is per GPU: the unit says so, or the table it comes from
    (TensorRT-LLM's performance overview, 'Throughput (out tok/s/GPU)') does."""
    text = unit.lower()
    if re.search(r"/\s*gpu|per[- ]gpu\b(?! vs)", text) and "not stated" not in text:
        return True
    if re.search(r"per[- ](system|node|server)|total", text) and "not stated" not in text:
        return False
    return "tensorrt-llm" in f"{case.get('source', '')} {case.get('config', {})}".lower()


@dataclass(frozen=True)
class InferenceCase:
    """A published static-batch serving case mapped onto the models (no per-case tuning)."""

    job: InferenceJob
    hardware: JobHardware
    """all `job.num_gpus` GPUs: `num_gpus / (tp * pp)` replicas of the engine"""
    where: str
    """how the hardware was mapped (shown next to the result)"""


@dataclass(frozen=True)
class StaticBatchFigures:
    """What a model says of one static batch: the quantities the published cases measure.

    The analytical model and the serving simulator both produce these, so both are compared
    with a case the same way (`inference_prediction`).
    """

    ttft_s: float
    tpot_s: float
    e2e_latency_s: float
    output_tokens_per_s: float
    """the whole system: every replica together"""
    notes: tuple[str, ...] = ()


def inference_case(case: dict, catalog: Catalog) -> InferenceCase | Skip:
    """The model, static batch, layout and hardware a published serving case describes."""
    config = case.get("config", {})
    model = case_model(case, catalog, gpt_default=False)
    if isinstance(model, Skip):
        return model
    batch = _int(config, "batch_size", "batch")
    input_len = _int(config, "input_len", "input_length", "isl")
    output_len = _int(config, "output_len", "output_length", "osl")
    if not (batch and input_len and output_len):
        return Skip("config lacks batch_size, input_len or output_len")
    tp = _int(config, "tensor_parallel", "tp") or 1
    pp = _int(config, "pipeline_parallel", "pp") or 1
    num_gpus = _num_gpus(case) or tp * pp
    built = case_hardware(case, catalog, num_gpus)
    if isinstance(built, Skip):
        return built
    hardware, where = built
    job = InferenceJob(
        model=model,
        batch=batch,
        input_len=input_len,
        output_len=output_len,
        precision=_precision(config, ("fp8", "int8", "int4")),  # type: ignore[arg-type]
        tp=tp,
        pp=pp,
        num_gpus=num_gpus,
        decode_attention=decode_attention_kernel(config),
    )
    return InferenceCase(job, hardware, where)


def inference_prediction(
    case: dict, parsed: InferenceCase, figures: StaticBatchFigures
) -> Prediction | Skip:
    """Compare like with like: the first measured TTFT, TPOT, latency or throughput (per GPU
    or per system, as the source's table states) gets the matching figure."""
    measured = case.get("measured", {})
    gpu_id = parsed.hardware.gpu.id
    note = _join([parsed.where, *figures.notes])
    timed = _time_entry(measured, "first_token_latency", "ttft")
    if timed is not None:
        name, scale, unit = timed
        return Prediction(figures.ttft_s / scale, unit, name, gpu=gpu_id, note=note)
    timed = _time_entry(measured, "tpot", "time_per_output_token", "inter_token_latency")
    if timed is not None:
        name, scale, unit = timed
        return Prediction(figures.tpot_s / scale, unit, name, gpu=gpu_id, note=note)
    timed = _time_entry(measured, "latency", "e2e_latency", "end_to_end_latency")
    if timed is not None:
        name, scale, unit = timed
        return Prediction(figures.e2e_latency_s / scale, unit, name, gpu=gpu_id, note=note)
    for name in ("throughput", "output_tokens_per_s", "output_throughput"):
        entry: Any = measured.get(name)
        if isinstance(entry, dict):
            unit = str(entry.get("unit", ""))
            per_gpu = _throughput_per_gpu(case, unit)
            num_gpus = parsed.job.num_gpus or parsed.job.tp * parsed.job.pp
            value = figures.output_tokens_per_s / (num_gpus if per_gpu else 1)
            note = _join([parsed.where, "per GPU" if per_gpu else "per system", *figures.notes])
            return Prediction(value, unit, name, gpu=gpu_id, note=note)
    return Skip("no measured throughput, TTFT, TPOT or latency to compare with")


def evaluate_inference_case(case: dict, catalog: Catalog) -> Prediction | Skip:
    """A published static-batch serving figure: output tokens/s, TTFT, TPOT or latency."""
    parsed = inference_case(case, catalog)
    if isinstance(parsed, Skip):
        return parsed
    try:
        est = estimate_inference(parsed.job, parsed.hardware)
    except InputError as exc:
        return Skip("; ".join(str(p) for p in exc.problems))
    figures = StaticBatchFigures(
        ttft_s=est.ttft_s,
        tpot_s=est.tpot_s,
        e2e_latency_s=est.e2e_latency_s,
        output_tokens_per_s=est.output_tokens_per_s,
        notes=() if est.fits_in_memory else ("model says it does not fit",),
    )
    return inference_prediction(case, parsed, figures)
