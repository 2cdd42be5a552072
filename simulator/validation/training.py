"""Kind 'training': a published training step (step time, TFLOP/s per GPU, MFU, tokens/s).

The case is read by `llm_case` (model, layout, hardware, software era); what is compared is
what the source measured, like with like: TFLOP/s whose notes say recomputation is counted
(Megatron-LM's Eq. 3) are compared with hardware FLOPs, otherwise with model FLOPs.
"""

from __future__ import annotations

import re

from pydantic import ValidationError

from simulator.catalog import Catalog
from simulator.errors import InputError, problems_from_validation
from simulator.perf.training import estimate_training, training_job
from simulator.schema.execution import TrainingExecution
from simulator.validation.llm_case import (
    case_hardware,
    case_model,
    case_num_gpus,
    case_precision,
    first_int,
    join_notes,
    legacy_software,
    measured_time,
    serial_grad_reduce,
)
from simulator.validation.outcome import Prediction, Skip

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


def published_execution(case: dict, num_gpus: int, seq_len: int, global_batch: int) -> dict:
    """The case's own layout and knobs, as `TrainingExecution` data: Megatron-core recipes
    get the distributed optimizer, sequence parallelism and TP-communication overlap unless
    they say otherwise; legacy software unfused attention and full recomputation."""
    config = case.get("config", {})
    notes = str(case.get("notes", ""))
    legacy = legacy_software(case)
    tp = first_int(config, "tensor_parallel", "tp") or 1
    megatron_core = bool(_MEGATRON_CORE_RECIPES.search(str(config.get("framework", ""))))
    return {
        "num_gpus": num_gpus,
        "seq_len": seq_len,
        "global_batch": global_batch,
        "micro_batch": first_int(config, "micro_batch_size", "micro_batch"),
        "parallelism": {
            "tp": tp,
            "pp": first_int(config, "pipeline_parallel", "pp") or 1,
            "vpp": first_int(config, "virtual_pipeline_parallel", "virtual_pipeline", "vpp") or 1,
            "cp": first_int(config, "context_parallel", "cp") or 1,
            "ep": first_int(config, "expert_parallel", "ep") or 1,
            "dp": first_int(config, "data_parallel", "dp"),
            "sequence_parallel": _flag(config, "sequence_parallel", megatron_core and tp > 1),
            "recompute": _recompute(config, notes, legacy),
            "distributed_optimizer": _flag(config, "distributed_optimizer", megatron_core),
            "zero": 3 if first_int(config, "fsdp") else 0,
        },
        "precision": case_precision(config, ("fp8",)),
        "attention": "unfused" if legacy else "flash",
        "tp_comm_overlap": _flag(config, "tp_comm_overlap", megatron_core and tp > 1),
        "overlap_grad_reduce": not serial_grad_reduce(case),
    }


def evaluate_training_case(case: dict, catalog: Catalog) -> Prediction | Skip:
    """A published training step: step time, TFLOP/s per GPU (model or hardware) or MFU."""
    config = case.get("config", {})
    notes = str(case.get("notes", ""))
    legacy = legacy_software(case)
    model = case_model(case, catalog, gpt_default=True)
    if isinstance(model, Skip):
        return model
    num_gpus = case_num_gpus(case)
    seq_len = first_int(config, "seq_len", "seq_length", "sequence_length")
    global_batch = first_int(config, "global_batch_size", "global_batch")
    if not (num_gpus and seq_len and global_batch):
        return Skip("config lacks num_gpus, seq_len or global_batch_size")
    built = case_hardware(case, catalog, num_gpus)
    if isinstance(built, Skip):
        return built
    hardware, where = built
    if re.search(r"fp4", str(config.get("precision", "")), re.IGNORECASE):
        return Skip("FP4 training (NVFP4/MXFP4) is not modelled")
    execution = published_execution(case, num_gpus, seq_len, global_batch)
    try:
        job = training_job(TrainingExecution.model_validate(execution), model)
    except ValidationError as exc:
        return Skip("; ".join(str(p) for p in problems_from_validation(exc, "config")))
    try:
        est = estimate_training(job, hardware)
    except InputError as exc:
        return Skip("; ".join(str(p) for p in exc.problems))
    note = join_notes(
        [
            where,
            f"mb {est.micro_batch}, recompute {est.recompute}",
            "pre-2022 software: unfused attention" if legacy else "",
            "gradients reduced after the backward" if not job.overlap_grad_reduce else "",
        ]
    )
    measured = case.get("measured", {})
    gpu_id = hardware.gpu.id
    timed = measured_time(measured, "iteration_time", "step_time", "time_per_step")
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
            return Prediction(value, unit, name, gpu=gpu_id, note=join_notes([note, kind]))
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
