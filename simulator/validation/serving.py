"""The serving simulator checked on the published static-batch figures (`infrasim validate`).

The 'inference' cases (TensorRT-LLM's gptSessionBenchmark throughput and first-token
latency) are run a second time, through continuously batched replicas instead of the
analytical static model, and reported as kind 'serving'. The case is read exactly as the
'inference' kind reads it (`inference.inference_case`) and compared the same way
(`inference_prediction`: per GPU or per system as the source's table says), so the two kinds
differ only in the model.

The replicas are configured as the benchmark ran them, not as a vLLM default would: a static
batch is `batch` requests arriving at once on each replica (closed loop, concurrency = all
requests), `max_num_seqs = batch`, and a token budget that prefills every prompt of the batch
in one pass, as TensorRT-LLM's context phase does. Whatever the simulator's own mechanics add
(KV-cache blocks and their limit, preemption, per-prompt attention passes, the LM head only for
emitting sequences) stays in and shows in the error; notes name preemptions and drops.
"""

from __future__ import annotations

from simulator.catalog import Catalog
from simulator.engine.serving.standalone import simulate_service
from simulator.errors import InputError
from simulator.perf.inference import InferenceJob
from simulator.schema.scenario import InferenceService
from simulator.validation.inference import (
    InferenceCase,
    StaticBatchFigures,
    inference_case,
    inference_prediction,
)
from simulator.validation.outcome import Prediction, Skip

TIMELINE_INTERVAL_S = 60.0
"""Spacing of the (unused) utilization samples; a static batch needs none finer."""


def static_batch_service(job: InferenceJob, replicas: int) -> InferenceService:
    """A service that runs `job` the way gptSessionBenchmark does, on `replicas` replicas.

    Round robin over `replicas * batch` simultaneous requests gives each replica exactly one
    batch; `max_num_seqs` admits the whole batch and `max_batched_tokens` holds all its prompts.
    """
    requests = replicas * job.batch
    return InferenceService.model_validate(
        {
            "name": "static-batch",
            "model": job.model,
            "precision": job.precision,
            "kv_dtype": job.kv_dtype,
            "decode_attention": job.decode_attention,
            "tp": job.tp,
            "pp": job.pp,
            "replicas": replicas,
            "traffic": {
                "arrivals": "closed_loop",
                "concurrency": requests,
                "num_requests": requests,
                "input_tokens": {"kind": "fixed", "value": job.input_len},
                "output_tokens": {"kind": "fixed", "value": job.output_len},
            },
            "routing": "round_robin",
            "max_num_seqs": job.batch,
            "max_batched_tokens": job.batch * job.input_len,
            "timeline_interval_s": TIMELINE_INTERVAL_S,
        }
    )


def serving_figures(parsed: InferenceCase) -> StaticBatchFigures | Skip:
    """Simulate the case's static batch; per-request medians (a static batch finishes
    together, so medians and means agree) and system throughput over the whole run."""
    job = parsed.job
    per_replica = job.tp * job.pp
    num_gpus = job.num_gpus or per_replica
    if num_gpus % per_replica:
        return Skip(f"{num_gpus} GPUs are not whole replicas of tp*pp = {per_replica}")
    replicas = num_gpus // per_replica
    try:
        run = simulate_service(static_batch_service(job, replicas), job.model, parsed.hardware)
    except InputError as exc:
        return Skip("; ".join(str(p) for p in exc.problems))
    summary = run.summary
    notes = [f"static batch {job.batch} on {replicas} replica(s), prompts in one pass"]
    if summary["preemptions"]:
        notes.append(f"{summary['preemptions']} preemptions (KV cache full)")
    if summary["requests_dropped"]:
        notes.append(f"{summary['requests_dropped']} requests do not fit the KV cache")
    return StaticBatchFigures(
        ttft_s=summary["ttft_s_p50"],
        tpot_s=summary["tpot_s_p50"],
        e2e_latency_s=summary["e2e_s_p50"],
        output_tokens_per_s=summary["output_tokens_per_s"],
        notes=tuple(notes),
    )


def evaluate_serving_case(case: dict, catalog: Catalog) -> Prediction | Skip:
    """A published static-batch figure, predicted by the serving simulator."""
    parsed = inference_case(case, catalog)
    if isinstance(parsed, Skip):
        return parsed
    figures = serving_figures(parsed)
    if isinstance(figures, Skip):
        return figures
    return inference_prediction(case, parsed, figures)
