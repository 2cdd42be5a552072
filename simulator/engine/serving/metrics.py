"""What a service achieved: per-request latencies, percentiles, throughput, goodput, cost.

- TTFT: arrival (or issue, for a closed-loop client) to the first token;
- TPOT: time per output token after the first, (finish - first token) / (output - 1);
- e2e: arrival to the last token;
- goodput: completed requests that met both SLO targets (a target not given is met); the
  SLO attainment divides them by the requests completed or dropped (a dropped request missed);
- GPU-hours per million tokens: the service's GPU time (cold starts included) over the
  prompt and generated tokens of completed requests.

Plain numpy in, plain dicts out: `simulator.results` turns them into tables.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from simulator.engine.serving.service import ServiceRuntime

PERCENTILES = (50, 90, 99)


def _pct(values: np.ndarray, q: float) -> float:
    values = values[~np.isnan(values)]
    return float(np.percentile(values, q)) if len(values) else math.nan


def request_columns(svc: ServiceRuntime) -> dict[str, Any]:
    """One entry per request of the stream that arrived: the `requests` table's columns."""
    n = svc.next_arrival
    issued = np.asarray(svc.issued_s[:n], dtype=np.float64)
    first = np.asarray(svc.first_s[:n], dtype=np.float64)
    finish = np.asarray(svc.finish_s[:n], dtype=np.float64)
    inputs = svc.stream.input_tokens[:n]
    outputs = svc.stream.output_tokens[:n]
    dropped = np.asarray(svc.dropped_flag[:n], dtype=bool)
    backlog = np.zeros(n, dtype=bool)
    if svc.backlog:
        backlog[np.fromiter(svc.backlog, dtype=np.int64)] = True
    done = ~np.isnan(finish)
    status = np.where(done, "completed", np.where(dropped, "dropped", "in_flight"))
    status = np.where(backlog, "not_issued", status)
    ttft = first - issued
    with np.errstate(invalid="ignore", divide="ignore"):
        tpot = np.where(outputs > 1, (finish - first) / (outputs - 1), np.nan)
    e2e = finish - issued
    slo = svc.spec.slo
    met = done.copy()
    if slo.ttft_s is not None:
        met &= ttft <= slo.ttft_s
    if slo.tpot_s is not None:
        met &= np.isnan(tpot) | (tpot <= slo.tpot_s)
    return {
        "service": np.full(n, svc.name, dtype=object),
        "request": np.arange(n, dtype=np.int64),
        "arrival_s": issued,
        "input_tokens": inputs.astype(np.int64),
        "output_tokens": outputs.astype(np.int64),
        "first_token_s": first,
        "finish_s": finish,
        "ttft_s": ttft,
        "tpot_s": tpot,
        "e2e_s": e2e,
        "status": status.astype(object),
        "replica": np.asarray(svc.replica_of[:n], dtype=np.int64),
        "preemptions": np.asarray(svc.preempted[:n], dtype=np.int64),
        "slo_met": met,
    }


def service_summary(
    svc: ServiceRuntime, columns: dict[str, Any], *, duration_s: float, gpu_seconds: float
) -> dict[str, Any]:
    """Headline figures of one service over `duration_s` seconds of serving."""
    done = columns["status"] == "completed"
    out_tokens = float(columns["output_tokens"][done].sum())
    all_tokens = out_tokens + float(columns["input_tokens"][done].sum())
    met = int(columns["slo_met"].sum())
    slo = svc.spec.slo
    judged = svc.completed + svc.dropped
    has_slo = slo.ttft_s is not None or slo.tpot_s is not None
    rate = 1.0 / duration_s if duration_s > 0 else math.nan
    gpu_hours = gpu_seconds / 3600.0
    replicas = [r for pool in svc.pools.values() for r in pool] + svc.retired
    busy = sum(r.busy_s for r in replicas)
    area = sum(r.batch_area for r in replicas)
    peak_kv = max((r.kv.peak_blocks / r.kv.capacity_blocks for r in replicas), default=0.0)
    summary: dict[str, Any] = {
        "output_tokens_per_s": out_tokens * rate,
        "requests_per_s": svc.completed * rate,
    }
    for name in ("ttft_s", "tpot_s", "e2e_s"):
        values = columns[name][done]
        for q in PERCENTILES:
            summary[f"{name.removesuffix('_s')}_s_p{q}"] = _pct(values, q)
        summary[f"{name.removesuffix('_s')}_s_mean"] = (
            float(np.nanmean(values)) if np.any(~np.isnan(values)) else math.nan
        )
    summary.update(
        {
            "slo_attainment": (met / judged if judged else math.nan) if has_slo else math.nan,
            "goodput_requests_per_s": (met if has_slo else svc.completed) * rate,
            "requests_arrived": svc.arrived,
            "requests_completed": svc.completed,
            "requests_in_flight": svc.in_system,
            "requests_dropped": svc.dropped,
            "preemptions": svc.preemptions,
            "kv_transfers": svc.transfers,
            "kv_utilization_mean": float(np.mean(svc.kv_samples)) if svc.kv_samples else 0.0,
            "kv_utilization_peak": peak_kv,
            "mean_batch_size": area / busy if busy > 0 else 0.0,
            "mean_requests_in_system": svc.area * rate,
            "replicas_peak": svc.peak_replicas,
            # replicas held on average: GPU time (loading weights included) over the GPUs one
            # replica takes
            "replicas_mean": (
                gpu_seconds / (svc.gpus_per_replica * duration_s) if duration_s > 0 else math.nan
            ),
            "scale_ups": svc.autoscaler.scale_ups if svc.autoscaler else 0,
            "scale_downs": svc.autoscaler.scale_downs if svc.autoscaler else 0,
            "duration_s": duration_s,
            "gpu_hours": gpu_hours,
            "gpu_hours_per_million_tokens": (
                gpu_hours / (all_tokens / 1e6) if all_tokens else math.nan
            ),
            "gpu_hours_per_million_output_tokens": (
                gpu_hours / (out_tokens / 1e6) if out_tokens else math.nan
            ),
        }
    )
    return summary
