"""The parallel layout of a training or inference job, and the checks that make it possible.

Ranks are ordered as in Megatron-LM (`tp-cp-ep-dp-pp`, tensor parallel fastest): a tensor-
parallel group is `tp` consecutive GPUs, a context-parallel group has stride `tp`, the data-
parallel group stride `tp * cp`, the pipeline stride `tp * cp * dp`. Expert parallelism is
carved out of the data-parallel (x context-parallel) ranks with expert tensor parallelism equal
to `tp`, so an expert-parallel group has stride `tp`. Where a group lands on nodes decides
whether its collectives run over NVLink or the scale-out network.

Every check raises InputError naming the field to change as the layout spells it (`tp`,
`num_gpus`, `global_batch`; a field its message mentions is quoted: `` `pp` ``); a caller whose
execution nests them re-roots the paths (`simulator.perf.training`: `parallelism.tp`), and the
CLI prints them as its flags (`simulator.cli.options.as_flag`). A layout that is merely too big
for memory is not an error (the estimate says `fits_in_memory: false`).
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.errors import InputError, Problem
from simulator.schema.model import TransformerModel

OPTIONS = "(options)"
"""`Problem.file` for problems with command-line options or request fields."""


def option_problem(field: str, message: str) -> Problem:
    """A problem with one option, named by its field path (`tp`, `parallelism.zero`)."""
    return Problem(OPTIONS, field, message)


@dataclass(frozen=True)
class ParallelLayout:
    """Degrees of parallelism; their product tp * pp * cp * dp is the GPU count."""

    tp: int = 1
    pp: int = 1
    dp: int = 1
    cp: int = 1
    ep: int = 1
    vpp: int = 1
    sequence_parallel: bool = False

    @property
    def num_gpus(self) -> int:
        """GPUs the layout occupies."""
        return self.tp * self.pp * self.cp * self.dp

    @property
    def model_parallel(self) -> int:
        """GPUs holding one copy of the model (tp * pp * cp)."""
        return self.tp * self.pp * self.cp

    @property
    def optimizer_shard(self) -> int:
        """Ranks that hold replicas of a dense weight and can shard its optimizer (dp * cp)."""
        return self.dp * self.cp

    @property
    def expert_data_parallel(self) -> int:
        """Replicas of each expert weight (dp * cp / ep)."""
        return max(1, self.dp * self.cp // self.ep)


def group_members_per_node(size: int, stride: int, gpus_per_node: int) -> int:
    """How many members of a group of `size` ranks at `stride` share one node."""
    if size <= 1:
        return 1
    if stride >= gpus_per_node:
        return 1
    return max(1, min(size, gpus_per_node // stride))


def tp_members_per_node(layout: ParallelLayout, gpus_per_node: int) -> int:
    """Tensor-parallel ranks per node."""
    return group_members_per_node(layout.tp, 1, gpus_per_node)


def cp_members_per_node(layout: ParallelLayout, gpus_per_node: int) -> int:
    """Context-parallel ranks per node."""
    return group_members_per_node(layout.cp, layout.tp, gpus_per_node)


def dp_members_per_node(layout: ParallelLayout, gpus_per_node: int) -> int:
    """Data-parallel ranks per node."""
    return group_members_per_node(layout.dp, layout.tp * layout.cp, gpus_per_node)


def pp_crosses_nodes(layout: ParallelLayout, gpus_per_node: int) -> bool:
    """Whether neighbouring pipeline stages sit on different nodes."""
    return layout.tp * layout.cp * layout.dp >= gpus_per_node


def resolve_layout(
    model: TransformerModel,
    num_gpus: int,
    *,
    tp: int = 1,
    pp: int = 1,
    cp: int = 1,
    ep: int = 1,
    vpp: int = 1,
    dp: int | None = None,
    sequence_parallel: bool = False,
) -> ParallelLayout:
    """Check the degrees against the model and GPU count; derive dp when absent.

    Raises:
        InputError: one problem per impossible choice, each naming its field.
    """
    problems: list[Problem] = []
    for field, value in (("tp", tp), ("pp", pp), ("cp", cp), ("ep", ep), ("vpp", vpp)):
        if value < 1:
            problems.append(option_problem(field, f"must be at least 1 (got {value})"))
    if num_gpus < 1:
        problems.append(option_problem("num_gpus", f"must be at least 1 (got {num_gpus})"))
    if problems:
        raise InputError(problems)
    problems += _model_problems(model, tp=tp, pp=pp, vpp=vpp, ep=ep)
    model_parallel = tp * pp * cp
    if dp is None:
        if num_gpus % model_parallel:
            problems.append(
                option_problem(
                    "num_gpus",
                    f"{num_gpus} GPUs is not a multiple of tp*pp*cp = {model_parallel}; "
                    "choose a GPU count or degrees whose product divides it",
                )
            )
            dp = 1
        else:
            dp = num_gpus // model_parallel
    elif dp < 1:
        problems.append(option_problem("dp", f"must be at least 1 (got {dp})"))
    elif model_parallel * dp != num_gpus:
        problems.append(
            option_problem(
                "dp",
                f"tp*pp*cp*dp = {model_parallel * dp} but `num_gpus` is {num_gpus}; "
                "the product of the parallel degrees must equal the GPU count",
            )
        )
    if ep > 1 and dp >= 1 and (dp * cp) % ep:
        problems.append(
            option_problem(
                "ep",
                f"must divide dp*cp = {dp * cp} (experts are spread over data-parallel ranks)",
            )
        )
    if problems:
        raise InputError(problems)
    return ParallelLayout(
        tp=tp,
        pp=pp,
        dp=dp,
        cp=cp,
        ep=ep,
        vpp=vpp,
        sequence_parallel=sequence_parallel and tp > 1,
    )


def _model_problems(
    model: TransformerModel, *, tp: int, pp: int, vpp: int, ep: int
) -> list[Problem]:
    problems = []
    heads, kv = model.num_attention_heads, model.kv_heads
    if heads % tp:
        problems.append(option_problem("tp", f"must divide the {heads} attention heads (got {tp})"))
    elif kv % tp and tp % kv:
        problems.append(
            option_problem(
                "tp", f"must divide the {kv} key/value heads or be a multiple of it (got {tp})"
            )
        )
    ffn = model.moe.expert_ffn_hidden_size if model.moe else model.ffn_hidden_size
    if ffn % tp:
        problems.append(option_problem("tp", f"must divide the FFN width {ffn} (got {tp})"))
    if model.num_layers < pp * vpp:
        problems.append(
            option_problem(
                "pp" if vpp == 1 else "vpp",
                f"pp*vpp = {pp * vpp} stages for only {model.num_layers} layers",
            )
        )
    if vpp > 1 and pp == 1:
        problems.append(option_problem("vpp", "virtual stages need `pp` greater than 1"))
    if ep > 1:
        if model.moe is None:
            problems.append(option_problem("ep", "expert parallelism needs a MoE model"))
        elif model.moe.num_experts % ep:
            problems.append(
                option_problem("ep", f"must divide the {model.moe.num_experts} experts (got {ep})")
            )
    return problems


def check_batch(layout: ParallelLayout, global_batch: int, micro_batch: int, seq_len: int) -> int:
    """Check the batch split and return the number of micro-batches per step per pipeline.

    Raises:
        InputError: global batch not a multiple of micro_batch * dp, or the sequence not
            divisible by the context-parallel degree.
    """
    problems = []
    if micro_batch < 1:
        problems.append(option_problem("micro_batch", f"must be at least 1 (got {micro_batch})"))
    if global_batch < 1:
        problems.append(option_problem("global_batch", f"must be at least 1 (got {global_batch})"))
    if seq_len < 1:
        problems.append(option_problem("seq_len", f"must be at least 1 (got {seq_len})"))
    if problems:
        raise InputError(problems)
    if global_batch % (micro_batch * layout.dp):
        problems.append(
            option_problem(
                "global_batch",
                f"{global_batch} is not a multiple of micro_batch*dp = {micro_batch}*{layout.dp}",
            )
        )
    if seq_len % layout.cp:
        problems.append(
            option_problem("cp", f"must divide the sequence length {seq_len} (got {layout.cp})")
        )
    if problems:
        raise InputError(problems)
    num_microbatches = global_batch // (micro_batch * layout.dp)
    if layout.vpp > 1 and num_microbatches % layout.pp:
        raise InputError(
            [
                option_problem(
                    "global_batch",
                    f"the interleaved schedule needs micro-batches per step ({num_microbatches}) "
                    f"to be a multiple of pp ({layout.pp})",
                )
            ]
        )
    return num_microbatches


def layers_per_stage(num_layers: int, pp: int) -> list[int]:
    """Layers of each pipeline stage: as even as possible; when `pp` does not divide the layers,
    the extra ones go to the middle stages (the first and last also hold the embedding and the
    LM head, as in Llama 3's 405B layout)."""
    base, extra = divmod(num_layers, pp)
    counts = [base] * pp
    order = list(range(1, pp - 1)) + [0, pp - 1] if pp > 2 else list(range(pp))
    for i in order[:extra]:
        counts[i] += 1
    return counts


def stage_layer_counts(model: TransformerModel, layout: ParallelLayout) -> list[tuple[int, int]]:
    """(dense layers, MoE layers) held by each pipeline stage, leading dense layers first."""
    n_dense = model.num_layers if model.moe is None else model.moe.first_dense_layers
    n_dense = min(n_dense, model.num_layers)
    stages = []
    start = 0
    for count in layers_per_stage(model.num_layers, layout.pp):
        dense = max(0, min(n_dense - start, count))
        stages.append((dense, count - dense))
        start += count
    return stages
