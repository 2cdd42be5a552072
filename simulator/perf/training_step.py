"""The step model: what one micro-batch costs each pipeline stage, and the pieces of a step.

`estimate_training` (in `perf/training.py`) searches micro-batch sizes and recomputation over
this model; here are the costs it compares: per-stage compute and communication
(`StageCost`, `StepModel`), the exposed part of bucketed gradient reduction, and memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from simulator.perf.collectives import collective_time_s
from simulator.perf.hardware import JobHardware
from simulator.perf.layer_cost import (
    GemmTimer,
    LayerShape,
    PassTimes,
    layer_times,
    lm_head_times,
)
from simulator.perf.memory import (
    Recompute,
    TrainingMemory,
    stage_params,
    training_memory,
)
from simulator.perf.parallelism import (
    ParallelLayout,
    cp_members_per_node,
    dp_members_per_node,
    group_members_per_node,
    pp_crosses_nodes,
    stage_layer_counts,
    tp_members_per_node,
)
from simulator.perf.topology import CollectiveGroup
from simulator.perf.training_job import TrainingJob
from simulator.perf.transformer_flops import (
    attention_dims,
    layer_kinds,
)

RECOMPUTE_ORDER: tuple[Recompute, ...] = ("none", "selective", "full")
"""From least to most recomputation: `auto` takes the first that fits in memory."""

GRAD_COMM_BYTES = 2.0
"""Gradients are reduced in 16 bits (Megatron-core's default `grad_reduce_in_fp32=False`)."""

DP_BUCKET_MIN_PARAMS = 40_000_000
"""Megatron-core DDP bucket: max(40M, 1M x dp) parameters (megatron/core/distributed/
distributed_data_parallel.py, `bucket_size = max(40000000, 1000000 * dp)`; PyTorch DDP's
`bucket_cap_mb=25` is the same order). The last bucket's reduction starts only when the
backward pass ends, so it is always exposed."""

ADAM_STEP_BYTES_PER_PARAM = 34.0
"""Bytes the optimizer step streams per parameter it owns: fp32 gradient read for the norm and
for Adam (4 + 4), fp32 master weight, momentum and variance read and written (3 x 8), and the
16-bit working weight written (2)."""

EMBEDDING_BYTES_PER_TOKEN_FACTOR = 2.0
"""The embedding lookup writes one 16-bit hidden vector per token."""


def exposed_bucketed_s(
    params_n: float, bucket: float, window_s: float, comm_s: Callable[[float], float]
) -> float:
    """Communication of `params_n` gradients in buckets of `bucket` that outlasts `window_s`.

    Bucket j (of B) is ready when the backward has produced (j+1)/B of the gradients, at
    (j+1)/B x window (the last, partial bucket holds the remainder and is ready at the end);
    the stream runs buckets one after another: finish_j = max(finish_{j-1}, ready_j) + t_j.
    Returns max(0, finish_last - window_s).
    """
    full = int(params_n // bucket)
    rest = params_n - full * bucket
    finish = 0.0
    if full:
        # equal buckets, ready every r seconds, t each: finish = r + t + (full - 1) max(r, t)
        r, t = window_s * bucket / params_n, comm_s(bucket)
        finish = r + t + (full - 1) * max(r, t)
    if rest > 0:
        finish = max(finish, window_s) + comm_s(rest)
    return max(0.0, finish - window_s)


# --------------------------------------------------------------------------- per micro-batch


@dataclass(frozen=True)
class StageCost:
    """Seconds one micro-batch spends on one pipeline stage, by kind of work."""

    compute_s: float
    forward_s: float
    backward_s: float
    tp_comm_s: float
    moe_all_to_all_s: float
    cp_comm_s: float

    @property
    def total_s(self) -> float:
        """Everything one micro-batch costs the stage."""
        return self.compute_s + self.tp_comm_s + self.moe_all_to_all_s + self.cp_comm_s


class StepModel:
    """Everything about one job on one piece of hardware that does not depend on the
    micro-batch size or recomputation choice, plus memoized GEMM timings."""

    def __init__(
        self,
        job: TrainingJob,
        hardware: JobHardware,
        layout: ParallelLayout,
        timer: GemmTimer | None = None,
    ) -> None:
        self.job = job
        self.hw = hardware
        self.layout = layout
        # a search costing many layouts on one GPU passes one timer: its memo is shared
        self.timer = (
            timer if timer is not None and timer.gpu is hardware.gpu else GemmTimer(hardware.gpu)
        )
        self.kinds = {k.name: k for k in layer_kinds(job.model)}
        self.stage_counts = stage_layer_counts(job.model, layout)
        g = hardware.gpus_per_node
        self.tp_group = hardware.group(layout.tp, tp_members_per_node(layout, g))
        self.cp_group = hardware.group(layout.cp, cp_members_per_node(layout, g))
        self.ep_group = hardware.group(layout.ep, group_members_per_node(layout.ep, layout.tp, g))
        dense_dp = layout.dp * layout.cp
        self.dp_group = hardware.group(dense_dp, group_members_per_node(dense_dp, layout.tp, g))
        expert_dp = layout.expert_data_parallel
        self.expert_dp_group = hardware.group(
            expert_dp, group_members_per_node(expert_dp, layout.tp * layout.ep, g)
        )
        self.p2p_group = (
            hardware.group(2, 1 if pp_crosses_nodes(layout, g) else 2) if layout.pp > 1 else None
        )
        self.dp_members_per_node = dp_members_per_node(layout, g)
        self._per_mb: dict[tuple[int, str], tuple[list[StageCost], float]] = {}

    # -- collectives
    def _coll(self, op: str, size: float, group: CollectiveGroup | None) -> float:
        if group is None or group.num_gpus <= 1 or size <= 0:
            return 0.0
        return collective_time_s(op, size, group).time_s

    def tp_collectives_s(self, tokens: float) -> float:
        """One forward pass's two tensor-parallel collectives for `tokens` tokens."""
        size = tokens * self.job.model.hidden_size * 2.0
        if self.layout.sequence_parallel:
            return 2 * (
                self._coll("all_gather", size, self.tp_group)
                + self._coll("reduce_scatter", size, self.tp_group)
            )
        return 2 * self._coll("all_reduce", size, self.tp_group)

    # -- one micro-batch
    def shape(self, micro_batch: int) -> LayerShape:
        job, lay = self.job, self.layout
        linear_dtype = job.precision
        attention_dtype = "fp16" if job.precision == "fp16" else "bf16"
        return LayerShape(
            tokens=micro_batch * job.seq_len / lay.cp,
            batch=micro_batch,
            query_len=job.seq_len / lay.cp,
            kv_len=job.seq_len,
            tp=lay.tp,
            ep=lay.ep,
            sequence_parallel=lay.sequence_parallel,
            linear_dtype=linear_dtype,
            attention_dtype=attention_dtype,
            attention_kernel=job.attention,
            dropout=job.model.ffn_type == "gelu",
        )

    def stage_costs(self, micro_batch: int, recompute: Recompute) -> tuple[list[StageCost], float]:
        """Per-stage cost of one micro-batch, and the p2p time of one stage boundary."""
        key = (micro_batch, recompute)
        if key in self._per_mb:
            return self._per_mb[key]
        job, lay, model = self.job, self.layout, self.job.model
        shape = self.shape(micro_batch)
        frozen = job.mode == "lora"
        passes = 3 if recompute == "full" else 2  # forward, backward (+ recomputed forward)
        tp_layer = self.tp_collectives_s(shape.tokens) * passes
        per_kind: dict[str, tuple[PassTimes, float, float, float, float]] = {}
        for name, kind in self.kinds.items():
            t = layer_times(self.timer, model, kind, shape, frozen_weights=frozen)
            compute = t.forward_s + t.backward_s
            linear = t.linear_fwd_s + t.linear_bwd_s
            if recompute == "full":
                compute += t.forward_s
                linear += t.linear_fwd_s
            elif recompute == "selective":
                compute += t.attention_core_fwd_s
            tp_kind = tp_layer
            if job.tp_comm_overlap and lay.sequence_parallel:
                tp_kind = max(0.0, tp_layer - linear)
            a2a = 0.0
            if name == "moe" and lay.ep > 1:
                assert model.moe is not None
                size = shape.tokens * model.moe.top_k * model.hidden_size * 2.0
                if lay.sequence_parallel:
                    size /= lay.tp
                a2a = 2 * self._coll("all_to_all", size, self.ep_group) * passes
            cp = 0.0
            if lay.cp > 1:
                qk, v = attention_dims(model)
                kv_heads = max(model.kv_heads / lay.tp, 1.0)
                size = micro_batch * job.seq_len * kv_heads * (qk + v) * 2.0
                gather = self._coll("all_gather", size, self.cp_group)
                cp = max(0.0, gather - t.attention_fwd_s) * (passes - 1)
                cp += max(0.0, 2 * gather - t.attention_bwd_s)
            per_kind[name] = (t, compute, a2a, cp, tp_kind)
        head_fwd, head_bwd = lm_head_times(self.timer, model, shape, frozen=frozen)
        # the LM head's input: all-gathered (sequence parallel) or its gradient all-reduced
        size = shape.tokens * model.hidden_size * 2.0
        if lay.sequence_parallel:
            head_tp = self._coll("all_gather", size, self.tp_group) + self._coll(
                "reduce_scatter", size, self.tp_group
            )
        else:
            head_tp = self._coll("all_reduce", size, self.tp_group)
        embed_s = self.timer.memory_bound_s(
            EMBEDDING_BYTES_PER_TOKEN_FACTOR * shape.tokens * model.hidden_size, 2
        )
        embed_tp = 0.0
        if lay.tp > 1:
            size = shape.tokens * model.hidden_size * 2.0
            op = "reduce_scatter" if lay.sequence_parallel else "all_reduce"
            embed_tp = self._coll(op, size, self.tp_group)
        stages = []
        for i, (n_dense, n_moe) in enumerate(self.stage_counts):
            compute = fwd = bwd = tp = a2a = cp = 0.0
            for name, n in (("dense", n_dense), ("moe", n_moe)):
                if not n:
                    continue
                t, c, a, x, tp_kind = per_kind[name]
                compute += n * c
                fwd += n * t.forward_s
                bwd += n * t.backward_s
                tp += n * tp_kind
                a2a += n * a
                cp += n * x
            if i == 0:
                compute += embed_s
                tp += embed_tp
            if i == lay.pp - 1:
                compute += head_fwd + head_bwd
                fwd += head_fwd
                bwd += head_bwd
                tp += head_tp
            stages.append(StageCost(compute, fwd, bwd, tp, a2a, cp))
        p2p = 0.0
        if lay.pp > 1:
            size = shape.tokens * model.hidden_size * 2.0 / lay.tp  # scatter-gather optimization
            p2p = self._coll("send_recv", size, self.p2p_group)
        self._per_mb[key] = (stages, p2p)
        return stages, p2p

    # -- data parallel and optimizer
    def dp_and_optimizer_s(
        self, stages: list[StageCost], num_microbatches: int
    ) -> tuple[float, float]:
        """(exposed data-parallel communication, optimizer step) on the slowest stage."""
        job, lay = self.job, self.layout
        params = stage_params(job.model, lay, job.lora_rank if job.mode == "lora" else None)
        worst = max(range(len(stages)), key=lambda i: stages[i].total_s)
        p = params[worst]
        stage = stages[worst]
        if job.mode == "lora":
            dense, expert = p.trainable_lora, 0.0
        else:
            dense, expert = p.dense, p.expert
        sharded = job.zero >= 1 or job.distributed_optimizer
        bucket = job.dp_bucket_params or max(DP_BUCKET_MIN_PARAMS, 1_000_000 * lay.dp)
        exposed = 0.0
        for params_n, group in ((dense, self.dp_group), (expert, self.expert_dp_group)):
            if group.num_gpus <= 1 or params_n <= 0:
                continue
            size = params_n * GRAD_COMM_BYTES
            if job.zero >= 3:
                per_mb = 2 * self._coll("all_gather", size, group) + self._coll(
                    "reduce_scatter", size, group
                )
                exposed += num_microbatches * max(0.0, per_mb - stage.compute_s)
                last = min(params_n, bucket) * GRAD_COMM_BYTES
                exposed += self._coll("reduce_scatter", last, group)
            elif sharded:
                # gradients reduce-scattered as the backward produces them; the updated
                # parameters all-gathered before the next forward needs them
                exposed += self._bucketed(
                    "reduce_scatter", params_n, bucket, group, stage.backward_s
                )
                exposed += self._bucketed("all_gather", params_n, bucket, group, stage.forward_s)
            else:
                exposed += self._bucketed("all_reduce", params_n, bucket, group, stage.backward_s)
        owned = dense / (lay.optimizer_shard if sharded else 1)
        owned += expert / (lay.expert_data_parallel if sharded else 1)
        optimizer = self.timer.memory_bound_s(ADAM_STEP_BYTES_PER_PARAM * owned, 2)
        return exposed, optimizer

    def _bucketed(
        self, op: str, params_n: float, bucket: float, group: CollectiveGroup, window_s: float
    ) -> float:
        """Seconds of `op` over the gradients left on the critical path.

        Without overlap the whole buffer is reduced after the backward pass (one collective).
        With overlap, buckets become ready in turn as the last micro-batch's backward produces
        their gradients (evenly in parameters over `window_s`); the communication stream takes
        them one at a time, each as soon as it is ready and the previous one is done. What
        runs past the end of the window is exposed: at least the last bucket, more when the
        fabric is slower than the backward produces gradients.
        """
        if not self.job.overlap_grad_reduce:
            return self._coll(op, params_n * GRAD_COMM_BYTES, group)
        return exposed_bucketed_s(
            params_n,
            bucket,
            window_s,
            lambda n: self._coll(op, n * GRAD_COMM_BYTES, group),
        )

    # -- a whole step
    def step(self, micro_batch: int, num_microbatches: int, recompute: Recompute) -> dict:
        lay = self.layout
        stages, p2p = self.stage_costs(micro_batch, recompute)
        slowest = max(stages, key=lambda s: s.total_s)
        mean_total = sum(s.total_s for s in stages) / len(stages)
        m, p, v = num_microbatches, lay.pp, lay.vpp
        bubble = (p - 1) / v * mean_total
        pp_p2p = 2.0 * (v * m + p - 1) * p2p if p > 1 else 0.0
        dp_exposed, optimizer = self.dp_and_optimizer_s(stages, m)
        breakdown = {
            "compute": m * slowest.compute_s,
            "tp_comm": m * slowest.tp_comm_s,
            "cp_comm_exposed": m * slowest.cp_comm_s,
            "moe_all_to_all": m * slowest.moe_all_to_all_s,
            "pp_bubble": bubble,
            "pp_p2p": pp_p2p,
            "dp_comm_exposed": dp_exposed,
            "optimizer": optimizer,
        }
        return breakdown


def step_memory(
    job: TrainingJob, layout: ParallelLayout, micro_batch: int, m: int, recompute: Recompute
) -> TrainingMemory:
    return training_memory(
        job.model,
        layout,
        seq_len=job.seq_len,
        micro_batch=micro_batch,
        num_microbatches=m,
        recompute=recompute,
        zero=job.zero,
        distributed_optimizer=job.distributed_optimizer,
        mode=job.mode,
        lora_rank=job.lora_rank,
        attention_kernel=job.attention,
    )


def micro_batch_candidates(job: TrainingJob, layout: ParallelLayout) -> list[int]:
    if job.micro_batch is not None:
        return [job.micro_batch]
    if layout.pp > 1:
        return [1]
    per_replica = job.global_batch // layout.dp if job.global_batch % layout.dp == 0 else 1
    return [d for d in range(per_replica, 0, -1) if per_replica % d == 0]
