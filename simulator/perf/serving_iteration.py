"""One iteration of a continuously batched replica: decode tokens and prefill chunks together.

A continuous-batching engine (Orca, vLLM, TensorRT-LLM in-flight batching) runs one forward
pass per iteration over a mixed batch: one token for each sequence that is decoding, plus
chunks of prompts being prefilled. The pass costs what the static-batch model
(`simulator.perf.inference`) charges, split the way the work splits:

- everything that scales with the tokens in the pass (linears, elementwise kernels, the
  tensor-parallel all-reduces, the pipeline hops) is the decode step's cost for `T` tokens,
  the same GEMMs the prefill of `T` prompt tokens runs;
- the LM head runs only for the sequences that emit a token this iteration;
- decode attention reads every cached token once: affine in the sum of the contexts, so
  `decode_step(batch, context)` depends on `batch * context` only;
- a prefill chunk of `q` query tokens over `kv` cached ones runs the prefill's two attention
  GEMMs (scores, context) at that shape.

A pass of only a whole prompt therefore costs exactly `prefill(1, input_len)`, and a pass of
only decode tokens exactly `decode_step(batch, context)`. Both terms are memoized per token
count, so a simulation evaluating millions of iterations pays the GEMM model once per shape.

A replica is a `ServingExecution` (the scenario's service and `estimate serving` alike) read
through `replica_shape`, the one adapter, so both meet the same defaults.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simulator.perf.decode_attention import DecodeAttentionKernel
from simulator.perf.hardware import JobHardware
from simulator.perf.inference import InferenceJob, _Server
from simulator.perf.memory import (
    LOGIT_BYTES,
    default_kv_dtype,
    inference_memory,
    kv_cache_bytes_per_token_per_gpu,
    usable_memory_bytes,
)
from simulator.perf.parallelism import resolve_layout
from simulator.perf.training import check_precision
from simulator.perf.transformer_flops import attention_dims
from simulator.schema.execution import ServingExecution, ServingPrecision
from simulator.schema.model import TransformerModel

_REPLICA = ServingExecution()
"""The replica defaults, `ServingExecution`'s (declared there once)."""

TOKEN_KEYS = ("linear", "elementwise", "tp_comm", "pp_p2p")
"""Breakdown entries of a decode step that depend only on the tokens in the pass."""

AFFINE_PROBE_TOKENS = 1_000_000.0
"""Context sum at which the decode-attention slope is read off (far from the intercept)."""


@dataclass(frozen=True)
class ReplicaShape:
    """What a serving replica is: a model at a precision on `tp * pp` GPUs."""

    model: TransformerModel
    precision: ServingPrecision = _REPLICA.precision
    tp: int = _REPLICA.tp
    pp: int = _REPLICA.pp
    kv_dtype: str | None = _REPLICA.kv_dtype
    decode_attention: DecodeAttentionKernel = _REPLICA.decode_attention

    @property
    def gpus(self) -> int:
        """GPUs one replica holds."""
        return self.tp * self.pp


def replica_shape(execution: ServingExecution, model: TransformerModel) -> ReplicaShape:
    """The replica `execution` describes, serving `model`: the one way from a service's (or
    `estimate serving`'s) knobs to the performance model."""
    return ReplicaShape(
        model=model,
        precision=execution.precision,
        tp=execution.tp,
        pp=execution.pp,
        kv_dtype=execution.kv_dtype,
        decode_attention=execution.decode_attention,
    )


class IterationModel:
    """Seconds of one continuous-batching iteration on one replica (memoized per shape)."""

    def __init__(self, shape: ReplicaShape, hardware: JobHardware) -> None:
        """Resolve the replica's costs.

        Raises:
            InputError: a precision the GPU lacks, or a tp/pp the model cannot split into
                (naming the field: `precision`, `tp`).
        """
        check_precision(
            hardware.gpu, "fp16" if shape.precision in ("int8", "int4") else shape.precision
        )
        resolve_layout(shape.model, shape.gpus, tp=shape.tp, pp=shape.pp)
        self.shape = shape
        self.hardware = hardware
        job = InferenceJob(
            model=shape.model,
            batch=1,
            input_len=1,
            output_len=1,
            precision=shape.precision,
            tp=shape.tp,
            pp=shape.pp,
            kv_dtype=shape.kv_dtype,
            decode_attention=shape.decode_attention,
        )
        self._server = _Server(job, hardware)
        self.layers = sum(kind.count for kind in self._server.kinds)
        self._tokens: dict[int, float] = {}
        self._head: dict[int, float] = {}
        self._chunk: dict[tuple[int, int], float] = {}
        self._run_fixed: dict[int, float] = {}
        at_one = self._server.decode_step(1, 1.0)["attention"]
        at_far = self._server.decode_step(1, AFFINE_PROBE_TOKENS)["attention"]
        self.decode_attention_per_token_s = (at_far - at_one) / (AFFINE_PROBE_TOKENS - 1.0)
        """seconds per cached token read by decode attention, all layers"""
        self.decode_attention_fixed_s = at_one - self.decode_attention_per_token_s
        """kernel launches of the decode attention, all layers (paid when any sequence decodes)"""

    def token_s(self, tokens: int) -> float:
        """Linears, elementwise kernels and communication for a pass of `tokens` tokens."""
        hit = self._tokens.get(tokens)
        if hit is None:
            if tokens <= 0:
                return 0.0
            parts = self._server.decode_step(tokens, 1.0)
            hit = sum(parts[k] for k in TOKEN_KEYS)
            self._tokens[tokens] = hit
        return hit

    def lm_head_s(self, sequences: int) -> float:
        """The LM head for the `sequences` that emit a token this iteration."""
        hit = self._head.get(sequences)
        if hit is None:
            hit = self._server.lm_head_s(sequences) if sequences > 0 else 0.0
            self._head[sequences] = hit
        return hit

    def decode_attention_s(self, context_sum: float) -> float:
        """Decode attention over `context_sum` cached tokens (summed over the sequences)."""
        return self.decode_attention_fixed_s + self.decode_attention_per_token_s * context_sum

    def prefill_attention_s(self, query_tokens: int, kv_tokens: int) -> float:
        """Attention of one prompt chunk: `query_tokens` new tokens over `kv_tokens` cached
        (the chunk included), all layers: the prefill's score and context GEMMs."""
        key = (query_tokens, kv_tokens)
        hit = self._chunk.get(key)
        if hit is None:
            server = self._server
            model = self.shape.model
            qk, v = attention_dims(model)
            heads = model.num_attention_heads / self.shape.tp
            dtype = server.compute_dtype
            per_layer = server.timer(query_tokens, kv_tokens, qk, dtype, heads)
            per_layer += server.timer(query_tokens, v, kv_tokens, dtype, heads)
            hit = self.layers * per_layer
            self._chunk[key] = hit
        return hit

    def decode_run_s(self, batch: int, context_sum: float, iterations: int) -> float:
        """`iterations` decode-only iterations of `batch` sequences, in closed form.

        `context_sum` is the cached tokens of the batch before the first iteration; each
        iteration appends one token per sequence before its attention reads the cache.
        """
        k = iterations
        per_iteration = self._run_fixed.get(batch)
        if per_iteration is None:
            per_iteration = self._run_fixed[batch] = (
                self.token_s(batch) + self.lm_head_s(batch) + self.decode_attention_fixed_s
            )
        appended = context_sum * k + batch * k * (k + 1) / 2.0
        return k * per_iteration + self.decode_attention_per_token_s * appended

    def decode_iterations_within(self, batch: int, context_sum: float, elapsed_s: float) -> int:
        """Whole decode iterations of a run (as `decode_run_s`) finished `elapsed_s` in."""
        c = self.decode_run_s(batch, 0.0, 1) - self.decode_attention_per_token_s * batch
        m = self.decode_attention_per_token_s
        # k c + m (S k + B k (k+1) / 2) = t, a quadratic in k
        a = m * batch / 2.0
        b = c + m * (context_sum + batch / 2.0)
        if a <= 0.0:
            k = math.floor(elapsed_s / b)
        else:
            k = math.floor((-b + math.sqrt(b * b + 4.0 * a * elapsed_s)) / (2.0 * a))
        k = max(0, k)
        while k > 0 and self.decode_run_s(batch, context_sum, k) > elapsed_s:
            k -= 1
        while self.decode_run_s(batch, context_sum, k + 1) <= elapsed_s:
            k += 1
        return k


@dataclass(frozen=True)
class KvCapacity:
    """How much KV cache a replica holds, after weights and the activation workspace."""

    kv_bytes_per_token_per_gpu: float
    tokens: int
    weights_bytes_per_gpu: float
    workspace_bytes_per_gpu: float


def kv_capacity(
    shape: ReplicaShape, hardware: JobHardware, *, max_batched_tokens: int, max_num_seqs: int
) -> KvCapacity:
    """Tokens of KV cache one replica can hold (0 when the weights alone do not fit).

    Per GPU: usable memory minus the weights, the prefill workspace of one full chunk
    (`max_batched_tokens`) and fp32 logits for `max_num_seqs` sequences.
    """
    model = shape.model
    kv_dtype = shape.kv_dtype or default_kv_dtype(shape.precision)
    mem = inference_memory(
        model,
        tp=shape.tp,
        pp=shape.pp,
        precision=shape.precision,
        batch=1,
        input_len=max_batched_tokens,
        output_len=0,
        kv_dtype=kv_dtype,
    )
    workspace = mem.workspace_bytes + LOGIT_BYTES * (max_num_seqs - 1) * model.vocab_size / shape.tp
    per_token = kv_cache_bytes_per_token_per_gpu(model, tp=shape.tp, pp=shape.pp, kv_dtype=kv_dtype)
    free = usable_memory_bytes(hardware.gpu) - mem.weights_bytes - workspace
    tokens = max(0, math.floor(free / per_token))
    return KvCapacity(per_token, tokens, mem.weights_bytes, workspace)
