"""A service's fixed costs, resolved once from the performance models before a run.

Per-iteration times (`IterationModel`), KV-cache capacity, the seconds per token to move
KV cache to another replica over the fabric (disaggregation) or to host memory (swap), and
the weight bytes a cold start reads. Anything that makes the service impossible (weights
that do not fit, a tp the model cannot split into) is an InputError naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.errors import InputError, Problem
from simulator.perf.collectives import collective_time_s
from simulator.perf.hardware import JobHardware
from simulator.perf.memory import GIB, usable_memory_bytes
from simulator.perf.serving_iteration import IterationModel, kv_capacity, replica_shape
from simulator.schema.model import TransformerModel
from simulator.schema.scenario import InferenceService

KV_TRANSFER_PROBE_TOKENS = 4096
"""Prompt length at which the per-token KV transfer time is read off the send/recv model
(large enough that the fixed latency is a small share, as for real prompts)."""


@dataclass(frozen=True)
class ServiceCosts:
    """What the runtime needs from the performance models."""

    iteration: IterationModel
    kv_tokens: int
    kv_transfer_s_per_token: float
    swap_s_per_token: float
    weights_bytes: float
    """all GPUs of one replica together"""


def _p2p_group(hardware: JobHardware):  # noqa: ANN202
    """Two GPUs on different nodes (the prefill and decode replicas), else in one node."""
    try:
        return hardware.job_group.subgroup(2, 1)
    except InputError:
        return hardware.job_group.subgroup(2, 2)


def service_costs(
    spec: InferenceService,
    model: TransformerModel,
    hardware: JobHardware,
    *,
    file: str = "",
    where: str = "",
) -> ServiceCosts:
    """Resolve `spec` on `hardware`.

    Raises:
        InputError: the replica cannot hold its weights and one full sequence, or the model
            cannot be split as asked; fields are named under `where`.
    """
    prefix = f"{where}." if where else ""
    shape = replica_shape(spec, model)
    try:
        iteration = IterationModel(shape, hardware)
    except InputError as exc:
        raise InputError(
            [
                Problem(file or p.file, f"{prefix}{p.field}".rstrip("."), p.message)
                for p in exc.problems
            ]
        ) from None
    cap = kv_capacity(
        shape,
        hardware,
        max_batched_tokens=spec.max_batched_tokens,
        max_num_seqs=spec.max_num_seqs,
    )
    if cap.tokens < spec.kv_block_tokens:
        usable = usable_memory_bytes(hardware.gpu) / GIB
        raise InputError(
            [
                Problem(
                    file,
                    f"{prefix}tp",
                    f"weights ({cap.weights_bytes_per_gpu / GIB:.1f} GiB per GPU) and the "
                    f"prefill workspace leave no room for a KV cache in {usable:.1f} GiB usable "
                    f"on {hardware.gpu.id}: raise tp or pp, lower the precision or "
                    "max_batched_tokens",
                )
            ]
        )
    per_gpu = cap.kv_bytes_per_token_per_gpu
    probe = KV_TRANSFER_PROBE_TOKENS
    transfer = collective_time_s("send_recv", probe * per_gpu, _p2p_group(hardware)).time_s / probe
    swap = per_gpu / (hardware.gpu.host_link_bandwidth_gb_per_s * 1e9)
    return ServiceCosts(
        iteration=iteration,
        kv_tokens=cap.tokens,
        kv_transfer_s_per_token=transfer,
        swap_s_per_token=swap,
        weights_bytes=cap.weights_bytes_per_gpu * shape.gpus,
    )
