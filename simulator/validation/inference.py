"""Kind 'inference': a published static-batch serving figure, from the analytical model.

The case is read once (`inference_case`) and compared once (`inference_prediction`: per GPU
or per system as the source's table states; first-token latency with the prefill time), so
the 'serving' kind can put the serving simulator in the model's place and change nothing else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from simulator.catalog import Catalog
from simulator.errors import InputError
from simulator.perf.hardware import JobHardware
from simulator.perf.inference import InferenceJob, estimate_inference
from simulator.validation.llm_case import (
    case_hardware,
    case_model,
    case_num_gpus,
    case_precision,
    decode_attention_kernel,
    first_int,
    join_notes,
    measured_time,
)
from simulator.validation.outcome import Prediction, Skip


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
    batch = first_int(config, "batch_size", "batch")
    input_len = first_int(config, "input_len", "input_length", "isl")
    output_len = first_int(config, "output_len", "output_length", "osl")
    if not (batch and input_len and output_len):
        return Skip("config lacks batch_size, input_len or output_len")
    tp = first_int(config, "tensor_parallel", "tp") or 1
    pp = first_int(config, "pipeline_parallel", "pp") or 1
    num_gpus = case_num_gpus(case) or tp * pp
    built = case_hardware(case, catalog, num_gpus)
    if isinstance(built, Skip):
        return built
    hardware, where = built
    job = InferenceJob(
        model=model,
        batch=batch,
        input_len=input_len,
        output_len=output_len,
        precision=case_precision(config, ("fp8", "int8", "int4")),  # type: ignore[arg-type]
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
    note = join_notes([parsed.where, *figures.notes])
    timed = measured_time(measured, "first_token_latency", "ttft")
    if timed is not None:
        name, scale, unit = timed
        return Prediction(figures.ttft_s / scale, unit, name, gpu=gpu_id, note=note)
    timed = measured_time(measured, "tpot", "time_per_output_token", "inter_token_latency")
    if timed is not None:
        name, scale, unit = timed
        return Prediction(figures.tpot_s / scale, unit, name, gpu=gpu_id, note=note)
    timed = measured_time(measured, "latency", "e2e_latency", "end_to_end_latency")
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
            note = join_notes(
                [parsed.where, "per GPU" if per_gpu else "per system", *figures.notes]
            )
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
