"""Profiles for `--profiles` from an inter-node fit: the log's fabric as it performed.

A calibration file's overlay only replaces GPU profiles, so a fit of the fabric (the per-GPU
scale-out rate and per-hop latency of a log that crossed IB, RoCE or EFA) is written instead as
a small profile directory: a copy of the node's compute NIC with the fitted achievable fraction
and latency, and a copy of the node that uses it. Both get new ids (`<id>-calibrated`), so the
catalog's own profiles, and every estimate that does not name the copies, stay as they were;
the copy of the node keeps the GPU and the NVLink domain, so its single-node estimates match
the original's exactly.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from simulator.atomic_files import write_text_atomic
from simulator.catalog import Catalog
from simulator.errors import InputError, Problem
from simulator.schema.calibration import CollectiveFit

SUFFIX = "-calibrated"


def _dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def write_fabric_profiles(
    fit: CollectiveFit, catalog: Catalog, node_id: str, out_dir: Path
) -> tuple[str, list[Path]]:
    """(calibrated node id, files written) for one inter-node fit on `node_id`.

    Raises InputError when the fitted rate exceeds the NICs' line rate: then the fit absorbed an
    error of the intra-domain model, and a fabric profile faster than its wire would mislead.
    """
    node = catalog.node(node_id)
    nic, count = catalog.scale_out_nic(node)
    line_rate = nic.bandwidth_gb_per_s * count / node.gpus_per_node
    fraction = fit.link_rate_gb_per_s / line_rate
    where = str(out_dir)
    if fraction > 1:
        raise InputError(
            [
                Problem(
                    where,
                    "--profiles-out",
                    f"the fitted {fit.link_rate_gb_per_s:.3g} GB/s per GPU exceeds {node_id}'s "
                    f"line rate ({line_rate:.3g} GB/s per GPU over {count} x {nic.id}): the "
                    "catalog's links inside the node are off for this log; no profile written",
                )
            ]
        )
    stamp = (fit.source.imported_at if fit.source else "")[:10] or nic.as_of
    origin = (
        f"infrasim calibrate import-nccl-tests {fit.source.file} (sha256 "
        f"{fit.source.sha256[:12]}, line {fit.source.first_line})"
        if fit.source
        else "infrasim calibrate import-nccl-tests"
    )
    fabric = nic.model_dump(mode="json", exclude_none=True)
    fabric.update(
        id=nic.id + SUFFIX,
        name=f"{nic.name} (calibrated: {fit.num_ranks}-rank {fit.op})",
        source=f"{origin}: {fit.link_rate_gb_per_s:.4g} GB/s per GPU, "
        f"{fit.step_latency_us:.4g} us per hop, fitted on {node_id}; base {nic.id}",
        as_of=stamp,
        notes=f"Calibrated copy of {nic.id}: achievable_fraction = the fitted rate over the line "
        f"rate of {count} x {nic.bandwidth_gb_per_s:g} GB/s per {node.gpus_per_node} GPUs "
        f"({line_rate:.4g} GB/s per GPU); latency_us is the fitted per-hop latency; "
        f"oversubscription 1 (what the fabric delivered is the rate). Every other field is "
        f"{nic.id}'s.",
        achievable_fraction=round(fraction, 6),
        latency_us=round(fit.step_latency_us, 6),
        default_oversubscription=1.0,
    )
    copy = node.model_dump(mode="json", exclude_none=True)
    copy.pop("matches", None)  # published cases name the catalog's node, not this copy
    copy.update(
        id=node.id + SUFFIX,
        name=f"{node.name} (fabric calibrated)",
        source=f"{node.source.strip()} Fabric: {origin}.",
        as_of=stamp,
        nics=[
            {**n, "interconnect": nic.id + SUFFIX}
            if n["interconnect"] == nic.id and n.get("role") == "compute"
            else n
            for n in copy["nics"]
        ],
    )
    for folder in ("interconnects", "nodes"):
        (out_dir / folder).mkdir(parents=True, exist_ok=True)
    files = [
        write_text_atomic(out_dir / "interconnects" / f"{fabric['id']}.yaml", _dump(fabric)),
        write_text_atomic(out_dir / "nodes" / f"{copy['id']}.yaml", _dump(copy)),
    ]
    return copy["id"], files
