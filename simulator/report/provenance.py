"""What a run was built from, saved with its results so every figure stays traceable.

`infrasim report DIR` has only the saved directory, not the scenario or the catalog, so
`infrasim run` saves two extra tables beside the results:

- `inputs`: one row per profile or model the scenario used (hardware, facility, price sheets,
  model shapes), with its `source` and `as_of`, what it was used as, and which fields the
  scenario overrode.
- `racks`: per node pool, kW per rack with every node at its maximum draw, against the
  facility's cooling limit and the active-nodes cap the engine derives from it.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from simulator.scenario import LoadedScenario, resolve_profile
from simulator.schema.run_summary import RunSummary
from simulator.schema.scenario import ProfileRef, ref_id

INPUT_COLUMNS = ("kind", "id", "name", "used_as", "overrides", "source", "as_of")
RACK_COLUMNS = (
    "pool",
    "node",
    "nodes",
    "node_max_kw",
    "nodes_per_rack",
    "rack_kw_all_at_max",
    "active_nodes_per_rack_cap",
    "rack_kw_cap",
    "cooling",
    "cooling_limit_kw",
)


def _overrides(ref: ProfileRef | None) -> str:
    if ref is None or isinstance(ref, str):
        return ""
    return ", ".join(sorted(ref.overrides))


def _row(kind: str, profile: Any, used_as: str, ref: ProfileRef | None = None) -> dict[str, str]:
    return {
        "kind": kind,
        "id": str(getattr(profile, "id", "") or ""),
        "name": str(getattr(profile, "name", "") or ""),
        "used_as": used_as,
        "overrides": _overrides(ref),
        "source": str(getattr(profile, "source", "") or "not given"),
        "as_of": str(getattr(profile, "as_of", "") or "not given"),
    }


def inputs_table(loaded: LoadedScenario) -> pd.DataFrame:
    """Every profile and model the scenario used, with source and date (sorted rows)."""
    s = loaded.scenario
    catalog = loaded.catalog
    file = str(loaded.path)
    rows: list[dict[str, str]] = []
    for pool in s.cluster.pools:
        node = loaded.pool_nodes[pool.name]
        rows.append(_row("node", node, f"pool {pool.name} ({pool.count} nodes)", pool.node))
        if node.purchase_price_usd is not None:
            price = _row("node price", node, f"pool {pool.name}")
            price["name"] = f"{node.name}: ${node.purchase_price_usd:,.0f} per node"
            price["source"] = node.price_source or "not given"
            rows.append(price)
        rows.append(_row("gpu", catalog.gpu(node.gpu), f"pool {pool.name}"))
        if node.scale_up is not None:
            rows.append(_row("interconnect", catalog.interconnect(node.scale_up), "scale-up"))
        for nic in node.nics:
            rows.append(
                _row("interconnect", catalog.interconnect(nic.interconnect), f"{nic.role} NICs")
            )
    fabric = s.cluster.fabric.interconnect
    if fabric is not None:
        profile = resolve_profile(catalog, "interconnect", fabric, file, "cluster.fabric")
        rows.append(_row("interconnect", profile, "scale-out fabric", fabric))
    for tier in s.cluster.storage:
        profile = resolve_profile(catalog, "storage", tier.profile, file, "cluster.storage")
        rows.append(_row("storage", profile, f"storage ({tier.role})", tier.profile))
    facility = resolve_profile(catalog, "facility", s.cluster.facility, file, "cluster.facility")
    rows.append(_row("facility", facility, "facility", s.cluster.facility))
    for option in s.pricing.options:
        sheet = catalog.pricing(option.sheet)
        rows.append(_row("pricing", sheet, f"price option {option.name} ({option.purchase})"))
    for workload, model in sorted(loaded.models.items()):
        rows.append(_row("model", model, f"workload {workload}"))
    frame = pd.DataFrame(rows, columns=list(INPUT_COLUMNS)).drop_duplicates()
    return frame.sort_values(list(INPUT_COLUMNS), kind="stable").reset_index(drop=True)


def racks_table(loaded: LoadedScenario, summary: RunSummary) -> pd.DataFrame:
    """Per pool: rack power density against the facility's cooling limit."""
    s = loaded.scenario
    facility = resolve_profile(
        loaded.catalog, "facility", s.cluster.facility, str(loaded.path), "cluster.facility"
    )
    limit_kw = facility.max_kw_per_rack
    max_node_kw = max(node.max_power_w for node in loaded.pool_nodes.values()) / 1000.0
    cap = summary.active_nodes_per_rack_cap or math.floor(limit_kw / max_node_kw + 1e-9)
    per_rack = summary.nodes_per_rack or s.cluster.nodes_per_rack or cap
    rows = []
    for pool in s.cluster.pools:
        node = loaded.pool_nodes[pool.name]
        node_kw = node.max_power_w / 1000.0
        rows.append(
            {
                "pool": pool.name,
                "node": ref_id(pool.node),
                "nodes": pool.count,
                "node_max_kw": node_kw,
                "nodes_per_rack": int(per_rack),
                "rack_kw_all_at_max": node_kw * per_rack,
                "active_nodes_per_rack_cap": int(cap),
                "rack_kw_cap": node_kw * min(cap, per_rack),
                "cooling": facility.cooling,
                "cooling_limit_kw": limit_kw,
            }
        )
    return pd.DataFrame(rows, columns=list(RACK_COLUMNS))


def input_tables(loaded: LoadedScenario, summary: RunSummary) -> dict[str, pd.DataFrame]:
    """The tables `infrasim run` saves for the report: `inputs` and `racks`."""
    return {"inputs": inputs_table(loaded), "racks": racks_table(loaded, summary)}
