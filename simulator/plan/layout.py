"""The layout of one (node type, node count): the automatic layout's choice, as the planner uses it.

The planner never picks a layout itself: `simulator.perf.auto_layout.auto_layout` searches
tp/pp/vpp/cp/ep/dp, micro-batch, sequence parallelism, optimizer sharding and recomputation
under the GPU's memory and the node's scale-up domain; this module calls it for each candidate
hardware point and keeps the few figures ranking needs. Its step time is the one
`estimate training` gives for the same explicit layout (auto_layout costs every candidate
through that call), which tests/plan checks.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.catalog import Catalog
from simulator.perf.auto_layout import auto_layout
from simulator.perf.hardware import job_hardware
from simulator.schema.execution import TrainingExecution
from simulator.schema.model import TransformerModel


@dataclass(frozen=True)
class Layout:
    """The chosen layout at one hardware point and what the step model says about it."""

    execution: TrainingExecution
    step_time_s: float
    memory_per_gpu_gib: float
    tokens_per_s: float
    source: str = "auto_layout"


def layout_for(
    catalog: Catalog,
    model: TransformerModel,
    node: str,
    num_gpus: int,
    seq_len: int,
    global_batch: int,
    precision: str,
) -> Layout:
    """The automatic layout for `num_gpus` GPUs on `node` nodes.

    Raises:
        InputError: no layout fits (the automatic layout's own message), or bad hardware.
    """
    hardware = job_hardware(catalog, num_gpus=num_gpus, node=node)
    choice = auto_layout(model, hardware, num_gpus, seq_len, global_batch, precision)
    best = choice.best
    tokens_per_step = global_batch * seq_len
    return Layout(
        execution=best.execution,
        step_time_s=best.step_time_s,
        memory_per_gpu_gib=best.memory_per_gpu_gib,
        tokens_per_s=tokens_per_step / best.step_time_s,
    )


def layout_dict(execution: TrainingExecution) -> dict[str, object]:
    """The layout keys `estimate training --json` prints (and `--input` takes)."""
    p = execution.parallelism
    return {
        "tp": p.tp,
        "pp": p.pp,
        "vpp": p.vpp,
        "cp": p.cp,
        "ep": p.ep,
        "dp": p.dp if p.dp is not None else execution.num_gpus // (p.tp * p.pp * p.cp),
        "sequence_parallel": p.sequence_parallel,
        "micro_batch": execution.micro_batch,
        "recompute": p.recompute,
        "distributed_optimizer": p.distributed_optimizer,
        "zero": p.zero,
    }
