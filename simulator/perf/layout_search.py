"""The search space of the automatic layout and the bounds that prune it.

`LayoutSearch` enumerates the splits a job allows (tp inside the NVLink domain, cp, pp, vpp,
ep, dp; divisibility first), bounds each one's memory and step time from below, and costs a
candidate through `estimate_training`, exactly as `estimate training` would. The order in
which `simulator.perf.auto_layout` pops candidates, and why the bounds are valid, is
described there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from simulator.errors import InputError
from simulator.perf.collectives import collective_time_s
from simulator.perf.hardware import JobHardware
from simulator.perf.layer_cost import GemmTimer
from simulator.perf.memory import (
    Recompute,
    StageParams,
    model_state_bytes,
    stage_params,
    training_memory,
)
from simulator.perf.parallelism import (
    ParallelLayout,
    layers_per_stage,
    pp_crosses_nodes,
    resolve_layout,
)
from simulator.perf.training import (
    RECOMPUTE_ORDER,
    StepModel,
    estimate_training,
    training_job,
)
from simulator.perf.transformer_flops import layer_kinds
from simulator.schema.execution import Parallelism, TrainingExecution
from simulator.schema.model import TransformerModel

MAX_CP = 16
"""Largest context-parallel degree tried (Llama 3 used 16 for 128K tokens)."""

LOOSE_FLOOR = 0.5
"""The loose step floor counts the FLOPs at the GEMMs' best rate and halves that, so that
kernels the GEMM rate does not describe cannot lift it above the tight floor."""

MAX_VPP = 8
"""Most virtual stages per GPU tried. Each halves less of the bubble than the last and adds
pipeline sends; published recipes use 2 to 8 (Llama 3 70B on H100: 5)."""

OptimizerOption = tuple[int, bool]
"""(ZeRO stage, Megatron distributed optimizer)."""


@dataclass(frozen=True)
class LayoutCandidate:
    """One concrete layout and what the step model says about it."""

    execution: TrainingExecution
    step_time_s: float
    memory_per_gpu_gib: float

    def layout(self) -> dict[str, object]:
        """The layout keys of `estimate training --json` (`layout`), plus optimizer sharding."""
        return layout_dict(self.execution)

    def describe(self) -> str:
        """One line: `tp8 pp4 dp32 sp mb1 recompute selective dist-opt`."""
        return describe_layout(self.execution)


def layout_dict(execution: TrainingExecution) -> dict[str, object]:
    """tp, pp, vpp, cp, ep, dp, sequence_parallel, micro_batch, num_microbatches, recompute,
    distributed_optimizer and zero of a concrete execution."""
    p = execution.parallelism
    dp = p.dp if p.dp is not None else execution.num_gpus // (p.tp * p.pp * p.cp)
    mb = execution.micro_batch
    return {
        "tp": p.tp,
        "pp": p.pp,
        "vpp": p.vpp,
        "cp": p.cp,
        "ep": p.ep,
        "dp": dp,
        "sequence_parallel": p.sequence_parallel,
        "micro_batch": mb,
        "num_microbatches": execution.global_batch // (mb * dp) if mb else None,
        "recompute": p.recompute,
        "distributed_optimizer": p.distributed_optimizer,
        "zero": p.zero,
    }


def describe_layout(execution: TrainingExecution) -> str:
    """A short human spelling of a layout (what the CLI prints)."""
    d = layout_dict(execution)
    parts = [f"tp{d['tp']}", f"pp{d['pp']}"]
    parts += [f"{k}{d[k]}" for k in ("vpp", "cp", "ep") if d[k] != 1]
    parts.append(f"dp{d['dp']}")
    if d["sequence_parallel"]:
        parts.append("sp")
    if d["micro_batch"] is not None:
        parts.append(f"mb{d['micro_batch']}")
    parts.append(f"recompute {d['recompute']}")
    if d["zero"]:
        parts.append(f"zero{d['zero']}")
    elif d["distributed_optimizer"]:
        parts.append("dist-opt")
    return " ".join(parts)


def divisors(n: int) -> list[int]:
    small = [d for d in range(1, int(n**0.5) + 1) if n % d == 0]
    return sorted({*small, *(n // d for d in small)})


@dataclass
class LayoutSearch:
    """One job's search: its splits, their memory and step floors, and costed candidates.

    Caches the step model's per-shape costs (`_stage_parts`), pipeline sends and per-stage
    parameters, and shares one GEMM timer across every estimate, so that costing a split
    costs mostly what is new about it.
    """

    model: TransformerModel
    hardware: JobHardware
    base: TrainingExecution
    limit_bytes: float
    timer: GemmTimer
    rejected: list[tuple[int, str, str]] = field(default_factory=list)
    evaluated: int = 0
    _compute: dict[tuple, tuple[float | None, float, float, float]] = field(default_factory=dict)
    _p2p: dict[tuple[int, int, int, bool], float] = field(default_factory=dict)
    _stage_params: dict[tuple[int, int, int], list[StageParams]] = field(default_factory=dict)

    def reject(self, order: int, what: str, why: str) -> None:
        self.rejected.append((order, what, why))

    # -- structure: the degrees, checked for divisibility and domain size
    def splits(self) -> list[ParallelLayout]:
        b, model = self.base, self.model
        n = b.num_gpus
        domain = min(self.hardware.job_group.gpus_per_nvlink_domain, n)
        out = []
        for tp in divisors(n):
            try:
                resolve_layout(model, n, tp=tp)
            except InputError as exc:
                if tp <= domain:
                    self.reject(tp, f"tp{tp}", f"divisibility: {exc.problems[0].message}")
                continue
            if tp > domain:
                if tp <= 2 * domain:
                    self.reject(
                        tp,
                        f"tp{tp}",
                        f"scale-up domain: tensor parallelism over {tp} GPUs leaves the "
                        f"{domain}-GPU NVLink domain",
                    )
                continue
            for cp in divisors(n // tp):
                if cp > MAX_CP or b.seq_len % cp:
                    continue
                for pp in divisors(n // (tp * cp)):
                    if pp > model.num_layers:
                        break
                    dp = n // (tp * cp * pp)
                    if b.global_batch % dp:
                        if cp == 1:
                            self.reject(
                                tp * pp,
                                f"tp{tp} pp{pp} dp{dp}",
                                f"divisibility: a batch of {b.global_batch} sequences does not "
                                f"split over {dp} data-parallel replicas",
                            )
                        continue
                    for ep in self._eps(tp, dp * cp, domain):
                        for vpp in self._vpps(pp):
                            for sp in (True, False) if tp > 1 else (False,):
                                out.append(ParallelLayout(tp, pp, dp, cp, ep, vpp, sp))
        return out

    def _eps(self, tp: int, shardable: int, domain: int) -> list[int]:
        moe = self.model.moe
        if moe is None:
            return [1]
        return [
            e
            for e in divisors(moe.num_experts)
            if shardable % e == 0 and (tp * e <= domain or e == 1)
        ]

    def _vpps(self, pp: int) -> list[int]:
        if pp == 1:
            return [1]
        return list(range(1, min(MAX_VPP, self.model.num_layers // pp) + 1))

    def optimizer_options(self, layout: ParallelLayout) -> list[OptimizerOption]:
        """Sharding options from the most sharded to the least: each needs more memory than
        the one before, with the same compute and pipeline costs (see `auto_layout`'s loop).

        ZeRO-2 and ZeRO-3 are searched only when the job asks for them (`layout: auto` with
        `parallelism: {zero: 3}`, or `--layout auto --zero 3`): the step model hides ZeRO-3's
        per-layer parameter gathers behind compute (issue "Fidelity 2", item 2: published
        ZeRO-3 runs are 40-81% slower than it predicts), so an unasked search would pick them
        for the model's error rather than the mechanism. The distributed optimizer (ZeRO-1)
        is always searched."""
        if self.base.mode == "lora" or layout.optimizer_shard == 1:
            return [(0, False)]
        if layout.pp > 1 or self.base.parallelism.zero < 2:
            return [(0, True), (0, False)]
        return [(3, False), (2, False), (0, True), (0, False)]

    # -- memory floor
    def states_floor_bytes(self, layout: ParallelLayout) -> float:
        """Weights, gradients and optimizer state of the heaviest stage, sharded the most the
        split allows: no micro-batch or recomputation needs less (cached per tp, pp, ep)."""
        zero, dist = self.optimizer_options(layout)[0]
        key = (layout.tp, layout.pp, layout.ep)
        if key not in self._stage_params:
            lora = self.base.lora_rank if self.base.mode == "lora" else None
            self._stage_params[key] = stage_params(self.model, layout, lora)
        return max(
            sum(
                model_state_bytes(
                    p, layout, zero=zero, distributed_optimizer=dist, mode=self.base.mode
                )
            )
            for p in self._stage_params[key]
        )

    def least_recompute(self, layout: ParallelLayout, micro_batch: int, m: int) -> Recompute:
        """The least recomputation that fits with the most sharding: none of the split's
        options fits with less, so none is faster than its step floor with this one."""
        for recompute in RECOMPUTE_ORDER[:-1]:
            if self.memory_floor_bytes(layout, micro_batch, m, recompute) <= self.limit_bytes:
                return recompute
        return RECOMPUTE_ORDER[-1]

    def memory_floor_bytes(
        self, layout: ParallelLayout, micro_batch: int, m: int, recompute: Recompute = "full"
    ) -> float:
        """The least `layout` needs at `micro_batch` with `recompute` and the most sharding."""
        states = self.states_floor_bytes(layout)
        if states > self.limit_bytes:
            return states
        zero, dist = self.optimizer_options(layout)[0]
        b = self.base
        return training_memory(
            self.model,
            layout,
            seq_len=b.seq_len,
            micro_batch=micro_batch,
            num_microbatches=m,
            recompute=recompute,
            zero=zero,
            distributed_optimizer=dist,
            mode=b.mode,
            lora_rank=b.lora_rank,
            attention_kernel=b.attention,
        ).total_bytes

    # -- step-time floor
    def step_floor_s(
        self, layout: ParallelLayout, micro_batch: int, m: int, recompute: Recompute = "none"
    ) -> float:
        """No step of `layout` at `micro_batch` is faster than this.

        A step is m x the slowest stage's cost, plus the bubble (p - 1)/v x the mean stage's,
        plus the sends between stages, plus data-parallel traffic and the optimizer; this
        counts all but the last two, recomputing nothing. A stage's cost (compute and the
        tensor-, context- and expert-parallel collectives of its layers, whose groups do not
        depend on pp or dp) is its layers' plus the embedding (first) or LM head (last):
        those three figures depend on tp, cp, ep, sequence parallelism and the micro-batch
        only, and are costed once per such shape (`_stage_parts`). A model with two kinds of
        layer (dense and MoE) is bounded by the mean stage instead of the slowest.
        """
        layer_s, embed_s, head_s, total_s = self._stage_parts(layout, micro_batch, recompute)
        pp, vpp = layout.pp, layout.vpp
        slowest = total_s / pp
        if layer_s is not None:
            counts = layers_per_stage(self.model.num_layers, pp)
            slowest = max(
                n * layer_s + (embed_s if i == 0 else 0.0) + (head_s if i == pp - 1 else 0.0)
                for i, n in enumerate(counts)
            )
        floor = m * slowest + (pp - 1) / vpp * total_s / pp
        if pp > 1:  # the sends between stages, as the step model counts them
            floor += 2.0 * (vpp * m + pp - 1) * self.p2p_s(layout, micro_batch)
        return floor

    def _stage_parts(
        self, layout: ParallelLayout, micro_batch: int, recompute: Recompute
    ) -> tuple[float | None, float, float, float]:
        """(one layer, embedding, LM head, whole model) per micro-batch, from the step model.

        Costed on three stages: the middle one holds layers only, the first adds the
        embedding, the last the head. With two layer kinds, or under three layers, only the
        whole model's cost is kept (None for the rest).
        """
        key = (layout.tp, layout.cp, layout.ep, layout.sequence_parallel, micro_batch, recompute)
        if key not in self._compute:
            layers = self.model.num_layers
            single_kind = len(layer_kinds(self.model)) == 1 and layers >= 3
            pp = 3 if single_kind else 1
            probe = ParallelLayout(
                tp=layout.tp,
                pp=pp,
                dp=max(1, self.base.num_gpus // (layout.tp * layout.cp * pp)),
                cp=layout.cp,
                ep=layout.ep,
                sequence_parallel=layout.sequence_parallel,
            )
            execution = self.execution(probe, micro_batch, (0, False), "none")
            job = training_job(execution, self.model)
            step_model = StepModel(job, self.hardware, probe, self.timer)
            stages, _ = step_model.stage_costs(micro_batch, recompute)
            totals = [st.total_s for st in stages]
            if single_kind:
                n = layers_per_stage(layers, 3)
                layer_s = totals[1] / n[1]
                embed_s = totals[0] - n[0] * layer_s
                head_s = totals[2] - n[2] * layer_s
                self._compute[key] = (layer_s, embed_s, head_s, layers * layer_s + embed_s + head_s)
            else:
                self._compute[key] = (None, 0.0, 0.0, sum(totals))
        return self._compute[key]

    def p2p_s(self, layout: ParallelLayout, micro_batch: int) -> float:
        """One activation send between neighbouring stages (`StepModel.stage_costs`)."""
        crosses = pp_crosses_nodes(layout, self.hardware.gpus_per_node)
        key = (layout.tp, layout.cp, micro_batch, crosses)
        if key not in self._p2p:
            tokens = micro_batch * self.base.seq_len / layout.cp
            size = tokens * self.model.hidden_size * 2.0 / layout.tp
            group = self.hardware.group(2, 1 if crosses else 2)
            self._p2p[key] = collective_time_s("send_recv", size, group).time_s
        return self._p2p[key]

    # -- one evaluation, through the same call `estimate training` makes
    def execution(
        self, layout: ParallelLayout, micro_batch: int, opt: OptimizerOption, recompute: str
    ) -> TrainingExecution:
        par = Parallelism(
            tp=layout.tp,
            pp=layout.pp,
            vpp=layout.vpp,
            cp=layout.cp,
            ep=layout.ep,
            dp=layout.dp,
            sequence_parallel=layout.sequence_parallel,
            zero=opt[0],
            distributed_optimizer=opt[1],
            recompute=recompute,  # type: ignore[arg-type]
        )
        return self.base.model_copy(update={"parallelism": par, "micro_batch": micro_batch})

    def evaluate(
        self, layout: ParallelLayout, micro_batch: int, opt: OptimizerOption
    ) -> tuple[LayoutCandidate | None, float]:
        """The candidate (None: it does not fit) and its step less data-parallel traffic and
        optimizer: a floor for the same split with less sharding (more memory, so at least
        as much recomputation; inf when it does not fit, as they cannot either)."""
        self.evaluated += 1
        execution = self.execution(layout, micro_batch, opt, "auto")
        job = training_job(execution, self.model)
        est = estimate_training(job, self.hardware, self.timer)
        if not est.fits_in_memory:
            return None, math.inf
        concrete = self.execution(layout, micro_batch, opt, est.recompute)
        rest = est.step_time_s - est.breakdown["dp_comm_exposed"] - est.breakdown["optimizer"]
        return LayoutCandidate(concrete, est.step_time_s, est.memory_per_gpu_gib), rest


def describe_split(layout: ParallelLayout) -> str:
    """A split without its micro-batch and knobs: `tp8 pp4 dp32 sp`."""
    parts = [f"tp{layout.tp}", f"pp{layout.pp}"]
    parts += [f"{k}{getattr(layout, k)}" for k in ("vpp", "cp", "ep") if getattr(layout, k) != 1]
    parts.append(f"dp{layout.dp}")
    if layout.sequence_parallel:
        parts.append("sp")
    return " ".join(parts)
