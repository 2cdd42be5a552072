"""Kinds 'allreduce' and 'collective': a measured collective (nccl-tests or a profiler)."""

from __future__ import annotations

import math

from simulator.catalog import Catalog
from simulator.perf.collectives import COLLECTIVE_OPS, collective_time_s
from simulator.perf.topology import CollectiveGroup, group_from_catalog
from simulator.validation.hardware import gpu_for_hardware, node_for_hardware
from simulator.validation.measured import time_entry
from simulator.validation.outcome import Prediction, Skip


def _ranks_per_node(config: dict, ranks: int) -> int:
    if "ranks_per_node" in config:
        return int(config["ranks_per_node"])
    nodes = int(config.get("num_nodes", 1))
    return max(1, math.ceil(ranks / nodes))


def _collective_group(
    case: dict, catalog: Catalog, ranks: int, per_node: int
) -> tuple[CollectiveGroup, str, str] | Skip:
    hardware = str(case.get("hardware", ""))
    mapped = gpu_for_hardware(hardware, catalog)
    if isinstance(mapped, Skip):
        return mapped
    gpu_id, note = mapped
    node_id = node_for_hardware(hardware, catalog)
    if node_id is not None:
        group = group_from_catalog(catalog, num_gpus=ranks, gpus_per_node=per_node, node=node_id)
        return group, gpu_id, f"node {node_id}" + (f"; {note}" if note else "")
    if ranks > per_node:
        return Skip("multi-node case whose node/fabric has no profile in the catalog")
    group = group_from_catalog(catalog, num_gpus=ranks, gpus_per_node=per_node, gpu=gpu_id)
    return group, gpu_id, f"gpu {gpu_id} (no node profile matched)" + (f"; {note}" if note else "")


def _fabric_fitted(case: dict, catalog: Catalog, group: CollectiveGroup) -> bool:
    """Whether a figure of the fabric the case crosses was chosen with this case in view."""
    node_id = node_for_hardware(str(case.get("hardware", "")), catalog)
    if node_id is None or group.num_domains == 1:
        return False
    nic, _count = catalog.scale_out_nic(catalog.node(node_id))
    return case.get("id") in nic.fitted_to_cases


def evaluate_collective_case(case: dict, catalog: Catalog) -> Prediction | Skip:
    """A measured collective: time for the message size.

    The group is placed as the case says (ranks, ranks per node) on the node profile its
    hardware names (NVLink domain, compute NICs), else on the bare GPU for one-node cases.
    Time is compared when measured (out-of-place for nccl-tests), else bus bandwidth.
    """
    config = case.get("config", {})
    op = str(config.get("collective", "all_reduce"))
    if op not in COLLECTIVE_OPS:
        return Skip(f"collective {op!r} is not modelled")
    try:
        ranks = int(config["num_ranks"])
        size = float(config["message_size_bytes"])
    except (KeyError, TypeError, ValueError):
        return Skip("config lacks num_ranks and message_size_bytes")
    built = _collective_group(case, catalog, ranks, _ranks_per_node(config, ranks))
    if isinstance(built, Skip):
        return built
    group, gpu_id, note = built
    estimate = collective_time_s(op, size, group)
    in_sample = _fabric_fitted(case, catalog, group)
    protocol = f"/{estimate.protocol}" if estimate.protocol else ""
    note = f"{note}; {estimate.algorithm}{protocol}"
    measured = case.get("measured", {})
    names = ("time_out_of_place", "time_median", "time", "time_mean")
    timed = time_entry(measured, names)
    if timed is not None:
        name, unit, scale = timed
        return Prediction(
            estimate.time_s / scale, unit, name, gpu=gpu_id, note=note, in_sample=in_sample
        )
    if "busbw" in measured:
        unit = measured["busbw"].get("unit", "GB/s")
        return Prediction(
            estimate.busbw_gb_per_s, unit, "busbw", gpu=gpu_id, note=note, in_sample=in_sample
        )
    return Skip("no measured time or bus bandwidth to compare with")
