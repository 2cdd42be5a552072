"""The hardware a job runs on, resolved from catalog ids into what the performance models read.

A job names a node (`node`) or a GPU (`gpu`, optionally `gpus_per_node` and `fabric`).
Naming only a GPU uses the vendor's reference node built around it (DGX, then HGX, else the
first by id; `topology.default_node`) for the NVLink domain and compute NICs; naming a fabric
keeps the GPU-only description with one NIC of that fabric per GPU.

Problems name the arguments as fields (`gpu`, `fabric`; in a message between backticks), not
as flags: the CLI spells them `--gpu`, `--fabric` when it prints them.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.catalog import Catalog
from simulator.errors import InputError
from simulator.perf.parallelism import option_problem
from simulator.perf.topology import CollectiveGroup, default_node, group_from_catalog
from simulator.schema.gpu import GpuProfile


@dataclass(frozen=True)
class JobHardware:
    """A GPU type and the placed group of all the job's GPUs (links, nodes, NVLink domains)."""

    gpu: GpuProfile
    job_group: CollectiveGroup
    node_id: str | None = None

    @property
    def gpus_per_node(self) -> int:
        """GPUs of the job per node (placement granularity for sub-groups)."""
        return self.job_group.gpus_per_node

    def group(self, size: int, members_per_node: int) -> CollectiveGroup:
        """A sub-group of `size` ranks, `members_per_node` of them per node."""
        return self.job_group.subgroup(size, max(1, min(size, members_per_node)))


def _node_for_gpu(catalog: Catalog, gpu_id: str) -> str | None:
    node = default_node(catalog, gpu_id)
    return node.id if node is not None else None


def job_hardware(
    catalog: Catalog,
    *,
    num_gpus: int,
    gpu: str | None = None,
    node: str | None = None,
    gpus_per_node: int | None = None,
    fabric: str | None = None,
) -> JobHardware:
    """Resolve `gpu`/`node`/`gpus_per_node`/`fabric` into a JobHardware.

    Raises:
        InputError: neither `gpu` nor `node`, unknown ids, or a multi-node job with no fabric.
    """
    if gpu is None and node is None:
        raise InputError([option_problem("gpu", "name a GPU (`gpu`) or a node (`node`)")])
    if gpus_per_node is not None and gpus_per_node < 1:
        raise InputError([option_problem("gpus_per_node", "must be at least 1")])
    if node is None and fabric is None and gpus_per_node is None and gpu is not None:
        catalog.gpu(gpu)  # unknown id -> InputError naming the known ones
        node = _node_for_gpu(catalog, gpu)
    try:
        group = group_from_catalog(
            catalog,
            num_gpus=num_gpus,
            gpus_per_node=gpus_per_node,
            gpu=gpu,
            node=node,
            fabric=fabric,
        )
    except InputError as exc:
        if any(p.field == "scale_out" for p in exc.problems):
            raise InputError(
                [
                    option_problem(
                        "fabric",
                        f"{num_gpus} GPUs span several nodes: name a scale-out fabric "
                        "(`fabric`) or a node (`node`)",
                    )
                ]
            ) from None
        raise
    gpu_id = catalog.node(node).gpu if node is not None else gpu
    assert gpu_id is not None
    return JobHardware(gpu=catalog.gpu(gpu_id), job_group=group, node_id=node)
