"""Latency and throughput of serving a static batch: prefill, then one decode step per token.

Prefill runs the prompt's `batch * input_len` tokens through every layer at once: big GEMMs,
compute-bound. A decode step runs `batch` tokens: each layer reads all its weights and the
batch's KV cache for one token each, so at small batch the step costs bytes over memory
bandwidth, and at large batch the GEMMs turn compute-bound (the GEMM model's roofline decides
per kernel). Attention in a decode step reads `batch * context` cached tokens, so the step
grows linearly with the context; the average over the output is the step at the mean context
(exact for a linear cost). Tensor parallelism adds two all-reduces of the layer's activations
per layer; pipeline stages run one after another (a static batch is not micro-batched), so
they add capacity and a point-to-point hop, not speed.

    TTFT = prefill(batch, input_len)
    TPOT = decode_step(batch, context = input_len + output_len / 2)
    e2e  = TTFT + (output_len - 1) * TPOT
    output tokens/s (system) = replicas * batch * output_len / e2e

Weight-only quantized serving (int8/int4: W8A16/W4A16, as AWQ or GPTQ engines run) computes in
16 bits and reads the narrow weights; fp8 runs fp8 GEMMs (W8A8).

The replica's knobs (tp, pp, precision, KV dtype, decode kernel) are `ServingExecution`'s, with
its defaults; `inference_job` is the one way from it to an `InferenceJob`. Problems name the
job's fields (`precision`, `batch`), not command-line flags: the CLI spells them as flags.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from simulator.errors import InputError
from simulator.perf.collectives import collective_time_s
from simulator.perf.decode_attention import (
    DECODE_ATTENTION_KERNELS,
    DecodeAttentionKernel,
    decode_attention_layer_cost,
    kv_requests_per_cached_byte,
)
from simulator.perf.hardware import JobHardware
from simulator.perf.layer_cost import (
    ELEMENTWISE_KERNELS_PER_LAYER,
    GemmTimer,
    LayerShape,
    elementwise_bytes_per_token,
    linear_gemm_dims,
    main_loop_fraction,
)
from simulator.perf.memory import (
    GIB,
    WEIGHT_DTYPE_BYTES,
    default_kv_dtype,
    inference_memory,
    kv_cache_bytes_per_token_per_gpu,
    max_inference_batch,
    usable_memory_bytes,
)
from simulator.perf.parallelism import option_problem, resolve_layout
from simulator.perf.training import check_precision
from simulator.perf.transformer_flops import (
    LayerKind,
    attention_core_flops_per_token,
    attention_dims,
    layer_kinds,
)
from simulator.schema.execution import ServingExecution, ServingPrecision
from simulator.schema.gpu import DTYPE_BYTES
from simulator.schema.model import TransformerModel

_REPLICA = ServingExecution()
"""The replica defaults, `ServingExecution`'s (declared there once)."""
WEIGHT_ONLY = ("int8", "int4")
"""Precisions served as weight-only quantization: 16-bit math, narrow weights."""

SKINNY_TOKEN_TILE = 16
"""Token granularity of skinny (decode) GEMM kernels: the tensor-core MMA's 16-row side."""

DECODE_ATTENTION_KERNELS_PER_LAYER = 1
"""Fused decode-attention kernels per layer (paged/masked multi-head attention)."""


@dataclass(frozen=True)
class InferenceJob:
    """A static batch served by `num_gpus / (tp * pp)` identical replicas."""

    model: TransformerModel
    batch: int
    input_len: int
    output_len: int
    precision: ServingPrecision = _REPLICA.precision
    tp: int = _REPLICA.tp
    pp: int = _REPLICA.pp
    num_gpus: int | None = None
    kv_dtype: str | None = _REPLICA.kv_dtype
    decode_attention: DecodeAttentionKernel = _REPLICA.decode_attention
    """how the engine's decode-attention kernel reads GQA's shared KV heads (decode_attention.py)"""


def inference_job(
    execution: ServingExecution,
    model: TransformerModel,
    *,
    batch: int,
    input_len: int,
    output_len: int,
    num_gpus: int | None = None,
) -> InferenceJob:
    """A static batch of `batch` prompts, each replica run as `execution` says."""
    return InferenceJob(
        model=model,
        batch=batch,
        input_len=input_len,
        output_len=output_len,
        precision=execution.precision,
        tp=execution.tp,
        pp=execution.pp,
        num_gpus=num_gpus,
        kv_dtype=execution.kv_dtype,
        decode_attention=execution.decode_attention,
    )


@dataclass(frozen=True)
class InferenceEstimate:
    """Latency per request and throughput per system for one static batch."""

    ttft_s: float
    tpot_s: float
    e2e_latency_s: float
    output_tokens_per_s: float
    output_tokens_per_s_per_gpu: float
    memory_per_gpu_gib: float
    max_batch: int
    fits_in_memory: bool
    replicas: int
    prefill_breakdown: dict[str, float]
    decode_breakdown: dict[str, float]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        """Plain data for JSON output."""
        return {
            "ttft_s": self.ttft_s,
            "tpot_s": self.tpot_s,
            "e2e_latency_s": self.e2e_latency_s,
            "output_tokens_per_s": self.output_tokens_per_s,
            "output_tokens_per_s_per_gpu": self.output_tokens_per_s_per_gpu,
            "memory_per_gpu_gib": self.memory_per_gpu_gib,
            "max_batch": self.max_batch,
            "fits_in_memory": self.fits_in_memory,
            "replicas": self.replicas,
            "prefill_breakdown": dict(self.prefill_breakdown),
            "decode_breakdown": dict(self.decode_breakdown),
            "notes": list(self.notes),
        }


class _Server:
    """One replica's per-layer costs on its hardware."""

    def __init__(self, job: InferenceJob, hardware: JobHardware) -> None:
        self.job = job
        self.hw = hardware
        self.timer = GemmTimer(hardware.gpu)
        self.kinds = layer_kinds(job.model)
        g = hardware.gpus_per_node
        self.tp_group = hardware.group(job.tp, min(job.tp, g))
        self.p2p_group = hardware.group(2, 1 if job.tp >= g else 2) if job.pp > 1 else None
        self.compute_dtype = "bf16" if job.precision == "bf16" else "fp16"
        self.linear_dtype = "fp8" if job.precision == "fp8" else self.compute_dtype
        self.notes: set[str] = set()
        """assumptions the costs had to make, said once each"""
        self.kv_requests_per_byte = kv_requests_per_cached_byte(
            job.model, job.tp, job.decode_attention
        )

    def _linear_s(self, m: float, n: float, k: float, batch: float) -> float:
        """One linear's GEMM (tokens m, weights k x n, `batch` experts).

        Weight-only precisions compute in 16 bits and read narrow weights. Few tokens
        (m below the GEMM model's tile) run as skinny kernels (see `skinny_linear_s`).
        """
        weight_only = self.job.precision in WEIGHT_ONLY
        dtype = self.compute_dtype if weight_only else self.linear_dtype
        est = self.timer.estimate(m, n, k, dtype, batch)
        table = self.hw.gpu.efficiency.gemm
        if m < table.tile_m:
            return min(est.time_s, self.skinny_linear_s(m, n, k, batch))
        if not weight_only:
            return est.time_s
        saved = batch * k * n * (2.0 - WEIGHT_DTYPE_BYTES[self.job.precision])
        memory_s = max(0.0, est.memory_time_s - saved / self.timer.memory_bytes_per_s)
        p = table.roofline_exponent
        combined = (est.compute_time_s**p + memory_s**p) ** (1.0 / p)
        return combined + table.launch_overhead_us * 1e-6

    def skinny_linear_s(self, m: float, n: float, k: float, batch: float) -> float:
        """A GEMM with fewer tokens than a tile row, as decode kernels run it.

        Libraries swap operands for such shapes so the tokens ride the MMA's narrow side
        (16 wide) and split K to fill the SMs: compute pads tokens to SKINNY_TOKEN_TILE, and the
        weights stream once at achievable bandwidth.
        """
        gpu, table = self.hw.gpu, self.hw.gpu.efficiency.gemm
        weight_only = self.job.precision in WEIGHT_ONLY
        dtype = self.compute_dtype if weight_only else self.linear_dtype
        tokens = max(1.0, math.ceil(m))
        padded = SKINNY_TOKEN_TILE * math.ceil(tokens / SKINNY_TOKEN_TILE)
        peak = (gpu.peak_tflops.for_dtype(dtype) or gpu.peak_tflops.fp16) * 1e12
        rate = peak * main_loop_fraction(gpu, dtype) * table.sustained_fraction
        compute_s = 2.0 * padded * n * k * batch / rate
        act_bytes = DTYPE_BYTES[dtype]
        weight_bytes = WEIGHT_DTYPE_BYTES[self.job.precision] if weight_only else act_bytes
        moved = batch * (k * n * weight_bytes + tokens * (k * act_bytes + n * 2.0))
        memory_s = moved / self.timer.memory_bytes_per_s
        p = table.roofline_exponent
        return (compute_s**p + memory_s**p) ** (1.0 / p) + table.launch_overhead_us * 1e-6

    def _all_reduce_s(self, tokens: float) -> float:
        if self.job.tp <= 1:
            return 0.0
        size = tokens * self.job.model.hidden_size * 2.0
        return collective_time_s("all_reduce", size, self.tp_group).time_s

    def _layer_linears_s(self, kind: LayerKind, shape: LayerShape) -> float:
        total = 0.0
        for lin in kind.linears:
            m, n, k, b = linear_gemm_dims(lin, shape)
            total += self._linear_s(m, n, k, b)
        return total

    def _elementwise_s(self, kind: LayerKind, shape: LayerShape) -> float:
        num_bytes = elementwise_bytes_per_token(self.job.model, kind, shape) * shape.tokens
        return self.timer.memory_bound_s(num_bytes, ELEMENTWISE_KERNELS_PER_LAYER)

    def _shape(self, batch: int, query_len: float, kv_len: float) -> LayerShape:
        return LayerShape(
            tokens=batch * query_len,
            batch=batch,
            query_len=query_len,
            kv_len=kv_len,
            tp=self.job.tp,
            linear_dtype=self.linear_dtype,
            attention_dtype=self.compute_dtype,
            attention_kernel="flash",
            dropout=False,
        )

    def lm_head_s(self, batch: int) -> float:
        """The LM head's GEMM for `batch` sequences emitting one token each (serving prices it
        per iteration, for only the sequences that emit)."""
        model = self.job.model
        return self.timer(
            batch, model.vocab_size / self.job.tp, model.hidden_size, self.compute_dtype
        )

    def _p2p_s(self, tokens: float) -> float:
        if self.job.pp <= 1:
            return 0.0
        size = tokens * self.job.model.hidden_size * 2.0
        assert self.p2p_group is not None
        hop = collective_time_s("send_recv", size, self.p2p_group).time_s
        return (self.job.pp - 1) * hop

    def prefill(self, batch: int, input_len: int) -> dict[str, float]:
        """Seconds of the prompt pass, by kind of work (the whole model, stage after stage)."""
        model = self.job.model
        shape = self._shape(batch, input_len, input_len)
        qk, v = attention_dims(model)
        heads = batch * model.num_attention_heads / self.job.tp
        attn = self.timer(input_len, input_len, qk, self.compute_dtype, heads)
        attn += self.timer(input_len, v, input_len, self.compute_dtype, heads)
        out = {"linear": 0.0, "attention": 0.0, "elementwise": 0.0, "tp_comm": 0.0}
        for kind in self.kinds:
            out["linear"] += kind.count * self._layer_linears_s(kind, shape)
            out["attention"] += kind.count * attn
            out["elementwise"] += kind.count * self._elementwise_s(kind, shape)
            out["tp_comm"] += kind.count * 2 * self._all_reduce_s(shape.tokens)
        out["lm_head"] = self.lm_head_s(batch)
        out["pp_p2p"] = self._p2p_s(shape.tokens)
        return out

    def decode_step(self, batch: int, context: float) -> dict[str, float]:
        """Seconds of one decode step at `context` cached tokens per sequence."""
        job = self.job
        model = job.model
        shape = self._shape(batch, 1, context)
        kv_dtype = job.kv_dtype or default_kv_dtype(job.precision)
        kv_per_token_layer = (
            kv_cache_bytes_per_token_per_gpu(model, tp=job.tp, pp=1, kv_dtype=kv_dtype)
            / model.num_layers
        )
        kv_bytes = batch * context * kv_per_token_layer
        flops = batch * attention_core_flops_per_token(model, context) / job.tp
        gpu = self.hw.gpu
        peak = (gpu.peak_tflops.for_dtype(self.compute_dtype) or gpu.peak_tflops.fp16) * 1e12
        main_loop = main_loop_fraction(gpu, self.compute_dtype)
        cost = decode_attention_layer_cost(
            gpu,
            kv_bytes=kv_bytes,
            kv_bytes_per_element=DTYPE_BYTES[kv_dtype],
            flops=flops,
            requests_per_byte=self.kv_requests_per_byte,
            hbm_bytes_per_s=self.timer.memory_bytes_per_s,
            compute_flops_per_s=peak * main_loop,
        )
        if cost.note is not None:
            self.notes.add(cost.note)
        attn = cost.seconds + DECODE_ATTENTION_KERNELS_PER_LAYER * self.timer.launch_s
        out = {"linear": 0.0, "attention": 0.0, "elementwise": 0.0, "tp_comm": 0.0}
        for kind in self.kinds:
            out["linear"] += kind.count * self._layer_linears_s(kind, shape)
            out["attention"] += kind.count * attn
            out["elementwise"] += kind.count * self._elementwise_s(kind, shape)
            out["tp_comm"] += kind.count * 2 * self._all_reduce_s(batch)
        out["lm_head"] = self.lm_head_s(batch)
        out["pp_p2p"] = self._p2p_s(batch)
        return out


def _check_job(job: InferenceJob) -> None:
    problems = []
    for name, value in (
        ("batch", job.batch),
        ("input_len", job.input_len),
        ("output_len", job.output_len),
    ):
        if value < 1:
            problems.append(option_problem(name, f"must be at least 1 (got {value})"))
    if job.precision not in WEIGHT_DTYPE_BYTES:
        problems.append(
            option_problem("precision", f"expected one of {', '.join(WEIGHT_DTYPE_BYTES)}")
        )
    if job.kv_dtype is not None and job.kv_dtype not in DTYPE_BYTES:
        problems.append(option_problem("kv_dtype", f"unknown dtype {job.kv_dtype!r}"))
    if job.decode_attention not in DECODE_ATTENTION_KERNELS:
        problems.append(
            option_problem(
                "decode_attention", f"expected one of {', '.join(DECODE_ATTENTION_KERNELS)}"
            )
        )
    if problems:
        raise InputError(problems)


def estimate_inference(job: InferenceJob, hardware: JobHardware) -> InferenceEstimate:
    """Estimate serving one static batch of `job` on `hardware`.

    Raises:
        InputError: impossible tp/pp/GPU count, unsupported precision, bad lengths.
    """
    _check_job(job)
    gpu = hardware.gpu
    check_precision(gpu, "fp16" if job.precision in WEIGHT_ONLY else job.precision)
    num_gpus = job.num_gpus or job.tp * job.pp
    if num_gpus % (job.tp * job.pp):
        raise InputError(
            [
                option_problem(
                    "num_gpus", f"{num_gpus} is not a multiple of tp*pp = {job.tp * job.pp}"
                )
            ]
        )
    replicas = num_gpus // (job.tp * job.pp)
    resolve_layout(job.model, job.tp * job.pp, tp=job.tp, pp=job.pp)
    server = _Server(job, hardware)
    prefill = server.prefill(job.batch, job.input_len)
    context = job.input_len + job.output_len / 2.0
    decode = server.decode_step(job.batch, context)
    ttft = sum(prefill.values())
    tpot = sum(decode.values())
    e2e = ttft + (job.output_len - 1) * tpot
    per_system = replicas * job.batch * job.output_len / e2e
    mem = inference_memory(
        job.model,
        tp=job.tp,
        pp=job.pp,
        precision=job.precision,
        batch=job.batch,
        input_len=job.input_len,
        output_len=job.output_len,
        kv_dtype=job.kv_dtype,
    )
    max_batch = max_inference_batch(
        job.model,
        gpu,
        tp=job.tp,
        pp=job.pp,
        precision=job.precision,
        input_len=job.input_len,
        output_len=job.output_len,
        kv_dtype=job.kv_dtype,
    )
    fits = mem.total_bytes <= usable_memory_bytes(gpu)
    notes = (
        [] if fits else [f"batch {job.batch} does not fit; the largest that does is {max_batch}"]
    )
    notes += sorted(server.notes)
    return InferenceEstimate(
        ttft_s=ttft,
        tpot_s=tpot if job.output_len > 1 else 0.0,
        e2e_latency_s=e2e,
        output_tokens_per_s=per_system,
        output_tokens_per_s_per_gpu=per_system / num_gpus,
        memory_per_gpu_gib=mem.total_bytes / GIB,
        max_batch=max_batch,
        fits_in_memory=fits,
        replicas=replicas,
        prefill_breakdown=prefill,
        decode_breakdown=decode,
        notes=notes,
    )
